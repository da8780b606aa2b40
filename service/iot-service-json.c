/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-json.h"

/*
 * JSON as the API reads it: strictly. json-glib cuts a string at an escaped
 * NUL ("SSH\u0000x" reads as "SSH") and keeps the last of two members of the
 * same name; a request either way means something else than it says, so it
 * is refused.
 */

G_DEFINE_QUARK(iot-service-json-error-quark, iot_service_json_error);

typedef struct {
	GHashTable *members; /* JsonObject -> GHashTable of the member names seen */
	gchar *duplicate;    /* the first member named twice */
} IotServiceJsonCheck;

static void
iot_service_json_member_cb(JsonParser *parser,
			   JsonObject *object,
			   const gchar *name,
			   gpointer user_data)
{
	IotServiceJsonCheck *check = user_data;
	GHashTable *names = g_hash_table_lookup(check->members, object);

	if (names == NULL) {
		names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_hash_table_insert(check->members, object, names);
	}
	if (!g_hash_table_add(names, g_strdup(name)) && check->duplicate == NULL)
		check->duplicate = g_strdup(name);
}

/* an escaped NUL: "\u0000" after an even number of backslashes */
static gboolean
iot_service_json_has_nul_escape(const gchar *data, gsize len)
{
	for (gsize i = 0; i + 6 <= len; i++) {
		gsize backslashes = 0;

		if (g_ascii_strncasecmp(data + i, "\\u0000", 6) != 0)
			continue;
		for (gsize j = i; j > 0 && data[j - 1] == '\\'; j--)
			backslashes++;
		if (backslashes % 2 == 0)
			return TRUE;
	}
	return FALSE;
}

/**
 * iot_service_json_parse:
 * @data: the text
 * @len: its length in bytes
 * @error: (nullable): return location for an error in %IOT_SERVICE_JSON_ERROR
 *
 * Parses @data, refusing a NUL in it (raw or escaped) and an object with two
 * members of the same name.
 *
 * Returns: (transfer full): the root, or %NULL with @error set
 */
JsonNode *
iot_service_json_parse(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GHashTable) members =
	    g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_hash_table_unref);
	g_autofree gchar *duplicate = NULL;
	IotServiceJsonCheck check = {members, NULL};
	g_autoptr(GError) error_local = NULL;
	gboolean parsed;

	if (memchr(data, '\0', len) != NULL || iot_service_json_has_nul_escape(data, len)) {
		g_set_error_literal(error,
				    IOT_SERVICE_JSON_ERROR,
				    IOT_SERVICE_JSON_ERROR_NUL,
				    "a NUL character is not allowed");
		return NULL;
	}
	g_signal_connect(parser, "object-member", G_CALLBACK(iot_service_json_member_cb), &check);
	parsed = json_parser_load_from_data(parser, data, len, &error_local);
	duplicate = check.duplicate;
	if (!parsed) {
		g_set_error(error,
			    IOT_SERVICE_JSON_ERROR,
			    IOT_SERVICE_JSON_ERROR_SYNTAX,
			    "not JSON: %s",
			    error_local->message);
		return NULL;
	}
	if (duplicate != NULL) {
		g_autofree gchar *name = g_strescape(duplicate, NULL);
		g_set_error(error,
			    IOT_SERVICE_JSON_ERROR,
			    IOT_SERVICE_JSON_ERROR_DUPLICATE,
			    "member \"%s\" is given twice",
			    name);
		return NULL;
	}
	if (json_parser_get_root(parser) == NULL) {
		g_set_error_literal(error,
				    IOT_SERVICE_JSON_ERROR,
				    IOT_SERVICE_JSON_ERROR_SYNTAX,
				    "not JSON: no value");
		return NULL;
	}
	return json_node_ref(json_parser_get_root(parser));
}
