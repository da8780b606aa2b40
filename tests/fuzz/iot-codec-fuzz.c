/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-fuzz-session.h"
#include "iot-fuzz.h"
#include "iot-v1-codec.h"
#include "iot-v2-codec.h"
#include "iot-v3-codec.h"

/*
 * libFuzzer target for the codecs' state machines, structure-aware: the
 * input is not a frame stream but a script of valid-looking events. The
 * first byte picks the codec (V1, V2, V3), the mode and the subprotocol
 * the service chose; then each byte picks an event and the next ones its
 * fields from small sets of likely values (the stream ids around the
 * current one, the services the tunnel has and one it lacks, connection
 * ids 0 to 3): a message from the service, a local connection accepted,
 * an app that writes or closes, the main loop run. Every message the codec
 * sends must pass the service's validator (iot-fuzz-session.c); a message
 * the codec refuses ends the script, as it ends the session.
 */

static const gchar *const iot_fuzz_service_ids[] = {"SSH1", "HTTP1", NULL};
static const gchar *const iot_fuzz_one_service[] = {"SSH1", NULL};
static const gchar *const iot_fuzz_names[] = {"SSH1", "HTTP1", "RDP3", ""};
static const gchar *const iot_fuzz_subprotocols[] = {
    IOT_SUBPROTOCOL_V1,
    IOT_SUBPROTOCOL_V2,
    IOT_SUBPROTOCOL_V3,
};

typedef struct {
	const guint8 *data;
	gsize len;
	gsize pos;
} IotFuzzScript;

static guint8
iot_fuzz_next(IotFuzzScript *script)
{
	return script->pos < script->len ? script->data[script->pos++] : 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* a codec warns of what the service did wrong: only a critical is a finding */
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL);
	g_type_ensure(IOT_TYPE_FUZZ_SESSION);
	g_type_ensure(IOT_TYPE_CONNECTION);
	g_object_unref(iot_v1_codec_new());
	g_object_unref(iot_v2_codec_new());
	g_object_unref(iot_v3_codec_new());
	g_type_ensure(G_TYPE_SOCKET);
	g_type_ensure(G_TYPE_UNIX_CONNECTION);
	return 0;
}

/* a stream id near the ones in use, or one of the edge values */
static gint32
iot_fuzz_stream_id(guint8 pick, gint32 *latest)
{
	switch (pick % 8) {
	case 0:
		return *latest;
	case 1:
		return ++*latest;
	case 2:
		return *latest - 1;
	case 3:
		return 1;
	case 4:
		return 0;
	case 5:
		return -1;
	case 6:
		return G_MAXINT32;
	default:
		return *latest + 2;
	}
}

static IotMessage *
iot_fuzz_message(IotFuzzScript *script, guint8 op, gint32 *latest)
{
	static const IotMessageType types[] = {
	    IOT_MESSAGE_TYPE_DATA,
	    IOT_MESSAGE_TYPE_STREAM_START,
	    IOT_MESSAGE_TYPE_STREAM_RESET,
	    IOT_MESSAGE_TYPE_SESSION_RESET,
	    IOT_MESSAGE_TYPE_SERVICE_IDS,
	    IOT_MESSAGE_TYPE_CONNECTION_START,
	    IOT_MESSAGE_TYPE_CONNECTION_RESET,
	    IOT_MESSAGE_TYPE_LAST + 1,
	};
	guint8 fields = iot_fuzz_next(script);
	guint8 ids = iot_fuzz_next(script);
	IotMessageType type = types[(op >> 2) % G_N_ELEMENTS(types)];
	IotMessage *msg = iot_message_new(type, iot_fuzz_stream_id(ids, latest));

	if ((fields & 0x03) != 0)
		msg->service_id =
		    g_strdup(iot_fuzz_names[(fields & 0x03) - 1 + ((fields >> 7) & 1)]);
	msg->connection_id = (fields >> 2) & 0x03;
	msg->ignorable = (fields & 0x10) != 0;
	if (type == IOT_MESSAGE_TYPE_SERVICE_IDS) {
		guint n = (fields >> 5) & 0x03;
		msg->available_service_ids = g_new0(gchar *, n + 1);
		for (guint i = 0; i < n; i++)
			msg->available_service_ids[i] = g_strdup(iot_fuzz_names[(ids + i) % 3]);
	}
	if (type == IOT_MESSAGE_TYPE_DATA) {
		gsize want = (gsize)iot_fuzz_next(script) * 4;
		gsize len = MIN(want, script->len - script->pos);
		msg->payload = g_bytes_new(script->data + script->pos, len);
		script->pos += len;
	}
	return msg;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(IotFuzzSession) session = NULL;
	g_autoptr(IotCodec) codec = NULL;
	IotFuzzScript script = {data, size, 0};
	IotTunnelMode mode;
	guint8 setup;
	guint version;
	gint32 latest = 1;
	const gchar *subprotocol;
	const gchar *const *service_ids;

	if (size == 0)
		return -1;
	setup = iot_fuzz_next(&script);
	switch (setup % 3) {
	case 0:
		codec = IOT_CODEC(iot_v1_codec_new());
		break;
	case 1:
		codec = IOT_CODEC(iot_v2_codec_new());
		break;
	default:
		codec = IOT_CODEC(iot_v3_codec_new());
		break;
	}
	mode = (setup & 0x04) ? IOT_TUNNEL_MODE_DESTINATION : IOT_TUNNEL_MODE_SOURCE;
	/* mostly the codec's own subprotocol; an older one (a V3 codec learns it) else */
	subprotocol = (setup & 0x18) != 0 ? iot_codec_get_subprotocol(codec)
					  : iot_fuzz_subprotocols[(setup >> 5) % 3];
	version = iot_message_validator_get_version(subprotocol);
	service_ids = (setup & 0x80) ? iot_fuzz_one_service : iot_fuzz_service_ids;
	session = iot_fuzz_session_new(mode, service_ids, version);
	iot_codec_start(codec, IOT_SESSION(session), subprotocol);

	while (script.pos < script.len && !iot_fuzz_session_has_failed(session)) {
		guint8 op = iot_fuzz_next(&script);

		switch (op & 3) {
		case 0:
		case 1: {
			g_autoptr(IotMessage) msg = iot_fuzz_message(&script, op, &latest);
			g_autoptr(GError) error = NULL;
			if (!iot_codec_receive(codec, msg, &error)) {
				g_assert_nonnull(error);
				script.pos = script.len;
			}
			break;
		}
		case 2:
			if (mode == IOT_TUNNEL_MODE_SOURCE) {
				g_autoptr(IotConnection) connection =
				    iot_fuzz_session_open(session);
				/* through the listener of one of the tunnel's services */
				iot_codec_accept(
				    codec,
				    service_ids[(op >> 2) % g_strv_length((GStrv)service_ids)],
				    connection);
			} else {
				iot_fuzz_session_app_close(session, op >> 2);
			}
			break;
		default: {
			gsize len = MIN((gsize)(op >> 4) * 16, script.len - script.pos);
			iot_fuzz_session_app_write(session,
						   (op >> 2) & 3,
						   script.data + script.pos,
						   len);
			script.pos += len;
			iot_fuzz_session_settle(session);
			break;
		}
		}
	}
	iot_fuzz_session_settle(session);
	iot_codec_stop(codec);
	iot_fuzz_session_settle(session);
	return 0;
}
