/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-relay.h"

#include <sys/socket.h>

struct _IotTestRelay {
	guint16 port;
	guint16 target_port;
	GSocket *listener;
	GCancellable *cancellable; /* of this listening period: cut cancels it */
	GThread *acceptor;
	GMutex mutex;
	GPtrArray *pumps;   /* of GThread, every pump of this period */
	GPtrArray *sockets; /* of GSocket, every relayed socket of this period */
};

typedef struct {
	GSocket *from;
	GSocket *to;
	GCancellable *cancellable;
} IotTestPump;

/* copies @from to @to until either ends, then half-closes @to */
static gpointer
iot_test_relay_pump(gpointer user_data)
{
	IotTestPump *pump = user_data;
	gchar buffer[16384];

	for (;;) {
		gssize n =
		    g_socket_receive(pump->from, buffer, sizeof(buffer), pump->cancellable, NULL);
		gssize done = 0;
		if (n <= 0)
			break;
		while (done < n) {
			gssize w = g_socket_send(pump->to,
						 buffer + done,
						 n - done,
						 pump->cancellable,
						 NULL);
			if (w <= 0)
				break;
			done += w;
		}
		if (done < n)
			break;
	}
	if (!g_cancellable_is_cancelled(pump->cancellable))
		g_socket_shutdown(pump->to, FALSE, TRUE, NULL);
	g_object_unref(pump->from);
	g_object_unref(pump->to);
	g_object_unref(pump->cancellable);
	g_free(pump);
	return NULL;
}

static void
iot_test_relay_start_pump(IotTestRelay *self, GSocket *from, GSocket *to)
{
	IotTestPump *pump = g_new0(IotTestPump, 1);
	pump->from = g_object_ref(from);
	pump->to = g_object_ref(to);
	pump->cancellable = g_object_ref(self->cancellable);
	g_ptr_array_add(self->pumps, g_thread_new("relay-pump", iot_test_relay_pump, pump));
}

static gpointer
iot_test_relay_acceptor(gpointer user_data)
{
	IotTestRelay *self = user_data;

	for (;;) {
		g_autoptr(GSocket) client =
		    g_socket_accept(self->listener, self->cancellable, NULL);
		g_autoptr(GSocket) target = NULL;
		g_autoptr(GInetAddress) loopback = NULL;
		g_autoptr(GSocketAddress) address = NULL;

		if (client == NULL)
			return NULL;
		target = g_socket_new(G_SOCKET_FAMILY_IPV4,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      NULL);
		loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		address = g_inet_socket_address_new(loopback, self->target_port);
		/* nobody behind: the client's connection just closes */
		if (target == NULL || !g_socket_connect(target, address, self->cancellable, NULL))
			continue;
		g_mutex_lock(&self->mutex);
		g_ptr_array_add(self->sockets, g_object_ref(client));
		g_ptr_array_add(self->sockets, g_object_ref(target));
		iot_test_relay_start_pump(self, client, target);
		iot_test_relay_start_pump(self, target, client);
		g_mutex_unlock(&self->mutex);
	}
}

static gboolean
iot_test_relay_listen(IotTestRelay *self, GError **error)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, self->port);
	g_autoptr(GSocketAddress) bound = NULL;

	self->listener =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
	if (self->listener == NULL)
		return FALSE;
	if (!g_socket_bind(self->listener, address, TRUE, error) ||
	    !g_socket_listen(self->listener, error))
		return FALSE;
	bound = g_socket_get_local_address(self->listener, error);
	if (bound == NULL)
		return FALSE;
	self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	self->cancellable = g_cancellable_new();
	self->pumps = g_ptr_array_new();
	self->sockets = g_ptr_array_new_with_free_func(g_object_unref);
	self->acceptor = g_thread_new("relay-accept", iot_test_relay_acceptor, self);
	return TRUE;
}

/**
 * iot_test_relay_new:
 * @target_port: the port on 127.0.0.1 to relay to
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): a relay listening on 127.0.0.1, a free port
 */
IotTestRelay *
iot_test_relay_new(guint16 target_port, GError **error)
{
	IotTestRelay *self = g_new0(IotTestRelay, 1);

	g_mutex_init(&self->mutex);
	self->target_port = target_port;
	if (!iot_test_relay_listen(self, error)) {
		iot_test_relay_free(self);
		return NULL;
	}
	return self;
}

guint16
iot_test_relay_get_port(IotTestRelay *self)
{
	return self->port;
}

/**
 * iot_test_relay_cut:
 * @self: a relay
 *
 * Stops listening, so that new connections are refused, and resets every
 * connection relayed so far, on both sides.
 */
void
iot_test_relay_cut(IotTestRelay *self)
{
	if (self->cancellable == NULL)
		return;
	g_cancellable_cancel(self->cancellable);
	g_thread_join(g_steal_pointer(&self->acceptor));
	g_socket_close(self->listener, NULL);
	g_clear_object(&self->listener);
	for (guint i = 0; i < self->pumps->len; i++)
		g_thread_join(g_ptr_array_index(self->pumps, i));
	g_clear_pointer(&self->pumps, g_ptr_array_unref);
	/* a close with data unread, or with a zero linger, sends a reset */
	for (guint i = 0; i < self->sockets->len; i++) {
		GSocket *socket = g_ptr_array_index(self->sockets, i);
		struct linger linger = {.l_onoff = 1, .l_linger = 0};
		setsockopt(g_socket_get_fd(socket), SOL_SOCKET, SO_LINGER, &linger, sizeof(linger));
		g_socket_close(socket, NULL);
	}
	g_clear_pointer(&self->sockets, g_ptr_array_unref);
	g_clear_object(&self->cancellable);
}

/**
 * iot_test_relay_restore:
 * @self: a relay that was cut
 * @error: (nullable): return location for an error
 *
 * Returns: %TRUE once it listens again on the same port
 */
gboolean
iot_test_relay_restore(IotTestRelay *self, GError **error)
{
	g_return_val_if_fail(self->cancellable == NULL, FALSE);
	return iot_test_relay_listen(self, error);
}

void
iot_test_relay_free(IotTestRelay *self)
{
	iot_test_relay_cut(self);
	g_clear_object(&self->listener);
	g_mutex_clear(&self->mutex);
	g_free(self);
}
