/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#include "iot-export.h"

G_BEGIN_DECLS

/**
 * IotPluginKind:
 * @IOT_PLUGIN_KIND_TRANSPORT: implements #IotTransport
 * @IOT_PLUGIN_KIND_CODEC: implements #IotCodec (one protocol version)
 * @IOT_PLUGIN_KIND_ENDPOINT: implements #IotEndpoint
 *
 * What a plugin provides.
 */
typedef enum {
	IOT_PLUGIN_KIND_TRANSPORT,
	IOT_PLUGIN_KIND_CODEC,
	IOT_PLUGIN_KIND_ENDPOINT,
} IotPluginKind;

/**
 * IotPluginInfo:
 * @abi_version: %IOT_PLUGIN_ABI_VERSION of the SDK the plugin was built with
 * @kind: what the plugin provides
 * @name: the name a profile uses, unique within @kind ("tcp", "v3", "websocket")
 * @version: the plugin's own version
 * @description: one line saying what it does
 * @settings_schema: (nullable): a JSON schema of its settings in a profile
 * @get_type: returns the #GType to instantiate; it implements the @kind's interface
 * @init: (nullable): called once, after the loader accepted the declaration
 *   and before any instance is made; returns %FALSE with @error set when the
 *   plugin cannot work on this system (a device, kernel feature or library
 *   is missing), and the loader then refuses the plugin. Added in ABI 1 in
 *   place of a padding slot: a plugin that does not set it has none.
 *
 * What a plugin module declares through its exported `iot_plugin_query()`.
 * The loader reads @abi_version before it uses anything else.
 */
typedef struct {
	guint32 abi_version;
	IotPluginKind kind;
	const gchar *name;
	const gchar *version;
	const gchar *description;
	const gchar *settings_schema;
	GType (*get_type)(void);
	gboolean (*init)(GError **error);
	/*< private >*/
	gpointer padding[7];
} IotPluginInfo;

/* the symbol every plugin module exports, and its type */
#define IOT_PLUGIN_QUERY_SYMBOL "iot_plugin_query"
typedef const IotPluginInfo *(*IotPluginQueryFunc)(void);

/* marks the one symbol a plugin module exports */
#define IOT_PLUGIN_EXPORT __attribute__((visibility("default")))

IOT_EXPORT
const gchar *
iot_plugin_kind_to_string(IotPluginKind kind);

G_END_DECLS
