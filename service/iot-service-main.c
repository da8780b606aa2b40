/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "iot-service-aws-api.h"
#include "iot-service-cert.h"
#include "iot-service-common.h"
#include "iot-service-server.h"
#include "iot-small-file.h"

/* the most bytes an admin token file may hold */
#define IOT_SERVICE_ADMIN_TOKEN_FILE_MAX 8192

/* how long a stop waits for the WebSockets to finish closing */
#define IOT_SERVICE_STOP_TIMEOUT_MS 2000

/* descriptors kept out of the connections' budget, for everything else */
#define IOT_SERVICE_RESERVED_FDS 64

/* the default limits (doc/iotunnel-service.md) */
#define IOT_SERVICE_DEFAULT_HANDSHAKE_TIMEOUT 10
#define IOT_SERVICE_DEFAULT_MAX_HANDSHAKES 256
#define IOT_SERVICE_DEFAULT_MAX_CONNECTIONS_CAP 65536
#define IOT_SERVICE_DEFAULT_STALL_TIMEOUT 60

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

	/* a second signal does not wait for anyone */
	if (self->stopping) {
		g_main_loop_quit(self->loop);
		return G_SOURCE_CONTINUE;
	}
	self->stopping = TRUE;
	g_message("stopping");
	iot_service_server_shutdown(self->server);
	g_timeout_add(50, iot_service_main_stop_poll_cb, self);
	self->stop_timeout_id =
	    g_timeout_add(IOT_SERVICE_STOP_TIMEOUT_MS, iot_service_main_stop_timeout_cb, self);
	return G_SOURCE_CONTINUE;
}

/* raises the soft limit of open files to the hard one; returns the limit */
static guint
iot_service_main_raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		return 1024;
	if (limit.rlim_cur < limit.rlim_max) {
		struct rlimit raised = {limit.rlim_max, limit.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			limit = raised;
	}
	return limit.rlim_cur > G_MAXUINT ? G_MAXUINT : (guint)limit.rlim_cur;
}

/* the connections the descriptors allow, with some kept for everything else */
static guint
iot_service_main_connection_budget(guint fd_limit)
{
	guint budget = fd_limit > 2 * IOT_SERVICE_RESERVED_FDS ? fd_limit - IOT_SERVICE_RESERVED_FDS
							       : fd_limit / 2;
	return MIN(budget, IOT_SERVICE_DEFAULT_MAX_CONNECTIONS_CAP);
}

/*
 * Makes the state folder if needed, and refuses one that others may write
 * in: it holds the admin token and the TLS key, and any file in it may have
 * been put there by someone else.
 */
static gboolean
iot_service_main_check_state_dir(const gchar *state_dir, GError **error)
{
	GStatBuf st;

	if (g_mkdir_with_parents(state_dir, 0700) != 0 || g_stat(state_dir, &st) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    _("Cannot create %s: %s; give another --state-dir."),
			    state_dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_NOT_DIRECTORY,
			    _("%s is not a folder; give a folder with --state-dir."),
			    state_dir);
		return FALSE;
	}
	if (st.st_uid != geteuid()) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_PERMISSION_DENIED,
			    _("%s belongs to another user; give a folder of your own with "
			      "--state-dir."),
			    state_dir);
		return FALSE;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_PERMISSION_DENIED,
			    _("%s may be written by others (mode %04o); check what it holds and "
			      "make it private (chmod 700), or give another --state-dir."),
			    state_dir,
			    (guint)(st.st_mode & 07777));
		return FALSE;
	}
	return TRUE;
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
		g_autoptr(IotSmallFileSecret) bytes = NULL;
		g_autoptr(GError) error_local = NULL;

		bytes = iot_small_file_read(token_file,
					    IOT_SERVICE_ADMIN_TOKEN_FILE_MAX,
					    IOT_SMALL_FILE_TEXT | IOT_SMALL_FILE_SECRET |
						IOT_SMALL_FILE_NOT_WORLD_WRITABLE,
					    &error_local);
		if (bytes == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    _("%s: the admin token file cannot be used (%s); give a file "
				      "that holds only the token."),
				    token_file,
				    error_local->message);
			return NULL;
		}
		contents = g_strdup(g_bytes_get_data(bytes, NULL));
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
	gint opt_handshake_timeout = IOT_SERVICE_DEFAULT_HANDSHAKE_TIMEOUT;
	gint opt_max_handshakes = IOT_SERVICE_DEFAULT_MAX_HANDSHAKES;
	gint opt_max_connections = 0;
	gint opt_stall_timeout = IOT_SERVICE_DEFAULT_STALL_TIMEOUT;
	IotServiceLimits limits = {0};
	guint fd_limit;
	guint budget;
	GSource *signal_source;
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
	    {"handshake-timeout",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &opt_handshake_timeout,
	     N_("Seconds a new connection has to send its request (default 10)"),
	     N_("SECONDS")},
	    {"max-handshakes",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &opt_max_handshakes,
	     N_("Connections in their handshake at once; a new one closes the oldest "
		"(default 256)"),
	     N_("N")},
	    {"max-connections",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &opt_max_connections,
	     N_("Connections open at once, WebSockets included (default: the open-file limit "
		"less 64)"),
	     N_("N")},
	    {"stall-timeout",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &opt_stall_timeout,
	     N_("Seconds a proxy may leave what waits for it unread before it is cut off "
		"(default 60)"),
	     N_("SECONDS")},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_("Log debug messages"), NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version"), NULL},
	    {NULL}};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	/* stdout carries only the machine-readable lines below */
	g_log_writer_default_set_use_stderr(TRUE);
	g_log_set_writer_func(iot_service_log_writer, NULL, NULL);

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
	if (opt_handshake_timeout < 1 || opt_handshake_timeout > 3600) {
		g_printerr(_("iotunnel-service: --handshake-timeout %d is out of range; give 1 to "
			     "3600 seconds.\n"),
			   opt_handshake_timeout);
		return EXIT_FAILURE;
	}
	if (opt_stall_timeout < 1 || opt_stall_timeout > 86400) {
		g_printerr(_("iotunnel-service: --stall-timeout %d is out of range; give 1 to "
			     "86400 seconds.\n"),
			   opt_stall_timeout);
		return EXIT_FAILURE;
	}
	if (opt_max_handshakes < 1) {
		g_printerr(_("iotunnel-service: --max-handshakes %d is out of range; give 1 or "
			     "more.\n"),
			   opt_max_handshakes);
		return EXIT_FAILURE;
	}
	if (opt_max_connections < 0 || (opt_max_connections > 0 && opt_max_connections < 2)) {
		g_printerr(_("iotunnel-service: --max-connections %d is out of range; give 2 or "
			     "more.\n"),
			   opt_max_connections);
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
	if (!iot_service_main_check_state_dir(opt_state_dir, &error)) {
		g_printerr("iotunnel-service: %s\n", error->message);
		return EXIT_FAILURE;
	}

	/* every connection takes a descriptor: take what the system allows, and keep some */
	fd_limit = iot_service_main_raise_fd_limit();
	budget = iot_service_main_connection_budget(fd_limit);
	limits.handshake_timeout = opt_handshake_timeout;
	limits.stall_timeout = opt_stall_timeout;
	limits.max_connections = opt_max_connections > 0 ? (guint)opt_max_connections : budget;
	limits.max_handshakes = MIN((guint)opt_max_handshakes, limits.max_connections);
	if (limits.max_connections > budget) {
		g_warning("--max-connections %u is more than the open-file limit of %u leaves room "
			  "for (%u): connections may fail for want of descriptors",
			  limits.max_connections,
			  fd_limit,
			  budget);
	}
	g_debug("up to %u connections, %u in their handshake, with %u descriptors",
		limits.max_connections,
		limits.max_handshakes,
		fd_limit);

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

	server = iot_service_server_new(cert, admin_token, &limits);
	if (credentials != NULL)
		iot_service_server_enable_aws_api(
		    server,
		    credentials,
		    opt_region != NULL ? opt_region : "us-east-1",
		    opt_account_id != NULL ? opt_account_id : IOT_SERVICE_AWS_API_DEFAULT_ACCOUNT);
	tunnels_file = g_build_filename(opt_state_dir, "tunnels.json", NULL);
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
	/* ahead of any peer's input: a stop always gets its turn */
	for (guint i = 0; i < 2; i++) {
		signal_source = g_unix_signal_source_new(i == 0 ? SIGTERM : SIGINT);
		g_source_set_priority(signal_source, G_PRIORITY_HIGH);
		g_source_set_callback(signal_source, iot_service_main_signal_cb, &self, NULL);
		g_source_attach(signal_source, NULL);
		g_source_unref(signal_source);
	}

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
	/* whatever still waits on a peer that did not close gives up now */
	iot_service_server_cut_all(server);
	return EXIT_SUCCESS;
}
