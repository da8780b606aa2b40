/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-unix-endpoint.h"

const IotPluginInfo *
iot_plugin_query(void);

static const IotPluginInfo iot_endpoint_unix_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = "unix",
    .version = PACKAGE_VERSION,
    .description = "Unix stream socket listener (source) and connector (destination)",
    .settings_schema = iot_unix_endpoint_settings_schema,
    .get_type = iot_unix_endpoint_get_type,
};

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_endpoint_unix_info;
}
