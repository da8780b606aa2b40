/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The project installed with `meson install --destdir` into a fresh
 * temporary folder, and the example endpoint built against that install with
 * its Makefile and pkg-config only.
 */
typedef struct {
	gchar *destdir;
	gchar *prefix;		/* destdir + the configured prefix */
	gchar *libdir;		/* destdir + prefix + libdir */
	gchar *pkg_config_path; /* where iotunnel-1.pc was installed */
	gchar *plugindir;	/* as iotunnel-1.pc gives it */
	gchar *example_dir;	/* where the example's .so was built */
} IotSdkInstall;

gboolean
iot_sdk_run(const gchar *const *argv, const gchar *const *env_extra, gchar **output, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_sdk_prepare(IotSdkInstall *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_sdk_install(IotSdkInstall *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_sdk_pkg_config(IotSdkInstall *self, const gchar *const *args, GError **error);
gboolean
iot_sdk_build_example(IotSdkInstall *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_sdk_install_clear(IotSdkInstall *self);

G_END_DECLS
