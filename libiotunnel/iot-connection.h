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
 * @IOT_CONNECTION_ERROR_OVERFLOW: more arrived for the local peer than the
 *   connection's budget holds
 * @IOT_CONNECTION_ERROR_STALLED: the local peer took nothing for the stall
 *   time while more than %IOT_CONNECTION_HIGH_WATER bytes waited for it
 *
 * Why a local connection ended other than by a clean end of stream.
 */
typedef enum {
	IOT_CONNECTION_ERROR_READ,
	IOT_CONNECTION_ERROR_WRITE,
	IOT_CONNECTION_ERROR_OVERFLOW,
	IOT_CONNECTION_ERROR_STALLED,
} IotConnectionError;

/* a write queue above this is congested; below the low mark it is not any more */
#define IOT_CONNECTION_HIGH_WATER (256 * 1024)
#define IOT_CONNECTION_LOW_WATER (64 * 1024)

/* the bytes a connection holds for its local peer, and how long it may hold them untaken */
#define IOT_CONNECTION_DEFAULT_BUDGET (4 * 1024 * 1024)
#define IOT_CONNECTION_DEFAULT_STALL_TIMEOUT_MS 30000

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
 * IOT_CONNECTION_LOW_WATER, or when the connection finishes. ::written
 * tells each time the local peer took some. A budget
 * (iot_connection_set_budget()) bounds the queue: what would pass it resets
 * the connection, and so does a congested queue of which the peer takes
 * nothing for the stall time, unless the writer paces itself
 * (iot_connection_set_paced()), keeping within the budget.
 * iot_connection_shutdown_write() ends our direction only, once the queue is
 * written, and reading goes on.
 *
 * Ending from our side: iot_connection_close() flushes what is queued, then
 * ends the stream cleanly, keeping itself alive until done (the owner may
 * drop it at once); iot_connection_flush_and_reset() flushes too, then closes
 * with a TCP reset, for a stream that was cut; iot_connection_abort() closes
 * at once, with a TCP reset where the stream is a socket. None emits ::closed.
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
iot_connection_set_budget(IotConnection *self, gsize budget, guint stall_timeout_ms);
IOT_EXPORT
gsize
iot_connection_get_budget(IotConnection *self);
IOT_EXPORT
void
iot_connection_set_paced(IotConnection *self, gboolean paced);
IOT_EXPORT
void
iot_connection_set_window_closed(IotConnection *self, gboolean closed);
IOT_EXPORT
void
iot_connection_shutdown_write(IotConnection *self);
IOT_EXPORT
void
iot_connection_close(IotConnection *self);
IOT_EXPORT
void
iot_connection_flush_and_reset(IotConnection *self);
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
