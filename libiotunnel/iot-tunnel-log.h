/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

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

G_END_DECLS
