/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include "iot-profile-common.h"
#include "iot-profile-service.h"

G_BEGIN_DECLS

/* the reference local proxy's limit of active local connections per tunnel */
#define IOT_PROFILE_TUNNEL_DEFAULT_MAX_CONNECTIONS 128

/* reconnecting: the first delay (the reference's fixed one), doubled up to the cap; tries */
#define IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_DELAY_MS 2500
#define IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_MAX_DELAY_MS 30000
#define IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_COUNT (-1)
#define IOT_PROFILE_TUNNEL_RECONNECT_DELAY_MS_MAX 3600000
#define IOT_PROFILE_TUNNEL_RECONNECT_COUNT_MAX 1000000

/* flow control: the bounds of a connection's buffer and of its stall time */
#define IOT_PROFILE_TUNNEL_CONNECTION_BUFFER_MIN (64 * 1024)
#define IOT_PROFILE_TUNNEL_CONNECTION_BUFFER_MAX (1024 * 1024 * 1024)
#define IOT_PROFILE_TUNNEL_STALL_TIMEOUT_MS_MAX 3600000

#define IOT_TYPE_PROFILE_TUNNEL (iot_profile_tunnel_get_type())
G_DECLARE_FINAL_TYPE(IotProfileTunnel, iot_profile_tunnel, IOT, PROFILE_TUNNEL, GObject)

IotProfileTunnel *
iot_profile_tunnel_new_from_json(JsonNode *node,
				 const gchar *origin,
				 const gchar *path,
				 GError **error);
const gchar *
iot_profile_tunnel_get_origin(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_json_path(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_name(IotProfileTunnel *self);
IotTunnelMode
iot_profile_tunnel_get_mode(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_region(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_base_url(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_tunnel_url(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_protocol(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_destination_client_type(IotProfileTunnel *self);
const gchar *
iot_profile_tunnel_get_transport_type(IotProfileTunnel *self);
JsonObject *
iot_profile_tunnel_get_transport_settings(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_max_connections(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_connection_buffer(IotProfileTunnel *self);
gboolean
iot_profile_tunnel_get_extensions(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_stall_timeout_ms(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_reconnect_delay_ms(IotProfileTunnel *self);
guint
iot_profile_tunnel_get_reconnect_max_delay_ms(IotProfileTunnel *self);
gint
iot_profile_tunnel_get_reconnect_count(IotProfileTunnel *self);
GPtrArray *
iot_profile_tunnel_get_services(IotProfileTunnel *self);
gboolean
iot_profile_tunnel_has_access_token(IotProfileTunnel *self);
gboolean
iot_profile_tunnel_has_client_token(IotProfileTunnel *self);
gchar *
iot_profile_tunnel_read_access_token(IotProfileTunnel *self, GError **error);
gchar *
iot_profile_tunnel_read_client_token(IotProfileTunnel *self, GError **error);
JsonNode *
iot_profile_tunnel_to_json(IotProfileTunnel *self, gboolean include_secrets);

G_END_DECLS
