/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-mapping.h"

G_BEGIN_DECLS

/* the reference's default: "config" in the working directory */
#define IOT_CLI_CONFIG_DIR_DEFAULT "./config"

/* more files than this in a --config-dir is a mistake, not a set of mappings */
#define IOT_CLI_CONFIG_DIR_FILES_MAX 1000

gboolean
iot_cli_config_dir_load_data(GPtrArray *mappings,
			     gchar *data,
			     const gchar *path,
			     gboolean source,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_cli_config_dir_check(const gchar *dir, GError **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray *
iot_cli_config_dir_read(const gchar *dir, gboolean source, GError **error);

G_END_DECLS
