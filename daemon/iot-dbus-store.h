/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-profile.h"

G_BEGIN_DECLS

#define IOT_TYPE_DBUS_STORE (iot_dbus_store_get_type())
G_DECLARE_FINAL_TYPE(IotDBusStore, iot_dbus_store, IOT, DBUS_STORE, GObject)

IotDBusStore *
iot_dbus_store_new(const gchar *directory);
const gchar *
iot_dbus_store_get_directory(IotDBusStore *self);
gboolean
iot_dbus_store_save(IotDBusStore *self,
		    IotProfileTunnel *tunnel,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_dbus_store_delete(IotDBusStore *self, const gchar *name);
GPtrArray *
iot_dbus_store_load(IotDBusStore *self);

G_END_DECLS
