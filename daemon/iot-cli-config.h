/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-options.h"

G_BEGIN_DECLS

gboolean
iot_cli_config_load(IotCliOptions *options,
		    const gchar *path,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_cli_config_load_data(IotCliOptions *options, gchar *data, const gchar *path, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
