/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-connection.h"

G_BEGIN_DECLS

/* for the daemon and tests only; never installed */

IOT_EXPORT
void
iot_connection_set_close_timeout(IotConnection *self, guint timeout_ms);

G_END_DECLS
