/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * An IotTunnel in this process against a real iotunnel-service: the
 * counters (service round trip, reconnects) and states a D-Bus client will
 * see, and the last error the user is shown, with its domain and code.
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#include "iot-profile.h"
#include "iot-realworld-common.h"
#include "iot-test-wait.h"
#include "iot-tunnel.h"

typedef struct {
	IotRealworldFixture rw;
	IotPluginRegistry *registry;
	IotTunnel *tunnel;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
	fx->registry = iot_plugin_registry_new();
	iot_plugin_registry_load_default(fx->registry);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->tunnel != NULL)
		iot_tunnel_stop(fx->tunnel);
	g_clear_object(&fx->tunnel);
	g_clear_object(&fx->registry);
	iot_realworld_fixture_teardown(&fx->rw);
}

/*
 * Warnings the test provokes, as glob patterns: GLib 2.74's
 * g_test_expect_message() does not see structured log lines, so this
 * writer takes them instead of the default one, which aborts on warnings.
 */
static GPtrArray *expected_warnings = NULL;

static GLogWriterOutput
expecting_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
	for (gsize i = 0; i < n_fields && (level & G_LOG_LEVEL_WARNING) != 0; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") != 0 || fields[i].length >= 0)
			continue;
		for (guint j = 0; j < expected_warnings->len; j++) {
			if (g_pattern_match_simple(g_ptr_array_index(expected_warnings, j),
						   fields[i].value)) {
				g_ptr_array_remove_index(expected_warnings, j);
				return G_LOG_WRITER_HANDLED;
			}
		}
	}
	return g_log_writer_default(level, fields, n_fields, data);
}

static void
expect_warning(const gchar *pattern)
{
	g_ptr_array_add(expected_warnings, g_strdup(pattern));
}

/*
 * a source tunnel to @endpoint (NULL: the service's), pinging every 50 ms,
 * with @token, mapping @services (NULL: SSH1 alone)
 */
static void
fixture_start_tunnel_full(Fixture *fx,
			  const gchar *endpoint,
			  const gchar *token,
			  const gchar *reconnect,
			  const gchar *services)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = iot_realworld_profile(&fx->rw,
						       "source",
						       endpoint,
						       IOT_REALWORLD_CLIENT_TOKEN_SOURCE,
						       "\"ping_ms\": 50",
						       reconnect);
	g_autoptr(GString) json = g_string_new(text);
	g_autoptr(IotProfile) profile = NULL;
	g_autofree gchar *inline_token =
	    g_strdup_printf("{\"value\": \"%s\"}",
			    token != NULL ? token : fx->rw.tunnel.source_token);

	/* the token inline: setenv() is not safe once the output threads run */
	g_string_replace(json, "{\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"}", inline_token, 0);
	g_string_replace(json, "@ENDPOINT@", fx->rw.tunnel.endpoint, 0);
	g_string_replace(json, "@CA@", fx->rw.tunnel.ca_file, 0);
	if (services != NULL)
		g_string_replace(
		    json,
		    "{\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}",
		    services,
		    0);
	profile = iot_profile_new_from_data(json->str, json->len, "counters.json", &error);
	g_assert_no_error(error);
	fx->tunnel = iot_tunnel_new(g_ptr_array_index(iot_profile_get_tunnels(profile), 0),
				    fx->registry,
				    &error);
	g_assert_no_error(error);
	iot_tunnel_start(fx->tunnel);
}

static void
fixture_start_tunnel(Fixture *fx, const gchar *endpoint, const gchar *token, const gchar *reconnect)
{
	fixture_start_tunnel_full(fx, endpoint, token, reconnect, NULL);
}

/* pings give the round trip; a lost service counts a reconnect; a close ends it */
static void
test_round_trip_and_reconnects(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", fx->rw.tunnel.tunnel_id);
	const IotTunnelCounters *counters;
	const GError *last;
	guint status = 0;

	fixture_start_tunnel(fx, NULL, NULL, NULL);
	counters = iot_tunnel_get_counters(fx->tunnel);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_CONNECTED,
			       IOT_REALWORLD_TIMEOUT_MS);
	IOT_TEST_WAIT_UNTIL_MS(counters->round_trip_us > 0, IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(counters->ping_period_ms, ==, 50);
	g_assert_cmpint(counters->round_trip_us, <, 10 * G_USEC_PER_SEC);
	g_assert_cmpuint(counters->reconnects, ==, 0);
	g_assert_nonnull(iot_tunnel_get_channel_id(fx->tunnel));

	g_assert_true(iot_test_tunnel_stop_service(&fx->rw.tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_RECONNECTING,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(counters->reconnects, ==, 1);
	/* meanwhile the last error says what happened, and a retry follows */
	last = iot_tunnel_get_last_error(fx->tunnel);
	g_assert_nonnull(last);
	g_assert_true(last->domain == IOT_TRANSPORT_ERROR);

	g_assert_true(iot_test_tunnel_resume_service(&fx->rw.tunnel, &error));
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_CONNECTED,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(counters->reconnects, ==, 1);
	g_assert_null(iot_tunnel_get_last_error(fx->tunnel));

	g_assert_true(
	    iot_test_tunnel_api(&fx->rw.tunnel, "DELETE", path, NULL, &status, NULL, &error));
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_CLOSED,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_error(iot_tunnel_get_last_error(fx->tunnel),
		       IOT_TRANSPORT_ERROR,
		       IOT_TRANSPORT_ERROR_CLOSED);
}

/* a refusal ends the tunnel with the sentence, in the transport's domain and code */
static void
test_refused(Fixture *fx, gconstpointer data)
{
	const GError *last;

	/* the detail goes to the log */
	expect_warning("tunnel source: the service refused the connection: HTTP 401 "
		       "Unauthorized (unknown access token)");
	fixture_start_tunnel(fx, NULL, "not-the-token", NULL);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_FAILED,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(expected_warnings->len, ==, 0);
	last = iot_tunnel_get_last_error(fx->tunnel);
	g_assert_error(last, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_REFUSED);
	g_assert_true(g_str_has_prefix(last->message,
				       "The service does not know this access token (HTTP 401)"));
	g_assert_cmpuint(iot_tunnel_get_counters(fx->tunnel)->reconnects, ==, 0);
}

/* the service stays away: after the retry count, the tunnel fails */
static void
test_gives_up(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const GError *last;

	g_assert_true(iot_test_tunnel_stop_service(&fx->rw.tunnel, SIGKILL, &error));
	g_assert_no_error(error);
	expect_warning("tunnel source: failed to connect to 127.0.0.1:*");
	fixture_start_tunnel(fx, NULL, NULL, "{\"delay_ms\": 10, \"count\": 1}");
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_FAILED,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(expected_warnings->len, ==, 0);
	last = iot_tunnel_get_last_error(fx->tunnel);
	g_assert_error(last, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK);
	g_assert_true(g_str_has_prefix(last->message,
				       "The service could not be reached in 2 tries in a row"));
}

/*
 * A connection asked over D-Bus (iot_tunnel_open_connection()) for a
 * mapping that the tunnel's services do not name is refused with a
 * sentence; the service never sees it, and the tunnel goes on (issue 15,
 * point 1).
 */
static void
test_open_connection_unlisted(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	const IotTunnelCounters *counters;
	gint fds[2];

	expect_warning("tunnel source: service FOO is not part of this tunnel, which has SSH1: "
		       "connections to it are closed at once; open the tunnel with FOO, or "
		       "remove its mapping.");
	fixture_start_tunnel_full(
	    fx,
	    NULL,
	    NULL,
	    NULL,
	    "{\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}, "
	    "\"FOO\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}");
	counters = iot_tunnel_get_counters(fx->tunnel);
	IOT_TEST_WAIT_UNTIL_MS(expected_warnings->len == 0, IOT_REALWORLD_TIMEOUT_MS);

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	ours = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	{
		g_autoptr(GSocket) theirs = g_socket_new_from_fd(fds[1], &error);
		g_assert_no_error(error);
		stream = g_socket_connection_factory_create_connection(theirs);
	}
	g_assert_false(
	    iot_tunnel_open_connection(fx->tunnel, "FOO", G_IO_STREAM(stream), "test", &error));
	g_assert_error(error, IOT_TUNNEL_ERROR, IOT_TUNNEL_ERROR_UNKNOWN_SERVICE);
	g_assert_cmpstr(error->message,
			==,
			"Service FOO is not part of tunnel source, which has SSH1; open the tunnel "
			"with it.");
	g_assert_cmpuint(counters->total_connections, ==, 0);
	g_assert_cmpuint(counters->messages_to_service, ==, 0);
	g_assert_cmpint(iot_tunnel_get_state(fx->tunnel), ==, IOT_TUNNEL_STATE_CONNECTED);
}

/* a web server that answers every request with 404, in a thread of its own */
static gboolean
not_found_run_cb(GThreadedSocketService *service,
		 GSocketConnection *connection,
		 GObject *source_object,
		 gpointer user_data)
{
	static const gchar answer[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				      "Connection: close\r\n\r\n";
	g_autoptr(GString) request = g_string_new(NULL);
	GInputStream *input = g_io_stream_get_input_stream(G_IO_STREAM(connection));
	GOutputStream *output = g_io_stream_get_output_stream(G_IO_STREAM(connection));
	gchar buffer[1024];

	while (strstr(request->str, "\r\n\r\n") == NULL) {
		gssize n = g_input_stream_read(input, buffer, sizeof(buffer), NULL, NULL);
		if (n <= 0)
			return TRUE;
		g_string_append_len(request, buffer, n);
	}
	g_output_stream_write_all(output, answer, strlen(answer), NULL, NULL, NULL);
	g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
	return TRUE;
}

/* an endpoint that is some other web server: the sentence says so */
static void
test_wrong_endpoint(Fixture *fx, gconstpointer data)
{
	/*
	 * No limit on its threads: with a limit, the service stops itself while
	 * the limit is reached and its worker starts it again when the request
	 * is done, which could be after the test closed it ("fail: Listener is
	 * already closed" from GLib).
	 */
	g_autoptr(GSocketService) server = g_threaded_socket_service_new(-1);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *endpoint = NULL;
	g_autofree gchar *sentence = NULL;
	const GError *last;
	guint16 port;

	g_signal_connect(server, "run", G_CALLBACK(not_found_run_cb), NULL);
	port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(server), NULL, &error);
	g_assert_no_error(error);
	g_socket_service_start(server);
	endpoint = g_strdup_printf("ws://127.0.0.1:%u", port);

	expect_warning("tunnel source: the service refused the connection: HTTP 404 Not Found");
	fixture_start_tunnel(fx, endpoint, NULL, NULL);
	IOT_TEST_WAIT_UNTIL_MS(iot_tunnel_get_state(fx->tunnel) == IOT_TUNNEL_STATE_FAILED,
			       IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpuint(expected_warnings->len, ==, 0);
	last = iot_tunnel_get_last_error(fx->tunnel);
	g_assert_error(last, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_REFUSED);
	sentence = g_strdup_printf("The service has no tunnel endpoint there (HTTP 404): the "
				   "endpoint %s is not a secure tunneling service; check the "
				   "region or endpoint (-r, -e).",
				   endpoint);
	g_assert_cmpstr(last->message, ==, sentence);
	g_socket_service_stop(server);
	g_socket_listener_close(G_SOCKET_LISTENER(server));
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();
	expected_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(expecting_writer, NULL, NULL);

#define ADD(path, func)                                                                            \
	g_test_add("/iotunnel/realworld/" path,                                                    \
		   Fixture,                                                                        \
		   NULL,                                                                           \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	ADD("counters/round-trip-and-reconnects", test_round_trip_and_reconnects);
	ADD("counters/refused", test_refused);
	ADD("counters/gives-up", test_gives_up);
	ADD("counters/wrong-endpoint", test_wrong_endpoint);
	ADD("tunnel/open-connection-unlisted", test_open_connection_unlisted);
#undef ADD
	rc = g_test_run();
	g_ptr_array_unref(expected_warnings);
	return rc;
}
