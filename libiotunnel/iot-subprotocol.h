/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The protocol's WebSocket subprotocols, spelled once, and their versions. */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

/* the three `Sec-WebSocket-Protocol` values of PROTOCOL.md section 1 */
#define IOT_SUBPROTOCOL_PREFIX "aws.iot.securetunneling-"
#define IOT_SUBPROTOCOL_V1 IOT_SUBPROTOCOL_PREFIX "1.0"
#define IOT_SUBPROTOCOL_V2 IOT_SUBPROTOCOL_PREFIX "2.0"
#define IOT_SUBPROTOCOL_V3 IOT_SUBPROTOCOL_PREFIX "3.0"

/* for messages that name them all */
#define IOT_SUBPROTOCOLS_TEXT IOT_SUBPROTOCOL_V1 ", -2.0 or -3.0"

#define IOT_SUBPROTOCOL_VERSION_MIN 1
#define IOT_SUBPROTOCOL_VERSION_MAX 3

IOT_EXPORT
const gchar *
iot_subprotocol_for_version(guint version);
IOT_EXPORT
guint
iot_subprotocol_get_version(const gchar *subprotocol);

G_END_DECLS
