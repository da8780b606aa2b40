/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The SDK end to end: real iotunnel-service and iotunneld processes carry
 * bytes to the out-of-tree example endpoint, built against a temporary
 * install, and to the exec endpoint; and the daemon's sentences for a bad
 * plugin setting or a plugin that could not start.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>

#include "iot-sdk-test-common.h"
#include "iot-test-tunnel.h"

#define IOT_TEST_BYTES (4 * 1024 * 1024)

/* installed once, in main(), with the example built against it */
static IotSdkInstall iot_test_install = {0};

typedef struct {
	IotTestTunnel tunnel;
} Fixture;

static const gchar *services_one[] = {"SVC", NULL};

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, services_one, 0, &error));
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	iot_test_tunnel_clear(&fx->tunnel);
}

/* a V3 profile for one side with the one service SVC */
static gchar *
profile_text(const gchar *mode, const gchar *service)
{
	return g_strdup_printf("{\"tunnels\": [{\"name\": \"t\", \"mode\": \"%s\", "
			       "\"service\": {\"endpoint\": \"@ENDPOINT@\"}, "
			       "\"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"}, "
			       "\"protocol\": \"v3\", "
			       "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"@CA@\"}, "
			       "\"services\": {\"SVC\": %s}}]}",
			       mode,
			       service);
}

/* a destination with @service, a TCP source, and the address the source listens on */
static gchar *
start_proxies(Fixture *fx, const gchar *service)
{
	g_autofree gchar *dst = profile_text("destination", service);
	g_autofree gchar *src =
	    profile_text("source",
			 "{\"endpoint\": \"tcp\", \"address\": \"0\", \"bind\": \"127.0.0.1\"}");
	g_autoptr(GError) error = NULL;
	gchar *address;

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_profile(&fx->tunnel, "destination", dst, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_profile(&fx->tunnel, "source", src, &error);
	g_assert_no_error(error);
	address = iot_test_tunnel_listen_address(fx->tunnel.source, "SVC", &error);
	g_assert_no_error(error);
	return address;
}

/* waits for a line of the destination's output, showing all of it when none comes */
static void
wait_destination_line(Fixture *fx, const gchar *pattern)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line =
	    iot_test_process_wait_line(fx->tunnel.destination, pattern, 10000, &error);
	if (line == NULL) {
		g_autofree gchar *output = iot_test_process_get_output(fx->tunnel.destination);
		g_test_message("no line matches %s in:\n%s", pattern, output);
	}
	g_assert_no_error(error);
}

/* the out-of-tree example carries 4 MiB each way and logs what it counted */
static void
test_example_tunnel(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	guint16 app_port = 0;
	g_autoptr(GSocket) app_listener = iot_test_listen_tcp(&app_port, &error);
	g_autofree gchar *service = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *pattern = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	IotTestTraffic client_traffic = {.to_send = IOT_TEST_BYTES,
					 .seed = 11,
					 .to_receive = IOT_TEST_BYTES};
	IotTestTraffic app_traffic = {.to_send = IOT_TEST_BYTES,
				      .seed = 12,
				      .to_receive = IOT_TEST_BYTES};

	g_assert_no_error(error);
	service = g_strdup_printf(
	    "{\"endpoint\": \"counter\", \"address\": \"127.0.0.1:%u\", \"report_ms\": 50}",
	    app_port);
	address = start_proxies(fx, service);
	client = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	app = iot_test_accept(app_listener, 20, &error);
	g_assert_no_error(error);
	iot_test_traffic_start(&client_traffic, client);
	iot_test_traffic_start(&app_traffic, app);
	iot_test_traffic_join(&client_traffic);
	iot_test_traffic_join(&app_traffic);
	g_assert_no_error(client_traffic.error);
	g_assert_no_error(app_traffic.error);
	g_assert_cmpuint(app_traffic.received, ==, IOT_TEST_BYTES);
	g_assert_cmpstr(app_traffic.received_sha256, ==, client_traffic.sent_sha256);
	g_assert_cmpuint(client_traffic.received, ==, IOT_TEST_BYTES);
	g_assert_cmpstr(client_traffic.received_sha256, ==, app_traffic.sent_sha256);

	pattern = g_strdup_printf("connection to 127\\.0\\.0\\.1:%u closed: %u bytes to the app, "
				  "%u bytes from it",
				  app_port,
				  (guint)IOT_TEST_BYTES,
				  (guint)IOT_TEST_BYTES);
	wait_destination_line(fx, pattern);
	iot_test_traffic_clear(&client_traffic);
	iot_test_traffic_clear(&app_traffic);
}

/* 4 MiB through cat on the destination and back */
static void
test_exec_echo(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *address =
	    start_proxies(fx, "{\"endpoint\": \"exec\", \"command\": [\"cat\"]}");
	g_autofree gchar *expected = iot_test_traffic_expected_sha256(21, IOT_TEST_BYTES);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
	IotTestTraffic traffic = {.to_send = IOT_TEST_BYTES,
				  .seed = 21,
				  .to_receive = IOT_TEST_BYTES};

	g_assert_no_error(error);
	iot_test_traffic_start(&traffic, client);
	iot_test_traffic_join(&traffic);
	g_assert_no_error(traffic.error);
	g_assert_cmpuint(traffic.sent, ==, IOT_TEST_BYTES);
	g_assert_cmpuint(traffic.received, ==, IOT_TEST_BYTES);
	g_assert_cmpstr(traffic.received_sha256, ==, expected);
	g_assert_cmpstr(traffic.sent_sha256, ==, expected);
	iot_test_traffic_clear(&traffic);

	/* the client's close ended cat: the codec closed the connection, the stream ended cat */
	wait_destination_line(fx,
			      "cat( \\(pid [0-9]+\\))? (ended by signal "
			      "15|exited with status 0)$");
}

/* the command's exit reaches the client as the end of its connection, after the output */
static void
test_exec_exit(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *address = start_proxies(
	    fx,
	    "{\"endpoint\": \"exec\", \"command\": [\"sh\", \"-c\", \"printf hello; exit 7\"]}");
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
	IotTestTraffic traffic = {.to_receive = 1024};

	g_assert_no_error(error);
	iot_test_traffic_start(&traffic, client);
	iot_test_traffic_join(&traffic);
	g_assert_no_error(traffic.error);
	g_checksum_update(checksum, (const guchar *)"hello", 5);
	g_assert_cmpuint(traffic.received, ==, 5);
	g_assert_cmpstr(traffic.received_sha256, ==, g_checksum_get_string(checksum));
	wait_destination_line(fx, "sh( \\(pid [0-9]+\\))? exited with status 7$");
	iot_test_traffic_clear(&traffic);
}

/*
 * a client that goes away (a reset: a clean end of stream only ends the
 * command's stdin, as ssh does, and the command may still answer) ends a
 * command that would have run for a minute
 */
static void
test_exec_close_terminates(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *address = start_proxies(fx,
						  "{\"endpoint\": \"exec\", \"command\": [\"sh\", "
						  "\"-c\", \"printf ready; exec sleep 60\"]}");
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
	IotTestTraffic traffic = {.to_receive = 5};
	struct linger linger = {.l_onoff = 1, .l_linger = 0};

	g_assert_no_error(error);
	g_assert_cmpint(
	    setsockopt(g_socket_get_fd(client), SOL_SOCKET, SO_LINGER, &linger, sizeof(linger)),
	    ==,
	    0);
	iot_test_traffic_start(&traffic, client);
	iot_test_traffic_join(&traffic);
	g_assert_no_error(traffic.error);
	g_assert_cmpuint(traffic.received, ==, 5);
	wait_destination_line(fx, "sh( \\(pid [0-9]+\\))? ended by signal 15$");
	iot_test_traffic_clear(&traffic);
}

/* a command that does not exist: each connection is reset, the daemon stays up */
static void
test_exec_missing_command(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *address = start_proxies(
	    fx,
	    "{\"endpoint\": \"exec\", \"command\": [\"/nonexistent/iotunnel-test-command\"]}");
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_process_has_line(fx->tunnel.destination,
						"/nonexistent/iotunnel-test-command is not an "
						"executable program; connections to this service "
						"will be reset until it is"));
	for (guint round = 0; round < 2; round++) {
		g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
		IotTestTraffic traffic = {.to_send = 100, .seed = 3, .to_receive = 1};
		g_assert_no_error(error);
		iot_test_traffic_start(&traffic, client);
		iot_test_traffic_join(&traffic);
		g_assert_no_error(traffic.error);
		g_assert_cmpuint(traffic.received, ==, 0);
		iot_test_traffic_clear(&traffic);
	}
	wait_destination_line(
	    fx,
	    "cannot run /nonexistent/iotunnel-test-command: .*No such file or directory");
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.destination, 100, NULL));
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.source, 100, NULL));
}

/* iotunneld refuses a profile at once, with one sentence, and exits with status 2 */
static void
check_refused_profile(const gchar *service, const gchar *const *env, const gchar *sentence)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tmpdir = g_dir_make_tmp("iotunnel-sdk-XXXXXX", &error);
	g_autofree gchar *path = NULL;
	g_autofree gchar *profile = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *escaped = NULL;
	g_autofree gchar *pattern = NULL;
	g_autofree gchar *line = NULL;
	g_autoptr(IotTestProcess) daemon = NULL;
	gint status = 0;

	g_assert_no_error(error);
	path = g_build_filename(tmpdir, "site.json", NULL);
	profile = g_strdup_printf("{\"tunnels\": [{\"name\": \"t\", \"mode\": \"destination\", "
				  "\"service\": {\"endpoint\": \"127.0.0.1:1\"}, "
				  "\"access_token\": {\"value\": \"not-a-real-token\"}, "
				  "\"services\": {\"SVC\": %s}}]}",
				  service);
	g_assert_true(g_file_set_contents(path, profile, -1, &error));
	g_assert_no_error(error);
	{
		const gchar *argv[] = {IOTUNNELD_PATH, "--profile", path, NULL};
		daemon = iot_test_process_spawn(argv, env, &error);
	}
	g_assert_no_error(error);
	g_assert_true(iot_test_process_wait_exit(daemon, 20000, &status));
	g_assert_cmpint(status, ==, 2);
	/* the lines are read by threads: wait for the one expected, up to the end of output */
	expected = g_strdup_printf("iotunneld: tunnel t: %s: %s", path, sentence);
	escaped = g_regex_escape_string(expected, -1);
	pattern = g_strdup_printf("^%s$", escaped);
	line = iot_test_process_wait_line(daemon, pattern, 10000, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
	g_remove(path);
	g_remove(tmpdir);
}

static void
test_daemon_bad_setting(void)
{
	check_refused_profile(
	    "{\"endpoint\": \"exec\", \"command\": [\"cat\"], \"grace_ms\": \"2s\"}",
	    NULL,
	    "$.tunnels[0].services.SVC.grace_ms is a string; the endpoint plugin "
	    "\"exec\" expects a whole number from 0 to 600000.");
	check_refused_profile("{\"endpoint\": \"exec\", \"comand\": [\"cat\"]}",
			      NULL,
			      "$.tunnels[0].services.SVC.comand is not a setting of the endpoint "
			      "plugin \"exec\"; use \"command\", \"environment\", "
			      "\"working_directory\" or \"grace_ms\".");
	check_refused_profile(
	    "{\"endpoint\": \"exec\"}",
	    NULL,
	    "$.tunnels[0].services.SVC.command is missing; the endpoint plugin "
	    "\"exec\" needs it: a non-empty array whose items are each a string.");
}

/* a plugin whose init hook failed: the profile that names it learns why */
static void
test_daemon_plugin_init_failed(void)
{
	const gchar *inherited = g_getenv("IOTUNNEL_PLUGIN_PATH");
	g_autofree gchar *plugin_path = g_strdup_printf("IOTUNNEL_PLUGIN_PATH=%s:%s",
							TEST_SDK_PLUGINS,
							inherited != NULL ? inherited : "");
	const gchar *env[] = {plugin_path, NULL};

	check_refused_profile("{\"endpoint\": \"init-fails\"}",
			      env,
			      "$.tunnels[0].services.SVC.endpoint names the endpoint plugin "
			      "\"init-fails\", which could not start: no /dev/iotunnel-test-device "
			      "on this system.");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *plugin_path = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the daemons find the example first, then the plugins of this build */
	if (!iot_sdk_prepare(&iot_test_install, &error)) {
		g_printerr("cannot make a temporary folder: %s\n", error->message);
		return 1;
	}
	plugin_path = g_strdup_printf(
	    "%s:%s",
	    iot_test_install.example_dir,
	    g_getenv("IOTUNNEL_PLUGIN_PATH") != NULL ? g_getenv("IOTUNNEL_PLUGIN_PATH") : "");
	g_setenv("IOTUNNEL_PLUGIN_PATH", plugin_path, TRUE);
	if (!iot_sdk_install(&iot_test_install, &error) ||
	    !iot_sdk_build_example(&iot_test_install, &error)) {
		g_printerr("cannot install and build the example: %s\n", error->message);
		iot_sdk_install_clear(&iot_test_install);
		return 1;
	}

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/iotunnel/sdk/tunnel/example", test_example_tunnel);
	ADD("/iotunnel/sdk/tunnel/exec-echo", test_exec_echo);
	ADD("/iotunnel/sdk/tunnel/exec-exit", test_exec_exit);
	ADD("/iotunnel/sdk/tunnel/exec-close-terminates", test_exec_close_terminates);
	ADD("/iotunnel/sdk/tunnel/exec-missing-command", test_exec_missing_command);
#undef ADD
	g_test_add_func("/iotunnel/sdk/daemon/bad-setting", test_daemon_bad_setting);
	g_test_add_func("/iotunnel/sdk/daemon/plugin-init-failed", test_daemon_plugin_init_failed);
	ret = g_test_run();
	iot_sdk_install_clear(&iot_test_install);
	return ret;
}
