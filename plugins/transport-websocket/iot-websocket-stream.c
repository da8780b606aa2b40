/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-stream.h"

#include <string.h>

#include "iot-websocket-input-stream.h"
#include "iot-websocket-output-stream.h"
#include "iot-websocket-stream-private.h"

/*
 * IotWebsocketStream sits between SoupWebsocketConnection and the network
 * stream (TCP, or TLS over TCP), to give the transport what libsoup 3.2 lacks:
 *
 * - input can be paused: while paused, reads would block and the pollable
 *   source never fires, so the socket is not read and TCP pushes back;
 * - the bytes libsoup wrote are counted by the WebSocket frames they belong
 *   to: the payload of data frames written, which with what was handed to
 *   libsoup gives the send queue; the "progress" signal says it moved;
 * - control frames of our own (a ping with our payload, a close with code
 *   1009 when libsoup drops the connection without one) go out between two
 *   of libsoup's frames;
 * - a message from the service made of fragments cannot grow past the
 *   protocol's size: libsoup checks each frame, not their sum;
 * - the payload of each pong is reported by the "pong" signal: libsoup 3.2's
 *   own "pong" signal declares a GBytes but passes a GByteArray;
 * - bytes read past the HTTP handshake answer are read first;
 * - the network is read in large chunks: libsoup 3.2 reads 1 KiB at a time,
 *   and each read of a TLS stream takes its locks and a call into GnuTLS,
 *   so libsoup's small reads are served from memory instead.
 *
 * Only frame headers are looked at, never payload bytes.
 */

#define IOT_WEBSOCKET_STREAM_CONTROL_MAX 4096 /* bytes of own control frames waiting */
#define IOT_WEBSOCKET_STREAM_READ_AHEAD 65536 /* the most read from the network at once */

typedef struct {
	guint8 header[14];
	guint8 header_len;
	guint8 header_need;
	guint8 opcode;
	gboolean fin;
	guint64 payload_left;
} IotWebsocketFrameScan;

struct _IotWebsocketStream {
	GIOStream parent_instance;
	GIOStream *base;
	GPollableInputStream *base_input;
	GPollableOutputStream *base_output;
	GInputStream *input;
	GOutputStream *output;

	GByteArray *ahead; /* read from the network, not yet by libsoup */
	gsize ahead_offset;
	gboolean input_paused;
	GPtrArray *input_sources; /* of IotWebsocketInputSource, not owned */
	IotWebsocketFrameScan in_scan;
	guint64 in_message_size;
	gboolean in_pong;
	guint8 in_pong_payload[125];
	gsize in_pong_len;
	guint64 max_incoming_message;

	IotWebsocketFrameScan out_scan;
	guint64 data_written;
	gboolean close_seen;
	GByteArray *control;
	gsize control_sent;
	GSource *control_source;
	GError *control_error;
};

G_DEFINE_FINAL_TYPE(IotWebsocketStream, iot_websocket_stream, G_TYPE_IO_STREAM)

enum { SIGNAL_PROGRESS, SIGNAL_PONG, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

typedef struct {
	GSource source;
	IotWebsocketStream *stream;
	GSource *child;
} IotWebsocketInputSource;

static void
iot_websocket_frame_scan_reset(IotWebsocketFrameScan *scan)
{
	scan->header_len = 0;
	scan->header_need = 2;
	scan->payload_left = 0;
}

static gboolean
iot_websocket_frame_scan_at_boundary(const IotWebsocketFrameScan *scan)
{
	return scan->header_len == 0 && scan->payload_left == 0;
}

/*
 * Takes header bytes from *data; TRUE once a whole header is known, with
 * opcode, fin and payload_left set. Payload bytes are left to the caller.
 */
static gboolean
iot_websocket_frame_scan_header(IotWebsocketFrameScan *scan, const guint8 **data, gsize *len)
{
	while (*len > 0 && scan->header_len < scan->header_need) {
		gsize take = MIN(*len, (gsize)(scan->header_need - scan->header_len));
		memcpy(scan->header + scan->header_len, *data, take);
		scan->header_len += take;
		*data += take;
		*len -= take;
		if (scan->header_len == 2) {
			guint8 len7 = scan->header[1] & 0x7f;
			scan->header_need = 2;
			if (len7 == 126)
				scan->header_need += 2;
			else if (len7 == 127)
				scan->header_need += 8;
			if (scan->header[1] & 0x80)
				scan->header_need += 4;
		}
	}
	if (scan->header_len < scan->header_need)
		return FALSE;

	scan->fin = (scan->header[0] & 0x80) != 0;
	scan->opcode = scan->header[0] & 0x0f;
	switch (scan->header[1] & 0x7f) {
	case 126:
		scan->payload_left = ((guint64)scan->header[2] << 8) | scan->header[3];
		break;
	case 127:
		scan->payload_left = 0;
		for (guint i = 2; i < 10; i++)
			scan->payload_left = (scan->payload_left << 8) | scan->header[i];
		break;
	default:
		scan->payload_left = scan->header[1] & 0x7f;
		break;
	}
	scan->header_len = 0;
	scan->header_need = 2;
	return TRUE;
}

static gboolean
iot_websocket_opcode_is_data(guint8 opcode)
{
	return opcode == IOT_WEBSOCKET_OPCODE_CONTINUATION || opcode == IOT_WEBSOCKET_OPCODE_TEXT ||
	       opcode == IOT_WEBSOCKET_OPCODE_BINARY;
}

/* follows the frames in bytes just read; FALSE when a message grows too large */
static gboolean
iot_websocket_stream_scan_input(IotWebsocketStream *self,
				const guint8 *data,
				gsize len,
				GError **error)
{
	IotWebsocketFrameScan *scan = &self->in_scan;
	while (len > 0) {
		gsize take;
		if (scan->payload_left == 0) {
			if (!iot_websocket_frame_scan_header(scan, &data, &len))
				return TRUE;
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_TEXT ||
			    scan->opcode == IOT_WEBSOCKET_OPCODE_BINARY)
				self->in_message_size = scan->payload_left;
			else if (scan->opcode == IOT_WEBSOCKET_OPCODE_CONTINUATION)
				self->in_message_size += scan->payload_left;
			/* control frames hold at most 125 bytes; libsoup refuses others */
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_PONG &&
			    scan->payload_left <= sizeof(self->in_pong_payload)) {
				self->in_pong = TRUE;
				self->in_pong_len = 0;
				if (scan->payload_left == 0) {
					g_autoptr(GBytes) payload = g_bytes_new(NULL, 0);
					self->in_pong = FALSE;
					g_signal_emit(self, signals[SIGNAL_PONG], 0, payload);
				}
			}
			if (iot_websocket_opcode_is_data(scan->opcode) &&
			    self->in_message_size > self->max_incoming_message) {
				g_set_error(
				    error,
				    G_IO_ERROR,
				    G_IO_ERROR_MESSAGE_TOO_LARGE,
				    "the service sent a message of at least %" G_GUINT64_FORMAT
				    " bytes, above the limit of %" G_GUINT64_FORMAT,
				    self->in_message_size,
				    self->max_incoming_message);
				return FALSE;
			}
		}
		take = MIN(len, scan->payload_left);
		if (self->in_pong) {
			memcpy(self->in_pong_payload + self->in_pong_len, data, take);
			self->in_pong_len += take;
		}
		scan->payload_left -= take;
		data += take;
		len -= take;
		if (self->in_pong && scan->payload_left == 0) {
			g_autoptr(GBytes) payload =
			    g_bytes_new(self->in_pong_payload, self->in_pong_len);
			self->in_pong = FALSE;
			g_signal_emit(self, signals[SIGNAL_PONG], 0, payload);
		}
	}
	return TRUE;
}

/* follows the frames in bytes just written, counting the payload of data frames */
static void
iot_websocket_stream_scan_output(IotWebsocketStream *self, const guint8 *data, gsize len)
{
	IotWebsocketFrameScan *scan = &self->out_scan;
	guint64 data_before = self->data_written;
	while (len > 0) {
		gsize take;
		if (scan->payload_left == 0) {
			if (!iot_websocket_frame_scan_header(scan, &data, &len))
				break;
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_CLOSE) {
				/* nothing of ours may follow libsoup's close */
				self->close_seen = TRUE;
				if (self->control_sent == 0)
					g_byte_array_set_size(self->control, 0);
			}
		}
		take = MIN(len, scan->payload_left);
		scan->payload_left -= take;
		if (iot_websocket_opcode_is_data(scan->opcode))
			self->data_written += take;
		data += take;
		len -= take;
	}
	if (self->data_written != data_before)
		g_signal_emit(self, signals[SIGNAL_PROGRESS], 0);
}

/* writes what is left of our own control frames; FALSE with WOULD_BLOCK or an error */
static gboolean
iot_websocket_stream_flush_control(IotWebsocketStream *self, GError **error)
{
	while (self->control_sent < self->control->len) {
		gssize count = g_pollable_output_stream_write_nonblocking(
		    self->base_output,
		    self->control->data + self->control_sent,
		    self->control->len - self->control_sent,
		    NULL,
		    error);
		if (count < 0)
			return FALSE;
		self->control_sent += count;
	}
	g_byte_array_set_size(self->control, 0);
	self->control_sent = 0;
	return TRUE;
}

static gboolean
iot_websocket_stream_control_pending(IotWebsocketStream *self)
{
	return self->control->len > 0 && iot_websocket_frame_scan_at_boundary(&self->out_scan);
}

static void
iot_websocket_stream_arm_control(IotWebsocketStream *self);

static gboolean
iot_websocket_stream_control_cb(GObject *pollable, gpointer user_data)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(user_data);
	g_autoptr(GError) error_local = NULL;

	g_clear_pointer(&self->control_source, g_source_unref);
	if (!iot_websocket_stream_control_pending(self))
		return G_SOURCE_REMOVE;
	if (iot_websocket_stream_flush_control(self, &error_local))
		return G_SOURCE_REMOVE;
	if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		iot_websocket_stream_arm_control(self);
		return G_SOURCE_REMOVE;
	}
	/* the next write reports it; the reader sees the broken connection too */
	g_debug("failed to write a control frame: %s", error_local->message);
	g_byte_array_set_size(self->control, 0);
	self->control_sent = 0;
	if (self->control_error == NULL)
		self->control_error = g_steal_pointer(&error_local);
	return G_SOURCE_REMOVE;
}

/* waits for the network to take our control frames while libsoup writes nothing */
static void
iot_websocket_stream_arm_control(IotWebsocketStream *self)
{
	if (self->control_source != NULL)
		return;
	self->control_source = g_pollable_output_stream_create_source(self->base_output, NULL);
	g_source_set_static_name(self->control_source, "IotWebsocketStream control");
	g_source_set_callback(self->control_source,
			      G_SOURCE_FUNC(iot_websocket_stream_control_cb),
			      self,
			      NULL);
	g_source_attach(self->control_source, g_main_context_get_thread_default());
}

/**
 * iot_websocket_stream_send_control:
 * @self: a stream
 * @opcode: %IOT_WEBSOCKET_OPCODE_PING, or %IOT_WEBSOCKET_OPCODE_CLOSE
 * @payload: (array length=payload_len): the payload, at most 125 bytes
 * @payload_len: its length
 *
 * Sends a masked control frame at the next boundary between two frames
 * libsoup writes, or at once when libsoup is writing nothing.
 *
 * Returns: %FALSE when the frame was not queued: a close went out already,
 * or too many of our frames wait for a network that takes nothing
 */
gboolean
iot_websocket_stream_send_control(IotWebsocketStream *self,
				  guint8 opcode,
				  const guint8 *payload,
				  gsize payload_len)
{
	guint8 header[6];
	guint32 mask = g_random_int();
	guint offset;

	g_return_val_if_fail(IOT_IS_WEBSOCKET_STREAM(self), FALSE);
	g_return_val_if_fail(payload_len <= 125, FALSE);

	if (self->close_seen || g_io_stream_is_closed(G_IO_STREAM(self)))
		return FALSE;
	if (self->control->len + sizeof(header) + payload_len > IOT_WEBSOCKET_STREAM_CONTROL_MAX)
		return FALSE;
	if (opcode == IOT_WEBSOCKET_OPCODE_CLOSE)
		self->close_seen = TRUE;

	header[0] = 0x80 | opcode;
	header[1] = 0x80 | (guint8)payload_len;
	memcpy(header + 2, &mask, sizeof(mask));
	g_byte_array_append(self->control, header, sizeof(header));
	offset = self->control->len;
	g_byte_array_append(self->control, payload, payload_len);
	for (gsize i = 0; i < payload_len; i++)
		self->control->data[offset + i] ^= header[2 + (i & 3)];

	if (iot_websocket_stream_control_pending(self))
		iot_websocket_stream_arm_control(self);
	return TRUE;
}

/**
 * iot_websocket_stream_get_data_written:
 * @self: a stream
 *
 * Returns: the payload bytes of data frames written to the network so far
 */
guint64
iot_websocket_stream_get_data_written(IotWebsocketStream *self)
{
	g_return_val_if_fail(IOT_IS_WEBSOCKET_STREAM(self), 0);
	return self->data_written;
}

static void
iot_websocket_input_source_attach_child(IotWebsocketInputSource *source)
{
	IotWebsocketStream *self = source->stream;
	if (source->child != NULL || g_source_is_destroyed((GSource *)source))
		return;
	source->child = g_pollable_input_stream_create_source(self->base_input, NULL);
	g_source_set_dummy_callback(source->child);
	g_source_add_child_source((GSource *)source, source->child);
}

static void
iot_websocket_input_source_remove_child(IotWebsocketInputSource *source)
{
	if (source->child == NULL)
		return;
	if (!g_source_is_destroyed((GSource *)source))
		g_source_remove_child_source((GSource *)source, source->child);
	g_clear_pointer(&source->child, g_source_unref);
}

/**
 * iot_websocket_stream_set_input_paused:
 * @self: a stream
 * @paused: whether to stop reading the network
 *
 * While paused, reads fail with %G_IO_ERROR_WOULD_BLOCK and input sources
 * do not fire; resuming wakes every input source once.
 */
void
iot_websocket_stream_set_input_paused(IotWebsocketStream *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_WEBSOCKET_STREAM(self));
	if (self->input_paused == paused)
		return;
	self->input_paused = paused;
	for (guint i = 0; i < self->input_sources->len; i++) {
		IotWebsocketInputSource *source = g_ptr_array_index(self->input_sources, i);
		if (paused) {
			iot_websocket_input_source_remove_child(source);
		} else if (!g_source_is_destroyed((GSource *)source)) {
			iot_websocket_input_source_attach_child(source);
			g_source_set_ready_time((GSource *)source, 0);
		}
	}
}

static gsize
iot_websocket_stream_ahead_left(IotWebsocketStream *self)
{
	return self->ahead->len - self->ahead_offset;
}

/* one non-blocking read of the network into the empty read-ahead buffer */
static gssize
iot_websocket_stream_fill_ahead(IotWebsocketStream *self, GCancellable *cancellable, GError **error)
{
	gssize nread;

	g_byte_array_set_size(self->ahead, IOT_WEBSOCKET_STREAM_READ_AHEAD);
	self->ahead_offset = 0;
	nread = g_pollable_input_stream_read_nonblocking(self->base_input,
							 self->ahead->data,
							 self->ahead->len,
							 cancellable,
							 error);
	g_byte_array_set_size(self->ahead, MAX(nread, 0));
	return nread;
}

gssize
iot_websocket_stream_read(IotWebsocketStream *self,
			  void *buffer,
			  gsize count,
			  gboolean blocking,
			  GCancellable *cancellable,
			  GError **error)
{
	gssize nread;

	if (!blocking && self->input_paused) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "input is paused");
		return -1;
	}
	if (iot_websocket_stream_ahead_left(self) == 0 && !blocking &&
	    count < IOT_WEBSOCKET_STREAM_READ_AHEAD) {
		nread = iot_websocket_stream_fill_ahead(self, cancellable, error);
		if (nread <= 0)
			return nread;
	}
	if (iot_websocket_stream_ahead_left(self) > 0) {
		nread = MIN(count, iot_websocket_stream_ahead_left(self));
		memcpy(buffer, self->ahead->data + self->ahead_offset, nread);
		self->ahead_offset += nread;
	} else if (blocking) {
		nread = g_input_stream_read(G_INPUT_STREAM(self->base_input),
					    buffer,
					    count,
					    cancellable,
					    error);
	} else {
		nread = g_pollable_input_stream_read_nonblocking(self->base_input,
								 buffer,
								 count,
								 cancellable,
								 error);
	}
	if (nread > 0 && !iot_websocket_stream_scan_input(self, buffer, nread, error))
		return -1;
	return nread;
}

gboolean
iot_websocket_stream_is_readable(IotWebsocketStream *self)
{
	if (self->input_paused)
		return FALSE;
	if (iot_websocket_stream_ahead_left(self) > 0)
		return TRUE;
	return g_pollable_input_stream_is_readable(self->base_input);
}

static gboolean
iot_websocket_input_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	IotWebsocketInputSource *self = (IotWebsocketInputSource *)source;
	GPollableSourceFunc func = (GPollableSourceFunc)(void (*)(void))callback;
	g_source_set_ready_time(source, -1);
	return func(G_OBJECT(self->stream->input), user_data);
}

static void
iot_websocket_input_source_finalize(GSource *source)
{
	IotWebsocketInputSource *self = (IotWebsocketInputSource *)source;
	g_ptr_array_remove_fast(self->stream->input_sources, self);
	g_clear_pointer(&self->child, g_source_unref);
	g_clear_object(&self->stream);
}

static GSourceFuncs iot_websocket_input_source_funcs = {
    .dispatch = iot_websocket_input_source_dispatch,
    .finalize = iot_websocket_input_source_finalize,
};

/* a source that fires when the network is readable, and never while paused */
GSource *
iot_websocket_stream_create_input_source(IotWebsocketStream *self, GCancellable *cancellable)
{
	GSource *source =
	    g_source_new(&iot_websocket_input_source_funcs, sizeof(IotWebsocketInputSource));
	IotWebsocketInputSource *input_source = (IotWebsocketInputSource *)source;

	g_source_set_static_name(source, "IotWebsocketStream input");
	input_source->stream = g_object_ref(self);
	g_ptr_array_add(self->input_sources, input_source);
	if (cancellable != NULL) {
		g_autoptr(GSource) cancellable_source = g_cancellable_source_new(cancellable);
		g_source_set_dummy_callback(cancellable_source);
		g_source_add_child_source(source, cancellable_source);
	}
	if (!self->input_paused) {
		iot_websocket_input_source_attach_child(input_source);
		if (iot_websocket_stream_ahead_left(self) > 0)
			g_source_set_ready_time(source, 0);
	}
	return source;
}

gssize
iot_websocket_stream_write(IotWebsocketStream *self,
			   const void *buffer,
			   gsize count,
			   gboolean blocking,
			   GCancellable *cancellable,
			   GError **error)
{
	gssize nwritten;

	if (self->control_error != NULL) {
		g_propagate_error(error, g_error_copy(self->control_error));
		return -1;
	}
	if (iot_websocket_stream_control_pending(self)) {
		if (blocking) {
			if (!g_output_stream_write_all(G_OUTPUT_STREAM(self->base_output),
						       self->control->data + self->control_sent,
						       self->control->len - self->control_sent,
						       NULL,
						       cancellable,
						       error))
				return -1;
			g_byte_array_set_size(self->control, 0);
			self->control_sent = 0;
		} else if (!iot_websocket_stream_flush_control(self, error)) {
			return -1;
		}
	}
	if (blocking) {
		nwritten = g_output_stream_write(G_OUTPUT_STREAM(self->base_output),
						 buffer,
						 count,
						 cancellable,
						 error);
	} else {
		nwritten = g_pollable_output_stream_write_nonblocking(self->base_output,
								      buffer,
								      count,
								      cancellable,
								      error);
	}
	if (nwritten > 0)
		iot_websocket_stream_scan_output(self, buffer, nwritten);
	if (iot_websocket_stream_control_pending(self))
		iot_websocket_stream_arm_control(self);
	return nwritten;
}

gboolean
iot_websocket_stream_is_writable(IotWebsocketStream *self)
{
	return g_pollable_output_stream_is_writable(self->base_output);
}

GSource *
iot_websocket_stream_create_output_source(IotWebsocketStream *self, GCancellable *cancellable)
{
	g_autoptr(GSource) base_source =
	    g_pollable_output_stream_create_source(self->base_output, NULL);
	return g_pollable_source_new_full(self->output, base_source, cancellable);
}

static GInputStream *
iot_websocket_stream_get_input_stream(GIOStream *stream)
{
	return IOT_WEBSOCKET_STREAM(stream)->input;
}

static GOutputStream *
iot_websocket_stream_get_output_stream(GIOStream *stream)
{
	return IOT_WEBSOCKET_STREAM(stream)->output;
}

static void
iot_websocket_stream_stop_control(IotWebsocketStream *self)
{
	if (self->control_source == NULL)
		return;
	g_source_destroy(self->control_source);
	g_clear_pointer(&self->control_source, g_source_unref);
}

/* a last chance for a close frame of ours; never waits for the network */
static void
iot_websocket_stream_flush_before_close(IotWebsocketStream *self)
{
	g_autoptr(GError) error_local = NULL;
	iot_websocket_stream_stop_control(self);
	if (iot_websocket_stream_control_pending(self) &&
	    !iot_websocket_stream_flush_control(self, &error_local))
		g_debug("control frame not sent before closing: %s", error_local->message);
}

static gboolean
iot_websocket_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(stream);
	iot_websocket_stream_flush_before_close(self);
	return g_io_stream_close(self->base, cancellable, error);
}

static void
iot_websocket_stream_close_base_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error = NULL;
	if (!g_io_stream_close_finish(G_IO_STREAM(source), result, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
iot_websocket_stream_close_async(GIOStream *stream,
				 int io_priority,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(stream);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, iot_websocket_stream_close_async);
	g_task_set_name(task, "IotWebsocketStream close");
	iot_websocket_stream_flush_before_close(self);
	g_io_stream_close_async(self->base,
				io_priority,
				cancellable,
				iot_websocket_stream_close_base_cb,
				g_steal_pointer(&task));
}

static gboolean
iot_websocket_stream_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, stream), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
iot_websocket_stream_dispose(GObject *object)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(object);
	iot_websocket_stream_stop_control(self);
	G_OBJECT_CLASS(iot_websocket_stream_parent_class)->dispose(object);
}

static void
iot_websocket_stream_finalize(GObject *object)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(object);
	g_clear_object(&self->input);
	g_clear_object(&self->output);
	g_clear_object(&self->base);
	g_clear_pointer(&self->ahead, g_byte_array_unref);
	g_clear_pointer(&self->control, g_byte_array_unref);
	g_clear_pointer(&self->input_sources, g_ptr_array_unref);
	g_clear_error(&self->control_error);
	G_OBJECT_CLASS(iot_websocket_stream_parent_class)->finalize(object);
}

static void
iot_websocket_stream_class_init(IotWebsocketStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GIOStreamClass *stream_class = G_IO_STREAM_CLASS(klass);

	object_class->dispose = iot_websocket_stream_dispose;
	object_class->finalize = iot_websocket_stream_finalize;
	stream_class->get_input_stream = iot_websocket_stream_get_input_stream;
	stream_class->get_output_stream = iot_websocket_stream_get_output_stream;
	stream_class->close_fn = iot_websocket_stream_close;
	stream_class->close_async = iot_websocket_stream_close_async;
	stream_class->close_finish = iot_websocket_stream_close_finish;

	/**
	 * IotWebsocketStream::progress:
	 * @self: the stream
	 *
	 * More payload of data frames was written to the network. Emitted from
	 * inside a write: a handler must not write.
	 */
	signals[SIGNAL_PROGRESS] = g_signal_new("progress",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						0);
	/**
	 * IotWebsocketStream::pong:
	 * @self: the stream
	 * @payload: the payload of a pong frame just read
	 *
	 * Emitted from inside a read.
	 */
	signals[SIGNAL_PONG] = g_signal_new("pong",
					    G_TYPE_FROM_CLASS(klass),
					    G_SIGNAL_RUN_LAST,
					    0,
					    NULL,
					    NULL,
					    NULL,
					    G_TYPE_NONE,
					    1,
					    G_TYPE_BYTES);
}

static void
iot_websocket_stream_init(IotWebsocketStream *self)
{
	self->input_sources = g_ptr_array_new();
	self->ahead = g_byte_array_new();
	self->control = g_byte_array_new();
	iot_websocket_frame_scan_reset(&self->in_scan);
	iot_websocket_frame_scan_reset(&self->out_scan);
}

/**
 * iot_websocket_stream_new:
 * @base: the connected network stream, pollable both ways
 * @prebuffer: (nullable): bytes already read from @base, to be read first
 * @max_incoming_message: the largest message the service may send, summed
 *   over its fragments
 *
 * Returns: (transfer full): a stream to hand to soup_websocket_connection_new()
 */
IotWebsocketStream *
iot_websocket_stream_new(GIOStream *base, GBytes *prebuffer, guint64 max_incoming_message)
{
	IotWebsocketStream *self;

	g_return_val_if_fail(G_IS_IO_STREAM(base), NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(base)), NULL);
	g_return_val_if_fail(G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(base)),
			     NULL);

	self = g_object_new(IOT_TYPE_WEBSOCKET_STREAM, NULL);
	self->base = g_object_ref(base);
	self->base_input = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(base));
	self->base_output = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(base));
	self->input = iot_websocket_input_stream_new(self);
	self->output = iot_websocket_output_stream_new(self);
	self->max_incoming_message = max_incoming_message;
	if (prebuffer != NULL)
		g_byte_array_append(self->ahead,
				    g_bytes_get_data(prebuffer, NULL),
				    g_bytes_get_size(prebuffer));
	return self;
}
