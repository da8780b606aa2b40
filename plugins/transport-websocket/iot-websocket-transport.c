/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-transport.h"

#include <libsoup/soup.h>
#include <string.h>

#include "iot-websocket-proxy.h"
#include "iot-websocket-stream.h"

/*
 * The WebSocket transport: connects with GSocketClient (proxy included), does
 * TLS and the HTTP upgrade itself, then runs SoupWebsocketConnection over an
 * IotWebsocketStream so that the send queue can be measured, reading can be
 * paused, and pings carry the protocol's payload (PROTOCOL.md section 2).
 */

#define IOT_WEBSOCKET_PING_MS_DEFAULT 20000
#define IOT_WEBSOCKET_PING_MS_MIN 10
#define IOT_WEBSOCKET_PING_MS_MAX 86400000
#define IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_DEFAULT 30000
#define IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_MAX 3600000
#define IOT_WEBSOCKET_REQUEST_MAX 4096	 /* PROTOCOL.md section 1 */
#define IOT_WEBSOCKET_RESPONSE_MAX 16384 /* the handshake answer's headers */
#define IOT_WEBSOCKET_PINGS_OUTSTANDING_MAX 8
#define IOT_WEBSOCKET_REFUSAL_BODY_MAX 1024 /* read this much of a 4xx answer's body */
#define IOT_WEBSOCKET_REFUSAL_REASON_MAX 200
#define IOT_WEBSOCKET_ACCEPT_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define IOT_WEBSOCKET_USER_AGENT "iotunnel/" PACKAGE_VERSION

typedef enum {
	IOT_WEBSOCKET_PROXY_ENV,
	IOT_WEBSOCKET_PROXY_NONE,
	IOT_WEBSOCKET_PROXY_URL,
} IotWebsocketProxyMode;

typedef struct {
	gint64 payload_ms;
	gint64 sent_us;
} IotWebsocketPing;

struct _IotWebsocketTransport {
	GObject parent_instance;

	/* settings */
	GPtrArray *extra_cas; /* of GTlsCertificate */
	gboolean insecure;
	IotWebsocketProxyMode proxy_mode;
	gchar *proxy_url;
	guint ping_ms;
	guint connect_timeout_ms;

	/* the HTTP status of the last handshake answer, 0 when none came */
	guint handshake_status;

	/* closed connections still finishing their closing handshake (strong refs) */
	GPtrArray *lingering;

	/* the connection */
	gboolean connecting;
	SoupWebsocketConnection *ws;
	IotWebsocketStream *stream;
	gchar *subprotocol;
	gchar *channel_id;
	guint64 handed;
	gboolean above_high_water;
	GSource *drained_source;
	gboolean receive_paused;
	GSource *ping_source;
	GArray *pings; /* of IotWebsocketPing, oldest first */

	/* what waits for the receiver: held messages, then ::closed */
	GQueue held;
	GError *closed_error;
	GSource *dispatch_source;
};

static void
iot_websocket_transport_iface_init(IotTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotWebsocketTransport,
			      iot_websocket_transport,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_TRANSPORT,
						    iot_websocket_transport_iface_init))

enum { PROP_0, PROP_HANDSHAKE_STATUS, PROP_CLOSING, PROP_PING_PERIOD, PROP_LAST };

static GParamSpec *properties[PROP_LAST] = {NULL};

typedef struct {
	IotWebsocketTransport *self; /* the task's source object */
	GUri *uri;
	gchar *host;
	guint16 port;
	gboolean tls;
	gchar *endpoint;    /* host:port, for messages */
	gchar *connect_uri; /* scheme://host:port, for the socket client and proxy resolver */
	gchar *proxy;	    /* host:port of the proxy used, for messages */
	gchar **subprotocols;
	gchar *request;	     /* holds the access token: never log it */
	gchar *access_token; /* to keep it out of what a refusal shows */
	gchar *client_token; /* the same, nullable */
	gchar *accept_key;
	GSocketConnectable *identity;
	GIOStream *connection;
	gulong accept_certificate_id;
	GTlsCertificateFlags tls_errors;
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
	if (data->accept_certificate_id != 0)
		g_signal_handler_disconnect(data->connection, data->accept_certificate_id);
	g_clear_object(&data->connection);
	g_clear_object(&data->identity);
	g_clear_object(&data->cancellable);
	g_clear_pointer(&data->uri, g_uri_unref);
	g_clear_pointer(&data->response, g_byte_array_unref);
	g_free(data->host);
	g_free(data->endpoint);
	g_free(data->connect_uri);
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

/* GTlsCertificateFlags in words, for a user */
static gchar *
iot_websocket_tls_flags_describe(GTlsCertificateFlags flags)
{
	const struct {
		GTlsCertificateFlags flag;
		const gchar *text;
	} words[] = {
	    {G_TLS_CERTIFICATE_UNKNOWN_CA, "it is not signed by a trusted certificate authority"},
	    {G_TLS_CERTIFICATE_BAD_IDENTITY, "it does not match the host name"},
	    {G_TLS_CERTIFICATE_NOT_ACTIVATED, "it is not valid yet"},
	    {G_TLS_CERTIFICATE_EXPIRED, "it has expired"},
	    {G_TLS_CERTIFICATE_REVOKED, "it has been revoked"},
	    {G_TLS_CERTIFICATE_INSECURE, "it uses an insecure algorithm"},
	    {G_TLS_CERTIFICATE_GENERIC_ERROR, "it could not be validated"},
	};
	g_autoptr(GString) str = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(words); i++) {
		if ((flags & words[i].flag) == 0)
			continue;
		if (str->len > 0)
			g_string_append(str, "; ");
		g_string_append(str, words[i].text);
	}
	if (str->len == 0)
		g_string_append(str, "it could not be validated");
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* drops what the previous connection left for the receiver */
static void
iot_websocket_transport_clear_pending(IotWebsocketTransport *self)
{
	g_queue_clear_full(&self->held, (GDestroyNotify)g_bytes_unref);
	g_clear_error(&self->closed_error);
	if (self->dispatch_source != NULL) {
		g_source_destroy(self->dispatch_source);
		g_clear_pointer(&self->dispatch_source, g_source_unref);
	}
}

/* a connection left to finish closing on its own, once the transport is gone */
static void
iot_websocket_transport_orphan_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	g_object_unref(ws);
}

/* a connection we closed finished its closing handshake */
static void
iot_websocket_transport_linger_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);

	g_signal_handlers_disconnect_by_data(ws, self);
	if (g_ptr_array_remove(self->lingering, ws))
		g_object_unref(ws);
	if (self->lingering->len == 0)
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CLOSING]);
}

/*
 * Forgets the connection: no more signals from it. libsoup finishes its
 * closing handshake on its own, after sending a close with @close_code when
 * that is not 0, and the connection is dropped once closed.
 */
static void
iot_websocket_transport_detach(IotWebsocketTransport *self,
			       gushort close_code,
			       const gchar *close_reason)
{
	SoupWebsocketConnection *ws = g_steal_pointer(&self->ws);

	if (ws == NULL)
		return;
	g_signal_handlers_disconnect_by_data(ws, self);
	g_signal_handlers_disconnect_by_data(self->stream, self);
	/* nobody receives any more: read, so that the closing handshake ends */
	iot_websocket_stream_set_input_paused(self->stream, FALSE);
	g_clear_object(&self->stream);
	if (self->ping_source != NULL) {
		g_source_destroy(self->ping_source);
		g_clear_pointer(&self->ping_source, g_source_unref);
	}
	if (self->drained_source != NULL) {
		g_source_destroy(self->drained_source);
		g_clear_pointer(&self->drained_source, g_source_unref);
	}
	g_array_set_size(self->pings, 0);
	self->above_high_water = FALSE;

	if (close_code != 0 && soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(ws, close_code, close_reason);
	if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_CLOSED) {
		g_object_unref(ws);
		return;
	}
	g_signal_connect(ws, "closed", G_CALLBACK(iot_websocket_transport_linger_closed_cb), self);
	g_ptr_array_add(self->lingering, ws);
	if (self->lingering->len == 1)
		g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CLOSING]);
}

static gboolean
iot_websocket_transport_dispatch_cb(gpointer user_data);

static void
iot_websocket_transport_schedule_dispatch(IotWebsocketTransport *self)
{
	if (self->dispatch_source != NULL)
		return;
	self->dispatch_source = g_idle_source_new();
	g_source_set_static_name(self->dispatch_source, "IotWebsocketTransport dispatch");
	g_source_set_callback(self->dispatch_source,
			      iot_websocket_transport_dispatch_cb,
			      self,
			      NULL);
	g_source_attach(self->dispatch_source, g_main_context_get_thread_default());
}

/* hands held messages, then ::closed, to the receiver while it reads */
static gboolean
iot_websocket_transport_dispatch_cb(gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	g_autoptr(IotWebsocketTransport) self_ref = g_object_ref(self);

	g_clear_pointer(&self->dispatch_source, g_source_unref);
	while (!self->receive_paused && !g_queue_is_empty(&self->held)) {
		g_autoptr(GBytes) message = g_queue_pop_head(&self->held);
		iot_transport_emit_message(IOT_TRANSPORT(self), message);
	}
	if (g_queue_is_empty(&self->held) && self->closed_error != NULL) {
		g_autoptr(GError) error = g_steal_pointer(&self->closed_error);
		iot_transport_emit_closed(IOT_TRANSPORT(self), error);
	}
	return G_SOURCE_REMOVE;
}

/*
 * The connection ended: ::closed follows from the main loop, after the
 * messages already received when the service closed in order, at once
 * otherwise (the session is lost anyway).
 */
static void
iot_websocket_transport_fail(IotWebsocketTransport *self,
			     GError *error,
			     gushort close_code,
			     const gchar *close_reason)
{
	if (self->ws == NULL)
		return;
	g_debug("connection ended: %s", error->message);
	iot_websocket_transport_detach(self, close_code, close_reason);
	if (!g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED))
		g_queue_clear_full(&self->held, (GDestroyNotify)g_bytes_unref);
	g_clear_error(&self->closed_error);
	self->closed_error = g_error_copy(error);
	if (!self->receive_paused || g_queue_is_empty(&self->held))
		iot_websocket_transport_schedule_dispatch(self);
}

static void
iot_websocket_transport_message_cb(SoupWebsocketConnection *ws,
				   gint type,
				   GBytes *message,
				   gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);

	if (type != SOUP_WEBSOCKET_DATA_BINARY) {
		g_autoptr(GError) error =
		    g_error_new_literal(IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_PROTOCOL,
					"the service sent a text message; only binary "
					"messages carry tunnel data");
		iot_websocket_transport_fail(self,
					     error,
					     SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
					     "binary messages only");
		return;
	}
	if (self->receive_paused || !g_queue_is_empty(&self->held)) {
		g_queue_push_tail(&self->held, g_bytes_ref(message));
		return;
	}
	iot_transport_emit_message(IOT_TRANSPORT(self), message);
}

static void
iot_websocket_transport_error_cb(SoupWebsocketConnection *ws,
				 const GError *error,
				 gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	g_autoptr(GError) error_local = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE) ||
	    g_error_matches(error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG)) {
		/* libsoup drops the connection without a close frame: send ours */
		static const gchar reason[] = "message too big";
		guint8 payload[2 + sizeof(reason) - 1];
		payload[0] = SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8;
		payload[1] = SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff;
		memcpy(payload + 2, reason, sizeof(reason) - 1);
		iot_websocket_stream_send_control(self->stream,
						  IOT_WEBSOCKET_OPCODE_CLOSE,
						  payload,
						  sizeof(payload));
		error_local = g_error_new(IOT_TRANSPORT_ERROR,
					  IOT_TRANSPORT_ERROR_PROTOCOL,
					  "the service sent a message larger than %u bytes",
					  (guint)IOT_WEBSOCKET_MAX_PAYLOAD);
	} else if (error->domain == SOUP_WEBSOCKET_ERROR) {
		error_local = g_error_new(IOT_TRANSPORT_ERROR,
					  IOT_TRANSPORT_ERROR_PROTOCOL,
					  "the service broke the WebSocket protocol: %s",
					  error->message);
	} else {
		error_local = g_error_new(IOT_TRANSPORT_ERROR,
					  IOT_TRANSPORT_ERROR_NETWORK,
					  "connection to the service lost: %s",
					  error->message);
	}
	iot_websocket_transport_fail(self, error_local, 0, NULL);
}

/*
 * Our stream failed to write a frame. libsoup is told to close: its close
 * frame cannot go out, so it closes the network stream at once.
 */
static void
iot_websocket_transport_write_error_cb(IotWebsocketStream *stream,
				       const GError *error,
				       gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	g_autoptr(GError) error_local = g_error_new(IOT_TRANSPORT_ERROR,
						    IOT_TRANSPORT_ERROR_NETWORK,
						    "connection to the service lost: %s",
						    error->message);
	iot_websocket_transport_fail(self, error_local, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}

/* the service sent a close frame; libsoup answers it */
static void
iot_websocket_transport_closing_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	gushort code = soup_websocket_connection_get_close_code(ws);
	const gchar *reason = soup_websocket_connection_get_close_data(ws);
	g_autoptr(GString) str = g_string_new("the service closed the connection");
	g_autoptr(GError) error = NULL;

	if (code == SOUP_WEBSOCKET_CLOSE_NO_STATUS)
		g_string_append(str, " without a close code");
	else
		g_string_append_printf(str, " with code %u", code);
	if (reason != NULL && reason[0] != '\0')
		g_string_append_printf(str, " (%s)", reason);
	/* a normal close ends the tunnel; any other (1001 going away...) is worth a retry */
	if (code == SOUP_WEBSOCKET_CLOSE_NORMAL) {
		g_string_append(str, ": the tunnel was closed by its owner or its lifetime ended");
		error =
		    g_error_new_literal(IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED, str->str);
	} else {
		error = g_error_new_literal(IOT_TRANSPORT_ERROR,
					    IOT_TRANSPORT_ERROR_UNAVAILABLE,
					    str->str);
	}
	iot_websocket_transport_fail(self, error, 0, NULL);
}

/* the connection ended with neither a close frame nor an error */
static void
iot_websocket_transport_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	g_autoptr(GError) error =
	    g_error_new_literal(IOT_TRANSPORT_ERROR,
				IOT_TRANSPORT_ERROR_NETWORK,
				"the service dropped the connection without closing the WebSocket");
	iot_websocket_transport_fail(self, error, 0, NULL);
}

/* our stream reports pongs: libsoup 3.2's "pong" passes a GByteArray as a GBytes */
static void
iot_websocket_transport_pong_cb(IotWebsocketStream *stream, GBytes *message, gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	gsize len = 0;
	const gchar *data = g_bytes_get_data(message, &len);
	g_autofree gchar *text = g_strndup(data, MIN(len, 20));
	guint64 payload_ms = 0;

	if (len == 0 || len > 20 ||
	    !g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT64, &payload_ms, NULL)) {
		g_debug("ignoring a pong of %" G_GSIZE_FORMAT " bytes that answers no ping of ours",
			len);
		return;
	}
	for (guint i = 0; i < self->pings->len; i++) {
		IotWebsocketPing *ping = &g_array_index(self->pings, IotWebsocketPing, i);
		gint64 microseconds;
		if (ping->payload_ms != (gint64)payload_ms)
			continue;
		microseconds = g_get_monotonic_time() - ping->sent_us;
		g_array_remove_range(self->pings, 0, i + 1);
		g_debug("ping round trip %" G_GINT64_FORMAT " us", microseconds);
		iot_transport_emit_round_trip(IOT_TRANSPORT(self), microseconds);
		return;
	}
	g_debug("ignoring a pong that answers no ping of ours");
}

/* a ping whose payload is the Unix time in milliseconds, as the reference sends */
static void
iot_websocket_transport_send_ping(IotWebsocketTransport *self)
{
	IotWebsocketPing ping = {
	    .payload_ms = g_get_real_time() / 1000,
	    .sent_us = g_get_monotonic_time(),
	};
	gchar payload[24];
	gint len = g_snprintf(payload, sizeof(payload), "%" G_GINT64_FORMAT, ping.payload_ms);

	if (!iot_websocket_stream_send_control(self->stream,
					       IOT_WEBSOCKET_OPCODE_PING,
					       (const guint8 *)payload,
					       len)) {
		g_debug("ping not sent: the connection is closing or not writable");
		return;
	}
	if (self->pings->len >= IOT_WEBSOCKET_PINGS_OUTSTANDING_MAX)
		g_array_remove_index(self->pings, 0);
	g_array_append_val(self->pings, ping);
}

static gboolean
iot_websocket_transport_ping_cb(gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);
	iot_websocket_transport_send_ping(self);
	return G_SOURCE_CONTINUE;
}

static gsize
iot_websocket_transport_get_send_queued(IotTransport *transport)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	if (self->stream == NULL)
		return 0;
	return self->handed - iot_websocket_stream_get_data_written(self->stream);
}

static gboolean
iot_websocket_transport_drained_cb(gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);

	g_clear_pointer(&self->drained_source, g_source_unref);
	if (!self->above_high_water ||
	    iot_websocket_transport_get_send_queued(IOT_TRANSPORT(self)) >= IOT_TRANSPORT_LOW_WATER)
		return G_SOURCE_REMOVE;
	self->above_high_water = FALSE;
	iot_transport_emit_drained(IOT_TRANSPORT(self));
	return G_SOURCE_REMOVE;
}

/* called from inside a write: ::drained waits for the main loop */
static void
iot_websocket_transport_progress_cb(IotWebsocketStream *stream, gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(user_data);

	if (!self->above_high_water || self->drained_source != NULL ||
	    iot_websocket_transport_get_send_queued(IOT_TRANSPORT(self)) >= IOT_TRANSPORT_LOW_WATER)
		return;
	self->drained_source = g_idle_source_new();
	g_source_set_static_name(self->drained_source, "IotWebsocketTransport drained");
	g_source_set_callback(self->drained_source, iot_websocket_transport_drained_cb, self, NULL);
	g_source_attach(self->drained_source, g_main_context_get_thread_default());
}

static void
iot_websocket_transport_send(IotTransport *transport, GBytes *payload)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);

	g_return_if_fail(g_bytes_get_size(payload) <= IOT_WEBSOCKET_MAX_PAYLOAD);

	if (self->ws == NULL ||
	    soup_websocket_connection_get_state(self->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
		g_debug("dropping a message of %" G_GSIZE_FORMAT " bytes: not connected",
			g_bytes_get_size(payload));
		return;
	}
	/* counted first: the stream may write some of it, and tell, at once */
	self->handed += g_bytes_get_size(payload);
	if (!iot_websocket_stream_send_data(self->stream, payload)) {
		self->handed -= g_bytes_get_size(payload);
		g_debug("dropping a message of %" G_GSIZE_FORMAT
			" bytes: the connection is closing",
			g_bytes_get_size(payload));
		return;
	}
	if (iot_websocket_transport_get_send_queued(transport) > IOT_TRANSPORT_HIGH_WATER)
		self->above_high_water = TRUE;
}

static void
iot_websocket_transport_set_receive_paused(IotTransport *transport, gboolean paused)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);

	self->receive_paused = paused;
	if (self->stream != NULL)
		iot_websocket_stream_set_input_paused(self->stream, paused);
	if (!paused && (!g_queue_is_empty(&self->held) || self->closed_error != NULL))
		iot_websocket_transport_schedule_dispatch(self);
}

static void
iot_websocket_transport_close(IotTransport *transport)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	iot_websocket_transport_detach(self, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	iot_websocket_transport_clear_pending(self);
}

static const gchar *
iot_websocket_transport_get_subprotocol(IotTransport *transport)
{
	return IOT_WEBSOCKET_TRANSPORT(transport)->subprotocol;
}

static const gchar *
iot_websocket_transport_get_channel_id(IotTransport *transport)
{
	return IOT_WEBSOCKET_TRANSPORT(transport)->channel_id;
}

/* the handshake succeeded: run the WebSocket over our stream */
static void
iot_websocket_transport_start(IotWebsocketTransport *self,
			      IotWebsocketConnectData *data,
			      GBytes *prebuffer)
{
	self->stream =
	    iot_websocket_stream_new(data->connection, prebuffer, IOT_WEBSOCKET_MAX_PAYLOAD);
	iot_websocket_stream_set_input_paused(self->stream, self->receive_paused);
	self->ws = soup_websocket_connection_new(G_IO_STREAM(self->stream),
						 data->uri,
						 SOUP_WEBSOCKET_CONNECTION_CLIENT,
						 NULL,
						 self->subprotocol,
						 NULL);
	soup_websocket_connection_set_max_incoming_payload_size(self->ws,
								IOT_WEBSOCKET_MAX_PAYLOAD);
	soup_websocket_connection_set_keepalive_interval(self->ws, 0);
	self->handed = 0;
	self->above_high_water = FALSE;
	g_signal_connect(self->ws, "message", G_CALLBACK(iot_websocket_transport_message_cb), self);
	g_signal_connect(self->ws, "error", G_CALLBACK(iot_websocket_transport_error_cb), self);
	g_signal_connect(self->ws, "closing", G_CALLBACK(iot_websocket_transport_closing_cb), self);
	g_signal_connect(self->ws, "closed", G_CALLBACK(iot_websocket_transport_closed_cb), self);
	g_signal_connect(self->stream,
			 "progress",
			 G_CALLBACK(iot_websocket_transport_progress_cb),
			 self);
	g_signal_connect(self->stream, "pong", G_CALLBACK(iot_websocket_transport_pong_cb), self);
	g_signal_connect(self->stream,
			 "write-error",
			 G_CALLBACK(iot_websocket_transport_write_error_cb),
			 self);

	if (self->ping_ms == 0)
		g_debug("not pinging the service, as told");
	if (self->ping_ms > 0) {
		g_debug("pinging the service every %u ms", self->ping_ms);
		iot_websocket_transport_send_ping(self);
		self->ping_source = g_timeout_source_new(self->ping_ms);
		g_source_set_static_name(self->ping_source, "IotWebsocketTransport ping");
		g_source_set_callback(self->ping_source,
				      iot_websocket_transport_ping_cb,
				      self,
				      NULL);
		g_source_attach(self->ping_source, g_main_context_get_thread_default());
	}
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
					data->self->connect_timeout_ms);
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
	self->handshake_status = status;
	g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HANDSHAKE_STATUS]);
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
	self->connecting = FALSE;
	iot_websocket_transport_start(self, data, prebuffer);
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

static gboolean
iot_websocket_connect_accept_certificate_cb(GTlsConnection *connection,
					    GTlsCertificate *peer_certificate,
					    GTlsCertificateFlags errors,
					    gpointer user_data)
{
	IotWebsocketConnectData *data = user_data;
	IotWebsocketTransport *self = data->self;

	data->tls_errors = errors;
	if (self->insecure) {
		g_autofree gchar *words = iot_websocket_tls_flags_describe(errors);
		g_debug("accepting the certificate of %s as told, although %s",
			data->endpoint,
			words);
		return TRUE;
	}
	for (guint i = 0; self->extra_cas != NULL && i < self->extra_cas->len; i++) {
		GTlsCertificate *ca = g_ptr_array_index(self->extra_cas, i);
		GTlsCertificateFlags flags =
		    g_tls_certificate_verify(peer_certificate, data->identity, ca);
		if (flags == 0) {
			g_debug("the certificate of %s is signed by an authority from ca_path",
				data->endpoint);
			return TRUE;
		}
		/* signed by this authority, but wrong in another way: that is the news */
		if ((flags & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
			data->tls_errors = flags;
	}
	return FALSE;
}

static void
iot_websocket_connect_handshake_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;

	g_signal_handler_disconnect(data->connection, data->accept_certificate_id);
	data->accept_certificate_id = 0;
	if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &error)) {
		if (g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
			g_autofree gchar *words =
			    iot_websocket_tls_flags_describe(data->tls_errors);
			iot_websocket_connect_return_error(
			    task,
			    g_error_new(IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_TLS,
					"the TLS certificate of %s was refused: %s",
					data->host,
					words));
			return;
		}
		if (error->domain == G_TLS_ERROR && error->code != G_TLS_ERROR_EOF) {
			iot_websocket_connect_return_error(
			    task,
			    g_error_new(IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_TLS,
					"TLS handshake with %s failed: %s",
					data->endpoint,
					error->message));
			return;
		}
		iot_websocket_connect_return_error(
		    task,
		    iot_websocket_connect_map_io_error(
			data,
			error,
			"connection lost in the TLS handshake with"));
		return;
	}
	iot_websocket_connect_send_request(g_steal_pointer(&task));
}

static void
iot_websocket_connect_socket_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketConnectData *data = g_task_get_task_data(task);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GIOStream) tls = NULL;
	g_autoptr(GError) error = NULL;

	connection = g_socket_client_connect_to_uri_finish(G_SOCKET_CLIENT(source), result, &error);
	if (connection == NULL) {
		if (error->domain == G_IO_ERROR && (error->code == G_IO_ERROR_PROXY_FAILED ||
						    error->code == G_IO_ERROR_PROXY_AUTH_FAILED ||
						    error->code == G_IO_ERROR_PROXY_NEED_AUTH ||
						    error->code == G_IO_ERROR_PROXY_NOT_ALLOWED)) {
			iot_websocket_connect_return_error(
			    task,
			    g_error_new(IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_PROXY,
					"web proxy %s refused to connect to %s: %s",
					data->proxy != NULL ? data->proxy : "(unknown)",
					data->endpoint,
					error->message));
			return;
		}
		iot_websocket_connect_return_error(
		    task,
		    iot_websocket_connect_map_io_error(data, error, "failed to connect to"));
		return;
	}
	if (!data->tls) {
		data->connection = G_IO_STREAM(g_steal_pointer(&connection));
		iot_websocket_connect_send_request(g_steal_pointer(&task));
		return;
	}

	tls = g_tls_client_connection_new(G_IO_STREAM(connection), data->identity, &error);
	if (tls == NULL) {
		iot_websocket_connect_return_error(task,
						   g_error_new(IOT_TRANSPORT_ERROR,
							       IOT_TRANSPORT_ERROR_TLS,
							       "cannot use TLS: %s",
							       error->message));
		return;
	}
	data->connection = g_steal_pointer(&tls);
	data->accept_certificate_id =
	    g_signal_connect(data->connection,
			     "accept-certificate",
			     G_CALLBACK(iot_websocket_connect_accept_certificate_cb),
			     data);
	g_tls_connection_handshake_async(G_TLS_CONNECTION(data->connection),
					 G_PRIORITY_DEFAULT,
					 data->cancellable,
					 iot_websocket_connect_handshake_cb,
					 g_steal_pointer(&task));
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

static gboolean
iot_websocket_host_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;
	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
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
	} else if (!iot_websocket_host_is_loopback(data->host)) {
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
	data->identity = g_network_address_new(data->host, data->port);

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

/* the CONNECT exchange with a web proxy, for the debug log; no credentials in it */
static void
iot_websocket_connect_event_cb(GSocketClient *client,
			       GSocketClientEvent event,
			       GSocketConnectable *connectable,
			       GIOStream *connection,
			       gpointer user_data)
{
	IotWebsocketConnectData *data = user_data;

	if (event == G_SOCKET_CLIENT_PROXY_NEGOTIATING)
		g_debug("web proxy %s: sending CONNECT %s", data->proxy, data->endpoint);
	else if (event == G_SOCKET_CLIENT_PROXY_NEGOTIATED)
		g_debug("web proxy %s: CONNECT %s accepted", data->proxy, data->endpoint);
}

/* the socket client, with the proxy the settings ask for */
static GSocketClient *
iot_websocket_connect_new_client(IotWebsocketTransport *self,
				 IotWebsocketConnectData *data,
				 GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GProxyResolver) resolver = NULL;
	g_autofree gchar *proxy_url = NULL;
	g_autofree gchar *no_proxy = NULL;
	g_auto(GStrv) proxies = NULL;

	if (self->proxy_mode == IOT_WEBSOCKET_PROXY_URL) {
		proxy_url = g_strdup(self->proxy_url);
	} else if (self->proxy_mode == IOT_WEBSOCKET_PROXY_ENV) {
		g_auto(GStrv) envp = g_get_environ();
		if (!iot_websocket_proxy_from_environ((const gchar *const *)envp,
						      &proxy_url,
						      &no_proxy,
						      error))
			return NULL;
	}
	if (proxy_url == NULL) {
		g_socket_client_set_enable_proxy(client, FALSE);
		return g_steal_pointer(&client);
	}
	resolver = iot_websocket_proxy_resolver_new(proxy_url, no_proxy);
	/* GSimpleProxyResolver only computes: asking it does not block */
	proxies = g_proxy_resolver_lookup(resolver, data->connect_uri, NULL, NULL);
	if (proxies != NULL && proxies[0] != NULL && g_strcmp0(proxies[0], "direct://") != 0) {
		data->proxy = iot_websocket_proxy_describe(proxies[0]);
		g_signal_connect(client, "event", G_CALLBACK(iot_websocket_connect_event_cb), data);
	}
	g_socket_client_set_proxy_resolver(client, resolver);
	return g_steal_pointer(&client);
}

static void
iot_websocket_transport_connect_async(IotTransport *transport,
				      const IotTransportParams *params,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	IotWebsocketConnectData *data = g_new0(IotWebsocketConnectData, 1);
	g_autoptr(GSocketClient) client = NULL;
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
	client = iot_websocket_connect_new_client(self, data, &error);
	if (client == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
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
	data->timeout_source = g_timeout_source_new(self->connect_timeout_ms);
	g_source_set_static_name(data->timeout_source, "IotWebsocketTransport connect timeout");
	g_source_set_callback(data->timeout_source, iot_websocket_connect_timeout_cb, data, NULL);
	g_source_attach(data->timeout_source, g_main_context_get_thread_default());
	g_debug("connecting to %s%s%s",
		data->endpoint,
		data->proxy != NULL ? " through proxy " : "",
		data->proxy != NULL ? data->proxy : "");
	g_socket_client_connect_to_uri_async(client,
					     data->connect_uri,
					     0,
					     data->cancellable,
					     iot_websocket_connect_socket_cb,
					     g_steal_pointer(&task));
}

static gboolean
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

/* every certificate in a file, or in each file of a directory, once */
static gboolean
iot_websocket_transport_load_cas(IotWebsocketTransport *self, const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	gboolean is_dir = g_file_test(path, G_FILE_TEST_IS_DIR);

	if (is_dir) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GDir) dir = g_dir_open(path, 0, &error_local);
		const gchar *name;
		if (dir == NULL) {
			g_set_error(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "ca_path: %s",
				    error_local->message);
			return FALSE;
		}
		while ((name = g_dir_read_name(dir)) != NULL)
			g_ptr_array_add(files, g_build_filename(path, name, NULL));
	} else if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_ptr_array_add(files, g_strdup(path));
	} else {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "ca_path %s is neither a directory nor a file",
			    path);
		return FALSE;
	}

	self->extra_cas = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < files->len; i++) {
		const gchar *filename = g_ptr_array_index(files, i);
		g_autolist(GTlsCertificate) certificates = NULL;
		g_autoptr(GError) error_local = NULL;

		if (!g_file_test(filename, G_FILE_TEST_IS_REGULAR))
			continue;
		certificates = g_tls_certificate_list_new_from_file(filename, &error_local);
		if (error_local != NULL) {
			if (!is_dir) {
				g_set_error(error,
					    IOT_TRANSPORT_ERROR,
					    IOT_TRANSPORT_ERROR_SETTINGS,
					    "ca_path %s: %s",
					    filename,
					    error_local->message);
				return FALSE;
			}
			g_debug("ca_path: skipping %s: %s", filename, error_local->message);
			continue;
		}
		for (GList *l = certificates; l != NULL; l = l->next) {
			gboolean known = FALSE;
			for (guint j = 0; j < self->extra_cas->len && !known; j++)
				known = g_tls_certificate_is_same(
				    l->data,
				    g_ptr_array_index(self->extra_cas, j));
			if (!known)
				g_ptr_array_add(self->extra_cas, g_object_ref(l->data));
		}
	}
	if (self->extra_cas->len == 0) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "ca_path %s holds no certificate",
			    path);
		return FALSE;
	}
	g_debug("ca_path %s: %u certificates", path, self->extra_cas->len);
	return TRUE;
}

static gboolean
iot_websocket_settings_get_uint(JsonNode *node,
				const gchar *name,
				guint min,
				guint max,
				gboolean zero_allowed,
				guint *value,
				GError **error)
{
	gint64 number;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" must be an integer",
			    name);
		return FALSE;
	}
	number = json_node_get_int(node);
	if ((number < min || number > max) && !(zero_allowed && number == 0)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" is %" G_GINT64_FORMAT "; it must be from %u to %u%s",
			    name,
			    number,
			    min,
			    max,
			    zero_allowed ? ", or 0 for none" : "");
		return FALSE;
	}
	*value = (guint)number;
	return TRUE;
}

static const gchar *
iot_websocket_settings_get_string(JsonNode *node, const gchar *name, GError **error)
{
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" must be a string",
			    name);
		return NULL;
	}
	return json_node_get_string(node);
}

static void
iot_websocket_transport_reset_settings(IotWebsocketTransport *self)
{
	g_clear_pointer(&self->extra_cas, g_ptr_array_unref);
	g_clear_pointer(&self->proxy_url, g_free);
	self->insecure = FALSE;
	self->proxy_mode = IOT_WEBSOCKET_PROXY_ENV;
	self->ping_ms = IOT_WEBSOCKET_PING_MS_DEFAULT;
	self->connect_timeout_ms = IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_DEFAULT;
}

static gboolean
iot_websocket_transport_configure_one(IotWebsocketTransport *self,
				      const gchar *name,
				      JsonNode *node,
				      GError **error)
{
	if (g_strcmp0(name, "type") == 0) {
		const gchar *type = iot_websocket_settings_get_string(node, name, error);
		if (type == NULL)
			return FALSE;
		if (g_strcmp0(type, "websocket") != 0) {
			g_set_error(
			    error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"type\" is \"%s\", but this transport is \"websocket\"",
			    type);
			return FALSE;
		}
		return TRUE;
	}
	if (g_strcmp0(name, "ca_path") == 0) {
		const gchar *path = iot_websocket_settings_get_string(node, name, error);
		if (path == NULL)
			return FALSE;
		return iot_websocket_transport_load_cas(self, path, error);
	}
	if (g_strcmp0(name, "insecure") == 0) {
		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
			g_set_error_literal(error,
					    IOT_TRANSPORT_ERROR,
					    IOT_TRANSPORT_ERROR_SETTINGS,
					    "setting \"insecure\" must be true or false");
			return FALSE;
		}
		self->insecure = json_node_get_boolean(node);
		return TRUE;
	}
	if (g_strcmp0(name, "proxy") == 0) {
		const gchar *proxy = iot_websocket_settings_get_string(node, name, error);
		if (proxy == NULL)
			return FALSE;
		if (g_strcmp0(proxy, "env") == 0) {
			self->proxy_mode = IOT_WEBSOCKET_PROXY_ENV;
			return TRUE;
		}
		if (g_strcmp0(proxy, "none") == 0) {
			self->proxy_mode = IOT_WEBSOCKET_PROXY_NONE;
			return TRUE;
		}
		self->proxy_url = iot_websocket_proxy_normalize_url(proxy, error);
		if (self->proxy_url == NULL)
			return FALSE;
		self->proxy_mode = IOT_WEBSOCKET_PROXY_URL;
		return TRUE;
	}
	if (g_strcmp0(name, "ping_ms") == 0) {
		return iot_websocket_settings_get_uint(node,
						       name,
						       IOT_WEBSOCKET_PING_MS_MIN,
						       IOT_WEBSOCKET_PING_MS_MAX,
						       TRUE,
						       &self->ping_ms,
						       error);
	}
	if (g_strcmp0(name, "connect_timeout_ms") == 0) {
		return iot_websocket_settings_get_uint(node,
						       name,
						       1,
						       IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_MAX,
						       FALSE,
						       &self->connect_timeout_ms,
						       error);
	}
	g_set_error(error,
		    IOT_TRANSPORT_ERROR,
		    IOT_TRANSPORT_ERROR_SETTINGS,
		    "unknown setting \"%s\"",
		    name);
	return FALSE;
}

static gboolean
iot_websocket_transport_configure(IotTransport *transport, JsonObject *settings, GError **error)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *node;

	iot_websocket_transport_reset_settings(self);
	json_object_iter_init(&iter, settings);
	while (json_object_iter_next(&iter, &name, &node)) {
		if (!iot_websocket_transport_configure_one(self, name, node, error)) {
			iot_websocket_transport_reset_settings(self);
			return FALSE;
		}
	}
	/* a web proxy from the environment must make sense now, before anything listens */
	if (self->proxy_mode == IOT_WEBSOCKET_PROXY_ENV) {
		g_auto(GStrv) envp = g_get_environ();
		if (!iot_websocket_proxy_from_environ((const gchar *const *)envp,
						      NULL,
						      NULL,
						      error)) {
			iot_websocket_transport_reset_settings(self);
			return FALSE;
		}
	}
	return TRUE;
}

static void
iot_websocket_transport_iface_init(IotTransportInterface *iface)
{
	iface->configure = iot_websocket_transport_configure;
	iface->connect_async = iot_websocket_transport_connect_async;
	iface->connect_finish = iot_websocket_transport_connect_finish;
	iface->get_subprotocol = iot_websocket_transport_get_subprotocol;
	iface->get_channel_id = iot_websocket_transport_get_channel_id;
	iface->send = iot_websocket_transport_send;
	iface->get_send_queued = iot_websocket_transport_get_send_queued;
	iface->set_receive_paused = iot_websocket_transport_set_receive_paused;
	iface->close = iot_websocket_transport_close;
}

static void
iot_websocket_transport_dispose(GObject *object)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(object);
	iot_websocket_transport_detach(self, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	iot_websocket_transport_clear_pending(self);
	/* what still closes does so on its own, and goes when closed */
	for (guint i = 0; i < self->lingering->len; i++) {
		SoupWebsocketConnection *ws = g_ptr_array_index(self->lingering, i);
		g_signal_handlers_disconnect_by_data(ws, self);
		g_signal_connect(ws,
				 "closed",
				 G_CALLBACK(iot_websocket_transport_orphan_closed_cb),
				 NULL);
	}
	g_ptr_array_set_size(self->lingering, 0);
	G_OBJECT_CLASS(iot_websocket_transport_parent_class)->dispose(object);
}

static void
iot_websocket_transport_finalize(GObject *object)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(object);
	iot_websocket_transport_reset_settings(self);
	g_clear_pointer(&self->pings, g_array_unref);
	g_ptr_array_unref(self->lingering);
	g_free(self->subprotocol);
	g_free(self->channel_id);
	G_OBJECT_CLASS(iot_websocket_transport_parent_class)->finalize(object);
}

static void
iot_websocket_transport_get_property(GObject *object,
				     guint prop_id,
				     GValue *value,
				     GParamSpec *pspec)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(object);
	switch (prop_id) {
	case PROP_HANDSHAKE_STATUS:
		g_value_set_uint(value, self->handshake_status);
		break;
	case PROP_CLOSING:
		g_value_set_boolean(value, self->lingering->len > 0);
		break;
	case PROP_PING_PERIOD:
		g_value_set_uint(value, self->ping_ms);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_websocket_transport_class_init(IotWebsocketTransportClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_websocket_transport_dispose;
	object_class->finalize = iot_websocket_transport_finalize;
	object_class->get_property = iot_websocket_transport_get_property;

	/**
	 * IotWebsocketTransport:handshake-status:
	 *
	 * The HTTP status the service answered the last handshake with (101
	 * once connected, 4xx or 5xx when refused), or 0 when no answer came.
	 * The daemon reads it to explain a refusal.
	 */
	properties[PROP_HANDSHAKE_STATUS] =
	    g_param_spec_uint("handshake-status",
			      NULL,
			      NULL,
			      0,
			      999,
			      0,
			      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	/**
	 * IotWebsocketTransport:closing:
	 *
	 * Whether a connection closed by iot_transport_close() (or by a
	 * failure) is still finishing its closing handshake with the service.
	 * The daemon waits for it to turn %FALSE before it exits, so that the
	 * service sees a normal close.
	 */
	properties[PROP_CLOSING] = g_param_spec_boolean("closing",
							NULL,
							NULL,
							FALSE,
							G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
							    G_PARAM_STATIC_STRINGS);
	/**
	 * IotWebsocketTransport:ping-period:
	 *
	 * How often the service is pinged, in milliseconds (the "ping_ms"
	 * setting), 0 when it is not.
	 */
	properties[PROP_PING_PERIOD] = g_param_spec_uint("ping-period",
							 NULL,
							 NULL,
							 0,
							 G_MAXUINT,
							 IOT_WEBSOCKET_PING_MS_DEFAULT,
							 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, properties);
}

static void
iot_websocket_transport_init(IotWebsocketTransport *self)
{
	self->pings = g_array_new(FALSE, FALSE, sizeof(IotWebsocketPing));
	/* no free function: a ref moves elsewhere in dispose */
	self->lingering = g_ptr_array_new();
	g_queue_init(&self->held);
	iot_websocket_transport_reset_settings(self);
}

/**
 * iot_websocket_transport_new:
 *
 * Returns: (transfer full): a transport with the default settings
 */
IotWebsocketTransport *
iot_websocket_transport_new(void)
{
	return g_object_new(IOT_TYPE_WEBSOCKET_TRANSPORT, NULL);
}
