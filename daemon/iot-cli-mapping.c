/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-mapping.h"

#include <glib/gi18n.h>
#include <string.h>

#include "iot-address.h"

/**
 * iot_cli_mapping_free:
 * @mapping: a mapping
 */
void
iot_cli_mapping_free(IotCliMapping *mapping)
{
	g_free(mapping->id);
	g_free(mapping->value);
	g_free(mapping->host);
	g_free(mapping->where);
	g_free(mapping);
}

/**
 * iot_cli_mapping_id_is_valid:
 * @id: a service ID
 *
 * Returns: whether @id is 1 to 128 letters, digits, "_", "-" or ":", as
 * profiles take it
 */
gboolean
iot_cli_mapping_id_is_valid(const gchar *id)
{
	gsize len = strlen(id);
	if (len == 0 || len > IOT_CLI_SERVICE_ID_MAX)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(id[i]) && strchr("_-:", id[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

/* PORT, HOST:PORT, [IPV6]:PORT, or a socket path (anything with a "/", as the reference) */
static gboolean
iot_cli_mapping_check_value(IotCliMapping *mapping, gboolean source, GError **error)
{
	IotAddressFlags flags = IOT_ADDRESS_PORT_REQUIRED | IOT_ADDRESS_PORT_ALONE |
				(source ? IOT_ADDRESS_PORT_ZERO : 0);
	g_autoptr(GError) error_local = NULL;
	guint16 port = 0;

	if (strchr(mapping->value, '/') != NULL) {
		mapping->is_path = TRUE;
		return TRUE;
	}
	if (iot_address_parse(mapping->value, flags, &mapping->host, &port, NULL, &error_local)) {
		mapping->has_host = mapping->host != NULL;
		mapping->port = port;
		return TRUE;
	}
	if (g_error_matches(error_local, IOT_ADDRESS_ERROR, IOT_ADDRESS_ERROR_PORT_RANGE)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    source
				? _("%s holds \"%s\", whose port is out of range; use a port from "
				    "1 to 65535, or 0 for a free one.")
				: _("%s holds \"%s\", whose port is out of range; use a port from "
				    "1 to 65535."),
			    mapping->where,
			    mapping->value);
		return FALSE;
	}
	g_set_error(error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s holds \"%s\", which is not PORT, HOST:PORT, [IPV6]:PORT or a socket "
		      "path; write for example %s."),
		    mapping->where,
		    mapping->value,
		    source ? "5555, localhost:5555 or [::1]:5555" : "22, localhost:22 or [::1]:22");
	return FALSE;
}

/**
 * iot_cli_mapping_new:
 * @id: the service ID, "" for the single unnamed mapping
 * @value: where to listen or connect
 * @source: whether this is the source side (port 0 allowed)
 * @where: where the mapping was given, for messages
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Returns: (transfer full): a checked mapping, or %NULL with @error set
 */
IotCliMapping *
iot_cli_mapping_new(const gchar *id,
		    const gchar *value,
		    gboolean source,
		    const gchar *where,
		    GError **error)
{
	g_autoptr(IotCliMapping) mapping = g_new0(IotCliMapping, 1);

	mapping->id = g_strdup(id);
	mapping->value = g_strdup(value);
	mapping->where = g_strdup(where);
	if (id[0] != '\0' && !iot_cli_mapping_id_is_valid(id)) {
		g_set_error(
		    error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s holds service ID \"%s\"; use 1 to 128 letters, digits, \"_\", \"-\" "
		      "or \":\"."),
		    where,
		    id);
		return NULL;
	}
	if (!iot_cli_mapping_check_value(mapping, source, error))
		return NULL;
	return g_steal_pointer(&mapping);
}

/**
 * iot_cli_mappings_add:
 * @mappings: (element-type IotCliMapping): the mappings so far
 * @mapping: (transfer full): one more
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Returns: %FALSE when @mappings already maps the same service
 */
gboolean
iot_cli_mappings_add(GPtrArray *mappings, IotCliMapping *mapping, GError **error)
{
	g_autoptr(IotCliMapping) owned = mapping;

	for (guint i = 0; i < mappings->len; i++) {
		IotCliMapping *other = g_ptr_array_index(mappings, i);
		if (g_strcmp0(other->id, mapping->id) != 0)
			continue;
		if (g_strcmp0(other->where, mapping->where) == 0) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s maps service %s twice; map each service once."),
				    mapping->where,
				    mapping->id);
			return FALSE;
		}
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s maps service %s, which %s already maps; map each service once."),
			    mapping->where,
			    mapping->id,
			    other->where);
		return FALSE;
	}
	g_ptr_array_add(mappings, g_steal_pointer(&owned));
	return TRUE;
}

/* whether two source mappings would listen on the same socket */
static gboolean
iot_cli_mapping_same_listener(const IotCliMapping *a, const IotCliMapping *b)
{
	if (a->is_path || b->is_path)
		return a->is_path && b->is_path && g_strcmp0(a->value, b->value) == 0;
	/* port 0 picks a free port each time; a port alone listens on the bind address */
	return a->port != 0 && a->port == b->port && g_strcmp0(a->host, b->host) == 0;
}

/**
 * iot_cli_mappings_check_listeners:
 * @mappings: (element-type IotCliMapping): a source's mappings
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Finds two services that would listen on the same port of the same host,
 * or on the same socket path, before any of them listens.
 *
 * Returns: %FALSE when two services share a listener
 */
gboolean
iot_cli_mappings_check_listeners(GPtrArray *mappings, GError **error)
{
	for (guint i = 0; i < mappings->len; i++) {
		IotCliMapping *a = g_ptr_array_index(mappings, i);
		for (guint j = i + 1; j < mappings->len; j++) {
			IotCliMapping *b = g_ptr_array_index(mappings, j);
			if (!iot_cli_mapping_same_listener(a, b))
				continue;
			if (g_strcmp0(a->where, b->where) == 0) {
				g_set_error(
				    error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    b->is_path
					? _("%s gives services %s and %s the same socket path "
					    "\"%s\"; give each service its own.")
					: _("%s gives services %s and %s the same port \"%s\"; "
					    "give each service its own."),
				    b->where,
				    a->id,
				    b->id,
				    b->value);
				return FALSE;
			}
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    b->is_path
					? _("%s gives service %s the socket path \"%s\", which "
					    "%s gives service %s; give each service its own.")
					: _("%s gives service %s the port \"%s\", which %s gives "
					    "service %s; give each service its own."),
				    b->where,
				    b->id,
				    b->value,
				    a->where,
				    a->id);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * iot_cli_mappings_parse:
 * @text: the value of -s or -d: "5555" alone, or "ID=VALUE,ID=VALUE"
 * @source: whether this is -s
 * @where: how messages name the option, such as "-s/--source-listen-port"
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Reads the mappings as the reference does: items split at ",", blanks
 * around them and empty items ignored; a single item without "=" is the
 * unnamed mapping.
 *
 * Returns: (transfer container) (element-type IotCliMapping): at least one
 * mapping, or %NULL with @error set
 */
GPtrArray *
iot_cli_mappings_parse(const gchar *text, gboolean source, const gchar *where, GError **error)
{
	g_autoptr(GPtrArray) mappings =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_cli_mapping_free);
	g_auto(GStrv) items = g_strsplit(text, ",", -1);
	g_autoptr(GPtrArray) nonempty = g_ptr_array_new();

	/* messages quote what the user wrote: it must be text */
	if (!g_utf8_validate(text, -1, NULL)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s is not UTF-8 text; give ports and addresses in UTF-8."),
			    where);
		return NULL;
	}
	for (guint i = 0; items[i] != NULL; i++) {
		g_strstrip(items[i]);
		if (items[i][0] != '\0')
			g_ptr_array_add(nonempty, items[i]);
	}
	if (nonempty->len == 0) {
		g_set_error(
		    error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    source ? _("%s is empty; give a port, or ID=PORT for each service.")
			   : _("%s is empty; give an address, or ID=ADDRESS for each service."),
		    where);
		return NULL;
	}
	if (nonempty->len == 1 && strchr(g_ptr_array_index(nonempty, 0), '=') == NULL) {
		IotCliMapping *mapping =
		    iot_cli_mapping_new("", g_ptr_array_index(nonempty, 0), source, where, error);
		if (mapping == NULL)
			return NULL;
		g_ptr_array_add(mappings, mapping);
		return g_steal_pointer(&mappings);
	}
	for (guint i = 0; i < nonempty->len; i++) {
		gchar *item = g_ptr_array_index(nonempty, i);
		gchar *equals = strchr(item, '=');
		IotCliMapping *mapping;

		if (equals == NULL || equals == item || strchr(equals + 1, '=') != NULL) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    source
					? _("%s holds \"%s\", which is not ID=PORT; write for "
					    "example SSH1=5555.")
					: _("%s holds \"%s\", which is not ID=ADDRESS; write for "
					    "example SSH1=22."),
				    where,
				    item);
			return NULL;
		}
		*equals = '\0';
		mapping = iot_cli_mapping_new(g_strstrip(item),
					      g_strstrip(equals + 1),
					      source,
					      where,
					      error);
		if (mapping == NULL)
			return NULL;
		if (!iot_cli_mappings_add(mappings, mapping, error))
			return NULL;
	}
	return g_steal_pointer(&mappings);
}
