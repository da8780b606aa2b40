/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v2-codec.h"

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	static const IotPluginInfo info = {
	    .abi_version = IOT_PLUGIN_ABI_VERSION,
	    .kind = IOT_PLUGIN_KIND_CODEC,
	    .name = "v2",
	    .version = PACKAGE_VERSION,
	    .description = "protocol V2: one stream per service (multi-port), service IDs",
	    .settings_schema = NULL,
	    .get_type = iot_v2_codec_get_type,
	};
	return &info;
}
