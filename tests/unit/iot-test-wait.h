/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How a test waits: the main context iterated until a condition holds, up to a deadline. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* what a test waits at most, unless it says otherwise, for something that should happen */
#define IOT_TEST_WAIT_DEFAULT_MS 20000

typedef struct _IotTestWait IotTestWait;

guint
iot_test_timeout_ms(guint timeout_ms);

IotTestWait *
iot_test_wait_begin(guint timeout_ms);
gboolean
iot_test_wait_iterate(IotTestWait *wait);
void
iot_test_wait_end(IotTestWait *wait);

/*
 * Iterates the default main context until @cond holds, and fails the test
 * if it still does not after iot_test_timeout_ms(@timeout_ms). @cond is checked at
 * least every 10 ms, so it may read what another thread sets (atomically).
 */
#define IOT_TEST_WAIT_UNTIL_MS(cond, timeout_ms)                                                   \
	G_STMT_START                                                                               \
	{                                                                                          \
		IotTestWait *iot_test_wait_ = iot_test_wait_begin(timeout_ms);                     \
		while (!(cond) && iot_test_wait_iterate(iot_test_wait_))                           \
			;                                                                          \
		iot_test_wait_end(iot_test_wait_);                                                 \
		if (!(cond))                                                                       \
			g_assertion_message_expr(G_LOG_DOMAIN,                                     \
						 __FILE__,                                         \
						 __LINE__,                                         \
						 G_STRFUNC,                                        \
						 "timed out waiting for " #cond);                  \
	}                                                                                          \
	G_STMT_END

#define IOT_TEST_WAIT_UNTIL(cond) IOT_TEST_WAIT_UNTIL_MS(cond, IOT_TEST_WAIT_DEFAULT_MS)

/* iterates the default main context for @ms, to see that something does not happen */
void
iot_test_run_for(guint ms);

G_END_DECLS
