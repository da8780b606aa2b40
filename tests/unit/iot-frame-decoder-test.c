/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-test-common.h"

/* a small stream: every type, payloads of several sizes, frames of 4 to 318 bytes */
typedef struct {
	GPtrArray *messages; /* of IotMessage, in stream order */
	GBytes *stream;	     /* their frames back to back */
	GArray *ends;	     /* of gsize: where each frame ends in @stream */
} IotStreamFixture;

static void
iot_stream_fixture_setup(IotStreamFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GBytes) payload_300 = iot_test_pattern(300, 1);
	g_autoptr(GBytes) payload_1 = iot_test_pattern(1, 2);
	g_autoptr(GBytes) payload_200 = iot_test_pattern(200, 3);
	IotMessage *ids = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	IotMessage *reset = iot_message_new(IOT_MESSAGE_TYPE_STREAM_RESET, 9);
	gsize end = 0;

	ids->available_service_ids = g_strsplit("SSH1,HTTP1", ",", -1);
	reset->ignorable = TRUE;
	fixture->messages = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_ptr_array_add(fixture->messages, ids);
	g_ptr_array_add(fixture->messages,
			iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1, NULL));
	g_ptr_array_add(fixture->messages,
			iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 1, payload_300));
	g_ptr_array_add(
	    fixture->messages,
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_START, 1, "SSH1", 2, NULL));
	g_ptr_array_add(fixture->messages,
			iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 2, payload_1));
	g_ptr_array_add(fixture->messages,
			iot_message_new_full(IOT_MESSAGE_TYPE_DATA, -5, NULL, 0, payload_200));
	g_ptr_array_add(
	    fixture->messages,
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2, NULL));
	g_ptr_array_add(fixture->messages, reset);
	g_ptr_array_add(fixture->messages, iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0));
	fixture->stream = iot_test_encode_stream(fixture->messages);

	fixture->ends = g_array_new(FALSE, FALSE, sizeof(gsize));
	for (guint i = 0; i < fixture->messages->len; i++) {
		g_autoptr(GBytes) frame =
		    iot_frame_encode(g_ptr_array_index(fixture->messages, i), NULL);
		end += g_bytes_get_size(frame);
		g_array_append_val(fixture->ends, end);
	}
	g_assert_cmpuint(end, ==, g_bytes_get_size(fixture->stream));
}

static void
iot_stream_fixture_teardown(IotStreamFixture *fixture, gconstpointer user_data)
{
	g_ptr_array_unref(fixture->messages);
	g_bytes_unref(fixture->stream);
	g_array_unref(fixture->ends);
}

/* the bytes before @offset that belong to frames not yet complete there */
static gsize
iot_stream_fixture_partial_at(IotStreamFixture *fixture, gsize offset)
{
	gsize last = 0;
	for (guint i = 0; i < fixture->ends->len; i++) {
		gsize end = g_array_index(fixture->ends, gsize, i);
		if (end > offset)
			break;
		last = end;
	}
	return offset - last;
}

/* pushes a slice of the fixture's stream and takes every message now whole */
static void
iot_stream_fixture_feed(IotStreamFixture *fixture,
			IotFrameDecoder *decoder,
			gsize offset,
			gsize len,
			GPtrArray *out)
{
	g_autoptr(GBytes) slice = g_bytes_new_from_bytes(fixture->stream, offset, len);
	iot_frame_decoder_push(decoder, slice);
	while (TRUE) {
		g_autoptr(GError) error = NULL;
		IotMessage *msg = iot_frame_decoder_next(decoder, &error);
		g_assert_no_error(error);
		if (msg == NULL)
			break;
		g_ptr_array_add(out, msg);
	}
	/* whatever is left is exactly the unfinished frame */
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder),
			 ==,
			 iot_stream_fixture_partial_at(fixture, offset + len));
}

static void
iot_stream_fixture_assert_messages(IotStreamFixture *fixture, GPtrArray *got)
{
	g_assert_cmpuint(got->len, ==, fixture->messages->len);
	for (guint i = 0; i < got->len; i++)
		iot_test_assert_message_equal(g_ptr_array_index(fixture->messages, i),
					      g_ptr_array_index(got, i));
}

static void
iot_frame_decoder_whole_func(IotStreamFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	iot_stream_fixture_feed(fixture, decoder, 0, g_bytes_get_size(fixture->stream), got);
	iot_stream_fixture_assert_messages(fixture, got);
}

static void
iot_frame_decoder_split_every_byte_func(IotStreamFixture *fixture, gconstpointer user_data)
{
	gsize size = g_bytes_get_size(fixture->stream);
	for (gsize cut = 1; cut < size; cut++) {
		g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
		g_autoptr(GPtrArray) got =
		    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
		iot_stream_fixture_feed(fixture, decoder, 0, cut, got);
		iot_stream_fixture_feed(fixture, decoder, cut, size - cut, got);
		iot_stream_fixture_assert_messages(fixture, got);
	}
}

static void
iot_frame_decoder_split_two_points_func(IotStreamFixture *fixture, gconstpointer user_data)
{
	gsize size = g_bytes_get_size(fixture->stream);
	guint runs = 0;

	/* every first cut, and second cuts at co-prime strides so that every gap occurs */
	for (gsize first = 1; first < size - 1; first++) {
		for (gsize second = first + 1 + (first % 7); second < size; second += 11) {
			g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
			g_autoptr(GPtrArray) got =
			    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
			iot_stream_fixture_feed(fixture, decoder, 0, first, got);
			iot_stream_fixture_feed(fixture, decoder, first, second - first, got);
			iot_stream_fixture_feed(fixture, decoder, second, size - second, got);
			iot_stream_fixture_assert_messages(fixture, got);
			runs++;
		}
	}
	g_assert_cmpuint(runs, >, 10000);
}

static void
iot_frame_decoder_byte_by_byte_func(IotStreamFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	gsize size = g_bytes_get_size(fixture->stream);
	for (gsize offset = 0; offset < size; offset++) {
		guint before = got->len;
		iot_stream_fixture_feed(fixture, decoder, offset, 1, got);
		/* a message comes out exactly at the byte that ends its frame */
		g_assert_cmpuint(got->len - before,
				 ==,
				 iot_stream_fixture_partial_at(fixture, offset + 1) == 0 ? 1 : 0);
	}
	iot_stream_fixture_assert_messages(fixture, got);
}

static void
iot_frame_decoder_buffered_func(void)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1, NULL);
	g_autoptr(GBytes) frame = iot_frame_encode(msg, NULL);
	g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
	g_autoptr(GBytes) head = g_bytes_new_from_bytes(frame, 0, 5);
	g_autoptr(GBytes) tail = g_bytes_new_from_bytes(frame, 5, g_bytes_get_size(frame) - 5);
	g_autoptr(GError) error = NULL;
	IotMessage *first;
	IotMessage *second;
	IotMessage *none;
	gsize frame_size = g_bytes_get_size(frame);

	g_assert_cmpuint(frame_size, ==, 14);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	g_assert_null(iot_frame_decoder_next(decoder, &error));
	g_assert_no_error(error);

	/* an empty push changes nothing */
	iot_frame_decoder_push(decoder, empty);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	g_assert_null(iot_frame_decoder_next(decoder, &error));
	g_assert_no_error(error);

	/* pushing counts at once; an incomplete frame stays counted */
	iot_frame_decoder_push(decoder, frame);
	iot_frame_decoder_push(decoder, head);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, frame_size + 5);
	first = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_nonnull(first);
	iot_test_assert_message_equal(msg, first);
	iot_message_free(first);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 5);
	none = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_null(none);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 5);
	none = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_null(none);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 5);

	iot_frame_decoder_push(decoder, tail);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, frame_size);
	second = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_nonnull(second);
	iot_test_assert_message_equal(msg, second);
	iot_message_free(second);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	g_assert_null(iot_frame_decoder_next(decoder, &error));
	g_assert_no_error(error);
}

static void
iot_frame_decoder_spanning_func(void)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GBytes) payload = iot_test_pattern(IOT_MESSAGE_MAX_PAYLOAD, 100);
	g_autoptr(IotMessage) big =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 1, payload);
	g_autoptr(IotMessage) small =
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 1, NULL);
	g_autoptr(GPtrArray) messages = g_ptr_array_new();
	g_autoptr(GBytes) stream = NULL;
	g_autoptr(GError) error = NULL;
	const gsize cuts[] = {1, 2, 3, 20000, 40000, 64529, 64540, 64544};
	gsize size;
	gsize offset = 0;
	guint decoded = 0;

	/* big, small, big, small: a big frame arrives in several pushes */
	g_ptr_array_add(messages, big);
	g_ptr_array_add(messages, small);
	g_ptr_array_add(messages, big);
	g_ptr_array_add(messages, small);
	stream = iot_test_encode_stream(messages);
	size = g_bytes_get_size(stream);
	g_assert_cmpuint(size, ==, 2 * (64530 + 14));

	for (guint i = 0; i <= G_N_ELEMENTS(cuts); i++) {
		gsize end = i < G_N_ELEMENTS(cuts) ? cuts[i] : size;
		g_autoptr(GBytes) slice = g_bytes_new_from_bytes(stream, offset, end - offset);
		iot_frame_decoder_push(decoder, slice);
		offset = end;
		while (TRUE) {
			g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
			g_assert_no_error(error);
			if (msg == NULL)
				break;
			iot_test_assert_message_equal(g_ptr_array_index(messages, decoded), msg);
			decoded++;
		}
		/* frames end at 64530, 64544, 129074 and 129088 */
		if (end < 64530)
			g_assert_cmpuint(decoded, ==, 0);
		else if (end < 64544)
			g_assert_cmpuint(decoded, ==, 1);
		else
			g_assert_cmpuint(decoded, ==, end < size ? 2 : 4);
		g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder),
				 ==,
				 end - (decoded == 0   ? 0
					: decoded == 1 ? 64530
					: decoded == 2 ? 64544
						       : size));
	}
	g_assert_cmpuint(decoded, ==, 4);
}

/* the largest frame the limit allows: a full payload and a 501-byte service ID */
static void
iot_frame_decoder_max_length_func(void)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GBytes) payload = iot_test_pattern(IOT_MESSAGE_MAX_PAYLOAD, 0);
	g_autofree gchar *service_id = g_strnfill(501, 'S');
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, service_id, 0, payload);
	g_autoptr(IotMessage) decoded = NULL;
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;

	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	g_assert_cmpuint(g_bytes_get_size(frame), ==, 2 + IOT_FRAME_MAX_LENGTH);
	iot_frame_decoder_push(decoder, frame);
	decoded = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_nonnull(decoded);
	iot_test_assert_message_equal(msg, decoded);
}

/* an oversized length fails as soon as the prefix is in, without waiting for its body */
static void
iot_frame_decoder_oversized_early_func(void)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GBytes) first = iot_test_bytes_from_hex("fe");
	g_autoptr(GBytes) second = iot_test_bytes_from_hex("01");
	g_autoptr(GError) error = NULL;

	iot_frame_decoder_push(decoder, first);
	g_assert_null(iot_frame_decoder_next(decoder, &error));
	g_assert_no_error(error);
	iot_frame_decoder_push(decoder, second);
	g_assert_null(iot_frame_decoder_next(decoder, &error));
	g_assert_error(error, IOT_FRAME_ERROR, IOT_FRAME_ERROR_OVERSIZED);
}

/* what protobuf parsers accept besides the canonical form, and its canonical form */
typedef struct {
	const gchar *name;
	const gchar *body_hex;
	const gchar *frame_hex;
} IotNonCanonicalCase;

static const IotNonCanonicalCase non_canonical_cases[] = {
    {"padded-varint", "088100 1001", "0004 0801 1001"},
    {"padded-length", "0801 2a8400 53534831", "0008 0801 2a0453534831"},
    {"fields-reversed", "3801 2a0453534831 1001 0802", "000c 0802 1001 2a0453534831 3801"},
    {"duplicate-scalar", "0801 1005 0802 1001", "0004 0802 1001"},
    {"duplicate-service-id", "0801 2a0161 2a0162", "0005 0801 2a0162"},
    {"default-values-written", "0802 1000 1800 2200 2a00 3800", "0002 0802"},
    {"bool-two", "0801 1802", "0004 0801 1801"},
    {"service-ids-interleaved", "0805 320161 1001 320162", "000a 0805 1001 320161 320162"},
    {"negative-type-truncated", "08ffffffff0f", "000b 08ffffffffffffffffff01"},
    {"negative-stream-id-truncated", "0801 10feffffff0f", "000d 0801 10feffffffffffffffff01"},
};

static void
iot_frame_decoder_non_canonical_func(gconstpointer user_data)
{
	const IotNonCanonicalCase *tc = user_data;
	g_autoptr(GBytes) body = iot_test_bytes_from_hex(tc->body_hex);
	g_autoptr(GBytes) expected = iot_test_bytes_from_hex(tc->frame_hex);
	g_autoptr(IotMessage) msg = NULL;
	g_autoptr(IotMessage) again = NULL;
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *hex_expected = NULL;

	msg = iot_frame_decode_body(g_bytes_get_data(body, NULL), g_bytes_get_size(body), &error);
	g_assert_no_error(error);
	g_assert_nonnull(msg);
	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	hex = iot_test_hex(g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
	hex_expected = iot_test_hex(g_bytes_get_data(expected, NULL), g_bytes_get_size(expected));
	g_assert_cmpstr(hex, ==, hex_expected);

	again = iot_frame_decode_body((const guint8 *)g_bytes_get_data(frame, NULL) + 2,
				      g_bytes_get_size(frame) - 2,
				      &error);
	g_assert_no_error(error);
	g_assert_nonnull(again);
	iot_test_assert_message_equal(msg, again);
}

/*
 * A frame within the limit whose type and stream ID are negative numbers cut
 * to five bytes: encoded again they take ten each. A service ID of
 * @service_id_len bytes brings the body to @service_id_len + 64531 bytes, and
 * its canonical form to ten more.
 */
static GBytes *
iot_frame_decoder_truncated_negatives_body(gsize service_id_len)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	const guint8 head[] =
	    {0x08, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f};
	guint8 service_id_key[] = {0x2a,
				   (guint8)(0x80 | (service_id_len & 0x7f)),
				   (guint8)(service_id_len >> 7)};
	const guint8 payload_key[] = {0x22, 0x80, 0xf8, 0x03};
	guint start;

	g_assert_cmpuint(service_id_len, >=, 128);
	g_assert_cmpuint(service_id_len, <, 16384);
	g_byte_array_append(buf, head, sizeof(head));
	g_byte_array_append(buf, service_id_key, sizeof(service_id_key));
	start = buf->len;
	g_byte_array_set_size(buf, start + (guint)service_id_len);
	memset(buf->data + start, 'S', service_id_len);
	g_byte_array_append(buf, payload_key, sizeof(payload_key));
	start = buf->len;
	g_byte_array_set_size(buf, start + IOT_MESSAGE_MAX_PAYLOAD);
	memset(buf->data + start, 0x55, IOT_MESSAGE_MAX_PAYLOAD);
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* every message the decoder accepts can be encoded again */
static void
iot_frame_decoder_re_encodable_func(void)
{
	g_autoptr(GBytes) fits = iot_frame_decoder_truncated_negatives_body(483);
	g_autoptr(GBytes) too_long = iot_frame_decoder_truncated_negatives_body(484);
	g_autoptr(IotMessage) msg = NULL;
	g_autoptr(IotMessage) refused = NULL;
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint(g_bytes_get_size(fits), ==, IOT_FRAME_MAX_LENGTH - 10);
	msg = iot_frame_decode_body(g_bytes_get_data(fits, NULL), g_bytes_get_size(fits), &error);
	g_assert_no_error(error);
	g_assert_nonnull(msg);
	g_assert_cmpint((gint)msg->type, ==, -1);
	g_assert_cmpint(msg->stream_id, ==, -1);
	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	g_assert_cmpuint(g_bytes_get_size(frame), ==, 2 + IOT_FRAME_MAX_LENGTH);

	/* within the frame limit as sent, over it once encoded */
	g_assert_cmpuint(g_bytes_get_size(too_long), ==, IOT_FRAME_MAX_LENGTH - 9);
	refused = iot_frame_decode_body(g_bytes_get_data(too_long, NULL),
					g_bytes_get_size(too_long),
					&error);
	g_assert_error(error, IOT_FRAME_ERROR, IOT_FRAME_ERROR_OVERSIZED);
	g_assert_null(refused);
}

#define VALID_FRAME "0004 0802 1001"

/*
 * A stream that goes wrong: @hex first (whole frames or raw bytes), then, when
 * @body_hex is set, one frame made of @body_hex and @fill bytes of 'A' behind a
 * length prefix that counts them. @n_before messages decode before @code.
 */
typedef struct {
	const gchar *name;
	const gchar *hex;
	const gchar *body_hex;
	gsize fill;
	guint n_before;
	IotFrameError code;
} IotMalformedCase;

static const IotMalformedCase malformed_cases[] = {
    {"zero-length", "0000", NULL, 0, 0, IOT_FRAME_ERROR_ZERO_LENGTH},
    {"zero-length-after-frame", VALID_FRAME "0000", NULL, 0, 1, IOT_FRAME_ERROR_ZERO_LENGTH},
    {"oversized-by-one", "fe01", NULL, 0, 0, IOT_FRAME_ERROR_OVERSIZED},
    {"oversized-max", VALID_FRAME "ffff 0801", NULL, 0, 1, IOT_FRAME_ERROR_OVERSIZED},
    {"truncated-varint", "", "0801 10", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"truncated-varint-continuation", "", "0801 1080", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"truncated-key", "", "0801 80", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"truncated-payload", "", "0801 1001 2205 6869", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"truncated-length", "", "0801 2280", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"truncated-service-id", VALID_FRAME, "0801 2a09 535348", 0, 1, IOT_FRAME_ERROR_MALFORMED},
    {"varint-too-long", "", "0801 10ffffffffffffffffffff01", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"field-number-zero", "", "0001 0801", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wire-type-group", "", "0801 4b 4c", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wire-type-6", "", "0801 46", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wire-type-7", "", "0801 0f", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"garbage", VALID_FRAME, "ffffffff", 0, 1, IOT_FRAME_ERROR_MALFORMED},
    {"unknown-field-8-varint", "", "0801 1001 4001", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-8-bytes", "", "0801 1001 4201 00", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-8-first", "", "4000 0801", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-9-fixed32", "", "0801 4d01020304", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-10-fixed64",
     "",
     "0801 510102030405060708",
     0,
     0,
     IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-15-varint", VALID_FRAME, "0801 1001 7801", 0, 1, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-16", "", "0801 800101", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"unknown-field-huge", "", "0801 f8ffffff0f01", 0, 0, IOT_FRAME_ERROR_UNKNOWN_FIELD},
    {"payload-too-large",
     "",
     "0801 1001 2281f803",
     IOT_MESSAGE_MAX_PAYLOAD + 1,
     0,
     IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE},
    {"payload-too-large-after-frame",
     VALID_FRAME,
     "0801 1001 22fff803",
     IOT_MESSAGE_MAX_PAYLOAD + 127,
     1,
     IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE},
    {"type-zero", "", "0800 1001", 0, 0, IOT_FRAME_ERROR_INVALID_TYPE},
    {"type-absent", "", "1001 2a0453534831 3801", 0, 0, IOT_FRAME_ERROR_INVALID_TYPE},
    {"type-absent-ignorable", VALID_FRAME, "1801", 0, 1, IOT_FRAME_ERROR_INVALID_TYPE},
    {"wrong-wire-type-type", "", "0a0101", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-stream-id", "", "0801 1501000000", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-ignorable", "", "0801 1a0101", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-payload", "", "0801 2001", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-service-id", "", "0801 2801", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-available-service-ids", "", "0805 3001", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"wrong-wire-type-connection-id", "", "0806 3a0101", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"service-id-not-utf8", "", "0801 1001 2a02c328", 0, 0, IOT_FRAME_ERROR_MALFORMED},
    {"available-service-id-not-utf8",
     "",
     "0805 3204 53534831 3201ff",
     0,
     0,
     IOT_FRAME_ERROR_MALFORMED},
};

static GBytes *
iot_malformed_case_body(const IotMalformedCase *tc)
{
	g_autoptr(GBytes) head = iot_test_bytes_from_hex(tc->body_hex);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_byte_array_append(buf, g_bytes_get_data(head, NULL), (guint)g_bytes_get_size(head));
	g_byte_array_set_size(buf, (guint)(g_bytes_get_size(head) + tc->fill));
	memset(buf->data + g_bytes_get_size(head), 'A', tc->fill);
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

static GBytes *
iot_malformed_case_stream(const IotMalformedCase *tc)
{
	g_autoptr(GBytes) head = iot_test_bytes_from_hex(tc->hex);
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_byte_array_append(buf, g_bytes_get_data(head, NULL), (guint)g_bytes_get_size(head));
	if (tc->body_hex != NULL) {
		g_autoptr(GBytes) body = iot_malformed_case_body(tc);
		gsize size = g_bytes_get_size(body);
		guint8 prefix[2] = {(guint8)(size >> 8), (guint8)(size & 0xff)};
		g_assert_cmpuint(size, <=, IOT_FRAME_MAX_LENGTH);
		g_byte_array_append(buf, prefix, 2);
		g_byte_array_append(buf, g_bytes_get_data(body, NULL), (guint)size);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* feeds @stream in @chunk-byte pushes; expects @tc's messages, then its error */
static void
iot_malformed_case_feed(const IotMalformedCase *tc, GBytes *stream, gsize chunk)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GBytes) valid = iot_test_bytes_from_hex(VALID_FRAME);
	g_autoptr(GError) error = NULL;
	gsize size = g_bytes_get_size(stream);
	guint decoded = 0;

	for (gsize offset = 0; offset < size && error == NULL; offset += chunk) {
		g_autoptr(GBytes) slice =
		    g_bytes_new_from_bytes(stream, offset, MIN(chunk, size - offset));
		iot_frame_decoder_push(decoder, slice);
		while (TRUE) {
			g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
			if (msg == NULL)
				break;
			g_assert_no_error(error);
			g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_STREAM_START);
			decoded++;
		}
	}
	g_assert_error(error, IOT_FRAME_ERROR, (gint)tc->code);
	g_assert_cmpuint(decoded, ==, tc->n_before);

	/* the stream cannot be resynchronised: it stays failed, even on good bytes */
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GError) error_again = NULL;
		iot_frame_decoder_push(decoder, valid);
		g_assert_null(iot_frame_decoder_next(decoder, &error_again));
		g_assert_error(error_again, IOT_FRAME_ERROR, IOT_FRAME_ERROR_MALFORMED);
	}
}

static void
iot_frame_decoder_malformed_func(gconstpointer user_data)
{
	const IotMalformedCase *tc = user_data;
	g_autoptr(GBytes) stream = iot_malformed_case_stream(tc);

	iot_malformed_case_feed(tc, stream, g_bytes_get_size(stream));
	iot_malformed_case_feed(tc, stream, 1);
	iot_malformed_case_feed(tc, stream, 3);

	/* the body alone gives the same error */
	if (tc->body_hex != NULL) {
		g_autoptr(GBytes) body = iot_malformed_case_body(tc);
		g_autoptr(GError) error = NULL;
		g_autoptr(IotMessage) msg = iot_frame_decode_body(g_bytes_get_data(body, NULL),
								  g_bytes_get_size(body),
								  &error);
		g_assert_error(error, IOT_FRAME_ERROR, (gint)tc->code);
		g_assert_null(msg);
	}
}

/*
 * A message decoded in place from a pushed buffer has its payload as a slice
 * of that buffer, not a copy; and the wire format read in place gives what
 * protobuf-c gives, on the bodies where the two could part.
 */
static void
iot_frame_decoder_in_place_func(void)
{
	static const guint8 bodies[][24] = {
	    /* DATA, stream 1, payload "abc" */
	    {11, 0x08, 0x01, 0x10, 0x01, 0x22, 0x03, 'a', 'b', 'c', 0x18, 0x00},
	    /* a field twice: the last wins */
	    {12, 0x08, 0x01, 0x10, 0x05, 0x10, 0x02, 0x22, 0x01, 'x', 0x22, 0x01, 'y'},
	    /* ignorable as a long varint, its only set bit in the fifth byte */
	    {8, 0x08, 0x01, 0x18, 0x80, 0x80, 0x80, 0x80, 0x01},
	    /* a stream id in five bytes whose top bits fall off an int32 */
	    {8, 0x08, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0x7f},
	    /* a negative stream id in ten bytes: protobuf-c decides */
	    {13, 0x08, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	    /* a serviceId and a connectionId */
	    {10, 0x08, 0x02, 0x10, 0x01, 0x2a, 0x02, 'S', '1', 0x38, 0x07},
	    /* a key in two bytes */
	    {3, 0x88, 0x00, 0x01},
	    /* no type */
	    {2, 0x10, 0x01},
	};

	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		gsize len = bodies[i][0];
		g_autoptr(GByteArray) frame = g_byte_array_new();
		g_autoptr(GBytes) pushed = NULL;
		g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
		g_autoptr(GError) in_place_error = NULL;
		g_autoptr(GError) protobuf_c_error = NULL;
		g_autoptr(IotMessage) in_place = NULL;
		g_autoptr(IotMessage) protobuf_c = NULL;
		guint8 prefix[2] = {0, (guint8)len};

		g_byte_array_append(frame, prefix, 2);
		g_byte_array_append(frame, bodies[i] + 1, len);
		pushed = g_byte_array_free_to_bytes(g_steal_pointer(&frame));
		iot_frame_decoder_push(decoder, pushed);
		in_place = iot_frame_decoder_next(decoder, &in_place_error);
		protobuf_c = iot_frame_decode_body(bodies[i] + 1, len, &protobuf_c_error);
		g_assert_true(i != 0 || protobuf_c != NULL);
		if (protobuf_c == NULL) {
			g_assert_null(in_place);
			g_assert_nonnull(protobuf_c_error);
			g_assert_error(in_place_error, IOT_FRAME_ERROR, protobuf_c_error->code);
			continue;
		}
		g_assert_no_error(in_place_error);
		iot_test_assert_message_equal(in_place, protobuf_c);
		if (i == 0) {
			gsize size = 0;
			const guint8 *start = g_bytes_get_data(pushed, &size);
			const guint8 *payload = NULL;

			g_assert_nonnull(in_place->payload);
			payload = g_bytes_get_data(in_place->payload, NULL);
			g_assert_true(payload >= start && payload < start + size);
		}
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/frame-decoder/whole",
		   IotStreamFixture,
		   NULL,
		   iot_stream_fixture_setup,
		   iot_frame_decoder_whole_func,
		   iot_stream_fixture_teardown);
	g_test_add("/iotunnel/frame-decoder/split-at-every-byte",
		   IotStreamFixture,
		   NULL,
		   iot_stream_fixture_setup,
		   iot_frame_decoder_split_every_byte_func,
		   iot_stream_fixture_teardown);
	g_test_add("/iotunnel/frame-decoder/split-at-two-points",
		   IotStreamFixture,
		   NULL,
		   iot_stream_fixture_setup,
		   iot_frame_decoder_split_two_points_func,
		   iot_stream_fixture_teardown);
	g_test_add("/iotunnel/frame-decoder/byte-by-byte",
		   IotStreamFixture,
		   NULL,
		   iot_stream_fixture_setup,
		   iot_frame_decoder_byte_by_byte_func,
		   iot_stream_fixture_teardown);
	g_test_add_func("/iotunnel/frame-decoder/buffered", iot_frame_decoder_buffered_func);
	g_test_add_func("/iotunnel/frame-decoder/in-place", iot_frame_decoder_in_place_func);
	g_test_add_func("/iotunnel/frame-decoder/spanning-pushes", iot_frame_decoder_spanning_func);
	g_test_add_func("/iotunnel/frame-decoder/max-length", iot_frame_decoder_max_length_func);
	g_test_add_func("/iotunnel/frame-decoder/oversized-early",
			iot_frame_decoder_oversized_early_func);
	g_test_add_func("/iotunnel/frame-decoder/re-encodable",
			iot_frame_decoder_re_encodable_func);
	for (guint i = 0; i < G_N_ELEMENTS(non_canonical_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/frame-decoder/non-canonical/%s",
							 non_canonical_cases[i].name);
		g_test_add_data_func(path,
				     &non_canonical_cases[i],
				     iot_frame_decoder_non_canonical_func);
	}
	for (guint i = 0; i < G_N_ELEMENTS(malformed_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/frame-decoder/malformed/%s",
							 malformed_cases[i].name);
		g_test_add_data_func(path, &malformed_cases[i], iot_frame_decoder_malformed_func);
	}
	return g_test_run();
}
