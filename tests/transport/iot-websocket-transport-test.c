/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <gmodule.h>
#include <string.h>
#include <sys/socket.h>

#include "iot-test-common.h"
#include "iot-test-service.h"
#include "iot-test-tls.h"
#include "iot-websocket-stream.h"
#include "iot-websocket-transport.h"

#define IOT_TEST_V3 "aws.iot.securetunneling-3.0"
#define IOT_TEST_V2 "aws.iot.securetunneling-2.0"

static gchar *iot_test_tls_dir = NULL;

typedef struct {
	IotTransport *transport;
	IotTestSoupService *soup;
	IotTestRawService *raw;

	gboolean connect_done;
	gboolean connected;
	GError *connect_error;

	GPtrArray *messages; /* of GBytes */
	guint closed_count;
	GError *closed_error;
	guint drained_count;
	gsize queued_at_drained;
	guint round_trips;
	gint64 round_trip_us;
} Fixture;

static void
iot_test_message_cb(IotTransport *transport, GBytes *payload, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_ptr_array_add(fixture->messages, g_bytes_ref(payload));
}

static void
iot_test_closed_cb(IotTransport *transport, const GError *error, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->closed_count++;
	g_clear_error(&fixture->closed_error);
	fixture->closed_error = g_error_copy(error);
}

static void
iot_test_drained_cb(IotTransport *transport, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->drained_count++;
	fixture->queued_at_drained = iot_transport_get_send_queued(transport);
}

static void
iot_test_round_trip_cb(IotTransport *transport, gint64 microseconds, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->round_trips++;
	fixture->round_trip_us = microseconds;
}

static void
fixture_setup(Fixture *fixture, gconstpointer user_data)
{
	fixture->transport = IOT_TRANSPORT(iot_websocket_transport_new());
	fixture->messages = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_signal_connect(fixture->transport, "message", G_CALLBACK(iot_test_message_cb), fixture);
	g_signal_connect(fixture->transport, "closed", G_CALLBACK(iot_test_closed_cb), fixture);
	g_signal_connect(fixture->transport, "drained", G_CALLBACK(iot_test_drained_cb), fixture);
	g_signal_connect(fixture->transport,
			 "round-trip",
			 G_CALLBACK(iot_test_round_trip_cb),
			 fixture);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer user_data)
{
	g_signal_handlers_disconnect_by_data(fixture->transport, fixture);
	g_clear_object(&fixture->transport);
	/* let libsoup finish closing on both sides */
	iot_test_run_for(20);
	g_clear_pointer(&fixture->soup, iot_test_soup_service_free);
	g_clear_pointer(&fixture->raw, iot_test_raw_service_free);
	g_ptr_array_unref(fixture->messages);
	g_clear_error(&fixture->closed_error);
	g_clear_error(&fixture->connect_error);
	iot_test_log_capture_assert_no_secret();
}

static void
fixture_configure(Fixture *fixture, const gchar *json)
{
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) error = NULL;

	node = json_from_string(json, &error);
	g_assert_no_error(error);
	g_assert_true(
	    iot_transport_configure(fixture->transport, json_node_get_object(node), &error));
	g_assert_no_error(error);
}

static void
iot_test_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->connected =
	    iot_transport_connect_finish(IOT_TRANSPORT(source), result, &fixture->connect_error);
	fixture->connect_done = TRUE;
}

static const gchar *const iot_test_v3_only[] = {IOT_TEST_V3, NULL};

/* starts connecting to @url; fixture->connect_done tells when that ended */
static void
fixture_connect_begin(Fixture *fixture,
		      const gchar *url,
		      const gchar *const *subprotocols,
		      GCancellable *cancellable)
{
	IotTransportParams params = {
	    .url = url,
	    .access_token = IOT_TEST_ACCESS_TOKEN,
	    .client_token = IOT_TEST_CLIENT_TOKEN,
	    .subprotocols = subprotocols,
	};
	fixture->connect_done = FALSE;
	g_clear_error(&fixture->connect_error);
	iot_transport_connect_async(fixture->transport,
				    &params,
				    cancellable,
				    iot_test_connect_cb,
				    fixture);
}

static gboolean
fixture_connect_full(Fixture *fixture,
		     const gchar *url,
		     const gchar *const *subprotocols,
		     GCancellable *cancellable)
{
	fixture_connect_begin(fixture, url, subprotocols, cancellable);
	IOT_TEST_WAIT_UNTIL_MS(fixture->connect_done, 10000);
	return fixture->connected;
}

static gboolean
fixture_connect(Fixture *fixture, const gchar *url)
{
	return fixture_connect_full(fixture, url, iot_test_v3_only, NULL);
}

static void
fixture_start_soup(Fixture *fixture, GTlsCertificate *certificate)
{
	g_autoptr(GError) error = NULL;
	fixture->soup = iot_test_soup_service_new(certificate, &error);
	g_assert_no_error(error);
}

static void
fixture_start_raw(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	fixture->raw = iot_test_raw_service_new(G_SOCKET_FAMILY_IPV4, &error);
	g_assert_no_error(error);
}

static GTlsCertificate *
iot_test_certificate(const gchar *name)
{
	g_autofree gchar *filename = g_build_filename(iot_test_tls_dir, name, NULL);
	g_autoptr(GError) error = NULL;
	GTlsCertificate *certificate = g_tls_certificate_new_from_file(filename, &error);
	g_assert_no_error(error);
	return certificate;
}

static gboolean
iot_test_bytes_have_pattern(GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	for (gsize i = 0; i < len; i++) {
		if (data[i] != ((7 * i + 3) & 0xff))
			return FALSE;
	}
	return TRUE;
}

static GBytes *
iot_test_pattern(gsize len)
{
	guint8 *data = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		data[i] = (7 * i + 3) & 0xff;
	return g_bytes_new_take(data, len);
}

static void
test_handshake_headers(Fixture *fixture, gconstpointer user_data)
{
	SoupMessageHeaders *headers;
	g_autofree gchar *host = NULL;

	fixture_start_soup(fixture, NULL);
	fixture->soup->channel_id = g_strdup("chan-42");
	fixture_configure(fixture, "{\"type\": \"websocket\", \"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	g_assert_no_error(fixture->connect_error);

	headers = fixture->soup->request_headers;
	g_assert_nonnull(headers);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "access-token"),
			==,
			IOT_TEST_ACCESS_TOKEN);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "client-token"),
			==,
			IOT_TEST_CLIENT_TOKEN);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "Sec-WebSocket-Protocol"),
			==,
			IOT_TEST_V3);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "User-Agent"),
			==,
			"iotunnel/" PACKAGE_VERSION);
	host = g_strdup_printf("127.0.0.1:%u", fixture->soup->port);
	g_assert_cmpstr(soup_message_headers_get_one(headers, "Host"), ==, host);
	g_assert_cmpstr(iot_transport_get_subprotocol(fixture->transport), ==, IOT_TEST_V3);
	g_assert_cmpstr(iot_transport_get_channel_id(fixture->transport), ==, "chan-42");
	g_assert_nonnull(strstr(iot_test_log_capture_get(), "channel-id chan-42"));
}

static void
test_subprotocol_chosen(Fixture *fixture, gconstpointer user_data)
{
	const gchar *offered[] = {"aws.iot.securetunneling-9.0", IOT_TEST_V2, NULL};

	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect_full(fixture, fixture->soup->url, offered, NULL));
	g_assert_cmpstr(
	    soup_message_headers_get_one(fixture->soup->request_headers, "Sec-WebSocket-Protocol"),
	    ==,
	    "aws.iot.securetunneling-9.0, " IOT_TEST_V2);
	g_assert_cmpstr(iot_transport_get_subprotocol(fixture->transport), ==, IOT_TEST_V2);
	g_assert_null(iot_transport_get_channel_id(fixture->transport));
}

static void
test_subprotocol_not_offered(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_raw(fixture);
	fixture->raw->answer_protocol = g_strdup("aws.iot.securetunneling-9.0");
	g_assert_false(fixture_connect(fixture, fixture->raw->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(fixture->connect_error->message, "aws.iot.securetunneling-9.0"));
}

static void
test_subprotocol_missing(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_raw(fixture);
	fixture->raw->answer_protocol = g_strdup("");
	g_assert_false(fixture_connect(fixture, fixture->raw->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_PROTOCOL);
}

typedef struct {
	guint status;
	gint code;
	const gchar *text;
} StatusCase;

static guint
iot_test_handshake_status(Fixture *fixture)
{
	guint status = 0;
	g_object_get(fixture->transport, "handshake-status", &status, NULL);
	return status;
}

static void
test_status(Fixture *fixture, gconstpointer user_data)
{
	const StatusCase *status_case = user_data;
	g_autofree gchar *expected = NULL;

	fixture_start_soup(fixture, NULL);
	fixture->soup->refuse_status = status_case->status;
	g_assert_false(fixture_connect(fixture, fixture->soup->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, status_case->code);
	expected = g_strdup_printf("HTTP %u %s", status_case->status, status_case->text);
	g_assert_nonnull(strstr(fixture->connect_error->message, expected));
	g_assert_cmpuint(iot_test_handshake_status(fixture), ==, status_case->status);
	/* a failed attempt leaves the transport ready for another */
	fixture->soup->refuse_status = 0;
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	g_assert_cmpuint(iot_test_handshake_status(fixture), ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
}

typedef struct {
	const gchar *name;
	const gchar *answer;	  /* the whole HTTP answer, as the service writes it */
	guint connect_timeout_ms; /* 0: the default */
	const gchar *reason;	  /* what the message ends with, or NULL for no reason */
} RefusalCase;

static const RefusalCase refusal_cases[] = {
    /* the service's own words, as iotunnel-service writes them */
    {"reason",
     "HTTP/1.1 403 Forbidden\r\nContent-Length: 50\r\nConnection: close\r\n\r\n"
     "the access token was already used without a cl...\n",
     0,
     " (the access token was already used without a cl...)"},
    /* only the first line, control characters shown as '?' */
    {"first-line",
     "HTTP/1.1 401 Unauthorized\r\nContent-Length: 19\r\n\r\nunknown\x01token\r\nmore",
     0,
     " (unknown?token)"},
    /* a body longer than the limit is not read */
    {"long-body",
     "HTTP/1.1 403 Forbidden\r\nContent-Length: 5000\r\n\r\nnot read",
     0,
     "HTTP 403 Forbidden"},
    /* a reason that repeats the token is not shown */
    {"echoes-token",
     "HTTP/1.1 403 Forbidden\r\nContent-Length: 51\r\n\r\n"
     "bad token " IOT_TEST_ACCESS_TOKEN "\n\n\n\n\n\n",
     0,
     "HTTP 403 Forbidden"},
    /* a body that never comes in full: the refusal stands, as far as it came */
    {"short-body",
     "HTTP/1.1 410 Gone\r\nContent-Length: 100\r\n\r\ntunnel closed",
     300,
     " (tunnel closed)"},
};

/* a 4xx answer's body says why, and the message says it too */
static void
test_refusal_reason(Fixture *fixture, gconstpointer user_data)
{
	const RefusalCase *refusal_case = user_data;

	if (refusal_case->connect_timeout_ms > 0) {
		g_autofree gchar *settings =
		    g_strdup_printf("{\"connect_timeout_ms\": %u, \"ping_ms\": 0}",
				    refusal_case->connect_timeout_ms);
		fixture_configure(fixture, settings);
	}
	fixture_start_raw(fixture);
	fixture->raw->http_answer =
	    g_bytes_new_static(refusal_case->answer, strlen(refusal_case->answer));
	g_assert_false(fixture_connect(fixture, fixture->raw->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_REFUSED);
	g_assert_true(g_str_has_suffix(fixture->connect_error->message, refusal_case->reason));
	g_assert_null(strstr(fixture->connect_error->message, IOT_TEST_ACCESS_TOKEN));
	g_assert_cmpuint(iot_test_handshake_status(fixture), >=, 400);
}

static void
test_binary_both_ways(Fixture *fixture, gconstpointer user_data)
{
	const gsize sizes[] = {0, 1, 125, 126, 65535, 65536, 131076};

	fixture_start_soup(fixture, NULL);
	fixture->soup->echo = TRUE;
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GBytes) payload = iot_test_pattern(sizes[i]);
		iot_transport_send(fixture->transport, payload);
	}
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == G_N_ELEMENTS(sizes), 5000);
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		GBytes *message = g_ptr_array_index(fixture->messages, i);
		g_assert_cmpuint(g_bytes_get_size(message), ==, sizes[i]);
		g_assert_true(iot_test_bytes_have_pattern(message));
	}
	g_assert_cmpuint(fixture->soup->received->len, ==, G_N_ELEMENTS(sizes));
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

static void
test_too_large(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) big = iot_test_pattern(131077);

	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	soup_websocket_connection_send_message(fixture->soup->ws, SOUP_WEBSOCKET_DATA_BINARY, big);
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_PROTOCOL);
	g_assert_nonnull(strstr(fixture->closed_error->message, "131076"));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->closed, 5000);
	g_assert_cmpuint(fixture->soup->close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
	g_assert_cmpuint(fixture->messages->len, ==, 0);
}

static void
test_fragments_too_large(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) first = iot_test_server_frame(0x02, 70000);
	g_autoptr(GBytes) last = iot_test_server_frame(0x80, 70000);

	fixture_start_raw(fixture);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_test_raw_service_write(fixture->raw, first);
	iot_test_raw_service_write(fixture->raw, last);
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_PROTOCOL);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->close_code != -1 || fixture->raw->eof, 5000);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->eof, 5000);
	g_assert_cmpint(fixture->raw->close_code, ==, SOUP_WEBSOCKET_CLOSE_TOO_BIG);
	g_assert_cmpuint(fixture->messages->len, ==, 0);
}

static void
test_fragments_reassembled(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) first = iot_test_server_frame(0x02, 60000);
	g_autoptr(GBytes) last = iot_test_server_frame(0x80, 60000);

	fixture_start_raw(fixture);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_test_raw_service_write(fixture->raw, first);
	iot_test_raw_service_write(fixture->raw, last);
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == 1, 5000);
	g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(fixture->messages, 0)), ==, 120000);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

static void
test_text_message(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	soup_websocket_connection_send_text(fixture->soup->ws, "hello");
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_PROTOCOL);
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->closed, 5000);
	g_assert_cmpuint(fixture->soup->close_code, ==, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA);
	g_assert_cmpuint(fixture->messages->len, ==, 0);
}

/* a close other than the normal one (a restarting service) is worth a retry */
static void
test_service_going_away(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	soup_websocket_connection_close(fixture->soup->ws,
					SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
					"restarting");
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_UNAVAILABLE);
	g_assert_nonnull(strstr(fixture->closed_error->message, "1001"));
}

static void
test_service_close(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) last = iot_test_pattern(100);

	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	soup_websocket_connection_send_message(fixture->soup->ws, SOUP_WEBSOCKET_DATA_BINARY, last);
	soup_websocket_connection_close(fixture->soup->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, "bye now");
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED);
	g_assert_nonnull(strstr(fixture->closed_error->message, "1000"));
	g_assert_nonnull(strstr(fixture->closed_error->message, "bye now"));
	/* what came before the close is delivered first */
	g_assert_cmpuint(fixture->messages->len, ==, 1);
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->closed, 5000);
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
}

static void
test_service_drops(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_raw(fixture);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_test_raw_service_drop(fixture->raw);
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK);
}

static guint
iot_test_ping_period(Fixture *fixture)
{
	guint period = 0;
	g_object_get(fixture->transport, "ping-period", &period, NULL);
	return period;
}

static gboolean
iot_test_closing(Fixture *fixture)
{
	gboolean closing = FALSE;
	g_object_get(fixture->transport, "closing", &closing, NULL);
	return closing;
}

/*
 * The service goes away while our queue is full. Receiving is paused, so
 * that the failed write tells it, not a read: the connection is lost, and
 * libsoup's side of it closes too.
 */
static void
test_service_drops_while_sending(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload = iot_test_pattern(131076);

	fixture_start_raw(fixture);
	fixture->raw->reading = FALSE;
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_transport_set_receive_paused(fixture->transport, TRUE);
	while (iot_transport_get_send_queued(fixture->transport) <= IOT_TRANSPORT_HIGH_WATER)
		iot_transport_send(fixture->transport, payload);
	iot_test_raw_service_drop(fixture->raw);
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK);
	g_assert_nonnull(strstr(fixture->closed_error->message, "connection to the service lost"));
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
	IOT_TEST_WAIT_UNTIL_MS(!iot_test_closing(fixture), 5000);
}

static void
test_close(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload = iot_test_pattern(1000);

	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	g_assert_false(iot_test_closing(fixture));
	iot_transport_send(fixture->transport, payload);
	iot_transport_close(fixture->transport);
	/* the closing handshake is under way, and says when it is over */
	g_assert_true(iot_test_closing(fixture));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->closed, 5000);
	g_assert_cmpuint(fixture->soup->close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
	/* what was queued went out before the close */
	g_assert_cmpuint(fixture->soup->received->len, ==, 1);
	IOT_TEST_WAIT_UNTIL_MS(!iot_test_closing(fixture), 5000);
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->closed_count, ==, 0);

	/* and the transport connects again */
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
}

/* random bytes, so that a masking mistake cannot hide in a pattern */
static GBytes *
iot_test_random_bytes(gsize len)
{
	guint8 *data = g_malloc(len);
	for (gsize i = 0; i < len; i++)
		data[i] = g_test_rand_int_range(0, 256);
	return g_bytes_new_take(data, len);
}

/*
 * Our data frames, masked 8 bytes at a time with a 7, 16 or 64-bit length,
 * reach a real SoupServer, which unmasks them, byte for byte: every length
 * around the mask's word and the length encodings, and random ones.
 */
static void
test_data_frames_exact(Fixture *fixture, gconstpointer user_data)
{
	const gchar *certificate_name = user_data;
	g_autoptr(GTlsCertificate) certificate = NULL;
	g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	const gsize sizes[] = {0, 1, 7, 8, 9, 125, 126, 65535, 65536, 131076};

	if (certificate_name != NULL) {
		certificate = iot_test_certificate(certificate_name);
		fixture_configure(fixture, "{\"insecure\": true}");
	}
	fixture_start_soup(fixture, certificate);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++)
		g_ptr_array_add(sent, iot_test_random_bytes(sizes[i]));
	for (guint i = 0; i < 40; i++)
		g_ptr_array_add(sent, iot_test_random_bytes(g_test_rand_int_range(0, 131076 + 1)));
	for (guint i = 0; i < sent->len; i++)
		iot_transport_send(fixture->transport, g_ptr_array_index(sent, i));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->received->len == sent->len, 10000);
	for (guint i = 0; i < sent->len; i++) {
		g_assert_true(g_bytes_equal(g_ptr_array_index(fixture->soup->received, i),
					    g_ptr_array_index(sent, i)));
	}
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

/*
 * The service pings while a bulk send keeps our queue full: libsoup's pongs
 * and our own pings go between our data frames, none inside another.
 */
static void
test_ping_during_bulk(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload = iot_test_pattern(65536);
	guint64 handed = 0;
	guint pings = 0;

	fixture_start_raw(fixture);
	fixture->raw->answer_pings = TRUE;
	fixture->raw->check_data = TRUE;
	fixture_configure(fixture, "{\"ping_ms\": 20}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	for (guint i = 0; i < 160; i++) {
		iot_transport_send(fixture->transport, payload);
		handed += g_bytes_get_size(payload);
		if (i % 8 == 0) {
			g_autofree gchar *text = g_strdup_printf("ping %u", pings++);
			guint8 header[2] = {0x89, (guint8)strlen(text)};
			g_autoptr(GByteArray) frame = g_byte_array_new();
			g_autoptr(GBytes) frame_bytes = NULL;
			g_byte_array_append(frame, header, sizeof(header));
			g_byte_array_append(frame, (const guint8 *)text, strlen(text));
			frame_bytes = g_byte_array_free_to_bytes(g_steal_pointer(&frame));
			iot_test_raw_service_write(fixture->raw, frame_bytes);
		}
		/* as the tunnel does: no more while above the high-water mark */
		while (g_main_context_iteration(NULL, FALSE) ||
		       iot_transport_get_send_queued(fixture->transport) > IOT_TRANSPORT_HIGH_WATER)
			;
	}
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->data_received == handed, 20000);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->pongs->len == pings, 5000);
	for (guint i = 0; i < pings; i++) {
		g_autofree gchar *text = g_strdup_printf("ping %u", i);
		g_assert_cmpstr(g_ptr_array_index(fixture->raw->pongs, i), ==, text);
	}
	g_assert_cmpuint(fixture->raw->data_messages, ==, 160);
	g_assert_cmpuint(fixture->raw->data_corrupt, ==, 0);
	g_assert_cmpuint(fixture->raw->pings->len, >=, 1);
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

/*
 * Over TLS, a write that would block leaves its record inside GnuTLS, and
 * the next write must carry the same bytes: pings every 20 ms while a bulk
 * send keeps the network full must never go between.
 */
static void
test_tls_ping_during_bulk(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	fixture_start_soup(fixture, certificate);
	fixture_configure(fixture, "{\"insecure\": true, \"ping_ms\": 20}");
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	for (guint i = 0; i < 128; i++) {
		g_autoptr(GBytes) payload = iot_test_random_bytes(131076);
		iot_transport_send(fixture->transport, payload);
		g_ptr_array_add(sent, g_steal_pointer(&payload));
		/* as the tunnel does: no more while above the high-water mark */
		while (g_main_context_iteration(NULL, FALSE) ||
		       iot_transport_get_send_queued(fixture->transport) > IOT_TRANSPORT_HIGH_WATER)
			g_assert_cmpuint(fixture->closed_count, ==, 0);
	}
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->received->len == sent->len ||
				   fixture->closed_count > 0,
			       20000);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
	for (guint i = 0; i < sent->len; i++) {
		g_assert_true(g_bytes_equal(g_ptr_array_index(fixture->soup->received, i),
					    g_ptr_array_index(sent, i)));
	}
	g_assert_cmpuint(fixture->round_trips, >=, 1);
}

/* closing with data still queued: the data first, then the close frame */
static void
test_close_after_queued(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->ws != NULL, 5000);
	/* more than loopback's socket buffers take at once */
	while (iot_transport_get_send_queued(fixture->transport) < 2 * 131076) {
		g_autoptr(GBytes) payload = iot_test_random_bytes(131076);
		g_assert_cmpuint(sent->len, <, 2000);
		iot_transport_send(fixture->transport, payload);
		g_ptr_array_add(sent, g_steal_pointer(&payload));
	}
	iot_transport_close(fixture->transport);
	IOT_TEST_WAIT_UNTIL_MS(fixture->soup->closed, 20000);
	g_assert_cmpuint(fixture->soup->close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
	g_assert_cmpuint(fixture->soup->received->len, ==, sent->len);
	for (guint i = 0; i < sent->len; i++) {
		g_assert_true(g_bytes_equal(g_ptr_array_index(fixture->soup->received, i),
					    g_ptr_array_index(sent, i)));
	}
	IOT_TEST_WAIT_UNTIL_MS(!iot_test_closing(fixture), 5000);
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

static void
test_answer_glued(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) frame = iot_test_server_frame(0x82, 300);

	fixture_start_raw(fixture);
	fixture->raw->after_answer = g_bytes_ref(frame);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == 1, 5000);
	g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(fixture->messages, 0)), ==, 300);
	g_assert_true(iot_test_bytes_have_pattern(g_ptr_array_index(fixture->messages, 0)));
}

static void
test_ping(Fixture *fixture, gconstpointer user_data)
{
	gint64 before_ms = g_get_real_time() / 1000;
	gint64 after_ms;
	gint64 connected_us;
	guint64 payload_ms = 0;
	g_autoptr(GError) error = NULL;

	fixture_start_raw(fixture);
	fixture->raw->answer_pings = TRUE;
	fixture_configure(fixture, "{\"ping_ms\": 60000}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	connected_us = g_get_monotonic_time();
	after_ms = g_get_real_time() / 1000;

	/* the first ping goes right after the handshake, not after the period */
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->pings->len == 1, 5000);
	g_assert_cmpint(fixture->raw->first_ping_us - connected_us, <, 5 * G_USEC_PER_SEC);
	g_assert_true(g_ascii_string_to_unsigned(g_ptr_array_index(fixture->raw->pings, 0),
						 10,
						 0,
						 G_MAXINT64,
						 &payload_ms,
						 &error));
	g_assert_no_error(error);
	g_assert_cmpint((gint64)payload_ms, >=, before_ms);
	g_assert_cmpint((gint64)payload_ms, <=, after_ms);

	IOT_TEST_WAIT_UNTIL_MS(fixture->round_trips == 1, 5000);
	g_assert_cmpint(fixture->round_trip_us, >, 0);
	g_assert_cmpint(fixture->round_trip_us, <, 5 * G_USEC_PER_SEC);
}

static void
test_ping_period(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_raw(fixture);
	fixture->raw->answer_pings = TRUE;
	fixture_configure(fixture, "{\"ping_ms\": 20}");
	g_assert_cmpuint(iot_test_ping_period(fixture), ==, 20);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->pings->len >= 4, 5000);
	IOT_TEST_WAIT_UNTIL_MS(fixture->round_trips >= 4, 5000);
	for (guint i = 1; i < fixture->raw->pings->len; i++) {
		g_assert_cmpint(
		    g_ascii_strtoll(g_ptr_array_index(fixture->raw->pings, i), NULL, 10),
		    >=,
		    g_ascii_strtoll(g_ptr_array_index(fixture->raw->pings, i - 1), NULL, 10));
	}
}

static void
test_answers_ping(Fixture *fixture, gconstpointer user_data)
{
	static const gchar frames[] = "\x8a\x0d"
				      "1700000000000"
				      "\x89\x05"
				      "hello";
	g_autoptr(GBytes) ping = g_bytes_new_static(frames, sizeof(frames) - 1);

	fixture_start_raw(fixture);
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	/* an unsolicited pong, then a ping */
	iot_test_raw_service_write(fixture->raw, ping);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->pongs->len == 1, 5000);
	g_assert_cmpstr(g_ptr_array_index(fixture->raw->pongs, 0), ==, "hello");
	/* the pong before it answered no ping of ours: no round trip */
	g_assert_cmpuint(fixture->round_trips, ==, 0);
}

static void
test_ping_none(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload = iot_test_pattern(10);

	fixture_start_raw(fixture);
	g_assert_cmpuint(iot_test_ping_period(fixture), ==, 20000);
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_cmpuint(iot_test_ping_period(fixture), ==, 0);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_transport_send(fixture->transport, payload);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->data_messages == 1, 5000);
	iot_test_run_for(50);
	g_assert_cmpuint(fixture->raw->pings->len, ==, 0);
}

static void
test_send_queue(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload = iot_test_pattern(65536);
	guint64 handed = 0;

	fixture_start_raw(fixture);
	fixture->raw->reading = FALSE;
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);

	/* the service reads nothing: the socket fills, then the queue grows */
	while (iot_transport_get_send_queued(fixture->transport) <= IOT_TRANSPORT_HIGH_WATER) {
		g_assert_cmpuint(handed, <, 256 * 1024 * 1024);
		iot_transport_send(fixture->transport, payload);
		handed += g_bytes_get_size(payload);
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), <=, handed);
	g_test_message("handed %" G_GUINT64_FORMAT " bytes, %" G_GSIZE_FORMAT
		       " of them queued, when the service stopped reading",
		       handed,
		       iot_transport_get_send_queued(fixture->transport));
	iot_test_run_for(50);
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport),
			 >,
			 IOT_TRANSPORT_HIGH_WATER);
	g_assert_cmpuint(fixture->drained_count, ==, 0);

	/* the service reads again: the queue drains, ::drained once below the low mark */
	iot_test_raw_service_set_reading(fixture->raw, TRUE);
	IOT_TEST_WAIT_UNTIL_MS(fixture->drained_count == 1, 10000);
	g_assert_cmpuint(fixture->queued_at_drained, <, IOT_TRANSPORT_LOW_WATER);
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->data_received == handed, 10000);
	g_assert_cmpuint(iot_transport_get_send_queued(fixture->transport), ==, 0);
	g_assert_cmpuint(fixture->drained_count, ==, 1);
	g_assert_cmpuint(fixture->raw->data_messages, ==, handed / g_bytes_get_size(payload));
}

static void
test_receive_pause(Fixture *fixture, gconstpointer user_data)
{
	guint seen_when_blocked;

	fixture_start_raw(fixture);
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	iot_transport_set_receive_paused(fixture->transport, TRUE);

	/* the service writes until TCP pushes back: the client reads nothing */
	iot_test_raw_service_flood(fixture->raw, 16384, 100000);
	g_assert_true(fixture->raw->flood_blocked);
	iot_test_run_for(100);
	seen_when_blocked = fixture->messages->len;
	g_assert_cmpuint(seen_when_blocked, ==, 0);
	g_assert_cmpuint(fixture->raw->flood_started, >, 4);

	/* once resumed, every message arrives, in order */
	iot_transport_set_receive_paused(fixture->transport, FALSE);
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == fixture->raw->flood_started, 10000);
	for (guint i = 0; i < fixture->messages->len; i++) {
		g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(fixture->messages, i)),
				 ==,
				 16384);
	}
	g_assert_cmpuint(fixture->closed_count, ==, 0);
}

static void
iot_test_pause_cb(IotTransport *transport, GBytes *payload, gpointer user_data)
{
	iot_transport_set_receive_paused(transport, TRUE);
}

static void
test_receive_pause_in_handler(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GByteArray) frames = g_byte_array_new();
	g_autoptr(GBytes) bytes = NULL;

	fixture_start_raw(fixture);
	fixture_configure(fixture, "{\"ping_ms\": 0}");
	g_assert_true(fixture_connect(fixture, fixture->raw->url));

	/* three messages in one write, then a close: all reach libsoup at once */
	for (guint i = 0; i < 3; i++) {
		g_autoptr(GBytes) frame = iot_test_server_frame(0x82, 10 + i);
		g_byte_array_append(frames, g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
	}
	g_byte_array_append(frames, (const guint8 *)"\x88\x02\x03\xe8", 4);
	bytes = g_byte_array_free_to_bytes(g_steal_pointer(&frames));
	g_signal_connect(fixture->transport, "message", G_CALLBACK(iot_test_pause_cb), fixture);
	iot_test_raw_service_write(fixture->raw, bytes);
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == 1, 5000);
	iot_test_run_for(100);
	g_assert_cmpuint(fixture->messages->len, ==, 1);
	g_assert_cmpuint(fixture->closed_count, ==, 0);

	g_signal_handlers_disconnect_by_func(fixture->transport,
					     G_CALLBACK(iot_test_pause_cb),
					     fixture);
	iot_transport_set_receive_paused(fixture->transport, FALSE);
	IOT_TEST_WAIT_UNTIL_MS(fixture->closed_count == 1, 5000);
	g_assert_cmpuint(fixture->messages->len, ==, 3);
	for (guint i = 0; i < 3; i++) {
		g_assert_cmpuint(g_bytes_get_size(g_ptr_array_index(fixture->messages, i)),
				 ==,
				 10 + i);
	}
	g_assert_error(fixture->closed_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED);
}

static void
test_tls_untrusted(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autofree gchar *url = NULL;

	fixture_start_soup(fixture, certificate);
	url = g_strdup_printf("wss://localhost:%u/tunnel?local-proxy-mode=source",
			      fixture->soup->port);
	g_assert_false(fixture_connect(fixture, url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_TLS);
	g_assert_nonnull(strstr(fixture->connect_error->message, "not signed by a trusted"));
}

static void
test_tls_ca_path_dir(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autofree gchar *settings = NULL;
	g_autofree gchar *url = NULL;
	g_autoptr(GBytes) payload = iot_test_pattern(5000);

	fixture_start_soup(fixture, certificate);
	fixture->soup->echo = TRUE;
	settings = g_strdup_printf("{\"ca_path\": \"%s/ca\"}", iot_test_tls_dir);
	fixture_configure(fixture, settings);
	url = g_strdup_printf("wss://localhost:%u/tunnel?local-proxy-mode=source",
			      fixture->soup->port);
	g_assert_true(fixture_connect(fixture, url));
	iot_transport_send(fixture->transport, payload);
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == 1, 5000);
	g_assert_true(g_bytes_equal(payload, g_ptr_array_index(fixture->messages, 0)));
}

static void
test_tls_ca_path_file(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autofree gchar *settings = NULL;
	g_autofree gchar *url = NULL;

	fixture_start_soup(fixture, certificate);
	settings = g_strdup_printf("{\"ca_path\": \"%s/ca/ca.pem\"}", iot_test_tls_dir);
	fixture_configure(fixture, settings);
	url = g_strdup_printf("wss://localhost:%u/tunnel?local-proxy-mode=source",
			      fixture->soup->port);
	g_assert_true(fixture_connect(fixture, url));
}

static void
test_tls_wrong_host(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autofree gchar *settings = NULL;

	fixture_start_soup(fixture, certificate);
	settings = g_strdup_printf("{\"ca_path\": \"%s/ca\"}", iot_test_tls_dir);
	fixture_configure(fixture, settings);
	/* the certificate names localhost, not 127.0.0.1 */
	g_assert_false(fixture_connect(fixture, fixture->soup->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_TLS);
	g_assert_nonnull(strstr(fixture->connect_error->message, "does not match the host name"));
	g_assert_null(strstr(fixture->connect_error->message, "trusted"));
}

static void
test_tls_expired(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("expired.pem");
	g_autofree gchar *settings = NULL;
	g_autofree gchar *url = NULL;

	fixture_start_soup(fixture, certificate);
	settings = g_strdup_printf("{\"ca_path\": \"%s/ca\"}", iot_test_tls_dir);
	fixture_configure(fixture, settings);
	url = g_strdup_printf("wss://localhost:%u/tunnel?local-proxy-mode=source",
			      fixture->soup->port);
	g_assert_false(fixture_connect(fixture, url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_TLS);
	g_assert_nonnull(strstr(fixture->connect_error->message, "expired"));
}

static void
test_tls_insecure(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");

	fixture_start_soup(fixture, certificate);
	fixture_configure(fixture, "{\"insecure\": true}");
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
}

typedef struct {
	const gchar *name;
	const gchar *greeting; /* what the peer sends */
	gint code;
	const gchar *text; /* after "127.0.0.1:PORT " */
} NotTlsCase;

static const NotTlsCase not_tls_cases[] = {
    {"http",
     "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
     IOT_TRANSPORT_ERROR_NOT_TLS,
     "does not speak TLS: it answered in plain HTTP"},
    {"ssh",
     "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
     IOT_TRANSPORT_ERROR_NOT_TLS,
     "does not speak TLS: it answered like an SSH server"},
    {"other",
     "220 smtp.example ESMTP\r\n",
     IOT_TRANSPORT_ERROR_NOT_TLS,
     "does not speak TLS: it answered with bytes that are not TLS"},
    /* says nothing and hangs up: not a TLS server either, but maybe only for now */
    {"closed", NULL, IOT_TRANSPORT_ERROR_NETWORK, "closed the connection during the TLS handshake"},
};

/* wss:// to something that is not a TLS server: said so, not as a certificate problem */
static void
test_tls_not_tls(Fixture *fixture, gconstpointer user_data)
{
	const NotTlsCase *not_tls = user_data;
	g_autofree gchar *url = NULL;
	g_autofree gchar *expected = NULL;

	fixture_start_raw(fixture);
	fixture->raw->silent = TRUE;
	if (not_tls->greeting != NULL)
		fixture->raw->on_accept =
		    g_bytes_new_static(not_tls->greeting, strlen(not_tls->greeting));
	url = g_strdup_printf("wss://127.0.0.1:%u/tunnel", fixture->raw->port);
	if (not_tls->greeting == NULL) {
		/* the hello is in, and the peer hangs up on it */
		fixture_connect_begin(fixture, url, iot_test_v3_only, NULL);
		IOT_TEST_WAIT_UNTIL_MS(fixture->raw->in->len > 0, 10000);
		iot_test_raw_service_drop(fixture->raw);
		IOT_TEST_WAIT_UNTIL_MS(fixture->connect_done, 5000);
	} else {
		fixture_connect(fixture, url);
	}
	g_assert_false(fixture->connected);
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, not_tls->code);
	expected = g_strdup_printf("127.0.0.1:%u %s", fixture->raw->port, not_tls->text);
	g_assert_cmpstr(fixture->connect_error->message, ==, expected);
}

/*
 * The server name a TLS ClientHello in @data carries (RFC 6066 section 3),
 * or NULL when it carries none. The hello is well formed: our client wrote it.
 */
static gchar *
iot_test_client_hello_server_name(const guint8 *data, gsize len)
{
	gsize at = 5 + 4 + 2 + 32; /* record, handshake header, version, random */
	gsize end;

	g_assert_cmpuint(len, >, at);
	g_assert_cmpuint(data[0], ==, 22);		   /* handshake */
	g_assert_cmpuint(data[5], ==, 1);		   /* client_hello */
	at += 1 + data[at];				   /* session id */
	at += 2 + (((gsize)data[at] << 8) | data[at + 1]); /* cipher suites */
	at += 1 + data[at];				   /* compression methods */
	end = at + 2 + (((gsize)data[at] << 8) | data[at + 1]);
	g_assert_cmpuint(end, <=, len);
	for (at += 2; at + 4 <= end;) {
		guint type = ((guint)data[at] << 8) | data[at + 1];
		gsize ext_len = ((gsize)data[at + 2] << 8) | data[at + 3];
		if (type == 0) {
			/* server_name_list: length (2), then type (1), length (2), name */
			gsize name_len = ((gsize)data[at + 7] << 8) | data[at + 8];
			return g_strndup((const gchar *)data + at + 9, name_len);
		}
		at += 4 + ext_len;
	}
	return NULL;
}

typedef struct {
	const gchar *name;
	GSocketFamily family;
	const gchar *host;
	const gchar *server_name; /* NULL: none sent */
} ServerNameCase;

static const ServerNameCase server_name_cases[] = {
    {"ipv4", G_SOCKET_FAMILY_IPV4, "127.0.0.1", NULL},
    {"ipv6", G_SOCKET_FAMILY_IPV6, "[::1]", NULL},
    {"host-name", G_SOCKET_FAMILY_IPV4, "localhost", "localhost"},
};

/* whether the whole first TLS record (the hello) came in */
static gboolean
iot_test_raw_has_record(IotTestRawService *raw)
{
	return raw->in->len >= 5 &&
	       raw->in->len >= 5 + (((gsize)raw->in->data[3] << 8) | raw->in->data[4]);
}

/* an IP literal is never sent as the TLS server name (RFC 6066); a host name is */
static void
test_tls_server_name(Fixture *fixture, gconstpointer user_data)
{
	const ServerNameCase *server_name = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *url = NULL;
	g_autofree gchar *sent = NULL;

	fixture->raw = iot_test_raw_service_new(server_name->family, &error);
	if (fixture->raw == NULL && server_name->family == G_SOCKET_FAMILY_IPV6) {
		g_test_skip("this machine has no IPv6 loopback");
		return;
	}
	g_assert_no_error(error);
	fixture->raw->silent = TRUE;
	url = g_strdup_printf("wss://%s:%u/tunnel", server_name->host, fixture->raw->port);
	fixture_connect_begin(fixture, url, iot_test_v3_only, NULL);
	IOT_TEST_WAIT_UNTIL_MS(iot_test_raw_has_record(fixture->raw), 10000);
	sent = iot_test_client_hello_server_name(fixture->raw->in->data, fixture->raw->in->len);
	g_assert_cmpstr(sent, ==, server_name->server_name);
	iot_test_raw_service_drop(fixture->raw);
	IOT_TEST_WAIT_UNTIL_MS(fixture->connect_done, 10000);
	g_assert_false(fixture->connected);
}

static void
test_network_refused(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *url = g_strdup_printf("ws://127.0.0.1:%u/tunnel", iot_test_unused_port());
	fixture_configure(fixture, "{\"proxy\": \"none\"}");
	g_assert_false(fixture_connect(fixture, url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK);
}

static void
test_default_port(Fixture *fixture, gconstpointer user_data)
{
	fixture_configure(fixture, "{\"proxy\": \"none\", \"connect_timeout_ms\": 2000}");
	/* whatever listens there, or nothing, the attempt goes to port 80 */
	fixture_connect(fixture, "ws://127.0.0.2/tunnel");
	g_assert_nonnull(strstr(iot_test_log_capture_get(), "connecting to 127.0.0.2:80 "));
}

static void
test_connect_timeout(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_raw(fixture);
	fixture->raw->silent = TRUE;
	fixture_configure(fixture, "{\"connect_timeout_ms\": 100}");
	g_assert_false(fixture_connect(fixture, fixture->raw->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK);
	g_assert_nonnull(strstr(fixture->connect_error->message, "timed out after 100 ms"));
}

static void
iot_test_cancel_cb(gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

static void
test_connect_cancelled(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();

	fixture_start_raw(fixture);
	fixture->raw->silent = TRUE;
	g_timeout_add_once(50, iot_test_cancel_cb, cancellable);
	g_assert_false(
	    fixture_connect_full(fixture, fixture->raw->url, iot_test_v3_only, cancellable));
	g_assert_error(fixture->connect_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

typedef struct {
	const gchar *json;
	const gchar *text;
} SettingsCase;

static void
test_settings_refused(Fixture *fixture, gconstpointer user_data)
{
	const SettingsCase *settings_case = user_data;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) error = NULL;

	node = json_from_string(settings_case->json, &error);
	g_assert_no_error(error);
	g_assert_false(
	    iot_transport_configure(fixture->transport, json_node_get_object(node), &error));
	g_assert_error(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_SETTINGS);
	g_assert_nonnull(strstr(error->message, settings_case->text));
}

typedef struct {
	const gchar *url;
	const gchar *text;
} UrlCase;

static void
test_url_refused(Fixture *fixture, gconstpointer user_data)
{
	const UrlCase *url_case = user_data;
	g_assert_false(fixture_connect(fixture, url_case->url));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_SETTINGS);
	g_assert_nonnull(strstr(fixture->connect_error->message, url_case->text));
}

static void
test_ipv6(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;

	fixture->raw = iot_test_raw_service_new(G_SOCKET_FAMILY_IPV6, &error);
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
		g_test_skip("no IPv6 loopback here");
		return;
	}
	g_assert_no_error(error);
	g_assert_true(fixture_connect(fixture, fixture->raw->url));
	IOT_TEST_WAIT_UNTIL_MS(fixture->raw->pings->len == 1, 5000);
	host = g_strdup_printf("\r\nHost: [::1]:%u\r\n", fixture->raw->port);
	g_assert_nonnull(strstr(fixture->raw->request, host));
}

typedef struct {
	const gchar *access_token;
	const gchar *text;
} TokenCase;

static void
test_token_refused(Fixture *fixture, gconstpointer user_data)
{
	const TokenCase *token_case = user_data;
	const gchar *subprotocols[] = {IOT_TEST_V3, NULL};
	g_autofree gchar *long_token = NULL;
	IotTransportParams params = {
	    .url = "ws://127.0.0.1:1/tunnel",
	    .access_token = token_case->access_token,
	    .subprotocols = subprotocols,
	};

	if (params.access_token == NULL) {
		/* a token so long the request passes the service's 4 KiB */
		long_token = g_strnfill(4000, 'T');
		params.access_token = long_token;
	}
	fixture->connect_done = FALSE;
	iot_transport_connect_async(fixture->transport,
				    &params,
				    NULL,
				    iot_test_connect_cb,
				    fixture);
	IOT_TEST_WAIT_UNTIL_MS(fixture->connect_done, 5000);
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_SETTINGS);
	g_assert_nonnull(strstr(fixture->connect_error->message, token_case->text));
	g_assert_null(strstr(fixture->connect_error->message, "TTTT"));
	g_assert_null(strstr(fixture->connect_error->message, "evil"));
}

static void
test_already_connected(Fixture *fixture, gconstpointer user_data)
{
	fixture_start_soup(fixture, NULL);
	g_assert_true(fixture_connect(fixture, fixture->soup->url));
	g_assert_false(fixture_connect(fixture, fixture->soup->url));
	g_assert_error(fixture->connect_error, G_IO_ERROR, G_IO_ERROR_PENDING);
}

static void
test_plugin_query(void)
{
	GModule *module;
	g_autoptr(JsonNode) schema = NULL;
	g_autoptr(GError) error = NULL;
	IotPluginQueryFunc query = NULL;
	const IotPluginInfo *info;

	module = g_module_open(IOT_TEST_WEBSOCKET_MODULE, G_MODULE_BIND_LOCAL);
	g_assert_nonnull(module);
	g_assert_true(g_module_symbol(module, IOT_PLUGIN_QUERY_SYMBOL, (gpointer *)&query));
	info = query();
	g_assert_cmpuint(info->abi_version, ==, IOT_PLUGIN_ABI_VERSION);
	g_assert_cmpint(info->kind, ==, IOT_PLUGIN_KIND_TRANSPORT);
	g_assert_cmpstr(info->name, ==, "websocket");
	g_assert_cmpstr(info->version, ==, PACKAGE_VERSION);
	schema = json_from_string(info->settings_schema, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(schema));
	/* info->get_type() would register IotWebsocketTransport a second time in here */
	g_assert_nonnull(info->get_type);
	g_module_make_resident(module);
	g_assert_true(g_module_close(module));
}

static const StatusCase status_cases[] = {
    {401, IOT_TRANSPORT_ERROR_REFUSED, "Unauthorized"},
    {403, IOT_TRANSPORT_ERROR_REFUSED, "Forbidden"},
    {404, IOT_TRANSPORT_ERROR_REFUSED, "Not Found"},
    {500, IOT_TRANSPORT_ERROR_UNAVAILABLE, "Internal Server Error"},
    {503, IOT_TRANSPORT_ERROR_UNAVAILABLE, "Service Unavailable"},
};

static const TokenCase token_cases[] = {
    {"", "no access token"},
    {"abc\r\nevil: header", "visible ASCII"},
    {NULL, "4096"},
};

static const SettingsCase settings_cases[] = {
    {"{\"retries\": 3}", "unknown setting \"retries\""},
    {"{\"type\": \"tcp\"}", "\"tcp\""},
    {"{\"ping_ms\": \"20000\"}", "\"ping_ms\" must be an integer"},
    {"{\"ping_ms\": 5}", "\"ping_ms\" is 5"},
    {"{\"connect_timeout_ms\": 0}", "\"connect_timeout_ms\" is 0"},
    {"{\"insecure\": \"yes\"}", "\"insecure\" must be true or false"},
    {"{\"proxy\": \"socks5://proxy:1080\"}", "only http:// and https://"},
    {"{\"ca_path\": \"/nonexistent/iotunnel\"}", "neither a directory nor a file"},
    {"{\"ca_path\": \"/etc/hostname\"}", "ca_path /etc/hostname"},
};

static const UrlCase url_cases[] = {
    {"ws://example.com/tunnel", "loopback"},
    {"http://127.0.0.1/tunnel", "wss://"},
    {"not a url", "not a service URL"},
};

/* a stream over one end of a socket pair, @mine; @peer gets the other end */
static IotWebsocketStream *
test_stream_over_socketpair(GSocket **mine, GSocket **peer)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) connection = NULL;
	int fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	*mine = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	*peer = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	connection = g_socket_connection_factory_create_connection(*mine);
	return iot_websocket_stream_new(G_IO_STREAM(connection), NULL, IOT_WEBSOCKET_MAX_PAYLOAD);
}

/*
 * libsoup reads 1 KiB at a time: the stream reads what the network holds in
 * one go, hands it on from memory, and still hands nothing on while paused.
 */
static void
test_stream_read_ahead(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) mine = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_socketpair(&mine, &peer);
	GPollableInputStream *input =
	    G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(stream)));
	g_autoptr(GByteArray) sent = g_byte_array_new();
	g_autoptr(GByteArray) got = g_byte_array_new();
	const guint8 header[] = {0x82, 126, 40000 >> 8, 40000 & 0xff};
	guint8 buffer[1024];
	gssize n;

	/* one unmasked binary frame of 40000 bytes, as a service sends it */
	g_byte_array_append(sent, header, sizeof(header));
	for (guint i = 0; i < 40000; i++) {
		guint8 b = (guint8)(i * 7);
		g_byte_array_append(sent, &b, 1);
	}
	g_assert_cmpint(g_socket_send(peer, (const gchar *)sent->data, sent->len, NULL, &error),
			==,
			sent->len);
	g_assert_no_error(error);

	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, sizeof(buffer));
	g_byte_array_append(got, buffer, n);
	g_assert_cmpint(g_socket_get_available_bytes(mine), ==, 0);

	/* paused: nothing, although bytes wait in memory */
	iot_websocket_stream_set_input_paused(stream, TRUE);
	g_assert_false(g_pollable_input_stream_is_readable(input));
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_cmpint(n, ==, -1);
	g_clear_error(&error);

	iot_websocket_stream_set_input_paused(stream, FALSE);
	g_assert_true(g_pollable_input_stream_is_readable(input));
	while ((n = g_pollable_input_stream_read_nonblocking(input,
							     buffer,
							     sizeof(buffer),
							     NULL,
							     &error)) > 0)
		g_byte_array_append(got, buffer, n);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_cmpmem(got->data, got->len, sent->data, sent->len);
}

/* reads what the peer got until it holds @len bytes, with a deadline */
static void
test_stream_peer_read(GSocket *peer, GByteArray *got, gsize len)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	g_socket_set_blocking(peer, FALSE);
	while (got->len < len) {
		g_autoptr(GError) error = NULL;
		guint8 buffer[65536];
		gssize n = g_socket_receive(peer, (gchar *)buffer, sizeof(buffer), NULL, &error);
		if (n > 0) {
			g_byte_array_append(got, buffer, n);
			continue;
		}
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
	}
}

/* takes one client frame off the front of @got: checks its header, unmasks it */
static GBytes *
test_stream_take_frame(GByteArray *got, guint8 opcode, guint32 *key)
{
	guint64 len;
	gsize at = 2;
	guint8 *payload;
	GBytes *bytes;

	g_assert_cmpuint(got->len, >=, 2);
	g_assert_cmphex(got->data[0], ==, 0x80 | opcode);
	g_assert_cmphex(got->data[1] & 0x80, ==, 0x80);
	len = got->data[1] & 0x7f;
	if (len == 126) {
		len = ((guint64)got->data[2] << 8) | got->data[3];
		g_assert_cmpuint(len, >=, 126);
		at = 4;
	} else if (len == 127) {
		len = 0;
		for (guint i = 2; i < 10; i++)
			len = (len << 8) | got->data[i];
		g_assert_cmpuint(len, >, G_MAXUINT16);
		at = 10;
	}
	g_assert_cmpuint(got->len, >=, at + 4 + len);
	memcpy(key, got->data + at, 4);
	payload = got->data + at + 4;
	for (gsize i = 0; i < len; i++)
		payload[i] ^= got->data[at + (i & 3)];
	bytes = g_bytes_new(payload, len);
	g_byte_array_remove_range(got, 0, at + 4 + len);
	return bytes;
}

/*
 * Data frames as the stream writes them: the shortest length encoding, a
 * fresh mask key each, the payload unmasked again byte for byte, the
 * payload written counted.
 */
static void
test_stream_data_frames(void)
{
	g_autoptr(GSocket) mine = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_socketpair(&mine, &peer);
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GHashTable) keys = g_hash_table_new(NULL, NULL);
	const gsize sizes[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 125, 126, 127, 65535, 65536, 131076};
	guint64 total = 0;

	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GBytes) payload = iot_test_random_bytes(sizes[i]);
		g_autoptr(GBytes) frame = NULL;
		guint32 key = 0;
		gsize frame_len = sizes[i] + 2 + 4 +
				  (sizes[i] < 126     ? 0
				   : sizes[i] < 65536 ? 2
						      : 8);
		g_assert_true(iot_websocket_stream_send_data(stream, payload));
		test_stream_peer_read(peer, got, frame_len);
		g_assert_cmpuint(got->len, ==, frame_len);
		frame = test_stream_take_frame(got, IOT_WEBSOCKET_OPCODE_BINARY, &key);
		g_assert_true(g_bytes_equal(frame, payload));
		g_hash_table_add(keys, GUINT_TO_POINTER(key));
		total += sizes[i];
		g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, total);
	}
	/* 15 random 32-bit keys: equal ones would be a broken random source */
	g_assert_cmpuint(g_hash_table_size(keys), ==, G_N_ELEMENTS(sizes));
}

/*
 * libsoup's frame under way is never cut: our ping and data frame wait for
 * its end, then follow it; after a close of ours nothing more goes out.
 */
static void
test_stream_frame_boundaries(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) mine = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_socketpair(&mine, &peer);
	GPollableOutputStream *output =
	    G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(stream)));
	/* a masked pong of 5 bytes, as libsoup writes it */
	const guint8 pong[] = {0x8a, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1};
	g_autoptr(GBytes) payload = iot_test_random_bytes(1000);
	g_autoptr(GBytes) ping = NULL;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) close = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	guint32 key = 0;

	g_assert_cmpint(g_pollable_output_stream_write_nonblocking(output, pong, 3, NULL, &error),
			==,
			3);
	g_assert_no_error(error);
	g_assert_true(iot_websocket_stream_send_data(stream, payload));
	g_assert_true(iot_websocket_stream_send_control(stream,
							IOT_WEBSOCKET_OPCODE_PING,
							(const guint8 *)"p",
							1));
	iot_test_run_for(20);
	test_stream_peer_read(peer, got, 3);
	g_assert_cmpuint(got->len, ==, 3);
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 0);

	g_assert_cmpint(g_pollable_output_stream_write_nonblocking(output,
								   pong + 3,
								   sizeof(pong) - 3,
								   NULL,
								   &error),
			==,
			sizeof(pong) - 3);
	g_assert_no_error(error);
	test_stream_peer_read(peer, got, sizeof(pong) + 7 + 1004 + 4);
	g_assert_cmpmem(got->data, sizeof(pong), pong, sizeof(pong));
	g_byte_array_remove_range(got, 0, sizeof(pong));
	/* the ping went ahead of the data frame, which had not begun */
	ping = test_stream_take_frame(got, IOT_WEBSOCKET_OPCODE_PING, &key);
	g_assert_cmpmem(g_bytes_get_data(ping, NULL), g_bytes_get_size(ping), "p", 1);
	data = test_stream_take_frame(got, IOT_WEBSOCKET_OPCODE_BINARY, &key);
	g_assert_true(g_bytes_equal(data, payload));
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 1000);

	/* our close is the last frame: more data is refused, libsoup's frames dropped */
	g_assert_true(iot_websocket_stream_send_control(stream,
							IOT_WEBSOCKET_OPCODE_CLOSE,
							(const guint8 *)"\x03\xe8",
							2));
	g_assert_false(iot_websocket_stream_send_data(stream, payload));
	test_stream_peer_read(peer, got, 8);
	close = test_stream_take_frame(got, IOT_WEBSOCKET_OPCODE_CLOSE, &key);
	g_assert_cmpuint(g_bytes_get_size(close), ==, 2);
	g_assert_cmpint(
	    g_pollable_output_stream_write_nonblocking(output, pong, sizeof(pong), NULL, &error),
	    ==,
	    sizeof(pong));
	iot_test_run_for(20);
	g_assert_cmpint(g_socket_get_available_bytes(peer), ==, 0);
}

static void
test_stream_write_error_cb(IotWebsocketStream *stream, const GError *error, gpointer user_data)
{
	GError **saved = user_data;
	g_assert_null(*saved);
	*saved = g_error_copy(error);
}

/* the peer is gone: the failed write is told once, from the main loop, and nothing more is taken */
static void
test_stream_write_error(void)
{
	g_autoptr(GSocket) mine = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_socketpair(&mine, &peer);
	g_autoptr(GBytes) payload = iot_test_random_bytes(1000);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) write_error = NULL;

	g_signal_connect(stream,
			 "write-error",
			 G_CALLBACK(test_stream_write_error_cb),
			 &write_error);
	g_assert_true(g_socket_close(peer, &error));
	g_assert_no_error(error);
	g_assert_true(iot_websocket_stream_send_data(stream, payload));
	g_assert_null(write_error);
	IOT_TEST_WAIT_UNTIL_MS(write_error != NULL, 5000);
	g_assert_error(write_error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
	g_assert_false(iot_websocket_stream_send_data(stream, payload));
	g_assert_false(
	    iot_websocket_stream_send_control(stream, IOT_WEBSOCKET_OPCODE_PING, NULL, 0));
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 0);
	iot_test_run_for(20);
}

static gboolean
test_accept_any_certificate_cb(GTlsConnection *connection,
			       GTlsCertificate *certificate,
			       GTlsCertificateFlags errors,
			       gpointer user_data)
{
	return TRUE;
}

static void
test_handshake_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	guint *done = user_data;
	g_autoptr(GError) error = NULL;
	g_assert_true(g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &error));
	g_assert_no_error(error);
	(*done)++;
}

/* a stream over TLS over a socket pair; @server gets the other end, TLS too */
static IotWebsocketStream *
test_stream_over_tls(GIOStream **server)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) mine = NULL;
	g_autoptr(GSocket) peer = NULL;
	g_autoptr(GSocketConnection) mine_connection = NULL;
	g_autoptr(GSocketConnection) peer_connection = NULL;
	g_autoptr(GTlsCertificate) certificate = iot_test_certificate("server.pem");
	g_autoptr(GIOStream) client = NULL;
	int fds[2];
	guint done = 0;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	mine = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	peer = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	mine_connection = g_socket_connection_factory_create_connection(mine);
	peer_connection = g_socket_connection_factory_create_connection(peer);
	client = g_tls_client_connection_new(G_IO_STREAM(mine_connection), NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(client,
			 "accept-certificate",
			 G_CALLBACK(test_accept_any_certificate_cb),
			 NULL);
	*server = g_tls_server_connection_new(G_IO_STREAM(peer_connection), certificate, &error);
	g_assert_no_error(error);
	g_tls_connection_handshake_async(G_TLS_CONNECTION(client),
					 G_PRIORITY_DEFAULT,
					 NULL,
					 test_handshake_cb,
					 &done);
	g_tls_connection_handshake_async(G_TLS_CONNECTION(*server),
					 G_PRIORITY_DEFAULT,
					 NULL,
					 test_handshake_cb,
					 &done);
	IOT_TEST_WAIT_UNTIL_MS(done == 2, 5000);
	return iot_websocket_stream_new(client, NULL, IOT_WEBSOCKET_MAX_PAYLOAD);
}

/* the length of the first whole client frame in @got, 0 while it is not all there */
static gsize
test_stream_frame_len(GByteArray *got)
{
	guint64 len;
	gsize at = 2;

	if (got->len < 2)
		return 0;
	len = got->data[1] & 0x7f;
	if (len == 126) {
		if (got->len < 4)
			return 0;
		len = ((guint64)got->data[2] << 8) | got->data[3];
		at = 4;
	} else if (len == 127) {
		if (got->len < 10)
			return 0;
		len = 0;
		for (guint i = 2; i < 10; i++)
			len = (len << 8) | got->data[i];
		at = 10;
	}
	return got->len >= at + 4 + len ? at + 4 + len : 0;
}

/* appends to @got what @server has read; FALSE when it has nothing */
static gboolean
test_stream_tls_read(GIOStream *server, GByteArray *got)
{
	GPollableInputStream *input = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(server));
	g_autoptr(GError) error = NULL;
	guint8 buffer[16384];
	gssize n =
	    g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	if (n <= 0) {
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
		return FALSE;
	}
	g_byte_array_append(got, buffer, n);
	return TRUE;
}

/*
 * Reads what @server gets, after @got, until as many data frames as
 * @payloads came, each checked against them in order; returns the opcodes
 * of the control frames seen before the last one.
 */
static GString *
test_stream_tls_read_frames(GIOStream *server, GByteArray *got, GPtrArray *payloads)
{
	GString *control = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	guint data = 0;

	while (data < payloads->len) {
		test_stream_tls_read(server, got);
		while (data < payloads->len && test_stream_frame_len(got) > 0) {
			guint8 opcode = got->data[0] & 0x0f;
			guint32 key = 0;
			g_autoptr(GBytes) frame = test_stream_take_frame(got, opcode, &key);
			if (opcode != IOT_WEBSOCKET_OPCODE_BINARY) {
				g_string_append_printf(control, "%x", opcode);
				continue;
			}
			g_assert_cmpuint(data, <, payloads->len);
			g_assert_true(g_bytes_equal(frame, g_ptr_array_index(payloads, data)));
			data++;
		}
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
	}
	return control;
}

/*
 * Over TLS, a frame whose first write would block is under way: GnuTLS
 * holds a record of its bytes and sends it on the next write, whatever that
 * carries. A ping queued then goes after it, not before.
 */
static void
test_stream_tls_blocked_ours(void)
{
	g_autoptr(GIOStream) server = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_tls(&server);
	g_autoptr(GPtrArray) payloads =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GString) control = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GBytes) payload = NULL;
	guint64 handed = 0;

	/* small frames, each one TLS record, until one does not go out at all */
	while (iot_websocket_stream_get_data_written(stream) == handed) {
		payload = iot_test_random_bytes(1000);
		g_assert_cmpuint(handed, <, 64 * 1024 * 1024);
		g_assert_true(iot_websocket_stream_send_data(stream, payload));
		handed += g_bytes_get_size(payload);
		g_ptr_array_add(payloads, g_steal_pointer(&payload));
	}
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, handed - 1000);
	g_assert_true(iot_websocket_stream_send_control(stream,
							IOT_WEBSOCKET_OPCODE_PING,
							(const guint8 *)"p",
							1));
	payload = iot_test_random_bytes(1000);
	g_assert_true(iot_websocket_stream_send_data(stream, payload));
	handed += g_bytes_get_size(payload);
	g_ptr_array_add(payloads, g_steal_pointer(&payload));
	control = test_stream_tls_read_frames(server, got, payloads);
	g_assert_cmpstr(control->str, ==, "9");
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, handed);
}

/*
 * The same when libsoup's write would block: our data frames wait until
 * libsoup has written that frame again.
 */
static void
test_stream_tls_blocked_soup(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) server = NULL;
	g_autoptr(IotWebsocketStream) stream = test_stream_over_tls(&server);
	GPollableOutputStream *output =
	    G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(stream)));
	g_autoptr(GPtrArray) payloads =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GBytes) payload = iot_test_random_bytes(1000);
	g_autoptr(GString) control = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	/* a masked pong of 125 zero bytes, as libsoup writes it */
	guint8 pong[2 + 4 + 125] = {0x8a, 0x80 | 125, 1, 2, 3, 4};
	guint pongs = 0;
	gssize n;

	/* pongs, as libsoup writes them, until one would block */
	while ((n = g_pollable_output_stream_write_nonblocking(output,
							       pong,
							       sizeof(pong),
							       NULL,
							       &error)) > 0) {
		g_assert_cmpint(n, ==, sizeof(pong));
		g_assert_cmpuint(pongs, <, 1000000);
		pongs++;
	}
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_clear_error(&error);
	g_assert_true(iot_websocket_stream_send_data(stream, payload));
	g_ptr_array_add(payloads, g_bytes_ref(payload));
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 0);

	/* libsoup writes its frame again until the network takes it */
	while (
	    g_pollable_output_stream_write_nonblocking(output, pong, sizeof(pong), NULL, &error) <
	    0) {
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
		g_clear_error(&error);
		g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 0);
		while (test_stream_tls_read(server, got))
			;
		g_main_context_iteration(NULL, FALSE);
	}
	/* every pong whole, then our frame */
	control = test_stream_tls_read_frames(server, got, payloads);
	g_assert_cmpuint(control->len, ==, pongs + 1);
	for (gsize i = 0; i < control->len; i++)
		g_assert_cmpint(control->str[i], ==, 'a');
	g_assert_cmpuint(iot_websocket_stream_get_data_written(stream), ==, 1000);
}

/* a test of @path with a fresh Fixture, given @data */
static void
add_fixture_test(const gchar *path, gconstpointer data, void (*test)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, data, fixture_setup, test, fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int rc;

	/* the default proxy setting reads these: none may get in the way */
	g_unsetenv("https_proxy");
	g_unsetenv("HTTPS_PROXY");
	g_test_init(&argc, &argv, NULL);
	iot_test_log_capture_init();

	iot_test_tls_dir = g_dir_make_tmp("iotunnel-transport-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_tls_generate(iot_test_tls_dir, &error));
	g_assert_no_error(error);

#define ADD(path, func) add_fixture_test("/iotunnel/websocket-transport/" path, NULL, func)
	ADD("handshake-headers", test_handshake_headers);
	ADD("subprotocol-chosen", test_subprotocol_chosen);
	ADD("subprotocol-not-offered", test_subprotocol_not_offered);
	ADD("subprotocol-missing", test_subprotocol_missing);
	ADD("binary-both-ways", test_binary_both_ways);
	add_fixture_test("/iotunnel/websocket-transport/data-frames-exact/ws",
			 NULL,
			 test_data_frames_exact);
	add_fixture_test("/iotunnel/websocket-transport/data-frames-exact/wss",
			 "server.pem",
			 test_data_frames_exact);
	ADD("too-large", test_too_large);
	ADD("fragments-too-large", test_fragments_too_large);
	ADD("fragments-reassembled", test_fragments_reassembled);
	ADD("text-message", test_text_message);
	ADD("service-close", test_service_close);
	ADD("service-going-away", test_service_going_away);
	ADD("service-drops", test_service_drops);
	ADD("service-drops-while-sending", test_service_drops_while_sending);
	ADD("close", test_close);
	ADD("close-after-queued", test_close_after_queued);
	ADD("ping-during-bulk", test_ping_during_bulk);
	ADD("tls-ping-during-bulk", test_tls_ping_during_bulk);
	ADD("answer-glued", test_answer_glued);
	ADD("ping", test_ping);
	ADD("ping-period", test_ping_period);
	ADD("ping-none", test_ping_none);
	ADD("answers-ping", test_answers_ping);
	ADD("send-queue", test_send_queue);
	ADD("receive-pause", test_receive_pause);
	ADD("receive-pause-in-handler", test_receive_pause_in_handler);
	ADD("tls-untrusted", test_tls_untrusted);
	ADD("tls-ca-path-dir", test_tls_ca_path_dir);
	ADD("tls-ca-path-file", test_tls_ca_path_file);
	ADD("tls-wrong-host", test_tls_wrong_host);
	ADD("tls-expired", test_tls_expired);
	ADD("tls-insecure", test_tls_insecure);
	ADD("network-refused", test_network_refused);
	ADD("default-port", test_default_port);
	ADD("connect-timeout", test_connect_timeout);
	ADD("connect-cancelled", test_connect_cancelled);
	ADD("already-connected", test_already_connected);
	ADD("ipv6", test_ipv6);
#undef ADD
	for (guint i = 0; i < G_N_ELEMENTS(not_tls_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/websocket-transport/not-tls/%s",
							 not_tls_cases[i].name);
		add_fixture_test(path, &not_tls_cases[i], test_tls_not_tls);
	}
	for (guint i = 0; i < G_N_ELEMENTS(server_name_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-transport/tls-server-name/%s",
				    server_name_cases[i].name);
		add_fixture_test(path, &server_name_cases[i], test_tls_server_name);
	}
	for (guint i = 0; i < G_N_ELEMENTS(refusal_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/websocket-transport/refusal/%s",
							 refusal_cases[i].name);
		add_fixture_test(path, &refusal_cases[i], test_refusal_reason);
	}
	for (guint i = 0; i < G_N_ELEMENTS(status_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/websocket-transport/status/%u",
							 status_cases[i].status);
		add_fixture_test(path, &status_cases[i], test_status);
	}
	for (guint i = 0; i < G_N_ELEMENTS(settings_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-transport/settings-refused/%u", i);
		add_fixture_test(path, &settings_cases[i], test_settings_refused);
	}
	for (guint i = 0; i < G_N_ELEMENTS(url_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-transport/url-refused/%u", i);
		add_fixture_test(path, &url_cases[i], test_url_refused);
	}
	for (guint i = 0; i < G_N_ELEMENTS(token_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-transport/token-refused/%u", i);
		add_fixture_test(path, &token_cases[i], test_token_refused);
	}
	g_test_add_func("/iotunnel/websocket-transport/plugin-query", test_plugin_query);
	g_test_add_func("/iotunnel/websocket-stream/read-ahead", test_stream_read_ahead);
	g_test_add_func("/iotunnel/websocket-stream/data-frames", test_stream_data_frames);
	g_test_add_func("/iotunnel/websocket-stream/frame-boundaries",
			test_stream_frame_boundaries);
	g_test_add_func("/iotunnel/websocket-stream/write-error", test_stream_write_error);
	g_test_add_func("/iotunnel/websocket-stream/tls-blocked-ours",
			test_stream_tls_blocked_ours);
	g_test_add_func("/iotunnel/websocket-stream/tls-blocked-soup",
			test_stream_tls_blocked_soup);

	rc = g_test_run();
	iot_test_tls_remove(iot_test_tls_dir);
	return rc;
}
