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
 * - data frames are written here, not by libsoup: libsoup 3.2 masks a
 *   client's frames one byte at a time and copies each payload into a
 *   frame of its own, where we mask 8 bytes at a time while building the
 *   frame, the one copy; the payload written is counted, which with what
 *   the transport handed over gives the send queue, and the "progress"
 *   signal says it moved;
 * - control frames of our own (a ping with our payload, a close with code
 *   1009 when libsoup drops the connection without one) go ahead of our
 *   data frames;
 * - our frames and libsoup's (now only its pongs and its close) go out
 *   whole, one after the other, never one inside another; libsoup's close
 *   waits until our frames are out, and nothing follows a close. A frame
 *   whose write would block is under way: over TLS, the record made of its
 *   bytes waits inside GnuTLS, and the next write must carry the same bytes;
 * - while libsoup cannot write a frame of its own (a pong: the service does
 *   not read), the network is not read either: each ping read would queue
 *   one more pong in libsoup, without bound, and libsoup 3.2 walks its
 *   whole queue for each, until the process does nothing else;
 * - libsoup 3.2 reads until a read would block, and a service that sends
 *   without pause never lets it: after %IOT_WEBSOCKET_STREAM_READ_BUDGET
 *   bytes in one dispatch, reads here would block, and the input source
 *   fires again at the next iteration, once the main loop ran the rest
 *   (a SIGTERM among them);
 * - a message from the service made of fragments cannot grow past the
 *   protocol's size: libsoup checks each frame, not their sum;
 * - the payload of each pong is reported by the "pong" signal: libsoup 3.2's
 *   own "pong" signal declares a GBytes but passes a GByteArray;
 * - bytes read past the HTTP handshake answer are read first;
 * - the network is read in large chunks: libsoup 3.2 reads 1 KiB at a time,
 *   and each read of a TLS stream takes its locks and a call into GnuTLS,
 *   so libsoup's small reads are served from memory instead.
 *
 * Of what libsoup writes and reads, only frame headers are looked at.
 */

#define IOT_WEBSOCKET_STREAM_CONTROL_MAX 4096	/* bytes of own control frames waiting */
#define IOT_WEBSOCKET_STREAM_WRITEV_MAX 16	/* our frames handed to the network at once */
#define IOT_WEBSOCKET_STREAM_READ_AHEAD 65536	/* the most read from the network at once */
#define IOT_WEBSOCKET_STREAM_READ_BUDGET 131072 /* the most libsoup reads in one dispatch */

/* one frame of ours, masked, as it goes on the wire */
typedef struct {
	guint8 *data;
	gsize len;
	gsize sent;
	guint8 header_len;
	guint8 opcode;
} IotWebsocketOutFrame;

/* what libsoup waits for, after we told it that its write would block */
typedef enum {
	IOT_WEBSOCKET_SOUP_WAITING_NONE,
	IOT_WEBSOCKET_SOUP_WAITING_FRAME, /* our frame under way to end */
	IOT_WEBSOCKET_SOUP_WAITING_CLOSE, /* all our frames to be out */
} IotWebsocketSoupWaiting;

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
	gboolean input_held;	  /* paused, or libsoup cannot write its pong */
	gsize read_budget;	  /* what libsoup may still read before the loop runs others */
	GPtrArray *input_sources; /* of IotWebsocketInputSource, not owned */
	IotWebsocketFrameScan in_scan;
	gboolean in_scan_failed; /* the service broke RFC 6455: libsoup closes */
	guint64 in_message_size;
	gboolean in_pong;
	guint8 in_pong_payload[125];
	gsize in_pong_len;
	guint64 max_incoming_message;

	IotWebsocketFrameScan out_scan; /* of libsoup's frames */
	GQueue out_frames;		/* of IotWebsocketOutFrame: control frames, then data */
	gsize out_control_len;		/* bytes of control frames in out_frames */
	IotWebsocketSoupWaiting soup_waiting;
	/* a write would block: its bytes may sit in the TLS layer, which then
	 * wants the same bytes again before any other (gnutls_record_send) */
	gboolean out_blocked;  /* our head frame's */
	gboolean soup_blocked; /* the first bytes of a frame of libsoup's */
	guint64 data_written;
	gboolean close_seen;	/* a close frame is queued or written */
	gboolean close_written; /* our close frame went out */
	GSource *out_source;
	GError *write_error;
	GSource *error_source;
};

G_DEFINE_FINAL_TYPE(IotWebsocketStream, iot_websocket_stream, G_TYPE_IO_STREAM)

enum { SIGNAL_PROGRESS, SIGNAL_PONG, SIGNAL_WRITE_ERROR, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

typedef struct {
	GSource source;
	IotWebsocketStream *stream;
	GSource *child;
} IotWebsocketInputSource;

/*
 * Follows the frames in bytes just read; FALSE when a message grows too
 * large. A frame that breaks RFC 6455 ends the scan: libsoup refuses it too,
 * and closes with 1002.
 */
static gboolean
iot_websocket_stream_scan_input(IotWebsocketStream *self,
				const guint8 *data,
				gsize len,
				GError **error)
{
	IotWebsocketFrameScan *scan = &self->in_scan;

	while (len > 0 && !self->in_scan_failed) {
		gsize take;
		if (scan->payload_left == 0) {
			g_autoptr(GError) local_error = NULL;
			switch (iot_websocket_frame_scan_header(scan, &data, &len, &local_error)) {
			case IOT_WEBSOCKET_FRAME_SCAN_MORE:
				return TRUE;
			case IOT_WEBSOCKET_FRAME_SCAN_ERROR:
				g_debug("no longer following the service's frames: %s",
					local_error->message);
				self->in_scan_failed = TRUE;
				return TRUE;
			case IOT_WEBSOCKET_FRAME_SCAN_HEADER:
				break;
			}
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_TEXT ||
			    scan->opcode == IOT_WEBSOCKET_OPCODE_BINARY)
				self->in_message_size = scan->payload_len;
			else if (scan->opcode == IOT_WEBSOCKET_OPCODE_CONTINUATION)
				self->in_message_size += scan->payload_len;
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_PONG) {
				self->in_pong = TRUE;
				self->in_pong_len = 0;
				if (scan->payload_len == 0) {
					g_autoptr(GBytes) payload = g_bytes_new(NULL, 0);
					self->in_pong = FALSE;
					g_signal_emit(self, signals[SIGNAL_PONG], 0, payload);
				}
			}
			if (!iot_websocket_opcode_is_control(scan->opcode) &&
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
		take = iot_websocket_frame_scan_take(scan, len);
		if (self->in_pong) {
			memcpy(self->in_pong_payload + self->in_pong_len, data, take);
			self->in_pong_len += take;
		}
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

static void
iot_websocket_out_frame_free(IotWebsocketOutFrame *frame)
{
	g_free(frame->data);
	g_free(frame);
}

/* a whole client frame: FIN, @opcode, a fresh mask key and @payload masked */
static IotWebsocketOutFrame *
iot_websocket_out_frame_new(guint8 opcode, const guint8 *payload, gsize payload_len)
{
	IotWebsocketOutFrame *frame = g_new0(IotWebsocketOutFrame, 1);
	guint32 key = g_random_int();
	const guint8 *key_bytes = (const guint8 *)&key;

	frame->opcode = opcode;
	frame->header_len = iot_websocket_frame_header_size(payload_len, TRUE);
	frame->len = frame->header_len + payload_len;
	frame->data = g_malloc(frame->len);
	iot_websocket_frame_write_header(frame->data, TRUE, opcode, payload_len, key_bytes);
	iot_websocket_mask_copy(frame->data + frame->header_len,
				payload,
				payload_len,
				key_bytes,
				0);
	return frame;
}

/* whether our first frame went out in part, or its write would block */
static gboolean
iot_websocket_stream_out_under_way(IotWebsocketStream *self)
{
	IotWebsocketOutFrame *frame = g_queue_peek_head(&self->out_frames);
	return frame != NULL && (frame->sent > 0 || self->out_blocked);
}

/* drops our frames not yet under way, control frames too unless @data_only */
static void
iot_websocket_stream_drop_unsent(IotWebsocketStream *self, gboolean data_only)
{
	GList *l = self->out_frames.head;
	if (iot_websocket_stream_out_under_way(self))
		l = l->next;
	while (l != NULL) {
		GList *next = l->next;
		IotWebsocketOutFrame *frame = l->data;
		gboolean control = iot_websocket_opcode_is_control(frame->opcode);
		if (!data_only || !control) {
			if (control)
				self->out_control_len -= frame->len;
			iot_websocket_out_frame_free(frame);
			g_queue_delete_link(&self->out_frames, l);
		}
		l = next;
	}
}

/* follows the frames in bytes libsoup just wrote, to know where they end */
static void
iot_websocket_stream_scan_output(IotWebsocketStream *self, const guint8 *data, gsize len)
{
	IotWebsocketFrameScan *scan = &self->out_scan;
	while (len > 0) {
		gsize take;
		if (scan->payload_left == 0) {
			/* libsoup's frames are followed, not judged */
			if (iot_websocket_frame_scan_header(scan, &data, &len, NULL) ==
			    IOT_WEBSOCKET_FRAME_SCAN_MORE)
				break;
			/* nothing may follow libsoup's close */
			if (scan->opcode == IOT_WEBSOCKET_OPCODE_CLOSE) {
				self->close_seen = TRUE;
				iot_websocket_stream_drop_unsent(self, FALSE);
			}
		}
		take = iot_websocket_frame_scan_take(scan, len);
		data += take;
		len -= take;
	}
}

/* counts @count bytes of our frames as written, from the head of the queue */
static void
iot_websocket_stream_advance_out(IotWebsocketStream *self, gsize count)
{
	guint64 data_before = self->data_written;

	while (count > 0) {
		IotWebsocketOutFrame *frame = g_queue_peek_head(&self->out_frames);
		gsize take = MIN(count, frame->len - frame->sent);
		if (!iot_websocket_opcode_is_control(frame->opcode)) {
			gsize payload_before = MAX(frame->sent, frame->header_len);
			gsize payload_after = MAX(frame->sent + take, frame->header_len);
			self->data_written += payload_after - payload_before;
		}
		frame->sent += take;
		count -= take;
		if (frame->sent < frame->len)
			break;
		g_queue_pop_head(&self->out_frames);
		if (iot_websocket_opcode_is_control(frame->opcode))
			self->out_control_len -= frame->len;
		if (frame->opcode == IOT_WEBSOCKET_OPCODE_CLOSE) {
			/* nothing may follow our close */
			self->close_written = TRUE;
			iot_websocket_stream_drop_unsent(self, FALSE);
		}
		iot_websocket_out_frame_free(frame);
	}
	if (self->data_written != data_before)
		g_signal_emit(self, signals[SIGNAL_PROGRESS], 0);
}

/*
 * Whether our next frame must wait: libsoup is waiting to write a frame of
 * its own (a pong), and ours under way has ended.
 */
static gboolean
iot_websocket_stream_out_yields(IotWebsocketStream *self)
{
	return self->soup_waiting == IOT_WEBSOCKET_SOUP_WAITING_FRAME &&
	       !iot_websocket_stream_out_under_way(self);
}

/* fills @vectors with what is left of our frames; returns how many */
static guint
iot_websocket_stream_out_vectors(IotWebsocketStream *self, GOutputVector *vectors)
{
	guint n = 0;
	for (GList *l = self->out_frames.head; l != NULL && n < IOT_WEBSOCKET_STREAM_WRITEV_MAX;
	     l = l->next) {
		IotWebsocketOutFrame *frame = l->data;
		vectors[n].buffer = frame->data + frame->sent;
		vectors[n].size = frame->len - frame->sent;
		n++;
		/* libsoup's frame goes next */
		if (self->soup_waiting == IOT_WEBSOCKET_SOUP_WAITING_FRAME)
			break;
	}
	return n;
}

/*
 * Writes our frames, at a boundary between libsoup's: FALSE with WOULD_BLOCK
 * or an error. TRUE once all are out, or ours under way is and libsoup
 * waits to write a frame.
 */
static gboolean
iot_websocket_stream_flush_out(IotWebsocketStream *self,
			       gboolean blocking,
			       GCancellable *cancellable,
			       GError **error)
{
	while (!g_queue_is_empty(&self->out_frames) && !iot_websocket_stream_out_yields(self)) {
		GOutputVector vectors[IOT_WEBSOCKET_STREAM_WRITEV_MAX];
		guint n = iot_websocket_stream_out_vectors(self, vectors);
		gsize written = 0;
		if (blocking) {
			if (!g_output_stream_writev(G_OUTPUT_STREAM(self->base_output),
						    vectors,
						    n,
						    &written,
						    cancellable,
						    error))
				return FALSE;
		} else {
			GPollableReturn ret =
			    g_pollable_output_stream_writev_nonblocking(self->base_output,
									vectors,
									n,
									&written,
									cancellable,
									error);
			if (ret == G_POLLABLE_RETURN_FAILED)
				return FALSE;
			if (ret == G_POLLABLE_RETURN_WOULD_BLOCK) {
				self->out_blocked = TRUE;
				g_set_error_literal(error,
						    G_IO_ERROR,
						    G_IO_ERROR_WOULD_BLOCK,
						    "the network takes no more");
				return FALSE;
			}
		}
		if (written > 0)
			self->out_blocked = FALSE;
		iot_websocket_stream_advance_out(self, written);
	}
	return TRUE;
}

static gboolean
iot_websocket_stream_out_pending(IotWebsocketStream *self)
{
	return !g_queue_is_empty(&self->out_frames) && !self->soup_blocked &&
	       iot_websocket_frame_scan_at_boundary(&self->out_scan);
}

static gboolean
iot_websocket_stream_write_error_cb(gpointer user_data)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(user_data);
	g_clear_pointer(&self->error_source, g_source_unref);
	g_signal_emit(self, signals[SIGNAL_WRITE_ERROR], 0, self->write_error);
	return G_SOURCE_REMOVE;
}

/* a write of our frames failed: drop them, and say so from the main loop */
static void
iot_websocket_stream_fail_write(IotWebsocketStream *self, GError *error)
{
	g_debug("failed to write a frame: %s", error->message);
	g_queue_clear_full(&self->out_frames, (GDestroyNotify)iot_websocket_out_frame_free);
	self->out_control_len = 0;
	if (self->write_error != NULL) {
		g_error_free(error);
		return;
	}
	self->write_error = error;
	self->error_source = g_idle_source_new();
	g_source_set_static_name(self->error_source, "IotWebsocketStream write error");
	g_source_set_callback(self->error_source, iot_websocket_stream_write_error_cb, self, NULL);
	g_source_attach(self->error_source, g_main_context_get_thread_default());
}

static void
iot_websocket_stream_arm_out(IotWebsocketStream *self);

/* writes our frames without blocking; waits for the network when it is full */
static void
iot_websocket_stream_write_out(IotWebsocketStream *self)
{
	g_autoptr(GError) error_local = NULL;

	if (!iot_websocket_stream_out_pending(self))
		return;
	if (iot_websocket_stream_flush_out(self, FALSE, NULL, &error_local))
		return;
	if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		iot_websocket_stream_arm_out(self);
		return;
	}
	iot_websocket_stream_fail_write(self, g_steal_pointer(&error_local));
}

static gboolean
iot_websocket_stream_out_cb(GObject *pollable, gpointer user_data)
{
	IotWebsocketStream *self = IOT_WEBSOCKET_STREAM(user_data);
	g_clear_pointer(&self->out_source, g_source_unref);
	iot_websocket_stream_write_out(self);
	return G_SOURCE_REMOVE;
}

/* waits for the network to take our frames */
static void
iot_websocket_stream_arm_out(IotWebsocketStream *self)
{
	if (self->out_source != NULL)
		return;
	self->out_source = g_pollable_output_stream_create_source(self->base_output, NULL);
	g_source_set_static_name(self->out_source, "IotWebsocketStream output");
	g_source_set_callback(self->out_source,
			      G_SOURCE_FUNC(iot_websocket_stream_out_cb),
			      self,
			      NULL);
	g_source_attach(self->out_source, g_main_context_get_thread_default());
}

/* where a control frame goes: after the frame under way and the control frames queued */
static GList *
iot_websocket_stream_control_position(IotWebsocketStream *self)
{
	GList *l = self->out_frames.head;
	if (iot_websocket_stream_out_under_way(self))
		l = l->next;
	while (l != NULL &&
	       iot_websocket_opcode_is_control(((IotWebsocketOutFrame *)l->data)->opcode))
		l = l->next;
	return l;
}

/**
 * iot_websocket_stream_send_control:
 * @self: a stream
 * @opcode: %IOT_WEBSOCKET_OPCODE_PING, or %IOT_WEBSOCKET_OPCODE_CLOSE
 * @payload: (array length=payload_len): the payload, at most 125 bytes
 * @payload_len: its length
 *
 * Sends a masked control frame ahead of our data frames not yet begun, at
 * the next boundary between two frames, from the main loop. After a close,
 * our data frames not yet begun are dropped.
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
	IotWebsocketOutFrame *frame;

	g_return_val_if_fail(IOT_IS_WEBSOCKET_STREAM(self), FALSE);
	g_return_val_if_fail(iot_websocket_opcode_is_control(opcode), FALSE);
	g_return_val_if_fail(payload_len <= 125, FALSE);

	if (self->close_seen || self->write_error != NULL ||
	    g_io_stream_is_closed(G_IO_STREAM(self)))
		return FALSE;
	if (self->out_control_len + 6 + payload_len > IOT_WEBSOCKET_STREAM_CONTROL_MAX)
		return FALSE;

	frame = iot_websocket_out_frame_new(opcode, payload, payload_len);
	g_queue_insert_before(&self->out_frames,
			      iot_websocket_stream_control_position(self),
			      frame);
	self->out_control_len += frame->len;
	if (opcode == IOT_WEBSOCKET_OPCODE_CLOSE) {
		self->close_seen = TRUE;
		iot_websocket_stream_drop_unsent(self, TRUE);
	}
	if (iot_websocket_stream_out_pending(self))
		iot_websocket_stream_arm_out(self);
	return TRUE;
}

/**
 * iot_websocket_stream_send_data:
 * @self: a stream
 * @payload: the message, one binary frame
 *
 * Queues @payload as one masked binary frame, behind the frames of ours
 * already queued, and writes what the network takes at once. A write error
 * is told by the "write-error" signal, from the main loop.
 *
 * Returns: %FALSE when the frame was not queued: a close is under way, or
 * the connection failed or is closed
 */
gboolean
iot_websocket_stream_send_data(IotWebsocketStream *self, GBytes *payload)
{
	gsize len = 0;
	const guint8 *data;

	g_return_val_if_fail(IOT_IS_WEBSOCKET_STREAM(self), FALSE);
	g_return_val_if_fail(payload != NULL, FALSE);

	if (self->close_seen || self->write_error != NULL ||
	    g_io_stream_is_closed(G_IO_STREAM(self)))
		return FALSE;
	data = g_bytes_get_data(payload, &len);
	g_queue_push_tail(&self->out_frames,
			  iot_websocket_out_frame_new(IOT_WEBSOCKET_OPCODE_BINARY, data, len));
	if (self->out_source == NULL)
		iot_websocket_stream_write_out(self);
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

/*
 * Takes the input sources off the network while input is paused or libsoup
 * waits to write a frame, and wakes them when both are over.
 */
static void
iot_websocket_stream_update_input(IotWebsocketStream *self)
{
	gboolean held = self->input_paused || self->soup_blocked ||
			self->soup_waiting == IOT_WEBSOCKET_SOUP_WAITING_FRAME;

	if (self->input_held == held)
		return;
	self->input_held = held;
	for (guint i = 0; i < self->input_sources->len; i++) {
		IotWebsocketInputSource *source = g_ptr_array_index(self->input_sources, i);
		if (held) {
			iot_websocket_input_source_remove_child(source);
		} else if (!g_source_is_destroyed((GSource *)source)) {
			iot_websocket_input_source_attach_child(source);
			g_source_set_ready_time((GSource *)source, 0);
		}
	}
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
	self->input_paused = paused;
	iot_websocket_stream_update_input(self);
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

	if (!blocking && self->input_held) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "input is paused");
		return -1;
	}
	if (!blocking && self->read_budget == 0) {
		for (guint i = 0; i < self->input_sources->len; i++)
			g_source_set_ready_time(g_ptr_array_index(self->input_sources, i), 0);
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_WOULD_BLOCK,
				    "read enough for one dispatch");
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
	if (nread > 0 && !blocking)
		self->read_budget -= MIN((gsize)nread, self->read_budget);
	return nread;
}

gboolean
iot_websocket_stream_is_readable(IotWebsocketStream *self)
{
	if (self->input_held)
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
	self->stream->read_budget = IOT_WEBSOCKET_STREAM_READ_BUDGET;
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
	if (!self->input_held) {
		iot_websocket_input_source_attach_child(input_source);
		if (iot_websocket_stream_ahead_left(self) > 0)
			g_source_set_ready_time(source, 0);
	}
	return source;
}

/* before libsoup begins a frame: our frame under way ends first, and all ours before its close */
static gboolean
iot_websocket_stream_out_before_soup(IotWebsocketStream *self,
				     const guint8 *soup_frame,
				     gboolean blocking,
				     GCancellable *cancellable,
				     GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if ((soup_frame[0] & 0x0f) == IOT_WEBSOCKET_OPCODE_CLOSE)
		self->soup_waiting = IOT_WEBSOCKET_SOUP_WAITING_CLOSE;
	else
		self->soup_waiting = IOT_WEBSOCKET_SOUP_WAITING_FRAME;
	if (iot_websocket_stream_flush_out(self, blocking, cancellable, &error_local))
		return TRUE;
	iot_websocket_stream_update_input(self);
	if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		iot_websocket_stream_fail_write(self, g_error_copy(error_local));
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

gssize
iot_websocket_stream_write(IotWebsocketStream *self,
			   const void *buffer,
			   gsize count,
			   gboolean blocking,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(GError) error_local = NULL;
	gssize nwritten;

	if (self->write_error != NULL) {
		g_propagate_error(error, g_error_copy(self->write_error));
		return -1;
	}
	if (count > 0 && iot_websocket_stream_out_pending(self) &&
	    !iot_websocket_stream_out_before_soup(self, buffer, blocking, cancellable, error))
		return -1;
	self->soup_waiting = IOT_WEBSOCKET_SOUP_WAITING_NONE;
	/* nothing may follow our close: libsoup's frames are dropped */
	if (self->close_written)
		return count;
	if (blocking) {
		nwritten = g_output_stream_write(G_OUTPUT_STREAM(self->base_output),
						 buffer,
						 count,
						 cancellable,
						 &error_local);
	} else {
		nwritten = g_pollable_output_stream_write_nonblocking(self->base_output,
								      buffer,
								      count,
								      cancellable,
								      &error_local);
	}
	if (nwritten > 0) {
		self->soup_blocked = FALSE;
		iot_websocket_stream_scan_output(self, buffer, nwritten);
	} else if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK) &&
		   iot_websocket_frame_scan_at_boundary(&self->out_scan)) {
		/* libsoup writes this frame again before anything of ours */
		self->soup_blocked = TRUE;
	}
	iot_websocket_stream_update_input(self);
	if (error_local != NULL)
		g_propagate_error(error, g_steal_pointer(&error_local));
	if (iot_websocket_stream_out_pending(self))
		iot_websocket_stream_arm_out(self);
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
iot_websocket_stream_stop_out(IotWebsocketStream *self)
{
	if (self->out_source == NULL)
		return;
	g_source_destroy(self->out_source);
	g_clear_pointer(&self->out_source, g_source_unref);
}

/*
 * A last chance for our frame under way and our control frames, a close
 * among them; data frames not begun are dropped. Never waits for the network.
 */
static void
iot_websocket_stream_flush_before_close(IotWebsocketStream *self)
{
	g_autoptr(GError) error_local = NULL;

	iot_websocket_stream_stop_out(self);
	iot_websocket_stream_drop_unsent(self, TRUE);
	self->soup_waiting = IOT_WEBSOCKET_SOUP_WAITING_NONE;
	iot_websocket_stream_update_input(self);
	if (iot_websocket_stream_out_pending(self) &&
	    !iot_websocket_stream_flush_out(self, FALSE, NULL, &error_local))
		g_debug("frames not sent before closing: %s", error_local->message);
	g_queue_clear_full(&self->out_frames, (GDestroyNotify)iot_websocket_out_frame_free);
	self->out_control_len = 0;
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
	iot_websocket_stream_stop_out(self);
	if (self->error_source != NULL) {
		g_source_destroy(self->error_source);
		g_clear_pointer(&self->error_source, g_source_unref);
	}
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
	g_queue_clear_full(&self->out_frames, (GDestroyNotify)iot_websocket_out_frame_free);
	g_clear_pointer(&self->input_sources, g_ptr_array_unref);
	g_clear_error(&self->write_error);
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
	 * inside a write, iot_websocket_stream_send_data() among them: a handler
	 * must not write.
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
	/**
	 * IotWebsocketStream::write-error:
	 * @self: the stream
	 * @error: why a write of our frames failed
	 *
	 * Emitted once, from the main loop; the stream writes nothing more.
	 */
	signals[SIGNAL_WRITE_ERROR] = g_signal_new("write-error",
						   G_TYPE_FROM_CLASS(klass),
						   G_SIGNAL_RUN_LAST,
						   0,
						   NULL,
						   NULL,
						   NULL,
						   G_TYPE_NONE,
						   1,
						   G_TYPE_ERROR);
}

static void
iot_websocket_stream_init(IotWebsocketStream *self)
{
	self->input_sources = g_ptr_array_new();
	self->read_budget = IOT_WEBSOCKET_STREAM_READ_BUDGET;
	self->ahead = g_byte_array_new();
	g_queue_init(&self->out_frames);
	iot_websocket_frame_scan_init(&self->in_scan, IOT_WEBSOCKET_FRAME_FROM_SERVER);
	iot_websocket_frame_scan_init(&self->out_scan, IOT_WEBSOCKET_FRAME_FROM_CLIENT);
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
