/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v3-codec.h"

IOT_CODEC_PLUGIN_DEFINE("v3",
			"protocol V3: many connections per service in one stream",
			iot_v3_codec_get_type)
