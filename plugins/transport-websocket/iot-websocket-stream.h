/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <gio/gio.h>

G_BEGIN_DECLS

#define IOT_TYPE_WEBSOCKET_STREAM (iot_websocket_stream_get_type())
G_DECLARE_FINAL_TYPE(IotWebsocketStream, iot_websocket_stream, IOT, WEBSOCKET_STREAM, GIOStream)

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
