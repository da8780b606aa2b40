/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_EXEC_ENDPOINT_DEFAULT_GRACE_MS 2000
#define IOT_EXEC_ENDPOINT_MAX_GRACE_MS 600000

#define IOT_TYPE_EXEC_ENDPOINT (iot_exec_endpoint_get_type())
G_DECLARE_FINAL_TYPE(IotExecEndpoint, iot_exec_endpoint, IOT, EXEC_ENDPOINT, GObject)

/* the JSON schema of the settings, for IotPluginInfo */
extern const gchar iot_exec_endpoint_settings_schema[];

IotEndpoint *
iot_exec_endpoint_new(void);

G_END_DECLS
