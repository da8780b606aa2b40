/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <sys/resource.h>

#include "iot-cli.h"
#include "iot-daemon.h"
#include "iot-dbus-service.h"
#include "iot-log.h"
#include "iot-memory-trim.h"

#define IOT_EXIT_FAILURE 1

typedef struct {
	GMainLoop *loop;
	IotDaemon *daemon;
	gboolean stopping;
} IotMain;

static void
iot_main_stopped_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotMain *main_data = user_data;

	iot_daemon_stop_finish(IOT_DAEMON(source), result);
	g_main_loop_quit(main_data->loop);
}

static gboolean
iot_main_signal_cb(gpointer user_data)
{
	IotMain *main_data = user_data;

	if (main_data->stopping)
		return G_SOURCE_CONTINUE;
	g_message("stopping on request");
	main_data->stopping = TRUE;
	/* the service should see the normal close, not a dropped connection */
	iot_daemon_stop_async(main_data->daemon,
			      IOT_DAEMON_CLOSE_TIMEOUT_MS,
			      iot_main_stopped_cb,
			      main_data);
	return G_SOURCE_CONTINUE;
}

static void
iot_main_daemon_changed_cb(IotDaemon *daemon, IotMain *main_data)
{
	if (iot_daemon_is_finished(daemon) && !main_data->stopping)
		g_main_loop_quit(main_data->loop);
}

/*
 * Raises the soft limit of open files to the hard one: every connection
 * takes descriptors, and the soft default (1024) is the first thing a busy
 * tunnel runs into.
 */
static void
iot_main_raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
		return;
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
		g_debug("cannot raise the open file limit to %" G_GUINT64_FORMAT ": %s",
			(guint64)limit.rlim_max,
			g_strerror(errno));
}

/* --list-plugins: none found is a broken installation, said as such */
static gint
iot_main_list_plugins(IotPluginRegistry *registry, guint loaded)
{
	g_autofree gchar *text = iot_plugin_registry_describe(registry);
	g_auto(GStrv) folders = NULL;
	g_autofree gchar *joined = NULL;

	if (loaded > 0) {
		g_print("%s", text);
		return EXIT_SUCCESS;
	}
	/* the refused ones, with why, come first */
	g_printerr("%s", text);
	folders = iot_plugin_registry_dup_search_path();
	joined = g_strjoinv(", ", folders);
	g_printerr(_("iotunneld: No plugins were found in %s; install them there, or set "
		     "IOTUNNEL_PLUGIN_PATH to the folders that hold them.\n"),
		   joined);
	return IOT_EXIT_FAILURE;
}

/* a tunnel failed on what its profile names (a token file, a variable): a usage error */
static gboolean
iot_main_failed_on_profile(IotDaemon *daemon)
{
	GPtrArray *tunnels = iot_daemon_get_tunnels(daemon);

	for (guint i = 0; i < tunnels->len; i++) {
		IotTunnel *tunnel = g_ptr_array_index(tunnels, i);
		const GError *last = iot_tunnel_get_last_error(tunnel);
		if (iot_tunnel_get_state(tunnel) == IOT_TUNNEL_STATE_FAILED && last != NULL &&
		    last->domain == IOT_PROFILE_ERROR)
			return TRUE;
	}
	return FALSE;
}

int
main(int argc, char *argv[])
{
	g_autoptr(IotPluginRegistry) registry = NULL;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(IotDaemon) daemon = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GError) error = NULL;
	IotMain main_data = {0};
	IotCliNext next;
	GBusType bus_type = G_BUS_TYPE_SESSION;
	g_autofree gchar *bus_profile_path = NULL;
	gint exit_status = EXIT_SUCCESS;
	guint loaded;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	/* the same program, and the same messages, when run as localproxy */
	g_set_prgname("iotunneld");

	next =
	    iot_cli_handle_args(argc, argv, &profile, &bus_type, &bus_profile_path, &exit_status);
	if (next == IOT_CLI_NEXT_EXIT)
		return exit_status;
	iot_main_raise_fd_limit();
	iot_memory_trim_start();
	registry = iot_plugin_registry_new();
	loaded = iot_plugin_registry_load_default(registry);
	if (next == IOT_CLI_NEXT_LIST_PLUGINS)
		return iot_main_list_plugins(registry, loaded);
	if (next == IOT_CLI_NEXT_BUS)
		return iot_dbus_service_run(registry, bus_type, bus_profile_path);

	daemon = iot_daemon_new(registry);
	if (!iot_daemon_add_profile(daemon, profile, &error)) {
		g_printerr("iotunneld: %s\n", error->message);
		return IOT_CLI_EXIT_USAGE;
	}

	loop = g_main_loop_new(NULL, FALSE);
	main_data.loop = loop;
	main_data.daemon = daemon;
	g_unix_signal_add(SIGTERM, iot_main_signal_cb, &main_data);
	g_unix_signal_add(SIGINT, iot_main_signal_cb, &main_data);
	iot_log_watch_hangup();
	g_signal_connect(daemon, "changed", G_CALLBACK(iot_main_daemon_changed_cb), &main_data);
	iot_daemon_start(daemon);
	if (!iot_daemon_is_finished(daemon))
		g_main_loop_run(loop);

	if (main_data.stopping)
		return EXIT_SUCCESS;
	/* why the tunnels ended: refused, given up, or closed by the service */
	for (guint i = 0; i < iot_daemon_get_tunnels(daemon)->len; i++) {
		const GError *last =
		    iot_tunnel_get_last_error(g_ptr_array_index(iot_daemon_get_tunnels(daemon), i));
		if (last != NULL)
			g_printerr("iotunneld: %s\n", last->message);
	}
	if (!iot_daemon_has_failed(daemon))
		return EXIT_SUCCESS;
	return iot_main_failed_on_profile(daemon) ? IOT_CLI_EXIT_USAGE : IOT_EXIT_FAILURE;
}
