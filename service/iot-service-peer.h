/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define IOT_SERVICE_PEER_ERROR iot_service_peer_error_quark()

/**
 * IotServicePeerError:
 * @IOT_SERVICE_PEER_ERROR_UNKNOWN_SERVICE: a message names a service the
 *   tunnel does not have
 *
 * Violations the peer finds beyond those of the frame decoder and the
 * message validator.
 */
typedef enum {
	IOT_SERVICE_PEER_ERROR_UNKNOWN_SERVICE,
} IotServicePeerError;

#define IOT_TYPE_SERVICE_PEER (iot_service_peer_get_type())
G_DECLARE_FINAL_TYPE(IotServicePeer, iot_service_peer, IOT, SERVICE_PEER, GObject)

GQuark
iot_service_peer_error_quark(void);
IotServicePeer *
iot_service_peer_new(GIOStream *stream,
		     GSocket *socket,
		     guint stall_timeout,
		     GUri *uri,
		     const gchar *origin,
		     const gchar *subprotocol,
		     IotTunnelMode mode,
		     const gchar *tunnel_id,
		     const gchar *channel_id,
		     const gchar *const *services);
IotTunnelMode
iot_service_peer_get_mode(IotServicePeer *self);
const gchar *
iot_service_peer_get_subprotocol(IotServicePeer *self);
guint
iot_service_peer_get_version(IotServicePeer *self);
const gchar *
iot_service_peer_get_channel_id(IotServicePeer *self);
GDateTime *
iot_service_peer_get_connected_at(IotServicePeer *self);
gboolean
iot_service_peer_is_open(IotServicePeer *self);
void
iot_service_peer_send(IotServicePeer *self, GBytes *payload);
void
iot_service_peer_send_message(IotServicePeer *self, const IotMessage *msg);
void
iot_service_peer_reply(IotServicePeer *self, GBytes *frames);
gsize
iot_service_peer_get_send_queued(IotServicePeer *self);
gboolean
iot_service_peer_get_congested(IotServicePeer *self);
void
iot_service_peer_set_paused_by_other(IotServicePeer *self, gboolean paused);
void
iot_service_peer_close(IotServicePeer *self, gushort code, const gchar *reason);
guint64
iot_service_peer_get_bytes_received(IotServicePeer *self);
guint64
iot_service_peer_get_messages_received(IotServicePeer *self);
guint64
iot_service_peer_get_bytes_sent(IotServicePeer *self);

G_END_DECLS
