/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-proxy.h"

#include <iotunnel.h>

#include <string.h>

/*
 * What GUri decoded as the host: an IP address, or a name of letters,
 * digits, '-', '.' and '_' (and non-ASCII, for an international name); a
 * decoded "%40" is "@", which would read back as no host at all
 */
static gboolean
iot_websocket_proxy_host_is_valid(const gchar *host)
{
	if (g_hostname_is_ip_address(host))
		return TRUE;
	for (const guchar *c = (const guchar *)host; *c != '\0'; c++) {
		if (*c < 0x80 && !g_ascii_isalnum(*c) && *c != '-' && *c != '.' && *c != '_')
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_websocket_proxy_normalize_url:
 * @value: a web proxy as a user writes it: `http://user:pass@host:port`,
 *   `http:host:port` (as in the public setup guide), or `host:port`
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR
 *
 * Returns: (transfer full): the proxy as a URL GLib understands, with the
 * user information still percent-encoded and the port always given
 */
gchar *
iot_websocket_proxy_normalize_url(const gchar *value, GError **error)
{
	const gchar *rest = NULL;
	const gchar *scheme = "http";
	gint port;
	g_autofree gchar *text = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *normal = NULL;
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) error_local = NULL;

	/* messages quote the URL: it must be text */
	if (!g_utf8_validate(value, -1, NULL)) {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "the web proxy URL is not UTF-8 text");
		return NULL;
	}
	text = g_strstrip(g_strdup(value));
	if (g_ascii_strncasecmp(text, "https:", 6) == 0) {
		scheme = "https";
		rest = text + 6;
	} else if (g_ascii_strncasecmp(text, "http:", 5) == 0) {
		rest = text + 5;
	} else if (strstr(text, "://") != NULL) {
		g_autofree gchar *described = iot_websocket_proxy_describe(text);
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "web proxy %s: only http:// and https:// web proxies are supported",
			    described);
		return NULL;
	} else {
		rest = text;
	}
	/* "http://", but also "http:" as in the public setup guide, or "http:/" */
	while (rest[0] == '/')
		rest++;
	if (rest[0] == '\0') {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "no web proxy host given");
		return NULL;
	}

	path = g_strdup_printf("%s://%s", scheme, rest);
	uri = g_uri_parse(path, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, &error_local);
	if (uri == NULL) {
		/* the text may hold a password: name only what follows the '@' */
		const gchar *at = strrchr(rest, '@');
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "web proxy %s is not a valid URL",
			    at != NULL ? at + 1 : rest);
		return NULL;
	}
	if (g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0') {
		g_set_error_literal(error,
				    IOT_TRANSPORT_ERROR,
				    IOT_TRANSPORT_ERROR_SETTINGS,
				    "no web proxy host given");
		return NULL;
	}
	if (!iot_websocket_proxy_host_is_valid(g_uri_get_host(uri))) {
		g_autofree gchar *shown = g_strescape(g_uri_get_host(uri), NULL);
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "web proxy host \"%s\" is neither a host name nor an IP address",
			    shown);
		return NULL;
	}
	if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL ||
	    (g_uri_get_path(uri)[0] != '\0' && g_strcmp0(g_uri_get_path(uri), "/") != 0)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "web proxy %s:%d: a web proxy URL has no path",
			    g_uri_get_host(uri),
			    g_uri_get_port(uri));
		return NULL;
	}
	port = g_uri_get_port(uri);
	if (port <= 0)
		port = g_strcmp0(scheme, "https") == 0 ? 443 : 80;
	normal = g_uri_join_with_user(G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED,
				      scheme,
				      g_uri_get_user(uri),
				      g_uri_get_password(uri),
				      NULL,
				      g_uri_get_host(uri),
				      port,
				      "",
				      NULL,
				      NULL);
	/* GIO's proxy resolver takes only a URL that decodes: no %00 in it, for one */
	if (!g_uri_is_valid(normal, G_URI_FLAGS_NONE, NULL)) {
		g_set_error(error,
			    IOT_TRANSPORT_ERROR,
			    IOT_TRANSPORT_ERROR_SETTINGS,
			    "web proxy %s is not a valid URL",
			    g_uri_get_host(uri));
		return NULL;
	}
	return g_steal_pointer(&normal);
}

/*
 * The value of @name, where the lower-case spelling wins over the upper-case
 * one; @used, when given, is set to the spelling the value came from.
 */
static const gchar *
iot_websocket_proxy_getenv(const gchar *const *envp, const gchar *name, gchar **used)
{
	g_autofree gchar *lower = g_ascii_strdown(name, -1);
	const gchar *value = g_environ_getenv((gchar **)envp, lower);
	if (value != NULL && value[0] != '\0') {
		if (used != NULL)
			*used = g_steal_pointer(&lower);
		return value;
	}
	value = g_environ_getenv((gchar **)envp, name);
	if (value == NULL || value[0] == '\0')
		return NULL;
	if (used != NULL)
		*used = g_strdup(name);
	return value;
}

/**
 * iot_websocket_proxy_from_environ:
 * @envp: (array zero-terminated=1): an environment, as g_get_environ() gives
 * @url: (out) (transfer full) (optional): the proxy URL, or %NULL to connect
 *   directly
 * @no_proxy: (out) (transfer full) (optional): the hosts to reach directly,
 *   or %NULL
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR
 *
 * Reads `https_proxy`/`HTTPS_PROXY` and `no_proxy`/`NO_PROXY`, lower case
 * first as the reference does. `NO_PROXY=*` means no proxy at all.
 *
 * Returns: %FALSE when the proxy variable cannot be understood; @error then
 *   starts with the variable's name, as it is spelled in @envp
 */
gboolean
iot_websocket_proxy_from_environ(const gchar *const *envp,
				 gchar **url,
				 gchar **no_proxy,
				 GError **error)
{
	g_autofree gchar *variable = NULL;
	const gchar *proxy_value = iot_websocket_proxy_getenv(envp, "HTTPS_PROXY", &variable);
	const gchar *no_proxy_value = iot_websocket_proxy_getenv(envp, "NO_PROXY", NULL);
	g_autofree gchar *url_tmp = NULL;
	g_autofree gchar *no_proxy_tmp = NULL;

	if (no_proxy_value != NULL) {
		no_proxy_tmp = g_strstrip(g_strdup(no_proxy_value));
		if (g_strcmp0(no_proxy_tmp, "*") == 0)
			proxy_value = NULL;
	}
	if (proxy_value != NULL) {
		url_tmp = iot_websocket_proxy_normalize_url(proxy_value, error);
		if (url_tmp == NULL) {
			g_prefix_error(error, "%s: ", variable);
			return FALSE;
		}
	}
	if (url != NULL)
		*url = g_steal_pointer(&url_tmp);
	if (no_proxy != NULL)
		*no_proxy = proxy_value != NULL ? g_strdup(no_proxy_value) : NULL;
	return TRUE;
}

/**
 * iot_websocket_proxy_resolver_new:
 * @url: the proxy, as iot_websocket_proxy_normalize_url() returns it
 * @no_proxy: (nullable): hosts to reach directly, separated by commas:
 *   `host`, `.domain`, `*.domain`, `host:port`, an address or `address/bits`
 *
 * Returns: (transfer full): a resolver that sends every connection through
 * @url except those to the hosts in @no_proxy
 */
GProxyResolver *
iot_websocket_proxy_resolver_new(const gchar *url, const gchar *no_proxy)
{
	g_autoptr(GPtrArray) ignore_hosts = g_ptr_array_new_with_free_func(g_free);

	if (no_proxy != NULL) {
		g_auto(GStrv) split = g_strsplit_set(no_proxy, ", \t", -1);
		for (guint i = 0; split[i] != NULL; i++) {
			if (split[i][0] != '\0')
				g_ptr_array_add(ignore_hosts, g_strdup(split[i]));
		}
	}
	g_ptr_array_add(ignore_hosts, NULL);
	return g_simple_proxy_resolver_new(url, (gchar **)ignore_hosts->pdata);
}

/**
 * iot_websocket_proxy_describe:
 * @url: a proxy URL, perhaps holding a user name and password
 *
 * Returns: (transfer full): `host:port` of the proxy, safe to log
 */
gchar *
iot_websocket_proxy_describe(const gchar *url)
{
	g_autofree gchar *host = NULL;
	gint port = -1;

	if (!g_uri_split_network(url, G_URI_FLAGS_ENCODED, NULL, &host, &port, NULL))
		return g_strdup("(invalid proxy URL)");
	if (port <= 0)
		return g_steal_pointer(&host);
	if (strchr(host, ':') != NULL)
		return g_strdup_printf("[%s]:%d", host, port);
	return g_strdup_printf("%s:%d", host, port);
}
