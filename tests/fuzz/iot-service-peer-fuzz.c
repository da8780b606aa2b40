/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz.h"
#include "iot-service-peer.h"

/*
 * libFuzzer target for what iotunnel-service does with the bytes a peer
 * sends after the upgrade: a real IotServicePeer (its WebSocket frame guard,
 * libsoup's WebSocket, the frame decoder and the validator) reads the input
 * as the peer's side of the connection, to its end. The first byte picks the
 * peer's mode and subprotocol; the rest is the WebSocket stream (masked
 * frames, fragments, control frames, or anything). Every message the peer
 * passes on must pass the validator, the frames handed with them must decode
 * to them, and the peer must have closed once the input is read. A peer
 * that broke the rules waits for the close frame of its peer, as the service
 * does, until its close watchdog (IOT_SERVICE_CLOSE_GRACE) cuts it off: the
 * harness makes that time pass at once, and then nothing of the peer may be
 * left.
 */

static const gchar *const iot_fuzz_services[] = {"SSH1", "HTTP1", NULL};
static const gchar *const iot_fuzz_subprotocols[] = {
    IOT_SUBPROTOCOL_V1,
    IOT_SUBPROTOCOL_V2,
    IOT_SUBPROTOCOL_V3,
};

static GUri *iot_fuzz_uri;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the peer logs a warning when it closes one that broke the rules */
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL);
	g_type_ensure(IOT_TYPE_SERVICE_PEER);
	g_type_ensure(SOUP_TYPE_WEBSOCKET_CONNECTION);
	g_type_ensure(IOT_TYPE_FRAME_DECODER);
	g_type_ensure(G_TYPE_MEMORY_INPUT_STREAM);
	g_type_ensure(G_TYPE_MEMORY_OUTPUT_STREAM);
	g_type_ensure(G_TYPE_SIMPLE_IO_STREAM);
	iot_fuzz_uri =
	    g_uri_parse("wss://localhost/tunnel?local-proxy-mode=source", G_URI_FLAGS_NONE, NULL);
	return 0;
}

typedef struct {
	IotMessageSender sender;
	guint version;
	gboolean closed;
} IotFuzzPeer;

static void
iot_fuzz_frames_cb(IotServicePeer *peer, GBytes *frames, GPtrArray *messages, gpointer user_data)
{
	IotFuzzPeer *fuzz = user_data;
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	guint count = 0;

	g_assert_false(fuzz->closed);
	for (guint i = 0; i < messages->len; i++) {
		g_autoptr(GError) error = NULL;
		gboolean valid = iot_message_validator_check(g_ptr_array_index(messages, i),
							     fuzz->sender,
							     fuzz->version,
							     &error);
		g_assert_no_error(error);
		g_assert_true(valid);
	}
	iot_frame_decoder_push(decoder, frames);
	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
		g_assert_no_error(error);
		if (msg == NULL)
			break;
		count++;
	}
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	g_assert_cmpuint(count, ==, messages->len);
}

static void
iot_fuzz_closed_cb(IotServicePeer *peer, gpointer user_data)
{
	IotFuzzPeer *fuzz = user_data;
	fuzz->closed = TRUE;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GInputStream) input = NULL;
	g_autoptr(GOutputStream) output = NULL;
	g_autoptr(GIOStream) stream = NULL;
	IotServicePeer *peer;
	IotFuzzPeer fuzz = {0};
	IotTunnelMode mode;
	const gchar *subprotocol;

	if (size == 0)
		return -1;
	mode = (data[0] & 1) ? IOT_TUNNEL_MODE_DESTINATION : IOT_TUNNEL_MODE_SOURCE;
	subprotocol = iot_fuzz_subprotocols[(data[0] >> 1) % G_N_ELEMENTS(iot_fuzz_subprotocols)];
	fuzz.sender = mode == IOT_TUNNEL_MODE_SOURCE ? IOT_MESSAGE_SENDER_SOURCE
						     : IOT_MESSAGE_SENDER_DESTINATION;
	fuzz.version = iot_message_validator_get_version(subprotocol);
	input = g_memory_input_stream_new_from_data(data + 1, (gssize)size - 1, NULL);
	output = g_memory_output_stream_new_resizable();
	stream = g_simple_io_stream_new(input, output);
	peer = iot_service_peer_new(stream,
				    NULL,
				    30,
				    iot_fuzz_uri,
				    NULL,
				    subprotocol,
				    mode,
				    "fuzz-tunnel",
				    "fuzz-channel",
				    iot_fuzz_services);
	g_object_add_weak_pointer(G_OBJECT(peer), (gpointer *)&peer);
	g_signal_connect(peer, "frames", G_CALLBACK(iot_fuzz_frames_cb), &fuzz);
	g_signal_connect(peer, "closed", G_CALLBACK(iot_fuzz_closed_cb), &fuzz);
	g_object_unref(peer);

	/* the input ends: the peer closes, at once or once its close watchdog fires */
	for (guint round = 0; peer != NULL && round < 2; round++) {
		GSource *watchdog;
		for (guint i = 0;
		     peer != NULL && i < 100000 && g_main_context_iteration(NULL, FALSE);
		     i++)
			;
		if (peer == NULL)
			break;
		/* no close frame comes from a memory stream: the watchdog's time is up */
		watchdog = g_main_context_find_source_by_user_data(NULL, peer);
		if (watchdog != NULL)
			g_source_set_ready_time(watchdog, 0);
	}
	g_assert_true(fuzz.closed);
	g_assert_null(peer);
	return 0;
}
