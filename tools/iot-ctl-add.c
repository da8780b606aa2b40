/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunnelctl add, remove, start and stop: the commands that change the daemon's tunnels. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "iot-ctl.h"

/* a profile file read for `add` */
#define IOT_CTL_PROFILE_MAX (1024 * 1024)

/* a pipe that already holds @value and is closed for writing: a token by fd */
static gint
iot_ctl_pipe_with(const gchar *value, GError **error)
{
	gint fds[2];
	gsize len = strlen(value);

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
		return -1;
	/* a token is at most a few KiB, far below a pipe's capacity: this never blocks */
	if (write(fds[1], value, len) != (gssize)len) {
		gint errsv = errno;
		close(fds[0]);
		close(fds[1]);
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "cannot write the token into a pipe: %s",
			    g_strerror(errsv));
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

/* a file the user named, open for reading, or one sentence saying why not */
static gint
iot_ctl_open_file(const gchar *file, GError **error)
{
	gint fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		gint errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    _("%s cannot be read (%s); check the path and its permissions"),
			    file,
			    g_strerror(errsv));
	}
	return fd;
}

/* adds "KEY-fd" to @options: the token of a file or of a variable, by fd */
static gboolean
iot_ctl_add_token(GVariantBuilder *options,
		  GUnixFDList *fd_list,
		  const gchar *key,
		  const gchar *file,
		  const gchar *env,
		  GError **error)
{
	g_autofree gchar *key_fd = g_strdup_printf("%s-fd", key);
	gint fd = -1;
	gint index;

	if (file != NULL && env != NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("give the %s from a file or from a variable, not both"),
			    key);
		return FALSE;
	}
	if (file != NULL) {
		fd = iot_ctl_open_file(file, error);
		if (fd < 0)
			return FALSE;
	} else if (env != NULL) {
		const gchar *value = g_getenv(env);
		if (value == NULL || value[0] == '\0') {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_NOT_FOUND,
				    _("the variable %s is not set; export the token in it"),
				    env);
			return FALSE;
		}
		fd = iot_ctl_pipe_with(value, error);
		if (fd < 0)
			return FALSE;
	} else {
		return TRUE;
	}
	index = g_unix_fd_list_append(fd_list, fd, error);
	close(fd);
	if (index < 0)
		return FALSE;
	g_variant_builder_add(options, "{sv}", key_fd, g_variant_new_handle(index));
	return TRUE;
}

static gchar *
iot_ctl_read_profile(const gchar *file, gsize *len, GError **error)
{
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[16384];

	if (g_strcmp0(file, "-") == 0) {
		stream = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	} else {
		gint fd = iot_ctl_open_file(file, error);
		if (fd < 0)
			return NULL;
		stream = g_unix_input_stream_new(fd, TRUE);
	}
	for (;;) {
		gssize n = g_input_stream_read(stream, chunk, sizeof(chunk), NULL, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
		if (buf->len > IOT_CTL_PROFILE_MAX) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    _("%s is larger than 1 MiB; give a profile of at most 1 MiB"),
				    file);
			return NULL;
		}
	}
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

gint
iot_ctl_add(IotCtl *ctl, const gchar *const *args)
{
	const gchar *file = args[0];
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
	g_autoptr(IotDBusManager1) manager = NULL;
	g_autofree gchar *profile = NULL;
	g_auto(GStrv) paths = NULL;
	g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	gsize len = 0;

	profile = iot_ctl_read_profile(file, &len, &error);
	if (profile == NULL) {
		g_printerr("iotunnelctl: %s\n", error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (memchr(profile, '\0', len) != NULL || !g_utf8_validate(profile, (gssize)len, NULL)) {
		g_printerr(_("iotunnelctl: %s is not UTF-8 text; give a JSON profile.\n"), file);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (!iot_ctl_add_token(&options,
			       fd_list,
			       "access-token",
			       ctl->access_token_file,
			       ctl->access_token_env,
			       &error) ||
	    !iot_ctl_add_token(&options,
			       fd_list,
			       "client-token",
			       ctl->client_token_file,
			       ctl->client_token_env,
			       &error)) {
		g_printerr("iotunnelctl: %s\n", error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	g_variant_builder_add(&options, "{sv}", "persist", g_variant_new_boolean(ctl->persist));
	g_variant_builder_add(&options, "{sv}", "start", g_variant_new_boolean(ctl->start));
	g_variant_builder_add(&options,
			      "{sv}",
			      "origin",
			      g_variant_new_string(g_strcmp0(file, "-") == 0 ? _("stdin") : file));
	manager = iot_ctl_manager_new(ctl, &error);
	if (manager == NULL ||
	    !iot_dbus_manager1_call_add_profile_sync(manager,
						     profile,
						     g_variant_builder_end(&options),
						     fd_list,
						     &paths,
						     NULL,
						     NULL,
						     &error))
		return iot_ctl_fail(ctl, error, NULL);
	for (guint i = 0; paths[i] != NULL; i++)
		g_print("%s\n", paths[i]);
	return EXIT_SUCCESS;
}

gint
iot_ctl_remove(IotCtl *ctl, const gchar *const *args)
{
	const gchar *name = args[0];
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusManager1) manager = iot_ctl_manager_new(ctl, &error);
	g_autofree gchar *path = iot_dbus_tunnel_path(name);

	if (manager != NULL &&
	    iot_dbus_manager1_call_remove_tunnel_sync(manager, path, NULL, &error))
		return EXIT_SUCCESS;
	if (g_dbus_error_is_remote_error(error)) {
		g_autofree gchar *remote = g_dbus_error_get_remote_error(error);
		if (g_strcmp0(remote, "org.iotunnel.Error.NotFound") == 0) {
			iot_ctl_print_no_tunnel(name);
			return IOT_CTL_EXIT_FAILURE;
		}
	}
	return iot_ctl_fail(ctl, error, name);
}

gint
iot_ctl_start(IotCtl *ctl, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_new(ctl, args[0], FALSE, &error);

	if (tunnel == NULL || !iot_dbus_tunnel1_call_start_sync(tunnel, NULL, &error))
		return iot_ctl_fail(ctl, error, args[0]);
	return EXIT_SUCCESS;
}

gint
iot_ctl_stop(IotCtl *ctl, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_new(ctl, args[0], FALSE, &error);

	if (tunnel == NULL || !iot_dbus_tunnel1_call_stop_sync(tunnel, NULL, &error))
		return iot_ctl_fail(ctl, error, args[0]);
	return EXIT_SUCCESS;
}
