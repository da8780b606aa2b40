/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The tunnel's life in the real world, end to end through iotunnel-service
 * and two iotunneld processes: the service restarted in the middle of a
 * transfer, the network cut and back, the tunnel closed through the API or
 * by its lifetime, and the signals a service manager sends.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "iot-realworld-common.h"
#include "iot-test-wait.h"

typedef IotRealworldFixture Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(fx, NULL);
}

/* a tunnel that lives a few seconds: long enough for both proxies to connect */
static void
fixture_setup_short_lived(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(fx, "{\"services\": [\"SSH1\"], \"lifetime\": 6}");
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->tunnel.source != NULL)
		iot_realworld_assert_no_secret(fx, fx->tunnel.source);
	if (fx->tunnel.destination != NULL)
		iot_realworld_assert_no_secret(fx, fx->tunnel.destination);
	iot_realworld_fixture_teardown(fx);
}

/* both proxies from profiles, with client tokens and fast retries */
static void
start_proxies(Fixture *fx, const gchar *source_endpoint, gboolean client_tokens)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination =
	    iot_realworld_profile(fx,
				  "destination",
				  NULL,
				  client_tokens ? IOT_REALWORLD_CLIENT_TOKEN_DESTINATION : NULL,
				  NULL,
				  NULL);
	g_autofree gchar *source =
	    iot_realworld_profile(fx,
				  "source",
				  source_endpoint,
				  client_tokens ? IOT_REALWORLD_CLIENT_TOKEN_SOURCE : NULL,
				  NULL,
				  NULL);

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_profile(&fx->tunnel, "destination", destination, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_profile(&fx->tunnel, "source", source, &error);
	g_assert_no_error(error);
}

/* the destination connected @destination times, the source heard of SSH1 @source times */
static void
wait_connected(Fixture *fx, guint destination, guint source)
{
	g_autoptr(GError) error = NULL;

	iot_test_process_wait_lines(fx->tunnel.destination,
				    "tunnel [^ ]+: connected",
				    destination,
				    IOT_REALWORLD_TIMEOUT_MS,
				    &error);
	g_assert_no_error(error);
	iot_test_process_wait_lines(fx->tunnel.source,
				    "tunnel [^ ]+: the service has SSH1",
				    source,
				    IOT_REALWORLD_TIMEOUT_MS,
				    &error);
	g_assert_no_error(error);
}

/* a transfer that goes on until the tunnel breaks; returns once it is under way */
static void
start_endless(Fixture *fx, const gchar *address, IotRealworldPair *pair)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
	g_autoptr(GSocket) app = NULL;

	g_assert_no_error(error);
	app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	pair->client.to_send = G_MAXSIZE / 2;
	pair->client.seed = 11;
	pair->client.to_receive = G_MAXSIZE / 2;
	/*
	 * The app sends a little only: once a STREAM_RESET ends its connection,
	 * the destination closes it and waits a while for the app to stop too.
	 */
	pair->app.to_send = 64 * 1024;
	pair->app.seed = 12;
	pair->app.to_receive = G_MAXSIZE / 2;
	iot_test_traffic_start(&pair->client, client);
	iot_test_traffic_start(&pair->app, app);
	IOT_TEST_WAIT_UNTIL(iot_test_traffic_get_received(&pair->app) >= 256 * 1024);
}

/*
 * The broken transfer ended before its end, with a TCP reset on the side of
 * each proxy whose WebSocket broke (PROTOCOL.md section 4); a proxy that
 * only heard of it by a STREAM_RESET ends its side as the codec does.
 */
static void
check_reset(IotRealworldPair *pair, gboolean app_side_reset)
{
	iot_test_traffic_join(&pair->client);
	iot_test_traffic_join(&pair->app);
	g_assert_true(pair->client.reset_seen);
	if (app_side_reset)
		g_assert_true(pair->app.reset_seen);
	g_assert_cmpuint(pair->client.received, <, G_MAXSIZE / 2);
	g_assert_cmpuint(pair->app.received, <, G_MAXSIZE / 2);
	iot_test_traffic_clear(&pair->client);
	iot_test_traffic_clear(&pair->app);
}

/*
 * The service stops in the middle of a transfer and starts again on the
 * same port and state folder: the transfer ends with resets, both proxies
 * reconnect with their client tokens, and a new connection goes through the
 * same proxies.
 */
static void
test_restart_mid_transfer(Fixture *fx, gconstpointer data)
{
	gint signum = GPOINTER_TO_INT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = NULL;
	IotRealworldPair pair = {0};

	start_proxies(fx, NULL, TRUE);
	address = iot_realworld_source_address(fx->tunnel.source);
	iot_realworld_exchange(fx, address, 64 * 1024);
	start_endless(fx, address, &pair);

	g_assert_true(iot_test_tunnel_stop_service(&fx->tunnel, signum, &error));
	g_assert_no_error(error);
	check_reset(&pair, TRUE);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel source: .*; trying again in",
				IOT_REALWORLD_TIMEOUT_MS);

	g_assert_true(iot_test_tunnel_resume_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.service, "restored 1 open tunnels", 1000);
	wait_connected(fx, 2, 2);

	/* the same listener, the same processes */
	iot_realworld_exchange(fx, address, 1024 * 1024);
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.source, 0, NULL));
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.destination, 0, NULL));
}

/*
 * The service restarts and the source comes back before the destination,
 * which waits longer between its tries (issue 15, point 10): a connection
 * accepted during the outage waits for the destination too, instead of
 * being closed by the reset the service answers while no destination is
 * there, and then carries its bytes both ways, whole.
 */
static void
test_restart_source_first(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	/* long enough for the source to come back first, also under valgrind */
	guint delay_ms = iot_test_timeout_ms(3000);
	g_autofree gchar *reconnect =
	    g_strdup_printf("{\"delay_ms\": %u, \"max_delay_ms\": %u}", delay_ms, delay_ms);
	g_autofree gchar *destination =
	    iot_realworld_profile(fx,
				  "destination",
				  NULL,
				  IOT_REALWORLD_CLIENT_TOKEN_DESTINATION,
				  NULL,
				  reconnect);
	g_autofree gchar *source = iot_realworld_profile(fx,
							 "source",
							 NULL,
							 IOT_REALWORLD_CLIENT_TOKEN_SOURCE,
							 NULL,
							 NULL);
	g_autofree gchar *address = NULL;
	g_autoptr(GSocket) held_client = NULL;
	g_autoptr(GSocket) held_app = NULL;
	IotRealworldPair held = {0};

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_profile(&fx->tunnel, "destination", destination, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_profile(&fx->tunnel, "source", source, &error);
	g_assert_no_error(error);
	address = iot_realworld_source_address(fx->tunnel.source);
	iot_realworld_exchange(fx, address, 64 * 1024);

	g_assert_true(iot_test_tunnel_stop_service(&fx->tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel source: .*; trying again in",
				IOT_REALWORLD_TIMEOUT_MS);
	held_client = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_resume_service(&fx->tunnel, &error));
	g_assert_no_error(error);

	held_app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	iot_realworld_pair_start(&held, held_client, held_app, 512 * 1024, 41);
	iot_realworld_pair_check(&held);
	wait_connected(fx, 2, 2);
	/* the service had reset its stream, no destination being there: it waited */
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel source: the destination is not connected yet; SSH1 via .* "
				"waits for it, [0-9]+ s more at most$",
				0);
	g_assert_false(iot_test_process_has_line(fx->tunnel.source, "waited .* and is closed"));

	/* the tunnel works as before for new connections */
	iot_realworld_exchange(fx, address, 64 * 1024);
}

/*
 * Without client tokens the service spends each access token at its first
 * handshake: after a restart both proxies are refused, say why, and exit 1.
 */
static void
test_restart_without_client_token(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;

	start_proxies(fx, NULL, FALSE);
	g_assert_true(iot_test_tunnel_stop_service(&fx->tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_resume_service(&fx->tunnel, &error));
	g_assert_no_error(error);

	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.destination, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->tunnel.source);
	g_assert_nonnull(
	    strstr(output,
		   "iotunneld: The service refused to reconnect (HTTP 403): the access "
		   "token was spent by the first connection"));
	g_assert_nonnull(strstr(output, "AWSIOT_TUNNEL_CLIENT_TOKEN"));
	/* the service's own words are in the log */
	g_assert_nonnull(strstr(output, "already used without a client token"));
	g_assert_true(iot_test_process_has_line(
	    fx->tunnel.destination,
	    "iotunneld: The service refused to reconnect \\(HTTP 403\\)"));
	/* a refusal is not retried: one refused handshake per proxy, then the end */
	g_assert_cmpuint(iot_test_process_count_lines(fx->tunnel.source, "HTTP 403 Forbidden"),
			 ==,
			 1);
	g_assert_cmpuint(iot_test_process_count_lines(fx->tunnel.service, "refused a handshake"),
			 ==,
			 2);
}

/*
 * The network between the source and the service is cut and comes back:
 * the active transfer ends with resets, the source keeps listening, a
 * connection accepted during the outage waits and then goes through.
 */
static void
test_network_cut_holds_connections(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestRelay) relay = iot_test_relay_new(fx->tunnel.port, &error);
	g_autofree gchar *relay_endpoint = NULL;
	g_autofree gchar *address = NULL;
	g_autoptr(GSocket) held_client = NULL;
	g_autoptr(GSocket) held_app = NULL;
	IotRealworldPair pair = {0};
	IotRealworldPair held = {0};

	g_assert_no_error(error);
	relay_endpoint = g_strdup_printf("127.0.0.1:%u", iot_test_relay_get_port(relay));
	start_proxies(fx, relay_endpoint, TRUE);
	address = iot_realworld_source_address(fx->tunnel.source);
	start_endless(fx, address, &pair);

	iot_test_relay_cut(relay);
	check_reset(&pair, FALSE);
	g_assert_true(iot_test_process_wait_lines(fx->tunnel.source,
						  "tunnel source: .*; trying again in",
						  2,
						  IOT_REALWORLD_TIMEOUT_MS,
						  &error));
	g_assert_no_error(error);

	/* the listener is still there; the connection waits for the service */
	held_client = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_relay_restore(relay, &error));
	g_assert_no_error(error);
	held_app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	iot_realworld_pair_start(&held, held_client, held_app, 512 * 1024, 23);
	iot_realworld_pair_check(&held);
	wait_connected(fx, 1, 2);
	g_assert_false(iot_test_process_has_line(fx->tunnel.source, "waited .* and is closed"));
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.destination, 0, NULL));
}

/* the tunnel's end as the service reports it: both proxies say so and exit 0 */
static void
check_closed(Fixture *fx, const gchar *reason)
{
	IotTestProcess *proxies[] = {fx->tunnel.source, fx->tunnel.destination};
	g_autofree gchar *pattern = g_strdup_printf("code 1000 \\(%s\\)", reason);

	for (guint i = 0; i < G_N_ELEMENTS(proxies); i++) {
		g_assert_cmpint(iot_realworld_wait_exit(proxies[i], IOT_REALWORLD_TIMEOUT_MS),
				==,
				0);
		g_assert_true(iot_test_process_has_line(proxies[i], pattern));
		g_assert_true(
		    iot_test_process_has_line(proxies[i],
					      "^iotunneld: The tunnel was closed by its owner or "
					      "its lifetime ran out; the proxy stops\\.$"));
		g_assert_false(iot_test_process_has_line(proxies[i], "trying again"));
	}
}

/* the tunnel's owner closes it through the service's API */
static void
test_close_via_api(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *address = NULL;
	guint status = 0;

	start_proxies(fx, NULL, TRUE);
	address = iot_realworld_source_address(fx->tunnel.source);
	iot_realworld_exchange(fx, address, 64 * 1024);
	path = g_strdup_printf("/api/tunnels/%s", fx->tunnel.tunnel_id);
	g_assert_true(
	    iot_test_tunnel_api(&fx->tunnel, "DELETE", path, NULL, &status, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(status, ==, 200);
	check_closed(fx, "tunnel closed");
}

/* the tunnel's lifetime runs out (the fixture opens it for a few seconds) */
static void
test_lifetime_expires(Fixture *fx, gconstpointer data)
{
	start_proxies(fx, NULL, TRUE);
	check_closed(fx, "tunnel lifetime expired");
}

/*
 * SIGTERM and SIGINT: local connections end, the WebSocket is closed with a
 * normal close that the service sees, and the proxy exits 0.
 */
static void
test_stop_signal(Fixture *fx, gconstpointer data)
{
	gint signum = GPOINTER_TO_INT(data);
	g_autofree gchar *address = NULL;
	IotRealworldPair pair = {0};

	start_proxies(fx, NULL, TRUE);
	address = iot_realworld_source_address(fx->tunnel.source);
	start_endless(fx, address, &pair);
	iot_test_process_signal(fx->tunnel.source, signum);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			0);
	g_assert_true(iot_test_process_has_line(fx->tunnel.source, "stopping on request"));
	iot_test_traffic_join(&pair.client);
	iot_test_traffic_join(&pair.app);
	iot_test_traffic_clear(&pair.client);
	iot_test_traffic_clear(&pair.app);
	iot_realworld_wait_line(fx->tunnel.service,
				"source closed its WebSocket with code 1000",
				IOT_REALWORLD_TIMEOUT_MS);
	/* the destination stays, waiting for a new source */
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.destination, 200, NULL));
}

/* waits until @path holds a line matching @regex */
static void
wait_file_line(const gchar *path, const gchar *regex)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, G_REGEX_MULTILINE, 0, NULL);
	gint64 deadline = g_get_monotonic_time() + IOT_REALWORLD_TIMEOUT_MS * 1000;

	for (;;) {
		g_autofree gchar *contents = NULL;
		if (g_file_get_contents(path, &contents, NULL, NULL) &&
		    g_regex_match(compiled, contents, 0, NULL))
			return;
		if (g_get_monotonic_time() > deadline)
			g_error("%s has no line matching /%s/:\n%s",
				path,
				regex,
				contents != NULL ? contents : "(no file)");
		g_main_context_iteration(NULL, FALSE);
		g_usleep(20000);
	}
}

/*
 * --log-file and SIGHUP, as logrotate uses them: the file is moved away,
 * SIGHUP opens the path again, and nothing else changes.
 */
static void
test_hangup_reopens_log(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination =
	    iot_realworld_profile(fx,
				  "destination",
				  NULL,
				  IOT_REALWORLD_CLIENT_TOKEN_DESTINATION,
				  NULL,
				  NULL);
	g_autofree gchar *log_file = g_build_filename(fx->tunnel.tmpdir, "source.log", NULL);
	g_autofree gchar *rotated = g_build_filename(fx->tunnel.tmpdir, "source.log.1", NULL);
	g_autofree gchar *old_log = NULL;
	g_autofree gchar *new_log = NULL;
	g_autofree gchar *address = NULL;
	g_autoptr(GRegex) listening = g_regex_new("listening on ([^ \n]+)", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	const gchar *args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", "--log-file", log_file, NULL};

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_profile(&fx->tunnel, "destination", destination, &error);
	g_assert_no_error(error);
	fx->tunnel.source =
	    iot_test_tunnel_spawn_proxy_full(&fx->tunnel, "source", args, NULL, FALSE, &error);
	g_assert_no_error(error);
	wait_file_line(log_file, "tunnel default: the service has SSH1$");
	g_assert_true(g_file_get_contents(log_file, &old_log, NULL, NULL));
	g_assert_true(g_regex_match(listening, old_log, 0, &match));
	address = g_match_info_fetch(match, 1);
	g_clear_pointer(&old_log, g_free);

	g_assert_cmpint(g_rename(log_file, rotated), ==, 0);
	iot_test_process_signal(fx->tunnel.source, SIGHUP);
	wait_file_line(log_file, "message iotunnel: opened the log file again$");
	iot_realworld_exchange(fx, address, 64 * 1024);

	/* still running, still the one connection, and the old file got nothing more */
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.source, 200, NULL));
	g_assert_true(g_file_get_contents(rotated, &old_log, NULL, NULL));
	g_assert_true(g_file_get_contents(log_file, &new_log, NULL, NULL));
	g_assert_null(strstr(old_log, "opened the log file again"));
	g_assert_null(strstr(new_log, ": connected"));
	g_assert_null(strstr(old_log, fx->tunnel.source_token));
	/* stderr got nothing: the log goes to the file */
	g_assert_cmpuint(iot_test_process_count_lines(fx->tunnel.source, "."), ==, 0);

	iot_test_process_signal(fx->tunnel.source, SIGTERM);
	g_assert_cmpint(iot_realworld_wait_exit(fx->tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			0);
}

/* pings: the period and the service's round trip show in the debug log */
static void
test_ping_round_trip(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", "-v", "5", NULL};

	fx->tunnel.source =
	    iot_test_tunnel_spawn_proxy_full(&fx->tunnel, "source", args, NULL, TRUE, &error);
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.source,
				"pinging the service every 20000 ms$",
				IOT_REALWORLD_TIMEOUT_MS);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel default: service round trip [0-9]+ us$",
				IOT_REALWORLD_TIMEOUT_MS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();

#define ADD(path, data, func)                                                                      \
	g_test_add("/iotunnel/realworld/" path,                                                    \
		   Fixture,                                                                        \
		   data,                                                                           \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	ADD("restart/mid-transfer-sigterm", GINT_TO_POINTER(SIGTERM), test_restart_mid_transfer);
	ADD("restart/mid-transfer-sigkill", GINT_TO_POINTER(SIGKILL), test_restart_mid_transfer);
	ADD("restart/source-first", NULL, test_restart_source_first);
	ADD("restart/without-client-token", NULL, test_restart_without_client_token);
	ADD("outage/network-cut-holds-connections", NULL, test_network_cut_holds_connections);
	ADD("close/via-api", NULL, test_close_via_api);
	g_test_add("/iotunnel/realworld/close/lifetime",
		   Fixture,
		   NULL,
		   fixture_setup_short_lived,
		   test_lifetime_expires,
		   fixture_teardown);
	ADD("signal/sigterm", GINT_TO_POINTER(SIGTERM), test_stop_signal);
	ADD("signal/sigint", GINT_TO_POINTER(SIGINT), test_stop_signal);
	ADD("signal/sighup-reopens-log", NULL, test_hangup_reopens_log);
	ADD("ping/round-trip", NULL, test_ping_round_trip);
#undef ADD
	return g_test_run();
}
