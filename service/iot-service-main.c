/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "iot-service-aws-api.h"
#include "iot-service-cert.h"
#include "iot-service-common.h"
#include "iot-service-server.h"

/* how long a stop waits for the WebSockets to finish closing */
#define IOT_SERVICE_STOP_TIMEOUT_MS 2000

typedef struct {
	GMainLoop *loop;
	IotServiceServer *server;
	gboolean stopping;
	guint stop_timeout_id;
} IotServiceMain;

static gboolean
iot_service_main_stop_poll_cb(gpointer user_data)
{
	IotServiceMain *self = user_data;
	if (iot_service_server_get_n_peers(self->server) > 0)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(self->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
iot_service_main_stop_timeout_cb(gpointer user_data)
{
	IotServiceMain *self = user_data;
	self->stop_timeout_id = 0;
	g_main_loop_quit(self->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
iot_service_main_signal_cb(gpointer user_data)
{
	IotServiceMain *self = user_data;

	if (self->stopping)
		return G_SOURCE_CONTINUE;
	self->stopping = TRUE;
	g_message("stopping");
	iot_service_server_shutdown(self->server);
	g_timeout_add(50, iot_service_main_stop_poll_cb, self);
	self->stop_timeout_id =
	    g_timeout_add(IOT_SERVICE_STOP_TIMEOUT_MS, iot_service_main_stop_timeout_cb, self);
	return G_SOURCE_CONTINUE;
}

/* the admin token: from a file, else the environment, else one kept in the state folder */
static gchar *
iot_service_main_admin_token(const gchar *token_file,
			     const gchar *state_dir,
			     gchar **generated_file,
			     GError **error)
{
	g_autofree gchar *contents = NULL;
	g_autofree gchar *path = NULL;
	const gchar *env = g_getenv("IOTUNNEL_SERVICE_ADMIN_TOKEN");

	if (token_file != NULL) {
		if (!g_file_get_contents(token_file, &contents, NULL, error))
			return NULL;
		g_strstrip(contents);
		if (contents[0] == '\0') {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    _("%s is empty; write the admin token in it."),
				    token_file);
			return NULL;
		}
		return g_steal_pointer(&contents);
	}
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);

	path = g_build_filename(state_dir, "admin-token", NULL);
	if (g_file_get_contents(path, &contents, NULL, NULL)) {
		g_strstrip(contents);
		if (contents[0] != '\0') {
			*generated_file = g_steal_pointer(&path);
			return g_steal_pointer(&contents);
		}
		g_clear_pointer(&contents, g_free);
	}
	contents = iot_service_random_token(error);
	if (contents == NULL)
		return NULL;
	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    _("Cannot create %s: %s."),
			    state_dir,
			    g_strerror(errno));
		return NULL;
	}
	if (!g_file_set_contents_full(path,
				      contents,
				      -1,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      error))
		return NULL;
	*generated_file = g_steal_pointer(&path);
	return g_steal_pointer(&contents);
}

static GInetAddress *
iot_service_main_parse_address(const gchar *text, GError **error)
{
	GInetAddress *address;

	if (g_ascii_strcasecmp(text, "localhost") == 0)
		return g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	address = g_inet_address_new_from_string(text);
	if (address == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("--address %s is not an IP address; give one such as 127.0.0.1 or "
			      "::1."),
			    text);
	}
	return address;
}

/* an AWS region name, such as us-east-1 */
static gboolean
iot_service_main_region_is_valid(const gchar *region)
{
	gsize len = strlen(region);
	if (len == 0 || len > 64)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_islower(region[i]) && !g_ascii_isdigit(region[i]) && region[i] != '-')
			return FALSE;
	}
	return TRUE;
}

/* 12 digits, as AWS account IDs */
static gboolean
iot_service_main_account_is_valid(const gchar *account_id)
{
	if (strlen(account_id) != 12)
		return FALSE;
	for (gsize i = 0; i < 12; i++) {
		if (!g_ascii_isdigit(account_id[i]))
			return FALSE;
	}
	return TRUE;
}

int
main(int argc, char **argv)
{
	IotServiceMain self = {NULL};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) address = NULL;
	g_autoptr(IotServiceCert) cert = NULL;
	g_autoptr(IotServiceServer) server = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autofree gchar *opt_address = NULL;
	g_autofree gchar *opt_cert = NULL;
	g_autofree gchar *opt_key = NULL;
	g_autofree gchar *opt_state_dir = NULL;
	g_autofree gchar *tunnels_file = NULL;
	g_autofree gchar *opt_admin_token_file = NULL;
	g_autofree gchar *admin_token = NULL;
	g_autofree gchar *generated_token_file = NULL;
	g_autofree gchar *url = NULL;
	g_autofree gchar *opt_credentials = NULL;
	g_autofree gchar *opt_region = NULL;
	g_autofree gchar *opt_account_id = NULL;
	g_autoptr(IotServiceCredentials) credentials = NULL;
	gint opt_port = 8443;
	gboolean opt_plain = FALSE;
	gboolean opt_verbose = FALSE;
	gboolean opt_version = FALSE;
	const GOptionEntry entries[] = {
	    {"address",
	     'a',
	     0,
	     G_OPTION_ARG_STRING,
	     &opt_address,
	     N_("Address to listen on (default 127.0.0.1)"),
	     N_("ADDRESS")},
	    {"port",
	     'p',
	     0,
	     G_OPTION_ARG_INT,
	     &opt_port,
	     N_("Port to listen on, 0 to pick a free one (default 8443)"),
	     N_("PORT")},
	    {"cert",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &opt_cert,
	     N_("PEM certificate (chain) to serve; needs --key"),
	     N_("FILE")},
	    {"key",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &opt_key,
	     N_("PEM private key of --cert"),
	     N_("FILE")},
	    {"state-dir",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &opt_state_dir,
	     N_("Folder for the generated certificate and admin token "
		"(default $XDG_STATE_HOME/iotunnel-service)"),
	     N_("DIR")},
	    {"plain",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &opt_plain,
	     N_("Serve plain ws:// instead of wss:// (loopback only)"),
	     NULL},
	    {"admin-token-file",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &opt_admin_token_file,
	     N_("File holding the API's admin token"),
	     N_("FILE")},
	    {"credentials",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &opt_credentials,
	     N_("Serve the AWS IoT Secure Tunneling API to the access keys of this AWS "
		"shared-credentials file"),
	     N_("FILE")},
	    {"region",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &opt_region,
	     N_("Region the AWS API answers for (default us-east-1)"),
	     N_("REGION")},
	    {"account-id",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &opt_account_id,
	     N_("Account the AWS API's tunnel ARNs name (default 123456789012)"),
	     N_("ID")},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_("Log debug messages"), NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version"), NULL},
	    {NULL}};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	/* stdout carries only the machine-readable lines below */
	g_log_writer_default_set_use_stderr(TRUE);

	context = g_option_context_new(NULL);
	g_option_context_set_summary(
	    context,
	    _("A self-hosted secure-tunneling service for local development "
	      "and tests."));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("iotunnel-service: %s\n", error->message);
		return EXIT_FAILURE;
	}
	if (opt_version) {
		g_print("iotunnel-service %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	/* our debug lines only, unless G_MESSAGES_DEBUG asks for more */
	if (opt_verbose)
		g_setenv("G_MESSAGES_DEBUG", G_LOG_DOMAIN, FALSE);
	if (opt_port < 0 || opt_port > G_MAXUINT16) {
		g_printerr(_("iotunnel-service: --port %d is out of range; give 0 to 65535.\n"),
			   opt_port);
		return EXIT_FAILURE;
	}
	if ((opt_cert == NULL) != (opt_key == NULL)) {
		g_printerr(_("iotunnel-service: --cert and --key go together; give both or "
			     "neither.\n"));
		return EXIT_FAILURE;
	}
	if (opt_plain && opt_cert != NULL) {
		g_printerr(_("iotunnel-service: --plain serves ws:// without TLS; drop --cert "
			     "and --key, or --plain.\n"));
		return EXIT_FAILURE;
	}
	address =
	    iot_service_main_parse_address(opt_address != NULL ? opt_address : "127.0.0.1", &error);
	if (address == NULL) {
		g_printerr("iotunnel-service: %s\n", error->message);
		return EXIT_FAILURE;
	}
	if (opt_plain && !g_inet_address_get_is_loopback(address)) {
		g_printerr(_("iotunnel-service: --plain is only allowed on a loopback address; "
			     "use --address 127.0.0.1 or ::1, or drop --plain.\n"));
		return EXIT_FAILURE;
	}
	if (opt_credentials == NULL && (opt_region != NULL || opt_account_id != NULL)) {
		g_printerr(_("iotunnel-service: --region and --account-id are for the AWS API; "
			     "give --credentials too, or drop them.\n"));
		return EXIT_FAILURE;
	}
	if (opt_region != NULL && !iot_service_main_region_is_valid(opt_region)) {
		g_printerr(_("iotunnel-service: --region %s is not a region name; give one such "
			     "as us-east-1.\n"),
			   opt_region);
		return EXIT_FAILURE;
	}
	if (opt_account_id != NULL && !iot_service_main_account_is_valid(opt_account_id)) {
		g_printerr(_("iotunnel-service: --account-id %s is not 12 digits; give one such "
			     "as 123456789012.\n"),
			   opt_account_id);
		return EXIT_FAILURE;
	}
	if (opt_credentials != NULL) {
		credentials = iot_service_credentials_new_from_file(opt_credentials, &error);
		if (credentials == NULL) {
			g_printerr(_("iotunnel-service: cannot use --credentials: %s; write the "
				     "access keys as [default] with aws_access_key_id and "
				     "aws_secret_access_key.\n"),
				   error->message);
			return EXIT_FAILURE;
		}
	}
	if (opt_state_dir == NULL)
		opt_state_dir = g_build_filename(g_get_user_state_dir(), "iotunnel-service", NULL);

	admin_token = iot_service_main_admin_token(opt_admin_token_file,
						   opt_state_dir,
						   &generated_token_file,
						   &error);
	if (admin_token == NULL) {
		g_printerr(_("iotunnel-service: cannot get the admin token: %s\n"), error->message);
		return EXIT_FAILURE;
	}
	if (opt_cert != NULL) {
		cert = iot_service_cert_new_from_files(opt_cert, opt_key, &error);
	} else if (!opt_plain) {
		cert = iot_service_cert_new_self_signed(opt_state_dir, address, &error);
	}
	if (cert == NULL && !opt_plain) {
		g_printerr(_("iotunnel-service: no TLS certificate: %s\n"), error->message);
		return EXIT_FAILURE;
	}

	server = iot_service_server_new(cert, admin_token);
	if (credentials != NULL)
		iot_service_server_enable_aws_api(server,
						  credentials,
						  opt_region != NULL ? opt_region : "us-east-1",
						  opt_account_id != NULL
						      ? opt_account_id
						      : IOT_SERVICE_AWS_API_DEFAULT_ACCOUNT);
	tunnels_file = g_build_filename(opt_state_dir, "tunnels.json", NULL);
	if (g_mkdir_with_parents(opt_state_dir, 0700) != 0) {
		g_printerr(_("iotunnel-service: cannot create %s: %s; give another --state-dir.\n"),
			   opt_state_dir,
			   g_strerror(errno));
		return EXIT_FAILURE;
	}
	if (!iot_service_server_keep_tunnels(server, tunnels_file, &error)) {
		g_printerr(_("iotunnel-service: cannot restore the open tunnels: %s; move the file "
			     "away to start without them.\n"),
			   error->message);
		return EXIT_FAILURE;
	}
	if (!iot_service_server_listen(server, address, opt_port, &error)) {
		g_printerr(_("iotunnel-service: %s; pick another --address or --port.\n"),
			   error->message);
		return EXIT_FAILURE;
	}
	url = iot_service_server_get_url(server);

	/* before the port is printed: whoever reads it may stop us at once */
	loop = g_main_loop_new(NULL, FALSE);
	self.loop = loop;
	self.server = server;
	g_unix_signal_add(SIGTERM, iot_service_main_signal_cb, &self);
	g_unix_signal_add(SIGINT, iot_service_main_signal_cb, &self);

	/* machine-readable: tests and scripts read the port from here */
	if (cert != NULL && iot_service_cert_get_ca_file(cert) != NULL) {
		g_print("ca-file %s\n", iot_service_cert_get_ca_file(cert));
		g_print("ca-dir %s\n", iot_service_cert_get_ca_dir(cert));
	}
	if (generated_token_file != NULL)
		g_print("admin-token-file %s\n", generated_token_file);
	if (credentials != NULL)
		g_print("aws-endpoint-url %s%s\n",
			cert != NULL ? "https" : "http",
			strchr(url, ':'));
	g_print("listening %s\n", url);
	fflush(stdout);
	g_message("listening on %s", url);

	g_main_loop_run(loop);
	g_clear_handle_id(&self.stop_timeout_id, g_source_remove);
	return EXIT_SUCCESS;
}
