/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-websocket-transport.h"

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

static const IotPluginInfo iot_transport_websocket_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_TRANSPORT,
    .name = "websocket",
    .version = PACKAGE_VERSION,
    .description = "WebSocket over TLS to the tunneling service, with web proxy support",
    .settings_schema = IOT_WEBSOCKET_TRANSPORT_SETTINGS_SCHEMA,
    .get_type = iot_websocket_transport_get_type,
};

/**
 * iot_plugin_query:
 *
 * Returns: (transfer none): what this plugin provides
 */
IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_transport_websocket_info;
}
