/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

/* the most bytes of a string a peer sent (a service id) that a log line quotes */
#define IOT_LOG_MAX_QUOTED 64

/* lines one rate limit lets through in each window, and the window, in microseconds */
#define IOT_LOG_RATE_LIMIT_BURST 10
#define IOT_LOG_RATE_LIMIT_INTERVAL_US (10 * G_USEC_PER_SEC)

/**
 * IotLogRateLimit:
 * @window_start: when the current window began, monotonic microseconds, 0 for never
 * @passed: lines let through in the current window
 * @suppressed: lines held back since the last one let through
 *
 * Keeps a line that a peer can make repeat at its own rate to a few every
 * ten seconds. Zero-initialised; one per kind of line.
 */
typedef struct {
	gint64 window_start;
	guint passed;
	guint suppressed;
} IotLogRateLimit;

IOT_EXPORT
gboolean
iot_log_rate_limit_pass(IotLogRateLimit *limit, guint *suppressed);

IOT_EXPORT
gboolean
iot_log_escape(GString *out, const gchar *text, gsize max, gboolean quoting);

IOT_EXPORT
gchar *
iot_log_quote(const gchar *text, gsize max);

IOT_EXPORT
void
iot_tunnel_log_limited(IotLogRateLimit *limit,
		       GLogLevelFlags log_level,
		       const gchar *log_domain,
		       const gchar *file,
		       const gchar *line,
		       const gchar *func,
		       const gchar *tunnel,
		       gint32 stream_id,
		       guint32 connection_id,
		       const gchar *format,
		       ...) G_GNUC_PRINTF(10, 11);

IOT_EXPORT
void
iot_tunnel_log(GLogLevelFlags log_level,
	       const gchar *log_domain,
	       const gchar *file,
	       const gchar *line,
	       const gchar *func,
	       const gchar *tunnel,
	       gint32 stream_id,
	       guint32 connection_id,
	       const gchar *format,
	       ...) G_GNUC_PRINTF(9, 10);

/**
 * iot_tunnel_debug:
 * @tunnel: (nullable): the tunnel's name, as iot_session_get_name() gives it
 * @stream_id: the stream the line is about, or 0
 * @connection_id: the connection in that stream, or 0
 * @...: a printf() format and its arguments
 *
 * Logs a debug line about a tunnel, its stream and connection, in the
 * module's log domain; see iot_tunnel_log().
 */
#define iot_tunnel_debug(tunnel, stream_id, connection_id, ...)                                    \
	iot_tunnel_log(G_LOG_LEVEL_DEBUG,                                                          \
		       G_LOG_DOMAIN,                                                               \
		       __FILE__,                                                                   \
		       G_STRINGIFY(__LINE__),                                                      \
		       G_STRFUNC,                                                                  \
		       tunnel,                                                                     \
		       stream_id,                                                                  \
		       connection_id,                                                              \
		       __VA_ARGS__)

/**
 * iot_tunnel_info:
 * @tunnel: (nullable): the tunnel's name
 * @stream_id: the stream, or 0
 * @connection_id: the connection in that stream, or 0
 * @...: a printf() format and its arguments
 *
 * As iot_tunnel_debug(), at info level.
 */
#define iot_tunnel_info(tunnel, stream_id, connection_id, ...)                                     \
	iot_tunnel_log(G_LOG_LEVEL_INFO,                                                           \
		       G_LOG_DOMAIN,                                                               \
		       __FILE__,                                                                   \
		       G_STRINGIFY(__LINE__),                                                      \
		       G_STRFUNC,                                                                  \
		       tunnel,                                                                     \
		       stream_id,                                                                  \
		       connection_id,                                                              \
		       __VA_ARGS__)

/**
 * iot_tunnel_message:
 * @tunnel: (nullable): the tunnel's name
 * @stream_id: the stream, or 0
 * @connection_id: the connection in that stream, or 0
 * @...: a printf() format and its arguments
 *
 * As iot_tunnel_debug(), at message level.
 */
#define iot_tunnel_message(tunnel, stream_id, connection_id, ...)                                  \
	iot_tunnel_log(G_LOG_LEVEL_MESSAGE,                                                        \
		       G_LOG_DOMAIN,                                                               \
		       __FILE__,                                                                   \
		       G_STRINGIFY(__LINE__),                                                      \
		       G_STRFUNC,                                                                  \
		       tunnel,                                                                     \
		       stream_id,                                                                  \
		       connection_id,                                                              \
		       __VA_ARGS__)

/**
 * iot_tunnel_warning:
 * @tunnel: (nullable): the tunnel's name
 * @stream_id: the stream, or 0
 * @connection_id: the connection in that stream, or 0
 * @...: a printf() format and its arguments
 *
 * As iot_tunnel_debug(), at warning level.
 */
#define iot_tunnel_warning(tunnel, stream_id, connection_id, ...)                                  \
	iot_tunnel_log(G_LOG_LEVEL_WARNING,                                                        \
		       G_LOG_DOMAIN,                                                               \
		       __FILE__,                                                                   \
		       G_STRINGIFY(__LINE__),                                                      \
		       G_STRFUNC,                                                                  \
		       tunnel,                                                                     \
		       stream_id,                                                                  \
		       connection_id,                                                              \
		       __VA_ARGS__)

/**
 * iot_tunnel_log_rate_limited:
 * @log_level: a GLib log level
 * @tunnel: (nullable): the tunnel's name
 * @stream_id: the stream, or 0
 * @connection_id: the connection in that stream, or 0
 * @...: a printf() format and its arguments
 *
 * As iot_tunnel_log(), for a line a peer can make repeat: each call site
 * has its own #IotLogRateLimit (shared by every tunnel of the process), and
 * the first line let through after some were held back says how many.
 */
#define iot_tunnel_log_rate_limited(log_level, tunnel, stream_id, connection_id, ...)              \
	G_STMT_START                                                                               \
	{                                                                                          \
		static IotLogRateLimit iot_log_call_site_limit;                                    \
		iot_tunnel_log_limited(&iot_log_call_site_limit,                                   \
				       log_level,                                                  \
				       G_LOG_DOMAIN,                                               \
				       __FILE__,                                                   \
				       G_STRINGIFY(__LINE__),                                      \
				       G_STRFUNC,                                                  \
				       tunnel,                                                     \
				       stream_id,                                                  \
				       connection_id,                                              \
				       __VA_ARGS__);                                               \
	}                                                                                          \
	G_STMT_END

/**
 * IotLogShowsFunc:
 * @log_level: a GLib log level
 * @log_domain: (nullable): a log domain
 *
 * Returns: whether the process's log writer shows such a line
 */
typedef gboolean (*IotLogShowsFunc)(GLogLevelFlags log_level, const gchar *log_domain);

IOT_EXPORT
void
iot_tunnel_log_set_shows_func(IotLogShowsFunc func);
IOT_EXPORT
gboolean
iot_tunnel_log_shows(GLogLevelFlags log_level, const gchar *log_domain);

/* whether this module's debug lines show: costly detail is formatted only then */
#define iot_tunnel_debug_enabled() iot_tunnel_log_shows(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)

G_END_DECLS
