/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define IOT_TYPE_PROFILE_SERVICE (iot_profile_service_get_type())
G_DECLARE_FINAL_TYPE(IotProfileService, iot_profile_service, IOT, PROFILE_SERVICE, GObject)

IotProfileService *
iot_profile_service_new(const gchar *id, const gchar *endpoint, JsonObject *settings);
const gchar *
iot_profile_service_get_id(IotProfileService *self);
const gchar *
iot_profile_service_get_endpoint(IotProfileService *self);
JsonObject *
iot_profile_service_get_settings(IotProfileService *self);
gboolean
iot_profile_services_parse(JsonObject *object,
			   const gchar *origin,
			   const gchar *json_path,
			   GPtrArray *services_out,
			   GError **error);

G_END_DECLS
