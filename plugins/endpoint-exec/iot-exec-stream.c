/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-exec-stream.h"

#include <signal.h>

/**
 * IotExecStream:
 *
 * One connection to a command: our end of the socket pair that is the
 * command's stdin and stdout, and the command itself.
 *
 * Both directions are pollable (a #GSocket underneath, which also means that
 * writing to a command that has gone never raises SIGPIPE). When the command
 * exits, the stream stops reading: what it wrote is still read, then the
 * reader sees the end of the stream, even if a child the command left behind
 * still holds the socket. Closing the stream, or dropping the last reference
 * to an open one, sends SIGTERM to a command still running, then SIGKILL if
 * it has not exited after the grace period.
 */

struct _IotExecStream {
	GIOStream parent_instance;
	GSocketConnection *connection; /* our end of the socket pair */
	GSubprocess *subprocess;
	gchar *description; /* "cat (pid 1234)" */
	guint grace_ms;
	GCancellable *cancellable; /* our wait for the command's exit */
	gboolean exited;
};

G_DEFINE_FINAL_TYPE(IotExecStream, iot_exec_stream, G_TYPE_IO_STREAM)

/* ends a command after its stream closed; lives until the command has exited */
typedef struct {
	GSubprocess *subprocess;
	gchar *description;
	GSource *kill_timer;
} IotExecReaper;

static void
iot_exec_reaper_free(IotExecReaper *reaper)
{
	if (reaper->kill_timer != NULL) {
		g_source_destroy(reaper->kill_timer);
		g_source_unref(reaper->kill_timer);
	}
	g_object_unref(reaper->subprocess);
	g_free(reaper->description);
	g_free(reaper);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotExecReaper, iot_exec_reaper_free)

static void
iot_exec_stream_log_exit(GSubprocess *subprocess, const gchar *description)
{
	if (g_subprocess_get_if_signaled(subprocess)) {
		g_info("%s ended by signal %d", description, g_subprocess_get_term_sig(subprocess));
		return;
	}
	g_info("%s exited with status %d", description, g_subprocess_get_exit_status(subprocess));
}

static gboolean
iot_exec_reaper_kill_cb(gpointer user_data)
{
	IotExecReaper *reaper = user_data;
	g_message("%s did not exit after SIGTERM; sending SIGKILL", reaper->description);
	g_subprocess_force_exit(reaper->subprocess);
	g_clear_pointer(&reaper->kill_timer, g_source_unref);
	return G_SOURCE_REMOVE;
}

static void
iot_exec_reaper_exited_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotExecReaper) reaper = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error)) {
		g_debug("%s: %s", reaper->description, error->message);
		return;
	}
	iot_exec_stream_log_exit(reaper->subprocess, reaper->description);
}

/* SIGTERM now, SIGKILL after the grace period, unless the command has exited */
static void
iot_exec_stream_end_command(IotExecStream *self)
{
	IotExecReaper *reaper;

	if (self->subprocess == NULL || self->exited)
		return;
	/* our own wait is not needed any more: the reaper takes over */
	g_cancellable_cancel(self->cancellable);
	self->exited = TRUE;

	reaper = g_new0(IotExecReaper, 1);
	reaper->subprocess = g_object_ref(self->subprocess);
	reaper->description = g_strdup(self->description);
	if (self->grace_ms == 0) {
		g_debug("%s: connection closed; sending SIGKILL", self->description);
		g_subprocess_force_exit(self->subprocess);
	} else {
		g_debug("%s: connection closed; sending SIGTERM", self->description);
		g_subprocess_send_signal(self->subprocess, SIGTERM);
		reaper->kill_timer = g_timeout_source_new(self->grace_ms);
		g_source_set_static_name(reaper->kill_timer, "iot-exec-kill");
		g_source_set_callback(reaper->kill_timer, iot_exec_reaper_kill_cb, reaper, NULL);
		g_source_attach(reaper->kill_timer, g_main_context_get_thread_default());
	}
	g_subprocess_wait_async(self->subprocess, NULL, iot_exec_reaper_exited_cb, reaper);
}

static void
iot_exec_stream_exited_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	IotExecStream *self;
	GSocket *socket;

	if (!g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error)) {
		/* cancelled: the stream closed, and may be gone */
		return;
	}
	self = IOT_EXEC_STREAM(user_data);
	self->exited = TRUE;
	iot_exec_stream_log_exit(self->subprocess, self->description);
	if (g_io_stream_is_closed(G_IO_STREAM(self)))
		return;

	/* what the command wrote is still read, then the end of the stream */
	socket = g_socket_connection_get_socket(self->connection);
	if (!g_socket_shutdown(socket, TRUE, FALSE, &error))
		g_debug("%s: shutdown: %s", self->description, error->message);
}

static GInputStream *
iot_exec_stream_get_input_stream(GIOStream *stream)
{
	IotExecStream *self = IOT_EXEC_STREAM(stream);
	return g_io_stream_get_input_stream(G_IO_STREAM(self->connection));
}

static GOutputStream *
iot_exec_stream_get_output_stream(GIOStream *stream)
{
	IotExecStream *self = IOT_EXEC_STREAM(stream);
	return g_io_stream_get_output_stream(G_IO_STREAM(self->connection));
}

static gboolean
iot_exec_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	IotExecStream *self = IOT_EXEC_STREAM(stream);
	gboolean ret = g_io_stream_close(G_IO_STREAM(self->connection), cancellable, error);
	iot_exec_stream_end_command(self);
	return ret;
}

static void
iot_exec_stream_dispose(GObject *object)
{
	IotExecStream *self = IOT_EXEC_STREAM(object);

	/* an open stream nobody holds any more ends its command too */
	if (self->connection != NULL && !g_io_stream_is_closed(G_IO_STREAM(self)))
		g_io_stream_close(G_IO_STREAM(self), NULL, NULL);
	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	g_clear_object(&self->cancellable);
	g_clear_object(&self->subprocess);
	g_clear_object(&self->connection);
	G_OBJECT_CLASS(iot_exec_stream_parent_class)->dispose(object);
}

static void
iot_exec_stream_finalize(GObject *object)
{
	IotExecStream *self = IOT_EXEC_STREAM(object);
	g_free(self->description);
	G_OBJECT_CLASS(iot_exec_stream_parent_class)->finalize(object);
}

static void
iot_exec_stream_class_init(IotExecStreamClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GIOStreamClass *stream_class = G_IO_STREAM_CLASS(klass);

	object_class->dispose = iot_exec_stream_dispose;
	object_class->finalize = iot_exec_stream_finalize;
	stream_class->get_input_stream = iot_exec_stream_get_input_stream;
	stream_class->get_output_stream = iot_exec_stream_get_output_stream;
	stream_class->close_fn = iot_exec_stream_close;
}

static void
iot_exec_stream_init(IotExecStream *self)
{
	self->cancellable = g_cancellable_new();
}

/**
 * iot_exec_stream_new:
 * @socket: our end of the socket pair whose other end is the command's stdin
 *   and stdout
 * @subprocess: the command
 * @grace_ms: how long the command may take to exit after SIGTERM; 0 sends
 *   SIGKILL at once
 * @description: the command for logs, "cat (pid 1234)"
 *
 * Returns: (transfer full): a stream that owns the command
 */
IotExecStream *
iot_exec_stream_new(GSocket *socket,
		    GSubprocess *subprocess,
		    guint grace_ms,
		    const gchar *description)
{
	IotExecStream *self;

	g_return_val_if_fail(G_IS_SOCKET(socket), NULL);
	g_return_val_if_fail(G_IS_SUBPROCESS(subprocess), NULL);

	self = g_object_new(IOT_TYPE_EXEC_STREAM, NULL);
	self->connection = g_socket_connection_factory_create_connection(socket);
	self->subprocess = g_object_ref(subprocess);
	self->grace_ms = grace_ms;
	self->description = g_strdup(description);
	g_subprocess_wait_async(subprocess, self->cancellable, iot_exec_stream_exited_cb, self);
	return self;
}

/**
 * iot_exec_stream_get_subprocess:
 * @self: a stream
 *
 * Returns: (transfer none): the command
 */
GSubprocess *
iot_exec_stream_get_subprocess(IotExecStream *self)
{
	g_return_val_if_fail(IOT_IS_EXEC_STREAM(self), NULL);
	return self->subprocess;
}

/**
 * iot_exec_stream_get_exited:
 * @self: a stream
 *
 * Returns: whether the command has exited, or was told to
 */
gboolean
iot_exec_stream_get_exited(IotExecStream *self)
{
	g_return_val_if_fail(IOT_IS_EXEC_STREAM(self), FALSE);
	return self->exited;
}
