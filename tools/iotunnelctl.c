/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunnelctl: its options and commands, each handed to the file that does its work. */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>

#include "iot-ctl.h"

/* the commands, with how many arguments each takes */
typedef struct {
	const gchar *name;
	gint min;
	gint max;
	const gchar *usage;
	IotCtlRunFunc run;
} IotCtlCommand;

static const IotCtlCommand iot_ctl_commands[] = {
    {"list", 0, 0, N_("iotunnelctl list"), iot_ctl_list},
    {"show", 1, 1, N_("iotunnelctl show TUNNEL"), iot_ctl_show},
    {"add", 1, 1, N_("iotunnelctl add FILE"), iot_ctl_add},
    {"remove", 1, 1, N_("iotunnelctl remove TUNNEL"), iot_ctl_remove},
    {"start", 1, 1, N_("iotunnelctl start TUNNEL"), iot_ctl_start},
    {"stop", 1, 1, N_("iotunnelctl stop TUNNEL"), iot_ctl_stop},
    {"connect", 1, 2, N_("iotunnelctl connect TUNNEL [SERVICE]"), iot_ctl_connect},
    {"monitor", 0, 1, N_("iotunnelctl monitor [TUNNEL]"), iot_ctl_monitor},
    {"info", 0, 0, N_("iotunnelctl info"), iot_ctl_info},
};

/* checked before the bus is asked anything, so that a typo is told as one */
static gboolean
iot_ctl_check_args(const IotCtlCommand *command, gint argc)
{
	g_autofree gchar *message = NULL;

	if (argc - 2 >= command->min && argc - 2 <= command->max)
		return TRUE;
	message = g_strdup_printf(argc - 2 < command->min
				      ? _("%s needs more arguments; use it as \"%s\".")
				      : _("%s takes fewer arguments; use it as \"%s\"."),
				  command->name,
				  _(command->usage));
	iot_ctl_usage_error(message);
	return FALSE;
}

int
main(int argc, char *argv[])
{
	IotCtl ctl = {.bus_type = G_BUS_TYPE_SESSION};
	gboolean system = FALSE;
	gboolean session = FALSE;
	gboolean version = FALSE;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *command;
	const IotCtlCommand *found = NULL;
	gint status;
	const GOptionEntry entries[] = {
	    {"system",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &system,
	     N_("Talk to the daemon on the system bus"),
	     NULL},
	    {"session",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &session,
	     N_("Talk to the daemon on the session bus (the default)"),
	     NULL},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, N_("Print JSON, for scripts"), NULL},
	    {"persist",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &ctl.persist,
	     N_("add: keep the tunnels when the daemon restarts"),
	     NULL},
	    {"start", 0, 0, G_OPTION_ARG_NONE, &ctl.start, N_("add: start the tunnels"), NULL},
	    {"access-token-file",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &ctl.access_token_file,
	     N_("add: pass the access token in FILE to the daemon"),
	     N_("FILE")},
	    {"access-token-env",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &ctl.access_token_env,
	     N_("add: pass the access token in variable NAME to the daemon"),
	     N_("NAME")},
	    {"client-token-file",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &ctl.client_token_file,
	     N_("add: pass the client token in FILE to the daemon"),
	     N_("FILE")},
	    {"client-token-env",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &ctl.client_token_env,
	     N_("add: pass the client token in variable NAME to the daemon"),
	     N_("NAME")},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL},
	    {NULL},
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	/* a reader that went away ends `connect` with an error, not a signal */
	signal(SIGPIPE, SIG_IGN);

	context = g_option_context_new(_("COMMAND [ARGUMENTS]"));
	g_option_context_set_summary(context, _("Manage the tunnels of iotunneld over D-Bus."));
	g_option_context_set_description(
	    context,
	    _("Commands:\n"
	      "  list                     List the tunnels\n"
	      "  show TUNNEL              Show a tunnel's state and counters\n"
	      "  add FILE                 Add the tunnels of a profile (\"-\" for stdin)\n"
	      "  remove TUNNEL            Stop and remove a tunnel\n"
	      "  start TUNNEL             Start a tunnel\n"
	      "  stop TUNNEL              Stop a tunnel\n"
	      "  connect TUNNEL [SERVICE] Carry stdin and stdout through the tunnel to SERVICE\n"
	      "  monitor [TUNNEL]         Print state changes and connections as they happen\n"
	      "  info                     Show the daemon's version and plugins\n"
	      "\n"
	      "Tokens are never put on the command line: --access-token-file and\n"
	      "--access-token-env hand them to the daemon through a file descriptor.\n"
	      "\n"
	      "Example: ssh -o ProxyCommand='iotunnelctl connect mydevice SSH1' user@mydevice\n"));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		iot_ctl_usage_error(error->message);
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (version) {
		g_print("iotunnelctl %s\n", PACKAGE_VERSION);
		iot_ctl_clear(&ctl);
		return EXIT_SUCCESS;
	}
	if (system && session) {
		iot_ctl_usage_error(_("--system and --session exclude each other."));
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (argc < 2) {
		iot_ctl_usage_error(_("Name a command, such as \"list\"."));
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (system)
		ctl.bus_type = G_BUS_TYPE_SYSTEM;
	command = argv[1];
	for (guint i = 0; i < G_N_ELEMENTS(iot_ctl_commands) && found == NULL; i++) {
		if (g_strcmp0(iot_ctl_commands[i].name, command) == 0)
			found = &iot_ctl_commands[i];
	}
	if (found == NULL) {
		g_autofree gchar *message = g_strdup_printf(_("Unknown command \"%s\"."), command);
		iot_ctl_usage_error(message);
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (!iot_ctl_check_args(found, argc)) {
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (!iot_ctl_connect_bus(&ctl)) {
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_FAILURE;
	}

	status = found->run(&ctl, (const gchar *const *)argv + 2);
	iot_ctl_clear(&ctl);
	return status;
}
