/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-common.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <string.h>

#include "iot-profile-common.h"

G_DEFINE_QUARK(iot-cli-error-quark, iot_cli_error);

/**
 * iot_cli_read_file:
 * @path: the file, as the user gave it; messages name it this way
 * @error: (nullable): return location for an %IOT_CLI_ERROR_FILE error
 *
 * Reads a small text file named by an option; a file that holds a NUL byte
 * is refused. The data is followed by a NUL that the size does not count. Wipe it with
 * iot_cli_wipe_bytes() when it may hold a token.
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 */
GBytes *
iot_cli_read_file(const gchar *path, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	g_auto(IotProfileFd) fd = -1;
	gint errsv = 0;
	guint len;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || !iot_profile_read_fd(fd, IOT_CLI_FILE_MAX, buf, &errsv)) {
		if (fd < 0)
			errsv = errno;
		if (errsv == ENOENT) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_FILE,
				    _("%s: the file does not exist; check the path."),
				    path);
			return NULL;
		}
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file cannot be read (%s); check the path and its "
			      "permissions."),
			    path,
			    g_strerror(errsv));
		return NULL;
	}
	if (buf->len > IOT_CLI_FILE_MAX) {
		explicit_bzero(buf->data, buf->len);
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file is larger than 1 MiB; give a file of at most 1 MiB."),
			    path);
		return NULL;
	}
	if (memchr(buf->data, '\0', buf->len) != NULL) {
		explicit_bzero(buf->data, buf->len);
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file holds a NUL byte; give a text file."),
			    path);
		return NULL;
	}
	len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return g_bytes_new_take(g_byte_array_steal(buf, NULL), len);
}

/**
 * iot_cli_wipe_bytes:
 * @bytes: (transfer full): what iot_cli_read_file() returned
 *
 * Overwrites the file's data, which may hold a token, then drops it. Only the
 * caller may hold a reference.
 */
void
iot_cli_wipe_bytes(GBytes *bytes)
{
	gsize len = 0;
	gpointer data = (gpointer)g_bytes_get_data(bytes, &len);
	if (data != NULL)
		explicit_bzero(data, len);
	g_bytes_unref(bytes);
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
