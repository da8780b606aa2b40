/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Maps the protocol's subprotocols to their versions and back. */

#include "config.h"

#include "iot-subprotocol.h"

static const gchar *const iot_subprotocols[] = {
    IOT_SUBPROTOCOL_V1,
    IOT_SUBPROTOCOL_V2,
    IOT_SUBPROTOCOL_V3,
};

/**
 * iot_subprotocol_for_version:
 * @version: a protocol version, 1 to 3
 *
 * Returns: (nullable): the subprotocol of @version (%IOT_SUBPROTOCOL_V3 for
 *   3), or %NULL for a version the protocol does not have
 */
const gchar *
iot_subprotocol_for_version(guint version)
{
	if (version < IOT_SUBPROTOCOL_VERSION_MIN || version > IOT_SUBPROTOCOL_VERSION_MAX)
		return NULL;
	return iot_subprotocols[version - IOT_SUBPROTOCOL_VERSION_MIN];
}

/**
 * iot_subprotocol_get_version:
 * @subprotocol: (nullable): a `Sec-WebSocket-Protocol` value
 *
 * Returns: the protocol version @subprotocol stands for, 1 to 3, or 0 when
 *   it is none of the protocol's
 */
guint
iot_subprotocol_get_version(const gchar *subprotocol)
{
	for (guint i = 0; i < G_N_ELEMENTS(iot_subprotocols); i++) {
		if (g_strcmp0(subprotocol, iot_subprotocols[i]) == 0)
			return i + IOT_SUBPROTOCOL_VERSION_MIN;
	}
	return 0;
}
