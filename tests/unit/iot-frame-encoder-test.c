/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-test-common.h"

/* a DATA message whose frame is 8 + @payload_len bytes, or 9 + from 128 to 16383 */
static IotMessage *
iot_encoder_test_data(gsize payload_len, guint8 k)
{
	g_autoptr(GBytes) payload = iot_test_pattern(payload_len, k);
	return iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, payload);
}

/* the frame of the largest DATA message of the vectors: 64530 bytes */
static IotMessage *
iot_encoder_test_full(guint8 k)
{
	g_autoptr(GBytes) payload = iot_test_pattern(IOT_MESSAGE_MAX_PAYLOAD, k);
	return iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 1, payload);
}

static gsize
iot_encoder_test_frame_size(const IotMessage *msg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	return g_bytes_get_size(frame);
}

/* decodes one WebSocket payload on its own: whole frames only, nothing left over */
static guint
iot_encoder_test_decode_payload(GBytes *payload, GPtrArray *out)
{
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	guint count = 0;
	iot_frame_decoder_push(decoder, payload);
	while (TRUE) {
		g_autoptr(GError) error = NULL;
		IotMessage *msg = iot_frame_decoder_next(decoder, &error);
		g_assert_no_error(error);
		if (msg == NULL)
			break;
		g_ptr_array_add(out, msg);
		count++;
	}
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	return count;
}

/* adds every message, pops every payload; checks the sizes popped and the order */
static void
iot_encoder_test_run(gsize max_payload,
		     GPtrArray *messages,
		     const gsize *sizes_expected,
		     guint n_sizes)
{
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(max_payload);
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	gsize pending = 0;
	guint n_payloads = 0;

	for (guint i = 0; i < messages->len; i++) {
		g_autoptr(GError) error = NULL;
		const IotMessage *msg = g_ptr_array_index(messages, i);
		g_assert_true(iot_frame_encoder_add(encoder, msg, &error));
		g_assert_no_error(error);
		pending += iot_encoder_test_frame_size(msg);
		g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, pending);
	}
	while (TRUE) {
		g_autoptr(GBytes) payload = iot_frame_encoder_pop(encoder);
		if (payload == NULL)
			break;
		g_assert_cmpuint(n_payloads, <, n_sizes);
		g_assert_cmpuint(g_bytes_get_size(payload), ==, sizes_expected[n_payloads]);
		g_assert_cmpuint(g_bytes_get_size(payload), <=, IOT_WEBSOCKET_MAX_PAYLOAD);
		pending -= g_bytes_get_size(payload);
		g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, pending);
		iot_encoder_test_decode_payload(payload, got);
		n_payloads++;
	}
	g_assert_cmpuint(n_payloads, ==, n_sizes);
	g_assert_cmpuint(pending, ==, 0);
	g_assert_cmpuint(got->len, ==, messages->len);
	for (guint i = 0; i < got->len; i++)
		iot_test_assert_message_equal(g_ptr_array_index(messages, i),
					      g_ptr_array_index(got, i));
}

static void
iot_frame_encoder_encode_func(void)
{
	g_autoptr(IotMessage) msg =
	    iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "SSH1", 1, NULL);
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(0);
	g_autoptr(GBytes) expected = iot_test_bytes_from_hex("000c 0802 1001 2a0453534831 3801");
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(GError) error = NULL;

	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(frame, expected));

	/* one message makes one payload holding just its frame */
	g_assert_true(iot_frame_encoder_add(encoder, msg, &error));
	g_assert_no_error(error);
	payload = iot_frame_encoder_pop(encoder);
	g_assert_nonnull(payload);
	g_assert_true(g_bytes_equal(payload, expected));
	g_assert_null(iot_frame_encoder_pop(encoder));
}

static void
iot_frame_encoder_pack_small_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	gsize total = 0;
	for (guint i = 0; i < 200; i++) {
		IotMessage *msg = iot_encoder_test_data(i % 50, (guint8)i);
		total += iot_encoder_test_frame_size(msg);
		g_ptr_array_add(messages, msg);
	}
	iot_encoder_test_run(0, messages, &total, 1);
}

static void
iot_frame_encoder_pack_default_max_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gsize sizes[] = {2 * 64530, 2 * 64530, 64530 + 14};
	for (guint i = 0; i < 5; i++)
		g_ptr_array_add(messages, iot_encoder_test_full((guint8)i));
	g_ptr_array_add(
	    messages,
	    iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 1, NULL));
	g_assert_cmpuint(iot_encoder_test_frame_size(g_ptr_array_index(messages, 0)), ==, 64530);
	/* two full frames fit in 131076 bytes, three do not */
	iot_encoder_test_run(IOT_WEBSOCKET_MAX_PAYLOAD, messages, sizes, G_N_ELEMENTS(sizes));
}

static void
iot_frame_encoder_pack_exact_fit_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gsize sizes[] = {IOT_WEBSOCKET_MAX_PAYLOAD, 4};
	g_ptr_array_add(messages, iot_encoder_test_full(1));
	g_ptr_array_add(messages, iot_encoder_test_full(2));
	/* 9 + 2007 bytes: the payload is then exactly full */
	g_ptr_array_add(messages, iot_encoder_test_data(2007, 3));
	g_assert_cmpuint(iot_encoder_test_frame_size(g_ptr_array_index(messages, 2)),
			 ==,
			 IOT_WEBSOCKET_MAX_PAYLOAD - 2 * 64530);
	g_ptr_array_add(messages, iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0));
	iot_encoder_test_run(0, messages, sizes, G_N_ELEMENTS(sizes));
}

static void
iot_frame_encoder_pack_one_byte_over_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gsize sizes[] = {2 * 64530, IOT_WEBSOCKET_MAX_PAYLOAD - 2 * 64530 + 1};
	g_ptr_array_add(messages, iot_encoder_test_full(1));
	g_ptr_array_add(messages, iot_encoder_test_full(2));
	g_ptr_array_add(messages, iot_encoder_test_data(2008, 3));
	iot_encoder_test_run(0, messages, sizes, G_N_ELEMENTS(sizes));
}

static void
iot_frame_encoder_max_payload_clamped_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gsize sizes[] = {2 * 64530, 64530};
	for (guint i = 0; i < 3; i++)
		g_ptr_array_add(messages, iot_encoder_test_full((guint8)i));
	/* 0 and anything above the protocol's limit mean the protocol's limit */
	iot_encoder_test_run(0, messages, sizes, G_N_ELEMENTS(sizes));
	iot_encoder_test_run(IOT_WEBSOCKET_MAX_PAYLOAD + 1, messages, sizes, G_N_ELEMENTS(sizes));
	iot_encoder_test_run(G_MAXSIZE, messages, sizes, G_N_ELEMENTS(sizes));
}

static void
iot_frame_encoder_smaller_max_func(void)
{
	g_autoptr(GPtrArray) messages =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	const gsize sizes_70000[] = {64530 + 10 * 108, 64530 + 10 * 108};
	const gsize sizes_1000[] = {64530, 9 * 108, 108, 64530, 9 * 108, 108};

	/* twice: a full frame, then ten DATA frames of 108 bytes */
	for (guint round = 0; round < 2; round++) {
		g_ptr_array_add(messages, iot_encoder_test_full((guint8)round));
		for (guint i = 0; i < 10; i++)
			g_ptr_array_add(messages, iot_encoder_test_data(100, (guint8)i));
	}
	g_assert_cmpuint(iot_encoder_test_frame_size(g_ptr_array_index(messages, 1)), ==, 108);

	/* 70000: one full frame per payload, the small ones behind it */
	iot_encoder_test_run(70000, messages, sizes_70000, G_N_ELEMENTS(sizes_70000));

	/* 1000: nine small frames to a payload; a full frame, never split, alone */
	iot_encoder_test_run(1000, messages, sizes_1000, G_N_ELEMENTS(sizes_1000));
}

static void
iot_frame_encoder_pending_func(void)
{
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(0);
	g_autoptr(IotMessage) full = iot_encoder_test_full(0);
	g_autoptr(IotMessage) small = iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) first = NULL;
	g_autoptr(GBytes) second = NULL;
	g_autoptr(GBytes) third = NULL;

	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 0);
	g_assert_null(iot_frame_encoder_pop(encoder));

	for (guint i = 0; i < 3; i++) {
		g_assert_true(iot_frame_encoder_add(encoder, full, &error));
		g_assert_no_error(error);
	}
	g_assert_true(iot_frame_encoder_add(encoder, small, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 3 * 64530 + 4);

	/* the full payload first; then the one being filled, closed by pop */
	first = iot_frame_encoder_pop(encoder);
	g_assert_cmpuint(g_bytes_get_size(first), ==, 2 * 64530);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 64530 + 4);
	second = iot_frame_encoder_pop(encoder);
	g_assert_cmpuint(g_bytes_get_size(second), ==, 64530 + 4);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 0);
	g_assert_null(iot_frame_encoder_pop(encoder));

	/* after a pop, new frames start a new payload */
	g_assert_true(iot_frame_encoder_add(encoder, small, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 4);
	third = iot_frame_encoder_pop(encoder);
	g_assert_cmpuint(g_bytes_get_size(third), ==, 4);
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 0);
	g_assert_null(iot_frame_encoder_pop(encoder));
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 0);
}

static void
iot_frame_encoder_refused_func(void)
{
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(0);
	g_autoptr(IotMessage) before = iot_encoder_test_data(10, 0);
	g_autoptr(IotMessage) too_large = iot_encoder_test_data(IOT_MESSAGE_MAX_PAYLOAD + 1, 0);
	g_autoptr(IotMessage) no_type = iot_message_new(IOT_MESSAGE_TYPE_UNKNOWN, 1);
	g_autoptr(IotMessage) too_long = iot_encoder_test_full(0);
	g_autoptr(IotMessage) after = iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0);
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autoptr(GBytes) payload = NULL;
	struct {
		const IotMessage *msg;
		IotFrameError code;
	} refused[] = {
	    {too_large, IOT_FRAME_ERROR_PAYLOAD_TOO_LARGE},
	    {no_type, IOT_FRAME_ERROR_INVALID_TYPE},
	    {too_long, IOT_FRAME_ERROR_OVERSIZED},
	};

	/* a full payload and a service ID that takes the frame over the limit */
	g_free(too_long->service_id);
	too_long->service_id = g_strnfill(600, 'S');

	g_assert_true(iot_frame_encoder_add(encoder, before, NULL));
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 18);
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GError) error_encode = NULL;
		g_autoptr(GBytes) frame = iot_frame_encode(refused[i].msg, &error_encode);
		g_assert_error(error_encode, IOT_FRAME_ERROR, (gint)refused[i].code);
		g_assert_null(frame);
		g_assert_false(iot_frame_encoder_add(encoder, refused[i].msg, &error));
		g_assert_error(error, IOT_FRAME_ERROR, (gint)refused[i].code);
		/* nothing of the refused message was queued */
		g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 18);
	}
	g_assert_true(iot_frame_encoder_add(encoder, after, NULL));
	g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, 22);
	payload = iot_frame_encoder_pop(encoder);
	g_assert_cmpuint(iot_encoder_test_decode_payload(payload, got), ==, 2);
	iot_test_assert_message_equal(before, g_ptr_array_index(got, 0));
	iot_test_assert_message_equal(after, g_ptr_array_index(got, 1));
}

/*
 * Random sizes and pops against every property at once: payloads within the
 * maximum unless one frame alone is larger, frames whole and in order, no
 * payload closed early while the next frame would have fitted, pending right.
 */
static void
iot_frame_encoder_random_func(gconstpointer user_data)
{
	gsize max_payload = GPOINTER_TO_SIZE(user_data);
	g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)max_payload);
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(max_payload);
	g_autoptr(GPtrArray) sent =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	g_autoptr(GArray) frame_sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
	gsize pending = 0;
	guint popped_frames = 0;

	for (guint i = 0; i < 400; i++) {
		gboolean drain = i == 399;
		g_autoptr(GError) error = NULL;
		gsize payload_len =
		    g_rand_boolean(rand)
			? (gsize)g_rand_int_range(rand, 0, 200)
			: (gsize)g_rand_int_range(rand, 0, IOT_MESSAGE_MAX_PAYLOAD + 1);
		IotMessage *msg = iot_encoder_test_data(payload_len, (guint8)i);
		gsize frame_size = iot_encoder_test_frame_size(msg);

		g_assert_true(iot_frame_encoder_add(encoder, msg, &error));
		g_assert_no_error(error);
		g_ptr_array_add(sent, msg);
		g_array_append_val(frame_sizes, frame_size);
		pending += frame_size;
		g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, pending);

		if (g_rand_int_range(rand, 0, 8) != 0 && !drain)
			continue;
		while (TRUE) {
			g_autoptr(GBytes) payload = iot_frame_encoder_pop(encoder);
			gsize size;
			guint count;
			if (payload == NULL)
				break;
			size = g_bytes_get_size(payload);
			count = iot_encoder_test_decode_payload(payload, got);
			g_assert_cmpuint(count, >, 0);
			g_assert_true(size <= max_payload || count == 1);
			/* a payload closed by an add could not have taken that frame */
			if (popped_frames + count < sent->len) {
				gsize next =
				    g_array_index(frame_sizes, gsize, popped_frames + count);
				g_assert_cmpuint(size + next, >, max_payload);
			}
			popped_frames += count;
			pending -= size;
			g_assert_cmpuint(iot_frame_encoder_get_pending(encoder), ==, pending);
		}
		g_assert_cmpuint(pending, ==, 0);
	}
	g_assert_cmpuint(got->len, ==, sent->len);
	for (guint i = 0; i < got->len; i++)
		iot_test_assert_message_equal(g_ptr_array_index(sent, i),
					      g_ptr_array_index(got, i));
}

int
main(int argc, char **argv)
{
	const gsize random_maxima[] = {IOT_WEBSOCKET_MAX_PAYLOAD,
				       70000,
				       2 + IOT_FRAME_MAX_LENGTH,
				       4096};

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iotunnel/frame-encoder/encode", iot_frame_encoder_encode_func);
	g_test_add_func("/iotunnel/frame-encoder/pack-small", iot_frame_encoder_pack_small_func);
	g_test_add_func("/iotunnel/frame-encoder/pack-default-max",
			iot_frame_encoder_pack_default_max_func);
	g_test_add_func("/iotunnel/frame-encoder/pack-exact-fit",
			iot_frame_encoder_pack_exact_fit_func);
	g_test_add_func("/iotunnel/frame-encoder/pack-one-byte-over",
			iot_frame_encoder_pack_one_byte_over_func);
	g_test_add_func("/iotunnel/frame-encoder/max-payload-clamped",
			iot_frame_encoder_max_payload_clamped_func);
	g_test_add_func("/iotunnel/frame-encoder/smaller-max", iot_frame_encoder_smaller_max_func);
	g_test_add_func("/iotunnel/frame-encoder/pending", iot_frame_encoder_pending_func);
	g_test_add_func("/iotunnel/frame-encoder/refused", iot_frame_encoder_refused_func);
	for (guint i = 0; i < G_N_ELEMENTS(random_maxima); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/frame-encoder/random/%" G_GSIZE_FORMAT,
				    random_maxima[i]);
		g_test_add_data_func(path,
				     GSIZE_TO_POINTER(random_maxima[i]),
				     iot_frame_encoder_random_func);
	}
	return g_test_run();
}
