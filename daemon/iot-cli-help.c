/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-help.h"

#include <glib/gi18n.h>
#include <string.h>

/*
 * --help, built from the option table so that it always lists every option.
 * doc/iotunneld.8 holds the same text, and tests/cli checks that it does.
 */

/* how far descriptions are indented under their option */
#define IOT_CLI_HELP_INDENT 8

/**
 * iot_cli_help_option_spec:
 * @info: an option
 *
 * Returns: (transfer full): how --help writes the option: "-t, --access-token=TOKEN",
 * or "    --config=FILE" when it has no short name
 */
gchar *
iot_cli_help_option_spec(const IotCliOptionInfo *info)
{
	GString *spec = g_string_new(NULL);

	if (info->short_name != 0)
		g_string_append_printf(spec, "-%c, ", info->short_name);
	else
		g_string_append(spec, "    ");
	g_string_append_printf(spec, "--%s", info->long_name);
	if (info->arg != NULL)
		g_string_append_printf(spec, "=%s", _(info->arg));
	return g_string_free(spec, FALSE);
}

/**
 * iot_cli_help_group_title:
 * @group: a section of --help
 *
 * Returns: the section's title, translated
 */
const gchar *
iot_cli_help_group_title(IotCliGroup group)
{
	switch (group) {
	case IOT_CLI_GROUP_TUNNEL:
		return _("Tunnel options, as the reference local proxy takes them");
	case IOT_CLI_GROUP_FILES:
		return _("Configuration files");
	case IOT_CLI_GROUP_PROGRAM:
	case IOT_CLI_GROUP_LAST:
	default:
		return _("Program options");
	}
}

/* appends @text wrapped at IOT_CLI_HELP_WIDTH, every line indented by @indent */
static void
iot_cli_help_append_wrapped(GString *out, const gchar *text, guint indent)
{
	g_auto(GStrv) words = g_strsplit(text, " ", -1);
	guint column = 0;

	for (guint i = 0; words[i] != NULL; i++) {
		guint len = g_utf8_strlen(words[i], -1);
		if (words[i][0] == '\0')
			continue;
		if (column > indent && column + 1 + len > IOT_CLI_HELP_WIDTH) {
			g_string_append_c(out, '\n');
			column = 0;
		}
		if (column == 0) {
			for (guint j = 0; j < indent; j++)
				g_string_append_c(out, ' ');
			column = indent;
		} else {
			g_string_append_c(out, ' ');
			column++;
		}
		g_string_append(out, words[i]);
		column += len;
	}
	g_string_append_c(out, '\n');
}

/**
 * iot_cli_help_text:
 *
 * Returns: (transfer full): the whole --help text: every option, by section,
 * then the environment, the settings and the exit status
 */
gchar *
iot_cli_help_text(void)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, _("Usage: %s [OPTION...]\n\n"), "iotunneld");
	iot_cli_help_append_wrapped(
	    out,
	    _("Local proxy for the secure-tunneling protocol: carries TCP and Unix socket "
	      "connections through a tunnel service. It takes the reference local proxy's options, "
	      "files and environment, and is installed as localproxy too."),
	    0);
	for (guint group = 0; group < IOT_CLI_GROUP_LAST; group++) {
		g_string_append_printf(out, "\n%s:\n", iot_cli_help_group_title(group));
		for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
			const IotCliOptionInfo *info = iot_cli_option_get_info(i);
			g_autofree gchar *spec = NULL;
			if (info->group != group)
				continue;
			spec = iot_cli_help_option_spec(info);
			g_string_append_printf(out, "  %s\n", spec);
			iot_cli_help_append_wrapped(out, _(info->description), IOT_CLI_HELP_INDENT);
		}
	}
	g_string_append_c(out, '\n');
	iot_cli_help_append_wrapped(
	    out,
	    _("Environment: AWSIOT_TUNNEL_ACCESS_TOKEN, AWSIOT_TUNNEL_CLIENT_TOKEN, "
	      "AWSIOT_TUNNEL_REGION and AWSIOT_TUNNEL_ENDPOINT stand for -t, -i, -r and -e, below "
	      "the command line and the --config file. https_proxy, else HTTPS_PROXY, names a web "
	      "proxy (http://[USER:PASSWORD@]HOST:PORT), and NO_PROXY the hosts reached without "
	      "it."),
	    0);
	g_string_append_c(out, '\n');
	iot_cli_help_append_wrapped(
	    out,
	    _("Settings: --settings-json honours tunneling.proxy.default_bind_address, "
	      "endpoint_format, region_endpoint_overrides, tcp.connection_retry_count, "
	      "tcp.connection_retry_delay_ms, tcp.max_active_connections, websocket.ping_period_ms "
	      "and websocket.subprotocol. It accepts the other settings of the reference "
	      "(message.*, tcp.read_buffer_size, tcp.write_buffer_size, websocket.retry_delay_ms, "
	      "websocket.connect_retry_count, websocket.reconnect_on_data_error, "
	      "websocket.max_frame_size, websocket.read_buffer_size and "
	      "websocket.write_buffer_size), which have no effect."),
	    0);
	g_string_append_c(out, '\n');
	iot_cli_help_append_wrapped(out,
				    _("Exit status: 0 when the tunnel was closed or on SIGTERM or "
				      "SIGINT, 1 when the tunnel failed, 2 for usage errors."),
				    0);
	return g_string_free(out, FALSE);
}
