/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-session.h"

#include "iot-codec-test-common.h"

/*
 * The tunnel side of a codec, for tests: records the messages the codec
 * sends, the SERVICE_IDS it passes on and the failures it reports; each
 * local connect makes a real loopback TCP connection whose far end is an
 * IotTestApp. Connects can be told to fail or to wait for the test.
 */

struct _IotTestSession {
	GObject parent_instance;
	IotTunnelMode mode;
	GStrv service_ids;
	GStrv announced;
	GPtrArray *sent;	/* of IotMessage */
	GPtrArray *apps;	/* of IotTestApp, one per connect that succeeded */
	GPtrArray *connections; /* of IotConnection: our end of each of those */
	GPtrArray *connects;	/* of gchar *: the service of each connect asked for */
	GPtrArray *failures;	/* of GError */
	GPtrArray *taken_back;	/* of IotConnection, when the session takes them back */
	GQueue held;		/* of GTask */
	guint n_finished;	/* connects the codec took the result of */
	gboolean echo;
	gboolean fail_connects;
	gboolean hold_connects;
	gboolean reject_service_ids;
};

static void
iot_test_session_iface_init(IotSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotTestSession,
			      iot_test_session,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_SESSION, iot_test_session_iface_init))

static IotTunnelMode
iot_test_session_get_mode(IotSession *session)
{
	return IOT_TEST_SESSION(session)->mode;
}

static const gchar *const *
iot_test_session_get_service_ids(IotSession *session)
{
	return (const gchar *const *)IOT_TEST_SESSION(session)->service_ids;
}

static void
iot_test_session_send(IotSession *session, const IotMessage *msg)
{
	IotTestSession *self = IOT_TEST_SESSION(session);
	IotMessage *copy = iot_message_new_full(msg->type,
						msg->stream_id,
						msg->service_id,
						msg->connection_id,
						msg->payload);
	copy->ignorable = msg->ignorable;
	copy->available_service_ids = g_strdupv(msg->available_service_ids);
	/* what the codec sends must encode, as the transport will need it to */
	if (msg->type != IOT_MESSAGE_TYPE_UNKNOWN) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) frame = iot_frame_encode(msg, &error);
		g_assert_no_error(error);
		g_assert_nonnull(frame);
	}
	g_ptr_array_add(self->sent, copy);
}

static void
iot_test_session_complete(IotTestSession *self, GTask *task_in)
{
	g_autoptr(GTask) task = task_in;
	g_autoptr(GSocketConnection) local = NULL;
	g_autoptr(GSocketConnection) remote = NULL;
	g_autofree gchar *description = NULL;
	IotConnection *connection;

	if (g_task_return_error_if_cancelled(task))
		return;
	if (self->fail_connects) {
		g_task_return_new_error(task,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_CONNECT,
					"the test refused the connect to \"%s\"",
					(const gchar *)g_task_get_task_data(task));
		return;
	}
	iot_test_tcp_pair(&local, &remote);
	g_ptr_array_add(self->apps, iot_test_app_new(remote, self->echo));
	description = g_strdup_printf("test-app-%u", self->apps->len - 1);
	connection = iot_connection_new(G_IO_STREAM(local), description);
	g_ptr_array_add(self->connections, g_object_ref(connection));
	g_task_return_pointer(task, connection, g_object_unref);
}

static void
iot_test_session_connect_async(IotSession *session,
			       const gchar *service_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	IotTestSession *self = IOT_TEST_SESSION(session);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, iot_test_session_connect_async);
	g_task_set_task_data(task, g_strdup(service_id), g_free);
	g_ptr_array_add(self->connects, g_strdup(service_id));
	if (self->hold_connects) {
		g_queue_push_tail(&self->held, g_steal_pointer(&task));
		return;
	}
	iot_test_session_complete(self, g_steal_pointer(&task));
}

static IotConnection *
iot_test_session_connect_finish(IotSession *session, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, session), NULL);
	IOT_TEST_SESSION(session)->n_finished++;
	return g_task_propagate_pointer(G_TASK(result), error);
}

static gboolean
iot_test_session_service_ids_received(IotSession *session,
				      const gchar *const *service_ids,
				      GError **error)
{
	IotTestSession *self = IOT_TEST_SESSION(session);
	g_strfreev(self->announced);
	self->announced = g_strdupv((gchar **)service_ids);
	if (self->reject_service_ids) {
		g_set_error_literal(error,
				    IOT_CODEC_ERROR,
				    IOT_CODEC_ERROR_SERVICE_IDS,
				    "the test rejects the service IDs");
		return FALSE;
	}
	return TRUE;
}

static void
iot_test_session_fail(IotSession *session, const GError *error)
{
	IotTestSession *self = IOT_TEST_SESSION(session);
	g_ptr_array_add(self->failures, g_error_copy(error));
}

static gboolean
iot_test_session_take_back(IotSession *session, const gchar *service_id, IotConnection *connection)
{
	IotTestSession *self = IOT_TEST_SESSION(session);
	if (self->taken_back == NULL)
		return FALSE;
	g_ptr_array_add(self->taken_back, g_object_ref(connection));
	return TRUE;
}

static void
iot_test_session_iface_init(IotSessionInterface *iface)
{
	iface->get_mode = iot_test_session_get_mode;
	iface->get_service_ids = iot_test_session_get_service_ids;
	iface->send = iot_test_session_send;
	iface->connect_async = iot_test_session_connect_async;
	iface->connect_finish = iot_test_session_connect_finish;
	iface->service_ids_received = iot_test_session_service_ids_received;
	iface->fail = iot_test_session_fail;
	iface->take_back = iot_test_session_take_back;
}

/**
 * iot_test_session_new:
 * @mode: the tunnel's side
 * @service_ids: (array zero-terminated=1): the configured services
 *
 * Returns: (transfer full): a session
 */
IotTestSession *
iot_test_session_new(IotTunnelMode mode, const gchar *const *service_ids)
{
	IotTestSession *self = g_object_new(IOT_TYPE_TEST_SESSION, NULL);
	self->mode = mode;
	self->service_ids = g_strdupv((gchar **)service_ids);
	return self;
}

/* (element-type IotMessage): every message sent, in order */
GPtrArray *
iot_test_session_get_sent(IotTestSession *self)
{
	return self->sent;
}

/* (element-type IotTestApp): the far end of each local connection made */
GPtrArray *
iot_test_session_get_apps(IotTestSession *self)
{
	return self->apps;
}

/* (element-type IotConnection): the codec's end of each app's connection */
GPtrArray *
iot_test_session_get_connections(IotTestSession *self)
{
	return self->connections;
}

/* (element-type utf8): the service of each connect asked for */
GPtrArray *
iot_test_session_get_connects(IotTestSession *self)
{
	return self->connects;
}

/* (element-type GError): what the codec reported with iot_session_fail() */
GPtrArray *
iot_test_session_get_failures(IotTestSession *self)
{
	return self->failures;
}

/* the SERVICE_IDS the codec passed on, or NULL */
GStrv
iot_test_session_get_announced(IotTestSession *self)
{
	return self->announced;
}

void
iot_test_session_set_echo(IotTestSession *self, gboolean echo)
{
	self->echo = echo;
}

void
iot_test_session_set_fail_connects(IotTestSession *self, gboolean fail)
{
	self->fail_connects = fail;
}

void
iot_test_session_set_hold_connects(IotTestSession *self, gboolean hold)
{
	self->hold_connects = hold;
}

/* how many connects the codec finished, whatever their result */
guint
iot_test_session_get_n_finished_connects(IotTestSession *self)
{
	return self->n_finished;
}

guint
iot_test_session_get_n_held_connects(IotTestSession *self)
{
	return g_queue_get_length(&self->held);
}

/* completes the held connects, in order */
void
iot_test_session_release_connects(IotTestSession *self)
{
	GTask *task;
	while ((task = g_queue_pop_head(&self->held)) != NULL)
		iot_test_session_complete(self, task);
}

void
iot_test_session_set_reject_service_ids(IotTestSession *self, gboolean reject)
{
	self->reject_service_ids = reject;
}

/**
 * iot_test_session_take_connections_back:
 * @self: a session
 *
 * From now on the session takes back every connection a codec offers it.
 *
 * Returns: (transfer none) (element-type IotConnection): those taken back
 */
GPtrArray *
iot_test_session_take_connections_back(IotTestSession *self)
{
	if (self->taken_back == NULL)
		self->taken_back = g_ptr_array_new_with_free_func(g_object_unref);
	return self->taken_back;
}

static void
iot_test_session_dispose(GObject *object)
{
	IotTestSession *self = IOT_TEST_SESSION(object);
	g_queue_clear_full(&self->held, g_object_unref);
	g_ptr_array_set_size(self->apps, 0);
	g_ptr_array_set_size(self->connections, 0);
	g_clear_pointer(&self->taken_back, g_ptr_array_unref);
	G_OBJECT_CLASS(iot_test_session_parent_class)->dispose(object);
}

static void
iot_test_session_finalize(GObject *object)
{
	IotTestSession *self = IOT_TEST_SESSION(object);
	g_strfreev(self->service_ids);
	g_strfreev(self->announced);
	g_ptr_array_unref(self->sent);
	g_ptr_array_unref(self->apps);
	g_ptr_array_unref(self->connections);
	g_ptr_array_unref(self->connects);
	g_ptr_array_unref(self->failures);
	G_OBJECT_CLASS(iot_test_session_parent_class)->finalize(object);
}

static void
iot_test_session_class_init(IotTestSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_test_session_dispose;
	object_class->finalize = iot_test_session_finalize;
}

static void
iot_test_session_init(IotTestSession *self)
{
	self->sent = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	self->apps = g_ptr_array_new_with_free_func(g_object_unref);
	self->connections = g_ptr_array_new_with_free_func(g_object_unref);
	self->connects = g_ptr_array_new_with_free_func(g_free);
	self->failures = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	g_queue_init(&self->held);
}
