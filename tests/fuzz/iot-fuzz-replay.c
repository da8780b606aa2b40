/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-fuzz.h"

/*
 * Runs a target's inputs once each, without libFuzzer: the gcc and ASan
 * builds replay the committed corpus and regressions as a normal test.
 * usage: TARGET-replay FILE-OR-FOLDER...
 */

static gint
iot_fuzz_replay_compare(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gboolean
iot_fuzz_replay_collect(const gchar *path, GPtrArray *files, GError **error)
{
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		g_ptr_array_add(files, g_strdup(path));
		return TRUE;
	}
	dir = g_dir_open(path, 0, error);
	if (dir == NULL)
		return FALSE;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);
		if (!iot_fuzz_replay_collect(child, files, error))
			return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;

	if (argc < 2) {
		g_printerr("usage: %s FILE-OR-FOLDER...\n", argv[0]);
		return 2;
	}
	for (gint i = 1; i < argc; i++) {
		if (!iot_fuzz_replay_collect(argv[i], files, &error)) {
			g_printerr("%s: %s\n", argv[0], error->message);
			return 1;
		}
	}
	g_ptr_array_sort(files, iot_fuzz_replay_compare);
	LLVMFuzzerInitialize(&argc, &argv);
	for (guint i = 0; i < files->len; i++) {
		const gchar *path = g_ptr_array_index(files, i);
		g_autofree gchar *contents = NULL;
		gsize length = 0;
		if (!g_file_get_contents(path, &contents, &length, &error)) {
			g_printerr("%s: %s\n", argv[0], error->message);
			return 1;
		}
		g_print("%s\n", path);
		LLVMFuzzerTestOneInput((const guint8 *)contents, length);
	}
	g_print("%u inputs, no finding\n", files->len);
	return files->len > 0 ? 0 : 1;
}
