/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-common.h"

#include <string.h>

static GString *iot_test_log = NULL;

/* keeps every line of every level, then lets GLib's writer print it as usual */
static GLogWriterOutput
iot_test_log_writer(GLogLevelFlags level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") != 0 &&
		    g_strcmp0(fields[i].key, "GLIB_DOMAIN") != 0)
			continue;
		if (fields[i].length < 0)
			g_string_append(iot_test_log, fields[i].value);
		else
			g_string_append_len(iot_test_log, fields[i].value, fields[i].length);
		g_string_append_c(iot_test_log, ' ');
	}
	g_string_append_c(iot_test_log, '\n');
	return g_log_writer_default(level, fields, n_fields, user_data);
}

void
iot_test_log_capture_init(void)
{
	iot_test_log = g_string_new(NULL);
	g_log_set_writer_func(iot_test_log_writer, NULL, NULL);
}

const gchar *
iot_test_log_capture_get(void)
{
	return iot_test_log->str;
}

void
iot_test_log_capture_assert_no_secret(void)
{
	g_assert_null(strstr(iot_test_log->str, IOT_TEST_ACCESS_TOKEN));
	g_assert_null(strstr(iot_test_log->str, IOT_TEST_CLIENT_TOKEN));
}

gboolean
iot_test_wait_wake_cb(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

static gboolean
iot_test_run_for_cb(gpointer user_data)
{
	gboolean *done = user_data;
	*done = TRUE;
	return G_SOURCE_REMOVE;
}

void
iot_test_run_for(guint ms)
{
	gboolean done = FALSE;
	g_timeout_add(ms, iot_test_run_for_cb, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}
