/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-transport.h"

G_DEFINE_INTERFACE(IotTransport, iot_transport, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-transport-error-quark, iot_transport_error);

static void
iot_transport_default_init(IotTransportInterface *iface)
{
	GType type = G_TYPE_FROM_INTERFACE(iface);

	/**
	 * IotTransport:handshake-status:
	 *
	 * The HTTP status the service answered the last handshake with (101
	 * once connected, 4xx or 5xx when refused), or 0 when no answer came.
	 * The daemon reads it to explain a refusal.
	 */
	g_object_interface_install_property(
	    iface,
	    g_param_spec_uint("handshake-status",
			      NULL,
			      NULL,
			      0,
			      999,
			      0,
			      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
	/**
	 * IotTransport:closing:
	 *
	 * Whether a connection ended by iot_transport_close() (or by a failure)
	 * is still finishing its closing handshake with the service; notified
	 * when it turns %FALSE. The daemon waits for that before it exits, so
	 * that the service sees a normal close.
	 */
	g_object_interface_install_property(iface,
					    g_param_spec_boolean("closing",
								 NULL,
								 NULL,
								 FALSE,
								 G_PARAM_READABLE |
								     G_PARAM_EXPLICIT_NOTIFY |
								     G_PARAM_STATIC_STRINGS));
	/**
	 * IotTransport:ping-period:
	 *
	 * How often the service is pinged, in milliseconds, 0 when it is not;
	 * for the tunnel's counters.
	 */
	g_object_interface_install_property(
	    iface,
	    g_param_spec_uint("ping-period",
			      NULL,
			      NULL,
			      0,
			      G_MAXUINT,
			      0,
			      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

	/**
	 * IotTransport::message:
	 * @self: the transport
	 * @payload: one binary WebSocket message from the service
	 */
	g_signal_new("message",
		     type,
		     G_SIGNAL_RUN_LAST,
		     0,
		     NULL,
		     NULL,
		     NULL,
		     G_TYPE_NONE,
		     1,
		     G_TYPE_BYTES);
	/**
	 * IotTransport::drained:
	 * @self: the transport
	 *
	 * The send queue fell below %IOT_TRANSPORT_LOW_WATER.
	 */
	g_signal_new("drained", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
	/**
	 * IotTransport::closed:
	 * @self: the transport
	 * @error: why, in %IOT_TRANSPORT_ERROR
	 */
	g_signal_new("closed",
		     type,
		     G_SIGNAL_RUN_LAST,
		     0,
		     NULL,
		     NULL,
		     NULL,
		     G_TYPE_NONE,
		     1,
		     G_TYPE_ERROR);
	/**
	 * IotTransport::round-trip:
	 * @self: the transport
	 * @microseconds: how long the service took to answer a ping
	 */
	g_signal_new("round-trip",
		     type,
		     G_SIGNAL_RUN_LAST,
		     0,
		     NULL,
		     NULL,
		     NULL,
		     G_TYPE_NONE,
		     1,
		     G_TYPE_INT64);
}

/**
 * iot_transport_configure:
 * @self: a transport
 * @settings: the profile's `transport` object
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR
 *
 * Returns: %TRUE when the settings are valid
 */
gboolean
iot_transport_configure(IotTransport *self, JsonObject *settings, GError **error)
{
	IotTransportInterface *iface;
	g_return_val_if_fail(IOT_IS_TRANSPORT(self), FALSE);
	g_return_val_if_fail(settings != NULL, FALSE);
	iface = IOT_TRANSPORT_GET_IFACE(self);
	if (iface->configure == NULL)
		return TRUE;
	return iface->configure(self, settings, error);
}

/**
 * iot_transport_connect_async:
 * @self: a transport
 * @params: where to connect and with which tokens; copied as needed
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected or failed
 * @user_data: data for @callback
 *
 * Connects to the service and does the WebSocket handshake.
 */
void
iot_transport_connect_async(IotTransport *self,
			    const IotTransportParams *params,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	g_return_if_fail(IOT_IS_TRANSPORT(self));
	g_return_if_fail(params != NULL && params->url != NULL);
	IOT_TRANSPORT_GET_IFACE(self)->connect_async(self,
						     params,
						     cancellable,
						     callback,
						     user_data);
}

/**
 * iot_transport_connect_finish:
 * @self: a transport
 * @result: the result passed to the callback
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR
 *
 * Returns: %TRUE when connected
 */
gboolean
iot_transport_connect_finish(IotTransport *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(IOT_IS_TRANSPORT(self), FALSE);
	return IOT_TRANSPORT_GET_IFACE(self)->connect_finish(self, result, error);
}

/**
 * iot_transport_get_subprotocol:
 * @self: a connected transport
 *
 * Returns: (nullable): the subprotocol the service chose
 */
const gchar *
iot_transport_get_subprotocol(IotTransport *self)
{
	g_return_val_if_fail(IOT_IS_TRANSPORT(self), NULL);
	return IOT_TRANSPORT_GET_IFACE(self)->get_subprotocol(self);
}

/**
 * iot_transport_get_channel_id:
 * @self: a connected transport
 *
 * Returns: (nullable): the `channel-id` header of the handshake answer
 */
const gchar *
iot_transport_get_channel_id(IotTransport *self)
{
	IotTransportInterface *iface;
	g_return_val_if_fail(IOT_IS_TRANSPORT(self), NULL);
	iface = IOT_TRANSPORT_GET_IFACE(self);
	if (iface->get_channel_id == NULL)
		return NULL;
	return iface->get_channel_id(self);
}

/**
 * iot_transport_send:
 * @self: a connected transport
 * @payload: one binary message of at most %IOT_WEBSOCKET_MAX_PAYLOAD bytes
 *
 * Queues @payload for the service.
 */
void
iot_transport_send(IotTransport *self, GBytes *payload)
{
	g_return_if_fail(IOT_IS_TRANSPORT(self));
	g_return_if_fail(payload != NULL);
	IOT_TRANSPORT_GET_IFACE(self)->send(self, payload);
}

/**
 * iot_transport_get_send_queued:
 * @self: a transport
 *
 * Returns: bytes queued and not yet written to the network
 */
gsize
iot_transport_get_send_queued(IotTransport *self)
{
	g_return_val_if_fail(IOT_IS_TRANSPORT(self), 0);
	return IOT_TRANSPORT_GET_IFACE(self)->get_send_queued(self);
}

/**
 * iot_transport_set_receive_paused:
 * @self: a transport
 * @paused: whether to stop reading from the service
 */
void
iot_transport_set_receive_paused(IotTransport *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_TRANSPORT(self));
	IOT_TRANSPORT_GET_IFACE(self)->set_receive_paused(self, paused);
}

/**
 * iot_transport_close:
 * @self: a transport
 *
 * Closes the connection with a normal close, after what is queued.
 */
void
iot_transport_close(IotTransport *self)
{
	g_return_if_fail(IOT_IS_TRANSPORT(self));
	IOT_TRANSPORT_GET_IFACE(self)->close(self);
}

/**
 * iot_transport_emit_message:
 * @self: a transport
 * @payload: a binary message received
 *
 * For implementations.
 */
void
iot_transport_emit_message(IotTransport *self, GBytes *payload)
{
	g_signal_emit_by_name(self, "message", payload);
}

/**
 * iot_transport_emit_drained:
 * @self: a transport
 *
 * For implementations.
 */
void
iot_transport_emit_drained(IotTransport *self)
{
	g_signal_emit_by_name(self, "drained");
}

/**
 * iot_transport_emit_closed:
 * @self: a transport
 * @error: why the connection ended
 *
 * For implementations.
 */
void
iot_transport_emit_closed(IotTransport *self, const GError *error)
{
	g_signal_emit_by_name(self, "closed", error);
}

/**
 * iot_transport_emit_round_trip:
 * @self: a transport
 * @microseconds: the measured ping round trip
 *
 * For implementations.
 */
void
iot_transport_emit_round_trip(IotTransport *self, gint64 microseconds)
{
	g_signal_emit_by_name(self, "round-trip", microseconds);
}
