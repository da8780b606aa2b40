/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-frame.h"

#include <string.h>

/*
 * The WebSocket frame layer (RFC 6455 section 5) of the transport plugin and
 * of iotunnel-service: frame headers followed across reads split anywhere,
 * headers written into room the caller keeps, and payloads masked and
 * unmasked 8 bytes at a time.
 */

G_DEFINE_QUARK(iot - websocket - frame - error - quark, iot_websocket_frame_error)

/**
 * iot_websocket_frame_scan_init:
 * @scan: a scan
 * @sender: who sends the frames scanned, which says whether they are masked
 *
 * Sets @scan up at the start of a WebSocket's frames.
 */
void
iot_websocket_frame_scan_init(IotWebsocketFrameScan *scan, IotWebsocketFrameSender sender)
{
	memset(scan, 0, sizeof(*scan));
	scan->sender = sender;
	scan->header_need = 2;
}

/**
 * iot_websocket_opcode_is_control:
 * @opcode: a frame's opcode
 *
 * Returns: whether @opcode is that of a control frame (close, ping, pong)
 */
gboolean
iot_websocket_opcode_is_control(guint8 opcode)
{
	return (opcode & 0x08) != 0;
}

/* the header's length, from its first two bytes */
static guint8
iot_websocket_frame_header_need(const guint8 *header)
{
	guint8 len7 = header[1] & 0x7f;
	guint8 need = 2;

	if (len7 == 126)
		need += 2;
	else if (len7 == 127)
		need += 8;
	if (header[1] & 0x80)
		need += 4;
	return need;
}

static gboolean
iot_websocket_frame_scan_check(IotWebsocketFrameScan *scan, GError **error)
{
	guint8 len7 = scan->header[1] & 0x7f;
	gboolean control = iot_websocket_opcode_is_control(scan->opcode);

	if (scan->header[0] & 0x70) {
		g_set_error(error,
			    IOT_WEBSOCKET_FRAME_ERROR,
			    IOT_WEBSOCKET_FRAME_ERROR_RESERVED_BITS,
			    "a frame with reserved bits set (0x%02x)",
			    scan->header[0] & 0x70);
		return FALSE;
	}
	if ((scan->opcode > IOT_WEBSOCKET_OPCODE_BINARY && !control) ||
	    scan->opcode > IOT_WEBSOCKET_OPCODE_PONG) {
		g_set_error(error,
			    IOT_WEBSOCKET_FRAME_ERROR,
			    IOT_WEBSOCKET_FRAME_ERROR_OPCODE,
			    "a frame with the reserved opcode 0x%x",
			    scan->opcode);
		return FALSE;
	}
	if (scan->masked != (scan->sender == IOT_WEBSOCKET_FRAME_FROM_CLIENT)) {
		g_set_error_literal(error,
				    IOT_WEBSOCKET_FRAME_ERROR,
				    IOT_WEBSOCKET_FRAME_ERROR_MASK,
				    scan->masked ? "a masked frame from the server"
						 : "a frame from the client not masked");
		return FALSE;
	}
	if ((len7 == 126 && scan->payload_len < 126) ||
	    (len7 == 127 && scan->payload_len <= G_MAXUINT16) || scan->payload_len > G_MAXINT64) {
		g_set_error(error,
			    IOT_WEBSOCKET_FRAME_ERROR,
			    IOT_WEBSOCKET_FRAME_ERROR_LENGTH,
			    "a frame length of %" G_GUINT64_FORMAT
			    " not written in the fewest bytes",
			    scan->payload_len);
		return FALSE;
	}
	if (control && (scan->payload_len > IOT_WEBSOCKET_CONTROL_MAX || !scan->fin)) {
		g_set_error(error,
			    IOT_WEBSOCKET_FRAME_ERROR,
			    IOT_WEBSOCKET_FRAME_ERROR_CONTROL,
			    "a control frame (opcode 0x%x) %s",
			    scan->opcode,
			    scan->fin ? "over 125 bytes" : "in fragments");
		return FALSE;
	}
	if (!control && (scan->opcode == IOT_WEBSOCKET_OPCODE_CONTINUATION) != scan->in_message) {
		g_set_error_literal(error,
				    IOT_WEBSOCKET_FRAME_ERROR,
				    IOT_WEBSOCKET_FRAME_ERROR_SEQUENCE,
				    scan->in_message
					? "a new message before the last one ended"
					: "a continuation frame with no message begun");
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_websocket_frame_scan_header:
 * @scan: a scan whose last frame's payload was all taken
 * @data: (inout): the bytes read; moved past the header bytes taken
 * @len: (inout): how many bytes @data holds; what is left of them
 * @error: where to say how the header breaks RFC 6455
 *
 * Takes the bytes of the next frame header from @data, and no payload byte.
 * Once the header is whole, the scan's fields describe the frame.
 *
 * Returns: whether the header is whole, goes on in bytes still to come, or
 *   is refused; a refused header's fields are set all the same, so that a
 *   caller that only follows where frames end may go on
 */
IotWebsocketFrameScanResult
iot_websocket_frame_scan_header(IotWebsocketFrameScan *scan,
				const guint8 **data,
				gsize *len,
				GError **error)
{
	const guint8 *header = scan->header;
	guint8 len7;

	g_return_val_if_fail(scan->payload_left == 0, IOT_WEBSOCKET_FRAME_SCAN_ERROR);

	while (*len > 0 && scan->header_len < scan->header_need) {
		gsize take = MIN(*len, (gsize)(scan->header_need - scan->header_len));
		memcpy(scan->header + scan->header_len, *data, take);
		scan->header_len += take;
		*data += take;
		*len -= take;
		if (scan->header_len == 2)
			scan->header_need = iot_websocket_frame_header_need(header);
	}
	if (scan->header_len < scan->header_need)
		return IOT_WEBSOCKET_FRAME_SCAN_MORE;

	scan->fin = (header[0] & 0x80) != 0;
	scan->opcode = header[0] & 0x0f;
	scan->masked = (header[1] & 0x80) != 0;
	len7 = header[1] & 0x7f;
	if (len7 == 126) {
		scan->payload_len = ((guint64)header[2] << 8) | header[3];
	} else if (len7 == 127) {
		scan->payload_len = 0;
		for (guint i = 2; i < 10; i++)
			scan->payload_len = (scan->payload_len << 8) | header[i];
	} else {
		scan->payload_len = len7;
	}
	if (scan->masked)
		memcpy(scan->mask_key, header + scan->header_len - 4, 4);
	else
		memset(scan->mask_key, 0, 4);
	scan->header_len = 0;
	scan->header_need = 2;
	scan->payload_left = scan->payload_len;
	if (!iot_websocket_frame_scan_check(scan, error)) {
		if (!iot_websocket_opcode_is_control(scan->opcode))
			scan->in_message = !scan->fin;
		return IOT_WEBSOCKET_FRAME_SCAN_ERROR;
	}
	if (!iot_websocket_opcode_is_control(scan->opcode))
		scan->in_message = !scan->fin;
	return IOT_WEBSOCKET_FRAME_SCAN_HEADER;
}

/**
 * iot_websocket_frame_scan_take:
 * @scan: a scan
 * @available: payload bytes at hand
 *
 * Returns: how many of the @available bytes belong to the frame; they are
 *   counted as taken
 */
gsize
iot_websocket_frame_scan_take(IotWebsocketFrameScan *scan, gsize available)
{
	gsize take = (gsize)MIN((guint64)available, scan->payload_left);

	scan->payload_left -= take;
	return take;
}

/**
 * iot_websocket_frame_scan_take_unmasked:
 * @scan: a scan
 * @data: payload bytes at hand, as received
 * @available: how many bytes @data holds
 *
 * As iot_websocket_frame_scan_take(), and unmasks the bytes taken in place
 * when the frame is masked.
 *
 * Returns: how many bytes of @data belong to the frame
 */
gsize
iot_websocket_frame_scan_take_unmasked(IotWebsocketFrameScan *scan, guint8 *data, gsize available)
{
	guint64 offset = scan->payload_len - scan->payload_left;
	gsize take = iot_websocket_frame_scan_take(scan, available);

	if (scan->masked)
		iot_websocket_mask(data, take, scan->mask_key, offset);
	return take;
}

/**
 * iot_websocket_frame_scan_at_boundary:
 * @scan: a scan
 *
 * Returns: whether the scan is between two frames
 */
gboolean
iot_websocket_frame_scan_at_boundary(const IotWebsocketFrameScan *scan)
{
	return scan->header_len == 0 && scan->payload_left == 0;
}

/**
 * iot_websocket_frame_header_size:
 * @payload_len: a frame's payload length
 * @masked: whether the frame is masked
 *
 * Returns: the length of the frame's header, at most
 *   %IOT_WEBSOCKET_FRAME_HEADER_MAX
 */
gsize
iot_websocket_frame_header_size(guint64 payload_len, gboolean masked)
{
	gsize size = 2;

	if (payload_len > G_MAXUINT16)
		size += 8;
	else if (payload_len > IOT_WEBSOCKET_CONTROL_MAX)
		size += 2;
	return size + (masked ? 4 : 0);
}

/**
 * iot_websocket_frame_write_header:
 * @dst: room for iot_websocket_frame_header_size() bytes
 * @fin: whether the frame ends its message
 * @opcode: the frame's opcode
 * @payload_len: the frame's payload length
 * @mask_key: (nullable) (array fixed-size=4): the mask key of a masked frame
 *
 * Writes a frame header, the length in the fewest bytes.
 *
 * Returns: the header's length
 */
gsize
iot_websocket_frame_write_header(guint8 *dst,
				 gboolean fin,
				 guint8 opcode,
				 guint64 payload_len,
				 const guint8 *mask_key)
{
	guint8 mask_bit = mask_key != NULL ? 0x80 : 0;
	gsize size = 2;

	dst[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
	if (payload_len > G_MAXUINT16) {
		dst[1] = mask_bit | 127;
		for (guint i = 0; i < 8; i++)
			dst[2 + i] = (guint8)(payload_len >> (56 - 8 * i));
		size += 8;
	} else if (payload_len > IOT_WEBSOCKET_CONTROL_MAX) {
		dst[1] = mask_bit | 126;
		dst[2] = (guint8)(payload_len >> 8);
		dst[3] = (guint8)payload_len;
		size += 2;
	} else {
		dst[1] = mask_bit | (guint8)payload_len;
	}
	if (mask_key != NULL) {
		memcpy(dst + size, mask_key, 4);
		size += 4;
	}
	return size;
}

/* @key turned to start at byte @offset of the payload, twice over */
static guint64
iot_websocket_mask_word(const guint8 *key, guint64 offset)
{
	guint8 bytes[8];
	guint64 word;

	for (guint i = 0; i < sizeof(bytes); i++)
		bytes[i] = key[(offset + i) & 3];
	memcpy(&word, bytes, sizeof(word));
	return word;
}

/**
 * iot_websocket_mask_copy:
 * @dst: room for @len bytes; may be @src
 * @src: payload bytes
 * @len: how many
 * @key: (array fixed-size=4): the frame's mask key
 * @offset: where @src starts in the frame's payload
 *
 * Copies @len payload bytes masked (or unmasked: it is the same) with @key,
 * RFC 6455 section 5.3: byte by byte up to a word boundary of @dst, then a
 * machine word at a time.
 */
void
iot_websocket_mask_copy(guint8 *dst,
			const guint8 *src,
			gsize len,
			const guint8 *key,
			guint64 offset)
{
	gsize i = 0;
	guint64 mask;

	for (; i < len && ((guintptr)(dst + i) % sizeof(guint64)) != 0; i++)
		dst[i] = src[i] ^ key[(offset + i) & 3];
	mask = iot_websocket_mask_word(key, offset + i);
	for (; i + sizeof(guint64) <= len; i += sizeof(guint64)) {
		guint64 word;
		memcpy(&word, src + i, sizeof(word));
		word ^= mask;
		memcpy(__builtin_assume_aligned(dst + i, sizeof(guint64)), &word, sizeof(word));
	}
	for (; i < len; i++)
		dst[i] = src[i] ^ key[(offset + i) & 3];
}

/**
 * iot_websocket_mask:
 * @data: payload bytes
 * @len: how many
 * @key: (array fixed-size=4): the frame's mask key
 * @offset: where @data starts in the frame's payload
 *
 * Masks or unmasks @len payload bytes in place.
 */
void
iot_websocket_mask(guint8 *data, gsize len, const guint8 *key, guint64 offset)
{
	iot_websocket_mask_copy(data, data, len, key, offset);
}
