/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_V3_CODEC (iot_v3_codec_get_type())
G_DECLARE_FINAL_TYPE(IotV3Codec, iot_v3_codec, IOT, V3_CODEC, GObject)

IotV3Codec *
iot_v3_codec_new(void);

G_END_DECLS
