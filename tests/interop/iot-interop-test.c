/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Replays what the reference local proxy sent as a source (../shared/vectors)
 * through a real iotunnel-service to a real destination iotunneld, and checks
 * what reaches the local apps and what our destination sends back.
 */

#include "config.h"

#include <iotunnel.h>

#include <errno.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/socket.h>

#include "iot-test-tunnel.h"
#include "iot-test-wait.h"

#define IOT_INTEROP_TIMEOUT_S 30

/* one line of messages.txt */
typedef struct {
	gboolean from_source;
	gsize offset;
	IotMessageType type;
} VectorLine;

typedef struct {
	const gchar *folder;
	const gchar *subprotocol; /* what the source offers */
	const gchar *const *services;
	gboolean unreachable; /* nothing listens at the destination */
} Scenario;

/* bytes per connection, keyed "service/stream/connection" (connection 0 counts as 1) */
typedef struct {
	GHashTable *returned; /* of GByteArray: DATA our destination sent */
	GHashTable *sent;     /* of GByteArray: DATA the source sent */
	GPtrArray *resets;    /* of IotMessage: resets our destination sent */
	IotFrameDecoder *decoder;
	SoupWebsocketConnection *ws;
	gboolean closed;
	guint service_ids;
} Replay;

/* a local app that writes back what it reads, one thread per connection */
typedef struct {
	GSocket *listener;
	guint16 port;
	GMutex mutex;
	GPtrArray *received; /* of GByteArray, one per connection */
	guint ended;	     /* connections that reached end of stream */
	gboolean stop;
	GThread *thread;
} EchoApp;

typedef struct {
	EchoApp *app;
	GSocket *socket;
	GByteArray *received;
} EchoConnection;

static gpointer
echo_connection_thread(gpointer data)
{
	EchoConnection *connection = data;
	gint fd = g_socket_get_fd(connection->socket);
	guint8 buffer[65536];

	g_unix_set_fd_nonblocking(fd, FALSE, NULL);
	for (;;) {
		ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_mutex_lock(&connection->app->mutex);
		g_byte_array_append(connection->received, buffer, n);
		g_mutex_unlock(&connection->app->mutex);
		if (send(fd, buffer, n, MSG_NOSIGNAL) != n)
			break;
	}
	g_mutex_lock(&connection->app->mutex);
	connection->app->ended++;
	g_mutex_unlock(&connection->app->mutex);
	g_object_unref(connection->socket);
	g_free(connection);
	return NULL;
}

static gpointer
echo_app_thread(gpointer data)
{
	EchoApp *app = data;
	while (!app->stop) {
		g_autoptr(GError) error = NULL;
		GSocket *socket = iot_test_accept(app->listener, 1, &error);
		EchoConnection *connection;
		if (socket == NULL)
			continue;
		connection = g_new0(EchoConnection, 1);
		connection->app = app;
		connection->socket = socket;
		g_mutex_lock(&app->mutex);
		connection->received = g_byte_array_new();
		g_ptr_array_add(app->received, connection->received);
		g_mutex_unlock(&app->mutex);
		g_thread_unref(g_thread_new("echo", echo_connection_thread, connection));
	}
	return NULL;
}

static void
echo_app_start(EchoApp *app)
{
	g_autoptr(GError) error = NULL;
	g_mutex_init(&app->mutex);
	app->received = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	app->listener = iot_test_listen_tcp(&app->port, &error);
	g_assert_no_error(error);
	app->thread = g_thread_new("echo-app", echo_app_thread, app);
}

static void
echo_app_stop(EchoApp *app)
{
	app->stop = TRUE;
	g_thread_join(app->thread);
	g_clear_object(&app->listener);
	g_ptr_array_unref(app->received);
	g_mutex_clear(&app->mutex);
}

/* with one service the service ID is left out: V1-format answers carry none */
static gboolean keys_name_services = FALSE;

static gchar *
key_for(const IotMessage *msg)
{
	return g_strdup_printf("%s/%d/%u",
			       keys_name_services && msg->service_id != NULL ? msg->service_id : "",
			       msg->stream_id,
			       msg->connection_id != 0 ? msg->connection_id : 1);
}

static void
append_bytes(GHashTable *table, const IotMessage *msg)
{
	g_autofree gchar *key = key_for(msg);
	GBytes *payload = msg->payload;
	GByteArray *array = g_hash_table_lookup(table, key);
	if (array == NULL) {
		array = g_byte_array_new();
		g_hash_table_insert(table, g_steal_pointer(&key), array);
	}
	if (payload != NULL)
		g_byte_array_append(array,
				    g_bytes_get_data(payload, NULL),
				    g_bytes_get_size(payload));
}

static gsize
table_size(GHashTable *table, const gchar *key)
{
	GByteArray *array = g_hash_table_lookup(table, key);
	return array != NULL ? array->len : 0;
}

static GPtrArray *
load_lines(const gchar *folder)
{
	g_autofree gchar *path = g_build_filename(folder, "messages.txt", NULL);
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GRegex) regex =
	    g_regex_new("^(source|destination)\\s+ws#\\d+\\s+off=(\\d+)\\s+(\\w+)\\s", 0, 0, NULL);
	GPtrArray *result = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree gchar *sender = NULL;
		g_autofree gchar *offset = NULL;
		g_autofree gchar *type = NULL;
		VectorLine *line;
		if (!g_regex_match(regex, lines[i], 0, &match))
			continue;
		line = g_new0(VectorLine, 1);
		sender = g_match_info_fetch(match, 1);
		offset = g_match_info_fetch(match, 2);
		type = g_match_info_fetch(match, 3);
		line->from_source = g_str_equal(sender, "source");
		line->offset = g_ascii_strtoull(offset, NULL, 10);
		for (guint t = 1; t <= IOT_MESSAGE_TYPE_LAST; t++) {
			if (g_str_equal(type, iot_message_type_to_string(t)))
				line->type = t;
		}
		g_ptr_array_add(result, line);
	}
	return result;
}

static void
replay_message_cb(SoupWebsocketConnection *ws, gint type, GBytes *message, Replay *replay)
{
	g_autoptr(GError) error = NULL;
	IotMessage *msg;

	g_assert_cmpint(type, ==, SOUP_WEBSOCKET_DATA_BINARY);
	iot_frame_decoder_push(replay->decoder, message);
	while ((msg = iot_frame_decoder_next(replay->decoder, &error)) != NULL) {
		if (msg->type == IOT_MESSAGE_TYPE_DATA)
			append_bytes(replay->returned, msg);
		else if (msg->type == IOT_MESSAGE_TYPE_SERVICE_IDS)
			replay->service_ids++;
		else if (msg->type == IOT_MESSAGE_TYPE_STREAM_RESET ||
			 msg->type == IOT_MESSAGE_TYPE_CONNECTION_RESET) {
			g_ptr_array_add(replay->resets, msg);
			continue;
		}
		iot_message_free(msg);
	}
	g_assert_no_error(error);
}

static void
replay_closed_cb(SoupWebsocketConnection *ws, Replay *replay)
{
	replay->closed = TRUE;
}

static void
replay_connect_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	Replay *replay = data;
	g_autoptr(GError) error = NULL;
	replay->ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &error);
	g_assert_no_error(error);
}

/* connects to the service as the tunnel's source, as the reference did */
static void
replay_connect(Replay *replay, IotTestTunnel *tunnel, const gchar *subprotocol)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsDatabase) database = g_tls_file_database_new(tunnel->ca_file, &error);
	g_autofree gchar *uri =
	    g_strdup_printf("wss://%s/tunnel?local-proxy-mode=source", tunnel->endpoint);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
	const gchar *protocols[] = {subprotocol, NULL};

	g_assert_no_error(error);
	soup_session_set_tls_database(session, database);
	soup_message_headers_replace(soup_message_get_request_headers(msg),
				     "access-token",
				     tunnel->source_token);
	soup_session_websocket_connect_async(session,
					     msg,
					     NULL,
					     (gchar **)protocols,
					     G_PRIORITY_DEFAULT,
					     NULL,
					     replay_connect_cb,
					     replay);
	IOT_TEST_WAIT_UNTIL_MS(replay->ws != NULL, IOT_INTEROP_TIMEOUT_S * 1000);
	soup_websocket_connection_set_max_incoming_payload_size(replay->ws,
								IOT_WEBSOCKET_MAX_PAYLOAD);
	g_signal_connect(replay->ws, "message", G_CALLBACK(replay_message_cb), replay);
	g_signal_connect(replay->ws, "closed", G_CALLBACK(replay_closed_cb), replay);
}

static void
replay_send(Replay *replay, const guint8 *data, gsize len)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, len);
	soup_websocket_connection_send_message(replay->ws, SOUP_WEBSOCKET_DATA_BINARY, bytes);
}

/* a stream id nobody started: our destination must drop its messages */
static void
replay_send_stale(Replay *replay, const gchar *service_id, guint32 connection_id)
{
	g_autoptr(GBytes) payload = g_bytes_new_static("STALE", 5);
	g_autoptr(IotMessage) data =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 77, service_id, connection_id, payload);
	g_autoptr(IotMessage) reset = iot_message_new_full(
	    connection_id != 0 ? IOT_MESSAGE_TYPE_CONNECTION_RESET : IOT_MESSAGE_TYPE_STREAM_RESET,
	    77,
	    service_id,
	    connection_id,
	    NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame1 = iot_frame_encode(data, &error);
	g_autoptr(GBytes) frame2 = iot_frame_encode(reset, &error);
	g_assert_no_error(error);
	soup_websocket_connection_send_message(replay->ws, SOUP_WEBSOCKET_DATA_BINARY, frame1);
	soup_websocket_connection_send_message(replay->ws, SOUP_WEBSOCKET_DATA_BINARY, frame2);
}

static gchar *
destination_profile(const Scenario *scenario, EchoApp *apps)
{
	g_autoptr(GString) services = g_string_new(NULL);
	for (guint i = 0; scenario->services[i] != NULL; i++) {
		g_string_append_printf(
		    services,
		    "%s\"%s\": {\"endpoint\": \"tcp\", \"address\": "
		    "\"127.0.0.1:%u\", \"retry_count\": 1, \"retry_delay_ms\": 100}",
		    i > 0 ? ", " : "",
		    scenario->services[i],
		    scenario->unreachable ? 1 : apps[i].port);
	}
	return g_strdup_printf(
	    "{\"tunnels\": [{\"name\": \"interop\", \"mode\": \"destination\", "
	    "\"service\": {\"endpoint\": \"@ENDPOINT@\"}, "
	    "\"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"}, \"protocol\": \"%s\", "
	    "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"@CA@\"}, \"services\": "
	    "{%s}}]}",
	    g_str_has_suffix(scenario->subprotocol, "2.0") ? "v2" : "v3",
	    services->str);
}

static void
test_replay(gconstpointer data)
{
	const Scenario *scenario = data;
	g_autofree gchar *folder = NULL;
	g_autofree gchar *source_path = NULL;
	g_autofree gchar *destination_path = NULL;
	g_autofree gchar *source_bin = NULL;
	g_autofree gchar *destination_bin = NULL;
	g_autofree gchar *profile = NULL;
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GError) error = NULL;
	gsize source_len = 0;
	gsize destination_len = 0;
	guint n_services = g_strv_length((gchar **)scenario->services);
	g_autofree EchoApp *apps = g_new0(EchoApp, n_services);
	g_autoptr(GHashTable) reference_returned = NULL;
	IotTestTunnel tunnel = {0};
	Replay replay = {0};
	gboolean stale_sent = FALSE;
	guint sent_connections = 0;
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	folder =
	    g_build_filename(g_getenv("IOTUNNEL_SHARED_DIR"), "vectors", scenario->folder, NULL);
	source_path = g_build_filename(folder, "source.bin", NULL);
	destination_path = g_build_filename(folder, "destination.bin", NULL);
	g_file_get_contents(source_path, &source_bin, &source_len, &error);
	g_assert_no_error(error);
	g_file_get_contents(destination_path, &destination_bin, &destination_len, &error);
	g_assert_no_error(error);
	lines = load_lines(folder);
	keys_name_services = n_services > 1;
	g_assert_cmpuint(lines->len, >, 0);

	for (guint i = 0; i < n_services; i++)
		echo_app_start(&apps[i]);
	g_assert_true(iot_test_tunnel_start_service(&tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&tunnel, scenario->services, 0, &error));
	g_assert_no_error(error);
	profile = destination_profile(scenario, apps);
	tunnel.destination = iot_test_tunnel_spawn_profile(&tunnel, "destination", profile, &error);
	g_assert_no_error(error);

	replay.returned = g_hash_table_new_full(g_str_hash,
						g_str_equal,
						g_free,
						(GDestroyNotify)g_byte_array_unref);
	replay.sent = g_hash_table_new_full(g_str_hash,
					    g_str_equal,
					    g_free,
					    (GDestroyNotify)g_byte_array_unref);
	reference_returned = g_hash_table_new_full(g_str_hash,
						   g_str_equal,
						   g_free,
						   (GDestroyNotify)g_byte_array_unref);
	replay.resets = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	replay.decoder = iot_frame_decoder_new();
	replay_connect(&replay, &tunnel, scenario->subprotocol);
	if (!g_str_has_suffix(scenario->subprotocol, "1.0"))
		IOT_TEST_WAIT_UNTIL_MS(replay.service_ids == 1, IOT_INTEROP_TIMEOUT_S * 1000);

	for (guint i = 0; i < lines->len; i++) {
		VectorLine *line = g_ptr_array_index(lines, i);
		const gchar *bin = line->from_source ? source_bin : destination_bin;
		gsize length = ((guint8)bin[line->offset] << 8) | (guint8)bin[line->offset + 1];
		g_autoptr(IotMessage) msg =
		    iot_frame_decode_body((const guint8 *)bin + line->offset + 2, length, &error);
		g_autofree gchar *key_text = NULL;

		g_assert_no_error(error);
		g_assert_cmpint(msg->type, ==, line->type);
		key_text = key_for(msg);
		if (!line->from_source) {
			/* the reference echoed this much by now: wait for ours to have too */
			if (msg->type == IOT_MESSAGE_TYPE_DATA) {
				append_bytes(reference_returned, msg);
				IOT_TEST_WAIT_UNTIL_MS(table_size(replay.returned, key_text) >=
							   table_size(reference_returned, key_text),
						       IOT_INTEROP_TIMEOUT_S * 1000);
			}
			continue;
		}
		if (msg->type == IOT_MESSAGE_TYPE_DATA)
			append_bytes(replay.sent, msg);
		if (msg->type == IOT_MESSAGE_TYPE_STREAM_START ||
		    msg->type == IOT_MESSAGE_TYPE_CONNECTION_START)
			sent_connections++;
		replay_send(&replay, (const guint8 *)bin + line->offset, 2 + length);
		if (!stale_sent && msg->type == IOT_MESSAGE_TYPE_DATA) {
			replay_send_stale(&replay, msg->service_id, msg->connection_id);
			stale_sent = TRUE;
		}
	}

	if (scenario->unreachable) {
		/* PROTOCOL.md 6: CONNECTION_RESET for that connection, where the reference
		 * sends STREAM_RESET for the whole stream */
		IotMessage *reset;
		IOT_TEST_WAIT_UNTIL_MS(replay.resets->len >= 1, IOT_INTEROP_TIMEOUT_S * 1000);
		reset = g_ptr_array_index(replay.resets, 0);
		g_assert_cmpint(reset->type, ==, IOT_MESSAGE_TYPE_CONNECTION_RESET);
		g_assert_cmpint(reset->stream_id, ==, 1);
		g_assert_cmpuint(reset->connection_id, ==, 1);
		g_assert_cmpstr(reset->service_id, ==, "SSH1");
	} else {
		guint opened = 0;
		guint ended = 0;

		/* every connection the source opened reached an app and was ended */
		for (guint s = 0; s < n_services; s++) {
			g_mutex_lock(&apps[s].mutex);
			opened += apps[s].received->len;
			g_mutex_unlock(&apps[s].mutex);
		}
		g_assert_cmpuint(opened, ==, sent_connections);
		for (guint wait = 0; ended < opened; wait++) {
			ended = 0;
			for (guint s = 0; s < n_services; s++) {
				g_mutex_lock(&apps[s].mutex);
				ended += apps[s].ended;
				g_mutex_unlock(&apps[s].mutex);
			}
			g_assert_cmpuint(wait, <, IOT_INTEROP_TIMEOUT_S * 100);
			g_usleep(10000);
		}
	}

	/* our destination echoed exactly what the source sent, as the reference did */
	g_hash_table_iter_init(&iter, replay.sent);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		GByteArray *sent = value;
		GByteArray *returned = g_hash_table_lookup(replay.returned, key);
		GByteArray *reference = g_hash_table_lookup(reference_returned, key);
		if (scenario->unreachable) {
			g_assert_null(returned);
			continue;
		}
		g_assert_nonnull(returned);
		g_assert_nonnull(reference);
		g_assert_cmpmem(returned->data, returned->len, sent->data, sent->len);
		g_assert_cmpmem(returned->data, returned->len, reference->data, reference->len);
	}
	g_assert_cmpuint(g_hash_table_size(replay.returned),
			 ==,
			 scenario->unreachable ? 0 : g_hash_table_size(replay.sent));
	/* the stale stream's bytes reached no app: each app got exactly the source's DATA */
	for (guint s = 0; s < n_services; s++) {
		for (guint c = 0; c < apps[s].received->len; c++) {
			GByteArray *got = g_ptr_array_index(apps[s].received, c);
			g_assert_null(memmem(got->data, got->len, "STALE", 5));
		}
	}
	g_test_message("%s: %u connections, %u resets from our destination",
		       scenario->folder,
		       sent_connections,
		       replay.resets->len);

	g_clear_object(&replay.ws);
	g_clear_object(&replay.decoder);
	g_hash_table_unref(replay.returned);
	g_hash_table_unref(replay.sent);
	g_ptr_array_unref(replay.resets);
	iot_test_tunnel_clear(&tunnel);
	for (guint i = 0; i < n_services; i++)
		echo_app_stop(&apps[i]);
}

static const gchar *services_ssh[] = {"SSH1", NULL};
static const gchar *services_two[] = {"SSH1", "HTTP1", NULL};

/* the reference ran v1 with -y V1 on both sides; ours is a plain V3 destination */
static const Scenario scenarios[] = {
    {"v1", "aws.iot.securetunneling-3.0", services_ssh, FALSE},
    {"v2-multi", "aws.iot.securetunneling-2.0", services_two, FALSE},
    {"v3-simultaneous", "aws.iot.securetunneling-3.0", services_ssh, FALSE},
    {"v3-reset", "aws.iot.securetunneling-3.0", services_ssh, TRUE},
};

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/interop/replay-reference-source/%s",
				    scenarios[i].folder);
		g_test_add_data_func(path, &scenarios[i], test_replay);
	}
	return g_test_run();
}
