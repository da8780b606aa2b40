/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-fuzz-session.h"

#include <gio/gunixsocketaddress.h>
#include <sys/socket.h>

/*
 * The tunnel side of a codec for the codec fuzz target: every message the
 * codec sends must encode and pass the service's validator, as the service
 * would check it; each local connection is a real socket pair whose far
 * end (the app) the script writes to, closes and reads from. No TCP, so
 * that millions of connections leave no port in TIME_WAIT.
 */

struct _IotFuzzSession {
	GObject parent_instance;
	IotTunnelMode mode;
	GStrv service_ids;
	guint version;
	GPtrArray *apps; /* of GSocket: the far end of each local connection */
	guint n_sent;
	gboolean failed;
};

static void
iot_fuzz_session_iface_init(IotSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotFuzzSession,
			      iot_fuzz_session,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_SESSION, iot_fuzz_session_iface_init))

static IotTunnelMode
iot_fuzz_session_get_mode(IotSession *session)
{
	return IOT_FUZZ_SESSION(session)->mode;
}

static const gchar *const *
iot_fuzz_session_get_service_ids(IotSession *session)
{
	return (const gchar *const *)IOT_FUZZ_SESSION(session)->service_ids;
}

static void
iot_fuzz_session_send(IotSession *session, const IotMessage *msg)
{
	IotFuzzSession *self = IOT_FUZZ_SESSION(session);
	IotMessageSender sender = self->mode == IOT_TUNNEL_MODE_SOURCE
				      ? IOT_MESSAGE_SENDER_SOURCE
				      : IOT_MESSAGE_SENDER_DESTINATION;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = iot_frame_encode(msg, &error);

	g_assert_no_error(error);
	g_assert_nonnull(frame);
	/* what is not ignorable must be what the service takes */
	if (!msg->ignorable) {
		gboolean valid = iot_message_validator_check(msg, sender, self->version, &error);
		g_assert_no_error(error);
		g_assert_true(valid);
	}
	self->n_sent++;
}

static void
iot_fuzz_session_connect_async(IotSession *session,
			       const gchar *service_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	IotFuzzSession *self = IOT_FUZZ_SESSION(session);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, iot_fuzz_session_connect_async);
	/* a codec asks only for a service the tunnel has */
	if (service_id != NULL && service_id[0] != '\0')
		g_assert_true(g_strv_contains((const gchar *const *)self->service_ids, service_id));
	g_task_return_pointer(task, iot_fuzz_session_open(self), g_object_unref);
}

static IotConnection *
iot_fuzz_session_connect_finish(IotSession *session, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, session), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static gboolean
iot_fuzz_session_service_ids_received(IotSession *session,
				      const gchar *const *service_ids,
				      GError **error)
{
	return TRUE;
}

static void
iot_fuzz_session_fail(IotSession *session, const GError *error)
{
	IOT_FUZZ_SESSION(session)->failed = TRUE;
}

static void
iot_fuzz_session_iface_init(IotSessionInterface *iface)
{
	iface->get_mode = iot_fuzz_session_get_mode;
	iface->get_service_ids = iot_fuzz_session_get_service_ids;
	iface->send = iot_fuzz_session_send;
	iface->connect_async = iot_fuzz_session_connect_async;
	iface->connect_finish = iot_fuzz_session_connect_finish;
	iface->service_ids_received = iot_fuzz_session_service_ids_received;
	iface->fail = iot_fuzz_session_fail;
}

static void
iot_fuzz_session_finalize(GObject *object)
{
	IotFuzzSession *self = IOT_FUZZ_SESSION(object);

	g_strfreev(self->service_ids);
	g_ptr_array_unref(self->apps);
	G_OBJECT_CLASS(iot_fuzz_session_parent_class)->finalize(object);
}

static void
iot_fuzz_session_class_init(IotFuzzSessionClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = iot_fuzz_session_finalize;
}

static void
iot_fuzz_session_init(IotFuzzSession *self)
{
	self->apps = g_ptr_array_new_with_free_func(g_object_unref);
}

/**
 * iot_fuzz_session_new:
 * @mode: the tunnel's side
 * @service_ids: the configured services
 * @version: the subprotocol's, for the validator (1, 2 or 3)
 *
 * Returns: (transfer full): a session
 */
IotFuzzSession *
iot_fuzz_session_new(IotTunnelMode mode, const gchar *const *service_ids, guint version)
{
	IotFuzzSession *self = g_object_new(IOT_TYPE_FUZZ_SESSION, NULL);

	self->mode = mode;
	self->service_ids = g_strdupv((gchar **)service_ids);
	self->version = version;
	return self;
}

/* a new local connection: the codec's end, the app's end kept by the session */
IotConnection *
iot_fuzz_session_open(IotFuzzSession *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) near = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	GSocket *far;
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	near = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	far = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	g_socket_set_blocking(far, FALSE);
	g_ptr_array_add(self->apps, far);
	stream = g_socket_connection_factory_create_connection(near);
	return iot_connection_new(G_IO_STREAM(stream), "fuzz-app");
}

/* the app of connection @index (modulo how many) sends @data, as much as its socket takes */
void
iot_fuzz_session_app_write(IotFuzzSession *self, guint index, const guint8 *data, gsize len)
{
	if (self->apps->len == 0)
		return;
	g_socket_send(g_ptr_array_index(self->apps, index % self->apps->len),
		      (const gchar *)data,
		      len,
		      NULL,
		      NULL);
}

/* the app of connection @index (modulo how many) closes its socket */
void
iot_fuzz_session_app_close(IotFuzzSession *self, guint index)
{
	if (self->apps->len == 0)
		return;
	g_socket_close(g_ptr_array_index(self->apps, index % self->apps->len), NULL);
}

/* runs what is ready, and the apps read what they got */
void
iot_fuzz_session_settle(IotFuzzSession *self)
{
	gchar buffer[4096];

	for (guint round = 0; round < 4; round++) {
		for (guint i = 0; i < 64 && g_main_context_iteration(NULL, FALSE); i++)
			;
		for (guint i = 0; i < self->apps->len; i++) {
			GSocket *app = g_ptr_array_index(self->apps, i);
			while (!g_socket_is_closed(app) &&
			       g_socket_receive(app, buffer, sizeof(buffer), NULL, NULL) > 0)
				;
		}
	}
}

guint
iot_fuzz_session_get_n_sent(IotFuzzSession *self)
{
	return self->n_sent;
}

gboolean
iot_fuzz_session_has_failed(IotFuzzSession *self)
{
	return self->failed;
}
