/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define IOT_TYPE_WEBSOCKET_STREAM (iot_websocket_stream_get_type())
G_DECLARE_FINAL_TYPE(IotWebsocketStream, iot_websocket_stream, IOT, WEBSOCKET_STREAM, GIOStream)

/* WebSocket opcodes (RFC 6455 section 5.2) */
#define IOT_WEBSOCKET_OPCODE_CONTINUATION 0x0
#define IOT_WEBSOCKET_OPCODE_TEXT 0x1
#define IOT_WEBSOCKET_OPCODE_BINARY 0x2
#define IOT_WEBSOCKET_OPCODE_CLOSE 0x8
#define IOT_WEBSOCKET_OPCODE_PING 0x9
#define IOT_WEBSOCKET_OPCODE_PONG 0xa

IotWebsocketStream *
iot_websocket_stream_new(GIOStream *base, GBytes *prebuffer, guint64 max_incoming_message);
void
iot_websocket_stream_set_input_paused(IotWebsocketStream *self, gboolean paused);
guint64
iot_websocket_stream_get_data_written(IotWebsocketStream *self);
gboolean
iot_websocket_stream_send_control(IotWebsocketStream *self,
				  guint8 opcode,
				  const guint8 *payload,
				  gsize payload_len);
gboolean
iot_websocket_stream_send_data(IotWebsocketStream *self, GBytes *payload);

G_END_DECLS
