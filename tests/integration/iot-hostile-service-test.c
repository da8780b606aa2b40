/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A real iotunneld against a service that attacks it: the raw WebSocket
 * service of the transport tests, on loopback (ws://), sends what no
 * tunneling service should, as fast as the proxy reads. The proxy must hold
 * its descriptors, its log and its memory, and stop on SIGTERM.
 */

#include "config.h"

#include <iotunnel.h>

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "iot-test-process.h"
#include "iot-test-service.h"
#include "iot-test-wait.h"

/* what a test waits at most for what should come soon, on a loaded machine */
#define TEST_DEADLINE_MS 60000

/* a bound on the proxy's peak memory that a leak or an unbounded queue would pass */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_RSS_BOUND_KIB (256 * 1024) /* ASan's shadow memory and quarantine come on top */
#else
#define TEST_RSS_BOUND_KIB (64 * 1024)
#endif

typedef struct {
	IotTestRawService *service;
	IotTestProcess *proxy;
	GSocketListener *app; /* the destination's local app */
	GPtrArray *app_connections;
	IotFrameDecoder *decoder;
	guint n_decoded; /* of service->data, messages decoded so far */
	guint resets;	 /* CONNECTION_RESET and STREAM_RESET the proxy sent */
} Fixture;

static void
app_accept_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *fx = user_data;
	g_autoptr(GSocketConnection) connection =
	    g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), result, NULL, NULL);

	if (connection == NULL)
		return;
	g_ptr_array_add(fx->app_connections, g_steal_pointer(&connection));
	g_socket_listener_accept_async(G_SOCKET_LISTENER(source), NULL, app_accept_cb, fx);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->service = iot_test_raw_service_new(G_SOCKET_FAMILY_IPV4, &error);
	g_assert_no_error(error);
	fx->service->data = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	fx->decoder = iot_frame_decoder_new();
	fx->app_connections = g_ptr_array_new_with_free_func(g_object_unref);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->proxy);
	if (fx->app != NULL)
		g_socket_listener_close(fx->app);
	g_clear_object(&fx->app);
	g_ptr_array_unref(fx->app_connections);
	g_clear_object(&fx->decoder);
	g_clear_pointer(&fx->service, iot_test_raw_service_free);
}

/* a local app that accepts and holds every connection; returns its port */
static guint16
start_app(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	guint16 port;

	fx->app = g_socket_listener_new();
	g_socket_listener_set_backlog(fx->app, 4096);
	port = g_socket_listener_add_any_inet_port(fx->app, NULL, &error);
	g_assert_no_error(error);
	g_socket_listener_accept_async(fx->app, NULL, app_accept_cb, fx);
	return port;
}

/* iotunneld against the raw service, with a descriptor limit when @fd_limit is not 0 */
static void
start_proxy(Fixture *fx, const gchar *const *args, guint fd_limit)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	const gchar *env[] = {"AWSIOT_TUNNEL_ACCESS_TOKEN=hostile-test-token", NULL};
	g_autoptr(GError) error = NULL;

	g_ptr_array_add(argv, g_strdup(IOTUNNELD_PATH));
	g_ptr_array_add(argv, g_strdup("-e"));
	g_ptr_array_add(argv, g_strdup_printf("ws://127.0.0.1:%u", fx->service->port));
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	fx->proxy = iot_test_process_spawn((const gchar *const *)argv->pdata, env, &error);
	g_assert_no_error(error);
	if (fd_limit != 0) {
		struct rlimit limit = {fd_limit, fd_limit};
		g_assert_cmpint(
		    prlimit(iot_test_process_get_pid(fx->proxy), RLIMIT_NOFILE, &limit, NULL),
		    ==,
		    0);
	}
	IOT_TEST_WAIT_UNTIL_MS(fx->service->handshake_done, TEST_DEADLINE_MS);
}

/* one WebSocket binary frame, from the service (unmasked), of @payload */
static GBytes *
server_frame(guint8 first_byte, const guint8 *payload, gsize len)
{
	g_autoptr(GByteArray) frame = g_byte_array_new();
	guint8 header[10] = {first_byte};
	gsize header_len;

	if (len < 126) {
		header[1] = (guint8)len;
		header_len = 2;
	} else if (len < 65536) {
		header[1] = 126;
		header[2] = (guint8)(len >> 8);
		header[3] = (guint8)len;
		header_len = 4;
	} else {
		header[1] = 127;
		for (guint i = 0; i < 8; i++)
			header[2 + i] = (guint8)((guint64)len >> (8 * (7 - i)));
		header_len = 10;
	}
	g_byte_array_append(frame, header, header_len);
	g_byte_array_append(frame, payload, len);
	return g_byte_array_free_to_bytes(g_steal_pointer(&frame));
}

/* @messages, as many as fit, in WebSocket messages of at most 60 KiB; appended to @out */
static void
append_messages(GByteArray *out, GPtrArray *messages)
{
	g_autoptr(GByteArray) payload = g_byte_array_new();

	for (guint i = 0; i <= messages->len; i++) {
		g_autoptr(GBytes) encoded = NULL;
		g_autoptr(GError) error = NULL;

		if (i < messages->len) {
			encoded = iot_frame_encode(g_ptr_array_index(messages, i), &error);
			g_assert_no_error(error);
		}
		if (payload->len > 0 &&
		    (encoded == NULL || payload->len + g_bytes_get_size(encoded) > 60 * 1024)) {
			g_autoptr(GBytes) frame = server_frame(0x82, payload->data, payload->len);
			g_byte_array_append(out,
					    g_bytes_get_data(frame, NULL),
					    g_bytes_get_size(frame));
			g_byte_array_set_size(payload, 0);
		}
		if (encoded != NULL)
			g_byte_array_append(payload,
					    g_bytes_get_data(encoded, NULL),
					    g_bytes_get_size(encoded));
	}
}

static void
send_messages(Fixture *fx, GPtrArray *messages)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GBytes) bytes = NULL;

	append_messages(out, messages);
	bytes = g_byte_array_free_to_bytes(g_steal_pointer(&out));
	iot_test_raw_service_write(fx->service, bytes);
}

static IotMessage *
service_ids_message(const gchar *const *ids)
{
	IotMessage *msg = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	msg->available_service_ids = g_strdupv((gchar **)ids);
	return msg;
}

static void
send_service_ids(Fixture *fx, const gchar *const *ids)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_ptr_array_add(messages, service_ids_message(ids));
	send_messages(fx, messages);
}

/* decodes what the proxy sent since the last call, counting its resets */
static void
decode_sent(Fixture *fx)
{
	for (; fx->n_decoded < fx->service->data->len; fx->n_decoded++) {
		iot_frame_decoder_push(fx->decoder,
				       g_ptr_array_index(fx->service->data, fx->n_decoded));
		for (;;) {
			g_autoptr(GError) error = NULL;
			g_autoptr(IotMessage) msg = iot_frame_decoder_next(fx->decoder, &error);
			g_assert_no_error(error);
			if (msg == NULL)
				break;
			if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_RESET ||
			    msg->type == IOT_MESSAGE_TYPE_STREAM_RESET)
				fx->resets++;
		}
	}
}

static gboolean
resets_at_least(Fixture *fx, guint count)
{
	decode_sent(fx);
	return fx->resets >= count;
}

static guint
count_fds(IotTestProcess *process)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/fd", iot_test_process_get_pid(process));
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	guint count = 0;

	while (dir != NULL && g_dir_read_name(dir) != NULL)
		count++;
	return count;
}

/* SIGTERM ends the proxy, whatever it is busy with, with exit status 0 */
static void
assert_stops_on_sigterm(Fixture *fx)
{
	gint status = -1;

	iot_test_process_signal(fx->proxy, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(fx->proxy, TEST_DEADLINE_MS / 2, &status));
	g_assert_cmpint(status, ==, 0);
}

/*
 * 3,000 CONNECTION_STARTs at a destination allowed 256 descriptors: it opens
 * at most max_connections (128) to the app, answers every other with a
 * CONNECTION_RESET, and logs a bounded number of lines.
 */
static void
test_connection_flood(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autofree gchar *port = g_strdup_printf("%u", start_app(fx));
	const gchar *args[] = {"-m", "destination", "-d", port, NULL};
	const gchar *none[] = {NULL};
	const guint n_connections = 3000;
	guint n_lines;

	start_proxy(fx, args, 256);
	send_service_ids(fx, none);
	g_ptr_array_add(messages,
			iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 1, NULL));
	for (guint id = 2; id <= n_connections; id++)
		g_ptr_array_add(
		    messages,
		    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_START, 1, NULL, id, NULL));
	send_messages(fx, messages);

	IOT_TEST_WAIT_UNTIL_MS(resets_at_least(fx, n_connections - 128) ||
				   fx->app_connections->len > 128,
			       TEST_DEADLINE_MS);
	/* what was let through reaches the app */
	IOT_TEST_WAIT_UNTIL_MS(fx->app_connections->len >= 128, TEST_DEADLINE_MS);
	iot_test_run_for(500);
	decode_sent(fx);
	g_test_message("%u connections reached the app, %u resets, %u descriptors",
		       fx->app_connections->len,
		       fx->resets,
		       count_fds(fx->proxy));
	g_assert_cmpuint(fx->app_connections->len, ==, 128);
	g_assert_cmpuint(fx->resets, ==, n_connections - 128);
	n_lines = iot_test_process_count_lines(fx->proxy, "refused|cannot reach|epoll_create1");
	g_test_message("%u lines about refused connections", n_lines);
	g_assert_cmpuint(n_lines, <=, 3 * IOT_LOG_RATE_LIMIT_BURST);
	g_assert_false(iot_test_process_has_line(fx->proxy, "epoll_create1"));
	assert_stops_on_sigterm(fx);
}

/* a SERVICE_IDS no tunnel can have: the proxy gives up on the service after the ones before */
static IotMessage *
too_many_service_ids_message(guint count)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) ids = NULL;

	for (guint i = 0; i < count; i++) {
		g_autofree gchar *id = g_strdup_printf("S%u", i);
		g_strv_builder_add(builder, id);
	}
	ids = g_strv_builder_end(builder);
	return service_ids_message((const gchar *const *)ids);
}

/*
 * SERVICE_IDS, each naming a new service besides the mapped one, to a source:
 * it listens only for its mapping, not on a port for each name (8,000 ports
 * before), and says so in a few lines.
 */
static void
test_service_ids_many(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gchar *args[] = {"-m", "source", "-s", "SSH1=0", NULL};
	gint status = -1;

	start_proxy(fx, args, 0);
	for (guint i = 0; i < 8000; i++) {
		g_autofree gchar *id = g_strdup_printf("S%u", i);
		const gchar *ids[] = {"SSH1", id, NULL};
		g_ptr_array_add(messages, service_ids_message(ids));
	}
	/* ends the session once every one before was handled */
	g_ptr_array_add(messages, too_many_service_ids_message(100));
	send_messages(fx, messages);
	g_assert_true(iot_test_process_wait_exit(fx->proxy, TEST_DEADLINE_MS, &status));
	g_test_message("%u listening lines, %u about services without a mapping",
		       iot_test_process_count_lines(fx->proxy, "listening on"),
		       iot_test_process_count_lines(fx->proxy, "no mapping here"));
	g_assert_cmpuint(iot_test_process_count_lines(fx->proxy, "listening on"), ==, 1);
	g_assert_cmpuint(iot_test_process_count_lines(fx->proxy, "no mapping here"),
			 <=,
			 IOT_LOG_RATE_LIMIT_BURST);
	g_assert_cmpuint(iot_test_process_count_lines(fx->proxy, "the service has"),
			 <=,
			 IOT_LOG_RATE_LIMIT_BURST);
	g_assert_true(iot_test_process_has_line(fx->proxy, "announced 100 services"));
}

/* one SERVICE_IDS listing more services than a tunnel can have is refused, nothing opened */
static void
test_service_ids_long_list(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gchar *args[] = {"-m", "source", "-s", "SSH1=0", NULL};
	gint status = -1;

	start_proxy(fx, args, 0);
	g_ptr_array_add(messages, too_many_service_ids_message(8000));
	send_messages(fx, messages);
	g_assert_true(iot_test_process_wait_exit(fx->proxy, TEST_DEADLINE_MS, &status));
	g_assert_cmpint(status, !=, 0);
	g_assert_cmpuint(iot_test_process_count_lines(fx->proxy, "listening on"), ==, 1);
	g_assert_true(iot_test_process_has_line(fx->proxy, "announced 8000 services"));
}

/*
 * Service ids with a newline and 60,000 characters: the lines naming them
 * are escaped and cut, so none is forged and none is huge.
 */
static void
test_service_ids_quoted(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autofree gchar *long_id = g_strnfill(60000, 'x');
	const gchar *args[] = {"-m", "source", "-s", "SSH1=0", NULL};
	const gchar *ids[] = {"SSH1", "evil\nforged: line", long_id, NULL};
	g_autofree gchar *output = NULL;
	g_auto(GStrv) lines = NULL;

	start_proxy(fx, args, 0);
	g_ptr_array_add(messages, service_ids_message(ids));
	send_messages(fx, messages);
	IOT_TEST_WAIT_UNTIL_MS(iot_test_process_has_line(fx->proxy, "evil.*forged"),
			       TEST_DEADLINE_MS);
	assert_stops_on_sigterm(fx);
	output = iot_test_process_get_output(fx->proxy);
	lines = g_strsplit(output, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_assert_false(g_str_has_prefix(lines[i], "forged"));
		g_assert_cmpuint(strlen(lines[i]), <=, 4096 + 100);
	}
	g_assert_true(iot_test_process_has_line(fx->proxy, "evil\\\\nforged: line"));
}

/*
 * A message the proxy logs, sent as fast as it reads: the log stays a few
 * lines, and SIGTERM still stops the proxy mid-flood.
 */
static void
flood_and_stop(Fixture *fx, GPtrArray *messages, guint repeats, const gchar *line)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GBytes) block = NULL;
	guint n_lines;

	append_messages(out, messages);
	block = g_byte_array_free_to_bytes(g_steal_pointer(&out));
	iot_test_raw_service_flood_bytes(fx->service, block, repeats);
	/* well into the flood */
	IOT_TEST_WAIT_UNTIL_MS(fx->service->flood_started >= repeats / 4, TEST_DEADLINE_MS);
	g_test_message("%u blocks of %" G_GSIZE_FORMAT " bytes sent",
		       fx->service->flood_started,
		       g_bytes_get_size(block));
	assert_stops_on_sigterm(fx);
	n_lines = iot_test_process_count_lines(fx->proxy, line);
	g_test_message("%u lines matching \"%s\"", n_lines, line);
	g_assert_cmpuint(n_lines, <=, 3 * IOT_LOG_RATE_LIMIT_BURST);
}

/* SERVICE_IDS again and again, naming the tunnel's service */
static void
test_service_ids_flood(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gchar *args[] = {"-m", "source", "-s", "SSH1=0", NULL};
	const gchar *ids[] = {"SSH1", NULL};

	start_proxy(fx, args, 0);
	for (guint i = 0; i < 1000; i++)
		g_ptr_array_add(messages, service_ids_message(ids));
	flood_and_stop(fx, messages, 1000, "the service has");
}

/* SESSION_RESET again and again */
static void
test_session_reset_flood(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autofree gchar *port = g_strdup_printf("%u", start_app(fx));
	const gchar *args[] = {"-m", "destination", "-d", port, NULL};
	const gchar *none[] = {NULL};

	start_proxy(fx, args, 0);
	send_service_ids(fx, none);
	for (guint i = 0; i < 2000; i++)
		g_ptr_array_add(messages, iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0));
	flood_and_stop(fx, messages, 1000, "session reset");
}

/*
 * Pings, as fast as the proxy reads, from a service that never reads: the
 * pongs cannot go anywhere. The proxy's memory stays bounded and SIGTERM
 * still stops it.
 */
static void
test_ping_flood(Fixture *fx, gconstpointer data)
{
	g_autoptr(GByteArray) pings = g_byte_array_new();
	g_autoptr(GBytes) block = NULL;
	g_autofree gchar *port = g_strdup_printf("%u", start_app(fx));
	const gchar *args[] = {"-m", "destination", "-d", port, NULL};
	const gchar *none[] = {NULL};
	guint64 rss_kib;

	start_proxy(fx, args, 0);
	send_service_ids(fx, none);
	iot_test_raw_service_set_reading(fx->service, FALSE);
	for (guint i = 0; i < 4096; i++) {
		g_autoptr(GBytes) ping = server_frame(0x89, (const guint8 *)"12345678", 8);
		g_byte_array_append(pings, g_bytes_get_data(ping, NULL), g_bytes_get_size(ping));
	}
	block = g_byte_array_free_to_bytes(g_steal_pointer(&pings));
	/* up to 2,000 blocks of 4,096 pings (80 MiB), while the proxy reads them */
	iot_test_raw_service_flood_bytes(fx->service, block, 2000);
	IOT_TEST_WAIT_UNTIL_MS(fx->service->flood_started >= 100, TEST_DEADLINE_MS);
	iot_test_run_for(1000);
	rss_kib = iot_test_process_get_rss_kib(fx->proxy, "VmHWM");
	g_test_message("%u blocks of pings sent; proxy peak RSS %" G_GUINT64_FORMAT " KiB",
		       fx->service->flood_started,
		       rss_kib);
	g_assert_cmpuint(rss_kib, <, TEST_RSS_BOUND_KIB);
	assert_stops_on_sigterm(fx);
}

int
main(int argc, char **argv)
{
	struct rlimit limit;

	g_test_init(&argc, &argv, NULL);
	/* the app side of the connection flood holds thousands of sockets */
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	g_test_add("/iotunnel/hostile/connection-flood",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_connection_flood,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/service-ids-many",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_service_ids_many,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/service-ids-long-list",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_service_ids_long_list,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/service-ids-quoted",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_service_ids_quoted,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/service-ids-flood",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_service_ids_flood,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/session-reset-flood",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_session_reset_flood,
		   fixture_teardown);
	g_test_add("/iotunnel/hostile/ping-flood",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_ping_flood,
		   fixture_teardown);
	return g_test_run();
}
