/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-tcp-endpoint.h"

const IotPluginInfo *
iot_plugin_query(void);

static const IotPluginInfo iot_endpoint_tcp_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = "tcp",
    .version = PACKAGE_VERSION,
    .description = "TCP listener (source) and connector (destination), IPv4 and IPv6",
    .settings_schema = iot_tcp_endpoint_settings_schema,
    .get_type = iot_tcp_endpoint_get_type,
};

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_endpoint_tcp_info;
}
