/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

/* the reference's defaults: 5 retries (so 6 tries), 2.5 s apart */
#define IOT_ENDPOINT_DEFAULT_RETRY_COUNT 5
#define IOT_ENDPOINT_DEFAULT_RETRY_DELAY_MS 2500
#define IOT_ENDPOINT_MAX_RETRY_COUNT 1000000
#define IOT_ENDPOINT_MAX_RETRY_DELAY_MS 3600000

/*
 * Sources shared by the endpoint-tcp and endpoint-unix plugins; each plugin
 * compiles its own copy.
 */

gboolean
iot_endpoint_settings_check(JsonObject *settings,
			    const gchar *endpoint_name,
			    const gchar *const *keys,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_endpoint_settings_get_string(JsonObject *settings,
				 const gchar *key,
				 gchar **value,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_endpoint_settings_get_uint(JsonObject *settings,
			       const gchar *key,
			       guint maximum,
			       guint *value,
			       GError **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean
iot_endpoint_settings_get_retries(JsonObject *settings,
				  guint *retry_count,
				  guint *retry_delay_ms,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* one try to reach the local app; the result's source object is the endpoint */
typedef void (*IotEndpointAttemptFunc)(GObject *endpoint,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
typedef GIOStream *(*IotEndpointAttemptFinishFunc)(GObject *endpoint,
						   GAsyncResult *result,
						   GError **error);

void
iot_endpoint_connect_with_retries_async(GObject *endpoint,
					const gchar *description,
					guint retry_count,
					guint retry_delay_ms,
					IotEndpointAttemptFunc attempt,
					IotEndpointAttemptFinishFunc attempt_finish,
					gpointer source_tag,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data);
GIOStream *
iot_endpoint_connect_with_retries_finish(GObject *endpoint, GAsyncResult *result, GError **error);

G_END_DECLS
