/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-service-cert.h"
#include "iot-service-common.h"
#include "iot-service-credentials.h"
#include "iot-service-tunnel.h"

G_BEGIN_DECLS

#define IOT_SERVICE_SERVER_ERROR iot_service_server_error_quark()

/**
 * IotServiceServerError:
 * @IOT_SERVICE_SERVER_ERROR_LISTEN: the address could not be listened on
 * @IOT_SERVICE_SERVER_ERROR_PLAIN: plain ws:// was asked for on an address
 *   that is not loopback
 * @IOT_SERVICE_SERVER_ERROR_STATE: the state file of kept tunnels is unreadable
 *
 * Errors of the server.
 */
typedef enum {
	IOT_SERVICE_SERVER_ERROR_LISTEN,
	IOT_SERVICE_SERVER_ERROR_PLAIN,
	IOT_SERVICE_SERVER_ERROR_STATE,
} IotServiceServerError;

#define IOT_TYPE_SERVICE_SERVER (iot_service_server_get_type())
G_DECLARE_FINAL_TYPE(IotServiceServer, iot_service_server, IOT, SERVICE_SERVER, GObject)

GQuark
iot_service_server_error_quark(void);
IotServiceServer *
iot_service_server_new(IotServiceCert *cert,
		       const gchar *admin_token,
		       const IotServiceLimits *limits);
gboolean
iot_service_server_listen(IotServiceServer *self,
			  GInetAddress *address,
			  guint16 port,
			  GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_service_server_keep_tunnels(IotServiceServer *self,
				const gchar *path,
				GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_service_server_get_url(IotServiceServer *self);
IotServiceTunnel *
iot_service_server_open_tunnel(IotServiceServer *self,
			       const gchar *const *services,
			       guint lifetime,
			       GError **error);
void
iot_service_server_insert_tunnel(IotServiceServer *self, IotServiceTunnel *tunnel);
void
iot_service_server_delete_tunnel(IotServiceServer *self, IotServiceTunnel *tunnel);
gboolean
iot_service_server_rotate_token(IotServiceServer *self,
				IotServiceTunnel *tunnel,
				IotTunnelMode mode,
				GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_service_server_enable_aws_api(IotServiceServer *self,
				  IotServiceCredentials *credentials,
				  const gchar *region,
				  const gchar *account_id);
IotServiceTunnel *
iot_service_server_lookup_tunnel(IotServiceServer *self, const gchar *tunnel_id);
GPtrArray *
iot_service_server_get_tunnels(IotServiceServer *self);
void
iot_service_server_shutdown(IotServiceServer *self);
void
iot_service_server_cut_all(IotServiceServer *self);
guint
iot_service_server_get_n_peers(IotServiceServer *self);

G_END_DECLS
