/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_PLUGIN_ERROR iot_plugin_error_quark()

/**
 * IotPluginError:
 * @IOT_PLUGIN_ERROR_NOT_FOUND: no plugin of that kind and name is loaded
 * @IOT_PLUGIN_ERROR_LOAD: the module could not be opened or has no entry point
 * @IOT_PLUGIN_ERROR_ABI: the module was built for another plugin ABI
 * @IOT_PLUGIN_ERROR_INVALID: the module's declaration is incomplete or wrong
 * @IOT_PLUGIN_ERROR_DUPLICATE: a plugin of that kind and name is already loaded
 * @IOT_PLUGIN_ERROR_INIT: the plugin's init hook failed: it cannot work here
 */
typedef enum {
	IOT_PLUGIN_ERROR_NOT_FOUND,
	IOT_PLUGIN_ERROR_LOAD,
	IOT_PLUGIN_ERROR_ABI,
	IOT_PLUGIN_ERROR_INVALID,
	IOT_PLUGIN_ERROR_DUPLICATE,
	IOT_PLUGIN_ERROR_INIT,
} IotPluginError;

#define IOT_TYPE_PLUGIN_REGISTRY (iot_plugin_registry_get_type())
G_DECLARE_FINAL_TYPE(IotPluginRegistry, iot_plugin_registry, IOT, PLUGIN_REGISTRY, GObject)

GQuark
iot_plugin_error_quark(void);
IotPluginRegistry *
iot_plugin_registry_new(void);
gboolean
iot_plugin_registry_load_module(IotPluginRegistry *self,
				const gchar *path,
				GError **error) G_GNUC_WARN_UNUSED_RESULT;
guint
iot_plugin_registry_load_directory(IotPluginRegistry *self, const gchar *path);
GStrv
iot_plugin_registry_dup_search_path(void);
guint
iot_plugin_registry_load_default(IotPluginRegistry *self);
const IotPluginInfo *
iot_plugin_registry_lookup(IotPluginRegistry *self,
			   IotPluginKind kind,
			   const gchar *name,
			   GError **error);
const IotPluginInfo *
iot_plugin_registry_lookup_at(IotPluginRegistry *self,
			      IotPluginKind kind,
			      const gchar *name,
			      const gchar *origin,
			      const gchar *path,
			      GError **error);
GObject *
iot_plugin_registry_create(IotPluginRegistry *self,
			   IotPluginKind kind,
			   const gchar *name,
			   GError **error);
const gchar *
iot_plugin_registry_get_path(IotPluginRegistry *self, const IotPluginInfo *info);
JsonNode *
iot_plugin_registry_get_schema(IotPluginRegistry *self, const IotPluginInfo *info);
gchar *
iot_plugin_registry_describe(IotPluginRegistry *self);
GPtrArray *
iot_plugin_registry_get_plugins(IotPluginRegistry *self);
GPtrArray *
iot_plugin_registry_get_failures(IotPluginRegistry *self);

G_END_DECLS
