/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the reference's verbosity: 0 off, 1 fatal, 2 error, 3 warn, 4 info, 5 debug, 6 trace */
#define IOT_LOG_VERBOSITY_DEFAULT 4
#define IOT_LOG_VERBOSITY_MAX 6

#define IOT_LOG_ERROR iot_log_error_quark()

/**
 * IotLogError:
 * @IOT_LOG_ERROR_OPEN: the log file cannot be opened
 */
typedef enum {
	IOT_LOG_ERROR_OPEN,
} IotLogError;

GQuark
iot_log_error_quark(void);
void
iot_log_setup(guint verbosity);
gboolean
iot_log_set_file(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_log_reopen(GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_log_has_file(void);

G_END_DECLS
