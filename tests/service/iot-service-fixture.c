/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-fixture.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

gchar *state_dir = NULL;

/* makes the state folder every test's service uses */
void
fixture_init_state_dir(void)
{
	g_autoptr(GError) error = NULL;

	state_dir = g_dir_make_tmp("iotunnel-service-test-XXXXXX", &error);
	g_assert_no_error(error);
}

/* removes @path and, for a folder, everything in it */
static void
fixture_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		fixture_remove_tree(child);
	}
	g_remove(path);
}

/* removes the state folder and what the services left in it */
void
fixture_remove_state_dir(void)
{
	fixture_remove_tree(state_dir);
	g_clear_pointer(&state_dir, g_free);
}

void
tunnel_free(Tunnel *tunnel)
{
	g_free(tunnel->id);
	g_free(tunnel->source_token);
	g_free(tunnel->destination_token);
	g_free(tunnel);
}

/* byte i is (7 * i + k) & 0xff, as in the vectors */
GBytes *
pattern(gsize n, guint k)
{
	guint8 *data = g_malloc(n);
	for (gsize i = 0; i < n; i++)
		data[i] = (7 * i + k) & 0xff;
	return g_bytes_new_take(data, n);
}

GBytes *
encode(const IotMessage *msg)
{
	g_autoptr(GError) error = NULL;
	GBytes *frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	return frame;
}

GBytes *
encode_full(IotMessageType type,
	    gint32 stream_id,
	    const gchar *service_id,
	    guint32 connection_id,
	    GBytes *payload)
{
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(type, stream_id, service_id, connection_id, payload);
	return encode(msg);
}

/* the service process */

static void
fixture_stderr_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;

	bytes = g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);
	if (bytes == NULL || g_bytes_get_size(bytes) == 0) {
		fixture->stderr_done = TRUE;
		return;
	}
	g_string_append_len(fixture->log, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	g_input_stream_read_bytes_async(G_INPUT_STREAM(source),
					65536,
					G_PRIORITY_DEFAULT,
					NULL,
					fixture_stderr_cb,
					fixture);
}

typedef struct {
	gchar *line;
	gboolean done;
} LineRead;

static void
fixture_line_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	LineRead *read = user_data;
	read->line =
	    g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, NULL);
	read->done = TRUE;
}

/*
 * In the service's process before it runs: it dies with the test, so that a
 * test that fails half-way leaves no service behind; and its descriptor
 * limit, soft and hard, when the test sets one.
 */
static void
fixture_child_setup(gpointer user_data)
{
	struct rlimit limit = {GPOINTER_TO_UINT(user_data), GPOINTER_TO_UINT(user_data)};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (limit.rlim_cur != 0)
		setrlimit(RLIMIT_NOFILE, &limit);
}

void
fixture_setup(Fixture *fixture, gconstpointer user_data)
{
	const gchar *binary = g_getenv("IOTUNNEL_SERVICE");
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;

	if (binary == NULL)
		binary = IOTUNNEL_SERVICE_PATH;
	/* each test starts with no tunnel, unless it restarts the service */
	if (!fixture->restarted) {
		g_autofree gchar *tunnels_file = g_build_filename(state_dir, "tunnels.json", NULL);
		g_remove(tunnels_file);
	}
	fixture->log = g_string_new(NULL);
	fixture->secrets = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(fixture->secrets, g_strdup(ADMIN_TOKEN));
	fixture->cancellable = g_cancellable_new();

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_setenv(launcher, "IOTUNNEL_SERVICE_ADMIN_TOKEN", ADMIN_TOKEN, TRUE);
	g_subprocess_launcher_setenv(launcher, "G_DEBUG", "fatal-criticals", TRUE);
#if defined(__SANITIZE_ADDRESS__)
	{
		/* freed memory waits in ASan's quarantine (256 MiB) and would hide the bound */
		const gchar *asan_options = g_getenv("ASAN_OPTIONS");
		g_autofree gchar *options =
		    g_strdup_printf("%s%squarantine_size_mb=4",
				    asan_options != NULL ? asan_options : "",
				    asan_options != NULL ? ":" : "");
		g_subprocess_launcher_setenv(launcher, "ASAN_OPTIONS", options, TRUE);
	}
#endif
	{
		g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(args, g_strdup(binary));
		g_ptr_array_add(args, g_strdup("--port"));
		g_ptr_array_add(args, g_strdup("0"));
		g_ptr_array_add(args, g_strdup("--state-dir"));
		g_ptr_array_add(args, g_strdup(state_dir));
		if (!fixture->quiet)
			g_ptr_array_add(args, g_strdup("--verbose"));
		if (fixture->plain)
			g_ptr_array_add(args, g_strdup("--plain"));
		if (fixture->user_cert) {
			g_ptr_array_add(args, g_strdup("--cert"));
			g_ptr_array_add(args, g_build_filename(state_dir, "server.pem", NULL));
			g_ptr_array_add(args, g_strdup("--key"));
			g_ptr_array_add(args, g_build_filename(state_dir, "server-key.pem", NULL));
		}
		for (guint i = 0; fixture->args != NULL && fixture->args[i] != NULL; i++)
			g_ptr_array_add(args, g_strdup(fixture->args[i]));
		g_ptr_array_add(args, NULL);
		g_subprocess_launcher_set_child_setup(launcher,
						      fixture_child_setup,
						      GUINT_TO_POINTER(fixture->fd_limit),
						      NULL);
		fixture->process = g_subprocess_launcher_spawnv(launcher,
								(const gchar *const *)args->pdata,
								&error);
	}
	g_assert_no_error(error);
	g_input_stream_read_bytes_async(g_subprocess_get_stderr_pipe(fixture->process),
					65536,
					G_PRIORITY_DEFAULT,
					NULL,
					fixture_stderr_cb,
					fixture);
	fixture->stdout_data =
	    g_data_input_stream_new(g_subprocess_get_stdout_pipe(fixture->process));
	while (fixture->port == 0) {
		const gchar *listening =
		    fixture->plain ? "listening ws://127.0.0.1:" : "listening wss://127.0.0.1:";
		LineRead read = {NULL, FALSE};
		g_data_input_stream_read_line_async(fixture->stdout_data,
						    G_PRIORITY_DEFAULT,
						    NULL,
						    fixture_line_cb,
						    &read);
		IOT_TEST_WAIT_UNTIL_MS(read.done, 20000);
		if (read.line == NULL)
			g_error("the service exited before listening:\n%s", fixture->log->str);
		if (g_str_has_prefix(read.line, "ca-file "))
			fixture->ca_file = g_strdup(read.line + strlen("ca-file "));
		if (g_str_has_prefix(read.line, "ca-dir "))
			fixture->ca_dir = g_strdup(read.line + strlen("ca-dir "));
		if (g_str_has_prefix(read.line, listening))
			fixture->port = atoi(read.line + strlen(listening));
		g_free(read.line);
	}
	fixture->session = soup_session_new();
	if (fixture->plain || fixture->user_cert) {
		/* no CA of its own to print */
		g_assert_null(fixture->ca_file);
		g_assert_null(fixture->ca_dir);
	} else {
		g_assert_nonnull(fixture->ca_file);
		g_assert_nonnull(fixture->ca_dir);
	}
	if (fixture->user_cert)
		fixture->ca_file = g_build_filename(state_dir, "ca.pem", NULL);
	if (!fixture->plain) {
		fixture->database = g_tls_file_database_new(fixture->ca_file, &error);
		g_assert_no_error(error);
		soup_session_set_tls_database(fixture->session, fixture->database);
	}
}

void
fixture_setup_plain(Fixture *fixture, gconstpointer user_data)
{
	fixture->plain = TRUE;
	fixture_setup(fixture, user_data);
}

static void
fixture_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *done = user_data;
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	*done = TRUE;
}

void
fixture_teardown(Fixture *fixture, gconstpointer user_data)
{
	gboolean exited = FALSE;

	g_subprocess_send_signal(fixture->process, SIGTERM);
	g_subprocess_wait_async(fixture->process, NULL, fixture_wait_cb, &exited);
	IOT_TEST_WAIT_UNTIL_MS(exited, 10000);
	IOT_TEST_WAIT_UNTIL_MS(fixture->stderr_done, 10000);
	if (!g_subprocess_get_if_exited(fixture->process) ||
	    g_subprocess_get_exit_status(fixture->process) != 0)
		g_error("the service did not exit cleanly:\n%s", fixture->log->str);

	/* no token, at any log level */
	for (guint i = 0; i < fixture->secrets->len; i++) {
		const gchar *secret = g_ptr_array_index(fixture->secrets, i);
		if (strstr(fixture->log->str, secret) != NULL)
			g_error("the log holds a secret:\n%s", fixture->log->str);
	}
	if (g_test_verbose())
		g_test_message("service log:\n%s", fixture->log->str);

	g_clear_object(&fixture->session);
	g_clear_object(&fixture->database);
	g_clear_object(&fixture->stdout_data);
	g_clear_object(&fixture->process);
	g_clear_object(&fixture->cancellable);
	g_ptr_array_unref(fixture->secrets);
	g_string_free(fixture->log, TRUE);
	g_free(fixture->ca_file);
	g_free(fixture->ca_dir);
	g_strfreev(fixture->args);
}

/* stops the service and starts it again, with or without --cert and --key */
void
fixture_restart(Fixture *fixture, gboolean user_cert)
{
	gboolean plain = fixture->plain;
	gboolean quiet = fixture->quiet;
	guint fd_limit = fixture->fd_limit;
	GStrv args = g_steal_pointer(&fixture->args);

	fixture_teardown(fixture, NULL);
	memset(fixture, 0, sizeof(*fixture));
	fixture->plain = plain;
	fixture->quiet = quiet;
	fixture->fd_limit = fd_limit;
	fixture->args = args;
	fixture->user_cert = user_cert;
	fixture->restarted = TRUE;
	fixture_setup(fixture, NULL);
}

/* the figure of one line of /proc/PID/status */
static guint64
fixture_get_status(Fixture *fixture, const gchar *name)
{
	g_autofree gchar *path =
	    g_strdup_printf("/proc/%s/status", g_subprocess_get_identifier(fixture->process));
	g_autofree gchar *contents = NULL;
	g_autofree gchar *key = g_strdup_printf("\n%s:", name);
	g_autoptr(GError) error = NULL;
	const gchar *line;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	line = strstr(contents, key);
	g_assert_nonnull(line);
	return g_ascii_strtoull(line + strlen(key), NULL, 10);
}

guint64
fixture_get_rss_kib(Fixture *fixture)
{
	return fixture_get_status(fixture, "VmRSS");
}

guint
fixture_get_n_threads(Fixture *fixture)
{
	return fixture_get_status(fixture, "Threads");
}

/* the sockets the service holds open: listening, connections, whatever their state */
guint
fixture_get_n_sockets(Fixture *fixture)
{
	g_autofree gchar *path =
	    g_strdup_printf("/proc/%s/fd", g_subprocess_get_identifier(fixture->process));
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	guint n = 0;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *link = g_build_filename(path, name, NULL);
		g_autofree gchar *target = g_file_read_link(link, NULL);
		if (target != NULL && g_str_has_prefix(target, "socket:"))
			n++;
	}
	return n;
}

/* the API */

void
api_call_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ApiCall *call = user_data;
	call->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &call->error);
	call->done = TRUE;
}

/* makes one API call; returns the JSON answer and sets @status */
JsonNode *
api_call_full(Fixture *fixture,
	      const gchar *method,
	      const gchar *path,
	      const gchar *body,
	      const gchar *admin_token,
	      guint *status)
{
	g_autofree gchar *url = g_strdup_printf("%s://127.0.0.1:%u%s",
						fixture->plain ? "http" : "https",
						fixture->port,
						path);
	g_autoptr(SoupMessage) msg = soup_message_new(method, url);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	ApiCall call = {NULL, NULL, FALSE};

	if (admin_token != NULL) {
		g_autofree gchar *value = g_strdup_printf("Bearer %s", admin_token);
		soup_message_headers_replace(soup_message_get_request_headers(msg),
					     "Authorization",
					     value);
	}
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", bytes);
	}
	soup_session_send_and_read_async(fixture->session,
					 msg,
					 G_PRIORITY_DEFAULT,
					 NULL,
					 api_call_cb,
					 &call);
	IOT_TEST_WAIT_UNTIL_MS(call.done, 10000);
	g_assert_no_error(call.error);
	*status = soup_message_get_status(msg);
	json_parser_load_from_data(parser,
				   g_bytes_get_data(call.body, NULL),
				   g_bytes_get_size(call.body),
				   &error);
	g_bytes_unref(call.body);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

JsonObject *
api_call(Fixture *fixture, const gchar *method, const gchar *path, const gchar *body, guint expect)
{
	guint status = 0;
	g_autoptr(JsonNode) node = api_call_full(fixture, method, path, body, ADMIN_TOKEN, &status);
	g_assert_cmpuint(status, ==, expect);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
	return json_object_ref(json_node_get_object(node));
}

Tunnel *
open_tunnel(Fixture *fixture, const gchar *body)
{
	g_autoptr(JsonObject) answer = api_call(fixture, "POST", "/api/tunnels", body, 201);
	Tunnel *tunnel = g_new0(Tunnel, 1);

	tunnel->id = g_strdup(json_object_get_string_member(answer, "tunnelId"));
	tunnel->source_token = g_strdup(json_object_get_string_member(answer, "sourceAccessToken"));
	tunnel->destination_token =
	    g_strdup(json_object_get_string_member(answer, "destinationAccessToken"));
	g_assert_nonnull(tunnel->id);
	g_assert_nonnull(tunnel->source_token);
	g_assert_nonnull(tunnel->destination_token);
	g_assert_cmpstr(tunnel->source_token, !=, tunnel->destination_token);
	g_ptr_array_add(fixture->secrets, g_strdup(tunnel->source_token));
	g_ptr_array_add(fixture->secrets, g_strdup(tunnel->destination_token));
	return tunnel;
}

JsonObject *
describe_tunnel(Fixture *fixture, const gchar *id)
{
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", id);
	return api_call(fixture, "GET", path, NULL, 200);
}

/* a scripted libsoup WebSocket client */

void
client_free(Client *client)
{
	if (client->ws != NULL) {
		g_signal_handlers_disconnect_by_data(client->ws, client);
		if (soup_websocket_connection_get_state(client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(client->ws,
							SOUP_WEBSOCKET_CLOSE_NORMAL,
							NULL);
	}
	g_clear_object(&client->ws);
	g_clear_object(&client->msg);
	g_clear_object(&client->session);
	g_clear_error(&client->error);
	g_byte_array_unref(client->received);
	g_object_unref(client->decoder);
	g_ptr_array_unref(client->messages);
	g_free(client->close_data);
	g_free(client);
}

Client *
client_new(Fixture *fixture, const gchar *path)
{
	Client *client = g_new0(Client, 1);
	g_autofree gchar *url = g_strdup_printf("%s://127.0.0.1:%u%s",
						fixture->plain ? "ws" : "wss",
						fixture->port,
						path);

	client->session = soup_session_new();
	if (fixture->database != NULL)
		soup_session_set_tls_database(client->session, fixture->database);
	client->msg = soup_message_new("GET", url);
	client->received = g_byte_array_new();
	client->decoder = iot_frame_decoder_new();
	client->messages = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	return client;
}

void
client_add_header(Client *client, const gchar *name, const gchar *value)
{
	soup_message_headers_append(soup_message_get_request_headers(client->msg), name, value);
}

static void
client_message_cb(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer user_data)
{
	Client *client = user_data;
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(type, ==, SOUP_WEBSOCKET_DATA_BINARY);
	g_assert_cmpuint(g_bytes_get_size(message), <=, IOT_WEBSOCKET_MAX_PAYLOAD);
	client->n_received++;
	g_byte_array_append(client->received,
			    g_bytes_get_data(message, NULL),
			    g_bytes_get_size(message));
	iot_frame_decoder_push(client->decoder, message);
	for (;;) {
		IotMessage *msg = iot_frame_decoder_next(client->decoder, &error);
		g_assert_no_error(error);
		if (msg == NULL)
			break;
		g_ptr_array_add(client->messages, msg);
	}
}

static void
client_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	Client *client = user_data;
	client->closed = TRUE;
	client->close_code = soup_websocket_connection_get_close_code(ws);
	client->close_data = g_strdup(soup_websocket_connection_get_close_data(ws));
}

static void
client_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Client *client = user_data;
	client->ws =
	    soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &client->error);
	client->done = TRUE;
}

/* does the handshake offering @protocols; returns the HTTP status */
guint
client_connect_offering(Client *client, const gchar *const *protocols)
{
	soup_session_websocket_connect_async(client->session,
					     client->msg,
					     NULL,
					     (gchar **)protocols,
					     G_PRIORITY_DEFAULT,
					     NULL,
					     client_connect_cb,
					     client);
	IOT_TEST_WAIT_UNTIL_MS(client->done, 10000);
	if (client->ws != NULL) {
		/* the other side may send up to the protocol's limit */
		soup_websocket_connection_set_max_incoming_payload_size(client->ws,
									IOT_WEBSOCKET_MAX_PAYLOAD);
		g_signal_connect(client->ws, "message", G_CALLBACK(client_message_cb), client);
		g_signal_connect(client->ws, "closed", G_CALLBACK(client_closed_cb), client);
	}
	return soup_message_get_status(client->msg);
}

/* does the handshake offering @protocol alone, or none; returns the HTTP status */
guint
client_connect(Client *client, const gchar *protocol)
{
	const gchar *protocols[] = {protocol, NULL};
	return client_connect_offering(client, protocol != NULL ? protocols : NULL);
}

const gchar *
client_get_response_header(Client *client, const gchar *name)
{
	return soup_message_headers_get_one(soup_message_get_response_headers(client->msg), name);
}

Client *
client_open(Fixture *fixture,
	    const gchar *mode,
	    const gchar *token,
	    const gchar *client_token,
	    const gchar *protocol)
{
	g_autofree gchar *path = g_strdup_printf("/tunnel?local-proxy-mode=%s", mode);
	Client *client = client_new(fixture, path);

	client_add_header(client, "access-token", token);
	if (client_token != NULL)
		client_add_header(client, "client-token", client_token);
	g_assert_cmpuint(client_connect(client, protocol), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
	g_assert_no_error(client->error);
	g_assert_nonnull(client->ws);
	g_assert_cmpstr(soup_websocket_connection_get_protocol(client->ws), ==, protocol);
	g_assert_nonnull(client_get_response_header(client, "channel-id"));
	return client;
}

void
client_send(Client *client, GBytes *payload)
{
	soup_websocket_connection_send_message(client->ws, SOUP_WEBSOCKET_DATA_BINARY, payload);
}

void
client_wait_closed(Client *client, gushort code)
{
	IOT_TEST_WAIT_UNTIL_MS(client->closed, 10000);
	g_assert_cmpuint(client->close_code, ==, code);
}

/* waits for the SERVICE_IDS a 2.0 or 3.0 peer gets first, and checks it */
void
client_expect_service_ids(Client *client, const gchar *const *services)
{
	IotMessage *msg;

	IOT_TEST_WAIT_UNTIL_MS(client->messages->len >= 1, 10000);
	msg = g_ptr_array_index(client->messages, 0);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_SERVICE_IDS);
	g_assert_cmpint(msg->stream_id, ==, 0);
	if (services[0] == NULL) {
		g_assert_true(msg->available_service_ids == NULL ||
			      msg->available_service_ids[0] == NULL);
	} else {
		g_assert_nonnull(msg->available_service_ids);
		g_assert_cmpstrv(msg->available_service_ids, services);
	}
}

/* the bytes received after the first @skip bytes */
void
client_assert_received(Client *client, gsize skip, const GByteArray *expected)
{
	IOT_TEST_WAIT_UNTIL_MS(client->received->len >= skip + expected->len, 20000);
	g_assert_cmpmem(client->received->data + skip,
			client->received->len - skip,
			expected->data,
			expected->len);
}

/* a raw TLS WebSocket client: it writes as fast as the socket takes, or never reads */

void
raw_client_free(RawClient *raw)
{
	g_cancellable_cancel(raw->cancellable);
	g_clear_object(&raw->cancellable);
	g_clear_pointer(&raw->block, g_bytes_unref);
	g_clear_object(&raw->stream);
	g_free(raw);
}

static void
raw_client_event_cb(GSocketClient *socket_client,
		    GSocketClientEvent event,
		    GSocketConnectable *connectable,
		    GIOStream *connection,
		    gpointer user_data)
{
	Fixture *fixture = user_data;
	if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
		g_tls_connection_set_database(G_TLS_CONNECTION(connection), fixture->database);
}

/* a connection to the service, TLS done unless it serves plain ws://; blocking, 10 s at most */
GIOStream *
raw_connect(Fixture *fixture)
{
	g_autoptr(GSocketClient) socket_client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection;

	g_socket_client_set_tls(socket_client, !fixture->plain);
	g_socket_client_set_timeout(socket_client, 10);
	g_signal_connect(socket_client, "event", G_CALLBACK(raw_client_event_cb), fixture);
	connection = g_socket_client_connect_to_host(socket_client,
						     "127.0.0.1",
						     fixture->port,
						     NULL,
						     &error);
	g_assert_no_error(error);
	return G_IO_STREAM(connection);
}

RawClient *
raw_client_open(Fixture *fixture, const gchar *mode, const gchar *token)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *request = NULL;
	g_autoptr(GString) response = g_string_new(NULL);
	RawClient *raw = g_new0(RawClient, 1);

	raw->stream = raw_connect(fixture);
	raw->cancellable = g_cancellable_new();
	request = g_strdup_printf("GET /tunnel?local-proxy-mode=%s HTTP/1.1\r\n"
				  "Host: 127.0.0.1:%u\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "Sec-WebSocket-Protocol: aws.iot.securetunneling-3.0\r\n"
				  "access-token: %s\r\n"
				  "\r\n",
				  mode,
				  fixture->port,
				  token);
	g_output_stream_write_all(g_io_stream_get_output_stream(raw->stream),
				  request,
				  strlen(request),
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
	/* the answer, byte by byte so that nothing after it is taken */
	while (!g_str_has_suffix(response->str, "\r\n\r\n")) {
		gchar c;
		gssize n = g_input_stream_read(g_io_stream_get_input_stream(raw->stream),
					       &c,
					       1,
					       NULL,
					       &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, ==, 1);
		g_string_append_c(response, c);
	}
	g_assert_true(g_str_has_prefix(response->str, "HTTP/1.1 101"));
	return raw;
}

/* one masked binary WebSocket frame, with the zero mask so the payload stays as it is */
GBytes *
raw_frame(GBytes *payload)
{
	gsize len = g_bytes_get_size(payload);
	g_autoptr(GByteArray) frame = g_byte_array_sized_new(len + 8);
	guint8 header[8] = {0x82, 0x80 | 126, (len >> 8) & 0xff, len & 0xff, 0, 0, 0, 0};

	g_assert_cmpuint(len, <=, G_MAXUINT16);
	g_assert_cmpuint(len, >=, 126);
	g_byte_array_append(frame, header, sizeof(header));
	g_byte_array_append(frame, g_bytes_get_data(payload, NULL), len);
	return g_byte_array_free_to_bytes(g_steal_pointer(&frame));
}

static void
raw_client_write_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RawClient *raw = user_data;
	g_autoptr(GError) error = NULL;
	gsize n = 0;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, &n, &error)) {
		/* cancelled: @raw is gone */
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			raw->writing = FALSE;
		return;
	}
	raw->written += n;
	raw->last_progress = g_get_monotonic_time();
	raw_client_write_next(raw);
}

void
raw_client_write_next(RawClient *raw)
{
	if (raw->written >= raw->write_limit) {
		raw->writing = FALSE;
		return;
	}
	raw->writing = TRUE;
	g_output_stream_write_all_async(g_io_stream_get_output_stream(raw->stream),
					g_bytes_get_data(raw->block, NULL),
					g_bytes_get_size(raw->block),
					G_PRIORITY_DEFAULT,
					raw->cancellable,
					raw_client_write_cb,
					raw);
}

static void
raw_client_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RawClient *raw = user_data;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;

	bytes = g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);
	/* cancelled: @raw is gone */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return;
	if (bytes == NULL || g_bytes_get_size(bytes) == 0) {
		raw->reading = FALSE;
		return;
	}
	raw->read += g_bytes_get_size(bytes);
	raw_client_read_next(raw);
}

void
raw_client_read_next(RawClient *raw)
{
	raw->reading = TRUE;
	g_input_stream_read_bytes_async(g_io_stream_get_input_stream(raw->stream),
					256 * 1024,
					G_PRIORITY_DEFAULT,
					raw->cancellable,
					raw_client_read_cb,
					raw);
}
