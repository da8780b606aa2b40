/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v1-codec.h"

IOT_CODEC_PLUGIN_DEFINE("v1",
			"protocol V1: one stream carrying one connection, no service IDs",
			iot_v1_codec_get_type)
