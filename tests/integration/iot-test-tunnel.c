/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-tunnel.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#define IOT_TEST_START_TIMEOUT_MS 20000
/* iotunnel-service's defaults, scaled by IOTUNNEL_TEST_TIMEOUT_SCALE */
#define IOT_TEST_SERVICE_HANDSHAKE_TIMEOUT_S 10
#define IOT_TEST_SERVICE_STALL_TIMEOUT_S 60

/* runs iotunnel-service on @port (0: a free one) with the fixture's state folder */
static gboolean
iot_test_tunnel_spawn_service(IotTestTunnel *self, guint16 port, GError **error)
{
	g_autofree gchar *port_text = g_strdup_printf("%u", port);
	g_autofree gchar *listening = NULL;
	g_autofree gchar *ca_line = NULL;
	g_autofree gchar *ca_dir_line = NULL;
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GMatchInfo) match = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	const gchar *const base_args[] = {IOTUNNEL_SERVICE_PATH,
					  "--address",
					  self->address != NULL ? self->address : "127.0.0.1",
					  "--port",
					  port_text,
					  "--state-dir",
					  self->state_dir,
					  "--admin-token-file",
					  self->admin_token_file};

	/* slower processes (under valgrind) need the service's deadlines as long as ours */
	g_autofree gchar *handshake_timeout = g_strdup_printf(
	    "%u",
	    iot_test_timeout_ms(IOT_TEST_SERVICE_HANDSHAKE_TIMEOUT_S * 1000) / 1000);
	g_autofree gchar *stall_timeout =
	    g_strdup_printf("%u",
			    iot_test_timeout_ms(IOT_TEST_SERVICE_STALL_TIMEOUT_S * 1000) / 1000);

	for (guint i = 0; i < G_N_ELEMENTS(base_args); i++)
		g_ptr_array_add(argv, (gpointer)base_args[i]);
	if (iot_test_timeout_ms(1) > 1) {
		g_ptr_array_add(argv, (gpointer) "--handshake-timeout");
		g_ptr_array_add(argv, handshake_timeout);
		g_ptr_array_add(argv, (gpointer) "--stall-timeout");
		g_ptr_array_add(argv, stall_timeout);
	}
	for (guint i = 0; self->service_args != NULL && self->service_args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)self->service_args[i]);
	g_ptr_array_add(argv, NULL);
	self->service = iot_test_process_spawn((const gchar *const *)argv->pdata, NULL, error);
	if (self->service == NULL)
		return FALSE;
	listening = iot_test_process_wait_line(self->service,
					       "^listening wss://",
					       IOT_TEST_START_TIMEOUT_MS,
					       error);
	if (listening == NULL)
		return FALSE;
	ca_line = iot_test_process_wait_line(self->service, "^ca-file ", 1000, error);
	if (ca_line == NULL)
		return FALSE;
	g_free(self->ca_file);
	self->ca_file = g_strdup(ca_line + strlen("ca-file "));
	ca_dir_line = iot_test_process_wait_line(self->service, "^ca-dir ", 1000, error);
	if (ca_dir_line == NULL)
		return FALSE;
	g_free(self->ca_dir);
	self->ca_dir = g_strdup(ca_dir_line + strlen("ca-dir "));
	regex = g_regex_new("^listening wss://([^/]+)", 0, 0, NULL);
	g_regex_match(regex, listening, 0, &match);
	g_free(self->endpoint);
	self->endpoint = g_match_info_fetch(match, 1);
	self->port = (guint16)g_ascii_strtoull(strrchr(self->endpoint, ':') + 1, NULL, 10);
	return TRUE;
}

/**
 * iot_test_tunnel_start_service:
 * @self: a zeroed fixture, or one whose tmpdir (which teardown removes)
 *   already holds files for the service_args
 * @error: (nullable): return location for an error
 *
 * Starts iotunnel-service on @self's address (127.0.0.1 when unset), a free
 * port, a fresh state folder (so a new self-signed certificate) and a known
 * admin token.
 *
 * Returns: %TRUE once it listens
 */
gboolean
iot_test_tunnel_start_service(IotTestTunnel *self, GError **error)
{
	if (self->tmpdir == NULL)
		self->tmpdir = g_dir_make_tmp("iotunnel-test-XXXXXX", error);
	if (self->tmpdir == NULL)
		return FALSE;
	self->admin_token = g_strdup("test-admin-token-0123456789abcdef");
	self->admin_token_file = iot_test_tunnel_write_file(self, "admin-token", self->admin_token);
	self->state_dir = g_build_filename(self->tmpdir, "service-state", NULL);
	return iot_test_tunnel_spawn_service(self, 0, error);
}

/**
 * iot_test_tunnel_stop_service:
 * @self: a fixture with a running service
 * @signum: SIGTERM for an orderly stop (close code 1001), SIGKILL for a crash
 * @error: (nullable): return location for an error
 *
 * Stops the service and waits until it is gone; its state folder stays.
 *
 * Returns: %TRUE once it exited
 */
gboolean
iot_test_tunnel_stop_service(IotTestTunnel *self, gint signum, GError **error)
{
	iot_test_process_signal(self->service, signum);
	if (!iot_test_process_wait_exit(self->service, 10000, NULL)) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_TIMED_OUT,
				    "the service did not exit within 10 s");
		return FALSE;
	}
	g_clear_object(&self->service);
	return TRUE;
}

/**
 * iot_test_tunnel_resume_service:
 * @self: a fixture whose service was stopped
 * @error: (nullable): return location for an error
 *
 * Starts the service again on the same port with the same state folder, so
 * it has the same certificate and the tunnels it kept.
 *
 * Returns: %TRUE once it listens
 */
gboolean
iot_test_tunnel_resume_service(IotTestTunnel *self, GError **error)
{
	g_return_val_if_fail(self->service == NULL, FALSE);
	return iot_test_tunnel_spawn_service(self, self->port, error);
}

/**
 * iot_test_tunnel_api:
 * @self: a fixture with a running service
 * @method: the HTTP method
 * @path: such as "/api/tunnels"
 * @body: (nullable): a JSON body
 * @status: (out): the HTTP status
 * @response: (out) (optional): the response body
 * @error: (nullable): return location for an error
 *
 * Calls the service's admin API over TLS, trusting only its CA file.
 *
 * Returns: %TRUE when an answer came back
 */
gboolean
iot_test_tunnel_api(IotTestTunnel *self,
		    const gchar *method,
		    const gchar *path,
		    const gchar *body,
		    guint *status,
		    gchar **response,
		    GError **error)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(GTlsDatabase) database = g_tls_file_database_new(self->ca_file, error);
	/*
	 * glib-networking 2.74 sends an IPv6 literal as the TLS server name,
	 * which GnuTLS, under the service, refuses: reach [::1] as localhost,
	 * which the service's certificate names too
	 */
	g_autofree gchar *uri = g_str_has_prefix(self->endpoint, "[::1]:")
				    ? g_strdup_printf("https://localhost:%u%s", self->port, path)
				    : g_strdup_printf("https://%s%s", self->endpoint, path);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autofree gchar *authorization = g_strdup_printf("Bearer %s", self->admin_token);

	if (database == NULL)
		return FALSE;
	soup_session_set_tls_database(session, database);
	msg = soup_message_new(method, uri);
	soup_message_headers_replace(soup_message_get_request_headers(msg),
				     "Authorization",
				     authorization);
	if (body != NULL) {
		g_autoptr(GBytes) request = g_bytes_new(body, strlen(body));
		soup_message_set_request_body_from_bytes(msg, "application/json", request);
	}
	bytes = soup_session_send_and_read(session, msg, NULL, error);
	if (bytes == NULL)
		return FALSE;
	*status = soup_message_get_status(msg);
	if (response != NULL)
		*response = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	return TRUE;
}

/**
 * iot_test_tunnel_open:
 * @self: a fixture with a running service
 * @services: (nullable): the tunnel's service IDs
 * @lifetime_s: the tunnel's lifetime, 0 for the service's default
 * @error: (nullable): return location for an error
 *
 * Returns: %TRUE with the tunnel ID and both access tokens filled in
 */
gboolean
iot_test_tunnel_open(IotTestTunnel *self,
		     const gchar *const *services,
		     guint lifetime_s,
		     GError **error)
{
	g_autoptr(GString) body = g_string_new("{\"services\": [");
	g_autofree gchar *response = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *root;
	guint status = 0;

	for (guint i = 0; services != NULL && services[i] != NULL; i++)
		g_string_append_printf(body, "%s\"%s\"", i > 0 ? ", " : "", services[i]);
	g_string_append(body, "]");
	if (lifetime_s > 0)
		g_string_append_printf(body, ", \"lifetime\": %u", lifetime_s);
	g_string_append(body, "}");
	if (!iot_test_tunnel_api(self,
				 "POST",
				 "/api/tunnels",
				 body->str,
				 &status,
				 &response,
				 error))
		return FALSE;
	if (status != SOUP_STATUS_CREATED) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "opening a tunnel answered %u: %s",
			    status,
			    response);
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, response, -1, error))
		return FALSE;
	root = json_node_get_object(json_parser_get_root(parser));
	self->tunnel_id = g_strdup(json_object_get_string_member(root, "tunnelId"));
	self->source_token = g_strdup(json_object_get_string_member(root, "sourceAccessToken"));
	self->destination_token =
	    g_strdup(json_object_get_string_member(root, "destinationAccessToken"));
	return TRUE;
}

static const gchar *
iot_test_tunnel_token(IotTestTunnel *self, const gchar *mode)
{
	return g_strcmp0(mode, "source") == 0 ? self->source_token : self->destination_token;
}

static IotTestProcess *
iot_test_tunnel_spawn(IotTestTunnel *self,
		      const gchar *mode,
		      GPtrArray *argv,
		      const gchar *const *env_extra,
		      gboolean wait_connected,
		      GError **error)
{
	g_autofree gchar *token_env =
	    g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s", iot_test_tunnel_token(self, mode));
	g_autoptr(GPtrArray) env = g_ptr_array_new();
	IotTestProcess *proxy;
	g_autofree gchar *connected = NULL;

	/* the extra variables come last and win */
	g_ptr_array_add(env, token_env);
	for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++)
		g_ptr_array_add(env, (gpointer)env_extra[i]);
	g_ptr_array_add(env, NULL);
	g_ptr_array_add(argv, NULL);
	proxy = iot_test_process_spawn((const gchar *const *)argv->pdata,
				       (const gchar *const *)env->pdata,
				       error);
	if (proxy == NULL || !wait_connected)
		return proxy;
	connected = iot_test_process_wait_line(proxy,
					       "tunnel [^ ]+: connected",
					       IOT_TEST_START_TIMEOUT_MS,
					       error);
	if (connected == NULL) {
		g_object_unref(proxy);
		return NULL;
	}
	return proxy;
}

/**
 * iot_test_tunnel_spawn_proxy_full:
 * @self: a fixture with an open tunnel
 * @mode: "source" or "destination"
 * @args: reference-style arguments besides mode, endpoint and CA
 * @env_extra: (nullable): NAME=VALUE pairs for its environment, which may
 *   replace AWSIOT_TUNNEL_ACCESS_TOKEN
 * @wait_connected: whether to wait until it says it is connected
 * @error: (nullable): return location for an error
 *
 * Starts iotunneld with the token in AWSIOT_TUNNEL_ACCESS_TOKEN, as a fleet
 * would.
 *
 * Returns: (transfer full): the proxy
 */
IotTestProcess *
iot_test_tunnel_spawn_proxy_full(IotTestTunnel *self,
				 const gchar *mode,
				 const gchar *const *args,
				 const gchar *const *env_extra,
				 gboolean wait_connected,
				 GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_ptr_array_add(argv, (gpointer)IOTUNNELD_PATH);
	g_ptr_array_add(argv, (gpointer) "-m");
	g_ptr_array_add(argv, (gpointer)mode);
	g_ptr_array_add(argv, (gpointer) "-e");
	g_ptr_array_add(argv, self->endpoint);
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, self->ca_file);
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	return iot_test_tunnel_spawn(self, mode, argv, env_extra, wait_connected, error);
}

/**
 * iot_test_tunnel_spawn_proxy:
 * @self: a fixture with an open tunnel
 * @mode: "source" or "destination"
 * @args: reference-style arguments besides mode, endpoint and CA
 * @error: (nullable): return location for an error
 *
 * Starts iotunneld with the token in AWSIOT_TUNNEL_ACCESS_TOKEN, as a fleet
 * would, and waits until it is connected.
 *
 * Returns: (transfer full): the proxy
 */
IotTestProcess *
iot_test_tunnel_spawn_proxy(IotTestTunnel *self,
			    const gchar *mode,
			    const gchar *const *args,
			    GError **error)
{
	return iot_test_tunnel_spawn_proxy_full(self, mode, args, NULL, TRUE, error);
}

/**
 * iot_test_tunnel_spawn_profile_full:
 * @self: a fixture with an open tunnel
 * @mode: "source" or "destination"
 * @profile_json: a profile; "@ENDPOINT@", "@CA@" and "@DIR@" (the fixture's
 *   folder) are replaced
 * @env_extra: (nullable): NAME=VALUE pairs for its environment
 * @wait_connected: whether to wait until it says it is connected
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the proxy
 */
IotTestProcess *
iot_test_tunnel_spawn_profile_full(IotTestTunnel *self,
				   const gchar *mode,
				   const gchar *profile_json,
				   const gchar *const *env_extra,
				   gboolean wait_connected,
				   GError **error)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GString) text = g_string_new(profile_json);
	g_autofree gchar *name = g_strdup_printf("%s.json", mode);
	g_autofree gchar *path = NULL;

	g_string_replace(text, "@ENDPOINT@", self->endpoint, 0);
	g_string_replace(text, "@CA@", self->ca_file, 0);
	g_string_replace(text, "@DIR@", self->tmpdir, 0);
	path = iot_test_tunnel_write_file(self, name, text->str);
	g_ptr_array_add(argv, (gpointer)IOTUNNELD_PATH);
	g_ptr_array_add(argv, (gpointer) "--profile");
	g_ptr_array_add(argv, path);
	return iot_test_tunnel_spawn(self, mode, argv, env_extra, wait_connected, error);
}

/**
 * iot_test_tunnel_spawn_profile:
 * @self: a fixture with an open tunnel
 * @mode: "source" or "destination"
 * @profile_json: a profile; "@ENDPOINT@" and "@CA@" are replaced
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the proxy, connected
 */
IotTestProcess *
iot_test_tunnel_spawn_profile(IotTestTunnel *self,
			      const gchar *mode,
			      const gchar *profile_json,
			      GError **error)
{
	return iot_test_tunnel_spawn_profile_full(self, mode, profile_json, NULL, TRUE, error);
}

/**
 * iot_test_tunnel_listen_address:
 * @proxy: a source proxy
 * @service_id: the service, "(unnamed)" for the unnamed mapping
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): "HOST:PORT" that the proxy listens on
 */
gchar *
iot_test_tunnel_listen_address(IotTestProcess *proxy, const gchar *service_id, GError **error)
{
	g_autofree gchar *escaped = g_regex_escape_string(service_id, -1);
	g_autofree gchar *pattern = g_strdup_printf("service %s listening on ([^ ]+)$", escaped);
	g_autofree gchar *line = iot_test_process_wait_line(proxy, pattern, 5000, error);
	g_autoptr(GRegex) regex = NULL;
	g_autoptr(GMatchInfo) match = NULL;

	if (line == NULL)
		return NULL;
	regex = g_regex_new(pattern, 0, 0, NULL);
	g_regex_match(regex, line, 0, &match);
	return g_match_info_fetch(match, 1);
}

/**
 * iot_test_tunnel_write_file:
 * @self: a fixture
 * @name: a file name in the fixture's folder
 * @contents: what to write
 *
 * Returns: (transfer full): the file's path
 */
gchar *
iot_test_tunnel_write_file(IotTestTunnel *self, const gchar *name, const gchar *contents)
{
	gchar *path = g_build_filename(self->tmpdir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
	g_assert_no_error(error);
	return path;
}

static void
iot_test_tunnel_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;
	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			iot_test_tunnel_remove_tree(child);
		}
	}
	g_remove(path);
}

void
iot_test_tunnel_clear(IotTestTunnel *self)
{
	g_clear_object(&self->source);
	g_clear_object(&self->destination);
	g_clear_object(&self->service);
	if (self->tmpdir != NULL)
		iot_test_tunnel_remove_tree(self->tmpdir);
	g_clear_pointer(&self->tmpdir, g_free);
	g_clear_pointer(&self->state_dir, g_free);
	g_clear_pointer(&self->admin_token_file, g_free);
	g_clear_pointer(&self->endpoint, g_free);
	g_clear_pointer(&self->ca_file, g_free);
	g_clear_pointer(&self->ca_dir, g_free);
	g_clear_pointer(&self->admin_token, g_free);
	g_clear_pointer(&self->tunnel_id, g_free);
	g_clear_pointer(&self->source_token, g_free);
	g_clear_pointer(&self->destination_token, g_free);
}
