/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Reading a small file a user names (a profile, a setting, a token): one set of rules. */

#include "config.h"

#include "iot-small-file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(iot - small - file - error - quark, iot_small_file_error)

static void
iot_small_file_close(gint fd)
{
	if (fd >= 0)
		close(fd);
}

typedef gint IotSmallFileFd;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(IotSmallFileFd, iot_small_file_close, -1)

static void
iot_small_file_drop(GByteArray *buf, gboolean secret)
{
	if (secret && buf->len > 0)
		explicit_bzero(buf->data, buf->len);
	g_byte_array_unref(buf);
}

static void
iot_small_file_set_errno(GError **error, gint errsv)
{
	g_set_error_literal(error,
			    IOT_SMALL_FILE_ERROR,
			    errsv == ENOENT ? IOT_SMALL_FILE_ERROR_NOT_FOUND
					    : IOT_SMALL_FILE_ERROR_READ,
			    g_strerror(errsv));
}

/* reads @fd to its end into @buf, stopping once it holds more than @max_size bytes */
static gboolean
iot_small_file_read_fd(gint fd, gsize max_size, GByteArray *buf, GError **error)
{
	while (buf->len <= max_size) {
		guint old_len = buf->len;
		gsize want = MIN(4096, max_size + 1 - old_len);
		gssize n;

		g_byte_array_set_size(buf, old_len + want);
		n = read(fd, buf->data + old_len, want);
		g_byte_array_set_size(buf, old_len + (n > 0 ? (guint)n : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			iot_small_file_set_errno(error, errno);
			return FALSE;
		}
		if (n == 0)
			break;
	}
	return TRUE;
}

/* what the file is, checked before reading it: a folder is left to read(), which says so */
static gboolean
iot_small_file_check_kind(gint fd, IotSmallFileFlags flags, GError **error)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		iot_small_file_set_errno(error, errno);
		return FALSE;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    (flags & IOT_SMALL_FILE_ANY_KIND) == 0) {
		g_set_error_literal(error,
				    IOT_SMALL_FILE_ERROR,
				    IOT_SMALL_FILE_ERROR_NOT_REGULAR,
				    "is not a regular file");
		return FALSE;
	}
	/* anyone could swap a secret; group or world *reading* is the owner's choice */
	if ((flags & IOT_SMALL_FILE_NOT_WORLD_WRITABLE) != 0 && (st.st_mode & S_IWOTH) != 0) {
		g_set_error_literal(error,
				    IOT_SMALL_FILE_ERROR,
				    IOT_SMALL_FILE_ERROR_WRITABLE,
				    "anyone can change it");
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_small_file_read:
 * @path: the file
 * @max_size: the most bytes it may hold
 * @flags: what else is checked
 * @error: (nullable): return location for an %IOT_SMALL_FILE_ERROR
 *
 * Reads a whole small file. Opening never blocks (a FIFO is refused, not
 * waited on, unless %IOT_SMALL_FILE_ANY_KIND), and no more than
 * @max_size + 1 bytes are ever read. The data is followed by a NUL that the
 * size does not count.
 *
 * Returns: (transfer full): the file's bytes, or %NULL with @error set
 */
GBytes *
iot_small_file_read(const gchar *path, gsize max_size, IotSmallFileFlags flags, GError **error)
{
	gboolean secret = (flags & IOT_SMALL_FILE_SECRET) != 0;
	gint open_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	g_auto(IotSmallFileFd) fd = -1;
	GByteArray *buf;
	guint len;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(max_size < G_MAXUINT, NULL);

	if ((flags & IOT_SMALL_FILE_ANY_KIND) == 0)
		open_flags |= O_NONBLOCK;
	fd = open(path, open_flags);
	if (fd < 0) {
		iot_small_file_set_errno(error, errno);
		return NULL;
	}
	if (!iot_small_file_check_kind(fd, flags, error))
		return NULL;
	/* a secret's buffer never grows, so that no copy is left behind unwiped */
	buf = g_byte_array_sized_new(secret ? max_size + 2 : MIN(max_size + 2, 4096));
	if (!iot_small_file_read_fd(fd, max_size, buf, error)) {
		iot_small_file_drop(buf, secret);
		return NULL;
	}
	if (buf->len > max_size) {
		iot_small_file_drop(buf, secret);
		g_set_error(error,
			    IOT_SMALL_FILE_ERROR,
			    IOT_SMALL_FILE_ERROR_TOO_LARGE,
			    "is larger than %" G_GSIZE_FORMAT " bytes",
			    max_size);
		return NULL;
	}
	if ((flags & IOT_SMALL_FILE_TEXT) != 0 && memchr(buf->data, '\0', buf->len) != NULL) {
		iot_small_file_drop(buf, secret);
		g_set_error_literal(error,
				    IOT_SMALL_FILE_ERROR,
				    IOT_SMALL_FILE_ERROR_NUL,
				    "holds a NUL byte");
		return NULL;
	}
	len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return g_bytes_new_take(g_byte_array_free(buf, FALSE), len);
}

/**
 * iot_small_file_wipe:
 * @bytes: (transfer full): what iot_small_file_read() returned
 *
 * Overwrites the file's data, which may hold a secret, then drops it. Only
 * the caller may hold a reference.
 */
void
iot_small_file_wipe(GBytes *bytes)
{
	gsize len = 0;
	gpointer data = (gpointer)g_bytes_get_data(bytes, &len);
	if (data != NULL)
		explicit_bzero(data, len);
	g_bytes_unref(bytes);
}
