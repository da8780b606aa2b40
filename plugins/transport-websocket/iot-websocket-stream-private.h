/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-websocket-stream.h"

G_BEGIN_DECLS

/* what the input and output halves call; nothing else uses these */
gssize
iot_websocket_stream_read(IotWebsocketStream *self,
			  void *buffer,
			  gsize count,
			  gboolean blocking,
			  GCancellable *cancellable,
			  GError **error);
gboolean
iot_websocket_stream_is_readable(IotWebsocketStream *self);
GSource *
iot_websocket_stream_create_input_source(IotWebsocketStream *self, GCancellable *cancellable);
gssize
iot_websocket_stream_write(IotWebsocketStream *self,
			   const void *buffer,
			   gsize count,
			   gboolean blocking,
			   GCancellable *cancellable,
			   GError **error);
gboolean
iot_websocket_stream_is_writable(IotWebsocketStream *self);
GSource *
iot_websocket_stream_create_output_source(IotWebsocketStream *self, GCancellable *cancellable);

G_END_DECLS
