/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec-test-common.h"
#include "iot-v3-codec.h"

#define SUBPROTOCOL_2 "aws.iot.securetunneling-2.0"
#define SUBPROTOCOL_3 "aws.iot.securetunneling-3.0"

/* connections at once in one stream, in the many-connections tests */
#define N_CONNECTIONS 100

static const gchar *const ssh1[] = {"SSH1", NULL};
static const gchar *const two_services[] = {"HTTP1", "SSH1", NULL};

static void
setup_source(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v3_codec_new()),
					  IOT_TUNNEL_MODE_SOURCE,
					  two_services,
					  SUBPROTOCOL_3);
}

static void
setup_destination(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v3_codec_new()),
					  IOT_TUNNEL_MODE_DESTINATION,
					  two_services,
					  SUBPROTOCOL_3);
}

static void
setup_destination_ssh1(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v3_codec_new()),
					  IOT_TUNNEL_MODE_DESTINATION,
					  ssh1,
					  SUBPROTOCOL_3);
}

static void
test_subprotocol(void)
{
	iot_test_assert_subprotocol(IOT_CODEC(iot_v3_codec_new()), SUBPROTOCOL_3);
}

static void
test_subprotocol_2_refused(void)
{
	iot_test_assert_start_fails(IOT_CODEC(iot_v3_codec_new()), ssh1, SUBPROTOCOL_2);
}

static void
test_source_connections(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c3 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) h1 = iot_test_accept(fixture, "HTTP1");
	g_autoptr(IotTestApp) c4 = NULL;
	guint index;

	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	iot_test_assert_sent(fixture, 3, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 1);

	iot_test_app_send_string(c2, "two");
	iot_test_app_send_string(h1, "http");
	iot_test_wait_data(fixture, 1, "SSH1", 2, "two");
	iot_test_wait_data(fixture, 1, "HTTP1", 1, "http");
	iot_test_receive_data(fixture, 1, "SSH1", 3, "to three");
	iot_test_receive_data(fixture, 1, "SSH1", 1, "to one");
	iot_test_wait_received(c3, "to three");
	iot_test_wait_received(c1, "to one");

	/* one connection ends: CONNECTION_RESET, the others go on */
	iot_test_app_close(c2);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_CONNECTION_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c2));
	g_assert_true(iot_test_app_get_eof(c2));
	iot_test_receive_data(fixture, 1, "SSH1", 2, "stale");
	iot_test_receive_data(fixture, 1, "SSH1", 1, " again");
	iot_test_wait_received(c1, "to one again");

	/* the last ones end too: the stream stays for the next connection */
	iot_test_app_close(c1);
	iot_test_app_close(c3);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c1) && iot_test_app_get_ended(c3));
	c4 = iot_test_accept(fixture, "SSH1");
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_CONNECTION_START);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 4);
	for (guint i = 0; i < iot_test_get_n_sent(fixture); i++) {
		const IotMessage *msg = iot_test_wait_sent(fixture, i);
		g_assert_cmpint(msg->type, !=, IOT_MESSAGE_TYPE_STREAM_RESET);
	}
}

static void
test_source_peer_resets(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c3 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) fresh = NULL;

	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	iot_test_receive_data(fixture, 1, "SSH1", 2, "last");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c2));
	g_assert_true(iot_test_app_get_eof(c2));
	iot_test_wait_received(c2, "last");

	/* a reset for a connection we no longer have, or another stream, is stale */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 9, "SSH1", 1);
	iot_test_receive_data(fixture, 1, "SSH1", 1, "one");
	iot_test_wait_received(c1, "one");
	g_assert_false(iot_test_app_get_ended(c1));

	/* STREAM_RESET cuts every connection of the stream, after what they were sent */
	iot_test_receive_data(fixture, 1, "SSH1", 3, "cut");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c1) && iot_test_app_get_ended(c3));
	g_assert_true(iot_test_app_get_reset(c1));
	g_assert_true(iot_test_app_get_reset(c3));
	iot_test_wait_received(c3, "cut");
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 3);

	/* the next connection starts a new stream */
	fresh = iot_test_accept(fixture, "SSH1");
	iot_test_assert_sent(fixture, 3, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 1);
}

static void
test_source_v2_format_peer(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "SSH1");

	/* a destination answering in V1/V2 format: no connectionId means connection 1 */
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_receive_data(fixture, 1, "SSH1", 0, "old style");
	iot_test_wait_received(client, "old style");
	/* and the reference's STREAM_RESET, without connectionId, after a failed connect */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(client));
}

/*
 * A V2 destination answers without connectionId (issue 15, point 9): the
 * source says so, closes the connections the destination never saw, and
 * speaks V2 to it for the rest of the session, every service included.
 */
static void
test_source_falls_back_to_v2(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) h1 = iot_test_accept(fixture, "HTTP1");
	g_autoptr(IotTestApp) refused = NULL;
	g_autoptr(IotTestApp) c3 = NULL;
	guint index;

	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 1);
	iot_test_expect_log("iotunnel-v3", G_LOG_LEVEL_INFO, "the destination speaks V2 (*");
	iot_test_receive_data(fixture, 1, "SSH1", 0, "old style");
	iot_test_assert_expected_logs();
	iot_test_wait_received(c1, "old style");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c2));
	g_assert_true(iot_test_app_get_reset(c2));

	/* what goes on keeps its format, and ends with STREAM_RESET */
	iot_test_app_send_string(c1, "from one");
	iot_test_wait_data(fixture, 1, "SSH1", 1, "from one");
	iot_test_app_send_string(h1, "from web");
	iot_test_wait_data(fixture, 1, "HTTP1", 1, "from web");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "to web");
	iot_test_wait_received(h1, "to web");

	/* one connection per service at a time */
	refused = iot_test_accept(fixture, "SSH1");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(refused));
	g_assert_true(iot_test_app_get_reset(refused));
	iot_test_app_close(c1);
	index = iot_test_wait_sent_type(fixture, 3, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	c3 = iot_test_accept(fixture, "SSH1");
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_START);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 0);
	iot_test_receive_data(fixture, 2, "SSH1", 0, "second");
	iot_test_wait_received(c3, "second");
	iot_test_app_send_string(c3, "new style");
	iot_test_wait_data(fixture, 2, "SSH1", 0, "new style");
	for (guint i = 3; i < iot_test_get_n_sent(fixture); i++) {
		const IotMessage *msg = iot_test_wait_sent(fixture, i);
		g_assert_cmpint(msg->type, !=, IOT_MESSAGE_TYPE_CONNECTION_START);
		g_assert_cmpint(msg->type, !=, IOT_MESSAGE_TYPE_CONNECTION_RESET);
	}
}

/*
 * A V1 destination answers without serviceId, which it ignored: the source
 * keeps the stream it started last (a V1 destination serves the last one),
 * closes the others and speaks V1 from then on, one stream at a time, with
 * stream IDs it never used. A message left from before, with a serviceId,
 * does not break the session.
 */
static void
test_source_falls_back_to_v1(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) h1 = iot_test_accept(fixture, "HTTP1");
	g_autoptr(IotTestApp) refused = NULL;
	g_autoptr(IotTestApp) c2 = NULL;
	guint index;

	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 1);
	iot_test_expect_log("iotunnel-v3", G_LOG_LEVEL_INFO, "the destination speaks V1 (*");
	iot_test_receive_data(fixture, 1, NULL, 0, "v1 answer");
	iot_test_assert_expected_logs();
	iot_test_wait_received(h1, "v1 answer");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c1));
	g_assert_true(iot_test_app_get_reset(c1));

	iot_test_app_send_string(h1, "request");
	iot_test_wait_data(fixture, 1, "HTTP1", 1, "request");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	iot_test_receive_data(fixture, 1, NULL, 0, " more");
	iot_test_wait_received(h1, "v1 answer more");

	/* one stream at all */
	refused = iot_test_accept(fixture, "SSH1");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(refused));
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(h1));
	c2 = iot_test_accept(fixture, "SSH1");
	index = iot_test_wait_sent_type(fixture, 2, IOT_MESSAGE_TYPE_STREAM_START);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);
	iot_test_receive_data(fixture, 2, NULL, 0, "next");
	iot_test_wait_received(c2, "next");
	iot_test_app_close(c2);
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 2, NULL, 0);
}

/* a V1 destination that cannot reach its app says so first, by a reset without serviceId */
static void
test_source_falls_back_on_reset(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = NULL;

	iot_test_expect_log("iotunnel-v3", G_LOG_LEVEL_INFO, "the destination speaks V1 (*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);
	iot_test_assert_expected_logs();
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c1));
	c2 = iot_test_accept(fixture, "SSH1");
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);
}

/* the fall back lasts one session: the next one starts with V3 again */
static void
test_source_fallback_per_session(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = NULL;
	g_autoptr(IotTestApp) c3 = NULL;

	iot_test_expect_log("iotunnel-v3", G_LOG_LEVEL_INFO, "the destination speaks V2 (*");
	iot_test_receive_data(fixture, 1, "SSH1", 0, "old");
	iot_test_assert_expected_logs();
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c1));
	iot_codec_start(fixture->codec, IOT_SESSION(fixture->session), SUBPROTOCOL_3);
	iot_test_receive_service_ids(fixture, two_services);
	c2 = iot_test_accept(fixture, "SSH1");
	c3 = iot_test_accept(fixture, "SSH1");
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 1);
	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_CONNECTION_START, 2, "SSH1", 2);
}

/*
 * The peer resets connections before a byte passed, as the service does
 * while no destination is connected (issue 15, point 10): they go back to
 * the session, still open. One that carried a byte is closed as ever.
 */
static void
test_source_take_back(IotCodecFixture *fixture, gconstpointer user_data)
{
	GPtrArray *taken = iot_test_session_take_connections_back(fixture->session);
	g_autoptr(IotTestApp) c1 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c2 = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) c3 = NULL;
	g_autoptr(IotTestApp) c4 = NULL;
	g_autoptr(IotTestApp) c5 = NULL;

	/* STREAM_RESET: both connections of the stream go back */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	g_assert_cmpuint(taken->len, ==, 2);
	iot_test_settle();
	g_assert_false(iot_test_app_get_ended(c1));
	g_assert_false(iot_test_app_get_ended(c2));

	/* CONNECTION_RESET: that one goes back, the stream stays */
	c3 = iot_test_accept(fixture, "SSH1");
	c4 = iot_test_accept(fixture, "SSH1");
	iot_test_assert_sent(fixture, 2, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 1);
	iot_test_assert_sent(fixture, 3, IOT_MESSAGE_TYPE_CONNECTION_START, 2, "SSH1", 2);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 2, "SSH1", 2);
	g_assert_cmpuint(taken->len, ==, 3);
	g_assert_true(g_ptr_array_index(taken, 2) != g_ptr_array_index(taken, 0));

	/* a byte passed: closed, not taken back */
	iot_test_receive_data(fixture, 2, "SSH1", 1, "hello");
	iot_test_wait_received(c3, "hello");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 2, "SSH1", 1);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c3));
	g_assert_cmpuint(taken->len, ==, 3);
	c5 = iot_test_accept(fixture, "SSH1");
	iot_test_app_send_string(c5, "sent");
	iot_test_wait_data(fixture, 2, "SSH1", 3, "sent");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 2, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(c5));
	g_assert_cmpuint(taken->len, ==, 3);
	g_assert_false(iot_test_app_get_ended(c4));
}

static void
test_source_many(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < N_CONNECTIONS; i++)
		g_ptr_array_add(clients, iot_test_accept(fixture, "SSH1"));
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	for (guint i = 1; i < N_CONNECTIONS; i++)
		iot_test_assert_sent(fixture,
				     i,
				     IOT_MESSAGE_TYPE_CONNECTION_START,
				     1,
				     "SSH1",
				     i + 1);

	for (guint i = 0; i < N_CONNECTIONS; i++) {
		g_autofree gchar *text = g_strdup_printf("from client %u", i);
		iot_test_app_send_string(g_ptr_array_index(clients, i), text);
	}
	for (guint i = 0; i < N_CONNECTIONS; i++) {
		g_autofree gchar *text = g_strdup_printf("from client %u", i);
		iot_test_wait_data(fixture, 1, "SSH1", i + 1, text);
	}
	for (guint i = N_CONNECTIONS; i > 0; i--) {
		g_autofree gchar *text = g_strdup_printf("to client %u", i - 1);
		iot_test_receive_data(fixture, 1, "SSH1", i, text);
	}
	for (guint i = 0; i < N_CONNECTIONS; i++) {
		g_autofree gchar *text = g_strdup_printf("to client %u", i);
		iot_test_wait_received(g_ptr_array_index(clients, i), text);
	}
}

static void
test_destination_connections(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a2;
	IotTestApp *a3;
	IotTestApp *a4;
	guint index;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	a1 = iot_test_get_app(fixture, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	a2 = iot_test_get_app(fixture, 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	a3 = iot_test_get_app(fixture, 2);

	iot_test_receive_data(fixture, 1, "SSH1", 2, "for two");
	iot_test_receive_data(fixture, 1, "SSH1", 1, "for one");
	iot_test_receive_data(fixture, 1, "SSH1", 3, "for three");
	iot_test_wait_received(a1, "for one");
	iot_test_wait_received(a2, "for two");
	iot_test_wait_received(a3, "for three");
	iot_test_app_send_string(a3, "from three");
	iot_test_wait_data(fixture, 1, "SSH1", 3, "from three");

	/* the app ends one: CONNECTION_RESET for that one, the stream stays */
	iot_test_app_close(a2);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_CONNECTION_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	iot_test_receive_data(fixture, 1, "SSH1", 1, " more");
	iot_test_wait_received(a1, "for one more");

	/* the peer resets one: it is closed after what it was sent */
	iot_test_receive_data(fixture, 1, "SSH1", 3, " bye");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 3);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a3));
	g_assert_true(iot_test_app_get_eof(a3));
	iot_test_wait_received(a3, "for three bye");
	g_assert_false(iot_test_app_get_ended(a1));

	/* more connections join the stream */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 4);
	a4 = iot_test_get_app(fixture, 3);
	iot_test_receive_data(fixture, 1, "SSH1", 4, "four");
	iot_test_wait_received(a4, "four");

	/* STREAM_RESET cuts all of them */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a1) && iot_test_app_get_ended(a4));
	g_assert_true(iot_test_app_get_reset(a1));
	g_assert_true(iot_test_app_get_reset(a4));
	/* and nothing of ours answered the peer's resets */
	g_assert_cmpuint(iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_CONNECTION_RESET),
			 ==,
			 index);
	iot_test_settle();
	for (guint i = index + 1; i < iot_test_get_n_sent(fixture); i++) {
		const IotMessage *msg = iot_test_wait_sent(fixture, i);
		g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_DATA);
	}
}

static void
test_destination_last_connection(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a2;

	/* when the stream's only connection ends, the stream stays (as in the vectors) */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	a1 = iot_test_get_app(fixture, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 1);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a1));
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	a2 = iot_test_get_app(fixture, 1);
	iot_test_receive_data(fixture, 1, "SSH1", 2, "second");
	iot_test_wait_received(a2, "second");
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_destination_connect_failure(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a3;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	a1 = iot_test_get_app(fixture, 0);

	/* connection 2 cannot reach the app: CONNECTION_RESET for it alone */
	iot_test_session_set_fail_connects(fixture->session, TRUE);
	iot_test_expect_log("iotunnel-v3",
			    G_LOG_LEVEL_WARNING,
			    "stream 1 connection 2: cannot reach the local service SSH1:*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	iot_test_receive_data(fixture, 1, "SSH1", 2, "lost");
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	iot_test_assert_expected_logs();

	/* the stream and connection 1 go on, and a later connection works */
	iot_test_session_set_fail_connects(fixture->session, FALSE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	a3 = iot_test_get_app(fixture, 1);
	iot_test_receive_data(fixture, 1, "SSH1", 1, "one");
	iot_test_receive_data(fixture, 1, "SSH1", 3, "three");
	iot_test_wait_received(a1, "one");
	iot_test_wait_received(a3, "three");
	g_assert_false(iot_test_app_get_ended(a1));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 1);
}

/*
 * A stream for a service with no mapping here is reset, that stream alone:
 * the streams of the other services, and the session, go on.
 */
static void
test_destination_unknown_service(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	a1 = iot_test_get_app(fixture, 0);
	iot_test_expect_log("iotunnel-v3",
			    G_LOG_LEVEL_WARNING,
			    "stream 4: no local service for \"RDP1\"; resetting");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 4, "RDP1", 1);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET, 4, "RDP1", 0);
	iot_test_assert_expected_logs();
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 4, "RDP1", 2);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_CONNECTION_RESET, 4, "RDP1", 2);

	iot_test_receive_data(fixture, 1, "SSH1", 1, "still here");
	iot_test_wait_received(a1, "still here");
	iot_test_app_send_string(a1, "and back");
	iot_test_wait_data(fixture, 1, "SSH1", 1, "and back");
	g_assert_false(iot_test_app_get_ended(a1));
	g_assert_cmpuint(iot_test_session_get_apps(fixture->session)->len, ==, 1);
}

static void
test_destination_v1_format(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;
	guint index;

	/* V1 format: no serviceId, no connectionId; the one configured service */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	g_assert_cmpstr(g_ptr_array_index(iot_test_session_get_connects(fixture->session), 0),
			==,
			"SSH1");
	iot_test_receive_data(fixture, 1, NULL, 0, "v1 request");
	iot_test_wait_received(app, "v1 request");
	/* answered in the same format */
	iot_test_app_send_string(app, "v1 answer");
	iot_test_wait_data(fixture, 1, NULL, 0, "v1 answer");
	/* and ended with STREAM_RESET, never CONNECTION_RESET */
	iot_test_app_close(app);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0);

	/* the stream is gone; a second V1 stream works */
	iot_test_receive_data(fixture, 1, NULL, 0, "stale");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, NULL, 0);
	app = iot_test_get_app(fixture, 1);
	iot_test_receive_data(fixture, 2, NULL, 0, "again");
	iot_test_wait_received(app, "again");
}

static void
test_destination_v1_format_failure(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_session_set_fail_connects(fixture->session, TRUE);
	iot_test_expect_log("iotunnel-v3",
			    G_LOG_LEVEL_WARNING,
			    "stream 3 connection 1: cannot reach the local service*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 3, NULL, 0);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET, 3, NULL, 0);
	iot_test_assert_expected_logs();
}

static void
test_destination_v2_format(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;
	guint index;

	/* V2 format: serviceId without connectionId */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "v2");
	iot_test_wait_received(app, "v2");
	iot_test_app_send_string(app, "v2 back");
	iot_test_wait_data(fixture, 1, "HTTP1", 0, "v2 back");
	iot_test_app_abort(app);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "HTTP1", 0);

	/* a V2-format stream carries no CONNECTION_START */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, "HTTP1", 0);
	iot_test_get_app(fixture, 1);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 2, "HTTP1", 2);
}

static void
test_destination_many(IotCodecFixture *fixture, gconstpointer user_data)
{
	GPtrArray *apps = iot_test_session_get_apps(fixture->session);

	iot_test_session_set_echo(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	for (guint i = 2; i <= N_CONNECTIONS; i++)
		iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", i);
	for (guint i = 1; i <= N_CONNECTIONS; i++) {
		g_autofree gchar *text = g_strdup_printf("connection %u says hello", i);
		iot_test_receive_data(fixture, 1, "SSH1", i, text);
	}
	IOT_TEST_WAIT_UNTIL(apps->len == N_CONNECTIONS);
	/* every echo comes back on its own connection */
	for (guint i = 1; i <= N_CONNECTIONS; i++) {
		g_autofree gchar *text = g_strdup_printf("connection %u says hello", i);
		iot_test_wait_data(fixture, 1, "SSH1", i, text);
	}
	/* the peer resets every other one; the rest stay */
	for (guint i = 1; i <= N_CONNECTIONS; i += 2)
		iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", i);
	for (guint i = 2; i <= N_CONNECTIONS; i += 2) {
		g_autofree gchar *text = g_strdup_printf("connection %u says hello again", i);
		iot_test_receive_data(fixture, 1, "SSH1", i, " again");
		iot_test_wait_data(fixture, 1, "SSH1", i, text);
	}
}

static void
test_destination_stale(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 5, "SSH1", 1);
	app = iot_test_get_app(fixture, 0);
	iot_test_receive_data(fixture, 4, "SSH1", 1, "old stream,");
	iot_test_receive_data(fixture, 5, "SSH1", 7, "no such connection,");
	iot_test_receive_data(fixture, 5, "HTTP1", 1, "other service,");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 5, "SSH1", 7);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 4, "SSH1", 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 4, "SSH1", 0);
	iot_test_receive_data(fixture, 5, "SSH1", 1, "right");
	iot_test_wait_received(app, "right");
	g_assert_false(iot_test_app_get_ended(app));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);

	/* a connection for a stream we do not have is refused, not ignored */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 4, "SSH1", 2);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_CONNECTION_RESET, 4, "SSH1", 2);
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, 1);
}

static void
test_destination_pending_connect(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a2;

	iot_test_session_set_hold_connects(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	iot_test_receive_data(fixture, 1, "SSH1", 2, "x");
	iot_test_receive_data(fixture, 1, "SSH1", 1, "a");
	iot_test_receive_data(fixture, 1, "SSH1", 2, "y");
	iot_test_receive_data(fixture, 1, "SSH1", 1, "b");
	/* the peer is done with connection 2 before it is even connected */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2);
	iot_test_session_release_connects(fixture->session);
	a1 = iot_test_get_app(fixture, 0);
	a2 = iot_test_get_app(fixture, 1);
	iot_test_wait_received(a1, "ab");
	iot_test_wait_received(a2, "xy");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a2));
	g_assert_true(iot_test_app_get_eof(a2));
	g_assert_false(iot_test_app_get_ended(a1));
}

/*
 * The peer ends the connection (@type) while the app reads nothing: the app
 * gets every byte queued for it, then a clean end (CONNECTION_RESET, the
 * normal end) or a reset (STREAM_RESET, the far side went away)
 */
static void
run_destination_end_flushes(IotCodecFixture *fixture, IotMessageType type, gboolean cut)
{
	IotTestApp *app;
	IotConnection *connection;
	g_autofree gchar *big = g_strnfill(IOT_MESSAGE_MAX_PAYLOAD, 'z');
	g_autoptr(GString) expected = g_string_new(NULL);

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	app = iot_test_get_app(fixture, 0);
	iot_test_app_set_reading(app, FALSE);
	connection = iot_test_get_small_connection(fixture, 0);
	for (guint i = 0; i < 40; i++) {
		iot_test_receive_data(fixture, 1, "SSH1", 1, big);
		g_string_append(expected, big);
	}
	g_assert_cmpuint(iot_connection_get_write_queued(connection), >, 0);
	iot_test_receive(fixture, type, 1, "SSH1", type == IOT_MESSAGE_TYPE_STREAM_RESET ? 0 : 1);
	iot_test_app_set_reading(app, TRUE);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	if (cut)
		g_assert_true(iot_test_app_get_reset(app));
	else
		g_assert_true(iot_test_app_get_eof(app));
	g_assert_cmpuint(iot_test_app_get_received(app)->len, ==, expected->len);
	iot_test_wait_received(app, expected->str);
}

static void
test_destination_reset_flushes(IotCodecFixture *fixture, gconstpointer user_data)
{
	run_destination_end_flushes(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, FALSE);
}

static void
test_destination_stream_reset_cuts(IotCodecFixture *fixture, gconstpointer user_data)
{
	run_destination_end_flushes(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, TRUE);
}

static void
test_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(8, 1);

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_get_app(fixture, 0);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, NULL, 2);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 0);
	iot_test_receive_fails(fixture, unknown);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_STREAM_START, 0, "SSH1", 1);
}

static void
test_source_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
}

static void
test_ignorable(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(8, 1);
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	app = iot_test_get_app(fixture, 0);
	unknown->ignorable = TRUE;
	iot_test_receive_message(fixture, unknown);
	iot_test_receive_data(fixture, 1, "SSH1", 1, "alive");
	iot_test_wait_received(app, "alive");
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_stop_aborts(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *a2;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	a1 = iot_test_get_app(fixture, 0);
	a2 = iot_test_get_app(fixture, 1);
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a1) && iot_test_app_get_ended(a2));
	g_assert_true(iot_test_app_get_reset(a1));
	g_assert_true(iot_test_app_get_reset(a2));
}

static void
test_session_reset(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *a1;
	IotTestApp *h1;

	iot_test_receive_two_streams(fixture, 1, &a1, &h1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_SESSION_RESET, 0, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(a1) && iot_test_app_get_ended(h1));
	g_assert_true(iot_test_app_get_reset(a1));
	g_assert_true(iot_test_app_get_reset(h1));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

int
main(int argc, char **argv)
{
	iot_test_init(&argc, &argv);

	g_test_add_func("/iotunnel/v3-codec/subprotocol", test_subprotocol);
	g_test_add_func("/iotunnel/v3-codec/subprotocol-2-refused", test_subprotocol_2_refused);
#define ADD(path, setup, func) IOT_CODEC_TEST_ADD("/iotunnel/v3-codec/" path, setup, func)
	ADD("source/connections", setup_source, test_source_connections);
	ADD("source/peer-resets", setup_source, test_source_peer_resets);
	ADD("source/v2-format-peer", setup_source, test_source_v2_format_peer);
	ADD("source/falls-back-to-v2", setup_source, test_source_falls_back_to_v2);
	ADD("source/falls-back-to-v1", setup_source, test_source_falls_back_to_v1);
	ADD("source/falls-back-on-reset", setup_source, test_source_falls_back_on_reset);
	ADD("source/fallback-per-session", setup_source, test_source_fallback_per_session);
	ADD("source/take-back", setup_source, test_source_take_back);
	ADD("source/many-connections", setup_source, test_source_many);
	ADD("source/protocol-errors", setup_source, test_source_protocol_errors);
	ADD("destination/connections", setup_destination, test_destination_connections);
	ADD("destination/last-connection", setup_destination, test_destination_last_connection);
	ADD("destination/connect-failure", setup_destination, test_destination_connect_failure);
	ADD("destination/unknown-service", setup_destination, test_destination_unknown_service);
	ADD("destination/v1-format", setup_destination_ssh1, test_destination_v1_format);
	ADD("destination/v1-format-failure",
	    setup_destination_ssh1,
	    test_destination_v1_format_failure);
	ADD("destination/v2-format", setup_destination, test_destination_v2_format);
	ADD("destination/many-connections", setup_destination, test_destination_many);
	ADD("destination/stale", setup_destination, test_destination_stale);
	ADD("destination/pending-connect", setup_destination, test_destination_pending_connect);
	ADD("destination/reset-flushes", setup_destination, test_destination_reset_flushes);
	ADD("destination/stream-reset-cuts", setup_destination, test_destination_stream_reset_cuts);
	ADD("destination/protocol-errors", setup_destination, test_protocol_errors);
	ADD("destination/ignorable", setup_destination, test_ignorable);
	ADD("destination/session-reset", setup_destination, test_session_reset);
	ADD("destination/stop-aborts", setup_destination, test_stop_aborts);
#undef ADD
	return g_test_run();
}
