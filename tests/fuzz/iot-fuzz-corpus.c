/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <errno.h>
#include <glib/gstdio.h>

/*
 * Writes the seed corpus of iot-frame-decoder-fuzz into OUTDIR: every
 * <sender>.bin of every vector folder in VECTORS, each of their frames alone,
 * and frames of what the vectors lack because only the service sends it
 * (SERVICE_IDS, SESSION_RESET) or nobody does yet (an ignorable unknown type).
 */

static gboolean
iot_fuzz_corpus_write(const gchar *outdir, const gchar *name, GBytes *bytes, GError **error)
{
	g_autofree gchar *path = g_build_filename(outdir, name, NULL);
	return g_file_set_contents(path,
				   g_bytes_get_data(bytes, NULL),
				   (gssize)g_bytes_get_size(bytes),
				   error);
}

/* writes @bin whole, then each of its frames; the frames are split by their prefixes */
static gboolean
iot_fuzz_corpus_add_file(const gchar *outdir,
			 const gchar *prefix,
			 GBytes *bin,
			 guint *count,
			 GError **error)
{
	g_autofree gchar *name = g_strdup_printf("%s.bin", prefix);
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bin, &size);
	gsize offset = 0;

	if (!iot_fuzz_corpus_write(outdir, name, bin, error))
		return FALSE;
	(*count)++;
	for (guint n = 0; offset + 2 <= size; n++) {
		gsize length = ((gsize)data[offset] << 8) | data[offset + 1];
		g_autoptr(GBytes) frame = NULL;
		g_autofree gchar *frame_name = NULL;
		if (length > size - offset - 2)
			break;
		frame = g_bytes_new_from_bytes(bin, offset, 2 + length);
		frame_name = g_strdup_printf("%s-%03u.frame", prefix, n);
		if (!iot_fuzz_corpus_write(outdir, frame_name, frame, error))
			return FALSE;
		(*count)++;
		offset += 2 + length;
	}
	return TRUE;
}

static gboolean
iot_fuzz_corpus_add_vectors(const gchar *vectors, const gchar *outdir, guint *count, GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(vectors, 0, error);
	const gchar *folder;

	if (dir == NULL)
		return FALSE;
	while ((folder = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(vectors, folder, NULL);
		g_autoptr(GDir) sub = NULL;
		const gchar *name;
		if (!g_file_test(path, G_FILE_TEST_IS_DIR))
			continue;
		sub = g_dir_open(path, 0, error);
		if (sub == NULL)
			return FALSE;
		while ((name = g_dir_read_name(sub)) != NULL) {
			g_autofree gchar *bin_path = g_build_filename(path, name, NULL);
			g_autofree gchar *sender = NULL;
			g_autofree gchar *prefix = NULL;
			g_autoptr(GBytes) bin = NULL;
			gchar *contents = NULL;
			gsize length = 0;
			if (!g_str_has_suffix(name, ".bin"))
				continue;
			if (!g_file_get_contents(bin_path, &contents, &length, error))
				return FALSE;
			bin = g_bytes_new_take(contents, length);
			sender = g_strndup(name, strlen(name) - 4);
			prefix = g_strdup_printf("%s-%s", folder, sender);
			if (!iot_fuzz_corpus_add_file(outdir, prefix, bin, count, error))
				return FALSE;
		}
	}
	return TRUE;
}

static gboolean
iot_fuzz_corpus_add_synthetic(const gchar *outdir, guint *count, GError **error)
{
	g_autoptr(IotMessage) ids = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
	g_autoptr(IotMessage) session_reset = iot_message_new(IOT_MESSAGE_TYPE_SESSION_RESET, 0);
	g_autoptr(IotMessage) unknown =
	    iot_message_new((IotMessageType)(IOT_MESSAGE_TYPE_LAST + 1), -2);
	g_autoptr(IotFrameEncoder) encoder = iot_frame_encoder_new(0);
	g_autoptr(GBytes) stream = NULL;
	const IotMessage *messages[] = {ids, session_reset, unknown};

	ids->available_service_ids = g_strsplit("SSH1,HTTP1,RDP3", ",", -1);
	unknown->ignorable = TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(messages); i++) {
		if (!iot_frame_encoder_add(encoder, messages[i], error))
			return FALSE;
	}
	stream = iot_frame_encoder_pop(encoder);
	return iot_fuzz_corpus_add_file(outdir, "synthetic", stream, count, error);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	guint count = 0;

	if (argc != 3) {
		g_printerr("usage: %s VECTORS OUTDIR\n", argv[0]);
		return 2;
	}
	if (g_mkdir_with_parents(argv[2], 0755) != 0) {
		g_printerr("cannot create %s: %s\n", argv[2], g_strerror(errno));
		return 1;
	}
	if (!iot_fuzz_corpus_add_vectors(argv[1], argv[2], &count, &error) ||
	    !iot_fuzz_corpus_add_synthetic(argv[2], &count, &error)) {
		g_printerr("cannot write the corpus: %s\n", error->message);
		return 1;
	}
	g_print("%u seed inputs in %s\n", count, argv[2]);
	return 0;
}
