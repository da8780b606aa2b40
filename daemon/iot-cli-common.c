/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-common.h"

#include <glib/gi18n.h>
#include <string.h>

#include "iot-profile-common.h"
#include "iot-small-file.h"

G_DEFINE_QUARK(iot-cli-error-quark, iot_cli_error);

/**
 * iot_cli_read_file:
 * @path: the file, as the user gave it; messages name it this way
 * @error: (nullable): return location for an %IOT_CLI_ERROR_FILE error
 *
 * Reads a small text file named by an option, before the main loop runs (a
 * pipe is read too); a file that holds a NUL byte is refused. The data is
 * followed by a NUL that the size does not count. Wipe it with
 * iot_small_file_wipe() when it may hold a token.
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 */
GBytes *
iot_cli_read_file(const gchar *path, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	GBytes *bytes = iot_small_file_read(path,
					    IOT_CLI_FILE_MAX,
					    IOT_SMALL_FILE_TEXT | IOT_SMALL_FILE_SECRET |
						IOT_SMALL_FILE_ANY_KIND,
					    &error_local);

	if (bytes == NULL)
		iot_profile_set_file_error(error,
					   IOT_CLI_ERROR,
					   IOT_CLI_ERROR_FILE,
					   IOT_CLI_ERROR_FILE,
					   path,
					   error_local,
					   _("file"));
	return bytes;
}

/**
 * iot_cli_next_line:
 * @cursor: (inout): where the next line starts, in a NUL-terminated buffer the
 *   caller may change; %NULL once the buffer is used up
 *
 * Cuts the next line out of the buffer in place: the "\n" (and a "\r" before
 * it) becomes NUL.
 *
 * Returns: (transfer none) (nullable): the line, or %NULL after the last one
 */
gchar *
iot_cli_next_line(gchar **cursor)
{
	gchar *line = *cursor;
	gchar *end;
	gsize len;

	/* only the end of the buffer starts with NUL: an empty line starts with "\n" */
	if (line == NULL || line[0] == '\0')
		return NULL;
	end = strchr(line, '\n');
	if (end != NULL) {
		*end = '\0';
		*cursor = end + 1;
	} else {
		*cursor = NULL;
	}
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}
