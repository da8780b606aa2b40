/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_V1_CODEC (iot_v1_codec_get_type())
G_DECLARE_FINAL_TYPE(IotV1Codec, iot_v1_codec, IOT, V1_CODEC, GObject)

IotV1Codec *
iot_v1_codec_new(void);

G_END_DECLS
