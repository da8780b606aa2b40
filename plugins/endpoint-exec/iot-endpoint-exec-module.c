/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-exec-endpoint.h"

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

static const IotPluginInfo iot_endpoint_exec_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = "exec",
    .version = PACKAGE_VERSION,
    .description = "Runs a command for each connection (destination), the stream on its "
		   "stdin and stdout",
    .settings_schema = iot_exec_endpoint_settings_schema,
    .get_type = iot_exec_endpoint_get_type,
};

/**
 * iot_plugin_query:
 *
 * Returns: (transfer none): what this plugin provides
 */
IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_endpoint_exec_info;
}
