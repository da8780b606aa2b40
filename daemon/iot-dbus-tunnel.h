/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-dbus-generated.h"
#include "iot-tunnel.h"

G_BEGIN_DECLS

/* PropertiesChanged for the counters comes at most this often */
#define IOT_DBUS_TUNNEL_REFRESH_MS 1000

#define IOT_TYPE_DBUS_TUNNEL (iot_dbus_tunnel_get_type())
G_DECLARE_FINAL_TYPE(IotDBusTunnel, iot_dbus_tunnel, IOT, DBUS_TUNNEL, GObject)

IotDBusTunnel *
iot_dbus_tunnel_new(IotTunnel *tunnel);
IotTunnel *
iot_dbus_tunnel_get_tunnel(IotDBusTunnel *self);
GDBusObjectSkeleton *
iot_dbus_tunnel_get_object(IotDBusTunnel *self);
const gchar *
iot_dbus_tunnel_get_path(IotDBusTunnel *self);
void
iot_dbus_tunnel_set_persistent(IotDBusTunnel *self, gboolean persistent);
gboolean
iot_dbus_tunnel_get_persistent(IotDBusTunnel *self);

G_END_DECLS
