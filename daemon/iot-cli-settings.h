/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "iot-cli-common.h"

G_BEGIN_DECLS

/* what -1 (try for ever) becomes for the endpoints, which count their tries */
#define IOT_CLI_SETTINGS_RETRY_COUNT_MAX 1000000

/**
 * IotCliSettings:
 * @default_bind_address: where a source listens without -b
 * @endpoint_format: the service's host for a region, "%s" standing for it
 * @region_overrides: (element-type utf8 utf8): region to host, before @endpoint_format
 * @tcp_retry_count: how often a destination tries again to reach the local
 *   app; -1 for ever
 * @tcp_retry_delay_ms: the wait between two tries
 * @max_connections: the most local connections open at once
 * @ping_ms: the WebSocket ping period, 0 for none
 * @protocol: the protocol version offered, 1 to 3, from the subprotocol
 *
 * The reference's fine-grained settings (`--settings-json`) that iotunneld
 * honours; it accepts the others and they have no effect.
 */
typedef struct {
	gchar *default_bind_address;
	gchar *endpoint_format;
	GHashTable *region_overrides;
	gint tcp_retry_count;
	guint tcp_retry_delay_ms;
	guint max_connections;
	guint ping_ms;
	guint protocol;
} IotCliSettings;

IotCliSettings *
iot_cli_settings_new(void);
void
iot_cli_settings_free(IotCliSettings *self);
gboolean
iot_cli_settings_load_data(IotCliSettings *self,
			   const gchar *data,
			   gsize len,
			   const gchar *path,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_cli_settings_load(IotCliSettings *self,
		      const gchar *path,
		      GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_cli_settings_get_region_host(IotCliSettings *self, const gchar *region);
gchar *
iot_cli_settings_export_text(void);
gboolean
iot_cli_settings_export(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotCliSettings, iot_cli_settings_free)

G_END_DECLS
