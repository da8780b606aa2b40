/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "iot-exec-endpoint.h"
#include "iot-exec-stream.h"

#define IOT_TEST_TIMEOUT_MS 10000
#define IOT_TEST_IO_TIMEOUT_MS 30000

/* warnings the plugin logs, kept for the test instead of aborting it */
static GPtrArray *iot_test_warnings = NULL;

static GLogWriterOutput
iot_test_log_writer(GLogLevelFlags log_level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if ((log_level & G_LOG_LEVEL_WARNING) != 0 && g_strcmp0(domain, "iotunnel-exec") == 0 &&
	    message != NULL) {
		g_ptr_array_add(iot_test_warnings, g_strdup(message));
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(log_level, fields, n_fields, NULL);
}

/* waiting with a deadline ------------------------------------------------ */

static gboolean
iot_test_timeout_cb(gpointer user_data)
{
	gboolean *expired = user_data;
	*expired = TRUE;
	return G_SOURCE_REMOVE;
}

/* iterates the main context until *flag is TRUE; FALSE when the deadline came first */
static gboolean
iot_test_wait_flag(const gboolean *flag, guint timeout_ms)
{
	gboolean expired = FALSE;
	guint timer = g_timeout_add(timeout_ms, iot_test_timeout_cb, &expired);
	while (!*flag && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(timer);
	return *flag;
}

static void
iot_test_wait_exit_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *done = user_data;
	g_autoptr(GError) error = NULL;
	g_assert_true(g_subprocess_wait_finish(G_SUBPROCESS(source), result, &error));
	g_assert_no_error(error);
	*done = TRUE;
}

static gboolean
iot_test_wait_exit(GSubprocess *subprocess, guint timeout_ms)
{
	gboolean done = FALSE;
	g_subprocess_wait_async(subprocess, NULL, iot_test_wait_exit_cb, &done);
	if (iot_test_wait_flag(&done, timeout_ms))
		return TRUE;
	/* do not leave the callback pointing at this frame */
	g_subprocess_force_exit(subprocess);
	iot_test_wait_flag(&done, IOT_TEST_TIMEOUT_MS);
	return FALSE;
}

/* an endpoint and one connection through it ------------------------------ */

static IotEndpoint *
iot_test_endpoint_new(const gchar *settings_json, GError **error)
{
	g_autoptr(JsonNode) node = json_from_string(settings_json, error);
	g_autoptr(IotEndpoint) endpoint = iot_exec_endpoint_new();

	if (node == NULL)
		return NULL;
	if (!iot_endpoint_configure(endpoint, json_node_get_object(node), error))
		return NULL;
	return g_steal_pointer(&endpoint);
}

typedef struct {
	GIOStream *stream;
	GError *error;
	gboolean done;
} IotTestConnect;

static void
iot_test_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotTestConnect *connect = user_data;
	connect->stream =
	    iot_endpoint_connect_finish(IOT_ENDPOINT(source), result, &connect->error);
	connect->done = TRUE;
}

static GIOStream *
iot_test_connect(IotEndpoint *endpoint, GError **error)
{
	IotTestConnect connect = {0};
	iot_endpoint_connect_async(endpoint, NULL, iot_test_connect_cb, &connect);
	g_assert_true(iot_test_wait_flag(&connect.done, IOT_TEST_TIMEOUT_MS));
	if (connect.error != NULL) {
		g_propagate_error(error, connect.error);
		return NULL;
	}
	return connect.stream;
}

/* what an IotConnection over the stream saw */
typedef struct {
	GByteArray *received;
	gboolean closed;
	GError *closed_error;
} IotTestPeer;

static void
iot_test_peer_data_cb(IotConnection *connection, GBytes *bytes, IotTestPeer *peer)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bytes, &size);
	g_byte_array_append(peer->received, data, size);
}

static void
iot_test_peer_closed_cb(IotConnection *connection, const GError *error, IotTestPeer *peer)
{
	peer->closed = TRUE;
	if (error != NULL)
		peer->closed_error = g_error_copy(error);
}

static IotConnection *
iot_test_peer_start(IotTestPeer *peer, GIOStream *stream)
{
	IotConnection *connection = iot_connection_new(stream, "exec test");
	peer->received = g_byte_array_new();
	g_signal_connect(connection, "data", G_CALLBACK(iot_test_peer_data_cb), peer);
	g_signal_connect(connection, "closed", G_CALLBACK(iot_test_peer_closed_cb), peer);
	iot_connection_start(connection);
	return connection;
}

static gboolean
iot_test_peer_wait_received(IotTestPeer *peer, gsize size, guint timeout_ms)
{
	gboolean expired = FALSE;
	guint timer = g_timeout_add(timeout_ms, iot_test_timeout_cb, &expired);
	while (peer->received->len < size && !peer->closed && !expired)
		g_main_context_iteration(NULL, TRUE);
	if (!expired)
		g_source_remove(timer);
	return peer->received->len >= size;
}

static void
iot_test_peer_clear(IotTestPeer *peer)
{
	g_clear_pointer(&peer->received, g_byte_array_unref);
	g_clear_error(&peer->closed_error);
}

/* tests ------------------------------------------------------------------- */

typedef struct {
	const gchar *name;
	const gchar *settings;
	const gchar *message; /* a part of the error */
} IotTestBadSettings;

static const IotTestBadSettings iot_test_bad_settings[] = {
    {"no-command", "{\"endpoint\": \"exec\"}", "command must be an array"},
    {"empty-command", "{\"command\": []}", "command must be an array"},
    {"command-string", "{\"command\": \"cat\"}", "command must be an array"},
    {"command-number", "{\"command\": [\"cat\", 1]}", "command[1] is not a string"},
    {"empty-program", "{\"command\": [\"\"]}", "command[0] is empty"},
    {"unknown", "{\"command\": [\"cat\"], \"shell\": true}", "\"shell\" is not a setting"},
    {"environment-array", "{\"command\": [\"cat\"], \"environment\": []}", "environment must"},
    {"environment-name",
     "{\"command\": [\"cat\"], \"environment\": {\"A=B\": \"x\"}}",
     "not a "
     "variable "
     "name"},
    {"environment-value",
     "{\"command\": [\"cat\"], \"environment\": {\"A\": 1}}",
     "environment.A "
     "must be a "
     "string"},
    {"working-directory",
     "{\"command\": [\"cat\"], \"working_directory\": \"\"}",
     "working_"
     "directory "
     "must"},
    {"grace-negative", "{\"command\": [\"cat\"], \"grace_ms\": -1}", "grace_ms must"},
    {"grace-large", "{\"command\": [\"cat\"], \"grace_ms\": 600001}", "grace_ms must"},
    {"grace-fraction", "{\"command\": [\"cat\"], \"grace_ms\": 1.5}", "grace_ms must"},
};

static void
test_exec_endpoint_bad_settings(gconstpointer user_data)
{
	const IotTestBadSettings *test = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new(test->settings, &error);

	g_assert_null(endpoint);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_assert_nonnull(strstr(error->message, test->message));
}

/* what the daemon's schema check lets through, the plugin takes */
static void
test_exec_endpoint_good_settings(void)
{
	const gchar *settings[] = {
	    "{\"endpoint\": \"exec\", \"command\": [\"cat\"]}",
	    "{\"command\": [\"cat\", \"\"], \"grace_ms\": 0}",
	    "{\"command\": [\"cat\"], \"grace_ms\": 2000.0}",
	    "{\"command\": [\"cat\"], \"grace_ms\": 600000, \"environment\": {}}",
	    "{\"command\": [\"cat\"], \"environment\": {\"A\": \"\", \"B\": null}, "
	    "\"working_directory\": \"/\"}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(settings); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new(settings[i], &error);
		g_assert_no_error(error);
		g_assert_nonnull(endpoint);
	}
}

static void
test_exec_endpoint_listen(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new("{\"command\": [\"cat\"]}", &error);
	g_autofree gchar *description = NULL;

	g_assert_no_error(error);
	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "destination side only"));
	description = iot_endpoint_describe(endpoint);
	g_assert_cmpstr(description, ==, "exec cat");
}

/* 1 MiB through cat and back, with the connection's flow control on both ways */
static void
test_exec_endpoint_echo(void)
{
	const gsize size = 1024 * 1024;
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new("{\"command\": [\"cat\"]}", &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;
	g_autofree guint8 *payload = g_malloc(size);
	IotTestPeer peer = {0};

	g_assert_no_error(error);
	for (gsize i = 0; i < size; i++)
		payload[i] = (guint8)(i * 7 + i / 251);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	g_assert_true(G_IS_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(stream)));
	g_assert_true(G_IS_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(stream)));
	subprocess = g_object_ref(iot_exec_stream_get_subprocess(IOT_EXEC_STREAM(stream)));
	connection = iot_test_peer_start(&peer, stream);
	for (gsize offset = 0; offset < size; offset += 65536) {
		g_autoptr(GBytes) chunk = g_bytes_new_static(payload + offset, 65536);
		iot_connection_write(connection, chunk);
	}
	g_assert_true(iot_test_peer_wait_received(&peer, size, IOT_TEST_IO_TIMEOUT_MS));
	g_assert_cmpuint(peer.received->len, ==, size);
	g_assert_true(memcmp(peer.received->data, payload, size) == 0);
	g_assert_false(peer.closed);

	/* closing the connection ends cat */
	iot_connection_close(connection);
	g_assert_true(iot_test_wait_exit(subprocess, IOT_TEST_TIMEOUT_MS));
	g_assert_false(peer.closed);
	iot_test_peer_clear(&peer);
}

/* the command's exit ends the stream after what it wrote: a clean end, no error */
static void
test_exec_endpoint_exit(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint =
	    iot_test_endpoint_new("{\"command\": [\"sh\", \"-c\", \"printf hello; exit 3\"]}",
				  &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;
	IotTestPeer peer = {0};

	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	subprocess = g_object_ref(iot_exec_stream_get_subprocess(IOT_EXEC_STREAM(stream)));
	connection = iot_test_peer_start(&peer, stream);
	g_assert_true(iot_test_wait_flag(&peer.closed, IOT_TEST_TIMEOUT_MS));
	g_assert_no_error(peer.closed_error);
	g_assert_cmpmem(peer.received->data, peer.received->len, "hello", 5);
	g_assert_true(iot_test_wait_exit(subprocess, IOT_TEST_TIMEOUT_MS));
	g_assert_true(g_subprocess_get_if_exited(subprocess));
	g_assert_cmpint(g_subprocess_get_exit_status(subprocess), ==, 3);
	iot_connection_close(connection);
	iot_test_peer_clear(&peer);
}

/* a child the command leaves behind still holds the socket: the exit ends the stream anyway */
static void
test_exec_endpoint_exit_orphan(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new(
	    "{\"command\": [\"sh\", \"-c\", \"sleep 30 2>/dev/null & echo $!\"]}",
	    &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autofree gchar *text = NULL;
	IotTestPeer peer = {0};
	guint64 orphan = 0;

	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	connection = iot_test_peer_start(&peer, stream);
	g_assert_true(iot_test_wait_flag(&peer.closed, IOT_TEST_TIMEOUT_MS));
	g_assert_no_error(peer.closed_error);
	text = g_strndup((const gchar *)peer.received->data, peer.received->len);
	g_strstrip(text);
	g_assert_true(g_ascii_string_to_unsigned(text, 10, 2, G_MAXINT, &orphan, NULL));
	kill((pid_t)orphan, SIGKILL);
	iot_connection_close(connection);
	iot_test_peer_clear(&peer);
}

/* closing the stream sends SIGTERM to a command that is still running */
static void
test_exec_endpoint_close_terminates(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint =
	    iot_test_endpoint_new("{\"command\": [\"sleep\", \"30\"]}", &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;

	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	subprocess = g_object_ref(iot_exec_stream_get_subprocess(IOT_EXEC_STREAM(stream)));
	g_assert_false(iot_exec_stream_get_exited(IOT_EXEC_STREAM(stream)));
	g_assert_true(g_io_stream_close(stream, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(iot_exec_stream_get_exited(IOT_EXEC_STREAM(stream)));
	g_assert_true(iot_test_wait_exit(subprocess, IOT_TEST_TIMEOUT_MS));
	g_assert_true(g_subprocess_get_if_signaled(subprocess));
	g_assert_cmpint(g_subprocess_get_term_sig(subprocess), ==, SIGTERM);
}

/* a stream dropped without a close ends its command too */
static void
test_exec_endpoint_dispose_terminates(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint =
	    iot_test_endpoint_new("{\"command\": [\"sleep\", \"30\"]}", &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;

	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	subprocess = g_object_ref(iot_exec_stream_get_subprocess(IOT_EXEC_STREAM(stream)));
	g_clear_object(&stream);
	g_assert_true(iot_test_wait_exit(subprocess, IOT_TEST_TIMEOUT_MS));
	g_assert_cmpint(g_subprocess_get_term_sig(subprocess), ==, SIGTERM);
}

/* a command that ignores SIGTERM gets SIGKILL once the grace period is over */
static void
test_exec_endpoint_close_kills(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = iot_test_endpoint_new(
	    "{\"command\": [\"sh\", \"-c\", \"trap '' TERM; printf ready; exec sleep 30\"], "
	    "\"grace_ms\": 300}",
	    &error);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;
	IotTestPeer peer = {0};
	gint64 start;
	gint64 elapsed_ms;

	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	subprocess = g_object_ref(iot_exec_stream_get_subprocess(IOT_EXEC_STREAM(stream)));
	connection = iot_test_peer_start(&peer, stream);
	/* the trap is set once it has written */
	g_assert_true(iot_test_peer_wait_received(&peer, 5, IOT_TEST_TIMEOUT_MS));
	start = g_get_monotonic_time();
	iot_connection_abort(connection);
	g_assert_true(iot_test_wait_exit(subprocess, IOT_TEST_TIMEOUT_MS));
	elapsed_ms = (g_get_monotonic_time() - start) / 1000;
	g_assert_true(g_subprocess_get_if_signaled(subprocess));
	g_assert_cmpint(g_subprocess_get_term_sig(subprocess), ==, SIGKILL);
	g_assert_cmpint(elapsed_ms, >=, 250);
	iot_test_peer_clear(&peer);
}

static void
test_exec_endpoint_missing_command(gconstpointer user_data)
{
	const gchar *program = user_data;
	g_autofree gchar *settings = g_strdup_printf("{\"command\": [\"%s\", \"-x\"]}", program);
	g_autofree gchar *expected = g_strdup_printf("cannot run %s: ", program);
	g_autoptr(GError) error = NULL;
	g_autoptr(IotEndpoint) endpoint = NULL;
	g_autoptr(GIOStream) stream = NULL;

	g_ptr_array_set_size(iot_test_warnings, 0);
	endpoint = iot_test_endpoint_new(settings, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(iot_test_warnings->len, ==, 1);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(iot_test_warnings, 0), program));
	g_assert_true(g_str_has_suffix(g_ptr_array_index(iot_test_warnings, 0),
				       " is not an executable program; connections to this service "
				       "will be reset until it is"));

	stream = iot_test_connect(endpoint, &error);
	g_assert_null(stream);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_CONNECT);
	g_assert_true(g_str_has_prefix(error->message, expected));
	g_assert_nonnull(strstr(error->message, "No such file or directory"));
}

/* environment added and removed, tokens never passed on, and the working directory */
static void
test_exec_endpoint_environment(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tmpdir = g_dir_make_tmp("iotunnel-exec-XXXXXX", &error);
	g_autofree gchar *realdir = NULL;
	g_autofree gchar *settings = NULL;
	g_autofree gchar *expected = NULL;
	g_autoptr(IotEndpoint) endpoint = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	IotTestPeer peer = {0};

	g_assert_no_error(error);
	realdir = g_canonicalize_filename(tmpdir, NULL);
	settings = g_strdup_printf(
	    "{\"command\": [\"sh\", \"-c\", \"printf '%%s|%%s|%%s|%%s|%%s' \\\"$IOT_A\\\" "
	    "\\\"${IOT_B-unset}\\\" \\\"${AWSIOT_TUNNEL_ACCESS_TOKEN-unset}\\\" "
	    "\\\"${AWSIOT_TUNNEL_CLIENT_TOKEN-unset}\\\" \\\"$(pwd -P)\\\"\"], "
	    "\"environment\": {\"IOT_A\": \"x y\", \"IOT_B\": null}, "
	    "\"working_directory\": \"%s\"}",
	    tmpdir);
	endpoint = iot_test_endpoint_new(settings, &error);
	g_assert_no_error(error);
	stream = iot_test_connect(endpoint, &error);
	g_assert_no_error(error);
	connection = iot_test_peer_start(&peer, stream);
	g_assert_true(iot_test_wait_flag(&peer.closed, IOT_TEST_TIMEOUT_MS));
	expected = g_strdup_printf("x y|unset|unset|unset|%s", realdir);
	g_assert_cmpmem(peer.received->data, peer.received->len, expected, strlen(expected));
	iot_connection_close(connection);
	iot_test_peer_clear(&peer);
	g_rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	int ret;

	/* what the command must not see, and what it must see removed */
	g_setenv("AWSIOT_TUNNEL_ACCESS_TOKEN", "test-access-token-never-passed-on", TRUE);
	g_setenv("AWSIOT_TUNNEL_CLIENT_TOKEN", "test-client-token-never-passed-on", TRUE);
	g_setenv("IOT_B", "set by the test", TRUE);
	g_test_init(&argc, &argv, NULL);
	iot_test_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(iot_test_log_writer, NULL, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(iot_test_bad_settings); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/exec-endpoint/bad-settings/%s",
							 iot_test_bad_settings[i].name);
		g_test_add_data_func(path,
				     &iot_test_bad_settings[i],
				     test_exec_endpoint_bad_settings);
	}
	g_test_add_func("/iotunnel/exec-endpoint/good-settings", test_exec_endpoint_good_settings);
	g_test_add_func("/iotunnel/exec-endpoint/listen", test_exec_endpoint_listen);
	g_test_add_func("/iotunnel/exec-endpoint/echo", test_exec_endpoint_echo);
	g_test_add_func("/iotunnel/exec-endpoint/exit", test_exec_endpoint_exit);
	g_test_add_func("/iotunnel/exec-endpoint/exit-orphan", test_exec_endpoint_exit_orphan);
	g_test_add_func("/iotunnel/exec-endpoint/close-terminates",
			test_exec_endpoint_close_terminates);
	g_test_add_func("/iotunnel/exec-endpoint/dispose-terminates",
			test_exec_endpoint_dispose_terminates);
	g_test_add_func("/iotunnel/exec-endpoint/close-kills", test_exec_endpoint_close_kills);
	g_test_add_data_func("/iotunnel/exec-endpoint/missing-command/path",
			     "/nonexistent/iotunnel-test-command",
			     test_exec_endpoint_missing_command);
	g_test_add_data_func("/iotunnel/exec-endpoint/missing-command/search",
			     "iotunnel-test-no-such-command",
			     test_exec_endpoint_missing_command);
	g_test_add_func("/iotunnel/exec-endpoint/environment", test_exec_endpoint_environment);
	ret = g_test_run();
	g_ptr_array_unref(iot_test_warnings);
	return ret;
}
