/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-websocket-proxy-tunnel.h"

#include <iotunnel.h>

#include <string.h>

#include "iot-websocket-proxy.h"

/*
 * A connection to the service through a web proxy, one step at a time, so
 * that each failure names the step and the web proxy: reaching the proxy,
 * TLS with an https:// one (checked against the authorities we are given,
 * which GIO's own https proxy cannot be told about), then GIO's HTTP proxy
 * for the CONNECT exchange.
 */

typedef struct {
	gchar *name;   /* host:port of the proxy, safe to log */
	gchar *target; /* host:port of the service, for CONNECT and messages */
	gchar *proxy_host;
	guint16 proxy_port;
	gboolean proxy_tls;
	gchar *user;	 /* decoded, nullable */
	gchar *password; /* decoded, nullable: never log it */
	gchar *host;	 /* the service's */
	guint16 port;
	IotWebsocketTlsTrust trust;
	gboolean worked_before;
	GInetAddress *proxy_address;
	GIOStream *stream;
} IotWebsocketProxyTunnel;

static void
iot_websocket_proxy_tunnel_free(IotWebsocketProxyTunnel *tunnel)
{
	g_free(tunnel->name);
	g_free(tunnel->target);
	g_free(tunnel->proxy_host);
	g_free(tunnel->user);
	if (tunnel->password != NULL)
		memset(tunnel->password, 0, strlen(tunnel->password));
	g_free(tunnel->password);
	g_free(tunnel->host);
	g_clear_pointer(&tunnel->trust.authorities, g_ptr_array_unref);
	g_clear_pointer(&tunnel->trust.more_authorities, g_ptr_array_unref);
	g_clear_object(&tunnel->proxy_address);
	g_clear_object(&tunnel->stream);
	g_free(tunnel);
}

static void
iot_websocket_proxy_tunnel_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketProxyTunnel *tunnel = g_task_get_task_data(task);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	stream = g_proxy_connect_finish(G_PROXY(source), result, &error);
	if (stream == NULL) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_task_return_error(task, g_steal_pointer(&error));
			return;
		}
		if (error->domain == G_IO_ERROR && (error->code == G_IO_ERROR_PROXY_FAILED ||
						    error->code == G_IO_ERROR_PROXY_AUTH_FAILED ||
						    error->code == G_IO_ERROR_PROXY_NEED_AUTH ||
						    error->code == G_IO_ERROR_PROXY_NOT_ALLOWED)) {
			g_task_return_new_error(task,
						IOT_TRANSPORT_ERROR,
						IOT_TRANSPORT_ERROR_PROXY,
						"web proxy %s refused to connect to %s: %s",
						tunnel->name,
						tunnel->target,
						error->message);
			return;
		}
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_NETWORK,
					"connection to web proxy %s lost: %s",
					tunnel->name,
					error->message);
		return;
	}
	g_debug("web proxy %s: CONNECT %s accepted", tunnel->name, tunnel->target);
	g_task_return_pointer(task, g_steal_pointer(&stream), g_object_unref);
}

/* sends CONNECT over the connection to the proxy */
static void
iot_websocket_proxy_tunnel_send_connect(GTask *task)
{
	IotWebsocketProxyTunnel *tunnel = g_task_get_task_data(task);
	g_autoptr(GProxy) http = g_proxy_get_default_for_protocol("http");
	g_autoptr(GSocketAddress) proxy_address = NULL;
	g_autofree gchar *destination = NULL;

	if (http == NULL) {
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_SETTINGS,
					"GIO has no HTTP proxy support");
		return;
	}
	/* GIO writes the host as given: an IPv6 literal needs its brackets */
	destination = strchr(tunnel->host, ':') != NULL ? g_strdup_printf("[%s]", tunnel->host)
							: g_strdup(tunnel->host);
	proxy_address = g_proxy_address_new(tunnel->proxy_address,
					    tunnel->proxy_port,
					    "http",
					    destination,
					    tunnel->port,
					    tunnel->user,
					    tunnel->password);
	g_debug("web proxy %s: sending CONNECT %s", tunnel->name, tunnel->target);
	g_proxy_connect_async(http,
			      tunnel->stream,
			      G_PROXY_ADDRESS(proxy_address),
			      g_task_get_cancellable(task),
			      iot_websocket_proxy_tunnel_connect_cb,
			      task);
}

static void
iot_websocket_proxy_tunnel_tls_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketProxyTunnel *tunnel = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	GIOStream *tls = iot_websocket_tls_handshake_finish(result, &error);

	if (tls == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_clear_object(&tunnel->stream);
	tunnel->stream = tls;
	iot_websocket_proxy_tunnel_send_connect(g_steal_pointer(&task));
}

/*
 * Whether connecting to the proxy failed in a way that is not worth another
 * try: its name is unknown or nothing listens on its port, and no connection
 * through it ever worked, so the setting is most likely wrong. A proxy that
 * worked before is only away, as is one the network cannot reach yet.
 */
static gboolean
iot_websocket_proxy_tunnel_absent(IotWebsocketProxyTunnel *tunnel, const GError *error)
{
	if (tunnel->worked_before)
		return FALSE;
	return g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
	       g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

static void
iot_websocket_proxy_tunnel_socket_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotWebsocketProxyTunnel *tunnel = g_task_get_task_data(task);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GSocketAddress) remote = NULL;
	g_autoptr(GError) error = NULL;
	GCancellable *cancellable;
	guint answer_timeout_ms;

	connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);
	if (connection == NULL) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_task_return_error(task, g_steal_pointer(&error));
			return;
		}
		g_task_return_new_error(
		    task,
		    IOT_TRANSPORT_ERROR,
		    iot_websocket_proxy_tunnel_absent(tunnel, error) ? IOT_TRANSPORT_ERROR_PROXY
								     : IOT_TRANSPORT_ERROR_NETWORK,
		    error->domain == G_RESOLVER_ERROR ? "web proxy %s cannot be found: %s"
						      : "web proxy %s cannot be reached: %s",
		    tunnel->name,
		    error->message);
		return;
	}
	remote = g_socket_connection_get_remote_address(connection, &error);
	if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS(remote)) {
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_NETWORK,
					"web proxy %s: the connection has no IP address",
					tunnel->name);
		return;
	}
	tunnel->proxy_address =
	    g_object_ref(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
	tunnel->stream = G_IO_STREAM(g_steal_pointer(&connection));
	if (!tunnel->proxy_tls) {
		iot_websocket_proxy_tunnel_send_connect(g_steal_pointer(&task));
		return;
	}
	/* a silent proxy that worked before is only slow */
	answer_timeout_ms = tunnel->worked_before ? 0 : IOT_WEBSOCKET_PROXY_TLS_ANSWER_MS;
	cancellable = g_task_get_cancellable(task);
	iot_websocket_tls_handshake_async(tunnel->stream,
					  IOT_WEBSOCKET_TLS_PEER_PROXY,
					  tunnel->proxy_host,
					  tunnel->proxy_port,
					  &tunnel->trust,
					  answer_timeout_ms,
					  cancellable,
					  iot_websocket_proxy_tunnel_tls_cb,
					  g_steal_pointer(&task));
}

/* the task of a connection through @proxy_url, or NULL when it already failed */
static GTask *
iot_websocket_proxy_tunnel_task_new(const gchar *proxy_url,
				    const gchar *host,
				    guint16 port,
				    const IotWebsocketTlsTrust *trust,
				    gboolean worked_before,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
	IotWebsocketProxyTunnel *tunnel = g_new0(IotWebsocketProxyTunnel, 1);
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *user;
	const gchar *password;

	g_task_set_source_tag(task, iot_websocket_proxy_tunnel_async);
	g_task_set_name(task, "IotWebsocketProxyTunnel connect");
	g_task_set_task_data(task, tunnel, (GDestroyNotify)iot_websocket_proxy_tunnel_free);
	tunnel->name = iot_websocket_proxy_describe(proxy_url);
	tunnel->host = g_strdup(host);
	tunnel->port = port;
	if (strchr(host, ':') != NULL)
		tunnel->target = g_strdup_printf("[%s]:%u", host, port);
	else
		tunnel->target = g_strdup_printf("%s:%u", host, port);
	if (trust != NULL && trust->authorities != NULL)
		tunnel->trust.authorities = g_ptr_array_ref(trust->authorities);
	if (trust != NULL && trust->more_authorities != NULL)
		tunnel->trust.more_authorities = g_ptr_array_ref(trust->more_authorities);
	tunnel->trust.insecure = trust != NULL && trust->insecure;
	tunnel->worked_before = worked_before;

	uri = g_uri_parse(proxy_url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, &error);
	if (uri == NULL || g_uri_get_port(uri) <= 0) {
		g_task_return_new_error(task,
					IOT_TRANSPORT_ERROR,
					IOT_TRANSPORT_ERROR_SETTINGS,
					"web proxy %s is not a valid URL",
					tunnel->name);
		return NULL;
	}
	tunnel->proxy_host = g_strdup(g_uri_get_host(uri));
	tunnel->proxy_port = (guint16)g_uri_get_port(uri);
	tunnel->proxy_tls = g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0;
	user = g_uri_get_user(uri);
	password = g_uri_get_password(uri);
	if (user != NULL)
		tunnel->user = g_uri_unescape_string(user, NULL);
	if (password != NULL)
		tunnel->password = g_uri_unescape_string(password, NULL);
	return g_steal_pointer(&task);
}

/**
 * iot_websocket_proxy_tunnel_async:
 * @proxy_url: the web proxy, as iot_websocket_proxy_normalize_url() returns it
 * @host: the service's host name, or its IP address without brackets
 * @port: the service's port
 * @trust: what the certificate of an https:// proxy is checked against
 * @worked_before: whether a connection through this proxy ever worked; until
 *   one has, a proxy whose name is unknown or whose port is closed is a wrong
 *   setting (%IOT_TRANSPORT_ERROR_PROXY), and an https:// proxy that does not
 *   answer the TLS handshake within %IOT_WEBSOCKET_PROXY_TLS_ANSWER_MS is
 *   taken for a plain one (%IOT_TRANSPORT_ERROR_PROXY_NOT_TLS)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the proxy carries the connection, or failed
 * @user_data: data for @callback
 *
 * Opens a connection to @host:@port through the web proxy.
 */
void
iot_websocket_proxy_tunnel_async(const gchar *proxy_url,
				 const gchar *host,
				 guint16 port,
				 const IotWebsocketTlsTrust *trust,
				 gboolean worked_before,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	g_autoptr(GTask) task = iot_websocket_proxy_tunnel_task_new(proxy_url,
								    host,
								    port,
								    trust,
								    worked_before,
								    cancellable,
								    callback,
								    user_data);
	IotWebsocketProxyTunnel *tunnel;
	g_autoptr(GSocketClient) client = NULL;
	g_autoptr(GSocketConnectable) connectable = NULL;

	if (task == NULL)
		return;
	tunnel = g_task_get_task_data(task);
	client = g_socket_client_new();
	g_socket_client_set_enable_proxy(client, FALSE);
	connectable = g_network_address_new(tunnel->proxy_host, tunnel->proxy_port);
	g_socket_client_connect_async(client,
				      connectable,
				      cancellable,
				      iot_websocket_proxy_tunnel_socket_cb,
				      g_steal_pointer(&task));
}

/**
 * iot_websocket_proxy_tunnel_over_async:
 * @stream: a connection to the web proxy at @proxy_address, past TLS if any
 * @proxy_address: the IP address of the web proxy
 * @proxy_url: the web proxy, as iot_websocket_proxy_normalize_url() returns it
 * @host: the service's host name, or its IP address without brackets
 * @port: the service's port
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result, for iot_websocket_proxy_tunnel_finish()
 * @user_data: data for @callback
 *
 * The last step of iot_websocket_proxy_tunnel_async() alone: the CONNECT
 * exchange over @stream, and the reading of the proxy's answer. The fuzz
 * target of that answer gives it a stream of its own.
 */
void
iot_websocket_proxy_tunnel_over_async(GIOStream *stream,
				      GInetAddress *proxy_address,
				      const gchar *proxy_url,
				      const gchar *host,
				      guint16 port,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data)
{
	g_autoptr(GTask) task = iot_websocket_proxy_tunnel_task_new(proxy_url,
								    host,
								    port,
								    NULL,
								    TRUE,
								    cancellable,
								    callback,
								    user_data);
	IotWebsocketProxyTunnel *tunnel;

	if (task == NULL)
		return;
	tunnel = g_task_get_task_data(task);
	tunnel->proxy_address = g_object_ref(proxy_address);
	tunnel->stream = g_object_ref(stream);
	iot_websocket_proxy_tunnel_send_connect(g_steal_pointer(&task));
}

/**
 * iot_websocket_proxy_tunnel_finish:
 * @result: the result given to the callback
 * @error: (nullable): return location for an error in %IOT_TRANSPORT_ERROR,
 *   or %G_IO_ERROR_CANCELLED; %IOT_TRANSPORT_ERROR_NETWORK when the proxy
 *   is away for now or the connection to it was lost
 *
 * Returns: (transfer full): the connection to the service, through the
 *   proxy, or %NULL with @error set
 */
GIOStream *
iot_websocket_proxy_tunnel_finish(GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 iot_websocket_proxy_tunnel_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
