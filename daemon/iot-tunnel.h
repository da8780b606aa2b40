/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-plugin-registry.h"
#include "iot-profile-tunnel.h"

G_BEGIN_DECLS

#define IOT_TUNNEL_ERROR iot_tunnel_error_quark()

/**
 * IotTunnelError:
 * @IOT_TUNNEL_ERROR_SETUP: a plugin or setting needed by the tunnel is unusable
 * @IOT_TUNNEL_ERROR_REFUSED: the service refused the tunnel for good
 * @IOT_TUNNEL_ERROR_SERVICES: the service's services do not fit the mappings
 * @IOT_TUNNEL_ERROR_UNKNOWN_SERVICE: the tunnel has no service of that ID
 * @IOT_TUNNEL_ERROR_NOT_SUPPORTED: the tunnel's mode cannot do that
 * @IOT_TUNNEL_ERROR_NOT_RUNNING: the tunnel is not started
 * @IOT_TUNNEL_ERROR_LIMIT: the tunnel has as many connections as it may
 */
typedef enum {
	IOT_TUNNEL_ERROR_SETUP,
	IOT_TUNNEL_ERROR_REFUSED,
	IOT_TUNNEL_ERROR_SERVICES,
	IOT_TUNNEL_ERROR_UNKNOWN_SERVICE,
	IOT_TUNNEL_ERROR_NOT_SUPPORTED,
	IOT_TUNNEL_ERROR_NOT_RUNNING,
	IOT_TUNNEL_ERROR_LIMIT,
} IotTunnelError;

/**
 * IotTunnelState:
 * @IOT_TUNNEL_STATE_STOPPED: not started, or stopped
 * @IOT_TUNNEL_STATE_CONNECTING: the first connection to the service is under way
 * @IOT_TUNNEL_STATE_CONNECTED: the WebSocket session is up
 * @IOT_TUNNEL_STATE_RECONNECTING: the session was lost and is being restored
 * @IOT_TUNNEL_STATE_CLOSED: the service closed the tunnel (owner or lifetime)
 * @IOT_TUNNEL_STATE_FAILED: the tunnel cannot work; see the last error
 */
typedef enum {
	IOT_TUNNEL_STATE_STOPPED,
	IOT_TUNNEL_STATE_CONNECTING,
	IOT_TUNNEL_STATE_CONNECTED,
	IOT_TUNNEL_STATE_RECONNECTING,
	IOT_TUNNEL_STATE_CLOSED,
	IOT_TUNNEL_STATE_FAILED,
} IotTunnelState;

/**
 * IotTunnelCounters:
 *
 * What a tunnel has carried since it was created.
 */
typedef struct {
	guint64 bytes_to_service;
	guint64 bytes_from_service;
	guint64 messages_to_service;
	guint64 messages_from_service;
	guint active_connections;
	guint64 total_connections;
	guint reconnects;
	guint ping_period_ms; /* 0: the service is not pinged */
	gint64 round_trip_us; /* of the last ping answered, 0 before */
} IotTunnelCounters;

#define IOT_TYPE_TUNNEL (iot_tunnel_get_type())
G_DECLARE_FINAL_TYPE(IotTunnel, iot_tunnel, IOT, TUNNEL, GObject)

GQuark
iot_tunnel_error_quark(void);
IotTunnel *
iot_tunnel_new(IotProfileTunnel *profile, IotPluginRegistry *registry, GError **error);
void
iot_tunnel_start(IotTunnel *self);
void
iot_tunnel_stop(IotTunnel *self);
gboolean
iot_tunnel_is_closing(IotTunnel *self);
IotProfileTunnel *
iot_tunnel_get_profile(IotTunnel *self);
IotTunnelState
iot_tunnel_get_state(IotTunnel *self);
const gchar *
iot_tunnel_state_to_string(IotTunnelState state);
const GError *
iot_tunnel_get_last_error(IotTunnel *self);
const gchar *
iot_tunnel_get_channel_id(IotTunnel *self);
const IotTunnelCounters *
iot_tunnel_get_counters(IotTunnel *self);
gchar *
iot_tunnel_get_listen_address(IotTunnel *self, const gchar *service_id);
GStrv
iot_tunnel_dup_service_ids(IotTunnel *self);
gboolean
iot_tunnel_open_connection(IotTunnel *self,
			   const gchar *service_id,
			   GIOStream *stream,
			   const gchar *origin,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
