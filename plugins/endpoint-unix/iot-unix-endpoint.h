/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_UNIX_ENDPOINT (iot_unix_endpoint_get_type())
G_DECLARE_FINAL_TYPE(IotUnixEndpoint, iot_unix_endpoint, IOT, UNIX_ENDPOINT, GObject)

/* the JSON schema of the settings, for IotPluginInfo */
extern const gchar iot_unix_endpoint_settings_schema[];

IotEndpoint *
iot_unix_endpoint_new(void);

G_END_DECLS
