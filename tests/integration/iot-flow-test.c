/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Flow control per connection and half-close, end to end through a real
 * iotunnel-service and real iotunneld processes (and the reference local
 * proxy where IOTUNNEL_REFERENCE_BIN names it): a connection whose app does
 * not read stops only its own source, and a client that shuts its write side
 * still gets the whole reply.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>

#include "iot-test-tunnel.h"

/* what each connection may hold for its app in these tests */
#define FLOW_TEST_BUFFER (1024 * 1024)

typedef struct {
	IotTestTunnel tunnel;
	GSocket *app_listener;
	guint16 app_port;
	gboolean extensions_off; /* both iotunneld's profiles turn the protocol extensions off */
} Fixture;

static const gchar *services_ssh[] = {"SSH1", NULL};

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, services_ssh, 0, &error));
	g_assert_no_error(error);
	fx->app_listener = iot_test_listen_tcp(&fx->app_port, &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->app_listener);
	iot_test_tunnel_clear(&fx->tunnel);
}

/* a profile for one side, with a small buffer per connection */
static gchar *
profile_text(Fixture *fx, const gchar *mode, const gchar *protocol, const gchar *service)
{
	return g_strdup_printf("{\"tunnels\": [{\"name\": \"t\", \"mode\": \"%s\", "
			       "\"service\": {\"endpoint\": \"@ENDPOINT@\"}, "
			       "\"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"}, "
			       "\"protocol\": \"%s\", "
			       "\"flow_control\": {\"connection_buffer\": %u, "
			       "\"stall_timeout_ms\": 1000, \"extensions\": %s}, "
			       "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"@CA@\"}, "
			       "\"services\": {\"SSH1\": %s}}]}",
			       mode,
			       protocol,
			       FLOW_TEST_BUFFER,
			       fx->extensions_off ? "false" : "true",
			       service);
}

static IotTestProcess *
start_destination(Fixture *fx, const gchar *protocol)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *service =
	    g_strdup_printf("{\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:%u\"}", fx->app_port);
	g_autofree gchar *profile = profile_text(fx, "destination", protocol, service);
	IotTestProcess *process =
	    iot_test_tunnel_spawn_profile(&fx->tunnel, "destination", profile, &error);

	g_assert_no_error(error);
	return process;
}

/* starts our source; returns where it listens */
static gchar *
start_source(Fixture *fx, const gchar *protocol)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *profile =
	    profile_text(fx,
			 "source",
			 protocol,
			 "{\"endpoint\": \"tcp\", \"address\": \"0\", \"bind\": \"127.0.0.1\"}");
	gchar *address;

	fx->tunnel.source = iot_test_tunnel_spawn_profile(&fx->tunnel, "source", profile, &error);
	g_assert_no_error(error);
	address = iot_test_tunnel_listen_address(fx->tunnel.source, "SSH1", &error);
	g_assert_no_error(error);
	return address;
}

/* the reference local proxy, or NULL after marking the test skipped */
static const gchar *
reference_binary(void)
{
	const gchar *reference = g_getenv("IOTUNNEL_REFERENCE_BIN");

	if (reference == NULL || !g_file_test(reference, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("IOTUNNEL_REFERENCE_BIN does not name the reference local proxy");
		return NULL;
	}
	return reference;
}

/* the reference as one side of the tunnel, with @mapping for its -s or -d */
static IotTestProcess *
start_reference(Fixture *fx, const gchar *reference, gboolean source, const gchar *mapping)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *token_env =
	    g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s",
			    source ? fx->tunnel.source_token : fx->tunnel.destination_token);
	const gchar *argv[] = {reference,
			       "-e",
			       fx->tunnel.endpoint,
			       "-c",
			       fx->tunnel.ca_dir,
			       source ? "-s" : "-d",
			       mapping,
			       source ? "-b" : NULL,
			       "127.0.0.1",
			       NULL};
	const gchar *env[] = {token_env, NULL};
	IotTestProcess *process = iot_test_process_spawn(argv, env, &error);

	g_assert_no_error(error);
	g_free(iot_test_process_wait_line(process,
					  source ? "Listening for new connection on port"
						 : "Successfully established websocket connection",
					  20000,
					  &error));
	g_assert_no_error(error);
	return process;
}

/*
 * connects to @address and returns the app's side, accepted; a refused
 * connect is tried again for 10 s (the reference says it listens just
 * before it does)
 */
static GSocket *
connect_pair(Fixture *fx, const gchar *address, GSocket **app)
{
	g_autoptr(GError) error = NULL;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	GSocket *client;

	while ((client = iot_test_connect_tcp(address, &error)) == NULL &&
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) &&
	       g_get_monotonic_time() < deadline) {
		g_clear_error(&error);
		g_usleep(100000);
	}
	g_assert_no_error(error);
	*app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	return client;
}

/* one 64-byte round trip on @client, whose app echoes; FALSE when it missed the deadline */
static gboolean
echo_round(GSocket *client, guint round, gint64 *rtt_us)
{
	guint8 out[64];
	guint8 in[64];
	gsize got = 0;
	gint64 start = g_get_monotonic_time();

	memset(out, (gint)(round & 0xff), sizeof(out));
	if (g_socket_send(client, (const gchar *)out, sizeof(out), NULL, NULL) != sizeof(out))
		return FALSE;
	while (got < sizeof(in)) {
		gssize n =
		    g_socket_receive(client, (gchar *)in + got, sizeof(in) - got, NULL, NULL);
		if (n <= 0)
			return FALSE;
		got += n;
	}
	*rtt_us = g_get_monotonic_time() - start;
	return memcmp(in, out, sizeof(in)) == 0;
}

/*
 * V3, two connections to one service: the first one's app accepts and never
 * reads while its client floods; the second one's 64-byte echoes go on, the
 * flooding client is stopped by its own source, and the destination holds
 * no more than the connection's window for it.
 */
static void
test_stalled_connection_leaves_others(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *address = NULL;
	g_autoptr(GSocket) stalled_client = NULL;
	g_autoptr(GSocket) stalled_app = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	IotTestTraffic flood = {.to_send = 64 * 1024 * 1024, .seed = 3, .io_timeout_s = 3};
	IotTestEcho echo = {0};
	guint64 destination_before, destination_peak;
	gint64 rtt = 0;
	gsize flooded;

	fx->tunnel.destination = start_destination(fx, "v3");
	address = start_source(fx, "v3");
	destination_before = iot_test_process_get_rss_kib(fx->tunnel.destination, "VmRSS");

	stalled_client = connect_pair(fx, address, &stalled_app);
	client = connect_pair(fx, address, &app);
	iot_test_echo_start(&echo, app);
	g_socket_set_timeout(client, 10);
	iot_test_traffic_start(&flood, stalled_client);

	/* the flood fills every buffer on its way, then stands still */
	for (gsize last = G_MAXSIZE; last != iot_test_traffic_get_sent(&flood);) {
		last = iot_test_traffic_get_sent(&flood);
		g_usleep(500 * 1000);
	}
	for (guint round = 0; round < 50; round++)
		g_assert_true(echo_round(client, round, &rtt));

	iot_test_traffic_join(&flood);
	flooded = flood.sent;
	destination_peak = iot_test_process_get_rss_kib(fx->tunnel.destination, "VmHWM");
	g_test_message("the stalled client got %" G_GSIZE_FORMAT " bytes in; destination RSS "
		       "%" G_GUINT64_FORMAT " KiB, peak %" G_GUINT64_FORMAT " KiB",
		       flooded,
		       destination_before,
		       destination_peak);
	/* kernel buffers take some MiB on each hop; the tunnel holds one window */
	g_assert_cmpuint(flooded, <, 40 * 1024 * 1024);
#ifndef __SANITIZE_ADDRESS__
	g_assert_cmpuint(destination_peak - destination_before, <, 8 * 1024);
#endif
	/* neither connection was reset: the stalled one waits for its app */
	g_assert_false(
	    iot_test_process_has_line(fx->tunnel.destination, "resetting this connection"));
	g_assert_true(iot_test_echo_stop(&echo, 100) || TRUE);
	iot_test_traffic_clear(&flood);
}

typedef struct {
	GSocket *socket;
	gsize size;
	guint32 seed;
	gchar *sha256;
} HalfCloseWriter;

/* sends @size bytes of the seed's data, then shuts the write side */
static gpointer
half_close_writer_thread(gpointer user_data)
{
	HalfCloseWriter *writer = user_data;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GRand) rand = g_rand_new_with_seed(writer->seed);
	gint fd = g_socket_get_fd(writer->socket);
	guint8 chunk[16384];
	gsize sent = 0;

	while (sent < writer->size) {
		gsize n = MIN(sizeof(chunk), writer->size - sent);
		gsize done = 0;
		for (gsize i = 0; i < n; i++)
			chunk[i] = (guint8)g_rand_int(rand);
		g_checksum_update(checksum, chunk, n);
		while (done < n) {
			ssize_t w = send(fd, chunk + done, n - done, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return NULL;
			done += w;
		}
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	writer->sha256 = g_strdup(g_checksum_get_string(checksum));
	return NULL;
}

/* waits up to @timeout_s for the echo app to read the end of the client's data */
static gboolean
wait_echo_done(IotTestEcho *echo, guint timeout_s)
{
	gint64 deadline = g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC;

	while (!g_atomic_int_get(&echo->done)) {
		if (g_get_monotonic_time() > deadline)
			return FALSE;
		g_usleep(10000);
	}
	return TRUE;
}

/*
 * The client sends @size bytes, shuts its write side and reads the echo
 * (each read within 20 s); returns how many bytes came back, and whether
 * they are the ones sent. Then the app closes, and the client must read the
 * end of stream. @app_sees_end: the half-close reached the app.
 */
static gsize
half_close_round(Fixture *fx,
		 const gchar *address,
		 gsize size,
		 gboolean app_sees_end,
		 gboolean *same)
{
	g_autoptr(GSocket) app = NULL;
	g_autoptr(GSocket) client = connect_pair(fx, address, &app);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	HalfCloseWriter writer = {.socket = client, .size = size, .seed = (guint32)size};
	IotTestEcho echo = {0};
	GThread *thread;
	guint8 buffer[16384];
	gsize received = 0;

	iot_test_echo_start(&echo, app);
	g_socket_set_blocking(client, TRUE);
	g_socket_set_timeout(client, 20);
	thread = g_thread_new("half-close", half_close_writer_thread, &writer);
	while (received < size) {
		gssize n = g_socket_receive(client,
					    (gchar *)buffer,
					    MIN(sizeof(buffer), size - received),
					    NULL,
					    NULL);
		if (n <= 0)
			break;
		g_checksum_update(checksum, buffer, n);
		received += n;
	}
	g_thread_join(thread);
	*same = writer.sha256 != NULL &&
		g_str_equal(writer.sha256, g_checksum_get_string(checksum)) && received == size;
	g_free(writer.sha256);
	if (app_sees_end)
		g_assert_true(wait_echo_done(&echo, 20));
	iot_test_echo_stop(&echo, 0);
	g_clear_object(&echo.socket);
	/* the app's end reaches the client, and nothing more */
	g_assert_cmpint(g_socket_receive(client, (gchar *)buffer, sizeof(buffer), NULL, NULL),
			==,
			0);
	return received;
}

static const gsize half_close_sizes[] = {1024, 64 * 1024, 1024 * 1024, 2 * 1024 * 1024};

static void
check_half_close_whole(Fixture *fx, const gchar *address, gboolean app_sees_end)
{
	for (guint i = 0; i < G_N_ELEMENTS(half_close_sizes); i++) {
		gboolean same = FALSE;
		gsize received =
		    half_close_round(fx, address, half_close_sizes[i], app_sees_end, &same);
		g_test_message("%" G_GSIZE_FORMAT " bytes sent, then SHUT_WR: %" G_GSIZE_FORMAT
			       " came back",
			       half_close_sizes[i],
			       received);
		g_assert_cmpuint(received, ==, half_close_sizes[i]);
		g_assert_true(same);
	}
}

/* between two iotunneld: the half-close crosses the tunnel and the reply comes back whole */
static void
test_half_close(Fixture *fx, gconstpointer data)
{
	const gchar *protocol = data;
	g_autofree gchar *address = NULL;

	fx->tunnel.destination = start_destination(fx, protocol);
	address = start_source(fx, protocol);
	check_half_close_whole(fx, address, TRUE);
}

/*
 * The reference as the destination, which knows no half-close: our source
 * holds its reset while the reply still arrives, so the reply comes back
 * whole. (With the reference as the source, it closes the client's
 * connection at the client's end of stream, whatever the far side sends:
 * nothing of a later reply can reach that client.)
 */
static void
test_half_close_reference_destination(Fixture *fx, gconstpointer data)
{
	const gchar *reference = reference_binary();
	g_autofree gchar *mapping = NULL;
	g_autofree gchar *address = NULL;

	if (reference == NULL)
		return;
	mapping = g_strdup_printf("SSH1=%u", fx->app_port);
	fx->tunnel.destination = start_reference(fx, reference, FALSE, mapping);
	address = start_source(fx, "v3");
	check_half_close_whole(fx, address, FALSE);
}

/*
 * The reference as the source, which cannot be told to slow down: the
 * connection whose app does not read is reset once its buffer is full (or
 * stays full for the stall time), with a log line naming it, and the other
 * connection's echoes go on meanwhile.
 */
static void
test_stall_reference_source(Fixture *fx, gconstpointer data)
{
	const gchar *reference = reference_binary();
	g_autofree gchar *line = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) stalled_client = NULL;
	g_autoptr(GSocket) stalled_app = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autoptr(GSocket) listener = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *mapping = NULL;
	IotTestTraffic flood = {.to_send = 64 * 1024 * 1024, .seed = 4, .io_timeout_s = 5};
	IotTestEcho echo = {0};
	guint16 port = 0;
	gint64 rtt = 0;

	if (reference == NULL)
		return;
	fx->tunnel.destination = start_destination(fx, "v3");
	/* a free port for the reference's listener */
	listener = iot_test_listen_tcp(&port, &error);
	g_assert_no_error(error);
	g_clear_object(&listener);
	mapping = g_strdup_printf("SSH1=%u", port);
	fx->tunnel.source = start_reference(fx, reference, TRUE, mapping);
	address = g_strdup_printf("127.0.0.1:%u", port);

	stalled_client = connect_pair(fx, address, &stalled_app);
	client = connect_pair(fx, address, &app);
	iot_test_echo_start(&echo, app);
	g_socket_set_timeout(client, 10);
	iot_test_traffic_start(&flood, stalled_client);

	line = iot_test_process_wait_line(fx->tunnel.destination,
					  "resetting this connection",
					  30000,
					  &error);
	g_assert_no_error(error);
	g_test_message("%s", line);
	g_assert_nonnull(g_strstr_len(line, -1, "stream 1"));
	for (guint round = 0; round < 50; round++)
		g_assert_true(echo_round(client, round, &rtt));
	iot_test_traffic_join(&flood);
	iot_test_echo_stop(&echo, 100);
	g_clear_object(&echo.socket);
	iot_test_traffic_clear(&flood);
}

/*
 * With the protocol extensions turned off in both profiles, two iotunneld
 * pace nothing between them: the stalled connection is reset, as with a
 * peer that cannot be told to slow down, and the other keeps echoing.
 */
static void
test_extensions_off(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *line = NULL;
	g_autofree gchar *address = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) stalled_client = NULL;
	g_autoptr(GSocket) stalled_app = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	IotTestTraffic flood = {.to_send = 64 * 1024 * 1024, .seed = 5, .io_timeout_s = 5};
	IotTestEcho echo = {0};
	gint64 rtt = 0;

	fx->extensions_off = TRUE;
	fx->tunnel.destination = start_destination(fx, "v3");
	address = start_source(fx, "v3");
	stalled_client = connect_pair(fx, address, &stalled_app);
	client = connect_pair(fx, address, &app);
	iot_test_echo_start(&echo, app);
	g_socket_set_timeout(client, 10);
	iot_test_traffic_start(&flood, stalled_client);

	line = iot_test_process_wait_line(fx->tunnel.destination,
					  "resetting this connection",
					  30000,
					  &error);
	g_assert_no_error(error);
	g_test_message("%s", line);
	for (guint round = 0; round < 50; round++)
		g_assert_true(echo_round(client, round, &rtt));
	iot_test_traffic_join(&flood);
	iot_test_echo_stop(&echo, 100);
	g_clear_object(&echo.socket);
	iot_test_traffic_clear(&flood);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

#define ADD(path, data, func) g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown)
	ADD("/iotunnel/flow/v3/stalled-connection-leaves-others",
	    NULL,
	    test_stalled_connection_leaves_others);
	ADD("/iotunnel/flow/v3/extensions-off", NULL, test_extensions_off);
	ADD("/iotunnel/flow/v3/half-close", "v3", test_half_close);
	ADD("/iotunnel/flow/v2/half-close", "v2", test_half_close);
	ADD("/iotunnel/flow/reference/half-close-reference-destination",
	    NULL,
	    test_half_close_reference_destination);
	ADD("/iotunnel/flow/reference/stall-reference-source", NULL, test_stall_reference_source);
#undef ADD
	return g_test_run();
}
