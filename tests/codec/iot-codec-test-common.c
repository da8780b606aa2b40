/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec-test-common.h"

#include <signal.h>
#include <sys/socket.h>

/* every payload the tests send holds no log-worthy text; this marker must never be logged */
#define IOT_TEST_PAYLOAD_MARKER "payload-marker"

typedef struct {
	gchar *domain;
	GLogLevelFlags level;
	gchar *pattern;
} IotTestExpectedLog;

static GQueue iot_test_expected_logs = G_QUEUE_INIT;

static void
iot_test_expected_log_free(IotTestExpectedLog *expected)
{
	g_free(expected->domain);
	g_free(expected->pattern);
	g_free(expected);
}

/*
 * GLib 2.74's g_test_expect_message() does not see structured logs, so the
 * tests route every log line through this writer: an expected line is
 * consumed, a payload in any line fails the test, the rest goes on to the
 * default writer (where warnings are fatal in tests).
 */
static GLogWriterOutput
iot_test_log_writer(GLogLevelFlags log_level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;
	IotTestExpectedLog *expected;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (message != NULL && strstr(message, IOT_TEST_PAYLOAD_MARKER) != NULL) {
		g_printerr("a log line holds a payload: %s\n", message);
		g_test_fail();
	}
	expected = g_queue_peek_head(&iot_test_expected_logs);
	if (expected != NULL && message != NULL && g_strcmp0(expected->domain, domain) == 0 &&
	    (log_level & G_LOG_LEVEL_MASK) == expected->level &&
	    g_pattern_match_simple(expected->pattern, message)) {
		iot_test_expected_log_free(g_queue_pop_head(&iot_test_expected_logs));
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(log_level, fields, n_fields, user_data);
}

/**
 * iot_test_init:
 *
 * g_test_init() plus the log writer the expectations need.
 */
void
iot_test_init(int *argc, char ***argv)
{
	g_test_init(argc, argv, NULL);
	g_log_set_writer_func(iot_test_log_writer, NULL, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* the next log line of @level in @domain matching @pattern is expected, in order */
void
iot_test_expect_log(const gchar *domain, GLogLevelFlags level, const gchar *pattern)
{
	IotTestExpectedLog *expected = g_new0(IotTestExpectedLog, 1);
	expected->domain = g_strdup(domain);
	expected->level = level;
	expected->pattern = g_strdup(pattern);
	g_queue_push_tail(&iot_test_expected_logs, expected);
}

void
iot_test_assert_expected_logs(void)
{
	IotTestExpectedLog *expected = g_queue_peek_head(&iot_test_expected_logs);
	if (expected != NULL)
		g_error("expected log line did not come: %s \"%s\"",
			expected->domain,
			expected->pattern);
}

/* dispatches what is ready now, without waiting for anything */
void
iot_test_settle(void)
{
	for (guint i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

/**
 * iot_test_tcp_pair:
 * @local: (out) (transfer full): the end a codec gets
 * @remote: (out) (transfer full): the app's end
 *
 * Makes a real TCP connection over 127.0.0.1 through a listener on port 0.
 */
void
iot_test_tcp_pair(GSocketConnection **local, GSocketConnection **remote)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) listener = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) server = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	listener =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(listener, any, TRUE, &error));
	g_assert_no_error(error);
	g_assert_true(g_socket_listen(listener, &error));
	bound = g_socket_get_local_address(listener, &error);
	g_assert_no_error(error);

	/* a loopback connect completes into the backlog at once */
	client =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_connect(client, bound, NULL, &error));
	g_assert_no_error(error);
	server = g_socket_accept(listener, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_close(listener, &error));

	*local = g_socket_connection_factory_create_connection(server);
	*remote = g_socket_connection_factory_create_connection(client);
}

/**
 * iot_codec_fixture_setup:
 * @fixture: the fixture to fill
 * @codec: (transfer full): the codec under test
 * @mode: the tunnel's side
 * @service_ids: (array zero-terminated=1): the configured services
 * @subprotocol: the subprotocol the session negotiated
 *
 * Starts @codec on a new test session.
 */
void
iot_codec_fixture_setup(IotCodecFixture *fixture,
			IotCodec *codec,
			IotTunnelMode mode,
			const gchar *const *service_ids,
			const gchar *subprotocol)
{
	fixture->codec = codec;
	fixture->session = iot_test_session_new(mode, service_ids);
	iot_codec_start(fixture->codec, IOT_SESSION(fixture->session), subprotocol);
}

void
iot_codec_fixture_teardown(IotCodecFixture *fixture)
{
	iot_codec_stop(fixture->codec);
	iot_test_session_release_connects(fixture->session);
	iot_test_settle();
	iot_test_assert_expected_logs();
	g_assert_cmpuint(iot_test_session_get_failures(fixture->session)->len, ==, 0);
	g_clear_object(&fixture->codec);
	g_clear_object(&fixture->session);
}

/**
 * iot_codec_fixture_setup_announced:
 *
 * As iot_codec_fixture_setup(), then the service announces @service_ids,
 * as it does first in a 2.0 or 3.0 session.
 */
void
iot_codec_fixture_setup_announced(IotCodecFixture *fixture,
				  IotCodec *codec,
				  IotTunnelMode mode,
				  const gchar *const *service_ids,
				  const gchar *subprotocol)
{
	iot_codec_fixture_setup(fixture, codec, mode, service_ids, subprotocol);
	iot_test_receive_service_ids(fixture, service_ids);
}

/**
 * iot_codec_fixture_teardown_func:
 *
 * iot_codec_fixture_teardown() in the shape g_test_add() takes.
 */
void
iot_codec_fixture_teardown_func(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_teardown(fixture);
}

/**
 * iot_test_assert_subprotocol:
 * @codec: (transfer full): a codec
 *
 * Asserts that @codec asks for @subprotocol.
 */
void
iot_test_assert_subprotocol(IotCodec *codec, const gchar *subprotocol)
{
	g_autoptr(IotCodec) hold = codec;
	g_assert_cmpstr(iot_codec_get_subprotocol(hold), ==, subprotocol);
}

/**
 * iot_test_assert_start_fails:
 * @codec: (transfer full): a codec
 *
 * Asserts that starting @codec over @subprotocol fails its session with a
 * protocol error.
 */
void
iot_test_assert_start_fails(IotCodec *codec,
			    const gchar *const *service_ids,
			    const gchar *subprotocol)
{
	g_autoptr(IotCodec) hold = codec;
	g_autoptr(IotTestSession) session =
	    iot_test_session_new(IOT_TUNNEL_MODE_SOURCE, service_ids);
	GPtrArray *failures = iot_test_session_get_failures(session);

	iot_codec_start(hold, IOT_SESSION(session), subprotocol);
	g_assert_cmpuint(failures->len, ==, 1);
	g_assert_error((GError *)g_ptr_array_index(failures, 0),
		       IOT_CODEC_ERROR,
		       IOT_CODEC_ERROR_PROTOCOL);
	iot_codec_stop(hold);
}

/**
 * iot_test_receive_two_streams:
 *
 * The peer starts a stream for SSH1 and one for HTTP1, both with
 * @connection_id; @ssh and @http get their local apps.
 */
void
iot_test_receive_two_streams(IotCodecFixture *fixture,
			     guint32 connection_id,
			     IotTestApp **ssh,
			     IotTestApp **http)
{
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", connection_id);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", connection_id);
	*ssh = iot_test_get_app(fixture, 0);
	*http = iot_test_get_app(fixture, 1);
}

/**
 * iot_test_accept:
 * @fixture: a source-side fixture
 * @service_id: the service whose listener accepts
 *
 * Hands the codec a new local connection, as a listener would.
 *
 * Returns: (transfer full): the client app at the other end
 */
IotTestApp *
iot_test_accept(IotCodecFixture *fixture, const gchar *service_id)
{
	g_autoptr(GSocketConnection) local = NULL;
	g_autoptr(GSocketConnection) remote = NULL;
	g_autoptr(IotConnection) connection = NULL;

	iot_test_tcp_pair(&local, &remote);
	connection = iot_connection_new(G_IO_STREAM(local), "test-client");
	iot_codec_accept(fixture->codec, service_id, connection);
	return iot_test_app_new(remote, FALSE);
}

/*
 * waits for the @index-th local connect to be made and its result taken by
 * the codec, and returns its app
 */
IotTestApp *
iot_test_get_app(IotCodecFixture *fixture, guint index)
{
	GPtrArray *apps = iot_test_session_get_apps(fixture->session);
	IOT_TEST_WAIT_UNTIL(apps->len > index &&
			    iot_test_session_get_n_finished_connects(fixture->session) > index);
	return g_ptr_array_index(apps, index);
}

/*
 * the codec's end of the @index-th app's connection, with a small socket
 * send buffer so that what the app does not read piles up in its queue
 */
IotConnection *
iot_test_get_small_connection(IotCodecFixture *fixture, guint index)
{
	GPtrArray *connections = iot_test_session_get_connections(fixture->session);
	IotConnection *connection = g_ptr_array_index(connections, index);
	GIOStream *stream = iot_connection_get_stream(connection);
	g_autoptr(GError) error = NULL;

	g_assert_true(
	    g_socket_set_option(g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream)),
				SOL_SOCKET,
				SO_SNDBUF,
				4096,
				&error));
	g_assert_no_error(error);
	return connection;
}

void
iot_test_receive_message(IotCodecFixture *fixture, const IotMessage *msg)
{
	g_autoptr(GError) error = NULL;
	gboolean ret = iot_codec_receive(fixture->codec, msg, &error);
	g_assert_no_error(error);
	g_assert_true(ret);
}

/* the codec must refuse @msg as a protocol error */
void
iot_test_receive_fails(IotCodecFixture *fixture, const IotMessage *msg)
{
	g_autoptr(GError) error = NULL;
	gboolean ret = iot_codec_receive(fixture->codec, msg, &error);
	g_assert_error(error, IOT_CODEC_ERROR, IOT_CODEC_ERROR_PROTOCOL);
	g_assert_false(ret);
	g_debug("refused as expected: %s", error->message);
}

/* the codec must refuse the message of these fields as a protocol error */
void
iot_test_receive_fails_full(IotCodecFixture *fixture,
			    IotMessageType type,
			    gint32 stream_id,
			    const gchar *service_id,
			    guint32 connection_id)
{
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(type, stream_id, service_id, connection_id, NULL);
	iot_test_receive_fails(fixture, msg);
}

void
iot_test_receive(IotCodecFixture *fixture,
		 IotMessageType type,
		 gint32 stream_id,
		 const gchar *service_id,
		 guint32 connection_id)
{
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(type, stream_id, service_id, connection_id, NULL);
	iot_test_receive_message(fixture, msg);
}

void
iot_test_receive_data(IotCodecFixture *fixture,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id,
		      const gchar *text)
{
	g_autoptr(GBytes) payload = g_bytes_new(text, strlen(text));
	g_autoptr(IotMessage) msg = iot_message_new_full(IOT_MESSAGE_TYPE_DATA,
							 stream_id,
							 service_id,
							 connection_id,
							 payload);
	iot_test_receive_message(fixture, msg);
}

void
iot_test_receive_service_ids(IotCodecFixture *fixture, const gchar *const *service_ids)
{
	g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	msg->available_service_ids = g_strdupv((gchar **)service_ids);
	iot_test_receive_message(fixture, msg);
}

guint
iot_test_get_n_sent(IotCodecFixture *fixture)
{
	return iot_test_session_get_sent(fixture->session)->len;
}

/* waits for the @index-th message the codec sends */
const IotMessage *
iot_test_wait_sent(IotCodecFixture *fixture, guint index)
{
	GPtrArray *sent = iot_test_session_get_sent(fixture->session);
	IOT_TEST_WAIT_UNTIL(sent->len > index);
	return g_ptr_array_index(sent, index);
}

static gboolean
iot_test_find_sent(IotCodecFixture *fixture, guint from, IotMessageType type, guint *index)
{
	GPtrArray *sent = iot_test_session_get_sent(fixture->session);
	for (guint i = from; i < sent->len; i++) {
		const IotMessage *msg = g_ptr_array_index(sent, i);
		if (msg->type == type) {
			*index = i;
			return TRUE;
		}
	}
	return FALSE;
}

/* waits for a message of @type sent at @from or later and returns its index */
guint
iot_test_wait_sent_type(IotCodecFixture *fixture, guint from, IotMessageType type)
{
	guint index = 0;
	IOT_TEST_WAIT_UNTIL(iot_test_find_sent(fixture, from, type, &index));
	return index;
}

/* waits for the @index-th message and checks everything but its payload */
void
iot_test_assert_sent(IotCodecFixture *fixture,
		     guint index,
		     IotMessageType type,
		     gint32 stream_id,
		     const gchar *service_id,
		     guint32 connection_id)
{
	const IotMessage *msg = iot_test_wait_sent(fixture, index);
	g_assert_cmpstr(iot_message_type_to_string(msg->type),
			==,
			iot_message_type_to_string(type));
	g_assert_cmpint(msg->stream_id, ==, stream_id);
	g_assert_cmpstr(msg->service_id, ==, service_id);
	g_assert_cmpuint(msg->connection_id, ==, connection_id);
	g_assert_false(msg->ignorable);
	g_assert_null(msg->available_service_ids);
	if (type != IOT_MESSAGE_TYPE_DATA)
		g_assert_null(msg->payload);
}

/**
 * iot_test_collect_data:
 *
 * Returns: (transfer full): the payloads of every DATA sent so far for that
 *   stream, service and connection, in order
 */
GByteArray *
iot_test_collect_data(IotCodecFixture *fixture,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id)
{
	GPtrArray *sent = iot_test_session_get_sent(fixture->session);
	GByteArray *data = g_byte_array_new();
	for (guint i = 0; i < sent->len; i++) {
		const IotMessage *msg = g_ptr_array_index(sent, i);
		gsize size = 0;
		const guint8 *bytes;
		if (msg->type != IOT_MESSAGE_TYPE_DATA || msg->stream_id != stream_id ||
		    g_strcmp0(msg->service_id, service_id) != 0 ||
		    msg->connection_id != connection_id)
			continue;
		g_assert_nonnull(msg->payload);
		bytes = g_bytes_get_data(msg->payload, &size);
		g_assert_cmpuint(size, >, 0);
		g_assert_cmpuint(size, <=, IOT_MESSAGE_MAX_PAYLOAD);
		g_byte_array_append(data, bytes, size);
	}
	return data;
}

/* how many payload bytes the DATA sent for that connection hold */
gsize
iot_test_get_data_length(IotCodecFixture *fixture,
			 gint32 stream_id,
			 const gchar *service_id,
			 guint32 connection_id)
{
	g_autoptr(GByteArray) data =
	    iot_test_collect_data(fixture, stream_id, service_id, connection_id);
	return data->len;
}

static gboolean
iot_test_bytes_equal(GByteArray *array, const gchar *text)
{
	return array->len == strlen(text) && memcmp(array->data, text, array->len) == 0;
}

/* waits until the DATA sent for that connection add up to @text exactly */
void
iot_test_wait_data(IotCodecFixture *fixture,
		   gint32 stream_id,
		   const gchar *service_id,
		   guint32 connection_id,
		   const gchar *text)
{
	g_autoptr(GByteArray) data = NULL;
	IOT_TEST_WAIT_UNTIL(
	    iot_test_get_data_length(fixture, stream_id, service_id, connection_id) >=
	    strlen(text));
	data = iot_test_collect_data(fixture, stream_id, service_id, connection_id);
	g_assert_cmpmem(data->data, data->len, text, strlen(text));
	g_assert_true(iot_test_bytes_equal(data, text));
}

/* waits until @app read @text exactly, from its start */
void
iot_test_wait_received(IotTestApp *app, const gchar *text)
{
	GByteArray *received = iot_test_app_get_received(app);
	IOT_TEST_WAIT_UNTIL(received->len >= strlen(text));
	g_assert_cmpmem(received->data, received->len, text, strlen(text));
}
