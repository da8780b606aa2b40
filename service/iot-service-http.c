/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-http.h"

#include "iot-service-listener.h"

/*
 * The HTTP rules every request meets, whatever its path and handler.
 *
 * One request per connection: every answer says `Connection: close`, and
 * libsoup, which is handed connections rather than given a listener, closes
 * each after its answer. (libsoup 3.2 keeps the descriptor of a kept-alive
 * connection whose client goes away between two requests.)
 *
 * A request refused by the time its headers are in (by libsoup, or by a
 * handler that checked them early) is answered at once. libsoup would first
 * read its whole body, and keep it: so when a body is announced, the
 * connection is taken from libsoup and the answer libsoup prepared is written
 * here, then the connection is closed after a short drain of what the client
 * was still sending, so that its close does not reset the answer away.
 */

/* what the drain of a refused request reads at most before the close */
#define IOT_SERVICE_HTTP_DRAIN (256 * 1024)

typedef struct {
	GIOStream *stream;
	GBytes *answer;
	gsize drained;
} IotServiceHttpRefusal;

static void
iot_service_http_refusal_free(IotServiceHttpRefusal *refusal)
{
	g_object_unref(refusal->stream);
	g_bytes_unref(refusal->answer);
	g_free(refusal);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotServiceHttpRefusal, iot_service_http_refusal_free)

static void
iot_service_http_drain_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotServiceHttpRefusal) refusal = user_data;
	g_autoptr(GBytes) bytes =
	    g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, NULL);
	GInputStream *input;

	if (bytes == NULL || g_bytes_get_size(bytes) == 0)
		return;
	refusal->drained += g_bytes_get_size(bytes);
	if (refusal->drained >= IOT_SERVICE_HTTP_DRAIN)
		return;
	input = g_io_stream_get_input_stream(refusal->stream);
	g_input_stream_read_bytes_async(input,
					16384,
					G_PRIORITY_DEFAULT,
					NULL,
					iot_service_http_drain_cb,
					g_steal_pointer(&refusal));
}

static void
iot_service_http_written_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotServiceHttpRefusal) refusal = user_data;
	GSocket *socket = iot_service_listener_get_socket(refusal->stream);
	GInputStream *input = g_io_stream_get_input_stream(refusal->stream);

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL))
		return;
	/* the end of the answer; the connection's deadline bounds the drain */
	if (socket != NULL)
		g_socket_shutdown(socket, FALSE, TRUE, NULL);
	g_input_stream_read_bytes_async(input,
					16384,
					G_PRIORITY_DEFAULT,
					NULL,
					iot_service_http_drain_cb,
					g_steal_pointer(&refusal));
}

static void
iot_service_http_add_header(const char *name, const char *value, gpointer user_data)
{
	GString *head = user_data;
	g_string_append_printf(head, "%s: %s\r\n", name, value);
}

/* writes the answer libsoup holds for @msg, without reading the request body */
static void
iot_service_http_answer_now(SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	g_autoptr(GBytes) body =
	    soup_message_body_flatten(soup_server_message_get_response_body(msg));
	g_autoptr(GString) answer = g_string_new(NULL);
	g_autoptr(IotServiceHttpRefusal) refusal = g_new0(IotServiceHttpRefusal, 1);
	const gchar *phrase = soup_server_message_get_reason_phrase(msg);
	GOutputStream *output;
	gconstpointer data;
	gsize size = 0;

	soup_message_headers_set_content_length(headers, g_bytes_get_size(body));
	g_string_append_printf(answer,
			       "HTTP/1.1 %u %s\r\n",
			       soup_server_message_get_status(msg),
			       phrase != NULL ? phrase : "");
	soup_message_headers_foreach(headers, iot_service_http_add_header, answer);
	g_string_append(answer, "\r\n");
	g_string_append_len(answer, g_bytes_get_data(body, NULL), g_bytes_get_size(body));

	/* this may free @msg */
	refusal->stream = soup_server_message_steal_connection(msg);
	if (refusal->stream == NULL)
		return;
	refusal->answer = g_string_free_to_bytes(g_steal_pointer(&answer));
	output = g_io_stream_get_output_stream(refusal->stream);
	data = g_bytes_get_data(refusal->answer, &size);
	g_output_stream_write_all_async(output,
					data,
					size,
					G_PRIORITY_DEFAULT,
					NULL,
					iot_service_http_written_cb,
					g_steal_pointer(&refusal));
}

static gboolean
iot_service_http_has_body(SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);

	switch (soup_message_headers_get_encoding(headers)) {
	case SOUP_ENCODING_NONE:
		return FALSE;
	case SOUP_ENCODING_CONTENT_LENGTH:
		return soup_message_headers_get_content_length(headers) != 0;
	default:
		return TRUE;
	}
}

/* runs after libsoup's own handler, which runs the early handlers */
static void
iot_service_http_got_headers_cb(SoupServerMessage *msg, gpointer user_data)
{
	/* a WebSocket handshake's answer says Connection: Upgrade, and nothing else */
	if (soup_message_headers_header_contains(soup_server_message_get_request_headers(msg),
						 "Upgrade",
						 "websocket"))
		soup_message_headers_remove(soup_server_message_get_response_headers(msg),
					    "Connection");
	if (soup_server_message_get_status(msg) == 0 || !iot_service_http_has_body(msg))
		return;
	iot_service_http_answer_now(msg);
}

static void
iot_service_http_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
	g_signal_connect(msg, "got-headers", G_CALLBACK(iot_service_http_got_headers_cb), NULL);
}

/**
 * iot_service_http_watch:
 * @soup: the server, handed its connections with soup_server_accept_iostream()
 *
 * Applies the rules above to every request @soup reads.
 */
void
iot_service_http_watch(SoupServer *soup)
{
	g_signal_connect(soup,
			 "request-started",
			 G_CALLBACK(iot_service_http_request_started_cb),
			 NULL);
}

/* 1 to 19 ASCII digits: a length that fits a goffset */
static gboolean
iot_service_http_is_length(const gchar *text)
{
	gsize len = strlen(text);

	if (len == 0 || len > 18)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_service_http_check_framing:
 * @headers: the headers of a request
 * @max_body: the largest body the handler reads, 0 for none
 * @reason: (out): why, when refused
 *
 * Checks how the request says its body ends: one `Content-Length` of
 * digits, or none; never with `Transfer-Encoding`; no more than @max_body
 * bytes; and `Transfer-Encoding` (chunked) only where a body is read at all,
 * to be refused there for want of a length.
 *
 * Returns: 0 when the request may be read, else the status to answer
 */
guint
iot_service_http_check_framing(SoupMessageHeaders *headers, guint64 max_body, const gchar **reason)
{
	const gchar *length = soup_message_headers_get_list(headers, "Content-Length");
	const gchar *transfer = soup_message_headers_get_list(headers, "Transfer-Encoding");

	if (length != NULL && transfer != NULL) {
		*reason = "Content-Length and Transfer-Encoding are not allowed together";
		return SOUP_STATUS_BAD_REQUEST;
	}
	if (length != NULL && !iot_service_http_is_length(length)) {
		*reason = "Content-Length is not one number";
		return SOUP_STATUS_BAD_REQUEST;
	}
	if (max_body == 0 &&
	    (transfer != NULL || g_ascii_strtoull(length != NULL ? length : "0", NULL, 10) > 0)) {
		*reason = "this request takes no body";
		return SOUP_STATUS_BAD_REQUEST;
	}
	if (transfer != NULL) {
		*reason = "a request body needs a Content-Length";
		return SOUP_STATUS_LENGTH_REQUIRED;
	}
	if (length != NULL && g_ascii_strtoull(length, NULL, 10) > max_body) {
		*reason = "the request body is too large";
		return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
	}
	return 0;
}
