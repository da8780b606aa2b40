/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-input-stream.h"

#include "iot-websocket-stream-private.h"

/*
 * The input half of an IotWebsocketStream. It holds the stream weakly, as
 * the stream owns it, and hands every call to the stream.
 */
struct _IotWebsocketInputStream {
	GInputStream parent_instance;
	GWeakRef stream;
};

static void
iot_websocket_input_stream_pollable_iface_init(GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotWebsocketInputStream,
			      iot_websocket_input_stream,
			      G_TYPE_INPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
						    iot_websocket_input_stream_pollable_iface_init))

static IotWebsocketStream *
iot_websocket_input_stream_get_stream(IotWebsocketInputStream *self, GError **error)
{
	IotWebsocketStream *stream = g_weak_ref_get(&self->stream);
	if (stream == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "stream is closed");
		return NULL;
	}
	return stream;
}

static gssize
iot_websocket_input_stream_read(GInputStream *input,
				void *buffer,
				gsize count,
				GCancellable *cancellable,
				GError **error)
{
	IotWebsocketInputStream *self = IOT_WEBSOCKET_INPUT_STREAM(input);
	g_autoptr(IotWebsocketStream) stream = iot_websocket_input_stream_get_stream(self, error);
	if (stream == NULL)
		return -1;
	return iot_websocket_stream_read(stream, buffer, count, TRUE, cancellable, error);
}

static gboolean
iot_websocket_input_stream_close(GInputStream *input, GCancellable *cancellable, GError **error)
{
	/* the IotWebsocketStream closes the stream under both halves */
	return TRUE;
}

static gboolean
iot_websocket_input_stream_can_poll(GPollableInputStream *pollable)
{
	return TRUE;
}

static gboolean
iot_websocket_input_stream_is_readable(GPollableInputStream *pollable)
{
	IotWebsocketInputStream *self = IOT_WEBSOCKET_INPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = g_weak_ref_get(&self->stream);
	if (stream == NULL)
		return TRUE;
	return iot_websocket_stream_is_readable(stream);
}

static GSource *
iot_websocket_input_stream_create_source(GPollableInputStream *pollable, GCancellable *cancellable)
{
	IotWebsocketInputStream *self = IOT_WEBSOCKET_INPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = g_weak_ref_get(&self->stream);
	if (stream == NULL) {
		/* closed: ready at once, so the reader sees the error */
		g_autoptr(GSource) source = g_timeout_source_new(0);
		return g_pollable_source_new_full(pollable, source, cancellable);
	}
	return iot_websocket_stream_create_input_source(stream, cancellable);
}

static gssize
iot_websocket_input_stream_read_nonblocking(GPollableInputStream *pollable,
					    void *buffer,
					    gsize count,
					    GError **error)
{
	IotWebsocketInputStream *self = IOT_WEBSOCKET_INPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = iot_websocket_input_stream_get_stream(self, error);
	if (stream == NULL)
		return -1;
	return iot_websocket_stream_read(stream, buffer, count, FALSE, NULL, error);
}

static void
iot_websocket_input_stream_pollable_iface_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = iot_websocket_input_stream_can_poll;
	iface->is_readable = iot_websocket_input_stream_is_readable;
	iface->create_source = iot_websocket_input_stream_create_source;
	iface->read_nonblocking = iot_websocket_input_stream_read_nonblocking;
}

static void
iot_websocket_input_stream_finalize(GObject *object)
{
	IotWebsocketInputStream *self = IOT_WEBSOCKET_INPUT_STREAM(object);
	g_weak_ref_clear(&self->stream);
	G_OBJECT_CLASS(iot_websocket_input_stream_parent_class)->finalize(object);
}

static void
iot_websocket_input_stream_class_init(IotWebsocketInputStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GInputStreamClass *input_class = G_INPUT_STREAM_CLASS(klass);
	object_class->finalize = iot_websocket_input_stream_finalize;
	input_class->read_fn = iot_websocket_input_stream_read;
	input_class->close_fn = iot_websocket_input_stream_close;
}

static void
iot_websocket_input_stream_init(IotWebsocketInputStream *self)
{
	g_weak_ref_init(&self->stream, NULL);
}

/**
 * iot_websocket_input_stream_new:
 * @stream: the stream this half belongs to
 *
 * Returns: (transfer full): the input half of @stream
 */
GInputStream *
iot_websocket_input_stream_new(IotWebsocketStream *stream)
{
	IotWebsocketInputStream *self = g_object_new(IOT_TYPE_WEBSOCKET_INPUT_STREAM, NULL);
	g_weak_ref_set(&self->stream, stream);
	return G_INPUT_STREAM(self);
}
