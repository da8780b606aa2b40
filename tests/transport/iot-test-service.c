/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-service.h"

#include <string.h>

static const gchar *const iot_test_subprotocols[] = {
    "aws.iot.securetunneling-3.0",
    "aws.iot.securetunneling-2.0",
    "aws.iot.securetunneling-1.0",
    NULL,
};

static void
iot_test_soup_service_http_cb(SoupServer *server,
			      SoupServerMessage *msg,
			      const char *path,
			      GHashTable *query,
			      gpointer user_data)
{
	IotTestSoupService *service = user_data;

	g_clear_pointer(&service->request_headers, soup_message_headers_unref);
	service->request_headers =
	    soup_message_headers_ref(soup_server_message_get_request_headers(msg));
	if (service->refuse_status != 0) {
		soup_server_message_set_status(msg, service->refuse_status, NULL);
		return;
	}
	if (service->channel_id != NULL) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "channel-id",
					     service->channel_id);
	}
}

static void
iot_test_soup_service_message_cb(SoupWebsocketConnection *ws,
				 gint type,
				 GBytes *message,
				 gpointer user_data)
{
	IotTestSoupService *service = user_data;
	g_ptr_array_add(service->received, g_bytes_ref(message));
	if (service->echo)
		soup_websocket_connection_send_message(ws, type, message);
}

static void
iot_test_soup_service_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotTestSoupService *service = user_data;
	service->closed = TRUE;
	service->close_code = soup_websocket_connection_get_close_code(ws);
}

static void
iot_test_soup_service_websocket_cb(SoupServer *server,
				   SoupServerMessage *msg,
				   const char *path,
				   SoupWebsocketConnection *connection,
				   gpointer user_data)
{
	IotTestSoupService *service = user_data;

	g_clear_object(&service->ws);
	service->ws = g_object_ref(connection);
	soup_websocket_connection_set_max_incoming_payload_size(connection, 131076);
	g_signal_connect(connection,
			 "message",
			 G_CALLBACK(iot_test_soup_service_message_cb),
			 service);
	g_signal_connect(connection,
			 "closed",
			 G_CALLBACK(iot_test_soup_service_closed_cb),
			 service);
}

IotTestSoupService *
iot_test_soup_service_new(GTlsCertificate *certificate, GError **error)
{
	g_autoptr(IotTestSoupService) service = g_new0(IotTestSoupService, 1);
	GSList *uris;

	service->received = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	service->server = soup_server_new("tls-certificate", certificate, NULL);
	soup_server_add_handler(service->server,
				"/tunnel",
				iot_test_soup_service_http_cb,
				service,
				NULL);
	soup_server_add_websocket_handler(service->server,
					  "/tunnel",
					  NULL,
					  (gchar **)iot_test_subprotocols,
					  iot_test_soup_service_websocket_cb,
					  service,
					  NULL);
	if (!soup_server_listen_local(service->server,
				      0,
				      SOUP_SERVER_LISTEN_IPV4_ONLY |
					  (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0),
				      error))
		return NULL;
	uris = soup_server_get_uris(service->server);
	service->port = g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	service->url = g_strdup_printf("%s://127.0.0.1:%u/tunnel?local-proxy-mode=source",
				       certificate != NULL ? "wss" : "ws",
				       service->port);
	return g_steal_pointer(&service);
}

void
iot_test_soup_service_free(IotTestSoupService *service)
{
	if (service->ws != NULL) {
		g_signal_handlers_disconnect_by_data(service->ws, service);
		g_object_unref(service->ws);
	}
	if (service->server != NULL) {
		soup_server_disconnect(service->server);
		g_object_unref(service->server);
	}
	g_clear_pointer(&service->request_headers, soup_message_headers_unref);
	g_ptr_array_unref(service->received);
	g_free(service->channel_id);
	g_free(service->url);
	g_free(service);
}

/* an unmasked frame, as a service sends, with a payload of a known pattern */
GBytes *
iot_test_server_frame(guint8 first_byte, gsize payload_len)
{
	g_autoptr(GByteArray) frame = g_byte_array_sized_new(payload_len + 10);
	guint8 header[10];
	gsize header_len = 2;

	header[0] = first_byte;
	if (payload_len < 126) {
		header[1] = payload_len;
	} else if (payload_len <= G_MAXUINT16) {
		header[1] = 126;
		header[2] = payload_len >> 8;
		header[3] = payload_len & 0xff;
		header_len = 4;
	} else {
		header[1] = 127;
		for (guint i = 0; i < 8; i++)
			header[2 + i] = ((guint64)payload_len >> (8 * (7 - i))) & 0xff;
		header_len = 10;
	}
	g_byte_array_append(frame, header, header_len);
	g_byte_array_set_size(frame, header_len + payload_len);
	for (gsize i = 0; i < payload_len; i++)
		frame->data[header_len + i] = (7 * i + 3) & 0xff;
	return g_byte_array_free_to_bytes(g_steal_pointer(&frame));
}

void
iot_test_raw_service_write(IotTestRawService *service, GBytes *bytes)
{
	g_autoptr(GError) error = NULL;
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(service->connection)),
				  g_bytes_get_data(bytes, NULL),
				  g_bytes_get_size(bytes),
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
}

static void
iot_test_raw_service_answer(IotTestRawService *service, gsize header_len)
{
	g_autoptr(SoupMessageHeaders) headers =
	    soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA1);
	g_autoptr(GString) answer = g_string_new(NULL);
	g_autoptr(GBytes) bytes = NULL;
	g_autofree gchar *accept = NULL;
	g_autofree gchar *protocol = NULL;
	guint8 digest[20];
	gsize digest_len = sizeof(digest);
	const gchar *offered;
	guint status;

	status = soup_headers_parse_request((const gchar *)service->in->data,
					    header_len,
					    headers,
					    NULL,
					    NULL,
					    NULL);
	g_assert_cmpuint(status, ==, SOUP_STATUS_OK);
	g_checksum_update(
	    checksum,
	    (const guchar *)soup_message_headers_get_one(headers, "Sec-WebSocket-Key"),
	    -1);
	g_checksum_update(checksum, (const guchar *)"258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
	g_checksum_get_digest(checksum, digest, &digest_len);
	accept = g_base64_encode(digest, digest_len);
	offered = soup_message_headers_get_one(headers, "Sec-WebSocket-Protocol");
	if (service->answer_protocol != NULL)
		protocol = g_strdup(service->answer_protocol);
	else
		protocol = g_strndup(offered, strcspn(offered, ", "));

	g_string_append_printf(answer,
			       "HTTP/1.1 101 Switching Protocols\r\n"
			       "Upgrade: websocket\r\n"
			       "Connection: Upgrade\r\n"
			       "Sec-WebSocket-Accept: %s\r\n",
			       accept);
	if (protocol[0] != '\0')
		g_string_append_printf(answer, "Sec-WebSocket-Protocol: %s\r\n", protocol);
	g_string_append(answer, "\r\n");
	if (service->after_answer != NULL) {
		g_string_append_len(answer,
				    g_bytes_get_data(service->after_answer, NULL),
				    g_bytes_get_size(service->after_answer));
	}
	bytes = g_string_free_to_bytes(g_steal_pointer(&answer));
	iot_test_raw_service_write(service, bytes);
}

/* whether a masked payload is the test pattern, as iot_test_server_frame() makes */
static gboolean
iot_test_raw_service_data_is_pattern(const guint8 *payload, gsize len, const guint8 *key)
{
	for (gsize i = 0; i < len; i++) {
		if ((guint8)(payload[i] ^ key[i & 3]) != ((7 * i + 3) & 0xff))
			return FALSE;
	}
	return TRUE;
}

/* reads the client's frames; control frames are unmasked, data counted and maybe checked */
static void
iot_test_raw_service_process(IotTestRawService *service)
{
	if (!service->handshake_done) {
		const guint8 *end =
		    service->in->len < 4
			? NULL
			: memmem(service->in->data, service->in->len, "\r\n\r\n", 4);
		if (end == NULL || service->silent)
			return;
		g_free(service->request);
		service->request =
		    g_strndup((const gchar *)service->in->data, end - service->in->data + 4);
		if (service->http_answer != NULL) {
			iot_test_raw_service_write(service, service->http_answer);
			g_clear_pointer(&service->http_answer, g_bytes_unref);
			return;
		}
		iot_test_raw_service_answer(service, end - service->in->data + 2);
		g_byte_array_remove_range(service->in, 0, end - service->in->data + 4);
		service->handshake_done = TRUE;
	}
	while (service->in->len >= 2) {
		guint8 *data = service->in->data;
		gboolean fin = (data[0] & 0x80) != 0;
		guint8 opcode = data[0] & 0x0f;
		gboolean masked = (data[1] & 0x80) != 0;
		guint64 len = data[1] & 0x7f;
		gsize at = 2;
		guint8 *payload;

		if (len == 126) {
			if (service->in->len < 4)
				return;
			len = ((guint64)data[2] << 8) | data[3];
			at = 4;
		} else if (len == 127) {
			if (service->in->len < 10)
				return;
			len = 0;
			for (guint i = 2; i < 10; i++)
				len = (len << 8) | data[i];
			at = 10;
		}
		g_assert_true(masked);
		if (service->in->len < at + 4 + len)
			return;
		payload = data + at + 4;
		if (opcode >= 0x8) {
			for (gsize i = 0; i < len; i++)
				payload[i] ^= data[at + (i & 3)];
		}
		switch (opcode) {
		case 0x0:
		case 0x1:
		case 0x2:
			if (service->check_data &&
			    !iot_test_raw_service_data_is_pattern(payload, len, data + at))
				service->data_corrupt++;
			service->data_received += len;
			if (fin)
				service->data_messages++;
			/* whole unfragmented messages only, which is what clients send here */
			if (service->data != NULL && fin && opcode != 0x0) {
				for (gsize i = 0; i < len; i++)
					payload[i] ^= data[at + (i & 3)];
				g_ptr_array_add(service->data, g_bytes_new(payload, len));
			}
			break;
		case 0x8:
			service->close_code = len >= 2 ? (payload[0] << 8) | payload[1] : 1005;
			break;
		case 0x9:
			if (service->pings->len == 0)
				service->first_ping_us = g_get_monotonic_time();
			g_ptr_array_add(service->pings, g_strndup((const gchar *)payload, len));
			if (service->answer_pings) {
				g_autoptr(GByteArray) pong = g_byte_array_new();
				g_autoptr(GBytes) pong_bytes = NULL;
				guint8 header[2] = {0x8a, (guint8)len};
				g_byte_array_append(pong, header, 2);
				g_byte_array_append(pong, payload, len);
				pong_bytes = g_byte_array_free_to_bytes(g_steal_pointer(&pong));
				iot_test_raw_service_write(service, pong_bytes);
			}
			break;
		case 0xa:
			g_ptr_array_add(service->pongs, g_strndup((const gchar *)payload, len));
			break;
		default:
			break;
		}
		g_byte_array_remove_range(service->in, 0, at + 4 + len);
	}
}

static gboolean
iot_test_raw_service_read_cb(GObject *stream, gpointer user_data)
{
	IotTestRawService *service = user_data;
	g_autofree guint8 *buffer = g_malloc(65536);
	g_autoptr(GError) error = NULL;
	gssize count;

	count = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream),
							 buffer,
							 65536,
							 NULL,
							 &error);
	if (count < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	if (count <= 0) {
		service->eof = TRUE;
		g_clear_pointer(&service->read_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	g_byte_array_append(service->in, buffer, count);
	iot_test_raw_service_process(service);
	if (service->handshake_done && !service->reading) {
		g_clear_pointer(&service->read_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* starts or stops reading what the client sends after the handshake */
void
iot_test_raw_service_set_reading(IotTestRawService *service, gboolean reading)
{
	GInputStream *input;

	service->reading = reading;
	if (!reading) {
		if (service->read_source != NULL && service->handshake_done) {
			g_source_destroy(service->read_source);
			g_clear_pointer(&service->read_source, g_source_unref);
		}
		return;
	}
	if (service->read_source != NULL || service->connection == NULL)
		return;
	input = g_io_stream_get_input_stream(G_IO_STREAM(service->connection));
	service->read_source =
	    g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(input), NULL);
	g_source_set_callback(service->read_source,
			      G_SOURCE_FUNC(iot_test_raw_service_read_cb),
			      service,
			      NULL);
	g_source_attach(service->read_source, NULL);
	iot_test_raw_service_process(service);
}

static gboolean
iot_test_raw_service_incoming_cb(GSocketService *socket_service,
				 GSocketConnection *connection,
				 GObject *source_object,
				 gpointer user_data)
{
	IotTestRawService *service = user_data;
	gboolean reading = service->reading;

	/* one client at a time: another (one that reconnects) is turned away */
	if (service->connection != NULL) {
		service->extra_connections++;
		g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
		return TRUE;
	}
	service->connection = g_object_ref(connection);
	if (service->on_accept != NULL)
		iot_test_raw_service_write(service, service->on_accept);
	/* the handshake is always read */
	iot_test_raw_service_set_reading(service, TRUE);
	service->reading = reading;
	return TRUE;
}

IotTestRawService *
iot_test_raw_service_new(GSocketFamily family, GError **error)
{
	g_autoptr(IotTestRawService) service = g_new0(IotTestRawService, 1);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(family);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) effective = NULL;

	service->in = g_byte_array_new();
	service->pings = g_ptr_array_new_with_free_func(g_free);
	service->pongs = g_ptr_array_new_with_free_func(g_free);
	service->close_code = -1;
	service->reading = TRUE;
	service->service = g_socket_service_new();
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(service->service),
					   address,
					   G_SOCKET_TYPE_STREAM,
					   G_SOCKET_PROTOCOL_TCP,
					   NULL,
					   &effective,
					   error))
		return NULL;
	service->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	service->url = g_strdup_printf("ws://%s:%u/tunnel?local-proxy-mode=source",
				       family == G_SOCKET_FAMILY_IPV6 ? "[::1]" : "127.0.0.1",
				       service->port);
	g_signal_connect(service->service,
			 "incoming",
			 G_CALLBACK(iot_test_raw_service_incoming_cb),
			 service);
	g_socket_service_start(service->service);
	return g_steal_pointer(&service);
}

static gboolean
iot_test_raw_service_flood_cb(GObject *stream, gpointer user_data);

static void
iot_test_raw_service_flood_write(IotTestRawService *service)
{
	GPollableOutputStream *output = G_POLLABLE_OUTPUT_STREAM(
	    g_io_stream_get_output_stream(G_IO_STREAM(service->connection)));

	while (service->flood_offset > 0 ||
	       ((!service->flood_blocked || service->flood_keep_going) &&
		service->flood_started < service->flood_max)) {
		g_autoptr(GError) error = NULL;
		gssize count = g_pollable_output_stream_write_nonblocking(
		    output,
		    service->flood_frame->data + service->flood_offset,
		    service->flood_frame->len - service->flood_offset,
		    NULL,
		    &error);
		if (count < 0 && service->flood_keep_going &&
		    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			/* the client went away */
			service->flood_max = service->flood_started;
			service->flood_offset = 0;
			return;
		}
		if (count < 0) {
			g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
			service->flood_blocked = TRUE;
			if ((service->flood_offset > 0 || service->flood_keep_going) &&
			    service->write_source == NULL) {
				service->write_source =
				    g_pollable_output_stream_create_source(output, NULL);
				g_source_set_callback(service->write_source,
						      G_SOURCE_FUNC(iot_test_raw_service_flood_cb),
						      service,
						      NULL);
				g_source_attach(service->write_source, NULL);
			}
			return;
		}
		if (service->flood_offset == 0)
			service->flood_started++;
		service->flood_offset += count;
		if (service->flood_offset == service->flood_frame->len)
			service->flood_offset = 0;
	}
}

static gboolean
iot_test_raw_service_flood_cb(GObject *stream, gpointer user_data)
{
	IotTestRawService *service = user_data;
	g_clear_pointer(&service->write_source, g_source_unref);
	iot_test_raw_service_flood_write(service);
	return G_SOURCE_REMOVE;
}

/* writes @frame @max_frames times; see the two callers for what happens when blocked */
static void
iot_test_raw_service_flood_start(IotTestRawService *service,
				 GBytes *frame,
				 guint max_frames,
				 gboolean keep_going)
{
	g_clear_pointer(&service->flood_frame, g_byte_array_unref);
	service->flood_frame = g_byte_array_new();
	g_byte_array_append(service->flood_frame,
			    g_bytes_get_data(frame, NULL),
			    g_bytes_get_size(frame));
	service->flood_max = max_frames;
	service->flood_keep_going = keep_going;
	iot_test_raw_service_flood_write(service);
}

/*
 * Sends binary messages of @payload_len bytes until the network takes no
 * more (or @max_frames went), then only finishes the message it was in.
 */
void
iot_test_raw_service_flood(IotTestRawService *service, gsize payload_len, guint max_frames)
{
	g_autoptr(GBytes) frame = iot_test_server_frame(0x82, payload_len);
	iot_test_raw_service_flood_start(service, frame, max_frames, FALSE);
}

/*
 * Writes @frame, whole WebSocket frames of any kind, @max_frames times, as
 * fast as the client reads: each time the network takes no more, it waits
 * until it does. A client that goes away ends it.
 */
void
iot_test_raw_service_flood_bytes(IotTestRawService *service, GBytes *frame, guint max_frames)
{
	iot_test_raw_service_flood_start(service, frame, max_frames, TRUE);
}

/* closes the TCP connection with no close frame */
void
iot_test_raw_service_drop(IotTestRawService *service)
{
	g_autoptr(GError) error = NULL;
	if (service->read_source != NULL) {
		g_source_destroy(service->read_source);
		g_clear_pointer(&service->read_source, g_source_unref);
	}
	g_io_stream_close(G_IO_STREAM(service->connection), NULL, &error);
	g_assert_no_error(error);
}

void
iot_test_raw_service_free(IotTestRawService *service)
{
	if (service->read_source != NULL) {
		g_source_destroy(service->read_source);
		g_source_unref(service->read_source);
	}
	if (service->write_source != NULL) {
		g_source_destroy(service->write_source);
		g_source_unref(service->write_source);
	}
	if (service->service != NULL) {
		g_socket_service_stop(service->service);
		g_socket_listener_close(G_SOCKET_LISTENER(service->service));
		g_object_unref(service->service);
	}
	g_clear_object(&service->connection);
	g_clear_pointer(&service->flood_frame, g_byte_array_unref);
	g_clear_pointer(&service->on_accept, g_bytes_unref);
	g_clear_pointer(&service->http_answer, g_bytes_unref);
	g_clear_pointer(&service->after_answer, g_bytes_unref);
	g_byte_array_unref(service->in);
	g_ptr_array_unref(service->pings);
	g_ptr_array_unref(service->pongs);
	g_clear_pointer(&service->data, g_ptr_array_unref);
	g_free(service->answer_protocol);
	g_free(service->request);
	g_free(service->url);
	g_free(service);
}
