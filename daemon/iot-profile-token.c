/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where a profile's tokens come from, and reading them when they are needed. */

#include "config.h"

#include "iot-profile-token.h"

#include <glib/gi18n.h>
#include <string.h>

#include "iot-profile-common.h"
#include "iot-small-file.h"

/* a token travels in an HTTP request that must stay under 4 KiB, so a token file is small */
#define IOT_PROFILE_TOKEN_FILE_MAX 8192

#define IOT_PROFILE_CLIENT_MIN 32
#define IOT_PROFILE_CLIENT_MAX 128

/**
 * iot_profile_token_clear:
 * @token: a token source
 *
 * Frees what @token holds, wiping an inline token first.
 */
void
iot_profile_token_clear(IotProfileToken *token)
{
	if (token->kind == IOT_PROFILE_TOKEN_VALUE)
		explicit_bzero(token->source, strlen(token->source));
	g_clear_pointer(&token->source, g_free);
	g_clear_pointer(&token->path, g_free);
	token->kind = IOT_PROFILE_TOKEN_NONE;
}

static gboolean
iot_profile_env_name_is_valid(const gchar *name)
{
	if (!g_ascii_isalpha(name[0]) && name[0] != '_')
		return FALSE;
	return iot_profile_word_is_valid(name, G_MAXSIZE, "_");
}

/* an access token goes into an HTTP header: visible ASCII only */
static gboolean
iot_profile_access_token_is_valid(const gchar *token, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (token[i] < 0x21 || token[i] > 0x7e)
			return FALSE;
	}
	return len > 0;
}

/* PROTOCOL.md section 1: 32 to 128 of [A-Za-z0-9-] */
static gboolean
iot_profile_client_token_is_valid(const gchar *token, gsize len)
{
	if (len < IOT_PROFILE_CLIENT_MIN || len > IOT_PROFILE_CLIENT_MAX)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(token[i]) && token[i] != '-')
			return FALSE;
	}
	return TRUE;
}

/* a token given inline, as a plain string or as {"value": ...}; its text is never shown */
static gboolean
iot_profile_token_parse_value(IotProfileToken *token,
			      const gchar *origin,
			      gboolean is_client,
			      JsonNode *node,
			      const gchar *path,
			      const gchar *expectation,
			      GError **error)
{
	const gchar *value = iot_profile_node_get_string(node);

	/* only the kind of a wrong value is shown; an empty string shows as "" */
	if (value == NULL) {
		iot_profile_set_error_type(error, origin, path, node, expectation);
		return FALSE;
	}
	if (value[0] == '\0') {
		iot_profile_set_error_value(error, origin, path, node, expectation);
		return FALSE;
	}
	if (is_client && !iot_profile_client_token_is_valid(value, strlen(value))) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is not 32 to 128 letters, digits or \"-\"; "
			      "set it to a client token of that form."),
			    origin,
			    path);
		return FALSE;
	}
	if (!is_client && !iot_profile_access_token_is_valid(value, strlen(value))) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s holds a space, a control or a non-ASCII character; "
			      "give the token exactly as it was issued."),
			    origin,
			    path);
		return FALSE;
	}
	token->kind = IOT_PROFILE_TOKEN_VALUE;
	token->source = g_strdup(value);
	token->path = g_strdup(path);
	return TRUE;
}

/**
 * iot_profile_token_parse:
 * @token: (out caller-allocates): where the token comes from; untouched when
 *   @object has no @key
 * @object: the tunnel's JSON object
 * @key: "access_token" or "client_token"
 * @origin: what messages name as the source of the profile
 * @json_path: the tunnel's JSON path, for messages
 * @error: (nullable): return location for an %IOT_PROFILE_ERROR_INVALID error
 *
 * Reads where a token comes from: an environment variable, a file, or the
 * value itself. A wrong value is never shown in a message, only its kind.
 *
 * Returns: whether @key is missing or valid
 */
gboolean
iot_profile_token_parse(IotProfileToken *token,
			JsonObject *object,
			const gchar *key,
			const gchar *origin,
			const gchar *json_path,
			GError **error)
{
	const gchar *const allowed[] = {"env", "file", "value", NULL};
	const gchar *expectation = _("set it to {\"env\": \"NAME\"}, {\"file\": \"/path\"}, "
				     "{\"value\": \"TOKEN\"} or the token itself");
	g_autofree gchar *path = iot_profile_path_member(json_path, key);
	g_autofree gchar *member_path = NULL;
	g_autoptr(GList) members = NULL;
	JsonNode *node = json_object_get_member(object, key);
	JsonObject *source;
	JsonNode *member;
	const gchar *member_key;
	const gchar *text;
	gboolean is_client = g_strcmp0(key, "client_token") == 0;

	if (node == NULL)
		return TRUE;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING) {
		return iot_profile_token_parse_value(token,
						     origin,
						     is_client,
						     node,
						     path,
						     expectation,
						     error);
	}
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		iot_profile_set_error_type(error, origin, path, node, expectation);
		return FALSE;
	}
	source = json_node_get_object(node);
	members = json_object_get_members(source);
	for (GList *l = members; l != NULL; l = l->next) {
		if (g_strv_contains(allowed, l->data))
			continue;
		/* not named: it may be a token pasted as a key */
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s holds an unknown key; use \"env\", \"file\" or \"value\"."),
			    origin,
			    path);
		return FALSE;
	}
	if (json_object_get_size(source) != 1) {
		g_set_error(
		    error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_INVALID,
		    json_object_get_size(source) == 0
			? _("%s: %s holds none of \"env\", \"file\" and \"value\"; add one.")
			: _("%s: %s holds more than one of \"env\", \"file\" and \"value\"; "
			    "keep one."),
		    origin,
		    path);
		return FALSE;
	}
	member_key = members->data;
	member = json_object_get_member(source, member_key);
	member_path = iot_profile_path_member(path, member_key);
	if (g_strcmp0(member_key, "value") == 0) {
		return iot_profile_token_parse_value(token,
						     origin,
						     is_client,
						     member,
						     member_path,
						     _("set it to the token"),
						     error);
	}
	/* a wrong name or path is not shown: a token pasted in its place must not be */
	text = iot_profile_node_get_string(member);
	if (g_strcmp0(member_key, "env") == 0) {
		const gchar *expectation_env =
		    is_client ? _("set it to the name of an environment variable, "
				  "such as \"AWSIOT_TUNNEL_CLIENT_TOKEN\"")
			      : _("set it to the name of an environment variable, "
				  "such as \"AWSIOT_TUNNEL_ACCESS_TOKEN\"");
		if (text == NULL) {
			iot_profile_set_error_type(error,
						   origin,
						   member_path,
						   member,
						   expectation_env);
			return FALSE;
		}
		if (!iot_profile_env_name_is_valid(text)) {
			g_set_error(error,
				    IOT_PROFILE_ERROR,
				    IOT_PROFILE_ERROR_INVALID,
				    _("%s: %s is not a valid name; %s."),
				    origin,
				    member_path,
				    expectation_env);
			return FALSE;
		}
		token->kind = IOT_PROFILE_TOKEN_ENV;
	} else {
		if (text == NULL) {
			iot_profile_set_error_type(error,
						   origin,
						   member_path,
						   member,
						   _("set it to an absolute path"));
			return FALSE;
		}
		if (!g_path_is_absolute(text)) {
			g_set_error(
			    error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s is not an absolute path; give the full path, starting "
			      "with \"/\"."),
			    origin,
			    member_path);
			return FALSE;
		}
		token->kind = IOT_PROFILE_TOKEN_FILE;
	}
	token->source = g_strdup(text);
	token->path = g_steal_pointer(&member_path);
	return TRUE;
}

/* sets a %IOT_PROFILE_ERROR_TOKEN error about a token that comes from @token's source */
static void
iot_profile_token_set_error(const IotProfileToken *token,
			    const gchar *origin,
			    GError **error,
			    const gchar *what,
			    const gchar *fix)
{
	g_set_error(error,
		    IOT_PROFILE_ERROR,
		    IOT_PROFILE_ERROR_TOKEN,
		    /* TRANSLATORS: "site.json: $.tunnels[0].access_token.env names TOKEN, which
		       is not set; export it or give the token another way." */
		    _("%s: %s names %s, %s; %s."),
		    origin,
		    token->path,
		    token->source,
		    what,
		    fix);
}

static gchar *
iot_profile_token_check(const IotProfileToken *token,
			const gchar *origin,
			gboolean is_client,
			const gchar *value,
			gsize len,
			GError **error)
{
	gboolean from_env = token->kind == IOT_PROFILE_TOKEN_ENV;

	if (is_client && !iot_profile_client_token_is_valid(value, len)) {
		iot_profile_token_set_error(
		    token,
		    origin,
		    error,
		    from_env ? _("whose value is not 32 to 128 letters, digits or \"-\"")
			     : _("whose token is not 32 to 128 letters, digits or \"-\""),
		    from_env ? _("give a client token of that form")
			     : _("write a client token of that form into it"));
		return NULL;
	}
	if (!is_client && !iot_profile_access_token_is_valid(value, len)) {
		iot_profile_token_set_error(
		    token,
		    origin,
		    error,
		    from_env ? _("whose value holds a space, a control or a non-ASCII character")
			     : _("whose token holds a space, a control or a non-ASCII character"),
		    from_env ? _("give the token exactly as it was issued")
			     : _("write only the token into it"));
		return NULL;
	}
	return g_strndup(value, len);
}

static gchar *
iot_profile_token_read_env(const IotProfileToken *token,
			   const gchar *origin,
			   gboolean is_client,
			   GError **error)
{
	const gchar *value = g_getenv(token->source);

	if (value == NULL) {
		iot_profile_token_set_error(token,
					    origin,
					    error,
					    _("which is not set"),
					    _("export it or give the token another way"));
		return NULL;
	}
	if (value[0] == '\0') {
		iot_profile_token_set_error(
		    token,
		    origin,
		    error,
		    _("which is empty"),
		    _("export the token in it or give the token another way"));
		return NULL;
	}
	return iot_profile_token_check(token, origin, is_client, value, strlen(value), error);
}

static gchar *
iot_profile_token_read_file(const IotProfileToken *token,
			    const gchar *origin,
			    gboolean is_client,
			    GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(IotSmallFileSecret) bytes =
	    iot_small_file_read(token->source,
				IOT_PROFILE_TOKEN_FILE_MAX,
				IOT_SMALL_FILE_SECRET | IOT_SMALL_FILE_NOT_WORLD_WRITABLE,
				&error_local);
	g_autofree gchar *what = NULL;
	const gchar *fix = _("give a file that holds only the token");
	const guint8 *data;
	gsize len;

	if (bytes == NULL) {
		switch (error_local->code) {
		case IOT_SMALL_FILE_ERROR_NOT_REGULAR:
			what = g_strdup(_("which is not a regular file"));
			break;
		case IOT_SMALL_FILE_ERROR_WRITABLE:
			what = g_strdup(_("which anyone can change"));
			fix = _("remove write permission for others (chmod o-w)");
			break;
		case IOT_SMALL_FILE_ERROR_TOO_LARGE:
			what = g_strdup(_("which is larger than 8 KiB"));
			break;
		default:
			what =
			    g_strdup_printf(_("which cannot be read (%s)"), error_local->message);
			fix = _("check the path and its permissions");
			break;
		}
		iot_profile_token_set_error(token, origin, error, what, fix);
		return NULL;
	}
	data = g_bytes_get_data(bytes, &len);
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0) {
		iot_profile_token_set_error(token,
					    origin,
					    error,
					    _("which is empty"),
					    _("write the token into it"));
		return NULL;
	}
	return iot_profile_token_check(token, origin, is_client, (const gchar *)data, len, error);
}

/**
 * iot_profile_token_read:
 * @token: where the token comes from
 * @key: "access_token" or "client_token"
 * @origin: what messages name as the source of the profile
 * @json_path: the tunnel's JSON path, for messages
 * @error: (nullable): return location for an %IOT_PROFILE_ERROR_TOKEN error
 *
 * Resolves the token now: reads the environment variable or the file it
 * names (trailing newlines stripped; a file anyone may write is refused), or
 * returns the inline value. Never log the result.
 *
 * Returns: (transfer full): the token, or %NULL with @error set
 */
gchar *
iot_profile_token_read(const IotProfileToken *token,
		       const gchar *key,
		       const gchar *origin,
		       const gchar *json_path,
		       GError **error)
{
	gboolean is_client = g_strcmp0(key, "client_token") == 0;

	switch (token->kind) {
	case IOT_PROFILE_TOKEN_VALUE:
		return g_strdup(token->source);
	case IOT_PROFILE_TOKEN_ENV:
		return iot_profile_token_read_env(token, origin, is_client, error);
	case IOT_PROFILE_TOKEN_FILE:
		return iot_profile_token_read_file(token, origin, is_client, error);
	case IOT_PROFILE_TOKEN_NONE:
	default: {
		g_autofree gchar *path = iot_profile_path_member(json_path, key);
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_TOKEN,
			    _("%s: %s is missing; set it to {\"env\": \"NAME\"}, {\"file\": "
			      "\"/path\"}, {\"value\": \"TOKEN\"} or the token itself."),
			    origin,
			    path);
		return NULL;
	}
	}
}

/**
 * iot_profile_token_to_json:
 * @token: where a token comes from
 * @include_secrets: whether an inline token is written
 *
 * Returns: (transfer full) (nullable): `{"env": ...}`, `{"file": ...}` or,
 *   with @include_secrets, `{"value": ...}`; %NULL for no token, or an
 *   inline one left out
 */
JsonNode *
iot_profile_token_to_json(const IotProfileToken *token, gboolean include_secrets)
{
	g_autoptr(JsonObject) object = json_object_new();

	switch (token->kind) {
	case IOT_PROFILE_TOKEN_ENV:
		json_object_set_string_member(object, "env", token->source);
		break;
	case IOT_PROFILE_TOKEN_FILE:
		json_object_set_string_member(object, "file", token->source);
		break;
	case IOT_PROFILE_TOKEN_VALUE:
		if (!include_secrets)
			return NULL;
		json_object_set_string_member(object, "value", token->source);
		break;
	case IOT_PROFILE_TOKEN_NONE:
	default:
		return NULL;
	}
	return json_node_init_object(json_node_alloc(), object);
}
