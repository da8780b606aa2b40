/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The WebSocket transport's settings: read from the profile, checked, with the certificates they
 * name. */

#include "config.h"

#include "iot-websocket-settings.h"

#include "iot-websocket-proxy.h"

/*
 * Every certificate in a file, or in each file of a directory, once: the
 * authorities of the setting @name ("ca_path", "proxy_ca_path").
 */
static GPtrArray *
iot_websocket_settings_load_cas(const gchar *name, const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) cas = g_ptr_array_new_with_free_func(g_object_unref);
	gboolean is_dir = g_file_test(path, G_FILE_TEST_IS_DIR);

	if (is_dir) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GDir) dir = g_dir_open(path, 0, &error_local);
		const gchar *entry;
		if (dir == NULL) {
			g_set_error(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "%s: %s",
				    name,
				    error_local->message);
			return NULL;
		}
		while ((entry = g_dir_read_name(dir)) != NULL)
			g_ptr_array_add(files, g_build_filename(path, entry, NULL));
	} else if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_ptr_array_add(files, g_strdup(path));
	} else {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "%s %s is neither a directory nor a file",
			    name,
			    path);
		return NULL;
	}

	for (guint i = 0; i < files->len; i++) {
		const gchar *filename = g_ptr_array_index(files, i);
		g_autolist(GTlsCertificate) certificates = NULL;
		g_autoptr(GError) error_local = NULL;

		if (!g_file_test(filename, G_FILE_TEST_IS_REGULAR))
			continue;
		certificates = g_tls_certificate_list_new_from_file(filename, &error_local);
		if (error_local != NULL) {
			if (!is_dir) {
				g_set_error(error,
					    IOT_TRANSPORT_ERROR,
					    IOT_TRANSPORT_ERROR_SETTINGS,
					    "%s %s: %s",
					    name,
					    filename,
					    error_local->message);
				return NULL;
			}
			g_debug("%s: skipping %s: %s", name, filename, error_local->message);
			continue;
		}
		for (GList *l = certificates; l != NULL; l = l->next) {
			gboolean known = FALSE;
			for (guint j = 0; j < cas->len && !known; j++)
				known =
				    g_tls_certificate_is_same(l->data, g_ptr_array_index(cas, j));
			if (!known)
				g_ptr_array_add(cas, g_object_ref(l->data));
		}
	}
	if (cas->len == 0) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "%s %s holds no certificate",
			    name,
			    path);
		return NULL;
	}
	g_debug("%s %s: %u certificates", name, path, cas->len);
	return g_steal_pointer(&cas);
}

static gboolean
iot_websocket_settings_get_uint(JsonNode *node,
				const gchar *name,
				guint min,
				guint max,
				gboolean zero_allowed,
				guint *value,
				GError **error)
{
	gint64 number;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" must be an integer",
			    name);
		return FALSE;
	}
	number = json_node_get_int(node);
	if ((number < min || number > max) && !(zero_allowed && number == 0)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" is %" G_GINT64_FORMAT "; it must be from %u to %u%s",
			    name,
			    number,
			    min,
			    max,
			    zero_allowed ? ", or 0 for none" : "");
		return FALSE;
	}
	*value = (guint)number;
	return TRUE;
}

static const gchar *
iot_websocket_settings_get_string(JsonNode *node, const gchar *name, GError **error)
{
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"%s\" must be a string",
			    name);
		return NULL;
	}
	return json_node_get_string(node);
}

/**
 * iot_websocket_settings_clear:
 * @self: settings
 *
 * Frees what @self holds and sets every setting back to its default.
 */
void
iot_websocket_settings_clear(IotWebsocketSettings *self)
{
	g_clear_pointer(&self->extra_cas, g_ptr_array_unref);
	g_clear_pointer(&self->proxy_extra_cas, g_ptr_array_unref);
	g_clear_pointer(&self->proxy_url, g_free);
	g_clear_pointer(&self->no_proxy, g_free);
	self->insecure = FALSE;
	self->proxy_mode = IOT_WEBSOCKET_PROXY_ENV;
	self->ping_ms = IOT_WEBSOCKET_PING_MS_DEFAULT;
	self->connect_timeout_ms = IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_DEFAULT;
}

static gboolean
iot_websocket_settings_load_one(IotWebsocketSettings *self,
				const gchar *name,
				JsonNode *node,
				GError **error)
{
	if (g_strcmp0(name, "type") == 0) {
		const gchar *type = iot_websocket_settings_get_string(node, name, error);
		if (type == NULL)
			return FALSE;
		if (g_strcmp0(type, "websocket") != 0) {
			g_set_error(
			    error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "setting \"type\" is \"%s\", but this transport is \"websocket\"",
			    type);
			return FALSE;
		}
		return TRUE;
	}
	if (g_strcmp0(name, "ca_path") == 0 || g_strcmp0(name, "proxy_ca_path") == 0) {
		const gchar *path = iot_websocket_settings_get_string(node, name, error);
		GPtrArray *cas;
		if (path == NULL)
			return FALSE;
		cas = iot_websocket_settings_load_cas(name, path, error);
		if (cas == NULL)
			return FALSE;
		if (g_strcmp0(name, "ca_path") == 0)
			self->extra_cas = cas;
		else
			self->proxy_extra_cas = cas;
		return TRUE;
	}
	if (g_strcmp0(name, "insecure") == 0) {
		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
			g_set_error_literal(error,
					    IOT_TRANSPORT_ERROR,
					    IOT_TRANSPORT_ERROR_SETTINGS,
					    "setting \"insecure\" must be true or false");
			return FALSE;
		}
		self->insecure = json_node_get_boolean(node);
		return TRUE;
	}
	if (g_strcmp0(name, "proxy") == 0) {
		const gchar *proxy = iot_websocket_settings_get_string(node, name, error);
		if (proxy == NULL)
			return FALSE;
		g_clear_pointer(&self->proxy_url, g_free);
		if (g_strcmp0(proxy, "env") == 0) {
			self->proxy_mode = IOT_WEBSOCKET_PROXY_ENV;
			return TRUE;
		}
		if (g_strcmp0(proxy, "none") == 0) {
			self->proxy_mode = IOT_WEBSOCKET_PROXY_NONE;
			return TRUE;
		}
		self->proxy_url = iot_websocket_proxy_normalize_url(proxy, error);
		if (self->proxy_url == NULL) {
			g_prefix_error(error, "setting \"proxy\": ");
			return FALSE;
		}
		self->proxy_mode = IOT_WEBSOCKET_PROXY_URL;
		return TRUE;
	}
	if (g_strcmp0(name, "ping_ms") == 0) {
		return iot_websocket_settings_get_uint(node,
						       name,
						       IOT_WEBSOCKET_PING_MS_MIN,
						       IOT_WEBSOCKET_PING_MS_MAX,
						       TRUE,
						       &self->ping_ms,
						       error);
	}
	if (g_strcmp0(name, "connect_timeout_ms") == 0) {
		return iot_websocket_settings_get_uint(node,
						       name,
						       1,
						       IOT_WEBSOCKET_CONNECT_TIMEOUT_MS_MAX,
						       FALSE,
						       &self->connect_timeout_ms,
						       error);
	}
	g_set_error(error,
		    IOT_TRANSPORT_ERROR,
		    IOT_TRANSPORT_ERROR_SETTINGS,
		    "unknown setting \"%s\"",
		    name);
	return FALSE;
}

/**
 * iot_websocket_settings_load:
 * @self: settings, cleared first
 * @settings: the transport's object of the profile
 * @error: a %IOT_TRANSPORT_ERROR_SETTINGS naming the setting at fault
 *
 * Reads and checks every setting, the certificate files they name and, in
 * the "env" proxy mode, the web proxy of the environment. On an error
 * @self is left cleared.
 *
 * Returns: whether every setting was valid
 */
gboolean
iot_websocket_settings_load(IotWebsocketSettings *self, JsonObject *settings, GError **error)
{
	JsonObjectIter iter;
	const gchar *name;
	JsonNode *node;

	iot_websocket_settings_clear(self);
	json_object_iter_init(&iter, settings);
	while (json_object_iter_next(&iter, &name, &node)) {
		if (!iot_websocket_settings_load_one(self, name, node, error)) {
			iot_websocket_settings_clear(self);
			return FALSE;
		}
	}
	/* the environment is read now, so that a web proxy it names wrongly is found
	 * before anything touches the network */
	if (self->proxy_mode == IOT_WEBSOCKET_PROXY_ENV) {
		g_auto(GStrv) envp = g_get_environ();
		if (!iot_websocket_proxy_from_environ((const gchar *const *)envp,
						      &self->proxy_url,
						      &self->no_proxy,
						      error)) {
			iot_websocket_settings_clear(self);
			return FALSE;
		}
	}
	return TRUE;
}
