/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-listener.h"

#include <iotunnel.h>

#include <gio/gnetworking.h>

/*
 * The listening socket and the first seconds of every connection, until
 * libsoup has its request.
 *
 * libsoup 3.2's own listener stops accepting for good at the first failed
 * accept (out of descriptors), and starts each TLS handshake at once, in a
 * GLib worker thread that blocks until the client speaks, with no timeout: a
 * few hundred sockets that never send a byte then hold as many threads, and
 * the handshakes of everyone else wait behind them. So the service accepts
 * by itself, and hands libsoup (soup_server_accept_iostream()) connections
 * whose TLS handshake is done:
 *
 * - A failed accept stops accepting for a moment, with a rate-limited log
 *   line, and accepting starts again: never for good.
 * - At most max_connections are open at once, WebSockets included; at that
 *   number the oldest unfinished handshake is closed to make room, or, when
 *   there is none, the new connection.
 * - At most max_handshakes are unfinished at once: a new one closes the
 *   oldest.
 * - A connection has handshake_timeout seconds from its accept to the end of
 *   its request (a WebSocket upgrade, or an answer), then its socket is shut
 *   down, which wakes whoever waits on it. The socket's own timeout is the
 *   same meanwhile, for blocking calls (a TLS close in libsoup).
 * - The TLS handshake starts only once the client's first TLS record (its
 *   ClientHello) is whole in the socket, waited for with SO_RCVLOWAT, so a
 *   client that sends nothing, or a little, holds no thread.
 *
 * A connection is counted from its accept until its GSocket is finalized:
 * by then its descriptor is closed, whoever held it last.
 */

/* connections accepted in one go before the main loop runs something else */
#define IOT_SERVICE_LISTENER_ACCEPT_BATCH 64

/* the kernel's queue of connections not accepted yet */
#define IOT_SERVICE_LISTENER_BACKLOG 1024

/* after a failed accept, the first and the longest pause, in milliseconds */
#define IOT_SERVICE_LISTENER_RETRY_FIRST 50
#define IOT_SERVICE_LISTENER_RETRY_MAX 1000

/* a TLS record header, and the largest ClientHello record waited for (RFC 8446 5.1) */
#define IOT_SERVICE_LISTENER_RECORD_HEADER 5
#define IOT_SERVICE_LISTENER_RECORD_MAX (16384 + 256)
#define IOT_SERVICE_LISTENER_HANDSHAKE_RECORD 0x16

typedef struct _IotServiceConnection IotServiceConnection;

struct _IotServiceListener {
	GObject parent_instance;
	GTlsCertificate *certificate; /* NULL for plain ws:// */
	IotServiceLimits limits;
	GSocket *socket;
	GSource *accept_source;
	GSource *retry_source;
	guint retry_ms;
	GHashTable *connections; /* IotServiceConnection: every one whose socket lives */
	GQueue handshakes;	 /* IotServiceConnection: unfinished ones, oldest first */
	IotLogRateLimit accept_log;
	IotLogRateLimit full_log;
	IotLogRateLimit handshakes_log;
};

/* one accepted connection; lives as long as its GSocket */
struct _IotServiceConnection {
	IotServiceListener *listener; /* NULL once the listener is gone */
	GSocket *socket;	      /* not referenced */
	gchar *remote;
	GSocketConnection *stream; /* held until the TLS handshake or libsoup has it */
	GSource *hello_source;
	GSource *deadline;
	GList *handshake_link; /* in the listener's handshakes while unfinished */
	guint lowat;	       /* SO_RCVLOWAT of the socket while waiting for the ClientHello */
};

G_DEFINE_FINAL_TYPE(IotServiceListener, iot_service_listener, G_TYPE_OBJECT)

/* the IotServiceConnection of an accepted GSocket */
static GQuark
iot_service_connection_quark(void)
{
	return g_quark_from_static_string("iot-service-connection");
}

enum { SIGNAL_INCOMING, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

static void
iot_service_listener_start_accepting(IotServiceListener *self);

static void
iot_service_connection_clear_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

/* the connection's request is in libsoup's hands, or it ended: no deadline any more */
static void
iot_service_connection_end_handshake(IotServiceConnection *connection)
{
	if (connection->listener != NULL && connection->handshake_link != NULL)
		g_queue_delete_link(&connection->listener->handshakes, connection->handshake_link);
	connection->handshake_link = NULL;
	iot_service_connection_clear_source(&connection->deadline);
	iot_service_connection_clear_source(&connection->hello_source);
}

/*
 * Shuts the socket down: whoever holds the stream, a TLS handshake thread or
 * libsoup, sees it end and lets it go. What this listener holds goes at
 * once, and @connection with it: do not touch it after.
 */
static void
iot_service_connection_cut(IotServiceConnection *connection)
{
	g_socket_shutdown(connection->socket, TRUE, TRUE, NULL);
	iot_service_connection_end_handshake(connection);
	g_clear_object(&connection->stream);
}

static void
iot_service_connection_gone_cb(gpointer data, GObject *where_the_object_was)
{
	IotServiceConnection *connection = data;

	iot_service_connection_end_handshake(connection);
	if (connection->listener != NULL)
		g_hash_table_remove(connection->listener->connections, connection);
	g_free(connection->remote);
	g_free(connection);
}

static gboolean
iot_service_connection_deadline_cb(gpointer user_data)
{
	IotServiceConnection *connection = user_data;

	g_debug("closing the connection from %s: no request within %u s",
		connection->remote,
		connection->listener->limits.handshake_timeout);
	iot_service_connection_cut(connection);
	return G_SOURCE_REMOVE;
}

/* closes the oldest unfinished handshake, saying @why unless NULL; FALSE when there is none */
static gboolean
iot_service_listener_cut_oldest(IotServiceListener *self, const gchar *why)
{
	IotServiceConnection *oldest = g_queue_peek_head(&self->handshakes);
	guint suppressed = 0;

	if (oldest == NULL)
		return FALSE;
	if (why != NULL && iot_log_rate_limit_pass(&self->handshakes_log, &suppressed)) {
		g_warning("closing the unfinished handshake of %s, the oldest: %s (%u more "
			  "since the last such line)",
			  oldest->remote,
			  why,
			  suppressed);
	}
	iot_service_connection_cut(oldest);
	return TRUE;
}

static void
iot_service_listener_hand_over(IotServiceConnection *connection, GIOStream *stream)
{
	g_signal_emit(connection->listener, signals[SIGNAL_INCOMING], 0, stream);
}

static void
iot_service_listener_handshake_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GTlsConnection *tls = G_TLS_CONNECTION(source);
	IotServiceConnection *connection = user_data;
	g_autoptr(GError) error = NULL;

	if (!g_tls_connection_handshake_finish(tls, result, &error)) {
		g_debug("TLS handshake with %s failed: %s", connection->remote, error->message);
		iot_service_connection_cut(connection);
		return;
	}
	if (connection->listener == NULL || connection->handshake_link == NULL) {
		iot_service_connection_cut(connection);
		return;
	}
	iot_service_listener_hand_over(connection, G_IO_STREAM(tls));
}

static void
iot_service_listener_start_tls(IotServiceConnection *connection)
{
	const gchar *protocols[] = {"http/1.1", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) tls = NULL;

	/*
	 * no database: clients show no certificate, and without one set the
	 * connection loads the system's trust store (8 MiB) at its first use
	 */
	tls = g_initable_new(g_tls_backend_get_server_connection_type(g_tls_backend_get_default()),
			     NULL,
			     &error,
			     "base-io-stream",
			     connection->stream,
			     "certificate",
			     connection->listener->certificate,
			     "database",
			     NULL,
			     "require-close-notify",
			     FALSE,
			     "advertised-protocols",
			     protocols,
			     NULL);
	if (tls == NULL) {
		g_warning("cannot start TLS with %s: %s", connection->remote, error->message);
		iot_service_connection_cut(connection);
		return;
	}
	/* the TLS connection holds the socket's stream now */
	g_clear_object(&connection->stream);
	g_tls_connection_handshake_async(G_TLS_CONNECTION(tls),
					 G_PRIORITY_DEFAULT,
					 NULL,
					 iot_service_listener_handshake_cb,
					 connection);
}

static gboolean
iot_service_connection_set_lowat(IotServiceConnection *connection, guint lowat)
{
	g_autoptr(GError) error = NULL;

	if (!g_socket_set_option(connection->socket, SOL_SOCKET, SO_RCVLOWAT, lowat, &error)) {
		g_debug("cannot wait for %u bytes from %s: %s",
			lowat,
			connection->remote,
			error->message);
		return FALSE;
	}
	connection->lowat = lowat;
	return TRUE;
}

/*
 * The socket holds at least connection->lowat bytes, or it ended: once the
 * whole first record is in, the TLS handshake can run without waiting.
 */
static gboolean
iot_service_listener_hello_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	IotServiceConnection *connection = user_data;
	guint8 header[IOT_SERVICE_LISTENER_RECORD_HEADER];
	GInputVector vector = {header, sizeof(header)};
	gint flags = G_SOCKET_MSG_PEEK;
	gssize available = g_socket_get_available_bytes(socket);
	gsize record;

	/* readable with less than asked for: the client closed, or the socket failed */
	if (available < (gssize)connection->lowat ||
	    g_socket_receive_message(socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL) !=
		sizeof(header)) {
		g_debug("the connection from %s ended before its TLS handshake",
			connection->remote);
		iot_service_connection_cut(connection);
		return G_SOURCE_REMOVE;
	}
	record = ((gsize)header[3] << 8) | header[4];
	if (header[0] != IOT_SERVICE_LISTENER_HANDSHAKE_RECORD || record == 0 ||
	    record > IOT_SERVICE_LISTENER_RECORD_MAX) {
		g_debug("the connection from %s does not start with a TLS handshake",
			connection->remote);
		iot_service_connection_cut(connection);
		return G_SOURCE_REMOVE;
	}
	if ((gsize)available < sizeof(header) + record) {
		if (!iot_service_connection_set_lowat(connection, sizeof(header) + record)) {
			iot_service_connection_cut(connection);
			return G_SOURCE_REMOVE;
		}
		return G_SOURCE_CONTINUE;
	}
	iot_service_connection_clear_source(&connection->hello_source);
	if (!iot_service_connection_set_lowat(connection, 1)) {
		iot_service_connection_cut(connection);
		return G_SOURCE_REMOVE;
	}
	iot_service_listener_start_tls(connection);
	return G_SOURCE_REMOVE;
}

static void
iot_service_listener_wait_hello(IotServiceConnection *connection)
{
	if (!iot_service_connection_set_lowat(connection, IOT_SERVICE_LISTENER_RECORD_HEADER)) {
		iot_service_connection_cut(connection);
		return;
	}
	connection->hello_source = g_socket_create_source(connection->socket, G_IO_IN, NULL);
	g_source_set_static_name(connection->hello_source, "IotServiceListener hello");
	g_source_set_callback(connection->hello_source,
			      G_SOURCE_FUNC(iot_service_listener_hello_cb),
			      connection,
			      NULL);
	g_source_attach(connection->hello_source, NULL);
}

static gchar *
iot_service_listener_describe_remote(GSocket *socket)
{
	g_autoptr(GSocketAddress) address = g_socket_get_remote_address(socket, NULL);
	g_autofree gchar *host = NULL;

	if (!G_IS_INET_SOCKET_ADDRESS(address))
		return g_strdup("unknown");
	host = g_inet_address_to_string(
	    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
	return g_strdup_printf("%s port %u",
			       host,
			       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)));
}

/* a connection just accepted: count it, time it, and start its handshake */
static void
iot_service_listener_take(IotServiceListener *self, GSocket *socket)
{
	IotServiceConnection *connection;
	g_autofree gchar *remote = iot_service_listener_describe_remote(socket);
	guint suppressed = 0;

	if (g_hash_table_size(self->connections) >= self->limits.max_connections)
		iot_service_listener_cut_oldest(self, "too many connections");
	if (g_hash_table_size(self->connections) >= self->limits.max_connections) {
		if (iot_log_rate_limit_pass(&self->full_log, &suppressed)) {
			g_warning("refusing the connection from %s: %u connections are open, the "
				  "most allowed (%u more refused since the last such line)",
				  remote,
				  g_hash_table_size(self->connections),
				  suppressed);
		}
		g_socket_close(socket, NULL);
		return;
	}
	if (g_queue_get_length(&self->handshakes) >= self->limits.max_handshakes)
		iot_service_listener_cut_oldest(self, "too many unfinished handshakes");

	connection = g_new0(IotServiceConnection, 1);
	connection->listener = self;
	connection->socket = socket;
	connection->remote = g_steal_pointer(&remote);
	g_hash_table_add(self->connections, connection);
	g_object_weak_ref(G_OBJECT(socket), iot_service_connection_gone_cb, connection);
	g_object_set_qdata(G_OBJECT(socket), iot_service_connection_quark(), connection);
	g_queue_push_tail(&self->handshakes, connection);
	connection->handshake_link = g_queue_peek_tail_link(&self->handshakes);
	connection->deadline = g_timeout_source_new_seconds(self->limits.handshake_timeout);
	g_source_set_static_name(connection->deadline, "IotServiceListener deadline");
	g_source_set_callback(connection->deadline,
			      iot_service_connection_deadline_cb,
			      connection,
			      NULL);
	g_source_attach(connection->deadline, NULL);

	/* no call may wait on it in our code; blocking ones (a TLS close) give up in time */
	g_socket_set_blocking(socket, FALSE);
	g_socket_set_timeout(socket, self->limits.handshake_timeout);
	g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
	connection->stream = g_socket_connection_factory_create_connection(socket);
	if (self->certificate == NULL) {
		g_autoptr(GIOStream) stream = G_IO_STREAM(g_steal_pointer(&connection->stream));
		iot_service_listener_hand_over(connection, stream);
		return;
	}
	iot_service_listener_wait_hello(connection);
}

static gboolean
iot_service_listener_retry_cb(gpointer user_data)
{
	IotServiceListener *self = IOT_SERVICE_LISTENER(user_data);

	g_clear_pointer(&self->retry_source, g_source_unref);
	iot_service_listener_start_accepting(self);
	return G_SOURCE_REMOVE;
}

/* accepting failed: stop for a moment, never for good */
static void
iot_service_listener_pause_accepting(IotServiceListener *self, const GError *error)
{
	guint suppressed = 0;

	self->retry_ms = self->retry_ms == 0
			     ? IOT_SERVICE_LISTENER_RETRY_FIRST
			     : MIN(self->retry_ms * 2, IOT_SERVICE_LISTENER_RETRY_MAX);
	if (iot_log_rate_limit_pass(&self->accept_log, &suppressed)) {
		g_warning("cannot accept connections: %s; %u open; trying again in %u ms (%u "
			  "more failures since the last such line)",
			  error->message,
			  g_hash_table_size(self->connections),
			  self->retry_ms,
			  suppressed);
	}
	iot_service_connection_clear_source(&self->accept_source);
	self->retry_source = g_timeout_source_new(self->retry_ms);
	g_source_set_static_name(self->retry_source, "IotServiceListener retry");
	g_source_set_callback(self->retry_source, iot_service_listener_retry_cb, self, NULL);
	g_source_attach(self->retry_source, NULL);
}

static gboolean
iot_service_listener_accept_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	IotServiceListener *self = IOT_SERVICE_LISTENER(user_data);

	for (guint i = 0; i < IOT_SERVICE_LISTENER_ACCEPT_BATCH; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) accepted = g_socket_accept(socket, NULL, &error);

		if (accepted == NULL) {
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return G_SOURCE_CONTINUE;
			iot_service_listener_pause_accepting(self, error);
			return G_SOURCE_REMOVE;
		}
		self->retry_ms = 0;
		iot_service_listener_take(self, accepted);
	}
	return G_SOURCE_CONTINUE;
}

static void
iot_service_listener_start_accepting(IotServiceListener *self)
{
	self->accept_source = g_socket_create_source(self->socket, G_IO_IN, NULL);
	g_source_set_static_name(self->accept_source, "IotServiceListener accept");
	g_source_set_callback(self->accept_source,
			      G_SOURCE_FUNC(iot_service_listener_accept_cb),
			      self,
			      NULL);
	g_source_attach(self->accept_source, NULL);
}

/**
 * iot_service_listener_new:
 * @certificate: (nullable): the TLS identity, or %NULL to serve plain ws://
 * @limits: what a connection is granted
 *
 * Returns: (transfer full): a listener, not listening yet
 */
IotServiceListener *
iot_service_listener_new(GTlsCertificate *certificate, const IotServiceLimits *limits)
{
	IotServiceListener *self = g_object_new(IOT_TYPE_SERVICE_LISTENER, NULL);

	if (certificate != NULL)
		self->certificate = g_object_ref(certificate);
	self->limits = *limits;
	return self;
}

/**
 * iot_service_listener_listen:
 * @self: a listener
 * @address: the address to listen on
 * @port: the port, or 0 to pick a free one
 * @error: (nullable): return location for a #GIOErrorEnum error
 *
 * Returns: %TRUE once listening
 */
gboolean
iot_service_listener_listen(IotServiceListener *self,
			    GInetAddress *address,
			    guint16 port,
			    GError **error)
{
	g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new(address, port);
	g_autoptr(GSocket) socket = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_LISTENER(self), FALSE);
	g_return_val_if_fail(self->socket == NULL, FALSE);

	socket = g_socket_new(g_inet_address_get_family(address),
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      error);
	if (socket == NULL)
		return FALSE;
	if (g_inet_address_get_family(address) == G_SOCKET_FAMILY_IPV6 &&
	    !g_socket_set_option(socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, error))
		return FALSE;
	g_socket_set_blocking(socket, FALSE);
	g_socket_set_listen_backlog(socket, IOT_SERVICE_LISTENER_BACKLOG);
	if (!g_socket_bind(socket, socket_address, TRUE, error))
		return FALSE;
	if (!g_socket_listen(socket, error))
		return FALSE;
	self->socket = g_steal_pointer(&socket);
	iot_service_listener_start_accepting(self);
	return TRUE;
}

/**
 * iot_service_listener_get_port:
 * @self: a listening listener
 *
 * Returns: the port it listens on
 */
guint16
iot_service_listener_get_port(IotServiceListener *self)
{
	g_autoptr(GSocketAddress) address = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_LISTENER(self), 0);

	if (self->socket == NULL)
		return 0;
	address = g_socket_get_local_address(self->socket, NULL);
	if (!G_IS_INET_SOCKET_ADDRESS(address))
		return 0;
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address));
}

/**
 * iot_service_listener_get_socket:
 * @stream: a stream the listener handed over, or one libsoup wraps it in
 *
 * Returns: (transfer none) (nullable): the socket under @stream
 */
GSocket *
iot_service_listener_get_socket(GIOStream *stream)
{
	/* libsoup's own wrapper, and a TLS connection, name what they wrap */
	const gchar *wrapped[] = {"base-iostream", "base-io-stream"};
	GIOStream *level = stream;

	while (level != NULL && !G_IS_SOCKET_CONNECTION(level)) {
		GObjectClass *klass = G_OBJECT_GET_CLASS(level);
		g_autoptr(GIOStream) base = NULL;

		for (guint i = 0; i < G_N_ELEMENTS(wrapped) && base == NULL; i++) {
			if (g_object_class_find_property(klass, wrapped[i]) != NULL)
				g_object_get(level, wrapped[i], &base, NULL);
		}
		/* still held by @level, which @stream holds */
		level = base;
	}
	if (level == NULL)
		return NULL;
	return g_socket_connection_get_socket(G_SOCKET_CONNECTION(level));
}

/**
 * iot_service_listener_release:
 * @self: a listener
 * @stream: a stream it handed over, whose request became a WebSocket
 *
 * Ends the handshake of the connection under @stream: no deadline, no
 * socket timeout any more. It stays counted until it is gone.
 */
void
iot_service_listener_release(IotServiceListener *self, GIOStream *stream)
{
	GSocket *socket = iot_service_listener_get_socket(stream);
	IotServiceConnection *connection;

	g_return_if_fail(IOT_IS_SERVICE_LISTENER(self));

	if (socket == NULL)
		return;
	g_socket_set_timeout(socket, 0);
	connection = g_object_get_qdata(G_OBJECT(socket), iot_service_connection_quark());
	if (connection != NULL)
		iot_service_connection_end_handshake(connection);
}

/**
 * iot_service_listener_stop:
 * @self: a listener
 *
 * Stops accepting, closes the listening socket and shuts down every
 * connection still in its handshake. WebSockets go on.
 */
void
iot_service_listener_stop(IotServiceListener *self)
{
	g_return_if_fail(IOT_IS_SERVICE_LISTENER(self));

	iot_service_connection_clear_source(&self->accept_source);
	iot_service_connection_clear_source(&self->retry_source);
	if (self->socket != NULL)
		g_socket_close(self->socket, NULL);
	g_clear_object(&self->socket);
	while (iot_service_listener_cut_oldest(self, NULL))
		;
}

/**
 * iot_service_listener_cut_all:
 * @self: a listener
 *
 * Shuts down the socket of every connection still open, handshakes and
 * WebSockets alike, so that nothing waits on a peer any more.
 */
void
iot_service_listener_cut_all(IotServiceListener *self)
{
	g_autofree gpointer *connections = NULL;
	guint n = 0;

	g_return_if_fail(IOT_IS_SERVICE_LISTENER(self));

	/* cutting one may free it, and only it */
	connections = g_hash_table_get_keys_as_array(self->connections, &n);
	for (guint i = 0; i < n; i++)
		iot_service_connection_cut(connections[i]);
}

/**
 * iot_service_listener_get_n_connections:
 * @self: a listener
 *
 * Returns: how many accepted connections are still open
 */
guint
iot_service_listener_get_n_connections(IotServiceListener *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_LISTENER(self), 0);
	return g_hash_table_size(self->connections);
}

/**
 * iot_service_listener_get_n_handshakes:
 * @self: a listener
 *
 * Returns: how many connections have not finished their request yet
 */
guint
iot_service_listener_get_n_handshakes(IotServiceListener *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_LISTENER(self), 0);
	return g_queue_get_length(&self->handshakes);
}

static void
iot_service_listener_dispose(GObject *object)
{
	IotServiceListener *self = IOT_SERVICE_LISTENER(object);
	GHashTableIter iter;
	gpointer key;

	iot_service_listener_stop(self);
	iot_service_listener_cut_all(self);
	/* those still held elsewhere free themselves when their socket goes */
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		IotServiceConnection *connection = key;
		connection->listener = NULL;
		g_hash_table_iter_steal(&iter);
	}
	g_clear_object(&self->certificate);
	G_OBJECT_CLASS(iot_service_listener_parent_class)->dispose(object);
}

static void
iot_service_listener_finalize(GObject *object)
{
	IotServiceListener *self = IOT_SERVICE_LISTENER(object);
	g_hash_table_unref(self->connections);
	G_OBJECT_CLASS(iot_service_listener_parent_class)->finalize(object);
}

static void
iot_service_listener_class_init(IotServiceListenerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_service_listener_dispose;
	object_class->finalize = iot_service_listener_finalize;

	/**
	 * IotServiceListener::incoming:
	 * @self: the listener
	 * @stream: a new connection, TLS established when the listener serves TLS
	 *
	 * The receiver takes @stream and reads its request.
	 */
	signals[SIGNAL_INCOMING] = g_signal_new("incoming",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						1,
						G_TYPE_IO_STREAM);
}

static void
iot_service_listener_init(IotServiceListener *self)
{
	self->connections = g_hash_table_new(NULL, NULL);
	g_queue_init(&self->handshakes);
}
