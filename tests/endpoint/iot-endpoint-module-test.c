/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <gmodule.h>

#include "iot-endpoint-test-common.h"

/* the built modules, loaded as the daemon loads them: no static copy is linked here */
typedef struct {
	const gchar *name;
	const gchar *path;
	const gchar *required_value; /* a valid value for the required setting */
} ModuleCase;

static const IotPluginInfo *
test_module_query(const ModuleCase *module_case)
{
	g_autoptr(GError) error = NULL;
	GModule *module;
	IotPluginQueryFunc query = NULL;

	module = g_module_open_full(module_case->path, G_MODULE_BIND_LOCAL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(module);
	g_assert_true(g_module_symbol(module, IOT_PLUGIN_QUERY_SYMBOL, (gpointer *)&query));
	g_module_make_resident(module);

	/* nothing else is exported */
	{
		gpointer other = NULL;
		g_assert_false(g_module_symbol(module, "iot_endpoint_settings_check", &other));
	}
	return query();
}

static void
test_module_info(gconstpointer user_data)
{
	const ModuleCase *module_case = user_data;
	const IotPluginInfo *info = test_module_query(module_case);
	g_autoptr(GObject) instance = NULL;

	g_assert_cmpuint(info->abi_version, ==, IOT_PLUGIN_ABI_VERSION);
	g_assert_cmpint(info->kind, ==, IOT_PLUGIN_KIND_ENDPOINT);
	g_assert_cmpstr(info->name, ==, module_case->name);
	g_assert_cmpstr(info->version, ==, PACKAGE_VERSION);
	g_assert_nonnull(info->description);
	g_assert_cmpuint(strlen(info->description), >, 0);
	instance = g_object_new(info->get_type(), NULL);
	g_assert_true(IOT_IS_ENDPOINT(instance));
}

/* the schema is valid JSON, closed, and agrees with what configure accepts */
static void
test_module_schema(gconstpointer user_data)
{
	const ModuleCase *module_case = user_data;
	const IotPluginInfo *info = test_module_query(module_case);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) instance = g_object_new(info->get_type(), NULL);
	g_autoptr(JsonObject) settings = json_object_new();
	g_autoptr(JsonObject) unknown = NULL;
	g_autoptr(GList) names = NULL;
	JsonObject *schema;
	JsonObject *properties;
	JsonArray *required;

	g_assert_nonnull(info->settings_schema);
	json_parser_load_from_data(parser, info->settings_schema, -1, &error);
	g_assert_no_error(error);
	schema = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(schema, "$schema"),
			==,
			"https://json-schema.org/draft/2020-12/schema");
	g_assert_cmpstr(json_object_get_string_member(schema, "type"), ==, "object");
	g_assert_false(json_object_get_boolean_member(schema, "additionalProperties"));
	properties = json_object_get_object_member(schema, "properties");
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(properties, "endpoint"),
					  "const"),
	    ==,
	    module_case->name);

	/* every required setting is a property; give it a valid value */
	required = json_object_get_array_member(schema, "required");
	g_assert_cmpuint(json_array_get_length(required), ==, 1);
	g_assert_true(
	    json_object_has_member(properties, json_array_get_string_element(required, 0)));
	json_object_set_string_member(settings, "endpoint", module_case->name);
	json_object_set_string_member(settings,
				      json_array_get_string_element(required, 0),
				      module_case->required_value);

	/* every other setting has a default, which configure accepts */
	names = json_object_get_members(properties);
	for (GList *l = names; l != NULL; l = l->next) {
		JsonObject *property = json_object_get_object_member(properties, l->data);
		if (json_object_has_member(settings, l->data))
			continue;
		g_assert_true(json_object_has_member(property, "description"));
		g_assert_true(json_object_has_member(property, "default"));
		json_object_set_member(settings,
				       l->data,
				       json_node_copy(json_object_get_member(property, "default")));
	}
	g_assert_true(iot_endpoint_configure(IOT_ENDPOINT(instance), settings, &error));
	g_assert_no_error(error);

	/* and a setting the schema does not have is refused */
	unknown = iot_test_settings_new("{\"colour\": \"blue\"}");
	g_assert_false(iot_endpoint_configure(IOT_ENDPOINT(instance), unknown, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_assert_true(g_str_has_prefix(error->message, "unknown setting \"colour\""));
}

int
main(int argc, char **argv)
{
	static const ModuleCase cases[] = {
#ifdef TEST_TCP_MODULE
	    {"tcp", TEST_TCP_MODULE, "localhost:22"},
#endif
#ifdef TEST_UNIX_MODULE
	    {"unix", TEST_UNIX_MODULE, "/run/app.sock"},
#endif
	};

	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *info =
		    g_strdup_printf("/iotunnel/endpoint-module/%s/info", cases[i].name);
		g_autofree gchar *schema =
		    g_strdup_printf("/iotunnel/endpoint-module/%s/schema", cases[i].name);
		g_test_add_data_func(info, &cases[i], test_module_info);
		g_test_add_data_func(schema, &cases[i], test_module_schema);
	}
	return g_test_run();
}
