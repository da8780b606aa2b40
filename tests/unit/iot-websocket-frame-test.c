/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <string.h>

/* the frames of RFC 6455 section 5.7 */
static const guint8 rfc_text_unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const guint8 rfc_text_masked[] =
    {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const guint8 rfc_fragments[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
static const guint8 rfc_ping_unmasked[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const guint8 rfc_pong_masked[] =
    {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const guint8 rfc_256_header[] = {0x82, 0x7e, 0x01, 0x00};
static const guint8 rfc_64k_header[] = {0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};

/* one frame as the scan saw it */
typedef struct {
	gboolean fin;
	guint8 opcode;
	gboolean masked;
	GByteArray *payload; /* unmasked */
} ScannedFrame;

static void
scanned_frame_free(ScannedFrame *frame)
{
	g_byte_array_unref(frame->payload);
	g_free(frame);
}

/*
 * Scans @len bytes of @wire in chunks cut at @cuts (sorted offsets),
 * unmasking in place; the frames seen go in the array returned. Fails the
 * test at a refused header.
 */
static GPtrArray *
scan_all(IotWebsocketFrameSender sender,
	 const guint8 *wire,
	 gsize len,
	 const gsize *cuts,
	 guint n_cuts)
{
	g_autofree guint8 *copy = g_memdup2(wire, len);
	GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)scanned_frame_free);
	IotWebsocketFrameScan scan;
	ScannedFrame *current = NULL;
	gsize chunk_start = 0;

	iot_websocket_frame_scan_init(&scan, sender);
	for (guint c = 0; c <= n_cuts; c++) {
		gsize chunk_end = c < n_cuts ? cuts[c] : len;
		const guint8 *data = copy + chunk_start;
		gsize left = chunk_end - chunk_start;

		while (left > 0) {
			if (scan.payload_left == 0) {
				g_autoptr(GError) error = NULL;
				IotWebsocketFrameScanResult result =
				    iot_websocket_frame_scan_header(&scan, &data, &left, &error);
				g_assert_no_error(error);
				if (result == IOT_WEBSOCKET_FRAME_SCAN_MORE)
					break;
				g_assert_cmpint(result, ==, IOT_WEBSOCKET_FRAME_SCAN_HEADER);
				current = g_new0(ScannedFrame, 1);
				current->fin = scan.fin;
				current->opcode = scan.opcode;
				current->masked = scan.masked;
				current->payload = g_byte_array_new();
				g_ptr_array_add(frames, current);
				continue;
			}
			{
				gsize take = iot_websocket_frame_scan_take_unmasked(&scan,
										    (guint8 *)data,
										    left);
				g_byte_array_append(current->payload, data, take);
				data += take;
				left -= take;
			}
		}
		chunk_start = chunk_end;
	}
	g_assert_true(iot_websocket_frame_scan_at_boundary(&scan));
	return frames;
}

static GPtrArray *
scan_whole(IotWebsocketFrameSender sender, const guint8 *wire, gsize len)
{
	return scan_all(sender, wire, len, NULL, 0);
}

static void
assert_frame(GPtrArray *frames,
	     guint i,
	     gboolean fin,
	     guint8 opcode,
	     gboolean masked,
	     const gchar *payload)
{
	ScannedFrame *frame;

	g_assert_cmpuint(i, <, frames->len);
	frame = g_ptr_array_index(frames, i);
	g_assert_cmpint(frame->fin, ==, fin);
	g_assert_cmpuint(frame->opcode, ==, opcode);
	g_assert_cmpint(frame->masked, ==, masked);
	g_assert_cmpmem(frame->payload->data, frame->payload->len, payload, strlen(payload));
}

static void
test_rfc_examples(void)
{
	g_autoptr(GPtrArray) text = NULL;
	g_autoptr(GPtrArray) masked = NULL;
	g_autoptr(GPtrArray) fragments = NULL;
	g_autoptr(GPtrArray) ping = NULL;
	g_autoptr(GPtrArray) pong = NULL;

	text = scan_whole(IOT_WEBSOCKET_FRAME_FROM_SERVER,
			  rfc_text_unmasked,
			  sizeof(rfc_text_unmasked));
	g_assert_cmpuint(text->len, ==, 1);
	assert_frame(text, 0, TRUE, IOT_WEBSOCKET_OPCODE_TEXT, FALSE, "Hello");

	masked =
	    scan_whole(IOT_WEBSOCKET_FRAME_FROM_CLIENT, rfc_text_masked, sizeof(rfc_text_masked));
	g_assert_cmpuint(masked->len, ==, 1);
	assert_frame(masked, 0, TRUE, IOT_WEBSOCKET_OPCODE_TEXT, TRUE, "Hello");

	fragments =
	    scan_whole(IOT_WEBSOCKET_FRAME_FROM_SERVER, rfc_fragments, sizeof(rfc_fragments));
	g_assert_cmpuint(fragments->len, ==, 2);
	assert_frame(fragments, 0, FALSE, IOT_WEBSOCKET_OPCODE_TEXT, FALSE, "Hel");
	assert_frame(fragments, 1, TRUE, IOT_WEBSOCKET_OPCODE_CONTINUATION, FALSE, "lo");

	ping = scan_whole(IOT_WEBSOCKET_FRAME_FROM_SERVER,
			  rfc_ping_unmasked,
			  sizeof(rfc_ping_unmasked));
	assert_frame(ping, 0, TRUE, IOT_WEBSOCKET_OPCODE_PING, FALSE, "Hello");

	pong =
	    scan_whole(IOT_WEBSOCKET_FRAME_FROM_CLIENT, rfc_pong_masked, sizeof(rfc_pong_masked));
	assert_frame(pong, 0, TRUE, IOT_WEBSOCKET_OPCODE_PONG, TRUE, "Hello");
}

/* the 256-byte and 64 KiB binary frames of RFC 6455 section 5.7 */
static void
test_rfc_lengths(void)
{
	const struct {
		const guint8 *header;
		gsize header_len;
		gsize payload_len;
	} cases[] = {
	    {rfc_256_header, sizeof(rfc_256_header), 256},
	    {rfc_64k_header, sizeof(rfc_64k_header), 65536},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		gsize len = cases[i].header_len + cases[i].payload_len;
		g_autofree guint8 *wire = g_malloc(len);
		g_autoptr(GPtrArray) frames = NULL;
		guint8 header[IOT_WEBSOCKET_FRAME_HEADER_MAX];
		ScannedFrame *frame;

		memcpy(wire, cases[i].header, cases[i].header_len);
		for (gsize j = 0; j < cases[i].payload_len; j++)
			wire[cases[i].header_len + j] = (guint8)j;
		frames = scan_whole(IOT_WEBSOCKET_FRAME_FROM_SERVER, wire, len);
		g_assert_cmpuint(frames->len, ==, 1);
		frame = g_ptr_array_index(frames, 0);
		g_assert_cmpuint(frame->opcode, ==, IOT_WEBSOCKET_OPCODE_BINARY);
		g_assert_cmpmem(frame->payload->data,
				frame->payload->len,
				wire + cases[i].header_len,
				cases[i].payload_len);

		g_assert_cmpuint(iot_websocket_frame_header_size(cases[i].payload_len, FALSE),
				 ==,
				 cases[i].header_len);
		g_assert_cmpuint(iot_websocket_frame_write_header(header,
								  TRUE,
								  IOT_WEBSOCKET_OPCODE_BINARY,
								  cases[i].payload_len,
								  NULL),
				 ==,
				 cases[i].header_len);
		g_assert_cmpmem(header, cases[i].header_len, cases[i].header, cases[i].header_len);
	}
}

/* the headers written are the RFC's, byte for byte */
static void
test_write_rfc_headers(void)
{
	guint8 frame[IOT_WEBSOCKET_FRAME_HEADER_MAX + 5];
	const guint8 key[] = {0x37, 0xfa, 0x21, 0x3d};
	gsize size;

	size = iot_websocket_frame_write_header(frame, TRUE, IOT_WEBSOCKET_OPCODE_TEXT, 5, key);
	g_assert_cmpuint(size, ==, iot_websocket_frame_header_size(5, TRUE));
	iot_websocket_mask_copy(frame + size, (const guint8 *)"Hello", 5, key, 0);
	g_assert_cmpmem(frame, size + 5, rfc_text_masked, sizeof(rfc_text_masked));

	size = iot_websocket_frame_write_header(frame, FALSE, IOT_WEBSOCKET_OPCODE_TEXT, 3, NULL);
	g_assert_cmpmem(frame, size, rfc_fragments, 2);

	size = iot_websocket_frame_write_header(frame, TRUE, IOT_WEBSOCKET_OPCODE_PING, 5, NULL);
	g_assert_cmpmem(frame, size, rfc_ping_unmasked, 2);

	/* the lengths at each edge, in the fewest bytes */
	g_assert_cmpuint(iot_websocket_frame_header_size(125, FALSE), ==, 2);
	g_assert_cmpuint(iot_websocket_frame_header_size(126, FALSE), ==, 4);
	g_assert_cmpuint(iot_websocket_frame_header_size(65535, TRUE), ==, 8);
	g_assert_cmpuint(iot_websocket_frame_header_size(65536, TRUE), ==, 14);
}

/* the RFC's frames, and a stream of many frames, cut at every place or at random */
static void
test_random_splits(void)
{
	g_autoptr(GByteArray) wire = g_byte_array_new();
	g_autoptr(GPtrArray) expected =
	    g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	const gsize sizes[] = {0, 1, 7, 8, 9, 125, 126, 127, 65535, 65536, 70001};
	g_autoptr(GRand) rand = g_rand_new_with_seed(16);

	/* every cut of the RFC's fragmented message, one and two at a time */
	for (gsize a = 0; a <= sizeof(rfc_fragments); a++) {
		for (gsize b = a; b <= sizeof(rfc_fragments); b++) {
			gsize cuts[] = {a, b};
			g_autoptr(GPtrArray) frames = scan_all(IOT_WEBSOCKET_FRAME_FROM_SERVER,
							       rfc_fragments,
							       sizeof(rfc_fragments),
							       cuts,
							       2);
			assert_frame(frames, 0, FALSE, IOT_WEBSOCKET_OPCODE_TEXT, FALSE, "Hel");
			assert_frame(frames,
				     1,
				     TRUE,
				     IOT_WEBSOCKET_OPCODE_CONTINUATION,
				     FALSE,
				     "lo");
		}
	}

	/* masked client frames of each length edge, with pings between fragments */
	for (guint i = 0; i < G_N_ELEMENTS(sizes) * 3; i++) {
		gsize size = sizes[i % G_N_ELEMENTS(sizes)];
		gboolean control = i % 5 == 4;
		guint8 key[4];
		guint8 header[IOT_WEBSOCKET_FRAME_HEADER_MAX];
		guint8 *payload;
		gsize header_len;
		guint32 random_key = g_rand_int(rand);

		if (control)
			size = MIN(size, IOT_WEBSOCKET_CONTROL_MAX);
		memcpy(key, &random_key, sizeof(key));
		payload = g_malloc(size + 1);
		for (gsize j = 0; j < size; j++)
			payload[j] = (guint8)g_rand_int(rand);
		header_len = iot_websocket_frame_write_header(header,
							      TRUE,
							      control ? IOT_WEBSOCKET_OPCODE_PING
								      : IOT_WEBSOCKET_OPCODE_BINARY,
							      size,
							      key);
		g_byte_array_append(wire, header, header_len);
		g_byte_array_set_size(wire, wire->len + size);
		iot_websocket_mask_copy(wire->data + wire->len - size, payload, size, key, 0);
		g_ptr_array_add(expected, g_bytes_new_take(payload, size));
	}

	for (guint round = 0; round < 50; round++) {
		guint n_cuts = g_rand_int_range(rand, 0, 200);
		g_autofree gsize *cuts = g_new(gsize, n_cuts + 1);
		g_autoptr(GPtrArray) frames = NULL;

		for (guint c = 0; c < n_cuts; c++)
			cuts[c] = g_rand_int_range(rand, 0, wire->len + 1);
		for (guint c = 1; c < n_cuts; c++)
			for (guint d = c; d > 0 && cuts[d - 1] > cuts[d]; d--) {
				gsize swap = cuts[d];
				cuts[d] = cuts[d - 1];
				cuts[d - 1] = swap;
			}
		frames =
		    scan_all(IOT_WEBSOCKET_FRAME_FROM_CLIENT, wire->data, wire->len, cuts, n_cuts);
		g_assert_cmpuint(frames->len, ==, expected->len);
		for (guint i = 0; i < frames->len; i++) {
			ScannedFrame *frame = g_ptr_array_index(frames, i);
			gsize size = 0;
			const guint8 *want =
			    g_bytes_get_data(g_ptr_array_index(expected, i), &size);
			g_assert_true(frame->masked);
			g_assert_cmpmem(frame->payload->data, frame->payload->len, want, size);
		}
	}
}

/* word-at-a-time masking equals the RFC's byte loop at every alignment and offset */
static void
test_mask(void)
{
	const guint8 key[] = {0x01, 0x23, 0x45, 0x67};
	guint8 src[96];
	guint8 dst[128];
	guint8 in_place[128];

	for (gsize i = 0; i < sizeof(src); i++)
		src[i] = (guint8)(i * 7 + 3);
	for (gsize align = 0; align < 16; align++) {
		for (guint64 offset = 0; offset < 9; offset++) {
			for (gsize len = 0; len <= 80; len++) {
				memset(dst, 0xee, sizeof(dst));
				iot_websocket_mask_copy(dst + align, src + 1, len, key, offset);
				for (gsize i = 0; i < len; i++)
					g_assert_cmpuint(dst[align + i],
							 ==,
							 src[1 + i] ^ key[(offset + i) & 3]);
				g_assert_cmpuint(dst[align + len], ==, 0xee);
				if (align > 0)
					g_assert_cmpuint(dst[align - 1], ==, 0xee);

				memcpy(in_place + align, src, len);
				iot_websocket_mask(in_place + align, len, key, offset);
				iot_websocket_mask(in_place + align, len, key, offset);
				g_assert_cmpmem(in_place + align, len, src, len);
			}
		}
	}
}

/* unmasking in pieces gives what unmasking at once does */
static void
test_unmask_in_pieces(void)
{
	const guint8 key[] = {0xde, 0xad, 0xbe, 0xef};
	guint8 whole[1000];
	guint8 pieces[1000];
	gsize at = 0;

	for (gsize i = 0; i < sizeof(whole); i++)
		whole[i] = pieces[i] = (guint8)i;
	iot_websocket_mask(whole, sizeof(whole), key, 0);
	for (gsize step = 1; at < sizeof(pieces); step = step % 13 + 1) {
		gsize len = MIN(step, sizeof(pieces) - at);
		iot_websocket_mask(pieces + at, len, key, at);
		at += len;
	}
	g_assert_cmpmem(whole, sizeof(whole), pieces, sizeof(pieces));
}

static void
assert_refused(IotWebsocketFrameSender sender, const guint8 *wire, gsize len, gint code)
{
	g_autoptr(GError) error = NULL;
	IotWebsocketFrameScan scan;
	IotWebsocketFrameScanResult result = IOT_WEBSOCKET_FRAME_SCAN_HEADER;

	iot_websocket_frame_scan_init(&scan, sender);
	while (result == IOT_WEBSOCKET_FRAME_SCAN_HEADER) {
		result = iot_websocket_frame_scan_header(&scan, &wire, &len, &error);
		if (result == IOT_WEBSOCKET_FRAME_SCAN_HEADER) {
			gsize take = iot_websocket_frame_scan_take(&scan, len);
			wire += take;
			len -= take;
		}
	}
	g_assert_cmpint(result, ==, IOT_WEBSOCKET_FRAME_SCAN_ERROR);
	g_assert_error(error, IOT_WEBSOCKET_FRAME_ERROR, code);
}

static void
test_refused(void)
{
	const guint8 rsv[] = {0xc2, 0x00};
	const guint8 opcode_data[] = {0x83, 0x00};
	const guint8 opcode_control[] = {0x8b, 0x00};
	const guint8 long_ping[] = {0x89, 0x7e, 0x00, 0x7e};
	const guint8 fragmented_ping[] = {0x09, 0x00};
	const guint8 short_16[] = {0x82, 0x7e, 0x00, 0x7d};
	const guint8 short_64[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const guint8 top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0};
	const guint8 lone_continuation[] = {0x80, 0x00};
	const guint8 unfinished[] = {0x02, 0x00, 0x82, 0x00};

	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       rsv,
		       sizeof(rsv),
		       IOT_WEBSOCKET_FRAME_ERROR_RESERVED_BITS);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       opcode_data,
		       sizeof(opcode_data),
		       IOT_WEBSOCKET_FRAME_ERROR_OPCODE);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       opcode_control,
		       sizeof(opcode_control),
		       IOT_WEBSOCKET_FRAME_ERROR_OPCODE);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       long_ping,
		       sizeof(long_ping),
		       IOT_WEBSOCKET_FRAME_ERROR_CONTROL);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       fragmented_ping,
		       sizeof(fragmented_ping),
		       IOT_WEBSOCKET_FRAME_ERROR_CONTROL);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       short_16,
		       sizeof(short_16),
		       IOT_WEBSOCKET_FRAME_ERROR_LENGTH);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       short_64,
		       sizeof(short_64),
		       IOT_WEBSOCKET_FRAME_ERROR_LENGTH);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       top_bit,
		       sizeof(top_bit),
		       IOT_WEBSOCKET_FRAME_ERROR_LENGTH);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       lone_continuation,
		       sizeof(lone_continuation),
		       IOT_WEBSOCKET_FRAME_ERROR_SEQUENCE);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       unfinished,
		       sizeof(unfinished),
		       IOT_WEBSOCKET_FRAME_ERROR_SEQUENCE);
	/* a client's frame unmasked, a server's masked */
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_CLIENT,
		       rfc_text_unmasked,
		       sizeof(rfc_text_unmasked),
		       IOT_WEBSOCKET_FRAME_ERROR_MASK);
	assert_refused(IOT_WEBSOCKET_FRAME_FROM_SERVER,
		       rfc_text_masked,
		       sizeof(rfc_text_masked),
		       IOT_WEBSOCKET_FRAME_ERROR_MASK);
}

/* a ping between the fragments of a message is allowed (RFC 6455 section 5.4) */
static void
test_control_between_fragments(void)
{
	const guint8 wire[] = {0x02, 0x01, 'a', 0x89, 0x00, 0x80, 0x01, 'b'};
	g_autoptr(GPtrArray) frames =
	    scan_whole(IOT_WEBSOCKET_FRAME_FROM_SERVER, wire, sizeof(wire));

	g_assert_cmpuint(frames->len, ==, 3);
	assert_frame(frames, 0, FALSE, IOT_WEBSOCKET_OPCODE_BINARY, FALSE, "a");
	assert_frame(frames, 1, TRUE, IOT_WEBSOCKET_OPCODE_PING, FALSE, "");
	assert_frame(frames, 2, TRUE, IOT_WEBSOCKET_OPCODE_CONTINUATION, FALSE, "b");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/websocket-frame/rfc-examples", test_rfc_examples);
	g_test_add_func("/websocket-frame/rfc-lengths", test_rfc_lengths);
	g_test_add_func("/websocket-frame/write-rfc-headers", test_write_rfc_headers);
	g_test_add_func("/websocket-frame/random-splits", test_random_splits);
	g_test_add_func("/websocket-frame/mask", test_mask);
	g_test_add_func("/websocket-frame/unmask-in-pieces", test_unmask_in_pieces);
	g_test_add_func("/websocket-frame/refused", test_refused);
	g_test_add_func("/websocket-frame/control-between-fragments",
			test_control_between_fragments);
	return g_test_run();
}
