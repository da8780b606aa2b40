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
IOT_EXPORT
void
iot_connection_set_identity(IotConnection *self,
			    const gchar *tunnel,
			    gint32 stream_id,
			    guint32 connection_id);
IOT_EXPORT
gint32
iot_connection_get_stream_id(IotConnection *self);
IOT_EXPORT
guint32
iot_connection_get_connection_id(IotConnection *self);

G_END_DECLS
