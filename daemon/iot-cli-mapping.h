/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-common.h"

G_BEGIN_DECLS

/* a service ID as the profile takes it */
#define IOT_CLI_SERVICE_ID_MAX 128

/**
 * IotCliMapping:
 * @id: the service ID, "" for the single unnamed mapping
 * @value: where to listen (source) or connect (destination), as written
 * @is_path: whether @value is a Unix socket path rather than a TCP address
 * @has_host: whether a TCP @value names a host, not only a port
 * @host: (nullable): that host, without brackets
 * @port: the TCP port of @value; 0 for a path, or a port to be picked
 * @where: where it was given, for messages: "-d/--destination-app" or "config/a.ini:3"
 *
 * One service mapping from -s, -d or a --config-dir file.
 */
typedef struct {
	gchar *id;
	gchar *value;
	gboolean is_path;
	gboolean has_host;
	gchar *host;
	guint port;
	gchar *where;
} IotCliMapping;

void
iot_cli_mapping_free(IotCliMapping *mapping);
gboolean
iot_cli_mapping_id_is_valid(const gchar *id);
IotCliMapping *
iot_cli_mapping_new(const gchar *id,
		    const gchar *value,
		    gboolean source,
		    const gchar *where,
		    GError **error);
gboolean
iot_cli_mappings_add(GPtrArray *mappings,
		     IotCliMapping *mapping,
		     GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_cli_mappings_check_listeners(GPtrArray *mappings, GError **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray *
iot_cli_mappings_parse(const gchar *text, gboolean source, const gchar *where, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotCliMapping, iot_cli_mapping_free)

G_END_DECLS
