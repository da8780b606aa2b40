/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <json-glib/json-glib.h>

#include "iot-service-peer.h"

G_BEGIN_DECLS

#define IOT_SERVICE_TUNNEL_ERROR iot_service_tunnel_error_quark()

/**
 * IotServiceTunnelError:
 * @IOT_SERVICE_TUNNEL_ERROR_CLOSED: the tunnel is closed or its lifetime ran out
 * @IOT_SERVICE_TUNNEL_ERROR_WRONG_MODE: the token is for the other mode
 * @IOT_SERVICE_TUNNEL_ERROR_TOKEN_SPENT: the token was used without a client
 *   token, or is bound to another client token
 * @IOT_SERVICE_TUNNEL_ERROR_INVALID: the services or lifetime asked for are invalid
 *
 * Why a tunnel refuses a handshake, or cannot be opened.
 */
typedef enum {
	IOT_SERVICE_TUNNEL_ERROR_CLOSED,
	IOT_SERVICE_TUNNEL_ERROR_WRONG_MODE,
	IOT_SERVICE_TUNNEL_ERROR_TOKEN_SPENT,
	IOT_SERVICE_TUNNEL_ERROR_INVALID,
} IotServiceTunnelError;

/**
 * IotServiceTag:
 * @key: the tag's key
 * @value: its value, maybe empty
 *
 * A key and value a tunnel is labelled with, as the AWS API's tags.
 */
typedef struct {
	gchar *key;
	gchar *value;
} IotServiceTag;

IotServiceTag *
iot_service_tag_new(const gchar *key, const gchar *value);
void
iot_service_tag_free(IotServiceTag *tag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotServiceTag, iot_service_tag_free)

#define IOT_TYPE_SERVICE_TUNNEL (iot_service_tunnel_get_type())
G_DECLARE_FINAL_TYPE(IotServiceTunnel, iot_service_tunnel, IOT, SERVICE_TUNNEL, GObject)

GQuark
iot_service_tunnel_error_quark(void);
IotServiceTunnel *
iot_service_tunnel_new(const gchar *const *services, guint lifetime, GError **error);
IotServiceTunnel *
iot_service_tunnel_new_from_state(JsonObject *object, GError **error);
void
iot_service_tunnel_to_state(IotServiceTunnel *self, JsonBuilder *builder);
const gchar *
iot_service_tunnel_get_id(IotServiceTunnel *self);
const gchar *const *
iot_service_tunnel_get_services(IotServiceTunnel *self);
gboolean
iot_service_tunnel_is_closed(IotServiceTunnel *self);
const gchar *
iot_service_tunnel_get_access_token(IotServiceTunnel *self, IotTunnelMode mode);
const gchar *
iot_service_tunnel_get_token_digest(IotServiceTunnel *self, IotTunnelMode mode);
gboolean
iot_service_tunnel_match_token(IotServiceTunnel *self, const gchar *token, IotTunnelMode *mode);
gboolean
iot_service_tunnel_authorize(IotServiceTunnel *self,
			     IotTunnelMode token_mode,
			     IotTunnelMode requested_mode,
			     const gchar *client_token,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_service_tunnel_attach(IotServiceTunnel *self, IotServicePeer *peer);
void
iot_service_tunnel_close(IotServiceTunnel *self, gushort code, const gchar *reason);
guint
iot_service_tunnel_get_n_peers(IotServiceTunnel *self);
void
iot_service_tunnel_to_json(IotServiceTunnel *self, JsonBuilder *builder);
guint
iot_service_tunnel_get_lifetime(IotServiceTunnel *self);
GDateTime *
iot_service_tunnel_get_created_at(IotServiceTunnel *self);
GDateTime *
iot_service_tunnel_get_updated_at(IotServiceTunnel *self);
GDateTime *
iot_service_tunnel_get_peer_changed_at(IotServiceTunnel *self, IotTunnelMode mode);
gboolean
iot_service_tunnel_is_connected(IotServiceTunnel *self, IotTunnelMode mode);
const gchar *
iot_service_tunnel_get_description(IotServiceTunnel *self);
void
iot_service_tunnel_set_details(IotServiceTunnel *self,
			       const gchar *description,
			       const gchar *thing_name,
			       GPtrArray *tags);
const gchar *
iot_service_tunnel_get_thing_name(IotServiceTunnel *self);
void
iot_service_tunnel_set_thing_name(IotServiceTunnel *self, const gchar *thing_name);
GPtrArray *
iot_service_tunnel_get_tags(IotServiceTunnel *self);
void
iot_service_tunnel_tag(IotServiceTunnel *self, GPtrArray *tags);
void
iot_service_tunnel_untag(IotServiceTunnel *self, const gchar *const *keys);
gboolean
iot_service_tunnel_rotate_token(IotServiceTunnel *self,
				IotTunnelMode mode,
				GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
