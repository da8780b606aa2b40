/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v2-codec.h"

IOT_CODEC_PLUGIN_DEFINE("v2",
			"protocol V2: one stream per service (multi-port), service IDs",
			iot_v2_codec_get_type)
