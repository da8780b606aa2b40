/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How a test waits: the main context iterated until a condition holds, up to a deadline. */

#include "config.h"

#include "iot-test-wait.h"

/* how often a waiting test looks at its condition again when nothing else happens */
#define IOT_TEST_WAIT_TICK_MS 10

struct _IotTestWait {
	gint64 deadline;
	GSource *tick;
};

static gboolean
iot_test_wait_tick_cb(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

/**
 * iot_test_timeout_ms:
 * @timeout_ms: a deadline as a test gives it
 *
 * Returns: @timeout_ms times IOTUNNEL_TEST_TIMEOUT_SCALE when that is set
 *   (scripts/valgrind sets it: every process runs many times slower there)
 */
guint
iot_test_timeout_ms(guint timeout_ms)
{
	const gchar *text = g_getenv("IOTUNNEL_TEST_TIMEOUT_SCALE");
	guint64 scale = 1;

	if (text != NULL && !g_ascii_string_to_unsigned(text, 10, 1, 1000, &scale, NULL))
		g_error("IOTUNNEL_TEST_TIMEOUT_SCALE=%s is not a whole number from 1 to 1000",
			text);
	return (guint)MIN((guint64)timeout_ms * scale, G_MAXUINT / 2);
}

IotTestWait *
iot_test_wait_begin(guint timeout_ms)
{
	IotTestWait *wait = g_new0(IotTestWait, 1);

	wait->deadline = g_get_monotonic_time() +
			 (gint64)iot_test_timeout_ms(timeout_ms) * G_TIME_SPAN_MILLISECOND;
	wait->tick = g_timeout_source_new(IOT_TEST_WAIT_TICK_MS);
	g_source_set_callback(wait->tick, iot_test_wait_tick_cb, NULL, NULL);
	g_source_attach(wait->tick, g_main_context_get_thread_default());
	return wait;
}

/* one iteration of the main context; %FALSE once the deadline has passed */
gboolean
iot_test_wait_iterate(IotTestWait *wait)
{
	if (g_get_monotonic_time() >= wait->deadline)
		return FALSE;
	g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
	return TRUE;
}

void
iot_test_wait_end(IotTestWait *wait)
{
	g_source_destroy(wait->tick);
	g_source_unref(wait->tick);
	g_free(wait);
}

static gboolean
iot_test_run_for_done_cb(gpointer user_data)
{
	gboolean *done = user_data;
	*done = TRUE;
	return G_SOURCE_REMOVE;
}

void
iot_test_run_for(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, iot_test_run_for_done_cb, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}
