/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec.h"

G_DEFINE_INTERFACE(IotCodec, iot_codec, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-codec-error-quark, iot_codec_error);

static void
iot_codec_default_init(IotCodecInterface *iface)
{
}

/**
 * iot_codec_get_subprotocol:
 * @self: a codec
 *
 * Returns: the WebSocket subprotocol this version offers
 */
const gchar *
iot_codec_get_subprotocol(IotCodec *self)
{
	g_return_val_if_fail(IOT_IS_CODEC(self), NULL);
	return IOT_CODEC_GET_IFACE(self)->get_subprotocol(self);
}

/**
 * iot_codec_start:
 * @self: a codec
 * @session: the tunnel's session for this WebSocket connection
 * @subprotocol: the subprotocol the service chose
 */
void
iot_codec_start(IotCodec *self, IotSession *session, const gchar *subprotocol)
{
	g_return_if_fail(IOT_IS_CODEC(self));
	g_return_if_fail(IOT_IS_SESSION(session));
	g_return_if_fail(subprotocol != NULL);
	IOT_CODEC_GET_IFACE(self)->start(self, session, subprotocol);
}

/**
 * iot_codec_receive:
 * @self: a started codec
 * @msg: a message from the service
 * @error: (nullable): return location for an error in %IOT_CODEC_ERROR
 *
 * Returns: %FALSE when the message ends the session
 */
gboolean
iot_codec_receive(IotCodec *self, const IotMessage *msg, GError **error)
{
	g_return_val_if_fail(IOT_IS_CODEC(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);
	return IOT_CODEC_GET_IFACE(self)->receive(self, msg, error);
}

/**
 * iot_codec_accept:
 * @self: a started source-side codec
 * @service_id: the service whose listener accepted ("" for the unnamed one)
 * @connection: (transfer none): the new local connection; the codec takes a reference
 */
void
iot_codec_accept(IotCodec *self, const gchar *service_id, IotConnection *connection)
{
	g_return_if_fail(IOT_IS_CODEC(self));
	g_return_if_fail(service_id != NULL);
	g_return_if_fail(IOT_IS_CONNECTION(connection));
	IOT_CODEC_GET_IFACE(self)->accept(self, service_id, connection);
}

/**
 * iot_codec_stop:
 * @self: a codec
 *
 * Aborts every local connection and forgets every stream.
 */
void
iot_codec_stop(IotCodec *self)
{
	g_return_if_fail(IOT_IS_CODEC(self));
	IOT_CODEC_GET_IFACE(self)->stop(self);
}
