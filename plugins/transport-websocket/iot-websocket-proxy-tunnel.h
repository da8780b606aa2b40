/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-websocket-tls.h"

G_BEGIN_DECLS

/* how long an https:// web proxy may take to answer the TLS handshake at all */
#define IOT_WEBSOCKET_PROXY_TLS_ANSWER_MS 5000

void
iot_websocket_proxy_tunnel_async(const gchar *proxy_url,
				 const gchar *host,
				 guint16 port,
				 const IotWebsocketTlsTrust *trust,
				 gboolean worked_before,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
void
iot_websocket_proxy_tunnel_over_async(GIOStream *stream,
				      GInetAddress *proxy_address,
				      const gchar *proxy_url,
				      const gchar *host,
				      guint16 port,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data);
GIOStream *
iot_websocket_proxy_tunnel_finish(GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
