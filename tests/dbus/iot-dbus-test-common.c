/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-dbus-test-common.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static gboolean
iot_dbus_test_tick_cb(gpointer user_data)
{
	return G_SOURCE_REMOVE;
}

/**
 * iot_dbus_test_iterate:
 * @deadline: monotonic time not to wait beyond
 *
 * Runs one iteration of the main context, waking up at least every 50 ms so
 * that conditions that change in other threads or processes are seen.
 */
void
iot_dbus_test_iterate(gint64 deadline)
{
	gint64 remaining_ms = (deadline - g_get_monotonic_time()) / 1000;
	GSource *timeout = g_timeout_source_new((guint)CLAMP(remaining_ms, 1, 50));

	g_source_set_callback(timeout, iot_dbus_test_tick_cb, NULL, NULL);
	g_source_attach(timeout, NULL);
	g_main_context_iteration(NULL, TRUE);
	g_source_destroy(timeout);
	g_source_unref(timeout);
}

/* a session bus of our own: anyone may own and call, nothing else is started */
static gchar *
iot_dbus_fixture_write_bus_config(IotDBusFixture *fx, const gchar *service_dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *service_element = NULL;
	g_autofree gchar *config = NULL;
	gchar *path = g_build_filename(fx->service.tmpdir, "bus.conf", NULL);

	if (service_dir != NULL) {
		g_autofree gchar *escaped = g_markup_escape_text(service_dir, -1);
		service_element = g_strdup_printf("  <servicedir>%s</servicedir>\n", escaped);
	}
	config = g_strdup_printf(
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<busconfig>\n"
	    "  <type>session</type>\n"
	    "  <listen>unix:tmpdir=%s</listen>\n"
	    "%s"
	    "  <policy context=\"default\">\n"
	    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
	    "    <allow eavesdrop=\"true\"/>\n"
	    "    <allow own=\"*\"/>\n"
	    "  </policy>\n"
	    "</busconfig>\n",
	    fx->service.tmpdir,
	    service_element != NULL ? service_element : "");
	g_file_set_contents(path, config, -1, &error);
	g_assert_no_error(error);
	return path;
}

/**
 * iot_dbus_test_spawn_bus:
 * @config: a dbus-daemon configuration file
 * @env: (nullable): NAME=VALUE pairs for the daemon, which passes them on to
 *   what it activates
 * @address: (out): where the bus listens
 *
 * Starts a dbus-daemon of our own, which dies with the test, and waits
 * until it says where it listens.
 *
 * Returns: (transfer full): the dbus-daemon
 */
IotTestProcess *
iot_dbus_test_spawn_bus(const gchar *config, const gchar *const *env, gchar **address)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config_arg = g_strdup_printf("--config-file=%s", config);
	g_autofree gchar *line = NULL;
	IotTestProcess *bus = iot_test_process_spawn((const gchar *const[]){"dbus-daemon",
									    "--nofork",
									    "--print-address=1",
									    config_arg,
									    NULL},
						     env,
						     &error);

	g_assert_no_error(error);
	line = iot_test_process_wait_line(bus, "^unix:", IOT_DBUS_TEST_TIMEOUT_MS, &error);
	g_assert_no_error(error);
	*address = g_strdup(g_strstrip(line));
	return bus;
}

/**
 * iot_dbus_fixture_setup_bus:
 * @fx: a fixture, with a temporary folder or none yet
 * @service_dir: (nullable): a folder of D-Bus activation files
 *
 * Starts a private session bus, a dbus-daemon of our own that dies with the
 * test, and connects to it. What the bus starts (activation) gets the
 * fixture's XDG_STATE_HOME.
 *
 * GTestDBus is not used: in GLib 2.74 it hands dbus-daemon a pipe under
 * another descriptor number than the one it names now and then, and the
 * test waits for the address for ever.
 */
void
iot_dbus_fixture_setup_bus(IotDBusFixture *fx, const gchar *service_dir)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *state_env = NULL;

	if (fx->service.tmpdir == NULL) {
		fx->service.tmpdir = g_dir_make_tmp("iotunnel-dbus-test-XXXXXX", &error);
		g_assert_no_error(error);
	}
	fx->state_home = g_build_filename(fx->service.tmpdir, "state", NULL);
	config = iot_dbus_fixture_write_bus_config(fx, service_dir);
	state_env = g_strdup_printf("XDG_STATE_HOME=%s", fx->state_home);
	fx->bus = iot_dbus_test_spawn_bus(config,
					  (const gchar *const[]){state_env, NULL},
					  &fx->bus_address);
	fx->connection = iot_dbus_fixture_new_connection(fx);
	fx->manager = iot_dbus_manager1_proxy_new_sync(fx->connection,
						       G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES,
						       IOT_DBUS_TEST_NAME,
						       IOT_DBUS_TEST_PATH,
						       NULL,
						       &error);
	g_assert_no_error(error);
}

/**
 * iot_dbus_fixture_setup_service:
 * @fx: a zeroed fixture
 * @services: (nullable): the service IDs of the tunnel to open
 *
 * Starts iotunnel-service, opens a tunnel on it and listens for the app a
 * destination proxy reaches.
 */
void
iot_dbus_fixture_setup_service(IotDBusFixture *fx, const gchar *const *services)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->service, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&fx->service, services, 0, &error));
	g_assert_no_error(error);
	fx->app_listener = iot_test_listen_tcp(&fx->app_port, &error);
	g_assert_no_error(error);
}

/**
 * iot_dbus_fixture_setup:
 * @fx: a zeroed fixture
 * @data: (nullable): the service IDs of the tunnel (a %NULL-terminated array)
 *
 * Everything: service, tunnel, bus and iotunneld on it.
 */
void
iot_dbus_fixture_setup(IotDBusFixture *fx, gconstpointer data)
{
	const gchar *const default_services[] = {"SSH1", NULL};
	iot_dbus_fixture_setup_service(fx, data != NULL ? data : default_services);
	iot_dbus_fixture_setup_bus(fx, NULL);
	iot_dbus_fixture_start_daemon(fx);
}

void
iot_dbus_fixture_teardown(IotDBusFixture *fx, gconstpointer data)
{
	if (fx->daemon != NULL)
		iot_dbus_fixture_stop_daemon(fx);
	g_clear_object(&fx->manager);
	if (fx->connection != NULL) {
		g_dbus_connection_close_sync(fx->connection, NULL, NULL);
		g_clear_object(&fx->connection);
	}
	if (fx->bus != NULL) {
		iot_test_process_signal(fx->bus, SIGTERM);
		g_assert_true(iot_test_process_wait_exit(fx->bus, IOT_DBUS_TEST_TIMEOUT_MS, NULL));
		g_clear_object(&fx->bus);
	}
	g_clear_pointer(&fx->bus_address, g_free);
	g_clear_object(&fx->app_listener);
	g_clear_pointer(&fx->state_home, g_free);
	iot_test_tunnel_clear(&fx->service);
}

/**
 * iot_dbus_fixture_start_daemon:
 * @fx: a fixture with a bus
 *
 * Starts iotunneld --session and waits until it owns its name.
 */
void
iot_dbus_fixture_start_daemon(IotDBusFixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state_env = g_strdup_printf("XDG_STATE_HOME=%s", fx->state_home);
	g_autofree gchar *bus_env = g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", fx->bus_address);
	g_autofree gchar *line = NULL;
	const gchar *argv[] = {IOTUNNELD_PATH, "--session", NULL};
	const gchar *env[] = {state_env, bus_env, NULL};

	g_assert_null(fx->daemon);
	fx->daemon = iot_test_process_spawn(argv, env, &error);
	g_assert_no_error(error);
	line = iot_test_process_wait_line(fx->daemon,
					  "serving tunnels on the session bus",
					  IOT_DBUS_TEST_TIMEOUT_MS,
					  &error);
	g_assert_no_error(error);
}

/**
 * iot_dbus_fixture_stop_daemon:
 * @fx: a fixture with a running daemon
 *
 * Stops it with SIGTERM, as systemd would, and checks it exits 0.
 */
void
iot_dbus_fixture_stop_daemon(IotDBusFixture *fx)
{
	gint status = -1;
	iot_test_process_signal(fx->daemon, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(fx->daemon, IOT_DBUS_TEST_TIMEOUT_MS, &status));
	if (status != 0) {
		g_autofree gchar *output = iot_test_process_get_output(fx->daemon);
		g_test_message("iotunneld said:\n%s", output);
	}
	g_assert_cmpint(status, ==, 0);
	g_clear_object(&fx->daemon);
}

/**
 * iot_dbus_fixture_new_connection:
 * @fx: a fixture with a bus
 *
 * Returns: (transfer full): a new private connection to the bus, as another client
 */
GDBusConnection *
iot_dbus_fixture_new_connection(IotDBusFixture *fx)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *connection = g_dbus_connection_new_for_address_sync(
	    fx->bus_address,
	    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	    NULL,
	    NULL,
	    &error);
	g_assert_no_error(error);
	g_dbus_connection_set_exit_on_close(connection, FALSE);
	return connection;
}

/**
 * iot_dbus_fixture_spawn_destination:
 * @fx: a fixture with a service
 * @services: the -d argument, "SSH1=PORT"; %NULL for SSH1 to the fixture's app
 *
 * Returns: (transfer full): a destination iotunneld, connected
 */
IotTestProcess *
iot_dbus_fixture_spawn_destination(IotDBusFixture *fx, const gchar *services)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *app = g_strdup_printf("SSH1=%u", fx->app_port);
	const gchar *args[] = {"-d", services != NULL ? services : app, NULL};
	IotTestProcess *proxy =
	    iot_test_tunnel_spawn_proxy(&fx->service, "destination", args, &error);
	g_assert_no_error(error);
	return proxy;
}

/**
 * iot_dbus_fixture_source_profile:
 * @fx: a fixture with a service
 * @name: the tunnel's name
 * @extra: (nullable): more members of the tunnel object, starting with ","
 *
 * Returns: (transfer full): a profile of one source tunnel to the fixture's
 *   service, with SSH1 listening on a free port and no token
 */
gchar *
iot_dbus_fixture_source_profile(IotDBusFixture *fx, const gchar *name, const gchar *extra)
{
	return g_strdup_printf(
	    "{\"tunnels\": [{\"name\": \"%s\", \"mode\": \"source\", "
	    "\"service\": {\"endpoint\": \"%s\"}, "
	    "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"%s\"}, "
	    "\"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}}%s}]}",
	    name,
	    fx->service.endpoint,
	    fx->service.ca_file,
	    extra != NULL ? extra : "");
}

/**
 * iot_dbus_fixture_add:
 * @fx: a fixture with a daemon
 * @profile: a profile of one tunnel
 * @options: (nullable): AddTunnel's options, a floating a{sv}
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the tunnel's object path
 */
gchar *
iot_dbus_fixture_add(IotDBusFixture *fx, const gchar *profile, GVariant *options, GError **error)
{
	gchar *path = NULL;
	if (options == NULL)
		options = g_variant_new("a{sv}", NULL);
	if (!iot_dbus_manager1_call_add_tunnel_sync(fx->manager,
						    profile,
						    options,
						    NULL,
						    &path,
						    NULL,
						    NULL,
						    error))
		return NULL;
	return path;
}

/**
 * iot_dbus_fixture_add_source:
 * @fx: a fixture with a daemon
 * @name: the tunnel's name
 * @start: whether AddTunnel starts it (the "start" option)
 * @path_out: (out) (optional): its object path
 *
 * Adds the fixture's source tunnel (iot_dbus_fixture_source_profile()) with
 * the source access token and a client token, so that the access token may
 * be used again and reconnects work.
 *
 * Returns: (transfer full): a proxy of the new tunnel
 */
IotDBusTunnel1 *
iot_dbus_fixture_add_source(IotDBusFixture *fx, const gchar *name, gboolean start, gchar **path_out)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, name, NULL);
	g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{sv}"));
	g_autofree gchar *path = NULL;
	IotDBusTunnel1 *tunnel;

	g_variant_builder_add(&options,
			      "{sv}",
			      "access-token",
			      g_variant_new_string(fx->service.source_token));
	g_variant_builder_add(&options,
			      "{sv}",
			      "client-token",
			      g_variant_new_string(IOT_DBUS_TEST_CLIENT_TOKEN));
	g_variant_builder_add(&options, "{sv}", "start", g_variant_new_boolean(start));
	path = iot_dbus_fixture_add(fx, profile, g_variant_builder_end(&options), &error);
	g_assert_no_error(error);
	tunnel = iot_dbus_fixture_tunnel(fx, path);
	if (path_out != NULL)
		*path_out = g_steal_pointer(&path);
	return tunnel;
}

/**
 * iot_dbus_fixture_tunnel:
 * @fx: a fixture with a daemon
 * @path: a tunnel's object path
 *
 * Returns: (transfer full): a proxy whose properties follow the daemon's
 */
IotDBusTunnel1 *
iot_dbus_fixture_tunnel(IotDBusFixture *fx, const gchar *path)
{
	g_autoptr(GError) error = NULL;
	IotDBusTunnel1 *tunnel = iot_dbus_tunnel1_proxy_new_sync(fx->connection,
								 G_DBUS_PROXY_FLAGS_NONE,
								 IOT_DBUS_TEST_NAME,
								 path,
								 NULL,
								 &error);
	g_assert_no_error(error);
	return tunnel;
}

/**
 * iot_dbus_fixture_listen_address:
 * @tunnel: a source tunnel
 * @service: a service ID
 *
 * Returns: (transfer full) (nullable): where the service listens, from Services
 */
gchar *
iot_dbus_fixture_listen_address(IotDBusTunnel1 *tunnel, const gchar *service)
{
	GVariant *services = iot_dbus_tunnel1_get_services(tunnel);
	const gchar *address = NULL;
	if (services == NULL || !g_variant_lookup(services, service, "&s", &address))
		return NULL;
	return g_strdup(address);
}

/**
 * iot_dbus_test_pipe_with:
 * @text: what the pipe holds
 *
 * Returns: the read end of a pipe that holds @text and is closed for writing
 */
gint
iot_dbus_test_pipe_with(const gchar *text)
{
	g_autoptr(GError) error = NULL;
	gint fds[2];
	gsize len = strlen(text);

	g_unix_open_pipe(fds, FD_CLOEXEC, &error);
	g_assert_no_error(error);
	g_assert_cmpint(write(fds[1], text, len), ==, (gssize)len);
	close(fds[1]);
	return fds[0];
}

/**
 * iot_dbus_test_assert_remote_error:
 * @error: the error of a call
 * @name: the D-Bus error name expected
 * @fragment: (nullable): text the message must hold
 */
void
iot_dbus_test_assert_remote_error(const GError *error, const gchar *name, const gchar *fragment)
{
	g_autofree gchar *remote = NULL;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(remote, name) != 0)
		g_test_message("got %s: %s", remote, error->message);
	g_assert_cmpstr(remote, ==, name);
	if (fragment != NULL && strstr(error->message, fragment) == NULL)
		g_test_message("the message is: %s", error->message);
	if (fragment != NULL)
		g_assert_nonnull(strstr(error->message, fragment));
}

/**
 * iot_dbus_test_run:
 * @argv: a program and its arguments
 * @env: (nullable): NAME=VALUE pairs added to the environment
 * @status: (out): the exit status
 *
 * Returns: (transfer full): what the program printed, stdout then stderr merged
 */
gchar *
iot_dbus_test_run(const gchar *const *argv, const gchar *const *env, gint *status)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) process = NULL;
	gchar *output = NULL;

	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1], TRUE);
	}
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &output, NULL, &error);
	g_assert_no_error(error);
	*status = g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
						      : 128 + g_subprocess_get_term_sig(process);
	return output;
}
