/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-options.h"

G_BEGIN_DECLS

/* where --help wraps its text */
#define IOT_CLI_HELP_WIDTH 79

gchar *
iot_cli_help_option_spec(const IotCliOptionInfo *info);
const gchar *
iot_cli_help_group_title(IotCliGroup group);
gchar *
iot_cli_help_text(void);

G_END_DECLS
