/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * IotWebsocketTlsPeer:
 * @IOT_WEBSOCKET_TLS_PEER_SERVICE: the tunneling service
 * @IOT_WEBSOCKET_TLS_PEER_PROXY: an https:// web proxy
 *
 * Whom a TLS handshake is with: it picks the words and error codes of a
 * failure.
 */
typedef enum {
	IOT_WEBSOCKET_TLS_PEER_SERVICE,
	IOT_WEBSOCKET_TLS_PEER_PROXY,
} IotWebsocketTlsPeer;

/**
 * IotWebsocketTlsTrust:
 * @authorities: (nullable) (element-type GTlsCertificate): authorities
 *   trusted besides the system store
 * @more_authorities: (nullable) (element-type GTlsCertificate): more of them
 * @insecure: accept any certificate
 *
 * What a peer's certificate is checked against.
 */
typedef struct {
	GPtrArray *authorities;
	GPtrArray *more_authorities;
	gboolean insecure;
} IotWebsocketTlsTrust;

GSocketConnectable *
iot_websocket_tls_identity_new(const gchar *host, guint16 port);
gchar *
iot_websocket_tls_describe_flags(GTlsCertificateFlags flags);
void
iot_websocket_tls_handshake_async(GIOStream *base,
				  IotWebsocketTlsPeer peer,
				  const gchar *host,
				  guint16 port,
				  const IotWebsocketTlsTrust *trust,
				  guint answer_timeout_ms,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data);
GIOStream *
iot_websocket_tls_handshake_finish(GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
