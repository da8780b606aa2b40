/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-config-dir.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * The reference's --config-dir: every regular file in a folder and its
 * subfolders is an ini file of "ID=PORT" or "ID=HOST:PORT" lines; lines that
 * start with ";" or "#" are comments. The reference reads them once it knows
 * the tunnel's services and skips a file it cannot parse; iotunneld reads
 * them before anything starts and refuses a bad line, naming file and line.
 */

static gboolean
iot_cli_config_dir_load_line(GPtrArray *mappings,
			     gchar *line,
			     const gchar *path,
			     guint number,
			     gboolean source,
			     GError **error)
{
	g_autofree gchar *where = g_strdup_printf("%s:%u", path, number);
	IotCliMapping *mapping;
	const gchar *id;
	const gchar *value;
	gchar *equals;

	g_strstrip(line);
	if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
		return TRUE;
	if (line[0] == '[') {
		g_set_error(
		    error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s: the line starts a section, which --config-dir files do not have; "
		      "write ID=PORT lines only."),
		    where);
		return FALSE;
	}
	equals = strchr(line, '=');
	if (equals == NULL || equals == line || !g_utf8_validate(line, -1, NULL)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s: the line is not ID=PORT or ID=HOST:PORT; write for example "
			      "SSH1=22."),
			    where);
		return FALSE;
	}
	*equals = '\0';
	id = g_strstrip(line);
	value = g_strstrip(equals + 1);
	if (value[0] == '\0') {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s: service %s has no value; write %s=PORT or remove the line."),
			    where,
			    id,
			    id);
		return FALSE;
	}
	mapping = iot_cli_mapping_new(id, value, source, where, error);
	if (mapping == NULL)
		return FALSE;
	return iot_cli_mappings_add(mappings, mapping, error);
}

/**
 * iot_cli_config_dir_load_data:
 * @mappings: (element-type IotCliMapping): the mappings so far, from other files
 * @data: one file's text, NUL-terminated; it is cut up in place
 * @path: the file, for messages
 * @source: whether the proxy is the source (port 0 allowed)
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Returns: %TRUE when every line is blank, a comment, or maps a service
 * that no line before it maps
 */
gboolean
iot_cli_config_dir_load_data(GPtrArray *mappings,
			     gchar *data,
			     const gchar *path,
			     gboolean source,
			     GError **error)
{
	gchar *cursor = data;
	gchar *line;
	guint number = 0;

	while ((line = iot_cli_next_line(&cursor)) != NULL) {
		if (!iot_cli_config_dir_load_line(mappings, line, path, ++number, source, error))
			return FALSE;
	}
	return TRUE;
}

static gint
iot_cli_config_dir_compare(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* the regular files under @dir, sorted; symbolic links to folders are not followed */
static gboolean
iot_cli_config_dir_list(const gchar *dir, GPtrArray *files, GError **error)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	if (handle == NULL) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the folder cannot be read; check its permissions."),
			    dir);
		return FALSE;
	}
	while ((name = g_dir_read_name(handle)) != NULL)
		g_ptr_array_add(names, g_build_filename(dir, name, NULL));
	g_ptr_array_sort(names, iot_cli_config_dir_compare);
	for (guint i = 0; i < names->len; i++) {
		const gchar *path = g_ptr_array_index(names, i);
		GStatBuf st;

		if (g_lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!iot_cli_config_dir_list(path, files, error))
				return FALSE;
			continue;
		}
		if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (files->len >= IOT_CLI_CONFIG_DIR_FILES_MAX) {
			g_set_error(
			    error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the folder holds more than %u files; give --config-dir a "
			      "folder of mapping files only."),
			    dir,
			    (guint)IOT_CLI_CONFIG_DIR_FILES_MAX);
			return FALSE;
		}
		g_ptr_array_add(files, g_strdup(path));
	}
	return TRUE;
}

/**
 * iot_cli_config_dir_check:
 * @dir: the folder, as the user gave it
 * @error: (nullable): return location for an %IOT_CLI_ERROR_FILE error
 *
 * Returns: whether @dir exists and is a folder
 */
gboolean
iot_cli_config_dir_check(const gchar *dir, GError **error)
{
	GStatBuf st;

	if (g_stat(dir, &st) != 0) {
		gint errsv = errno;
		if (errsv == ENOENT) {
			g_set_error(
			    error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the folder does not exist; check the --config-dir path."),
			    dir);
		} else {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_FILE,
				    _("%s: the folder cannot be read (%s); check its permissions."),
				    dir,
				    g_strerror(errsv));
		}
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: this is not a folder; give --config-dir a folder of mapping "
			      "files."),
			    dir);
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_cli_config_dir_read:
 * @dir: the folder, as the user gave it
 * @source: whether the proxy is the source (port 0 allowed)
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Reads every regular file under @dir in the order of their paths. The same
 * service in two places is an error, where the reference would take the
 * first it happens to find.
 *
 * Returns: (transfer container) (element-type IotCliMapping): the mappings,
 * possibly none, or %NULL with @error set
 */
GPtrArray *
iot_cli_config_dir_read(const gchar *dir, gboolean source, GError **error)
{
	g_autoptr(GPtrArray) mappings =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_cli_mapping_free);
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);

	if (!iot_cli_config_dir_check(dir, error))
		return NULL;
	if (!iot_cli_config_dir_list(dir, files, error))
		return NULL;
	for (guint i = 0; i < files->len; i++) {
		const gchar *path = g_ptr_array_index(files, i);
		g_autoptr(GBytes) bytes = iot_cli_read_file(path, error);
		if (bytes == NULL)
			return NULL;
		if (!iot_cli_config_dir_load_data(mappings,
						  (gchar *)g_bytes_get_data(bytes, NULL),
						  path,
						  source,
						  error))
			return NULL;
		g_debug("%s: %u service mappings so far", path, mappings->len);
	}
	return g_steal_pointer(&mappings);
}
