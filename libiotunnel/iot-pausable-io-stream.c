/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-pausable-io-stream.h"

#include <string.h>

/**
 * IotPausableIOStream:
 *
 * A #GIOStream over a base stream whose pollable input can be paused, for
 * flow control under a reader such as #SoupWebsocketConnection that reads
 * whenever its pollable source fires and has no pause of its own.
 *
 * While paused, g_pollable_input_stream_is_readable() is %FALSE,
 * g_pollable_input_stream_read_nonblocking() fails with
 * %G_IO_ERROR_WOULD_BLOCK and a source made by
 * g_pollable_input_stream_create_source() does not fire; resuming wakes every
 * such source once, so the reader comes back by itself. Blocking reads are not
 * paused. A read func (iot_pausable_io_stream_set_read_func()) sees every
 * chunk first and may hold part of it back.
 *
 * A small non-blocking read (#SoupWebsocketConnection reads 1 KiB at a time)
 * reads what the base stream holds, up to 16 KiB (a whole TLS record), in one
 * go and is served from memory: each read of a TLS stream takes its locks and
 * a call into GnuTLS. Nothing is read from the base stream while paused.
 *
 * The output counts the bytes that reach the base stream and emits
 * ::written after each write, so an owner that counts what it hands to the
 * writer knows how much still waits in the writer's queue.
 *
 * Closing closes the base stream.
 */

struct _IotPausableIOStream {
	GIOStream parent_instance;
	GIOStream *base_stream;
	GInputStream *input;
	GOutputStream *output;
	gboolean read_paused;
	GPtrArray *wake_sources; /* of GSource, handed out while paused */
	GByteArray *held;	 /* read from the base, not yet handed on (read-ahead, or held
				    back by the read func) from @held_offset */
	gsize held_offset;
	IotPausableIOStreamReadFunc read_func;
	gpointer read_func_data;
	GDestroyNotify read_func_destroy;
	guint64 bytes_read;
	guint64 bytes_written;
};

G_DEFINE_FINAL_TYPE(IotPausableIOStream, iot_pausable_io_stream, G_TYPE_IO_STREAM)

/* the most a small non-blocking read takes from the base stream at once */
#define IOT_PAUSABLE_IO_STREAM_READ_AHEAD 16384

enum { PROP_0, PROP_BASE_STREAM, PROP_READ_PAUSED, PROP_LAST };

static GParamSpec *properties[PROP_LAST] = {NULL};

enum { SIGNAL_WRITTEN, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

/* the input and output halves; private to this file */

#define IOT_TYPE_PAUSABLE_INPUT_STREAM (iot_pausable_input_stream_get_type())
G_DECLARE_FINAL_TYPE(IotPausableInputStream,
		     iot_pausable_input_stream,
		     IOT,
		     PAUSABLE_INPUT_STREAM,
		     GInputStream)

#define IOT_TYPE_PAUSABLE_OUTPUT_STREAM (iot_pausable_output_stream_get_type())
G_DECLARE_FINAL_TYPE(IotPausableOutputStream,
		     iot_pausable_output_stream,
		     IOT,
		     PAUSABLE_OUTPUT_STREAM,
		     GOutputStream)

struct _IotPausableInputStream {
	GInputStream parent_instance;
	IotPausableIOStream *owner; /* weak */
	GInputStream *base;
};

struct _IotPausableOutputStream {
	GOutputStream parent_instance;
	IotPausableIOStream *owner; /* weak */
	GOutputStream *base;
};

static void
iot_pausable_input_stream_pollable_iface_init(GPollableInputStreamInterface *iface);
static void
iot_pausable_output_stream_pollable_iface_init(GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotPausableInputStream,
			      iot_pausable_input_stream,
			      G_TYPE_INPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
						    iot_pausable_input_stream_pollable_iface_init))

G_DEFINE_FINAL_TYPE_WITH_CODE(IotPausableOutputStream,
			      iot_pausable_output_stream,
			      G_TYPE_OUTPUT_STREAM,
			      G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
						    iot_pausable_output_stream_pollable_iface_init))

static gsize
iot_pausable_io_stream_held_left(IotPausableIOStream *self)
{
	return self->held->len - self->held_offset;
}

/*
 * Passes @count bytes just read through the owner's read func. What it does
 * not accept goes back in front of the held bytes, and reading pauses.
 * @from_held: the bytes were just taken from the held bytes
 */
static gssize
iot_pausable_io_stream_filter(IotPausableIOStream *self,
			      const guint8 *data,
			      gsize count,
			      gboolean from_held,
			      GError **error)
{
	gsize accepted = count;

	if (self->read_func != NULL) {
		gsize taken = self->read_func(self, data, count, self->read_func_data);
		accepted = MIN(count, taken);
	}
	self->bytes_read += accepted;
	if (accepted < count) {
		/* taken from the held bytes, they are still there: step back */
		if (from_held) {
			self->held_offset -= count - accepted;
		} else {
			/* read from the base, so nothing was held */
			g_byte_array_set_size(self->held, 0);
			self->held_offset = 0;
			g_byte_array_append(self->held, data + accepted, count - accepted);
		}
		iot_pausable_io_stream_set_read_paused(self, TRUE);
	}
	if (accepted == 0) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_WOULD_BLOCK,
				    "input held back by the read func");
		return -1;
	}
	return accepted;
}

/* copies up to @count held bytes into @buffer and moves past them */
static gsize
iot_pausable_io_stream_take_held(IotPausableIOStream *self, guint8 *buffer, gsize count)
{
	gsize n = MIN(count, iot_pausable_io_stream_held_left(self));
	memcpy(buffer, self->held->data + self->held_offset, n);
	self->held_offset += n;
	return n;
}

/* one non-blocking read of the base into the empty held bytes */
static gssize
iot_pausable_io_stream_read_ahead(IotPausableIOStream *self, GInputStream *base, GError **error)
{
	gssize n;

	g_byte_array_set_size(self->held, IOT_PAUSABLE_IO_STREAM_READ_AHEAD);
	self->held_offset = 0;
	n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(base),
						     self->held->data,
						     self->held->len,
						     NULL,
						     error);
	g_byte_array_set_size(self->held, MAX(n, 0));
	return n;
}

static gssize
iot_pausable_input_stream_read(GInputStream *stream,
			       void *buffer,
			       gsize count,
			       GCancellable *cancellable,
			       GError **error)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(stream);
	gboolean from_held;
	gssize n;

	if (self->owner == NULL)
		return g_input_stream_read(self->base, buffer, count, cancellable, error);
	from_held = iot_pausable_io_stream_held_left(self->owner) > 0;
	if (from_held)
		n = iot_pausable_io_stream_take_held(self->owner, buffer, count);
	else
		n = g_input_stream_read(self->base, buffer, count, cancellable, error);
	if (n <= 0)
		return n;
	return iot_pausable_io_stream_filter(self->owner, buffer, n, from_held, error);
}

static gboolean
iot_pausable_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	/* the base input is closed with the base stream, by the owner */
	return TRUE;
}

static gboolean
iot_pausable_input_stream_can_poll(GPollableInputStream *stream)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(stream);
	return G_IS_POLLABLE_INPUT_STREAM(self->base) &&
	       g_pollable_input_stream_can_poll(G_POLLABLE_INPUT_STREAM(self->base));
}

static gboolean
iot_pausable_input_stream_is_readable(GPollableInputStream *stream)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(stream);
	if (self->owner != NULL && self->owner->read_paused)
		return FALSE;
	if (self->owner != NULL && iot_pausable_io_stream_held_left(self->owner) > 0)
		return TRUE;
	return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base));
}

/*
 * The child of a pollable source handed out while paused: a timeout that in
 * practice never expires, woken by setting its ready time. Once it fires, a
 * timeout sets its next expiry again, so it fires once per wake.
 */
static GSource *
iot_pausable_wake_source_new(void)
{
	GSource *source = g_timeout_source_new(G_MAXUINT);
	g_source_set_static_name(source, "IotPausableIOStream wake");
	return source;
}

static GSource *
iot_pausable_input_stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(stream);
	g_autoptr(GSource) child = NULL;

	if (self->owner != NULL && self->owner->read_paused) {
		GPtrArray *wakes = self->owner->wake_sources;
		/* forget the wakes of sources already gone */
		for (guint i = wakes->len; i > 0; i--) {
			if (g_source_is_destroyed(g_ptr_array_index(wakes, i - 1)))
				g_ptr_array_remove_index_fast(wakes, i - 1);
		}
		child = iot_pausable_wake_source_new();
		g_ptr_array_add(wakes, g_source_ref(child));
	} else if (self->owner != NULL && iot_pausable_io_stream_held_left(self->owner) > 0) {
		/* held bytes are ready now */
		child = iot_pausable_wake_source_new();
		g_source_set_ready_time(child, 0);
	} else {
		child = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(self->base),
							      NULL);
	}
	return g_pollable_source_new_full(stream, child, cancellable);
}

static gssize
iot_pausable_input_stream_read_nonblocking(GPollableInputStream *stream,
					   void *buffer,
					   gsize count,
					   GError **error)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(stream);
	gboolean from_held;
	gssize n;

	if (self->owner == NULL) {
		return g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(self->base),
								buffer,
								count,
								NULL,
								error);
	}
	if (self->owner->read_paused) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "reading is paused");
		return -1;
	}
	if (iot_pausable_io_stream_held_left(self->owner) == 0 &&
	    count < IOT_PAUSABLE_IO_STREAM_READ_AHEAD) {
		n = iot_pausable_io_stream_read_ahead(self->owner, self->base, error);
		if (n <= 0)
			return n;
	}
	from_held = iot_pausable_io_stream_held_left(self->owner) > 0;
	if (from_held) {
		n = iot_pausable_io_stream_take_held(self->owner, buffer, count);
	} else {
		n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(self->base),
							     buffer,
							     count,
							     NULL,
							     error);
	}
	if (n <= 0)
		return n;
	return iot_pausable_io_stream_filter(self->owner, buffer, n, from_held, error);
}

static void
iot_pausable_input_stream_pollable_iface_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = iot_pausable_input_stream_can_poll;
	iface->is_readable = iot_pausable_input_stream_is_readable;
	iface->create_source = iot_pausable_input_stream_create_source;
	iface->read_nonblocking = iot_pausable_input_stream_read_nonblocking;
}

static void
iot_pausable_input_stream_finalize(GObject *object)
{
	IotPausableInputStream *self = IOT_PAUSABLE_INPUT_STREAM(object);
	if (self->owner != NULL)
		g_object_remove_weak_pointer(G_OBJECT(self->owner), (gpointer *)&self->owner);
	g_clear_object(&self->base);
	G_OBJECT_CLASS(iot_pausable_input_stream_parent_class)->finalize(object);
}

static void
iot_pausable_input_stream_class_init(IotPausableInputStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GInputStreamClass *input_class = G_INPUT_STREAM_CLASS(klass);
	object_class->finalize = iot_pausable_input_stream_finalize;
	input_class->read_fn = iot_pausable_input_stream_read;
	input_class->close_fn = iot_pausable_input_stream_close;
}

static void
iot_pausable_input_stream_init(IotPausableInputStream *self)
{
}

static GInputStream *
iot_pausable_input_stream_new(IotPausableIOStream *owner, GInputStream *base)
{
	IotPausableInputStream *self = g_object_new(IOT_TYPE_PAUSABLE_INPUT_STREAM, NULL);
	self->owner = owner;
	g_object_add_weak_pointer(G_OBJECT(owner), (gpointer *)&self->owner);
	self->base = g_object_ref(base);
	return G_INPUT_STREAM(self);
}

/* counts @n bytes that reached the base output */
static void
iot_pausable_output_stream_count(IotPausableOutputStream *self, gssize n)
{
	if (n <= 0 || self->owner == NULL)
		return;
	self->owner->bytes_written += n;
	g_signal_emit(self->owner, signals[SIGNAL_WRITTEN], 0, (guint64)n);
}

static gssize
iot_pausable_output_stream_write(GOutputStream *stream,
				 const void *buffer,
				 gsize count,
				 GCancellable *cancellable,
				 GError **error)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	gssize n = g_output_stream_write(self->base, buffer, count, cancellable, error);
	iot_pausable_output_stream_count(self, n);
	return n;
}

static gboolean
iot_pausable_output_stream_flush(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	return g_output_stream_flush(self->base, cancellable, error);
}

static gboolean
iot_pausable_output_stream_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	/* the base output is closed with the base stream, by the owner */
	return TRUE;
}

static gboolean
iot_pausable_output_stream_can_poll(GPollableOutputStream *stream)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	return G_IS_POLLABLE_OUTPUT_STREAM(self->base) &&
	       g_pollable_output_stream_can_poll(G_POLLABLE_OUTPUT_STREAM(self->base));
}

static gboolean
iot_pausable_output_stream_is_writable(GPollableOutputStream *stream)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(self->base));
}

static GSource *
iot_pausable_output_stream_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	g_autoptr(GSource) child =
	    g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(self->base), NULL);
	return g_pollable_source_new_full(stream, child, cancellable);
}

static gssize
iot_pausable_output_stream_write_nonblocking(GPollableOutputStream *stream,
					     const void *buffer,
					     gsize count,
					     GError **error)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(stream);
	gssize n = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(self->base),
							      buffer,
							      count,
							      NULL,
							      error);
	iot_pausable_output_stream_count(self, n);
	return n;
}

static void
iot_pausable_output_stream_pollable_iface_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = iot_pausable_output_stream_can_poll;
	iface->is_writable = iot_pausable_output_stream_is_writable;
	iface->create_source = iot_pausable_output_stream_create_source;
	iface->write_nonblocking = iot_pausable_output_stream_write_nonblocking;
}

static void
iot_pausable_output_stream_finalize(GObject *object)
{
	IotPausableOutputStream *self = IOT_PAUSABLE_OUTPUT_STREAM(object);
	if (self->owner != NULL)
		g_object_remove_weak_pointer(G_OBJECT(self->owner), (gpointer *)&self->owner);
	g_clear_object(&self->base);
	G_OBJECT_CLASS(iot_pausable_output_stream_parent_class)->finalize(object);
}

static void
iot_pausable_output_stream_class_init(IotPausableOutputStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS(klass);
	object_class->finalize = iot_pausable_output_stream_finalize;
	output_class->write_fn = iot_pausable_output_stream_write;
	output_class->flush = iot_pausable_output_stream_flush;
	output_class->close_fn = iot_pausable_output_stream_close;
}

static void
iot_pausable_output_stream_init(IotPausableOutputStream *self)
{
}

static GOutputStream *
iot_pausable_output_stream_new(IotPausableIOStream *owner, GOutputStream *base)
{
	IotPausableOutputStream *self = g_object_new(IOT_TYPE_PAUSABLE_OUTPUT_STREAM, NULL);
	self->owner = owner;
	g_object_add_weak_pointer(G_OBJECT(owner), (gpointer *)&self->owner);
	self->base = g_object_ref(base);
	return G_OUTPUT_STREAM(self);
}

/* the stream itself */

/**
 * iot_pausable_io_stream_new:
 * @base_stream: the stream to wrap; its input and output must be pollable
 *
 * Returns: (transfer full): a stream reading and writing through @base_stream
 */
IotPausableIOStream *
iot_pausable_io_stream_new(GIOStream *base_stream)
{
	g_return_val_if_fail(G_IS_IO_STREAM(base_stream), NULL);
	return g_object_new(IOT_TYPE_PAUSABLE_IO_STREAM, "base-stream", base_stream, NULL);
}

/**
 * iot_pausable_io_stream_get_base_stream:
 * @self: a stream
 *
 * Returns: (transfer none): the wrapped stream
 */
GIOStream *
iot_pausable_io_stream_get_base_stream(IotPausableIOStream *self)
{
	g_return_val_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self), NULL);
	return self->base_stream;
}

/**
 * iot_pausable_io_stream_set_read_paused:
 * @self: a stream
 * @paused: %TRUE to stop the pollable input, %FALSE to restart it
 *
 * Pausing takes effect at once, even inside a reader's loop: its next
 * non-blocking read would block. Resuming wakes the reader's pending source.
 */
void
iot_pausable_io_stream_set_read_paused(IotPausableIOStream *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self));

	paused = !!paused;
	if (self->read_paused == paused)
		return;
	self->read_paused = paused;
	if (!paused) {
		for (guint i = 0; i < self->wake_sources->len; i++) {
			GSource *wake = g_ptr_array_index(self->wake_sources, i);
			if (!g_source_is_destroyed(wake))
				g_source_set_ready_time(wake, 0);
		}
		g_ptr_array_set_size(self->wake_sources, 0);
	}
	g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_READ_PAUSED]);
}

/**
 * iot_pausable_io_stream_get_read_paused:
 * @self: a stream
 *
 * Returns: whether the pollable input is paused
 */
gboolean
iot_pausable_io_stream_get_read_paused(IotPausableIOStream *self)
{
	g_return_val_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self), FALSE);
	return self->read_paused;
}

/**
 * iot_pausable_io_stream_set_read_func:
 * @self: a stream
 * @func: (nullable) (scope notified): called with every chunk read, or %NULL
 * @user_data: (closure): data for @func
 * @destroy: (nullable): frees @user_data when @func is replaced or @self finalized
 *
 * Installs an inspector of the input; see #IotPausableIOStreamReadFunc.
 */
void
iot_pausable_io_stream_set_read_func(IotPausableIOStream *self,
				     IotPausableIOStreamReadFunc func,
				     gpointer user_data,
				     GDestroyNotify destroy)
{
	g_return_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self));

	if (self->read_func_destroy != NULL)
		self->read_func_destroy(self->read_func_data);
	self->read_func = func;
	self->read_func_data = user_data;
	self->read_func_destroy = destroy;
}

/**
 * iot_pausable_io_stream_get_bytes_read:
 * @self: a stream
 *
 * Returns: how many bytes readers got
 */
guint64
iot_pausable_io_stream_get_bytes_read(IotPausableIOStream *self)
{
	g_return_val_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self), 0);
	return self->bytes_read;
}

/**
 * iot_pausable_io_stream_get_bytes_written:
 * @self: a stream
 *
 * Returns: how many bytes reached the base stream's output
 */
guint64
iot_pausable_io_stream_get_bytes_written(IotPausableIOStream *self)
{
	g_return_val_if_fail(IOT_IS_PAUSABLE_IO_STREAM(self), 0);
	return self->bytes_written;
}

static GInputStream *
iot_pausable_io_stream_get_input_stream(GIOStream *stream)
{
	return IOT_PAUSABLE_IO_STREAM(stream)->input;
}

static GOutputStream *
iot_pausable_io_stream_get_output_stream(GIOStream *stream)
{
	return IOT_PAUSABLE_IO_STREAM(stream)->output;
}

static gboolean
iot_pausable_io_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(stream);
	return g_io_stream_close(self->base_stream, cancellable, error);
}

static void
iot_pausable_io_stream_close_cb(GObject *source, GAsyncResult *result, gpointer user_data)
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
iot_pausable_io_stream_close_async(GIOStream *stream,
				   int io_priority,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(stream);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, iot_pausable_io_stream_close_async);
	g_task_set_name(task, "IotPausableIOStream close");
	g_io_stream_close_async(self->base_stream,
				io_priority,
				cancellable,
				iot_pausable_io_stream_close_cb,
				g_steal_pointer(&task));
}

static gboolean
iot_pausable_io_stream_close_finish(GIOStream *stream, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, stream), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
iot_pausable_io_stream_constructed(GObject *object)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(object);

	G_OBJECT_CLASS(iot_pausable_io_stream_parent_class)->constructed(object);
	self->input =
	    iot_pausable_input_stream_new(self, g_io_stream_get_input_stream(self->base_stream));
	self->output =
	    iot_pausable_output_stream_new(self, g_io_stream_get_output_stream(self->base_stream));
}

static void
iot_pausable_io_stream_get_property(GObject *object,
				    guint prop_id,
				    GValue *value,
				    GParamSpec *pspec)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(object);
	switch (prop_id) {
	case PROP_BASE_STREAM:
		g_value_set_object(value, self->base_stream);
		break;
	case PROP_READ_PAUSED:
		g_value_set_boolean(value, self->read_paused);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_pausable_io_stream_set_property(GObject *object,
				    guint prop_id,
				    const GValue *value,
				    GParamSpec *pspec)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(object);
	switch (prop_id) {
	case PROP_BASE_STREAM:
		self->base_stream = g_value_dup_object(value);
		break;
	case PROP_READ_PAUSED:
		iot_pausable_io_stream_set_read_paused(self, g_value_get_boolean(value));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_pausable_io_stream_finalize(GObject *object)
{
	IotPausableIOStream *self = IOT_PAUSABLE_IO_STREAM(object);

	iot_pausable_io_stream_set_read_func(self, NULL, NULL, NULL);
	g_ptr_array_unref(self->wake_sources);
	g_byte_array_unref(self->held);
	g_clear_object(&self->input);
	g_clear_object(&self->output);
	g_clear_object(&self->base_stream);
	G_OBJECT_CLASS(iot_pausable_io_stream_parent_class)->finalize(object);
}

static void
iot_pausable_io_stream_class_init(IotPausableIOStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GIOStreamClass *stream_class = G_IO_STREAM_CLASS(klass);

	object_class->constructed = iot_pausable_io_stream_constructed;
	object_class->get_property = iot_pausable_io_stream_get_property;
	object_class->set_property = iot_pausable_io_stream_set_property;
	object_class->finalize = iot_pausable_io_stream_finalize;
	stream_class->get_input_stream = iot_pausable_io_stream_get_input_stream;
	stream_class->get_output_stream = iot_pausable_io_stream_get_output_stream;
	stream_class->close_fn = iot_pausable_io_stream_close;
	stream_class->close_async = iot_pausable_io_stream_close_async;
	stream_class->close_finish = iot_pausable_io_stream_close_finish;

	/**
	 * IotPausableIOStream:base-stream:
	 *
	 * The wrapped stream.
	 */
	properties[PROP_BASE_STREAM] = g_param_spec_object(
	    "base-stream",
	    NULL,
	    NULL,
	    G_TYPE_IO_STREAM,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	/**
	 * IotPausableIOStream:read-paused:
	 *
	 * Whether the pollable input is paused.
	 */
	properties[PROP_READ_PAUSED] = g_param_spec_boolean(
	    "read-paused",
	    NULL,
	    NULL,
	    FALSE,
	    G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, properties);

	/**
	 * IotPausableIOStream::written:
	 * @self: the stream
	 * @count: how many bytes one write just passed to the base output
	 *
	 * Emitted after every write that moved bytes.
	 */
	signals[SIGNAL_WRITTEN] = g_signal_new("written",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       1,
					       G_TYPE_UINT64);
}

static void
iot_pausable_io_stream_init(IotPausableIOStream *self)
{
	self->wake_sources = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	self->held = g_byte_array_new();
}
