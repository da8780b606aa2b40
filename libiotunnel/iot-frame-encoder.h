/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#include "iot-frame-decoder.h"

G_BEGIN_DECLS

#define IOT_TYPE_FRAME_ENCODER (iot_frame_encoder_get_type())
IOT_EXPORT
G_DECLARE_FINAL_TYPE(IotFrameEncoder, iot_frame_encoder, IOT, FRAME_ENCODER, GObject)

IOT_EXPORT
IotFrameEncoder *
iot_frame_encoder_new(gsize max_payload);
IOT_EXPORT
gboolean
iot_frame_encoder_add(IotFrameEncoder *self,
		      const IotMessage *msg,
		      GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
GBytes *
iot_frame_encoder_pop(IotFrameEncoder *self);
IOT_EXPORT
gsize
iot_frame_encoder_get_pending(IotFrameEncoder *self);
IOT_EXPORT
GBytes *
iot_frame_encode(const IotMessage *msg, GError **error);

G_END_DECLS
