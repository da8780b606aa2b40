/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Log lines about a tunnel, its streams and connections, rate-limited where a peer can flood. */

#include "config.h"

#include "iot-tunnel-log.h"

#include <string.h>

/* the writer's own filter, when the process installed one (iotunneld does) */
static IotLogShowsFunc iot_tunnel_log_shows_func = NULL;

/**
 * iot_tunnel_log_set_shows_func:
 * @func: (nullable): what tells whether the process's log writer shows a
 *   line; %NULL for GLib's default writer
 *
 * A process with its own log writer says here what that writer shows, so
 * that iot_tunnel_log_shows() answers for it. Call it before any tunnel
 * starts.
 */
void
iot_tunnel_log_set_shows_func(IotLogShowsFunc func)
{
	iot_tunnel_log_shows_func = func;
}

/**
 * iot_tunnel_log_shows:
 * @log_level: a GLib log level
 * @log_domain: (nullable): the module's log domain
 *
 * Tells whether a line would show, so that what it costs to compose (a
 * message formatted for the debug log) is paid only then: the function
 * given to iot_tunnel_log_set_shows_func(), else GLib's default writer's
 * rules (g_log_writer_default_would_drop(), `G_MESSAGES_DEBUG`).
 *
 * Returns: whether such a line shows
 */
gboolean
iot_tunnel_log_shows(GLogLevelFlags log_level, const gchar *log_domain)
{
	if (iot_tunnel_log_shows_func != NULL)
		return iot_tunnel_log_shows_func(log_level, log_domain);
	return !g_log_writer_default_would_drop(log_level, log_domain);
}

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

G_LOCK_DEFINE_STATIC(iot_log_rate_limit);

/**
 * iot_log_rate_limit_pass:
 * @limit: the limit of one kind of line
 * @suppressed: (out): how many lines were held back since the last one let through
 *
 * Lets through %IOT_LOG_RATE_LIMIT_BURST lines in each window of
 * %IOT_LOG_RATE_LIMIT_INTERVAL_US, counting the others. Safe from any thread.
 *
 * Returns: %TRUE when the line may be written now
 */
gboolean
iot_log_rate_limit_pass(IotLogRateLimit *limit, guint *suppressed)
{
	gint64 now = g_get_monotonic_time();
	gboolean pass;

	G_LOCK(iot_log_rate_limit);
	if (limit->window_start == 0 ||
	    now - limit->window_start >= IOT_LOG_RATE_LIMIT_INTERVAL_US) {
		limit->window_start = now;
		limit->passed = 0;
	}
	pass = limit->passed < IOT_LOG_RATE_LIMIT_BURST;
	if (pass) {
		limit->passed++;
		*suppressed = limit->suppressed;
		limit->suppressed = 0;
	} else if (limit->suppressed < G_MAXUINT) {
		limit->suppressed++;
	}
	G_UNLOCK(iot_log_rate_limit);
	return pass;
}

/**
 * iot_log_escape:
 * @out: where the escaped text goes
 * @text: a string a peer sent
 * @max: the most bytes @out may hold afterwards
 * @quoting: whether '"' and '\\' are escaped too, for a quoted string
 *
 * Appends @text to @out, one character at a time, with control characters,
 * C1 controls, line and paragraph separators and invalid UTF-8 written as
 * escapes, so that nothing a peer sends can start a line of its own or
 * break a UTF-8 reader. Stops at a character before @out would pass @max
 * bytes.
 *
 * Returns: %FALSE when @text was cut
 */
gboolean
iot_log_escape(GString *out, const gchar *text, gsize max, gboolean quoting)
{
	g_return_val_if_fail(out != NULL, FALSE);
	g_return_val_if_fail(text != NULL, FALSE);

	for (const gchar *p = text; *p != '\0';) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		gchar escape[8] = "";
		const gchar *next;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_snprintf(escape, sizeof(escape), "\\x%02x", (guchar)*p);
			next = p + 1;
		} else {
			next = g_utf8_next_char(p);
			if (c == '\n')
				g_strlcpy(escape, "\\n", sizeof(escape));
			else if (c == '\r')
				g_strlcpy(escape, "\\r", sizeof(escape));
			else if (c == '\t')
				g_strlcpy(escape, "\\t", sizeof(escape));
			else if (c < 0x20 || c == 0x7f)
				g_snprintf(escape, sizeof(escape), "\\x%02x", c);
			else if ((c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029)
				g_snprintf(escape, sizeof(escape), "\\u%04x", c);
			else if (quoting && (c == '"' || c == '\\'))
				g_snprintf(escape, sizeof(escape), "\\%c", (gchar)c);
		}
		if (escape[0] != '\0') {
			if (out->len + strlen(escape) > max)
				return FALSE;
			g_string_append(out, escape);
		} else {
			if (out->len + (next - p) > max)
				return FALSE;
			g_string_append_len(out, p, next - p);
		}
		p = next;
	}
	return TRUE;
}

/**
 * iot_log_quote:
 * @text: a string a peer sent, such as a service id
 * @max: the most bytes to keep of it, escapes included
 *
 * Makes @text fit for a log line, as iot_log_escape() with quoting does; a
 * longer string is cut, with "..." after it.
 *
 * Returns: (transfer full): the printable, valid UTF-8 copy
 */
gchar *
iot_log_quote(const gchar *text, gsize max)
{
	GString *out = g_string_new(NULL);

	if (!iot_log_escape(out, text, max, TRUE))
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

static void
iot_tunnel_log_valist(GLogLevelFlags log_level,
		      const gchar *log_domain,
		      const gchar *file,
		      const gchar *line,
		      const gchar *func,
		      const gchar *tunnel,
		      gint32 stream_id,
		      guint32 connection_id,
		      guint suppressed,
		      const gchar *format,
		      va_list args)
{
	g_autoptr(GString) message = g_string_new(NULL);
	g_autofree gchar *stream_text = NULL;
	g_autofree gchar *connection_text = NULL;
	GLogField fields[9];
	gsize n_fields = 0;

	if (tunnel != NULL)
		g_string_append_printf(message, "tunnel %s: ", tunnel);
	if (stream_id != 0) {
		g_string_append_printf(message, "stream %d", stream_id);
		if (connection_id != 0)
			g_string_append_printf(message, " connection %u", connection_id);
		g_string_append(message, ": ");
	}
	g_string_append_vprintf(message, format, args);
	if (suppressed > 0)
		g_string_append_printf(message,
				       " (%u more like it held back in the last seconds)",
				       suppressed);

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
	va_list args;

	va_start(args, format);
	iot_tunnel_log_valist(log_level,
			      log_domain,
			      file,
			      line,
			      func,
			      tunnel,
			      stream_id,
			      connection_id,
			      0,
			      format,
			      args);
	va_end(args);
}

/**
 * iot_tunnel_log_limited:
 * @limit: the rate limit of this kind of line
 * @log_level: a GLib log level
 * @log_domain: (nullable): the module's log domain
 * @file: the source file
 * @line: the line in it
 * @func: the function
 * @tunnel: (nullable): the tunnel's name
 * @stream_id: the stream, or 0
 * @connection_id: the connection in that stream, or 0
 * @format: a printf() format
 * @...: its arguments
 *
 * As iot_tunnel_log(), when @limit lets the line through; the first line
 * after some were held back says how many. Call it through
 * iot_tunnel_log_rate_limited(), which gives each call site its limit.
 */
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
		       ...)
{
	guint suppressed = 0;
	va_list args;

	if (!iot_log_rate_limit_pass(limit, &suppressed))
		return;
	va_start(args, format);
	iot_tunnel_log_valist(log_level,
			      log_domain,
			      file,
			      line,
			      func,
			      tunnel,
			      stream_id,
			      connection_id,
			      suppressed,
			      format,
			      args);
	va_end(args);
}
