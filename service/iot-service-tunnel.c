/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-tunnel.h"

#include "iot-service-common.h"

/*
 * One tunnel: its services, lifetime and two access tokens, the source and
 * destination peers connected with them, and the relay between the two.
 *
 * Frames are relayed as received. The tunnel follows which stream is active
 * per service, so that a peer that goes away (or is replaced by a new
 * connection with the same token) can be reported to the other side as a
 * STREAM_RESET per open stream. A stream start that finds no peer on the
 * other side is answered with a reset at once; other frames are dropped and
 * counted.
 *
 * It also carries what the AWS API describes it with: a description, the
 * thing name of its destination, tags, and when it last changed.
 */

typedef struct {
	gchar *secret;	      /* NULL once restored from the state file, which keeps digests */
	gchar *digest;	      /* SHA-256 of the secret, in hex */
	gchar *client_digest; /* of the client token bound at the first handshake that sent one */
	gboolean spent;	      /* used by a handshake without a client token */
} IotServiceTunnelToken;

typedef struct {
	guint64 bytes;
	guint64 messages;
	guint64 dropped;
} IotServiceTunnelCounters;

struct _IotServiceTunnel {
	GObject parent_instance;
	gchar *id;
	GStrv services;
	guint lifetime;
	GDateTime *created_at;
	GDateTime *expires_at;
	GDateTime *closed_at;
	gchar *close_reason;
	gboolean closed;
	guint lifetime_source_id;
	IotServiceTunnelToken tokens[2];      /* by IotTunnelMode */
	IotServicePeer *peers[2];	      /* by IotTunnelMode */
	GDateTime *peer_changed_at[2];	      /* by IotTunnelMode */
	IotServiceTunnelCounters counters[2]; /* by the sender's IotTunnelMode */
	GHashTable *streams;		      /* service id ("" for V1 style) -> active stream id */
	gchar *description;		      /* NULL when none was given */
	gchar *thing_name;		      /* NULL when none was given */
	GPtrArray *tags;		      /* IotServiceTag, in the order they were added */
	GDateTime *updated_at; /* last change of status, tokens, destination or tags */
};

G_DEFINE_FINAL_TYPE(IotServiceTunnel, iot_service_tunnel, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-tunnel-error-quark, iot_service_tunnel_error);

enum { SIGNAL_CLOSED, SIGNAL_CHANGED, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

/**
 * iot_service_tag_new:
 * @key: the key
 * @value: the value
 *
 * Returns: (transfer full): a tag
 */
IotServiceTag *
iot_service_tag_new(const gchar *key, const gchar *value)
{
	IotServiceTag *tag = g_new0(IotServiceTag, 1);
	tag->key = g_strdup(key);
	tag->value = g_strdup(value);
	return tag;
}

void
iot_service_tag_free(IotServiceTag *tag)
{
	g_free(tag->key);
	g_free(tag->value);
	g_free(tag);
}

static const gchar *
iot_service_tunnel_mode_to_string(IotTunnelMode mode)
{
	return mode == IOT_TUNNEL_MODE_SOURCE ? "source" : "destination";
}

static IotTunnelMode
iot_service_tunnel_other(IotTunnelMode mode)
{
	return mode == IOT_TUNNEL_MODE_SOURCE ? IOT_TUNNEL_MODE_DESTINATION
					      : IOT_TUNNEL_MODE_SOURCE;
}

/* a service name as the real service takes it */
static gboolean
iot_service_tunnel_service_is_valid(const gchar *service)
{
	gsize len = strlen(service);
	if (len == 0 || len > 128)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		gchar c = service[i];
		if (!g_ascii_isalnum(c) && c != '_' && c != '-' && c != ':')
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_service_tunnel_lifetime_cb(gpointer user_data)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(user_data);
	self->lifetime_source_id = 0;
	iot_service_tunnel_close(self, IOT_SERVICE_CLOSE_NORMAL, "tunnel lifetime expired");
	return G_SOURCE_REMOVE;
}

/* closes the tunnel in @ms milliseconds */
static void
iot_service_tunnel_start_lifetime(IotServiceTunnel *self, guint64 ms)
{
	self->lifetime_source_id = g_timeout_add_full(G_PRIORITY_DEFAULT,
						      (guint)MIN(ms, G_MAXUINT),
						      iot_service_tunnel_lifetime_cb,
						      self,
						      NULL);
	g_source_set_static_name(g_main_context_find_source_by_id(NULL, self->lifetime_source_id),
				 "IotServiceTunnel lifetime");
}

/* the services and lifetime a tunnel may have */
static gboolean
iot_service_tunnel_check(const gchar *const *services, guint lifetime, GError **error)
{
	guint n_services = g_strv_length((gchar **)services);

	if (n_services > IOT_SERVICE_MAX_SERVICES) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_INVALID,
			    "%u services, at most %u are allowed",
			    n_services,
			    (guint)IOT_SERVICE_MAX_SERVICES);
		return FALSE;
	}
	for (guint i = 0; i < n_services; i++) {
		if (!iot_service_tunnel_service_is_valid(services[i])) {
			g_set_error(error,
				    IOT_SERVICE_TUNNEL_ERROR,
				    IOT_SERVICE_TUNNEL_ERROR_INVALID,
				    "service \"%s\" is not 1 to 128 of A-Z, a-z, 0-9, _, - and :",
				    services[i]);
			return FALSE;
		}
		for (guint j = 0; j < i; j++) {
			if (g_strcmp0(services[i], services[j]) == 0) {
				g_set_error(error,
					    IOT_SERVICE_TUNNEL_ERROR,
					    IOT_SERVICE_TUNNEL_ERROR_INVALID,
					    "service \"%s\" is listed twice",
					    services[i]);
				return FALSE;
			}
		}
	}
	if (lifetime == 0 || lifetime > IOT_SERVICE_MAX_LIFETIME) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_INVALID,
			    "lifetime of %u seconds is not between 1 and %u",
			    lifetime,
			    (guint)IOT_SERVICE_MAX_LIFETIME);
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_service_tunnel_new:
 * @services: (array zero-terminated=1): the service IDs, at most
 *   %IOT_SERVICE_MAX_SERVICES, each unique, of `[A-Za-z0-9_:-]{1,128}`
 * @lifetime: seconds until the tunnel closes, 1 to %IOT_SERVICE_MAX_LIFETIME
 * @error: (nullable): return location for an error
 *
 * Opens a tunnel with new random tokens; its lifetime starts now.
 *
 * Returns: (transfer full): the tunnel, or %NULL with @error set
 */
IotServiceTunnel *
iot_service_tunnel_new(const gchar *const *services, guint lifetime, GError **error)
{
	g_autoptr(IotServiceTunnel) self = g_object_new(IOT_TYPE_SERVICE_TUNNEL, NULL);

	if (!iot_service_tunnel_check(services, lifetime, error))
		return NULL;
	self->id = iot_service_random_uuid(error);
	if (self->id == NULL)
		return NULL;
	for (guint mode = 0; mode < 2; mode++) {
		self->tokens[mode].secret = iot_service_random_token(error);
		if (self->tokens[mode].secret == NULL)
			return NULL;
		self->tokens[mode].digest = iot_service_secret_digest(self->tokens[mode].secret);
	}
	self->services = g_strdupv((gchar **)services);
	self->lifetime = lifetime;
	self->created_at = g_date_time_new_now_utc();
	self->updated_at = g_date_time_ref(self->created_at);
	self->expires_at = g_date_time_add_seconds(self->created_at, lifetime);
	iot_service_tunnel_start_lifetime(self, (guint64)lifetime * 1000);
	return g_steal_pointer(&self);
}

static void
iot_service_tunnel_add_time(JsonBuilder *builder, const gchar *name, GDateTime *time)
{
	g_autofree gchar *text = NULL;
	if (time == NULL)
		return;
	text = g_date_time_format_iso8601(time);
	json_builder_set_member_name(builder, name);
	json_builder_add_string_value(builder, text);
}

/* the state file's members ------------------------------------------------ */

static const gchar *
iot_service_tunnel_mode_member(IotTunnelMode mode)
{
	return mode == IOT_TUNNEL_MODE_SOURCE ? "source" : "destination";
}

static gboolean
iot_service_tunnel_set_state_error(GError **error, const gchar *member)
{
	g_set_error(error,
		    IOT_SERVICE_TUNNEL_ERROR,
		    IOT_SERVICE_TUNNEL_ERROR_INVALID,
		    "member \"%s\" is missing or invalid",
		    member);
	return FALSE;
}

static const gchar *
iot_service_tunnel_state_string(JsonObject *object, const gchar *member)
{
	JsonNode *node = json_object_get_member(object, member);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* a SHA-256 in lower-case hex, as iot_service_secret_digest() writes it */
static gboolean
iot_service_tunnel_digest_is_valid(const gchar *digest)
{
	if (digest == NULL || strlen(digest) != 64)
		return FALSE;
	for (const gchar *p = digest; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p) && (*p < 'a' || *p > 'f'))
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_service_tunnel_token_from_state(IotServiceTunnelToken *token,
				    JsonObject *object,
				    const gchar *member,
				    GError **error)
{
	JsonNode *node = json_object_get_member(object, member);
	JsonObject *state;
	JsonNode *spent;
	const gchar *digest;
	const gchar *client_digest;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return iot_service_tunnel_set_state_error(error, member);
	state = json_node_get_object(node);
	digest = iot_service_tunnel_state_string(state, "tokenDigest");
	if (!iot_service_tunnel_digest_is_valid(digest))
		return iot_service_tunnel_set_state_error(error, "tokenDigest");
	client_digest = iot_service_tunnel_state_string(state, "clientTokenDigest");
	if (json_object_has_member(state, "clientTokenDigest") &&
	    !iot_service_tunnel_digest_is_valid(client_digest))
		return iot_service_tunnel_set_state_error(error, "clientTokenDigest");
	spent = json_object_get_member(state, "spent");
	if (spent == NULL || !JSON_NODE_HOLDS_VALUE(spent) ||
	    json_node_get_value_type(spent) != G_TYPE_BOOLEAN)
		return iot_service_tunnel_set_state_error(error, "spent");
	token->digest = g_strdup(digest);
	token->client_digest = g_strdup(client_digest);
	token->spent = json_node_get_boolean(spent);
	return TRUE;
}

static GDateTime *
iot_service_tunnel_time_from_state(JsonObject *object, const gchar *member, GError **error)
{
	const gchar *text = iot_service_tunnel_state_string(object, member);
	GDateTime *time = text != NULL ? g_date_time_new_from_iso8601(text, NULL) : NULL;
	if (time == NULL)
		iot_service_tunnel_set_state_error(error, member);
	return time;
}

/* an optional string member: absent, or a string */
static gboolean
iot_service_tunnel_optional_string(JsonObject *object,
				   const gchar *member,
				   gchar **value,
				   GError **error)
{
	if (!json_object_has_member(object, member))
		return TRUE;
	*value = g_strdup(iot_service_tunnel_state_string(object, member));
	if (*value == NULL)
		return iot_service_tunnel_set_state_error(error, member);
	return TRUE;
}

/* what the AWS API gave the tunnel: all optional, for files of earlier versions */
static gboolean
iot_service_tunnel_details_from_state(IotServiceTunnel *self, JsonObject *object, GError **error)
{
	JsonNode *node;

	if (!iot_service_tunnel_optional_string(object, "description", &self->description, error))
		return FALSE;
	if (!iot_service_tunnel_optional_string(object, "thingName", &self->thing_name, error))
		return FALSE;
	if (json_object_has_member(object, "lastUpdatedAt")) {
		self->updated_at =
		    iot_service_tunnel_time_from_state(object, "lastUpdatedAt", error);
		if (self->updated_at == NULL)
			return FALSE;
	} else {
		self->updated_at = g_date_time_ref(self->created_at);
	}
	node = json_object_get_member(object, "tags");
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(node))
		return iot_service_tunnel_set_state_error(error, "tags");
	for (guint i = 0; i < json_array_get_length(json_node_get_array(node)); i++) {
		JsonNode *element = json_array_get_element(json_node_get_array(node), i);
		const gchar *key;
		const gchar *value;

		if (!JSON_NODE_HOLDS_OBJECT(element))
			return iot_service_tunnel_set_state_error(error, "tags");
		key = iot_service_tunnel_state_string(json_node_get_object(element), "key");
		value = iot_service_tunnel_state_string(json_node_get_object(element), "value");
		if (key == NULL || value == NULL)
			return iot_service_tunnel_set_state_error(error, "tags");
		g_ptr_array_add(self->tags, iot_service_tag_new(key, value));
	}
	return TRUE;
}

/**
 * iot_service_tunnel_new_from_state:
 * @object: one tunnel as iot_service_tunnel_to_state() wrote it
 * @error: (nullable): return location for an error in %IOT_SERVICE_TUNNEL_ERROR
 *
 * Brings back an open tunnel that a previous run of the service kept: its
 * id, services and expiry, and its tokens (as digests) with what they are
 * bound to, so that proxies reconnect as if the service had not restarted.
 *
 * Returns: (transfer full): the tunnel, or %NULL with @error set:
 *   %IOT_SERVICE_TUNNEL_ERROR_CLOSED when its lifetime ran out meanwhile,
 *   %IOT_SERVICE_TUNNEL_ERROR_INVALID when @object is not a kept tunnel
 */
IotServiceTunnel *
iot_service_tunnel_new_from_state(JsonObject *object, GError **error)
{
	g_autoptr(IotServiceTunnel) self = g_object_new(IOT_TYPE_SERVICE_TUNNEL, NULL);
	g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	JsonNode *node;
	JsonArray *array;
	const gchar *id;
	gint64 lifetime;
	GTimeSpan remaining;

	id = iot_service_tunnel_state_string(object, "tunnelId");
	if (id == NULL || id[0] == '\0') {
		iot_service_tunnel_set_state_error(error, "tunnelId");
		return NULL;
	}
	node = json_object_get_member(object, "services");
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY(node)) {
		iot_service_tunnel_set_state_error(error, "services");
		return NULL;
	}
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_VALUE(element) ||
		    json_node_get_value_type(element) != G_TYPE_STRING) {
			iot_service_tunnel_set_state_error(error, "services");
			return NULL;
		}
		g_ptr_array_add(services, g_strdup(json_node_get_string(element)));
	}
	g_ptr_array_add(services, NULL);
	node = json_object_get_member(object, "lifetime");
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64) {
		iot_service_tunnel_set_state_error(error, "lifetime");
		return NULL;
	}
	lifetime = json_node_get_int(node);
	if (lifetime < 1 || lifetime > IOT_SERVICE_MAX_LIFETIME) {
		iot_service_tunnel_set_state_error(error, "lifetime");
		return NULL;
	}
	if (!iot_service_tunnel_check((const gchar *const *)services->pdata, lifetime, error))
		return NULL;
	self->created_at = iot_service_tunnel_time_from_state(object, "createdAt", error);
	if (self->created_at == NULL)
		return NULL;
	self->expires_at = iot_service_tunnel_time_from_state(object, "expiresAt", error);
	if (self->expires_at == NULL)
		return NULL;
	if (!iot_service_tunnel_details_from_state(self, object, error))
		return NULL;
	for (guint mode = 0; mode < 2; mode++) {
		if (!iot_service_tunnel_token_from_state(&self->tokens[mode],
							 object,
							 iot_service_tunnel_mode_member(mode),
							 error))
			return NULL;
	}
	self->id = g_strdup(id);
	self->services = (GStrv)g_ptr_array_free(g_steal_pointer(&services), FALSE);
	self->lifetime = lifetime;
	remaining = g_date_time_difference(self->expires_at, now);
	if (remaining <= 0) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_CLOSED,
			    "tunnel %s: its lifetime ran out while the service was stopped",
			    self->id);
		return NULL;
	}
	iot_service_tunnel_start_lifetime(self, (guint64)(remaining + 999) / 1000);
	return g_steal_pointer(&self);
}

/**
 * iot_service_tunnel_to_state:
 * @self: an open tunnel
 * @builder: where to add one object that iot_service_tunnel_new_from_state()
 *   reads back
 *
 * Writes what a restart must keep. Tokens appear only as their SHA-256, so
 * the state file holds no secret that connects.
 */
void
iot_service_tunnel_to_state(IotServiceTunnel *self, JsonBuilder *builder)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnelId");
	json_builder_add_string_value(builder, self->id);
	json_builder_set_member_name(builder, "services");
	json_builder_begin_array(builder);
	for (guint i = 0; self->services[i] != NULL; i++)
		json_builder_add_string_value(builder, self->services[i]);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "lifetime");
	json_builder_add_int_value(builder, self->lifetime);
	iot_service_tunnel_add_time(builder, "createdAt", self->created_at);
	iot_service_tunnel_add_time(builder, "expiresAt", self->expires_at);
	iot_service_tunnel_add_time(builder, "lastUpdatedAt", self->updated_at);
	if (self->description != NULL) {
		json_builder_set_member_name(builder, "description");
		json_builder_add_string_value(builder, self->description);
	}
	if (self->thing_name != NULL) {
		json_builder_set_member_name(builder, "thingName");
		json_builder_add_string_value(builder, self->thing_name);
	}
	json_builder_set_member_name(builder, "tags");
	json_builder_begin_array(builder);
	for (guint i = 0; i < self->tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(self->tags, i);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "key");
		json_builder_add_string_value(builder, tag->key);
		json_builder_set_member_name(builder, "value");
		json_builder_add_string_value(builder, tag->value);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	for (guint mode = 0; mode < 2; mode++) {
		IotServiceTunnelToken *token = &self->tokens[mode];
		json_builder_set_member_name(builder, iot_service_tunnel_mode_member(mode));
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "tokenDigest");
		json_builder_add_string_value(builder, token->digest);
		if (token->client_digest != NULL) {
			json_builder_set_member_name(builder, "clientTokenDigest");
			json_builder_add_string_value(builder, token->client_digest);
		}
		json_builder_set_member_name(builder, "spent");
		json_builder_add_boolean_value(builder, token->spent);
		json_builder_end_object(builder);
	}
	json_builder_end_object(builder);
}

const gchar *
iot_service_tunnel_get_id(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->id;
}

/**
 * iot_service_tunnel_get_services:
 * @self: a tunnel
 *
 * Returns: (transfer none): the service IDs, in the order they were given
 */
const gchar *const *
iot_service_tunnel_get_services(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return (const gchar *const *)self->services;
}

gboolean
iot_service_tunnel_is_closed(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), TRUE);
	return self->closed;
}

/**
 * iot_service_tunnel_get_access_token:
 * @self: a tunnel
 * @mode: which token
 *
 * Returns: (nullable): the secret; only the APIs' answers to an open or a
 *   rotation show it, nothing logs it; %NULL for a tunnel restored from the
 *   state file, until a rotation
 */
const gchar *
iot_service_tunnel_get_access_token(IotServiceTunnel *self, IotTunnelMode mode)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->tokens[mode].secret;
}

/**
 * iot_service_tunnel_get_token_digest:
 * @self: a tunnel
 * @mode: which token
 *
 * Returns: the SHA-256 of the token in hex, what the server indexes tunnels by
 */
const gchar *
iot_service_tunnel_get_token_digest(IotServiceTunnel *self, IotTunnelMode mode)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->tokens[mode].digest;
}

/**
 * iot_service_tunnel_match_token:
 * @self: a tunnel
 * @token: an access token from a handshake
 * @mode: (out): the mode @token is for
 *
 * Compares @token with both tokens in constant time.
 *
 * Returns: %TRUE when @token is one of the tunnel's
 */
gboolean
iot_service_tunnel_match_token(IotServiceTunnel *self, const gchar *token, IotTunnelMode *mode)
{
	g_autofree gchar *digest = NULL;
	gboolean source;
	gboolean destination;

	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), FALSE);

	/* digests, not secrets: a tunnel restored from the state file knows only those */
	digest = iot_service_secret_digest(token);
	source = iot_service_secret_equal(digest, self->tokens[IOT_TUNNEL_MODE_SOURCE].digest);
	destination =
	    iot_service_secret_equal(digest, self->tokens[IOT_TUNNEL_MODE_DESTINATION].digest);
	if (source)
		*mode = IOT_TUNNEL_MODE_SOURCE;
	else if (destination)
		*mode = IOT_TUNNEL_MODE_DESTINATION;
	return source || destination;
}

/**
 * iot_service_tunnel_authorize:
 * @self: a tunnel
 * @token_mode: the mode of the token the handshake gave
 * @requested_mode: the `local-proxy-mode` of the handshake
 * @client_token: (nullable): the handshake's client token, already checked
 *   for its form
 * @error: (nullable): return location for an error in %IOT_SERVICE_TUNNEL_ERROR
 *
 * Decides a handshake (PROTOCOL.md section 1) and, when it passes, records the
 * use of the token: without a client token the token is spent; with one, the
 * token is bound to it and takes reconnects that send the same one.
 *
 * Returns: %TRUE when the handshake may go on
 */
gboolean
iot_service_tunnel_authorize(IotServiceTunnel *self,
			     IotTunnelMode token_mode,
			     IotTunnelMode requested_mode,
			     const gchar *client_token,
			     GError **error)
{
	IotServiceTunnelToken *token;
	g_autofree gchar *client_digest = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), FALSE);

	token = &self->tokens[token_mode];
	if (client_token != NULL)
		client_digest = iot_service_secret_digest(client_token);
	if (self->closed) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_CLOSED,
			    "the tunnel is closed (%s)",
			    self->close_reason);
		return FALSE;
	}
	if (token_mode != requested_mode) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_WRONG_MODE,
			    "the access token is for %s mode, not %s",
			    iot_service_tunnel_mode_to_string(token_mode),
			    iot_service_tunnel_mode_to_string(requested_mode));
		return FALSE;
	}
	if (token->client_digest != NULL) {
		if (client_digest == NULL ||
		    !iot_service_secret_equal(token->client_digest, client_digest)) {
			g_set_error_literal(error,
					    IOT_SERVICE_TUNNEL_ERROR,
					    IOT_SERVICE_TUNNEL_ERROR_TOKEN_SPENT,
					    "the access token is in use with another client token");
			return FALSE;
		}
		return TRUE;
	}
	if (token->spent) {
		g_set_error_literal(error,
				    IOT_SERVICE_TUNNEL_ERROR,
				    IOT_SERVICE_TUNNEL_ERROR_TOKEN_SPENT,
				    "the access token was already used without a client token");
		return FALSE;
	}
	if (client_digest != NULL)
		token->client_digest = g_steal_pointer(&client_digest);
	else
		token->spent = TRUE;
	return TRUE;
}

/* tells @peer that every open stream is gone, in the format of its version */
static void
iot_service_tunnel_reset_streams(IotServiceTunnel *self, IotServicePeer *peer)
{
	GHashTableIter iter;
	gpointer key;
	gpointer value;

	g_hash_table_iter_init(&iter, self->streams);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		const gchar *service_id = key;
		g_autoptr(IotMessage) msg = NULL;

		if (peer == NULL)
			break;
		msg = iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_RESET,
					   GPOINTER_TO_INT(value),
					   iot_service_peer_get_version(peer) >= 2 ? service_id
										   : NULL,
					   0,
					   NULL);
		iot_service_peer_send_message(peer, msg);
	}
	g_hash_table_remove_all(self->streams);
}

static void
iot_service_tunnel_detach(IotServiceTunnel *self, IotTunnelMode mode)
{
	IotServicePeer *peer = self->peers[mode];

	if (peer == NULL)
		return;
	g_signal_handlers_disconnect_by_data(peer, self);
	self->peers[mode] = NULL;
	g_clear_pointer(&self->peer_changed_at[mode], g_date_time_unref);
	self->peer_changed_at[mode] = g_date_time_new_now_utc();
	g_object_unref(peer);
}

/* the peer of @mode is gone: reset its streams on the other side, which may read again */
static void
iot_service_tunnel_peer_gone(IotServiceTunnel *self, IotTunnelMode mode)
{
	IotServicePeer *other = self->peers[iot_service_tunnel_other(mode)];

	iot_service_tunnel_detach(self, mode);
	iot_service_tunnel_reset_streams(self, other);
	if (other != NULL)
		iot_service_peer_set_paused_by_other(other, FALSE);
}

static void
iot_service_tunnel_peer_closed_cb(IotServicePeer *peer, gpointer user_data)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(user_data);
	iot_service_tunnel_peer_gone(self, iot_service_peer_get_mode(peer));
}

static void
iot_service_tunnel_peer_congested_cb(IotServicePeer *peer, GParamSpec *pspec, gpointer user_data)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(user_data);
	IotServicePeer *other =
	    self->peers[iot_service_tunnel_other(iot_service_peer_get_mode(peer))];

	if (other != NULL)
		iot_service_peer_set_paused_by_other(other, iot_service_peer_get_congested(peer));
}

/* follows stream starts and resets; adds to @replies the resets of starts with nobody to go to */
static void
iot_service_tunnel_track(IotServiceTunnel *self,
			 IotServicePeer *sender,
			 const IotMessage *msg,
			 GByteArray *replies)
{
	const gchar *service_id = msg->service_id != NULL ? msg->service_id : "";
	IotTunnelMode mode = iot_service_peer_get_mode(sender);
	gboolean other_connected = self->peers[iot_service_tunnel_other(mode)] != NULL;
	g_autoptr(IotMessage) reset = NULL;
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;

	switch (msg->type) {
	case IOT_MESSAGE_TYPE_STREAM_START:
		if (other_connected) {
			g_hash_table_replace(self->streams,
					     g_strdup(service_id),
					     GINT_TO_POINTER(msg->stream_id));
			return;
		}
		reset = iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_RESET,
					     msg->stream_id,
					     msg->service_id,
					     0,
					     NULL);
		break;
	case IOT_MESSAGE_TYPE_CONNECTION_START:
		if (other_connected)
			return;
		reset = iot_message_new_full(IOT_MESSAGE_TYPE_CONNECTION_RESET,
					     msg->stream_id,
					     msg->service_id,
					     msg->connection_id,
					     NULL);
		break;
	case IOT_MESSAGE_TYPE_STREAM_RESET:
		if (GPOINTER_TO_INT(g_hash_table_lookup(self->streams, service_id)) ==
		    msg->stream_id)
			g_hash_table_remove(self->streams, service_id);
		return;
	default:
		return;
	}
	iot_service_log_tunnel(G_LOG_LEVEL_INFO,
			       self->id,
			       iot_service_peer_get_channel_id(sender),
			       "%s for stream %d, but no %s is connected: answering with a reset",
			       iot_message_type_to_string(msg->type),
			       msg->stream_id,
			       iot_service_tunnel_mode_to_string(iot_service_tunnel_other(mode)));
	frame = iot_frame_encode(reset, &error);
	if (frame == NULL) {
		iot_service_log_tunnel(G_LOG_LEVEL_CRITICAL,
				       self->id,
				       iot_service_peer_get_channel_id(sender),
				       "failed to encode a reset: %s",
				       error->message);
		return;
	}
	g_byte_array_append(replies, g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
}

static void
iot_service_tunnel_peer_frames_cb(IotServicePeer *peer,
				  GBytes *frames,
				  GPtrArray *messages,
				  gpointer user_data)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(user_data);
	IotTunnelMode mode = iot_service_peer_get_mode(peer);
	IotServicePeer *other = self->peers[iot_service_tunnel_other(mode)];
	IotServiceTunnelCounters *counters = &self->counters[mode];
	g_autoptr(GByteArray) replies = g_byte_array_new();

	for (guint i = 0; i < messages->len; i++)
		iot_service_tunnel_track(self, peer, g_ptr_array_index(messages, i), replies);
	/* the resets of a batch go in one message: a flood of starts costs a write per batch */
	if (replies->len > 0) {
		g_autoptr(GBytes) frames_out =
		    g_byte_array_free_to_bytes(g_steal_pointer(&replies));
		iot_service_peer_reply(peer, frames_out);
	}
	if (other == NULL) {
		counters->dropped += messages->len;
		return;
	}
	counters->bytes += g_bytes_get_size(frames);
	counters->messages += messages->len;
	iot_service_peer_send(other, frames);
}

/**
 * iot_service_tunnel_attach:
 * @self: a tunnel
 * @peer: a peer whose handshake this tunnel authorized
 *
 * Makes @peer the tunnel's peer of its mode. A peer already there is closed
 * and the other side gets a STREAM_RESET per open stream. A peer of 2.0 or
 * 3.0 gets SERVICE_IDS. A closed tunnel closes @peer at once.
 */
void
iot_service_tunnel_attach(IotServiceTunnel *self, IotServicePeer *peer)
{
	IotTunnelMode mode;
	IotServicePeer *other;
	IotServicePeer *old;

	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));
	g_return_if_fail(IOT_IS_SERVICE_PEER(peer));

	mode = iot_service_peer_get_mode(peer);
	if (self->closed) {
		iot_service_peer_close(peer, IOT_SERVICE_CLOSE_NORMAL, self->close_reason);
		return;
	}
	old = self->peers[mode];
	if (old != NULL) {
		iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
				       self->id,
				       iot_service_peer_get_channel_id(old),
				       "%s replaced by channel %s",
				       iot_service_tunnel_mode_to_string(mode),
				       iot_service_peer_get_channel_id(peer));
		g_signal_handlers_disconnect_by_data(old, self);
		iot_service_peer_close(old,
				       IOT_SERVICE_CLOSE_NORMAL,
				       "replaced by a new connection");
		iot_service_tunnel_peer_gone(self, mode);
	}

	self->peers[mode] = g_object_ref(peer);
	g_clear_pointer(&self->peer_changed_at[mode], g_date_time_unref);
	self->peer_changed_at[mode] = g_date_time_new_now_utc();
	g_signal_connect(peer, "frames", G_CALLBACK(iot_service_tunnel_peer_frames_cb), self);
	g_signal_connect(peer, "closed", G_CALLBACK(iot_service_tunnel_peer_closed_cb), self);
	g_signal_connect(peer,
			 "notify::congested",
			 G_CALLBACK(iot_service_tunnel_peer_congested_cb),
			 self);
	iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
			       self->id,
			       iot_service_peer_get_channel_id(peer),
			       "%s connected with %s",
			       iot_service_tunnel_mode_to_string(mode),
			       iot_service_peer_get_subprotocol(peer));

	if (iot_service_peer_get_version(peer) >= 2) {
		g_autoptr(IotMessage) msg = iot_message_new(IOT_MESSAGE_TYPE_SERVICE_IDS, 0);
		msg->available_service_ids = g_strdupv(self->services);
		iot_service_peer_send_message(peer, msg);
	}
	other = self->peers[iot_service_tunnel_other(mode)];
	if (other != NULL)
		iot_service_peer_set_paused_by_other(other, FALSE);
}

/**
 * iot_service_tunnel_close:
 * @self: a tunnel
 * @code: the close code for both peers' WebSockets
 * @reason: why, for the peers, the logs and the API
 *
 * Closes the tunnel for good: both peers' WebSockets are closed with @code
 * and @reason and its tokens no longer connect. Emits ::closed once.
 */
void
iot_service_tunnel_close(IotServiceTunnel *self, gushort code, const gchar *reason)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	if (self->closed)
		return;
	self->closed = TRUE;
	self->closed_at = g_date_time_new_now_utc();
	g_clear_pointer(&self->updated_at, g_date_time_unref);
	self->updated_at = g_date_time_ref(self->closed_at);
	self->close_reason = g_strdup(reason);
	g_clear_handle_id(&self->lifetime_source_id, g_source_remove);
	iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE, self->id, NULL, "closed: %s", reason);
	for (guint mode = 0; mode < 2; mode++) {
		IotServicePeer *peer = self->peers[mode];
		if (peer == NULL)
			continue;
		g_signal_handlers_disconnect_by_data(peer, self);
		iot_service_peer_close(peer, code, reason);
		iot_service_tunnel_detach(self, mode);
	}
	g_hash_table_remove_all(self->streams);
	g_signal_emit(self, signals[SIGNAL_CLOSED], 0);
}

/**
 * iot_service_tunnel_get_n_peers:
 * @self: a tunnel
 *
 * Returns: how many peers are connected, 0 to 2
 */
guint
iot_service_tunnel_get_n_peers(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), 0);
	return (self->peers[0] != NULL) + (self->peers[1] != NULL);
}

static void
iot_service_tunnel_add_peer(IotServiceTunnel *self, JsonBuilder *builder, IotTunnelMode mode)
{
	IotServicePeer *peer = self->peers[mode];

	json_builder_set_member_name(builder,
				     mode == IOT_TUNNEL_MODE_SOURCE ? "sourceConnectionState"
								    : "destinationConnectionState");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, peer != NULL ? "CONNECTED" : "DISCONNECTED");
	iot_service_tunnel_add_time(builder, "lastUpdatedAt", self->peer_changed_at[mode]);
	if (peer != NULL) {
		json_builder_set_member_name(builder, "subprotocol");
		json_builder_add_string_value(builder, iot_service_peer_get_subprotocol(peer));
		json_builder_set_member_name(builder, "channelId");
		json_builder_add_string_value(builder, iot_service_peer_get_channel_id(peer));
		json_builder_set_member_name(builder, "sendQueued");
		json_builder_add_int_value(builder, iot_service_peer_get_send_queued(peer));
	}
	json_builder_end_object(builder);
}

static void
iot_service_tunnel_add_counters(IotServiceTunnel *self,
				JsonBuilder *builder,
				const gchar *name,
				IotTunnelMode sender)
{
	json_builder_set_member_name(builder, name);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "bytes");
	json_builder_add_int_value(builder, self->counters[sender].bytes);
	json_builder_set_member_name(builder, "messages");
	json_builder_add_int_value(builder, self->counters[sender].messages);
	json_builder_set_member_name(builder, "dropped");
	json_builder_add_int_value(builder, self->counters[sender].dropped);
	json_builder_end_object(builder);
}

/**
 * iot_service_tunnel_to_json:
 * @self: a tunnel
 * @builder: where to add one object describing the tunnel, tokens left out
 */
void
iot_service_tunnel_to_json(IotServiceTunnel *self, JsonBuilder *builder)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnelId");
	json_builder_add_string_value(builder, self->id);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder, self->closed ? "CLOSED" : "OPEN");
	json_builder_set_member_name(builder, "services");
	json_builder_begin_array(builder);
	for (guint i = 0; self->services[i] != NULL; i++)
		json_builder_add_string_value(builder, self->services[i]);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "lifetime");
	json_builder_add_int_value(builder, self->lifetime);
	iot_service_tunnel_add_time(builder, "createdAt", self->created_at);
	iot_service_tunnel_add_time(builder, "expiresAt", self->expires_at);
	iot_service_tunnel_add_time(builder, "closedAt", self->closed_at);
	if (self->close_reason != NULL) {
		json_builder_set_member_name(builder, "closeReason");
		json_builder_add_string_value(builder, self->close_reason);
	}
	iot_service_tunnel_add_peer(self, builder, IOT_TUNNEL_MODE_SOURCE);
	iot_service_tunnel_add_peer(self, builder, IOT_TUNNEL_MODE_DESTINATION);
	json_builder_set_member_name(builder, "counters");
	json_builder_begin_object(builder);
	iot_service_tunnel_add_counters(self,
					builder,
					"sourceToDestination",
					IOT_TUNNEL_MODE_SOURCE);
	iot_service_tunnel_add_counters(self,
					builder,
					"destinationToSource",
					IOT_TUNNEL_MODE_DESTINATION);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
}

guint
iot_service_tunnel_get_lifetime(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), 0);
	return self->lifetime;
}

/**
 * iot_service_tunnel_get_created_at:
 * @self: a tunnel
 *
 * Returns: (transfer none): when it was opened
 */
GDateTime *
iot_service_tunnel_get_created_at(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->created_at;
}

/**
 * iot_service_tunnel_get_updated_at:
 * @self: a tunnel
 *
 * Returns: (transfer none): when it was opened, or last closed, given new
 *   tokens, a new destination or tags
 */
GDateTime *
iot_service_tunnel_get_updated_at(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->updated_at;
}

/**
 * iot_service_tunnel_get_peer_changed_at:
 * @self: a tunnel
 * @mode: which side
 *
 * Returns: (transfer none) (nullable): when a peer of @mode last connected
 *   or went away, %NULL while none ever connected
 */
GDateTime *
iot_service_tunnel_get_peer_changed_at(IotServiceTunnel *self, IotTunnelMode mode)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->peer_changed_at[mode];
}

gboolean
iot_service_tunnel_is_connected(IotServiceTunnel *self, IotTunnelMode mode)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), FALSE);
	return self->peers[mode] != NULL;
}

/* something the state file keeps changed */
static void
iot_service_tunnel_changed(IotServiceTunnel *self)
{
	g_clear_pointer(&self->updated_at, g_date_time_unref);
	self->updated_at = g_date_time_new_now_utc();
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/**
 * iot_service_tunnel_get_description:
 * @self: a tunnel
 *
 * Returns: (nullable): the text it was opened with
 */
const gchar *
iot_service_tunnel_get_description(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->description;
}

/**
 * iot_service_tunnel_set_details:
 * @self: a tunnel the server does not have yet
 * @description: (nullable): a description
 * @thing_name: (nullable): the thing its destination runs on
 * @tags: (nullable) (element-type IotServiceTag): its first tags
 *
 * Sets what the tunnel is opened with, without ::changed.
 */
void
iot_service_tunnel_set_details(IotServiceTunnel *self,
			       const gchar *description,
			       const gchar *thing_name,
			       GPtrArray *tags)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	g_free(self->description);
	self->description = g_strdup(description);
	g_free(self->thing_name);
	self->thing_name = g_strdup(thing_name);
	for (guint i = 0; tags != NULL && i < tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(tags, i);
		g_ptr_array_add(self->tags, iot_service_tag_new(tag->key, tag->value));
	}
}

/**
 * iot_service_tunnel_get_thing_name:
 * @self: a tunnel
 *
 * Returns: (nullable): the name of the thing its destination runs on
 */
const gchar *
iot_service_tunnel_get_thing_name(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->thing_name;
}

/**
 * iot_service_tunnel_set_thing_name:
 * @self: a tunnel
 * @thing_name: (nullable): the thing its destination runs on now
 */
void
iot_service_tunnel_set_thing_name(IotServiceTunnel *self, const gchar *thing_name)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));
	g_free(self->thing_name);
	self->thing_name = g_strdup(thing_name);
	iot_service_tunnel_changed(self);
}

/**
 * iot_service_tunnel_get_tags:
 * @self: a tunnel
 *
 * Returns: (transfer none) (element-type IotServiceTag): its tags, each key
 *   once, in the order they were first set
 */
GPtrArray *
iot_service_tunnel_get_tags(IotServiceTunnel *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), NULL);
	return self->tags;
}

static IotServiceTag *
iot_service_tunnel_find_tag(IotServiceTunnel *self, const gchar *key, guint *index)
{
	for (guint i = 0; i < self->tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(self->tags, i);
		if (g_strcmp0(tag->key, key) == 0) {
			if (index != NULL)
				*index = i;
			return tag;
		}
	}
	return NULL;
}

/**
 * iot_service_tunnel_tag:
 * @self: a tunnel
 * @tags: (element-type IotServiceTag): tags to set; a key it already has
 *   takes the new value
 */
void
iot_service_tunnel_tag(IotServiceTunnel *self, GPtrArray *tags)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	for (guint i = 0; i < tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(tags, i);
		IotServiceTag *existing = iot_service_tunnel_find_tag(self, tag->key, NULL);
		if (existing != NULL) {
			g_free(existing->value);
			existing->value = g_strdup(tag->value);
		} else {
			g_ptr_array_add(self->tags, iot_service_tag_new(tag->key, tag->value));
		}
	}
	iot_service_tunnel_changed(self);
}

/**
 * iot_service_tunnel_untag:
 * @self: a tunnel
 * @keys: (array zero-terminated=1): the keys of the tags to remove; keys it
 *   does not have are skipped
 */
void
iot_service_tunnel_untag(IotServiceTunnel *self, const gchar *const *keys)
{
	g_return_if_fail(IOT_IS_SERVICE_TUNNEL(self));

	for (guint i = 0; keys[i] != NULL; i++) {
		guint index = 0;
		if (iot_service_tunnel_find_tag(self, keys[i], &index) != NULL)
			g_ptr_array_remove_index(self->tags, index);
	}
	iot_service_tunnel_changed(self);
}

/**
 * iot_service_tunnel_rotate_token:
 * @self: an open tunnel
 * @mode: whose token
 * @error: (nullable): return location for an error in %IOT_SERVICE_TUNNEL_ERROR
 *
 * Replaces the access token of @mode with a new random one, unused and bound
 * to no client token; the old one no longer connects. A peer connected with
 * the old one is closed, with 1000 `access token rotated`, and the other side
 * gets a STREAM_RESET per open stream. The caller indexes the new digest.
 *
 * Returns: %TRUE with the new token in place, %FALSE when the tunnel is
 *   closed or the random generator failed
 */
gboolean
iot_service_tunnel_rotate_token(IotServiceTunnel *self, IotTunnelMode mode, GError **error)
{
	IotServiceTunnelToken *token;
	IotServicePeer *peer;
	g_autofree gchar *secret = NULL;

	g_return_val_if_fail(IOT_IS_SERVICE_TUNNEL(self), FALSE);

	if (self->closed) {
		g_set_error(error,
			    IOT_SERVICE_TUNNEL_ERROR,
			    IOT_SERVICE_TUNNEL_ERROR_CLOSED,
			    "the tunnel is closed (%s)",
			    self->close_reason);
		return FALSE;
	}
	secret = iot_service_random_token(error);
	if (secret == NULL)
		return FALSE;
	token = &self->tokens[mode];
	g_free(token->secret);
	g_free(token->digest);
	g_clear_pointer(&token->client_digest, g_free);
	token->secret = g_steal_pointer(&secret);
	token->digest = iot_service_secret_digest(token->secret);
	token->spent = FALSE;
	iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
			       self->id,
			       NULL,
			       "%s access token rotated",
			       iot_service_tunnel_mode_to_string(mode));

	peer = self->peers[mode];
	if (peer != NULL) {
		iot_service_log_tunnel(G_LOG_LEVEL_MESSAGE,
				       self->id,
				       iot_service_peer_get_channel_id(peer),
				       "%s disconnected: its access token was rotated",
				       iot_service_tunnel_mode_to_string(mode));
		g_signal_handlers_disconnect_by_data(peer, self);
		iot_service_peer_close(peer, IOT_SERVICE_CLOSE_NORMAL, "access token rotated");
		iot_service_tunnel_peer_gone(self, mode);
	}
	iot_service_tunnel_changed(self);
	return TRUE;
}

static void
iot_service_tunnel_dispose(GObject *object)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(object);

	g_clear_handle_id(&self->lifetime_source_id, g_source_remove);
	for (guint mode = 0; mode < 2; mode++) {
		if (self->peers[mode] != NULL)
			iot_service_peer_close(self->peers[mode],
					       IOT_SERVICE_CLOSE_GOING_AWAY,
					       "service shutting down");
		iot_service_tunnel_detach(self, mode);
	}
	G_OBJECT_CLASS(iot_service_tunnel_parent_class)->dispose(object);
}

static void
iot_service_tunnel_finalize(GObject *object)
{
	IotServiceTunnel *self = IOT_SERVICE_TUNNEL(object);

	for (guint mode = 0; mode < 2; mode++) {
		IotServiceTunnelToken *token = &self->tokens[mode];
		g_free(token->secret);
		g_free(token->digest);
		g_free(token->client_digest);
		g_clear_pointer(&self->peer_changed_at[mode], g_date_time_unref);
	}
	g_hash_table_unref(self->streams);
	g_ptr_array_unref(self->tags);
	g_free(self->description);
	g_free(self->thing_name);
	g_clear_pointer(&self->updated_at, g_date_time_unref);
	g_clear_pointer(&self->created_at, g_date_time_unref);
	g_clear_pointer(&self->expires_at, g_date_time_unref);
	g_clear_pointer(&self->closed_at, g_date_time_unref);
	g_strfreev(self->services);
	g_free(self->close_reason);
	g_free(self->id);
	G_OBJECT_CLASS(iot_service_tunnel_parent_class)->finalize(object);
}

static void
iot_service_tunnel_class_init(IotServiceTunnelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_service_tunnel_dispose;
	object_class->finalize = iot_service_tunnel_finalize;

	/**
	 * IotServiceTunnel::closed:
	 * @self: the tunnel
	 *
	 * The tunnel was closed through the API, its lifetime ran out, or the
	 * service is stopping.
	 */
	signals[SIGNAL_CLOSED] = g_signal_new("closed",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      0);

	/**
	 * IotServiceTunnel::changed:
	 * @self: the tunnel
	 *
	 * Its tokens, destination or tags changed: what the state file keeps.
	 */
	signals[SIGNAL_CHANGED] = g_signal_new("changed",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       0);
}

static void
iot_service_tunnel_init(IotServiceTunnel *self)
{
	self->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->tags = g_ptr_array_new_with_free_func((GDestroyNotify)iot_service_tag_free);
}
