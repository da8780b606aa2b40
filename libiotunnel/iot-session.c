/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-session.h"

G_DEFINE_INTERFACE(IotSession, iot_session, G_TYPE_OBJECT)

static void
iot_session_default_init(IotSessionInterface *iface)
{
}

/**
 * iot_session_get_mode:
 * @self: a session
 *
 * Returns: the tunnel's side
 */
IotTunnelMode
iot_session_get_mode(IotSession *self)
{
	g_return_val_if_fail(IOT_IS_SESSION(self), IOT_TUNNEL_MODE_SOURCE);
	return IOT_SESSION_GET_IFACE(self)->get_mode(self);
}

/**
 * iot_session_get_service_ids:
 * @self: a session
 *
 * Returns: (transfer none) (array zero-terminated=1): the configured service
 *   IDs, sorted; "" alone for a single unnamed mapping
 */
const gchar *const *
iot_session_get_service_ids(IotSession *self)
{
	g_return_val_if_fail(IOT_IS_SESSION(self), NULL);
	return IOT_SESSION_GET_IFACE(self)->get_service_ids(self);
}

/**
 * iot_session_send:
 * @self: a session
 * @msg: the message to queue for the service
 */
void
iot_session_send(IotSession *self, const IotMessage *msg)
{
	g_return_if_fail(IOT_IS_SESSION(self));
	g_return_if_fail(msg != NULL);
	IOT_SESSION_GET_IFACE(self)->send(self, msg);
}

/**
 * iot_session_connect_async:
 * @self: a session
 * @service_id: the service to reach ("" for the unnamed mapping)
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected or given up
 * @user_data: data for @callback
 */
void
iot_session_connect_async(IotSession *self,
			  const gchar *service_id,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	g_return_if_fail(IOT_IS_SESSION(self));
	g_return_if_fail(service_id != NULL);
	IOT_SESSION_GET_IFACE(self)->connect_async(self,
						   service_id,
						   cancellable,
						   callback,
						   user_data);
}

/**
 * iot_session_connect_finish:
 * @self: a session
 * @result: the result passed to the callback
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the local connection, not yet started, or %NULL
 *   with @error set
 */
IotConnection *
iot_session_connect_finish(IotSession *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(IOT_IS_SESSION(self), NULL);
	return IOT_SESSION_GET_IFACE(self)->connect_finish(self, result, error);
}

/**
 * iot_session_service_ids_received:
 * @self: a session
 * @service_ids: (array zero-terminated=1): the IDs the service announced
 * @error: (nullable): return location for an error in %IOT_CODEC_ERROR
 *
 * Returns: %TRUE when the tunnel can serve them
 */
gboolean
iot_session_service_ids_received(IotSession *self, const gchar *const *service_ids, GError **error)
{
	g_return_val_if_fail(IOT_IS_SESSION(self), FALSE);
	g_return_val_if_fail(service_ids != NULL, FALSE);
	return IOT_SESSION_GET_IFACE(self)->service_ids_received(self, service_ids, error);
}

/**
 * iot_session_fail:
 * @self: a session
 * @error: the protocol violation
 *
 * Ends the WebSocket session; the tunnel reconnects.
 */
void
iot_session_fail(IotSession *self, const GError *error)
{
	g_return_if_fail(IOT_IS_SESSION(self));
	g_return_if_fail(error != NULL);
	IOT_SESSION_GET_IFACE(self)->fail(self, error);
}

/**
 * iot_session_get_name:
 * @self: (nullable): a session, or %NULL for a codec whose session stopped
 *
 * Returns: (nullable): the name of the tunnel @self runs, for log lines
 * (iot_tunnel_debug() and its siblings); %NULL when there is none
 */
const gchar *
iot_session_get_name(IotSession *self)
{
	IotSessionInterface *iface;

	if (self == NULL)
		return NULL;
	g_return_val_if_fail(IOT_IS_SESSION(self), NULL);
	iface = IOT_SESSION_GET_IFACE(self);
	return iface->get_name != NULL ? iface->get_name(self) : NULL;
}

/**
 * iot_session_take_back:
 * @self: a source session
 * @service_id: the service whose stream the connection was in
 * @connection: (transfer none): a local connection the peer reset before a
 *   byte passed either way; its stream link already let go of it
 *
 * Offers @connection back to the tunnel, which may keep it waiting and
 * start it again (as for a connection accepted while the service was away,
 * when the destination is not connected yet).
 *
 * Returns: %TRUE when the tunnel took @connection; %FALSE when the codec
 *   must close it
 */
gboolean
iot_session_take_back(IotSession *self, const gchar *service_id, IotConnection *connection)
{
	IotSessionInterface *iface;

	g_return_val_if_fail(IOT_IS_SESSION(self), FALSE);
	g_return_val_if_fail(service_id != NULL, FALSE);
	g_return_val_if_fail(IOT_IS_CONNECTION(connection), FALSE);
	iface = IOT_SESSION_GET_IFACE(self);
	if (iface->take_back == NULL)
		return FALSE;
	return iface->take_back(self, service_id, connection);
}

/**
 * iot_session_get_connection_budget:
 * @self: a session
 *
 * Returns: the bytes each local connection of the tunnel holds for its
 *   local peer; 0 when the tunnel does not say, and takes no part in the
 *   protocol extensions (no EXT_HELLO is sent for its streams)
 */
gsize
iot_session_get_connection_budget(IotSession *self)
{
	IotSessionInterface *iface;

	g_return_val_if_fail(IOT_IS_SESSION(self), 0);
	iface = IOT_SESSION_GET_IFACE(self);
	if (iface->get_connection_budget == NULL)
		return 0;
	return iface->get_connection_budget(self);
}
