/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_TYPE_PAUSABLE_IO_STREAM (iot_pausable_io_stream_get_type())
IOT_EXPORT
G_DECLARE_FINAL_TYPE(IotPausableIOStream,
		     iot_pausable_io_stream,
		     IOT,
		     PAUSABLE_IO_STREAM,
		     GIOStream)

/**
 * IotPausableIOStreamReadFunc:
 * @self: the stream
 * @data: the bytes just read from the base stream
 * @len: how many, at least 1
 * @user_data: the data given to iot_pausable_io_stream_set_read_func()
 *
 * Sees every chunk read before the reader gets it. Returning less than @len
 * hands on only that many bytes and pauses reading; the rest is held back and
 * offered again, to the read func first, once reading resumes. An inspector
 * can so stop the reader at an exact byte, for example before a frame it
 * refuses, and decide later what the reader gets.
 *
 * Returns: how many of the @len bytes the reader gets
 */
typedef gsize (*IotPausableIOStreamReadFunc)(IotPausableIOStream *self,
					     const guint8 *data,
					     gsize len,
					     gpointer user_data);

IOT_EXPORT
IotPausableIOStream *
iot_pausable_io_stream_new(GIOStream *base_stream);
IOT_EXPORT
GIOStream *
iot_pausable_io_stream_get_base_stream(IotPausableIOStream *self);
IOT_EXPORT
void
iot_pausable_io_stream_set_read_paused(IotPausableIOStream *self, gboolean paused);
IOT_EXPORT
gboolean
iot_pausable_io_stream_get_read_paused(IotPausableIOStream *self);
IOT_EXPORT
void
iot_pausable_io_stream_set_read_func(IotPausableIOStream *self,
				     IotPausableIOStreamReadFunc func,
				     gpointer user_data,
				     GDestroyNotify destroy);
IOT_EXPORT
guint64
iot_pausable_io_stream_get_bytes_read(IotPausableIOStream *self);
IOT_EXPORT
guint64
iot_pausable_io_stream_get_bytes_written(IotPausableIOStream *self);

G_END_DECLS
