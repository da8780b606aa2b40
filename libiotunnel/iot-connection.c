/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One local connection: reads it, queues what it is sent, ends it cleanly or with a reset. */

#include "config.h"

#include "iot-connection.h"

#include <gio/gfiledescriptorbased.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "iot-connection-private.h"
#include "iot-poller-private.h"
#include "iot-tunnel-log.h"

#define IOT_CONNECTION_READ_SIZE IOT_MESSAGE_MAX_PAYLOAD
#define IOT_CONNECTION_WRITEV_MAX 16

/* how often a reset after a flush checks whether the kernel sent what it was given */
#define IOT_CONNECTION_UNSENT_POLL_MS 10

/* a chunk this small is copied into a right-sized buffer rather than kept */
#define IOT_CONNECTION_SHRINK_BELOW 16384

/* input read and dropped per dispatch while waiting for the peer's end after a close */
#define IOT_CONNECTION_DRAIN_SIZE 16384

/*
 * after iot_connection_close(): how long the peer may take no data, or keep
 * its side open once ours is shut, before the connection is reset instead
 */
#define IOT_CONNECTION_CLOSE_TIMEOUT_MS 30000

struct _IotConnection {
	GObject parent_instance;
	GIOStream *stream;
	GPollableInputStream *input;
	GPollableOutputStream *output;
	gchar *description;
	gchar *tunnel; /* the identity of log lines about it, once in a stream */
	gint32 stream_id;
	guint32 connection_id;
	gint fd;	       /* of both directions, for the poller; -1 for pollable sources */
	IotPollerWatch *watch; /* of @fd, made when first needed */
	GSource *read_source;  /* the pollable sources, without @fd */
	GSource *write_source;
	GSource *drain_source;
	GSource *close_timer;	/* closing: gives up on a peer that stops taking data */
	GSource *unsent_timer;	/* resetting: waits for the kernel to send what it holds */
	GSource *stall_timer;	/* congested: gives up on a peer that stops taking data */
	GSource *closed_source; /* emits a ::closed that iot_connection_write() ran into */
	GError *closed_error;	/* its error */
	GQueue write_queue;	/* of GBytes */
	gsize write_offset;	/* bytes of the head already written */
	gsize write_queued;
	guint64 bytes_read;
	guint64 bytes_written;
	guint close_timeout_ms;
	gsize budget;		/* most bytes the write queue may hold; 0: no limit */
	guint stall_timeout_ms; /* how long a congested queue may take nothing; 0: forever */
	gboolean paced;		/* whoever writes to us keeps to the budget itself */
	gboolean write_shut;	/* shut our side once the queue is written, reading on */
	gboolean started;
	gboolean reading;  /* waiting for input to read */
	gboolean writing;  /* waiting to write what is queued */
	gboolean draining; /* closing, our side shut: drops input until the peer's end */
	gboolean read_paused;
	gboolean window_closed; /* the peer holds all it may of our data */
	gboolean read_ended;	/* end of stream seen */
	gboolean congested;
	gboolean closing;	 /* close once the queue is empty */
	gboolean reset_at_close; /* that close is a reset, not a clean end */
	gsize unsent;		 /* resetting: what the kernel held unsent at the last look */
	gboolean closing_ref;	 /* holds a reference on itself until finished */
	gboolean closed_emitted; /* ::closed is emitted once at most */
	gboolean finished;
};

enum { PROP_0, PROP_CONGESTED, PROP_STREAM_ID, PROP_CONNECTION_ID, PROP_LAST };
enum { SIGNAL_DATA, SIGNAL_CLOSED, SIGNAL_WRITTEN, SIGNAL_LAST };

static GParamSpec *pspecs[PROP_LAST] = {NULL};
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_FINAL_TYPE(IotConnection, iot_connection, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-connection-error-quark, iot_connection_error);

static void
iot_connection_update_reading(IotConnection *self);
static gboolean
iot_connection_read_ready_cb(GObject *pollable, gpointer user_data);
static gboolean
iot_connection_write_ready_cb(GObject *pollable, gpointer user_data);
static gboolean
iot_connection_drain_cb(GObject *pollable, gpointer user_data);

static void
iot_connection_set_congested(IotConnection *self, gboolean congested)
{
	if (self->congested == congested)
		return;
	self->congested = congested;
	g_object_notify_by_pspec(G_OBJECT(self), pspecs[PROP_CONGESTED]);
}

static void
iot_connection_destroy_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

/* for the poller: drops input while draining, or reads it; then writes */
static void
iot_connection_poll_cb(GIOCondition condition, gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = g_object_ref(self);

	if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
		if (self->draining)
			iot_connection_drain_cb(NULL, self);
		else if (self->reading)
			iot_connection_read_ready_cb(NULL, self);
	}
	if ((condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) && self->writing)
		iot_connection_write_ready_cb(NULL, self);
}

/*
 * Makes the poller watch for what the connection waits for. Returns FALSE
 * when the stream has no fd, or the poller failed: pollable sources wait then.
 */
static gboolean
iot_connection_update_watch(IotConnection *self)
{
	GIOCondition condition = 0;

	if (self->fd < 0)
		return FALSE;
	if (self->reading || self->draining)
		condition |= G_IO_IN;
	if (self->writing)
		condition |= G_IO_OUT;
	if (self->watch == NULL) {
		if (condition == 0)
			return TRUE;
		self->watch = iot_poller_watch_new(g_main_context_get_thread_default(),
						   self->fd,
						   iot_connection_poll_cb,
						   self);
		if (self->watch == NULL) {
			self->fd = -1;
			return FALSE;
		}
	}
	iot_poller_watch_set_condition(self->watch, condition);
	return TRUE;
}

/* attaches a pollable source for the stream's output, or its input */
static GSource *
iot_connection_attach_source(IotConnection *self,
			     gboolean output,
			     const gchar *name,
			     GPollableSourceFunc func)
{
	GSource *source = output ? g_pollable_output_stream_create_source(self->output, NULL)
				 : g_pollable_input_stream_create_source(self->input, NULL);
	g_source_set_static_name(source, name);
	g_source_set_callback(source, G_SOURCE_FUNC(func), self, NULL);
	g_source_attach(source, g_main_context_get_thread_default());
	return source;
}

/*
 * Starts or stops one of the waits (@waiting), through the poller when the
 * stream has an fd, else through a pollable source kept in @source.
 * Nothing waits once the connection is finished.
 */
static void
iot_connection_set_waiting(IotConnection *self,
			   gboolean *waiting,
			   gboolean on,
			   GSource **source,
			   gboolean output,
			   const gchar *name,
			   GPollableSourceFunc func)
{
	on = on && !self->finished;
	if (*waiting == on)
		return;
	*waiting = on;
	if (iot_connection_update_watch(self))
		return;
	if (on)
		*source = iot_connection_attach_source(self, output, name, func);
	else
		iot_connection_destroy_source(source);
}

/* starts or stops waiting for input to read */
static void
iot_connection_set_reading(IotConnection *self, gboolean reading)
{
	iot_connection_set_waiting(self,
				   &self->reading,
				   reading,
				   &self->read_source,
				   FALSE,
				   "iot-connection-read",
				   iot_connection_read_ready_cb);
}

/* starts or stops waiting to write what is queued */
static void
iot_connection_set_writing(IotConnection *self, gboolean writing)
{
	iot_connection_set_waiting(self,
				   &self->writing,
				   writing,
				   &self->write_source,
				   TRUE,
				   "iot-connection-write",
				   iot_connection_write_ready_cb);
}

/* starts waiting for input to drop until the peer's end */
static void
iot_connection_start_draining(IotConnection *self)
{
	iot_connection_set_waiting(self,
				   &self->draining,
				   TRUE,
				   &self->drain_source,
				   FALSE,
				   "iot-connection-drain",
				   iot_connection_drain_cb);
}

/*
 * Closes the stream and drops what is queued. May release the reference a
 * close holds, so a caller that goes on using @self must hold its own.
 */
static void
iot_connection_finish(IotConnection *self, gboolean reset)
{
	if (self->finished)
		return;
	self->finished = TRUE;
	self->reading = FALSE;
	self->writing = FALSE;
	self->draining = FALSE;
	/* before the fd is closed, which would leave it in the epoll set if shared */
	g_clear_pointer(&self->watch, iot_poller_watch_remove);
	iot_connection_destroy_source(&self->read_source);
	iot_connection_destroy_source(&self->write_source);
	iot_connection_destroy_source(&self->drain_source);
	iot_connection_destroy_source(&self->close_timer);
	iot_connection_destroy_source(&self->unsent_timer);
	iot_connection_destroy_source(&self->stall_timer);
	g_queue_clear_full(&self->write_queue, (GDestroyNotify)g_bytes_unref);
	self->write_queued = 0;
	self->write_offset = 0;
	if (reset && G_IS_SOCKET_CONNECTION(self->stream)) {
		/* a zero linger time makes close() send RST instead of FIN */
		GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(self->stream));
		struct linger linger = {.l_onoff = 1, .l_linger = 0};
		if (setsockopt(g_socket_get_fd(socket),
			       SOL_SOCKET,
			       SO_LINGER,
			       &linger,
			       sizeof(linger)) != 0)
			iot_tunnel_debug(self->tunnel,
					 self->stream_id,
					 self->connection_id,
					 "%s: cannot set SO_LINGER: %s",
					 self->description,
					 g_strerror(errno));
	}
	if (!g_io_stream_is_closed(self->stream)) {
		g_autoptr(GError) error_local = NULL;
		if (!g_io_stream_close(self->stream, NULL, &error_local))
			iot_tunnel_debug(self->tunnel,
					 self->stream_id,
					 self->connection_id,
					 "%s: close: %s",
					 self->description,
					 error_local->message);
	}
	/* nothing is queued any more: whoever paused for this connection may go on */
	iot_connection_set_congested(self, FALSE);
	if (self->closing_ref) {
		self->closing_ref = FALSE;
		g_object_unref(self);
	}
}

/* emits ::closed unless it was already, or the owner closed the connection itself */
static void
iot_connection_emit_closed(IotConnection *self, const GError *error)
{
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = g_object_ref(self);
	if (self->closed_emitted || self->closing)
		return;
	self->closed_emitted = TRUE;
	g_signal_emit(self, signals[SIGNAL_CLOSED], 0, error);
}

static gboolean
iot_connection_closed_idle_cb(gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_autoptr(GError) error = g_steal_pointer(&self->closed_error);
	g_clear_pointer(&self->closed_source, g_source_unref);
	iot_connection_emit_closed(self, error);
	return G_SOURCE_REMOVE;
}

/* for errors met inside a call of the owner's, which must not see ::closed re-enter it */
static void
iot_connection_emit_closed_later(IotConnection *self, GError *error)
{
	if (self->closed_source != NULL) {
		g_error_free(error);
		return;
	}
	self->closed_error = error;
	self->closed_source = g_idle_source_new();
	g_source_set_static_name(self->closed_source, "iot-connection-closed");
	g_source_set_callback(self->closed_source, iot_connection_closed_idle_cb, self, NULL);
	g_source_attach(self->closed_source, g_main_context_get_thread_default());
}

static gboolean
iot_connection_stall_timeout_cb(gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = g_object_ref(self);
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&self->stall_timer, g_source_unref);
	error = g_error_new(IOT_CONNECTION_ERROR,
			    IOT_CONNECTION_ERROR_STALLED,
			    "took no data for %u ms with %" G_GSIZE_FORMAT " bytes waiting",
			    self->stall_timeout_ms,
			    self->write_queued);
	iot_tunnel_info(self->tunnel,
			self->stream_id,
			self->connection_id,
			"%s: %s; resetting this connection",
			self->description,
			error->message);
	iot_connection_finish(self, TRUE);
	iot_connection_emit_closed(self, error);
	return G_SOURCE_REMOVE;
}

/*
 * (Re)starts or stops the wait for a congested peer to take data: only a
 * queue whose writer cannot be paced needs it, the rest wait for the app.
 */
static void
iot_connection_update_stall_timer(IotConnection *self, gboolean progress)
{
	if (!self->congested || self->paced || self->stall_timeout_ms == 0 || self->finished ||
	    self->closing) {
		iot_connection_destroy_source(&self->stall_timer);
		return;
	}
	if (self->stall_timer != NULL && !progress)
		return;
	iot_connection_destroy_source(&self->stall_timer);
	self->stall_timer = g_timeout_source_new(self->stall_timeout_ms);
	g_source_set_static_name(self->stall_timer, "iot-connection-stall-timeout");
	g_source_set_callback(self->stall_timer, iot_connection_stall_timeout_cb, self, NULL);
	g_source_attach(self->stall_timer, g_main_context_get_thread_default());
}

static void
iot_connection_update_congested(IotConnection *self, gboolean progress)
{
	if (self->write_queued > IOT_CONNECTION_HIGH_WATER)
		iot_connection_set_congested(self, TRUE);
	else if (self->write_queued < IOT_CONNECTION_LOW_WATER)
		iot_connection_set_congested(self, FALSE);
	iot_connection_update_stall_timer(self, progress);
}

/*
 * The most the queue may hold: the budget, or twice it for a writer that
 * paces itself, which may have sent a window's worth before it learnt to
 */
static gsize
iot_connection_get_queue_limit(IotConnection *self)
{
	if (self->budget == 0)
		return G_MAXSIZE;
	return self->paced ? self->budget * 2 : self->budget;
}

/* shuts our side once nothing is left to write, as iot_connection_shutdown_write() asked */
static void
iot_connection_shut_write_side(IotConnection *self)
{
	g_autoptr(GError) error_local = NULL;

	if (!self->write_shut || self->finished || !g_queue_is_empty(&self->write_queue))
		return;
	/* a socket under a stream of another kind (a command's socket pair) too */
	if (self->fd >= 0 && shutdown(self->fd, SHUT_WR) != 0)
		g_set_error_literal(&error_local,
				    G_IO_ERROR,
				    g_io_error_from_errno(errno),
				    g_strerror(errno));
	else if (self->fd < 0)
		g_output_stream_close(G_OUTPUT_STREAM(self->output), NULL, &error_local);
	if (error_local != NULL)
		iot_tunnel_debug(self->tunnel,
				 self->stream_id,
				 self->connection_id,
				 "%s: shutdown: %s",
				 self->description,
				 error_local->message);
}

static gboolean
iot_connection_close_timeout_cb(gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_clear_pointer(&self->close_timer, g_source_unref);
	iot_tunnel_info(self->tunnel,
			self->stream_id,
			self->connection_id,
			"%s: the peer did not finish within %u ms of the close; resetting",
			self->description,
			self->close_timeout_ms);
	iot_connection_finish(self, TRUE);
	return G_SOURCE_REMOVE;
}

/* (re)starts the wait for the peer while closing */
static void
iot_connection_arm_close_timer(IotConnection *self)
{
	iot_connection_destroy_source(&self->close_timer);
	self->close_timer = g_timeout_source_new(self->close_timeout_ms);
	g_source_set_static_name(self->close_timer, "iot-connection-close-timeout");
	g_source_set_callback(self->close_timer, iot_connection_close_timeout_cb, self, NULL);
	g_source_attach(self->close_timer, g_main_context_get_thread_default());
}

static gboolean
iot_connection_drain_cb(GObject *pollable, gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	guint8 buffer[IOT_CONNECTION_DRAIN_SIZE];
	g_autoptr(GError) error_local = NULL;
	gssize n;

	n = g_pollable_input_stream_read_nonblocking(self->input,
						     buffer,
						     sizeof(buffer),
						     NULL,
						     &error_local);
	if (n > 0 || g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	/* the peer's end of stream, or a reset: either way it has all it will take */
	iot_connection_finish(self, FALSE);
	return G_SOURCE_REMOVE;
}

/*
 * The queue is written: ends our side with a FIN, then drops input until the
 * peer ends its own. Closing a socket that still has unread input would send
 * RST instead, and the peer would lose what it has not yet received.
 */
static void
iot_connection_shutdown(IotConnection *self)
{
	g_autoptr(GError) error_local = NULL;
	GSocket *socket;

	if (self->draining)
		return;
	if (self->read_ended || !G_IS_SOCKET_CONNECTION(self->stream)) {
		iot_connection_finish(self, FALSE);
		return;
	}
	socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(self->stream));
	if (!g_socket_shutdown(socket, FALSE, TRUE, &error_local)) {
		iot_tunnel_debug(self->tunnel,
				 self->stream_id,
				 self->connection_id,
				 "%s: shutdown: %s",
				 self->description,
				 error_local->message);
		iot_connection_finish(self, FALSE);
		return;
	}
	iot_connection_start_draining(self);
	iot_connection_arm_close_timer(self);
}

/* bytes the kernel holds for a TCP peer, not yet acknowledged; 0 when it cannot tell */
static gsize
iot_connection_get_unsent(IotConnection *self)
{
#ifdef TIOCOUTQ
	gint unsent = 0;
	if (G_IS_TCP_CONNECTION(self->stream) && self->fd >= 0 &&
	    ioctl(self->fd, TIOCOUTQ, &unsent) == 0 && unsent > 0)
		return (gsize)unsent;
#endif
	return 0;
}

static gboolean
iot_connection_unsent_cb(gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	gsize unsent = iot_connection_get_unsent(self);

	if (unsent == 0) {
		g_clear_pointer(&self->unsent_timer, g_source_unref);
		iot_connection_finish(self, TRUE);
		return G_SOURCE_REMOVE;
	}
	/* the peer takes data: it gets the close timeout again */
	if (unsent < self->unsent)
		iot_connection_arm_close_timer(self);
	self->unsent = unsent;
	return G_SOURCE_CONTINUE;
}

/*
 * The queue is written: resets the stream once the kernel sent all of it,
 * since a reset drops what the kernel still holds. A Unix socket or a pipe
 * has no reset: the peer reads what was written, then an end of stream.
 */
static void
iot_connection_reset_when_sent(IotConnection *self)
{
	if (self->unsent_timer != NULL)
		return;
	self->unsent = iot_connection_get_unsent(self);
	if (self->unsent == 0) {
		iot_connection_finish(self, TRUE);
		return;
	}
	iot_connection_arm_close_timer(self);
	self->unsent_timer = g_timeout_source_new(IOT_CONNECTION_UNSENT_POLL_MS);
	g_source_set_static_name(self->unsent_timer, "iot-connection-unsent");
	g_source_set_callback(self->unsent_timer, iot_connection_unsent_cb, self, NULL);
	g_source_attach(self->unsent_timer, g_main_context_get_thread_default());
}

/*
 * Writes as much of the queue as the stream takes now. A write failure
 * finishes the connection and returns FALSE with @error set.
 */
static gboolean
iot_connection_flush(IotConnection *self, GError **error)
{
	gsize progress = 0;

	while (!g_queue_is_empty(&self->write_queue)) {
		GOutputVector vectors[IOT_CONNECTION_WRITEV_MAX];
		gsize n_vectors = 0;
		gsize written = 0;
		GPollableReturn ret;
		g_autoptr(GError) error_local = NULL;

		for (GList *l = self->write_queue.head;
		     l != NULL && n_vectors < IOT_CONNECTION_WRITEV_MAX;
		     l = l->next) {
			gsize size = 0;
			const guint8 *data = g_bytes_get_data(l->data, &size);
			gsize skip = n_vectors == 0 ? self->write_offset : 0;
			vectors[n_vectors].buffer = data + skip;
			vectors[n_vectors].size = size - skip;
			n_vectors++;
		}
		ret = g_pollable_output_stream_writev_nonblocking(self->output,
								  vectors,
								  n_vectors,
								  &written,
								  NULL,
								  &error_local);
		if (ret == G_POLLABLE_RETURN_WOULD_BLOCK)
			break;
		if (ret == G_POLLABLE_RETURN_FAILED) {
			g_set_error(error,
				    IOT_CONNECTION_ERROR,
				    IOT_CONNECTION_ERROR_WRITE,
				    "failed to write: %s",
				    error_local->message);
			iot_connection_finish(self, TRUE);
			return FALSE;
		}
		self->bytes_written += written;
		self->write_queued -= written;
		progress += written;
		written += self->write_offset;
		self->write_offset = 0;
		while (written > 0) {
			GBytes *head = g_queue_peek_head(&self->write_queue);
			gsize size = g_bytes_get_size(head);
			if (written < size) {
				self->write_offset = written;
				break;
			}
			written -= size;
			g_bytes_unref(g_queue_pop_head(&self->write_queue));
		}
	}

	iot_connection_set_writing(self, !g_queue_is_empty(&self->write_queue));
	iot_connection_update_congested(self, progress > 0);
	if (progress > 0)
		g_signal_emit(self, signals[SIGNAL_WRITTEN], 0, self->bytes_written);
	if (self->finished)
		return TRUE;
	iot_connection_shut_write_side(self);
	if (self->closing) {
		if (g_queue_is_empty(&self->write_queue) && self->reset_at_close)
			iot_connection_reset_when_sent(self);
		else if (g_queue_is_empty(&self->write_queue))
			iot_connection_shutdown(self);
		else if (progress > 0 || self->close_timer == NULL)
			iot_connection_arm_close_timer(self);
	}
	return TRUE;
}

static gboolean
iot_connection_write_ready_cb(GObject *pollable, gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = g_object_ref(self);
	g_autoptr(GError) error = NULL;

	if (!iot_connection_flush(self, &error)) {
		iot_connection_emit_closed(self, error);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
iot_connection_read_ready_cb(GObject *pollable, gpointer user_data)
{
	IotConnection *self = IOT_CONNECTION(user_data);
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = g_object_ref(self);
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GBytes) bytes = NULL;
	guint8 *buffer = g_malloc(IOT_CONNECTION_READ_SIZE);
	gssize n;

	n = g_pollable_input_stream_read_nonblocking(self->input,
						     buffer,
						     IOT_CONNECTION_READ_SIZE,
						     NULL,
						     &error_local);
	if (n < 0 && g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_free(buffer);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0) {
		g_autoptr(GError) error = g_error_new(IOT_CONNECTION_ERROR,
						      IOT_CONNECTION_ERROR_READ,
						      "failed to read: %s",
						      error_local->message);
		g_free(buffer);
		iot_connection_finish(self, TRUE);
		iot_connection_emit_closed(self, error);
		return G_SOURCE_REMOVE;
	}
	if (n == 0) {
		g_free(buffer);
		self->read_ended = TRUE;
		iot_connection_update_reading(self);
		iot_connection_emit_closed(self, NULL);
		return G_SOURCE_REMOVE;
	}
	self->bytes_read += n;
	if (n < IOT_CONNECTION_SHRINK_BELOW) {
		bytes = g_bytes_new(buffer, n);
		g_free(buffer);
	} else {
		bytes = g_bytes_new_take(g_realloc(buffer, n), n);
	}
	g_signal_emit(self, signals[SIGNAL_DATA], 0, bytes);
	return G_SOURCE_CONTINUE;
}

/* waits for input to read, or stops, to match the state */
static void
iot_connection_update_reading(IotConnection *self)
{
	iot_connection_set_reading(self,
				   self->started && !self->read_paused && !self->window_closed &&
				       !self->read_ended && !self->closing);
}

/* the fd that both directions of @stream read and write directly, or -1 */
static gint
iot_connection_stream_get_fd(GIOStream *stream)
{
	GInputStream *input = g_io_stream_get_input_stream(stream);
	GOutputStream *output = g_io_stream_get_output_stream(stream);
	gint fd;

	if (!G_IS_FILE_DESCRIPTOR_BASED(input) || !G_IS_FILE_DESCRIPTOR_BASED(output))
		return -1;
	fd = g_file_descriptor_based_get_fd(G_FILE_DESCRIPTOR_BASED(input));
	if (fd != g_file_descriptor_based_get_fd(G_FILE_DESCRIPTOR_BASED(output)))
		return -1;
	return fd;
}

/**
 * iot_connection_new:
 * @stream: a stream whose input and output are pollable
 * @description: a short text for logs ("127.0.0.1:51234")
 *
 * Returns: (transfer full): a connection that does nothing until started
 */
IotConnection *
iot_connection_new(GIOStream *stream, const gchar *description)
{
	IotConnection *self;

	g_return_val_if_fail(G_IS_IO_STREAM(stream), NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream)),
			     NULL);
	g_return_val_if_fail(G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream)),
			     NULL);

	self = g_object_new(IOT_TYPE_CONNECTION, NULL);
	self->stream = g_object_ref(stream);
	self->input = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream));
	self->output = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream));
	self->fd = iot_connection_stream_get_fd(stream);
	self->description = g_strdup(description != NULL ? description : "connection");
	return self;
}

/**
 * iot_connection_get_stream:
 * @self: a connection
 *
 * Returns: (transfer none): the wrapped stream
 */
GIOStream *
iot_connection_get_stream(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), NULL);
	return self->stream;
}

/**
 * iot_connection_get_description:
 * @self: a connection
 *
 * Returns: the text given at creation
 */
const gchar *
iot_connection_get_description(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), NULL);
	return self->description;
}

/**
 * iot_connection_start:
 * @self: a connection
 *
 * Starts reading: ::data and ::closed may be emitted from now on.
 */
void
iot_connection_start(IotConnection *self)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	self->started = TRUE;
	iot_connection_update_reading(self);
}

/**
 * iot_connection_set_read_paused:
 * @self: a connection
 * @paused: %TRUE to stop reading the local peer for now
 */
void
iot_connection_set_read_paused(IotConnection *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	self->read_paused = paused;
	iot_connection_update_reading(self);
}

/**
 * iot_connection_get_read_paused:
 * @self: a connection
 *
 * Returns: whether reading is paused
 */
gboolean
iot_connection_get_read_paused(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), FALSE);
	return self->read_paused;
}

/**
 * iot_connection_write:
 * @self: a connection
 * @bytes: bytes for the local peer; a reference is taken, nothing is copied
 *
 * Queues @bytes and writes what the stream takes now. Ignored once the
 * connection is finished or closing. A write failure finishes the connection
 * at once, but ::closed reports it from the main loop, never from inside
 * this call.
 */
void
iot_connection_write(IotConnection *self, GBytes *bytes)
{
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = NULL;
	g_autoptr(GError) error = NULL;

	g_return_if_fail(IOT_IS_CONNECTION(self));
	g_return_if_fail(bytes != NULL);
	if (self->finished || self->closing || self->write_shut || g_bytes_get_size(bytes) == 0)
		return;
	/* a ::notify handler may drop the caller's reference */
	hold = g_object_ref(self);
	if (self->write_queued + g_bytes_get_size(bytes) > iot_connection_get_queue_limit(self)) {
		error =
		    g_error_new(IOT_CONNECTION_ERROR,
				IOT_CONNECTION_ERROR_OVERFLOW,
				"more than %" G_GSIZE_FORMAT " bytes would wait for the local peer",
				iot_connection_get_queue_limit(self));
		iot_tunnel_info(self->tunnel,
				self->stream_id,
				self->connection_id,
				"%s: %s; resetting this connection",
				self->description,
				error->message);
		iot_connection_finish(self, TRUE);
		iot_connection_emit_closed_later(self, g_steal_pointer(&error));
		return;
	}
	g_queue_push_tail(&self->write_queue, g_bytes_ref(bytes));
	self->write_queued += g_bytes_get_size(bytes);
	if (self->writing) {
		iot_connection_update_congested(self, FALSE);
		return;
	}
	if (!iot_connection_flush(self, &error))
		iot_connection_emit_closed_later(self, g_steal_pointer(&error));
}

/**
 * iot_connection_get_write_queued:
 * @self: a connection
 *
 * Returns: bytes queued for the local peer and not yet written
 */
gsize
iot_connection_get_write_queued(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->write_queued;
}

/**
 * iot_connection_get_congested:
 * @self: a connection
 *
 * Returns: whether the write queue is above the high-water mark (and has not
 *   yet fallen below the low one)
 */
gboolean
iot_connection_get_congested(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), FALSE);
	return self->congested;
}

/**
 * iot_connection_set_budget:
 * @self: a connection
 * @budget: the most bytes that may wait for the local peer, 0 for no limit
 * @stall_timeout_ms: how long a congested queue may go without the local
 *   peer taking any of it before the connection is reset, 0 for no limit
 *
 * Bounds the write queue: a write that would take it past @budget resets
 * the connection at once (::closed reports %IOT_CONNECTION_ERROR_OVERFLOW,
 * from the main loop), and a queue above %IOT_CONNECTION_HIGH_WATER of
 * which nothing is written for @stall_timeout_ms resets it too
 * (%IOT_CONNECTION_ERROR_STALLED), each with a log line naming the
 * connection. Meant for writers that cannot be told to slow down; see
 * iot_connection_set_paced() for those that can.
 */
void
iot_connection_set_budget(IotConnection *self, gsize budget, guint stall_timeout_ms)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	self->budget = budget;
	self->stall_timeout_ms = stall_timeout_ms;
	iot_connection_update_stall_timer(self, FALSE);
}

/**
 * iot_connection_get_budget:
 * @self: a connection
 *
 * Returns: the budget of iot_connection_set_budget(), 0 for none
 */
gsize
iot_connection_get_budget(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->budget;
}

/**
 * iot_connection_set_paced:
 * @self: a connection
 * @paced: %TRUE when whoever writes to @self keeps to its budget by itself
 *
 * A paced connection is never reset for stalling: its writer stops sending
 * instead, and it may hold twice its budget (what the writer sent before it
 * learnt to pace) before an overflow resets it.
 */
void
iot_connection_set_paced(IotConnection *self, gboolean paced)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	self->paced = paced;
	iot_connection_update_stall_timer(self, FALSE);
}

/**
 * iot_connection_set_window_closed:
 * @self: a connection
 * @closed: %TRUE while the far side holds all it may of what was read
 *
 * Stops reading the local peer until the far side takes some, apart from
 * iot_connection_set_read_paused(), which the tunnel uses for itself.
 */
void
iot_connection_set_window_closed(IotConnection *self, gboolean closed)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	self->window_closed = closed;
	iot_connection_update_reading(self);
}

/**
 * iot_connection_shutdown_write:
 * @self: a connection
 *
 * Ends our direction once the queue is written (shutdown(SHUT_WR) for a
 * socket), so the local peer reads an end of stream, and goes on reading
 * what it still sends. Later writes are ignored.
 */
void
iot_connection_shutdown_write(IotConnection *self)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	if (self->finished || self->closing || self->write_shut)
		return;
	self->write_shut = TRUE;
	iot_connection_shut_write_side(self);
}

/* stops reading and writes what is queued, then ends the stream as @reset says */
static void
iot_connection_close_after_flush(IotConnection *self, gboolean reset)
{
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = NULL;
	g_autoptr(GError) error = NULL;

	if (self->finished || self->closing)
		return;
	hold = g_object_ref(self);
	self->closing = TRUE;
	self->reset_at_close = reset;
	self->closing_ref = TRUE;
	g_object_ref(self);
	iot_connection_update_reading(self);
	if (!iot_connection_flush(self, &error))
		iot_tunnel_debug(self->tunnel,
				 self->stream_id,
				 self->connection_id,
				 "%s: %s",
				 self->description,
				 error->message);
}

/**
 * iot_connection_close:
 * @self: a connection
 *
 * Stops reading, writes what is queued, then ends the stream cleanly: our
 * side is shut, and input is dropped until the peer ends its own, so that no
 * reset cuts what it has yet to receive. The connection keeps itself alive
 * meanwhile: the caller may drop its reference at once. A peer that takes
 * no data, or does not end its side, for 30 seconds gets a reset instead.
 * Does not emit ::closed.
 */
void
iot_connection_close(IotConnection *self)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	iot_connection_close_after_flush(self, FALSE);
}

/**
 * iot_connection_flush_and_reset:
 * @self: a connection
 *
 * Stops reading, writes what is queued, waits until the kernel has sent it
 * all, then closes with a TCP reset, so that the local app gets every byte
 * it was sent and then sees its stream cut, not complete. Streams with no
 * reset (a Unix socket, a command's pipes) end with a plain close: their
 * app reads what was sent and then an end of stream. The connection keeps
 * itself alive meanwhile, and resets at once when the peer takes nothing for
 * 30 seconds. Does not emit ::closed.
 */
void
iot_connection_flush_and_reset(IotConnection *self)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	iot_connection_close_after_flush(self, TRUE);
}

/**
 * iot_connection_abort:
 * @self: a connection
 *
 * Drops what is queued and closes at once, with a TCP reset for sockets, so
 * the local app sees a cut stream rather than a complete one. Does not emit
 * ::closed, not even for an error met before.
 */
void
iot_connection_abort(IotConnection *self)
{
	g_autoptr(IotConnection) hold G_GNUC_UNUSED = NULL;

	g_return_if_fail(IOT_IS_CONNECTION(self));
	hold = g_object_ref(self);
	self->closed_emitted = TRUE;
	iot_connection_destroy_source(&self->closed_source);
	iot_connection_finish(self, TRUE);
}

/**
 * iot_connection_is_finished:
 * @self: a connection
 *
 * Returns: whether the stream is closed
 */
gboolean
iot_connection_is_finished(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), TRUE);
	return self->finished;
}

/**
 * iot_connection_set_close_timeout:
 * @self: a connection
 * @timeout_ms: the new limit, in milliseconds
 *
 * For tests: replaces the 30 seconds that iot_connection_close() waits for a
 * peer that takes no data or does not end its side.
 */
void
iot_connection_set_close_timeout(IotConnection *self, guint timeout_ms)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));
	g_return_if_fail(timeout_ms > 0);
	self->close_timeout_ms = timeout_ms;
}

/**
 * iot_connection_get_bytes_read:
 * @self: a connection
 *
 * Returns: bytes read from the local peer so far
 */
guint64
iot_connection_get_bytes_read(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->bytes_read;
}

/**
 * iot_connection_get_bytes_written:
 * @self: a connection
 *
 * Returns: bytes written to the local peer so far
 */
guint64
iot_connection_get_bytes_written(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->bytes_written;
}

/**
 * iot_connection_set_identity:
 * @self: a connection
 * @tunnel: (nullable): the name of its tunnel
 * @stream_id: the stream it belongs to
 * @connection_id: its connection ID in that stream
 *
 * Says which tunnel, stream and connection @self is, once a stream takes
 * it: its own log lines then name them (see iot_tunnel_log()), and
 * #IotConnection:stream-id tells whoever watches.
 */
void
iot_connection_set_identity(IotConnection *self,
			    const gchar *tunnel,
			    gint32 stream_id,
			    guint32 connection_id)
{
	g_return_if_fail(IOT_IS_CONNECTION(self));

	g_object_freeze_notify(G_OBJECT(self));
	g_free(self->tunnel);
	self->tunnel = g_strdup(tunnel);
	if (self->connection_id != connection_id) {
		self->connection_id = connection_id;
		g_object_notify_by_pspec(G_OBJECT(self), pspecs[PROP_CONNECTION_ID]);
	}
	if (self->stream_id != stream_id) {
		self->stream_id = stream_id;
		g_object_notify_by_pspec(G_OBJECT(self), pspecs[PROP_STREAM_ID]);
	}
	g_object_thaw_notify(G_OBJECT(self));
}

/**
 * iot_connection_get_stream_id:
 * @self: a connection
 *
 * Returns: the stream it belongs to, 0 until a stream takes it
 */
gint32
iot_connection_get_stream_id(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->stream_id;
}

/**
 * iot_connection_get_connection_id:
 * @self: a connection
 *
 * Returns: its connection ID in its stream, 0 until a stream takes it
 */
guint32
iot_connection_get_connection_id(IotConnection *self)
{
	g_return_val_if_fail(IOT_IS_CONNECTION(self), 0);
	return self->connection_id;
}

static void
iot_connection_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	IotConnection *self = IOT_CONNECTION(object);
	switch (prop_id) {
	case PROP_CONGESTED:
		g_value_set_boolean(value, self->congested);
		break;
	case PROP_STREAM_ID:
		g_value_set_int(value, self->stream_id);
		break;
	case PROP_CONNECTION_ID:
		g_value_set_uint(value, self->connection_id);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_connection_dispose(GObject *object)
{
	IotConnection *self = IOT_CONNECTION(object);
	iot_connection_destroy_source(&self->closed_source);
	g_clear_error(&self->closed_error);
	/* nobody is left to tell that the queue is gone */
	self->congested = FALSE;
	if (self->stream != NULL)
		iot_connection_finish(self, FALSE);
	g_clear_object(&self->stream);
	G_OBJECT_CLASS(iot_connection_parent_class)->dispose(object);
}

static void
iot_connection_finalize(GObject *object)
{
	IotConnection *self = IOT_CONNECTION(object);
	g_free(self->description);
	g_free(self->tunnel);
	G_OBJECT_CLASS(iot_connection_parent_class)->finalize(object);
}

static void
iot_connection_class_init(IotConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = iot_connection_get_property;
	object_class->dispose = iot_connection_dispose;
	object_class->finalize = iot_connection_finalize;

	/**
	 * IotConnection:congested:
	 *
	 * Whether more is queued for the local peer than it should hold.
	 */
	pspecs[PROP_CONGESTED] = g_param_spec_boolean("congested",
						      NULL,
						      NULL,
						      FALSE,
						      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
							  G_PARAM_STATIC_STRINGS);
	/**
	 * IotConnection:stream-id:
	 *
	 * The stream the connection belongs to, 0 until a stream takes it.
	 */
	pspecs[PROP_STREAM_ID] =
	    g_param_spec_int("stream-id",
			     NULL,
			     NULL,
			     G_MININT32,
			     G_MAXINT32,
			     0,
			     G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	/**
	 * IotConnection:connection-id:
	 *
	 * Its connection ID in its stream, 0 until a stream takes it.
	 */
	pspecs[PROP_CONNECTION_ID] =
	    g_param_spec_uint("connection-id",
			      NULL,
			      NULL,
			      0,
			      G_MAXUINT32,
			      0,
			      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, pspecs);

	/**
	 * IotConnection::data:
	 * @self: the connection
	 * @bytes: what was read, at most %IOT_MESSAGE_MAX_PAYLOAD bytes
	 */
	signals[SIGNAL_DATA] = g_signal_new("data",
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
	 * IotConnection::written:
	 * @self: the connection
	 * @total: bytes written to the local peer so far
	 *
	 * The local peer took some of the queue.
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
	/**
	 * IotConnection::closed:
	 * @self: the connection
	 * @error: (nullable): %NULL for a clean end of stream from the peer
	 *
	 * The local peer ended the connection or an I/O error did; emitted
	 * once at most, from the main loop, and not after
	 * iot_connection_close() or iot_connection_abort(). After an end of
	 * stream the connection can still write: call iot_connection_close()
	 * to flush and release it.
	 */
	signals[SIGNAL_CLOSED] = g_signal_new("closed",
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
iot_connection_init(IotConnection *self)
{
	g_queue_init(&self->write_queue);
	self->fd = -1;
	self->close_timeout_ms = IOT_CONNECTION_CLOSE_TIMEOUT_MS;
}
