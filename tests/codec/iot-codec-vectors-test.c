/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "iot-codec-test-common.h"
#include "iot-v1-codec.h"
#include "iot-v2-codec.h"
#include "iot-v3-codec.h"

/*
 * Step 5 of shared/vectors/README.md: the reference proxies' recorded
 * sessions replayed through our codecs, with real local apps.
 *
 * Destination: each frame of source.bin goes into our destination codec in
 * the order messages.txt gives, with a Python-like echo app behind every
 * local connect. Where the reference destination sent DATA, we wait until
 * ours sent as many bytes for that connection and compare them (our DATA
 * frames may split the bytes differently: that depends on the timing of
 * local reads, for the reference too). Our other messages are compared with
 * the reference's, and where the design differs (PROTOCOL.md section 6) the
 * table below says so.
 *
 * Source: the client app does what the script did (connect, send, close),
 * and each frame of destination.bin goes into our source codec. Our
 * control messages must be the reference's frames byte for byte.
 */

typedef struct {
	IotMessageType type;
	gint32 stream_id;
	const gchar *service_id;
	guint32 connection_id;
} IotVectorControl;

typedef struct {
	const gchar *name;
	guint version;
	const gchar *const *destination_services;   /* as the reference's -d configured them */
	const gchar *const *source_services;	    /* as its -s did */
	gboolean connect_fails;			    /* nothing listens at the destination */
	const IotVectorControl *reference_controls; /* non-DATA the reference destination sent */
	const IotVectorControl *our_controls;	    /* non-DATA ours sends */
	gboolean clients_cut; /* the reference's STREAM_RESET cuts our source's clients */
} IotVectorScenario;

typedef struct {
	gboolean from_source;
	IotMessage *msg;
	GBytes *frame; /* the recorded frame, length prefix included */
} IotVectorLine;

static void
iot_vector_line_free(IotVectorLine *line)
{
	iot_message_free(line->msg);
	g_bytes_unref(line->frame);
	g_free(line);
}

static const gchar *const unnamed[] = {"", NULL};
static const gchar *const ssh1[] = {"SSH1", NULL};
static const gchar *const two_services[] = {"HTTP1", "SSH1", NULL};

static const IotVectorControl no_controls[] = {{0}};

/*
 * v3-simultaneous: the reference destination answers each CONNECTION_RESET
 * with one of its own, because shutting down its app connection's reading
 * side makes it see an end of stream (scenario.json notes). Ours closes the
 * app connection after the peer's reset without echoing it: the peer has
 * already forgotten the connection, so the echo would be stale there.
 */
static const IotVectorControl simultaneous_reference[] = {
    {IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 1},
    {IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 2},
    {IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 3},
    {0},
};

/*
 * v3-reset: the reference sends STREAM_RESET without connectionId when the
 * app cannot be reached, killing every connection of the stream; ours ends
 * only that connection (PROTOCOL.md section 6).
 */
static const IotVectorControl reset_reference[] = {
    {IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0},
    {0},
};
static const IotVectorControl reset_ours[] = {
    {IOT_MESSAGE_TYPE_CONNECTION_RESET, 1, "SSH1", 1},
    {0},
};

static const IotVectorScenario scenarios[] = {
    {"v1", 1, unnamed, unnamed, FALSE, no_controls, no_controls, FALSE},
    {"v2-multi", 2, two_services, two_services, FALSE, no_controls, no_controls, FALSE},
    {"v3-simultaneous", 3, ssh1, ssh1, FALSE, simultaneous_reference, no_controls, FALSE},
    {"v3-reset", 3, ssh1, ssh1, TRUE, reset_reference, reset_ours, TRUE},
};

typedef struct {
	const IotVectorScenario *scenario;
	gchar *subprotocol;
	GStrv announced;  /* the SERVICE_IDS the emulator sent */
	GPtrArray *lines; /* of IotVectorLine, in messages.txt order */
	IotCodecFixture fixture;
} IotVectorFixture;

static gchar *
iot_vector_path(const gchar *scenario, const gchar *file)
{
	const gchar *shared = g_getenv("IOTUNNEL_SHARED_DIR");
	if (shared != NULL)
		return g_build_filename(shared, "vectors", scenario, file, NULL);
	return g_test_build_filename(G_TEST_DIST, "..", "shared", "vectors", scenario, file, NULL);
}

static GBytes *
iot_vector_load(const gchar *scenario, const gchar *file)
{
	g_autofree gchar *path = iot_vector_path(scenario, file);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMappedFile) mapped = g_mapped_file_new(path, FALSE, &error);
	g_assert_no_error(error);
	return g_mapped_file_get_bytes(mapped);
}

static void
iot_vector_load_scenario_json(IotVectorFixture *self)
{
	g_autofree gchar *path = iot_vector_path(self->scenario->name, "scenario.json");
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GStrvBuilder) announced = g_strv_builder_new();
	JsonObject *emulator;
	JsonArray *services;
	JsonArray *handshakes;

	json_parser_load_from_file(parser, path, &error);
	g_assert_no_error(error);
	emulator = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
						 "emulator");
	services = json_object_get_array_member(emulator, "services");
	for (guint i = 0; i < json_array_get_length(services); i++)
		g_strv_builder_add(announced, json_array_get_string_element(services, i));
	self->announced = g_strv_builder_end(announced);
	handshakes = json_object_get_array_member(emulator, "handshakes");
	for (guint i = 0; i < json_array_get_length(handshakes); i++) {
		JsonObject *handshake = json_array_get_object_element(handshakes, i);
		const gchar *subprotocol =
		    json_object_get_string_member(handshake, "selected_subprotocol");
		/* both proxies spoke the same subprotocol */
		if (self->subprotocol == NULL)
			self->subprotocol = g_strdup(subprotocol);
		g_assert_cmpstr(self->subprotocol, ==, subprotocol);
	}
	g_assert_nonnull(self->subprotocol);
}

/* the frame whose length prefix starts at @offset in @file */
static IotVectorLine *
iot_vector_line_new(GBytes *file, gsize offset, gboolean from_source)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(file, &size);
	g_autoptr(GError) error = NULL;
	IotVectorLine *line = g_new0(IotVectorLine, 1);
	gsize length;

	g_assert_cmpuint(offset + 2, <=, size);
	length = ((gsize)data[offset] << 8) | data[offset + 1];
	g_assert_cmpuint(offset + 2 + length, <=, size);
	line->from_source = from_source;
	line->frame = g_bytes_new_from_bytes(file, offset, 2 + length);
	line->msg = iot_frame_decode_body(data + offset + 2, length, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line->msg);
	return line;
}

static void
iot_vector_load_lines(IotVectorFixture *self)
{
	g_autoptr(GBytes) source = iot_vector_load(self->scenario->name, "source.bin");
	g_autoptr(GBytes) destination = iot_vector_load(self->scenario->name, "destination.bin");
	g_autoptr(GBytes) text = iot_vector_load(self->scenario->name, "messages.txt");
	g_autofree gchar *contents =
	    g_strndup(g_bytes_get_data(text, NULL), g_bytes_get_size(text));
	g_auto(GStrv) rows = g_strsplit(contents, "\n", -1);
	gsize used[2] = {0, 0};

	self->lines = g_ptr_array_new_with_free_func((GDestroyNotify)iot_vector_line_free);
	for (guint i = 0; rows[i] != NULL; i++) {
		g_auto(GStrv) columns = NULL;
		gboolean from_source;
		IotVectorLine *line;
		guint64 offset = 0;

		if (rows[i][0] == '#' || rows[i][0] == '\0')
			continue;
		columns = g_strsplit_set(rows[i], " ", -1);
		{
			/* drop the empty strings between runs of spaces */
			guint n = 0;
			for (guint j = 0; columns[j] != NULL; j++) {
				if (columns[j][0] != '\0')
					columns[n++] = columns[j];
				else
					g_free(columns[j]);
			}
			columns[n] = NULL;
			g_assert_cmpuint(n, >=, 4);
		}
		from_source = g_strcmp0(columns[0], "source") == 0;
		g_assert_true(from_source || g_strcmp0(columns[0], "destination") == 0);
		g_assert_true(g_str_has_prefix(columns[2], "off="));
		g_assert_true(
		    g_ascii_string_to_unsigned(columns[2] + 4, 10, 0, G_MAXSIZE, &offset, NULL));
		line = iot_vector_line_new(from_source ? source : destination, offset, from_source);
		g_assert_cmpstr(iot_message_type_to_string(line->msg->type), ==, columns[3]);
		used[from_source ? 0 : 1] += g_bytes_get_size(line->frame);
		g_ptr_array_add(self->lines, line);
	}
	/* every byte of both files belongs to a listed frame */
	g_assert_cmpuint(used[0], ==, g_bytes_get_size(source));
	g_assert_cmpuint(used[1], ==, g_bytes_get_size(destination));
}

static void
setup(IotVectorFixture *self, gconstpointer user_data)
{
	self->scenario = user_data;
	iot_vector_load_scenario_json(self);
	iot_vector_load_lines(self);
}

static void
teardown(IotVectorFixture *self, gconstpointer user_data)
{
	iot_codec_fixture_teardown(&self->fixture);
	g_ptr_array_unref(self->lines);
	g_strfreev(self->announced);
	g_free(self->subprotocol);
}

static IotCodec *
iot_vector_new_codec(const IotVectorScenario *scenario)
{
	switch (scenario->version) {
	case 1:
		return IOT_CODEC(iot_v1_codec_new());
	case 2:
		return IOT_CODEC(iot_v2_codec_new());
	default:
		return IOT_CODEC(iot_v3_codec_new());
	}
}

static void
iot_vector_start(IotVectorFixture *self, IotTunnelMode mode)
{
	const IotVectorScenario *scenario = self->scenario;
	iot_codec_fixture_setup(&self->fixture,
				iot_vector_new_codec(scenario),
				mode,
				mode == IOT_TUNNEL_MODE_SOURCE ? scenario->source_services
							       : scenario->destination_services,
				self->subprotocol);
	/* the emulator announced the services to each peer as it connected */
	if (g_strcmp0(self->subprotocol, "aws.iot.securetunneling-1.0") != 0)
		iot_test_receive_service_ids(&self->fixture, (const gchar *const *)self->announced);
}

/* one connection's bytes, told apart the way the messages name it */
static gchar *
iot_vector_key(const IotMessage *msg)
{
	return g_strdup_printf("%d/%s/%u",
			       msg->stream_id,
			       msg->service_id != NULL ? msg->service_id : "",
			       msg->connection_id);
}

static GByteArray *
iot_vector_bytes_for(GHashTable *table, const IotMessage *msg)
{
	g_autofree gchar *key = iot_vector_key(msg);
	GByteArray *bytes = g_hash_table_lookup(table, key);
	if (bytes == NULL) {
		bytes = g_byte_array_new();
		g_hash_table_insert(table, g_steal_pointer(&key), bytes);
	}
	return bytes;
}

static void
iot_vector_append_payload(GByteArray *bytes, const IotMessage *msg)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(msg->payload, &size);
	g_byte_array_append(bytes, data, size);
}

/* waits until ours sent as many DATA bytes for @msg's connection as @expected holds */
static void
iot_vector_wait_data(IotVectorFixture *self, const IotMessage *msg, GByteArray *expected)
{
	g_autoptr(GByteArray) ours = NULL;
	IOT_TEST_WAIT_UNTIL(iot_test_get_data_length(&self->fixture,
						     msg->stream_id,
						     msg->service_id,
						     msg->connection_id) >= expected->len);
	ours = iot_test_collect_data(&self->fixture,
				     msg->stream_id,
				     msg->service_id,
				     msg->connection_id);
	g_assert_cmpmem(ours->data, ours->len, expected->data, expected->len);
}

static gboolean
iot_vector_find_control(IotCodecFixture *fixture, guint *cursor)
{
	GPtrArray *sent = iot_test_session_get_sent(fixture->session);
	for (; *cursor < sent->len; (*cursor)++) {
		const IotMessage *msg = g_ptr_array_index(sent, *cursor);
		if (msg->type != IOT_MESSAGE_TYPE_DATA)
			return TRUE;
	}
	return FALSE;
}

/* waits for the next message ours sends that is not DATA */
static const IotMessage *
iot_vector_next_control(IotCodecFixture *fixture, guint *cursor)
{
	const IotMessage *msg;
	IOT_TEST_WAIT_UNTIL(iot_vector_find_control(fixture, cursor));
	msg = g_ptr_array_index(iot_test_session_get_sent(fixture->session), *cursor);
	(*cursor)++;
	return msg;
}

static void
iot_vector_assert_control(const IotMessage *msg, const IotVectorControl *control)
{
	g_assert_cmpstr(iot_message_type_to_string(msg->type),
			==,
			iot_message_type_to_string(control->type));
	g_assert_cmpint(msg->stream_id, ==, control->stream_id);
	g_assert_cmpstr(msg->service_id, ==, control->service_id);
	g_assert_cmpuint(msg->connection_id, ==, control->connection_id);
	g_assert_null(msg->payload);
}

static gboolean
iot_vector_is_start(const IotMessage *msg)
{
	return msg->type == IOT_MESSAGE_TYPE_STREAM_START ||
	       msg->type == IOT_MESSAGE_TYPE_CONNECTION_START;
}

static void
test_destination(IotVectorFixture *self, gconstpointer user_data)
{
	const IotVectorScenario *scenario = self->scenario;
	IotCodecFixture *fixture = &self->fixture;
	g_autoptr(GHashTable) reference_data =
	    g_hash_table_new_full(g_str_hash,
				  g_str_equal,
				  g_free,
				  (GDestroyNotify)g_byte_array_unref);
	g_autoptr(GPtrArray) app_inputs = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) inputs = g_hash_table_new_full(g_str_hash,
							     g_str_equal,
							     g_free,
							     (GDestroyNotify)g_byte_array_unref);
	GPtrArray *apps;
	guint n_reference_controls = 0;
	guint n_ours = 0;
	guint cursor = 0;

	iot_vector_start(self, IOT_TUNNEL_MODE_DESTINATION);
	iot_test_session_set_echo(fixture->session, TRUE);
	iot_test_session_set_fail_connects(fixture->session, scenario->connect_fails);
	if (scenario->connect_fails)
		iot_test_expect_log("iotunnel-v3",
				    G_LOG_LEVEL_WARNING,
				    "*cannot reach the local service*");

	for (guint i = 0; i < self->lines->len; i++) {
		IotVectorLine *line = g_ptr_array_index(self->lines, i);
		const IotMessage *msg = line->msg;

		if (line->from_source) {
			iot_test_receive_message(fixture, msg);
			if (iot_vector_is_start(msg)) {
				/* the key under which the start's app gets its bytes */
				g_ptr_array_add(app_inputs, iot_vector_key(msg));
				iot_vector_bytes_for(inputs, msg);
			} else if (msg->type == IOT_MESSAGE_TYPE_DATA) {
				iot_vector_append_payload(iot_vector_bytes_for(inputs, msg), msg);
			}
			continue;
		}
		if (msg->type == IOT_MESSAGE_TYPE_DATA) {
			GByteArray *expected = iot_vector_bytes_for(reference_data, msg);
			iot_vector_append_payload(expected, msg);
			iot_vector_wait_data(self, msg, expected);
			continue;
		}
		/* the reference's own resets, against what the table says it sends */
		g_assert_cmpint(scenario->reference_controls[n_reference_controls].type, !=, 0);
		iot_vector_assert_control(msg, &scenario->reference_controls[n_reference_controls]);
		n_reference_controls++;
	}
	g_assert_cmpint(scenario->reference_controls[n_reference_controls].type, ==, 0);

	/* ours: the resets the table expects, and no other message but DATA */
	for (; scenario->our_controls[n_ours].type != 0; n_ours++)
		iot_vector_assert_control(iot_vector_next_control(fixture, &cursor),
					  &scenario->our_controls[n_ours]);
	iot_test_assert_expected_logs();

	/* a local connection opened for each start, and each ended cleanly after its bytes */
	apps = iot_test_session_get_apps(fixture->session);
	g_assert_cmpuint(iot_test_session_get_connects(fixture->session)->len, ==, app_inputs->len);
	IOT_TEST_WAIT_UNTIL(iot_test_session_get_n_finished_connects(fixture->session) ==
			    app_inputs->len);
	g_assert_cmpuint(apps->len, ==, scenario->connect_fails ? 0 : app_inputs->len);
	for (guint i = 0; i < apps->len; i++) {
		IotTestApp *app = g_ptr_array_index(apps, i);
		GByteArray *input = g_hash_table_lookup(inputs, g_ptr_array_index(app_inputs, i));
		GByteArray *received = iot_test_app_get_received(app);
		IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
		g_assert_true(iot_test_app_get_eof(app));
		g_assert_cmpmem(received->data, received->len, input->data, input->len);
	}
	iot_test_settle();
	g_assert_false(iot_vector_find_control(fixture, &cursor));

	/* in total, every echoed byte went back, as the reference's did */
	{
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, reference_data);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			GByteArray *expected = value;
			g_assert_cmpuint(expected->len, >, 0);
		}
		for (guint i = 0; i < self->lines->len; i++) {
			IotVectorLine *line = g_ptr_array_index(self->lines, i);
			g_autoptr(GByteArray) ours = NULL;
			GByteArray *expected;
			if (line->from_source || line->msg->type != IOT_MESSAGE_TYPE_DATA)
				continue;
			expected = iot_vector_bytes_for(reference_data, line->msg);
			ours = iot_test_collect_data(fixture,
						     line->msg->stream_id,
						     line->msg->service_id,
						     line->msg->connection_id);
			g_assert_cmpmem(ours->data, ours->len, expected->data, expected->len);
		}
	}
}

/* the local service the reference's source used for a message's serviceId */
static const gchar *
iot_vector_source_service(const IotVectorScenario *scenario, const IotMessage *msg)
{
	if (msg->service_id != NULL && g_strv_contains(scenario->source_services, msg->service_id))
		return msg->service_id;
	return "";
}

static void
test_source(IotVectorFixture *self, gconstpointer user_data)
{
	const IotVectorScenario *scenario = self->scenario;
	IotCodecFixture *fixture = &self->fixture;
	g_autoptr(GHashTable) clients =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	g_autoptr(GHashTable) sent_data = g_hash_table_new_full(g_str_hash,
								g_str_equal,
								g_free,
								(GDestroyNotify)g_byte_array_unref);
	g_autoptr(GHashTable) received_data =
	    g_hash_table_new_full(g_str_hash,
				  g_str_equal,
				  g_free,
				  (GDestroyNotify)g_byte_array_unref);
	GHashTableIter iter;
	gpointer key;
	gpointer value;
	guint cursor = 0;

	iot_vector_start(self, IOT_TUNNEL_MODE_SOURCE);

	for (guint i = 0; i < self->lines->len; i++) {
		IotVectorLine *line = g_ptr_array_index(self->lines, i);
		const IotMessage *msg = line->msg;
		g_autofree gchar *msg_key = iot_vector_key(msg);

		if (!line->from_source) {
			if (msg->type == IOT_MESSAGE_TYPE_DATA)
				iot_vector_append_payload(iot_vector_bytes_for(received_data, msg),
							  msg);
			iot_test_receive_message(fixture, msg);
			continue;
		}
		if (msg->type == IOT_MESSAGE_TYPE_DATA) {
			IotTestApp *client = g_hash_table_lookup(clients, msg_key);
			GByteArray *expected = iot_vector_bytes_for(sent_data, msg);
			gsize size = 0;
			const guint8 *data = g_bytes_get_data(msg->payload, &size);
			g_assert_nonnull(client);
			iot_test_app_send(client, data, size);
			iot_vector_append_payload(expected, msg);
			iot_vector_wait_data(self, msg, expected);
			continue;
		}
		if (iot_vector_is_start(msg)) {
			g_hash_table_insert(
			    clients,
			    g_strdup(msg_key),
			    iot_test_accept(fixture, iot_vector_source_service(scenario, msg)));
		} else {
			/* the client app closed: find its connection; a STREAM_RESET names none */
			IotTestApp *client = g_hash_table_lookup(clients, msg_key);
			g_assert_nonnull(client);
			iot_test_app_close(client);
		}
		/* the same control message, byte for byte */
		{
			const IotMessage *ours = iot_vector_next_control(fixture, &cursor);
			g_autoptr(GError) error = NULL;
			g_autoptr(GBytes) frame = iot_frame_encode(ours, &error);
			g_assert_no_error(error);
			g_assert_cmpmem(g_bytes_get_data(frame, NULL),
					g_bytes_get_size(frame),
					g_bytes_get_data(line->frame, NULL),
					g_bytes_get_size(line->frame));
		}
	}

	/*
	 * every client got the bytes sent to it and was closed: cleanly, or
	 * with a reset where a V3 STREAM_RESET said the far side went away
	 */
	g_hash_table_iter_init(&iter, clients);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		IotTestApp *client = value;
		GByteArray *expected = g_hash_table_lookup(received_data, key);
		GByteArray *received = iot_test_app_get_received(client);
		IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(client));
		if (scenario->clients_cut)
			g_assert_true(iot_test_app_get_reset(client));
		else
			g_assert_true(iot_test_app_get_eof(client));
		if (expected == NULL)
			g_assert_cmpuint(received->len, ==, 0);
		else
			g_assert_cmpmem(received->data,
					received->len,
					expected->data,
					expected->len);
	}
	iot_test_settle();
	g_assert_false(iot_vector_find_control(fixture, &cursor));
}

int
main(int argc, char **argv)
{
	iot_test_init(&argc, &argv);

	for (guint i = 0; i < G_N_ELEMENTS(scenarios); i++) {
		g_autofree gchar *destination =
		    g_strdup_printf("/iotunnel/codec-vectors/%s/destination", scenarios[i].name);
		g_autofree gchar *source =
		    g_strdup_printf("/iotunnel/codec-vectors/%s/source", scenarios[i].name);
		g_test_add(destination,
			   IotVectorFixture,
			   &scenarios[i],
			   setup,
			   test_destination,
			   teardown);
		g_test_add(source, IotVectorFixture, &scenarios[i], setup, test_source, teardown);
	}
	return g_test_run();
}
