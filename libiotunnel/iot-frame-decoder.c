/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-frame-decoder.h"

#include <string.h>

#include "securetunneling.pb-c.h"

/*
 * Bytes arrive as whole WebSocket payloads (GBytes) queued in order. Whole
 * frames are decoded straight from those buffers; only a frame that spans two
 * buffers is gathered into @partial first.
 */
struct _IotFrameDecoder {
	GObject parent_instance;
	GQueue pending;	     /* of GBytes, oldest first */
	gsize offset;	     /* read position inside the head of @pending */
	gsize buffered;	     /* bytes held in @pending past @offset, plus @partial */
	GByteArray *partial; /* a frame (prefix included) being gathered */
	gboolean failed;
};

G_DEFINE_FINAL_TYPE(IotFrameDecoder, iot_frame_decoder, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-frame-error-quark, iot_frame_error);

typedef Com__Amazonaws__Iot__Securedtunneling__Message IotPbMessage;

static void
iot_pb_message_free(IotPbMessage *msg)
{
	com__amazonaws__iot__securedtunneling__message__free_unpacked(msg, NULL);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotPbMessage, iot_pb_message_free)

/* the wire type of each schema field, by field number (PROTOCOL.md section 3) */
static const guint8 iot_frame_field_wire_types[] = {
    [1] = 0, /* type: varint */
    [2] = 0, /* streamId: varint */
    [3] = 0, /* ignorable: varint */
    [4] = 2, /* payload: length-delimited */
    [5] = 2, /* serviceId: length-delimited */
    [6] = 2, /* availableServiceIds: length-delimited */
    [7] = 0, /* connectionId: varint */
};

/* reads a varint of at most ten bytes */
static gboolean
iot_frame_read_varint(const guint8 *data, gsize len, gsize *offset, guint64 *value)
{
	guint64 result = 0;
	for (guint shift = 0; shift < 64 && *offset < len; shift += 7) {
		guint8 byte = data[(*offset)++];
		result |= (guint64)(byte & 0x7f) << shift;
		if ((byte & 0x80) == 0) {
			*value = result;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
iot_frame_set_malformed(GError **error, gsize len)
{
	g_set_error(error,
		    IOT_FRAME_ERROR,
		    IOT_FRAME_ERROR_MALFORMED,
		    "malformed message body of %" G_GSIZE_FORMAT " bytes",
		    len);
	return FALSE;
}

/*
 * Walks the field headers, skipping their values: protobuf-c 1.4 takes a bool
 * field with any wire type and does not check strings, where proto3 (and the
 * reference's parser) wants the schema's wire types and valid UTF-8.
 */
static gboolean
iot_frame_check_fields(const guint8 *data, gsize len, GError **error)
{
	gsize offset = 0;

	while (offset < len) {
		guint64 key = 0;
		guint64 value = 0;
		guint64 field;
		guint wire_type;

		if (!iot_frame_read_varint(data, len, &offset, &key))
			return iot_frame_set_malformed(error, len);
		field = key >> 3;
		wire_type = (guint)(key & 7);
		if (field >= 1 && field < G_N_ELEMENTS(iot_frame_field_wire_types) &&
		    wire_type != iot_frame_field_wire_types[field]) {
			g_set_error(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_MALFORMED,
				    "field %u has wire type %u",
				    (guint)field,
				    wire_type);
			return FALSE;
		}
		switch (wire_type) {
		case 0:
			if (!iot_frame_read_varint(data, len, &offset, &value))
				return iot_frame_set_malformed(error, len);
			break;
		case 1:
		case 5:
			value = wire_type == 1 ? 8 : 4;
			if (value > len - offset)
				return iot_frame_set_malformed(error, len);
			offset += value;
			break;
		case 2:
			if (!iot_frame_read_varint(data, len, &offset, &value) ||
			    value > len - offset)
				return iot_frame_set_malformed(error, len);
			/* given a length, g_utf8_validate() refuses an embedded NUL too */
			if ((field == 5 || field == 6) &&
			    !g_utf8_validate((const gchar *)data + offset, (gssize)value, NULL)) {
				g_set_error(error,
					    IOT_FRAME_ERROR,
					    IOT_FRAME_ERROR_MALFORMED,
					    "field %u is not valid UTF-8",
					    (guint)field);
				return FALSE;
			}
			offset += value;
			break;
		default:
			/* groups (3 and 4) are not in the schema; 6 and 7 do not exist */
			return iot_frame_set_malformed(error, len);
		}
	}
	return TRUE;
}

static gboolean
iot_frame_check_decoded(guint32 type, gsize payload_len, gsize packed, GError **error)
{
	if (type == 0) {
		g_set_error_literal(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_INVALID_TYPE,
				    "message has no type");
		return FALSE;
	}
	if (payload_len > IOT_MESSAGE_MAX_PAYLOAD) {
		g_set_error(error,
			    IOT_FRAME_ERROR,
			    IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE,
			    "payload of %" G_GSIZE_FORMAT " bytes is over the limit of %u",
			    payload_len,
			    (guint)IOT_MESSAGE_MAX_PAYLOAD);
		return FALSE;
	}
	/*
	 * a negative int32 may come truncated to five bytes, where the canonical
	 * encoding takes ten: only accept what can be encoded again
	 */
	if (packed > IOT_FRAME_MAX_LENGTH) {
		g_set_error(error,
			    IOT_FRAME_ERROR,
			    IOT_FRAME_ERROR_OVERSIZED,
			    "message of %" G_GSIZE_FORMAT
			    " bytes once encoded is over the limit of %u",
			    packed,
			    (guint)IOT_FRAME_MAX_LENGTH);
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_frame_decode_body:
 * @data: the bytes of one serialized Message (no length prefix)
 * @len: how many
 * @error: (nullable): return location for an error in %IOT_FRAME_ERROR
 *
 * Decodes and checks one Message body: the schema's wire types, strings in
 * UTF-8, no unknown field, a type, a payload within the limit, and a size that
 * still fits the limit once encoded again.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
IotMessage *
iot_frame_decode_body(const guint8 *data, gsize len, GError **error)
{
	g_autoptr(IotPbMessage) pb = NULL;
	g_autoptr(IotMessage) msg = NULL;
	gsize packed;

	if (!iot_frame_check_fields(data, len, error))
		return NULL;
	pb = com__amazonaws__iot__securedtunneling__message__unpack(NULL, len, data);
	if (pb == NULL) {
		iot_frame_set_malformed(error, len);
		return NULL;
	}
	if (pb->base.n_unknown_fields > 0) {
		g_set_error(error,
			    IOT_FRAME_ERROR,
			    IOT_FRAME_ERROR_UNKNOWN_FIELD,
			    "message carries unknown field %u",
			    pb->base.unknown_fields[0].tag);
		return NULL;
	}
	packed = com__amazonaws__iot__securedtunneling__message__get_packed_size(pb);
	if (!iot_frame_check_decoded((guint32)pb->type, pb->payload.len, packed, error))
		return NULL;

	msg = iot_message_new((IotMessageType)pb->type, pb->streamid);
	msg->ignorable = pb->ignorable;
	msg->connection_id = pb->connectionid;
	if (pb->serviceid != NULL && pb->serviceid[0] != '\0')
		msg->service_id = g_strdup(pb->serviceid);
	if (pb->n_availableserviceids > 0) {
		msg->available_service_ids = g_new0(gchar *, pb->n_availableserviceids + 1);
		for (gsize i = 0; i < pb->n_availableserviceids; i++)
			msg->available_service_ids[i] = g_strdup(pb->availableserviceids[i]);
	}
	if (pb->payload.len > 0) {
		/* hand the unpacked buffer over instead of copying the payload again */
		IotPbMessage *owner = g_steal_pointer(&pb);
		msg->payload = g_bytes_new_with_free_func(owner->payload.data,
							  owner->payload.len,
							  (GDestroyNotify)iot_pb_message_free,
							  owner);
	}
	return g_steal_pointer(&msg);
}

/* the fields of one Message body as its wire format gives them; the last of each wins */
typedef struct {
	guint32 type;
	guint32 stream_id;
	gboolean ignorable;
	gsize payload_at;
	gsize payload_len;
	gsize service_at;
	gsize service_len;
	guint32 connection_id;
} IotFrameFields;

/* the bytes of a varint of the value, as protobuf-c writes it */
static gsize
iot_frame_uint32_size(guint32 value)
{
	gsize size = 1;
	while (value >= 0x80) {
		value >>= 7;
		size++;
	}
	return size;
}

/*
 * Reads the fields of a body that iot_frame_check_fields() accepted, as
 * protobuf-c would, for the messages of the data path: FALSE when the body
 * holds what only protobuf-c should judge (availableServiceIds, a field
 * outside the schema, a key or a length in more bytes than protobuf-c reads,
 * a negative type or stream id), and protobuf-c decodes it instead.
 */
static gboolean
iot_frame_read_fields(const guint8 *data, gsize len, IotFrameFields *fields)
{
	gsize offset = 0;

	memset(fields, 0, sizeof(*fields));
	while (offset < len) {
		guint8 key = data[offset++];
		gsize value_at = offset;
		guint64 value = 0;

		if (key & 0x80 || !iot_frame_read_varint(data, len, &offset, &value))
			return FALSE;
		switch (key) {
		case (1 << 3) | 0:
			fields->type = (guint32)value;
			break;
		case (2 << 3) | 0:
			fields->stream_id = (guint32)value;
			break;
		case (3 << 3) | 0:
			/* protobuf-c: true when any bit of the varint is set */
			fields->ignorable = FALSE;
			for (gsize i = value_at; i < offset; i++)
				fields->ignorable |= (data[i] & 0x7f) != 0;
			break;
		case (4 << 3) | 2:
		case (5 << 3) | 2:
			if (offset - value_at > 5)
				return FALSE;
			if ((key >> 3) == 4) {
				fields->payload_at = offset;
				fields->payload_len = value;
			} else {
				fields->service_at = offset;
				fields->service_len = value;
			}
			offset += value;
			break;
		case (7 << 3) | 0:
			fields->connection_id = (guint32)value;
			break;
		default:
			return FALSE;
		}
	}
	return (gint32)fields->type >= 0 && (gint32)fields->stream_id >= 0;
}

/* the size of the body protobuf-c would write for @fields */
static gsize
iot_frame_fields_packed_size(const IotFrameFields *fields)
{
	gsize size = 0;

	if (fields->type != 0)
		size += 1 + iot_frame_uint32_size(fields->type);
	if (fields->stream_id != 0)
		size += 1 + iot_frame_uint32_size(fields->stream_id);
	if (fields->ignorable)
		size += 2;
	if (fields->payload_len > 0)
		size += 1 + iot_frame_uint32_size(fields->payload_len) + fields->payload_len;
	if (fields->service_len > 0)
		size += 1 + iot_frame_uint32_size(fields->service_len) + fields->service_len;
	if (fields->connection_id != 0)
		size += 1 + iot_frame_uint32_size(fields->connection_id);
	return size;
}

/*
 * Decodes the body of @len bytes at @offset in @bytes: a message of the data
 * path straight from the wire format, its payload a slice of @bytes (no
 * copy); anything else through protobuf-c.
 */
static IotMessage *
iot_frame_decode_body_in(GBytes *bytes, gsize offset, gsize len, GError **error)
{
	const guint8 *data = (const guint8 *)g_bytes_get_data(bytes, NULL) + offset;
	IotFrameFields fields;
	IotMessage *msg;

	if (!iot_frame_check_fields(data, len, error))
		return NULL;
	if (!iot_frame_read_fields(data, len, &fields))
		return iot_frame_decode_body(data, len, error);
	if (!iot_frame_check_decoded(fields.type,
				     fields.payload_len,
				     iot_frame_fields_packed_size(&fields),
				     error))
		return NULL;
	msg = iot_message_new((IotMessageType)fields.type, (gint32)fields.stream_id);
	msg->ignorable = fields.ignorable;
	msg->connection_id = fields.connection_id;
	if (fields.service_len > 0)
		msg->service_id =
		    g_strndup((const gchar *)data + fields.service_at, fields.service_len);
	if (fields.payload_len > 0)
		msg->payload =
		    g_bytes_new_from_bytes(bytes, offset + fields.payload_at, fields.payload_len);
	return msg;
}

/**
 * iot_frame_decoder_new:
 *
 * Returns: (transfer full): a decoder for a stream of length-prefixed frames
 */
IotFrameDecoder *
iot_frame_decoder_new(void)
{
	return g_object_new(IOT_TYPE_FRAME_DECODER, NULL);
}

/**
 * iot_frame_decoder_push:
 * @self: a decoder
 * @bytes: the next bytes of the stream, split anywhere; a reference is taken
 *
 * Queues bytes; call iot_frame_decoder_next() until it returns %NULL.
 */
void
iot_frame_decoder_push(IotFrameDecoder *self, GBytes *bytes)
{
	g_return_if_fail(IOT_IS_FRAME_DECODER(self));
	g_return_if_fail(bytes != NULL);
	if (g_bytes_get_size(bytes) == 0)
		return;
	g_queue_push_tail(&self->pending, g_bytes_ref(bytes));
	self->buffered += g_bytes_get_size(bytes);
}

/**
 * iot_frame_decoder_get_buffered:
 * @self: a decoder
 *
 * Returns: how many pushed bytes are not yet decoded
 */
gsize
iot_frame_decoder_get_buffered(IotFrameDecoder *self)
{
	g_return_val_if_fail(IOT_IS_FRAME_DECODER(self), 0);
	return self->buffered;
}

/* copies up to @want bytes from the queue into @partial; returns how many */
static gsize
iot_frame_decoder_gather(IotFrameDecoder *self, gsize want)
{
	gsize copied = 0;
	while (copied < want && !g_queue_is_empty(&self->pending)) {
		GBytes *head = g_queue_peek_head(&self->pending);
		gsize size = 0;
		const guint8 *data = g_bytes_get_data(head, &size);
		gsize take = MIN(want - copied, size - self->offset);
		g_byte_array_append(self->partial, data + self->offset, take);
		self->offset += take;
		copied += take;
		if (self->offset == size) {
			g_bytes_unref(g_queue_pop_head(&self->pending));
			self->offset = 0;
		}
	}
	return copied;
}

static gboolean
iot_frame_decoder_check_length(guint length, GError **error)
{
	if (length == 0) {
		g_set_error_literal(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_ZERO_LENGTH,
				    "frame of length zero");
		return FALSE;
	}
	if (length > IOT_FRAME_MAX_LENGTH) {
		g_set_error(error,
			    IOT_FRAME_ERROR,
			    IOT_FRAME_ERROR_OVERSIZED,
			    "frame of %u bytes is over the limit of %u",
			    length,
			    (guint)IOT_FRAME_MAX_LENGTH);
		return FALSE;
	}
	return TRUE;
}

/* decodes a frame whose prefix and body sit whole in the head buffer */
static IotMessage *
iot_frame_decoder_next_in_place(IotFrameDecoder *self, gboolean *found, GError **error)
{
	GBytes *head = g_queue_peek_head(&self->pending);
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(head, &size);
	gsize avail = size - self->offset;
	guint length;
	IotMessage *msg;

	*found = FALSE;
	if (avail < 2)
		return NULL;
	length = ((guint)data[self->offset] << 8) | data[self->offset + 1];
	if (!iot_frame_decoder_check_length(length, error))
		return NULL;
	if (avail < 2 + (gsize)length)
		return NULL;
	*found = TRUE;
	msg = iot_frame_decode_body_in(head, self->offset + 2, length, error);
	if (msg == NULL)
		return NULL;
	self->offset += 2 + length;
	self->buffered -= 2 + length;
	if (self->offset == size) {
		g_bytes_unref(g_queue_pop_head(&self->pending));
		self->offset = 0;
	}
	return msg;
}

/**
 * iot_frame_decoder_next:
 * @self: a decoder
 * @error: (nullable): return location for an error in %IOT_FRAME_ERROR
 *
 * Decodes the next whole frame. After an error the stream cannot be
 * resynchronised: every later call fails too.
 *
 * Returns: (transfer full) (nullable): the next message, or %NULL when more
 *   bytes are needed (@error unset) or the stream is malformed (@error set)
 */
IotMessage *
iot_frame_decoder_next(IotFrameDecoder *self, GError **error)
{
	guint length;
	IotMessage *msg;
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(IOT_IS_FRAME_DECODER(self), NULL);

	if (self->failed) {
		g_set_error_literal(error,
				    IOT_FRAME_ERROR,
				    IOT_FRAME_ERROR_MALFORMED,
				    "stream already failed to decode");
		return NULL;
	}
	if (self->partial->len == 0) {
		gboolean found = FALSE;
		if (g_queue_is_empty(&self->pending))
			return NULL;
		msg = iot_frame_decoder_next_in_place(self, &found, &error_local);
		if (msg != NULL)
			return msg;
		if (error_local != NULL) {
			self->failed = TRUE;
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (found)
			return NULL;
	}

	/* the frame spans buffers: gather its prefix, then its body */
	if (self->partial->len < 2)
		iot_frame_decoder_gather(self, 2 - self->partial->len);
	if (self->partial->len < 2)
		return NULL;
	length = ((guint)self->partial->data[0] << 8) | self->partial->data[1];
	if (!iot_frame_decoder_check_length(length, error)) {
		self->failed = TRUE;
		return NULL;
	}
	iot_frame_decoder_gather(self, 2 + length - self->partial->len);
	if (self->partial->len < 2 + length)
		return NULL;
	msg = iot_frame_decode_body(self->partial->data + 2, length, error);
	self->buffered -= self->partial->len;
	g_byte_array_set_size(self->partial, 0);
	if (msg == NULL)
		self->failed = TRUE;
	return msg;
}

static void
iot_frame_decoder_finalize(GObject *object)
{
	IotFrameDecoder *self = IOT_FRAME_DECODER(object);
	g_queue_clear_full(&self->pending, (GDestroyNotify)g_bytes_unref);
	g_byte_array_unref(self->partial);
	G_OBJECT_CLASS(iot_frame_decoder_parent_class)->finalize(object);
}

static void
iot_frame_decoder_class_init(IotFrameDecoderClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_frame_decoder_finalize;
}

static void
iot_frame_decoder_init(IotFrameDecoder *self)
{
	g_queue_init(&self->pending);
	self->partial = g_byte_array_new();
}
