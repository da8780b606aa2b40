/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <errno.h>
#include <sys/socket.h>

#include "iot-connection-private.h"
#include "iot-endpoint-test-common.h"
#include "iot-poller-private.h"

/* a pool of pseudo-random bytes that chunks are cut from; its odd size shifts every pass */
#define TEST_POOL_SIZE ((1024 * 1024) + 7)

/* the bulk test's volume, each way */
#define TEST_BULK_SIZE (64 * 1024 * 1024)

/* a real TCP pair: the test plays the local app on the peer side */
typedef struct {
	GSocketConnection *local; /* wrapped by the connection */
	GSocketConnection *peer;
	GIOStream *wrapped; /* "wrapped": @local under a stream with no fd */
	IotConnection *connection;
	GBytes *pool;
	GByteArray *data; /* what ::data gave */
	guint n_data;
	guint max_data_size;
	guint n_closed;
	GError *closed_error;
	guint n_congested_notify;
	gboolean pause_in_data; /* the ::data handler pauses reading */
} Fixture;

/* reads the peer side through the main loop */
typedef struct {
	GInputStream *input;
	GChecksum *checksum;
	guint64 received;
	gboolean eof;
	GError *error;
	gboolean busy;
	guint8 buffer[65536];
} PeerReader;

static GBytes *
test_pool_new(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20260101);
	guint32 *words = g_malloc(TEST_POOL_SIZE + sizeof(guint32));

	for (gsize i = 0; i < TEST_POOL_SIZE / sizeof(guint32) + 1; i++)
		words[i] = g_rand_int(rand);
	return g_bytes_new_take(words, TEST_POOL_SIZE);
}

static void
test_data_cb(IotConnection *connection, GBytes *bytes, gpointer user_data)
{
	Fixture *fixture = user_data;
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bytes, &size);

	g_assert_cmpuint(size, >, 0);
	g_byte_array_append(fixture->data, data, size);
	fixture->n_data++;
	fixture->max_data_size = MAX(fixture->max_data_size, size);
	if (fixture->pause_in_data)
		iot_connection_set_read_paused(connection, TRUE);
}

static void
test_closed_cb(IotConnection *connection, const GError *error, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->n_closed++;
	g_clear_error(&fixture->closed_error);
	if (error != NULL)
		fixture->closed_error = g_error_copy(error);
}

static void
test_congested_cb(IotConnection *connection, GParamSpec *pspec, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->n_congested_notify++;
}

/* a TCP pair over 127.0.0.1 */
static void
fixture_connect_tcp(Fixture *fixture)
{
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) effective = NULL;
	g_autoptr(GError) error = NULL;

	g_socket_listener_add_address(listener,
				      address,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      NULL,
				      &effective,
				      &error);
	g_assert_no_error(error);
	g_socket_client_set_enable_proxy(client, FALSE);
	fixture->peer =
	    g_socket_client_connect(client, G_SOCKET_CONNECTABLE(effective), NULL, &error);
	g_assert_no_error(error);
	fixture->local = g_socket_listener_accept(listener, NULL, NULL, &error);
	g_assert_no_error(error);
}

/* a Unix stream socket pair */
static void
fixture_connect_unix(Fixture *fixture)
{
	g_autoptr(GSocket) local = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(GError) error = NULL;
	gint fds[2] = {-1, -1};

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	local = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	peer = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	fixture->local = g_socket_connection_factory_create_connection(local);
	fixture->peer = g_socket_connection_factory_create_connection(peer);
}

static void
fixture_setup(Fixture *fixture, gconstpointer user_data)
{
	if (g_strcmp0(user_data, "unix") == 0)
		fixture_connect_unix(fixture);
	else
		fixture_connect_tcp(fixture);
	if (g_strcmp0(user_data, "wrapped") == 0) {
		fixture->wrapped =
		    G_IO_STREAM(iot_pausable_io_stream_new(G_IO_STREAM(fixture->local)));
		fixture->connection = iot_connection_new(fixture->wrapped, "test");
	} else {
		fixture->connection = iot_connection_new(G_IO_STREAM(fixture->local), "test");
	}
	fixture->data = g_byte_array_new();
	fixture->pool = test_pool_new();
	g_signal_connect(fixture->connection, "data", G_CALLBACK(test_data_cb), fixture);
	g_signal_connect(fixture->connection, "closed", G_CALLBACK(test_closed_cb), fixture);
	g_signal_connect(fixture->connection,
			 "notify::congested",
			 G_CALLBACK(test_congested_cb),
			 fixture);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer user_data)
{
	g_clear_object(&fixture->connection);
	g_clear_object(&fixture->wrapped);
	g_clear_object(&fixture->local);
	g_clear_object(&fixture->peer);
	g_clear_pointer(&fixture->data, g_byte_array_unref);
	g_clear_pointer(&fixture->pool, g_bytes_unref);
	g_clear_error(&fixture->closed_error);
}

static GSocket *
fixture_peer_socket(Fixture *fixture)
{
	return g_socket_connection_get_socket(fixture->peer);
}

static void
peer_reader_read(PeerReader *reader);

static void
peer_reader_cb(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
	PeerReader *reader = user_data;
	gssize n = g_input_stream_read_finish(reader->input, result, &reader->error);

	reader->busy = FALSE;
	if (n < 0)
		return;
	if (n == 0) {
		reader->eof = TRUE;
		return;
	}
	g_checksum_update(reader->checksum, reader->buffer, n);
	reader->received += n;
	peer_reader_read(reader);
}

static void
peer_reader_read(PeerReader *reader)
{
	reader->busy = TRUE;
	g_input_stream_read_async(reader->input,
				  reader->buffer,
				  sizeof(reader->buffer),
				  G_PRIORITY_DEFAULT,
				  NULL,
				  peer_reader_cb,
				  reader);
}

static PeerReader *
peer_reader_new(Fixture *fixture)
{
	PeerReader *reader = g_new0(PeerReader, 1);
	reader->input = g_io_stream_get_input_stream(G_IO_STREAM(fixture->peer));
	reader->checksum = g_checksum_new(G_CHECKSUM_SHA256);
	return reader;
}

static void
peer_reader_free(PeerReader *reader)
{
	g_assert_false(reader->busy);
	g_checksum_free(reader->checksum);
	g_clear_error(&reader->error);
	g_free(reader);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PeerReader, peer_reader_free)

/* a slice of the pool, no copy: the bytes a test sends at stream offset @offset */
static GBytes *
fixture_chunk(Fixture *fixture, guint64 offset, gsize size)
{
	gsize start = offset % (TEST_POOL_SIZE / 2);
	return g_bytes_new_from_bytes(fixture->pool, start, size);
}

/* queues chunks until the connection is congested; returns the bytes written */
static guint64
fixture_write_until_congested(Fixture *fixture, GChecksum *checksum)
{
	guint64 total = 0;

	while (!iot_connection_get_congested(fixture->connection)) {
		g_autoptr(GBytes) chunk = fixture_chunk(fixture, total, 65536);
		g_assert_cmpuint(total, <, 512 * 1024 * 1024);
		if (checksum != NULL)
			g_checksum_update(checksum,
					  g_bytes_get_data(chunk, NULL),
					  g_bytes_get_size(chunk));
		iot_connection_write(fixture->connection, chunk);
		total += g_bytes_get_size(chunk);
	}
	return total;
}

static void
test_connection_data_both_ways(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) chunk = fixture_chunk(fixture, 0, 300000);
	g_autoptr(GBytes) reply = g_bytes_new_static("reply", 5);
	g_autofree gchar *at_peer = NULL;

	g_assert_cmpstr(iot_connection_get_description(fixture->connection), ==, "test");
	g_assert_true(iot_connection_get_stream(fixture->connection) ==
		      (fixture->wrapped != NULL ? fixture->wrapped : G_IO_STREAM(fixture->local)));
	iot_connection_start(fixture->connection);

	/* peer to connection: chunks of at most one DATA payload, in order */
	iot_test_stream_write_bytes(G_IO_STREAM(fixture->peer), chunk);
	IOT_TEST_WAIT_UNTIL(fixture->data->len == g_bytes_get_size(chunk));
	g_assert_cmpmem(fixture->data->data,
			fixture->data->len,
			g_bytes_get_data(chunk, NULL),
			g_bytes_get_size(chunk));
	g_assert_cmpuint(fixture->max_data_size, <=, IOT_MESSAGE_MAX_PAYLOAD);
	g_assert_cmpuint(fixture->n_data, >=, 300000 / IOT_MESSAGE_MAX_PAYLOAD + 1);
	g_assert_cmpuint(iot_connection_get_bytes_read(fixture->connection), ==, 300000);

	/* connection to peer */
	iot_connection_write(fixture->connection, reply);
	at_peer = iot_test_stream_read(G_IO_STREAM(fixture->peer), 5);
	g_assert_cmpstr(at_peer, ==, "reply");
	g_assert_cmpuint(iot_connection_get_bytes_written(fixture->connection), ==, 5);
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), ==, 0);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	g_assert_false(iot_connection_is_finished(fixture->connection));
}

static void
test_connection_read_pause(Fixture *fixture, gconstpointer user_data)
{
	/* not started: nothing is read */
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "first");
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->n_data, ==, 0);

	/* paused before the start */
	iot_connection_set_read_paused(fixture->connection, TRUE);
	g_assert_true(iot_connection_get_read_paused(fixture->connection));
	iot_connection_start(fixture->connection);
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->n_data, ==, 0);

	iot_connection_set_read_paused(fixture->connection, FALSE);
	g_assert_false(iot_connection_get_read_paused(fixture->connection));
	IOT_TEST_WAIT_UNTIL(fixture->data->len == 5);

	/* paused from inside ::data: no further ::data until resumed */
	fixture->pause_in_data = TRUE;
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "second");
	IOT_TEST_WAIT_UNTIL(fixture->data->len == 11);
	g_assert_true(iot_connection_get_read_paused(fixture->connection));
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "third");
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->data->len, ==, 11);
	fixture->pause_in_data = FALSE;
	iot_connection_set_read_paused(fixture->connection, FALSE);
	IOT_TEST_WAIT_UNTIL(fixture->data->len == 16);
	g_assert_cmpmem(fixture->data->data, fixture->data->len, "firstsecondthird", 16);

	/* a paused connection does not see the peer's end of stream */
	iot_connection_set_read_paused(fixture->connection, TRUE);
	g_socket_shutdown(fixture_peer_socket(fixture), FALSE, TRUE, NULL);
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	iot_connection_set_read_paused(fixture->connection, FALSE);
	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_null(fixture->closed_error);
}

static void
test_connection_congested(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	g_autoptr(GChecksum) sent = g_checksum_new(G_CHECKSUM_SHA256);
	guint64 total;

	iot_connection_start(fixture->connection);

	/* the peer does not read: past what the socket holds, the queue grows */
	total = fixture_write_until_congested(fixture, sent);
	g_assert_true(iot_connection_get_congested(fixture->connection));
	g_assert_cmpuint(fixture->n_congested_notify, ==, 1);
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection),
			 >,
			 IOT_CONNECTION_HIGH_WATER);

	/* a little progress above the low mark keeps it congested */
	iot_test_run_for(20);
	g_assert_true(iot_connection_get_congested(fixture->connection));

	/* the peer reads: the queue drains, and the flag falls below the low mark */
	peer_reader_read(reader);
	IOT_TEST_WAIT_UNTIL(!iot_connection_get_congested(fixture->connection));
	g_assert_cmpuint(fixture->n_congested_notify, ==, 2);
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection),
			 <,
			 IOT_CONNECTION_LOW_WATER);
	IOT_TEST_WAIT_UNTIL(reader->received == total);
	g_assert_cmpuint(iot_connection_get_bytes_written(fixture->connection), ==, total);
	g_assert_cmpstr(g_checksum_get_string(reader->checksum), ==, g_checksum_get_string(sent));

	/* let the pending read end before the reader goes */
	iot_connection_close(fixture->connection);
	IOT_TEST_WAIT_UNTIL(reader->eof);
}

/* a congested queue the peer takes nothing of resets the connection after the stall time */
static void
test_connection_stall_resets(Fixture *fixture, gconstpointer user_data)
{
	iot_connection_set_budget(fixture->connection, 64 * 1024 * 1024, 300);
	iot_connection_start(fixture->connection);
	fixture_write_until_congested(fixture, NULL);
	g_assert_cmpuint(fixture->n_closed, ==, 0);

	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_error(fixture->closed_error, IOT_CONNECTION_ERROR, IOT_CONNECTION_ERROR_STALLED);
	g_assert_true(iot_connection_is_finished(fixture->connection));
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), ==, 0);
}

/* a writer that paces itself is waited for, however long the peer takes */
static void
test_connection_paced_waits(Fixture *fixture, gconstpointer user_data)
{
	iot_connection_set_budget(fixture->connection, 64 * 1024 * 1024, 100);
	iot_connection_set_paced(fixture->connection, TRUE);
	iot_connection_start(fixture->connection);
	fixture_write_until_congested(fixture, NULL);

	iot_test_run_for(500);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	g_assert_false(iot_connection_is_finished(fixture->connection));
	iot_connection_abort(fixture->connection);
}

/* more than the budget holds resets the connection at once, reported from the main loop */
static void
test_connection_budget_overflow(Fixture *fixture, gconstpointer user_data)
{
	gsize budget = 1024 * 1024;
	guint64 total = 0;

	iot_connection_set_budget(fixture->connection, budget, 0);
	iot_connection_start(fixture->connection);
	while (!iot_connection_is_finished(fixture->connection)) {
		g_autoptr(GBytes) chunk = fixture_chunk(fixture, total, 65536);
		g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), <=, budget);
		g_assert_cmpuint(total, <, 512 * 1024 * 1024);
		iot_connection_write(fixture->connection, chunk);
		total += g_bytes_get_size(chunk);
	}
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_error(fixture->closed_error, IOT_CONNECTION_ERROR, IOT_CONNECTION_ERROR_OVERFLOW);
}

/* our direction ends once the queue is written, and reading goes on */
static void
test_connection_shutdown_write(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	g_autoptr(GBytes) hello = g_bytes_new_static("hello", 5);
	g_autoptr(GError) error = NULL;
	GSocket *peer = fixture_peer_socket(fixture);

	iot_connection_start(fixture->connection);
	iot_connection_write(fixture->connection, hello);
	iot_connection_shutdown_write(fixture->connection);
	iot_connection_write(fixture->connection, hello);
	peer_reader_read(reader);
	IOT_TEST_WAIT_UNTIL(reader->eof);
	g_assert_cmpuint(reader->received, ==, 5);

	g_assert_cmpint(g_socket_send(peer, "reply", 5, NULL, &error), ==, 5);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(fixture->data->len == 5);
	g_assert_cmpmem(fixture->data->data, 5, "reply", 5);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	iot_connection_close(fixture->connection);
}

static void
test_connection_close_flushes(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	g_autoptr(GChecksum) sent = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GBytes) late = g_bytes_new_static("late", 4);
	IotConnection *connection;
	guint64 total;

	iot_connection_start(fixture->connection);
	total = fixture_write_until_congested(fixture, sent);

	/* the owner closes and lets go at once: the queue must still reach the peer */
	iot_connection_close(fixture->connection);
	g_assert_false(iot_connection_is_finished(fixture->connection));
	iot_connection_write(fixture->connection, late);
	connection = fixture->connection;
	g_object_add_weak_pointer(G_OBJECT(connection), (gpointer *)&connection);
	g_clear_object(&fixture->connection);
	g_assert_nonnull(connection);

	peer_reader_read(reader);
	IOT_TEST_WAIT_UNTIL(reader->eof || reader->error != NULL);
	g_assert_no_error(reader->error);
	g_assert_true(reader->eof);
	g_assert_cmpuint(reader->received, ==, total);
	g_assert_cmpstr(g_checksum_get_string(reader->checksum), ==, g_checksum_get_string(sent));
	g_assert_cmpuint(fixture->n_closed, ==, 0);

	/* the peer ends its side: the connection lets go of itself */
	g_assert_nonnull(connection);
	g_io_stream_close(G_IO_STREAM(fixture->peer), NULL, NULL);
	IOT_TEST_WAIT_UNTIL(connection == NULL);
}

/*
 * A cut stream: the peer gets the whole queue, even what the kernel still held
 * when the queue was written, then a reset (TCP) or an end of stream (Unix)
 */
static void
test_connection_flush_and_reset(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	g_autoptr(GChecksum) sent = g_checksum_new(G_CHECKSUM_SHA256);
	IotConnection *connection;
	guint64 total;

	iot_connection_start(fixture->connection);
	total = fixture_write_until_congested(fixture, sent);
	iot_connection_flush_and_reset(fixture->connection);
	g_assert_false(iot_connection_is_finished(fixture->connection));
	connection = fixture->connection;
	g_object_add_weak_pointer(G_OBJECT(connection), (gpointer *)&connection);
	g_clear_object(&fixture->connection);
	g_assert_nonnull(connection);

	peer_reader_read(reader);
	IOT_TEST_WAIT_UNTIL(reader->eof || reader->error != NULL);
	g_assert_cmpuint(reader->received, ==, total);
	g_assert_cmpstr(g_checksum_get_string(reader->checksum), ==, g_checksum_get_string(sent));
	if (g_strcmp0(user_data, "unix") == 0) {
		g_assert_no_error(reader->error);
		g_assert_true(reader->eof);
	} else {
		g_assert_error(reader->error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	}
	/* it let go of itself without waiting for the peer */
	IOT_TEST_WAIT_UNTIL(connection == NULL);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
}

static void
test_connection_close_with_unread_input(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	g_autoptr(GChecksum) sent = g_checksum_new(G_CHECKSUM_SHA256);
	guint64 total;

	/* the peer sent something the connection never read (reading paused) */
	iot_connection_set_read_paused(fixture->connection, TRUE);
	iot_connection_start(fixture->connection);
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "unread request");
	total = fixture_write_until_congested(fixture, sent);

	/*
	 * closing with unread input must still end with the whole queue and a
	 * clean end of stream, not with a reset that drops what the kernel holds
	 */
	iot_connection_close(fixture->connection);
	peer_reader_read(reader);
	IOT_TEST_WAIT_UNTIL(reader->eof || reader->error != NULL);
	g_assert_no_error(reader->error);
	g_assert_cmpuint(reader->received, ==, total);
	g_assert_cmpstr(g_checksum_get_string(reader->checksum), ==, g_checksum_get_string(sent));

	/* the peer closes in turn; the connection is then done */
	g_io_stream_close(G_IO_STREAM(fixture->peer), NULL, NULL);
	IOT_TEST_WAIT_UNTIL(iot_connection_is_finished(fixture->connection));
	g_assert_cmpuint(fixture->n_closed, ==, 0);
}

static void
test_connection_close_empty(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *buffer = g_malloc(16);
	g_autoptr(GError) error = NULL;
	gssize n;

	iot_connection_start(fixture->connection);
	iot_connection_close(fixture->connection);
	iot_connection_close(fixture->connection);

	/* nothing queued: an end of stream at once */
	g_assert_true(g_socket_condition_timed_wait(fixture_peer_socket(fixture),
						    G_IO_IN,
						    10000000,
						    NULL,
						    &error));
	g_assert_no_error(error);
	n = g_socket_receive(fixture_peer_socket(fixture), buffer, 16, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);
	g_io_stream_close(G_IO_STREAM(fixture->peer), NULL, NULL);
	IOT_TEST_WAIT_UNTIL(iot_connection_is_finished(fixture->connection));
	g_assert_cmpuint(fixture->n_closed, ==, 0);
}

static void
test_connection_abort(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 buffer[65536];
	gssize n;
	gint errsv = 0;

	iot_connection_start(fixture->connection);
	fixture_write_until_congested(fixture, NULL);
	iot_connection_abort(fixture->connection);
	g_assert_true(iot_connection_is_finished(fixture->connection));
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), ==, 0);
	g_assert_false(iot_connection_get_congested(fixture->connection));
	g_assert_cmpuint(fixture->n_congested_notify, ==, 2);

	/* the peer may read what reached it, then sees a reset, never a clean end */
	do {
		g_assert_true(g_socket_condition_timed_wait(fixture_peer_socket(fixture),
							    G_IO_IN,
							    10000000,
							    NULL,
							    &error));
		g_assert_no_error(error);
		n = recv(g_socket_get_fd(fixture_peer_socket(fixture)),
			 buffer,
			 sizeof(buffer),
			 MSG_DONTWAIT);
		errsv = errno;
	} while (n > 0);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(errsv, ==, ECONNRESET);

	/* finished: writes and a close are ignored, and nothing is emitted */
	iot_connection_write(fixture->connection, fixture->pool);
	iot_connection_close(fixture->connection);
	iot_test_run_for(20);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), ==, 0);
}

static void
test_connection_poller_watch(Fixture *fixture, gconstpointer user_data)
{
	/* a socket is watched by the poller; a stream with no fd by pollable sources */
	guint before = iot_poller_get_n_watches(NULL);
	guint expected = before + (g_strcmp0(user_data, "wrapped") == 0 ? 0 : 1);

	iot_connection_start(fixture->connection);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, expected);
	iot_connection_abort(fixture->connection);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, before);
}

static void
test_connection_abort_idle(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	guint8 buffer[16];
	gssize n;

	/* nothing in flight: the peer's next read is the reset itself */
	iot_connection_start(fixture->connection);
	iot_connection_abort(fixture->connection);
	g_assert_true(g_socket_condition_timed_wait(fixture_peer_socket(fixture),
						    G_IO_IN,
						    10000000,
						    NULL,
						    &error));
	g_assert_no_error(error);
	n = recv(g_socket_get_fd(fixture_peer_socket(fixture)), buffer, sizeof(buffer), 0);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(errno, ==, ECONNRESET);
}

static void
test_connection_closed_on_eof(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) bye = g_bytes_new_static("bye", 3);
	g_autofree gchar *at_peer = NULL;
	g_autoptr(GError) error = NULL;
	gchar buffer[4];

	iot_connection_start(fixture->connection);
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "last words");
	g_socket_shutdown(fixture_peer_socket(fixture), FALSE, TRUE, &error);
	g_assert_no_error(error);

	/* the data first, then one clean ::closed */
	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_cmpmem(fixture->data->data, fixture->data->len, "last words", 10);
	g_assert_null(fixture->closed_error);

	/* half closed: the connection can still answer, then close */
	g_assert_false(iot_connection_is_finished(fixture->connection));
	iot_connection_write(fixture->connection, bye);
	iot_connection_close(fixture->connection);
	at_peer = iot_test_stream_read(G_IO_STREAM(fixture->peer), 3);
	g_assert_cmpstr(at_peer, ==, "bye");
	g_assert_cmpint(g_socket_receive(fixture_peer_socket(fixture), buffer, 4, NULL, &error),
			==,
			0);
	g_assert_no_error(error);
	iot_test_run_for(20);
	g_assert_cmpuint(fixture->n_closed, ==, 1);
}

static void
fixture_peer_reset(Fixture *fixture)
{
	struct linger linger = {.l_onoff = 1, .l_linger = 0};
	g_assert_cmpint(setsockopt(g_socket_get_fd(fixture_peer_socket(fixture)),
				   SOL_SOCKET,
				   SO_LINGER,
				   &linger,
				   sizeof(linger)),
			==,
			0);
	g_io_stream_close(G_IO_STREAM(fixture->peer), NULL, NULL);
}

static void
test_connection_closed_on_reset(Fixture *fixture, gconstpointer user_data)
{
	iot_connection_start(fixture->connection);
	fixture_peer_reset(fixture);
	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_error(fixture->closed_error, IOT_CONNECTION_ERROR, IOT_CONNECTION_ERROR_READ);
	g_assert_true(iot_connection_is_finished(fixture->connection));
	iot_test_run_for(20);
	g_assert_cmpuint(fixture->n_closed, ==, 1);
}

static void
test_connection_closed_once(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) chunk = g_bytes_new_static("after the end", 13);

	/* a clean end of stream... */
	iot_connection_start(fixture->connection);
	g_socket_shutdown(fixture_peer_socket(fixture), FALSE, TRUE, NULL);
	IOT_TEST_WAIT_UNTIL(fixture->n_closed == 1);
	g_assert_null(fixture->closed_error);

	/* ...then a reset that a write discovers: ::closed was already emitted */
	fixture_peer_reset(fixture);
	for (guint i = 0; i < 100 && !iot_connection_is_finished(fixture->connection); i++) {
		iot_connection_write(fixture->connection, chunk);
		iot_test_run_for(5);
	}
	g_assert_true(iot_connection_is_finished(fixture->connection));
	iot_test_run_for(20);
	g_assert_cmpuint(fixture->n_closed, ==, 1);
	g_assert_null(fixture->closed_error);
}

static void
test_connection_close_timeout_no_reader(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	IotConnection *connection = fixture->connection;
	guint8 buffer[65536];
	gssize n;

	/* the peer never reads: the close gives up and resets */
	iot_connection_set_close_timeout(connection, 200);
	iot_connection_start(connection);
	fixture_write_until_congested(fixture, NULL);
	iot_connection_close(connection);
	g_object_add_weak_pointer(G_OBJECT(connection), (gpointer *)&connection);
	g_clear_object(&fixture->connection);
	IOT_TEST_WAIT_UNTIL(connection == NULL);
	g_assert_cmpuint(fixture->n_closed, ==, 0);

	do {
		g_assert_true(g_socket_condition_timed_wait(fixture_peer_socket(fixture),
							    G_IO_IN,
							    10000000,
							    NULL,
							    &error));
		g_assert_no_error(error);
		n = g_socket_receive(fixture_peer_socket(fixture),
				     (gchar *)buffer,
				     sizeof(buffer),
				     NULL,
				     &error);
	} while (n > 0);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
}

static void
test_connection_close_timeout_peer_stays(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) bye = g_bytes_new_static("bye", 3);
	g_autofree gchar *at_peer = NULL;
	IotConnection *connection = fixture->connection;

	/* the peer reads everything, then neither ends its side nor sends */
	iot_connection_set_close_timeout(connection, 200);
	iot_connection_start(connection);
	iot_connection_write(connection, bye);
	iot_connection_close(connection);
	g_object_add_weak_pointer(G_OBJECT(connection), (gpointer *)&connection);
	g_clear_object(&fixture->connection);
	at_peer = iot_test_stream_read(G_IO_STREAM(fixture->peer), 3);
	g_assert_cmpstr(at_peer, ==, "bye");
	IOT_TEST_WAIT_UNTIL(connection == NULL);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
}

static void
test_connection_close_while_reading(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) bye = g_bytes_new_static("bye", 3);
	g_autofree gchar *at_peer = NULL;
	g_autoptr(GError) error = NULL;
	guint n_data;
	gchar buffer[4];

	/* input that arrives after the close is dropped, never emitted */
	iot_connection_start(fixture->connection);
	iot_connection_write(fixture->connection, bye);
	iot_connection_close(fixture->connection);
	n_data = fixture->n_data;
	iot_test_stream_write(G_IO_STREAM(fixture->peer), "ignored");
	at_peer = iot_test_stream_read(G_IO_STREAM(fixture->peer), 3);
	g_assert_cmpstr(at_peer, ==, "bye");
	g_assert_cmpint(g_socket_receive(fixture_peer_socket(fixture), buffer, 4, NULL, &error),
			==,
			0);
	g_assert_no_error(error);
	iot_test_run_for(20);
	g_assert_cmpuint(fixture->n_data, ==, n_data);
	g_assert_false(iot_connection_is_finished(fixture->connection));

	/* resuming or writing does nothing once closing */
	iot_connection_set_read_paused(fixture->connection, FALSE);
	iot_connection_write(fixture->connection, bye);
	g_assert_cmpuint(iot_connection_get_write_queued(fixture->connection), ==, 0);
	g_socket_shutdown(fixture_peer_socket(fixture), FALSE, TRUE, NULL);
	IOT_TEST_WAIT_UNTIL(iot_connection_is_finished(fixture->connection));
	g_assert_cmpuint(fixture->n_data, ==, n_data);
	g_assert_cmpuint(fixture->n_closed, ==, 0);
}

/* the handler holds the only other reference and drops it, as a codec forgetting a connection */
static void
test_closed_drop_cb(IotConnection *connection, const GError *error, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_clear_object(&fixture->connection);
}

static void
test_connection_write_error_deferred(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) chunk = g_bytes_new_static("into a reset", 12);
	IotConnection *connection = fixture->connection;

	/* reading not started: only writing discovers the reset */
	g_signal_connect(connection, "closed", G_CALLBACK(test_closed_drop_cb), fixture);
	fixture_peer_reset(fixture);
	for (guint i = 0; i < 100 && fixture->n_closed == 0; i++) {
		guint n_closed_before = fixture->n_closed;

		/* ::closed never runs inside write(), where the caller may still use the connection
		 */
		iot_connection_write(connection, chunk);
		g_assert_cmpuint(fixture->n_closed, ==, n_closed_before);
		g_assert_nonnull(fixture->connection);
		iot_connection_get_congested(connection);
		iot_test_run_for(5);
	}
	g_assert_cmpuint(fixture->n_closed, ==, 1);
	g_assert_error(fixture->closed_error, IOT_CONNECTION_ERROR, IOT_CONNECTION_ERROR_WRITE);
	g_assert_null(fixture->connection);
}

/* both ways at once, at full speed, with flow control, as a tunnel drives it */
typedef struct {
	Fixture *fixture;
	GRand *rand;
	guint64 sent;
	GChecksum *sent_checksum;
	guint idle_id;
	/* the peer's writer */
	guint64 peer_sent;
	GChecksum *peer_sent_checksum;
	GBytes *peer_chunk;
	gboolean peer_writing;
	GChecksum *data_checksum;
	guint64 data_received;
} Bulk;

static gboolean
bulk_write_cb(gpointer user_data)
{
	Bulk *bulk = user_data;
	IotConnection *connection = bulk->fixture->connection;

	while (bulk->sent < TEST_BULK_SIZE && !iot_connection_get_congested(connection)) {
		/* a quarter are tiny, so that one writev carries many of them */
		gsize size = g_rand_int_range(bulk->rand, 0, 4) == 0
				 ? (gsize)g_rand_int_range(bulk->rand, 1, 64)
				 : (gsize)g_rand_int_range(bulk->rand, 1, 100000);
		g_autoptr(GBytes) chunk = NULL;

		size = MIN(size, TEST_BULK_SIZE - bulk->sent);
		chunk = fixture_chunk(bulk->fixture, bulk->sent, size);
		g_checksum_update(bulk->sent_checksum, g_bytes_get_data(chunk, NULL), size);
		iot_connection_write(connection, chunk);
		bulk->sent += size;
	}
	bulk->idle_id = 0;
	return G_SOURCE_REMOVE;
}

static void
bulk_congested_cb(IotConnection *connection, GParamSpec *pspec, gpointer user_data)
{
	Bulk *bulk = user_data;
	if (!iot_connection_get_congested(connection) && bulk->idle_id == 0)
		bulk->idle_id = g_idle_add(bulk_write_cb, bulk);
}

static void
bulk_data_cb(IotConnection *connection, GBytes *bytes, gpointer user_data)
{
	Bulk *bulk = user_data;
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bytes, &size);
	g_checksum_update(bulk->data_checksum, data, size);
	bulk->data_received += size;
}

static void
bulk_peer_write(Bulk *bulk);

static void
bulk_peer_write_cb(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
	Bulk *bulk = user_data;
	g_autoptr(GError) error = NULL;
	gssize n =
	    g_output_stream_write_bytes_finish(G_OUTPUT_STREAM(source_object), result, &error);

	g_assert_no_error(error);
	g_checksum_update(bulk->peer_sent_checksum, g_bytes_get_data(bulk->peer_chunk, NULL), n);
	bulk->peer_sent += n;
	g_clear_pointer(&bulk->peer_chunk, g_bytes_unref);
	bulk->peer_writing = FALSE;
	if (bulk->peer_sent < TEST_BULK_SIZE)
		bulk_peer_write(bulk);
}

static void
bulk_peer_write(Bulk *bulk)
{
	/* MIN() evaluates its arguments twice: draw the size once */
	gsize size = (gsize)g_rand_int_range(bulk->rand, 1, 200000);

	size = MIN(size, TEST_BULK_SIZE - bulk->peer_sent);

	bulk->peer_chunk = fixture_chunk(bulk->fixture, bulk->peer_sent + 12345, size);
	bulk->peer_writing = TRUE;
	g_output_stream_write_bytes_async(
	    g_io_stream_get_output_stream(G_IO_STREAM(bulk->fixture->peer)),
	    bulk->peer_chunk,
	    G_PRIORITY_DEFAULT,
	    NULL,
	    bulk_peer_write_cb,
	    bulk);
}

static void
test_connection_bulk(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(PeerReader) reader = peer_reader_new(fixture);
	Bulk bulk = {
	    .fixture = fixture,
	    .rand = g_rand_new_with_seed(42),
	    .sent_checksum = g_checksum_new(G_CHECKSUM_SHA256),
	    .peer_sent_checksum = g_checksum_new(G_CHECKSUM_SHA256),
	    .data_checksum = g_checksum_new(G_CHECKSUM_SHA256),
	};

	g_signal_connect(fixture->connection,
			 "notify::congested",
			 G_CALLBACK(bulk_congested_cb),
			 &bulk);
	g_signal_connect(fixture->connection, "data", G_CALLBACK(bulk_data_cb), &bulk);
	g_signal_handlers_disconnect_by_func(fixture->connection, test_data_cb, fixture);
	iot_connection_start(fixture->connection);
	bulk.idle_id = g_idle_add(bulk_write_cb, &bulk);
	bulk_peer_write(&bulk);
	peer_reader_read(reader);

	IOT_TEST_WAIT_UNTIL_MS(reader->received == TEST_BULK_SIZE &&
				   bulk.data_received == TEST_BULK_SIZE && !bulk.peer_writing,
			       60000);
	g_assert_cmpstr(g_checksum_get_string(reader->checksum),
			==,
			g_checksum_get_string(bulk.sent_checksum));
	g_assert_cmpstr(g_checksum_get_string(bulk.data_checksum),
			==,
			g_checksum_get_string(bulk.peer_sent_checksum));
	g_assert_cmpuint(iot_connection_get_bytes_written(fixture->connection), ==, TEST_BULK_SIZE);
	g_assert_cmpuint(iot_connection_get_bytes_read(fixture->connection), ==, TEST_BULK_SIZE);
	g_test_message("bulk: %u MiB each way", TEST_BULK_SIZE / (1024 * 1024));

	/* nothing of this test may run once it returns */
	g_signal_handlers_disconnect_by_data(fixture->connection, &bulk);
	if (bulk.idle_id != 0)
		g_source_remove(bulk.idle_id);
	iot_connection_close(fixture->connection);
	IOT_TEST_WAIT_UNTIL(reader->eof);
	g_rand_free(bulk.rand);
	g_checksum_free(bulk.sent_checksum);
	g_checksum_free(bulk.peer_sent_checksum);
	g_checksum_free(bulk.data_checksum);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
	g_test_add("/iotunnel/connection/" path,                                                   \
		   Fixture,                                                                        \
		   "tcp",                                                                          \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
#define ADD_UNIX(path, func)                                                                       \
	g_test_add("/iotunnel/connection/unix/" path,                                              \
		   Fixture,                                                                        \
		   "unix",                                                                         \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	/* the pollable sources, for a stream with no fd */
#define ADD_WRAPPED(path, func)                                                                    \
	g_test_add("/iotunnel/connection/wrapped/" path,                                           \
		   Fixture,                                                                        \
		   "wrapped",                                                                      \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	ADD("poller-watch", test_connection_poller_watch);
	ADD("data-both-ways", test_connection_data_both_ways);
	ADD("read-pause", test_connection_read_pause);
	ADD("congested", test_connection_congested);
	ADD("stall-resets", test_connection_stall_resets);
	ADD("paced-waits", test_connection_paced_waits);
	ADD("budget-overflow", test_connection_budget_overflow);
	ADD("shutdown-write", test_connection_shutdown_write);
	ADD("close-flushes", test_connection_close_flushes);
	ADD("close-with-unread-input", test_connection_close_with_unread_input);
	ADD("flush-and-reset", test_connection_flush_and_reset);
	ADD_UNIX("flush-and-reset", test_connection_flush_and_reset);
	ADD("close-empty", test_connection_close_empty);
	ADD("close-while-reading", test_connection_close_while_reading);
	ADD("close-timeout-no-reader", test_connection_close_timeout_no_reader);
	ADD("close-timeout-peer-stays", test_connection_close_timeout_peer_stays);
	ADD("abort", test_connection_abort);
	ADD("abort-idle", test_connection_abort_idle);
	ADD("closed-on-eof", test_connection_closed_on_eof);
	ADD("closed-on-reset", test_connection_closed_on_reset);
	ADD("closed-once", test_connection_closed_once);
	ADD("write-error-deferred", test_connection_write_error_deferred);
	ADD("bulk-64mib", test_connection_bulk);
	ADD_UNIX("data-both-ways", test_connection_data_both_ways);
	ADD_UNIX("read-pause", test_connection_read_pause);
	ADD_UNIX("congested", test_connection_congested);
	ADD_UNIX("shutdown-write", test_connection_shutdown_write);
	ADD_UNIX("close-flushes", test_connection_close_flushes);
	ADD_UNIX("close-with-unread-input", test_connection_close_with_unread_input);
	ADD_UNIX("close-while-reading", test_connection_close_while_reading);
	ADD_UNIX("closed-on-eof", test_connection_closed_on_eof);
	ADD_UNIX("bulk-64mib", test_connection_bulk);
	ADD_UNIX("poller-watch", test_connection_poller_watch);
	ADD_WRAPPED("data-both-ways", test_connection_data_both_ways);
	ADD_WRAPPED("read-pause", test_connection_read_pause);
	ADD_WRAPPED("congested", test_connection_congested);
	ADD_WRAPPED("closed-on-eof", test_connection_closed_on_eof);
	ADD_WRAPPED("poller-watch", test_connection_poller_watch);
#undef ADD_WRAPPED
#undef ADD_UNIX
#undef ADD
	return g_test_run();
}
