/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_CONNECTION_ERROR iot_connection_error_quark()

/**
 * IotConnectionError:
 * @IOT_CONNECTION_ERROR_READ: reading the local peer failed
 * @IOT_CONNECTION_ERROR_WRITE: writing to the local peer failed
 *
 * Why a local connection ended other than by a clean end of stream.
 */
typedef enum {
	IOT_CONNECTION_ERROR_READ,
	IOT_CONNECTION_ERROR_WRITE,
} IotConnectionError;

/* a write queue above this pauses the tunnel's reading; below the low mark resumes it */
#define IOT_CONNECTION_HIGH_WATER (256 * 1024)
#define IOT_CONNECTION_LOW_WATER (64 * 1024)

#define IOT_TYPE_CONNECTION (iot_connection_get_type())
IOT_EXPORT
G_DECLARE_FINAL_TYPE(IotConnection, iot_connection, IOT, CONNECTION, GObject)

/*
 * One local connection (a client app's TCP connection on the source side, the
 * destination app's on the other), wrapping the GIOStream an endpoint made.
 *
 * Reading: after iot_connection_start(), each chunk read (at most
 * IOT_MESSAGE_MAX_PAYLOAD bytes, so one DATA message) is emitted as
 * ::data (GBytes *). The peer ending its side or an I/O error emits ::closed
 * (const GError *error, nullable: NULL for a clean end of stream) once at
 * most, and always from the main loop, never from inside a call of ours.
 * After an error the connection is finished and does nothing more; after a
 * clean end of stream it can still write, until iot_connection_close().
 *
 * Writing: iot_connection_write() queues bytes; the "congested" property turns
 * TRUE above IOT_CONNECTION_HIGH_WATER queued bytes and FALSE again below
 * IOT_CONNECTION_LOW_WATER, or when the connection finishes.
 *
 * Ending from our side: iot_connection_close() flushes what is queued, then
 * ends the stream cleanly, keeping itself alive until done (the owner may
 * drop it at once); iot_connection_abort() closes at once, with a TCP reset
 * where the stream is a socket. Neither emits ::closed.
 */
IOT_EXPORT
GQuark
iot_connection_error_quark(void);
IOT_EXPORT
IotConnection *
iot_connection_new(GIOStream *stream, const gchar *description);
IOT_EXPORT
GIOStream *
iot_connection_get_stream(IotConnection *self);
IOT_EXPORT
const gchar *
iot_connection_get_description(IotConnection *self);
IOT_EXPORT
void
iot_connection_start(IotConnection *self);
IOT_EXPORT
void
iot_connection_set_read_paused(IotConnection *self, gboolean paused);
IOT_EXPORT
gboolean
iot_connection_get_read_paused(IotConnection *self);
IOT_EXPORT
void
iot_connection_write(IotConnection *self, GBytes *bytes);
IOT_EXPORT
gsize
iot_connection_get_write_queued(IotConnection *self);
IOT_EXPORT
gboolean
iot_connection_get_congested(IotConnection *self);
IOT_EXPORT
void
iot_connection_close(IotConnection *self);
IOT_EXPORT
void
iot_connection_abort(IotConnection *self);
IOT_EXPORT
gboolean
iot_connection_is_finished(IotConnection *self);
IOT_EXPORT
guint64
iot_connection_get_bytes_read(IotConnection *self);
IOT_EXPORT
guint64
iot_connection_get_bytes_written(IotConnection *self);

G_END_DECLS
