/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define IOT_SERVICE_HANDSHAKE_ERROR iot_service_handshake_error_quark()

/**
 * IotServiceHandshakeError:
 * @IOT_SERVICE_HANDSHAKE_ERROR_INVALID: the request is malformed (400)
 * @IOT_SERVICE_HANDSHAKE_ERROR_NO_TOKEN: it carries no access token (401)
 */
typedef enum {
	IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
	IOT_SERVICE_HANDSHAKE_ERROR_NO_TOKEN,
} IotServiceHandshakeError;

/* what a /tunnel upgrade request asks for, before its token is looked up */
typedef struct {
	IotTunnelMode mode;
	const gchar *subprotocol; /* one of IOT_SUBPROTOCOL_V1, _V2, _V3 */
	gchar *token;
	gchar *client_token; /* or NULL */
} IotServiceHandshake;

GQuark
iot_service_handshake_error_quark(void);
gboolean
iot_service_handshake_read(SoupMessageHeaders *headers,
			   const gchar *query,
			   IotServiceHandshake *handshake,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;
guint
iot_service_handshake_error_status(const GError *error);
void
iot_service_handshake_clear(IotServiceHandshake *handshake);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(IotServiceHandshake, iot_service_handshake_clear)

G_END_DECLS
