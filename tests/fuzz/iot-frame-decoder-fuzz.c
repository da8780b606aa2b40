/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz.h"
#include "iot-test-common.h"

/*
 * libFuzzer target for the wire codec. The input is a byte stream as the
 * service would send it. It is decoded at several splits, which must all
 * agree; every message decoded must encode again, canonically, to bytes that
 * decode to the same message; packed by the encoder, whole frames come back.
 */

typedef struct {
	GPtrArray *messages; /* of IotMessage, until the error if any */
	gint code;	     /* in IOT_FRAME_ERROR, or -1 */
	gsize buffered;	     /* what the decoder holds at the end, without an error */
} IotFuzzResult;

static void
iot_fuzz_result_free(IotFuzzResult *result)
{
	g_ptr_array_unref(result->messages);
	g_free(result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotFuzzResult, iot_fuzz_result_free)

/* pushes @input in pieces of @chunks[0], @chunks[1], ... (cycling, 0 for all), draining after each
 */
static IotFuzzResult *
iot_fuzz_decode(GBytes *input, const gsize *chunks, guint n_chunks)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(IotFuzzResult) result = g_new0(IotFuzzResult, 1);
	gsize size = g_bytes_get_size(input);
	gsize offset = 0;

	result->messages = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	result->code = -1;
	for (guint i = 0; offset < size; i = (i + 1) % n_chunks) {
		gsize len = MIN(chunks[i] == 0 ? size : chunks[i], size - offset);
		g_autoptr(GBytes) slice = g_bytes_new_from_bytes(input, offset, len);
		iot_frame_decoder_push(decoder, slice);
		offset += len;
		while (TRUE) {
			g_autoptr(GError) error = NULL;
			IotMessage *msg = iot_frame_decoder_next(decoder, &error);
			if (error != NULL) {
				g_assert_null(msg);
				g_assert_true(error->domain == IOT_FRAME_ERROR);
				result->code = error->code;
				return g_steal_pointer(&result);
			}
			if (msg == NULL)
				break;
			g_ptr_array_add(result->messages, msg);
		}
	}
	result->buffered = iot_frame_decoder_get_buffered(decoder);
	/* a stream that did not fail holds at most one unfinished frame */
	g_assert_cmpuint(result->buffered, <, 2 + IOT_FRAME_MAX_LENGTH);
	return g_steal_pointer(&result);
}

static void
iot_fuzz_assert_same(const IotFuzzResult *a, const IotFuzzResult *b)
{
	g_assert_cmpint(a->code, ==, b->code);
	g_assert_cmpuint(a->messages->len, ==, b->messages->len);
	for (guint i = 0; i < a->messages->len; i++)
		iot_test_assert_message_equal(g_ptr_array_index(a->messages, i),
					      g_ptr_array_index(b->messages, i));
	if (a->code == -1)
		g_assert_cmpuint(a->buffered, ==, b->buffered);
}

/* encodes @msg: canonical bytes that decode to @msg and encode to themselves */
static void
iot_fuzz_re_encode(const IotMessage *msg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = iot_frame_encode(msg, &error);
	g_autoptr(GBytes) again = NULL;
	g_autoptr(IotMessage) decoded = NULL;
	g_autofree gchar *fields = NULL;
	const guint8 *data;
	gsize size = 0;

	g_assert_no_error(error);
	g_assert_nonnull(frame);
	data = g_bytes_get_data(frame, &size);
	g_assert_cmpuint(size, <=, 2 + IOT_FRAME_MAX_LENGTH);
	g_assert_cmpuint(((gsize)data[0] << 8) | data[1], ==, size - 2);
	fields = iot_test_canonical_fields(data + 2, size - 2);
	decoded = iot_frame_decode_body(data + 2, size - 2, &error);
	g_assert_no_error(error);
	g_assert_nonnull(decoded);
	iot_test_assert_message_equal(msg, decoded);
	again = iot_frame_encode(decoded, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(frame, again));
}

/* packs @messages into payloads of at most @max_payload; each decodes alone, in order */
static void
iot_fuzz_pack(GPtrArray *messages, gsize max_payload)
{
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(max_payload);
	guint index = 0;

	for (guint i = 0; i < messages->len; i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true(
		    iot_frame_encoder_add(encoder, g_ptr_array_index(messages, i), &error));
		g_assert_no_error(error);
	}
	while (TRUE) {
		g_autoptr(GBytes) payload = iot_frame_encoder_pop(encoder);
		g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
		guint count = 0;
		if (payload == NULL)
			break;
		iot_frame_decoder_push(decoder, payload);
		while (TRUE) {
			g_autoptr(GError) error = NULL;
			g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
			g_assert_no_error(error);
			if (msg == NULL)
				break;
			g_assert_cmpuint(index, <, messages->len);
			iot_test_assert_message_equal(g_ptr_array_index(messages, index), msg);
			index++;
			count++;
		}
		g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
		g_assert_true(g_bytes_get_size(payload) <= max_payload || count == 1);
	}
	g_assert_cmpuint(index, ==, messages->len);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 0);
}

/*
 * The decoder takes the frames of one push apart in place, reading the
 * messages of the data path straight from the wire format: each must be what
 * protobuf-c makes of the same body, or fail as it does.
 */
static void
iot_fuzz_compare_protobuf_c(GBytes *input, const IotFuzzResult *whole)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(input, &size);
	gsize offset = 0;

	for (guint i = 0; offset + 2 <= size; i++) {
		gsize length = ((gsize)data[offset] << 8) | data[offset + 1];
		g_autoptr(GError) error = NULL;
		g_autoptr(IotMessage) msg = NULL;

		if (length == 0 || length > IOT_FRAME_MAX_LENGTH || offset + 2 + length > size)
			return;
		msg = iot_frame_decode_body(data + offset + 2, length, &error);
		if (msg == NULL) {
			g_assert_nonnull(error);
			g_assert_cmpint(whole->code, ==, error->code);
			g_assert_cmpuint(whole->messages->len, ==, i);
			return;
		}
		g_assert_cmpuint(i, <, whole->messages->len);
		iot_test_assert_message_equal(msg, g_ptr_array_index(whole->messages, i));
		offset += 2 + length;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* a critical (a failed precondition) is a finding too */
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	/* register the types once, before the leak checks of the first input */
	g_type_ensure(IOT_TYPE_FRAME_DECODER);
	g_type_ensure(IOT_TYPE_FRAME_ENCODER);
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GBytes) input = g_bytes_new_static(data, size);
	g_autoptr(IotFuzzResult) whole = NULL;
	const gsize whole_chunks[] = {0};
	const gsize one[] = {1};
	const gsize prime[] = {7};
	const gsize mixed[] = {3, 1, 4093, 2, 251};
	/* about 64 pieces whatever the size: a long input costs no more than a few short ones */
	const gsize even[] = {size / 64 + 1};
	struct {
		const gsize *chunks;
		guint n_chunks;
		gsize max_input;
	} splits[] = {
	    {even, G_N_ELEMENTS(even), G_MAXSIZE},
	    /* pieces of a fixed size: only for short inputs */
	    {prime, G_N_ELEMENTS(prime), 4096},
	    {mixed, G_N_ELEMENTS(mixed), 16384},
	    /* a push per byte: only for the shortest */
	    {one, G_N_ELEMENTS(one), 512},
	};

	whole = iot_fuzz_decode(input, whole_chunks, G_N_ELEMENTS(whole_chunks));
	iot_fuzz_compare_protobuf_c(input, whole);
	for (guint i = 0; i < G_N_ELEMENTS(splits); i++) {
		g_autoptr(IotFuzzResult) result = NULL;
		if (size > splits[i].max_input)
			continue;
		result = iot_fuzz_decode(input, splits[i].chunks, splits[i].n_chunks);
		iot_fuzz_assert_same(whole, result);
	}

	for (guint i = 0; i < whole->messages->len; i++)
		iot_fuzz_re_encode(g_ptr_array_index(whole->messages, i));
	iot_fuzz_pack(whole->messages, IOT_WEBSOCKET_MAX_PAYLOAD);
	iot_fuzz_pack(whole->messages, 4096);
	return 0;
}
