/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IOT_CLI_ERROR iot_cli_error_quark()

/**
 * IotCliError:
 * @IOT_CLI_ERROR_USAGE: the options contradict each other or are malformed
 * @IOT_CLI_ERROR_FILE: a file named by an option cannot be read, written or parsed
 *
 * Why the reference-style command line was refused. Every message is one
 * sentence for the user, naming the option, file and line at fault and saying
 * how to fix it; iotunneld exits with status 2 for both codes.
 */
typedef enum {
	IOT_CLI_ERROR_USAGE,
	IOT_CLI_ERROR_FILE,
} IotCliError;

/* the largest --config, --config-dir or --settings-json file read; real ones are tiny */
#define IOT_CLI_FILE_MAX (1024 * 1024)

GQuark
iot_cli_error_quark(void);

GBytes *
iot_cli_read_file(const gchar *path, GError **error);
gchar *
iot_cli_next_line(gchar **cursor);

G_END_DECLS
