/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* a port on 127.0.0.1 nothing listens on, as far as one can tell */
guint16
iot_test_unused_port(void);

/* whether something accepts connections on 127.0.0.1:@port */
gboolean
iot_test_port_listening(guint16 port);

/*
 * Waits until a program started by the test accepts connections on
 * 127.0.0.1:@port; fails the test after @timeout_ms.
 */
void
iot_test_wait_listening(guint16 port, guint timeout_ms);

G_END_DECLS
