/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where iotunneld is on the bus: the names both the daemon and iotunnelctl use. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define IOT_DBUS_BUS_NAME "org.iotunnel.Daemon"
#define IOT_DBUS_PATH "/org/iotunnel"
#define IOT_DBUS_TUNNEL_PATH_PREFIX "/org/iotunnel/tunnel/"
#define IOT_DBUS_TUNNEL_INTERFACE "org.iotunnel.Tunnel1"

gchar *
iot_dbus_tunnel_path(const gchar *name);

G_END_DECLS
