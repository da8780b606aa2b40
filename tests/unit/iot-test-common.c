/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-common.h"

/**
 * iot_test_bytes_from_hex:
 * @hex: pairs of hex digits, spaces allowed between pairs
 *
 * Returns: (transfer full): the bytes
 */
GBytes *
iot_test_bytes_from_hex(const gchar *hex)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	for (const gchar *p = hex; *p != '\0';) {
		guint8 byte;
		if (*p == ' ') {
			p++;
			continue;
		}
		g_assert_true(g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1]));
		byte = (guint8)((g_ascii_xdigit_value(p[0]) << 4) | g_ascii_xdigit_value(p[1]));
		g_byte_array_append(buf, &byte, 1);
		p += 2;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/**
 * iot_test_hex:
 * @data: bytes
 * @len: how many
 *
 * Returns: (transfer full): lowercase hex, no separators
 */
gchar *
iot_test_hex(const guint8 *data, gsize len)
{
	GString *str = g_string_sized_new(len * 2 + 1);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(str, "%02x", data[i]);
	return g_string_free(str, FALSE);
}

/**
 * iot_test_pattern:
 * @len: how many bytes
 * @k: the pattern's offset
 *
 * The vectors' payload pattern: byte i is (7 * i + k) & 0xff.
 *
 * Returns: (transfer full): the bytes
 */
GBytes *
iot_test_pattern(gsize len, guint8 k)
{
	guint8 *data = g_malloc(MAX(len, 1));
	for (gsize i = 0; i < len; i++)
		data[i] = (guint8)((7 * i + k) & 0xff);
	return g_bytes_new_take(data, len);
}

static gsize
iot_test_bytes_size(GBytes *bytes)
{
	return bytes != NULL ? g_bytes_get_size(bytes) : 0;
}

/* proto3 has no presence: NULL and empty are the same value */
static gboolean
iot_test_strv_equal(GStrv a, GStrv b)
{
	guint len_a = a != NULL ? g_strv_length(a) : 0;
	guint len_b = b != NULL ? g_strv_length(b) : 0;
	if (len_a != len_b)
		return FALSE;
	for (guint i = 0; i < len_a; i++) {
		if (g_strcmp0(a[i], b[i]) != 0)
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_test_message_equal:
 * @a: a message
 * @b: another
 *
 * Compares every field as proto3 sees it: an absent string, payload or list
 * equals an empty one.
 *
 * Returns: %TRUE when both carry the same values
 */
gboolean
iot_test_message_equal(const IotMessage *a, const IotMessage *b)
{
	gsize size_a = iot_test_bytes_size(a->payload);
	if (a->type != b->type || a->stream_id != b->stream_id ||
	    (a->ignorable != FALSE) != (b->ignorable != FALSE) ||
	    a->connection_id != b->connection_id)
		return FALSE;
	if (g_strcmp0(a->service_id != NULL ? a->service_id : "",
		      b->service_id != NULL ? b->service_id : "") != 0)
		return FALSE;
	if (!iot_test_strv_equal(a->available_service_ids, b->available_service_ids))
		return FALSE;
	if (size_a != iot_test_bytes_size(b->payload))
		return FALSE;
	return size_a == 0 || g_bytes_equal(a->payload, b->payload);
}

/**
 * iot_test_assert_message_equal:
 * @a: the message expected
 * @b: the message got
 *
 * Fails the test, describing both, when iot_test_message_equal() does not hold.
 */
void
iot_test_assert_message_equal(const IotMessage *a, const IotMessage *b)
{
	g_autofree gchar *str_a = NULL;
	g_autofree gchar *str_b = NULL;
	if (iot_test_message_equal(a, b))
		return;
	str_a = iot_message_to_string(a);
	str_b = iot_message_to_string(b);
	g_assert_cmpstr(str_a, ==, str_b);
	g_assert_not_reached();
}

/* reads a varint; asserts it is at most 10 bytes and has no redundant trailing zero group */
static guint64
iot_test_read_varint(const guint8 *body, gsize len, gsize *offset)
{
	guint64 value = 0;
	for (guint i = 0; i < 10; i++) {
		guint8 byte;
		g_assert_cmpuint(*offset, <, len);
		byte = body[(*offset)++];
		value |= (guint64)(byte & 0x7f) << (7 * i);
		if ((byte & 0x80) == 0) {
			g_assert_true(i == 0 || byte != 0);
			return value;
		}
	}
	g_assert_not_reached();
	return 0;
}

/**
 * iot_test_canonical_fields:
 * @body: a serialized Message, without its length prefix
 * @len: its size
 *
 * Walks the protobuf wire format by hand, independently of protobuf-c, and
 * asserts what proto3 and PROTOCOL.md section 3 require of an encoder: only
 * fields 1 to 7, each with its own wire type, in field-number order (field 6
 * repeated back to back), shortest varints, no default-valued scalar, string
 * or bytes field, a negative int32 sign-extended to ten bytes.
 *
 * Returns: (transfer full): the field numbers in order, such as "1 2 5 7"
 */
gchar *
iot_test_canonical_fields(const guint8 *body, gsize len)
{
	GString *str = g_string_new(NULL);
	guint last = 0;
	gsize offset = 0;

	while (offset < len) {
		guint64 key = iot_test_read_varint(body, len, &offset);
		guint field = (guint)(key >> 3);
		guint wire_type = (guint)(key & 7);

		g_assert_cmpuint(field, >=, 1);
		g_assert_cmpuint(field, <=, 7);
		if (field == 6)
			g_assert_cmpuint(field, >=, last);
		else
			g_assert_cmpuint(field, >, last);
		last = field;
		if (str->len > 0)
			g_string_append_c(str, ' ');
		g_string_append_printf(str, "%u", field);

		if (field == 4 || field == 5 || field == 6) {
			gsize start = offset;
			guint64 size;
			g_assert_cmpuint(wire_type, ==, 2);
			size = iot_test_read_varint(body, len, &offset);
			g_assert_cmpuint(size, <=, len - offset);
			if (field != 6)
				g_assert_cmpuint(size, >, 0);
			if (field != 4)
				g_assert_true(g_utf8_validate((const gchar *)body + offset,
							      (gssize)size,
							      NULL));
			g_assert_cmpuint(offset - start, <=, 5);
			offset += size;
		} else {
			gsize start = offset;
			guint64 value;
			g_assert_cmpuint(wire_type, ==, 0);
			value = iot_test_read_varint(body, len, &offset);
			g_assert_cmpuint(value, !=, 0);
			if (field == 3)
				g_assert_cmpuint(value, ==, 1);
			if (field == 7)
				g_assert_cmpuint(value, <=, G_MAXUINT32);
			/* int32 and enum: negative values are sign-extended to 64 bits */
			if ((field == 1 || field == 2) && value > G_MAXINT32) {
				g_assert_cmpuint(value, >=, (guint64)G_MININT32);
				g_assert_cmpuint(offset - start, ==, 10);
			}
		}
	}
	return g_string_free(str, FALSE);
}

/**
 * iot_test_encode_stream:
 * @messages: (element-type IotMessage): messages
 *
 * Returns: (transfer full): their frames back to back
 */
GBytes *
iot_test_encode_stream(GPtrArray *messages)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	for (guint i = 0; i < messages->len; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) frame = iot_frame_encode(g_ptr_array_index(messages, i), &error);
		g_assert_no_error(error);
		g_assert_nonnull(frame);
		g_byte_array_append(buf,
				    g_bytes_get_data(frame, NULL),
				    (guint)g_bytes_get_size(frame));
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/**
 * iot_test_decode_chunked:
 * @stream: frames back to back
 * @chunk: how many bytes to push at a time; 0 pushes @stream whole
 * @error: (nullable): return location for the decoder's error
 *
 * Feeds @stream to a new decoder in slices of @stream (no copies), draining
 * after each push, and checks that every byte is consumed at the end.
 *
 * Returns: (transfer container) (element-type IotMessage): the messages, or
 *   %NULL with @error set
 */
GPtrArray *
iot_test_decode_chunked(GBytes *stream, gsize chunk, GError **error)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	gsize size = g_bytes_get_size(stream);

	if (chunk == 0)
		chunk = MAX(size, 1);
	for (gsize offset = 0; offset < size; offset += chunk) {
		g_autoptr(GBytes) slice =
		    g_bytes_new_from_bytes(stream, offset, MIN(chunk, size - offset));
		iot_frame_decoder_push(decoder, slice);
		while (TRUE) {
			g_autoptr(GError) error_local = NULL;
			IotMessage *msg = iot_frame_decoder_next(decoder, &error_local);
			if (error_local != NULL) {
				g_assert_null(msg);
				g_propagate_error(error, g_steal_pointer(&error_local));
				return NULL;
			}
			if (msg == NULL)
				break;
			g_ptr_array_add(messages, msg);
		}
	}
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	return g_steal_pointer(&messages);
}

/**
 * iot_test_get_vectors_dir:
 *
 * The golden vectors: `$IOTUNNEL_SHARED_DIR/vectors`, else
 * `$G_TEST_SRCDIR/../shared/vectors`.
 *
 * Returns: (transfer full): the folder
 */
gchar *
iot_test_get_vectors_dir(void)
{
	const gchar *shared = g_getenv("IOTUNNEL_SHARED_DIR");
	if (shared != NULL && shared[0] != '\0')
		return g_build_filename(shared, "vectors", NULL);
	return g_test_build_filename(G_TEST_DIST, "..", "shared", "vectors", NULL);
}
