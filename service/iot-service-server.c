/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-server.h"

#include <libsoup/soup.h>

#include "iot-service-api.h"
#include "iot-service-aws-api.h"
#include "iot-service-common.h"
#include "iot-service-handshake.h"
#include "iot-service-http.h"
#include "iot-service-listener.h"
#include "iot-service-peer.h"

/*
 * The SoupServer: WebSocket handshakes on /tunnel, checked as PROTOCOL.md
 * section 1 says before the upgrade, the JSON API under /api and, when it has
 * credentials, the AWS IoT Secure Tunneling API on POST /. It owns
 * the tunnels, indexed by id and by the SHA-256 of their tokens, and keeps
 * the open ones in a state file, so that a restart does not end them.
 *
 * The upgrade is done by hand rather than with
 * soup_server_add_websocket_handler(): the handshake is checked and answered
 * in a normal handler, and once the 101 is written the connection is taken
 * from the server and the WebSocket started on it by IotServicePeer, over a
 * stream the service can pause.
 *
 * libsoup does not listen: IotServiceListener accepts, and hands the server
 * connections ready for their request (see there why), and iot-service-http
 * holds every request to one per connection, answered before its body when
 * it is refused.
 */
struct _IotServiceServer {
	GObject parent_instance;
	SoupServer *soup;
	IotServiceListener *listener;
	IotServiceLimits limits;
	GInetAddress *address; /* listened on */
	IotServiceCert *cert;  /* NULL for plain ws:// */
	IotServiceApi *api;
	IotServiceAwsApi *aws_api; /* NULL without credentials */
	GHashTable *tunnels;	   /* id -> IotServiceTunnel */
	GHashTable *tokens;	   /* token digest -> IotServiceTunnel, borrowed */
	GHashTable *retention;	   /* id of a closed tunnel -> the source that forgets it */
	GPtrArray *peers;	   /* IotServicePeer, weak: every live one */
	gchar *state_file;	   /* where open tunnels are kept across restarts, or NULL */
	GSource *save_retry;	   /* saves again after a failed save */
	guint save_retry_seconds;
	gboolean shutting_down;
};

/* the first and the longest wait before saving the state file again, in seconds */
#define IOT_SERVICE_SERVER_SAVE_RETRY_FIRST 1
#define IOT_SERVICE_SERVER_SAVE_RETRY_MAX 30

G_DEFINE_FINAL_TYPE(IotServiceServer, iot_service_server, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-server-error-quark, iot_service_server_error);

/* what the upgrade needs once the 101 is written */
typedef struct {
	IotServiceServer *server; /* weak */
	IotServiceTunnel *tunnel;
	IotTunnelMode mode;
	gchar *subprotocol;
	gchar *channel_id;
} IotServiceServerUpgrade;

static void
iot_service_server_upgrade_free(gpointer data, GClosure *closure)
{
	IotServiceServerUpgrade *upgrade = data;
	if (upgrade->server != NULL)
		g_object_remove_weak_pointer(G_OBJECT(upgrade->server),
					     (gpointer *)&upgrade->server);
	g_object_unref(upgrade->tunnel);
	g_free(upgrade->subprotocol);
	g_free(upgrade->channel_id);
	g_free(upgrade);
}

static void
iot_service_server_save(IotServiceServer *self);

static const gchar *
iot_service_server_remote(SoupServerMessage *msg)
{
	const gchar *remote = soup_server_message_get_remote_host(msg);
	return remote != NULL ? remote : "unknown";
}

/* answers a handshake with a 4xx and logs why; the reason never holds a token */
static void
iot_service_server_refuse(SoupServerMessage *msg, guint status, const gchar *reason)
{
	g_autofree gchar *body = g_strdup_printf("%s\n", reason);

	g_message("refused a handshake from %s with %u: %s",
		  iot_service_server_remote(msg),
		  status,
		  reason);
	/* libsoup 3.2 knows no phrase for 431 (RFC 6585) */
	soup_server_message_set_status(msg,
				       status,
				       status == IOT_SERVICE_STATUS_HEADERS_TOO_LARGE
					   ? "Request Header Fields Too Large"
					   : NULL);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
	soup_server_message_set_response(msg,
					 "text/plain; charset=utf-8",
					 SOUP_MEMORY_COPY,
					 body,
					 strlen(body));
}

static void
iot_service_server_add_header_size(const char *name, const char *value, gpointer user_data)
{
	gsize *size = user_data;
	*size += strlen(name) + 2 + strlen(value) + 2;
}

/* the size of the request line and headers as sent */
static gsize
iot_service_server_request_size(SoupServerMessage *msg)
{
	GUri *uri = soup_server_message_get_uri(msg);
	const gchar *query = g_uri_get_query(uri);
	gsize size = strlen(soup_server_message_get_method(msg)) + 1 + strlen(g_uri_get_path(uri)) +
		     strlen(" HTTP/1.1\r\n") + 2;

	if (query != NULL)
		size += 1 + strlen(query);
	soup_message_headers_foreach(soup_server_message_get_request_headers(msg),
				     iot_service_server_add_header_size,
				     &size);
	return size;
}

static void
iot_service_server_early_cb(SoupServer *soup,
			    SoupServerMessage *msg,
			    const char *path,
			    GHashTable *query,
			    gpointer user_data)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);
	const gchar *reason = NULL;
	guint status;

	if (g_strcmp0(path, "/tunnel") == 0) {
		if (iot_service_server_request_size(msg) >= IOT_SERVICE_MAX_REQUEST_SIZE) {
			iot_service_server_refuse(msg,
						  IOT_SERVICE_STATUS_HEADERS_TOO_LARGE,
						  "the handshake request is over 4 KiB");
			return;
		}
		status =
		    iot_service_http_check_framing(soup_server_message_get_request_headers(msg),
						   0,
						   &reason);
		if (status != 0)
			iot_service_server_refuse(msg, status, reason);
		return;
	}
	if (g_strcmp0(path, "/api") == 0 || g_str_has_prefix(path, "/api/")) {
		iot_service_api_check_early(self->api, msg);
		return;
	}
	if (self->aws_api != NULL && g_strcmp0(path, "/") == 0) {
		iot_service_aws_api_check_early(self->aws_api, msg);
		return;
	}
	iot_service_server_refuse(msg, SOUP_STATUS_NOT_FOUND, "the path must be /tunnel");
}

static void
iot_service_server_peer_finalized_cb(gpointer user_data, GObject *where_the_object_was)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);
	g_ptr_array_remove_fast(self->peers, where_the_object_was);
}

/* the 101 is out: take the connection and start the WebSocket on it */
static void
iot_service_server_upgrade_cb(SoupServerMessage *msg, gpointer user_data)
{
	IotServiceServerUpgrade *upgrade = user_data;
	g_autoptr(IotServiceTunnel) tunnel = g_object_ref(upgrade->tunnel);
	g_autoptr(GUri) uri = g_uri_ref(soup_server_message_get_uri(msg));
	g_autofree gchar *origin = g_strdup(
	    soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin"));
	g_autofree gchar *subprotocol = g_strdup(upgrade->subprotocol);
	g_autofree gchar *channel_id = g_strdup(upgrade->channel_id);
	IotServiceServer *server = upgrade->server;
	IotTunnelMode mode = upgrade->mode;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotServicePeer) peer = NULL;

	/* this may free @msg, and @upgrade with it */
	stream = soup_server_message_steal_connection(msg);
	if (stream == NULL || server == NULL)
		return;
	iot_service_listener_release(server->listener, stream);
	peer = iot_service_peer_new(stream,
				    iot_service_listener_get_socket(stream),
				    server->limits.stall_timeout,
				    uri,
				    origin,
				    subprotocol,
				    mode,
				    iot_service_tunnel_get_id(tunnel),
				    channel_id,
				    iot_service_tunnel_get_services(tunnel));
	g_ptr_array_add(server->peers, peer);
	g_object_weak_ref(G_OBJECT(peer), iot_service_server_peer_finalized_cb, server);
	iot_service_tunnel_attach(tunnel, peer);
}

static void
iot_service_server_handshake(IotServiceServer *self, SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_auto(IotServiceHandshake) handshake = {0};
	g_autofree gchar *digest = NULL;
	g_autoptr(GError) error = NULL;
	IotServiceServerUpgrade *upgrade;
	IotServiceTunnel *tunnel;
	IotTunnelMode token_mode = IOT_TUNNEL_MODE_SOURCE;
	gchar *protocols[2] = {NULL, NULL};
	g_autofree gchar *channel_id = NULL;

	if (!soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, &error)) {
		iot_service_server_refuse(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	if (!iot_service_handshake_read(headers,
					g_uri_get_query(soup_server_message_get_uri(msg)),
					&handshake,
					&error)) {
		iot_service_server_refuse(msg,
					  iot_service_handshake_error_status(error),
					  error->message);
		return;
	}
	digest = iot_service_secret_digest(handshake.token);
	tunnel = g_hash_table_lookup(self->tokens, digest);
	if (tunnel == NULL ||
	    !iot_service_tunnel_match_token(tunnel, handshake.token, &token_mode)) {
		iot_service_server_refuse(msg, SOUP_STATUS_UNAUTHORIZED, "unknown access token");
		return;
	}
	if (!iot_service_tunnel_authorize(tunnel,
					  token_mode,
					  handshake.mode,
					  handshake.client_token,
					  &error)) {
		g_autofree gchar *reason = g_strdup_printf("tunnel %s: %s",
							   iot_service_tunnel_get_id(tunnel),
							   error->message);
		iot_service_server_refuse(msg,
					  g_error_matches(error,
							  IOT_SERVICE_TUNNEL_ERROR,
							  IOT_SERVICE_TUNNEL_ERROR_CLOSED)
					      ? SOUP_STATUS_GONE
					      : SOUP_STATUS_FORBIDDEN,
					  reason);
		return;
	}
	/* the token may be spent or bound now */
	iot_service_server_save(self);

	channel_id = iot_service_random_hex(16, &error);
	if (channel_id == NULL) {
		g_warning("%s", error->message);
		soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
		return;
	}
	protocols[0] = (gchar *)handshake.subprotocol;
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "channel-id",
				     channel_id);
	if (!soup_websocket_server_process_handshake(msg, NULL, protocols, NULL, NULL))
		return;
	upgrade = g_new0(IotServiceServerUpgrade, 1);
	upgrade->server = self;
	g_object_add_weak_pointer(G_OBJECT(self), (gpointer *)&upgrade->server);
	upgrade->tunnel = g_object_ref(tunnel);
	upgrade->mode = handshake.mode;
	upgrade->subprotocol = g_strdup(handshake.subprotocol);
	upgrade->channel_id = g_steal_pointer(&channel_id);
	g_signal_connect_data(msg,
			      "wrote-informational",
			      G_CALLBACK(iot_service_server_upgrade_cb),
			      upgrade,
			      iot_service_server_upgrade_free,
			      0);
}

static void
iot_service_server_handler_cb(SoupServer *soup,
			      SoupServerMessage *msg,
			      const char *path,
			      GHashTable *query,
			      gpointer user_data)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);

	if (g_strcmp0(path, "/tunnel") == 0)
		iot_service_server_handshake(self, msg);
	else if (g_strcmp0(path, "/api") == 0 || g_str_has_prefix(path, "/api/"))
		iot_service_api_handle(self->api, msg, path);
	else if (self->aws_api != NULL && g_strcmp0(path, "/") == 0)
		iot_service_aws_api_handle(self->aws_api, msg);
	else
		iot_service_server_refuse(msg, SOUP_STATUS_NOT_FOUND, "the path must be /tunnel");
}

static void
iot_service_server_incoming_cb(IotServiceListener *listener, GIOStream *stream, gpointer user_data)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);
	GSocket *socket = iot_service_listener_get_socket(stream);
	g_autoptr(GSocketAddress) local = g_socket_get_local_address(socket, NULL);
	g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(socket, NULL);
	g_autoptr(GError) error = NULL;

	/* both are gone when the client already went */
	if (local == NULL || remote == NULL)
		return;
	if (!soup_server_accept_iostream(self->soup, stream, local, remote, &error))
		g_warning("cannot serve a connection: %s", error->message);
}

/**
 * iot_service_server_new:
 * @cert: (nullable): the TLS identity, or %NULL to serve plain ws://
 * @admin_token: the secret the API asks for
 * @limits: what a connection is granted
 *
 * Returns: (transfer full): a server, not listening yet
 */
IotServiceServer *
iot_service_server_new(IotServiceCert *cert,
		       const gchar *admin_token,
		       const IotServiceLimits *limits)
{
	IotServiceServer *self = g_object_new(IOT_TYPE_SERVICE_SERVER, NULL);

	self->limits = *limits;
	if (cert != NULL)
		self->cert = g_object_ref(cert);
	self->listener =
	    iot_service_listener_new(cert != NULL ? iot_service_cert_get_certificate(cert) : NULL,
				     limits);
	g_signal_connect(self->listener,
			 "incoming",
			 G_CALLBACK(iot_service_server_incoming_cb),
			 self);
	self->soup =
	    soup_server_new("server-header", "iotunnel-service/" PACKAGE_VERSION " ", NULL);
	iot_service_http_watch(self->soup);
	self->api = iot_service_api_new(self, admin_token);
	soup_server_add_early_handler(self->soup, NULL, iot_service_server_early_cb, self, NULL);
	soup_server_add_handler(self->soup, NULL, iot_service_server_handler_cb, self, NULL);
	return self;
}

/**
 * iot_service_server_enable_aws_api:
 * @self: a server
 * @credentials: the access keys that may sign requests
 * @region: the region requests are signed for, and ARNs name
 * @account_id: the account ARNs name
 *
 * Serves the AWS IoT Secure Tunneling API on `POST /`.
 */
void
iot_service_server_enable_aws_api(IotServiceServer *self,
				  IotServiceCredentials *credentials,
				  const gchar *region,
				  const gchar *account_id)
{
	g_return_if_fail(IOT_IS_SERVICE_SERVER(self));
	g_return_if_fail(self->aws_api == NULL);
	self->aws_api = iot_service_aws_api_new(self, credentials, region, account_id);
}

/**
 * iot_service_server_listen:
 * @self: a server
 * @address: the address to listen on
 * @port: the port, or 0 to pick a free one
 * @error: (nullable): return location for an error in %IOT_SERVICE_SERVER_ERROR
 *
 * Returns: %TRUE once listening
 */
gboolean
iot_service_server_listen(IotServiceServer *self,
			  GInetAddress *address,
			  guint16 port,
			  GError **error)
{
	g_autoptr(GError) error_local = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), FALSE);

	if (self->cert == NULL && !g_inet_address_get_is_loopback(address)) {
		g_autofree gchar *text = g_inet_address_to_string(address);
		g_set_error(error,
			    IOT_SERVICE_SERVER_ERROR,
			    IOT_SERVICE_SERVER_ERROR_PLAIN,
			    "plain ws:// is only served on loopback, not on %s",
			    text);
		return FALSE;
	}
	if (!iot_service_listener_listen(self->listener, address, port, &error_local)) {
		g_set_error(error,
			    IOT_SERVICE_SERVER_ERROR,
			    IOT_SERVICE_SERVER_ERROR_LISTEN,
			    "failed to listen: %s",
			    error_local->message);
		return FALSE;
	}
	g_set_object(&self->address, address);
	return TRUE;
}

/**
 * iot_service_server_get_url:
 * @self: a listening server
 *
 * Returns: (transfer full): where proxies connect, `wss://127.0.0.1:PORT`
 */
gchar *
iot_service_server_get_url(IotServiceServer *self)
{
	g_autofree gchar *host = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), NULL);

	if (self->address == NULL)
		return NULL;
	host = g_inet_address_to_string(self->address);
	return g_uri_join(G_URI_FLAGS_NONE,
			  self->cert != NULL ? "wss" : "ws",
			  NULL,
			  host,
			  iot_service_listener_get_port(self->listener),
			  "",
			  NULL,
			  NULL);
}

/* drops a closed tunnel: its ID and tokens are unknown from now on */
static void
iot_service_server_forget(IotServiceServer *self, IotServiceTunnel *tunnel)
{
	g_hash_table_remove(self->retention, iot_service_tunnel_get_id(tunnel));
	g_signal_handlers_disconnect_by_data(tunnel, self);
	for (guint mode = 0; mode < 2; mode++)
		g_hash_table_remove(self->tokens,
				    iot_service_tunnel_get_token_digest(tunnel, mode));
	g_hash_table_remove(self->tunnels, iot_service_tunnel_get_id(tunnel));
}

static gboolean
iot_service_server_forget_cb(gpointer user_data)
{
	IotServiceTunnel *tunnel = IOT_SERVICE_TUNNEL(user_data);
	IotServiceServer *self = g_object_get_data(G_OBJECT(tunnel), "iot-service-server");

	/* the source ends with this call; the table only forgets its ID */
	iot_service_server_forget(self, tunnel);
	return G_SOURCE_REMOVE;
}

/* a closed tunnel stays describable, and its tokens answer 410, for a while */
static void
iot_service_server_tunnel_closed_cb(IotServiceTunnel *tunnel, gpointer user_data)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);
	guint id = g_timeout_add_seconds(IOT_SERVICE_CLOSED_RETENTION,
					 iot_service_server_forget_cb,
					 tunnel);
	g_source_set_static_name(g_main_context_find_source_by_id(NULL, id),
				 "IotServiceServer retention");
	g_hash_table_replace(self->retention,
			     g_strdup(iot_service_tunnel_get_id(tunnel)),
			     GUINT_TO_POINTER(id));
	iot_service_server_save(self);
}

static void
iot_service_server_tunnel_changed_cb(IotServiceTunnel *tunnel, gpointer user_data)
{
	iot_service_server_save(IOT_SERVICE_SERVER(user_data));
}

/* indexes @tunnel by id and tokens; the server takes the reference */
static void
iot_service_server_add_tunnel(IotServiceServer *self, IotServiceTunnel *tunnel)
{
	g_object_set_data(G_OBJECT(tunnel), "iot-service-server", self);
	g_signal_connect(tunnel, "closed", G_CALLBACK(iot_service_server_tunnel_closed_cb), self);
	g_signal_connect(tunnel, "changed", G_CALLBACK(iot_service_server_tunnel_changed_cb), self);
	for (guint mode = 0; mode < 2; mode++)
		g_hash_table_insert(self->tokens,
				    g_strdup(iot_service_tunnel_get_token_digest(tunnel, mode)),
				    tunnel);
	g_hash_table_insert(self->tunnels, g_strdup(iot_service_tunnel_get_id(tunnel)), tunnel);
}

static gboolean
iot_service_server_save_retry_cb(gpointer user_data)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(user_data);

	g_clear_pointer(&self->save_retry, g_source_unref);
	iot_service_server_save(self);
	return G_SOURCE_REMOVE;
}

/*
 * Writes the open tunnels to the state file, when there is one. A failure
 * (out of descriptors, a full disk) is logged and the save tried again,
 * sooner then less often, until one succeeds: a save asked for meanwhile
 * waits for that retry, which writes the tunnels as they are then.
 */
static void
iot_service_server_save(IotServiceServer *self)
{
	g_autoptr(JsonBuilder) builder = NULL;
	g_autoptr(JsonGenerator) generator = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) tunnels = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;

	/* stopping closes the tunnels for the peers only: they stay kept */
	if (self->state_file == NULL || self->shutting_down || self->save_retry != NULL)
		return;
	builder = json_builder_new();
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "version");
	json_builder_add_int_value(builder, IOT_SERVICE_STATE_VERSION);
	json_builder_set_member_name(builder, "tunnels");
	json_builder_begin_array(builder);
	tunnels = iot_service_server_get_tunnels(self);
	for (guint i = 0; i < tunnels->len; i++) {
		IotServiceTunnel *tunnel = g_ptr_array_index(tunnels, i);
		if (!iot_service_tunnel_is_closed(tunnel))
			iot_service_tunnel_to_state(tunnel, builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	generator = json_generator_new();
	json_generator_set_pretty(generator, TRUE);
	json_generator_set_root(generator, root);
	text = json_generator_to_data(generator, NULL);
	if (!g_file_set_contents_full(self->state_file,
				      text,
				      -1,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      &error)) {
		self->save_retry_seconds =
		    self->save_retry_seconds == 0
			? IOT_SERVICE_SERVER_SAVE_RETRY_FIRST
			: MIN(self->save_retry_seconds * 2, IOT_SERVICE_SERVER_SAVE_RETRY_MAX);
		g_warning("cannot keep the open tunnels: %s; trying again in %u s",
			  error->message,
			  self->save_retry_seconds);
		self->save_retry = g_timeout_source_new_seconds(self->save_retry_seconds);
		g_source_set_static_name(self->save_retry, "IotServiceServer save retry");
		g_source_set_callback(self->save_retry,
				      iot_service_server_save_retry_cb,
				      self,
				      NULL);
		g_source_attach(self->save_retry, NULL);
		return;
	}
	if (self->save_retry_seconds != 0)
		g_message("kept the open tunnels in %s again", self->state_file);
	self->save_retry_seconds = 0;
}

/**
 * iot_service_server_keep_tunnels:
 * @self: a server with no tunnel yet
 * @path: the state file, such as `STATE_DIR/tunnels.json`
 * @error: (nullable): return location for an error in %IOT_SERVICE_SERVER_ERROR
 *
 * Brings back the open tunnels that @path holds (those whose lifetime ran
 * out meanwhile are dropped), then keeps @path up to date: after each tunnel
 * opened or closed and each handshake that spends or binds a token. Tokens
 * are kept as digests only. A missing file means no tunnel.
 *
 * Returns: %TRUE unless @path exists and cannot be read as kept tunnels
 */
gboolean
iot_service_server_keep_tunnels(IotServiceServer *self, const gchar *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;
	JsonNode *tunnels;
	JsonArray *array;
	guint restored = 0;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), FALSE);
	g_return_val_if_fail(self->state_file == NULL, FALSE);

	if (!json_parser_load_from_mapped_file(parser, path, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			self->state_file = g_strdup(path);
			return TRUE;
		}
		g_set_error(error,
			    IOT_SERVICE_SERVER_ERROR,
			    IOT_SERVICE_SERVER_ERROR_STATE,
			    "%s: %s",
			    path,
			    error_local->message);
		return FALSE;
	}
	root = json_parser_get_root(parser);
	tunnels = root != NULL && JSON_NODE_HOLDS_OBJECT(root)
		      ? json_object_get_member(json_node_get_object(root), "tunnels")
		      : NULL;
	if (tunnels == NULL || !JSON_NODE_HOLDS_ARRAY(tunnels) ||
	    json_object_get_int_member_with_default(json_node_get_object(root), "version", 0) !=
		IOT_SERVICE_STATE_VERSION) {
		g_set_error(error,
			    IOT_SERVICE_SERVER_ERROR,
			    IOT_SERVICE_SERVER_ERROR_STATE,
			    "%s does not hold kept tunnels of version %d",
			    path,
			    IOT_SERVICE_STATE_VERSION);
		return FALSE;
	}
	array = json_node_get_array(tunnels);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		IotServiceTunnel *tunnel = NULL;

		if (JSON_NODE_HOLDS_OBJECT(node))
			tunnel = iot_service_tunnel_new_from_state(json_node_get_object(node),
								   &error_local);
		else
			g_set_error_literal(&error_local,
					    IOT_SERVICE_TUNNEL_ERROR,
					    IOT_SERVICE_TUNNEL_ERROR_INVALID,
					    "not an object");
		if (g_error_matches(error_local,
				    IOT_SERVICE_TUNNEL_ERROR,
				    IOT_SERVICE_TUNNEL_ERROR_CLOSED)) {
			g_message("%s", error_local->message);
			g_clear_error(&error_local);
			continue;
		}
		if (tunnel == NULL) {
			g_set_error(error,
				    IOT_SERVICE_SERVER_ERROR,
				    IOT_SERVICE_SERVER_ERROR_STATE,
				    "%s: tunnel %u: %s",
				    path,
				    i,
				    error_local->message);
			return FALSE;
		}
		iot_service_server_add_tunnel(self, tunnel);
		iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
				       iot_service_tunnel_get_id(tunnel),
				       NULL,
				       "restored from the state file");
		restored++;
	}
	self->state_file = g_strdup(path);
	if (restored > 0)
		g_message("restored %u open tunnels from %s", restored, path);
	iot_service_server_save(self);
	return TRUE;
}

/**
 * iot_service_server_open_tunnel:
 * @self: a server
 * @services: (array zero-terminated=1): the tunnel's service IDs
 * @lifetime: seconds until it closes
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer none): the new tunnel, or %NULL with @error set
 */
IotServiceTunnel *
iot_service_server_open_tunnel(IotServiceServer *self,
			       const gchar *const *services,
			       guint lifetime,
			       GError **error)
{
	g_autoptr(IotServiceTunnel) tunnel = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), NULL);

	tunnel = iot_service_tunnel_new(services, lifetime, error);
	if (tunnel == NULL)
		return NULL;
	iot_service_server_insert_tunnel(self, tunnel);
	return tunnel;
}

/**
 * iot_service_server_insert_tunnel:
 * @self: a server
 * @tunnel: a tunnel just made with iot_service_tunnel_new()
 *
 * Makes @tunnel's tokens connect, and keeps it in the state file.
 */
void
iot_service_server_insert_tunnel(IotServiceServer *self, IotServiceTunnel *tunnel)
{
	g_return_if_fail(IOT_IS_SERVICE_SERVER(self));
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(tunnel));

	iot_service_server_add_tunnel(self, g_object_ref(tunnel));
	iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
			       iot_service_tunnel_get_id(tunnel),
			       NULL,
			       "opened with %u services for %u seconds",
			       g_strv_length((gchar **)iot_service_tunnel_get_services(tunnel)),
			       iot_service_tunnel_get_lifetime(tunnel));
	iot_service_server_save(self);
}

/**
 * iot_service_server_delete_tunnel:
 * @self: a server
 * @tunnel: one of its tunnels
 *
 * Closes @tunnel if it is open, then forgets it at once rather than after
 * the retention: it is no longer described or listed, and its tokens are
 * unknown.
 */
void
iot_service_server_delete_tunnel(IotServiceServer *self, IotServiceTunnel *tunnel)
{
	g_autoptr(IotServiceTunnel) kept = g_object_ref(tunnel);
	guint source_id;

	g_return_if_fail(IOT_IS_SERVICE_SERVER(self));

	iot_service_tunnel_close(tunnel, IOT_SERVICE_CLOSE_NORMAL, "tunnel closed");
	source_id = GPOINTER_TO_UINT(
	    g_hash_table_lookup(self->retention, iot_service_tunnel_get_id(tunnel)));
	if (source_id != 0)
		g_source_remove(source_id);
	iot_service_server_forget(self, tunnel);
	iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
			       iot_service_tunnel_get_id(tunnel),
			       NULL,
			       "deleted");
}

/**
 * iot_service_server_rotate_token:
 * @self: a server
 * @tunnel: one of its open tunnels
 * @mode: whose token
 * @error: (nullable): return location for an error in %IOT_SERVICE_TUNNEL_ERROR
 *
 * Gives @tunnel a new access token for @mode, as
 * iot_service_tunnel_rotate_token(), and makes the server know it instead of
 * the old one.
 *
 * Returns: %TRUE once the new token connects
 */
gboolean
iot_service_server_rotate_token(IotServiceServer *self,
				IotServiceTunnel *tunnel,
				IotTunnelMode mode,
				GError **error)
{
	g_autofree gchar *old_digest = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), FALSE);

	old_digest = g_strdup(iot_service_tunnel_get_token_digest(tunnel, mode));
	if (!iot_service_tunnel_rotate_token(tunnel, mode, error))
		return FALSE;
	g_hash_table_remove(self->tokens, old_digest);
	g_hash_table_insert(self->tokens,
			    g_strdup(iot_service_tunnel_get_token_digest(tunnel, mode)),
			    tunnel);
	return TRUE;
}

/**
 * iot_service_server_lookup_tunnel:
 * @self: a server
 * @tunnel_id: a tunnel id
 *
 * Returns: (transfer none) (nullable): the tunnel, open or recently closed
 */
IotServiceTunnel *
iot_service_server_lookup_tunnel(IotServiceServer *self, const gchar *tunnel_id)
{
	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), NULL);
	return g_hash_table_lookup(self->tunnels, tunnel_id);
}

static gint
iot_service_server_compare_ids(gconstpointer a, gconstpointer b)
{
	IotServiceTunnel *ta = *(IotServiceTunnel **)a;
	IotServiceTunnel *tb = *(IotServiceTunnel **)b;
	return g_strcmp0(iot_service_tunnel_get_id(ta), iot_service_tunnel_get_id(tb));
}

/**
 * iot_service_server_get_tunnels:
 * @self: a server
 *
 * Returns: (transfer container) (element-type IotServiceTunnel): the tunnels,
 *   open and recently closed, sorted by id
 */
GPtrArray *
iot_service_server_get_tunnels(IotServiceServer *self)
{
	GPtrArray *tunnels = g_ptr_array_new_with_free_func(g_object_unref);
	GHashTableIter iter;
	gpointer value;

	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), NULL);

	g_hash_table_iter_init(&iter, self->tunnels);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(tunnels, g_object_ref(value));
	g_ptr_array_sort(tunnels, iot_service_server_compare_ids);
	return tunnels;
}

/**
 * iot_service_server_shutdown:
 * @self: a server
 *
 * Stops listening and closes every tunnel, with close code 1001 for the
 * peers. Their WebSockets finish closing from the main loop. The state file
 * keeps the tunnels open, for the next start.
 */
void
iot_service_server_shutdown(IotServiceServer *self)
{
	g_autoptr(GPtrArray) tunnels = NULL;

	g_return_if_fail(IOT_IS_SERVICE_SERVER(self));

	/* a save that waits for its retry is the last chance to keep the tunnels */
	if (self->save_retry != NULL) {
		g_source_destroy(self->save_retry);
		g_clear_pointer(&self->save_retry, g_source_unref);
		iot_service_server_save(self);
	}
	self->shutting_down = TRUE;
	iot_service_listener_stop(self->listener);
	soup_server_disconnect(self->soup);
	tunnels = iot_service_server_get_tunnels(self);
	for (guint i = 0; i < tunnels->len; i++)
		iot_service_tunnel_close(g_ptr_array_index(tunnels, i),
					 IOT_SERVICE_CLOSE_GOING_AWAY,
					 "service shutting down");
}

/**
 * iot_service_server_cut_all:
 * @self: a server
 *
 * Shuts down the socket of every connection left, once the peers had their
 * time to close: whatever still waits on one gives up at once.
 */
void
iot_service_server_cut_all(IotServiceServer *self)
{
	g_return_if_fail(IOT_IS_SERVICE_SERVER(self));
	iot_service_listener_cut_all(self->listener);
}

/**
 * iot_service_server_get_n_peers:
 * @self: a server
 *
 * Returns: how many WebSockets are still open or closing
 */
guint
iot_service_server_get_n_peers(IotServiceServer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_SERVER(self), 0);
	return self->peers->len;
}

static void
iot_service_server_dispose(GObject *object)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(object);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->retention);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_source_remove(GPOINTER_TO_UINT(value));
	g_hash_table_remove_all(self->retention);
	g_hash_table_iter_init(&iter, self->tunnels);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_signal_handlers_disconnect_by_data(value, self);
	g_hash_table_remove_all(self->tokens);
	g_hash_table_remove_all(self->tunnels);
	for (guint i = 0; i < self->peers->len; i++)
		g_object_weak_unref(g_ptr_array_index(self->peers, i),
				    iot_service_server_peer_finalized_cb,
				    self);
	g_ptr_array_set_size(self->peers, 0);
	if (self->save_retry != NULL) {
		g_source_destroy(self->save_retry);
		g_clear_pointer(&self->save_retry, g_source_unref);
	}
	g_clear_object(&self->listener);
	g_clear_object(&self->soup);
	g_clear_object(&self->address);
	g_clear_object(&self->api);
	g_clear_object(&self->aws_api);
	g_clear_object(&self->cert);
	G_OBJECT_CLASS(iot_service_server_parent_class)->dispose(object);
}

static void
iot_service_server_finalize(GObject *object)
{
	IotServiceServer *self = IOT_SERVICE_SERVER(object);
	g_hash_table_unref(self->tunnels);
	g_hash_table_unref(self->tokens);
	g_hash_table_unref(self->retention);
	g_ptr_array_unref(self->peers);
	g_free(self->state_file);
	G_OBJECT_CLASS(iot_service_server_parent_class)->finalize(object);
}

static void
iot_service_server_class_init(IotServiceServerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_service_server_dispose;
	object_class->finalize = iot_service_server_finalize;
}

static void
iot_service_server_init(IotServiceServer *self)
{
	self->tunnels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->retention = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->peers = g_ptr_array_new();
}
