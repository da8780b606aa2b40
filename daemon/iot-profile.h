/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-profile-common.h"
#include "iot-profile-service.h"
#include "iot-profile-tunnel.h"

G_BEGIN_DECLS

/* the largest profile file read; real ones are a few KiB */
#define IOT_PROFILE_FILE_MAX (1024 * 1024)

#define IOT_TYPE_PROFILE (iot_profile_get_type())
G_DECLARE_FINAL_TYPE(IotProfile, iot_profile, IOT, PROFILE, GObject)

IotProfile *
iot_profile_new_from_file(const gchar *path, GError **error);
IotProfile *
iot_profile_new_from_file_full(const gchar *path, const gchar *origin, GError **error);
IotProfile *
iot_profile_new_from_data(const gchar *json, gsize len, const gchar *origin, GError **error);
IotProfile *
iot_profile_new_from_json_node(JsonNode *node, const gchar *origin, GError **error);
const gchar *
iot_profile_get_origin(IotProfile *self);
GPtrArray *
iot_profile_get_tunnels(IotProfile *self);
JsonNode *
iot_profile_to_json(IotProfile *self, gboolean include_secrets);

G_END_DECLS
