/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec-test-common.h"
#include "iot-v2-codec.h"

#define SUBPROTOCOL_1 "aws.iot.securetunneling-1.0"
#define SUBPROTOCOL_2 "aws.iot.securetunneling-2.0"
#define SUBPROTOCOL_3 "aws.iot.securetunneling-3.0"

static const gchar *const unnamed[] = {"", NULL};
static const gchar *const ssh1[] = {"SSH1", NULL};
static const gchar *const two_services[] = {"HTTP1", "SSH1", NULL};
static const gchar *const none[] = {NULL};

static void
setup_source(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v2_codec_new()),
				IOT_TUNNEL_MODE_SOURCE,
				two_services,
				SUBPROTOCOL_2);
}

static void
setup_source_unnamed(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v2_codec_new()),
				IOT_TUNNEL_MODE_SOURCE,
				unnamed,
				SUBPROTOCOL_2);
}

/* the user's `-y V2`: V2 messages in a 3.0 session */
static void
setup_source_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup(fixture,
				IOT_CODEC(iot_v2_codec_new()),
				IOT_TUNNEL_MODE_SOURCE,
				two_services,
				SUBPROTOCOL_3);
}

static void
setup_destination(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v2_codec_new()),
					  IOT_TUNNEL_MODE_DESTINATION,
					  two_services,
					  SUBPROTOCOL_2);
}

static void
setup_destination_ssh1(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_codec_fixture_setup_announced(fixture,
					  IOT_CODEC(iot_v2_codec_new()),
					  IOT_TUNNEL_MODE_DESTINATION,
					  ssh1,
					  SUBPROTOCOL_2);
}

static void
test_subprotocol(void)
{
	iot_test_assert_subprotocol(IOT_CODEC(iot_v2_codec_new()), SUBPROTOCOL_2);
}

static void
test_subprotocol_1_refused(void)
{
	/* a 1.0 session cannot name services */
	iot_test_assert_start_fails(IOT_CODEC(iot_v2_codec_new()), ssh1, SUBPROTOCOL_1);
}

static void
test_source_streams(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) ssh = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) http = iot_test_accept(fixture, "HTTP1");
	g_autoptr(IotTestApp) refused = NULL;

	/* held until SERVICE_IDS */
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
	iot_test_receive_service_ids(fixture, two_services);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);

	iot_test_app_send_string(ssh, "ssh bytes");
	iot_test_app_send_string(http, "http bytes");
	iot_test_wait_data(fixture, 1, "SSH1", 0, "ssh bytes");
	iot_test_wait_data(fixture, 1, "HTTP1", 0, "http bytes");
	iot_test_receive_data(fixture, 1, "SSH1", 0, "to ssh");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "to http");
	iot_test_wait_received(ssh, "to ssh");
	iot_test_wait_received(http, "to http");

	/* one connection per service */
	iot_test_expect_log("iotunnel-v2",
			    G_LOG_LEVEL_MESSAGE,
			    "*V2 carries one connection per service*stream 1 goes on*");
	refused = iot_test_accept(fixture, "SSH1");
	iot_test_assert_expected_logs();
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(refused));
	g_assert_true(iot_test_app_get_reset(refused));

	/* closing one service's connection resets its stream only */
	iot_test_app_close(ssh);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(ssh));
	g_assert_true(iot_test_app_get_eof(ssh));
	iot_test_assert_sent(fixture,
			     iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET),
			     IOT_MESSAGE_TYPE_STREAM_RESET,
			     1,
			     "SSH1",
			     0);
	iot_test_receive_data(fixture, 1, "HTTP1", 0, " more");
	iot_test_wait_received(http, "to http more");

	/* a new connection for the service gets the service's next stream ID */
	g_clear_object(&refused);
	refused = iot_test_accept(fixture, "SSH1");
	iot_test_assert_sent(fixture,
			     iot_test_get_n_sent(fixture) - 1,
			     IOT_MESSAGE_TYPE_STREAM_START,
			     2,
			     "SSH1",
			     0);
}

static void
test_source_peer_reset(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) ssh = iot_test_accept(fixture, "SSH1");
	g_autoptr(IotTestApp) http = iot_test_accept(fixture, "HTTP1");

	iot_test_receive_service_ids(fixture, two_services);
	iot_test_assert_sent(fixture, 1, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	iot_test_receive_data(fixture, 1, "SSH1", 0, "bye");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(ssh));
	g_assert_true(iot_test_app_get_eof(ssh));
	iot_test_wait_received(ssh, "bye");

	/* stream IDs count per service: a reset for a stream HTTP1 does not have is stale */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 2, "HTTP1", 0);
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "alive");
	iot_test_wait_received(http, "alive");
	g_assert_false(iot_test_app_get_ended(http));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 2);
}

static void
test_source_unnamed(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = NULL;

	/* `-s 5555` in a tunnel with one service: the stream carries that service */
	iot_test_receive_service_ids(fixture, ssh1);
	client = iot_test_accept(fixture, "");
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	iot_test_app_send_string(client, "named");
	iot_test_wait_data(fixture, 1, "SSH1", 0, "named");
	iot_test_receive_data(fixture, 1, "SSH1", 0, "back");
	iot_test_wait_received(client, "back");
}

static void
test_source_no_services(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = NULL;

	/* a tunnel opened without services: V1-style messages, without serviceId */
	iot_test_receive_service_ids(fixture, none);
	client = iot_test_accept(fixture, "");
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_receive_data(fixture, 1, NULL, 0, "plain");
	iot_test_wait_received(client, "plain");
}

static void
test_source_over_3(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotTestApp) client = iot_test_accept(fixture, "HTTP1");

	iot_test_receive_service_ids(fixture, two_services);
	/* V2 format in the 3.0 session: serviceId, no connectionId */
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	iot_test_app_send_string(client, "v2 over v3");
	iot_test_wait_data(fixture, 1, "HTTP1", 0, "v2 over v3");
	/* a V3 peer answering in V2 format may name connection 1 */
	iot_test_receive_data(fixture, 1, "HTTP1", 1, "answer");
	iot_test_wait_received(client, "answer");
}

static void
test_destination_streams(IotCodecFixture *fixture, gconstpointer user_data)
{
	GPtrArray *connects = iot_test_session_get_connects(fixture->session);
	IotTestApp *ssh;
	IotTestApp *http;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	ssh = iot_test_get_app(fixture, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	http = iot_test_get_app(fixture, 1);
	g_assert_cmpstr(g_ptr_array_index(connects, 0), ==, "SSH1");
	g_assert_cmpstr(g_ptr_array_index(connects, 1), ==, "HTTP1");

	iot_test_receive_data(fixture, 1, "SSH1", 0, "for ssh");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "for http");
	iot_test_wait_received(ssh, "for ssh");
	iot_test_wait_received(http, "for http");
	iot_test_app_send_string(ssh, "from ssh");
	iot_test_app_send_string(http, "from http");
	iot_test_wait_data(fixture, 1, "SSH1", 0, "from ssh");
	iot_test_wait_data(fixture, 1, "HTTP1", 0, "from http");

	/* a reset ends its service's stream only */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "HTTP1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(http));
	g_assert_true(iot_test_app_get_eof(http));
	iot_test_receive_data(fixture, 1, "SSH1", 0, " still");
	iot_test_wait_received(ssh, "for ssh still");

	/* the app ending sends the reset */
	iot_test_app_close(ssh);
	iot_test_assert_sent(fixture,
			     iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET),
			     IOT_MESSAGE_TYPE_STREAM_RESET,
			     1,
			     "SSH1",
			     0);
}

static void
test_destination_replace(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *old_app;
	IotTestApp *new_app;
	IotTestApp *http;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	old_app = iot_test_get_app(fixture, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	http = iot_test_get_app(fixture, 1);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 0);
	new_app = iot_test_get_app(fixture, 2);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(old_app));
	g_assert_true(iot_test_app_get_reset(old_app));

	iot_test_receive_data(fixture, 1, "SSH1", 0, "stale");
	iot_test_receive_data(fixture, 2, "SSH1", 0, "fresh");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "untouched");
	iot_test_wait_received(new_app, "fresh");
	iot_test_wait_received(http, "untouched");
	g_assert_false(iot_test_app_get_ended(http));
}

static void
test_destination_connect_failure(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_session_set_fail_connects(fixture->session, TRUE);
	iot_test_expect_log("iotunnel-v2",
			    G_LOG_LEVEL_WARNING,
			    "stream 4: cannot reach the local service HTTP1:*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 4, "HTTP1", 0);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET, 4, "HTTP1", 0);
	iot_test_assert_expected_logs();
}

static void
test_destination_unknown_service(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_expect_log("iotunnel-v2",
			    G_LOG_LEVEL_WARNING,
			    "stream 1: no local service for \"RDP1\"*");
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "RDP1", 0);
	iot_test_assert_sent(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "RDP1", 0);
	iot_test_assert_expected_logs();
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, 0);
	/* DATA for a service we do not have is stale */
	iot_test_receive_data(fixture, 1, "RDP1", 0, "nobody");
	iot_test_settle();
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 1);
}

static void
test_destination_pending_connect(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *ssh;
	IotTestApp *http;

	iot_test_session_set_hold_connects(fixture->session, TRUE);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 0);
	iot_test_receive_data(fixture, 1, "SSH1", 0, "a");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "1");
	iot_test_receive_data(fixture, 1, "SSH1", 0, "b");
	iot_test_receive_data(fixture, 1, "HTTP1", 0, "2");
	iot_test_session_release_connects(fixture->session);
	ssh = iot_test_get_app(fixture, 0);
	http = iot_test_get_app(fixture, 1);
	iot_test_receive_data(fixture, 1, "SSH1", 0, "c");
	iot_test_wait_received(ssh, "abc");
	iot_test_wait_received(http, "12");
}

static void
test_destination_unnamed_peer(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *app;

	/* no serviceId, one configured service: that service, answered without serviceId */
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	app = iot_test_get_app(fixture, 0);
	g_assert_cmpstr(g_ptr_array_index(iot_test_session_get_connects(fixture->session), 0),
			==,
			"SSH1");
	iot_test_app_send_string(app, "plain");
	iot_test_wait_data(fixture, 1, NULL, 0, "plain");
}

static void
test_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(99, 1);

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	iot_test_get_app(fixture, 0);
	/* the session's messages have a serviceId: one without breaks the rule */
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_DATA, 1, NULL, 0);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, NULL, 2);
	iot_test_receive_fails(fixture, unknown);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_STREAM_START, 0, "SSH1", 0);
}

static void
test_protocol_error_mixed_other_way(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0);
	iot_test_get_app(fixture, 0);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
}

static void
test_source_protocol_errors(IotCodecFixture *fixture, gconstpointer user_data)
{
	iot_test_receive_service_ids(fixture, two_services);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	iot_test_receive_fails_full(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
}

/*
 * A V3 source that has not noticed yet that we speak V2 (issue 15, point 9):
 * as an older proxy does, the destination drops DATA for a connection V2
 * does not have and answers the V3 messages that start or end a connection
 * with STREAM_RESET, rather than dropping the session; the other service's
 * stream goes on.
 */
static void
test_destination_newer_source(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *ssh;
	IotTestApp *http;
	IotTestApp *again;
	guint index;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1);
	ssh = iot_test_get_app(fixture, 0);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "HTTP1", 1);
	http = iot_test_get_app(fixture, 1);
	iot_test_receive_data(fixture, 1, "SSH1", 1, "one");
	iot_test_receive_data(fixture, 1, "SSH1", 2, "two");
	iot_test_receive_data(fixture, 1, "SSH1", 1, " more");
	iot_test_wait_received(ssh, "one more");
	iot_test_app_send_string(ssh, "answer");
	iot_test_wait_data(fixture, 1, "SSH1", 0, "answer");

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2);
	index = iot_test_wait_sent_type(fixture, 0, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(ssh));
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 3);
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0);

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 2, "SSH1", 1);
	again = iot_test_get_app(fixture, 2);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_CONNECTION_RESET, 2, "SSH1", 1);
	index = iot_test_wait_sent_type(fixture, index + 1, IOT_MESSAGE_TYPE_STREAM_RESET);
	iot_test_assert_sent(fixture, index, IOT_MESSAGE_TYPE_STREAM_RESET, 2, "SSH1", 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(again));

	iot_test_receive_data(fixture, 1, "HTTP1", 1, "web");
	iot_test_wait_received(http, "web");
	g_assert_false(iot_test_app_get_ended(http));
}

static void
test_ignorable(IotCodecFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotMessage) unknown = iot_message_new(99, 1);
	g_autoptr(IotMessage) connection_start =
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2, NULL);
	IotTestApp *app;

	iot_test_receive(fixture, IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0);
	app = iot_test_get_app(fixture, 0);
	unknown->ignorable = TRUE;
	connection_start->ignorable = TRUE;
	iot_test_receive_message(fixture, unknown);
	iot_test_receive_message(fixture, connection_start);
	iot_test_receive_data(fixture, 1, "SSH1", 0, "alive");
	iot_test_wait_received(app, "alive");
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, 1);
}

static void
test_session_reset(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *ssh;
	IotTestApp *http;

	iot_test_receive_two_streams(fixture, 0, &ssh, &http);
	iot_test_receive(fixture, IOT_MESSAGE_TYPE_SESSION_RESET, 0, NULL, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(ssh) && iot_test_app_get_ended(http));
	g_assert_true(iot_test_app_get_reset(ssh));
	g_assert_true(iot_test_app_get_reset(http));
	g_assert_cmpuint(iot_test_get_n_sent(fixture), ==, 0);
}

static void
test_stop_aborts(IotCodecFixture *fixture, gconstpointer user_data)
{
	IotTestApp *ssh;
	IotTestApp *http;

	iot_test_receive_two_streams(fixture, 0, &ssh, &http);
	iot_codec_stop(fixture->codec);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(ssh) && iot_test_app_get_ended(http));
	g_assert_true(iot_test_app_get_reset(ssh));
	g_assert_true(iot_test_app_get_reset(http));
}

int
main(int argc, char **argv)
{
	iot_test_init(&argc, &argv);

	g_test_add_func("/iotunnel/v2-codec/subprotocol", test_subprotocol);
	g_test_add_func("/iotunnel/v2-codec/subprotocol-1-refused", test_subprotocol_1_refused);
#define ADD(path, setup, func) IOT_CODEC_TEST_ADD("/iotunnel/v2-codec/" path, setup, func)
	ADD("source/streams", setup_source, test_source_streams);
	ADD("source/peer-reset", setup_source, test_source_peer_reset);
	ADD("source/unnamed-mapping", setup_source_unnamed, test_source_unnamed);
	ADD("source/no-services", setup_source_unnamed, test_source_no_services);
	ADD("source/over-subprotocol-3", setup_source_over_3, test_source_over_3);
	ADD("source/protocol-errors", setup_source, test_source_protocol_errors);
	ADD("destination/streams", setup_destination, test_destination_streams);
	ADD("destination/replace", setup_destination, test_destination_replace);
	ADD("destination/connect-failure", setup_destination, test_destination_connect_failure);
	ADD("destination/unknown-service", setup_destination, test_destination_unknown_service);
	ADD("destination/pending-connect", setup_destination, test_destination_pending_connect);
	ADD("destination/unnamed-peer", setup_destination_ssh1, test_destination_unnamed_peer);
	ADD("destination/protocol-errors", setup_destination, test_protocol_errors);
	ADD("destination/newer-source", setup_destination, test_destination_newer_source);
	ADD("destination/protocol-error-mixed",
	    setup_destination_ssh1,
	    test_protocol_error_mixed_other_way);
	ADD("destination/ignorable", setup_destination, test_ignorable);
	ADD("destination/session-reset", setup_destination, test_session_reset);
	ADD("destination/stop-aborts", setup_destination, test_stop_aborts);
#undef ADD
	return g_test_run();
}
