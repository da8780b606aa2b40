/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-profile.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/**
 * IotProfile:
 *
 * The whole configuration as one validated object: the tunnels of a JSON
 * profile (DESIGN.md, "Wiring: the JSON profile"), whether it came from a
 * file, from D-Bus or from the command line. Immutable.
 */
struct _IotProfile {
	GObject parent_instance;
	gchar *origin;
	GPtrArray *tunnels; /* of IotProfileTunnel */
};

G_DEFINE_FINAL_TYPE(IotProfile, iot_profile, G_TYPE_OBJECT)

/* the first member name that an object of the document holds twice */
typedef struct {
	GHashTable *seen; /* JsonObject -> number of members parsed into it */
	JsonObject *object;
	gchar *key;
	guint line;
	guint column;
} IotProfileDuplicate;

static void
iot_profile_finalize(GObject *object)
{
	IotProfile *self = IOT_PROFILE(object);
	g_free(self->origin);
	g_ptr_array_unref(self->tunnels);
	G_OBJECT_CLASS(iot_profile_parent_class)->finalize(object);
}

static void
iot_profile_class_init(IotProfileClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_profile_finalize;
}

static void
iot_profile_init(IotProfile *self)
{
	self->tunnels = g_ptr_array_new_with_free_func(g_object_unref);
}

static IotProfile *
iot_profile_new_from_root(JsonNode *root, const gchar *origin, GError **error)
{
	const gchar *const allowed[] = {"tunnels", NULL};
	const gchar *expectation = _("set it to an array of at least one tunnel");
	g_autoptr(IotProfile) self = NULL;
	g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	JsonObject *object;
	JsonNode *tunnels;
	JsonArray *array;

	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		iot_profile_set_error_value(error,
					    origin,
					    "$",
					    root,
					    _("write an object with a \"tunnels\" array"));
		return NULL;
	}
	object = json_node_get_object(root);
	if (!iot_profile_check_members(object, allowed, origin, "$", error))
		return NULL;
	tunnels = json_object_get_member(object, "tunnels");
	if (tunnels == NULL) {
		iot_profile_set_error_missing(error, origin, "$.tunnels", expectation);
		return NULL;
	}
	if (!JSON_NODE_HOLDS_ARRAY(tunnels)) {
		iot_profile_set_error_value(error, origin, "$.tunnels", tunnels, expectation);
		return NULL;
	}
	array = json_node_get_array(tunnels);
	if (json_array_get_length(array) == 0) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s holds no tunnel; add at least one."),
			    origin,
			    "$.tunnels");
		return NULL;
	}

	self = g_object_new(IOT_TYPE_PROFILE, NULL);
	self->origin = g_strdup(origin);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		g_autofree gchar *path = iot_profile_path_index("$.tunnels", i);
		g_autoptr(IotProfileTunnel) tunnel = NULL;
		const gchar *name;
		const gchar *other;

		tunnel = iot_profile_tunnel_new_from_json(json_array_get_element(array, i),
							  origin,
							  path,
							  error);
		if (tunnel == NULL)
			return NULL;
		name = iot_profile_tunnel_get_name(tunnel);
		other = g_hash_table_lookup(names, name);
		if (other != NULL) {
			g_autofree gchar *name_path = iot_profile_path_member(path, "name");
			g_autofree gchar *quoted = iot_profile_quote(name);
			g_set_error(error,
				    IOT_PROFILE_ERROR,
				    IOT_PROFILE_ERROR_INVALID,
				    _("%s: %s is %s, as is %s; give each tunnel its own name."),
				    origin,
				    name_path,
				    quoted,
				    other);
			return NULL;
		}
		g_hash_table_insert(names, (gpointer)name, iot_profile_path_member(path, "name"));
		g_ptr_array_add(self->tunnels, g_steal_pointer(&tunnel));
	}
	return g_steal_pointer(&self);
}

/* json-glib emits ::object-member after each member it puts in an object; one
 * more emission than the object has members means a name came twice */
static void
iot_profile_object_member_cb(JsonParser *parser,
			     JsonObject *object,
			     const gchar *name,
			     gpointer user_data)
{
	IotProfileDuplicate *duplicate = user_data;
	guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(duplicate->seen, object)) + 1;

	g_hash_table_insert(duplicate->seen, object, GUINT_TO_POINTER(seen));
	if (duplicate->key != NULL || seen <= json_object_get_size(object))
		return;
	duplicate->object = object;
	duplicate->key = g_strdup(name);
	duplicate->line = json_parser_get_current_line(parser);
	duplicate->column = json_parser_get_current_pos(parser);
}

static gchar *
iot_profile_find_object_path(JsonNode *node, JsonObject *target, const gchar *path)
{
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *object = json_node_get_object(node);
		g_autoptr(GList) members = NULL;
		if (object == target)
			return g_strdup(path);
		members = json_object_get_members(object);
		for (GList *l = members; l != NULL; l = l->next) {
			g_autofree gchar *member_path = iot_profile_path_member(path, l->data);
			gchar *found =
			    iot_profile_find_object_path(json_object_get_member(object, l->data),
							 target,
							 member_path);
			if (found != NULL)
				return found;
		}
	} else if (JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			g_autofree gchar *element_path = iot_profile_path_index(path, i);
			gchar *found =
			    iot_profile_find_object_path(json_array_get_element(array, i),
							 target,
							 element_path);
			if (found != NULL)
				return found;
		}
	}
	return NULL;
}

/* json-glib quotes the word or string it stopped at ("unexpected identifier `AQGA..."),
 * and that may be a token: keep only a quoted single character, as in
 * "unexpected character `}'", and json-glib's own ", expected ..." */
static gchar *
iot_profile_parse_error_detail(const gchar *detail)
{
	const gchar *expected = g_strrstr(detail, ", expected ");
	g_autofree gchar *head =
	    g_strndup(detail, expected != NULL ? (gsize)(expected - detail) : strlen(detail));
	gchar *quote = strpbrk(head, "`\"");

	if (quote != NULL &&
	    !(quote[0] == '`' && quote[1] != '\0' && quote[2] == '\'' && quote[3] == '\0')) {
		*quote = '\0';
		g_strchomp(head);
	}
	return g_strconcat(head, expected, NULL);
}

/* json-glib says "<data>:LINE:COLUMN: Parse error: DETAIL"; the user gets the origin instead */
static void
iot_profile_set_parse_error(GError **error, const gchar *origin, const GError *error_local)
{
	const gchar *prefix = "<data>:";
	const gchar *message = error_local->message;
	const gchar *detail = message;
	g_autofree gchar *safe = NULL;
	guint line = 0;
	guint column = 0;
	gint consumed = 0;

	if (g_str_has_prefix(detail, prefix) &&
	    sscanf(detail + strlen(prefix), "%u:%u: %n", &line, &column, &consumed) == 2 &&
	    consumed > 0) {
		detail += strlen(prefix) + (gsize)consumed;
		if (g_str_has_prefix(detail, "Parse error: "))
			detail += strlen("Parse error: ");
		safe = iot_profile_parse_error_detail(detail);
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_PARSE,
			    /* TRANSLATORS: "site.json:3:8: the JSON is not valid (unexpected
			       character `}'); fix the syntax." */
			    _("%s:%u:%u: the JSON is not valid (%s); fix the syntax."),
			    origin,
			    line,
			    column,
			    safe);
		return;
	}
	safe = iot_profile_parse_error_detail(message);
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_PARSE,
		    _("%s: the JSON is not valid (%s); fix it."),
		    origin,
		    safe);
}

/**
 * iot_profile_new_from_data:
 * @json: profile JSON text, not necessarily NUL-terminated
 * @len: the length of @json in bytes
 * @origin: what messages name as the source: "D-Bus", "command line"
 * @error: (out) (optional): set in %IOT_PROFILE_ERROR, with a message for the user
 *
 * Parses and validates a profile. A syntax error names the line and column;
 * a member name that an object holds twice is refused, since JSON parsers
 * disagree on which one wins.
 *
 * Returns: (transfer full): a new #IotProfile, or %NULL with @error set
 */
IotProfile *
iot_profile_new_from_data(const gchar *json, gsize len, const gchar *origin, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autofree gchar *key = NULL;
	IotProfileDuplicate duplicate = {.seen = seen};
	JsonNode *root;
	gboolean ok;

	g_return_val_if_fail(json != NULL || len == 0, NULL);
	g_return_val_if_fail(len <= G_MAXSSIZE, NULL);
	g_return_val_if_fail(origin != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (json != NULL && iot_profile_json_has_bad_escape(json, len)) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_PARSE,
			    _("%s: the JSON is not valid (a broken \\u escape); "
			      "fix it."),
			    origin);
		return NULL;
	}
	if (json != NULL && iot_profile_json_has_trailing(json, len)) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_PARSE,
			    _("%s: the JSON holds more than one value; keep the one object."),
			    origin);
		return NULL;
	}
	g_signal_connect(parser,
			 "object-member",
			 G_CALLBACK(iot_profile_object_member_cb),
			 &duplicate);
	ok =
	    json_parser_load_from_data(parser, json != NULL ? json : "", (gssize)len, &error_local);
	key = g_steal_pointer(&duplicate.key);
	if (!ok) {
		iot_profile_set_parse_error(error, origin, error_local);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL) {
		g_set_error(
		    error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_PARSE,
		    _("%s: the profile is empty; write an object with a \"tunnels\" array."),
		    origin);
		return NULL;
	}
	if (!iot_profile_json_is_utf8(root)) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_PARSE,
			    _("%s: the JSON holds text that is not UTF-8 (a lone \\u surrogate); "
			      "fix it."),
			    origin);
		return NULL;
	}
	if (key != NULL) {
		g_autofree gchar *path = iot_profile_find_object_path(root, duplicate.object, "$");
		g_autofree gchar *quoted = iot_profile_quote(key);
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    /* TRANSLATORS: "site.json:7:20: $.tunnels[0].services has the key
			       \"SSH1\" twice; keep one." */
			    _("%s:%u:%u: %s has the key %s twice; keep one."),
			    origin,
			    duplicate.line,
			    duplicate.column,
			    path != NULL ? path : "$",
			    quoted);
		return NULL;
	}
	return iot_profile_new_from_root(root, origin, error);
}

/**
 * iot_profile_new_from_file_full:
 * @path: the profile file
 * @origin: what messages about its content name as the source
 * @error: (out) (optional): set in %IOT_PROFILE_ERROR, with a message for the
 *   user; %IOT_PROFILE_ERROR_NOT_FOUND when the file does not exist
 *
 * Reads, parses and validates a profile file of at most
 * %IOT_PROFILE_FILE_MAX bytes, without blocking on a FIFO or a device.
 *
 * Returns: (transfer full): a new #IotProfile, or %NULL with @error set
 */
IotProfile *
iot_profile_new_from_file_full(const gchar *path, const gchar *origin, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GBytes) bytes = NULL;

	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(origin != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	bytes =
	    iot_small_file_read(path, IOT_PROFILE_FILE_MAX, IOT_SMALL_FILE_DEFAULT, &error_local);
	if (bytes == NULL) {
		iot_profile_set_file_error(error,
					   IOT_PROFILE_ERROR,
					   IOT_PROFILE_ERROR_PARSE,
					   IOT_PROFILE_ERROR_NOT_FOUND,
					   path,
					   error_local,
					   _("profile"));
		return NULL;
	}
	return iot_profile_new_from_data(g_bytes_get_data(bytes, NULL),
					 g_bytes_get_size(bytes),
					 origin,
					 error);
}

/**
 * iot_profile_new_from_file:
 * @path: the profile file, as the user gave it; messages name it this way
 * @error: (out) (optional): as iot_profile_new_from_file_full()
 *
 * Returns: (transfer full): a new #IotProfile, or %NULL with @error set
 */
IotProfile *
iot_profile_new_from_file(const gchar *path, GError **error)
{
	return iot_profile_new_from_file_full(path, path, error);
}

/**
 * iot_profile_new_from_json_node:
 * @node: a profile as JSON, built by the command line or another caller
 * @origin: what messages name as the source: "command line"
 * @error: (out) (optional): set in %IOT_PROFILE_ERROR, with a message for the user
 *
 * Validates a profile given as a JSON tree. The profile keeps a copy of what
 * it needs; @node may change or go away afterwards.
 *
 * Returns: (transfer full): a new #IotProfile, or %NULL with @error set
 */
IotProfile *
iot_profile_new_from_json_node(JsonNode *node, const gchar *origin, GError **error)
{
	g_autoptr(JsonNode) copy = NULL;

	g_return_val_if_fail(node != NULL, NULL);
	g_return_val_if_fail(origin != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	copy = iot_profile_json_copy(node);
	return iot_profile_new_from_root(copy, origin, error);
}

/**
 * iot_profile_get_origin:
 * @self: an #IotProfile
 *
 * Returns: what messages name as the profile's source (a file, "D-Bus")
 */
const gchar *
iot_profile_get_origin(IotProfile *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE(self), NULL);
	return self->origin;
}

/**
 * iot_profile_get_tunnels:
 * @self: an #IotProfile
 *
 * Returns: (transfer none) (element-type IotProfileTunnel): the tunnels in the
 * profile's order, at least one, with unique names
 */
GPtrArray *
iot_profile_get_tunnels(IotProfile *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE(self), NULL);
	return self->tunnels;
}

/**
 * iot_profile_to_json:
 * @self: an #IotProfile
 * @include_secrets: whether to write tokens given inline
 *
 * Writes the profile back as JSON, defaults included, that parses to an equal
 * profile. See iot_profile_tunnel_to_json() for how tokens are written.
 *
 * Returns: (transfer full): a JSON object node that shares nothing with @self
 */
JsonNode *
iot_profile_to_json(IotProfile *self, gboolean include_secrets)
{
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(JsonArray) tunnels = json_array_new();

	g_return_val_if_fail(IOT_IS_PROFILE(self), NULL);

	for (guint i = 0; i < self->tunnels->len; i++) {
		IotProfileTunnel *tunnel = g_ptr_array_index(self->tunnels, i);
		json_array_add_element(tunnels,
				       iot_profile_tunnel_to_json(tunnel, include_secrets));
	}
	json_object_set_array_member(object, "tunnels", g_steal_pointer(&tunnels));
	return json_node_init_object(json_node_alloc(), object);
}
