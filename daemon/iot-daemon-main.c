/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "iot-cli.h"
#include "iot-daemon.h"
#include "iot-dbus-service.h"
#include "iot-log.h"

#define IOT_EXIT_FAILURE 1
#define IOT_EXIT_USAGE 2

typedef struct {
	GMainLoop *loop;
	IotDaemon *daemon;
	gboolean stopping;
} IotMain;

static gboolean
iot_main_signal_cb(gpointer user_data)
{
	IotMain *main_data = user_data;
	g_message("stopping on request");
	main_data->stopping = TRUE;
	iot_daemon_stop(main_data->daemon);
	g_main_loop_quit(main_data->loop);
	return G_SOURCE_CONTINUE;
}

static void
iot_main_daemon_changed_cb(IotDaemon *daemon, IotMain *main_data)
{
	if (iot_daemon_is_finished(daemon))
		g_main_loop_quit(main_data->loop);
}

static void
iot_main_list_plugins(IotPluginRegistry *registry)
{
	g_autoptr(GPtrArray) plugins = iot_plugin_registry_get_plugins(registry);
	GPtrArray *failures = iot_plugin_registry_get_failures(registry);

	for (guint i = 0; i < plugins->len; i++) {
		const IotPluginInfo *info = g_ptr_array_index(plugins, i);
		g_print("%-10s %-12s %-8s %s\n           %s\n",
			iot_plugin_kind_to_string(info->kind),
			info->name,
			info->version != NULL ? info->version : "",
			info->description != NULL ? info->description : "",
			iot_plugin_registry_get_path(registry, info));
	}
	for (guint i = 0; i < failures->len; i++) {
		const GError *error = g_ptr_array_index(failures, i);
		g_print(_("refused: %s\n"), error->message);
	}
}

static void
iot_main_usage_error(const gchar *message)
{
	g_printerr("iotunneld: %s\n", message);
	g_printerr(_("Try \"iotunneld --help\" for more information.\n"));
}

int
main(int argc, char *argv[])
{
	IotCliOptions cli = {0};
	g_autofree gchar *profile_path = NULL;
	gint verbosity = IOT_LOG_VERBOSITY_DEFAULT;
	gboolean version = FALSE;
	gboolean list_plugins = FALSE;
	gboolean bus_session = FALSE;
	gboolean bus_system = FALSE;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GOptionGroup) group_tunnel = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(IotPluginRegistry) registry = NULL;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(IotDaemon) daemon = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	IotMain main_data = {0};
	const GOptionEntry entries[] = {
	    {"profile",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &profile_path,
	     N_("Run the tunnels of a JSON profile"),
	     N_("FILE")},
	    {"verbose",
	     'v',
	     0,
	     G_OPTION_ARG_INT,
	     &verbosity,
	     N_("Log level: 0 off, 1 fatal, 2 error, 3 warn, 4 info (default), 5 debug, 6 trace"),
	     N_("0..6")},
	    {"list-plugins",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &list_plugins,
	     N_("List the loaded plugins and exit"),
	     NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL},
	    {"session",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &bus_session,
	     N_("Serve tunnels on the session bus (the default with no profile and no tunnel "
		"options)"),
	     NULL},
	    {"system",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &bus_system,
	     N_("Serve tunnels on the system bus"),
	     NULL},
	    {NULL},
	};
	const GOptionEntry entries_tunnel[] = {
	    {"access-token",
	     't',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.access_token,
	     N_("Access token (prefer AWSIOT_TUNNEL_ACCESS_TOKEN: the command line is visible to "
		"other users)"),
	     N_("TOKEN")},
	    {"proxy-endpoint",
	     'e',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.proxy_endpoint,
	     N_("Service endpoint host:port or URL (excludes -r)"),
	     N_("ENDPOINT")},
	    {"region",
	     'r',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.region,
	     N_("AWS region of the tunneling service (excludes -e)"),
	     N_("REGION")},
	    {"source-listen-port",
	     's',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.source_listen_port,
	     N_("Source mode: listen on PORT, or ID=PORT,ID=PORT"),
	     N_("PORTS")},
	    {"destination-app",
	     'd',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.destination_app,
	     N_("Destination mode: PORT, HOST:PORT, /path.sock, or ID=...,ID=..."),
	     N_("APPS")},
	    {"local-bind-address",
	     'b',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.local_bind_address,
	     N_("Local address to listen on (source) or connect from (destination)"),
	     N_("ADDRESS")},
	    {"capath",
	     'c',
	     0,
	     G_OPTION_ARG_FILENAME,
	     &cli.capath,
	     N_("Folder of CA certificates to trust besides the system's"),
	     N_("DIR")},
	    {"no-ssl-host-verify",
	     'k',
	     0,
	     G_OPTION_ARG_NONE,
	     &cli.no_ssl_host_verify,
	     N_("Do not verify the service's host name (tests only)"),
	     NULL},
	    {"mode",
	     'm',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.mode,
	     N_("src, source, dst or destination"),
	     N_("MODE")},
	    {"destination-client-type",
	     'y',
	     0,
	     G_OPTION_ARG_STRING,
	     &cli.destination_client_type,
	     N_("Speak V1 or V2 message rules to an older destination"),
	     N_("V1|V2")},
	    {NULL},
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     _("Local proxy for the secure-tunneling protocol: carries TCP "
				       "and Unix socket connections through a tunnel service."));
	g_option_context_set_description(
	    context,
	    _("Exit status: 0 when the tunnel was closed or on SIGTERM, "
	      "1 when the tunnel failed, 2 for usage errors.\n"));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	group_tunnel = g_option_group_new("tunnel",
					  _("Tunnel options (as the reference local proxy):"),
					  _("Show the tunnel options"),
					  NULL,
					  NULL);
	g_option_group_add_entries(group_tunnel, entries_tunnel);
	g_option_group_set_translation_domain(group_tunnel, GETTEXT_PACKAGE);
	g_option_context_add_group(context, g_steal_pointer(&group_tunnel));
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		iot_main_usage_error(error->message);
		return IOT_EXIT_USAGE;
	}
	if (version) {
		g_print("iotunneld %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (verbosity < 0 || verbosity > IOT_LOG_VERBOSITY_MAX) {
		iot_main_usage_error(_("-v/--verbose takes a level from 0 to 6."));
		return IOT_EXIT_USAGE;
	}
	iot_log_setup(verbosity);

	registry = iot_plugin_registry_new();
	iot_plugin_registry_load_default(registry);
	if (list_plugins) {
		iot_main_list_plugins(registry);
		return EXIT_SUCCESS;
	}

	if (bus_session || bus_system || (profile_path == NULL && !iot_cli_options_is_set(&cli))) {
		if (iot_cli_options_is_set(&cli) || (bus_session && bus_system)) {
			iot_cli_options_clear(&cli);
			iot_main_usage_error(_("--session and --system take no tunnel options, and "
					       "only one of them; add tunnels over D-Bus."));
			return IOT_EXIT_USAGE;
		}
		return iot_dbus_service_run(registry,
					    bus_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION,
					    profile_path);
	}
	if (profile_path != NULL && iot_cli_options_is_set(&cli)) {
		iot_main_usage_error(_("--profile cannot be combined with tunnel options; put "
				       "everything in the profile."));
		return IOT_EXIT_USAGE;
	}
	if (profile_path != NULL) {
		profile = iot_profile_new_from_file(profile_path, &error);
	} else {
		g_autoptr(JsonNode) node = iot_cli_options_to_profile(&cli, &error);
		if (node == NULL) {
			iot_main_usage_error(error->message);
			return IOT_EXIT_USAGE;
		}
		profile = iot_profile_new_from_json_node(node, _("command line"), &error);
	}
	iot_cli_options_clear(&cli);
	if (profile == NULL) {
		iot_main_usage_error(error->message);
		return IOT_EXIT_USAGE;
	}

	daemon = iot_daemon_new(registry);
	if (!iot_daemon_add_profile(daemon, profile, &error)) {
		g_printerr("iotunneld: %s\n", error->message);
		return IOT_EXIT_USAGE;
	}

	loop = g_main_loop_new(NULL, FALSE);
	main_data.loop = loop;
	main_data.daemon = daemon;
	g_unix_signal_add(SIGTERM, iot_main_signal_cb, &main_data);
	g_unix_signal_add(SIGINT, iot_main_signal_cb, &main_data);
	g_signal_connect(daemon, "changed", G_CALLBACK(iot_main_daemon_changed_cb), &main_data);
	iot_daemon_start(daemon);
	if (!iot_daemon_is_finished(daemon))
		g_main_loop_run(loop);

	if (main_data.stopping)
		return EXIT_SUCCESS;
	if (iot_daemon_has_failed(daemon)) {
		GPtrArray *tunnels = iot_daemon_get_tunnels(daemon);
		for (guint i = 0; i < tunnels->len; i++) {
			const GError *last =
			    iot_tunnel_get_last_error(g_ptr_array_index(tunnels, i));
			if (last != NULL)
				g_printerr("iotunneld: %s\n", last->message);
		}
		return IOT_EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
