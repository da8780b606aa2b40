/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-service-common.h"

G_BEGIN_DECLS

#define IOT_TYPE_SERVICE_LISTENER (iot_service_listener_get_type())
G_DECLARE_FINAL_TYPE(IotServiceListener, iot_service_listener, IOT, SERVICE_LISTENER, GObject)

IotServiceListener *
iot_service_listener_new(GTlsCertificate *certificate, const IotServiceLimits *limits);
gboolean
iot_service_listener_listen(IotServiceListener *self,
			    GInetAddress *address,
			    guint16 port,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;
guint16
iot_service_listener_get_port(IotServiceListener *self);
GSocket *
iot_service_listener_get_socket(GIOStream *stream);
void
iot_service_listener_release(IotServiceListener *self, GIOStream *stream);
void
iot_service_listener_stop(IotServiceListener *self);
void
iot_service_listener_cut_all(IotServiceListener *self);
guint
iot_service_listener_get_n_connections(IotServiceListener *self);
guint
iot_service_listener_get_n_handshakes(IotServiceListener *self);

G_END_DECLS
