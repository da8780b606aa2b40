/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-settings.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iot-address.h"
#include "iot-profile-common.h"
#include "iot-subprotocol.h"

/*
 * The reference keeps fine-grained settings in a Boost property tree under
 * "tunneling.proxy" and writes it as JSON with every value a string. Files
 * it wrote load here, and --export-default-settings writes the same keys in
 * the same order and layout, so a file moves both ways.
 */

#define IOT_CLI_SETTINGS_ROOT "tunneling.proxy"
#define IOT_CLI_SETTINGS_OVERRIDES "region_endpoint_overrides"
#define IOT_CLI_SETTINGS_PING_MIN 10
#define IOT_CLI_SETTINGS_PING_MAX 86400000
#define IOT_CLI_SETTINGS_DELAY_MAX 3600000

typedef enum {
	IOT_CLI_SETTING_UNUSED_NUMBER,
	IOT_CLI_SETTING_UNUSED_FLAG,
	IOT_CLI_SETTING_BIND,
	IOT_CLI_SETTING_FORMAT,
	IOT_CLI_SETTING_RETRY_COUNT,
	IOT_CLI_SETTING_RETRY_DELAY,
	IOT_CLI_SETTING_MAX_CONNECTIONS,
	IOT_CLI_SETTING_PING,
	IOT_CLI_SETTING_SUBPROTOCOL,
} IotCliSettingKind;

typedef struct {
	const gchar *key;	    /* below tunneling.proxy, dotted */
	const gchar *default_value; /* as the reference exports it; NULL when it does not */
	IotCliSettingKind kind;
	gint64 min;
	gint64 max;
} IotCliSettingInfo;

/* in the reference's order of insertion, which its export keeps */
static const IotCliSettingInfo iot_cli_settings_table[] = {
    {"default_bind_address", "localhost", IOT_CLI_SETTING_BIND, 0, 0},
    {"message.data_length_size", "2", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"message.data_frame_max_size", "65538", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"tcp.connection_retry_count",
     "5",
     IOT_CLI_SETTING_RETRY_COUNT,
     -1,
     IOT_CLI_SETTINGS_RETRY_COUNT_MAX},
    {"tcp.connection_retry_delay_ms",
     "2500",
     IOT_CLI_SETTING_RETRY_DELAY,
     0,
     IOT_CLI_SETTINGS_DELAY_MAX},
    {"tcp.read_buffer_size", "131076", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"message.max_payload_size", "64512", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"message.max_size", "65536", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"tcp.max_active_connections", "128", IOT_CLI_SETTING_MAX_CONNECTIONS, 1, G_MAXUINT16},
    {"websocket.ping_period_ms", "20000", IOT_CLI_SETTING_PING, 0, IOT_CLI_SETTINGS_PING_MAX},
    {"websocket.retry_delay_ms", "2500", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"websocket.connect_retry_count", "-1", IOT_CLI_SETTING_UNUSED_NUMBER, -1, G_MAXINT32},
    {"websocket.reconnect_on_data_error", "true", IOT_CLI_SETTING_UNUSED_FLAG, 0, 0},
    {"websocket.subprotocol", IOT_SUBPROTOCOL_V3, IOT_CLI_SETTING_SUBPROTOCOL, 1, 3},
    {"websocket.max_frame_size", "131076", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"websocket.write_buffer_size", "131076", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"websocket.read_buffer_size", "131076", IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
    {"endpoint_format", NULL, IOT_CLI_SETTING_FORMAT, 0, 0},
    {"tcp.write_buffer_size", NULL, IOT_CLI_SETTING_UNUSED_NUMBER, 0, G_MAXINT32},
};

/* the reference's defaults for the China regions, exported after the other settings */
static const gchar *const iot_cli_settings_overrides[][2] = {
    {"cn-north-1", "data.tunneling.iot.cn-north-1.amazonaws.com.cn"},
    {"cn-northwest-1", "data.tunneling.iot.cn-northwest-1.amazonaws.com.cn"},
};

/**
 * iot_cli_settings_new:
 *
 * Returns: (transfer full): the reference's defaults
 */
IotCliSettings *
iot_cli_settings_new(void)
{
	IotCliSettings *self = g_new0(IotCliSettings, 1);
	self->default_bind_address = g_strdup("localhost");
	self->endpoint_format = g_strdup("data.tunneling.iot.%s.amazonaws.com");
	self->region_overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	for (guint i = 0; i < G_N_ELEMENTS(iot_cli_settings_overrides); i++) {
		g_hash_table_insert(self->region_overrides,
				    g_strdup(iot_cli_settings_overrides[i][0]),
				    g_strdup(iot_cli_settings_overrides[i][1]));
	}
	self->tcp_retry_count = 5;
	self->tcp_retry_delay_ms = 2500;
	self->max_connections = 128;
	self->ping_ms = 20000;
	self->protocol = 3;
	return self;
}

/**
 * iot_cli_settings_free:
 * @self: settings
 */
void
iot_cli_settings_free(IotCliSettings *self)
{
	g_free(self->default_bind_address);
	g_free(self->endpoint_format);
	g_hash_table_unref(self->region_overrides);
	g_free(self);
}

static void
iot_cli_settings_set_error(GError **error,
			   const gchar *path,
			   const gchar *key,
			   JsonNode *node,
			   const gchar *expectation)
{
	g_autofree gchar *described = iot_profile_describe_value(node);
	g_set_error(error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s: %s.%s is %s; set it to %s."),
		    path,
		    IOT_CLI_SETTINGS_ROOT,
		    key,
		    described,
		    expectation);
}

/* a string, as the reference writes every value, or the JSON scalar itself */
static gchar *
iot_cli_settings_node_text(JsonNode *node)
{
	GType type;

	if (!JSON_NODE_HOLDS_VALUE(node))
		return NULL;
	type = json_node_get_value_type(node);
	if (type == G_TYPE_STRING)
		return g_strdup(json_node_get_string(node));
	if (type == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
	if (type == G_TYPE_BOOLEAN)
		return g_strdup(json_node_get_boolean(node) ? "true" : "false");
	return NULL;
}

static gboolean
iot_cli_settings_parse_number(const IotCliSettingInfo *info,
			      JsonNode *node,
			      const gchar *path,
			      gint64 *value,
			      GError **error)
{
	g_autofree gchar *text = iot_cli_settings_node_text(node);
	gboolean in_range =
	    text != NULL && g_ascii_string_to_signed(text, 10, info->min, info->max, value, NULL);

	/* the transport refuses a ping period of 1 to 9 ms */
	if (in_range && info->kind == IOT_CLI_SETTING_PING && *value > 0 &&
	    *value < IOT_CLI_SETTINGS_PING_MIN)
		in_range = FALSE;
	if (!in_range) {
		g_autofree gchar *expectation = NULL;
		if (info->kind == IOT_CLI_SETTING_PING)
			expectation = g_strdup_printf(_("0 for no pings or a whole number from %u "
							"to %u"),
						      (guint)IOT_CLI_SETTINGS_PING_MIN,
						      (guint)IOT_CLI_SETTINGS_PING_MAX);
		else
			expectation = g_strdup_printf(
			    _("a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT),
			    info->min,
			    info->max);
		iot_cli_settings_set_error(error, path, info->key, node, expectation);
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_cli_settings_parse_text(const IotCliSettingInfo *info,
			    JsonNode *node,
			    const gchar *path,
			    gchar **value,
			    GError **error)
{
	const gchar *text = NULL;

	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		text = json_node_get_string(node);
	if (info->kind == IOT_CLI_SETTING_BIND) {
		g_autofree gchar *host = text != NULL ? iot_address_parse_host(text, NULL) : NULL;
		if (host == NULL) {
			iot_cli_settings_set_error(
			    error,
			    path,
			    info->key,
			    node,
			    _("a host name or an IP address, without a port"));
			return FALSE;
		}
	}
	if (info->kind == IOT_CLI_SETTING_FORMAT) {
		const gchar *mark = text != NULL ? strstr(text, "%s") : NULL;
		g_autofree gchar *example = NULL;
		if (mark != NULL) {
			g_autoptr(GString) host = g_string_new(text);
			g_string_replace(host, "%s", "us-east-1", 1);
			example = g_string_free(g_steal_pointer(&host), FALSE);
		}
		/* one "%s" and no other "%", so that no other directive can be formatted */
		if (mark == NULL || strchr(mark + 2, '%') != NULL || strchr(text, '%') != mark ||
		    !iot_address_host_is_valid(example)) {
			iot_cli_settings_set_error(error,
						   path,
						   info->key,
						   node,
						   _("a host name with one %s for the region"));
			return FALSE;
		}
	}
	*value = g_strdup(text);
	return TRUE;
}

static gboolean
iot_cli_settings_parse_flag(const IotCliSettingInfo *info,
			    JsonNode *node,
			    const gchar *path,
			    GError **error)
{
	const gchar *const allowed[] = {"true", "false", "1", "0", NULL};
	g_autofree gchar *text = iot_cli_settings_node_text(node);

	if (text == NULL || !g_strv_contains(allowed, text)) {
		iot_cli_settings_set_error(error, path, info->key, node, _("true or false"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_cli_settings_parse_subprotocol(IotCliSettings *self,
				   const IotCliSettingInfo *info,
				   JsonNode *node,
				   const gchar *path,
				   GError **error)
{
	g_autofree gchar *text = iot_cli_settings_node_text(node);
	guint version = iot_subprotocol_get_version(text);

	if (version != 0) {
		self->protocol = version;
		return TRUE;
	}
	iot_cli_settings_set_error(error, path, info->key, node, IOT_SUBPROTOCOLS_TEXT);
	return FALSE;
}

static gboolean
iot_cli_settings_load_one(IotCliSettings *self,
			  const IotCliSettingInfo *info,
			  JsonNode *node,
			  const gchar *path,
			  GError **error)
{
	gint64 number = 0;
	gchar *text = NULL;

	switch (info->kind) {
	case IOT_CLI_SETTING_UNUSED_NUMBER:
		if (!iot_cli_settings_parse_number(info, node, path, &number, error))
			return FALSE;
		g_debug("%s: %s.%s is accepted but has no effect in iotunneld",
			path,
			IOT_CLI_SETTINGS_ROOT,
			info->key);
		return TRUE;
	case IOT_CLI_SETTING_UNUSED_FLAG:
		if (!iot_cli_settings_parse_flag(info, node, path, error))
			return FALSE;
		g_debug("%s: %s.%s is accepted but has no effect in iotunneld",
			path,
			IOT_CLI_SETTINGS_ROOT,
			info->key);
		return TRUE;
	case IOT_CLI_SETTING_BIND:
		if (!iot_cli_settings_parse_text(info, node, path, &text, error))
			return FALSE;
		g_free(self->default_bind_address);
		self->default_bind_address = text;
		return TRUE;
	case IOT_CLI_SETTING_FORMAT:
		if (!iot_cli_settings_parse_text(info, node, path, &text, error))
			return FALSE;
		g_free(self->endpoint_format);
		self->endpoint_format = text;
		return TRUE;
	case IOT_CLI_SETTING_RETRY_COUNT:
		if (!iot_cli_settings_parse_number(info, node, path, &number, error))
			return FALSE;
		self->tcp_retry_count = (gint)number;
		return TRUE;
	case IOT_CLI_SETTING_RETRY_DELAY:
		if (!iot_cli_settings_parse_number(info, node, path, &number, error))
			return FALSE;
		self->tcp_retry_delay_ms = (guint)number;
		return TRUE;
	case IOT_CLI_SETTING_MAX_CONNECTIONS:
		if (!iot_cli_settings_parse_number(info, node, path, &number, error))
			return FALSE;
		self->max_connections = (guint)number;
		return TRUE;
	case IOT_CLI_SETTING_PING:
		if (!iot_cli_settings_parse_number(info, node, path, &number, error))
			return FALSE;
		self->ping_ms = (guint)number;
		return TRUE;
	case IOT_CLI_SETTING_SUBPROTOCOL:
	default:
		return iot_cli_settings_parse_subprotocol(self, info, node, path, error);
	}
}

static gboolean
iot_cli_settings_load_overrides(IotCliSettings *self,
				JsonNode *node,
				const gchar *path,
				GError **error)
{
	g_autoptr(GList) members = NULL;
	JsonObject *object;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		iot_cli_settings_set_error(error,
					   path,
					   IOT_CLI_SETTINGS_OVERRIDES,
					   node,
					   _("an object of region names and host names"));
		return FALSE;
	}
	object = json_node_get_object(node);
	members = json_object_get_members(object);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *region = l->data;
		JsonNode *member = json_object_get_member(object, region);
		const gchar *host = NULL;
		if (JSON_NODE_HOLDS_VALUE(member) &&
		    json_node_get_value_type(member) == G_TYPE_STRING)
			host = json_node_get_string(member);
		if (host == NULL || !iot_address_host_is_valid(host)) {
			g_autofree gchar *key =
			    g_strdup_printf("%s.%s", IOT_CLI_SETTINGS_OVERRIDES, region);
			iot_cli_settings_set_error(error, path, key, member, _("a host name"));
			return FALSE;
		}
		g_hash_table_insert(self->region_overrides, g_strdup(region), g_strdup(host));
	}
	return TRUE;
}

/* the member at a dotted @key below @proxy, or %NULL */
static JsonNode *
iot_cli_settings_lookup(JsonObject *proxy, const gchar *key)
{
	g_auto(GStrv) parts = g_strsplit(key, ".", -1);
	JsonObject *object = proxy;
	JsonNode *node = NULL;

	for (guint i = 0; parts[i] != NULL; i++) {
		if (object == NULL)
			return NULL;
		node = json_object_get_member(object, parts[i]);
		if (node == NULL)
			return NULL;
		object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	}
	return node;
}

/* says which keys the file holds that are not settings: the reference ignores them too */
static void
iot_cli_settings_log_unknown(JsonObject *object, const gchar *prefix, const gchar *path)
{
	g_autoptr(GList) members = json_object_get_members(object);

	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *node = json_object_get_member(object, name);
		g_autofree gchar *key =
		    prefix != NULL ? g_strdup_printf("%s.%s", prefix, name) : g_strdup(name);
		gboolean known = g_strcmp0(key, IOT_CLI_SETTINGS_OVERRIDES) == 0;

		for (guint i = 0; !known && i < G_N_ELEMENTS(iot_cli_settings_table); i++)
			known = g_strcmp0(iot_cli_settings_table[i].key, key) == 0;
		if (known)
			continue;
		if (JSON_NODE_HOLDS_OBJECT(node)) {
			iot_cli_settings_log_unknown(json_node_get_object(node), key, path);
			continue;
		}
		g_debug("%s: %s.%s is not a setting; ignored", path, IOT_CLI_SETTINGS_ROOT, key);
	}
}

/**
 * iot_cli_settings_load_data:
 * @self: settings, changed only where the file says otherwise
 * @data: the JSON text
 * @len: its length
 * @path: the file, for messages
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Reads settings as the reference writes them: nested objects under
 * "tunneling.proxy", every value a string (JSON numbers and booleans are
 * taken too). Settings left out keep their value; keys that are not
 * settings are ignored, as the reference does.
 *
 * Returns: %TRUE when the file is JSON and every setting in it is valid
 */
gboolean
iot_cli_settings_load_data(IotCliSettings *self,
			   const gchar *data,
			   gsize len,
			   const gchar *path,
			   GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;
	JsonNode *proxy;
	JsonNode *overrides;

	if (iot_profile_json_has_bad_escape(data, len)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: this is not JSON (a broken \\u escape); write "
			      "the file as --export-default-settings does."),
			    path);
		return FALSE;
	}
	if (iot_profile_json_has_trailing(data, len)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file holds more than one JSON value; write it as "
			      "--export-default-settings does."),
			    path);
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, data, len, &error_local)) {
		guint line = 0;
		/* json-glib's message reads "<data>:LINE:COLUMN: Parse error: ..." */
		if (sscanf(error_local->message, "<data>:%u:", &line) == 1 && line > 0) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_FILE,
				    _("%s:%u: this is not JSON; write the file as "
				      "--export-default-settings does."),
				    path,
				    line);
			return FALSE;
		}
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file is not JSON; write it as --export-default-settings "
			      "does."),
			    path);
		return FALSE;
	}
	root = json_parser_get_root(parser);
	if (root != NULL && !iot_profile_json_is_utf8(root)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file holds text that is not UTF-8 (a lone \\u surrogate); "
			      "write it as --export-default-settings does."),
			    path);
		return FALSE;
	}
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file holds %s, not an object; write it as "
			      "--export-default-settings does."),
			    path,
			    root != NULL ? iot_profile_describe_type(root) : _("nothing"));
		return FALSE;
	}
	proxy = iot_cli_settings_lookup(json_node_get_object(root), IOT_CLI_SETTINGS_ROOT);
	if (proxy == NULL) {
		g_debug("%s: no %s settings; the defaults apply", path, IOT_CLI_SETTINGS_ROOT);
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(proxy)) {
		g_autofree gchar *described = iot_profile_describe_value(proxy);
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s: %s is %s; write it as --export-default-settings does."),
			    path,
			    IOT_CLI_SETTINGS_ROOT,
			    described);
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(iot_cli_settings_table); i++) {
		const IotCliSettingInfo *info = &iot_cli_settings_table[i];
		JsonNode *node = iot_cli_settings_lookup(json_node_get_object(proxy), info->key);
		if (node == NULL)
			continue;
		if (!iot_cli_settings_load_one(self, info, node, path, error))
			return FALSE;
	}
	overrides = json_object_get_member(json_node_get_object(proxy), IOT_CLI_SETTINGS_OVERRIDES);
	if (overrides != NULL && !iot_cli_settings_load_overrides(self, overrides, path, error))
		return FALSE;
	iot_cli_settings_log_unknown(json_node_get_object(proxy), NULL, path);
	return TRUE;
}

/**
 * iot_cli_settings_load:
 * @self: settings, changed only where the file says otherwise
 * @path: the --settings-json file
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Returns: %TRUE when the file was read and every setting in it is valid
 */
gboolean
iot_cli_settings_load(IotCliSettings *self, const gchar *path, GError **error)
{
	g_autoptr(GBytes) bytes = iot_cli_read_file(path, error);
	gsize len = 0;
	const gchar *data;

	if (bytes == NULL)
		return FALSE;
	data = g_bytes_get_data(bytes, &len);
	return iot_cli_settings_load_data(self, data, len, path, error);
}

/**
 * iot_cli_settings_get_region_host:
 * @self: settings
 * @region: a region name
 *
 * Returns: (transfer full): the service's host for @region: its override,
 * else the endpoint format with the region in it, as the reference does
 */
gchar *
iot_cli_settings_get_region_host(IotCliSettings *self, const gchar *region)
{
	const gchar *host = g_hash_table_lookup(self->region_overrides, region);
	g_autoptr(GString) text = NULL;

	if (host != NULL)
		return g_strdup(host);
	text = g_string_new(self->endpoint_format);
	g_string_replace(text, "%s", region, 1);
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* a JSON string as Boost's write_json escapes it: "/" too */
static void
iot_cli_settings_append_string(GString *out, const gchar *text)
{
	g_string_append_c(out, '"');
	for (const gchar *p = text; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		switch (c) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '/':
			g_string_append(out, "\\/");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (c < 0x20)
				g_string_append_printf(out, "\\u%04x", c);
			else
				g_string_append_c(out, (gchar)c);
		}
	}
	g_string_append_c(out, '"');
}

/* Boost's write_json(pretty): four spaces a level, "key": value, no empty objects */
static void
iot_cli_settings_append_object(GString *out, JsonObject *object, guint level)
{
	g_autoptr(GList) members = json_object_get_members(object);

	g_string_append(out, "{\n");
	for (GList *l = members; l != NULL; l = l->next) {
		JsonNode *node = json_object_get_member(object, l->data);
		for (guint i = 0; i < 4 * (level + 1); i++)
			g_string_append_c(out, ' ');
		iot_cli_settings_append_string(out, l->data);
		g_string_append(out, ": ");
		if (JSON_NODE_HOLDS_OBJECT(node))
			iot_cli_settings_append_object(out, json_node_get_object(node), level + 1);
		else
			iot_cli_settings_append_string(out, json_node_get_string(node));
		if (l->next != NULL)
			g_string_append_c(out, ',');
		g_string_append_c(out, '\n');
	}
	for (guint i = 0; i < 4 * level; i++)
		g_string_append_c(out, ' ');
	g_string_append_c(out, '}');
}

/* the object that holds dotted @key below @root, made on the way; @leaf gets the last part */
static JsonObject *
iot_cli_settings_ensure_parent(JsonObject *root, const gchar *key, const gchar **leaf)
{
	g_auto(GStrv) parts = g_strsplit(key, ".", -1);
	guint n = g_strv_length(parts);
	JsonObject *object = root;

	for (guint i = 0; i + 1 < n; i++) {
		if (!json_object_has_member(object, parts[i]))
			json_object_set_object_member(object, parts[i], json_object_new());
		object = json_object_get_object_member(object, parts[i]);
	}
	if (leaf != NULL)
		*leaf = key + strlen(key) - strlen(parts[n - 1]);
	return object;
}

/**
 * iot_cli_settings_export_text:
 *
 * Returns: (transfer full): the default settings, exactly as the
 * reference's --export-default-settings writes them
 */
gchar *
iot_cli_settings_export_text(void)
{
	g_autoptr(JsonObject) root = json_object_new();
	g_autoptr(GString) out = g_string_new(NULL);
	JsonObject *proxy = iot_cli_settings_ensure_parent(root, IOT_CLI_SETTINGS_ROOT ".x", NULL);
	JsonObject *overrides = json_object_new();

	for (guint i = 0; i < G_N_ELEMENTS(iot_cli_settings_table); i++) {
		const IotCliSettingInfo *info = &iot_cli_settings_table[i];
		const gchar *leaf = NULL;
		JsonObject *parent;
		if (info->default_value == NULL)
			continue;
		parent = iot_cli_settings_ensure_parent(proxy, info->key, &leaf);
		json_object_set_string_member(parent, leaf, info->default_value);
	}
	for (guint i = 0; i < G_N_ELEMENTS(iot_cli_settings_overrides); i++) {
		json_object_set_string_member(overrides,
					      iot_cli_settings_overrides[i][0],
					      iot_cli_settings_overrides[i][1]);
	}
	json_object_set_object_member(proxy, IOT_CLI_SETTINGS_OVERRIDES, overrides);
	iot_cli_settings_append_object(out, root, 0);
	g_string_append_c(out, '\n');
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * iot_cli_settings_export:
 * @path: the file to write
 * @error: (nullable): return location for an %IOT_CLI_ERROR_FILE error
 *
 * Writes iot_cli_settings_export_text() to @path, replacing it in place as
 * the reference does.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
iot_cli_settings_export(const gchar *path, GError **error)
{
	g_autofree gchar *text = iot_cli_settings_export_text();
	g_auto(IotProfileFd) fd = -1;
	gsize len = strlen(text);
	gsize done = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	while (fd >= 0 && done < len) {
		gssize n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		done += (gsize)n;
	}
	if (fd < 0 || done < len || close(g_steal_fd(&fd)) != 0) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_FILE,
			    _("%s: the file cannot be written (%s); check the path and its "
			      "permissions."),
			    path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}
