/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-frame-encoder.h"

#include "securetunneling.pb-c.h"

/*
 * Packs frames back to back into WebSocket payloads of at most @max_payload
 * bytes. A frame never straddles two payloads: the reference and the service
 * both accept a frame per message, and whole frames keep every payload
 * decodable on its own.
 */
struct _IotFrameEncoder {
	GObject parent_instance;
	gsize max_payload;
	GQueue ready;	  /* of GBytes, full payloads oldest first */
	GByteArray *open; /* the payload being filled */
	gsize pending;	  /* bytes in @ready and @open */
};

G_DEFINE_FINAL_TYPE(IotFrameEncoder, iot_frame_encoder, G_TYPE_OBJECT)

/* fills @pb from @msg; pointers borrow from @msg */
static gboolean
iot_frame_encoder_fill(Com__Amazonaws__Iot__Securedtunneling__Message *pb,
		       const IotMessage *msg,
		       GError **error)
{
	if (msg->type == IOT_MESSAGE_TYPE_UNKNOWN) {
		g_set_error_literal(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_INVALID_TYPE,
				    "message has no type");
		return FALSE;
	}
	pb->type = (Com__Amazonaws__Iot__Securedtunneling__Message__Type)msg->type;
	pb->streamid = msg->stream_id;
	pb->ignorable = msg->ignorable;
	pb->connectionid = msg->connection_id;
	if (msg->service_id != NULL)
		pb->serviceid = msg->service_id;
	if (msg->payload != NULL) {
		gsize size = 0;
		pb->payload.data = (guint8 *)g_bytes_get_data(msg->payload, &size);
		pb->payload.len = size;
		if (size > IOT_MESSAGE_MAX_PAYLOAD) {
			g_set_error(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE,
				    "payload of %" G_GSIZE_FORMAT " bytes is over the limit of %u",
				    size,
				    (guint)IOT_MESSAGE_MAX_PAYLOAD);
			return FALSE;
		}
	}
	if (msg->available_service_ids != NULL) {
		pb->n_availableserviceids = g_strv_length(msg->available_service_ids);
		pb->availableserviceids = msg->available_service_ids;
	}
	return TRUE;
}

/* fills @pb from @msg and works out the size of its body */
static gboolean
iot_frame_encoder_prepare(Com__Amazonaws__Iot__Securedtunneling__Message *pb,
			  const IotMessage *msg,
			  gsize *length,
			  GError **error)
{
	if (!iot_frame_encoder_fill(pb, msg, error))
		return FALSE;
	*length = com__amazonaws__iot__securedtunneling__message__get_packed_size(pb);
	if (*length > IOT_FRAME_MAX_LENGTH) {
		g_set_error(error,
			    IOT_FRAME_ERROR,
			    IOT_FRAME_ERROR_OVERSIZED,
			    "frame of %" G_GSIZE_FORMAT " bytes is over the limit of %u",
			    *length,
			    (guint)IOT_FRAME_MAX_LENGTH);
		return FALSE;
	}
	return TRUE;
}

/* appends the length prefix and the @length bytes of @pb to @buf */
static void
iot_frame_encoder_write(GByteArray *buf,
			const Com__Amazonaws__Iot__Securedtunneling__Message *pb,
			gsize length)
{
	guint start = buf->len;
	g_byte_array_set_size(buf, start + 2 + (guint)length);
	buf->data[start] = (length >> 8) & 0xff;
	buf->data[start + 1] = length & 0xff;
	com__amazonaws__iot__securedtunneling__message__pack(pb, buf->data + start + 2);
}

/**
 * iot_frame_encode:
 * @msg: a message
 * @error: (nullable): return location for an error in %IOT_FRAME_ERROR
 *
 * Encodes one frame: the 2-byte big-endian length and the Message, with
 * default-valued fields left out and fields in field-number order.
 *
 * Returns: (transfer full): the frame, or %NULL with @error set
 */
GBytes *
iot_frame_encode(const IotMessage *msg, GError **error)
{
	Com__Amazonaws__Iot__Securedtunneling__Message pb =
	    COM__AMAZONAWS__IOT__SECUREDTUNNELING__MESSAGE__INIT;
	g_autoptr(GByteArray) buf = NULL;
	gsize length = 0;

	if (!iot_frame_encoder_prepare(&pb, msg, &length, error))
		return NULL;
	buf = g_byte_array_sized_new(2 + (guint)length);
	iot_frame_encoder_write(buf, &pb, length);
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/**
 * iot_frame_encoder_new:
 * @max_payload: the largest WebSocket payload to produce, at most
 *   %IOT_WEBSOCKET_MAX_PAYLOAD; 0 means that
 *
 * Frames are never split, so a single frame longer than @max_payload makes a
 * payload of its own.
 *
 * Returns: (transfer full): an encoder
 */
IotFrameEncoder *
iot_frame_encoder_new(gsize max_payload)
{
	IotFrameEncoder *self = g_object_new(IOT_TYPE_FRAME_ENCODER, NULL);
	if (max_payload == 0 || max_payload > IOT_WEBSOCKET_MAX_PAYLOAD)
		max_payload = IOT_WEBSOCKET_MAX_PAYLOAD;
	self->max_payload = max_payload;
	return self;
}

static void
iot_frame_encoder_close_open(IotFrameEncoder *self)
{
	if (self->open->len == 0)
		return;
	g_queue_push_tail(&self->ready, g_byte_array_free_to_bytes(self->open));
	self->open = g_byte_array_new();
}

/**
 * iot_frame_encoder_add:
 * @self: an encoder
 * @msg: the message to append
 * @error: (nullable): return location for an error in %IOT_FRAME_ERROR
 *
 * Encodes @msg behind the frames already added.
 *
 * Returns: %TRUE on success
 */
gboolean
iot_frame_encoder_add(IotFrameEncoder *self, const IotMessage *msg, GError **error)
{
	Com__Amazonaws__Iot__Securedtunneling__Message pb =
	    COM__AMAZONAWS__IOT__SECUREDTUNNELING__MESSAGE__INIT;
	gsize length = 0;

	g_return_val_if_fail(IOT_IS_FRAME_ENCODER(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	if (!iot_frame_encoder_prepare(&pb, msg, &length, error))
		return FALSE;
	/* a frame that does not fit behind the others starts the next payload */
	if (self->open->len > 0 && self->open->len + 2 + length > self->max_payload)
		iot_frame_encoder_close_open(self);
	iot_frame_encoder_write(self->open, &pb, length);
	self->pending += 2 + length;
	return TRUE;
}

/**
 * iot_frame_encoder_pop:
 * @self: an encoder
 *
 * Takes the oldest payload, closing the one being filled when no full one
 * waits.
 *
 * Returns: (transfer full) (nullable): a WebSocket payload, or %NULL when
 *   nothing was added since the last call
 */
GBytes *
iot_frame_encoder_pop(IotFrameEncoder *self)
{
	GBytes *bytes;

	g_return_val_if_fail(IOT_IS_FRAME_ENCODER(self), NULL);

	if (g_queue_is_empty(&self->ready))
		iot_frame_encoder_close_open(self);
	bytes = g_queue_pop_head(&self->ready);
	if (bytes != NULL)
		self->pending -= g_bytes_get_size(bytes);
	return bytes;
}

/**
 * iot_frame_encoder_get_pending:
 * @self: an encoder
 *
 * Returns: how many encoded bytes wait to be popped
 */
gsize
iot_frame_encoder_get_pending(IotFrameEncoder *self)
{
	g_return_val_if_fail(IOT_IS_FRAME_ENCODER(self), 0);
	return self->pending;
}

static void
iot_frame_encoder_finalize(GObject *object)
{
	IotFrameEncoder *self = IOT_FRAME_ENCODER(object);
	g_queue_clear_full(&self->ready, (GDestroyNotify)g_bytes_unref);
	g_byte_array_unref(self->open);
	G_OBJECT_CLASS(iot_frame_encoder_parent_class)->finalize(object);
}

static void
iot_frame_encoder_class_init(IotFrameEncoderClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_frame_encoder_finalize;
}

static void
iot_frame_encoder_init(IotFrameEncoder *self)
{
	g_queue_init(&self->ready);
	self->max_payload = IOT_WEBSOCKET_MAX_PAYLOAD;
	self->open = g_byte_array_new();
}
