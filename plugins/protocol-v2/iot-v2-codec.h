/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_V2_CODEC (iot_v2_codec_get_type())
G_DECLARE_FINAL_TYPE(IotV2Codec, iot_v2_codec, IOT, V2_CODEC, GObject)

IotV2Codec *
iot_v2_codec_new(void);

G_END_DECLS
