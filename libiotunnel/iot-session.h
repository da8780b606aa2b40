/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-connection.h"
#include "iot-message.h"

G_BEGIN_DECLS

/**
 * IotTunnelMode:
 * @IOT_TUNNEL_MODE_SOURCE: accepts local connections and starts streams
 * @IOT_TUNNEL_MODE_DESTINATION: connects to local apps when streams start
 */
typedef enum {
	IOT_TUNNEL_MODE_SOURCE,
	IOT_TUNNEL_MODE_DESTINATION,
} IotTunnelMode;

#define IOT_TYPE_SESSION (iot_session_get_type())
IOT_EXPORT
G_DECLARE_INTERFACE(IotSession, iot_session, IOT, SESSION, GObject)

/**
 * IotSessionInterface:
 * @get_mode: which side this tunnel is
 * @get_service_ids: the configured service IDs, sorted; a single unnamed
 *   mapping (`-s 5555`, `-d 22`) is the one ID ""
 * @send: encodes and queues one message for the service
 * @connect_async: destination side: opens a local connection for @service_id
 *   through that service's endpoint (retries included)
 * @connect_finish: the connection, already registered for flow control and
 *   counters but not yet started
 * @service_ids_received: the service announced its services (SERVICE_IDS);
 *   the tunnel checks them against its mappings and starts what it must.
 *   %FALSE with @error when they do not fit: the codec then stops
 * @fail: the codec met a protocol violation it cannot recover from; the
 *   tunnel drops the WebSocket session and reconnects
 * @get_name: (nullable): the tunnel's name, which log lines about it give
 *   (see iot_tunnel_log()); may be %NULL, as for older sessions
 * @take_back: source side: the peer reset a local connection before a byte
 *   passed either way, as the service does while no destination is
 *   connected; the tunnel may take @connection back to start it again
 *   later, never from inside this call (%TRUE), or leave it to the codec
 *   to close (%FALSE, the default when the tunnel does not implement it)
 * @get_connection_budget: the bytes each local connection holds for its
 *   local peer (iot_connection_set_budget()), which the codec announces to
 *   a peer that paces itself; a tunnel that does not implement it (0) takes
 *   no part in iotunnel's protocol extensions
 *
 * What a codec may ask of the tunnel that runs it: the codec's one way to the
 * service, the endpoints and the daemon. The daemon implements it.
 */
struct _IotSessionInterface {
	GTypeInterface g_iface;
	IotTunnelMode (*get_mode)(IotSession *self);
	const gchar *const *(*get_service_ids)(IotSession *self);
	void (*send)(IotSession *self, const IotMessage *msg);
	void (*connect_async)(IotSession *self,
			      const gchar *service_id,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
	IotConnection *(*connect_finish)(IotSession *self, GAsyncResult *result, GError **error);
	gboolean (*service_ids_received)(IotSession *self,
					 const gchar *const *service_ids,
					 GError **error);
	void (*fail)(IotSession *self, const GError *error);
	const gchar *(*get_name)(IotSession *self);
	gboolean (*take_back)(IotSession *self, const gchar *service_id, IotConnection *connection);
	gsize (*get_connection_budget)(IotSession *self);
	/*< private >*/
	gpointer padding[5];
};

IOT_EXPORT
IotTunnelMode
iot_session_get_mode(IotSession *self);
IOT_EXPORT
const gchar *const *
iot_session_get_service_ids(IotSession *self);
IOT_EXPORT
void
iot_session_send(IotSession *self, const IotMessage *msg);
IOT_EXPORT
void
iot_session_connect_async(IotSession *self,
			  const gchar *service_id,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
IOT_EXPORT
IotConnection *
iot_session_connect_finish(IotSession *self, GAsyncResult *result, GError **error);
IOT_EXPORT
gboolean
iot_session_service_ids_received(IotSession *self,
				 const gchar *const *service_ids,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_session_fail(IotSession *self, const GError *error);
IOT_EXPORT
const gchar *
iot_session_get_name(IotSession *self);
gboolean
iot_session_take_back(IotSession *self, const gchar *service_id, IotConnection *connection);
IOT_EXPORT
gsize
iot_session_get_connection_budget(IotSession *self);

G_END_DECLS
