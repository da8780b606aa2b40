/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_TRANSPORT_ERROR iot_transport_error_quark()

/**
 * IotTransportError:
 * @IOT_TRANSPORT_ERROR_SETTINGS: a setting is missing or invalid
 * @IOT_TRANSPORT_ERROR_REFUSED: the service answered the handshake with a 4xx;
 *   do not retry
 * @IOT_TRANSPORT_ERROR_UNAVAILABLE: the service answered with a 5xx; retry later
 * @IOT_TRANSPORT_ERROR_NETWORK: the service could not be reached; retry later
 * @IOT_TRANSPORT_ERROR_TLS: the TLS handshake failed (certificate problem)
 * @IOT_TRANSPORT_ERROR_PROXY: the web proxy refused the CONNECT, or, before
 *   the first connection through it, could not be found or reached; do not
 *   retry
 * @IOT_TRANSPORT_ERROR_PROTOCOL: the service broke the WebSocket or framing rules
 * @IOT_TRANSPORT_ERROR_CLOSED: the service closed the connection with a normal
 *   close (1000): the tunnel was closed by its owner or its lifetime ended; any
 *   other close code is reported as %IOT_TRANSPORT_ERROR_UNAVAILABLE
 * @IOT_TRANSPORT_ERROR_NOT_TLS: what answers at the service's address does not
 *   speak TLS (an SSH or plain HTTP server, say); do not retry
 * @IOT_TRANSPORT_ERROR_PROXY_NOT_TLS: an https:// web proxy does not speak
 *   TLS: it is probably a plain http:// one; do not retry
 * @IOT_TRANSPORT_ERROR_PROXY_TLS: the TLS handshake with an https:// web proxy
 *   failed (certificate problem); do not retry
 *
 * Why a transport failed. The tunnel retries only UNAVAILABLE, NETWORK,
 * PROTOCOL.
 */
typedef enum {
	IOT_TRANSPORT_ERROR_SETTINGS,
	IOT_TRANSPORT_ERROR_REFUSED,
	IOT_TRANSPORT_ERROR_UNAVAILABLE,
	IOT_TRANSPORT_ERROR_NETWORK,
	IOT_TRANSPORT_ERROR_TLS,
	IOT_TRANSPORT_ERROR_PROXY,
	IOT_TRANSPORT_ERROR_PROTOCOL,
	IOT_TRANSPORT_ERROR_CLOSED,
	IOT_TRANSPORT_ERROR_NOT_TLS,
	IOT_TRANSPORT_ERROR_PROXY_NOT_TLS,
	IOT_TRANSPORT_ERROR_PROXY_TLS,
} IotTransportError;

/* a send queue above this pauses reading local connections; below the low mark resumes */
#define IOT_TRANSPORT_HIGH_WATER (1024 * 1024)
#define IOT_TRANSPORT_LOW_WATER (256 * 1024)

/**
 * IotTransportParams:
 * @url: the service URL with path and query, such as
 *   `wss://host:443/tunnel?local-proxy-mode=source`
 * @access_token: the access token; never log it
 * @client_token: (nullable): the client token, sent on every try
 * @subprotocols: the subprotocols to offer, most preferred first
 *   (`aws.iot.securetunneling-3.0`, ...)
 *
 * What one connection attempt needs besides the transport's own settings.
 */
typedef struct {
	const gchar *url;
	const gchar *access_token;
	const gchar *client_token;
	const gchar *const *subprotocols;
} IotTransportParams;

#define IOT_TYPE_TRANSPORT (iot_transport_get_type())
IOT_EXPORT
G_DECLARE_INTERFACE(IotTransport, iot_transport, IOT, TRANSPORT, GObject)

/**
 * IotTransportInterface:
 * @configure: takes the `transport` object of the profile; called once
 * @connect_async: opens the connection to the service and does the handshake
 * @connect_finish: %TRUE once connected; then ::message, ::drained and
 *   ::closed may be emitted
 * @get_subprotocol: the subprotocol the service chose
 * @get_channel_id: (nullable): the `channel-id` the service sent
 * @send: queues one binary WebSocket message (a whole number of frames)
 * @get_send_queued: bytes queued and not yet written to the network
 * @set_receive_paused: stops or restarts reading from the service
 * @close: closes with a normal WebSocket close; ::closed is not emitted
 *
 * Moves framed bytes to and from the service. Signals:
 * ::message (GBytes *payload) for each binary message received;
 * ::drained () when the send queue falls below %IOT_TRANSPORT_LOW_WATER
 * after having been above %IOT_TRANSPORT_HIGH_WATER;
 * ::closed (const GError *error) when the connection ended, @error in
 * %IOT_TRANSPORT_ERROR (%IOT_TRANSPORT_ERROR_CLOSED when the service ended
 * the tunnel with a normal close);
 * ::round-trip (gint64 microseconds) when a pong answers our ping.
 *
 * Read-only properties every transport has (g_object_class_override_property()):
 * #IotTransport:handshake-status, #IotTransport:closing and
 * #IotTransport:ping-period.
 */
struct _IotTransportInterface {
	GTypeInterface g_iface;
	gboolean (*configure)(IotTransport *self, JsonObject *settings, GError **error);
	void (*connect_async)(IotTransport *self,
			      const IotTransportParams *params,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
	gboolean (*connect_finish)(IotTransport *self, GAsyncResult *result, GError **error);
	const gchar *(*get_subprotocol)(IotTransport *self);
	const gchar *(*get_channel_id)(IotTransport *self);
	void (*send)(IotTransport *self, GBytes *payload);
	gsize (*get_send_queued)(IotTransport *self);
	void (*set_receive_paused)(IotTransport *self, gboolean paused);
	void (*close)(IotTransport *self);
	/*< private >*/
	gpointer padding[8];
};

IOT_EXPORT
GQuark
iot_transport_error_quark(void);
IOT_EXPORT
gboolean
iot_transport_configure(IotTransport *self,
			JsonObject *settings,
			GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_transport_connect_async(IotTransport *self,
			    const IotTransportParams *params,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
IOT_EXPORT
gboolean
iot_transport_connect_finish(IotTransport *self,
			     GAsyncResult *result,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
const gchar *
iot_transport_get_subprotocol(IotTransport *self);
IOT_EXPORT
const gchar *
iot_transport_get_channel_id(IotTransport *self);
IOT_EXPORT
void
iot_transport_send(IotTransport *self, GBytes *payload);
IOT_EXPORT
gsize
iot_transport_get_send_queued(IotTransport *self);
IOT_EXPORT
void
iot_transport_set_receive_paused(IotTransport *self, gboolean paused);
IOT_EXPORT
void
iot_transport_close(IotTransport *self);
IOT_EXPORT
void
iot_transport_emit_message(IotTransport *self, GBytes *payload);
IOT_EXPORT
void
iot_transport_emit_drained(IotTransport *self);
IOT_EXPORT
void
iot_transport_emit_closed(IotTransport *self, const GError *error);
IOT_EXPORT
void
iot_transport_emit_round_trip(IotTransport *self, gint64 microseconds);

G_END_DECLS
