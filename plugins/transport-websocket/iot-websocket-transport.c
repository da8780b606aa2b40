/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-transport.h"

#include <libsoup/soup.h>
#include <string.h>

#include "iot-websocket-stream.h"
#include "iot-websocket-transport-private.h"

/*
 * The WebSocket transport: once iot-websocket-connect.c has reached the
 * service, runs SoupWebsocketConnection over an IotWebsocketStream so that
 * the send queue can be measured, reading can be paused, and pings carry the
 * protocol's payload (PROTOCOL.md section 2). Its settings are read in
 * iot-websocket-settings.c.
 */

#define IOT_WEBSOCKET_PINGS_OUTSTANDING_MAX 8

static void
iot_websocket_transport_iface_init(IotTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotWebsocketTransport,
			      iot_websocket_transport,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_TRANSPORT,
						    iot_websocket_transport_iface_init))

enum { PROP_0, PROP_HANDSHAKE_STATUS, PROP_CLOSING, PROP_PING_PERIOD, PROP_LAST };

static GParamSpec *properties[PROP_LAST] = {NULL};

/* what the last handshake's answer said, 0 when none came */
void
iot_websocket_transport_set_handshake_status(IotWebsocketTransport *self, guint status)
{
	self->handshake_status = status;
	g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_HANDSHAKE_STATUS]);
}

/* drops what the previous connection left for the receiver */
void
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

/*
 * The handshake over @connection succeeded: runs the WebSocket over our
 * stream, with @prebuffer, what came after the handshake's answer, first.
 */
void
iot_websocket_transport_start(IotWebsocketTransport *self,
			      GIOStream *connection,
			      GUri *uri,
			      GBytes *prebuffer)
{
	self->connecting = FALSE;
	self->ever_connected = TRUE;
	self->stream = iot_websocket_stream_new(connection, prebuffer, IOT_WEBSOCKET_MAX_PAYLOAD);
	iot_websocket_stream_set_input_paused(self->stream, self->receive_paused);
	self->ws = soup_websocket_connection_new(G_IO_STREAM(self->stream),
						 uri,
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

	if (self->settings.ping_ms == 0)
		g_debug("not pinging the service, as told");
	if (self->settings.ping_ms > 0) {
		g_debug("pinging the service every %u ms", self->settings.ping_ms);
		iot_websocket_transport_send_ping(self);
		self->ping_source = g_timeout_source_new(self->settings.ping_ms);
		g_source_set_static_name(self->ping_source, "IotWebsocketTransport ping");
		g_source_set_callback(self->ping_source,
				      iot_websocket_transport_ping_cb,
				      self,
				      NULL);
		g_source_attach(self->ping_source, g_main_context_get_thread_default());
	}
}

static gboolean
iot_websocket_transport_configure(IotTransport *transport, JsonObject *settings, GError **error)
{
	IotWebsocketTransport *self = IOT_WEBSOCKET_TRANSPORT(transport);
	return iot_websocket_settings_load(&self->settings, settings, error);
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
	iot_websocket_settings_clear(&self->settings);
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
		g_value_set_uint(value, self->settings.ping_ms);
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

	/* the interface's, notified here by their pspecs */
	g_object_class_override_property(object_class, PROP_HANDSHAKE_STATUS, "handshake-status");
	g_object_class_override_property(object_class, PROP_CLOSING, "closing");
	g_object_class_override_property(object_class, PROP_PING_PERIOD, "ping-period");
	properties[PROP_HANDSHAKE_STATUS] =
	    g_object_class_find_property(object_class, "handshake-status");
	properties[PROP_CLOSING] = g_object_class_find_property(object_class, "closing");
	properties[PROP_PING_PERIOD] = g_object_class_find_property(object_class, "ping-period");
}

static void
iot_websocket_transport_init(IotWebsocketTransport *self)
{
	self->pings = g_array_new(FALSE, FALSE, sizeof(IotWebsocketPing));
	/* no free function: a ref moves elsewhere in dispose */
	self->lingering = g_ptr_array_new();
	g_queue_init(&self->held);
	iot_websocket_settings_clear(&self->settings);
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
