/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-tunnel-log.h"

/* the journal's priority of a GLib level, as GLib's own structured log gives it */
static const gchar *
iot_tunnel_log_priority(GLogLevelFlags log_level)
{
	if (log_level & G_LOG_LEVEL_ERROR)
		return "3";
	if (log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
		return "4";
	if (log_level & G_LOG_LEVEL_MESSAGE)
		return "5";
	if (log_level & G_LOG_LEVEL_INFO)
		return "6";
	return "7";
}

/**
 * iot_tunnel_log:
 * @log_level: a GLib log level
 * @log_domain: (nullable): the module's log domain, %G_LOG_DOMAIN
 * @file: the source file, `CODE_FILE`
 * @line: the line in it, `CODE_LINE`
 * @func: the function, `CODE_FUNC`
 * @tunnel: (nullable): the tunnel's name, as iot_session_get_name() gives it
 * @stream_id: the stream the line is about, or 0
 * @connection_id: the connection in that stream, or 0
 * @format: a printf() format
 * @...: its arguments
 *
 * Logs one line about a tunnel through GLib's structured log: the message
 * starts with "tunnel NAME: stream S connection C: " (each part when
 * given), so that two tunnels' lines can be told apart wherever they go,
 * and the journal gets the fields `IOTUNNEL_TUNNEL`, `IOTUNNEL_STREAM_ID`
 * and `IOTUNNEL_CONNECTION_ID` to filter on. Call it through
 * iot_tunnel_debug() and its siblings, which fill in the domain and the
 * code location. Never pass a token in the message.
 */
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
	       ...)
{
	g_autoptr(GString) message = g_string_new(NULL);
	g_autofree gchar *stream_text = NULL;
	g_autofree gchar *connection_text = NULL;
	GLogField fields[9];
	gsize n_fields = 0;
	va_list args;

	if (tunnel != NULL)
		g_string_append_printf(message, "tunnel %s: ", tunnel);
	if (stream_id != 0) {
		g_string_append_printf(message, "stream %d", stream_id);
		if (connection_id != 0)
			g_string_append_printf(message, " connection %u", connection_id);
		g_string_append(message, ": ");
	}
	va_start(args, format);
	g_string_append_vprintf(message, format, args);
	va_end(args);

	fields[n_fields++] = (GLogField){"MESSAGE", message->str, -1};
	fields[n_fields++] = (GLogField){"PRIORITY", iot_tunnel_log_priority(log_level), -1};
	if (log_domain != NULL)
		fields[n_fields++] = (GLogField){"GLIB_DOMAIN", log_domain, -1};
	fields[n_fields++] = (GLogField){"CODE_FILE", file, -1};
	fields[n_fields++] = (GLogField){"CODE_LINE", line, -1};
	fields[n_fields++] = (GLogField){"CODE_FUNC", func, -1};
	if (tunnel != NULL)
		fields[n_fields++] = (GLogField){"IOTUNNEL_TUNNEL", tunnel, -1};
	if (stream_id != 0) {
		stream_text = g_strdup_printf("%d", stream_id);
		fields[n_fields++] = (GLogField){"IOTUNNEL_STREAM_ID", stream_text, -1};
	}
	if (stream_id != 0 && connection_id != 0) {
		connection_text = g_strdup_printf("%u", connection_id);
		fields[n_fields++] = (GLogField){"IOTUNNEL_CONNECTION_ID", connection_text, -1};
	}
	g_log_structured_array(log_level, fields, n_fields);
}
