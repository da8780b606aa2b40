/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-log.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(iot-log-error-quark, iot_log_error);

static guint iot_log_verbosity = IOT_LOG_VERBOSITY_DEFAULT;

/* the log file, when --log-file asks for one; lines may come from any thread */
static GMutex iot_log_mutex;
static gchar *iot_log_path = NULL;
static gint iot_log_fd = -1;

/* the least verbosity at which a GLib level shows */
static guint
iot_log_level_verbosity(GLogLevelFlags log_level)
{
	if (log_level & G_LOG_LEVEL_ERROR)
		return 1;
	if (log_level & G_LOG_LEVEL_CRITICAL)
		return 2;
	if (log_level & G_LOG_LEVEL_WARNING)
		return 3;
	if (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return 4;
	return 5;
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

/* one line: local time to the millisecond, level, domain, message */
static gchar *
iot_log_format_line(GLogLevelFlags log_level, const GLogField *fields, gsize n_fields)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *time = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
	const gchar *domain = NULL;
	const gchar *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
	}
	return g_strdup_printf("%s.%03d %s %s: %s\n",
			       time,
			       g_date_time_get_microsecond(now) / 1000,
			       iot_log_level_name(log_level),
			       domain != NULL ? domain : "iotunnel",
			       message != NULL ? message : "");
}

/* TRUE when the line went to the log file */
static gboolean
iot_log_write_file(GLogLevelFlags log_level, const GLogField *fields, gsize n_fields)
{
	g_autofree gchar *line = NULL;
	gsize len;
	gsize done = 0;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&iot_log_mutex);

	if (iot_log_fd < 0)
		return FALSE;
	line = iot_log_format_line(log_level, fields, n_fields);
	len = strlen(line);
	while (done < len) {
		gssize n = write(iot_log_fd, line + done, len - done);
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
	if (iot_log_level_verbosity(log_level) > iot_log_verbosity)
		return G_LOG_WRITER_HANDLED;
	if (iot_log_write_file(log_level, fields, n_fields))
		return G_LOG_WRITER_HANDLED;
	if (g_log_writer_is_journald(fileno(stderr)) &&
	    g_log_writer_journald(log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_standard_streams(log_level, fields, n_fields, user_data);
}

/**
 * iot_log_setup:
 * @verbosity: 0 (nothing) to 6 (everything), as the reference's `-v`
 *
 * Routes GLib's structured log to the log file when iot_log_set_file() gave
 * one, else to the journal when stderr is connected to it, else to stderr,
 * keeping what the verbosity asks for.
 */
void
iot_log_setup(guint verbosity)
{
	iot_log_verbosity = MIN(verbosity, IOT_LOG_VERBOSITY_MAX);
	if (iot_log_verbosity >= 5)
		g_log_set_debug_enabled(TRUE);
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
