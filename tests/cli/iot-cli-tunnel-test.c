/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Reference-style command lines, --config files, --config-dir mappings and
 * --settings-json files, run unchanged against a real iotunnel-service: each
 * case starts a destination and a source iotunneld the way a fleet would,
 * then moves data both ways through the tunnel and checks every byte.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "iot-test-tunnel.h"

#define IOT_TEST_CONNECT_TIMEOUT_MS 20000
/* enough to cross several WebSocket messages each way */
#define IOT_TEST_BYTES (256 * 1024)

typedef struct {
	IotTestTunnel tunnel;
	GSocket *app_listener;
	guint16 app_port;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
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

static void
fixture_open(Fixture *fx, const gchar *const *services)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, services, 0, &error));
	g_assert_no_error(error);
}

/* "@ENDPOINT@", "@CA@", "@APP@" (the app's port) and "@DIR@" stand for the fixture's values */
static gchar *
fixture_expand(Fixture *fx, const gchar *text)
{
	g_autoptr(GString) str = g_string_new(text);
	g_autofree gchar *app = g_strdup_printf("%u", fx->app_port);

	g_string_replace(str, "@ENDPOINT@", fx->tunnel.endpoint, 0);
	g_string_replace(str, "@CA@", fx->tunnel.ca_file, 0);
	g_string_replace(str, "@APP@", app, 0);
	g_string_replace(str, "@DIR@", fx->tunnel.tmpdir, 0);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* runs @program with a command line as a user would type it, in the fixture's folder */
static IotTestProcess *
fixture_spawn_program(Fixture *fx,
		      const gchar *program,
		      const gchar *command_line,
		      const gchar *token)
{
	g_autofree gchar *expanded = fixture_expand(fx, command_line);
	g_autofree gchar *line =
	    g_strdup_printf("cd '%s' && exec %s %s", fx->tunnel.tmpdir, program, expanded);
	g_autofree gchar *token_env =
	    token != NULL ? g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s", token) : NULL;
	const gchar *argv[] = {"/bin/sh", "-c", line, NULL};
	const gchar *env[] = {token_env, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestProcess) proxy = NULL;
	g_autofree gchar *connected = NULL;

	/* the log shows the command line, but not the tokens in it */
	{
		g_autoptr(GString) shown = g_string_new(expanded);
		g_string_replace(shown, fx->tunnel.source_token, "$SOURCE_TOKEN", 0);
		g_string_replace(shown, fx->tunnel.destination_token, "$DESTINATION_TOKEN", 0);
		g_test_message("%s %s", program, shown->str);
	}
	proxy = iot_test_process_spawn(argv, env, &error);
	g_assert_no_error(error);
	connected = iot_test_process_wait_line(proxy,
					       "tunnel [^ ]+: connected",
					       IOT_TEST_CONNECT_TIMEOUT_MS,
					       &error);
	g_assert_no_error(error);
	return g_steal_pointer(&proxy);
}

static IotTestProcess *
fixture_spawn(Fixture *fx, const gchar *command_line, const gchar *token)
{
	return fixture_spawn_program(fx, IOTUNNELD_PATH, command_line, token);
}

static void
fixture_write(Fixture *fx, const gchar *name, const gchar *contents)
{
	g_autofree gchar *expanded = fixture_expand(fx, contents);
	g_autofree gchar *path = g_build_filename(fx->tunnel.tmpdir, name, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents_full(path, expanded, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
	g_assert_no_error(error);
}

/* one connection from a client through the source to the app, bytes checked both ways */
static void
fixture_check_traffic(Fixture *fx, IotTestProcess *source, const gchar *service, guint32 seed)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = iot_test_tunnel_listen_address(source, service, &error);
	g_autoptr(GSocket) client_socket = NULL;
	g_autoptr(GSocket) app_socket = NULL;
	IotTestTraffic client = {0};
	IotTestTraffic app = {0};

	g_assert_no_error(error);
	client_socket = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	app_socket = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	client.to_send = IOT_TEST_BYTES;
	client.to_receive = IOT_TEST_BYTES;
	client.seed = seed;
	app.to_send = IOT_TEST_BYTES;
	app.to_receive = IOT_TEST_BYTES;
	app.seed = seed + 1;
	iot_test_traffic_start(&client, client_socket);
	iot_test_traffic_start(&app, app_socket);
	iot_test_traffic_join(&client);
	iot_test_traffic_join(&app);
	g_assert_no_error(client.error);
	g_assert_no_error(app.error);
	g_assert_cmpuint(app.received, ==, IOT_TEST_BYTES);
	g_assert_cmpuint(client.received, ==, IOT_TEST_BYTES);
	g_assert_cmpstr(client.sent_sha256, ==, app.received_sha256);
	g_assert_cmpstr(app.sent_sha256, ==, client.received_sha256);
	iot_test_traffic_clear(&client);
	iot_test_traffic_clear(&app);
}

static const gchar *services_ssh[] = {"SSH1", NULL};
static const gchar *services_two[] = {"SSH1", "WEB", NULL};

/* PROTOCOL.md section 5's command lines, the token in the environment */
static void
test_cli_tunnel_reference(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;

	fixture_open(fx, services_ssh);
	destination =
	    fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -d @APP@", fx->tunnel.destination_token);
	source = fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -s 0", fx->tunnel.source_token);
	fixture_check_traffic(fx, source, "(unnamed)", 1);
}

/* the same through localproxy, with -t and the long options */
static void
test_cli_tunnel_localproxy(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autofree gchar *link = g_build_filename(fx->tunnel.tmpdir, "localproxy", NULL);
	g_autofree gchar *dst = NULL;
	g_autofree gchar *src = NULL;

	g_assert_cmpint(symlink(IOTUNNELD_PATH, link), ==, 0);
	fixture_open(fx, services_ssh);
	dst = g_strdup_printf("--access-token %s --proxy-endpoint @ENDPOINT@ --capath @CA@ "
			      "--destination-app SSH1=localhost:@APP@ --mode destination",
			      fx->tunnel.destination_token);
	src = g_strdup_printf("-t %s -e @ENDPOINT@ -c @CA@ -s SSH1=0 -b ::1 -m src -v 4",
			      fx->tunnel.source_token);
	destination = fixture_spawn_program(fx, "./localproxy", dst, NULL);
	source = fixture_spawn_program(fx, "./localproxy", src, NULL);
	fixture_check_traffic(fx, source, "SSH1", 2);
}

/* the reference's --config example: the options in a file, the command line adding to it */
static void
test_cli_tunnel_config(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autofree gchar *dst_config = NULL;
	g_autofree gchar *src_config = NULL;

	fixture_open(fx, services_ssh);
	dst_config =
	    g_strdup_printf("# destination\naccess-token = %s\nproxy-endpoint = @ENDPOINT@\n"
			    "capath = @CA@\ndestination-app = SSH1=127.0.0.1:@APP@\n",
			    fx->tunnel.destination_token);
	src_config = g_strdup_printf("access-token = %s\ncapath = @CA@\nregion = us-east-1\n"
				     "source-listen-port = SSH1=0\nlocal-bind-address = ::1\n",
				     fx->tunnel.source_token);
	fixture_write(fx, "destination.ini", dst_config);
	fixture_write(fx, "source.ini", src_config);
	destination = fixture_spawn(fx, "--config destination.ini", NULL);
	/* the command line's -e wins over the file's region */
	source = fixture_spawn(fx, "--config source.ini -e @ENDPOINT@", NULL);
	fixture_check_traffic(fx, source, "SSH1", 3);
}

/* mappings from --config-dir on one side and ./config on the other */
static void
test_cli_tunnel_config_dir(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;

	fixture_open(fx, services_two);
	fixture_write(fx, "maps/ssh.ini", "; SSH on the device\nSSH1=@APP@\n");
	fixture_write(fx, "maps/web/web.ini", "WEB = 127.0.0.1:@APP@\n");
	fixture_write(fx, "config/source.ini", "SSH1=0\n# any free port\nWEB=0\n");
	destination = fixture_spawn(fx,
				    "-e @ENDPOINT@ -c @CA@ -m dst --config-dir maps",
				    fx->tunnel.destination_token);
	source = fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -m source", fx->tunnel.source_token);
	fixture_check_traffic(fx, source, "SSH1", 4);
	fixture_check_traffic(fx, source, "WEB", 5);
}

/* --settings-json files as the reference writes them change the protocol and the pings */
static void
test_cli_tunnel_settings(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;
	const gchar *settings =
	    "{\n    \"tunneling\": {\n        \"proxy\": {\n            \"tcp\": {\n"
	    "                \"connection_retry_count\": \"1\",\n"
	    "                \"connection_retry_delay_ms\": \"100\"\n            },\n"
	    "            \"websocket\": {\n                \"ping_period_ms\": \"1000\",\n"
	    "                \"subprotocol\": \"aws.iot.securetunneling-2.0\"\n"
	    "            }\n        }\n    }\n}\n";

	fixture_open(fx, services_ssh);
	fixture_write(fx, "lpsettings.json", settings);
	destination = fixture_spawn(fx,
				    "-e @ENDPOINT@ -c @CA@ -d SSH1=@APP@ --settings-json "
				    "lpsettings.json",
				    fx->tunnel.destination_token);
	source =
	    fixture_spawn(fx,
			  "-e @ENDPOINT@ -c @CA@ -s SSH1=0 --settings-json @DIR@/lpsettings.json",
			  fx->tunnel.source_token);
	line = iot_test_process_wait_line(source,
					  "connected \\(aws\\.iot\\.securetunneling-2\\.0,",
					  1000,
					  &error);
	g_assert_no_error(error);
	fixture_check_traffic(fx, source, "SSH1", 6);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/cli-tunnel/reference",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_reference,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/localproxy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_localproxy,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/config",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_config,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/config-dir",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_config_dir,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/settings",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_settings,
		   fixture_teardown);
	return g_test_run();
}
