/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_WEBSOCKET_OPCODE_CONTINUATION 0x0
#define IOT_WEBSOCKET_OPCODE_TEXT 0x1
#define IOT_WEBSOCKET_OPCODE_BINARY 0x2
#define IOT_WEBSOCKET_OPCODE_CLOSE 0x8
#define IOT_WEBSOCKET_OPCODE_PING 0x9
#define IOT_WEBSOCKET_OPCODE_PONG 0xa

/* the longest frame header: 2 bytes, a 64-bit length, a mask key */
#define IOT_WEBSOCKET_FRAME_HEADER_MAX 14
/* the most a control frame carries (RFC 6455 section 5.5) */
#define IOT_WEBSOCKET_CONTROL_MAX 125

#define IOT_WEBSOCKET_FRAME_ERROR iot_websocket_frame_error_quark()

/**
 * IotWebsocketFrameError:
 * @IOT_WEBSOCKET_FRAME_ERROR_RESERVED_BITS: RSV1, RSV2 or RSV3 is set, and no
 *   extension was agreed
 * @IOT_WEBSOCKET_FRAME_ERROR_OPCODE: a reserved opcode
 * @IOT_WEBSOCKET_FRAME_ERROR_LENGTH: a length not in the fewest bytes, or a
 *   64-bit length with its top bit set
 * @IOT_WEBSOCKET_FRAME_ERROR_MASK: a client's frame not masked, or a
 *   server's frame masked
 * @IOT_WEBSOCKET_FRAME_ERROR_CONTROL: a control frame over 125 bytes, or
 *   fragmented
 * @IOT_WEBSOCKET_FRAME_ERROR_SEQUENCE: a continuation frame with no message
 *   begun, or a new message before the last one ended
 *
 * How a frame header breaks RFC 6455 section 5.
 */
typedef enum {
	IOT_WEBSOCKET_FRAME_ERROR_RESERVED_BITS,
	IOT_WEBSOCKET_FRAME_ERROR_OPCODE,
	IOT_WEBSOCKET_FRAME_ERROR_LENGTH,
	IOT_WEBSOCKET_FRAME_ERROR_MASK,
	IOT_WEBSOCKET_FRAME_ERROR_CONTROL,
	IOT_WEBSOCKET_FRAME_ERROR_SEQUENCE,
} IotWebsocketFrameError;

/**
 * IotWebsocketFrameSender:
 * @IOT_WEBSOCKET_FRAME_FROM_CLIENT: frames a client sends, always masked
 * @IOT_WEBSOCKET_FRAME_FROM_SERVER: frames a server sends, never masked
 */
typedef enum {
	IOT_WEBSOCKET_FRAME_FROM_CLIENT,
	IOT_WEBSOCKET_FRAME_FROM_SERVER,
} IotWebsocketFrameSender;

/**
 * IotWebsocketFrameScanResult:
 * @IOT_WEBSOCKET_FRAME_SCAN_MORE: the header goes on in bytes still to come
 * @IOT_WEBSOCKET_FRAME_SCAN_HEADER: a whole header was read; the frame's
 *   fields are set
 * @IOT_WEBSOCKET_FRAME_SCAN_ERROR: the header breaks RFC 6455; its fields
 *   are set, for a caller that only follows where frames end
 */
typedef enum {
	IOT_WEBSOCKET_FRAME_SCAN_MORE,
	IOT_WEBSOCKET_FRAME_SCAN_HEADER,
	IOT_WEBSOCKET_FRAME_SCAN_ERROR,
} IotWebsocketFrameScanResult;

/**
 * IotWebsocketFrameScan:
 * @fin: the frame ends its message
 * @opcode: the frame's opcode
 * @masked: the frame is masked, with @mask_key
 * @mask_key: the frame's mask key
 * @payload_len: the frame's payload length
 * @payload_left: payload bytes of the frame not yet taken with
 *   iot_websocket_frame_scan_take() or iot_websocket_frame_scan_take_unmasked()
 *
 * Follows the frames of one direction of a WebSocket, across reads split
 * anywhere. Set up with iot_websocket_frame_scan_init(); the fields above are
 * those of the last whole header.
 */
typedef struct {
	gboolean fin;
	guint8 opcode;
	gboolean masked;
	guint8 mask_key[4];
	guint64 payload_len;
	guint64 payload_left;
	/*< private >*/
	IotWebsocketFrameSender sender;
	gboolean in_message;
	guint8 header[IOT_WEBSOCKET_FRAME_HEADER_MAX];
	guint8 header_len;
	guint8 header_need;
} IotWebsocketFrameScan;

IOT_EXPORT
GQuark
iot_websocket_frame_error_quark(void);

IOT_EXPORT
void
iot_websocket_frame_scan_init(IotWebsocketFrameScan *scan, IotWebsocketFrameSender sender);
IOT_EXPORT
IotWebsocketFrameScanResult
iot_websocket_frame_scan_header(IotWebsocketFrameScan *scan,
				const guint8 **data,
				gsize *len,
				GError **error);
IOT_EXPORT
gsize
iot_websocket_frame_scan_take(IotWebsocketFrameScan *scan, gsize available);
IOT_EXPORT
gboolean
iot_websocket_frame_scan_at_boundary(const IotWebsocketFrameScan *scan);
IOT_EXPORT
gsize
iot_websocket_frame_scan_take_unmasked(IotWebsocketFrameScan *scan, guint8 *data, gsize available);

IOT_EXPORT
gboolean
iot_websocket_opcode_is_control(guint8 opcode);
IOT_EXPORT
gsize
iot_websocket_frame_header_size(guint64 payload_len, gboolean masked);
IOT_EXPORT
gsize
iot_websocket_frame_write_header(guint8 *dst,
				 gboolean fin,
				 guint8 opcode,
				 guint64 payload_len,
				 const guint8 *mask_key);
IOT_EXPORT
void
iot_websocket_mask(guint8 *data, gsize len, const guint8 *key, guint64 offset);
IOT_EXPORT
void
iot_websocket_mask_copy(guint8 *dst,
			const guint8 *src,
			gsize len,
			const guint8 *key,
			guint64 offset);

G_END_DECLS
