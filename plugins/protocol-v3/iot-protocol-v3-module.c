/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v3-codec.h"

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	static const IotPluginInfo info = {
	    .abi_version = IOT_PLUGIN_ABI_VERSION,
	    .kind = IOT_PLUGIN_KIND_CODEC,
	    .name = "v3",
	    .version = PACKAGE_VERSION,
	    .description = "protocol V3: many connections per service in one stream",
	    .settings_schema = NULL,
	    .get_type = iot_v3_codec_get_type,
	};
	return &info;
}
