/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

#include "iot-message.h"

G_BEGIN_DECLS

#define IOT_FRAME_ERROR iot_frame_error_quark()

/**
 * IotFrameError:
 * @IOT_FRAME_ERROR_ZERO_LENGTH: a frame's length prefix is zero
 * @IOT_FRAME_ERROR_OVERSIZED: a frame's length is above the decoder's limit, or
 *   would be once the Message is encoded again
 * @IOT_FRAME_ERROR_MALFORMED: the frame body is not a valid Message: broken
 *   wire format, a field with the wrong wire type, a string not UTF-8
 * @IOT_FRAME_ERROR_UNKNOWN_FIELD: the Message carries a field outside the schema
 * @IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE: the payload is over %IOT_MESSAGE_MAX_PAYLOAD
 * @IOT_FRAME_ERROR_INVALID_TYPE: the Message has no type (0)
 *
 * Errors of the frame decoder and encoder.
 */
typedef enum {
	IOT_FRAME_ERROR_ZERO_LENGTH,
	IOT_FRAME_ERROR_OVERSIZED,
	IOT_FRAME_ERROR_MALFORMED,
	IOT_FRAME_ERROR_UNKNOWN_FIELD,
	IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE,
	IOT_FRAME_ERROR_INVALID_TYPE,
} IotFrameError;

/* a payload of IOT_MESSAGE_MAX_PAYLOAD plus room for every other field */
#define IOT_FRAME_MAX_LENGTH (IOT_MESSAGE_MAX_PAYLOAD + 512)

#define IOT_TYPE_FRAME_DECODER (iot_frame_decoder_get_type())
IOT_EXPORT
G_DECLARE_FINAL_TYPE(IotFrameDecoder, iot_frame_decoder, IOT, FRAME_DECODER, GObject)

IOT_EXPORT
GQuark
iot_frame_error_quark(void);
IOT_EXPORT
IotFrameDecoder *
iot_frame_decoder_new(void);
IOT_EXPORT
void
iot_frame_decoder_push(IotFrameDecoder *self, GBytes *bytes);
IOT_EXPORT
IotMessage *
iot_frame_decoder_next(IotFrameDecoder *self, GError **error);
IOT_EXPORT
gsize
iot_frame_decoder_get_buffered(IotFrameDecoder *self);
IOT_EXPORT
IotMessage *
iot_frame_decode_body(const guint8 *data, gsize len, GError **error);

G_END_DECLS
