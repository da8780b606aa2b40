/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include "iot-test-common.h"

/* one value for each field, applied to every message type */
typedef struct {
	const gchar *name;
	gint32 stream_id;
	gboolean ignorable;
	gssize payload_len; /* -1: no payload at all */
	const gchar *service_id;
	const gchar *const *available_service_ids;
	guint32 connection_id;
} IotRoundTripVariant;

typedef struct {
	IotMessageType type;
	const IotRoundTripVariant *variant;
} IotRoundTripCase;

static const gchar *const ids_one[] = {"SSH1", NULL};
static const gchar *const ids_several[] = {"SSH1", "HTTP1", "RDP3", "\xce\x94-\xe6\x9c\x8d", NULL};
static const gchar *const ids_with_empty[] = {"", "SSH1", NULL};

#define TEN_CHARS "0123456789"
/* 130 bytes: the length needs a two-byte varint */
#define LONG_ID                                                                                    \
	TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS  \
	    TEN_CHARS TEN_CHARS TEN_CHARS TEN_CHARS

static const IotRoundTripVariant round_trip_variants[] = {
    {"defaults", 0, FALSE, -1, NULL, NULL, 0},
    {"stream-id-1", 1, FALSE, -1, NULL, NULL, 0},
    {"stream-id-300", 300, FALSE, -1, NULL, NULL, 0},
    {"stream-id-negative", -1, FALSE, -1, NULL, NULL, 0},
    {"stream-id-min", G_MININT32, FALSE, -1, NULL, NULL, 0},
    {"stream-id-max", G_MAXINT32, FALSE, -1, NULL, NULL, 0},
    {"ignorable", 1, TRUE, -1, NULL, NULL, 0},
    {"payload-empty", 1, FALSE, 0, NULL, NULL, 0},
    {"payload-1", 1, FALSE, 1, NULL, NULL, 0},
    {"payload-127", 1, FALSE, 127, NULL, NULL, 0},
    {"payload-max", 1, FALSE, IOT_MESSAGE_MAX_PAYLOAD, NULL, NULL, 0},
    {"service-id", 1, FALSE, -1, "SSH1", NULL, 0},
    {"service-id-empty", 1, FALSE, -1, "", NULL, 0},
    {"service-id-utf8", 1, FALSE, -1, "\xce\x94-\xe6\x9c\x8d\xe5\x8a\xa1", NULL, 0},
    {"service-id-long", 1, FALSE, -1, LONG_ID, NULL, 0},
    {"available-service-ids-one", 0, FALSE, -1, NULL, ids_one, 0},
    {"available-service-ids-several", 0, FALSE, -1, NULL, ids_several, 0},
    {"available-service-ids-with-empty", 0, FALSE, -1, NULL, ids_with_empty, 0},
    {"connection-id-1", 1, FALSE, -1, "SSH1", NULL, 1},
    {"connection-id-128", 1, FALSE, -1, "SSH1", NULL, 128},
    {"connection-id-max", 1, FALSE, -1, "SSH1", NULL, G_MAXUINT32},
    {"all-fields", -7, TRUE, 4096, "HTTP1", ids_several, 3},
};

static IotMessage *
iot_round_trip_variant_build(IotMessageType type, const IotRoundTripVariant *variant)
{
	IotMessage *msg = iot_message_new(type, variant->stream_id);
	msg->ignorable = variant->ignorable;
	if (variant->payload_len >= 0)
		msg->payload = iot_test_pattern((gsize)variant->payload_len, (guint8)type);
	msg->service_id = g_strdup(variant->service_id);
	msg->available_service_ids = g_strdupv((GStrv)variant->available_service_ids);
	msg->connection_id = variant->connection_id;
	return msg;
}

/* the field numbers proto3 must write for @msg, in order */
static gchar *
iot_round_trip_expected_fields(const IotMessage *msg)
{
	GString *str = g_string_new("1");
	if (msg->stream_id != 0)
		g_string_append(str, " 2");
	if (msg->ignorable)
		g_string_append(str, " 3");
	if (msg->payload != NULL && g_bytes_get_size(msg->payload) > 0)
		g_string_append(str, " 4");
	if (msg->service_id != NULL && msg->service_id[0] != '\0')
		g_string_append(str, " 5");
	for (guint i = 0;
	     msg->available_service_ids != NULL && msg->available_service_ids[i] != NULL;
	     i++)
		g_string_append(str, " 6");
	if (msg->connection_id != 0)
		g_string_append(str, " 7");
	return g_string_free(str, FALSE);
}

static void
iot_message_round_trip_func(gconstpointer user_data)
{
	const IotRoundTripCase *tc = user_data;
	g_autoptr(IotMessage) msg = iot_round_trip_variant_build(tc->type, tc->variant);
	g_autoptr(IotMessage) decoded = NULL;
	g_autoptr(IotMessage) streamed = NULL;
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GBytes) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *fields = NULL;
	g_autofree gchar *fields_expected = iot_round_trip_expected_fields(msg);
	const guint8 *data;
	gsize size = 0;

	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	data = g_bytes_get_data(frame, &size);
	g_assert_cmpuint(size, >=, 2);
	g_assert_cmpuint(((gsize)data[0] << 8) | data[1], ==, size - 2);

	/* proto3: default values absent, fields in field-number order */
	fields = iot_test_canonical_fields(data + 2, size - 2);
	g_assert_cmpstr(fields, ==, fields_expected);

	decoded = iot_frame_decode_body(data + 2, size - 2, &error);
	g_assert_no_error(error);
	g_assert_nonnull(decoded);
	iot_test_assert_message_equal(msg, decoded);
	/* an empty string or payload decodes as absent */
	if (decoded->service_id != NULL)
		g_assert_cmpstr(decoded->service_id, !=, "");
	if (decoded->payload != NULL)
		g_assert_cmpuint(g_bytes_get_size(decoded->payload), >, 0);

	iot_frame_decoder_push(decoder, frame);
	streamed = iot_frame_decoder_next(decoder, &error);
	g_assert_no_error(error);
	g_assert_nonnull(streamed);
	iot_test_assert_message_equal(msg, streamed);
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);

	again = iot_frame_encode(decoded, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(frame, again));
}

/* messages whose exact encoding is written out by hand */
typedef struct {
	const gchar *name;
	IotMessageType type;
	gint32 stream_id;
	gboolean ignorable;
	const gchar *payload_hex;
	const gchar *service_id;
	const gchar *const *available_service_ids;
	guint32 connection_id;
	const gchar *frame_hex;
} IotEncodeCase;

static const gchar *const ids_ssh_http[] = {"SSH1", "HTTP1", NULL};
static const gchar *const ids_a_b[] = {"a", "b", NULL};

static const IotEncodeCase encode_cases[] = {
    {"stream-start-v1",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     FALSE,
     NULL,
     NULL,
     NULL,
     0,
     "0004 0802 1001"},
    {"stream-start-v3",
     IOT_MESSAGE_TYPE_STREAM_START,
     1,
     FALSE,
     NULL,
     "SSH1",
     NULL,
     1,
     "000c 0802 1001 2a04 53534831 3801"},
    {"data-negative-stream",
     IOT_MESSAGE_TYPE_DATA,
     -1,
     FALSE,
     "6869",
     NULL,
     NULL,
     0,
     "0011 0801 10ffffffffffffffffff01 2202 6869"},
    {"service-ids",
     IOT_MESSAGE_TYPE_SERVICE_IDS,
     0,
     FALSE,
     NULL,
     NULL,
     ids_ssh_http,
     0,
     "000f 0805 3204 53534831 3205 4854545031"},
    {"session-reset", IOT_MESSAGE_TYPE_SESSION_RESET, 0, FALSE, "", "", NULL, 0, "0002 0804"},
    {"connection-reset",
     IOT_MESSAGE_TYPE_CONNECTION_RESET,
     300,
     FALSE,
     NULL,
     "HTTP1",
     NULL,
     128,
     "000f 0807 10ac02 2a05 4854545031 388001"},
    {"unknown-type-ignorable",
     (IotMessageType)8,
     5,
     TRUE,
     NULL,
     NULL,
     NULL,
     0,
     "0006 0808 1005 1801"},
    {"all-fields",
     IOT_MESSAGE_TYPE_DATA,
     2,
     TRUE,
     "00ff",
     "a",
     ids_a_b,
     9,
     "0015 0801 1002 1801 220200ff 2a0161 320161 320162 3809"},
};

static void
iot_message_encode_func(gconstpointer user_data)
{
	const IotEncodeCase *tc = user_data;
	g_autoptr(IotMessage) msg = iot_message_new(tc->type, tc->stream_id);
	g_autoptr(IotMessage) decoded = NULL;
	g_autoptr(GBytes) expected = iot_test_bytes_from_hex(tc->frame_hex);
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *hex_expected = NULL;
	const guint8 *data;
	gsize size = 0;

	msg->ignorable = tc->ignorable;
	if (tc->payload_hex != NULL)
		msg->payload = iot_test_bytes_from_hex(tc->payload_hex);
	msg->service_id = g_strdup(tc->service_id);
	msg->available_service_ids = g_strdupv((GStrv)tc->available_service_ids);
	msg->connection_id = tc->connection_id;

	frame = iot_frame_encode(msg, &error);
	g_assert_no_error(error);
	g_assert_nonnull(frame);
	data = g_bytes_get_data(frame, &size);
	hex = iot_test_hex(data, size);
	hex_expected = iot_test_hex(g_bytes_get_data(expected, NULL), g_bytes_get_size(expected));
	g_assert_cmpstr(hex, ==, hex_expected);

	decoded = iot_frame_decode_body(data + 2, size - 2, &error);
	g_assert_no_error(error);
	g_assert_nonnull(decoded);
	iot_test_assert_message_equal(msg, decoded);
}

static void
iot_message_new_func(void)
{
	g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_STREAM_RESET, -3);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_STREAM_RESET);
	g_assert_cmpint(msg->stream_id, ==, -3);
	g_assert_false(msg->ignorable);
	g_assert_null(msg->payload);
	g_assert_null(msg->service_id);
	g_assert_null(msg->available_service_ids);
	g_assert_cmpuint(msg->connection_id, ==, 0);
	g_assert_false(iot_message_has_service_id(msg));
}

static void
iot_message_new_full_func(void)
{
	g_autoptr(GBytes) payload = iot_test_pattern(10, 0);
	g_autoptr(IotMessage) msg = NULL;
	g_autoptr(IotMessage) unnamed = NULL;

	msg = iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 4, "SSH1", 2, payload);
	g_assert_cmpint(msg->type, ==, IOT_MESSAGE_TYPE_DATA);
	g_assert_cmpint(msg->stream_id, ==, 4);
	g_assert_cmpstr(msg->service_id, ==, "SSH1");
	g_assert_true(iot_message_has_service_id(msg));
	g_assert_cmpuint(msg->connection_id, ==, 2);
	/* the message holds a reference, not a copy */
	g_assert_true(msg->payload == payload);

	/* V1 style: an empty service ID is no service ID */
	unnamed = iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_START, 1, "", 0, NULL);
	g_assert_null(unnamed->service_id);
	g_assert_null(unnamed->payload);
	g_assert_false(iot_message_has_service_id(unnamed));

	/* freeing NULL is allowed, as for every free function */
	iot_message_free(NULL);
}

static void
iot_message_has_service_id_func(void)
{
	g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_DATA, 1);
	msg->service_id = g_strdup("");
	g_assert_false(iot_message_has_service_id(msg));
	g_free(msg->service_id);
	msg->service_id = g_strdup("HTTP1");
	g_assert_true(iot_message_has_service_id(msg));
}

static void
iot_message_type_to_string_func(void)
{
	const gchar *names[] = {"UNKNOWN",
				"DATA",
				"STREAM_START",
				"STREAM_RESET",
				"SESSION_RESET",
				"SERVICE_IDS",
				"CONNECTION_START",
				"CONNECTION_RESET"};
	G_STATIC_ASSERT(G_N_ELEMENTS(names) == IOT_MESSAGE_TYPE_LAST + 1);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++)
		g_assert_cmpstr(iot_message_type_to_string((IotMessageType)i), ==, names[i]);
	g_assert_cmpstr(iot_message_type_to_string((IotMessageType)(IOT_MESSAGE_TYPE_LAST + 1)),
			==,
			"INVALID");
	g_assert_cmpstr(iot_message_type_to_string((IotMessageType)-1), ==, "INVALID");
}

static void
iot_message_to_string_func(void)
{
	g_autoptr(GBytes) payload = g_bytes_new_static("secret", 6);
	g_autoptr(IotMessage) data =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 3, "SSH1", 2, payload);
	g_autoptr(IotMessage) ids = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	g_autoptr(IotMessage) reset = iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0);
	g_autofree gchar *str_data = NULL;
	g_autofree gchar *str_ids = NULL;
	g_autofree gchar *str_reset = NULL;

	data->ignorable = TRUE;
	str_data = iot_message_to_string(data);
	/* the payload's length, never its bytes */
	g_assert_cmpstr(str_data,
			==,
			"DATA stream=3 service=SSH1 connection=2 payload=6 ignorable");
	g_assert_null(strstr(str_data, "secret"));

	ids->available_service_ids = g_strsplit("SSH1,HTTP1", ",", -1);
	str_ids = iot_message_to_string(ids);
	g_assert_cmpstr(str_ids, ==, "SERVICE_IDS services=[SSH1,HTTP1]");

	str_reset = iot_message_to_string(reset);
	g_assert_cmpstr(str_reset, ==, "SESSION_RESET");
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iotunnel/message/new", iot_message_new_func);
	g_test_add_func("/iotunnel/message/new-full", iot_message_new_full_func);
	g_test_add_func("/iotunnel/message/has-service-id", iot_message_has_service_id_func);
	g_test_add_func("/iotunnel/message/type-to-string", iot_message_type_to_string_func);
	g_test_add_func("/iotunnel/message/to-string", iot_message_to_string_func);
	for (guint i = 0; i < G_N_ELEMENTS(encode_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/message/encode/%s", encode_cases[i].name);
		g_test_add_data_func(path, &encode_cases[i], iot_message_encode_func);
	}
	for (gint type = IOT_MESSAGE_TYPE_DATA; type <= IOT_MESSAGE_TYPE_LAST; type++) {
		for (guint i = 0; i < G_N_ELEMENTS(round_trip_variants); i++) {
			IotRoundTripCase *tc = g_new0(IotRoundTripCase, 1);
			g_autofree gchar *path = NULL;
			tc->type = (IotMessageType)type;
			tc->variant = &round_trip_variants[i];
			path = g_strdup_printf("/iotunnel/message/round-trip/%s/%s",
					       iot_message_type_to_string(tc->type),
					       tc->variant->name);
			g_test_add_data_func(path, tc, iot_message_round_trip_func);
			g_ptr_array_add(cases, tc);
		}
	}
	rc = g_test_run();
	return rc;
}
