/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-websocket-stream.h"

G_BEGIN_DECLS

#define IOT_TYPE_WEBSOCKET_INPUT_STREAM (iot_websocket_input_stream_get_type())
G_DECLARE_FINAL_TYPE(IotWebsocketInputStream,
		     iot_websocket_input_stream,
		     IOT,
		     WEBSOCKET_INPUT_STREAM,
		     GInputStream)

GInputStream *
iot_websocket_input_stream_new(IotWebsocketStream *stream);

G_END_DECLS
