/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The WebSocket transport's settings: read from the profile, checked, with the certificates they
 * name. */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_WEBSOCKET_PING_MS_DEFAULT 20000
#define IOT_WEBSOCKET_PING_MS_MIN 10
#define IOT_WEBSOCKET_PING_MS_MAX 86400000
#define IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_DEFAULT 30000
#define IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_MAX 3600000

typedef enum {
	IOT_WEBSOCKET_PROXY_ENV,
	IOT_WEBSOCKET_PROXY_NONE,
	IOT_WEBSOCKET_PROXY_URL,
} IotWebsocketProxyMode;

typedef struct {
	GPtrArray *extra_cas;	    /* of GTlsCertificate: ca_path */
	GPtrArray *proxy_extra_cas; /* of GTlsCertificate: proxy_ca_path */
	gboolean insecure;
	IotWebsocketProxyMode proxy_mode;
	gchar *proxy_url; /* the web proxy; from the environment in mode ENV */
	gchar *no_proxy;  /* the hosts reached without it, nullable */
	guint ping_ms;
	guint connect_timeout_ms;
} IotWebsocketSettings;

void
iot_websocket_settings_clear(IotWebsocketSettings *self);
gboolean
iot_websocket_settings_load(IotWebsocketSettings *self, JsonObject *settings, GError **error);

G_END_DECLS
