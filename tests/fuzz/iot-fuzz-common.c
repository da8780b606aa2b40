/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-fuzz.h"

static GLogLevelFlags iot_fuzz_fatal;

/*
 * A fatal message is shown and aborts: SIGABRT, which libFuzzer catches to
 * keep the input, where GLib's own end would be a SIGTRAP it does not catch.
 * The rest are dropped, unformatted, to keep runs fast.
 */
static GLogWriterOutput
iot_fuzz_log_writer(GLogLevelFlags log_level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	if ((log_level & (iot_fuzz_fatal | G_LOG_FLAG_FATAL)) != 0) {
		g_log_writer_standard_streams(log_level, fields, n_fields, user_data);
		g_abort();
	}
	if (g_getenv("IOT_FUZZ_VERBOSE") != NULL)
		return g_log_writer_standard_streams(log_level, fields, n_fields, user_data);
	return G_LOG_WRITER_HANDLED;
}

/**
 * iot_fuzz_init:
 * @fatal: the levels that are a finding, on top of errors
 *
 * Sets up logging for a target, once: a message at a level in @fatal
 * aborts the run, and every other message is dropped.
 */
void
iot_fuzz_init(GLogLevelFlags fatal)
{
	iot_fuzz_fatal = fatal | G_LOG_LEVEL_ERROR;
	g_log_set_always_fatal(fatal);
	g_log_set_writer_func(iot_fuzz_log_writer, NULL, NULL);
}

/* the input as a string; an embedded NUL ends it early, as in a file read as text */
gchar *
iot_fuzz_strndup(const guint8 *data, gsize size)
{
	return g_strndup((const gchar *)data, size);
}
