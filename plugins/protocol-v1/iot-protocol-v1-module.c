/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v1-codec.h"

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	static const IotPluginInfo info = {
	    .abi_version = IOT_PLUGIN_ABI_VERSION,
	    .kind = IOT_PLUGIN_KIND_CODEC,
	    .name = "v1",
	    .version = PACKAGE_VERSION,
	    .description = "protocol V1: one stream carrying one connection, no service IDs",
	    .settings_schema = NULL,
	    .get_type = iot_v1_codec_get_type,
	};
	return &info;
}
