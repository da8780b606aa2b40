/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The SDK's one small-file reader: its rules, on real files, folders and FIFOs. */

#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "iot-small-file.h"

typedef struct {
	gchar *dir;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->dir = g_dir_make_tmp("iotunnel-small-file-XXXXXX", &error);
	g_assert_no_error(error);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GDir) dir = g_dir_open(fixture->dir, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(fixture->dir, name, NULL);
		g_assert_cmpint(g_remove(path), ==, 0);
	}
	g_assert_cmpint(g_rmdir(fixture->dir), ==, 0);
	g_free(fixture->dir);
}

static gchar *
fixture_write(Fixture *fixture, const gchar *name, const gchar *data, gssize len, gint mode)
{
	g_autoptr(GError) error = NULL;
	gchar *path = g_build_filename(fixture->dir, name, NULL);

	g_assert_true(g_file_set_contents_full(path, data, len, 0, mode, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
	return path;
}

static void
test_small_file_read(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *path = fixture_write(fixture, "ok", "token\n", -1, 0600);
	g_autoptr(GError) error = NULL;
	g_autoptr(IotSmallFileSecret) bytes =
	    iot_small_file_read(path, 8, IOT_SMALL_FILE_TEXT | IOT_SMALL_FILE_SECRET, &error);
	gsize len = 0;
	const gchar *text;

	g_assert_no_error(error);
	text = g_bytes_get_data(bytes, &len);
	g_assert_cmpuint(len, ==, 6);
	/* the NUL after the data, not counted */
	g_assert_cmpstr(text, ==, "token\n");
}

static void
test_small_file_refusals(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *big = fixture_write(fixture, "big", "123456789", -1, 0600);
	g_autofree gchar *exact = fixture_write(fixture, "exact", "12345678", -1, 0600);
	g_autofree gchar *nul = fixture_write(fixture, "nul", "a\0b", 3, 0600);
	g_autofree gchar *shared = fixture_write(fixture, "shared", "token", -1, 0666);
	g_autofree gchar *missing = g_build_filename(fixture->dir, "missing", NULL);
	struct {
		const gchar *path;
		IotSmallFileFlags flags;
		gint code; /* -1: read */
	} cases[] = {
	    {big, IOT_SMALL_FILE_DEFAULT, IOT_SMALL_FILE_ERROR_TOO_LARGE},
	    {exact, IOT_SMALL_FILE_DEFAULT, -1},
	    {nul, IOT_SMALL_FILE_TEXT, IOT_SMALL_FILE_ERROR_NUL},
	    {nul, IOT_SMALL_FILE_DEFAULT, -1},
	    {shared, IOT_SMALL_FILE_NOT_WORLD_WRITABLE, IOT_SMALL_FILE_ERROR_WRITABLE},
	    {shared, IOT_SMALL_FILE_SECRET, -1},
	    {missing, IOT_SMALL_FILE_DEFAULT, IOT_SMALL_FILE_ERROR_NOT_FOUND},
	    {fixture->dir, IOT_SMALL_FILE_DEFAULT, IOT_SMALL_FILE_ERROR_READ},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) bytes =
		    iot_small_file_read(cases[i].path, 8, cases[i].flags, &error);

		g_test_message("case %u: %s", i, cases[i].path);
		if (cases[i].code < 0) {
			g_assert_no_error(error);
			g_assert_nonnull(bytes);
			continue;
		}
		g_assert_null(bytes);
		g_assert_error(error, IOT_SMALL_FILE_ERROR, cases[i].code);
	}
}

/* a FIFO with no writer: refused at once, never waited on */
static void
test_small_file_fifo(Fixture *fixture, gconstpointer data)
{
	g_autofree gchar *fifo = g_build_filename(fixture->dir, "fifo", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes = NULL;

	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	bytes = iot_small_file_read(fifo, 8, IOT_SMALL_FILE_DEFAULT, &error);
	g_assert_null(bytes);
	g_assert_error(error, IOT_SMALL_FILE_ERROR, IOT_SMALL_FILE_ERROR_NOT_REGULAR);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/small-file/read",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_small_file_read,
		   fixture_tear_down);
	g_test_add("/small-file/refusals",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_small_file_refusals,
		   fixture_tear_down);
	g_test_add("/small-file/fifo",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_small_file_fifo,
		   fixture_tear_down);
	return g_test_run();
}
