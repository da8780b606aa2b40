/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-output-stream.h"

#include "iot-websocket-stream-private.h"

/*
 * The output half of an IotWebsocketStream. It holds the stream weakly, as
 * the stream owns it, and hands every call to the stream.
 */
struct _IotWebsocketOutputStream {
	GOutputStream parent_instance;
	GWeakRef stream;
};

static void
iot_websocket_output_stream_pollable_iface_init(GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(
    IotWebsocketOutputStream,
    iot_websocket_output_stream,
    G_TYPE_OUTPUT_STREAM,
    G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
			  iot_websocket_output_stream_pollable_iface_init))

static IotWebsocketStream *
iot_websocket_output_stream_get_stream(IotWebsocketOutputStream *self, GError **error)
{
	IotWebsocketStream *stream = g_weak_ref_get(&self->stream);
	if (stream == NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "stream is closed");
		return NULL;
	}
	return stream;
}

static gssize
iot_websocket_output_stream_write(GOutputStream *output,
				  const void *buffer,
				  gsize count,
				  GCancellable *cancellable,
				  GError **error)
{
	IotWebsocketOutputStream *self = IOT_WEBSOCKET_OUTPUT_STREAM(output);
	g_autoptr(IotWebsocketStream) stream = iot_websocket_output_stream_get_stream(self, error);
	if (stream == NULL)
		return -1;
	return iot_websocket_stream_write(stream, buffer, count, TRUE, cancellable, error);
}

static gboolean
iot_websocket_output_stream_close(GOutputStream *output, GCancellable *cancellable, GError **error)
{
	/* the IotWebsocketStream closes the stream under both halves */
	return TRUE;
}

static gboolean
iot_websocket_output_stream_can_poll(GPollableOutputStream *pollable)
{
	return TRUE;
}

static gboolean
iot_websocket_output_stream_is_writable(GPollableOutputStream *pollable)
{
	IotWebsocketOutputStream *self = IOT_WEBSOCKET_OUTPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = g_weak_ref_get(&self->stream);
	if (stream == NULL)
		return TRUE;
	return iot_websocket_stream_is_writable(stream);
}

static GSource *
iot_websocket_output_stream_create_source(GPollableOutputStream *pollable,
					  GCancellable *cancellable)
{
	IotWebsocketOutputStream *self = IOT_WEBSOCKET_OUTPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = g_weak_ref_get(&self->stream);
	if (stream == NULL) {
		/* closed: ready at once, so the writer sees the error */
		g_autoptr(GSource) source = g_timeout_source_new(0);
		return g_pollable_source_new_full(pollable, source, cancellable);
	}
	return iot_websocket_stream_create_output_source(stream, cancellable);
}

static gssize
iot_websocket_output_stream_write_nonblocking(GPollableOutputStream *pollable,
					      const void *buffer,
					      gsize count,
					      GError **error)
{
	IotWebsocketOutputStream *self = IOT_WEBSOCKET_OUTPUT_STREAM(pollable);
	g_autoptr(IotWebsocketStream) stream = iot_websocket_output_stream_get_stream(self, error);
	if (stream == NULL)
		return -1;
	return iot_websocket_stream_write(stream, buffer, count, FALSE, NULL, error);
}

static void
iot_websocket_output_stream_pollable_iface_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = iot_websocket_output_stream_can_poll;
	iface->is_writable = iot_websocket_output_stream_is_writable;
	iface->create_source = iot_websocket_output_stream_create_source;
	iface->write_nonblocking = iot_websocket_output_stream_write_nonblocking;
}

static void
iot_websocket_output_stream_finalize(GObject *object)
{
	IotWebsocketOutputStream *self = IOT_WEBSOCKET_OUTPUT_STREAM(object);
	g_weak_ref_clear(&self->stream);
	G_OBJECT_CLASS(iot_websocket_output_stream_parent_class)->finalize(object);
}

static void
iot_websocket_output_stream_class_init(IotWebsocketOutputStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS(klass);
	object_class->finalize = iot_websocket_output_stream_finalize;
	output_class->write_fn = iot_websocket_output_stream_write;
	output_class->close_fn = iot_websocket_output_stream_close;
}

static void
iot_websocket_output_stream_init(IotWebsocketOutputStream *self)
{
	g_weak_ref_init(&self->stream, NULL);
}

/**
 * iot_websocket_output_stream_new:
 * @stream: the stream this half belongs to
 *
 * Returns: (transfer full): the output half of @stream
 */
GOutputStream *
iot_websocket_output_stream_new(IotWebsocketStream *stream)
{
	IotWebsocketOutputStream *self = g_object_new(IOT_TYPE_WEBSOCKET_OUTPUT_STREAM, NULL);
	g_weak_ref_set(&self->stream, stream);
	return G_OUTPUT_STREAM(self);
}
