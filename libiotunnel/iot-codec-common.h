/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the protocol codec plugins share: their plugin declaration and their message text. */

#pragma once

#include "iot-message.h"
#include "iot-plugin.h"
#include "iot-tunnel-log.h"

G_BEGIN_DECLS

/**
 * iot_codec_describe_message:
 * @msg: a message
 *
 * Formats @msg for the debug log only while this module's debug lines show
 * (iot_tunnel_debug_enabled()): a codec receives every message, and
 * formatting each one costs more than relaying it.
 *
 * Returns: (transfer full) (nullable): iot_message_to_string(), or %NULL
 */
#define iot_codec_describe_message(msg)                                                            \
	(iot_tunnel_debug_enabled() ? iot_message_to_string(msg) : NULL)

/* what a debug line names @msg by: its text when formatted, else its type */
#define IOT_CODEC_MESSAGE_TEXT(text, msg)                                                          \
	((text) != NULL ? (text) : iot_message_type_to_string((msg)->type))

/**
 * IOT_CODEC_PLUGIN_DEFINE:
 * @plugin_name: the name a profile uses ("v1", "v2", "v3")
 * @plugin_description: one line saying what the codec does
 * @plugin_get_type: the codec's get_type function
 *
 * Defines the exported `iot_plugin_query()` of a protocol codec plugin
 * module: a codec plugin without settings, of the package's version. Use it
 * once, at file scope, in the module's source, after including config.h.
 */
#define IOT_CODEC_PLUGIN_DEFINE(plugin_name, plugin_description, plugin_get_type)                  \
	IOT_PLUGIN_EXPORT const IotPluginInfo *iot_plugin_query(void);                             \
	IOT_PLUGIN_EXPORT const IotPluginInfo *iot_plugin_query(void)                              \
	{                                                                                          \
		static const IotPluginInfo info = {                                                \
		    .abi_version = IOT_PLUGIN_ABI_VERSION,                                         \
		    .kind = IOT_PLUGIN_KIND_CODEC,                                                 \
		    .name = plugin_name,                                                           \
		    .version = PACKAGE_VERSION,                                                    \
		    .description = plugin_description,                                             \
		    .settings_schema = NULL,                                                       \
		    .get_type = plugin_get_type,                                                   \
		};                                                                                 \
		return &info;                                                                      \
	}

G_END_DECLS
