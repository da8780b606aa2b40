/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec-test-common.h"
#include "iot-v1-codec.h"

#define SUBPROTOCOL_1 "aws.iot.securetunneling-1.0"
#define SUBPROTOCOL_3 "aws.iot.securetunneling-3.0"

static const gchar *const unnamed[] = {"", NULL};
static const gchar *const ssh1[] = {"SSH1", NULL};
static const gchar *const two_services[] = {"HTTP1", "SSH1", NULL};

static void
setup_source(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v1_codec_new()),
				IOT_TUNNEL_MODE_SOURCE,
				unnamed,
				SUBPROTOCOL_1);
}

static void
setup_destination(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v1_codec_new()),
				IOT_TUNNEL_MODE_DESTINATION,
				unnamed,
				SUBPROTOCOL_1);
	iot_test_session_set_echo(fixture->session, FALSE);
}

/* the user's `-y V1`: V1 messages in a 3.0 session, which begins with SERVICE_IDS */
static void
setup_source_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v1_codec_new()),
				IOT_TUNNEL_MODE_SOURCE,
				unnamed,
				SUBPROTOCOL_3);
}

static void
setup_destination_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v1_codec_new()),
					  IOT_TUNNEL_MODE_DESTINATION,
					  ssh1,
					  SUBPROTOCOL_3);
}

static void
test_subprotocol(void)
{
	iot_test_assert_subprotocol(IOT_CODEC(iot_v1_codec_new()), SUBPROTOCOL_1);
}

static void
test_source_stream(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "");

	/* a 1.0 session has no SERVICE_IDS to wait for */
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_app_send_string(client, "hello payload-marker");
	iot_test_wait_data(fixture, 1, NULL, 0, "hello payload-marker");

	iot_test_receive_data(fixture, 1, NULL, 0, "answer payload-marker");
	iot_test_wait_received(client, "answer payload-marker");

	iot_test_app_close(client);
	iot_test_assert_sent(fixture,
			     iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET),
			     IOT_MESSAGE_TYPE_STREAM_RESET,
			     1,
			     NULL,
			     0);
	/* our side closes too, cleanly */
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(client));
	g_assert_true(iot_test_app_get_eof(client));
}

static void
test_source_large_read(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "");
	g_autoptr(GByteArray) data = NULL;
	gsize total = 3 * IOT_MESSAGE_MAX_PAYLOAD + 1000;
	g_autofree guint8 *bytes = g_malloc(total);

	for (gsize i = 0; i < total; i++)
		bytes[i] = (7 * i) & 0xff;
	iot_test_app_send(client, bytes, total);
	/* each local read is one DATA of at most 64512 bytes; no byte lost or reordered */
	IOT_TEST_WAIT_UNTIL(iot_test_get_data_length(fixture, 1, NULL, 0) >= total);
	data = iot_test_collect_data(fixture, 1, NULL, 0);
	g_assert_cmpmem(data->data, data->len, bytes, total);
}

static void
test_source_second_connection(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) first = iot_test_accept(fixture, "");
	g_autoptr(IotTestApp) second = NULL;

	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_expect_log("iotunnel-v1",
			    G_LOG_LEVEL_MESSAGE,
			    "*V1 carries one connection at a time*stream 1 goes on*");
	second = iot_test_accept(fixture, "");
	iot_test_assert_expected_logs();
	/* the newcomer is cut with a TCP reset */
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(second));
	g_assert_true(iot_test_app_get_reset(second));

	/* the first goes on */
	iot_test_app_send_string(first, "still here");
	iot_test_wait_data(fixture, 1, NULL, 0, "still here");
	iot_test_receive_data(fixture, 1, NULL, 0, "and answered");
	iot_test_wait_received(first, "and answered");
	g_assert_false(iot_test_app_get_ended(first));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 2);
}

static void
test_source_stream_ids(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) first = iot_test_accept(fixture, "");
	g_autoptr(IotTestApp) second = NULL;
	g_autoptr(IotTestApp) third = NULL;

	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(first));
	g_assert_true(iot_test_app_get_eof(first));

	second = iot_test_accept(fixture, "");
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);

	/* a new session: stream IDs keep counting, the old stream is cut */
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(second));
	g_assert_true(iot_test_app_get_reset(second));
	iot_codec_start(fixture->codec, IOT_SESSION(fixture->session), SUBPROTOCOL_1);
	third = iot_test_accept(fixture, "");
	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_STREAM_START, 3, NULL, 0);
}

static void
test_source_local_error(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "");

	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_app_abort(client);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	/* the stream is gone: what the peer still sends for it is stale */
	iot_test_receive_data(fixture, 1, NULL, 0, "late");
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 2);
}

static void
test_source_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "");

	/* nothing starts before SERVICE_IDS */
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
	iot_test_receive_service_ids(fixture, ssh1);
	g_assert_cmpstrv(iot_test_session_get_announced(fixture->session), ssh1);

	/* V1 format in the 3.0 session: no serviceId, no connectionId */
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_app_send_string(client, "over three");
	iot_test_wait_data(fixture, 1, NULL, 0, "over three");
	iot_test_receive_data(fixture, 1, NULL, 0, "back");
	iot_test_wait_received(client, "back");
}

static void
test_service_ids_rejected(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "");
	GPtrArray *failures = iot_test_session_get_failures(fixture->session);

	iot_test_session_set_reject_service_ids(fixture->session, TRUE);
	iot_test_receive_service_ids(fixture, two_services);
	g_assert_cmpuint(failures->len, ==, 1);
	g_assert_error((GError *)g_ptr_array_index(failures, 0),
		       IOT_CODEC_ERROR,
		       IOT_CODEC_ERROR_SERVICE_IDS);
	g_ptr_array_set_size(failures, 0);
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);

	/* the tunnel then stops the codec: held connections are cut */
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(client));
	g_assert_true(iot_test_app_get_reset(client));
}

static void
test_destination_stream(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 5, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	g_assert_cmpstr(g_ptr_array_index(iot_test_session_get_connects(fixture->session), 0),
			==,
			"");
	iot_test_receive_data(fixture, 5, NULL, 0, "request");
	iot_test_wait_received(app, "request");
	iot_test_app_send_string(app, "response");
	iot_test_wait_data(fixture, 5, NULL, 0, "response");

	/* the app ends: STREAM_RESET */
	iot_test_app_close(app);
	iot_test_assert_sent(fixture,
			     iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET),
			     IOT_MESSAGE_TYPE_STREAM_RESET,
			     5,
			     NULL,
			     0);
}

static void
test_destination_pending_connect(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	iot_test_session_set_hold_connects(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "one,");
	iot_test_receive_data(fixture, 1, NULL, 0, "two,");
	iot_test_receive_data(fixture, 1, NULL, 0, "three");
	g_assert_cmpuint(iot_test_session_get_n_held_connects(fixture->session), ==, 1);
	iot_test_session_release_connects(fixture->session);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, ",four");
	iot_test_wait_received(app, "one,two,three,four");
}

static void
test_destination_reset_while_connecting(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	/* `echo hello | nc`: the whole stream arrives before the app is reached */
	iot_test_session_set_hold_connects(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "hello");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	iot_test_session_release_connects(fixture->session);
	app = iot_test_get_app(fixture, 0);
	iot_test_wait_received(app, "hello");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	g_assert_true(iot_test_app_get_eof(app));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_destination_replace(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *old_app;
	IotTestApp *new_app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	old_app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "old");
	iot_test_wait_received(old_app, "old");

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);
	new_app = iot_test_get_app(fixture, 1);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(old_app));
	g_assert_true(iot_test_app_get_reset(old_app));

	/* stream 1 is stale now */
	iot_test_receive_data(fixture, 1, NULL, 0, "stale");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	iot_test_receive_data(fixture, 2, NULL, 0, "new");
	iot_test_wait_received(new_app, "new");
	g_assert_false(iot_test_app_get_ended(new_app));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_destination_connect_failure(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_session_set_fail_connects(fixture->session, TRUE);
	iot_test_expect_log("iotunnel-v1",
			    G_LOG_LEVEL_WARNING,
			    "stream 7: cannot reach the local service*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 7, NULL, 0);
	iot_test_receive_data(fixture, 7, NULL, 0, "lost");
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET, 7, NULL, 0);
	iot_test_assert_expected_logs();
	/* the stream is forgotten */
	iot_test_receive_data(fixture, 7, NULL, 0, "stale");
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 1);
}

static void
test_destination_reset_flushes(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;
	IotConnection *connection;
	g_autoptr(GString) expected = g_string_new(NULL);

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	/* the app reads nothing for now and the socket buffers are small: bytes
	 * pile up in our write queue */
	iot_test_app_set_reading(app, FALSE);
	connection = iot_test_get_small_connection(fixture, 0);
	for (guint i = 0; i < 64; i++) {
		g_autofree gchar *filler = g_strnfill(16380, 'x');
		g_autofree gchar *chunk = g_strdup_printf("%04u%s", i, filler);
		g_string_append(expected, chunk);
		iot_test_receive_data(fixture, 1, NULL, 0, chunk);
	}
	g_assert_cmpuint(iot_connection_get_write_queued(connection), >, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	iot_test_app_set_reading(app, TRUE);
	/* every byte sent before the reset arrives, then a clean end of stream */
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	g_assert_true(iot_test_app_get_eof(app));
	iot_test_wait_received(app, expected->str);
	g_assert_cmpuint(iot_test_app_get_received(app)->len, ==, expected->len);
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_session_reset(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "last words");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_SESSION_RESET, 0, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	/* the stream was cut, not complete: its bytes, then a reset */
	g_assert_true(iot_test_app_get_reset(app));
	iot_test_wait_received(app, "last words");
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);

	/* a new stream can start after it */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);
	iot_test_get_app(fixture, 1);
}

static void
test_stop_aborts(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "x");
	iot_test_wait_received(app, "x");
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	g_assert_true(iot_test_app_get_reset(app));
}

static void
test_stop_cancels_connect(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_session_set_hold_connects(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "never delivered");
	iot_codec_stop(fixture->codec);
	iot_test_session_release_connects(fixture->session);
	iot_test_settle();
	/* the connect was cancelled: no app was ever reached */
	g_assert_cmpuint(iot_test_session_get_apps(fixture->session)->len, ==, 0);
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_stale(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	/* nothing active: all stale */
	iot_test_receive_data(fixture, 3, NULL, 0, "nobody");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 3, NULL, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 4, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 3, NULL, 0, "wrong stream,");
	iot_test_receive_data(fixture, 0, NULL, 0, "stream zero,");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 5, NULL, 0);
	iot_test_receive_data(fixture, 4, NULL, 0, "right");
	iot_test_wait_received(app, "right");
	g_assert_false(iot_test_app_get_ended(app));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(42, 1);
	g_autoptr(IotMessage) service_ids = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	g_autoptr(IotMessage) stream_zero = iot_message_new(IOT_MESSAGE_TYPE_STREAM_START, 0);

	iot_test_receive_fails(fixture, unknown);
	/* a 1.0 session gets no SERVICE_IDS */
	iot_test_receive_fails(fixture, service_ids);
	iot_test_receive_fails(fixture, stream_zero);
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, 0);
}

static void
test_source_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) stream_start = iot_message_new(IOT_MESSAGE_TYPE_STREAM_START, 1);
	/* only a source sends STREAM_START, and starts connections */
	iot_test_receive_fails(fixture, stream_start);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, NULL, 2);
}

/*
 * A V3 source that has not noticed yet that we speak V1 (issue 15, point 9):
 * as an older proxy does, the destination ignores its serviceId, drops DATA
 * for a connection V1 does not have, and answers the V3 messages that start
 * or end a connection with STREAM_RESET, rather than dropping the session.
 */
static void
test_destination_newer_source(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a2;
	guint index;
	guint n;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	a1 = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, "SSH1", 1, "one");
	iot_test_receive_data(fixture, 1, "SSH1", 2, "two");
	iot_test_receive_data(fixture, 1, "SSH1", 1, " more");
	iot_test_wait_received(a1, "one more");
	iot_test_app_send_string(a1, "answer");
	iot_test_wait_data(fixture, 1, NULL, 0, "answer");

	/* a second connection in the stream: V1 cannot carry it, the stream is reset */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a1));
	g_assert_true(iot_test_app_get_eof(a1));

	/* one for a stream that is gone is told so, and nothing connects */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);

	/* the source ends its connection: the stream ends and is reset */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 1);
	a2 = iot_test_get_app(fixture, 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 2, "SSH1", 1);
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 2, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a2));

	/* a reset for a connection of a stream that is gone changes nothing */
	n = iot_test_get_n_sent(fixture);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 2, "SSH1", 1);
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, n);
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, 2);
}

static void
test_ignorable(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(42, 1);
	g_autoptr(IotMessage) connection_reset =
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, NULL, 1, NULL);
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	unknown->ignorable = TRUE;
	iot_test_receive_message(fixture, unknown);
	/* a V3 type is unknown to V1: skipped when ignorable, and the stream lives */
	connection_reset->ignorable = TRUE;
	iot_test_receive_message(fixture, connection_reset);
	iot_test_receive_data(fixture, 1, NULL, 0, "alive");
	iot_test_wait_received(app, "alive");
	g_assert_false(iot_test_app_get_ended(app));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_destination_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	/* the V1-format stream goes to the one configured service, named or not */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	g_assert_cmpstr(g_ptr_array_index(iot_test_session_get_connects(fixture->session), 0),
			==,
			"SSH1");
	iot_test_receive_data(fixture, 1, NULL, 0, "ping");
	iot_test_wait_received(app, "ping");
	iot_test_app_send_string(app, "pong");
	iot_test_wait_data(fixture, 1, NULL, 0, "pong");
}

static void
test_bad_subprotocol(void)
{
	iot_test_assert_start_fails(IOT_CODEC(iot_v1_codec_new()),
				    unnamed,
				    "aws.iot.securetunneling-9.0");
}

int
main(int argc, char **argv)
{
	iot_test_init(&argc, &argv);

	g_test_add_func("/iotunnel/v1-codec/subprotocol", test_subprotocol);
	g_test_add_func("/iotunnel/v1-codec/bad-subprotocol", test_bad_subprotocol);
#define ADD(path, setup, func) IOT_CODEC_TEST_ADD("/iotunnel/v1-codec/" path, setup, func)
	ADD("source/stream", setup_source, test_source_stream);
	ADD("source/large-read", setup_source, test_source_large_read);
	ADD("source/second-connection-refused", setup_source, test_source_second_connection);
	ADD("source/stream-ids-monotonic", setup_source, test_source_stream_ids);
	ADD("source/local-error", setup_source, test_source_local_error);
	ADD("source/over-subprotocol-3", setup_source_over_3, test_source_over_3);
	ADD("source/service-ids-rejected", setup_source_over_3, test_service_ids_rejected);
	ADD("source/protocol-errors", setup_source, test_source_protocol_errors);
	ADD("destination/stream", setup_destination, test_destination_stream);
	ADD("destination/pending-connect", setup_destination, test_destination_pending_connect);
	ADD("destination/reset-while-connecting",
	    setup_destination,
	    test_destination_reset_while_connecting);
	ADD("destination/replace", setup_destination, test_destination_replace);
	ADD("destination/connect-failure", setup_destination, test_destination_connect_failure);
	ADD("destination/reset-flushes", setup_destination, test_destination_reset_flushes);
	ADD("destination/session-reset", setup_destination, test_session_reset);
	ADD("destination/stop-aborts", setup_destination, test_stop_aborts);
	ADD("destination/stop-cancels-connect", setup_destination, test_stop_cancels_connect);
	ADD("destination/stale", setup_destination, test_stale);
	ADD("destination/protocol-errors", setup_destination, test_protocol_errors);
	ADD("destination/newer-source", setup_destination, test_destination_newer_source);
	ADD("destination/ignorable", setup_destination, test_ignorable);
	ADD("destination/over-subprotocol-3", setup_destination_over_3, test_destination_over_3);
#undef ADD
	return g_test_run();
}
