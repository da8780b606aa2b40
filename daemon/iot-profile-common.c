/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-profile-common.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "iot-address.h"
#include "iot-small-file.h"

G_DEFINE_QUARK(iot-profile-error-quark, iot_profile_error);

/* values longer than this are cut in messages, so one bad value cannot flood a log */
#define IOT_PROFILE_QUOTE_MAX_CHARS 64

static gboolean
iot_profile_is_identifier(const gchar *key)
{
	if (!g_ascii_isalpha(key[0]) && key[0] != '_')
		return FALSE;
	for (const gchar *p = key + 1; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '_')
			return FALSE;
	}
	return TRUE;
}

static void
iot_profile_append_quoted(GString *str, const gchar *text, gssize max_chars)
{
	g_autofree gchar *valid = g_utf8_make_valid(text, -1);
	g_autofree gchar *cut = NULL;
	const gchar *source = valid;

	if (max_chars >= 0 && g_utf8_strlen(valid, -1) > max_chars) {
		g_autofree gchar *head = g_utf8_substring(valid, 0, max_chars - 3);
		cut = g_strconcat(head, "...", NULL);
		source = cut;
	}
	g_string_append_c(str, '"');
	for (const gchar *p = source; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c == '"' || c == '\\')
			g_string_append_printf(str, "\\%c", c);
		else if (c == '\n')
			g_string_append(str, "\\n");
		else if (c == '\t')
			g_string_append(str, "\\t");
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(str, "\\u%04x", c);
		else
			g_string_append_c(str, (gchar)c);
	}
	g_string_append_c(str, '"');
}

/**
 * iot_profile_path_member:
 * @path: a JSON path such as `$.tunnels[0]`
 * @key: a member name
 *
 * Returns: (transfer full): @path with @key appended, as `.key` when it is an
 * identifier and as `["odd key"]` otherwise
 */
gchar *
iot_profile_path_member(const gchar *path, const gchar *key)
{
	GString *str = g_string_new(path);
	if (iot_profile_is_identifier(key)) {
		g_string_append_printf(str, ".%s", key);
	} else {
		g_string_append_c(str, '[');
		iot_profile_append_quoted(str, key, -1);
		g_string_append_c(str, ']');
	}
	return g_string_free(str, FALSE);
}

/**
 * iot_profile_path_index:
 * @path: a JSON path such as `$.tunnels`
 * @index: an array index
 *
 * Returns: (transfer full): `path[index]`
 */
gchar *
iot_profile_path_index(const gchar *path, guint index)
{
	return g_strdup_printf("%s[%u]", path, index);
}

/**
 * iot_profile_quote:
 * @text: UTF-8 text
 *
 * Returns: (transfer full): @text as a JSON string literal for a message,
 * cut short when it is long; never pass a token
 */
gchar *
iot_profile_quote(const gchar *text)
{
	GString *str = g_string_new(NULL);
	iot_profile_append_quoted(str, text, IOT_PROFILE_QUOTE_MAX_CHARS);
	return g_string_free(str, FALSE);
}

/**
 * iot_profile_join_choices:
 * @choices: (array zero-terminated=1): at least one word
 *
 * Returns: (transfer full): the words quoted, as `"a", "b" or "c"`
 */
gchar *
iot_profile_join_choices(const gchar *const *choices)
{
	g_autoptr(GString) head = g_string_new(NULL);
	g_autofree gchar *last = NULL;
	guint n = g_strv_length((gchar **)choices);

	g_return_val_if_fail(n > 0, NULL);

	for (guint i = 0; i + 1 < n; i++) {
		g_autofree gchar *quoted = iot_profile_quote(choices[i]);
		if (i > 0)
			g_string_append(head, ", ");
		g_string_append(head, quoted);
	}
	last = iot_profile_quote(choices[n - 1]);
	if (n == 1)
		return g_steal_pointer(&last);
	/* TRANSLATORS: the last of several choices: "\"a\", \"b\" or \"c\"" */
	return g_strdup_printf(_("%s or %s"), head->str, last);
}

/**
 * iot_profile_describe_type:
 * @node: a JSON node
 *
 * Returns: what kind of JSON value @node is, for "X is a number"; safe for
 * secrets since it never shows the value
 */
const gchar *
iot_profile_describe_type(JsonNode *node)
{
	GType type;

	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT:
		return _("an object");
	case JSON_NODE_ARRAY:
		return _("an array");
	case JSON_NODE_NULL:
		return "null";
	case JSON_NODE_VALUE:
	default:
		break;
	}
	type = json_node_get_value_type(node);
	if (type == G_TYPE_STRING)
		return _("a string");
	if (type == G_TYPE_BOOLEAN)
		return _("a boolean");
	return _("a number");
}

/**
 * iot_profile_describe_value:
 * @node: a JSON node; never one that holds a token
 *
 * Returns: (transfer full): @node for "X is ...": a scalar as JSON (strings
 * quoted and cut short), an object or array by its kind
 */
gchar *
iot_profile_describe_value(JsonNode *node)
{
	GType type;

	if (!JSON_NODE_HOLDS_VALUE(node))
		return g_strdup(iot_profile_describe_type(node));
	type = json_node_get_value_type(node);
	if (type == G_TYPE_STRING)
		return iot_profile_quote(json_node_get_string(node));
	if (type == G_TYPE_BOOLEAN)
		return g_strdup(json_node_get_boolean(node) ? "true" : "false");
	if (type == G_TYPE_DOUBLE) {
		gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
		return g_strdup(g_ascii_dtostr(buf, sizeof(buf), json_node_get_double(node)));
	}
	return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
}

/**
 * iot_profile_set_error_missing:
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_INVALID
 * @origin: the file or source the JSON came from
 * @path: the JSON path of the missing member
 * @expectation: a translated fragment saying what to write, "set it to ..."
 */
void
iot_profile_set_error_missing(GError **error,
			      const gchar *origin,
			      const gchar *path,
			      const gchar *expectation)
{
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    /* TRANSLATORS: "site.json: $.tunnels[0].mode is missing; set it to ..." */
		    _("%s: %s is missing; %s."),
		    origin,
		    path,
		    expectation);
}

/**
 * iot_profile_set_error_value:
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_INVALID
 * @origin: the file or source the JSON came from
 * @path: the JSON path of @node
 * @node: the value that is wrong; never one that holds a token
 * @expectation: a translated fragment saying what to write, "set it to ..."
 */
void
iot_profile_set_error_value(GError **error,
			    const gchar *origin,
			    const gchar *path,
			    JsonNode *node,
			    const gchar *expectation)
{
	g_autofree gchar *value = iot_profile_describe_value(node);
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    /* TRANSLATORS: "site.json: $.tunnels[0].protocol is \"v4\"; set it to ..." */
		    _("%s: %s is %s; %s."),
		    origin,
		    path,
		    value,
		    expectation);
}

/**
 * iot_profile_set_error_type:
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_INVALID
 * @origin: the file or source the JSON came from
 * @path: the JSON path of @node
 * @node: the value of the wrong kind; only its kind is shown
 * @expectation: a translated fragment saying what to write, "set it to ..."
 */
void
iot_profile_set_error_type(GError **error,
			   const gchar *origin,
			   const gchar *path,
			   JsonNode *node,
			   const gchar *expectation)
{
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    _("%s: %s is %s; %s."),
		    origin,
		    path,
		    iot_profile_describe_type(node),
		    expectation);
}

/**
 * iot_profile_check_members:
 * @object: a JSON object the profile owns
 * @allowed: (array zero-terminated=1): the keys it may hold
 * @origin: the file or source the JSON came from
 * @path: the JSON path of @object
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_INVALID
 *
 * Refuses the first key of @object, in document order, that @allowed does
 * not list, naming the allowed ones.
 */
gboolean
iot_profile_check_members(JsonObject *object,
			  const gchar *const *allowed,
			  const gchar *origin,
			  const gchar *path,
			  GError **error)
{
	g_autoptr(GList) members = json_object_get_members(object);

	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *key = l->data;
		g_autofree gchar *key_path = NULL;
		g_autofree gchar *choices = NULL;

		if (g_strv_contains(allowed, key))
			continue;
		key_path = iot_profile_path_member(path, key);
		choices = iot_profile_join_choices(allowed);
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    /* TRANSLATORS: "site.json: $.tunnels[0].protcol is an unknown key; use
			       \"name\", ... or \"services\"." */
			    _("%s: %s is an unknown key; use %s."),
			    origin,
			    key_path,
			    choices);
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_profile_json_copy:
 * @node: a JSON node
 *
 * Returns: (transfer full): a deep copy of @node that shares nothing with it
 */
JsonNode *
iot_profile_json_copy(JsonNode *node)
{
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT: {
		JsonObject *object = json_node_get_object(node);
		g_autoptr(JsonObject) copy = json_object_new();
		g_autoptr(GList) members = json_object_get_members(object);
		for (GList *l = members; l != NULL; l = l->next) {
			JsonNode *member = json_object_get_member(object, l->data);
			json_object_set_member(copy, l->data, iot_profile_json_copy(member));
		}
		return json_node_init_object(json_node_alloc(), copy);
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		guint len = json_array_get_length(array);
		g_autoptr(JsonArray) copy = json_array_sized_new(len);
		for (guint i = 0; i < len; i++) {
			JsonNode *element = json_array_get_element(array, i);
			json_array_add_element(copy, iot_profile_json_copy(element));
		}
		return json_node_init_array(json_node_alloc(), copy);
	}
	case JSON_NODE_VALUE:
	case JSON_NODE_NULL:
	default:
		/* a scalar's copy holds its own value */
		return json_node_copy(node);
	}
}

/**
 * iot_profile_set_file_error:
 * @error: (nullable): return location for the user's error
 * @domain: its domain
 * @code: its code
 * @not_found_code: its code when the file does not exist
 * @path: the file, as the user gave it
 * @read_error: what iot_small_file_read() said
 * @kind: what the file should be, for "give a %s of at most 1 MiB": "file", "profile"
 *
 * Puts what went wrong reading a file of at most 1 MiB in one sentence for
 * the user, the same for every file the daemon reads.
 */
void
iot_profile_set_file_error(GError **error,
			   GQuark domain,
			   gint code,
			   gint not_found_code,
			   const gchar *path,
			   const GError *read_error,
			   const gchar *kind)
{
	switch (read_error->code) {
	case IOT_SMALL_FILE_ERROR_NOT_FOUND:
		g_set_error(error,
			    domain,
			    not_found_code,
			    _("%s: the file does not exist; check the path."),
			    path);
		break;
	case IOT_SMALL_FILE_ERROR_NOT_REGULAR:
		g_set_error(error,
			    domain,
			    code,
			    _("%s: not a regular file; give a %s in a regular file."),
			    path,
			    kind);
		break;
	case IOT_SMALL_FILE_ERROR_TOO_LARGE:
		g_set_error(error,
			    domain,
			    code,
			    _("%s: the file is larger than 1 MiB; give a %s of at most 1 MiB."),
			    path,
			    kind);
		break;
	case IOT_SMALL_FILE_ERROR_NUL:
		g_set_error(error,
			    domain,
			    code,
			    _("%s: the file holds a NUL byte; give a text file."),
			    path);
		break;
	case IOT_SMALL_FILE_ERROR_READ:
	default:
		g_set_error(error,
			    domain,
			    code,
			    _("%s: the file cannot be read (%s); check the path and its "
			      "permissions."),
			    path,
			    read_error->message);
		break;
	}
}

/* the end of the JSON value that starts at @start, or @len when it does not end */
static gsize
iot_profile_json_value_end(const gchar *json, gsize len, gsize start)
{
	guint depth = 0;
	gboolean in_string = FALSE;

	if (json[start] != '"' && json[start] != '{' && json[start] != '[') {
		/* a number, true, false or null: up to white space or punctuation */
		gsize i = start;
		while (i < len && !g_ascii_isspace(json[i]) && strchr(",:[]{}\"", json[i]) == NULL)
			i++;
		return i;
	}
	for (gsize i = start; i < len; i++) {
		gchar c = json[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = FALSE;
		} else if (c == '"') {
			in_string = TRUE;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
		if (!in_string && depth == 0)
			return i + 1;
	}
	return len;
}

/**
 * iot_profile_json_has_trailing:
 * @json: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 *
 * json-glib 1.6 takes a text that holds several values one after the other,
 * keeps the last one and leaks the others. Such a text is ambiguous: it is
 * to be refused before json-glib gets it. A value that does not end, or is
 * not JSON, is left to json-glib to tell.
 *
 * Returns: whether anything but white space follows the first value
 */
gboolean
iot_profile_json_has_trailing(const gchar *json, gsize len)
{
	gsize i = 0;

	while (i < len && g_ascii_isspace(json[i]))
		i++;
	if (i == len)
		return FALSE;
	i = iot_profile_json_value_end(json, len, i);
	while (i < len && g_ascii_isspace(json[i]))
		i++;
	return i < len;
}

/**
 * iot_profile_json_is_utf8:
 * @node: a parsed JSON value
 *
 * json-glib 1.6 turns a lone surrogate escape (`"\ud800"`) into bytes that
 * are not UTF-8, which nothing downstream takes (GVariant, D-Bus, json-glib
 * itself when the value is written back).
 *
 * Returns: whether every string and member name in @node is UTF-8
 */
gboolean
iot_profile_json_is_utf8(JsonNode *node)
{
	switch (json_node_get_node_type(node)) {
	case JSON_NODE_OBJECT: {
		JsonObjectIter iter;
		const gchar *name;
		JsonNode *member;
		json_object_iter_init(&iter, json_node_get_object(node));
		while (json_object_iter_next(&iter, &name, &member)) {
			if (!g_utf8_validate(name, -1, NULL) || !iot_profile_json_is_utf8(member))
				return FALSE;
		}
		return TRUE;
	}
	case JSON_NODE_ARRAY: {
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			if (!iot_profile_json_is_utf8(json_array_get_element(array, i)))
				return FALSE;
		}
		return TRUE;
	}
	case JSON_NODE_VALUE:
		return json_node_get_value_type(node) != G_TYPE_STRING ||
		       g_utf8_validate(json_node_get_string(node), -1, NULL);
	case JSON_NODE_NULL:
	default:
		return TRUE;
	}
}

/* the value of the four hex digits at @hex, or -1 */
static gint
iot_profile_json_hex4(const gchar *hex)
{
	gint value = 0;

	for (guint k = 0; k < 4; k++) {
		if (!g_ascii_isxdigit(hex[k]))
			return -1;
		value = value * 16 + g_ascii_xdigit_value(hex[k]);
	}
	return value;
}

/**
 * iot_profile_json_has_bad_escape:
 * @json: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 *
 * json-glib 1.6 leaks when a `\\u` escape is not followed by four hex
 * digits, when a high surrogate is followed by a `\\u` escape that is not
 * a low one, or on a low surrogate that follows no high one: such a text is
 * refused before json-glib gets it.
 *
 * Returns: whether the text holds such a broken `\\u` escape
 */
gboolean
iot_profile_json_has_bad_escape(const gchar *json, gsize len)
{
	for (gsize i = 0; i + 1 < len; i++) {
		gint value;
		gint low;

		if (json[i] != '\\')
			continue;
		if (json[i + 1] != 'u') {
			i++;
			continue;
		}
		if (len - i < 6 || (value = iot_profile_json_hex4(json + i + 2)) < 0)
			return TRUE;
		/* a low surrogate that does not follow a high one */
		if (value >= 0xdc00 && value <= 0xdfff)
			return TRUE;
		if (value >= 0xd800 && value <= 0xdbff && len - i >= 8 && json[i + 6] == '\\' &&
		    json[i + 7] == 'u') {
			low = len - i >= 12 ? iot_profile_json_hex4(json + i + 8) : -1;
			if (low < 0xdc00 || low > 0xdfff)
				return TRUE;
			i += 6; /* the low surrogate, taken with its pair */
		}
		i += 5;
	}
	return FALSE;
}

/**
 * iot_profile_parse_service_endpoint:
 * @text: "wss://HOST[:PORT][/]", "ws://LOOPBACK[:PORT][/]", "HOST[:PORT]",
 *   "[V6][:PORT]" or a bare "V6"
 * @base_url: (out) (transfer full) (optional): "wss://host:port" (or ws://),
 *   IPv6 hosts in brackets
 *
 * The service endpoint as the command line's --proxy-endpoint and a
 * profile's "endpoint" give it: port 443 unless given (80 for ws://).
 *
 * Returns: %IOT_PROFILE_ENDPOINT_OK, or what is wrong with @text
 */
IotProfileEndpoint
iot_profile_parse_service_endpoint(const gchar *text, gchar **base_url)
{
	g_autofree gchar *authority = NULL;
	g_autofree gchar *host = NULL;
	g_autoptr(GError) error = NULL;
	IotAddressFlags flags = IOT_ADDRESS_PORT_OPTIONAL;
	gboolean secure = TRUE;
	guint16 port = 443;

	if (g_str_has_prefix(text, "wss://")) {
		authority = g_strdup(text + strlen("wss://"));
	} else if (g_str_has_prefix(text, "ws://")) {
		authority = g_strdup(text + strlen("ws://"));
		secure = FALSE;
		port = 80;
	} else if (strstr(text, "://") == NULL) {
		/* only a bare endpoint may be a bare IPv6 literal */
		authority = g_strdup(text);
		flags |= IOT_ADDRESS_BARE_IPV6;
	} else {
		return IOT_PROFILE_ENDPOINT_INVALID;
	}
	/* a URL may end in one "/", with no path beyond it */
	if ((flags & IOT_ADDRESS_BARE_IPV6) == 0 && g_str_has_suffix(authority, "/"))
		authority[strlen(authority) - 1] = '\0';
	if (!iot_address_parse(authority, flags, &host, &port, NULL, &error))
		return g_error_matches(error, IOT_ADDRESS_ERROR, IOT_ADDRESS_ERROR_PORT_RANGE)
			   ? IOT_PROFILE_ENDPOINT_BAD_PORT
			   : IOT_PROFILE_ENDPOINT_INVALID;
	if (!secure && !iot_address_host_is_loopback(host))
		return IOT_PROFILE_ENDPOINT_PLAIN;
	if (base_url != NULL) {
		g_autofree gchar *where = iot_address_format(host, port);
		*base_url = g_strdup_printf("%s://%s", secure ? "wss" : "ws", where);
	}
	return IOT_PROFILE_ENDPOINT_OK;
}

/* the string a node holds, or %NULL when it holds anything else */
const gchar *
iot_profile_node_get_string(JsonNode *node)
{
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* @text is 1 to @max of letters, digits and the characters in @extra */
gboolean
iot_profile_word_is_valid(const gchar *text, gsize max, const gchar *extra)
{
	gsize len = strlen(text);
	if (len == 0 || len > max)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(text[i]) && strchr(extra, text[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}
