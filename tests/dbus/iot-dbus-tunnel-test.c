/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * org.iotunnel.Tunnel1 of a real iotunneld on a private dbus-daemon, with a
 * real iotunnel-service and a real destination iotunneld: a tunnel added and
 * started over the bus moves bytes, its State follows the service going away
 * and coming back, OpenConnection hands out a socket that carries bytes both
 * ways, connections are announced, and a busy tunnel does not flood the bus.
 */

#include "config.h"

#include <gio/gunixfdlist.h>
#include <signal.h>
#include <string.h>

#include "iot-dbus-test-common.h"

typedef IotDBusFixture Fixture;

/* Tunnel1 publishes its counters at most this often (see its interface XML) */
#define TEST_REFRESH_MS 1000

/* what one tunnel object said on the bus while a test watched it */
typedef struct {
	GDBusConnection *connection;
	guint subscriptions[2];
	GPtrArray *states; /* State values in the order they were announced */
	guint properties_changed;
	guint opened;
	guint closed;
	gchar *last_opened; /* the description of the last ConnectionOpened */
	gchar *last_closed;
} Watch;

static void
watch_properties_cb(GDBusConnection *connection,
		    const gchar *sender,
		    const gchar *path,
		    const gchar *interface,
		    const gchar *signal,
		    GVariant *parameters,
		    gpointer user_data)
{
	Watch *watch = user_data;
	g_autoptr(GVariant) changed = NULL;
	const gchar *state = NULL;

	g_variant_get(parameters, "(&s@a{sv}@as)", NULL, &changed, NULL);
	watch->properties_changed++;
	if (g_variant_lookup(changed, "State", "&s", &state))
		g_ptr_array_add(watch->states, g_strdup(state));
}

static void
watch_connection_cb(GDBusConnection *connection,
		    const gchar *sender,
		    const gchar *path,
		    const gchar *interface,
		    const gchar *signal,
		    GVariant *parameters,
		    gpointer user_data)
{
	Watch *watch = user_data;
	guint64 id = 0;
	const gchar *description = NULL;
	gint32 stream_id = 0;
	guint32 connection_id = 0;
	gboolean opened = g_strcmp0(signal, "ConnectionOpened") == 0;

	g_variant_get(parameters, "(t&siu)", &id, &description, &stream_id, &connection_id);
	g_assert_cmpuint(id, >, 0);
	/* told only once the connection is in a stream, with the IDs the log uses */
	g_assert_cmpint(stream_id, >, 0);
	g_assert_cmpuint(connection_id, >, 0);
	if (opened) {
		watch->opened++;
		g_free(watch->last_opened);
		watch->last_opened = g_strdup(description);
	} else if (g_strcmp0(signal, "ConnectionClosed") == 0) {
		watch->closed++;
		g_free(watch->last_closed);
		watch->last_closed = g_strdup(description);
	}
}

static void
watch_begin(Watch *watch, GDBusConnection *connection, const gchar *path)
{
	watch->connection = g_object_ref(connection);
	watch->states = g_ptr_array_new_with_free_func(g_free);
	watch->subscriptions[0] =
	    g_dbus_connection_signal_subscribe(connection,
					       IOT_DBUS_TEST_NAME,
					       "org.freedesktop.DBus.Properties",
					       "PropertiesChanged",
					       path,
					       "org.iotunnel.Tunnel1",
					       G_DBUS_SIGNAL_FLAGS_NONE,
					       watch_properties_cb,
					       watch,
					       NULL);
	watch->subscriptions[1] = g_dbus_connection_signal_subscribe(connection,
								     IOT_DBUS_TEST_NAME,
								     "org.iotunnel.Tunnel1",
								     NULL,
								     path,
								     NULL,
								     G_DBUS_SIGNAL_FLAGS_NONE,
								     watch_connection_cb,
								     watch,
								     NULL);
}

static void
watch_end(Watch *watch)
{
	for (guint i = 0; i < G_N_ELEMENTS(watch->subscriptions); i++)
		g_dbus_connection_signal_unsubscribe(watch->connection, watch->subscriptions[i]);
	g_clear_object(&watch->connection);
	g_clear_pointer(&watch->states, g_ptr_array_unref);
	g_clear_pointer(&watch->last_opened, g_free);
	g_clear_pointer(&watch->last_closed, g_free);
}

static gboolean
watch_saw_state(Watch *watch, const gchar *state)
{
	return watch->states->len > 0 &&
	       g_strcmp0(g_ptr_array_index(watch->states, watch->states->len - 1), state) == 0;
}

/* checks that @expected appear among the announced states, in that order */
static void
watch_assert_states_in_order(Watch *watch, const gchar *const *expected)
{
	guint next = 0;
	g_autoptr(GString) seen = g_string_new(NULL);

	for (guint i = 0; i < watch->states->len; i++) {
		const gchar *state = g_ptr_array_index(watch->states, i);
		g_string_append_printf(seen, " %s", state);
		if (expected[next] != NULL && g_strcmp0(state, expected[next]) == 0)
			next++;
	}
	g_test_message("states announced:%s", seen->str);
	g_assert_null(expected[next]);
}

/* the fixture's source tunnel, added stopped over the bus with its tokens, none readable */
static IotDBusTunnel1 *
test_add_source(Fixture *fx, const gchar *name, gchar **path_out)
{
	IotDBusTunnel1 *tunnel = iot_dbus_fixture_add_source(fx, name, FALSE, path_out);

	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "stopped");
	g_assert_true(iot_dbus_tunnel1_get_has_access_token(tunnel));
	g_assert_true(iot_dbus_tunnel1_get_has_client_token(tunnel));
	g_assert_null(strstr(iot_dbus_tunnel1_get_profile(tunnel), fx->service.source_token));
	return tunnel;
}

static void
test_start(IotDBusTunnel1 *tunnel, Watch *watch)
{
	g_autoptr(GError) error = NULL;

	iot_dbus_tunnel1_call_start_sync(tunnel, NULL, &error);
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(watch_saw_state(watch, "connected"), IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "connected");
	g_assert_cmpstr(iot_dbus_tunnel1_get_last_error(tunnel), ==, "");
}

static void
test_stop(IotDBusTunnel1 *tunnel, Watch *watch)
{
	g_autoptr(GError) error = NULL;

	iot_dbus_tunnel1_call_stop_sync(tunnel, NULL, &error);
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(watch_saw_state(watch, "stopped"), IOT_DBUS_TEST_TIMEOUT_MS);
}

static gboolean
test_has_listen_address(IotDBusTunnel1 *tunnel)
{
	g_autofree gchar *address = iot_dbus_fixture_listen_address(tunnel, "SSH1");
	return address != NULL && address[0] != '\0' && !g_str_has_suffix(address, ":0");
}

/* @client and the app both send @bytes and expect the other's */
static void
test_exchange(GSocket *client, GSocket *app, gsize bytes, guint32 seed)
{
	IotTestTraffic near = {.to_send = bytes, .seed = seed, .to_receive = bytes};
	IotTestTraffic far = {.to_send = bytes, .seed = seed + 1, .to_receive = bytes};

	iot_test_traffic_start(&near, client);
	iot_test_traffic_start(&far, app);
	iot_test_traffic_join(&near);
	iot_test_traffic_join(&far);
	g_assert_no_error(near.error);
	g_assert_no_error(far.error);
	g_assert_cmpuint(far.received, ==, bytes);
	g_assert_cmpstr(far.received_sha256, ==, near.sent_sha256);
	g_assert_cmpuint(near.received, ==, bytes);
	g_assert_cmpstr(near.received_sha256, ==, far.sent_sha256);
	iot_test_traffic_clear(&near);
	iot_test_traffic_clear(&far);
}

/* asks the daemon for a stream to SSH1 and returns our end of it */
static GSocket *
test_open_connection(IotDBusTunnel1 *tunnel, const gchar *service, GError **error)
{
	g_autoptr(GVariant) handle = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	gint fd;

	if (!iot_dbus_tunnel1_call_open_connection_sync(tunnel,
							service,
							NULL,
							&handle,
							&fds,
							NULL,
							error))
		return NULL;
	g_assert_nonnull(fds);
	g_assert_cmpint(g_unix_fd_list_get_length(fds), ==, 1);
	fd = g_unix_fd_list_get(fds, g_variant_get_handle(handle), error);
	if (fd < 0)
		return NULL;
	return g_socket_new_from_fd(fd, error);
}

/* added and started over the bus, the tunnel carries a client's bytes */
static void
test_start_moves_bytes(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autofree gchar *address = NULL;
	gsize bytes = 2 * 1024 * 1024;
	Watch watch = {0};

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);
	destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	IOT_DBUS_TEST_WAIT(test_has_listen_address(tunnel), IOT_DBUS_TEST_TIMEOUT_MS);
	address = iot_dbus_fixture_listen_address(tunnel, "SSH1");
	g_assert_true(g_str_has_prefix(address, "127.0.0.1:"));

	client = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	test_exchange(client, app, bytes, 11);
	IOT_DBUS_TEST_WAIT(watch.opened == 1, IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_true(g_str_has_prefix(watch.last_opened, "SSH1"));
	g_socket_close(client, NULL);
	g_socket_close(app, NULL);
	IOT_DBUS_TEST_WAIT(watch.closed == 1, IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpstr(watch.last_closed, ==, watch.last_opened);

	/* the counters follow within a refresh period */
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_bytes_to_service(tunnel) >= bytes &&
			       iot_dbus_tunnel1_get_bytes_from_service(tunnel) >= bytes &&
			       iot_dbus_tunnel1_get_active_connections(tunnel) == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpuint(iot_dbus_tunnel1_get_total_connections(tunnel), ==, 1);
	g_assert_cmpuint(iot_dbus_tunnel1_get_reconnects(tunnel), ==, 0);
	g_assert_cmpuint(iot_dbus_tunnel1_get_protocol_version(tunnel), ==, 3);
	g_assert_cmpstr(iot_dbus_tunnel1_get_mode(tunnel), ==, "source");

	test_stop(tunnel, &watch);
	watch_assert_states_in_order(
	    &watch,
	    (const gchar *const[]){"connecting", "connected", "stopped", NULL});
	/* stopped, the listener is gone */
	g_clear_object(&client);
	client = iot_test_connect_tcp(address, &error);
	g_assert_null(client);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	watch_end(&watch);
}

/*
 * SIGTERM to the daemon on the bus stops as iotunneld without a bus does: the
 * service sees each WebSocket's normal close (1000), and the daemon exits 0.
 */
static void
test_sigterm_closes_normally(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	g_autoptr(GError) error = NULL;
	gint status = -1;
	Watch watch = {0};

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);
	watch_end(&watch);
	iot_test_process_signal(fx->daemon, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(fx->daemon, IOT_DBUS_TEST_TIMEOUT_MS, &status));
	g_assert_cmpint(status, ==, 0);
	g_clear_object(&fx->daemon);
	g_free(iot_test_process_wait_line(fx->service.service,
					  "source closed its WebSocket with code 1000",
					  IOT_DBUS_TEST_TIMEOUT_MS,
					  &error));
	g_assert_no_error(error);
}

/* SIGHUP (logrotate's postrotate) opens the log again, never ends the daemon on the bus */
static void
test_sighup_keeps_running(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = NULL;

	iot_test_process_signal(fx->daemon, SIGHUP);
	tunnel = test_add_source(fx, "after-hangup", &path);
	g_assert_false(iot_test_process_wait_exit(fx->daemon, 200, NULL));
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "stopped");
}

/* State, LastError and Reconnects follow the service going away and coming back */
static void
test_state_follows_service(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	Watch watch = {0};

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);

	g_assert_true(iot_test_tunnel_stop_service(&fx->service, SIGTERM, &error));
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(watch_saw_state(&watch, "reconnecting"), IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpstr(iot_dbus_tunnel1_get_last_error(tunnel), !=, "");
	g_test_message("while the service is away: %s", iot_dbus_tunnel1_get_last_error(tunnel));

	g_assert_true(iot_test_tunnel_resume_service(&fx->service, &error));
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(watch_saw_state(&watch, "connected"), IOT_DBUS_TEST_TIMEOUT_MS);
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_reconnects(tunnel) >= 1, IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpstr(iot_dbus_tunnel1_get_last_error(tunnel), ==, "");

	test_stop(tunnel, &watch);
	watch_assert_states_in_order(&watch,
				     (const gchar *const[]){"connecting",
							    "connected",
							    "reconnecting",
							    "connected",
							    "stopped",
							    NULL});
	watch_end(&watch);
}

/* OpenConnection's socket reaches the app through the tunnel, both ways */
static void
test_open_connection_moves_bytes(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autofree gchar *unique_name = NULL;
	Watch watch = {0};

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);
	destination = iot_dbus_fixture_spawn_destination(fx, NULL);

	for (guint round = 0; round < 3; round++) {
		ours = test_open_connection(tunnel, "SSH1", &error);
		g_assert_no_error(error);
		app = iot_test_accept(fx->app_listener, 20, &error);
		g_assert_no_error(error);
		test_exchange(ours, app, 4 * 1024 * 1024, 20 + round);
		IOT_DBUS_TEST_WAIT(watch.opened == round + 1, IOT_DBUS_TEST_TIMEOUT_MS);
		g_socket_close(app, NULL);
		g_clear_object(&app);
		IOT_DBUS_TEST_WAIT(watch.closed == round + 1, IOT_DBUS_TEST_TIMEOUT_MS);
		g_clear_object(&ours);
	}
	/* the description names the service and who asked */
	unique_name = g_strdup(g_dbus_connection_get_unique_name(fx->connection));
	g_assert_true(g_str_has_prefix(watch.last_opened, "SSH1 via D-Bus "));
	g_assert_nonnull(strstr(watch.last_opened, unique_name));
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_total_connections(tunnel) == 3,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	watch_end(&watch);
}

/* the OpenConnection errors a caller can meet, each with its name and a clear message */
static void
test_open_connection_errors(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *destination_path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	g_autoptr(IotDBusTunnel1) destination = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autofree gchar *destination_profile = g_strdup_printf(
	    "{\"name\": \"device\", \"mode\": \"destination\", "
	    "\"service\": {\"endpoint\": \"%s\"}, "
	    "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"%s\"}, "
	    "\"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:%u\"}}}",
	    fx->service.endpoint,
	    fx->service.ca_file,
	    fx->app_port);
	Watch watch = {0};

	socket = test_open_connection(tunnel, "SSH1", &error);
	g_assert_null(socket);
	iot_dbus_test_assert_remote_error(error,
					  "org.iotunnel.Error.NotRunning",
					  "is stopped; start it with iotunnelctl start laptop.");
	g_clear_error(&error);

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);
	socket = test_open_connection(tunnel, "HTTP", &error);
	g_assert_null(socket);
	iot_dbus_test_assert_remote_error(error, "org.iotunnel.Error.NotFound", "SSH1");
	g_clear_error(&error);

	destination_path = iot_dbus_fixture_add(fx, destination_profile, NULL, &error);
	g_assert_no_error(error);
	destination = iot_dbus_fixture_tunnel(fx, destination_path);
	g_assert_cmpstr(iot_dbus_tunnel1_get_mode(destination), ==, "destination");
	socket = test_open_connection(destination, "SSH1", &error);
	g_assert_null(socket);
	iot_dbus_test_assert_remote_error(error, "org.iotunnel.Error.NotSupported", "source");
	g_clear_error(&error);

	/* a tunnel removed under a proxy is gone from the bus */
	iot_dbus_manager1_call_remove_tunnel_sync(fx->manager, path, NULL, &error);
	g_assert_no_error(error);
	iot_dbus_tunnel1_call_start_sync(tunnel, NULL, &error);
	g_assert_nonnull(error);
	g_assert_true(g_dbus_error_is_remote_error(error));
	watch_end(&watch);
}

/*
 * A busy tunnel: bytes flowing and connections coming and going for a few
 * seconds must not make PropertiesChanged more frequent than the refresh
 * period, plus the state changes.
 */
static void
test_properties_rate(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = test_add_source(fx, "laptop", &path);
	g_autoptr(IotTestProcess) destination = NULL;
	Watch watch = {0};
	guint before;
	guint connections = 0;
	gint64 start;
	gdouble seconds;
	guint allowed;

	watch_begin(&watch, fx->connection, path);
	test_start(tunnel, &watch);
	destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	before = watch.properties_changed;
	start = g_get_monotonic_time();
	while (g_get_monotonic_time() - start < 3 * G_USEC_PER_SEC) {
		g_autoptr(GSocket) ours = test_open_connection(tunnel, "SSH1", &error);
		g_autoptr(GSocket) app = NULL;
		g_assert_no_error(error);
		app = iot_test_accept(fx->app_listener, 20, &error);
		g_assert_no_error(error);
		test_exchange(ours, app, 256 * 1024, connections);
		g_socket_close(app, NULL);
		connections++;
		/* the signals are read while the work goes on */
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	IOT_DBUS_TEST_WAIT(watch.closed == connections, IOT_DBUS_TEST_TIMEOUT_MS);
	seconds = (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	allowed = (guint)(seconds * 1000 / TEST_REFRESH_MS) + 2;
	g_test_message("%u connections in %.1f s: %u PropertiesChanged (at most %u), "
		       "%u ConnectionOpened, %u ConnectionClosed",
		       connections,
		       seconds,
		       watch.properties_changed - before,
		       allowed,
		       watch.opened,
		       watch.closed);
	g_assert_cmpuint(connections, >=, 3);
	g_assert_cmpuint(watch.opened, ==, connections);
	g_assert_cmpuint(watch.properties_changed - before, <=, allowed);
	watch_end(&watch);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

#define ADD(path, func)                                                                            \
	g_test_add(path, Fixture, NULL, iot_dbus_fixture_setup, func, iot_dbus_fixture_teardown)
	ADD("/iotunnel/dbus-tunnel/start-moves-bytes", test_start_moves_bytes);
	ADD("/iotunnel/dbus-tunnel/state-follows-service", test_state_follows_service);
	ADD("/iotunnel/dbus-tunnel/sigterm-closes-normally", test_sigterm_closes_normally);
	ADD("/iotunnel/dbus-tunnel/sighup-keeps-running", test_sighup_keeps_running);
	ADD("/iotunnel/dbus-tunnel/open-connection-moves-bytes", test_open_connection_moves_bytes);
	ADD("/iotunnel/dbus-tunnel/open-connection-errors", test_open_connection_errors);
	ADD("/iotunnel/dbus-tunnel/properties-rate", test_properties_rate);
#undef ADD
	return g_test_run();
}
