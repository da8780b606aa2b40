/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iot-endpoint-test-common.h"
#include "iot-unix-endpoint.h"

typedef struct {
	gchar *dir;  /* a fresh directory per test */
	gchar *path; /* dir/app.sock */
} Fixture;

static void
fixture_setup(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("iotunnel-unix-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->path = g_build_filename(fixture->dir, "app.sock", NULL);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_unlink(path);
	}
	g_assert_cmpint(g_rmdir(fixture->dir), ==, 0);
	g_free(fixture->dir);
	g_free(fixture->path);
}

static IotEndpoint *
test_endpoint_new(const gchar *json)
{
	g_autoptr(IotEndpoint) endpoint = iot_unix_endpoint_new();
	g_autoptr(JsonObject) settings = iot_test_settings_new(json);
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_endpoint_configure(endpoint, settings, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&endpoint);
}

static IotEndpoint *
test_endpoint_for_path(const gchar *path, const gchar *extra)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *with_extra = NULL;

	/* the path goes through JSON escaping, whatever the temporary directory is */
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "endpoint");
	json_builder_add_string_value(builder, "unix");
	json_builder_set_member_name(builder, "path");
	json_builder_add_string_value(builder, path);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	json_generator_set_root(generator, root);
	json = json_generator_to_data(generator, NULL);
	if (extra == NULL)
		return test_endpoint_new(json);
	with_extra = g_strdup_printf("%.*s, %s}", (gint)strlen(json) - 1, json, extra);
	return test_endpoint_new(with_extra);
}

/* a plain client of a Unix socket */
static GIOStream *
test_client_connect(GSocketAddress *address, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	return G_IO_STREAM(
	    g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, error));
}

/* checks that a client through @address reaches @endpoint and moves bytes both ways */
static void
test_check_exchange(IotEndpoint *endpoint, GSocketAddress *address)
{
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GIOStream) client = NULL;
	g_autoptr(GError) error = NULL;

	g_signal_connect(endpoint, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	client = test_client_connect(address, &error);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	g_assert_true(G_IS_UNIX_CONNECTION(g_ptr_array_index(incoming, 0)));
	iot_test_exchange(client, g_ptr_array_index(incoming, 0));
	g_signal_handlers_disconnect_by_data(endpoint, incoming);
}

static void
test_listen_and_exchange(IotEndpoint *endpoint, GSocketAddress *address)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	test_check_exchange(endpoint, address);
}

static void
test_unix_listen(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fixture->path);
	g_autofree gchar *description = iot_endpoint_describe(endpoint);
	struct stat st;

	g_assert_cmpstr(description, ==, fixture->path);
	test_listen_and_exchange(endpoint, address);

	/* only the owner may connect, by default */
	g_assert_cmpint(g_lstat(fixture->path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);

	/* stop removes the socket file, and it can listen again */
	iot_endpoint_stop(endpoint);
	g_assert_false(g_file_test(fixture->path, G_FILE_TEST_EXISTS));
	test_listen_and_exchange(endpoint, address);
}

static void
test_unix_listen_mode(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint =
	    test_endpoint_for_path(fixture->path, "\"mode\": \"660\"");
	g_autoptr(GError) error = NULL;
	struct stat st;

	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_lstat(fixture->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0660);
}

static void
test_unix_listen_relative(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *cwd = g_get_current_dir();
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path("app.sock", NULL);
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fixture->path);

	/* relative to the working directory */
	g_assert_cmpint(g_chdir(fixture->dir), ==, 0);
	test_listen_and_exchange(endpoint, address);
	g_assert_cmpint(g_chdir(cwd), ==, 0);
	g_assert_true(g_file_test(fixture->path, G_FILE_TEST_EXISTS));
}

static void
test_unix_listen_abstract(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *name = g_strdup_printf("iotunnel-test-%d-%u", getpid(), g_random_int());
	g_autofree gchar *path = g_strconcat("@", name, NULL);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(path, NULL);
	g_autoptr(IotEndpoint) destination = test_endpoint_for_path(path, NULL);
	g_autoptr(GSocketAddress) address =
	    g_unix_socket_address_new_with_type(name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *description = iot_endpoint_describe(endpoint);

	g_assert_cmpstr(description, ==, path);
	test_listen_and_exchange(endpoint, address);

	/* a destination endpoint reaches it too */
	g_signal_connect(endpoint, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	stream = iot_test_endpoint_connect(destination, NULL, &error);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(incoming, 0));

	/* a second listener on the same name is refused */
	{
		g_autoptr(IotEndpoint) other = test_endpoint_for_path(path, NULL);
		g_assert_false(iot_endpoint_listen(other, &error));
		g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	}
	g_signal_handlers_disconnect_by_data(endpoint, incoming);
}

static void
test_unix_listen_stale(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GSocket) old = NULL;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fixture->path);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GError) error = NULL;

	/* a socket file left by a listener that died */
	old = g_socket_new(G_SOCKET_FAMILY_UNIX,
			   G_SOCKET_TYPE_STREAM,
			   G_SOCKET_PROTOCOL_DEFAULT,
			   &error);
	g_assert_no_error(error);
	g_socket_bind(old, address, FALSE, &error);
	g_assert_no_error(error);
	g_socket_close(old, &error);
	g_assert_no_error(error);
	g_assert_true(g_file_test(fixture->path, G_FILE_TEST_EXISTS));

	test_listen_and_exchange(endpoint, address);
}

static void
test_unix_listen_in_use(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) first = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(IotEndpoint) second = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fixture->path);
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = NULL;
	gchar buffer[1];

	/* a live listener keeps its socket file */
	test_listen_and_exchange(first, address);
	g_signal_connect(first, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	g_assert_false(iot_endpoint_listen(second, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	expected =
	    g_strdup_printf("cannot listen on %s: another program listens there", fixture->path);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);

	/* the check connected once, and went at once */
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	g_assert_cmpint(
	    g_input_stream_read(g_io_stream_get_input_stream(g_ptr_array_index(incoming, 0)),
				buffer,
				sizeof(buffer),
				NULL,
				&error),
	    ==,
	    0);
	g_assert_no_error(error);
	g_signal_handlers_disconnect_by_data(first, incoming);

	/* the refused one removed nothing: the first one still works */
	g_clear_object(&second);
	test_check_exchange(first, address);
}

static void
test_unix_listen_not_a_socket(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;

	g_file_set_contents(fixture->path, "precious", -1, &error);
	g_assert_no_error(error);
	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	iot_test_assert_message(error,
				"*the file exists and is not a socket; remove it or choose*");
	g_clear_error(&error);

	/* untouched */
	g_file_get_contents(fixture->path, &contents, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(contents, ==, "precious");
}

static void
test_unix_listen_no_directory(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *path = g_build_filename(fixture->dir, "missing", "app.sock", NULL);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(path, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = g_strdup_printf("cannot listen on %s: *", path);

	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	iot_test_assert_message(error, expected);
}

static gboolean
test_service_incoming_cb(GSocketService *service,
			 GSocketConnection *connection,
			 GObject *source_object,
			 gpointer user_data)
{
	GPtrArray *accepted = user_data;
	g_ptr_array_add(accepted, g_object_ref(connection));
	return TRUE;
}

static void
test_unix_connect(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GSocketService) service = g_socket_service_new();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fixture->path);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GPtrArray) accepted = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	/* the test's own local app */
	g_socket_listener_add_address(G_SOCKET_LISTENER(service),
				      address,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_DEFAULT,
				      NULL,
				      NULL,
				      &error);
	g_assert_no_error(error);
	g_signal_connect(service, "incoming", G_CALLBACK(test_service_incoming_cb), accepted);

	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(G_IS_UNIX_CONNECTION(stream));
	IOT_TEST_WAIT_UNTIL(accepted->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(accepted, 0));
	g_socket_service_stop(service);
	g_socket_listener_close(G_SOCKET_LISTENER(service));
}

static void
test_unix_connect_retries(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint =
	    test_endpoint_for_path(fixture->path, "\"retry_count\": 2, \"retry_delay_ms\": 20");
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected =
	    g_strdup_printf("failed to connect to %s after 3 tries: *", fixture->path);
	gint64 start = g_get_monotonic_time();

	iot_test_n_logged_retries = 0;
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_null(stream);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_CONNECT);
	iot_test_assert_message(error, expected);
	g_assert_cmpuint(iot_test_n_logged_retries, ==, 2);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 2 * 20 * 1000);
}

static void
test_unix_connect_late_app(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint =
	    test_endpoint_for_path(fixture->path, "\"retry_count\": 50, \"retry_delay_ms\": 20");
	g_autoptr(IotEndpoint) app = test_endpoint_for_path(fixture->path, NULL);
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	IotTestAsync async = {NULL};

	/* the app creates its socket after the first try failed */
	iot_test_n_logged_retries = 0;
	iot_endpoint_connect_async(endpoint, NULL, iot_test_async_cb, &async);
	IOT_TEST_WAIT_UNTIL(iot_test_n_logged_retries >= 1);
	g_signal_connect(app, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	g_assert_true(iot_endpoint_listen(app, &error));
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(async.result != NULL);
	stream = iot_endpoint_connect_finish(endpoint, async.result, &error);
	g_object_unref(async.result);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(incoming, 0));
	g_signal_handlers_disconnect_by_data(app, incoming);
}

static void
test_unix_connect_cancel(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotEndpoint) endpoint =
	    test_endpoint_for_path(fixture->path,
				   "\"retry_count\": 100, \"retry_delay_ms\": 60000");
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	IotTestAsync async = {NULL};

	iot_test_n_logged_retries = 0;
	iot_endpoint_connect_async(endpoint, cancellable, iot_test_async_cb, &async);
	IOT_TEST_WAIT_UNTIL(iot_test_n_logged_retries == 1);
	g_cancellable_cancel(cancellable);
	IOT_TEST_WAIT_UNTIL_MS(async.result != NULL, 1000);
	stream = iot_endpoint_connect_finish(endpoint, async.result, &error);
	g_object_unref(async.result);
	g_assert_null(stream);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct {
	const gchar *name;
	const gchar *json;
	const gchar *message;
} BadCase;

static const BadCase bad_cases[] = {
    {"missing", "{\"endpoint\": \"unix\"}", "path is missing: expected the path of a Unix socket*"},
    {"empty", "{\"path\": \"\"}", "path must not be empty"},
    {"not-a-string", "{\"path\": 22}", "path must be a string"},
    {"abstract-no-name", "{\"path\": \"@\"}", "path \"@\" is not valid: an abstract socket needs*"},
    {"too-long",
     "{\"path\": \"/tmp/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "a"
     "aaaaaaaaaaaa\"}",
     "path is 111 bytes long: a Unix socket path holds at most 107"},
    {"abstract-too-long",
     "{\"path\": \"@"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "a"
     "aaaaaaaaaaaaaaaa\"}",
     "path is 110 bytes long: a Unix socket name holds at most 107"},
    {"mode-not-octal",
     "{\"path\": \"/run/x.sock\", \"mode\": \"0800\"}",
     "mode \"0800\" is not valid: expected an octal mode such as \"0600\""},
    {"mode-short", "{\"path\": \"/run/x.sock\", \"mode\": \"60\"}", "mode \"60\" is not valid*"},
    {"mode-long",
     "{\"path\": \"/run/x.sock\", \"mode\": \"10600\"}",
     "mode \"10600\" is not valid*"},
    {"mode-number", "{\"path\": \"/run/x.sock\", \"mode\": 384}", "mode must be a string"},
    {"mode-abstract",
     "{\"path\": \"@name\", \"mode\": \"0600\"}",
     "mode does not apply to the abstract socket \"@name\"*"},
    {"retry-negative", "{\"path\": \"/run/x.sock\", \"retry_count\": -2}", "retry_count is -2*"},
    {"unknown-key",
     "{\"path\": \"/run/x.sock\", \"address\": \"22\"}",
     "unknown setting \"address\": the unix endpoint takes path, mode, retry_count, "
     "retry_delay_ms"},
    {"other-endpoint",
     "{\"endpoint\": \"tcp\", \"path\": \"/run/x.sock\"}",
     "endpoint must be \"unix\" for this plugin"},
};

static void
test_unix_settings_bad(gconstpointer user_data)
{
	const BadCase *bad = user_data;
	g_autoptr(IotEndpoint) endpoint = iot_unix_endpoint_new();
	g_autoptr(JsonObject) settings = iot_test_settings_new(bad->json);
	g_autoptr(GError) error = NULL;

	g_assert_false(iot_endpoint_configure(endpoint, settings, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	iot_test_assert_message(error, bad->message);
}

static void
test_unix_settings_good(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(
	    "{\"endpoint\": \"unix\", \"path\": \"/run/app.sock\", \"mode\": \"0666\", "
	    "\"retry_count\": 0, \"retry_delay_ms\": 10}");
	g_autoptr(IotEndpoint) unconfigured = iot_unix_endpoint_new();
	g_autofree gchar *description = iot_endpoint_describe(endpoint);
	g_autoptr(GError) error = NULL;

	g_assert_cmpstr(description, ==, "/run/app.sock");

	/* used before configure: a settings error, not a crash */
	g_assert_false(iot_endpoint_listen(unconfigured, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_clear_error(&error);
	g_assert_null(iot_test_endpoint_connect(unconfigured, NULL, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(iot_test_log_writer, (gpointer) "iotunnel-unix", NULL);

#define ADD(path, func)                                                                            \
	g_test_add("/iotunnel/unix-endpoint/" path,                                                \
		   Fixture,                                                                        \
		   NULL,                                                                           \
		   fixture_setup,                                                                  \
		   func,                                                                           \
		   fixture_teardown)
	g_test_add_func("/iotunnel/unix-endpoint/settings/good", test_unix_settings_good);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/unix-endpoint/settings/bad/%s", bad_cases[i].name);
		g_test_add_data_func(path, &bad_cases[i], test_unix_settings_bad);
	}
	ADD("listen/path", test_unix_listen);
	ADD("listen/mode", test_unix_listen_mode);
	ADD("listen/relative", test_unix_listen_relative);
	ADD("listen/abstract", test_unix_listen_abstract);
	ADD("listen/stale", test_unix_listen_stale);
	ADD("listen/in-use", test_unix_listen_in_use);
	ADD("listen/not-a-socket", test_unix_listen_not_a_socket);
	ADD("listen/no-directory", test_unix_listen_no_directory);
	ADD("connect/path", test_unix_connect);
	ADD("connect/retries", test_unix_connect_retries);
	ADD("connect/late-app", test_unix_connect_late_app);
	ADD("connect/cancel", test_unix_connect_cancel);
#undef ADD
	return g_test_run();
}
