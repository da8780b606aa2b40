/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* a token that must never show in any log line, at any level */
#define IOT_TEST_ACCESS_TOKEN "tok-5ecret-AVOID-IN-LOGS-0123456789"
#define IOT_TEST_CLIENT_TOKEN "client-5ecret-0123456789abcdef0123456789"

void
iot_test_log_capture_init(void);
const gchar *
iot_test_log_capture_get(void);
void
iot_test_log_capture_assert_no_secret(void);

gboolean
iot_test_wait_wake_cb(gpointer user_data);

/* iterates the main context until @cond holds; fails the test after @timeout_ms */
#define IOT_TEST_WAIT_UNTIL(cond, timeout_ms)                                                      \
	G_STMT_START                                                                               \
	{                                                                                          \
		gint64 iot_deadline_ = g_get_monotonic_time() + (gint64)(timeout_ms)*1000;         \
		guint iot_wake_ = g_timeout_add(5, iot_test_wait_wake_cb, NULL);                   \
		while (!(cond) && g_get_monotonic_time() < iot_deadline_)                          \
			g_main_context_iteration(NULL, TRUE);                                      \
		g_source_remove(iot_wake_);                                                        \
		if (!(cond))                                                                       \
			g_assertion_message_expr(G_LOG_DOMAIN,                                     \
						 __FILE__,                                         \
						 __LINE__,                                         \
						 G_STRFUNC,                                        \
						 "timed out waiting for " #cond);                  \
	}                                                                                          \
	G_STMT_END

/* iterates the main context for @ms, to see that something does not happen */
void
iot_test_run_for(guint ms);

guint16
iot_test_unused_port(void);

/* whether something accepts connections on 127.0.0.1:@port */
gboolean
iot_test_port_listening(guint16 port);

/*
 * Waits until a program started by the test accepts connections on
 * 127.0.0.1:@port, without iterating the main context; fails the test
 * after @timeout_ms.
 */
void
iot_test_wait_listening(guint16 port, guint timeout_ms);

G_END_DECLS
