/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-log.h"

#include <stdio.h>

static guint iot_log_verbosity = IOT_LOG_VERBOSITY_DEFAULT;

/* the least verbosity at which a GLib level shows */
static guint
iot_log_level_verbosity(GLogLevelFlags log_level)
{
	if (log_level & G_LOG_LEVEL_ERROR)
		return 1;
	if (log_level & G_LOG_LEVEL_CRITICAL)
		return 2;
	if (log_level & G_LOG_LEVEL_WARNING)
		return 3;
	if (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return 4;
	return 5;
}

static GLogWriterOutput
iot_log_writer(GLogLevelFlags log_level,
	       const GLogField *fields,
	       gsize n_fields,
	       gpointer user_data)
{
	if (iot_log_level_verbosity(log_level) > iot_log_verbosity)
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)) &&
	    g_log_writer_journald(log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(log_level, fields, n_fields, user_data);
}

/**
 * iot_log_setup:
 * @verbosity: 0 (nothing) to 6 (everything), as the reference's `-v`
 *
 * Routes GLib's structured log to the journal when stderr is connected to
 * it, else to stderr, keeping what the verbosity asks for.
 */
void
iot_log_setup(guint verbosity)
{
	iot_log_verbosity = MIN(verbosity, IOT_LOG_VERBOSITY_MAX);
	if (iot_log_verbosity >= 5)
		g_log_set_debug_enabled(TRUE);
	g_log_set_writer_func(iot_log_writer, NULL, NULL);
}
