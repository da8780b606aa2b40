/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-dbus-names.h"

G_BEGIN_DECLS

/* a token travels in an HTTP header that must stay under 4 KiB: a token fd gives little */
#define IOT_DBUS_SECRET_MAX 8192

/* how long a token fd may take to reach its end */
#define IOT_DBUS_SECRET_TIMEOUT_MS 10000

#define IOT_DBUS_ERROR iot_dbus_error_quark()

/**
 * IotDBusError:
 * @IOT_DBUS_ERROR_FAILED: something went wrong inside the daemon
 * @IOT_DBUS_ERROR_INVALID_ARGS: an option is unknown, of the wrong type or misplaced
 * @IOT_DBUS_ERROR_INVALID_PROFILE: the profile cannot be read or is not valid
 * @IOT_DBUS_ERROR_INVALID_TOKEN: a token cannot be read or has the wrong form
 * @IOT_DBUS_ERROR_EXISTS: a tunnel of that name exists already
 * @IOT_DBUS_ERROR_NOT_FOUND: no such tunnel, or no such service on the tunnel
 * @IOT_DBUS_ERROR_NOT_SUPPORTED: the tunnel's mode cannot do that
 * @IOT_DBUS_ERROR_NOT_RUNNING: the tunnel is not started
 * @IOT_DBUS_ERROR_LIMIT_REACHED: the tunnel has as many connections as it may
 * @IOT_DBUS_ERROR_SETUP_FAILED: a plugin or a setting the tunnel needs is unusable
 * @IOT_DBUS_ERROR_STORAGE_FAILED: the tunnel cannot be written to the state folder
 *
 * Errors at the bus, named org.iotunnel.Error.* there.
 */
typedef enum {
	IOT_DBUS_ERROR_FAILED,
	IOT_DBUS_ERROR_INVALID_ARGS,
	IOT_DBUS_ERROR_INVALID_PROFILE,
	IOT_DBUS_ERROR_INVALID_TOKEN,
	IOT_DBUS_ERROR_EXISTS,
	IOT_DBUS_ERROR_NOT_FOUND,
	IOT_DBUS_ERROR_NOT_SUPPORTED,
	IOT_DBUS_ERROR_NOT_RUNNING,
	IOT_DBUS_ERROR_LIMIT_REACHED,
	IOT_DBUS_ERROR_SETUP_FAILED,
	IOT_DBUS_ERROR_STORAGE_FAILED,
	IOT_DBUS_ERROR_LAST,
} IotDBusError;

GQuark
iot_dbus_error_quark(void);
GError *
iot_dbus_error_from(const GError *error);

/* a token in memory: wiped before it is freed */
typedef gchar IotDBusSecret;
void
iot_dbus_secret_free(IotDBusSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotDBusSecret, iot_dbus_secret_free)

void
iot_dbus_read_secret_async(gint fd,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
IotDBusSecret *
iot_dbus_read_secret_finish(GAsyncResult *result, GError **error);

G_END_DECLS
