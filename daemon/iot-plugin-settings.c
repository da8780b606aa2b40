/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-plugin-settings.h"

#include <glib/gi18n.h>

#include "iot-profile-common.h"

/* read and otherwise ignored */
static const gchar *const iot_plugin_settings_annotations[] = {
    "$schema",
    "$id",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
    NULL,
};

/* the validation keywords this file implements */
static const gchar *const iot_plugin_settings_keywords[] = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "anyOf",
    NULL,
};

static const gchar *const iot_plugin_settings_types[] = {
    "object",
    "array",
    "string",
    "integer",
    "number",
    "boolean",
    "null",
    NULL,
};

/* what one validation needs besides the schema and the value */
typedef struct {
	const IotPluginInfo *info;
	const gchar *origin;
} IotPluginSettingsContext;

static gboolean
iot_json_get_number(JsonNode *node, gdouble *value)
{
	GType type;
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	type = json_node_get_value_type(node);
	if (type == G_TYPE_INT64) {
		*value = (gdouble)json_node_get_int(node);
		return TRUE;
	}
	if (type == G_TYPE_DOUBLE) {
		*value = json_node_get_double(node);
		return TRUE;
	}
	return FALSE;
}

/* JSON Schema counts 2.0 as an integer */
static gboolean
iot_json_is_integer(JsonNode *node)
{
	gdouble value = 0;
	if (!iot_json_get_number(node, &value))
		return FALSE;
	if (json_node_get_value_type(node) == G_TYPE_INT64)
		return TRUE;
	/* in range before the cast, which is undefined for a double beyond gint64 */
	return value > -9.0e18 && value < 9.0e18 && value == (gdouble)(gint64)value;
}

static gboolean
iot_json_get_count(JsonNode *node, guint *count)
{
	gdouble value = 0;
	if (!iot_json_is_integer(node) || !iot_json_get_number(node, &value) || value < 0 ||
	    value > G_MAXUINT)
		return FALSE;
	*count = (guint)value;
	return TRUE;
}

static const gchar *
iot_json_get_string(JsonNode *node)
{
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gboolean
iot_json_type_matches(const gchar *type, JsonNode *node)
{
	GType value_type;

	if (g_strcmp0(type, "object") == 0)
		return JSON_NODE_HOLDS_OBJECT(node);
	if (g_strcmp0(type, "array") == 0)
		return JSON_NODE_HOLDS_ARRAY(node);
	if (g_strcmp0(type, "null") == 0)
		return JSON_NODE_HOLDS_NULL(node);
	if (!JSON_NODE_HOLDS_VALUE(node))
		return FALSE;
	value_type = json_node_get_value_type(node);
	if (g_strcmp0(type, "string") == 0)
		return value_type == G_TYPE_STRING;
	if (g_strcmp0(type, "boolean") == 0)
		return value_type == G_TYPE_BOOLEAN;
	if (g_strcmp0(type, "number") == 0)
		return value_type == G_TYPE_INT64 || value_type == G_TYPE_DOUBLE;
	if (g_strcmp0(type, "integer") == 0)
		return iot_json_is_integer(node);
	return FALSE;
}

/* numbers compare by value, so that 1 and 1.0 are one constant */
static gboolean
iot_json_equal(JsonNode *a, JsonNode *b)
{
	gdouble number_a = 0;
	gdouble number_b = 0;
	if (iot_json_get_number(a, &number_a) && iot_json_get_number(b, &number_b))
		return number_a == number_b;
	return json_node_equal(a, b);
}

/* schema check --------------------------------------------------------- */

static gboolean
iot_plugin_settings_check_schema(JsonNode *schema, const gchar *path, GError **error);

static gboolean
iot_plugin_settings_check_type(JsonNode *node, const gchar *path, GError **error)
{
	const gchar *type = iot_json_get_string(node);

	if (type != NULL && g_strv_contains(iot_plugin_settings_types, type))
		return TRUE;
	if (JSON_NODE_HOLDS_ARRAY(node) && json_array_get_length(json_node_get_array(node)) > 0) {
		JsonArray *types = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(types); i++) {
			const gchar *item = iot_json_get_string(json_array_get_element(types, i));
			if (item == NULL || !g_strv_contains(iot_plugin_settings_types, item)) {
				g_set_error(error,
					    IOT_PLUGIN_ERROR,
					    IOT_PLUGIN_ERROR_INVALID,
					    "%s[%u] is not a JSON Schema type",
					    path,
					    i);
				return FALSE;
			}
		}
		return TRUE;
	}
	g_set_error(error,
		    IOT_PLUGIN_ERROR,
		    IOT_PLUGIN_ERROR_INVALID,
		    "%s is neither a JSON Schema type nor a list of them",
		    path);
	return FALSE;
}

static gboolean
iot_plugin_settings_check_keyword(const gchar *key,
				  JsonNode *node,
				  const gchar *path,
				  GError **error)
{
	guint count = 0;
	gdouble number = 0;

	if (g_strcmp0(key, "type") == 0)
		return iot_plugin_settings_check_type(node, path, error);
	if (g_strcmp0(key, "additionalProperties") == 0 || g_strcmp0(key, "items") == 0)
		return iot_plugin_settings_check_schema(node, path, error);
	if (g_strcmp0(key, "const") == 0)
		return TRUE;
	if (g_strcmp0(key, "properties") == 0) {
		g_autoptr(GList) members = NULL;
		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error(error,
				    IOT_PLUGIN_ERROR,
				    IOT_PLUGIN_ERROR_INVALID,
				    "%s is not an object of schemas",
				    path);
			return FALSE;
		}
		members = json_object_get_members(json_node_get_object(node));
		for (GList *l = members; l != NULL; l = l->next) {
			g_autofree gchar *member_path = iot_profile_path_member(path, l->data);
			JsonNode *member =
			    json_object_get_member(json_node_get_object(node), l->data);
			if (!iot_plugin_settings_check_schema(member, member_path, error))
				return FALSE;
		}
		return TRUE;
	}
	if (g_strcmp0(key, "required") == 0 || g_strcmp0(key, "enum") == 0 ||
	    g_strcmp0(key, "anyOf") == 0) {
		JsonArray *array = JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
		gboolean may_be_empty = g_strcmp0(key, "required") == 0;
		if (array == NULL || (!may_be_empty && json_array_get_length(array) == 0)) {
			g_set_error(error,
				    IOT_PLUGIN_ERROR,
				    IOT_PLUGIN_ERROR_INVALID,
				    may_be_empty ? "%s is not an array"
						 : "%s is not a non-empty array",
				    path);
			return FALSE;
		}
		for (guint i = 0; i < json_array_get_length(array); i++) {
			g_autofree gchar *item_path = iot_profile_path_index(path, i);
			JsonNode *item = json_array_get_element(array, i);
			if (g_strcmp0(key, "anyOf") == 0 &&
			    !iot_plugin_settings_check_schema(item, item_path, error))
				return FALSE;
			if (g_strcmp0(key, "required") == 0 && iot_json_get_string(item) == NULL) {
				g_set_error(error,
					    IOT_PLUGIN_ERROR,
					    IOT_PLUGIN_ERROR_INVALID,
					    "%s is not a property name",
					    item_path);
				return FALSE;
			}
		}
		return TRUE;
	}
	if (g_strcmp0(key, "minimum") == 0 || g_strcmp0(key, "maximum") == 0) {
		if (iot_json_get_number(node, &number))
			return TRUE;
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    "%s is not a number",
			    path);
		return FALSE;
	}
	if (g_strcmp0(key, "pattern") == 0) {
		const gchar *pattern = iot_json_get_string(node);
		g_autoptr(GRegex) regex = NULL;
		g_autoptr(GError) error_local = NULL;
		if (pattern != NULL)
			regex = g_regex_new(pattern,
					    G_REGEX_DEFAULT,
					    G_REGEX_MATCH_DEFAULT,
					    &error_local);
		if (regex != NULL)
			return TRUE;
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    "%s is not a regular expression%s%s",
			    path,
			    error_local != NULL ? ": " : "",
			    error_local != NULL ? error_local->message : "");
		return FALSE;
	}
	/* minLength, maxLength, minItems, maxItems */
	if (iot_json_get_count(node, &count))
		return TRUE;
	g_set_error(error,
		    IOT_PLUGIN_ERROR,
		    IOT_PLUGIN_ERROR_INVALID,
		    "%s is not a whole number of at least 0",
		    path);
	return FALSE;
}

static gboolean
iot_plugin_settings_check_schema(JsonNode *schema, const gchar *path, GError **error)
{
	g_autoptr(GList) members = NULL;
	JsonObject *object;

	if (JSON_NODE_HOLDS_VALUE(schema) && json_node_get_value_type(schema) == G_TYPE_BOOLEAN)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(schema)) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    "%s is neither a schema object nor true or false",
			    path);
		return FALSE;
	}
	object = json_node_get_object(schema);
	members = json_object_get_members(object);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *key = l->data;
		g_autofree gchar *key_path = iot_profile_path_member(path, key);
		if (g_strv_contains(iot_plugin_settings_annotations, key))
			continue;
		if (!g_strv_contains(iot_plugin_settings_keywords, key)) {
			g_set_error(error,
				    IOT_PLUGIN_ERROR,
				    IOT_PLUGIN_ERROR_INVALID,
				    "%s is a JSON Schema keyword iotunneld does not implement",
				    key_path);
			return FALSE;
		}
		if (!iot_plugin_settings_check_keyword(key,
						       json_object_get_member(object, key),
						       key_path,
						       error))
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_plugin_settings_parse_schema:
 * @text: a plugin's `settings_schema`
 * @error: (nullable): return location for an error in %IOT_PLUGIN_ERROR,
 *   a lowercase fragment naming the place in the schema
 *
 * Returns: (transfer full): the schema, an object that uses only the
 *   keywords this file implements, or %NULL with @error set
 */
JsonNode *
iot_plugin_settings_parse_schema(const gchar *text, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	g_return_val_if_fail(text != NULL, NULL);

	if (!json_parser_load_from_data(parser, text, -1, &error_local)) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    "the schema is not JSON: %s",
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error,
				    IOT_PLUGIN_ERROR,
				    IOT_PLUGIN_ERROR_INVALID,
				    "the schema is not a JSON object");
		return NULL;
	}
	if (!iot_plugin_settings_check_schema(root, "$", error))
		return NULL;
	return json_node_ref(root);
}

/* descriptions ------------------------------------------------------------ */

static gchar *
iot_plugin_settings_describe_full(JsonNode *schema, const gchar *inherited_type);

/* "a", "a or b", "a, b or c" */
static gchar *
iot_plugin_settings_join_or(GPtrArray *words)
{
	g_autoptr(GString) head = g_string_new(NULL);

	if (words->len == 1)
		return g_strdup(g_ptr_array_index(words, 0));
	for (guint i = 0; i + 1 < words->len; i++) {
		if (i > 0)
			g_string_append(head, ", ");
		g_string_append(head, g_ptr_array_index(words, i));
	}
	/* TRANSLATORS: the last of several choices: "a string, a number or null" */
	return g_strdup_printf(_("%s or %s"),
			       head->str,
			       (gchar *)g_ptr_array_index(words, words->len - 1));
}

static gchar *
iot_plugin_settings_describe_range(JsonObject *schema)
{
	JsonNode *minimum = json_object_get_member(schema, "minimum");
	JsonNode *maximum = json_object_get_member(schema, "maximum");
	g_autofree gchar *min_text = minimum != NULL ? iot_profile_describe_value(minimum) : NULL;
	g_autofree gchar *max_text = maximum != NULL ? iot_profile_describe_value(maximum) : NULL;

	if (min_text != NULL && max_text != NULL)
		/* TRANSLATORS: " from 0 to 100", after "a whole number" */
		return g_strdup_printf(_(" from %s to %s"), min_text, max_text);
	if (min_text != NULL)
		/* TRANSLATORS: " of at least 0", after "a whole number" */
		return g_strdup_printf(_(" of at least %s"), min_text);
	if (max_text != NULL)
		/* TRANSLATORS: " of at most 100", after "a whole number" */
		return g_strdup_printf(_(" of at most %s"), max_text);
	return g_strdup("");
}

static gchar *
iot_plugin_settings_describe_string(JsonObject *schema)
{
	guint min_length = 0;
	guint max_length = 0;
	gboolean has_min =
	    json_object_has_member(schema, "minLength") &&
	    iot_json_get_count(json_object_get_member(schema, "minLength"), &min_length);
	gboolean has_max =
	    json_object_has_member(schema, "maxLength") &&
	    iot_json_get_count(json_object_get_member(schema, "maxLength"), &max_length);
	const gchar *pattern = json_object_has_member(schema, "pattern")
				   ? iot_json_get_string(json_object_get_member(schema, "pattern"))
				   : NULL;
	g_autofree gchar *base = NULL;

	if (has_max && has_min && min_length > 0)
		base =
		    g_strdup_printf(_("a string of %u to %u characters"), min_length, max_length);
	else if (has_max)
		base = g_strdup_printf(_("a string of at most %u characters"), max_length);
	else if (has_min && min_length == 1)
		base = g_strdup(_("a non-empty string"));
	else if (has_min && min_length > 1)
		base = g_strdup_printf(_("a string of at least %u characters"), min_length);
	else
		base = g_strdup(_("a string"));
	if (pattern != NULL)
		/* TRANSLATORS: "a string matching ^[0-7]{3}$" */
		return g_strdup_printf(_("%s matching %s"), base, pattern);
	return g_steal_pointer(&base);
}

static gchar *
iot_plugin_settings_describe_array(JsonObject *schema)
{
	guint min_items = 0;
	guint max_items = 0;
	gboolean has_min =
	    json_object_has_member(schema, "minItems") &&
	    iot_json_get_count(json_object_get_member(schema, "minItems"), &min_items);
	gboolean has_max =
	    json_object_has_member(schema, "maxItems") &&
	    iot_json_get_count(json_object_get_member(schema, "maxItems"), &max_items);
	JsonNode *items = json_object_get_member(schema, "items");
	g_autofree gchar *base = NULL;

	if (has_max && has_min && min_items > 0)
		base = g_strdup_printf(_("an array of %u to %u items"), min_items, max_items);
	else if (has_max)
		base = g_strdup_printf(_("an array of at most %u items"), max_items);
	else if (has_min && min_items == 1)
		base = g_strdup(_("a non-empty array"));
	else if (has_min && min_items > 1)
		base = g_strdup_printf(_("an array of at least %u items"), min_items);
	else
		base = g_strdup(_("an array"));
	if (items != NULL && JSON_NODE_HOLDS_OBJECT(items)) {
		g_autofree gchar *each = iot_plugin_settings_describe_full(items, NULL);
		/* TRANSLATORS: "an array whose items are each a string" */
		return g_strdup_printf(_("%s whose items are each %s"), base, each);
	}
	return g_steal_pointer(&base);
}

static gchar *
iot_plugin_settings_describe_object(JsonObject *schema)
{
	JsonNode *additional = json_object_get_member(schema, "additionalProperties");
	if (additional != NULL && JSON_NODE_HOLDS_OBJECT(additional)) {
		g_autofree gchar *each = iot_plugin_settings_describe_full(additional, NULL);
		/* TRANSLATORS: "an object whose values are each a string" */
		return g_strdup_printf(_("an object whose values are each %s"), each);
	}
	return g_strdup(_("an object"));
}

static gchar *
iot_plugin_settings_describe_type(JsonObject *schema, const gchar *type)
{
	g_autofree gchar *range = NULL;

	if (g_strcmp0(type, "string") == 0)
		return iot_plugin_settings_describe_string(schema);
	if (g_strcmp0(type, "integer") == 0) {
		range = iot_plugin_settings_describe_range(schema);
		return g_strdup_printf(_("a whole number%s"), range);
	}
	if (g_strcmp0(type, "number") == 0) {
		range = iot_plugin_settings_describe_range(schema);
		return g_strdup_printf(_("a number%s"), range);
	}
	if (g_strcmp0(type, "boolean") == 0)
		return g_strdup(_("true or false"));
	if (g_strcmp0(type, "null") == 0)
		return g_strdup("null");
	if (g_strcmp0(type, "array") == 0)
		return iot_plugin_settings_describe_array(schema);
	if (g_strcmp0(type, "object") == 0)
		return iot_plugin_settings_describe_object(schema);
	return g_strdup(_("any value"));
}

/* a schema without a type: guessed from the keywords it has */
static const gchar *
iot_plugin_settings_guess_type(JsonObject *schema)
{
	if (json_object_has_member(schema, "properties") ||
	    json_object_has_member(schema, "additionalProperties"))
		return "object";
	if (json_object_has_member(schema, "items") || json_object_has_member(schema, "minItems") ||
	    json_object_has_member(schema, "maxItems"))
		return "array";
	if (json_object_has_member(schema, "pattern") ||
	    json_object_has_member(schema, "minLength") ||
	    json_object_has_member(schema, "maxLength"))
		return "string";
	if (json_object_has_member(schema, "minimum") || json_object_has_member(schema, "maximum"))
		return "number";
	return NULL;
}

static gchar *
iot_plugin_settings_describe_full(JsonNode *schema, const gchar *inherited_type)
{
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
	JsonObject *object;
	JsonNode *node;
	const gchar *type;

	if (!JSON_NODE_HOLDS_OBJECT(schema))
		return g_strdup(json_node_get_boolean(schema) ? _("any value") : _("nothing"));
	object = json_node_get_object(schema);
	node = json_object_get_member(object, "type");
	type = node != NULL ? iot_json_get_string(node) : inherited_type;

	node = json_object_get_member(object, "anyOf");
	if (node != NULL) {
		JsonArray *alternatives = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(alternatives); i++)
			g_ptr_array_add(words,
					iot_plugin_settings_describe_full(
					    json_array_get_element(alternatives, i),
					    type));
		return iot_plugin_settings_join_or(words);
	}
	node = json_object_get_member(object, "const");
	if (node != NULL)
		return iot_profile_describe_value(node);
	node = json_object_get_member(object, "enum");
	if (node != NULL) {
		JsonArray *choices = json_node_get_array(node);
		g_autofree gchar *joined = NULL;
		for (guint i = 0; i < json_array_get_length(choices); i++)
			g_ptr_array_add(
			    words,
			    iot_profile_describe_value(json_array_get_element(choices, i)));
		joined = iot_plugin_settings_join_or(words);
		if (words->len == 1)
			return g_steal_pointer(&joined);
		/* TRANSLATORS: "one of \"a\", \"b\" or \"c\"" */
		return g_strdup_printf(_("one of %s"), joined);
	}
	node = json_object_get_member(object, "type");
	if (node != NULL && JSON_NODE_HOLDS_ARRAY(node)) {
		JsonArray *types = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(types); i++) {
			const gchar *one = iot_json_get_string(json_array_get_element(types, i));
			g_ptr_array_add(words, iot_plugin_settings_describe_type(object, one));
		}
		return iot_plugin_settings_join_or(words);
	}
	if (type == NULL)
		type = iot_plugin_settings_guess_type(object);
	return iot_plugin_settings_describe_type(object, type);
}

/**
 * iot_plugin_settings_describe:
 * @schema: a schema from iot_plugin_settings_parse_schema(), or a part of one
 *
 * Returns: (transfer full): what a value must be, as a translated fragment
 *   for "... expects %s": "a whole number from 0 to 1000000"
 */
gchar *
iot_plugin_settings_describe(JsonNode *schema)
{
	g_return_val_if_fail(schema != NULL, NULL);
	return iot_plugin_settings_describe_full(schema, NULL);
}

/**
 * iot_plugin_settings_describe_members:
 * @schema: a plugin's settings schema
 * @selector: (nullable): the member that names the plugin ("endpoint",
 *   "type"), left out
 * @indent: put before each line
 * @out: the text is appended here
 *
 * Lists the settings a schema declares, one a line, in the schema's order:
 * the name, whether it is required, what it takes, its default, then its
 * description on the next line.
 */
void
iot_plugin_settings_describe_members(JsonNode *schema,
				     const gchar *selector,
				     const gchar *indent,
				     GString *out)
{
	JsonObject *object;
	JsonNode *node;
	JsonObject *properties;
	JsonArray *required = NULL;
	g_autoptr(GList) members = NULL;

	g_return_if_fail(schema != NULL);
	if (!JSON_NODE_HOLDS_OBJECT(schema))
		return;
	object = json_node_get_object(schema);
	node = json_object_get_member(object, "properties");
	if (node == NULL)
		return;
	properties = json_node_get_object(node);
	node = json_object_get_member(object, "required");
	if (node != NULL)
		required = json_node_get_array(node);
	members = json_object_get_members(properties);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *property = json_object_get_member(properties, name);
		g_autofree gchar *what = iot_plugin_settings_describe(property);
		gboolean is_required = FALSE;

		if (g_strcmp0(name, selector) == 0)
			continue;
		for (guint i = 0; required != NULL && i < json_array_get_length(required); i++) {
			if (g_strcmp0(iot_json_get_string(json_array_get_element(required, i)),
				      name) == 0)
				is_required = TRUE;
		}
		g_string_append_printf(out,
				       "%s%s%s: %s",
				       indent,
				       name,
				       is_required ? _(" (required)") : "",
				       what);
		if (JSON_NODE_HOLDS_OBJECT(property)) {
			JsonObject *property_object = json_node_get_object(property);
			JsonNode *fallback = json_object_get_member(property_object, "default");
			const gchar *description = NULL;
			if (fallback != NULL) {
				g_autofree gchar *text = iot_profile_describe_value(fallback);
				g_string_append_printf(out, _(", default %s"), text);
			}
			node = json_object_get_member(property_object, "description");
			description = node != NULL ? iot_json_get_string(node) : NULL;
			if (description != NULL)
				g_string_append_printf(out, "\n%s  %s", indent, description);
		}
		g_string_append_c(out, '\n');
	}
}

/* validation ------------------------------------------------------------ */

static void
iot_plugin_settings_set_error_value(IotPluginSettingsContext *ctx,
				    GError **error,
				    const gchar *path,
				    JsonNode *value,
				    JsonNode *schema,
				    gboolean type_only)
{
	g_autofree gchar *shown = type_only ? g_strdup(iot_profile_describe_type(value))
					    : iot_profile_describe_value(value);
	g_autofree gchar *expectation = iot_plugin_settings_describe(schema);
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    /* TRANSLATORS: "site.json: $.tunnels[0].services.SSH1.retry_count is -1;
		       the endpoint plugin \"tcp\" expects a whole number from 0 to 1000000." */
		    _("%s: %s is %s; the %s plugin \"%s\" expects %s."),
		    ctx->origin,
		    path,
		    shown,
		    iot_plugin_kind_to_string(ctx->info->kind),
		    ctx->info->name,
		    expectation);
}

static gboolean
iot_plugin_settings_validate_node(IotPluginSettingsContext *ctx,
				  JsonNode *schema,
				  JsonNode *value,
				  const gchar *path,
				  const gchar *selector,
				  GError **error);

static gboolean
iot_plugin_settings_validate_object(IotPluginSettingsContext *ctx,
				    JsonObject *schema,
				    JsonObject *value,
				    const gchar *path,
				    const gchar *selector,
				    GError **error)
{
	JsonNode *node = json_object_get_member(schema, "properties");
	JsonObject *properties = node != NULL ? json_node_get_object(node) : NULL;
	JsonNode *additional = json_object_get_member(schema, "additionalProperties");
	gboolean closed = additional != NULL && JSON_NODE_HOLDS_VALUE(additional) &&
			  !json_node_get_boolean(additional);
	g_autoptr(GList) members = json_object_get_members(value);

	/* an unknown key first: it is most often a misspelt one that is also "missing" */
	for (GList *l = members; l != NULL && closed; l = l->next) {
		const gchar *key = l->data;
		g_autofree gchar *key_path = NULL;
		g_autofree gchar *choices = NULL;
		g_autoptr(GPtrArray) names = g_ptr_array_new();
		g_autoptr(GList) known = NULL;

		if (g_strcmp0(key, selector) == 0 ||
		    (properties != NULL && json_object_has_member(properties, key)))
			continue;
		if (properties != NULL)
			known = json_object_get_members(properties);
		for (GList *k = known; k != NULL; k = k->next) {
			if (g_strcmp0(k->data, selector) != 0)
				g_ptr_array_add(names, k->data);
		}
		g_ptr_array_add(names, NULL);
		key_path = iot_profile_path_member(path, key);
		if (names->len > 1) {
			choices = iot_profile_join_choices((const gchar *const *)names->pdata);
			g_set_error(error,
				    IOT_PROFILE_ERROR,
				    IOT_PROFILE_ERROR_INVALID,
				    /* TRANSLATORS: "site.json: $.tunnels[0].services.SSH1.adress is
				       not a setting of the endpoint plugin \"tcp\"; use ..." */
				    _("%s: %s is not a setting of the %s plugin \"%s\"; use %s."),
				    ctx->origin,
				    key_path,
				    iot_plugin_kind_to_string(ctx->info->kind),
				    ctx->info->name,
				    choices);
		} else {
			g_set_error(
			    error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is not a setting of the %s plugin \"%s\", which takes "
			      "none; remove it."),
			    ctx->origin,
			    key_path,
			    iot_plugin_kind_to_string(ctx->info->kind),
			    ctx->info->name);
		}
		return FALSE;
	}

	node = json_object_get_member(schema, "required");
	if (node != NULL) {
		JsonArray *required = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(required); i++) {
			const gchar *name =
			    iot_json_get_string(json_array_get_element(required, i));
			g_autofree gchar *member_path = NULL;
			g_autofree gchar *expectation = NULL;
			JsonNode *property;

			if (json_object_has_member(value, name))
				continue;
			property =
			    properties != NULL ? json_object_get_member(properties, name) : NULL;
			member_path = iot_profile_path_member(path, name);
			expectation = property != NULL ? iot_plugin_settings_describe(property)
						       : g_strdup(_("any value"));
			g_set_error(
			    error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    /* TRANSLATORS: "site.json: $.tunnels[0].services.SSH1.address is
			       missing; the endpoint plugin \"tcp\" needs it: a string" */
			    _("%s: %s is missing; the %s plugin \"%s\" needs it: %s."),
			    ctx->origin,
			    member_path,
			    iot_plugin_kind_to_string(ctx->info->kind),
			    ctx->info->name,
			    expectation);
			return FALSE;
		}
	}

	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *key = l->data;
		g_autofree gchar *member_path = iot_profile_path_member(path, key);
		JsonNode *member = json_object_get_member(value, key);
		JsonNode *property =
		    properties != NULL ? json_object_get_member(properties, key) : NULL;

		if (property == NULL && g_strcmp0(key, selector) == 0)
			continue;
		if (property == NULL)
			property = additional;
		if (property != NULL && !iot_plugin_settings_validate_node(ctx,
									   property,
									   member,
									   member_path,
									   NULL,
									   error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_plugin_settings_validate_array(IotPluginSettingsContext *ctx,
				   JsonNode *schema,
				   JsonArray *value,
				   const gchar *path,
				   GError **error)
{
	JsonObject *object = json_node_get_object(schema);
	JsonNode *items = json_object_get_member(object, "items");
	guint length = json_array_get_length(value);
	guint limit = 0;

	if ((json_object_has_member(object, "minItems") &&
	     iot_json_get_count(json_object_get_member(object, "minItems"), &limit) &&
	     length < limit) ||
	    (json_object_has_member(object, "maxItems") &&
	     iot_json_get_count(json_object_get_member(object, "maxItems"), &limit) &&
	     length > limit)) {
		g_autofree gchar *shown = NULL;
		g_autofree gchar *expectation = iot_plugin_settings_describe(schema);
		shown = length == 0 ? g_strdup(_("an empty array"))
				    : g_strdup_printf(g_dngettext(GETTEXT_PACKAGE,
								  "an array of %u item",
								  "an array of %u items",
								  length),
						      length);
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is %s; the %s plugin \"%s\" expects %s."),
			    ctx->origin,
			    path,
			    shown,
			    iot_plugin_kind_to_string(ctx->info->kind),
			    ctx->info->name,
			    expectation);
		return FALSE;
	}
	if (items == NULL)
		return TRUE;
	for (guint i = 0; i < length; i++) {
		g_autofree gchar *item_path = iot_profile_path_index(path, i);
		if (!iot_plugin_settings_validate_node(ctx,
						       items,
						       json_array_get_element(value, i),
						       item_path,
						       NULL,
						       error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_plugin_settings_type_ok(JsonObject *schema, JsonNode *value)
{
	JsonNode *node = json_object_get_member(schema, "type");
	const gchar *type;

	if (node == NULL)
		return TRUE;
	type = iot_json_get_string(node);
	if (type != NULL)
		return iot_json_type_matches(type, value);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(node)); i++) {
		JsonNode *one = json_array_get_element(json_node_get_array(node), i);
		if (iot_json_type_matches(iot_json_get_string(one), value))
			return TRUE;
	}
	return FALSE;
}

/* const, enum, the string and number limits: whatever compares the value itself */
static gboolean
iot_plugin_settings_value_ok(JsonObject *schema, JsonNode *value)
{
	JsonNode *node;
	const gchar *text;
	gdouble number = 0;
	gdouble limit = 0;
	guint count = 0;

	node = json_object_get_member(schema, "const");
	if (node != NULL && !iot_json_equal(node, value))
		return FALSE;
	node = json_object_get_member(schema, "enum");
	if (node != NULL) {
		JsonArray *choices = json_node_get_array(node);
		gboolean found = FALSE;
		for (guint i = 0; i < json_array_get_length(choices) && !found; i++)
			found = iot_json_equal(json_array_get_element(choices, i), value);
		if (!found)
			return FALSE;
	}
	text = iot_json_get_string(value);
	if (text != NULL) {
		glong length = g_utf8_strlen(text, -1);
		node = json_object_get_member(schema, "minLength");
		if (node != NULL && iot_json_get_count(node, &count) && length < (glong)count)
			return FALSE;
		node = json_object_get_member(schema, "maxLength");
		if (node != NULL && iot_json_get_count(node, &count) && length > (glong)count)
			return FALSE;
		node = json_object_get_member(schema, "pattern");
		if (node != NULL && !g_regex_match_simple(iot_json_get_string(node), text, 0, 0))
			return FALSE;
	}
	if (iot_json_get_number(value, &number)) {
		node = json_object_get_member(schema, "minimum");
		if (node != NULL && iot_json_get_number(node, &limit) && number < limit)
			return FALSE;
		node = json_object_get_member(schema, "maximum");
		if (node != NULL && iot_json_get_number(node, &limit) && number > limit)
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_plugin_settings_validate_node(IotPluginSettingsContext *ctx,
				  JsonNode *schema,
				  JsonNode *value,
				  const gchar *path,
				  const gchar *selector,
				  GError **error)
{
	JsonObject *object;
	JsonNode *node;

	if (!JSON_NODE_HOLDS_OBJECT(schema)) {
		if (json_node_get_boolean(schema))
			return TRUE;
		iot_plugin_settings_set_error_value(ctx, error, path, value, schema, TRUE);
		return FALSE;
	}
	object = json_node_get_object(schema);

	/* the kind of value first: its message never shows the value itself */
	if (!iot_plugin_settings_type_ok(object, value)) {
		iot_plugin_settings_set_error_value(ctx, error, path, value, schema, TRUE);
		return FALSE;
	}
	node = json_object_get_member(object, "anyOf");
	if (node != NULL) {
		JsonArray *alternatives = json_node_get_array(node);
		gboolean matched = FALSE;
		for (guint i = 0; i < json_array_get_length(alternatives) && !matched; i++)
			matched = iot_plugin_settings_validate_node(
			    ctx,
			    json_array_get_element(alternatives, i),
			    value,
			    path,
			    selector,
			    NULL);
		if (!matched) {
			iot_plugin_settings_set_error_value(ctx, error, path, value, schema, FALSE);
			return FALSE;
		}
	}
	if (!iot_plugin_settings_value_ok(object, value)) {
		iot_plugin_settings_set_error_value(ctx, error, path, value, schema, FALSE);
		return FALSE;
	}
	if (JSON_NODE_HOLDS_ARRAY(value))
		return iot_plugin_settings_validate_array(ctx,
							  schema,
							  json_node_get_array(value),
							  path,
							  error);
	if (JSON_NODE_HOLDS_OBJECT(value))
		return iot_plugin_settings_validate_object(ctx,
							   object,
							   json_node_get_object(value),
							   path,
							   selector,
							   error);
	return TRUE;
}

/**
 * iot_plugin_settings_validate:
 * @schema: the plugin's schema, from iot_plugin_settings_parse_schema()
 * @info: the plugin, named in messages
 * @settings: its settings in a profile
 * @selector: (nullable): the member that names the plugin ("endpoint" or
 *   "type"), allowed whether or not the schema lists it
 * @origin: the profile's origin, for messages
 * @path: the JSON path of @settings, for messages
 * @error: (nullable): return location for an %IOT_PROFILE_ERROR_INVALID
 *
 * Checks @settings against @schema and reports the first problem as one
 * sentence naming @origin, the JSON path of the wrong value, the plugin and
 * what it expects. Unknown members are reported before missing ones, since a
 * misspelt name is usually both.
 *
 * Returns: %TRUE when @settings fit
 */
gboolean
iot_plugin_settings_validate(JsonNode *schema,
			     const IotPluginInfo *info,
			     JsonObject *settings,
			     const gchar *selector,
			     const gchar *origin,
			     const gchar *path,
			     GError **error)
{
	IotPluginSettingsContext ctx = {.info = info, .origin = origin};
	g_autoptr(JsonNode) value = NULL;

	g_return_val_if_fail(schema != NULL, FALSE);
	g_return_val_if_fail(info != NULL, FALSE);
	g_return_val_if_fail(settings != NULL, FALSE);

	value = json_node_init_object(json_node_alloc(), settings);
	return iot_plugin_settings_validate_node(&ctx, schema, value, path, selector, error);
}

/* the daemon's checks ---------------------------------------------------- */

static gboolean
iot_plugin_settings_check(IotPluginRegistry *registry,
			  IotProfileTunnel *profile,
			  IotPluginKind kind,
			  const gchar *plugin,
			  JsonObject *settings,
			  const gchar *path,
			  const gchar *selector,
			  GError **error)
{
	const gchar *origin = iot_profile_tunnel_get_origin(profile);
	g_autofree gchar *selector_path = iot_profile_path_member(path, selector);
	const IotPluginInfo *info;
	JsonNode *schema;

	info = iot_plugin_registry_lookup_at(registry, kind, plugin, origin, selector_path, error);
	if (info == NULL)
		return FALSE;
	schema = iot_plugin_registry_get_schema(registry, info);
	if (schema == NULL)
		return TRUE;
	return iot_plugin_settings_validate(schema, info, settings, selector, origin, path, error);
}

/**
 * iot_plugin_settings_check_service:
 * @registry: the loaded plugins
 * @profile: the tunnel the service belongs to
 * @service_id: the service's ID, "" for the unnamed one
 * @plugin: the endpoint plugin it names
 * @settings: its settings, "endpoint" included
 * @error: (nullable): return location for an error
 *
 * Checks that the endpoint plugin is loaded and that the settings fit its
 * schema, before the plugin sees them.
 *
 * Returns: %TRUE when they do
 */
gboolean
iot_plugin_settings_check_service(IotPluginRegistry *registry,
				  IotProfileTunnel *profile,
				  const gchar *service_id,
				  const gchar *plugin,
				  JsonObject *settings,
				  GError **error)
{
	g_autofree gchar *services_path = NULL;
	g_autofree gchar *path = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(registry), FALSE);
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(profile), FALSE);

	services_path =
	    iot_profile_path_member(iot_profile_tunnel_get_json_path(profile), "services");
	path = iot_profile_path_member(services_path, service_id);
	return iot_plugin_settings_check(registry,
					 profile,
					 IOT_PLUGIN_KIND_ENDPOINT,
					 plugin,
					 settings,
					 path,
					 "endpoint",
					 error);
}

/**
 * iot_plugin_settings_check_transport:
 * @registry: the loaded plugins
 * @profile: a tunnel
 * @error: (nullable): return location for an error
 *
 * Checks that the tunnel's transport plugin is loaded and that its settings
 * fit the plugin's schema.
 *
 * Returns: %TRUE when they do
 */
gboolean
iot_plugin_settings_check_transport(IotPluginRegistry *registry,
				    IotProfileTunnel *profile,
				    GError **error)
{
	g_autofree gchar *path = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(registry), FALSE);
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(profile), FALSE);

	path = iot_profile_path_member(iot_profile_tunnel_get_json_path(profile), "transport");
	return iot_plugin_settings_check(registry,
					 profile,
					 IOT_PLUGIN_KIND_TRANSPORT,
					 iot_profile_tunnel_get_transport_type(profile),
					 iot_profile_tunnel_get_transport_settings(profile),
					 path,
					 "type",
					 error);
}
