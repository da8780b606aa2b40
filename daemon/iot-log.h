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
 * IotLogStyle:
 * @IOT_LOG_STYLE_IOTUNNELD: iotunneld's lines, as in its --log-file
 * @IOT_LOG_STYLE_LOCALPROXY: the reference local proxy's lines, for the
 *   program run as localproxy
 *
 * The shape of the log lines on stderr.
 */
typedef enum {
	IOT_LOG_STYLE_IOTUNNELD,
	IOT_LOG_STYLE_LOCALPROXY,
} IotLogStyle;

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
iot_log_setup(guint verbosity, IotLogStyle style);
gboolean
iot_log_set_file(const gchar *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_log_reopen(GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_log_has_file(void);
guint
iot_log_watch_hangup(void);

G_END_DECLS
