/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_TCP_ENDPOINT (iot_tcp_endpoint_get_type())
G_DECLARE_FINAL_TYPE(IotTcpEndpoint, iot_tcp_endpoint, IOT, TCP_ENDPOINT, GObject)

/* the JSON schema of the settings, for IotPluginInfo */
extern const gchar iot_tcp_endpoint_settings_schema[];

IotEndpoint *
iot_tcp_endpoint_new(void);
const gchar *
iot_tcp_endpoint_get_local_address(IotTcpEndpoint *self);

G_END_DECLS
