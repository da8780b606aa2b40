/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-traffic.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>

#include "iot-test-process.h"

/* a stalled tunnel fails the test instead of hanging it (IotTestTraffic.io_timeout_s) */
#define IOT_TEST_IO_TIMEOUT_S 60

#define IOT_TEST_CHUNK (64 * 1024)

/* xorshift32: cheap, reproducible bytes from a seed */
static void
iot_test_fill(guint32 *state, guint8 *buffer, gsize size)
{
	guint32 x = *state;
	gsize i = 0;
	for (; i + 4 <= size; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy(buffer + i, &x, 4);
	}
	for (; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buffer[i] = x & 0xff;
	}
	*state = x;
}

/**
 * iot_test_traffic_expected_sha256:
 * @seed: the sender's seed
 * @size: how many bytes it sends
 *
 * Returns: (transfer full): the SHA-256 of what a sender with @seed sends
 */
gchar *
iot_test_traffic_expected_sha256(guint32 seed, gsize size)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buffer = g_malloc(IOT_TEST_CHUNK);
	guint32 state = seed != 0 ? seed : 1;
	gsize done = 0;
	while (done < size) {
		gsize n = MIN(IOT_TEST_CHUNK, size - done);
		iot_test_fill(&state, buffer, n);
		g_checksum_update(checksum, buffer, n);
		done += n;
	}
	return g_strdup(g_checksum_get_string(checksum));
}

static gpointer
iot_test_traffic_writer(gpointer user_data)
{
	IotTestTraffic *traffic = user_data;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buffer = g_malloc(IOT_TEST_CHUNK);
	guint32 state = traffic->seed != 0 ? traffic->seed : 1;
	gsize write_size = traffic->write_size != 0 ? traffic->write_size : IOT_TEST_CHUNK;

	/* the bytes come in chunks whatever the write size, so the expected hash holds */
	while (traffic->sent < traffic->to_send) {
		gsize n = MIN(IOT_TEST_CHUNK, traffic->to_send - traffic->sent);
		gsize off = 0;
		iot_test_fill(&state, buffer, n);
		g_checksum_update(checksum, buffer, n);
		while (off < n) {
			ssize_t w = send(g_socket_get_fd(traffic->socket),
					 buffer + off,
					 MIN(n - off, write_size),
					 MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			/* a reset is reported once, to whichever of send and recv sees it first */
			if (w < 0 && errno == ECONNRESET)
				g_atomic_int_set(&traffic->reset_seen, TRUE);
			if (w <= 0) {
				traffic->sent_sha256 = g_strdup(g_checksum_get_string(checksum));
				return NULL;
			}
			off += w;
			/* the test thread reads it while this runs: iot_test_traffic_get_sent() */
			__atomic_store_n(&traffic->sent, traffic->sent + w, __ATOMIC_RELEASE);
		}
	}
	traffic->sent_sha256 = g_strdup(g_checksum_get_string(checksum));
	return NULL;
}

/* the bytes sent so far, while the writer thread runs */
gsize
iot_test_traffic_get_sent(IotTestTraffic *traffic)
{
	return __atomic_load_n(&traffic->sent, __ATOMIC_ACQUIRE);
}

/* the bytes received so far, while the reader thread runs */
gsize
iot_test_traffic_get_received(IotTestTraffic *traffic)
{
	return __atomic_load_n(&traffic->received, __ATOMIC_ACQUIRE);
}

static gpointer
iot_test_traffic_reader(gpointer user_data)
{
	IotTestTraffic *traffic = user_data;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guint8 *buffer = g_malloc(IOT_TEST_CHUNK);

	while (traffic->received < traffic->to_receive) {
		gsize want = MIN(IOT_TEST_CHUNK, traffic->to_receive - traffic->received);
		ssize_t r;
		if (traffic->read_delay_us > 0) {
			g_usleep(traffic->read_delay_us);
			want = MIN(want, 16 * 1024);
		}
		r = recv(g_socket_get_fd(traffic->socket), buffer, want, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == ECONNRESET) {
			g_atomic_int_set(&traffic->reset_seen, TRUE);
			break;
		}
		if (r < 0) {
			traffic->error = g_error_new(G_IO_ERROR,
						     g_io_error_from_errno(errno),
						     "recv: %s",
						     g_strerror(errno));
			break;
		}
		if (r == 0)
			break;
		g_checksum_update(checksum, buffer, r);
		/* the test thread reads it while this runs: iot_test_traffic_get_received() */
		__atomic_store_n(&traffic->received, traffic->received + r, __ATOMIC_RELEASE);
	}
	traffic->received_sha256 = g_strdup(g_checksum_get_string(checksum));
	return NULL;
}

/**
 * iot_test_traffic_start:
 * @traffic: what to send and receive
 * @socket: a connected, blocking socket; a reference is taken
 */
void
iot_test_traffic_start(IotTestTraffic *traffic, GSocket *socket)
{
	guint seconds = traffic->io_timeout_s != 0 ? traffic->io_timeout_s : IOT_TEST_IO_TIMEOUT_S;
	struct timeval timeout = {.tv_sec = iot_test_timeout_ms(seconds * 1000) / 1000};
	gint fd = g_socket_get_fd(socket);

	traffic->socket = g_object_ref(socket);
	/* GSocket keeps its descriptor non-blocking; the threads want it blocking */
	g_unix_set_fd_nonblocking(fd, FALSE, NULL);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	traffic->writer = g_thread_new("writer", iot_test_traffic_writer, traffic);
	traffic->reader = g_thread_new("reader", iot_test_traffic_reader, traffic);
}

/**
 * iot_test_traffic_join:
 * @traffic: started traffic
 *
 * Waits for the writer and the reader, then closes the socket. The tunnel
 * protocol has no half-close (an end of stream resets the whole
 * connection), so nothing is shut down before both directions are done.
 */
void
iot_test_traffic_join(IotTestTraffic *traffic)
{
	g_thread_join(g_steal_pointer(&traffic->writer));
	g_thread_join(g_steal_pointer(&traffic->reader));
	g_socket_close(traffic->socket, NULL);
}

void
iot_test_traffic_clear(IotTestTraffic *traffic)
{
	g_clear_pointer(&traffic->sent_sha256, g_free);
	g_clear_pointer(&traffic->received_sha256, g_free);
	g_clear_error(&traffic->error);
	g_clear_object(&traffic->socket);
}

/* sends @len bytes of @buffer, counting them in @sent; FALSE when the connection ended */
static gboolean
iot_test_echo_send_all(gint fd, const guint8 *buffer, gsize len, gsize *sent)
{
	gsize off = 0;
	while (off < len) {
		ssize_t w = send(fd, buffer + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		off += w;
		*sent += w;
	}
	return TRUE;
}

static gpointer
iot_test_echo_thread(gpointer user_data)
{
	IotTestEcho *echo = user_data;
	g_autofree guint8 *buffer = g_malloc(IOT_TEST_CHUNK);
	gint fd = g_socket_get_fd(echo->socket);

	for (;;) {
		ssize_t r = recv(fd, buffer, IOT_TEST_CHUNK, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		echo->received += r;
		if (!iot_test_echo_send_all(fd, buffer, r, &echo->sent))
			break;
	}
	g_atomic_int_set(&echo->done, TRUE);
	return NULL;
}

/**
 * iot_test_echo_start:
 * @echo: a zeroed echo
 * @socket: the app's side of a connection; a reference is taken
 */
void
iot_test_echo_start(IotTestEcho *echo, GSocket *socket)
{
	echo->socket = g_object_ref(socket);
	g_unix_set_fd_nonblocking(g_socket_get_fd(socket), FALSE, NULL);
	echo->thread = g_thread_new("echo", iot_test_echo_thread, echo);
}

/**
 * iot_test_echo_stop:
 * @echo: a started echo
 * @timeout_ms: how long to wait for the peer to close
 *
 * Waits until the peer closes the connection, or @timeout_ms passed and
 * the connection is shut down here, then closes it. @echo then holds the
 * final counts.
 *
 * Returns: whether the peer closed the connection in time
 */
gboolean
iot_test_echo_stop(IotTestEcho *echo, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
	gboolean closed_by_peer;

	while (!g_atomic_int_get(&echo->done) && g_get_monotonic_time() < deadline)
		g_usleep(10 * G_TIME_SPAN_MILLISECOND);
	closed_by_peer = g_atomic_int_get(&echo->done);
	/* wakes a recv or send that still blocks */
	shutdown(g_socket_get_fd(echo->socket), SHUT_RDWR);
	g_thread_join(g_steal_pointer(&echo->thread));
	g_socket_close(echo->socket, NULL);
	g_clear_object(&echo->socket);
	return closed_by_peer;
}

/**
 * iot_test_connect_tcp:
 * @host_and_port: such as "127.0.0.1:5555"
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): a connected blocking socket
 */
GSocket *
iot_test_connect_tcp(const gchar *host_and_port, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;

	connection = g_socket_client_connect_to_host(client, host_and_port, 0, NULL, error);
	if (connection == NULL)
		return NULL;
	return g_object_ref(g_socket_connection_get_socket(connection));
}

/**
 * iot_test_listen_tcp:
 * @port: (out): the port chosen on 127.0.0.1
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): a listening socket
 */
GSocket *
iot_test_listen_tcp(guint16 *port, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
	if (socket == NULL)
		return NULL;
	if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error))
		return NULL;
	bound = g_socket_get_local_address(socket, error);
	if (bound == NULL)
		return NULL;
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	return g_steal_pointer(&socket);
}

/**
 * iot_test_accept:
 * @listener: a listening socket
 * @timeout_s: how long to wait
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the accepted socket
 */
GSocket *
iot_test_accept(GSocket *listener, guint timeout_s, GError **error)
{
	g_socket_set_timeout(listener, iot_test_timeout_ms(timeout_s * 1000) / 1000);
	g_socket_set_blocking(listener, TRUE);
	return g_socket_accept(listener, NULL, error);
}
