/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-test-wait.h"

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

/* iterates the main context for @ms, to see that something does not happen */

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
