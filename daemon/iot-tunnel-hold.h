/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

/* how long a connection accepted while the tunnel is not whole may wait */
#define IOT_TUNNEL_HOLD_TIMEOUT_S 30

/**
 * IotTunnelHoldFunc:
 * @service: the tunnel's service the connection is for
 * @connection: (transfer none): the connection
 * @user_data: the hold's user data
 */
typedef void (*IotTunnelHoldFunc)(gpointer service, IotConnection *connection, gpointer user_data);

#define IOT_TYPE_TUNNEL_HOLD (iot_tunnel_hold_get_type())
G_DECLARE_FINAL_TYPE(IotTunnelHold, iot_tunnel_hold, IOT, TUNNEL_HOLD, GObject)

IotTunnelHold *
iot_tunnel_hold_new(const gchar *tunnel_name,
		    IotTunnelHoldFunc hand_over,
		    IotTunnelHoldFunc start_reading,
		    gpointer user_data);
void
iot_tunnel_hold_add(IotTunnelHold *self, gpointer service, IotConnection *connection);
void
iot_tunnel_hold_start_releasing(IotTunnelHold *self, guint probation_ms);
void
iot_tunnel_hold_stop_releasing(IotTunnelHold *self);
gboolean
iot_tunnel_hold_take_back(IotTunnelHold *self, IotConnection *connection);
gboolean
iot_tunnel_hold_has(IotTunnelHold *self, IotConnection *connection);
void
iot_tunnel_hold_clear(IotTunnelHold *self);

G_END_DECLS
