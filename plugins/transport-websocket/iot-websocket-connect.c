/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The WebSocket transport's way to the service: the TCP connection, directly
 * or through a web proxy (iot-websocket-proxy-tunnel.c), TLS
 * (iot-websocket-tls.c) and the HTTP upgrade, up to the point where
 * iot_websocket_transport_start() runs the WebSocket.
 */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "iot-address.h"
#include "iot-websocket-proxy-tunnel.h"
#include "iot-websocket-proxy.h"
#include "iot-websocket-tls.h"
#include "iot-websocket-transport-private.h"

#define IOT_WEBSOCKET_REQUEST_MAX 4096	    /* PROTOCOL.md section 1 */
#define IOT_WEBSOCKET_RESPONSE_MAX 16384    /* the handshake answer's headers */
#define IOT_WEBSOCKET_REFUSAL_BODY_MAX 1024 /* read this much of a 4xx answer's body */
#define IOT_WEBSOCKET_REFUSAL_REASON_MAX 200
#define IOT_WEBSOCKET_ACCEPT_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define IOT_WEBSOCKET_USER_AGENT "iotunnel/" PACKAGE_VERSION

typedef struct {
	IotWebsocketTransport *self; /* the task's source object */
	GUri *uri;
	gchar *host;
	guint16 port;
	gboolean tls;
	gchar *endpoint;    /* host:port, for messages */
	gchar *connect_uri; /* scheme://host:port, for the proxy resolver */
	gchar *proxy_url;   /* the web proxy used, or NULL */
	gchar *proxy;	    /* host:port of the proxy used, for messages */
	gchar **subprotocols;
	gchar *request;	     /* holds the access token: never log it */
	gchar *access_token; /* to keep it out of what a refusal shows */
	gchar *client_token; /* the same, nullable */
	gchar *accept_key;
	GIOStream *connection;
	GByteArray *response;
	gsize header_len;   /* of the answer, up to its last header line's CRLF */
	gsize refusal_body; /* the length of a 4xx answer's body still to read */
	GError *refusal;    /* a 4xx answer, waiting for its body */
	guint8 chunk[2048];
	GCancellable *cancellable;
	GCancellable *caller_cancellable;
	gulong caller_cancelled_id;
	GSource *timeout_source;
	gboolean timed_out;
} IotWebsocketConnectData;

static void
iot_websocket_connect_data_free(IotWebsocketConnectData *data)
{
	if (data->caller_cancellable != NULL) {
		g_cancellable_disconnect(data->caller_cancellable, data->caller_cancelled_id);
		g_object_unref(data->caller_cancellable);
	}
	if (data->timeout_source != NULL) {
		g_source_destroy(data->timeout_source);
		g_source_unref(data->timeout_source);
	}
	g_clear_object(&data->connection);
	g_clear_object(&data->cancellable);
	g_clear_pointer(&data->uri, g_uri_unref);
	g_clear_pointer(&data->response, g_byte_array_unref);
	g_free(data->host);
	g_free(data->endpoint);
	g_free(data->connect_uri);
	g_free(data->proxy_url);
	g_free(data->proxy);
	g_strfreev(data->subprotocols);
	if (data->request != NULL)
		memset(data->request, 0, strlen(data->request));
	g_free(data->request);
	if (data->access_token != NULL)
		memset(data->access_token, 0, strlen(data->access_token));
	g_free(data->access_token);
	if (data->client_token != NULL)
		memset(data->client_token, 0, strlen(data->client_token));
	g_free(data->client_token);
	g_clear_error(&data->refusal);
	g_free(data->accept_key);
	g_free(data);
}

/* ends the attempt with @error, turning a cancel by our own timeout into NETWORK */
static void
iot_websocket_connect_return_error(GTask *task, GError *error)
{
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	data->self->connecting = FALSE;
	if (data->timed_out && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_NETWORK,
					"connecting to %s timed out after %u ms",
					data->endpoint,
					data->self->settings.connect_timeout_ms);
		g_error_free(error);
		return;
	}
	g_task_return_error(task, error);
}

static GError *
iot_websocket_connect_map_io_error(IotWebsocketConnectData *data,
				   const GError *error,
				   const gchar *what)
{
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return g_error_copy(error);
	return g_error_new(IOT_TRANSPORT_ERROR,
			   IOT_TRANSPORT_ERROR_NETWORK,
			   "%s %s: %s",
			   what,
			   data->endpoint,
			   error->message);
}

/* checks the handshake answer; the headers end at @header_len */
static gboolean
iot_websocket_connect_check_response(IotWebsocketConnectData *data,
				     gsize header_len,
				     GError **error)
{
	IotWebsocketTransport *self = data->self;
	g_autoptr(SoupMessageHeaders) headers =
	    soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	g_autofree gchar *reason = NULL;
	const gchar *accept;
	const gchar *protocol;
	const gchar *extensions;
	guint status = 0;

	if (!soup_headers_parse_response((const gchar *)data->response->data,
					 header_len,
					 headers,
					 NULL,
					 &status,
					 &reason)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_PROTOCOL,
			    "%s did not answer the handshake in HTTP",
			    data->endpoint);
		return FALSE;
	}
	iot_websocket_transport_set_handshake_status(self, status);
	if (status >= 400 && status < 500) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_REFUSED,
			    "the service refused the connection: HTTP %u %s",
			    status,
			    reason);
		/* the body may say why: read it when it is short */
		if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
		    soup_message_headers_get_content_length(headers) <=
			IOT_WEBSOCKET_REFUSAL_BODY_MAX)
			data->refusal_body = soup_message_headers_get_content_length(headers);
		return FALSE;
	}
	if (status >= 500 && status < 600) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_UNAVAILABLE,
			    "the service is unavailable: HTTP %u %s",
			    status,
			    reason);
		return FALSE;
	}
	if (status != SOUP_STATUS_SWITCHING_PROTOCOLS ||
	    !soup_message_headers_header_equals(headers, "Upgrade", "websocket") ||
	    !soup_message_headers_header_contains(headers, "Connection", "upgrade")) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_PROTOCOL,
			    "%s answered HTTP %u %s instead of switching to WebSocket",
			    data->endpoint,
			    status,
			    reason);
		return FALSE;
	}
	accept = soup_message_headers_get_one(headers, "Sec-WebSocket-Accept");
	if (g_strcmp0(accept, data->accept_key) != 0) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_PROTOCOL,
			    "%s answered the handshake with a wrong Sec-WebSocket-Accept",
			    data->endpoint);
		return FALSE;
	}
	extensions = soup_message_headers_get_one(headers, "Sec-WebSocket-Extensions");
	if (extensions != NULL && extensions[0] != '\0') {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_PROTOCOL,
			    "the service chose WebSocket extensions that were not offered: %s",
			    extensions);
		return FALSE;
	}
	protocol = soup_message_headers_get_one(headers, "Sec-WebSocket-Protocol");
	if (protocol == NULL ||
	    !g_strv_contains((const gchar *const *)data->subprotocols, protocol)) {
		g_autofree gchar *offered = g_strjoinv(", ", data->subprotocols);
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_PROTOCOL,
			    "the service chose subprotocol \"%s\", which was not offered (%s)",
			    protocol != NULL ? protocol : "",
			    offered);
		return FALSE;
	}
	g_free(self->subprotocol);
	self->subprotocol = g_strdup(protocol);
	g_free(self->channel_id);
	self->channel_id = g_strdup(soup_message_headers_get_one(headers, "channel-id"));
	return TRUE;
}

/*
 * Ends the attempt with the 4xx kept in data->refusal, adding the first line
 * of the answer's body (as much of it as came) when it says why: printable
 * ASCII only, shortened, and never when it would show the access token.
 */
static void
iot_websocket_connect_return_refusal(GTask *task)
{
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = g_steal_pointer(&data->refusal);
	g_autoptr(GString) reason = g_string_new(NULL);
	gsize start = data->header_len + 2;
	gsize end = MIN(data->response->len, start + data->refusal_body);

	for (gsize i = start; i < end && reason->len < IOT_WEBSOCKET_REFUSAL_REASON_MAX; i++) {
		gchar c = (gchar)data->response->data[i];
		if (c == '\r' || c == '\n')
			break;
		g_string_append_c(reason, c >= 0x20 && c <= 0x7e ? c : '?');
	}
	g_strstrip(reason->str);
	if (reason->str[0] != '\0' && strstr(reason->str, data->access_token) == NULL &&
	    (data->client_token == NULL || strstr(reason->str, data->client_token) == NULL)) {
		gchar *message = g_strdup_printf("%s (%s)", error->message, reason->str);
		g_free(error->message);
		error->message = message;
	}
	iot_websocket_connect_return_error(task, g_steal_pointer(&error));
}

static void
iot_websocket_connect_read_cb(GObject *source, GAsyncResult *result, gpointer user_data);

static void
iot_websocket_connect_read_more(GTask *task)
{
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_input_stream_read_async(g_io_stream_get_input_stream(data->connection),
				  data->chunk,
				  sizeof(data->chunk),
				  G_PRIORITY_DEFAULT,
				  data->cancellable,
				  iot_websocket_connect_read_cb,
				  task);
}

static void
iot_websocket_connect_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	IotWebsocketTransport *self = data->self;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) prebuffer = NULL;
	gsize search_from;
	gsize header_len = 0;
	gssize nread;

	nread = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	/* a refusal waiting for its body is the news, unless the caller gave up */
	if (data->refusal != NULL && nread <= 0 &&
	    (data->timed_out || !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))) {
		iot_websocket_connect_return_refusal(task);
		return;
	}
	if (nread < 0) {
		iot_websocket_connect_return_error(
		    task,
		    iot_websocket_connect_map_io_error(data,
						       error,
						       "failed to read the handshake answer from"));
		return;
	}
	if (nread == 0) {
		iot_websocket_connect_return_error(
		    task,
		    g_error_new(IOT_TRANSPORT_ERROR,
				IOT_TRANSPORT_ERROR_NETWORK,
				"%s closed the connection before answering the handshake",
				data->endpoint));
		return;
	}
	search_from = data->response->len >= 3 ? data->response->len - 3 : 0;
	g_byte_array_append(data->response, data->chunk, nread);
	if (data->refusal != NULL) {
		if (data->response->len >= data->header_len + 2 + data->refusal_body)
			iot_websocket_connect_return_refusal(task);
		else
			iot_websocket_connect_read_more(g_steal_pointer(&task));
		return;
	}
	for (gsize i = search_from; i + 4 <= data->response->len; i++) {
		if (memcmp(data->response->data + i, "\r\n\r\n", 4) == 0) {
			header_len = i + 2;
			break;
		}
	}
	if (header_len == 0) {
		if (data->response->len >= IOT_WEBSOCKET_RESPONSE_MAX) {
			iot_websocket_connect_return_error(
			    task,
			    g_error_new(IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_PROTOCOL,
					"the handshake answer of %s is longer than %u bytes",
					data->endpoint,
					(guint)IOT_WEBSOCKET_RESPONSE_MAX));
			return;
		}
		iot_websocket_connect_read_more(g_steal_pointer(&task));
		return;
	}
	data->header_len = header_len;
	if (!iot_websocket_connect_check_response(data, header_len, &error)) {
		if (g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_REFUSED)) {
			data->refusal = g_steal_pointer(&error);
			if (data->response->len >= header_len + 2 + data->refusal_body)
				iot_websocket_connect_return_refusal(task);
			else
				iot_websocket_connect_read_more(g_steal_pointer(&task));
			return;
		}
		iot_websocket_connect_return_error(task, g_steal_pointer(&error));
		return;
	}

	/* what the service sent after its answer is the start of the WebSocket stream */
	prebuffer = g_bytes_new(data->response->data + header_len + 2,
				data->response->len - header_len - 2);
	iot_websocket_transport_start(self, data->connection, data->uri, prebuffer);
	g_message("connected to %s%s%s, subprotocol %s, channel-id %s",
		  data->endpoint,
		  data->proxy != NULL ? " through proxy " : "",
		  data->proxy != NULL ? data->proxy : "",
		  self->subprotocol,
		  self->channel_id != NULL ? self->channel_id : "(none)");
	g_task_return_boolean(task, TRUE);
}

static void
iot_websocket_connect_write_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		iot_websocket_connect_return_error(
		    task,
		    iot_websocket_connect_map_io_error(data,
						       error,
						       "failed to send the handshake to"));
		return;
	}
	data->response = g_byte_array_new();
	iot_websocket_connect_read_more(g_steal_pointer(&task));
}

static void
iot_websocket_connect_send_request(GTask *task)
{
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_output_stream_write_all_async(g_io_stream_get_output_stream(data->connection),
					data->request,
					strlen(data->request),
					G_PRIORITY_DEFAULT,
					data->cancellable,
					iot_websocket_connect_write_cb,
					task);
}

/* what the service's certificate is checked against */
static IotWebsocketTlsTrust
iot_websocket_transport_service_trust(IotWebsocketTransport *self)
{
	IotWebsocketTlsTrust trust = {
	    .authorities = self->settings.extra_cas,
	    .insecure = self->settings.insecure,
	};
	return trust;
}

/* an https:// web proxy's: its own authorities, and those of the service (-c covers both) */
static IotWebsocketTlsTrust
iot_websocket_transport_proxy_trust(IotWebsocketTransport *self)
{
	IotWebsocketTlsTrust trust = {
	    .authorities = self->settings.proxy_extra_cas,
	    .more_authorities = self->settings.extra_cas,
	    .insecure = self->settings.insecure,
	};
	return trust;
}

static void
iot_websocket_connect_tls_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	GIOStream *tls = iot_websocket_tls_handshake_finish(result, &error);

	if (tls == NULL) {
		iot_websocket_connect_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_clear_object(&data->connection);
	data->connection = tls;
	iot_websocket_connect_send_request(g_steal_pointer(&task));
}

/* the connection to the service is open, directly or through the web proxy */
static void
iot_websocket_connect_opened(GTask *task, GIOStream *connection)
{
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	IotWebsocketTlsTrust trust = iot_websocket_transport_service_trust(data->self);

	data->connection = connection;
	if (!data->tls) {
		iot_websocket_connect_send_request(task);
		return;
	}
	iot_websocket_tls_handshake_async(data->connection,
					  IOT_WEBSOCKET_TLS_PEER_SERVICE,
					  data->host,
					  data->port,
					  &trust,
					  0,
					  data->cancellable,
					  iot_websocket_connect_tls_cb,
					  task);
}

static void
iot_websocket_connect_proxy_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GError) error = NULL;
	GIOStream *connection = iot_websocket_proxy_tunnel_finish(result, &error);

	if (connection == NULL) {
		iot_websocket_connect_return_error(task, g_steal_pointer(&error));
		return;
	}
	iot_websocket_connect_opened(g_steal_pointer(&task), connection);
}

static void
iot_websocket_connect_socket_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);

	if (connection == NULL) {
		iot_websocket_connect_return_error(
		    task,
		    iot_websocket_connect_map_io_error(data, error, "failed to connect to"));
		return;
	}
	iot_websocket_connect_opened(g_steal_pointer(&task), G_IO_STREAM(connection));
}

static gboolean
iot_websocket_connect_timeout_cb(gpointer user_data)
{
	IotWebsocketConnectData *data = user_data;
	data->timed_out = TRUE;
	g_cancellable_cancel(data->cancellable);
	return G_SOURCE_REMOVE;
}

static void
iot_websocket_connect_caller_cancelled_cb(GCancellable *caller_cancellable, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* visible ASCII only: a header value must not smuggle in line breaks */
static gboolean
iot_websocket_header_value_is_safe(const gchar *value)
{
	for (const gchar *p = value; *p != '\0'; p++) {
		if (*p < 0x21 || *p > 0x7e)
			return FALSE;
	}
	return TRUE;
}

/* checks the parameters and writes the upgrade request */
static gboolean
iot_websocket_connect_prepare(IotWebsocketConnectData *data,
			      const IotTransportParams *params,
			      GError **error)
{
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GString) request = NULL;
	g_autoptr(GChecksum) checksum = NULL;
	g_autofree gchar *host_header = NULL;
	g_autofree gchar *accept_source = NULL;
	guint8 digest[20];
	gsize digest_len = sizeof(digest);
	SoupMessageHeaders *headers;
	SoupMessageHeadersIter iter;
	const gchar *scheme;
	const gchar *name;
	const gchar *value;
	const gchar *path;
	const gchar *query;
	gint port;

	data->uri = g_uri_parse(params->url, G_URI_FLAGS_ENCODED, NULL);
	if (data->uri == NULL || g_uri_get_host(data->uri) == NULL ||
	    g_uri_get_host(data->uri)[0] == '\0') {
		g_set_error(
		    error,
		    IOT_TRANSPORT_ERROR,
		    IOT_TRANSPORT_ERROR_SETTINGS,
		    "%s is not a service URL like wss://host:443/tunnel?local-proxy-mode=source",
		    params->url);
		return FALSE;
	}
	scheme = g_uri_get_scheme(data->uri);
	data->host = g_strdup(g_uri_get_host(data->uri));
	if (g_ascii_strcasecmp(scheme, "wss") == 0) {
		data->tls = TRUE;
	} else if (g_ascii_strcasecmp(scheme, "ws") != 0) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "%s: the service URL must start with wss://",
			    params->url);
		return FALSE;
	} else if (!iot_address_host_is_loopback(data->host)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "%s: ws:// without TLS is allowed only to a loopback address",
			    params->url);
		return FALSE;
	}
	port = g_uri_get_port(data->uri);
	data->port = port > 0 ? port : (data->tls ? 443 : 80);
	if (strchr(data->host, ':') != NULL)
		data->endpoint = g_strdup_printf("[%s]:%u", data->host, data->port);
	else
		data->endpoint = g_strdup_printf("%s:%u", data->host, data->port);
	data->connect_uri = g_strdup_printf("%s://%s", data->tls ? "wss" : "ws", data->endpoint);
	if (port > 0 && port != (data->tls ? 443 : 80))
		host_header = g_strdup(data->endpoint);
	else if (strchr(data->host, ':') != NULL)
		host_header = g_strdup_printf("[%s]", data->host);
	else
		host_header = g_strdup(data->host);

	if (params->access_token == NULL || params->access_token[0] == '\0') {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "no access token");
		return FALSE;
	}
	if (!iot_websocket_header_value_is_safe(params->access_token)) {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "the access token holds characters other than visible ASCII");
		return FALSE;
	}
	data->access_token = g_strdup(params->access_token);
	if (params->client_token != NULL && params->client_token[0] != '\0')
		data->client_token = g_strdup(params->client_token);
	if (params->client_token != NULL &&
	    !iot_websocket_header_value_is_safe(params->client_token)) {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "the client token holds characters other than visible ASCII");
		return FALSE;
	}
	if (params->subprotocols == NULL || params->subprotocols[0] == NULL) {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "no subprotocol to offer");
		return FALSE;
	}
	for (guint i = 0; params->subprotocols[i] != NULL; i++) {
		if (params->subprotocols[i][0] == '\0' ||
		    !iot_websocket_header_value_is_safe(params->subprotocols[i]) ||
		    strchr(params->subprotocols[i], ',') != NULL) {
			g_set_error(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "\"%s\" is not a subprotocol name",
				    params->subprotocols[i]);
			return FALSE;
		}
	}
	data->subprotocols = g_strdupv((gchar **)params->subprotocols);

	/* libsoup writes the WebSocket headers and the key; we write the request */
	msg = soup_message_new_from_uri(SOUP_METHOD_GET, data->uri);
	soup_websocket_client_prepare_handshake(msg, NULL, data->subprotocols, NULL);
	headers = soup_message_get_request_headers(msg);
	soup_message_headers_replace(headers, "User-Agent", IOT_WEBSOCKET_USER_AGENT);
	soup_message_headers_replace(headers, "access-token", params->access_token);
	if (params->client_token != NULL && params->client_token[0] != '\0')
		soup_message_headers_replace(headers, "client-token", params->client_token);

	path = g_uri_get_path(data->uri);
	query = g_uri_get_query(data->uri);
	request = g_string_new("GET ");
	g_string_append(request, path[0] != '\0' ? path : "/");
	if (query != NULL)
		g_string_append_printf(request, "?%s", query);
	g_string_append_printf(request, " HTTP/1.1\r\nHost: %s\r\n", host_header);
	soup_message_headers_iter_init(&iter, headers);
	while (soup_message_headers_iter_next(&iter, &name, &value))
		g_string_append_printf(request, "%s: %s\r\n", name, value);
	g_string_append(request, "\r\n");
	if (request->len > IOT_WEBSOCKET_REQUEST_MAX) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "the handshake request would be %" G_GSIZE_FORMAT
			    " bytes, above the service's limit of %u; is the access token right?",
			    request->len,
			    (guint)IOT_WEBSOCKET_REQUEST_MAX);
		memset(request->str, 0, request->len);
		return FALSE;
	}
	data->request = g_string_free(g_steal_pointer(&request), FALSE);

	accept_source = g_strconcat(soup_message_headers_get_one(headers, "Sec-WebSocket-Key"),
				    IOT_WEBSOCKET_ACCEPT_GUID,
				    NULL);
	checksum = g_checksum_new(G_CHECKSUM_SHA1);
	g_checksum_update(checksum, (const guchar *)accept_source, -1);
	g_checksum_get_digest(checksum, digest, &digest_len);
	data->accept_key = g_base64_encode(digest, digest_len);
	return TRUE;
}

/* the web proxy for this connection, or NULL: NO_PROXY may name the service's host */
static gchar *
iot_websocket_connect_choose_proxy(IotWebsocketTransport *self, IotWebsocketConnectData *data)
{
	g_autoptr(GProxyResolver) resolver = NULL;
	g_auto(GStrv) proxies = NULL;

	if (self->settings.proxy_url == NULL)
		return NULL;
	resolver =
	    iot_websocket_proxy_resolver_new(self->settings.proxy_url, self->settings.no_proxy);
	/* GSimpleProxyResolver only computes: asking it does not block */
	proxies = g_proxy_resolver_lookup(resolver, data->connect_uri, NULL, NULL);
	if (proxies == NULL || proxies[0] == NULL || g_strcmp0(proxies[0], "direct://") == 0)
		return NULL;
	return g_strdup(proxies[0]);
}

void
iot_websocket_transport_connect_async(IotTransport *transport,
				      const IotTransportParams *params,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	IotWebsocketConnectData *data = g_new0(IotWebsocketConnectData, 1);
	g_autoptr(GError) error = NULL;

	g_task_set_source_tag(task, iot_websocket_transport_connect_async);
	g_task_set_name(task, "IotWebsocketTransport connect");
	g_task_set_task_data(task, data, (GDestroyNotify)iot_websocket_connect_data_free);
	if (self->connecting || self->ws != NULL) {
		g_task_return_new_error(task,
					G_IO_ERROR,
					G_IO_ERROR_PENDING,
					"a connection is already open or being opened");
		return;
	}
	data->self = self;
	data->cancellable = g_cancellable_new();
	if (!iot_websocket_connect_prepare(data, params, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	data->proxy_url = iot_websocket_connect_choose_proxy(self, data);
	if (data->proxy_url != NULL)
		data->proxy = iot_websocket_proxy_describe(data->proxy_url);
	iot_websocket_transport_clear_pending(self);
	self->connecting = TRUE;
	self->handshake_status = 0;
	if (cancellable != NULL) {
		data->caller_cancellable = g_object_ref(cancellable);
		data->caller_cancelled_id =
		    g_cancellable_connect(cancellable,
					  G_CALLBACK(iot_websocket_connect_caller_cancelled_cb),
					  g_object_ref(data->cancellable),
					  g_object_unref);
	}
	data->timeout_source = g_timeout_source_new(self->settings.connect_timeout_ms);
	g_source_set_static_name(data->timeout_source, "IotWebsocketTransport connect timeout");
	g_source_set_callback(data->timeout_source, iot_websocket_connect_timeout_cb, data, NULL);
	g_source_attach(data->timeout_source, g_main_context_get_thread_default());
	g_debug("connecting to %s%s%s",
		data->endpoint,
		data->proxy != NULL ? " through proxy " : "",
		data->proxy != NULL ? data->proxy : "");
	if (data->proxy_url != NULL) {
		IotWebsocketTlsTrust trust = iot_websocket_transport_proxy_trust(self);
		iot_websocket_proxy_tunnel_async(data->proxy_url,
						 data->host,
						 data->port,
						 &trust,
						 self->ever_connected,
						 data->cancellable,
						 iot_websocket_connect_proxy_cb,
						 g_steal_pointer(&task));
	} else {
		g_autoptr(GSocketClient) client = g_socket_client_new();
		g_autoptr(GSocketConnectable) connectable =
		    g_network_address_new(data->host, data->port);
		g_socket_client_set_enable_proxy(client, FALSE);
		g_socket_client_connect_async(client,
					      connectable,
					      data->cancellable,
					      iot_websocket_connect_socket_cb,
					      g_steal_pointer(&task));
	}
}

gboolean
iot_websocket_transport_connect_finish(IotTransport *transport,
				       GAsyncResult *result,
				       GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, transport), FALSE);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 iot_websocket_transport_connect_async,
			     FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}
