/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-log.h"

#include <iotunnel.h>

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(iot-log-error-quark, iot_log_error);

/* the most bytes of a message in a text line; the rest is cut */
#define IOT_LOG_MAX_MESSAGE 4096

static guint iot_log_verbosity = IOT_LOG_VERBOSITY_DEFAULT;
static IotLogStyle iot_log_style = IOT_LOG_STYLE_IOTUNNELD;
static gboolean iot_log_journal = FALSE;   /* stderr is the journal's */
static GStrv iot_log_debug_domains = NULL; /* from G_MESSAGES_DEBUG */

/* the log file, when --log-file asks for one; lines may come from any thread */
static GMutex iot_log_mutex;
static gchar *iot_log_path = NULL;
static gint iot_log_fd = -1;

/*
 * lines of iotunnel's own domains, the SDK's and the plugins' ("iotunnel-..."),
 * and of outside plugins written when the plugin guide said "Iot...", not
 * other libraries'
 */
static gboolean
iot_log_domain_is_ours(const gchar *domain)
{
	return domain == NULL || g_str_has_prefix(domain, "iotunnel") ||
	       g_str_has_prefix(domain, "Iot");
}

/*
 * The least verbosity at which a line shows: the reference's levels for
 * ours; other libraries' debug and info (GLib-GIO, dconf, libsoup) only at
 * the top level, 6, where they are what "trace" is for.
 */
static guint
iot_log_level_verbosity(GLogLevelFlags log_level, const gchar *domain)
{
	if (log_level & G_LOG_LEVEL_ERROR)
		return 1;
	if (log_level & G_LOG_LEVEL_CRITICAL)
		return 2;
	if (log_level & G_LOG_LEVEL_WARNING)
		return 3;
	if (log_level & G_LOG_LEVEL_MESSAGE)
		return 4;
	if (!iot_log_domain_is_ours(domain))
		return IOT_LOG_VERBOSITY_MAX;
	if (log_level & G_LOG_LEVEL_INFO)
		return 4;
	return 5;
}

static gboolean
iot_log_shows(GLogLevelFlags log_level, const gchar *domain)
{
	if (iot_log_level_verbosity(log_level, domain) <= iot_log_verbosity)
		return TRUE;
	/* G_MESSAGES_DEBUG=iotunnel-v3 (or all) turns on one module's detail, as in GLib */
	if (iot_log_verbosity == 0 || (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) == 0 ||
	    iot_log_debug_domains == NULL)
		return FALSE;
	return g_strv_contains((const gchar *const *)iot_log_debug_domains, "all") ||
	       (domain != NULL &&
		g_strv_contains((const gchar *const *)iot_log_debug_domains, domain));
}

static const gchar *
iot_log_level_name(GLogLevelFlags log_level)
{
	if (log_level & G_LOG_LEVEL_ERROR)
		return "error";
	if (log_level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (log_level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (log_level & G_LOG_LEVEL_MESSAGE)
		return "message";
	if (log_level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

/* the reference's severity words: fatal, error, warning, info, debug, trace */
static const gchar *
iot_log_reference_severity(GLogLevelFlags log_level, const gchar *domain)
{
	switch (iot_log_level_verbosity(log_level, domain)) {
	case 1:
		return "fatal";
	case 2:
		return "error";
	case 3:
		return "warning";
	case 4:
		return "info";
	case 5:
		return "debug";
	default:
		return "trace";
	}
}

/* one line as iotunneld writes it: local time to the millisecond, level, domain, message */
static gchar *
iot_log_format_line(GLogLevelFlags log_level, const gchar *domain, const gchar *message)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *time = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");

	return g_strdup_printf("%s.%03d %s %s: %s\n",
			       time,
			       g_date_time_get_microsecond(now) / 1000,
			       iot_log_level_name(log_level),
			       domain != NULL ? domain : "iotunnel",
			       message);
}

/*
 * One line in the shape of the reference local proxy's (v3.1.0 and later):
 * "[2026-12-07 19:20:00.123456] (0x00007f5d17367c80) [info] message", with
 * the thread, and another library's domain before its message.
 */
static gchar *
iot_log_format_reference_line(GLogLevelFlags log_level, const gchar *domain, const gchar *message)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *time = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");

	return g_strdup_printf("[%s.%06d] (0x%016" G_GINT64_MODIFIER "x) [%s] %s%s%s\n",
			       time,
			       g_date_time_get_microsecond(now),
			       (guint64)(guintptr)pthread_self(),
			       iot_log_reference_severity(log_level, domain),
			       iot_log_domain_is_ours(domain) ? "" : domain,
			       iot_log_domain_is_ours(domain) ? "" : ": ",
			       message);
}

/* the whole line, or as much as @fd takes */
static gboolean
iot_log_write_all(gint fd, const gchar *line)
{
	gsize len = strlen(line);
	gsize done = 0;

	while (done < len) {
		gssize n = write(fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		done += (gsize)n;
	}
	return TRUE;
}

static GLogWriterOutput
iot_log_writer(GLogLevelFlags log_level,
	       const GLogField *fields,
	       gsize n_fields,
	       gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;
	g_autofree gchar *line = NULL;
	g_autoptr(GString) escaped = g_string_new(NULL);

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
	}
	if (!iot_log_shows(log_level, domain))
		return G_LOG_WRITER_HANDLED;
	if (message == NULL)
		message = "";
	/* whatever a peer put in it, a message is one printable line, and not a huge one */
	if (!iot_log_escape(escaped, message, IOT_LOG_MAX_MESSAGE, FALSE))
		g_string_append(escaped, "...");
	message = escaped->str;
	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&iot_log_mutex);
		if (iot_log_fd >= 0) {
			line = iot_log_format_line(log_level, domain, message);
			if (iot_log_write_all(iot_log_fd, line))
				return G_LOG_WRITER_HANDLED;
			g_clear_pointer(&line, g_free);
		}
	}
	/* under systemd, the journal keeps the fields: tunnel, stream, connection */
	if (iot_log_journal &&
	    g_log_writer_journald(log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	line = iot_log_style == IOT_LOG_STYLE_LOCALPROXY
		   ? iot_log_format_reference_line(log_level, domain, message)
		   : iot_log_format_line(log_level, domain, message);
	return iot_log_write_all(STDERR_FILENO, line) ? G_LOG_WRITER_HANDLED
						      : G_LOG_WRITER_UNHANDLED;
}

/*
 * Whether stderr goes to the journal: systemd names the stream it gives a
 * service in JOURNAL_STREAM, "DEVICE:INODE" (systemd.exec(5)); GLib 2.74's
 * own check looks at the socket's peer instead, which a stream passed on
 * (a shell in between) does not show.
 */
static gboolean
iot_log_stderr_is_journal(void)
{
	const gchar *stream = g_getenv("JOURNAL_STREAM");
	g_auto(GStrv) numbers = NULL;
	guint64 device = 0;
	guint64 inode = 0;
	struct stat st;

	if (g_log_writer_is_journald(STDERR_FILENO))
		return TRUE;
	if (stream == NULL)
		return FALSE;
	numbers = g_strsplit(stream, ":", -1);
	if (g_strv_length(numbers) != 2 ||
	    !g_ascii_string_to_unsigned(numbers[0], 10, 0, G_MAXUINT64, &device, NULL) ||
	    !g_ascii_string_to_unsigned(numbers[1], 10, 0, G_MAXUINT64, &inode, NULL))
		return FALSE;
	return fstat(STDERR_FILENO, &st) == 0 && (guint64)st.st_dev == device &&
	       (guint64)st.st_ino == inode;
}

/**
 * iot_log_setup:
 * @verbosity: 0 (nothing) to 6 (everything), as the reference's `-v`
 * @style: the shape of lines on stderr
 *
 * Routes GLib's structured log to the log file when iot_log_set_file() gave
 * one, else to the journal when stderr is connected to it, else to stderr,
 * every level, in @style. What shows follows @verbosity for iotunnel's own
 * lines; other libraries' debug and info lines show only at 6, and
 * G_MESSAGES_DEBUG adds the debug lines of the domains it names.
 */
void
iot_log_setup(guint verbosity, IotLogStyle style)
{
	const gchar *debug_domains = g_getenv("G_MESSAGES_DEBUG");

	iot_log_verbosity = MIN(verbosity, IOT_LOG_VERBOSITY_MAX);
	iot_log_style = style;
	iot_log_journal = iot_log_stderr_is_journal();
	g_clear_pointer(&iot_log_debug_domains, g_strfreev);
	if (debug_domains != NULL)
		iot_log_debug_domains = g_strsplit_set(debug_domains, " ,", -1);
	/* libraries that skip costly detail nobody will see may then produce it */
	g_log_set_debug_enabled(iot_log_verbosity >= IOT_LOG_VERBOSITY_MAX);
	/* and ours, which format the messages they log only when the lines show */
	iot_tunnel_log_set_shows_func(iot_log_shows);
	g_log_set_writer_func(iot_log_writer, NULL, NULL);
}

static gint
iot_log_open(const gchar *path, GError **error)
{
	gint fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		gint errsv = errno;
		g_set_error(
		    error,
		    IOT_LOG_ERROR,
		    IOT_LOG_ERROR_OPEN,
		    _("Cannot open the log file %s: %s; check the path and its permissions."),
		    path,
		    g_strerror(errsv));
	}
	return fd;
}

/**
 * iot_log_set_file:
 * @path: where to append the log lines
 * @error: (nullable): return location for an error in %IOT_LOG_ERROR
 *
 * Sends every log line to @path, created with mode 0640 when missing, from
 * now on; iot_log_reopen() opens the path again after a log rotation.
 *
 * Returns: %TRUE when the file is open
 */
gboolean
iot_log_set_file(const gchar *path, GError **error)
{
	gint fd = iot_log_open(path, error);
	g_autoptr(GMutexLocker) locker = NULL;

	if (fd < 0)
		return FALSE;
	locker = g_mutex_locker_new(&iot_log_mutex);
	if (iot_log_fd >= 0)
		close(iot_log_fd);
	iot_log_fd = fd;
	g_free(iot_log_path);
	iot_log_path = g_strdup(path);
	return TRUE;
}

/**
 * iot_log_reopen:
 * @error: (nullable): return location for an error in %IOT_LOG_ERROR
 *
 * Opens the log file's path again (SIGHUP, after logrotate moved the file):
 * lines go to the new file from now on. When it cannot be opened, lines
 * keep going to the old one.
 *
 * Returns: %TRUE when reopened, or when there is no log file
 */
gboolean
iot_log_reopen(GError **error)
{
	g_autofree gchar *path = NULL;

	{
		g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&iot_log_mutex);
		if (iot_log_path == NULL)
			return TRUE;
		path = g_strdup(iot_log_path);
	}
	return iot_log_set_file(path, error);
}

/**
 * iot_log_has_file:
 *
 * Returns: whether log lines go to a file of iot_log_set_file()
 */
gboolean
iot_log_has_file(void)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&iot_log_mutex);
	return iot_log_fd >= 0;
}

static gboolean
iot_log_hangup_cb(gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!iot_log_has_file()) {
		g_debug("SIGHUP: no log file to open again");
		return G_SOURCE_CONTINUE;
	}
	if (!iot_log_reopen(&error))
		g_warning("%s", error->message);
	else
		g_message("opened the log file again");
	return G_SOURCE_CONTINUE;
}

/**
 * iot_log_watch_hangup:
 *
 * From now on, SIGHUP opens the log file's path again (logrotate moved the
 * file), and does nothing else.
 *
 * Returns: the signal source's ID
 */
guint
iot_log_watch_hangup(void)
{
	return g_unix_signal_add(SIGHUP, iot_log_hangup_cb, NULL);
}
