/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-dbus-common.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "iot-daemon.h"
#include "iot-plugin-registry.h"
#include "iot-profile-common.h"

static const GDBusErrorEntry iot_dbus_error_entries[] = {
    {IOT_DBUS_ERROR_FAILED, "org.iotunnel.Error.Failed"},
    {IOT_DBUS_ERROR_INVALID_ARGS, "org.iotunnel.Error.InvalidArgs"},
    {IOT_DBUS_ERROR_INVALID_PROFILE, "org.iotunnel.Error.InvalidProfile"},
    {IOT_DBUS_ERROR_INVALID_TOKEN, "org.iotunnel.Error.InvalidToken"},
    {IOT_DBUS_ERROR_EXISTS, "org.iotunnel.Error.Exists"},
    {IOT_DBUS_ERROR_NOT_FOUND, "org.iotunnel.Error.NotFound"},
    {IOT_DBUS_ERROR_NOT_SUPPORTED, "org.iotunnel.Error.NotSupported"},
    {IOT_DBUS_ERROR_NOT_RUNNING, "org.iotunnel.Error.NotRunning"},
    {IOT_DBUS_ERROR_LIMIT_REACHED, "org.iotunnel.Error.LimitReached"},
    {IOT_DBUS_ERROR_SETUP_FAILED, "org.iotunnel.Error.SetupFailed"},
    {IOT_DBUS_ERROR_STORAGE_FAILED, "org.iotunnel.Error.StorageFailed"},
};

G_STATIC_ASSERT(G_N_ELEMENTS(iot_dbus_error_entries) == IOT_DBUS_ERROR_LAST);

/* registered with its D-Bus names the first time it is asked for, as gio's own */
GQuark
iot_dbus_error_quark(void)
{
	static gsize quark = 0;
	g_dbus_error_register_error_domain("iot-dbus-error-quark",
					   &quark,
					   iot_dbus_error_entries,
					   G_N_ELEMENTS(iot_dbus_error_entries));
	return (GQuark)quark;
}

static IotDBusError
iot_dbus_error_code_from(const GError *error)
{
	if (error->domain == IOT_DBUS_ERROR)
		return (IotDBusError)error->code;
	if (error->domain == IOT_PROFILE_ERROR) {
		return error->code == IOT_PROFILE_ERROR_TOKEN ? IOT_DBUS_ERROR_INVALID_TOKEN
							      : IOT_DBUS_ERROR_INVALID_PROFILE;
	}
	if (g_error_matches(error, IOT_DAEMON_ERROR, IOT_DAEMON_ERROR_EXISTS))
		return IOT_DBUS_ERROR_EXISTS;
	if (error->domain == IOT_TUNNEL_ERROR) {
		switch (error->code) {
		case IOT_TUNNEL_ERROR_UNKNOWN_SERVICE:
			return IOT_DBUS_ERROR_NOT_FOUND;
		case IOT_TUNNEL_ERROR_NOT_SUPPORTED:
			return IOT_DBUS_ERROR_NOT_SUPPORTED;
		case IOT_TUNNEL_ERROR_NOT_RUNNING:
			return IOT_DBUS_ERROR_NOT_RUNNING;
		case IOT_TUNNEL_ERROR_LIMIT:
			return IOT_DBUS_ERROR_LIMIT_REACHED;
		case IOT_TUNNEL_ERROR_SETUP:
			return IOT_DBUS_ERROR_SETUP_FAILED;
		default:
			return IOT_DBUS_ERROR_FAILED;
		}
	}
	/* what iot_tunnel_new() meets while it sets up the plugins */
	if (error->domain == IOT_PLUGIN_ERROR || error->domain == IOT_ENDPOINT_ERROR ||
	    error->domain == IOT_TRANSPORT_ERROR || error->domain == IOT_CODEC_ERROR)
		return IOT_DBUS_ERROR_SETUP_FAILED;
	return IOT_DBUS_ERROR_FAILED;
}

/**
 * iot_dbus_error_from:
 * @error: an error of any domain
 *
 * Returns: (transfer full): the error in %IOT_DBUS_ERROR, with the same message
 */
GError *
iot_dbus_error_from(const GError *error)
{
	return g_error_new_literal(IOT_DBUS_ERROR, iot_dbus_error_code_from(error), error->message);
}

void
iot_dbus_secret_free(IotDBusSecret *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
}

/* reading a token from a file descriptor ------------------------------- */

typedef struct {
	GInputStream *stream;
	guint8 buffer[IOT_DBUS_SECRET_MAX + 1];
	gsize length;
	GCancellable *cancellable; /* ours: the caller's and the timeout cancel it */
	GCancellable *caller_cancellable;
	gulong caller_handler;
	GSource *timeout;
	gboolean timed_out;
} IotDBusSecretRead;

static void
iot_dbus_secret_read_free(IotDBusSecretRead *data)
{
	if (data->caller_cancellable != NULL) {
		g_cancellable_disconnect(data->caller_cancellable, data->caller_handler);
		g_object_unref(data->caller_cancellable);
	}
	if (data->timeout != NULL) {
		g_source_destroy(data->timeout);
		g_source_unref(data->timeout);
	}
	g_clear_object(&data->cancellable);
	g_clear_object(&data->stream);
	explicit_bzero(data->buffer, sizeof(data->buffer));
	g_free(data);
}

static void
iot_dbus_secret_read_caller_cancelled_cb(GCancellable *caller, gpointer user_data)
{
	GCancellable *cancellable = G_CANCELLABLE(user_data);
	g_cancellable_cancel(cancellable);
}

static gboolean
iot_dbus_secret_read_timeout_cb(gpointer user_data)
{
	IotDBusSecretRead *data = user_data;
	data->timed_out = TRUE;
	g_cancellable_cancel(data->cancellable);
	return G_SOURCE_REMOVE;
}

static void
iot_dbus_secret_read_next(GTask *task);

static void
iot_dbus_secret_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotDBusSecretRead *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	gssize n;

	n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	if (n < 0) {
		if (data->timed_out) {
			g_task_return_new_error(
			    task,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_TOKEN,
			    _("The token's file descriptor did not reach its end "
			      "within %u s; close the writing side once the token "
			      "is written."),
			    IOT_DBUS_SECRET_TIMEOUT_MS / 1000);
			return;
		}
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_task_return_error(task, g_steal_pointer(&error));
			return;
		}
		g_task_return_new_error(task,
					IOT_DBUS_ERROR,
					IOT_DBUS_ERROR_INVALID_TOKEN,
					_("The token's file descriptor cannot be read (%s); pass a "
					  "pipe or a file opened for reading."),
					error->message);
		return;
	}
	if (n == 0) {
		gsize length = data->length;
		while (length > 0 &&
		       (data->buffer[length - 1] == '\n' || data->buffer[length - 1] == '\r'))
			length--;
		if (length == 0) {
			g_task_return_new_error(
			    task,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_TOKEN,
			    _("The token's file descriptor gave no token; write the "
			      "token into it."));
			return;
		}
		if (memchr(data->buffer, '\0', length) != NULL) {
			g_task_return_new_error(
			    task,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_TOKEN,
			    _("The token's file descriptor gave a NUL byte; write "
			      "only the token into it."));
			return;
		}
		g_task_return_pointer(task,
				      g_strndup((const gchar *)data->buffer, length),
				      (GDestroyNotify)iot_dbus_secret_free);
		return;
	}
	data->length += (gsize)n;
	if (data->length > IOT_DBUS_SECRET_MAX) {
		g_task_return_new_error(
		    task,
		    IOT_DBUS_ERROR,
		    IOT_DBUS_ERROR_INVALID_TOKEN,
		    _("The token's file descriptor gave more than %u bytes; write "
		      "only the token into it."),
		    (guint)IOT_DBUS_SECRET_MAX);
		return;
	}
	iot_dbus_secret_read_next(g_steal_pointer(&task));
}

static void
iot_dbus_secret_read_next(GTask *task)
{
	IotDBusSecretRead *data = g_task_get_task_data(task);
	g_input_stream_read_async(data->stream,
				  data->buffer + data->length,
				  sizeof(data->buffer) - data->length,
				  G_PRIORITY_DEFAULT,
				  data->cancellable,
				  iot_dbus_secret_read_cb,
				  task);
}

/**
 * iot_dbus_read_secret_async:
 * @fd: (transfer full): a file descriptor to read a token from, to its end
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the token is read
 * @user_data: for @callback
 *
 * Reads at most %IOT_DBUS_SECRET_MAX bytes, within %IOT_DBUS_SECRET_TIMEOUT_MS,
 * and strips trailing newlines. Takes @fd and closes it.
 */
void
iot_dbus_read_secret_async(gint fd,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	IotDBusSecretRead *data = g_new0(IotDBusSecretRead, 1);

	g_task_set_source_tag(task, iot_dbus_read_secret_async);
	g_task_set_name(task, "iot-dbus-read-secret");
	g_task_set_task_data(task, data, (GDestroyNotify)iot_dbus_secret_read_free);
	data->stream = g_unix_input_stream_new(fd, TRUE);
	data->cancellable = g_cancellable_new();
	if (cancellable != NULL) {
		data->caller_cancellable = g_object_ref(cancellable);
		data->caller_handler =
		    g_cancellable_connect(cancellable,
					  G_CALLBACK(iot_dbus_secret_read_caller_cancelled_cb),
					  data->cancellable,
					  NULL);
	}
	data->timeout = g_timeout_source_new(IOT_DBUS_SECRET_TIMEOUT_MS);
	g_source_set_static_name(data->timeout, "iot-dbus-read-secret-timeout");
	g_source_set_callback(data->timeout, iot_dbus_secret_read_timeout_cb, data, NULL);
	g_source_attach(data->timeout, g_main_context_get_thread_default());
	iot_dbus_secret_read_next(g_steal_pointer(&task));
}

/**
 * iot_dbus_read_secret_finish:
 * @result: the result given to the callback
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the token, to free with iot_dbus_secret_free(),
 *   or %NULL with @error set in %IOT_DBUS_ERROR (or %G_IO_ERROR_CANCELLED)
 */
IotDBusSecret *
iot_dbus_read_secret_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == iot_dbus_read_secret_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
