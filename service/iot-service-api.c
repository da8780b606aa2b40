/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-api.h"

#include "iot-service-common.h"
#include "iot-service-http.h"
#include "iot-service-json.h"

/*
 * The JSON API under /api, on the same port as the tunnels, for whoever holds
 * the admin token (`Authorization: Bearer TOKEN`):
 *
 *   POST   /api/tunnels       {"services": [...], "lifetime": seconds}
 *                             -> 201 {"tunnelId", "sourceAccessToken",
 *                                     "destinationAccessToken", ...}
 *   GET    /api/tunnels       -> 200 {"tunnels": [description, ...]}
 *   GET    /api/tunnels/ID    -> 200 description
 *   DELETE /api/tunnels/ID    -> 200 description, once closed
 *
 * Errors answer {"error": "..."} with a 4xx status.
 */
struct _IotServiceApi {
	GObject parent_instance;
	IotServiceServer *server; /* weak: the server owns the API */
	gchar *admin_token;
};

G_DEFINE_FINAL_TYPE(IotServiceApi, iot_service_api, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-api-error-quark, iot_service_api_error);

#define IOT_SERVICE_API_PREFIX "/api/tunnels"

static void
iot_service_api_respond(SoupServerMessage *msg, guint status, JsonBuilder *builder)
{
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	gsize len = 0;
	gchar *text = json_to_string(root, TRUE);

	len = strlen(text);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, len);
}

static void
iot_service_api_respond_error(SoupServerMessage *msg, guint status, const gchar *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "error");
	json_builder_add_string_value(builder, message);
	json_builder_end_object(builder);
	iot_service_api_respond(msg, status, builder);
	g_debug("API %s %s: %u %s",
		soup_server_message_get_method(msg),
		g_uri_get_path(soup_server_message_get_uri(msg)),
		status,
		message);
}

static void
iot_service_api_method_not_allowed(SoupServerMessage *msg, const gchar *allow)
{
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", allow);
	iot_service_api_respond_error(msg,
				      SOUP_STATUS_METHOD_NOT_ALLOWED,
				      "method not allowed here");
}

static void
iot_service_api_count_header(const char *name, const char *value, gpointer user_data)
{
	guint *count = user_data;
	if (g_ascii_strcasecmp(name, "Authorization") == 0)
		(*count)++;
}

/**
 * iot_service_api_check_early:
 * @self: the API
 * @msg: a request under /api whose headers just arrived
 *
 * Refuses a request without the admin token (one `Authorization` header,
 * with it), or with a body the API would not read, before its body is read.
 */
void
iot_service_api_check_early(IotServiceApi *self, SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *authorization = soup_message_headers_get_one(headers, "Authorization");
	const gchar *reason = NULL;
	guint n_authorizations = 0;
	guint status;

	soup_message_headers_foreach(headers, iot_service_api_count_header, &n_authorizations);
	if (n_authorizations > 1) {
		iot_service_api_respond_error(msg,
					      SOUP_STATUS_BAD_REQUEST,
					      "more than one Authorization header");
		return;
	}
	if (authorization == NULL || !g_str_has_prefix(authorization, "Bearer ") ||
	    !iot_service_secret_equal(authorization + strlen("Bearer "), self->admin_token)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "WWW-Authenticate",
					     "Bearer realm=\"iotunnel-service\"");
		iot_service_api_respond_error(msg,
					      SOUP_STATUS_UNAUTHORIZED,
					      "missing or wrong admin token");
		return;
	}
	status = iot_service_http_check_framing(soup_server_message_get_request_headers(msg),
						IOT_SERVICE_API_MAX_BODY,
						&reason);
	if (status != 0)
		iot_service_api_respond_error(msg, status, reason);
}

/* reads {"services": [...], "lifetime": N}; members are optional, unknown ones refused */
static gboolean
iot_service_api_parse_open(SoupServerMessage *msg, GStrv *services, guint *lifetime, GError **error)
{
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GStrvBuilder) names = g_strv_builder_new();
	g_autoptr(GList) members = NULL;
	g_autoptr(JsonNode) root = NULL;
	JsonObject *object;

	*lifetime = IOT_SERVICE_MAX_LIFETIME;
	if (body->length == 0) {
		*services = g_strv_builder_end(names);
		return TRUE;
	}
	root = iot_service_json_parse(body->data, body->length, &error_local);
	if (root == NULL) {
		g_set_error(error,
			    IOT_SERVICE_API_ERROR,
			    IOT_SERVICE_API_ERROR_BAD_REQUEST,
			    "the body is refused: %s",
			    error_local->message);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error,
				    IOT_SERVICE_API_ERROR,
				    IOT_SERVICE_API_ERROR_BAD_REQUEST,
				    "the body is not a JSON object");
		return FALSE;
	}
	object = json_node_get_object(root);
	members = json_object_get_members(object);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *node = json_object_get_member(object, name);

		if (g_strcmp0(name, "services") == 0) {
			JsonArray *array;
			if (!JSON_NODE_HOLDS_ARRAY(node)) {
				g_set_error_literal(error,
						    IOT_SERVICE_API_ERROR,
						    IOT_SERVICE_API_ERROR_BAD_REQUEST,
						    "\"services\" is not an array");
				return FALSE;
			}
			array = json_node_get_array(node);
			for (guint i = 0; i < json_array_get_length(array); i++) {
				JsonNode *element = json_array_get_element(array, i);
				if (!JSON_NODE_HOLDS_VALUE(element) ||
				    json_node_get_value_type(element) != G_TYPE_STRING) {
					g_set_error(error,
						    IOT_SERVICE_API_ERROR,
						    IOT_SERVICE_API_ERROR_BAD_REQUEST,
						    "\"services\"[%u] is not a string",
						    i);
					return FALSE;
				}
				g_strv_builder_add(names, json_node_get_string(element));
			}
		} else if (g_strcmp0(name, "lifetime") == 0) {
			gint64 value;
			if (!JSON_NODE_HOLDS_VALUE(node) ||
			    json_node_get_value_type(node) != G_TYPE_INT64) {
				g_set_error_literal(
				    error,
				    IOT_SERVICE_API_ERROR,
				    IOT_SERVICE_API_ERROR_BAD_REQUEST,
				    "\"lifetime\" is not a whole number of seconds");
				return FALSE;
			}
			value = json_node_get_int(node);
			if (value < 1 || value > IOT_SERVICE_MAX_LIFETIME) {
				g_set_error(error,
					    IOT_SERVICE_API_ERROR,
					    IOT_SERVICE_API_ERROR_BAD_REQUEST,
					    "\"lifetime\" is not between 1 and %u",
					    (guint)IOT_SERVICE_MAX_LIFETIME);
				return FALSE;
			}
			*lifetime = value;
		} else {
			g_set_error(error,
				    IOT_SERVICE_API_ERROR,
				    IOT_SERVICE_API_ERROR_BAD_REQUEST,
				    "unknown member \"%s\"",
				    name);
			return FALSE;
		}
	}
	*services = g_strv_builder_end(names);
	return TRUE;
}

static void
iot_service_api_open(IotServiceApi *self, SoupServerMessage *msg)
{
	g_auto(GStrv) services = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree gchar *expires = NULL;
	IotServiceTunnel *tunnel;
	guint lifetime = 0;

	if (!iot_service_api_parse_open(msg, &services, &lifetime, &error)) {
		iot_service_api_respond_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	tunnel = iot_service_server_open_tunnel(self->server,
						(const gchar *const *)services,
						lifetime,
						&error);
	if (tunnel == NULL) {
		iot_service_api_respond_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnelId");
	json_builder_add_string_value(builder, iot_service_tunnel_get_id(tunnel));
	json_builder_set_member_name(builder, "sourceAccessToken");
	json_builder_add_string_value(
	    builder,
	    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_SOURCE));
	json_builder_set_member_name(builder, "destinationAccessToken");
	json_builder_add_string_value(
	    builder,
	    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_DESTINATION));
	json_builder_set_member_name(builder, "services");
	json_builder_begin_array(builder);
	for (guint i = 0; services[i] != NULL; i++)
		json_builder_add_string_value(builder, services[i]);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "lifetime");
	json_builder_add_int_value(builder, lifetime);
	json_builder_end_object(builder);
	iot_service_api_respond(msg, SOUP_STATUS_CREATED, builder);
}

static void
iot_service_api_list(IotServiceApi *self, SoupServerMessage *msg)
{
	g_autoptr(GPtrArray) tunnels = iot_service_server_get_tunnels(self->server);
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnels");
	json_builder_begin_array(builder);
	for (guint i = 0; i < tunnels->len; i++)
		iot_service_tunnel_to_json(g_ptr_array_index(tunnels, i), builder);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	iot_service_api_respond(msg, SOUP_STATUS_OK, builder);
}

static void
iot_service_api_describe(IotServiceApi *self, SoupServerMessage *msg, IotServiceTunnel *tunnel)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	iot_service_tunnel_to_json(tunnel, builder);
	iot_service_api_respond(msg, SOUP_STATUS_OK, builder);
}

/**
 * iot_service_api_handle:
 * @self: the API
 * @msg: a request under /api that passed iot_service_api_check_early()
 * @path: its path
 *
 * Answers the request.
 */
void
iot_service_api_handle(IotServiceApi *self, SoupServerMessage *msg, const gchar *path)
{
	const gchar *method = soup_server_message_get_method(msg);
	IotServiceTunnel *tunnel;

	g_return_if_fail(IOT_IS_SERVICE_API(self));

	if (g_strcmp0(path, IOT_SERVICE_API_PREFIX) == 0) {
		if (method == SOUP_METHOD_GET)
			iot_service_api_list(self, msg);
		else if (method == SOUP_METHOD_POST)
			iot_service_api_open(self, msg);
		else
			iot_service_api_method_not_allowed(msg, "GET, POST");
		return;
	}
	if (!g_str_has_prefix(path, IOT_SERVICE_API_PREFIX "/")) {
		iot_service_api_respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such API");
		return;
	}
	tunnel = iot_service_server_lookup_tunnel(self->server,
						  path + strlen(IOT_SERVICE_API_PREFIX "/"));
	if (tunnel == NULL) {
		iot_service_api_respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such tunnel");
		return;
	}
	if (method == SOUP_METHOD_GET) {
		iot_service_api_describe(self, msg, tunnel);
	} else if (method == SOUP_METHOD_DELETE) {
		iot_service_tunnel_close(tunnel, IOT_SERVICE_CLOSE_NORMAL, "tunnel closed");
		iot_service_api_describe(self, msg, tunnel);
	} else {
		iot_service_api_method_not_allowed(msg, "GET, DELETE");
	}
}

/**
 * iot_service_api_new:
 * @server: the server whose tunnels the API manages; not referenced
 * @admin_token: the secret a request must carry
 *
 * Returns: (transfer full): the API
 */
IotServiceApi *
iot_service_api_new(IotServiceServer *server, const gchar *admin_token)
{
	IotServiceApi *self = g_object_new(IOT_TYPE_SERVICE_API, NULL);
	self->server = server;
	self->admin_token = g_strdup(admin_token);
	return self;
}

static void
iot_service_api_finalize(GObject *object)
{
	IotServiceApi *self = IOT_SERVICE_API(object);
	g_free(self->admin_token);
	G_OBJECT_CLASS(iot_service_api_parent_class)->finalize(object);
}

static void
iot_service_api_class_init(IotServiceApiClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_service_api_finalize;
}

static void
iot_service_api_init(IotServiceApi *self)
{
}
