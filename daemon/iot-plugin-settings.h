/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include "iot-plugin-registry.h"
#include "iot-profile-tunnel.h"

G_BEGIN_DECLS

/*
 * The part of JSON Schema (2020-12) that plugins use to declare their
 * settings: type, properties, required, additionalProperties (false or a
 * schema), enum, const, minimum, maximum, minLength, maxLength, pattern,
 * items, minItems, maxItems, anyOf; the annotations $schema, $id, $comment,
 * title, description, default and examples are read and otherwise ignored.
 * A schema that uses anything else is refused when the plugin is loaded, so a
 * plugin author learns of it at once rather than from a setting that
 * silently passes.
 */

JsonNode *
iot_plugin_settings_parse_schema(const gchar *text, GError **error);
gboolean
iot_plugin_settings_validate(JsonNode *schema,
			     const IotPluginInfo *info,
			     JsonObject *settings,
			     const gchar *selector,
			     const gchar *origin,
			     const gchar *path,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_plugin_settings_describe(JsonNode *schema);
void
iot_plugin_settings_describe_members(JsonNode *schema,
				     const gchar *selector,
				     const gchar *indent,
				     GString *out);

gboolean
iot_plugin_settings_check_service(IotPluginRegistry *registry,
				  IotProfileTunnel *profile,
				  const gchar *service_id,
				  const gchar *plugin,
				  JsonObject *settings,
				  GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_plugin_settings_check_transport(IotPluginRegistry *registry,
				    IotProfileTunnel *profile,
				    GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
