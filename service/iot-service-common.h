/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IOT_SERVICE_ERROR iot_service_error_quark()

/**
 * IotServiceError:
 * @IOT_SERVICE_ERROR_RANDOM: the system's random generator failed
 *
 * Errors of the helpers every part of the service shares.
 */
typedef enum {
	IOT_SERVICE_ERROR_RANDOM,
} IotServiceError;

/* flow control: bytes queued toward a peer above which the other peer is no longer read */
#define IOT_SERVICE_HIGH_WATER (1024 * 1024)
/* ... and below which it is read again */
#define IOT_SERVICE_LOW_WATER (256 * 1024)

/* the most bytes that may wait toward a peer: over it, the peer is cut off */
#define IOT_SERVICE_SEND_BUDGET (8 * 1024 * 1024)

/* the most answers to a peer's own messages (resets, pongs) that may wait unwritten */
#define IOT_SERVICE_REPLY_BUDGET 256
#define IOT_SERVICE_REPLY_BYTES (64 * 1024)

/* the most input of one peer read in one turn of the main loop */
#define IOT_SERVICE_READ_TURN (256 * 1024)

/* how long a peer's WebSocket may take to finish closing, in seconds */
#define IOT_SERVICE_CLOSE_GRACE 10

/* the whole handshake request must stay under this (PROTOCOL.md section 1) */
#define IOT_SERVICE_MAX_REQUEST_SIZE 4096

/* the answer to a handshake request over that size (RFC 6585) */
#define IOT_SERVICE_STATUS_HEADERS_TOO_LARGE 431

/* the longest tunnel lifetime, in seconds, as the real service's 12 hours */
#define IOT_SERVICE_MAX_LIFETIME (12 * 60 * 60)

/* how long a closed tunnel stays describable, in seconds */
#define IOT_SERVICE_CLOSED_RETENTION (10 * 60)

/* the format of the state file that keeps open tunnels across restarts */
#define IOT_SERVICE_STATE_VERSION 1

/* the most services a tunnel may list */
#define IOT_SERVICE_MAX_SERVICES 3

/* the longest close reason of a WebSocket close frame, in bytes (RFC 6455 section 5.5) */
#define IOT_SERVICE_MAX_CLOSE_REASON 123

/* the most bytes of a log message; the rest is cut */
#define IOT_SERVICE_MAX_LOG_MESSAGE 1024

/* how much of a string a peer sent (a service id, a path) a log line or close reason quotes */
#define IOT_SERVICE_MAX_QUOTED 64

/* the WebSocket close codes the service sends */
#define IOT_SERVICE_CLOSE_NORMAL 1000
#define IOT_SERVICE_CLOSE_GOING_AWAY 1001
#define IOT_SERVICE_CLOSE_PROTOCOL_ERROR 1002
#define IOT_SERVICE_CLOSE_UNSUPPORTED_DATA 1003
#define IOT_SERVICE_CLOSE_POLICY_VIOLATION 1008
#define IOT_SERVICE_CLOSE_TOO_BIG 1009

/**
 * IotServiceLimits:
 * @handshake_timeout: seconds a new connection has to send its request (the TLS
 *   handshake and the HTTP request, or the WebSocket handshake)
 * @max_handshakes: how many connections may be in their handshake at once
 * @max_connections: how many connections may be open at once, WebSockets included
 * @stall_timeout: seconds a peer may leave the bytes waiting for it unread
 *
 * What the service grants one connection, and how many it takes, so that
 * nobody can hold its descriptors, threads or memory.
 */
typedef struct {
	guint handshake_timeout;
	guint max_handshakes;
	guint max_connections;
	guint stall_timeout;
} IotServiceLimits;

GQuark
iot_service_error_quark(void);
GLogWriterOutput
iot_service_log_writer(GLogLevelFlags level,
		       const GLogField *fields,
		       gsize n_fields,
		       gpointer user_data);
void
iot_service_log(GLogLevelFlags level,
		const gchar *tunnel_id,
		const gchar *channel_id,
		const gchar *file,
		const gchar *line,
		const gchar *func,
		const gchar *format,
		...) G_GNUC_PRINTF(7, 8);

/* a log line about one tunnel, and one WebSocket of it when @channel_id is set */
#define iot_service_log_tunnel(level, tunnel_id, channel_id, ...)                                  \
	iot_service_log(level,                                                                     \
			tunnel_id,                                                                 \
			channel_id,                                                                \
			__FILE__,                                                                  \
			G_STRINGIFY(__LINE__),                                                     \
			G_STRFUNC,                                                                 \
			__VA_ARGS__)

gboolean
iot_service_random_bytes(guint8 *buffer, gsize len, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_service_random_token(GError **error);
gchar *
iot_service_random_uuid(GError **error);
gchar *
iot_service_random_hex(gsize bytes, GError **error);
gboolean
iot_service_secret_equal(const gchar *a, const gchar *b);
gchar *
iot_service_secret_digest(const gchar *secret);

G_END_DECLS
