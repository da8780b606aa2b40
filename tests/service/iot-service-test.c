/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "iot-service-fixture.h"

/*
 * The service doing its job: handshakes checked, frames relayed and checked,
 * tunnels opened, closed and kept across restarts, through the real
 * iotunnel-service (iot-service-fixture.h).
 */

/* handshake refusals */

typedef void (*RefusalSetup)(Fixture *fixture,
			     Tunnel *tunnel,
			     Client **client,
			     const gchar **protocol);

typedef struct {
	const gchar *name;
	RefusalSetup setup;
	guint status;
} Refusal;

static Client *
refusal_client(Fixture *fixture, const gchar *path, const gchar *token)
{
	Client *client = client_new(fixture, path);
	if (token != NULL)
		client_add_header(client, "access-token", token);
	return client;
}

static void
refusal_bad_path(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnels?local-proxy-mode=source", tunnel->source_token);
}

static void
refusal_no_mode(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel", tunnel->source_token);
}

static void
refusal_bad_mode(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=both", tunnel->source_token);
}

static void
refusal_two_modes(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture,
				 "/tunnel?local-proxy-mode=source&local-proxy-mode=source",
				 tunnel->source_token);
}

static void
refusal_no_token(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", NULL);
}

static void
refusal_unknown_token(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", "not-a-token");
}

static void
refusal_header_and_cookie(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	g_autofree gchar *cookie = g_strdup_printf("awsiot-tunnel-token=%s", tunnel->source_token);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "Cookie", cookie);
}

static void
refusal_two_headers(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "access-token", tunnel->source_token);
}

static void
refusal_two_cookies(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	g_autofree gchar *cookie = g_strdup_printf("awsiot-tunnel-token=%s; awsiot-tunnel-token=%s",
						   tunnel->source_token,
						   tunnel->source_token);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", NULL);
	client_add_header(*client, "Cookie", cookie);
}

static void
refusal_wrong_mode(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client =
	    refusal_client(fixture, "/tunnel?local-proxy-mode=destination", tunnel->source_token);
}

static void
refusal_no_subprotocol(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	*protocol = NULL;
}

static void
refusal_bad_subprotocol(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	*protocol = "aws.iot.securetunneling-4.0";
}

static void
refusal_too_large(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	g_autofree gchar *padding = g_strnfill(4096, 'x');
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "x-padding", padding);
}

static void
refusal_bad_client_token(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "client-token", "short");
}

static void
refusal_client_token_chars(Fixture *fixture,
			   Tunnel *tunnel,
			   Client **client,
			   const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "client-token", "client_token_with_underscores_is_not_ok");
}

static void
refusal_two_client_tokens(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "client-token", CLIENT_TOKEN_A);
	client_add_header(*client, "client-token", CLIENT_TOKEN_A);
}

static void
refusal_spent_token(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	g_autoptr(Client) first =
	    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V3);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
}

static void
refusal_other_client_token(Fixture *fixture,
			   Tunnel *tunnel,
			   Client **client,
			   const gchar **protocol)
{
	g_autoptr(Client) first = client_open(fixture,
					      "source",
					      tunnel->source_token,
					      CLIENT_TOKEN_A,
					      IOT_SUBPROTOCOL_V3);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(*client, "client-token", CLIENT_TOKEN_B);
}

static void
refusal_client_token_dropped(Fixture *fixture,
			     Tunnel *tunnel,
			     Client **client,
			     const gchar **protocol)
{
	g_autoptr(Client) first = client_open(fixture,
					      "source",
					      tunnel->source_token,
					      CLIENT_TOKEN_A,
					      IOT_SUBPROTOCOL_V3);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
}

static void
refusal_closed_tunnel(Fixture *fixture, Tunnel *tunnel, Client **client, const gchar **protocol)
{
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", tunnel->id);
	g_autoptr(JsonObject) answer = api_call(fixture, "DELETE", path, NULL, 200);
	*client = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
}

static const Refusal refusals[] = {
    {"bad-path", refusal_bad_path, SOUP_STATUS_NOT_FOUND},
    {"no-mode", refusal_no_mode, SOUP_STATUS_BAD_REQUEST},
    {"bad-mode", refusal_bad_mode, SOUP_STATUS_BAD_REQUEST},
    {"two-modes", refusal_two_modes, SOUP_STATUS_BAD_REQUEST},
    {"no-token", refusal_no_token, SOUP_STATUS_UNAUTHORIZED},
    {"unknown-token", refusal_unknown_token, SOUP_STATUS_UNAUTHORIZED},
    {"token-header-and-cookie", refusal_header_and_cookie, SOUP_STATUS_BAD_REQUEST},
    {"two-token-headers", refusal_two_headers, SOUP_STATUS_BAD_REQUEST},
    {"two-token-cookies", refusal_two_cookies, SOUP_STATUS_BAD_REQUEST},
    {"wrong-mode", refusal_wrong_mode, SOUP_STATUS_FORBIDDEN},
    {"no-subprotocol", refusal_no_subprotocol, SOUP_STATUS_BAD_REQUEST},
    {"bad-subprotocol", refusal_bad_subprotocol, SOUP_STATUS_BAD_REQUEST},
    {"request-over-4k", refusal_too_large, 431},
    {"bad-client-token", refusal_bad_client_token, SOUP_STATUS_BAD_REQUEST},
    {"client-token-chars", refusal_client_token_chars, SOUP_STATUS_BAD_REQUEST},
    {"two-client-tokens", refusal_two_client_tokens, SOUP_STATUS_BAD_REQUEST},
    {"spent-token", refusal_spent_token, SOUP_STATUS_FORBIDDEN},
    {"other-client-token", refusal_other_client_token, SOUP_STATUS_FORBIDDEN},
    {"client-token-dropped", refusal_client_token_dropped, SOUP_STATUS_FORBIDDEN},
    {"closed-tunnel", refusal_closed_tunnel, SOUP_STATUS_GONE},
};

static void
test_refusal(Fixture *fixture, gconstpointer user_data)
{
	const Refusal *refusal = user_data;
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Client) client = NULL;
	const gchar *protocol = IOT_SUBPROTOCOL_V3;
	guint status;

	refusal->setup(fixture, tunnel, &client, &protocol);
	status = client_connect(client, protocol);
	g_assert_cmpuint(status, ==, refusal->status);
	g_assert_null(client->ws);
	g_assert_nonnull(client->error);
	g_assert_null(client_get_response_header(client, "channel-id"));
}

/* a plain GET on /tunnel is no WebSocket handshake */
static void
test_not_websocket(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
	g_autoptr(Client) client = NULL;
	g_autofree gchar *url =
	    g_strdup_printf("https://127.0.0.1:%u/tunnel?local-proxy-mode=source", fixture->port);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	ApiCall call = {NULL, NULL, FALSE};

	soup_message_headers_append(soup_message_get_request_headers(msg),
				    "access-token",
				    tunnel->source_token);
	soup_session_send_and_read_async(fixture->session,
					 msg,
					 G_PRIORITY_DEFAULT,
					 NULL,
					 api_call_cb,
					 &call);
	IOT_TEST_WAIT_UNTIL_MS(call.done, 10000);
	g_assert_no_error(call.error);
	g_bytes_unref(call.body);
	g_assert_cmpuint(soup_message_get_status(msg), ==, SOUP_STATUS_BAD_REQUEST);

	/* a refused handshake does not spend the token */
	client = client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V3);
}

/* the cookie a browser sends is as good as the header */
static void
test_cookie_token(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
	g_autofree gchar *cookie =
	    g_strdup_printf("theme=dark; awsiot-tunnel-token=%s", tunnel->destination_token);
	g_autoptr(Client) client = client_new(fixture, "/tunnel?local-proxy-mode=destination");

	client_add_header(client, "Cookie", cookie);
	g_assert_cmpuint(client_connect(client, IOT_SUBPROTOCOL_V2),
			 ==,
			 SOUP_STATUS_SWITCHING_PROTOCOLS);
	g_assert_cmpstr(soup_websocket_connection_get_protocol(client->ws), ==, IOT_SUBPROTOCOL_V2);
}

/* the newest offered subprotocol is chosen and echoed */
static void
test_subprotocol_choice(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
	g_autoptr(Client) client = client_new(fixture, "/tunnel?local-proxy-mode=source");
	const gchar *channel_id;

	const gchar *offered[] = {"aws.iot.securetunneling-1.0",
				  "aws.iot.securetunneling-3.0",
				  "aws.iot.securetunneling-9.0",
				  NULL};

	client_add_header(client, "access-token", tunnel->source_token);
	g_assert_cmpuint(client_connect_offering(client, offered),
			 ==,
			 SOUP_STATUS_SWITCHING_PROTOCOLS);
	g_assert_cmpstr(client_get_response_header(client, "Sec-WebSocket-Protocol"),
			==,
			IOT_SUBPROTOCOL_V3);
	/* a stricter client (the reference's) refuses an upgrade that also says close */
	g_assert_cmpstr(client_get_response_header(client, "Connection"), ==, "Upgrade");
	channel_id = client_get_response_header(client, "channel-id");
	g_assert_nonnull(channel_id);
	g_assert_cmpuint(strlen(channel_id), ==, 32);
}

/* with a client token the same access token reconnects; the new peer replaces the old */
static void
test_peer_replacement(Fixture *fixture, gconstpointer user_data)
{
	const gchar *services[] = {"SSH1", NULL};
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Client) source = client_open(fixture,
					       "source",
					       tunnel->source_token,
					       CLIENT_TOKEN_A,
					       IOT_SUBPROTOCOL_V3);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V3);
	g_autoptr(Client) source2 = NULL;
	g_autoptr(GBytes) start = encode_full(IOT_MESSAGE_TYPE_STREAM_START, 7, "SSH1", 1, NULL);
	g_autoptr(GBytes) data = pattern(100, 1);
	g_autoptr(GBytes) data_frame = encode_full(IOT_MESSAGE_TYPE_DATA, 7, "SSH1", 1, data);
	g_autoptr(GBytes) data2_frame = encode_full(IOT_MESSAGE_TYPE_DATA, 9, "SSH1", 1, data);
	IotMessage *msg;

	client_expect_service_ids(source, services);
	client_expect_service_ids(destination, services);
	client_send(source, start);
	client_send(source, data_frame);
	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == 3, 10000);

	source2 = client_open(fixture,
			      "source",
			      tunnel->source_token,
			      CLIENT_TOKEN_A,
			      IOT_SUBPROTOCOL_V3);
	client_expect_service_ids(source2, services);
	client_wait_closed(source, SOUP_WEBSOCKET_CLOSE_NORMAL);
	g_assert_cmpstr(source->close_data, ==, "replaced by a new connection");

	/* the destination is told that stream 7 is gone */
	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == 4, 10000);
	msg = g_ptr_array_index(destination->messages, 3);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_STREAM_RESET);
	g_assert_cmpint(msg->stream_id, ==, 7);
	g_assert_cmpstr(msg->service_id, ==, "SSH1");
	g_assert_cmpuint(msg->connection_id, ==, 0);

	/* and the new source relays */
	client_send(source2, data2_frame);
	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == 5, 10000);
	msg = g_ptr_array_index(destination->messages, 4);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_DATA);
	g_assert_cmpint(msg->stream_id, ==, 9);
	g_assert_false(destination->closed);
}

/* relay */

/* a V1 session: no SERVICE_IDS, no service ids, frames split across messages */
static void
test_relay_v1(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
	g_autoptr(Client) source =
	    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V1);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V1);
	g_autoptr(GByteArray) upstream = g_byte_array_new();
	g_autoptr(GByteArray) downstream = g_byte_array_new();
	g_autoptr(JsonObject) description = NULL;
	JsonObject *counters;
	const guint sizes[] = {1, 100, 64512, 4000, 64512, 7};

	{
		g_autoptr(GBytes) start =
		    encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0, NULL);
		g_byte_array_append(upstream,
				    g_bytes_get_data(start, NULL),
				    g_bytes_get_size(start));
	}
	for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
		g_autoptr(GBytes) payload = pattern(sizes[i], i);
		g_autoptr(GBytes) up = encode_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, payload);
		g_autoptr(GBytes) down = encode_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, payload);
		g_byte_array_append(upstream, g_bytes_get_data(up, NULL), g_bytes_get_size(up));
		g_byte_array_append(downstream,
				    g_bytes_get_data(down, NULL),
				    g_bytes_get_size(down));
	}
	{
		g_autoptr(GBytes) reset =
		    encode_full(IOT_MESSAGE_TYPE_STREAM_RESET, 1, NULL, 0, NULL);
		g_byte_array_append(upstream,
				    g_bytes_get_data(reset, NULL),
				    g_bytes_get_size(reset));
	}

	/* the source's stream in slices of 7777 bytes, cutting frames anywhere */
	for (gsize offset = 0; offset < upstream->len; offset += 7777) {
		g_autoptr(GBytes) slice =
		    g_bytes_new(upstream->data + offset, MIN(7777, upstream->len - offset));
		client_send(source, slice);
	}
	/* the destination's in one message per frame, or two frames per message */
	for (gsize offset = 0; offset < downstream->len;) {
		gsize len = 0;
		for (guint frames = 0; frames < 2 && offset + len < downstream->len; frames++) {
			const guint8 *p = downstream->data + offset + len;
			len += 2 + (((gsize)p[0] << 8) | p[1]);
		}
		{
			g_autoptr(GBytes) chunk = g_bytes_new(downstream->data + offset, len);
			client_send(destination, chunk);
		}
		offset += len;
	}

	/* no SERVICE_IDS in 1.0: the far sides get exactly what was sent */
	client_assert_received(destination, 0, upstream);
	client_assert_received(source, 0, downstream);
	g_assert_cmpuint(destination->messages->len, ==, G_N_ELEMENTS(sizes) + 2);
	g_assert_cmpuint(source->messages->len, ==, G_N_ELEMENTS(sizes));

	description = describe_tunnel(fixture, tunnel->id);
	counters = json_object_get_object_member(description, "counters");
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(counters, "sourceToDestination"),
			    "bytes"),
			==,
			upstream->len);
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(counters, "sourceToDestination"),
			    "messages"),
			==,
			G_N_ELEMENTS(sizes) + 2);
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(counters, "destinationToSource"),
			    "bytes"),
			==,
			downstream->len);
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(counters, "destinationToSource"),
			    "messages"),
			==,
			G_N_ELEMENTS(sizes));
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(description, "sourceConnectionState"),
			    "status"),
			==,
			"CONNECTED");
}

/* a recorded session of the reference proxy, replayed through the service */
typedef struct {
	const gchar *scenario;
	const gchar *subprotocol;
	const gchar *services[3];
} Replay;

static const Replay replays[] = {
    {"v1", IOT_SUBPROTOCOL_V3, {"SSH1", NULL}},
    {"v2-multi", IOT_SUBPROTOCOL_V2, {"SSH1", "HTTP1", NULL}},
    {"v3-simultaneous", IOT_SUBPROTOCOL_V3, {"SSH1", NULL}},
    {"v3-reset", IOT_SUBPROTOCOL_V3, {"SSH1", NULL}},
};

static GBytes *
read_vector(const gchar *scenario, const gchar *file)
{
	g_autofree gchar *path =
	    g_build_filename(g_getenv("IOTUNNEL_SHARED_DIR"), "vectors", scenario, file, NULL);
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;

	g_file_get_contents(path, &contents, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(contents, len);
}

static void
test_relay_vectors(Fixture *fixture, gconstpointer user_data)
{
	const Replay *replay = user_data;
	g_autoptr(Tunnel) tunnel = NULL;
	g_autoptr(Client) source = NULL;
	g_autoptr(Client) destination = NULL;
	g_autoptr(GBytes) source_bin = NULL;
	g_autoptr(GBytes) destination_bin = NULL;
	g_autoptr(GBytes) order = NULL;
	g_autoptr(GByteArray) upstream = g_byte_array_new();
	g_autoptr(GByteArray) downstream = g_byte_array_new();
	g_autoptr(GString) body = g_string_new("{\"services\": [");
	g_auto(GStrv) lines = NULL;
	gsize service_ids_size;

	if (g_getenv("IOTUNNEL_SHARED_DIR") == NULL) {
		g_test_skip("IOTUNNEL_SHARED_DIR is not set");
		return;
	}
	for (guint i = 0; replay->services[i] != NULL; i++)
		g_string_append_printf(body, "%s\"%s\"", i > 0 ? ", " : "", replay->services[i]);
	g_string_append(body, "]}");
	tunnel = open_tunnel(fixture, body->str);
	source = client_open(fixture, "source", tunnel->source_token, NULL, replay->subprotocol);
	destination = client_open(fixture,
				  "destination",
				  tunnel->destination_token,
				  NULL,
				  replay->subprotocol);
	client_expect_service_ids(source, replay->services);
	client_expect_service_ids(destination, replay->services);
	service_ids_size = source->received->len;
	g_assert_cmpuint(destination->received->len, ==, service_ids_size);

	/* each frame in its own message, in the order the emulator got them */
	source_bin = read_vector(replay->scenario, "source.bin");
	destination_bin = read_vector(replay->scenario, "destination.bin");
	order = read_vector(replay->scenario, "messages.txt");
	lines = g_strsplit(g_bytes_get_data(order, NULL), "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) columns = NULL;
		gboolean from_source;
		GBytes *bin;
		const guint8 *data;
		gsize offset;
		gsize len;

		if (lines[i][0] == '#' || lines[i][0] == '\0')
			continue;
		columns = g_strsplit_set(lines[i], " ", -1);
		from_source = g_strcmp0(columns[0], "source") == 0;
		bin = from_source ? source_bin : destination_bin;
		data = g_bytes_get_data(bin, NULL);
		offset = 0;
		for (guint c = 1; columns[c] != NULL; c++) {
			if (g_str_has_prefix(columns[c], "off=")) {
				offset = g_ascii_strtoull(columns[c] + 4, NULL, 10);
				break;
			}
		}
		len = 2 + (((gsize)data[offset] << 8) | data[offset + 1]);
		{
			g_autoptr(GBytes) frame = g_bytes_new_from_bytes(bin, offset, len);
			client_send(from_source ? source : destination, frame);
		}
		g_byte_array_append(from_source ? upstream : downstream, data + offset, len);
	}
	g_assert_cmpuint(upstream->len, ==, g_bytes_get_size(source_bin));
	g_assert_cmpuint(downstream->len, ==, g_bytes_get_size(destination_bin));
	client_assert_received(destination, service_ids_size, upstream);
	client_assert_received(source, service_ids_size, downstream);
	g_assert_false(source->closed);
	g_assert_false(destination->closed);
}

/* frame validation */

typedef struct {
	const gchar *name;
	const gchar *sender; /* "source" or "destination" */
	const gchar *subprotocol;
	GBytes *(*build)(void);
	gboolean text;
	gushort code; /* 0: relayed, not refused */
} Violation;

static GBytes *
build_service_ids(void)
{
	g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	const gchar *ids[] = {"SSH1", NULL};
	msg->available_service_ids = g_strdupv((gchar **)ids);
	return encode(msg);
}

static GBytes *
build_session_reset(void)
{
	g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0);
	return encode(msg);
}

static GBytes *
build_stream_start(void)
{
	return encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1, NULL);
}

static GBytes *
build_connection_start(void)
{
	return encode_full(IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2, NULL);
}

static GBytes *
build_stream_zero(void)
{
	g_autoptr(GBytes) payload = pattern(10, 0);
	return encode_full(IOT_MESSAGE_TYPE_DATA, 0, "SSH1", 0, payload);
}

static GBytes *
build_stream_negative(void)
{
	g_autoptr(GBytes) payload = pattern(10, 0);
	return encode_full(IOT_MESSAGE_TYPE_DATA, -5, "SSH1", 1, payload);
}

static GBytes *
build_connection_id_v2(void)
{
	g_autoptr(GBytes) payload = pattern(10, 0);
	return encode_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 2, payload);
}

static GBytes *
build_service_id_v1(void)
{
	g_autoptr(GBytes) payload = pattern(10, 0);
	return encode_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 0, payload);
}

static GBytes *
build_unknown_service(void)
{
	g_autoptr(GBytes) payload = pattern(10, 0);
	return encode_full(IOT_MESSAGE_TYPE_DATA, 1, "RDP1", 0, payload);
}

/* a frame written field by field, for what the encoder refuses to make */
static GBytes *
build_raw(const guint8 *fields, gsize len, gsize payload_len)
{
	g_autoptr(GByteArray) frame = g_byte_array_new();
	gsize body = len;
	guint8 prefix[2];
	guint8 header[4];
	gsize header_len = 0;
	g_autoptr(GBytes) payload = NULL;

	if (payload_len > 0) {
		/* field 4, length-delimited, a 3-byte varint length */
		header[header_len++] = 0x22;
		header[header_len++] = 0x80 | (payload_len & 0x7f);
		header[header_len++] = 0x80 | ((payload_len >> 7) & 0x7f);
		header[header_len++] = (payload_len >> 14) & 0x7f;
		body += header_len + payload_len;
	}
	prefix[0] = body >> 8;
	prefix[1] = body & 0xff;
	g_byte_array_append(frame, prefix, 2);
	g_byte_array_append(frame, fields, len);
	if (payload_len > 0) {
		payload = pattern(payload_len, 3);
		g_byte_array_append(frame, header, header_len);
		g_byte_array_append(frame, g_bytes_get_data(payload, NULL), payload_len);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&frame));
}

static GBytes *
build_payload_too_large(void)
{
	/* DATA, stream 1 */
	const guint8 fields[] = {0x08, 0x01, 0x10, 0x01};
	return build_raw(fields, sizeof(fields), IOT_MESSAGE_MAX_PAYLOAD + 1);
}

static GBytes *
build_unknown_field(void)
{
	/* DATA, stream 1, field 8 = 1 */
	const guint8 fields[] = {0x08, 0x01, 0x10, 0x01, 0x40, 0x01};
	return build_raw(fields, sizeof(fields), 0);
}

static GBytes *
build_unknown_type(void)
{
	/* type 9, stream 1 */
	const guint8 fields[] = {0x08, 0x09, 0x10, 0x01};
	return build_raw(fields, sizeof(fields), 0);
}

static GBytes *
build_unknown_type_ignorable(void)
{
	/* type 9, stream 1, ignorable */
	const guint8 fields[] = {0x08, 0x09, 0x10, 0x01, 0x18, 0x01};
	return build_raw(fields, sizeof(fields), 0);
}

static GBytes *
build_no_type(void)
{
	/* stream 1 only */
	const guint8 fields[] = {0x10, 0x01};
	return build_raw(fields, sizeof(fields), 0);
}

static GBytes *
build_zero_length(void)
{
	const guint8 frame[] = {0x00, 0x00};
	return g_bytes_new(frame, sizeof(frame));
}

static GBytes *
build_websocket_too_big(void)
{
	return pattern(IOT_WEBSOCKET_MAX_PAYLOAD + 1, 0);
}

static GBytes *
build_text(void)
{
	return g_bytes_new_static("hello", 5);
}

static const Violation violations[] = {
    {"service-ids-from-source", "source", IOT_SUBPROTOCOL_V3, build_service_ids, FALSE, 1008},
    {"session-reset-from-destination",
     "destination",
     IOT_SUBPROTOCOL_V2,
     build_session_reset,
     FALSE,
     1008},
    {"stream-start-from-destination",
     "destination",
     IOT_SUBPROTOCOL_V3,
     build_stream_start,
     FALSE,
     1008},
    {"connection-start-in-v2", "source", IOT_SUBPROTOCOL_V2, build_connection_start, FALSE, 1008},
    {"stream-id-zero", "source", IOT_SUBPROTOCOL_V3, build_stream_zero, FALSE, 1008},
    {"stream-id-negative", "destination", IOT_SUBPROTOCOL_V3, build_stream_negative, FALSE, 1008},
    {"connection-id-in-v2", "source", IOT_SUBPROTOCOL_V2, build_connection_id_v2, FALSE, 1008},
    {"service-id-in-v1", "destination", IOT_SUBPROTOCOL_V1, build_service_id_v1, FALSE, 1008},
    {"unknown-service", "source", IOT_SUBPROTOCOL_V3, build_unknown_service, FALSE, 1008},
    {"payload-too-large", "source", IOT_SUBPROTOCOL_V3, build_payload_too_large, FALSE, 1008},
    {"unknown-field", "destination", IOT_SUBPROTOCOL_V3, build_unknown_field, FALSE, 1008},
    {"unknown-type", "source", IOT_SUBPROTOCOL_V3, build_unknown_type, FALSE, 1008},
    {"no-type", "source", IOT_SUBPROTOCOL_V3, build_no_type, FALSE, 1008},
    {"zero-length-frame", "destination", IOT_SUBPROTOCOL_V3, build_zero_length, FALSE, 1008},
    {"text-frame", "source", IOT_SUBPROTOCOL_V3, build_text, TRUE, 1003},
    {"websocket-message-too-big",
     "destination",
     IOT_SUBPROTOCOL_V3,
     build_websocket_too_big,
     FALSE,
     1009},
    {"unknown-type-ignorable",
     "source",
     IOT_SUBPROTOCOL_V3,
     build_unknown_type_ignorable,
     FALSE,
     0},
};

/*
 * The violator's side has a stream open; a refused frame closes it with the
 * right code and the other side gets a STREAM_RESET for that stream.
 */
static void
test_violation(Fixture *fixture, gconstpointer user_data)
{
	const Violation *violation = user_data;
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	gboolean from_source = g_strcmp0(violation->sender, "source") == 0;
	gboolean v1 = g_strcmp0(violation->subprotocol, IOT_SUBPROTOCOL_V1) == 0;
	g_autoptr(Client) source =
	    client_open(fixture, "source", tunnel->source_token, NULL, violation->subprotocol);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    violation->subprotocol);
	g_autoptr(GBytes) start =
	    encode_full(IOT_MESSAGE_TYPE_STREAM_START, 5, v1 ? NULL : "SSH1", 0, NULL);
	g_autoptr(GBytes) bad = violation->build();
	Client *sender = from_source ? source : destination;
	Client *other = from_source ? destination : source;
	guint other_before;
	IotMessage *msg;

	client_send(source, start);
	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == (v1 ? 1 : 2), 10000);
	IOT_TEST_WAIT_UNTIL_MS(source->messages->len == (v1 ? 0 : 1), 10000);
	other_before = other->messages->len;

	if (violation->text)
		soup_websocket_connection_send_text(sender->ws, g_bytes_get_data(bad, NULL));
	else
		client_send(sender, bad);

	if (violation->code == 0) {
		IOT_TEST_WAIT_UNTIL_MS(other->received->len > 0 &&
					   other->messages->len == other_before + 1,
				       10000);
		msg = g_ptr_array_index(other->messages, other_before);
		g_assert_cmpint(msg->type, ==, 9);
		g_assert_true(msg->ignorable);
		iot_test_run_for(100);
		g_assert_false(sender->closed);
		return;
	}
	client_wait_closed(sender, violation->code);
	g_assert_nonnull(sender->close_data);
	g_assert_cmpstr(sender->close_data, !=, "");
	IOT_TEST_WAIT_UNTIL_MS(other->messages->len == other_before + 1, 10000);
	msg = g_ptr_array_index(other->messages, other_before);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_STREAM_RESET);
	g_assert_cmpint(msg->stream_id, ==, 5);
	g_assert_false(other->closed);
	/* stderr arrives on its own pipe */
	IOT_TEST_WAIT_UNTIL_MS(strstr(fixture->log->str, "closing with") != NULL, 10000);
}

/* frames that arrive when the other side is not there */
static void
test_no_other_peer(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Client) source =
	    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V3);
	g_autoptr(GBytes) start = encode_full(IOT_MESSAGE_TYPE_STREAM_START, 3, "SSH1", 1, NULL);
	g_autoptr(GBytes) payload = pattern(10, 0);
	g_autoptr(GBytes) data = encode_full(IOT_MESSAGE_TYPE_DATA, 3, "SSH1", 1, payload);
	g_autoptr(GByteArray) both = g_byte_array_new();
	g_autoptr(JsonObject) description = NULL;
	IotMessage *msg;

	IOT_TEST_WAIT_UNTIL_MS(source->messages->len == 1, 10000);
	/* in one message, so that both are counted once the reset arrives */
	g_byte_array_append(both, g_bytes_get_data(start, NULL), g_bytes_get_size(start));
	g_byte_array_append(both, g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	soup_websocket_connection_send_binary(source->ws, both->data, both->len);
	IOT_TEST_WAIT_UNTIL_MS(source->messages->len == 2, 10000);
	msg = g_ptr_array_index(source->messages, 1);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_STREAM_RESET);
	g_assert_cmpint(msg->stream_id, ==, 3);
	g_assert_cmpstr(msg->service_id, ==, "SSH1");
	description = describe_tunnel(fixture, tunnel->id);
	g_assert_cmpint(
	    json_object_get_int_member(json_object_get_object_member(
					   json_object_get_object_member(description, "counters"),
					   "sourceToDestination"),
				       "dropped"),
	    ==,
	    2);
}

/* lifetime and close */

static void
test_lifetime(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"lifetime\": 3}");
	g_autoptr(Client) source = client_open(fixture,
					       "source",
					       tunnel->source_token,
					       CLIENT_TOKEN_A,
					       IOT_SUBPROTOCOL_V3);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V1);
	g_autoptr(Client) late = NULL;
	g_autoptr(JsonObject) description = NULL;

	client_wait_closed(source, SOUP_WEBSOCKET_CLOSE_NORMAL);
	client_wait_closed(destination, SOUP_WEBSOCKET_CLOSE_NORMAL);
	g_assert_cmpstr(source->close_data, ==, "tunnel lifetime expired");
	g_assert_cmpstr(destination->close_data, ==, "tunnel lifetime expired");

	description = describe_tunnel(fixture, tunnel->id);
	g_assert_cmpstr(json_object_get_string_member(description, "status"), ==, "CLOSED");
	g_assert_cmpstr(json_object_get_string_member(description, "closeReason"),
			==,
			"tunnel lifetime expired");

	/* even a reconnect with the client token meets a closed tunnel */
	late = client_new(fixture, "/tunnel?local-proxy-mode=source");
	client_add_header(late, "access-token", tunnel->source_token);
	client_add_header(late, "client-token", CLIENT_TOKEN_A);
	g_assert_cmpuint(client_connect(late, IOT_SUBPROTOCOL_V3), ==, SOUP_STATUS_GONE);
}

static void
test_close_via_api(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\", \"HTTP1\"]}");
	g_autoptr(Client) source =
	    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V2);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V3);
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", tunnel->id);
	g_autoptr(JsonObject) closed = NULL;
	g_autoptr(JsonObject) again = NULL;
	g_autoptr(JsonObject) list = NULL;
	JsonArray *tunnels;

	IOT_TEST_WAIT_UNTIL_MS(source->messages->len == 1 && destination->messages->len == 1,
			       10000);
	closed = api_call(fixture, "DELETE", path, NULL, 200);
	g_assert_cmpstr(json_object_get_string_member(closed, "status"), ==, "CLOSED");
	client_wait_closed(source, SOUP_WEBSOCKET_CLOSE_NORMAL);
	client_wait_closed(destination, SOUP_WEBSOCKET_CLOSE_NORMAL);
	g_assert_cmpstr(source->close_data, ==, "tunnel closed");

	/* closing again is harmless; the tunnel is still listed, closed */
	again = api_call(fixture, "DELETE", path, NULL, 200);
	list = api_call(fixture, "GET", "/api/tunnels", NULL, 200);
	tunnels = json_object_get_array_member(list, "tunnels");
	g_assert_cmpuint(json_array_get_length(tunnels), ==, 1);
	g_assert_cmpstr(
	    json_object_get_string_member(json_array_get_object_element(tunnels, 0), "status"),
	    ==,
	    "CLOSED");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(json_array_get_object_element(tunnels, 0),
							  "destinationConnectionState"),
			    "status"),
			==,
			"DISCONNECTED");
}

/* the API itself */
/* open tunnels outlive a restart: same tokens, same client-token bindings, same expiry */
static void
test_restart_keeps_tunnels(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Tunnel) closed = open_tunnel(fixture, NULL);
	g_autoptr(Tunnel) short_lived = open_tunnel(fixture, "{\"lifetime\": 4}");
	g_autoptr(Client) source = NULL;
	g_autoptr(Client) destination = NULL;
	g_autoptr(Client) waiting = NULL;
	g_autoptr(Client) refused = NULL;
	g_autoptr(JsonObject) before = NULL;
	g_autoptr(JsonObject) after = NULL;
	g_autoptr(JsonObject) short_before = NULL;
	g_autoptr(JsonObject) short_after = NULL;
	g_autoptr(JsonObject) answer = NULL;
	g_autofree gchar *closed_path = g_strdup_printf("/api/tunnels/%s", closed->id);
	g_autofree gchar *tunnels_file = g_build_filename(state_dir, "tunnels.json", NULL);
	g_autofree gchar *kept = NULL;
	g_autoptr(GPtrArray) secrets = g_ptr_array_new_with_free_func(g_free);

	source = client_open(fixture,
			     "source",
			     tunnel->source_token,
			     CLIENT_TOKEN_A,
			     IOT_SUBPROTOCOL_V3);
	destination = client_open(fixture,
				  "destination",
				  tunnel->destination_token,
				  NULL,
				  IOT_SUBPROTOCOL_V3);
	answer = api_call(fixture, "DELETE", closed_path, NULL, 200);
	before = describe_tunnel(fixture, tunnel->id);
	short_before = describe_tunnel(fixture, short_lived->id);

	/* the state file names the tokens by digest only */
	g_assert_true(g_file_get_contents(tunnels_file, &kept, NULL, NULL));
	for (guint i = 0; i < fixture->secrets->len; i++) {
		const gchar *secret = g_ptr_array_index(fixture->secrets, i);
		g_assert_null(strstr(kept, secret));
		g_ptr_array_add(secrets, g_strdup(secret));
	}
	g_assert_null(strstr(kept, CLIENT_TOKEN_A));
	g_assert_null(strstr(kept, closed->id));

	fixture_restart(fixture, FALSE);
	g_ptr_array_extend_and_steal(fixture->secrets, g_steal_pointer(&secrets));
	client_wait_closed(source, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
	client_wait_closed(destination, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
	after = describe_tunnel(fixture, tunnel->id);
	g_assert_cmpstr(json_object_get_string_member(after, "status"), ==, "OPEN");
	g_assert_cmpstr(json_object_get_string_member(after, "expiresAt"),
			==,
			json_object_get_string_member(before, "expiresAt"));
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "GET", closed_path, NULL, 404);

	/* the source's token is still bound to its client token; the destination's is spent */
	g_clear_pointer(&source, client_free);
	source = client_open(fixture,
			     "source",
			     tunnel->source_token,
			     CLIENT_TOKEN_A,
			     IOT_SUBPROTOCOL_V3);
	refused = refusal_client(fixture, "/tunnel?local-proxy-mode=source", tunnel->source_token);
	client_add_header(refused, "client-token", CLIENT_TOKEN_B);
	g_assert_cmpuint(client_connect(refused, IOT_SUBPROTOCOL_V3), ==, SOUP_STATUS_FORBIDDEN);
	g_clear_pointer(&refused, client_free);
	refused = refusal_client(fixture,
				 "/tunnel?local-proxy-mode=destination",
				 tunnel->destination_token);
	g_assert_cmpuint(client_connect(refused, IOT_SUBPROTOCOL_V3), ==, SOUP_STATUS_FORBIDDEN);
	g_clear_pointer(&refused, client_free);
	refused = refusal_client(fixture, "/tunnel?local-proxy-mode=source", closed->source_token);
	g_assert_cmpuint(client_connect(refused, IOT_SUBPROTOCOL_V3), ==, SOUP_STATUS_UNAUTHORIZED);

	/* the lifetime goes on from where it was: the same expiry, and the tunnel
	 * ends then (a slow run may find it ended already: it must not be open) */
	short_after = describe_tunnel(fixture, short_lived->id);
	g_assert_cmpstr(json_object_get_string_member(short_after, "expiresAt"),
			==,
			json_object_get_string_member(short_before, "expiresAt"));
	waiting = client_new(fixture, "/tunnel?local-proxy-mode=source");
	client_add_header(waiting, "access-token", short_lived->source_token);
	if (client_connect(waiting, IOT_SUBPROTOCOL_V1) == SOUP_STATUS_SWITCHING_PROTOCOLS) {
		IOT_TEST_WAIT_UNTIL_MS(waiting->closed, 10000);
		g_assert_cmpuint(waiting->close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
		g_assert_cmpstr(waiting->close_data, ==, "tunnel lifetime expired");
	} else {
		g_clear_pointer(&short_after, json_object_unref);
		short_after = describe_tunnel(fixture, short_lived->id);
		g_assert_cmpstr(json_object_get_string_member(short_after, "closeReason"),
				==,
				"tunnel lifetime expired");
	}
}

static void
test_api(Fixture *fixture, gconstpointer user_data)
{
	guint status = 0;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(JsonObject) answer = NULL;
	g_autoptr(Tunnel) tunnel = NULL;
	g_autoptr(JsonObject) description = NULL;
	g_autoptr(JsonObject) list = NULL;
	JsonArray *services;

	/* the admin token is required */
	node = api_call_full(fixture, "GET", "/api/tunnels", NULL, NULL, &status);
	g_assert_cmpuint(status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_clear_pointer(&node, json_node_unref);
	node = api_call_full(fixture, "GET", "/api/tunnels", NULL, "wrong", &status);
	g_assert_cmpuint(status, ==, SOUP_STATUS_UNAUTHORIZED);
	g_clear_pointer(&node, json_node_unref);

	/* bad bodies */
	answer = api_call(fixture, "POST", "/api/tunnels", "{\"lifetime\": 0}", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "{\"lifetime\": 43201}", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "{\"services\": [\"a b\"]}", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "{\"services\": [\"A\", \"A\"]}", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture,
			  "POST",
			  "/api/tunnels",
			  "{\"services\": [\"A\", \"B\", \"C\", \"D\"]}",
			  400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "{\"colour\": \"red\"}", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "[1, 2]", 400);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "POST", "/api/tunnels", "{", 400);
	g_assert_nonnull(json_object_get_string_member(answer, "error"));
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "GET", "/api/tunnels/no-such-tunnel", NULL, 404);
	g_clear_pointer(&answer, json_object_unref);
	answer = api_call(fixture, "PUT", "/api/tunnels", NULL, 405);
	g_clear_pointer(&answer, json_object_unref);

	/* open, describe, list */
	tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\", \"HTTP1\"], \"lifetime\": 600}");
	description = describe_tunnel(fixture, tunnel->id);
	g_assert_cmpstr(json_object_get_string_member(description, "tunnelId"), ==, tunnel->id);
	g_assert_cmpstr(json_object_get_string_member(description, "status"), ==, "OPEN");
	g_assert_cmpint(json_object_get_int_member(description, "lifetime"), ==, 600);
	services = json_object_get_array_member(description, "services");
	g_assert_cmpuint(json_array_get_length(services), ==, 2);
	g_assert_cmpstr(json_array_get_string_element(services, 0), ==, "SSH1");
	g_assert_cmpstr(json_array_get_string_element(services, 1), ==, "HTTP1");
	g_assert_false(json_object_has_member(description, "sourceAccessToken"));
	g_assert_nonnull(json_object_get_string_member(description, "expiresAt"));
	list = api_call(fixture, "GET", "/api/tunnels", NULL, 200);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(list, "tunnels")),
			 ==,
			 1);
}

/* many tunnels at once, each on its own */
static void
test_many_tunnels(Fixture *fixture, gconstpointer user_data)
{
	const guint n = 20;
	g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func((GDestroyNotify)tunnel_free);
	g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	g_autoptr(GPtrArray) destinations =
	    g_ptr_array_new_with_free_func((GDestroyNotify)client_free);
	const gchar *protocols[] = {IOT_SUBPROTOCOL_V1, IOT_SUBPROTOCOL_V2, IOT_SUBPROTOCOL_V3};

	for (guint i = 0; i < n; i++) {
		Tunnel *tunnel = open_tunnel(fixture, "{\"services\": []}");
		const gchar *protocol = protocols[i % 3];
		g_ptr_array_add(tunnels, tunnel);
		g_ptr_array_add(
		    sources,
		    client_open(fixture, "source", tunnel->source_token, NULL, protocol));
		g_ptr_array_add(
		    destinations,
		    client_open(fixture, "destination", tunnel->destination_token, NULL, protocol));
	}
	for (guint i = 0; i < n; i++) {
		Client *source = g_ptr_array_index(sources, i);
		Client *destination = g_ptr_array_index(destinations, i);
		g_autoptr(GBytes) up_payload = pattern(1000 + i, i);
		g_autoptr(GBytes) down_payload = pattern(2000 + i, i + 100);
		g_autoptr(GBytes) start =
		    encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, NULL, 0, NULL);
		g_autoptr(GBytes) up = encode_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, up_payload);
		g_autoptr(GBytes) down =
		    encode_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, down_payload);
		client_send(source, start);
		client_send(source, up);
		client_send(destination, down);
	}
	for (guint i = 0; i < n; i++) {
		Client *source = g_ptr_array_index(sources, i);
		Client *destination = g_ptr_array_index(destinations, i);
		Tunnel *tunnel = g_ptr_array_index(tunnels, i);
		guint skip = i % 3 == 0 ? 0 : 1; /* SERVICE_IDS */
		g_autoptr(JsonObject) description = NULL;
		JsonObject *counters;
		IotMessage *msg;

		IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == skip + 2, 20000);
		IOT_TEST_WAIT_UNTIL_MS(source->messages->len == skip + 1, 20000);
		msg = g_ptr_array_index(destination->messages, skip + 1);
		g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_DATA);
		g_assert_cmpuint(g_bytes_get_size(msg->payload), ==, 1000 + i);
		g_assert_cmpuint(((const guint8 *)g_bytes_get_data(msg->payload, NULL))[1],
				 ==,
				 (7 + i) & 0xff);
		msg = g_ptr_array_index(source->messages, skip);
		g_assert_cmpuint(g_bytes_get_size(msg->payload), ==, 2000 + i);

		description = describe_tunnel(fixture, tunnel->id);
		counters = json_object_get_object_member(description, "counters");
		g_assert_cmpint(json_object_get_int_member(
				    json_object_get_object_member(counters, "sourceToDestination"),
				    "messages"),
				==,
				2);
		g_assert_cmpint(json_object_get_int_member(
				    json_object_get_object_member(counters, "destinationToSource"),
				    "messages"),
				==,
				1);
	}
	/* closing one leaves the others alone */
	{
		Tunnel *tunnel = g_ptr_array_index(tunnels, 0);
		g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", tunnel->id);
		g_autoptr(JsonObject) answer = api_call(fixture, "DELETE", path, NULL, 200);
		client_wait_closed(g_ptr_array_index(sources, 0), SOUP_WEBSOCKET_CLOSE_NORMAL);
		iot_test_run_for(100);
		for (guint i = 1; i < n; i++) {
			g_assert_false(((Client *)g_ptr_array_index(sources, i))->closed);
			g_assert_false(((Client *)g_ptr_array_index(destinations, i))->closed);
		}
	}
}

/*
 * A destination that does not read while the source floods: the service must
 * stop reading the source once 1 MiB waits toward the destination, so its
 * memory stays flat; once the destination reads, everything flows.
 */
static void
test_slow_peer_memory(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(RawClient) destination =
	    raw_client_open(fixture, "destination", tunnel->destination_token);
	g_autoptr(RawClient) source = raw_client_open(fixture, "source", tunnel->source_token);
	g_autoptr(GBytes) payload = pattern(IOT_MESSAGE_MAX_PAYLOAD, 0);
	g_autoptr(GBytes) data = encode_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 1, payload);
	g_autoptr(GBytes) start = encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1, NULL);
	g_autoptr(GByteArray) start_frame = g_byte_array_new();
	g_autoptr(JsonObject) description = NULL;
	const guint64 flood = 32 * 1024 * 1024;
	guint64 rss_before;
	guint64 rss_stalled;
	guint64 rss_after;
	guint64 queued;
	guint64 stalled_at;
	gint64 started;
	guint8 start_header[6] = {0x82, 0x80 | 0, 0, 0, 0, 0};
	g_autoptr(GError) error = NULL;

	/* STREAM_START in a small frame of its own */
	start_header[1] = 0x80 | g_bytes_get_size(start);
	g_byte_array_append(start_frame, start_header, sizeof(start_header));
	g_byte_array_append(start_frame, g_bytes_get_data(start, NULL), g_bytes_get_size(start));
	g_output_stream_write_all(g_io_stream_get_output_stream(source->stream),
				  start_frame->data,
				  start_frame->len,
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
	iot_test_run_for(200);
	rss_before = fixture_get_rss_kib(fixture);

	/* flood; nothing is read on the far side */
	source->block = raw_frame(data);
	source->write_limit = flood;
	source->last_progress = g_get_monotonic_time();
	raw_client_write_next(source);
	IOT_TEST_WAIT_UNTIL_MS(
	    g_get_monotonic_time() - source->last_progress > G_USEC_PER_SEC / 2 || !source->writing,
	    30000);
	g_assert_true(source->writing);
	stalled_at = source->written;
	rss_stalled = fixture_get_rss_kib(fixture);
	description = describe_tunnel(fixture, tunnel->id);
	queued = json_object_get_int_member(
	    json_object_get_object_member(description, "destinationConnectionState"),
	    "sendQueued");
	g_test_message("source stalled after %" G_GUINT64_FORMAT " KiB; %" G_GUINT64_FORMAT
		       " KiB queued toward the destination; service RSS %" G_GUINT64_FORMAT
		       " -> %" G_GUINT64_FORMAT " KiB",
		       stalled_at / 1024,
		       queued / 1024,
		       rss_before,
		       rss_stalled);
	g_assert_cmpuint(stalled_at, <, flood / 2);
	g_assert_cmpuint(queued, >, 0);
	g_assert_cmpuint(queued, <=, 1024 * 1024 + 2 * IOT_WEBSOCKET_MAX_PAYLOAD);
	g_assert_cmpuint(rss_stalled, <, rss_before + 16 * 1024);

	/* the destination reads: the whole flood goes through, memory stays flat */
	started = g_get_monotonic_time();
	raw_client_read_next(destination);
	/* each message reaches the destination with a 4-byte header instead of 8 */
	IOT_TEST_WAIT_UNTIL_MS(!source->writing &&
				   destination->read >= source->written /
							    g_bytes_get_size(source->block) *
							    (g_bytes_get_size(source->block) - 4),
			       60000);
	g_assert_cmpuint(source->written, >=, flood);
	rss_after = fixture_get_rss_kib(fixture);
	g_test_message("%" G_GUINT64_FORMAT " MiB relayed in %.2f s after the destination "
		       "started reading; service RSS %" G_GUINT64_FORMAT " KiB",
		       flood / (1024 * 1024),
		       (g_get_monotonic_time() - started) / (gdouble)G_USEC_PER_SEC,
		       rss_after);
	g_assert_cmpuint(rss_after, <, rss_before + 16 * 1024);
}

/* reads what the service sends @raw up to its close frame; returns the close code */
static guint
raw_read_close(RawClient *raw, gchar **reason)
{
	g_autoptr(GString) answer = g_string_new(NULL);
	guint8 buffer[4096];

	for (;;) {
		g_autoptr(GError) error = NULL;
		gssize n;
		gsize len;

		if (answer->len >= 2) {
			const guint8 *frame = (const guint8 *)answer->str;
			len = frame[1] & 0x7f;
			g_assert_cmpuint(len, <, 126);
			if (answer->len >= 2 + len && (frame[0] & 0x0f) == 0x8) {
				g_assert_cmpuint(len, >=, 2);
				if (reason != NULL)
					*reason = g_strndup((const gchar *)frame + 4, len - 2);
				return ((guint)frame[2] << 8) | frame[3];
			}
			if (answer->len >= 2 + len) {
				g_string_erase(answer, 0, 2 + len);
				continue;
			}
		}
		n = g_input_stream_read(g_io_stream_get_input_stream(raw->stream),
					buffer,
					sizeof(buffer),
					NULL,
					&error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		g_string_append_len(answer, (const gchar *)buffer, n);
	}
}

static void
raw_write(RawClient *raw, const guint8 *data, gsize len)
{
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all(g_io_stream_get_output_stream(raw->stream),
				  data,
				  len,
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
}

/* a fragmented message over the limit is refused before it is gathered */
static void
test_fragmented_too_big(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
	g_autoptr(RawClient) source = raw_client_open(fixture, "source", tunnel->source_token);
	g_autoptr(GBytes) part = pattern(60000, 0);
	g_autoptr(GBytes) first = raw_frame(part);
	g_autoptr(GBytes) middle = raw_frame(part);
	g_autoptr(GBytes) last = raw_frame(part);
	g_autoptr(GByteArray) all = g_byte_array_new();

	/* binary without FIN, then continuations: 180000 bytes in all */
	g_byte_array_append(all, g_bytes_get_data(first, NULL), g_bytes_get_size(first));
	all->data[0] = 0x02;
	g_byte_array_append(all, g_bytes_get_data(middle, NULL), g_bytes_get_size(middle));
	all->data[g_bytes_get_size(first)] = 0x00;
	g_byte_array_append(all, g_bytes_get_data(last, NULL), g_bytes_get_size(last));
	all->data[2 * g_bytes_get_size(first)] = 0x80;
	raw_write(source, all->data, all->len);

	/* the service answers SERVICE_IDS, then a close frame with 1009 */
	g_assert_cmpuint(raw_read_close(source, NULL), ==, 1009);
}

/*
 * A frame that breaks RFC 6455 is refused with 1002 and a reason that says
 * which rule, before anything of it is read.
 */
static void
test_broken_frame(Fixture *fixture, gconstpointer user_data)
{
	const struct {
		guint8 header[8];
		gsize len;
		const gchar *reason;
	} cases[] = {
	    {{0xc2, 0x80, 1, 2, 3, 4}, 6, "reserved bits"},
	    {{0x82, 0x00}, 2, "not masked"},
	    {{0x80, 0x80, 1, 2, 3, 4}, 6, "no message begun"},
	    {{0x89, 0x80 | 126, 0, 126, 1, 2, 3, 4}, 8, "over 125 bytes"},
	    {{0x83, 0x80, 1, 2, 3, 4}, 6, "reserved opcode"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
		g_autoptr(RawClient) source =
		    raw_client_open(fixture, "source", tunnel->source_token);
		g_autofree gchar *reason = NULL;

		raw_write(source, cases[i].header, cases[i].len);
		g_assert_cmpuint(raw_read_close(source, &reason), ==, 1002);
		g_assert_nonnull(strstr(reason, cases[i].reason));
	}
}

/*
 * A message in fragments, a ping between them, written a few bytes at a time:
 * the service unmasks each piece at its place in its frame and relays the
 * message whole.
 */
static void
test_fragments_in_pieces(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V3);
	g_autoptr(RawClient) source = raw_client_open(fixture, "source", tunnel->source_token);
	g_autoptr(GBytes) start = encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0, NULL);
	g_autoptr(GBytes) payload = pattern(1000, 3);
	g_autoptr(GBytes) data = encode_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 0, payload);
	g_autoptr(GByteArray) message = g_byte_array_new();
	g_autoptr(GByteArray) wire = g_byte_array_new();
	const guint8 key[] = {0x9a, 0x37, 0x01, 0xfe};
	const guint8 ping[] = {0x89, 0x83, 1, 2, 3, 4, 'p' ^ 1, 'i' ^ 2, 'n' ^ 3};
	gsize cut;
	guint received;

	g_byte_array_append(message, g_bytes_get_data(start, NULL), g_bytes_get_size(start));
	g_byte_array_append(message, g_bytes_get_data(data, NULL), g_bytes_get_size(data));
	cut = message->len / 3;
	/* three fragments, the ping after the first */
	for (guint f = 0; f < 3; f++) {
		gsize from = f * cut;
		gsize to = f == 2 ? message->len : (f + 1) * cut;
		guint8 header[IOT_WEBSOCKET_FRAME_HEADER_MAX];
		gsize header_len = iot_websocket_frame_write_header(
		    header,
		    f == 2,
		    f == 0 ? IOT_WEBSOCKET_OPCODE_BINARY : IOT_WEBSOCKET_OPCODE_CONTINUATION,
		    to - from,
		    key);
		g_byte_array_append(wire, header, header_len);
		g_byte_array_set_size(wire, wire->len + (to - from));
		iot_websocket_mask_copy(wire->data + wire->len - (to - from),
					message->data + from,
					to - from,
					key,
					0);
		if (f == 0)
			g_byte_array_append(wire, ping, sizeof(ping));
	}

	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len >= 1, 10000);
	received = destination->messages->len;
	for (gsize at = 0; at < wire->len; at += 3) {
		raw_write(source, wire->data + at, MIN(3, wire->len - at));
		iot_test_run_for(1);
	}
	IOT_TEST_WAIT_UNTIL_MS(destination->messages->len == received + 2, 10000);
	g_assert_cmpint(((IotMessage *)g_ptr_array_index(destination->messages, received))->type,
			==,
			IOT_MESSAGE_TYPE_STREAM_START);
	g_assert_cmpint(
	    ((IotMessage *)g_ptr_array_index(destination->messages, received + 1))->type,
	    ==,
	    IOT_MESSAGE_TYPE_DATA);
}

/* plain ws:// when asked for, on loopback */
static void
test_plain(Fixture *fixture, gconstpointer user_data)
{
	const gchar *services[] = {"SSH1", NULL};
	g_autoptr(Tunnel) tunnel = open_tunnel(fixture, "{\"services\": [\"SSH1\"]}");
	g_autoptr(Client) source =
	    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V2);
	g_autoptr(Client) destination = client_open(fixture,
						    "destination",
						    tunnel->destination_token,
						    NULL,
						    IOT_SUBPROTOCOL_V2);
	g_autoptr(GBytes) start = encode_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 0, NULL);
	g_autoptr(GByteArray) expected = g_byte_array_new();

	client_expect_service_ids(source, services);
	client_expect_service_ids(destination, services);
	g_byte_array_append(expected, g_bytes_get_data(start, NULL), g_bytes_get_size(start));
	client_send(source, start);
	client_assert_received(destination, destination->received->len, expected);
}

/* the user's options, checked before anything starts */
static void
test_bad_options(void)
{
	const gchar *binary = g_getenv("IOTUNNEL_SERVICE");
	const gchar *cases[][4] = {
	    {"--plain", "--address", "0.0.0.0", "loopback"},
	    {"--cert", "/nonexistent.pem", "--port=0", "--key"},
	    {"--address", "example.org", "--port=0", "IP address"},
	    {"--port", "70000", "--plain", "out of range"},
	};

	if (binary == NULL)
		binary = IOTUNNEL_SERVICE_PATH;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GSubprocess) process = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree gchar *err = NULL;

		process = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					       G_SUBPROCESS_FLAGS_STDERR_PIPE,
					   &error,
					   binary,
					   "--state-dir",
					   state_dir,
					   cases[i][0],
					   cases[i][1],
					   cases[i][2],
					   NULL);
		g_assert_no_error(error);
		g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &error);
		g_assert_no_error(error);
		g_assert_true(g_subprocess_get_if_exited(process));
		g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 1);
		g_assert_nonnull(strstr(err, cases[i][3]));
	}
}

static GBytes *
read_ca(Fixture *fixture)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;

	g_file_get_contents(fixture->ca_file, &contents, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(contents, len);
}

/* the generated CA stays in the state folder; a certificate of the user's is served as given */
static void
test_certificates(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) ca = read_ca(fixture);
	g_autoptr(GBytes) ca_again = NULL;

	g_assert_true(g_str_has_prefix(g_bytes_get_data(ca, NULL), "-----BEGIN CERTIFICATE-----"));

	/* --cert and --key: no CA of ours is printed; the given chain is served */
	fixture_restart(fixture, TRUE);
	{
		g_autoptr(Tunnel) tunnel = open_tunnel(fixture, NULL);
		g_autoptr(Client) source =
		    client_open(fixture, "source", tunnel->source_token, NULL, IOT_SUBPROTOCOL_V1);
	}

	/* and the next start finds the same CA */
	fixture_restart(fixture, FALSE);
	ca_again = read_ca(fixture);
	g_assert_true(g_bytes_equal(ca, ca_again));
	g_assert_null(strstr(fixture->log->str, "generating a new certificate"));
}

/* runs @argv to its end, returning its stdout; sets @status to its exit status */
static gchar *
run_command(const gchar *const *argv, gint *status)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;

	process =
	    g_subprocess_newv(argv,
			      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
			      &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	*status = g_subprocess_get_exit_status(process);
	return out;
}

/* whether OpenSSL, trusting only the folder @ca_dir, accepts @cert_file for a TLS server */
static gboolean
openssl_verifies(const gchar *ca_dir, const gchar *cert_file)
{
	const gchar *argv[] = {"openssl",
			       "verify",
			       "-no-CAfile",
			       "-no-CAstore",
			       "-CApath",
			       ca_dir,
			       "-purpose",
			       "sslserver",
			       cert_file,
			       NULL};
	gint status = -1;
	g_autofree gchar *out = run_command(argv, &status);
	if (g_test_verbose())
		g_test_message("openssl verify: %s", out);
	return status == 0;
}

/* the hashed CA folder holds the CA under its OpenSSL subject hash, and OpenSSL trusts the service
 * through it */
static void
test_ca_dir(Fixture *fixture, gconstpointer user_data)
{
	const gchar *hash_argv[] =
	    {"openssl", "x509", "-hash", "-noout", "-in", fixture->ca_file, NULL};
	g_autofree gchar *cert_file = g_build_filename(state_dir, "server.pem", NULL);
	g_autofree gchar *empty_dir = g_build_filename(state_dir, "empty-ca-dir", NULL);
	g_autofree gchar *hash = NULL;
	g_autofree gchar *hashed_name = NULL;
	g_autofree gchar *hashed_file = NULL;
	g_autofree gchar *copy = NULL;
	g_autofree gchar *expected = NULL;
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	gint status = -1;

	g_autofree gchar *openssl = g_find_program_in_path("openssl");

	if (openssl == NULL) {
		g_test_skip("openssl is not installed (Debian package openssl)");
		return;
	}
	g_assert_true(g_str_has_prefix(fixture->ca_dir, state_dir));
	hash = run_command(hash_argv, &status);
	g_assert_cmpint(status, ==, 0);
	g_strstrip(hash);
	hashed_name = g_strdup_printf("%s.0", hash);

	/* one file, named after the CA's subject hash, a copy of the CA file */
	dir = g_dir_open(fixture->ca_dir, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(g_dir_read_name(dir), ==, hashed_name);
	g_assert_null(g_dir_read_name(dir));
	hashed_file = g_build_filename(fixture->ca_dir, hashed_name, NULL);
	g_file_get_contents(hashed_file, &copy, NULL, &error);
	g_assert_no_error(error);
	g_file_get_contents(fixture->ca_file, &expected, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(copy, ==, expected);

	/* OpenSSL finds the CA through the folder, and only through it */
	g_assert_true(openssl_verifies(fixture->ca_dir, cert_file));
	g_assert_cmpint(g_mkdir_with_parents(empty_dir, 0700), ==, 0);
	g_assert_false(openssl_verifies(empty_dir, cert_file));
	g_rmdir(empty_dir);

	/* a folder lost since the last start comes back */
	g_remove(hashed_file);
	fixture_restart(fixture, FALSE);
	g_assert_true(g_file_test(hashed_file, G_FILE_TEST_IS_REGULAR));
	g_assert_true(openssl_verifies(fixture->ca_dir, cert_file));
}

static void
add_test(const gchar *path, gconstpointer data, void (*func)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	/* GLib and libsoup debug lines drown the test's own unless asked for */
	if (!g_test_verbose())
		g_log_set_debug_enabled(FALSE);
	fixture_init_state_dir();

	for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service/refuse/%s", refusals[i].name);
		add_test(path, &refusals[i], test_refusal);
	}
	add_test("/iotunnel/service/refuse/not-websocket", NULL, test_not_websocket);
	add_test("/iotunnel/service/handshake/cookie-token", NULL, test_cookie_token);
	add_test("/iotunnel/service/handshake/subprotocol-choice", NULL, test_subprotocol_choice);
	add_test("/iotunnel/service/relay/v1", NULL, test_relay_v1);
	for (guint i = 0; i < G_N_ELEMENTS(replays); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service/relay/vectors-%s", replays[i].scenario);
		add_test(path, &replays[i], test_relay_vectors);
	}
	for (guint i = 0; i < G_N_ELEMENTS(violations); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service/validate/%s", violations[i].name);
		add_test(path, &violations[i], test_violation);
	}
	add_test("/iotunnel/service/validate/fragmented-too-big", NULL, test_fragmented_too_big);
	add_test("/iotunnel/service/validate/broken-frame", NULL, test_broken_frame);
	add_test("/iotunnel/service/relay/fragments-in-pieces", NULL, test_fragments_in_pieces);
	add_test("/iotunnel/service/relay/no-other-peer", NULL, test_no_other_peer);
	add_test("/iotunnel/service/peer/replacement", NULL, test_peer_replacement);
	add_test("/iotunnel/service/tunnel/lifetime", NULL, test_lifetime);
	add_test("/iotunnel/service/tunnel/close-via-api", NULL, test_close_via_api);
	add_test("/iotunnel/service/tunnel/many", NULL, test_many_tunnels);
	add_test("/iotunnel/service/api/open-describe-list", NULL, test_api);
	add_test("/iotunnel/service/state/restart-keeps-tunnels", NULL, test_restart_keeps_tunnels);
	add_test("/iotunnel/service/flow/slow-peer-memory", NULL, test_slow_peer_memory);
	add_test("/iotunnel/service/options/certificates", NULL, test_certificates);
	add_test("/iotunnel/service/options/ca-dir", NULL, test_ca_dir);
	g_test_add("/iotunnel/service/options/plain",
		   Fixture,
		   NULL,
		   fixture_setup_plain,
		   test_plain,
		   fixture_teardown);
	g_test_add_func("/iotunnel/service/options/bad", test_bad_options);
	rc = g_test_run();
	fixture_remove_state_dir();
	return rc;
}
