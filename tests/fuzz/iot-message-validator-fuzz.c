/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz.h"

/*
 * libFuzzer target for the frame validator the service runs on every
 * message a peer sends (libiotunnel/iot-message-validator.c). The first
 * byte picks the sender and the subprotocol (one the handshake took);
 * the rest is a frame stream.
 * Every message decoded is checked: a refusal is in
 * IOT_MESSAGE_VALIDATOR_ERROR; a message taken is within the limits the
 * validator promises.
 */

static const gchar *const iot_fuzz_subprotocols[] = {
    IOT_SUBPROTOCOL_V1,
    IOT_SUBPROTOCOL_V2,
    IOT_SUBPROTOCOL_V3,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(IOT_TYPE_FRAME_DECODER);
	return 0;
}

static void
iot_fuzz_check(const IotMessage *msg, IotMessageSender sender, guint version)
{
	g_autoptr(GError) error = NULL;

	if (!iot_message_validator_check(msg, sender, version, &error)) {
		g_assert_nonnull(error);
		g_assert_true(error->domain == IOT_MESSAGE_VALIDATOR_ERROR);
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpint(msg->type, !=, 0);
	/* an unknown type marked ignorable is for the peer to skip */
	if (msg->type > IOT_MESSAGE_TYPE_LAST) {
		g_assert_true(msg->ignorable);
		return;
	}
	g_assert_true(msg->payload == NULL ||
		      g_bytes_get_size(msg->payload) <= IOT_MESSAGE_MAX_PAYLOAD);
	if (version < 3)
		g_assert_cmpuint(msg->connection_id, ==, 0);
	if (sender != IOT_MESSAGE_SENDER_SERVICE) {
		g_assert_cmpint(msg->type, !=, IOT_MESSAGE_TYPE_SERVICE_IDS);
		g_assert_cmpint(msg->type, !=, IOT_MESSAGE_TYPE_SESSION_RESET);
	}
	if (msg->type != IOT_MESSAGE_TYPE_SERVICE_IDS &&
	    msg->type != IOT_MESSAGE_TYPE_SESSION_RESET)
		g_assert_cmpint(msg->stream_id, >, 0);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(IotFrameDecoder) decoder = NULL;
	g_autoptr(GBytes) frames = NULL;
	IotMessageSender sender;
	guint version;

	if (size == 0)
		return -1;
	sender = (IotMessageSender)(data[0] % 3);
	version = iot_message_validator_get_version(
	    iot_fuzz_subprotocols[(data[0] >> 2) % G_N_ELEMENTS(iot_fuzz_subprotocols)]);
	decoder = iot_frame_decoder_new();
	frames = g_bytes_new_static(data + 1, size - 1);
	iot_frame_decoder_push(decoder, frames);
	for (;;) {
		g_autoptr(GError) error = NULL;
		g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
		if (msg == NULL)
			break;
		iot_fuzz_check(msg, sender, version);
	}
	return 0;
}
