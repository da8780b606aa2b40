/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "iot-sdk-test-common.h"

/* installed once, in main(), for every test here */
static IotSdkInstall iot_test_install = {0};

static gchar *
iot_test_include_dir(void)
{
	return g_build_filename(iot_test_install.prefix, "include", "iotunnel-1", NULL);
}

/* the names of the dynamic symbols a shared object defines */
static GStrv
iot_test_defined_symbols(const gchar *path)
{
	const gchar *argv[] = {"nm", "-D", "--defined-only", path, NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GStrvBuilder) names = g_strv_builder_new();

	g_assert_true(iot_sdk_run(argv, NULL, &output, &error));
	g_assert_no_error(error);
	lines = g_strsplit(output, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit_set(lines[i], " ", -1);
		guint n = g_strv_length(fields);
		if (n >= 3)
			g_strv_builder_add(names, fields[n - 1]);
	}
	return g_strv_builder_end(names);
}

/* headers, library, pkg-config file and plugins where a user looks for them */
static void
test_sdk_install_layout(void)
{
	g_autofree gchar *include_dir = iot_test_include_dir();
	g_auto(GStrv) headers = g_strsplit(TEST_PUBLIC_HEADERS, ",", -1);
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pc = NULL;
	g_autofree gchar *daemon = NULL;
	g_autofree gchar *guide = NULL;
	const gchar *name;
	guint count = 0;

	for (guint i = 0; headers[i] != NULL; i++) {
		g_autofree gchar *path = g_build_filename(include_dir, headers[i], NULL);
		g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	}
	/* nothing else: no private header */
	dir = g_dir_open(include_dir, 0, &error);
	g_assert_no_error(error);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_assert_true(g_strv_contains((const gchar *const *)headers, name));
		g_assert_null(strstr(name, "private"));
		count++;
	}
	g_assert_cmpuint(count, ==, g_strv_length(headers));

	pc = g_build_filename(iot_test_install.pkg_config_path, "iotunnel-1.pc", NULL);
	g_assert_true(g_file_test(pc, G_FILE_TEST_IS_REGULAR));
	daemon = g_build_filename(iot_test_install.prefix, TEST_BINDIR, "iotunneld", NULL);
	g_assert_true(g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE));
	guide = g_build_filename(iot_test_install.prefix,
				 TEST_DATADIR,
				 "doc",
				 "iotunnel",
				 "plugin-guide.md",
				 NULL);
	g_assert_true(g_file_test(guide, G_FILE_TEST_IS_REGULAR));
}

/* libiotunnel.so -> libiotunnel.so.1 -> libiotunnel.so.1.0.0, whose soname is .so.1 */
static void
test_sdk_install_soname(void)
{
	g_autofree gchar *dev = g_build_filename(iot_test_install.libdir, "libiotunnel.so", NULL);
	g_autofree gchar *runtime =
	    g_build_filename(iot_test_install.libdir, "libiotunnel.so.1", NULL);
	g_autofree gchar *dev_target = g_file_read_link(dev, NULL);
	g_autofree gchar *runtime_target = g_file_read_link(runtime, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	const gchar *argv[] = {"objdump", "-p", runtime, NULL};

	g_assert_cmpstr(dev_target, ==, "libiotunnel.so.1");
	g_assert_cmpstr(runtime_target, ==, "libiotunnel.so.1.0.0");
	g_assert_true(iot_sdk_run(argv, NULL, &output, &error));
	g_assert_no_error(error);
	g_assert_true(g_regex_match_simple("^\\s*SONAME\\s+libiotunnel\\.so\\.1$",
					   output,
					   G_REGEX_MULTILINE,
					   0));
}

/* the library exports its iot_* API and nothing else (no protobuf-c, no helpers) */
static void
test_sdk_install_exports(void)
{
	g_autofree gchar *path =
	    g_build_filename(iot_test_install.libdir, "libiotunnel.so.1", NULL);
	g_auto(GStrv) symbols = iot_test_defined_symbols(path);

	g_assert_cmpuint(g_strv_length(symbols), >, 50);
	for (guint i = 0; symbols[i] != NULL; i++) {
		if (!g_str_has_prefix(symbols[i], "iot_"))
			g_test_message("exported by mistake: %s", symbols[i]);
		g_assert_true(g_str_has_prefix(symbols[i], "iot_"));
	}
	g_assert_true(g_strv_contains((const gchar *const *)symbols, "iot_connection_new"));
	g_assert_true(g_strv_contains((const gchar *const *)symbols, "iot_endpoint_get_type"));
	g_assert_true(g_strv_contains((const gchar *const *)symbols, "iot_plugin_kind_to_string"));
}

/* iotunnel-1.pc: version, ABI and plugin folder, right from inside DESTDIR too */
static void
test_sdk_install_pkg_config(void)
{
	const gchar *version_args[] = {"--modversion", "iotunnel-1", NULL};
	const gchar *abi_args[] = {"--variable=abi_version", "iotunnel-1", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *version = iot_sdk_pkg_config(&iot_test_install, version_args, &error);
	g_autofree gchar *abi = NULL;
	g_autofree gchar *expected_abi = g_strdup_printf("%d", IOT_PLUGIN_ABI_VERSION);
	g_autofree gchar *expected_dir = NULL;
	g_autofree gchar *libdir = g_canonicalize_filename(iot_test_install.libdir, NULL);

	g_assert_no_error(error);
	g_assert_cmpstr(version, ==, PACKAGE_VERSION);
	abi = iot_sdk_pkg_config(&iot_test_install, abi_args, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(abi, ==, expected_abi);

	expected_dir = g_strdup_printf("%s/iotunnel-%d", libdir, IOT_PLUGIN_ABI_VERSION);
	g_assert_cmpstr(iot_test_install.plugindir, ==, expected_dir);
	g_assert_true(g_file_test(iot_test_install.plugindir, G_FILE_TEST_IS_DIR));
#ifdef TEST_HAVE_ENDPOINT_EXEC
	{
		g_autofree gchar *exec =
		    g_build_filename(iot_test_install.plugindir, "libiot-endpoint-exec.so", NULL);
		g_assert_true(g_file_test(exec, G_FILE_TEST_IS_REGULAR));
	}
#endif
}

/* compiles @code with the installed flags alone, as a plugin would be */
static void
iot_test_compile(const gchar *code, gboolean link)
{
	const gchar *flag_args[] = {"--cflags", "--libs", "iotunnel-1", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *flags = iot_sdk_pkg_config(&iot_test_install, flag_args, &error);
	g_autofree gchar *source = g_build_filename(iot_test_install.destdir, "t.c", NULL);
	g_autofree gchar *object = g_build_filename(iot_test_install.destdir, "t.so", NULL);
	g_auto(GStrv) flag_argv = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *output = NULL;

	g_assert_no_error(error);
	g_assert_true(g_shell_parse_argv(flags, NULL, &flag_argv, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(source, code, -1, &error));
	g_assert_no_error(error);
	g_ptr_array_add(argv, (gpointer) "cc");
	g_ptr_array_add(argv, (gpointer) "-std=c11");
	g_ptr_array_add(argv, (gpointer) "-Wall");
	g_ptr_array_add(argv, (gpointer) "-Wextra");
	g_ptr_array_add(argv, (gpointer) "-Wmissing-prototypes");
	g_ptr_array_add(argv, (gpointer) "-Werror");
	g_ptr_array_add(argv, (gpointer) "-fPIC");
	if (link) {
		g_ptr_array_add(argv, (gpointer) "-shared");
		g_ptr_array_add(argv, (gpointer) "-o");
		g_ptr_array_add(argv, object);
	} else {
		g_ptr_array_add(argv, (gpointer) "-fsyntax-only");
	}
	g_ptr_array_add(argv, source);
	for (guint i = 0; flag_argv[i] != NULL; i++)
		g_ptr_array_add(argv, flag_argv[i]);
	g_ptr_array_add(argv, NULL);
	if (!iot_sdk_run((const gchar *const *)argv->pdata, NULL, &output, &error))
		g_test_message("%s\n%s", code, error->message);
	g_assert_no_error(error);
	g_remove(source);
	g_remove(object);
}

/* <iotunnel.h> alone is enough to write and link a plugin; each header stands alone too */
static void
test_sdk_install_headers(void)
{
	g_auto(GStrv) headers = g_strsplit(TEST_PUBLIC_HEADERS, ",", -1);

	iot_test_compile(
	    "#include <iotunnel.h>\n"
	    "\n"
	    "IOT_PLUGIN_EXPORT const IotPluginInfo *\n"
	    "iot_plugin_query(void);\n"
	    "\n"
	    "static const IotPluginInfo info = {\n"
	    "    .abi_version = IOT_PLUGIN_ABI_VERSION,\n"
	    "    .kind = IOT_PLUGIN_KIND_ENDPOINT,\n"
	    "    .name = \"headers\",\n"
	    "    .get_type = iot_endpoint_get_type,\n"
	    "};\n"
	    "\n"
	    "IOT_PLUGIN_EXPORT const IotPluginInfo *\n"
	    "iot_plugin_query(void)\n"
	    "{\n"
	    "\tg_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_DATA, 1);\n"
	    "\tg_autoptr(IotFrameEncoder) encoder = "
	    "iot_frame_encoder_new(IOT_WEBSOCKET_MAX_PAYLOAD);\n"
	    "\tg_autoptr(GError) error = NULL;\n"
	    "\tif (!iot_frame_encoder_add(encoder, msg, &error))\n"
	    "\t\treturn NULL;\n"
	    "\tg_assert(IOT_CONNECTION_HIGH_WATER > IOT_CONNECTION_LOW_WATER);\n"
	    "\treturn &info;\n"
	    "}\n",
	    TRUE);
	for (guint i = 0; headers[i] != NULL; i++) {
		g_autofree gchar *code = g_strdup_printf("#include <%s>\n", headers[i]);
		iot_test_compile(code, FALSE);
	}
}

/* the example's Makefile, pkg-config only; the plugin exports its query and nothing else */
static void
test_sdk_example_build(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	g_auto(GStrv) symbols = NULL;

	g_assert_true(iot_sdk_build_example(&iot_test_install, &error));
	g_assert_no_error(error);
	path = g_build_filename(iot_test_install.example_dir, "libiot-endpoint-counter.so", NULL);
	symbols = iot_test_defined_symbols(path);
	g_assert_cmpuint(g_strv_length(symbols), ==, 1);
	g_assert_cmpstr(symbols[0], ==, "iot_plugin_query");
}

/* the installed iotunneld finds the example next to the installed plugins */
static void
test_sdk_example_list_plugins(void)
{
	g_autofree gchar *daemon =
	    g_build_filename(iot_test_install.prefix, TEST_BINDIR, "iotunneld", NULL);
	g_autofree gchar *library_path =
	    g_strdup_printf("LD_LIBRARY_PATH=%s", iot_test_install.libdir);
	g_autofree gchar *plugin_path = g_strdup_printf("IOTUNNEL_PLUGIN_PATH=%s:%s",
							iot_test_install.example_dir,
							iot_test_install.plugindir);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *output = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *argv[] = {daemon, "--list-plugins", NULL};
	const gchar *env[] = {library_path, plugin_path, NULL};
	g_autofree gchar *example =
	    g_build_filename(iot_test_install.example_dir, "libiot-endpoint-counter.so", NULL);

	/* built by /iotunnel/sdk/example/build, unless only this test runs */
	if (!g_file_test(example, G_FILE_TEST_EXISTS)) {
		g_assert_true(iot_sdk_build_example(&iot_test_install, &error));
		g_assert_no_error(error);
	}
	g_assert_true(iot_sdk_run(argv, env, &output, &error));
	g_assert_no_error(error);
	expected =
	    g_strdup_printf("endpoint counter 1.0.0, plugin ABI %d\n"
			    "  TCP connector (destination) that counts and logs the bytes of "
			    "each connection\n"
			    "  file: %s/libiot-endpoint-counter.so\n"
			    "  settings:\n"
			    "    address (required): ",
			    IOT_PLUGIN_ABI_VERSION,
			    iot_test_install.example_dir);
	if (strstr(output, expected) == NULL)
		g_test_message("%s", output);
	g_assert_nonnull(strstr(output, expected));
#ifdef TEST_HAVE_ENDPOINT_EXEC
	{
		g_autofree gchar *exec = g_strdup_printf("  file: %s/libiot-endpoint-exec.so\n",
							 iot_test_install.plugindir);
		g_assert_nonnull(strstr(output, exec));
	}
#endif
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int ret;

	g_test_init(&argc, &argv, NULL);
	if (!iot_sdk_prepare(&iot_test_install, &error) ||
	    !iot_sdk_install(&iot_test_install, &error)) {
		g_printerr("cannot install into a temporary folder: %s\n", error->message);
		iot_sdk_install_clear(&iot_test_install);
		return 1;
	}
	g_test_add_func("/iotunnel/sdk/install/layout", test_sdk_install_layout);
	g_test_add_func("/iotunnel/sdk/install/soname", test_sdk_install_soname);
	g_test_add_func("/iotunnel/sdk/install/exports", test_sdk_install_exports);
	g_test_add_func("/iotunnel/sdk/install/pkg-config", test_sdk_install_pkg_config);
	g_test_add_func("/iotunnel/sdk/install/headers", test_sdk_install_headers);
	g_test_add_func("/iotunnel/sdk/example/build", test_sdk_example_build);
	g_test_add_func("/iotunnel/sdk/example/list-plugins", test_sdk_example_list_plugins);
	ret = g_test_run();
	iot_sdk_install_clear(&iot_test_install);
	return ret;
}
