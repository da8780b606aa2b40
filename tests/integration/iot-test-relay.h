/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A TCP relay on 127.0.0.1 in front of a local port, to cut the network
 * between a proxy and the service and bring it back: cutting stops
 * listening and resets every relayed connection; restoring listens again on
 * the same port. Threads do the relaying, so the test may block meanwhile.
 */
typedef struct _IotTestRelay IotTestRelay;

IotTestRelay *
iot_test_relay_new(guint16 target_port, GError **error);
guint16
iot_test_relay_get_port(IotTestRelay *self);
void
iot_test_relay_cut(IotTestRelay *self);
gboolean
iot_test_relay_restore(IotTestRelay *self, GError **error);
void
iot_test_relay_free(IotTestRelay *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotTestRelay, iot_test_relay_free)

G_END_DECLS
