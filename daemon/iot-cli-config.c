/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "iot-small-file.h"

/*
 * The reference's --config file, as Boost.Program_options reads it: one
 * "name = value" a line, the names being the long options; "#" starts a
 * comment anywhere on a line; blank lines are skipped. A line may hold a
 * token, so messages name the line but never quote it.
 */

/* the value of a flag such as no-ssl-host-verify, as Boost reads a bool */
static const gchar *
iot_cli_config_parse_flag(const gchar *value)
{
	const gchar *const yes[] = {"true", "yes", "on", "1", NULL};
	const gchar *const no[] = {"false", "no", "off", "0", NULL};
	g_autofree gchar *lower = g_ascii_strdown(value, -1);

	if (g_strv_contains(yes, lower))
		return "true";
	if (g_strv_contains(no, lower))
		return "false";
	return NULL;
}

static gboolean
iot_cli_config_load_line(IotCliOptions *options,
			 gchar *line,
			 const gchar *path,
			 guint number,
			 GError **error)
{
	gchar *comment = strchr(line, '#');
	gchar *equals;
	const gchar *name;
	const gchar *value;
	const IotCliOptionInfo *info;

	if (comment != NULL)
		*comment = '\0';
	g_strstrip(line);
	if (line[0] == '\0')
		return TRUE;
	if (!g_utf8_validate(line, -1, NULL)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: the line is not UTF-8 text; save the file as UTF-8."),
			    path,
			    number);
		return FALSE;
	}
	if (line[0] == '[') {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: the line starts a section, which --config files do not "
			      "have; write name = value lines only."),
			    path,
			    number);
		return FALSE;
	}
	equals = strchr(line, '=');
	if (equals == NULL) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: the line is not name = value; write for example region = "
			      "us-east-1."),
			    path,
			    number);
		return FALSE;
	}
	*equals = '\0';
	name = g_strstrip(line);
	value = g_strstrip(equals + 1);
	info = iot_cli_option_find_long(name);
	if (info == NULL) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: \"%s\" is not an option; use a long option name, such as "
			      "region."),
			    path,
			    number,
			    name);
		return FALSE;
	}
	if (!info->in_config) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: %s cannot be set in a --config file; give it on the command "
			      "line."),
			    path,
			    number,
			    name);
		return FALSE;
	}
	if (value[0] == '\0') {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s:%u: %s has no value; write %s = %s or remove the line."),
			    path,
			    number,
			    name,
			    name,
			    info->arg != NULL ? _(info->arg) : "true");
		return FALSE;
	}
	if (info->arg == NULL) {
		const gchar *flag = iot_cli_config_parse_flag(value);
		if (flag == NULL) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s:%u: %s is \"%s\"; write true or false."),
				    path,
				    number,
				    name,
				    value);
			return FALSE;
		}
		value = flag;
	}
	return iot_cli_options_set(options,
				   info->id,
				   value,
				   IOT_CLI_ORIGIN_CONFIG,
				   path,
				   number,
				   error);
}

/**
 * iot_cli_config_load_data:
 * @options: options, where those already given on the command line win
 * @data: the file's text, NUL-terminated; it is cut up in place
 * @path: the file, for messages
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Reads a --config file. Messages name the file and line at fault; a token
 * in the file is never shown.
 *
 * Returns: %TRUE when every line is a comment, blank, or sets an option once
 */
gboolean
iot_cli_config_load_data(IotCliOptions *options, gchar *data, const gchar *path, GError **error)
{
	gchar *cursor = data;
	gchar *line;
	guint number = 0;

	while ((line = iot_cli_next_line(&cursor)) != NULL) {
		if (!iot_cli_config_load_line(options, line, path, ++number, error))
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_cli_config_load:
 * @options: options, where those already given on the command line win
 * @path: the --config file
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Reads a --config file of at most %IOT_CLI_FILE_MAX bytes, then wipes what
 * was read, since it may hold a token.
 *
 * Returns: %TRUE when the file was read and every line is valid
 */
gboolean
iot_cli_config_load(IotCliOptions *options, const gchar *path, GError **error)
{
	g_autoptr(IotSmallFileSecret) bytes = iot_cli_read_file(path, error);

	if (bytes == NULL)
		return FALSE;
	return iot_cli_config_load_data(options,
					(gchar *)g_bytes_get_data(bytes, NULL),
					path,
					error);
}
