/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if defined(IOTUNNEL_COMPILATION)
#define IOT_EXPORT __attribute__((visibility("default")))
#else
#define IOT_EXPORT
#endif

/* the plugin ABI this SDK was built for; a plugin declares it and the loader compares */
#define IOT_PLUGIN_ABI_VERSION 1

/* the largest protobuf Message payload (PROTOCOL.md section 2) */
#define IOT_MESSAGE_MAX_PAYLOAD 64512

/* the largest WebSocket message payload, both directions */
#define IOT_WEBSOCKET_MAX_PAYLOAD 131076
