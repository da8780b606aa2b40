/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz.h"
#include "iot-websocket-stream.h"

/*
 * libFuzzer target for the WebSocket frame scanner of the transport plugin
 * (plugins/transport-websocket/iot-websocket-stream.c), both directions.
 * The input is two bytes of length N, N bytes the service sends (any
 * bytes: fragments, control frames, lengths of 64 bits), then a script:
 * each byte reads the service's bytes in a chunk of its size, writes a
 * frame as libsoup does (data or control, fragmented, cut in pieces), or
 * queues a frame of ours (data, ping, pong, close) the way the transport
 * does. What goes out must stay in frames: the bytes written are parsed
 * again here and must end on a frame boundary.
 */

#define IOT_FUZZ_MAX_MESSAGE 4096

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(IOT_TYPE_WEBSOCKET_STREAM);
	g_type_ensure(G_TYPE_MEMORY_INPUT_STREAM);
	g_type_ensure(G_TYPE_MEMORY_OUTPUT_STREAM);
	g_type_ensure(G_TYPE_SIMPLE_IO_STREAM);
	return 0;
}

typedef struct {
	const guint8 *data;
	gsize len;
	gsize pos;
} IotFuzzScript;

static guint8
iot_fuzz_script_byte(IotFuzzScript *script)
{
	return script->pos < script->len ? script->data[script->pos++] : 0;
}

/* a client frame as libsoup writes it: masked, with the shortest length encoding */
static GByteArray *
iot_fuzz_soup_frame(guint8 first, const guint8 *payload, gsize len)
{
	GByteArray *frame = g_byte_array_new();
	const guint8 mask[4] = {0x12, 0x34, 0x56, 0x78};
	guint8 header[4];

	header[0] = first;
	if (len < 126) {
		header[1] = 0x80 | (guint8)len;
		g_byte_array_append(frame, header, 2);
	} else {
		header[1] = 0x80 | 126;
		header[2] = (guint8)(len >> 8);
		header[3] = (guint8)len;
		g_byte_array_append(frame, header, 4);
	}
	g_byte_array_append(frame, mask, 4);
	for (gsize i = 0; i < len; i++) {
		guint8 byte = payload[i] ^ mask[i % 4];
		g_byte_array_append(frame, &byte, 1);
	}
	return frame;
}

/* writes one of libsoup's frames through @output in pieces of @piece bytes */
static gboolean
iot_fuzz_write_soup(GPollableOutputStream *output, GByteArray *frame, gsize piece)
{
	gsize done = 0;

	while (done < frame->len) {
		g_autoptr(GError) error = NULL;
		gssize n = g_pollable_output_stream_write_nonblocking(output,
								      frame->data + done,
								      MIN(piece, frame->len - done),
								      NULL,
								      &error);
		if (n < 0)
			return FALSE;
		done += n;
	}
	return TRUE;
}

/* the frames in what went out, each whole; control frames within 125 bytes */
static void
iot_fuzz_check_out(GMemoryOutputStream *sink)
{
	const guint8 *data = g_memory_output_stream_get_data(sink);
	gsize len = g_memory_output_stream_get_data_size(sink);
	gsize pos = 0;

	while (pos < len) {
		guint64 payload;
		guint len7;
		gsize header;

		g_assert_cmpuint(len - pos, >=, 2);
		len7 = data[pos + 1] & 0x7f;
		g_assert_true(data[pos + 1] & 0x80);
		header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
		g_assert_cmpuint(len - pos, >=, header);
		if (len7 == 126) {
			payload = ((guint64)data[pos + 2] << 8) | data[pos + 3];
		} else if (len7 == 127) {
			payload = 0;
			for (guint i = 2; i < 10; i++)
				payload = (payload << 8) | data[pos + i];
		} else {
			payload = len7;
		}
		if (data[pos] & 0x08)
			g_assert_cmpuint(payload, <=, 125);
		g_assert_cmpuint(len - pos - header, >=, payload);
		pos += header + payload;
	}
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GInputStream) source = NULL;
	g_autoptr(GOutputStream) sink = NULL;
	g_autoptr(GIOStream) base = NULL;
	g_autoptr(IotWebsocketStream) stream = NULL;
	GPollableInputStream *input;
	GPollableOutputStream *output;
	IotFuzzScript script;
	gsize incoming;
	gboolean reading = TRUE;
	gboolean writing = TRUE;
	guint8 buffer[1024];

	if (size < 2)
		return -1;
	incoming = MIN(((gsize)data[0] << 8) | data[1], size - 2);
	source = g_memory_input_stream_new_from_data(data + 2, (gssize)incoming, NULL);
	sink = g_memory_output_stream_new_resizable();
	base = g_simple_io_stream_new(source, sink);
	stream = iot_websocket_stream_new(base, NULL, IOT_FUZZ_MAX_MESSAGE);
	input = G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(stream)));
	output = G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(stream)));
	script = (IotFuzzScript){data + 2 + incoming, size - 2 - incoming, 0};

	while (script.pos < script.len) {
		guint8 op = iot_fuzz_script_byte(&script);
		guint arg = op >> 2;

		switch (op & 3) {
		case 0: {
			g_autoptr(GError) error = NULL;
			gssize n;
			if (!reading)
				break;
			n = g_pollable_input_stream_read_nonblocking(
			    input,
			    buffer,
			    MIN(sizeof(buffer), arg * 17 + 1),
			    NULL,
			    &error);
			if (n <= 0)
				reading =
				    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
			break;
		}
		case 1: {
			/* libsoup: opcode, fin, a payload from the script, written in pieces */
			static const guint8 opcodes[] = {0x0, 0x1, 0x2, 0x8, 0x9, 0xa};
			guint8 first =
			    opcodes[arg % G_N_ELEMENTS(opcodes)] | ((arg & 0x8) ? 0 : 0x80);
			gsize len = iot_fuzz_script_byte(&script);
			gsize take;
			g_autoptr(GByteArray) frame = NULL;
			/* libsoup's control frames are whole, of at most 125 bytes */
			if ((first & 0x08) != 0) {
				first |= 0x80;
				len = MIN(len, 125);
			}
			take = MIN(len, script.len - script.pos);
			if (!writing)
				break;
			frame = iot_fuzz_soup_frame(first, script.data + script.pos, take);
			script.pos += take;
			writing = iot_fuzz_write_soup(output, frame, (arg & 0x30) + 1);
			break;
		}
		case 2: {
			gsize len = MIN((gsize)arg * 97, script.len - script.pos);
			g_autoptr(GBytes) payload = g_bytes_new(script.data + script.pos, len);
			script.pos += len;
			iot_websocket_stream_send_data(stream, payload);
			break;
		}
		default: {
			static const guint8 controls[] = {IOT_WEBSOCKET_OPCODE_PING,
							  IOT_WEBSOCKET_OPCODE_PONG,
							  IOT_WEBSOCKET_OPCODE_CLOSE};
			gsize len = MIN((gsize)(arg % 16) * 8, script.len - script.pos);
			iot_websocket_stream_send_control(stream,
							  controls[(arg / 16) % 3],
							  script.data + script.pos,
							  len);
			script.pos += len;
			break;
		}
		}
	}
	/* the rest of what the service sent, as libsoup reads it */
	while (reading) {
		g_autoptr(GError) error = NULL;
		gssize n = g_pollable_input_stream_read_nonblocking(input,
								    buffer,
								    sizeof(buffer),
								    NULL,
								    &error);
		if (n <= 0)
			break;
	}
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_io_stream_close(G_IO_STREAM(stream), NULL, NULL);
	iot_fuzz_check_out(G_MEMORY_OUTPUT_STREAM(sink));
	return 0;
}
