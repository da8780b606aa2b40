/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <json-glib/json-glib.h>

#include "iot-test-common.h"

/*
 * Replays the golden vectors recorded from the reference local proxy (see
 * vectors/README.md, "How tests should use them", steps 1 to 3). Every folder
 * and every <sender>.bin in it is found at run time, so new recordings are
 * covered without changing this file.
 */

/* which recording: one <sender>.bin of one scenario folder */
typedef struct {
	gchar *folder;
	gchar *sender;
} IotVectorCase;

/* one line of messages.txt */
typedef struct {
	guint ws;
	gsize offset;
	gchar *type;
	gint64 stream_id;
	gchar *service_id;
	guint64 connection_id;
	gboolean ignorable;
	gsize payload_len;
	gchar *payload_head; /* hex of the first <= 16 bytes */
} IotVectorLine;

typedef struct {
	GBytes *stream;	     /* <sender>.bin */
	GPtrArray *frames;   /* of GBytes: each frame, prefix included, sliced from @stream */
	GArray *offsets;     /* of gsize: where each frame starts */
	GPtrArray *messages; /* of IotMessage, one per frame */
	GPtrArray *lines;    /* of IotVectorLine: this sender's lines of messages.txt */
	JsonObject *file;    /* files.<sender> of scenario.json */
	JsonParser *parser;  /* owns @file */
	GArray *ws_sizes;    /* of gsize: the WebSocket message sizes, from messages.txt */
} IotVectorFixture;

static void
iot_vector_line_free(IotVectorLine *line)
{
	g_free(line->type);
	g_free(line->service_id);
	g_free(line->payload_head);
	g_free(line);
}

static void
iot_vector_case_free(IotVectorCase *tc)
{
	g_free(tc->folder);
	g_free(tc->sender);
	g_free(tc);
}

static gchar *
iot_vector_path(const IotVectorCase *tc, const gchar *basename)
{
	g_autofree gchar *vectors = iot_test_get_vectors_dir();
	return g_build_filename(vectors, tc->folder, basename, NULL);
}

static guint64
iot_vector_parse_number(const gchar *text)
{
	guint64 value = 0;
	g_autoptr(GError) error = NULL;
	g_assert_true(g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &value, &error));
	g_assert_no_error(error);
	return value;
}

static gint
iot_vector_strcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/*
 * sender ws#N off=N TYPE streamId=N serviceId=S connectionId=N ignorable=N
 * payload_len=N [hex], with "" for an empty service ID
 */
static IotVectorLine *
iot_vector_line_parse(gchar **tokens)
{
	IotVectorLine *line = g_new0(IotVectorLine, 1);
	guint n_tokens = g_strv_length(tokens);

	g_assert_cmpuint(n_tokens, >=, 9);
	g_assert_cmpuint(n_tokens, <=, 10);
	g_assert_true(g_str_has_prefix(tokens[1], "ws#"));
	line->ws = (guint)iot_vector_parse_number(tokens[1] + 3);
	line->type = g_strdup(tokens[3]);
	line->payload_head = g_strdup(n_tokens == 10 ? tokens[9] : "");
	for (guint i = 2; i < 9; i++) {
		g_auto(GStrv) kv = g_strsplit(tokens[i], "=", 2);
		if (i == 3)
			continue;
		g_assert_cmpuint(g_strv_length(kv), ==, 2);
		if (g_strcmp0(kv[0], "off") == 0) {
			line->offset = iot_vector_parse_number(kv[1]);
		} else if (g_strcmp0(kv[0], "streamId") == 0) {
			g_autoptr(GError) error = NULL;
			g_assert_true(g_ascii_string_to_signed(kv[1],
							       10,
							       G_MININT32,
							       G_MAXINT32,
							       &line->stream_id,
							       &error));
			g_assert_no_error(error);
		} else if (g_strcmp0(kv[0], "serviceId") == 0) {
			line->service_id = g_strdup(g_strcmp0(kv[1], "\"\"") == 0 ? "" : kv[1]);
		} else if (g_strcmp0(kv[0], "connectionId") == 0) {
			line->connection_id = iot_vector_parse_number(kv[1]);
		} else if (g_strcmp0(kv[0], "ignorable") == 0) {
			line->ignorable = iot_vector_parse_number(kv[1]) != 0;
		} else if (g_strcmp0(kv[0], "payload_len") == 0) {
			line->payload_len = iot_vector_parse_number(kv[1]);
		} else {
			g_assert_cmpstr(kv[0], ==, "a known column");
		}
	}
	g_assert_nonnull(line->service_id);
	return line;
}

/* the lines of @sender, in the order of its file */
static GPtrArray *
iot_vector_lines_load(const IotVectorCase *tc)
{
	g_autofree gchar *path = iot_vector_path(tc, "messages.txt");
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) rows = NULL;
	GPtrArray *lines = g_ptr_array_new_with_free_func((GDestroyNotify)iot_vector_line_free);

	g_assert_true(g_file_get_contents(path, &contents, NULL, &error));
	g_assert_no_error(error);
	rows = g_strsplit(contents, "\n", -1);
	for (guint i = 0; rows[i] != NULL; i++) {
		g_auto(GStrv) split = NULL;
		g_autoptr(GPtrArray) tokens = g_ptr_array_new();
		g_strstrip(rows[i]);
		if (rows[i][0] == '\0' || rows[i][0] == '#')
			continue;
		split = g_strsplit_set(rows[i], " \t", -1);
		for (guint j = 0; split[j] != NULL; j++) {
			if (split[j][0] != '\0')
				g_ptr_array_add(tokens, split[j]);
		}
		g_ptr_array_add(tokens, NULL);
		if (g_strcmp0(g_ptr_array_index(tokens, 0), tc->sender) != 0)
			continue;
		g_ptr_array_add(lines, iot_vector_line_parse((gchar **)tokens->pdata));
	}
	return lines;
}

/* splits the file by the length prefixes alone, before any decoding */
static void
iot_vector_fixture_split(IotVectorFixture *fixture)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(fixture->stream, &size);
	gsize offset = 0;

	while (offset < size) {
		gsize length;
		g_assert_cmpuint(size - offset, >=, 2);
		length = ((gsize)data[offset] << 8) | data[offset + 1];
		g_assert_cmpuint(length, >, 0);
		g_assert_cmpuint(length, <=, IOT_FRAME_MAX_LENGTH);
		g_assert_cmpuint(size - offset - 2, >=, length);
		g_array_append_val(fixture->offsets, offset);
		g_ptr_array_add(fixture->frames,
				g_bytes_new_from_bytes(fixture->stream, offset, 2 + length));
		offset += 2 + length;
	}
	/* no bytes left over */
	g_assert_cmpuint(offset, ==, size);
}

static void
iot_vector_fixture_setup(IotVectorFixture *fixture, gconstpointer user_data)
{
	const IotVectorCase *tc = user_data;
	g_autofree gchar *bin = g_strdup_printf("%s.bin", tc->sender);
	g_autofree gchar *bin_path = iot_vector_path(tc, bin);
	g_autofree gchar *json_path = iot_vector_path(tc, "scenario.json");
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize length = 0;
	JsonObject *root;
	JsonObject *files;

	g_assert_true(g_file_get_contents(bin_path, &contents, &length, &error));
	g_assert_no_error(error);
	fixture->stream = g_bytes_new_take(contents, length);
	fixture->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	fixture->offsets = g_array_new(FALSE, FALSE, sizeof(gsize));
	fixture->messages = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	iot_vector_fixture_split(fixture);

	for (guint i = 0; i < fixture->frames->len; i++) {
		gsize size = 0;
		const guint8 *data = g_bytes_get_data(g_ptr_array_index(fixture->frames, i), &size);
		IotMessage *msg = iot_frame_decode_body(data + 2, size - 2, &error);
		g_assert_no_error(error);
		g_assert_nonnull(msg);
		g_ptr_array_add(fixture->messages, msg);
	}

	fixture->lines = iot_vector_lines_load(tc);
	fixture->ws_sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
	for (guint i = 0; i < fixture->lines->len; i++) {
		IotVectorLine *line = g_ptr_array_index(fixture->lines, i);
		gsize start;
		if (i > 0 &&
		    ((IotVectorLine *)g_ptr_array_index(fixture->lines, i - 1))->ws == line->ws)
			continue;
		/* WebSocket messages are numbered from 0 in the order sent */
		g_assert_cmpuint(line->ws, ==, fixture->ws_sizes->len);
		if (fixture->ws_sizes->len > 0) {
			gsize *last =
			    &g_array_index(fixture->ws_sizes, gsize, fixture->ws_sizes->len - 1);
			*last = line->offset - *last;
		}
		start = line->offset;
		g_array_append_val(fixture->ws_sizes, start);
	}
	if (fixture->ws_sizes->len > 0) {
		gsize *last = &g_array_index(fixture->ws_sizes, gsize, fixture->ws_sizes->len - 1);
		*last = g_bytes_get_size(fixture->stream) - *last;
	}

	fixture->parser = json_parser_new();
	g_assert_true(json_parser_load_from_file(fixture->parser, json_path, &error));
	g_assert_no_error(error);
	root = json_node_get_object(json_parser_get_root(fixture->parser));
	g_assert_nonnull(root);
	files = json_object_get_object_member(root, "files");
	g_assert_nonnull(files);
	fixture->file = json_object_get_object_member(files, tc->sender);
	g_assert_nonnull(fixture->file);
}

static void
iot_vector_fixture_teardown(IotVectorFixture *fixture, gconstpointer user_data)
{
	g_bytes_unref(fixture->stream);
	g_ptr_array_unref(fixture->frames);
	g_array_unref(fixture->offsets);
	g_ptr_array_unref(fixture->messages);
	g_ptr_array_unref(fixture->lines);
	g_array_unref(fixture->ws_sizes);
	g_object_unref(fixture->parser);
}

/* step 1: every frame matches its line of messages.txt; the counts match scenario.json */
static void
iot_vector_decode_func(IotVectorFixture *fixture, gconstpointer user_data)
{
	g_autoptr(GHashTable) counts = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GList) types = NULL;
	g_autofree gchar *sha256 = NULL;
	JsonObject *by_type;

	g_assert_cmpuint(fixture->frames->len, >, 0);
	g_assert_cmpuint(fixture->lines->len, ==, fixture->frames->len);
	for (guint i = 0; i < fixture->messages->len; i++) {
		const IotMessage *msg = g_ptr_array_index(fixture->messages, i);
		const IotVectorLine *line = g_ptr_array_index(fixture->lines, i);
		const gchar *type = iot_message_type_to_string(msg->type);
		gsize payload_len = msg->payload != NULL ? g_bytes_get_size(msg->payload) : 0;
		g_autofree gchar *head = NULL;

		g_assert_cmpuint(line->offset, ==, g_array_index(fixture->offsets, gsize, i));
		g_assert_cmpstr(type, ==, line->type);
		g_assert_cmpint(msg->stream_id, ==, line->stream_id);
		g_assert_cmpstr(msg->service_id != NULL ? msg->service_id : "",
				==,
				line->service_id);
		g_assert_cmpuint(msg->connection_id, ==, line->connection_id);
		g_assert_cmpint(msg->ignorable, ==, line->ignorable);
		g_assert_cmpuint(payload_len, ==, line->payload_len);
		head =
		    iot_test_hex(msg->payload != NULL ? g_bytes_get_data(msg->payload, NULL) : NULL,
				 MIN(payload_len, 16));
		g_assert_cmpstr(head, ==, line->payload_head);
		g_assert_null(msg->available_service_ids);
		g_hash_table_insert(
		    counts,
		    (gpointer)type,
		    GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(counts, type)) + 1));
	}

	/* the counts, both ways */
	by_type = json_object_get_object_member(fixture->file, "frames_by_type");
	g_assert_nonnull(by_type);
	g_assert_cmpuint(json_object_get_size(by_type), ==, g_hash_table_size(counts));
	types = json_object_get_members(by_type);
	for (GList *l = types; l != NULL; l = l->next) {
		const gchar *type = l->data;
		g_assert_cmpint(json_object_get_int_member(by_type, type),
				==,
				GPOINTER_TO_UINT(g_hash_table_lookup(counts, type)));
	}
	g_assert_cmpint(json_object_get_int_member(fixture->file, "tunnel_frames"),
			==,
			fixture->frames->len);
	g_assert_cmpint(json_object_get_int_member(fixture->file, "bytes"),
			==,
			g_bytes_get_size(fixture->stream));
	g_assert_cmpint(json_object_get_int_member(fixture->file, "ws_messages"),
			==,
			fixture->ws_sizes->len);
	if (json_object_get_boolean_member_with_default(fixture->file,
							"each_ws_message_is_exactly_one_frame",
							FALSE)) {
		g_assert_cmpuint(fixture->ws_sizes->len, ==, fixture->frames->len);
		for (guint i = 0; i < fixture->frames->len; i++)
			g_assert_cmpuint(g_array_index(fixture->ws_sizes, gsize, i),
					 ==,
					 g_bytes_get_size(g_ptr_array_index(fixture->frames, i)));
	}
	sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, fixture->stream);
	g_assert_cmpstr(sha256, ==, json_object_get_string_member(fixture->file, "sha256"));
}

/* step 2: our encoder gives back the reference's bytes exactly */
static void
iot_vector_re_encode_func(IotVectorFixture *fixture, gconstpointer user_data)
{
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(0);
	g_autoptr(GByteArray) packed = g_byte_array_new();

	for (guint i = 0; i < fixture->messages->len; i++) {
		GBytes *original = g_ptr_array_index(fixture->frames, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) frame =
		    iot_frame_encode(g_ptr_array_index(fixture->messages, i), &error);
		g_autofree gchar *fields = NULL;
		g_assert_no_error(error);
		g_assert_nonnull(frame);
		if (!g_bytes_equal(frame, original)) {
			g_autofree gchar *hex = iot_test_hex(g_bytes_get_data(frame, NULL),
							     MIN(g_bytes_get_size(frame), 64));
			g_autofree gchar *hex_original =
			    iot_test_hex(g_bytes_get_data(original, NULL),
					 MIN(g_bytes_get_size(original), 64));
			g_assert_cmpstr(hex, ==, hex_original);
			g_assert_cmpuint(g_bytes_get_size(frame), ==, g_bytes_get_size(original));
			g_assert_not_reached();
		}
		fields =
		    iot_test_canonical_fields((const guint8 *)g_bytes_get_data(frame, NULL) + 2,
					      g_bytes_get_size(frame) - 2);
		g_assert_cmpstr(fields, !=, "");
		g_assert_true(iot_frame_encoder_add(encoder,
						    g_ptr_array_index(fixture->messages, i),
						    &error));
		g_assert_no_error(error);
	}

	/* packed for the WebSocket, the payloads put together are the file again */
	while (TRUE) {
		g_autoptr(GBytes) payload = iot_frame_encoder_pop(encoder);
		if (payload == NULL)
			break;
		g_assert_cmpuint(g_bytes_get_size(payload), <=, IOT_WEBSOCKET_MAX_PAYLOAD);
		g_byte_array_append(packed,
				    g_bytes_get_data(payload, NULL),
				    (guint)g_bytes_get_size(payload));
	}
	g_assert_cmpuint(packed->len, ==, g_bytes_get_size(fixture->stream));
	g_assert_cmpmem(packed->data,
			packed->len,
			g_bytes_get_data(fixture->stream, NULL),
			g_bytes_get_size(fixture->stream));
}

static void
iot_vector_assert_same_messages(IotVectorFixture *fixture, GPtrArray *got)
{
	g_assert_cmpuint(got->len, ==, fixture->messages->len);
	for (guint i = 0; i < got->len; i++)
		iot_test_assert_message_equal(g_ptr_array_index(fixture->messages, i),
					      g_ptr_array_index(got, i));
}

/* step 3: the streaming decoder gives the same messages at any chunking */
static void
iot_vector_streaming_func(IotVectorFixture *fixture, gconstpointer user_data)
{
	const gsize chunks[] = {1, 2, 7, 13, 251, 4093, 0};
	g_autoptr(IotFrameDecoder) decoder = iot_frame_decoder_new();
	g_autoptr(GPtrArray) got = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	gsize offset = 0;

	for (guint i = 0; i < G_N_ELEMENTS(chunks); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) messages =
		    iot_test_decode_chunked(fixture->stream, chunks[i], &error);
		g_assert_no_error(error);
		g_assert_nonnull(messages);
		iot_vector_assert_same_messages(fixture, messages);
	}

	/* as the reference sent them: one push per WebSocket message */
	for (guint i = 0; i < fixture->ws_sizes->len; i++) {
		gsize size = g_array_index(fixture->ws_sizes, gsize, i);
		g_autoptr(GBytes) slice = g_bytes_new_from_bytes(fixture->stream, offset, size);
		iot_frame_decoder_push(decoder, slice);
		offset += size;
		while (TRUE) {
			g_autoptr(GError) error = NULL;
			IotMessage *msg = iot_frame_decoder_next(decoder, &error);
			g_assert_no_error(error);
			if (msg == NULL)
				break;
			g_ptr_array_add(got, msg);
		}
	}
	g_assert_cmpuint(offset, ==, g_bytes_get_size(fixture->stream));
	g_assert_cmpuint(iot_frame_decoder_get_buffered(decoder), ==, 0);
	iot_vector_assert_same_messages(fixture, got);
}

/* finds every scenario folder and every <sender>.bin in it, sorted */
static GPtrArray *
iot_vector_cases_find(void)
{
	g_autofree gchar *vectors = iot_test_get_vectors_dir();
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(vectors, 0, &error);
	g_autoptr(GPtrArray) folders = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *cases = g_ptr_array_new_with_free_func((GDestroyNotify)iot_vector_case_free);
	const gchar *name;

	g_assert_no_error(error);
	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(vectors, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(folders, g_strdup(name));
	}
	g_ptr_array_sort(folders, iot_vector_strcmp);
	for (guint i = 0; i < folders->len; i++) {
		const gchar *folder = g_ptr_array_index(folders, i);
		g_autofree gchar *path = g_build_filename(vectors, folder, NULL);
		g_autoptr(GDir) sub = g_dir_open(path, 0, &error);
		g_autoptr(GPtrArray) senders = g_ptr_array_new_with_free_func(g_free);
		g_assert_no_error(error);
		g_assert_nonnull(sub);
		while ((name = g_dir_read_name(sub)) != NULL) {
			if (g_str_has_suffix(name, ".bin"))
				g_ptr_array_add(senders, g_strndup(name, strlen(name) - 4));
		}
		g_ptr_array_sort(senders, iot_vector_strcmp);
		for (guint j = 0; j < senders->len; j++) {
			IotVectorCase *tc = g_new0(IotVectorCase, 1);
			tc->folder = g_strdup(folder);
			tc->sender = g_strdup(g_ptr_array_index(senders, j));
			g_ptr_array_add(cases, tc);
		}
	}
	return cases;
}

static void
iot_vector_found_func(gconstpointer user_data)
{
	GPtrArray *cases = (GPtrArray *)user_data;

	/* the four recordings of the README at least, each with both senders */
	g_assert_cmpuint(cases->len, >=, 8);
	for (guint i = 0; i < cases->len; i++) {
		const IotVectorCase *tc = g_ptr_array_index(cases, i);
		g_autofree gchar *messages = iot_vector_path(tc, "messages.txt");
		g_autofree gchar *scenario = iot_vector_path(tc, "scenario.json");
		g_assert_true(g_file_test(messages, G_FILE_TEST_EXISTS));
		g_assert_true(g_file_test(scenario, G_FILE_TEST_EXISTS));
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) cases = NULL;
	const struct {
		const gchar *name;
		void (*func)(IotVectorFixture *, gconstpointer);
	} steps[] = {
	    {"decode", iot_vector_decode_func},
	    {"re-encode", iot_vector_re_encode_func},
	    {"streaming", iot_vector_streaming_func},
	};

	g_test_init(&argc, &argv, NULL);
	cases = iot_vector_cases_find();
	g_test_add_data_func("/iotunnel/vectors/found", cases, iot_vector_found_func);
	for (guint i = 0; i < cases->len; i++) {
		const IotVectorCase *tc = g_ptr_array_index(cases, i);
		for (guint j = 0; j < G_N_ELEMENTS(steps); j++) {
			g_autofree gchar *path = g_strdup_printf("/iotunnel/vectors/%s/%s/%s",
								 tc->folder,
								 tc->sender,
								 steps[j].name);
			g_test_add(path,
				   IotVectorFixture,
				   tc,
				   iot_vector_fixture_setup,
				   steps[j].func,
				   iot_vector_fixture_teardown);
		}
	}
	return g_test_run();
}
