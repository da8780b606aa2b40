/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One tunnel of a profile: its JSON checked once and kept, its settings read back. */

#include "config.h"

#include "iot-profile-tunnel.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "iot-profile-token.h"

#define IOT_PROFILE_NAME_MAX 64
#define IOT_PROFILE_PLUGIN_MAX 64

/**
 * IotProfileTunnel:
 *
 * One validated entry of a profile's `tunnels`. Immutable once built; the
 * tokens are resolved only when asked for, and never kept in messages.
 */
struct _IotProfileTunnel {
	GObject parent_instance;
	gchar *origin;
	gchar *json_path;
	gchar *name;
	IotTunnelMode mode;
	gchar *region;	 /* nullable: the service is given by region or by endpoint */
	gchar *endpoint; /* nullable: as written, for to_json() */
	gchar *base_url;
	gchar *tunnel_url;
	IotProfileToken access_token;
	IotProfileToken client_token;
	guint protocol;
	guint destination_client_type;
	gchar *transport_type;
	JsonObject *transport_settings;
	guint max_connections;
	guint reconnect_delay_ms;
	guint reconnect_max_delay_ms;
	gint reconnect_count; /* -1: for ever */
	guint connection_buffer;
	gboolean extensions;	/* speaks iotunnel's protocol extensions to a peer that does */
	guint stall_timeout_ms; /* 0: never */
	GPtrArray *services;	/* of IotProfileService */
};

G_DEFINE_FINAL_TYPE(IotProfileTunnel, iot_profile_tunnel, G_TYPE_OBJECT)

static void
iot_profile_tunnel_finalize(GObject *object)
{
	IotProfileTunnel *self = IOT_PROFILE_TUNNEL(object);
	iot_profile_token_clear(&self->access_token);
	iot_profile_token_clear(&self->client_token);
	g_free(self->origin);
	g_free(self->json_path);
	g_free(self->name);
	g_free(self->region);
	g_free(self->endpoint);
	g_free(self->base_url);
	g_free(self->tunnel_url);
	g_free(self->transport_type);
	g_clear_pointer(&self->transport_settings, json_object_unref);
	g_ptr_array_unref(self->services);
	G_OBJECT_CLASS(iot_profile_tunnel_parent_class)->finalize(object);
}

static void
iot_profile_tunnel_class_init(IotProfileTunnelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_profile_tunnel_finalize;
}

static void
iot_profile_tunnel_init(IotProfileTunnel *self)
{
	self->protocol = 3;
	self->max_connections = IOT_PROFILE_TUNNEL_DEFAULT_MAX_CONNECTIONS;
	self->reconnect_delay_ms = IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_DELAY_MS;
	self->reconnect_max_delay_ms = IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_MAX_DELAY_MS;
	self->reconnect_count = IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_COUNT;
	self->connection_buffer = IOT_CONNECTION_DEFAULT_BUDGET;
	self->extensions = TRUE;
	self->stall_timeout_ms = IOT_CONNECTION_DEFAULT_STALL_TIMEOUT_MS;
	self->services = g_ptr_array_new_with_free_func(g_object_unref);
}

static gboolean
iot_profile_tunnel_parse_name(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	const gchar *expectation = _("set it to 1 to 64 letters, digits, \"_\", \".\" or \"-\"");
	g_autofree gchar *path = iot_profile_path_member(self->json_path, "name");
	JsonNode *node = json_object_get_member(object, "name");
	const gchar *name;

	if (node == NULL) {
		iot_profile_set_error_missing(error, self->origin, path, expectation);
		return FALSE;
	}
	name = iot_profile_node_get_string(node);
	if (name == NULL || !iot_profile_word_is_valid(name, IOT_PROFILE_NAME_MAX, "_.-")) {
		iot_profile_set_error_value(error, self->origin, path, node, expectation);
		return FALSE;
	}
	self->name = g_strdup(name);
	return TRUE;
}

static gboolean
iot_profile_tunnel_parse_mode(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	const gchar *expectation = _("set it to \"source\" or \"destination\"");
	g_autofree gchar *path = iot_profile_path_member(self->json_path, "mode");
	JsonNode *node = json_object_get_member(object, "mode");
	const gchar *mode;

	if (node == NULL) {
		iot_profile_set_error_missing(error, self->origin, path, expectation);
		return FALSE;
	}
	mode = iot_profile_node_get_string(node);
	if (g_strcmp0(mode, "source") == 0) {
		self->mode = IOT_TUNNEL_MODE_SOURCE;
	} else if (g_strcmp0(mode, "destination") == 0) {
		self->mode = IOT_TUNNEL_MODE_DESTINATION;
	} else {
		iot_profile_set_error_value(error, self->origin, path, node, expectation);
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_profile_tunnel_parse_region(IotProfileTunnel *self,
				JsonNode *node,
				const gchar *path,
				GError **error)
{
	const gchar *region = iot_profile_node_get_string(node);

	if (region == NULL || !g_regex_match_simple("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$",
						    region,
						    G_REGEX_DOLLAR_ENDONLY,
						    0)) {
		iot_profile_set_error_value(error,
					    self->origin,
					    path,
					    node,
					    _("set it to a region name such as \"us-east-1\""));
		return FALSE;
	}
	self->region = g_strdup(region);
	self->base_url = g_strdup_printf("wss://data.tunneling.iot.%s.amazonaws.com%s:443",
					 region,
					 g_str_has_prefix(region, "cn-") ? ".cn" : "");
	return TRUE;
}

static gboolean
iot_profile_tunnel_parse_endpoint(IotProfileTunnel *self,
				  JsonNode *node,
				  const gchar *path,
				  GError **error)
{
	const gchar *text = iot_profile_node_get_string(node);
	g_autofree gchar *base_url = NULL;
	IotProfileEndpoint rc = IOT_PROFILE_ENDPOINT_INVALID;
	const gchar *expectation = NULL;

	if (text != NULL)
		rc = iot_profile_parse_service_endpoint(text, &base_url);
	switch (rc) {
	case IOT_PROFILE_ENDPOINT_OK:
		self->endpoint = g_strdup(text);
		self->base_url = g_steal_pointer(&base_url);
		return TRUE;
	case IOT_PROFILE_ENDPOINT_BAD_PORT:
		expectation = _("set the port to a number from 1 to 65535");
		break;
	case IOT_PROFILE_ENDPOINT_PLAIN:
		expectation =
		    _("use \"wss://\", since \"ws://\" is only allowed for a loopback host");
		break;
	case IOT_PROFILE_ENDPOINT_INVALID:
	default:
		expectation = _("set it to \"wss://host:port\", \"host:port\" or \"host\"");
		break;
	}
	iot_profile_set_error_value(error, self->origin, path, node, expectation);
	return FALSE;
}

static gboolean
iot_profile_tunnel_parse_service(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	const gchar *const allowed[] = {"region", "endpoint", NULL};
	g_autofree gchar *path = iot_profile_path_member(self->json_path, "service");
	g_autofree gchar *member_path = NULL;
	JsonNode *node = json_object_get_member(object, "service");
	JsonObject *service;
	JsonNode *region;
	JsonNode *endpoint;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		const gchar *expectation =
		    _("set it to {\"region\": \"us-east-1\"} or {\"endpoint\": \"host:port\"}");
		if (node == NULL)
			iot_profile_set_error_missing(error, self->origin, path, expectation);
		else
			iot_profile_set_error_value(error, self->origin, path, node, expectation);
		return FALSE;
	}
	service = json_node_get_object(node);
	if (!iot_profile_check_members(service, allowed, self->origin, path, error))
		return FALSE;
	region = json_object_get_member(service, "region");
	endpoint = json_object_get_member(service, "endpoint");
	if (region != NULL && endpoint != NULL) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s holds both \"region\" and \"endpoint\"; keep one."),
			    self->origin,
			    path);
		return FALSE;
	}
	if (region != NULL) {
		member_path = iot_profile_path_member(path, "region");
		return iot_profile_tunnel_parse_region(self, region, member_path, error);
	}
	if (endpoint != NULL) {
		member_path = iot_profile_path_member(path, "endpoint");
		return iot_profile_tunnel_parse_endpoint(self, endpoint, member_path, error);
	}
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    _("%s: %s holds neither \"region\" nor \"endpoint\"; add one."),
		    self->origin,
		    path);
	return FALSE;
}

static gboolean
iot_profile_tunnel_parse_version(IotProfileTunnel *self,
				 JsonObject *object,
				 const gchar *key,
				 guint max_version,
				 guint *version,
				 GError **error)
{
	g_autofree gchar *path = NULL;
	JsonNode *node = json_object_get_member(object, key);
	const gchar *text;

	if (node == NULL)
		return TRUE;
	text = iot_profile_node_get_string(node);
	if (text != NULL && text[0] == 'v' && text[1] >= '1' &&
	    text[1] <= '0' + (gint)max_version && text[2] == '\0') {
		*version = (guint)(text[1] - '0');
		return TRUE;
	}
	path = iot_profile_path_member(self->json_path, key);
	iot_profile_set_error_value(error,
				    self->origin,
				    path,
				    node,
				    max_version == 3 ? _("set it to \"v1\", \"v2\" or \"v3\"")
						     : _("set it to \"v1\" or \"v2\""));
	return FALSE;
}

static gboolean
iot_profile_tunnel_parse_transport(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	g_autofree gchar *path = iot_profile_path_member(self->json_path, "transport");
	g_autofree gchar *type_path = NULL;
	JsonNode *node = json_object_get_member(object, "transport");
	JsonNode *type_node;
	const gchar *type;

	if (node == NULL) {
		self->transport_type = g_strdup("websocket");
		self->transport_settings = json_object_new();
		json_object_set_string_member(self->transport_settings, "type", "websocket");
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		iot_profile_set_error_value(
		    error,
		    self->origin,
		    path,
		    node,
		    _("set it to an object with \"type\" and the transport's settings"));
		return FALSE;
	}
	self->transport_settings = json_object_ref(json_node_get_object(node));
	type_node = json_object_get_member(self->transport_settings, "type");
	if (type_node == NULL) {
		self->transport_type = g_strdup("websocket");
		return TRUE;
	}
	type = iot_profile_node_get_string(type_node);
	if (type == NULL || !iot_profile_word_is_valid(type, IOT_PROFILE_PLUGIN_MAX, "_-")) {
		type_path = iot_profile_path_member(path, "type");
		iot_profile_set_error_value(
		    error,
		    self->origin,
		    type_path,
		    type_node,
		    _("set it to the name of a transport plugin, such as \"websocket\""));
		return FALSE;
	}
	self->transport_type = g_strdup(type);
	return TRUE;
}

/* a whole number from @min to @max; JSON Schema counts 128.0 as an integer, so do we */
static gboolean
iot_profile_tunnel_parse_integer(IotProfileTunnel *self,
				 JsonNode *node,
				 const gchar *path,
				 gint64 min,
				 gint64 max,
				 const gchar *expectation,
				 gint64 *value,
				 GError **error)
{
	gdouble number = G_MAXDOUBLE;

	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64)
		number = (gdouble)json_node_get_int(node);
	else if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_DOUBLE)
		number = json_node_get_double(node);
	if (number >= (gdouble)min && number <= (gdouble)max && number == (gdouble)(gint64)number) {
		*value = (gint64)number;
		return TRUE;
	}
	iot_profile_set_error_value(error, self->origin, path, node, expectation);
	return FALSE;
}

static gboolean
iot_profile_tunnel_parse_max_connections(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	g_autofree gchar *path = iot_profile_path_member(self->json_path, "max_connections");
	JsonNode *node = json_object_get_member(object, "max_connections");
	gint64 value = 0;

	if (node == NULL)
		return TRUE;
	if (!iot_profile_tunnel_parse_integer(self,
					      node,
					      path,
					      1,
					      G_MAXUINT16,
					      _("set it to a whole number from 1 to 65535"),
					      &value,
					      error))
		return FALSE;
	self->max_connections = (guint)value;
	return TRUE;
}

/*
 * The object @name of @object, whose members are read next: %NULL in
 * @section when the profile leaves it out, an error saying @expectation when
 * it is not an object, or naming a member it should not hold. @path is its
 * JSON path, for the messages about its members.
 */
static gboolean
iot_profile_tunnel_get_section(IotProfileTunnel *self,
			       JsonObject *object,
			       const gchar *name,
			       const gchar *const *allowed,
			       const gchar *expectation,
			       JsonObject **section,
			       gchar **path,
			       GError **error)
{
	JsonNode *node = json_object_get_member(object, name);

	*section = NULL;
	*path = iot_profile_path_member(self->json_path, name);
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		iot_profile_set_error_value(error, self->origin, *path, node, expectation);
		return FALSE;
	}
	if (!iot_profile_check_members(json_node_get_object(node),
				       allowed,
				       self->origin,
				       *path,
				       error))
		return FALSE;
	*section = json_node_get_object(node);
	return TRUE;
}

/*
 * The whole number @name of @section, from @min to @max, into @value when
 * the section holds it; @found says whether it does.
 */
static gboolean
iot_profile_tunnel_get_section_integer(IotProfileTunnel *self,
				       JsonObject *section,
				       const gchar *section_path,
				       const gchar *name,
				       gint64 min,
				       gint64 max,
				       const gchar *expectation,
				       gint64 *value,
				       gboolean *found,
				       GError **error)
{
	JsonNode *member = json_object_get_member(section, name);
	g_autofree gchar *path = NULL;

	*found = member != NULL;
	if (member == NULL)
		return TRUE;
	path = iot_profile_path_member(section_path, name);
	return iot_profile_tunnel_parse_integer(self,
						member,
						path,
						min,
						max,
						expectation,
						value,
						error);
}

static gboolean
iot_profile_tunnel_parse_flow_control(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	const gchar *const allowed[] = {"connection_buffer",
					"stall_timeout_ms",
					"extensions",
					NULL};
	g_autofree gchar *path = NULL;
	JsonObject *flow;
	JsonNode *member;
	gint64 value = 0;
	gboolean found;

	if (!iot_profile_tunnel_get_section(
		self,
		object,
		"flow_control",
		allowed,
		_("set it to an object with \"connection_buffer\", \"stall_timeout_ms\" and "
		  "\"extensions\""),
		&flow,
		&path,
		error))
		return FALSE;
	if (flow == NULL)
		return TRUE;
	if (!iot_profile_tunnel_get_section_integer(
		self,
		flow,
		path,
		"connection_buffer",
		IOT_PROFILE_TUNNEL_CONNECTION_BUFFER_MIN,
		IOT_PROFILE_TUNNEL_CONNECTION_BUFFER_MAX,
		_("set it to a whole number of bytes from 65536 to 1073741824"),
		&value,
		&found,
		error))
		return FALSE;
	if (found)
		self->connection_buffer = (guint)value;
	if (!iot_profile_tunnel_get_section_integer(
		self,
		flow,
		path,
		"stall_timeout_ms",
		0,
		IOT_PROFILE_TUNNEL_STALL_TIMEOUT_MS_MAX,
		_("set it to a whole number of milliseconds from 0 (never) to 3600000"),
		&value,
		&found,
		error))
		return FALSE;
	if (found)
		self->stall_timeout_ms = (guint)value;
	member = json_object_get_member(flow, "extensions");
	if (member != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(member) ||
		    json_node_get_value_type(member) != G_TYPE_BOOLEAN) {
			g_autofree gchar *extensions_path =
			    iot_profile_path_member(path, "extensions");
			iot_profile_set_error_value(error,
						    self->origin,
						    extensions_path,
						    member,
						    _("set it to true or false"));
			return FALSE;
		}
		self->extensions = json_node_get_boolean(member);
	}
	return TRUE;
}

static gboolean
iot_profile_tunnel_parse_reconnect(IotProfileTunnel *self, JsonObject *object, GError **error)
{
	const gchar *const allowed[] = {"delay_ms", "max_delay_ms", "count", NULL};
	const gchar *delay_expectation =
	    _("set it to a whole number of milliseconds from 1 to 3600000");
	g_autofree gchar *path = NULL;
	JsonObject *reconnect;
	gint64 value = 0;
	gboolean found;

	if (!iot_profile_tunnel_get_section(
		self,
		object,
		"reconnect",
		allowed,
		_("set it to an object with \"delay_ms\", \"max_delay_ms\" and \"count\""),
		&reconnect,
		&path,
		error))
		return FALSE;
	if (reconnect == NULL)
		return TRUE;
	if (!iot_profile_tunnel_get_section_integer(self,
						    reconnect,
						    path,
						    "delay_ms",
						    1,
						    IOT_PROFILE_TUNNEL_RECONNECT_DELAY_MS_MAX,
						    delay_expectation,
						    &value,
						    &found,
						    error))
		return FALSE;
	if (found)
		self->reconnect_delay_ms = (guint)value;
	if (!iot_profile_tunnel_get_section_integer(self,
						    reconnect,
						    path,
						    "max_delay_ms",
						    1,
						    IOT_PROFILE_TUNNEL_RECONNECT_DELAY_MS_MAX,
						    delay_expectation,
						    &value,
						    &found,
						    error))
		return FALSE;
	if (found && (guint)value < self->reconnect_delay_ms) {
		g_autofree gchar *max_path = iot_profile_path_member(path, "max_delay_ms");
		g_autofree gchar *delay_path = iot_profile_path_member(path, "delay_ms");
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is %u, below %s (%u); raise it or lower delay_ms."),
			    self->origin,
			    max_path,
			    (guint)value,
			    delay_path,
			    self->reconnect_delay_ms);
		return FALSE;
	}
	/* the default cap never undercuts a longer first delay */
	self->reconnect_max_delay_ms =
	    found
		? (guint)value
		: MAX(self->reconnect_delay_ms, IOT_PROFILE_TUNNEL_DEFAULT_RECONNECT_MAX_DELAY_MS);
	if (!iot_profile_tunnel_get_section_integer(self,
						    reconnect,
						    path,
						    "count",
						    -1,
						    IOT_PROFILE_TUNNEL_RECONNECT_COUNT_MAX,
						    _("set it to -1 to try for ever, or to a "
						      "number of tries from 0 to 1000000"),
						    &value,
						    &found,
						    error))
		return FALSE;
	if (found)
		self->reconnect_count = (gint)value;
	return TRUE;
}

/**
 * iot_profile_tunnel_new_from_json:
 * @node: one element of a profile's `tunnels`
 * @origin: what messages name as the source: the file as the user gave it,
 *   "D-Bus", "command line"
 * @path: the JSON path of @node, such as `$.tunnels[0]`
 * @error: (out) (optional): set in %IOT_PROFILE_ERROR, with a message for the user
 *
 * Validates one tunnel and applies the defaults. Inline tokens are checked
 * here; tokens from the environment or a file are read only when asked for.
 * The tunnel keeps references to the plugin settings objects in @node; do not
 * change them afterwards.
 *
 * Returns: (transfer full): a new #IotProfileTunnel, or %NULL with @error set
 */
IotProfileTunnel *
iot_profile_tunnel_new_from_json(JsonNode *node,
				 const gchar *origin,
				 const gchar *path,
				 GError **error)
{
	const gchar *const allowed[] = {"name",
					"mode",
					"service",
					"access_token",
					"client_token",
					"protocol",
					"destination_client_type",
					"transport",
					"max_connections",
					"reconnect",
					"flow_control",
					"services",
					NULL};
	g_autoptr(IotProfileTunnel) self = NULL;
	JsonObject *object;

	g_return_val_if_fail(node != NULL, NULL);
	g_return_val_if_fail(origin != NULL, NULL);
	g_return_val_if_fail(path != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		iot_profile_set_error_value(error,
					    origin,
					    path,
					    node,
					    _("set it to an object that describes a tunnel"));
		return NULL;
	}
	object = json_node_get_object(node);
	if (!iot_profile_check_members(object, allowed, origin, path, error))
		return NULL;

	self = g_object_new(IOT_TYPE_PROFILE_TUNNEL, NULL);
	self->origin = g_strdup(origin);
	self->json_path = g_strdup(path);
	if (!iot_profile_tunnel_parse_name(self, object, error))
		return NULL;
	if (!iot_profile_tunnel_parse_mode(self, object, error))
		return NULL;
	if (!iot_profile_tunnel_parse_service(self, object, error))
		return NULL;
	if (!iot_profile_token_parse(&self->access_token,
				     object,
				     "access_token",
				     self->origin,
				     self->json_path,
				     error))
		return NULL;
	if (!iot_profile_token_parse(&self->client_token,
				     object,
				     "client_token",
				     self->origin,
				     self->json_path,
				     error))
		return NULL;
	if (!iot_profile_tunnel_parse_version(self, object, "protocol", 3, &self->protocol, error))
		return NULL;
	if (!iot_profile_tunnel_parse_version(self,
					      object,
					      "destination_client_type",
					      2,
					      &self->destination_client_type,
					      error))
		return NULL;
	if (self->destination_client_type != 0 && self->protocol != 3) {
		g_autofree gchar *dct_path =
		    iot_profile_path_member(self->json_path, "destination_client_type");
		g_autofree gchar *protocol_path =
		    iot_profile_path_member(self->json_path, "protocol");
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is \"v%u\", but %s is \"v%u\"; remove "
			      "destination_client_type or set the protocol to \"v3\"."),
			    self->origin,
			    dct_path,
			    self->destination_client_type,
			    protocol_path,
			    self->protocol);
		return NULL;
	}
	if (!iot_profile_tunnel_parse_transport(self, object, error))
		return NULL;
	if (!iot_profile_tunnel_parse_max_connections(self, object, error))
		return NULL;
	if (!iot_profile_tunnel_parse_reconnect(self, object, error))
		return NULL;
	if (!iot_profile_tunnel_parse_flow_control(self, object, error))
		return NULL;
	if (!iot_profile_services_parse(object,
					self->origin,
					self->json_path,
					self->services,
					error))
		return NULL;

	self->tunnel_url =
	    g_strdup_printf("%s/tunnel?local-proxy-mode=%s",
			    self->base_url,
			    self->mode == IOT_TUNNEL_MODE_SOURCE ? "source" : "destination");
	return g_steal_pointer(&self);
}

/**
 * iot_profile_tunnel_read_access_token:
 * @self: an #IotProfileTunnel
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_TOKEN
 *
 * Resolves the access token now: reads the environment variable or the file
 * it names (trailing newlines stripped; a file that anyone may write is
 * refused), or returns the inline value. Never log the result.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
gchar *
iot_profile_tunnel_read_access_token(IotProfileTunnel *self, GError **error)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	return iot_profile_token_read(&self->access_token,
				      "access_token",
				      self->origin,
				      self->json_path,
				      error);
}

/**
 * iot_profile_tunnel_read_client_token:
 * @self: an #IotProfileTunnel
 * @error: (out) (optional): set to %IOT_PROFILE_ERROR_TOKEN
 *
 * Resolves the client token now, as iot_profile_tunnel_read_access_token()
 * does, and checks its form (32 to 128 of `[A-Za-z0-9-]`). Call it only when
 * iot_profile_tunnel_has_client_token() says there is one.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
gchar *
iot_profile_tunnel_read_client_token(IotProfileTunnel *self, GError **error)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	return iot_profile_token_read(&self->client_token,
				      "client_token",
				      self->origin,
				      self->json_path,
				      error);
}

/**
 * iot_profile_tunnel_has_access_token:
 * @self: an #IotProfileTunnel
 *
 * Returns: %TRUE when the profile says where the access token comes from
 */
gboolean
iot_profile_tunnel_has_access_token(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), FALSE);
	return self->access_token.kind != IOT_PROFILE_TOKEN_NONE;
}

/**
 * iot_profile_tunnel_has_client_token:
 * @self: an #IotProfileTunnel
 *
 * Returns: %TRUE when the profile says where the client token comes from
 */
gboolean
iot_profile_tunnel_has_client_token(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), FALSE);
	return self->client_token.kind != IOT_PROFILE_TOKEN_NONE;
}

/**
 * iot_profile_tunnel_to_json:
 * @self: an #IotProfileTunnel
 * @include_secrets: whether to write tokens given inline
 *
 * Writes the tunnel back as profile JSON, defaults included, that parses to
 * an equal tunnel. Tokens are written as where they come from (`{"env": ...}`,
 * `{"file": ...}`); an inline token is written as `{"value": ...}` only with
 * @include_secrets, and left out otherwise.
 *
 * Returns: (transfer full): a JSON object node that shares nothing with @self
 */
JsonNode *
iot_profile_tunnel_to_json(IotProfileTunnel *self, gboolean include_secrets)
{
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(JsonObject) service = json_object_new();
	g_autoptr(JsonObject) services = json_object_new();
	g_autoptr(JsonObject) reconnect = json_object_new();
	g_autoptr(JsonObject) flow = json_object_new();
	g_autoptr(JsonNode) transport = NULL;
	JsonNode *access_token;
	JsonNode *client_token;

	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);

	json_object_set_string_member(object, "name", self->name);
	json_object_set_string_member(object,
				      "mode",
				      self->mode == IOT_TUNNEL_MODE_SOURCE ? "source"
									   : "destination");
	if (self->region != NULL)
		json_object_set_string_member(service, "region", self->region);
	else
		json_object_set_string_member(service, "endpoint", self->endpoint);
	json_object_set_object_member(object, "service", g_steal_pointer(&service));
	access_token = iot_profile_token_to_json(&self->access_token, include_secrets);
	if (access_token != NULL)
		json_object_set_member(object, "access_token", access_token);
	client_token = iot_profile_token_to_json(&self->client_token, include_secrets);
	if (client_token != NULL)
		json_object_set_member(object, "client_token", client_token);
	json_object_set_string_member(object,
				      "protocol",
				      self->protocol == 1   ? "v1"
				      : self->protocol == 2 ? "v2"
							    : "v3");
	if (self->destination_client_type != 0) {
		json_object_set_string_member(object,
					      "destination_client_type",
					      self->destination_client_type == 1 ? "v1" : "v2");
	}
	transport = json_node_init_object(json_node_alloc(), self->transport_settings);
	json_object_set_member(object, "transport", iot_profile_json_copy(transport));
	json_object_set_int_member(object, "max_connections", self->max_connections);
	json_object_set_int_member(reconnect, "delay_ms", self->reconnect_delay_ms);
	json_object_set_int_member(reconnect, "max_delay_ms", self->reconnect_max_delay_ms);
	json_object_set_int_member(reconnect, "count", self->reconnect_count);
	json_object_set_object_member(object, "reconnect", g_steal_pointer(&reconnect));
	json_object_set_int_member(flow, "connection_buffer", self->connection_buffer);
	json_object_set_int_member(flow, "stall_timeout_ms", self->stall_timeout_ms);
	json_object_set_boolean_member(flow, "extensions", self->extensions);
	json_object_set_object_member(object, "flow_control", g_steal_pointer(&flow));
	for (guint i = 0; i < self->services->len; i++) {
		IotProfileService *entry = g_ptr_array_index(self->services, i);
		g_autoptr(JsonNode) settings =
		    json_node_init_object(json_node_alloc(),
					  iot_profile_service_get_settings(entry));
		json_object_set_member(services,
				       iot_profile_service_get_id(entry),
				       iot_profile_json_copy(settings));
	}
	json_object_set_object_member(object, "services", g_steal_pointer(&services));
	return json_node_init_object(json_node_alloc(), object);
}

/**
 * iot_profile_tunnel_get_origin:
 * @self: an #IotProfileTunnel
 *
 * Returns: what messages name as the tunnel's source (a file, "D-Bus")
 */
const gchar *
iot_profile_tunnel_get_origin(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->origin;
}

/**
 * iot_profile_tunnel_get_json_path:
 * @self: an #IotProfileTunnel
 *
 * Returns: where the tunnel sits in its profile, such as `$.tunnels[0]`
 */
const gchar *
iot_profile_tunnel_get_json_path(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->json_path;
}

/**
 * iot_profile_tunnel_get_name:
 * @self: an #IotProfileTunnel
 *
 * Returns: the tunnel's name, unique in its profile
 */
const gchar *
iot_profile_tunnel_get_name(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->name;
}

/**
 * iot_profile_tunnel_get_mode:
 * @self: an #IotProfileTunnel
 *
 * Returns: which side of the tunnel this is
 */
IotTunnelMode
iot_profile_tunnel_get_mode(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), IOT_TUNNEL_MODE_SOURCE);
	return self->mode;
}

/**
 * iot_profile_tunnel_get_region:
 * @self: an #IotProfileTunnel
 *
 * Returns: (nullable): the region, or %NULL when the service is given by endpoint
 */
const gchar *
iot_profile_tunnel_get_region(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->region;
}

/**
 * iot_profile_tunnel_get_base_url:
 * @self: an #IotProfileTunnel
 *
 * Returns: the service's URL without a path, `wss://host:port` (`ws://` only
 * for a loopback host, IPv6 hosts in brackets)
 */
const gchar *
iot_profile_tunnel_get_base_url(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->base_url;
}

/**
 * iot_profile_tunnel_get_tunnel_url:
 * @self: an #IotProfileTunnel
 *
 * Returns: the URL to connect to, `<base>/tunnel?local-proxy-mode=<mode>`
 */
const gchar *
iot_profile_tunnel_get_tunnel_url(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->tunnel_url;
}

/**
 * iot_profile_tunnel_get_protocol:
 * @self: an #IotProfileTunnel
 *
 * Returns: the protocol version to offer, 1 to 3
 */
guint
iot_profile_tunnel_get_protocol(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->protocol;
}

/**
 * iot_profile_tunnel_get_destination_client_type:
 * @self: an #IotProfileTunnel
 *
 * Returns: the older version the destination speaks (the reference's `-y`),
 * 1 or 2, or 0 when not set; only ever set with protocol 3
 */
guint
iot_profile_tunnel_get_destination_client_type(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->destination_client_type;
}

/**
 * iot_profile_tunnel_get_transport_type:
 * @self: an #IotProfileTunnel
 *
 * Returns: the transport plugin's name, "websocket" by default
 */
const gchar *
iot_profile_tunnel_get_transport_type(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->transport_type;
}

/**
 * iot_profile_tunnel_get_transport_settings:
 * @self: an #IotProfileTunnel
 *
 * Returns: (transfer none): the whole `transport` object ("type" included
 * when it was written), for iot_transport_configure(); read it, do not change it
 */
JsonObject *
iot_profile_tunnel_get_transport_settings(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->transport_settings;
}

/**
 * iot_profile_tunnel_get_extensions:
 * @self: a tunnel profile
 *
 * Returns: whether the tunnel speaks iotunnel's protocol extensions (credit,
 *   half-close) to a peer that announces them; %FALSE sends none of them
 */
gboolean
iot_profile_tunnel_get_extensions(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), TRUE);
	return self->extensions;
}

/**
 * iot_profile_tunnel_get_connection_buffer:
 * @self: a tunnel profile
 *
 * Returns: the bytes each local connection holds for its local peer
 */
guint
iot_profile_tunnel_get_connection_buffer(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), IOT_CONNECTION_DEFAULT_BUDGET);
	return self->connection_buffer;
}

/**
 * iot_profile_tunnel_get_stall_timeout_ms:
 * @self: a tunnel profile
 *
 * Returns: how long a full connection whose peer cannot be paced may take
 *   nothing before it is reset, 0 for never
 */
guint
iot_profile_tunnel_get_stall_timeout_ms(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), IOT_CONNECTION_DEFAULT_STALL_TIMEOUT_MS);
	return self->stall_timeout_ms;
}

/**
 * iot_profile_tunnel_get_max_connections:
 * @self: an #IotProfileTunnel
 *
 * Returns: the most local connections open at once, 128 by default
 */
guint
iot_profile_tunnel_get_max_connections(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->max_connections;
}

/**
 * iot_profile_tunnel_get_reconnect_delay_ms:
 * @self: an #IotProfileTunnel
 *
 * Returns: how long to wait before the first try to reconnect, 2500 ms by
 *   default; each failed try doubles it, up to the maximum
 */
guint
iot_profile_tunnel_get_reconnect_delay_ms(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->reconnect_delay_ms;
}

/**
 * iot_profile_tunnel_get_reconnect_max_delay_ms:
 * @self: an #IotProfileTunnel
 *
 * Returns: the longest wait between tries, 30000 ms by default (or the first
 *   delay, when that is longer); never below the first delay
 */
guint
iot_profile_tunnel_get_reconnect_max_delay_ms(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->reconnect_max_delay_ms;
}

/**
 * iot_profile_tunnel_get_reconnect_count:
 * @self: an #IotProfileTunnel
 *
 * Returns: how many tries in a row may fail (5xx, network) before the tunnel
 *   gives up: -1 (the default) for no limit, 0 to give up at the first
 */
gint
iot_profile_tunnel_get_reconnect_count(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), 0);
	return self->reconnect_count;
}

/**
 * iot_profile_tunnel_get_services:
 * @self: an #IotProfileTunnel
 *
 * Returns: (transfer none) (element-type IotProfileService): the service
 * mappings in the profile's order, at least one
 */
GPtrArray *
iot_profile_tunnel_get_services(IotProfileTunnel *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_TUNNEL(self), NULL);
	return self->services;
}
