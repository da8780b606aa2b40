/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-sdk-test-common.h"

#include <glib/gstdio.h>

/**
 * iot_sdk_run:
 * @argv: the program and its arguments
 * @env_extra: (nullable): NAME=VALUE pairs added to the environment
 * @output: (out) (optional): stdout and stderr, merged
 * @error: (nullable): return location for an error
 *
 * Runs a program to its end.
 *
 * Returns: %TRUE when it exited with status 0; otherwise @error holds its output
 */
gboolean
iot_sdk_run(const gchar *const *argv, const gchar *const *env_extra, gchar **output, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) subprocess = NULL;
	g_autofree gchar *text = NULL;

	for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env_extra[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1], TRUE);
	}
	subprocess = g_subprocess_launcher_spawnv(launcher, argv, error);
	if (subprocess == NULL)
		return FALSE;
	if (!g_subprocess_communicate_utf8(subprocess, NULL, NULL, &text, NULL, error))
		return FALSE;
	if (!g_subprocess_get_if_exited(subprocess) ||
	    g_subprocess_get_exit_status(subprocess) != 0) {
		g_autofree gchar *command = g_strjoinv(" ", (gchar **)argv);
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "%s failed:\n%s",
			    command,
			    text != NULL ? text : "");
		return FALSE;
	}
	if (output != NULL)
		*output = g_steal_pointer(&text);
	return TRUE;
}

/**
 * iot_sdk_prepare:
 * @self: a zeroed install
 * @error: (nullable): return location for an error
 *
 * Makes the temporary folder and sets the paths, running nothing, so that a
 * test can put them in its environment before any thread exists.
 *
 * Returns: %TRUE with the paths but the plugin folder filled in
 */
gboolean
iot_sdk_prepare(IotSdkInstall *self, GError **error)
{
	self->destdir = g_dir_make_tmp("iotunnel-sdk-XXXXXX", error);
	if (self->destdir == NULL)
		return FALSE;
	self->prefix = g_build_filename(self->destdir, TEST_PREFIX, NULL);
	self->libdir = g_build_filename(self->prefix, TEST_LIBDIR, NULL);
	self->pkg_config_path = g_build_filename(self->libdir, "pkgconfig", NULL);
	self->example_dir = g_build_filename(self->destdir, "example", NULL);
	return TRUE;
}

/**
 * iot_sdk_install:
 * @self: a prepared install
 * @error: (nullable): return location for an error
 *
 * Installs the build tree this test belongs to under the temporary folder.
 *
 * Returns: %TRUE with the plugin folder filled in
 */
gboolean
iot_sdk_install(IotSdkInstall *self, GError **error)
{
	g_autofree gchar *plugindir = NULL;
	const gchar *args[] = {"--variable=plugindir", "iotunnel-1", NULL};

	{
		const gchar *argv[] = {TEST_MESON,
				       "install",
				       "-C",
				       TEST_BUILD_ROOT,
				       "--no-rebuild",
				       "--quiet",
				       "--destdir",
				       self->destdir,
				       NULL};
		if (!iot_sdk_run(argv, NULL, NULL, error))
			return FALSE;
	}
	plugindir = iot_sdk_pkg_config(self, args, error);
	if (plugindir == NULL)
		return FALSE;
	self->plugindir = g_canonicalize_filename(plugindir, NULL);
	return TRUE;
}

/**
 * iot_sdk_pkg_config:
 * @self: an install
 * @args: pkg-config's arguments
 * @error: (nullable): return location for an error
 *
 * Runs pkg-config with PKG_CONFIG_PATH set to the install, and nothing else.
 *
 * Returns: (transfer full): its output without the final newline
 */
gchar *
iot_sdk_pkg_config(IotSdkInstall *self, const gchar *const *args, GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *env_path = g_strdup_printf("PKG_CONFIG_PATH=%s", self->pkg_config_path);
	const gchar *env[] = {env_path, NULL};
	gchar *output = NULL;

	g_ptr_array_add(argv, (gpointer) "pkg-config");
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	if (!iot_sdk_run((const gchar *const *)argv->pdata, env, &output, error))
		return NULL;
	return g_strchomp(output);
}

/**
 * iot_sdk_build_example:
 * @self: an install
 * @error: (nullable): return location for an error
 *
 * Builds examples/counter-endpoint with its own Makefile into a folder of
 * the install, finding the SDK through pkg-config only, warnings as errors.
 *
 * Returns: %TRUE when libiot-endpoint-counter.so was built
 */
gboolean
iot_sdk_build_example(IotSdkInstall *self, GError **error)
{
	g_autofree gchar *source =
	    g_build_filename(TEST_SOURCE_ROOT, "examples", "counter-endpoint", NULL);
	g_autofree gchar *builddir_arg = NULL;
	g_autofree gchar *env_path = g_strdup_printf("PKG_CONFIG_PATH=%s", self->pkg_config_path);
	const gchar *env[] = {env_path, NULL};

	if (g_mkdir_with_parents(self->example_dir, 0700) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "cannot create %s",
			    self->example_dir);
		return FALSE;
	}
	builddir_arg = g_strdup_printf("BUILDDIR=%s", self->example_dir);
	{
		const gchar *argv[] =
		    {"make", "-s", "-C", source, builddir_arg, "CFLAGS=-O2 -g -Werror", NULL};
		return iot_sdk_run(argv, env, NULL, error);
	}
}

static void
iot_sdk_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = NULL;
	const gchar *name;

	if (!g_file_test(path, G_FILE_TEST_IS_SYMLINK))
		dir = g_dir_open(path, 0, NULL);
	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			iot_sdk_remove_tree(child);
		}
	}
	g_remove(path);
}

void
iot_sdk_install_clear(IotSdkInstall *self)
{
	if (self->destdir != NULL)
		iot_sdk_remove_tree(self->destdir);
	g_clear_pointer(&self->destdir, g_free);
	g_clear_pointer(&self->prefix, g_free);
	g_clear_pointer(&self->libdir, g_free);
	g_clear_pointer(&self->pkg_config_path, g_free);
	g_clear_pointer(&self->plugindir, g_free);
	g_clear_pointer(&self->example_dir, g_free);
}
