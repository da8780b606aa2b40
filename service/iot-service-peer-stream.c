/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-peer-stream.h"

#include <string.h>

#include "iot-service-common.h"

/*
 * The connection of one peer after the upgrade, as libsoup's WebSocket sees
 * it. libsoup 3.2 reads 1 KiB at a time, moves what follows each frame to
 * the front of its buffer and unmasks a byte at a time: for the bulk of the
 * data, the service's largest cost. So the service reads the peer itself:
 *
 * - the network is read in large chunks, each frame header is scanned
 *   (iot-websocket-frame) and shown to the owner first, which takes the
 *   frame, skips its payload or refuses it (reading then stops for good,
 *   and libsoup never sees it);
 * - a data frame's payload is unmasked a word at a time while it is copied
 *   into its message, the one copy; each whole message goes to the owner;
 * - control frames (ping, pong, close) go to libsoup as they came, so that
 *   it answers pings, and does the close handshake; it reads nothing else;
 * - after IOT_SERVICE_READ_TURN bytes in one dispatch, the rest of the main
 *   loop runs before the peer is read again;
 * - while paused, nothing more is read or taken apart, and TCP pushes back.
 *
 * What libsoup writes goes to the network as it is, through an
 * IotPausableIOStream that counts it (iot_service_peer_stream_get_counted()).
 */

#define IOT_SERVICE_PEER_STREAM_READ_SIZE 65536

/* what is done with the payload of the current frame */
typedef enum {
	IOT_SERVICE_PEER_FRAME_DATA,	/* into the message */
	IOT_SERVICE_PEER_FRAME_SKIP,	/* nowhere */
	IOT_SERVICE_PEER_FRAME_CONTROL, /* to libsoup, as it came */
} IotServicePeerFrameUse;

struct _IotServicePeerStream {
	GIOStream parent_instance;
	IotPausableIOStream *counted; /* over the network: libsoup writes through it, counted */
	GPollableInputStream *base_input;
	GInputStream *input;
	IotServicePeerStreamFuncs funcs;
	gpointer user_data;

	GSource *read_source; /* on the network, or the next turn */
	gboolean paused;
	gboolean stopped;  /* a frame refused or broken, or the stream closed */
	gboolean draining; /* read on to the end, taking nothing apart */
	gboolean end;	   /* the network said end of stream, or failed */
	GError *read_error;
	guint8 *in; /* read from the network, taken apart from in_offset */
	gsize in_len;
	gsize in_offset;
	IotWebsocketFrameScan scan;
	IotServicePeerFrameUse frame_use;
	GByteArray *message; /* the data message being gathered */
	guint8 message_opcode;

	GByteArray *control; /* control frames for libsoup, from control_offset */
	gsize control_offset;
	GPtrArray *wakes; /* of GSource: libsoup's, waiting for input */
};

G_DEFINE_FINAL_TYPE(IotServicePeerStream, iot_service_peer_stream, G_TYPE_IO_STREAM)

/* the input libsoup reads; private to this file */

#define IOT_TYPE_SERVICE_PEER_INPUT (iot_service_peer_input_get_type())
G_DECLARE_FINAL_TYPE(IotServicePeerInput,
		     iot_service_peer_input,
		     IOT,
		     SERVICE_PEER_INPUT,
		     GInputStream)

struct _IotServicePeerInput {
	GInputStream parent_instance;
	IotServicePeerStream *owner; /* weak */
};

static void
iot_service_peer_input_pollable_iface_init(GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotServicePeerInput,
			      iot_service_peer_input,
			      G_TYPE_INPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
						    iot_service_peer_input_pollable_iface_init))

static void
iot_service_peer_stream_schedule(IotServicePeerStream *self);

static gsize
iot_service_peer_stream_control_left(IotServicePeerStream *self)
{
	return self->control->len - self->control_offset;
}

/* whether libsoup has something to read: a control frame, or the end */
static gboolean
iot_service_peer_stream_readable(IotServicePeerStream *self)
{
	return iot_service_peer_stream_control_left(self) > 0 || self->end;
}

static void
iot_service_peer_stream_wake(IotServicePeerStream *self)
{
	for (guint i = 0; i < self->wakes->len; i++) {
		GSource *wake = g_ptr_array_index(self->wakes, i);
		if (!g_source_is_destroyed(wake))
			g_source_set_ready_time(wake, 0);
	}
	g_ptr_array_set_size(self->wakes, 0);
}

static void
iot_service_peer_stream_clear_read_source(IotServicePeerStream *self)
{
	if (self->read_source == NULL)
		return;
	g_source_destroy(self->read_source);
	g_clear_pointer(&self->read_source, g_source_unref);
}

/* the message gathered so far is whole: to the owner */
static void
iot_service_peer_stream_deliver(IotServicePeerStream *self)
{
	g_autoptr(GBytes) payload = g_byte_array_free_to_bytes(g_steal_pointer(&self->message));

	if (self->funcs.message != NULL)
		self->funcs.message(self->message_opcode, payload, self->user_data);
}

/* the frame's payload is all taken */
static void
iot_service_peer_stream_end_frame(IotServicePeerStream *self)
{
	if (iot_websocket_opcode_is_control(self->scan.opcode)) {
		iot_service_peer_stream_wake(self);
		return;
	}
	if (!self->scan.fin)
		return;
	if (self->frame_use == IOT_SERVICE_PEER_FRAME_DATA && self->message != NULL)
		iot_service_peer_stream_deliver(self);
	else
		g_clear_pointer(&self->message, g_byte_array_unref);
}

/* a whole header: what becomes of the frame; FALSE once reading stops */
static gboolean
iot_service_peer_stream_begin_frame(IotServicePeerStream *self)
{
	IotWebsocketFrameScan *scan = &self->scan;
	IotServicePeerVerdict verdict = self->funcs.frame != NULL
					    ? self->funcs.frame(scan, self->user_data)
					    : IOT_SERVICE_PEER_VERDICT_REFUSE;

	if (verdict == IOT_SERVICE_PEER_VERDICT_REFUSE) {
		self->stopped = TRUE;
		return FALSE;
	}
	if (iot_websocket_opcode_is_control(scan->opcode)) {
		gsize at = self->control->len;
		g_byte_array_set_size(self->control, at + IOT_WEBSOCKET_FRAME_HEADER_MAX);
		at += iot_websocket_frame_write_header(self->control->data + at,
						       scan->fin,
						       scan->opcode,
						       scan->payload_len,
						       scan->masked ? scan->mask_key : NULL);
		g_byte_array_set_size(self->control, at);
		self->frame_use = IOT_SERVICE_PEER_FRAME_CONTROL;
	} else if (verdict == IOT_SERVICE_PEER_VERDICT_TAKE) {
		if (scan->opcode != IOT_WEBSOCKET_OPCODE_CONTINUATION) {
			g_clear_pointer(&self->message, g_byte_array_unref);
			self->message = g_byte_array_sized_new(scan->payload_len);
			self->message_opcode = scan->opcode;
		}
		self->frame_use = self->message != NULL ? IOT_SERVICE_PEER_FRAME_DATA
							: IOT_SERVICE_PEER_FRAME_SKIP;
	} else {
		g_clear_pointer(&self->message, g_byte_array_unref);
		self->frame_use = IOT_SERVICE_PEER_FRAME_SKIP;
	}
	if (scan->payload_len == 0)
		iot_service_peer_stream_end_frame(self);
	return TRUE;
}

/* takes payload bytes of the current frame from @data */
static gsize
iot_service_peer_stream_take_payload(IotServicePeerStream *self, const guint8 *data, gsize len)
{
	IotWebsocketFrameScan *scan = &self->scan;
	guint64 offset = scan->payload_len - scan->payload_left;
	gsize take = iot_websocket_frame_scan_take(scan, len);
	GByteArray *to = NULL;

	if (self->frame_use == IOT_SERVICE_PEER_FRAME_DATA)
		to = self->message;
	else if (self->frame_use == IOT_SERVICE_PEER_FRAME_CONTROL)
		to = self->control;
	if (to != NULL) {
		gsize at = to->len;
		g_byte_array_set_size(to, at + take);
		/* control frames stay masked: libsoup unmasks them */
		if (to == self->message)
			iot_websocket_mask_copy(to->data + at, data, take, scan->mask_key, offset);
		else
			memcpy(to->data + at, data, take);
	}
	if (scan->payload_left == 0)
		iot_service_peer_stream_end_frame(self);
	return take;
}

/* takes apart what was read, until it is all taken, or reading pauses or stops */
static void
iot_service_peer_stream_take_apart(IotServicePeerStream *self)
{
	while (self->in_offset < self->in_len && !self->paused && !self->stopped) {
		const guint8 *data = self->in + self->in_offset;
		gsize len = self->in_len - self->in_offset;
		g_autoptr(GError) error = NULL;

		if (self->scan.payload_left > 0) {
			self->in_offset += iot_service_peer_stream_take_payload(self, data, len);
			continue;
		}
		switch (iot_websocket_frame_scan_header(&self->scan, &data, &len, &error)) {
		case IOT_WEBSOCKET_FRAME_SCAN_MORE:
			self->in_offset = self->in_len;
			break;
		case IOT_WEBSOCKET_FRAME_SCAN_ERROR:
			self->stopped = TRUE;
			if (self->funcs.broken != NULL)
				self->funcs.broken(error, self->user_data);
			return;
		case IOT_WEBSOCKET_FRAME_SCAN_HEADER:
			self->in_offset = self->in_len - len;
			if (!iot_service_peer_stream_begin_frame(self))
				return;
			break;
		}
	}
}

/* reads and takes apart up to a turn's worth; the main loop runs between turns */
static gboolean
iot_service_peer_stream_read_cb(gpointer user_data)
{
	g_autoptr(IotServicePeerStream) self = g_object_ref(IOT_SERVICE_PEER_STREAM(user_data));
	gsize read_turn = 0;

	iot_service_peer_stream_clear_read_source(self);
	while (!self->end && !self->paused && (self->draining || !self->stopped)) {
		g_autoptr(GError) error = NULL;
		gssize n;

		if (!self->draining && self->in_offset < self->in_len) {
			iot_service_peer_stream_take_apart(self);
			continue;
		}
		if (read_turn >= IOT_SERVICE_READ_TURN)
			break;
		n = g_pollable_input_stream_read_nonblocking(self->base_input,
							     self->in,
							     IOT_SERVICE_PEER_STREAM_READ_SIZE,
							     NULL,
							     &error);
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			break;
		if (n <= 0) {
			self->end = TRUE;
			self->read_error = g_steal_pointer(&error);
			iot_service_peer_stream_wake(self);
			break;
		}
		self->in_len = self->draining ? 0 : (gsize)n;
		self->in_offset = 0;
		read_turn += n;
	}
	/* a source attached now is dispatched at the next turn of the main loop at the earliest */
	iot_service_peer_stream_schedule(self);
	return G_SOURCE_REMOVE;
}

static gboolean
iot_service_peer_stream_readable_cb(GObject *base_input, gpointer user_data)
{
	return iot_service_peer_stream_read_cb(user_data);
}

/* waits for the network, or the next turn, when there is reading to do */
static void
iot_service_peer_stream_schedule(IotServicePeerStream *self)
{
	if (self->read_source != NULL || self->paused || self->end ||
	    (self->stopped && !self->draining))
		return;
	if (!self->draining && self->in_offset < self->in_len) {
		self->read_source = g_idle_source_new();
		g_source_set_priority(self->read_source, G_PRIORITY_DEFAULT);
		g_source_set_callback(self->read_source,
				      iot_service_peer_stream_read_cb,
				      self,
				      NULL);
	} else {
		self->read_source = g_pollable_input_stream_create_source(self->base_input, NULL);
		g_source_set_callback(self->read_source,
				      G_SOURCE_FUNC(iot_service_peer_stream_readable_cb),
				      self,
				      NULL);
	}
	g_source_set_static_name(self->read_source, "IotServicePeerStream read");
	g_source_attach(self->read_source, NULL);
}

/* the input: control frames, then the end */

static gssize
iot_service_peer_input_read_nonblocking(GPollableInputStream *stream,
					void *buffer,
					gsize count,
					GError **error)
{
	IotServicePeerInput *input = IOT_SERVICE_PEER_INPUT(stream);
	IotServicePeerStream *self = input->owner;
	gsize n;

	if (self == NULL)
		return 0;
	n = MIN(count, iot_service_peer_stream_control_left(self));
	if (n > 0) {
		memcpy(buffer, self->control->data + self->control_offset, n);
		self->control_offset += n;
		if (self->control_offset == self->control->len) {
			g_byte_array_set_size(self->control, 0);
			self->control_offset = 0;
		}
		return n;
	}
	if (self->read_error != NULL) {
		g_propagate_error(error, g_error_copy(self->read_error));
		return -1;
	}
	if (self->end)
		return 0;
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "no control frame waiting");
	return -1;
}

static gssize
iot_service_peer_input_read(GInputStream *stream,
			    void *buffer,
			    gsize count,
			    GCancellable *cancellable,
			    GError **error)
{
	return iot_service_peer_input_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream),
						       buffer,
						       count,
						       error);
}

static gboolean
iot_service_peer_input_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	/* the network is closed with the base stream, by the owner */
	return TRUE;
}

static gboolean
iot_service_peer_input_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
iot_service_peer_input_is_readable(GPollableInputStream *stream)
{
	IotServicePeerInput *input = IOT_SERVICE_PEER_INPUT(stream);
	return input->owner == NULL || iot_service_peer_stream_readable(input->owner);
}

/*
 * The child of a source handed to libsoup: a timeout that in practice never
 * expires, woken by setting its ready time.
 */
static GSource *
iot_service_peer_input_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	IotServicePeerInput *input = IOT_SERVICE_PEER_INPUT(stream);
	g_autoptr(GSource) child = g_timeout_source_new(G_MAXUINT);

	g_source_set_static_name(child, "IotServicePeerStream wake");
	if (iot_service_peer_input_is_readable(stream)) {
		g_source_set_ready_time(child, 0);
	} else {
		GPtrArray *wakes = input->owner->wakes;
		for (guint i = wakes->len; i > 0; i--) {
			if (g_source_is_destroyed(g_ptr_array_index(wakes, i - 1)))
				g_ptr_array_remove_index_fast(wakes, i - 1);
		}
		g_ptr_array_add(wakes, g_source_ref(child));
	}
	return g_pollable_source_new_full(stream, child, cancellable);
}

static void
iot_service_peer_input_pollable_iface_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = iot_service_peer_input_can_poll;
	iface->is_readable = iot_service_peer_input_is_readable;
	iface->create_source = iot_service_peer_input_create_source;
	iface->read_nonblocking = iot_service_peer_input_read_nonblocking;
}

static void
iot_service_peer_input_finalize(GObject *object)
{
	IotServicePeerInput *self = IOT_SERVICE_PEER_INPUT(object);
	if (self->owner != NULL)
		g_object_remove_weak_pointer(G_OBJECT(self->owner), (gpointer *)&self->owner);
	G_OBJECT_CLASS(iot_service_peer_input_parent_class)->finalize(object);
}

static void
iot_service_peer_input_class_init(IotServicePeerInputClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GInputStreamClass *input_class = G_INPUT_STREAM_CLASS(klass);
	object_class->finalize = iot_service_peer_input_finalize;
	input_class->read_fn = iot_service_peer_input_read;
	input_class->close_fn = iot_service_peer_input_close;
}

static void
iot_service_peer_input_init(IotServicePeerInput *self)
{
}

/* the stream itself */

/**
 * iot_service_peer_stream_new:
 * @base: the peer's connection after the 101 answer, pollable both ways
 * @funcs: what to call with the frames read
 * @user_data: for @funcs
 *
 * Starts reading @base.
 *
 * Returns: (transfer full): the stream to run libsoup's WebSocket on
 */
IotServicePeerStream *
iot_service_peer_stream_new(GIOStream *base,
			    const IotServicePeerStreamFuncs *funcs,
			    gpointer user_data)
{
	IotServicePeerStream *self = g_object_new(IOT_TYPE_SERVICE_PEER_STREAM, NULL);
	IotServicePeerInput *input = g_object_new(IOT_TYPE_SERVICE_PEER_INPUT, NULL);

	self->counted = iot_pausable_io_stream_new(base);
	self->base_input = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(base));
	self->funcs = *funcs;
	self->user_data = user_data;
	input->owner = self;
	g_object_add_weak_pointer(G_OBJECT(self), (gpointer *)&input->owner);
	self->input = G_INPUT_STREAM(input);
	iot_service_peer_stream_schedule(self);
	return self;
}

/**
 * iot_service_peer_stream_set_read_paused:
 * @self: a stream
 * @paused: whether to stop reading the peer
 *
 * While paused, nothing more is read from the network or taken apart.
 */
void
iot_service_peer_stream_set_read_paused(IotServicePeerStream *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_SERVICE_PEER_STREAM(self));

	paused = !!paused;
	if (self->paused == paused)
		return;
	self->paused = paused;
	if (paused)
		iot_service_peer_stream_clear_read_source(self);
	else
		iot_service_peer_stream_schedule(self);
}

/**
 * iot_service_peer_stream_get_counted:
 * @self: a stream
 *
 * Returns: (transfer none): the stream libsoup writes through, whose
 *   ::written follows each write
 */
IotPausableIOStream *
iot_service_peer_stream_get_counted(IotServicePeerStream *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER_STREAM(self), NULL);
	return self->counted;
}

/**
 * iot_service_peer_stream_get_bytes_written:
 * @self: a stream
 *
 * Returns: the bytes libsoup wrote that reached the network
 */
guint64
iot_service_peer_stream_get_bytes_written(IotServicePeerStream *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER_STREAM(self), 0);
	return iot_pausable_io_stream_get_bytes_written(self->counted);
}

/**
 * iot_service_peer_stream_read_to_end:
 * @self: a stream
 *
 * Reads on, paused or not, throwing away what is read, until the network
 * ends or fails; libsoup then sees the end. For a peer that is cut off.
 */
void
iot_service_peer_stream_read_to_end(IotServicePeerStream *self)
{
	g_return_if_fail(IOT_IS_SERVICE_PEER_STREAM(self));

	self->draining = TRUE;
	self->paused = FALSE;
	iot_service_peer_stream_schedule(self);
}

/**
 * iot_service_peer_stream_detach:
 * @self: a stream
 *
 * Nothing more is called: the owner is going. Reading stops.
 */
void
iot_service_peer_stream_detach(IotServicePeerStream *self)
{
	g_return_if_fail(IOT_IS_SERVICE_PEER_STREAM(self));

	memset(&self->funcs, 0, sizeof(self->funcs));
	self->stopped = TRUE;
	self->draining = FALSE;
	iot_service_peer_stream_clear_read_source(self);
}

static GInputStream *
iot_service_peer_stream_get_input_stream(GIOStream *stream)
{
	return IOT_SERVICE_PEER_STREAM(stream)->input;
}

static GOutputStream *
iot_service_peer_stream_get_output_stream(GIOStream *stream)
{
	return g_io_stream_get_output_stream(G_IO_STREAM(IOT_SERVICE_PEER_STREAM(stream)->counted));
}

static gboolean
iot_service_peer_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	IotServicePeerStream *self = IOT_SERVICE_PEER_STREAM(stream);

	self->stopped = TRUE;
	self->draining = FALSE;
	iot_service_peer_stream_clear_read_source(self);
	return g_io_stream_close(G_IO_STREAM(self->counted), cancellable, error);
}

static void
iot_service_peer_stream_close_cb(GObject *source, GAsyncResult *result, gpointer user_data)
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
iot_service_peer_stream_close_async(GIOStream *stream,
				    int io_priority,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	IotServicePeerStream *self = IOT_SERVICE_PEER_STREAM(stream);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, iot_service_peer_stream_close_async);
	g_task_set_name(task, "IotServicePeerStream close");
	self->stopped = TRUE;
	self->draining = FALSE;
	iot_service_peer_stream_clear_read_source(self);
	g_io_stream_close_async(G_IO_STREAM(self->counted),
				io_priority,
				cancellable,
				iot_service_peer_stream_close_cb,
				g_steal_pointer(&task));
}

static gboolean
iot_service_peer_stream_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, stream), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
iot_service_peer_stream_dispose(GObject *object)
{
	IotServicePeerStream *self = IOT_SERVICE_PEER_STREAM(object);

	iot_service_peer_stream_clear_read_source(self);
	G_OBJECT_CLASS(iot_service_peer_stream_parent_class)->dispose(object);
}

static void
iot_service_peer_stream_finalize(GObject *object)
{
	IotServicePeerStream *self = IOT_SERVICE_PEER_STREAM(object);

	g_clear_object(&self->input);
	g_clear_object(&self->counted);
	g_clear_error(&self->read_error);
	g_clear_pointer(&self->message, g_byte_array_unref);
	g_byte_array_unref(self->control);
	g_ptr_array_unref(self->wakes);
	g_free(self->in);
	G_OBJECT_CLASS(iot_service_peer_stream_parent_class)->finalize(object);
}

static void
iot_service_peer_stream_class_init(IotServicePeerStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GIOStreamClass *stream_class = G_IO_STREAM_CLASS(klass);

	object_class->dispose = iot_service_peer_stream_dispose;
	object_class->finalize = iot_service_peer_stream_finalize;
	stream_class->get_input_stream = iot_service_peer_stream_get_input_stream;
	stream_class->get_output_stream = iot_service_peer_stream_get_output_stream;
	stream_class->close_fn = iot_service_peer_stream_close;
	stream_class->close_async = iot_service_peer_stream_close_async;
	stream_class->close_finish = iot_service_peer_stream_close_finish;
}

static void
iot_service_peer_stream_init(IotServicePeerStream *self)
{
	self->in = g_malloc(IOT_SERVICE_PEER_STREAM_READ_SIZE);
	self->control = g_byte_array_new();
	self->wakes = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	iot_websocket_frame_scan_init(&self->scan, IOT_WEBSOCKET_FRAME_FROM_CLIENT);
}
