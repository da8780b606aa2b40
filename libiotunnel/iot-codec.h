/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-connection.h"
#include "iot-message.h"
#include "iot-session.h"

G_BEGIN_DECLS

#define IOT_CODEC_ERROR iot_codec_error_quark()

/**
 * IotCodecError:
 * @IOT_CODEC_ERROR_PROTOCOL: the service sent a message the version's rules forbid
 * @IOT_CODEC_ERROR_SERVICE_IDS: SERVICE_IDS do not match the configured services
 */
typedef enum {
	IOT_CODEC_ERROR_PROTOCOL,
	IOT_CODEC_ERROR_SERVICE_IDS,
} IotCodecError;

#define IOT_TYPE_CODEC (iot_codec_get_type())
IOT_EXPORT
G_DECLARE_INTERFACE(IotCodec, iot_codec, IOT, CODEC, GObject)

/**
 * IotCodecInterface:
 * @get_subprotocol: the `Sec-WebSocket-Protocol` this version offers
 *   (%IOT_SUBPROTOCOL_V3 for V3)
 * @start: a WebSocket session began with @session (the subprotocol the service
 *   chose is @subprotocol); the codec keeps a reference until @stop
 * @receive: one message from the service, in order; %FALSE with @error when the
 *   message breaks the rules in a way that ends the session
 * @accept: source side: a local client connected to @service_id's listener;
 *   the codec owns @connection from now on (start it, close or abort it)
 * @stop: the session ended (WebSocket lost or closed): end every local
 *   connection as cut (what it was sent, then a reset) and forget every
 *   stream; stream IDs keep counting up
 *
 * One protocol version's rules (PROTOCOL.md section 4): the stream table
 * (service ID -> stream ID -> connection IDs), turning local connection events
 * into messages and messages into local actions, dropping stale messages.
 */
struct _IotCodecInterface {
	GTypeInterface g_iface;
	const gchar *(*get_subprotocol)(IotCodec *self);
	void (*start)(IotCodec *self, IotSession *session, const gchar *subprotocol);
	gboolean (*receive)(IotCodec *self, const IotMessage *msg, GError **error);
	void (*accept)(IotCodec *self, const gchar *service_id, IotConnection *connection);
	void (*stop)(IotCodec *self);
	/*< private >*/
	gpointer padding[8];
};

IOT_EXPORT
GQuark
iot_codec_error_quark(void);
IOT_EXPORT
const gchar *
iot_codec_get_subprotocol(IotCodec *self);
IOT_EXPORT
void
iot_codec_start(IotCodec *self, IotSession *session, const gchar *subprotocol);
IOT_EXPORT
gboolean
iot_codec_receive(IotCodec *self, const IotMessage *msg, GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_codec_accept(IotCodec *self, const gchar *service_id, IotConnection *connection);
IOT_EXPORT
void
iot_codec_stop(IotCodec *self);

G_END_DECLS
