/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

typedef struct {
	const gchar *name;
	IotMessageType type;
	gint32 stream_id;
	const gchar *service_id;
	guint32 connection_id;
	gsize payload_len;
	gboolean ignorable;
	gboolean available_service_ids;
	IotMessageSender sender;
	guint version;
	gint error_code; /* -1: valid */
} IotValidatorCase;

static const IotValidatorCase cases[] = {
    {"data-v1",
     IOT_MESSAGE_TYPE_DATA,
     1,
     NULL,
     0,
     10,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     1,
     -1},
    {"data-v2",
     IOT_MESSAGE_TYPE_DATA,
     3,
     "SSH1",
     0,
     10,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     2,
     -1},
    {"data-v3",
     IOT_MESSAGE_TYPE_DATA,
     3,
     "SSH1",
     2,
     64512,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     -1},
    {"v1-format-in-v3",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     NULL,
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     -1},
    {"stream-start-source",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     "SSH1",
     1,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     -1},
    {"stream-reset-destination",
     IOT_MESSAGE_TYPE_STREAM_RESET,
     1,
     "SSH1",
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     3,
     -1},
    {"connection-reset-destination",
     IOT_MESSAGE_TYPE_CONNECTION_RESET,
     1,
     "SSH1",
     2,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     3,
     -1},
    {"service-ids-from-service",
     IOT_MESSAGE_TYPE_SERVICE_IDS,
     0,
     NULL,
     0,
     0,
     FALSE,
     TRUE,
     IOT_MESSAGE_SENDER_SERVICE,
     2,
     -1},
    {"session-reset-from-service",
     IOT_MESSAGE_TYPE_SESSION_RESET,
     0,
     NULL,
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SERVICE,
     1,
     -1},
    {"stream-start-from-service",
     IOT_MESSAGE_TYPE_STREAM_START,
     4,
     "SSH1",
     1,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SERVICE,
     3,
     -1},
    {"unknown-ignorable", 9, 0, NULL, 0, 5, TRUE, FALSE, IOT_MESSAGE_SENDER_SOURCE, 1, -1},
    {"service-ids-from-source",
     IOT_MESSAGE_TYPE_SERVICE_IDS,
     0,
     NULL,
     0,
     0,
     FALSE,
     TRUE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"session-reset-from-destination",
     IOT_MESSAGE_TYPE_SESSION_RESET,
     0,
     NULL,
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"stream-start-from-destination",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     "SSH1",
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"connection-start-from-destination",
     IOT_MESSAGE_TYPE_CONNECTION_START,
     1,
     "SSH1",
     2,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     3,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"connection-start-in-v2",
     IOT_MESSAGE_TYPE_CONNECTION_START,
     1,
     "SSH1",
     2,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"service-ids-in-v1",
     IOT_MESSAGE_TYPE_SERVICE_IDS,
     0,
     NULL,
     0,
     0,
     FALSE,
     TRUE,
     IOT_MESSAGE_SENDER_SERVICE,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE},
    {"unknown-type",
     9,
     1,
     NULL,
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     IOT_MESSAGE_VALIDATOR_ERROR_UNKNOWN_TYPE},
    {"no-type",
     IOT_MESSAGE_TYPE_UNKNOWN,
     1,
     NULL,
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     IOT_MESSAGE_VALIDATOR_ERROR_UNKNOWN_TYPE},
    {"data-stream-zero",
     IOT_MESSAGE_TYPE_DATA,
     0,
     NULL,
     0,
     4,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM},
    {"reset-stream-zero",
     IOT_MESSAGE_TYPE_STREAM_RESET,
     0,
     "SSH1",
     0,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM},
    {"start-stream-negative",
     IOT_MESSAGE_TYPE_STREAM_START,
     -1,
     "SSH1",
     1,
     0,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     3,
     IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM},
    {"data-stream-negative",
     IOT_MESSAGE_TYPE_DATA,
     G_MININT32,
     NULL,
     0,
     4,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_DESTINATION,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM},
    {"connection-id-in-v2",
     IOT_MESSAGE_TYPE_DATA,
     1,
     "SSH1",
     1,
     4,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD},
    {"service-id-in-v1",
     IOT_MESSAGE_TYPE_DATA,
     1,
     "SSH1",
     0,
     4,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD},
    {"service-ids-list-on-data",
     IOT_MESSAGE_TYPE_DATA,
     1,
     NULL,
     0,
     4,
     FALSE,
     TRUE,
     IOT_MESSAGE_SENDER_SERVICE,
     2,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD},
    {"payload-on-stream-start",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     NULL,
     0,
     4,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD},
    {"payload-too-large",
     IOT_MESSAGE_TYPE_DATA,
     1,
     NULL,
     0,
     64513,
     FALSE,
     FALSE,
     IOT_MESSAGE_SENDER_SOURCE,
     1,
     IOT_MESSAGE_VALIDATOR_ERROR_PAYLOAD_TOO_LARGE},
};

static void
iot_message_validator_test_case(gconstpointer user_data)
{
	const IotValidatorCase *c = user_data;
	g_autoptr(IotMessage) msg = iot_message_new(c->type, c->stream_id);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	msg->service_id = g_strdup(c->service_id);
	msg->connection_id = c->connection_id;
	msg->ignorable = c->ignorable;
	if (c->payload_len > 0)
		msg->payload = g_bytes_new_take(g_malloc0(c->payload_len), c->payload_len);
	if (c->available_service_ids) {
		const gchar *ids[] = {"SSH1", "HTTP1", NULL};
		msg->available_service_ids = g_strdupv((gchar **)ids);
	}
	ok = iot_message_validator_check(msg, c->sender, c->version, &error);
	if (c->error_code < 0) {
		g_assert_no_error(error);
		g_assert_true(ok);
	} else {
		g_assert_error(error, IOT_MESSAGE_VALIDATOR_ERROR, c->error_code);
		g_assert_false(ok);
	}
}

static void
iot_message_validator_test_version(void)
{
	g_assert_cmpuint(iot_message_validator_get_version("aws.iot.securetunneling-1.0"), ==, 1);
	g_assert_cmpuint(iot_message_validator_get_version("aws.iot.securetunneling-2.0"), ==, 2);
	g_assert_cmpuint(iot_message_validator_get_version("aws.iot.securetunneling-3.0"), ==, 3);
	g_assert_cmpuint(iot_message_validator_get_version("aws.iot.securetunneling-4.0"), ==, 0);
	g_assert_cmpuint(iot_message_validator_get_version(NULL), ==, 0);
}

/* the subprotocol the scenario's handshake of @mode selected */
static guint
iot_message_validator_test_scenario_version(JsonObject *scenario, const gchar *mode)
{
	JsonArray *handshakes =
	    json_object_get_array_member(json_object_get_object_member(scenario, "emulator"),
					 "handshakes");
	for (guint i = 0; i < json_array_get_length(handshakes); i++) {
		JsonObject *handshake = json_array_get_object_element(handshakes, i);
		if (g_strcmp0(json_object_get_string_member(handshake, "mode"), mode) == 0) {
			return iot_message_validator_get_version(
			    json_object_get_string_member(handshake, "selected_subprotocol"));
		}
	}
	g_assert_not_reached();
	return 0;
}

/* vectors/README.md step 4: nothing the reference sent may be flagged */
static void
iot_message_validator_test_vectors(gconstpointer user_data)
{
	const gchar *scenario_name = user_data;
	const gchar *shared = g_getenv("IOTUNNEL_SHARED_DIR");
	const gchar *modes[] = {"source", "destination"};
	g_autofree gchar *dir = NULL;
	g_autofree gchar *json_file = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *scenario;

	if (shared == NULL) {
		g_test_skip("IOTUNNEL_SHARED_DIR is not set");
		return;
	}
	dir = g_build_filename(shared, "vectors", scenario_name, NULL);
	json_file = g_build_filename(dir, "scenario.json", NULL);
	json_parser_load_from_file(parser, json_file, &error);
	g_assert_no_error(error);
	scenario = json_node_get_object(json_parser_get_root(parser));

	for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
		g_autofree gchar *bin_name = g_strdup_printf("%s.bin", modes[m]);
		g_autofree gchar *bin_file = g_build_filename(dir, bin_name, NULL);
		g_autofree gchar *contents = NULL;
		g_autoptr(GBytes) bytes = NULL;
		g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
		guint version = iot_message_validator_test_scenario_version(scenario, modes[m]);
		IotMessageSender sender =
		    m == 0 ? IOT_MESSAGE_SENDER_SOURCE : IOT_MESSAGE_SENDER_DESTINATION;
		gsize len = 0;
		guint frames = 0;
		gint64 expected = json_object_get_int_member(
		    json_object_get_object_member(json_object_get_object_member(scenario, "files"),
						  modes[m]),
		    "tunnel_frames");

		g_file_get_contents(bin_file, &contents, &len, &error);
		g_assert_no_error(error);
		bytes = g_bytes_new_take(g_steal_pointer(&contents), len);
		iot_frame_decoder_push(decoder, bytes);
		for (;;) {
			g_autoptr(IotMessage) msg = iot_frame_decoder_next(decoder, &error);
			g_assert_no_error(error);
			if (msg == NULL)
				break;
			if (!iot_message_validator_check(msg, sender, version, &error)) {
				g_autofree gchar *text = iot_message_to_string(msg);
				g_test_message("%s frame %u (%s): flagged", bin_name, frames, text);
			}
			g_assert_no_error(error);
			/* what the service relays, the other peer must take as from the service */
			g_assert_true(iot_message_validator_check(msg,
								  IOT_MESSAGE_SENDER_SERVICE,
								  version,
								  &error));
			g_assert_no_error(error);
			frames++;
		}
		g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
		g_assert_cmpint(frames, ==, expected);
	}
}

int
main(int argc, char **argv)
{
	const gchar *scenarios[] = {"v1", "v2-multi", "v3-simultaneous", "v3-reset"};

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iotunnel/message-validator/version", iot_message_validator_test_version);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/message-validator/%s", cases[i].name);
		g_test_add_data_func(path, &cases[i], iot_message_validator_test_case);
	}
	for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/message-validator/vectors-%s", scenarios[i]);
		g_test_add_data_func(path, scenarios[i], iot_message_validator_test_vectors);
	}
	return g_test_run();
}
