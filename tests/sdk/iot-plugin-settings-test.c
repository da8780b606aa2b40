/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-plugin-registry.h"
#include "iot-plugin-settings.h"
#include "iot-profile.h"

/* every keyword the validator implements, on one made-up endpoint plugin "t" */
static const gchar iot_test_schema[] =
    "{"
    "\"$schema\": \"https://json-schema.org/draft/2020-12/schema\","
    "\"title\": \"t endpoint settings\","
    "\"type\": \"object\","
    "\"properties\": {"
    "  \"endpoint\": {\"const\": \"t\"},"
    "  \"address\": {\"type\": \"string\", \"pattern\": \"^[a-z]+:[0-9]+$\"},"
    "  \"name\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 8},"
    "  \"count\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 10, \"default\": 3,"
    "              \"description\": \"How many.\"},"
    "  \"ratio\": {\"type\": \"number\", \"minimum\": 0.5},"
    "  \"mode\": {\"enum\": [\"fast\", \"slow\"]},"
    "  \"ping\": {\"type\": \"integer\", \"anyOf\": [{\"const\": 0}, {\"minimum\": 10, "
    "\"maximum\": 100}]},"
    "  \"flags\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 3, \"items\": {\"type\": "
    "\"string\"}},"
    "  \"env\": {\"type\": \"object\", \"additionalProperties\": {\"type\": [\"string\", "
    "\"null\"]}},"
    "  \"on\": {\"type\": \"boolean\"}"
    "},"
    "\"required\": [\"address\"],"
    "\"additionalProperties\": false"
    "}";

static const IotPluginInfo iot_test_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = "t",
};

#define IOT_TEST_PATH "site.json: $.tunnels[0].services.S"
#define IOT_TEST_EXPECTS "; the endpoint plugin \"t\" expects "

typedef struct {
	const gchar *name;
	const gchar *settings;
	const gchar *message; /* NULL when the settings fit */
} IotTestValidate;

static const IotTestValidate iot_test_validate[] = {
    {"minimal", "{\"endpoint\": \"t\", \"address\": \"a:1\"}", NULL},
    {"full",
     "{\"endpoint\": \"t\", \"address\": \"a:1\", \"name\": \"12345678\", \"count\": 2.0, "
     "\"ratio\": 0.5, \"mode\": \"slow\", \"ping\": 0, \"flags\": [\"x\"], \"env\": {\"A\": "
     "\"x\", \"B\": null}, \"on\": false}",
     NULL},
    {"ping-range", "{\"address\": \"a:1\", \"ping\": 100}", NULL},
    {"unknown",
     "{\"endpoint\": \"t\", \"adress\": \"a:1\"}",
     IOT_TEST_PATH ".adress is not a setting of the endpoint plugin \"t\"; use \"address\", "
		   "\"name\", \"count\", \"ratio\", \"mode\", \"ping\", \"flags\", \"env\" or "
		   "\"on\"."},
    {"unknown-odd-key",
     "{\"address\": \"a:1\", \"my key\": 1}",
     IOT_TEST_PATH "[\"my key\"] is not a setting of the endpoint plugin \"t\"; use "
		   "\"address\", \"name\", \"count\", \"ratio\", \"mode\", \"ping\", \"flags\", "
		   "\"env\" or \"on\"."},
    {"missing",
     "{\"endpoint\": \"t\"}",
     IOT_TEST_PATH ".address is missing; the endpoint plugin \"t\" needs it: a string matching "
		   "^[a-z]+:[0-9]+$."},
    {"pattern",
     "{\"address\": \"A:1\"}",
     IOT_TEST_PATH ".address is \"A:1\"" IOT_TEST_EXPECTS "a string matching ^[a-z]+:[0-9]+$."},
    {"type-hides-value",
     "{\"address\": 5}",
     IOT_TEST_PATH ".address is a number" IOT_TEST_EXPECTS "a string matching ^[a-z]+:[0-9]+$."},
    {"selector",
     "{\"endpoint\": \"u\", \"address\": \"a:1\"}",
     IOT_TEST_PATH ".endpoint is \"u\"" IOT_TEST_EXPECTS "\"t\"."},
    {"minimum",
     "{\"address\": \"a:1\", \"count\": -1}",
     IOT_TEST_PATH ".count is -1" IOT_TEST_EXPECTS "a whole number from 0 to 10."},
    {"maximum",
     "{\"address\": \"a:1\", \"count\": 11}",
     IOT_TEST_PATH ".count is 11" IOT_TEST_EXPECTS "a whole number from 0 to 10."},
    {"integer",
     "{\"address\": \"a:1\", \"count\": 1.5}",
     IOT_TEST_PATH ".count is a number" IOT_TEST_EXPECTS "a whole number from 0 to 10."},
    {"number",
     "{\"address\": \"a:1\", \"ratio\": 0.25}",
     IOT_TEST_PATH ".ratio is 0.25" IOT_TEST_EXPECTS "a number of at least 0.5."},
    {"min-length",
     "{\"address\": \"a:1\", \"name\": \"\"}",
     IOT_TEST_PATH ".name is \"\"" IOT_TEST_EXPECTS "a string of 1 to 8 characters."},
    {"max-length",
     "{\"address\": \"a:1\", \"name\": \"123456789\"}",
     IOT_TEST_PATH ".name is \"123456789\"" IOT_TEST_EXPECTS "a string of 1 to 8 characters."},
    {"enum",
     "{\"address\": \"a:1\", \"mode\": \"medium\"}",
     IOT_TEST_PATH ".mode is \"medium\"" IOT_TEST_EXPECTS "one of \"fast\" or \"slow\"."},
    {"any-of",
     "{\"address\": \"a:1\", \"ping\": 5}",
     IOT_TEST_PATH ".ping is 5" IOT_TEST_EXPECTS "0 or a whole number from 10 to 100."},
    {"min-items",
     "{\"address\": \"a:1\", \"flags\": []}",
     IOT_TEST_PATH ".flags is an empty array" IOT_TEST_EXPECTS
		   "an array of 1 to 3 items whose items are each a string."},
    {"max-items",
     "{\"address\": \"a:1\", \"flags\": [\"a\", \"b\", \"c\", \"d\"]}",
     IOT_TEST_PATH ".flags is an array of 4 items" IOT_TEST_EXPECTS
		   "an array of 1 to 3 items whose items are each a string."},
    {"items",
     "{\"address\": \"a:1\", \"flags\": [\"a\", 2]}",
     IOT_TEST_PATH ".flags[1] is a number" IOT_TEST_EXPECTS "a string."},
    {"additional-schema",
     "{\"address\": \"a:1\", \"env\": {\"A\": 1}}",
     IOT_TEST_PATH ".env.A is a number" IOT_TEST_EXPECTS "a string or null."},
    {"object",
     "{\"address\": \"a:1\", \"env\": [\"A=1\"]}",
     IOT_TEST_PATH ".env is an array" IOT_TEST_EXPECTS
		   "an object whose values are each a string or null."},
    {"boolean",
     "{\"address\": \"a:1\", \"on\": \"yes\"}",
     IOT_TEST_PATH ".on is a string" IOT_TEST_EXPECTS "true or false."},
};

/* warnings of the daemon's domain, captured instead of printed (and fatal) */
static GPtrArray *iot_test_warnings = NULL;

static GLogWriterOutput
iot_test_log_writer(GLogLevelFlags log_level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if ((log_level & G_LOG_LEVEL_WARNING) != 0 && g_strcmp0(domain, "iotunnel") == 0) {
		g_ptr_array_add(iot_test_warnings, g_strdup(message));
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(log_level, fields, n_fields, user_data);
}

/* checks a text against a glob, saying both when they differ */
static void
iot_test_assert_match(const gchar *text, const gchar *pattern)
{
	gboolean matches = g_pattern_match_simple(pattern, text);
	if (!matches)
		g_test_message("\"%s\" does not match \"%s\"", text, pattern);
	g_assert_true(matches);
}

static JsonNode *
iot_test_parse(const gchar *text)
{
	g_autoptr(GError) error = NULL;
	JsonNode *node = json_from_string(text, &error);
	g_assert_no_error(error);
	g_assert_nonnull(node);
	return node;
}

static void
test_plugin_settings_validate(gconstpointer user_data)
{
	const IotTestValidate *test = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) schema = iot_plugin_settings_parse_schema(iot_test_schema, &error);
	g_autoptr(JsonNode) settings = iot_test_parse(test->settings);
	gboolean ok;

	g_assert_no_error(error);
	ok = iot_plugin_settings_validate(schema,
					  &iot_test_info,
					  json_node_get_object(settings),
					  "endpoint",
					  "site.json",
					  "$.tunnels[0].services.S",
					  &error);
	if (test->message == NULL) {
		g_assert_no_error(error);
		g_assert_true(ok);
		return;
	}
	g_assert_false(ok);
	g_assert_error(error, IOT_PROFILE_ERROR, IOT_PROFILE_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, test->message);
}

/* the plugin name member passes whether or not the schema lists it */
static void
test_plugin_settings_selector(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) schema = iot_plugin_settings_parse_schema(
	    "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}, "
	    "\"additionalProperties\": false}",
	    &error);
	g_autoptr(JsonNode) settings = iot_test_parse("{\"endpoint\": \"t\", \"a\": 1}");
	g_autoptr(JsonNode) nested = iot_test_parse("{\"a\": {\"endpoint\": 1}}");

	g_assert_no_error(error);
	g_assert_true(iot_plugin_settings_validate(schema,
						   &iot_test_info,
						   json_node_get_object(settings),
						   "endpoint",
						   "site.json",
						   "$.s",
						   &error));
	g_assert_no_error(error);
	g_assert_false(iot_plugin_settings_validate(schema,
						    &iot_test_info,
						    json_node_get_object(settings),
						    NULL,
						    "site.json",
						    "$.s",
						    &error));
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.s.endpoint is not a setting of the endpoint plugin \"t\"; "
			"use \"a\".");
}

typedef struct {
	const gchar *name;
	const gchar *schema;
	const gchar *message;
} IotTestSchema;

static const IotTestSchema iot_test_bad_schemas[] = {
    {"not-json", "{", "the schema is not JSON: *"},
    {"not-object", "[]", "the schema is not a JSON object"},
    {"keyword", "{\"oneOf\": []}", "$.oneOf is a JSON Schema keyword iotunneld does not implement"},
    {"nested-keyword",
     "{\"properties\": {\"a\": {\"format\": \"uri\"}}}",
     "$.properties.a.format is a JSON Schema keyword iotunneld does not implement"},
    {"type", "{\"type\": \"integr\"}", "$.type is neither a JSON Schema type nor a list of them"},
    {"type-list", "{\"type\": [\"string\", 1]}", "$.type[1] is not a JSON Schema type"},
    {"properties", "{\"properties\": []}", "$.properties is not an object of schemas"},
    {"required", "{\"required\": \"a\"}", "$.required is not an array"},
    {"required-item", "{\"required\": [1]}", "$.required[0] is not a property name"},
    {"enum", "{\"enum\": []}", "$.enum is not a non-empty array"},
    {"any-of", "{\"anyOf\": [1]}", "$.anyOf[0] is neither a schema object nor true or false"},
    {"pattern", "{\"pattern\": \"(\"}", "$.pattern is not a regular expression: *"},
    {"minimum", "{\"minimum\": \"1\"}", "$.minimum is not a number"},
    {"min-length", "{\"minLength\": -1}", "$.minLength is not a whole number of at least 0"},
    {"items", "{\"items\": \"string\"}", "$.items is neither a schema object nor true or false"},
};

static void
test_plugin_settings_bad_schema(gconstpointer user_data)
{
	const IotTestSchema *test = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) schema = iot_plugin_settings_parse_schema(test->schema, &error);

	g_assert_null(schema);
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_INVALID);
	iot_test_assert_match(error->message, test->message);
}

static const IotTestSchema iot_test_descriptions[] = {
    {"string", "{\"type\": \"string\"}", "a string"},
    {"non-empty", "{\"type\": \"string\", \"minLength\": 1}", "a non-empty string"},
    {"at-most", "{\"type\": \"string\", \"maxLength\": 4}", "a string of at most 4 characters"},
    {"integer-min", "{\"type\": \"integer\", \"minimum\": 1}", "a whole number of at least 1"},
    {"number-max", "{\"type\": \"number\", \"maximum\": 2.5}", "a number of at most 2.5"},
    {"guessed", "{\"minimum\": 1, \"maximum\": 2}", "a number from 1 to 2"},
    {"enum-one", "{\"enum\": [\"x\"]}", "\"x\""},
    {"types", "{\"type\": [\"integer\", \"null\"]}", "a whole number or null"},
    {"array", "{\"type\": \"array\", \"minItems\": 1}", "a non-empty array"},
    {"any", "{}", "any value"},
    {"object", "{\"properties\": {}}", "an object"},
};

static void
test_plugin_settings_describe(gconstpointer user_data)
{
	const IotTestSchema *test = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) schema = iot_plugin_settings_parse_schema(test->schema, &error);
	g_autofree gchar *description = NULL;

	g_assert_no_error(error);
	description = iot_plugin_settings_describe(schema);
	g_assert_cmpstr(description, ==, test->message);
}

/* the listing --list-plugins prints under "settings:" */
static void
test_plugin_settings_describe_members(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) schema = iot_plugin_settings_parse_schema(iot_test_schema, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	iot_plugin_settings_describe_members(schema, "endpoint", "  ", out);
	g_assert_true(g_str_has_prefix(out->str,
				       "  address (required): a string matching ^[a-z]+:[0-9]+$\n"
				       "  name: a string of 1 to 8 characters\n"
				       "  count: a whole number from 0 to 10, default 3\n"
				       "    How many.\n"));
	g_assert_null(strstr(out->str, "endpoint"));
	g_assert_true(g_str_has_suffix(out->str, "  on: true or false\n"));
}

/* fixtures: a plugin whose init hook fails, and one whose schema cannot be used */
static void
test_plugin_settings_refused_plugins(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	GPtrArray *failures;
	const IotPluginInfo *info;
	const GError *failure;

	g_ptr_array_set_size(iot_test_warnings, 0);
	g_assert_cmpuint(iot_plugin_registry_load_directory(registry, TEST_SDK_PLUGINS), ==, 1);
	g_assert_cmpuint(iot_test_warnings->len, ==, 2);
	failures = iot_plugin_registry_get_failures(registry);
	g_assert_cmpuint(failures->len, ==, 2);

	/* in name order: libiot-sdk-test-bad-schema.so, libiot-sdk-test-init-fails.so */
	failure = g_ptr_array_index(failures, 0);
	g_assert_error(failure, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_INVALID);
	g_assert_true(g_str_has_suffix(
	    failure->message,
	    "/libiot-sdk-test-bad-schema.so (endpoint plugin \"bad-schema\") declares a settings "
	    "schema iotunneld cannot use: $.properties.level.oneOf is a JSON Schema keyword "
	    "iotunneld does not implement."));
	failure = g_ptr_array_index(failures, 1);
	g_assert_error(failure, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_INIT);
	g_assert_true(
	    g_str_has_suffix(failure->message,
			     "/libiot-sdk-test-init-fails.so (endpoint plugin "
			     "\"init-fails\") could not start: no /dev/iotunnel-test-device "
			     "on this system."));

	/* a profile that names a refused plugin learns why */
	info = iot_plugin_registry_lookup_at(registry,
					     IOT_PLUGIN_KIND_ENDPOINT,
					     "init-fails",
					     "site.json",
					     "$.tunnels[0].services.S.endpoint",
					     &error);
	g_assert_null(info);
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_NOT_FOUND);
	g_assert_cmpstr(
	    error->message,
	    ==,
	    "site.json: $.tunnels[0].services.S.endpoint names the endpoint plugin "
	    "\"init-fails\", which could not start: no /dev/iotunnel-test-device on this "
	    "system.");
	g_clear_error(&error);
	info = iot_plugin_registry_lookup_at(registry,
					     IOT_PLUGIN_KIND_ENDPOINT,
					     "serial",
					     "site.json",
					     "$.tunnels[0].services.S.endpoint",
					     &error);
	g_assert_null(info);
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].services.S.endpoint names the endpoint plugin "
			"\"serial\", which is not loaded (loaded: schema); install it or set "
			"IOTUNNEL_PLUGIN_PATH to its folder.");

	/* the one that loaded, with its schema */
	info = iot_plugin_registry_lookup(registry, IOT_PLUGIN_KIND_ENDPOINT, "schema", &error);
	g_assert_nonnull(info);
	g_assert_nonnull(iot_plugin_registry_get_schema(registry, info));
	text = iot_plugin_registry_describe(registry);
	g_assert_true(g_str_has_prefix(text,
				       "endpoint schema 2.5, plugin ABI 1\n"
				       "  an endpoint for the SDK tests\n"
				       "  file: "));
	g_assert_nonnull(strstr(text,
				"  settings:\n"
				"    level: a whole number from 1 to 9, default 5\n"
				"      How loud.\n"
				"\n"
				"refused: "));
}

#if defined(TEST_HAVE_ENDPOINT_TCP) && defined(TEST_HAVE_ENDPOINT_EXEC) &&                         \
    defined(TEST_HAVE_TRANSPORT_WEBSOCKET)
static const gchar iot_test_profile[] =
    "{\"tunnels\": [{\"name\": \"t\", \"mode\": \"destination\", \"service\": {\"endpoint\": "
    "\"127.0.0.1:1\"}, \"access_token\": {\"value\": \"x\"}, \"transport\": {\"ping_ms\": 5}, "
    "\"services\": {"
    "\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"localhost:22\", \"retry_count\": -1},"
    "\"RUN\": {\"endpoint\": \"exec\", \"command\": [\"cat\"], \"grace_ms\": \"2s\"},"
    "\"OK\": {\"endpoint\": \"exec\", \"command\": [\"cat\"], \"environment\": {\"A\": null}},"
    "\"X\": {\"endpoint\": \"serial\"}}}]}";

static void
iot_test_check_service(IotPluginRegistry *registry,
		       IotProfileTunnel *tunnel,
		       const gchar *id,
		       const gchar *message)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *services = iot_profile_tunnel_get_services(tunnel);

	for (guint i = 0; i < services->len; i++) {
		IotProfileService *service = g_ptr_array_index(services, i);
		gboolean ok;
		if (g_strcmp0(iot_profile_service_get_id(service), id) != 0)
			continue;
		ok = iot_plugin_settings_check_service(registry,
						       tunnel,
						       id,
						       iot_profile_service_get_endpoint(service),
						       iot_profile_service_get_settings(service),
						       &error);
		if (message == NULL) {
			g_assert_no_error(error);
			g_assert_true(ok);
			return;
		}
		g_assert_false(ok);
		iot_test_assert_match(error->message, message);
		return;
	}
	g_assert_not_reached();
}

/* the daemon's check on the real plugins, with the paths of a real profile */
static void
test_plugin_settings_profile(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile = NULL;
	IotProfileTunnel *tunnel;

	iot_plugin_registry_load_default(registry);
	profile = iot_profile_new_from_data(iot_test_profile,
					    strlen(iot_test_profile),
					    "site.json",
					    &error);
	g_assert_no_error(error);
	tunnel = g_ptr_array_index(iot_profile_get_tunnels(profile), 0);

	iot_test_check_service(registry,
			       tunnel,
			       "SSH1",
			       "site.json: $.tunnels[0].services.SSH1.retry_count is -1; the "
			       "endpoint plugin \"tcp\" expects a whole number from 0 to 1000000.");
	iot_test_check_service(registry,
			       tunnel,
			       "RUN",
			       "site.json: $.tunnels[0].services.RUN.grace_ms is a string; the "
			       "endpoint plugin \"exec\" expects a whole number from 0 to 600000.");
	iot_test_check_service(registry, tunnel, "OK", NULL);
	iot_test_check_service(registry,
			       tunnel,
			       "X",
			       "site.json: $.tunnels[0].services.X.endpoint names the endpoint "
			       "plugin \"serial\", which is not loaded (loaded: *); install it or "
			       "set IOTUNNEL_PLUGIN_PATH to its folder.");

	g_assert_false(iot_plugin_settings_check_transport(registry, tunnel, &error));
	g_assert_cmpstr(error->message,
			==,
			"site.json: $.tunnels[0].transport.ping_ms is 5; the transport plugin "
			"\"websocket\" expects 0 or a whole number from 10 to 86400000.");
}
#endif

/* iotunneld --list-plugins: the plugins, their settings, and the refused ones with why */
static void
test_plugin_settings_list_plugins(void)
{
	const gchar *argv[] = {TEST_IOTUNNELD, "--list-plugins", NULL};
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) subprocess = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	g_subprocess_launcher_setenv(launcher,
				     "IOTUNNEL_PLUGIN_PATH",
				     TEST_SDK_PLUGINS ":" TEST_LOADER_SET_A,
				     TRUE);
	subprocess = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(subprocess, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(subprocess));
	g_assert_cmpint(g_subprocess_get_exit_status(subprocess), ==, 0);
	g_assert_nonnull(strstr(out,
				"endpoint schema 2.5, plugin ABI 1\n"
				"  an endpoint for the SDK tests\n"
				"  file: " TEST_SDK_PLUGINS "/libiot-sdk-test-schema.so\n"
				"  settings:\n"
				"    level: a whole number from 1 to 9, default 5\n"));
	g_assert_nonnull(
	    strstr(out,
		   "refused: " TEST_LOADER_SET_A
		   "/libiot-test-wrong-abi.so was built for plugin ABI 999, but this "
		   "iotunneld needs ABI 1; rebuild it against iotunnel-1 " PACKAGE_VERSION ".\n"));
	g_assert_nonnull(strstr(out,
				"refused: " TEST_SDK_PLUGINS
				"/libiot-sdk-test-init-fails.so (endpoint plugin \"init-fails\") "
				"could not start: no /dev/iotunnel-test-device on this system.\n"));
	/* the warnings say the same on stderr, and nothing crashed */
	g_assert_nonnull(strstr(err, "was built for plugin ABI 999"));
}

int
main(int argc, char **argv)
{
	int ret;

	g_test_init(&argc, &argv, NULL);
	iot_test_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(iot_test_log_writer, NULL, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(iot_test_validate); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/plugin-settings/validate/%s",
							 iot_test_validate[i].name);
		g_test_add_data_func(path, &iot_test_validate[i], test_plugin_settings_validate);
	}
	for (guint i = 0; i < G_N_ELEMENTS(iot_test_bad_schemas); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/plugin-settings/bad-schema/%s",
							 iot_test_bad_schemas[i].name);
		g_test_add_data_func(path,
				     &iot_test_bad_schemas[i],
				     test_plugin_settings_bad_schema);
	}
	for (guint i = 0; i < G_N_ELEMENTS(iot_test_descriptions); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/plugin-settings/describe/%s",
							 iot_test_descriptions[i].name);
		g_test_add_data_func(path,
				     &iot_test_descriptions[i],
				     test_plugin_settings_describe);
	}
	g_test_add_func("/iotunnel/plugin-settings/selector", test_plugin_settings_selector);
	g_test_add_func("/iotunnel/plugin-settings/describe-members",
			test_plugin_settings_describe_members);
	g_test_add_func("/iotunnel/plugin-settings/refused-plugins",
			test_plugin_settings_refused_plugins);
#if defined(TEST_HAVE_ENDPOINT_TCP) && defined(TEST_HAVE_ENDPOINT_EXEC) &&                         \
    defined(TEST_HAVE_TRANSPORT_WEBSOCKET)
	g_test_add_func("/iotunnel/plugin-settings/profile", test_plugin_settings_profile);
#endif
	g_test_add_func("/iotunnel/plugin-settings/list-plugins",
			test_plugin_settings_list_plugins);
	ret = g_test_run();
	g_ptr_array_unref(iot_test_warnings);
	return ret;
}
