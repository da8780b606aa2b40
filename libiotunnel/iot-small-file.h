/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Reading a small file a user names (a profile, a setting, a token): one set of rules. */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_SMALL_FILE_ERROR iot_small_file_error_quark()

/**
 * IotSmallFileError:
 * @IOT_SMALL_FILE_ERROR_NOT_FOUND: the file does not exist
 * @IOT_SMALL_FILE_ERROR_READ: the file cannot be opened or read (a folder included)
 * @IOT_SMALL_FILE_ERROR_NOT_REGULAR: a FIFO, a device or a socket
 * @IOT_SMALL_FILE_ERROR_TOO_LARGE: the file holds more than the most allowed
 * @IOT_SMALL_FILE_ERROR_NUL: a text file holds a NUL byte
 * @IOT_SMALL_FILE_ERROR_WRITABLE: anyone may change the file, which
 *   %IOT_SMALL_FILE_NOT_WORLD_WRITABLE refuses
 *
 * For %IOT_SMALL_FILE_ERROR_NOT_FOUND and %IOT_SMALL_FILE_ERROR_READ the
 * message is the system's description of the failure (strerror), for a
 * caller to put in a sentence of its own; for the others it is a short
 * English clause.
 */
typedef enum {
	IOT_SMALL_FILE_ERROR_NOT_FOUND,
	IOT_SMALL_FILE_ERROR_READ,
	IOT_SMALL_FILE_ERROR_NOT_REGULAR,
	IOT_SMALL_FILE_ERROR_TOO_LARGE,
	IOT_SMALL_FILE_ERROR_NUL,
	IOT_SMALL_FILE_ERROR_WRITABLE,
} IotSmallFileError;

/**
 * IotSmallFileFlags:
 * @IOT_SMALL_FILE_DEFAULT: a regular file, any bytes
 * @IOT_SMALL_FILE_TEXT: refuse a NUL byte
 * @IOT_SMALL_FILE_SECRET: wipe every copy of its bytes that is dropped (the
 *   caller wipes the one returned with iot_small_file_wipe())
 * @IOT_SMALL_FILE_NOT_WORLD_WRITABLE: refuse a file anyone may change (a
 *   secret someone else could swap)
 * @IOT_SMALL_FILE_ANY_KIND: also read a pipe or a device to its end, which
 *   may block: only for the command line, before the main loop runs
 */
typedef enum {
	IOT_SMALL_FILE_DEFAULT = 0,
	IOT_SMALL_FILE_TEXT = 1 << 0,
	IOT_SMALL_FILE_SECRET = 1 << 1,
	IOT_SMALL_FILE_ANY_KIND = 1 << 2,
	IOT_SMALL_FILE_NOT_WORLD_WRITABLE = 1 << 3,
} IotSmallFileFlags;

IOT_EXPORT
GQuark
iot_small_file_error_quark(void);
IOT_EXPORT
GBytes *
iot_small_file_read(const gchar *path, gsize max_size, IotSmallFileFlags flags, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_small_file_wipe(GBytes *bytes);

/* what iot_small_file_read() returned of a secret: g_autoptr() wipes it */
typedef GBytes IotSmallFileSecret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotSmallFileSecret, iot_small_file_wipe)

G_END_DECLS
