/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where iotunneld is on the bus: the object path of a tunnel. */

#include "config.h"

#include "iot-dbus-names.h"

/**
 * iot_dbus_tunnel_path:
 * @name: a tunnel name
 *
 * Returns: (transfer full): the object path of the tunnel of that name
 */
gchar *
iot_dbus_tunnel_path(const gchar *name)
{
	g_autofree gchar *escaped = g_dbus_escape_object_path(name);
	return g_strconcat(IOT_DBUS_TUNNEL_PATH_PREFIX, escaped, NULL);
}
