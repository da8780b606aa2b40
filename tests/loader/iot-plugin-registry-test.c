/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-plugin-registry.h"

/* warnings of the iotunnel domain, captured instead of printed */
static GPtrArray *captured_warnings = NULL;

static GLogWriterOutput
test_log_writer(GLogLevelFlags log_level,
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
	if ((log_level & G_LOG_LEVEL_WARNING) && g_strcmp0(domain, "iotunnel") == 0) {
		g_ptr_array_add(captured_warnings, g_strdup(message));
		return G_LOG_WRITER_HANDLED;
	}
	return g_log_writer_default(log_level, fields, n_fields, user_data);
}

static gboolean
test_captured_warning(guint index, const gchar *pattern)
{
	if (index >= captured_warnings->len)
		return FALSE;
	return g_pattern_match_simple(pattern, g_ptr_array_index(captured_warnings, index));
}

static void
test_plugin_registry_good(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) instance = NULL;
	g_autofree gchar *path = g_build_filename(TEST_SET_A, "libiot-test-good.so", NULL);
	const IotPluginInfo *info;

	g_assert_true(iot_plugin_registry_load_module(registry, path, &error));
	g_assert_no_error(error);
	info = iot_plugin_registry_lookup(registry, IOT_PLUGIN_KIND_ENDPOINT, "good", &error);
	g_assert_no_error(error);
	g_assert_nonnull(info);
	g_assert_cmpstr(info->name, ==, "good");
	g_assert_cmpstr(iot_plugin_registry_get_path(registry, info), ==, path);

	instance = iot_plugin_registry_create(registry, IOT_PLUGIN_KIND_ENDPOINT, "good", &error);
	g_assert_no_error(error);
	g_assert_true(IOT_IS_ENDPOINT(instance));

	/* the same name under another kind is a different plugin */
	g_assert_null(iot_plugin_registry_lookup(registry, IOT_PLUGIN_KIND_CODEC, "good", &error));
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_NOT_FOUND);
}

static void
test_plugin_registry_wrong_abi(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GPtrArray) plugins = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(TEST_SET_A, "libiot-test-wrong-abi.so", NULL);
	g_autofree gchar *expected = g_strdup_printf("%s was built for plugin ABI 999, but this "
						     "iotunneld needs ABI %u; rebuild it against "
						     "iotunnel-1 %s.",
						     path,
						     (guint)IOT_PLUGIN_ABI_VERSION,
						     PACKAGE_VERSION);

	g_assert_false(iot_plugin_registry_load_module(registry, path, &error));
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_ABI);
	g_assert_cmpstr(error->message, ==, expected);
	plugins = iot_plugin_registry_get_plugins(registry);
	g_assert_cmpuint(plugins->len, ==, 0);
}

static void
test_plugin_registry_no_entry(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(TEST_SET_A, "libiot-test-no-entry.so", NULL);

	g_assert_false(iot_plugin_registry_load_module(registry, path, &error));
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_LOAD);
	g_assert_true(g_str_has_suffix(error->message, "does not export iot_plugin_query()."));
}

static void
test_plugin_registry_missing_file(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;

	g_assert_false(
	    iot_plugin_registry_load_module(registry, "/nonexistent/libiot-x.so", &error));
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_LOAD);
	g_assert_true(
	    g_str_has_prefix(error->message, "/nonexistent/libiot-x.so cannot be loaded"));
}

static void
test_plugin_registry_bad_type(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GObject) instance = NULL;
	g_autofree gchar *path = g_build_filename(TEST_SET_A, "libiot-test-bad-type.so", NULL);

	g_assert_true(iot_plugin_registry_load_module(registry, path, &error));
	g_assert_no_error(error);
	instance =
	    iot_plugin_registry_create(registry, IOT_PLUGIN_KIND_ENDPOINT, "bad-type", &error);
	g_assert_null(instance);
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_INVALID);
	g_assert_cmpstr(
	    error->message,
	    ==,
	    "endpoint plugin \"bad-type\" gives type IotTestEndpoint-bad-type, which does not "
	    "implement IotEndpoint.");
}

static void
test_plugin_registry_directory(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_autoptr(GPtrArray) plugins = NULL;
	GPtrArray *failures;
	g_autoptr(GError) error = NULL;

	/* wrong-abi and no-entry are refused with a warning each; good and bad-type load */
	g_ptr_array_set_size(captured_warnings, 0);
	g_assert_cmpuint(iot_plugin_registry_load_directory(registry, TEST_SET_A), ==, 2);
	g_assert_cmpuint(captured_warnings->len, ==, 2);
	g_assert_true(test_captured_warning(0, "*libiot-test-no-entry.so is not an iotunnel*"));
	g_assert_true(test_captured_warning(1, "*libiot-test-wrong-abi.so was built for*"));

	/* a second plugin with a name already registered is refused */
	g_assert_cmpuint(iot_plugin_registry_load_directory(registry, TEST_SET_B), ==, 0);
	g_assert_cmpuint(captured_warnings->len, ==, 3);
	g_assert_true(test_captured_warning(2, "*second endpoint plugin named \"good\"*"));

	plugins = iot_plugin_registry_get_plugins(registry);
	g_assert_cmpuint(plugins->len, ==, 2);
	failures = iot_plugin_registry_get_failures(registry);
	g_assert_cmpuint(failures->len, ==, 3);
	g_assert_true(g_error_matches(g_ptr_array_index(failures, 0),
				      IOT_PLUGIN_ERROR,
				      IOT_PLUGIN_ERROR_LOAD));
	g_assert_true(g_error_matches(g_ptr_array_index(failures, 1),
				      IOT_PLUGIN_ERROR,
				      IOT_PLUGIN_ERROR_ABI));
	g_assert_true(g_error_matches(g_ptr_array_index(failures, 2),
				      IOT_PLUGIN_ERROR,
				      IOT_PLUGIN_ERROR_DUPLICATE));

	/* the unknown name error lists what is loaded */
	g_assert_null(
	    iot_plugin_registry_lookup(registry, IOT_PLUGIN_KIND_ENDPOINT, "serial", &error));
	g_assert_error(error, IOT_PLUGIN_ERROR, IOT_PLUGIN_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message,
			==,
			"There is no endpoint plugin named \"serial\" (loaded: bad-type, good); "
			"install it or set IOTUNNEL_PLUGIN_PATH to its folder.");
}

static void
test_plugin_registry_missing_directory(void)
{
	g_autoptr(IotPluginRegistry) registry = iot_plugin_registry_new();
	g_assert_cmpuint(iot_plugin_registry_load_directory(registry, "/nonexistent"), ==, 0);
	g_assert_cmpuint(iot_plugin_registry_get_failures(registry)->len, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	captured_warnings = g_ptr_array_new_with_free_func(g_free);
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_writer_func(test_log_writer, NULL, NULL);
	g_test_add_func("/iotunnel/plugin-registry/good", test_plugin_registry_good);
	g_test_add_func("/iotunnel/plugin-registry/wrong-abi", test_plugin_registry_wrong_abi);
	g_test_add_func("/iotunnel/plugin-registry/no-entry", test_plugin_registry_no_entry);
	g_test_add_func("/iotunnel/plugin-registry/missing-file",
			test_plugin_registry_missing_file);
	g_test_add_func("/iotunnel/plugin-registry/bad-type", test_plugin_registry_bad_type);
	g_test_add_func("/iotunnel/plugin-registry/directory", test_plugin_registry_directory);
	g_test_add_func("/iotunnel/plugin-registry/missing-directory",
			test_plugin_registry_missing_directory);
	return g_test_run();
}
