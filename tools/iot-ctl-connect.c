/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunnelctl connect: stdin and stdout carried through a connection of a tunnel. */

#include "config.h"

#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <unistd.h>

#include "iot-ctl.h"

static void
iot_ctl_pipe_upstream_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotCtl *ctl = user_data;
	g_autoptr(GError) error = NULL;

	/*
	 * At the end of stdin the connection stays open: the tunnel protocol
	 * has no half-close, so shutting our side would reset the stream and
	 * lose the answer still on its way. It ends when the far side closes.
	 */
	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, &error) < 0) {
		g_printerr(_("iotunnelctl: cannot send: %s\n"), error->message);
		ctl->status = IOT_CTL_EXIT_FAILURE;
		g_main_loop_quit(ctl->loop);
	}
}

static void
iot_ctl_pipe_downstream_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotCtl *ctl = user_data;
	g_autoptr(GError) error = NULL;

	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, &error) < 0 &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
		g_printerr(_("iotunnelctl: cannot receive: %s\n"), error->message);
		ctl->status = IOT_CTL_EXIT_FAILURE;
	}
	g_main_loop_quit(ctl->loop);
}

/* a service of the tunnel when the user named none: its only one */
static gchar *
iot_ctl_only_service(IotDBusTunnel1 *tunnel, const gchar *name, GError **error)
{
	GVariant *services = iot_dbus_tunnel1_get_services(tunnel);
	const gchar *id = NULL;

	if (services == NULL || g_variant_n_children(services) != 1) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("tunnel %s has more than one service; name the one to connect to"),
			    name);
		return NULL;
	}
	g_variant_get_child(services, 0, "{&s&s}", &id, NULL);
	return g_strdup(id);
}

/* the socket the daemon handed over in @fd_list */
static GSocketConnection *
iot_ctl_socket_of(GUnixFDList *fd_list, GVariant *handle, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	gint fd;

	if (fd_list == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    _("no file descriptor came back"));
		return NULL;
	}
	fd = g_unix_fd_list_get(fd_list, g_variant_get_handle(handle), error);
	if (fd < 0)
		return NULL;
	socket = g_socket_new_from_fd(fd, error);
	if (socket == NULL) {
		close(fd);
		return NULL;
	}
	return g_socket_connection_factory_create_connection(socket);
}

gint
iot_ctl_connect(IotCtl *ctl, const gchar *const *args)
{
	const gchar *name = args[0];
	g_autoptr(GError) error = NULL;
	g_autoptr(GInputStream) in = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	g_autoptr(GOutputStream) out = g_unix_output_stream_new(STDOUT_FILENO, FALSE);
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	g_autoptr(GVariant) handle = NULL;
	g_autoptr(GUnixFDList) fd_list = NULL;
	g_autofree gchar *service = g_strdup(args[1]);

	tunnel = iot_ctl_tunnel_new(ctl, name, service == NULL, &error);
	if (tunnel == NULL)
		return iot_ctl_fail(ctl, error, name);
	if (service == NULL) {
		service = iot_ctl_only_service(tunnel, name, &error);
		if (service == NULL) {
			g_printerr("iotunnelctl: %s\n", error->message);
			return IOT_CTL_EXIT_FAILURE;
		}
	}
	if (!iot_dbus_tunnel1_call_open_connection_sync(tunnel,
							service,
							NULL,
							&handle,
							&fd_list,
							NULL,
							&error))
		return iot_ctl_fail(ctl, error, name);
	stream = iot_ctl_socket_of(fd_list, handle, &error);
	if (stream == NULL) {
		g_printerr(_("iotunnelctl: the daemon gave no usable socket: %s\n"),
			   error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	ctl->loop = g_main_loop_new(NULL, FALSE);
	g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(stream)),
				     in,
				     G_OUTPUT_STREAM_SPLICE_NONE,
				     G_PRIORITY_DEFAULT,
				     NULL,
				     iot_ctl_pipe_upstream_cb,
				     ctl);
	g_output_stream_splice_async(out,
				     g_io_stream_get_input_stream(G_IO_STREAM(stream)),
				     G_OUTPUT_STREAM_SPLICE_NONE,
				     G_PRIORITY_DEFAULT,
				     NULL,
				     iot_ctl_pipe_downstream_cb,
				     ctl);
	g_main_loop_run(ctl->loop);
	return ctl->status;
}
