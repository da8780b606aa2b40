/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "iot-test-app.h"

/*
 * The local app at the far end of a real loopback TCP connection: records
 * what it reads and how its peer ended (clean end of stream or reset), and
 * writes without blocking the main loop. With echo, it writes back what it
 * reads and closes its side after the end of stream, like the Python echo
 * server that recorded the vectors.
 */

#define IOT_TEST_APP_READ_SIZE 65536

struct _IotTestApp {
	GObject parent_instance;
	GSocketConnection *connection;
	GSocket *socket;
	gboolean echo;
	gboolean reading;
	GByteArray *received;
	GByteArray *unsent;
	GSource *read_source;
	GSource *write_source;
	gboolean eof;
	gboolean reset;
	gboolean closed;	     /* our side of the socket is closed */
	gboolean close_when_sent;    /* echo: close once the echo is written */
	gboolean shutdown_when_sent; /* end our writing once everything is written */
};

G_DEFINE_FINAL_TYPE(IotTestApp, iot_test_app, G_TYPE_OBJECT)

static void
iot_test_app_update_sources(IotTestApp *self);

static void
iot_test_app_do_close(IotTestApp *self)
{
	g_autoptr(GError) error = NULL;
	if (self->closed)
		return;
	self->closed = TRUE;
	if (!g_socket_close(self->socket, &error))
		g_debug("test app close: %s", error->message);
	iot_test_app_update_sources(self);
}

static void
iot_test_app_flush(IotTestApp *self)
{
	while (self->unsent->len > 0 && !self->closed) {
		gssize n = send(g_socket_get_fd(self->socket),
				self->unsent->data,
				self->unsent->len,
				MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			g_debug("test app send: %s", g_strerror(errno));
			g_byte_array_set_size(self->unsent, 0);
			break;
		}
		g_byte_array_remove_range(self->unsent, 0, n);
	}
	if (self->unsent->len == 0 && self->close_when_sent)
		iot_test_app_do_close(self);
	if (self->unsent->len == 0 && self->shutdown_when_sent && !self->closed) {
		self->shutdown_when_sent = FALSE;
		if (shutdown(g_socket_get_fd(self->socket), SHUT_WR) != 0)
			g_debug("test app shutdown: %s", g_strerror(errno));
	}
	iot_test_app_update_sources(self);
}

static gboolean
iot_test_app_write_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	iot_test_app_flush(IOT_TEST_APP(user_data));
	return G_SOURCE_CONTINUE;
}

static gboolean
iot_test_app_read_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	IotTestApp *self = IOT_TEST_APP(user_data);
	g_autofree guint8 *buffer = g_malloc(IOT_TEST_APP_READ_SIZE);
	gssize n =
	    recv(g_socket_get_fd(self->socket), buffer, IOT_TEST_APP_READ_SIZE, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return G_SOURCE_CONTINUE;
	if (n < 0) {
		self->reset = errno == ECONNRESET;
		if (!self->reset)
			g_debug("test app recv: %s", g_strerror(errno));
		iot_test_app_do_close(self);
		return G_SOURCE_CONTINUE;
	}
	if (n == 0) {
		self->eof = TRUE;
		if (self->echo) {
			self->close_when_sent = TRUE;
			iot_test_app_flush(self);
		}
		iot_test_app_update_sources(self);
		return G_SOURCE_CONTINUE;
	}
	g_byte_array_append(self->received, buffer, n);
	if (self->echo)
		iot_test_app_send(self, buffer, n);
	return G_SOURCE_CONTINUE;
}

static void
iot_test_app_update_sources(IotTestApp *self)
{
	gboolean want_read = self->reading && !self->closed && !self->eof && !self->reset;
	gboolean want_write = !self->closed && self->unsent->len > 0;

	if (want_read && self->read_source == NULL) {
		self->read_source = g_socket_create_source(self->socket, G_IO_IN, NULL);
		g_source_set_callback(
		    self->read_source, G_SOURCE_FUNC(iot_test_app_read_cb), self, NULL);
		g_source_attach(self->read_source, NULL);
	} else if (!want_read && self->read_source != NULL) {
		g_source_destroy(self->read_source);
		g_clear_pointer(&self->read_source, g_source_unref);
	}
	if (want_write && self->write_source == NULL) {
		self->write_source = g_socket_create_source(self->socket, G_IO_OUT, NULL);
		g_source_set_callback(
		    self->write_source, G_SOURCE_FUNC(iot_test_app_write_cb), self, NULL);
		g_source_attach(self->write_source, NULL);
	} else if (!want_write && self->write_source != NULL) {
		g_source_destroy(self->write_source);
		g_clear_pointer(&self->write_source, g_source_unref);
	}
}

/**
 * iot_test_app_new:
 * @connection: the app's end of a connection
 * @echo: whether to write back what is read
 *
 * Returns: (transfer full): an app, reading
 */
IotTestApp *
iot_test_app_new(GSocketConnection *connection, gboolean echo)
{
	IotTestApp *self = g_object_new(IOT_TYPE_TEST_APP, NULL);
	self->connection = g_object_ref(connection);
	self->socket = g_object_ref(g_socket_connection_get_socket(connection));
	self->echo = echo;
	iot_test_app_update_sources(self);
	return self;
}

GByteArray *
iot_test_app_get_received(IotTestApp *self)
{
	return self->received;
}

gboolean
iot_test_app_get_eof(IotTestApp *self)
{
	return self->eof;
}

gboolean
iot_test_app_get_reset(IotTestApp *self)
{
	return self->reset;
}

/* whether the peer ended the connection, either way */
gboolean
iot_test_app_get_ended(IotTestApp *self)
{
	return self->eof || self->reset;
}

void
iot_test_app_send(IotTestApp *self, const guint8 *data, gsize len)
{
	g_byte_array_append(self->unsent, data, len);
	iot_test_app_flush(self);
}

void
iot_test_app_send_string(IotTestApp *self, const gchar *text)
{
	iot_test_app_send(self, (const guint8 *)text, strlen(text));
}

gsize
iot_test_app_get_unsent(IotTestApp *self)
{
	return self->unsent->len;
}

/* a paused app lets bytes pile up in the socket and its peer's queue */
void
iot_test_app_set_reading(IotTestApp *self, gboolean reading)
{
	self->reading = reading;
	iot_test_app_update_sources(self);
}

/*
 * ends the app's writing once everything given to iot_test_app_send() is
 * written; it goes on reading, to see how its peer ends
 */
void
iot_test_app_close(IotTestApp *self)
{
	self->shutdown_when_sent = TRUE;
	iot_test_app_flush(self);
}

/* closes at once with a TCP reset */
void
iot_test_app_abort(IotTestApp *self)
{
	struct linger linger = {.l_onoff = 1, .l_linger = 0};
	g_assert_cmpint(
	    setsockopt(
		g_socket_get_fd(self->socket), SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)),
	    ==,
	    0);
	g_byte_array_set_size(self->unsent, 0);
	iot_test_app_do_close(self);
}

static void
iot_test_app_dispose(GObject *object)
{
	IotTestApp *self = IOT_TEST_APP(object);
	if (self->socket != NULL)
		iot_test_app_do_close(self);
	g_clear_object(&self->socket);
	g_clear_object(&self->connection);
	G_OBJECT_CLASS(iot_test_app_parent_class)->dispose(object);
}

static void
iot_test_app_finalize(GObject *object)
{
	IotTestApp *self = IOT_TEST_APP(object);
	g_byte_array_unref(self->received);
	g_byte_array_unref(self->unsent);
	G_OBJECT_CLASS(iot_test_app_parent_class)->finalize(object);
}

static void
iot_test_app_class_init(IotTestAppClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_test_app_dispose;
	object_class->finalize = iot_test_app_finalize;
}

static void
iot_test_app_init(IotTestApp *self)
{
	self->reading = TRUE;
	self->received = g_byte_array_new();
	self->unsent = g_byte_array_new();
}
