/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-daemon.h"
#include "iot-dbus-store.h"

G_BEGIN_DECLS

#define IOT_TYPE_DBUS_SERVICE (iot_dbus_service_get_type())
G_DECLARE_FINAL_TYPE(IotDBusService, iot_dbus_service, IOT, DBUS_SERVICE, GObject)

IotDBusService *
iot_dbus_service_new(IotDaemon *daemon, IotDBusStore *store);
void
iot_dbus_service_restore(IotDBusService *self);
gboolean
iot_dbus_service_export(IotDBusService *self,
			GDBusConnection *connection,
			GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_dbus_service_unexport(IotDBusService *self);
void
iot_dbus_service_cancel_calls(IotDBusService *self);
gboolean
iot_dbus_service_has_calls(IotDBusService *self);
gchar *
iot_dbus_service_default_state_directory(GBusType bus_type);
gint
iot_dbus_service_run(IotPluginRegistry *registry, GBusType bus_type, const gchar *profile_path);

G_END_DECLS
