/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-plugin.h"

/**
 * iot_plugin_kind_to_string:
 * @kind: a plugin kind
 *
 * Returns: the kind as profiles and `--list-plugins` spell it
 */
const gchar *
iot_plugin_kind_to_string(IotPluginKind kind)
{
	switch (kind) {
	case IOT_PLUGIN_KIND_TRANSPORT:
		return "transport";
	case IOT_PLUGIN_KIND_CODEC:
		return "protocol";
	case IOT_PLUGIN_KIND_ENDPOINT:
		return "endpoint";
	default:
		return "unknown";
	}
}
