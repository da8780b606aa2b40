/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-tcp-endpoint.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "iot-address.h"
#include "iot-endpoint-acceptor.h"
#include "iot-endpoint-common.h"

/* what "PORT" alone means: the reference listens on localhost, connects to 127.0.0.1 */
#define IOT_TCP_ENDPOINT_DEFAULT_BIND "localhost"
#define IOT_TCP_ENDPOINT_DEFAULT_DESTINATION "127.0.0.1"

/* the reference accepts at most 128 active connections */
#define IOT_TCP_ENDPOINT_BACKLOG 128

/* how often a free port (port 0) is picked again when another address has it */
#define IOT_TCP_ENDPOINT_FREE_PORT_TRIES 8

#define IOT_TCP_ENDPOINT_ADDRESS_EXPECTED "expected \"PORT\", \"HOST:PORT\" or \"[IPV6]:PORT\""

struct _IotTcpEndpoint {
	GObject parent_instance;
	gchar *host; /* from the address setting; NULL when it gave only a port */
	guint16 port;
	gchar *bind; /* NULL when not set */
	guint retry_count;
	guint retry_delay_ms;
	GSocketListener *listener;     /* while listening */
	IotEndpointAcceptor *acceptor; /* while listening */
	gchar *listen_host;	       /* while listening, the host listened on */
	guint16 listen_port;  /* while listening, the port, chosen by the system for port 0 */
	gchar *local_address; /* while listening, the first bound address */
	gboolean resolving;   /* while the host of an asynchronous listen is looked up */
};

enum { PROP_0, PROP_LOCAL_ADDRESS, PROP_LAST };

static GParamSpec *pspecs[PROP_LAST] = {NULL};

static gchar *
iot_tcp_endpoint_dup_local_address(IotEndpoint *endpoint)
{
	return g_strdup(IOT_TCP_ENDPOINT(endpoint)->local_address);
}

static void
iot_tcp_endpoint_endpoint_iface_init(IotEndpointInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotTcpEndpoint,
			      iot_tcp_endpoint,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_ENDPOINT,
						    iot_tcp_endpoint_endpoint_iface_init))

const gchar iot_tcp_endpoint_settings_schema[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"title\": \"tcp endpoint settings\",\n"
    "  \"type\": \"object\",\n"
    "  \"properties\": {\n"
    "    \"endpoint\": { \"const\": \"tcp\" },\n"
    "    \"address\": {\n"
    "      \"description\": \"PORT, HOST:PORT or [IPV6]:PORT. Source: where to listen (PORT alone "
    "listens on bind; port 0 picks a free port). Destination: where the local app listens (PORT "
    "alone means 127.0.0.1).\",\n"
    "      \"type\": \"string\",\n"
    "      \"pattern\": "
    "\"^([0-9]{1,5}|[^:\\\\[\\\\]]+:[0-9]{1,5}|\\\\[[0-9A-Fa-f:.]+\\\\]:[0-9]{1,5})$\"\n"
    "    },\n"
    "    \"bind\": {\n"
    "      \"description\": \"A host name or address, without a port. Source: the host to listen "
    "on when address gives none (localhost: 127.0.0.1 and ::1). Destination: the local address "
    "outgoing connections come from.\",\n"
    "      \"type\": \"string\",\n"
    "      \"minLength\": 1,\n"
    "      \"default\": \"localhost\"\n"
    "    },\n"
    "    \"retry_count\": {\n"
    "      \"description\": \"Destination: how many times a failed connection is tried again.\",\n"
    "      \"type\": \"integer\",\n"
    "      \"minimum\": 0,\n"
    "      \"maximum\": 1000000,\n"
    "      \"default\": 5\n"
    "    },\n"
    "    \"retry_delay_ms\": {\n"
    "      \"description\": \"Destination: the wait between two tries, in milliseconds.\",\n"
    "      \"type\": \"integer\",\n"
    "      \"minimum\": 0,\n"
    "      \"maximum\": 3600000,\n"
    "      \"default\": 2500\n"
    "    }\n"
    "  },\n"
    "  \"required\": [\"address\"],\n"
    "  \"additionalProperties\": false\n"
    "}\n";

/* "PORT", "HOST:PORT" or "[IPV6]:PORT"; *host is NULL for "PORT" */
static gboolean
iot_tcp_endpoint_parse_address(const gchar *text, gchar **host, guint16 *port, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	const gchar *hint = "; " IOT_TCP_ENDPOINT_ADDRESS_EXPECTED;
	const gchar *reason;

	if (iot_address_parse(text,
			      IOT_ADDRESS_PORT_REQUIRED | IOT_ADDRESS_PORT_ALONE |
				  IOT_ADDRESS_PORT_ZERO,
			      host,
			      port,
			      NULL,
			      &error_local))
		return TRUE;
	reason = error_local->message;
	if (error_local->code == IOT_ADDRESS_ERROR_FORM) {
		reason = IOT_TCP_ENDPOINT_ADDRESS_EXPECTED;
		hint = "";
	} else if (error_local->code == IOT_ADDRESS_ERROR_PORT ||
		   error_local->code == IOT_ADDRESS_ERROR_PORT_RANGE ||
		   error_local->code == IOT_ADDRESS_ERROR_BRACKETS) {
		hint = "";
	}
	g_set_error(error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_SETTINGS,
		    "address \"%s\" is not valid: %s%s",
		    text,
		    reason,
		    hint);
	return FALSE;
}

/* a host without a port: a name, an IPv4 address, an IPv6 address with or without brackets */
static gboolean
iot_tcp_endpoint_parse_bind(const gchar *text, gchar **host, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	*host = iot_address_parse_host(text, &error_local);
	if (*host != NULL)
		return TRUE;
	g_set_error(error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_SETTINGS,
		    "bind \"%s\" is not valid: %s",
		    text,
		    error_local->message);
	return FALSE;
}

static void
iot_tcp_endpoint_set_nodelay(GSocketConnection *connection)
{
	GSocket *socket = g_socket_connection_get_socket(connection);
	g_autoptr(GError) error_local = NULL;

	/* SSH and other interactive traffic: do not hold back small writes */
	if (!g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, &error_local))
		g_debug("cannot set TCP_NODELAY: %s", error_local->message);
}

/* the addresses of a host that needs no lookup: a literal, or localhost (both loopbacks) */
static GList *
iot_tcp_endpoint_addresses_without_lookup(const gchar *host)
{
	GInetAddress *address;

	if (g_ascii_strcasecmp(host, "localhost") == 0) {
		GList *list = NULL;
		list = g_list_append(list, g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
		list = g_list_append(list, g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6));
		return list;
	}
	address = g_inet_address_new_from_string(host);
	if (address != NULL)
		return g_list_append(NULL, address);
	return NULL;
}

typedef GList IotTcpEndpointAddressList; /* of GInetAddress */

static void
iot_tcp_endpoint_address_list_free(GList *list)
{
	g_list_free_full(list, g_object_unref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotTcpEndpointAddressList, iot_tcp_endpoint_address_list_free)

static gboolean
iot_tcp_endpoint_configure(IotEndpoint *endpoint, JsonObject *settings, GError **error)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);
	const gchar *keys[] = {"address", "bind", "retry_count", "retry_delay_ms", NULL};
	g_autofree gchar *address = NULL;
	g_autofree gchar *bind = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *bind_host = NULL;
	guint16 port = 0;
	guint retry_count = IOT_ENDPOINT_DEFAULT_RETRY_COUNT;
	guint retry_delay_ms = IOT_ENDPOINT_DEFAULT_RETRY_DELAY_MS;

	if (!iot_endpoint_settings_check(settings, "tcp", keys, error))
		return FALSE;
	if (!iot_endpoint_settings_get_string(settings, "address", &address, error))
		return FALSE;
	if (address == NULL) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "address is missing: " IOT_TCP_ENDPOINT_ADDRESS_EXPECTED);
		return FALSE;
	}
	if (!iot_tcp_endpoint_parse_address(address, &host, &port, error))
		return FALSE;
	if (!iot_endpoint_settings_get_string(settings, "bind", &bind, error))
		return FALSE;
	if (bind != NULL && !iot_tcp_endpoint_parse_bind(bind, &bind_host, error))
		return FALSE;
	if (!iot_endpoint_settings_get_retries(settings, &retry_count, &retry_delay_ms, error))
		return FALSE;

	g_free(self->host);
	self->host = g_steal_pointer(&host);
	self->port = port;
	g_free(self->bind);
	self->bind = g_steal_pointer(&bind_host);
	self->retry_count = retry_count;
	self->retry_delay_ms = retry_delay_ms;
	return TRUE;
}

/* the host to listen on: the address's, else bind, else localhost */
static const gchar *
iot_tcp_endpoint_get_listen_host(IotTcpEndpoint *self, GError **error)
{
	if (self->host != NULL && self->bind != NULL && g_strcmp0(self->host, self->bind) != 0) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "address names host %s and bind names %s: give the host to listen on "
			    "in one of them",
			    self->host,
			    self->bind);
		return NULL;
	}
	if (self->host != NULL)
		return self->host;
	if (self->bind != NULL)
		return self->bind;
	return IOT_TCP_ENDPOINT_DEFAULT_BIND;
}

/* takes @resolved; one listening socket per address */
static GList *
iot_tcp_endpoint_unique_addresses(GList *resolved)
{
	GList *unique = NULL;

	for (GList *l = resolved; l != NULL; l = l->next) {
		gboolean seen = FALSE;
		for (GList *u = unique; u != NULL && !seen; u = u->next)
			seen = g_inet_address_equal(u->data, l->data);
		if (!seen)
			unique = g_list_append(unique, g_object_ref(l->data));
	}
	g_resolver_free_addresses(resolved);
	return unique;
}

static void
iot_tcp_endpoint_set_resolve_error(GError **error, const gchar *host, const GError *error_local)
{
	g_set_error(error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_LISTEN,
		    "cannot resolve %s: %s",
		    host,
		    error_local->message);
}

static void
iot_tcp_endpoint_incoming_cb(GSocketConnection *connection, gpointer user_data)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(user_data);
	iot_tcp_endpoint_set_nodelay(connection);
	iot_endpoint_emit_incoming(IOT_ENDPOINT(self), G_IO_STREAM(connection));
}

/*
 * Binds every address to one port. Returns the listener, or NULL with @error;
 * *@retry tells that the port picked for port 0 was taken on a later address.
 */
static GSocketListener *
iot_tcp_endpoint_bind_all(const gchar *listen_host,
			  GList *addresses,
			  guint16 *port,
			  gchar **local_address,
			  gboolean *retry,
			  GError **error)
{
	/* nothing accepts until every socket is in */
	g_autoptr(GSocketListener) listener = g_socket_listener_new();
	g_autoptr(GError) error_skipped = NULL;
	gboolean port_zero = *port == 0;
	guint n_bound = 0;

	*retry = FALSE;
	g_socket_listener_set_backlog(listener, IOT_TCP_ENDPOINT_BACKLOG);
	for (GList *l = addresses; l != NULL; l = l->next) {
		g_autoptr(GSocketAddress) address = g_inet_socket_address_new(l->data, *port);
		g_autoptr(GSocketAddress) effective = NULL;
		g_autoptr(GError) error_local = NULL;
		g_autofree gchar *host = g_inet_address_to_string(l->data);
		g_autofree gchar *text = iot_address_format(host, *port);

		if (g_socket_listener_add_address(listener,
						  address,
						  G_SOCKET_TYPE_STREAM,
						  G_SOCKET_PROTOCOL_TCP,
						  NULL,
						  &effective,
						  &error_local)) {
			if (n_bound == 0) {
				*port = g_inet_socket_address_get_port(
				    G_INET_SOCKET_ADDRESS(effective));
				*local_address = iot_address_format(host, *port);
			}
			n_bound++;
			continue;
		}
		if (port_zero && n_bound > 0 &&
		    g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
			*retry = TRUE;
			g_propagate_error(error, g_steal_pointer(&error_local));
			g_socket_listener_close(listener);
			return NULL;
		}
		/* a name with several addresses: one the machine lacks (no IPv6) is skipped */
		if (addresses->next != NULL &&
		    !g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) &&
		    !g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)) {
			g_info("not listening on %s: %s", text, error_local->message);
			g_clear_error(&error_skipped);
			error_skipped = g_steal_pointer(&error_local);
			continue;
		}
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    text,
			    error_local->message);
		g_socket_listener_close(listener);
		return NULL;
	}
	if (n_bound == 0) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on any address of %s: %s",
			    listen_host,
			    error_skipped->message);
		return NULL;
	}
	return g_steal_pointer(&listener);
}

/* binds every address of @host to one port and starts accepting */
static gboolean
iot_tcp_endpoint_listen_on(IotTcpEndpoint *self,
			   const gchar *host,
			   GList *addresses,
			   GError **error)
{
	g_autoptr(GSocketListener) listener = NULL;
	g_autofree gchar *local_address = NULL;
	g_autofree gchar *where = NULL;
	guint16 port = 0;

	for (guint i = 0;; i++) {
		g_autoptr(GError) error_local = NULL;
		gboolean retry = FALSE;

		port = self->port;
		g_clear_pointer(&local_address, g_free);
		listener = iot_tcp_endpoint_bind_all(host,
						     addresses,
						     &port,
						     &local_address,
						     &retry,
						     &error_local);
		if (listener != NULL)
			break;
		if (!retry || i + 1 >= IOT_TCP_ENDPOINT_FREE_PORT_TRIES) {
			if (retry)
				g_set_error(error,
					    IOT_ENDPOINT_ERROR,
					    IOT_ENDPOINT_ERROR_LISTEN,
					    "cannot find a port free on every address of %s: %s",
					    host,
					    error_local->message);
			else
				g_propagate_error(error, g_steal_pointer(&error_local));
			return FALSE;
		}
		g_debug("port %u is taken on another address of %s, picking again", port, host);
	}

	where = iot_address_format(host, port);
	self->acceptor =
	    iot_endpoint_acceptor_new(listener, where, iot_tcp_endpoint_incoming_cb, self);
	self->listener = g_steal_pointer(&listener);
	self->listen_host = g_strdup(host);
	self->listen_port = port;
	self->local_address = g_steal_pointer(&local_address);
	g_object_notify_by_pspec(G_OBJECT(self), pspecs[PROP_LOCAL_ADDRESS]);
	return TRUE;
}

/* the host to listen on, unless a listen is under way or done */
static const gchar *
iot_tcp_endpoint_start_listen(IotTcpEndpoint *self, GError **error)
{
	if (self->listener != NULL || self->resolving) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "already listening on %s",
			    self->listener != NULL ? self->local_address : self->host);
		return NULL;
	}
	return iot_tcp_endpoint_get_listen_host(self, error);
}

/* blocks on a name lookup: iot_endpoint_listen_async() does not */
static gboolean
iot_tcp_endpoint_listen(IotEndpoint *endpoint, GError **error)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);
	g_autoptr(IotTcpEndpointAddressList) addresses = NULL;
	g_autoptr(GError) error_local = NULL;
	const gchar *host = iot_tcp_endpoint_start_listen(self, error);

	if (host == NULL)
		return FALSE;
	addresses = iot_tcp_endpoint_addresses_without_lookup(host);
	if (addresses == NULL) {
		g_autoptr(GResolver) resolver = g_resolver_get_default();
		GList *resolved = g_resolver_lookup_by_name(resolver, host, NULL, &error_local);
		if (resolved == NULL) {
			iot_tcp_endpoint_set_resolve_error(error, host, error_local);
			return FALSE;
		}
		addresses = iot_tcp_endpoint_unique_addresses(resolved);
	}
	return iot_tcp_endpoint_listen_on(self, host, addresses, error);
}

static void
iot_tcp_endpoint_resolved_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotTcpEndpoint *self = g_task_get_source_object(task);
	const gchar *host = g_task_get_task_data(task);
	g_autoptr(IotTcpEndpointAddressList) addresses = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GError) error = NULL;
	GList *resolved =
	    g_resolver_lookup_by_name_finish(G_RESOLVER(source), result, &error_local);

	self->resolving = FALSE;
	if (resolved == NULL) {
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_task_return_error(task, g_steal_pointer(&error_local));
		else {
			iot_tcp_endpoint_set_resolve_error(&error, host, error_local);
			g_task_return_error(task, g_steal_pointer(&error));
		}
		return;
	}
	addresses = iot_tcp_endpoint_unique_addresses(resolved);
	if (g_task_return_error_if_cancelled(task))
		return;
	if (iot_tcp_endpoint_listen_on(self, host, addresses, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, g_steal_pointer(&error));
}

/* a literal address or localhost listens at once; a name is looked up first, in the background */
static void
iot_tcp_endpoint_listen_async(IotEndpoint *endpoint,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(IotTcpEndpointAddressList) addresses = NULL;
	g_autoptr(GResolver) resolver = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *host;

	g_task_set_source_tag(task, iot_tcp_endpoint_listen_async);
	host = iot_tcp_endpoint_start_listen(self, &error);
	if (host == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	addresses = iot_tcp_endpoint_addresses_without_lookup(host);
	if (addresses != NULL) {
		if (iot_tcp_endpoint_listen_on(self, host, addresses, &error))
			g_task_return_boolean(task, TRUE);
		else
			g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_set_task_data(task, g_strdup(host), g_free);
	self->resolving = TRUE;
	resolver = g_resolver_get_default();
	g_resolver_lookup_by_name_async(resolver,
					host,
					cancellable,
					iot_tcp_endpoint_resolved_cb,
					g_steal_pointer(&task));
}

static gboolean
iot_tcp_endpoint_listen_finish(IotEndpoint *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, endpoint), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

static void
iot_tcp_endpoint_close_listener(IotTcpEndpoint *self)
{
	g_clear_pointer(&self->acceptor, iot_endpoint_acceptor_free);
	g_socket_listener_close(self->listener);
	g_clear_object(&self->listener);
}

static void
iot_tcp_endpoint_stop(IotEndpoint *endpoint)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);

	if (self->listener == NULL)
		return;
	iot_tcp_endpoint_close_listener(self);
	g_clear_pointer(&self->listen_host, g_free);
	self->listen_port = 0;
	g_clear_pointer(&self->local_address, g_free);
	g_object_notify_by_pspec(G_OBJECT(self), pspecs[PROP_LOCAL_ADDRESS]);
}

/* one connection try: every address of the host in turn, from bind if set */
typedef struct {
	GList *targets;	      /* of GInetAddress */
	GList *target;	      /* the one being tried */
	GList *locals;	      /* of GInetAddress, from bind */
	GError *error;	      /* the last connection failure */
	GError *error_family; /* an address bind has no address of the family of */
} IotTcpEndpointAttempt;

static void
iot_tcp_endpoint_attempt_free(IotTcpEndpointAttempt *attempt)
{
	iot_tcp_endpoint_address_list_free(attempt->targets);
	iot_tcp_endpoint_address_list_free(attempt->locals);
	g_clear_error(&attempt->error);
	g_clear_error(&attempt->error_family);
	g_free(attempt);
}

static void
iot_tcp_endpoint_attempt_next(GTask *task);

static void
iot_tcp_endpoint_attempt_connect_cb(GObject *source_object,
				    GAsyncResult *result,
				    gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotTcpEndpointAttempt *attempt = g_task_get_task_data(task);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) error_local = NULL;

	connection =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(source_object), result, &error_local);
	if (connection != NULL) {
		iot_tcp_endpoint_set_nodelay(connection);
		g_task_return_pointer(task, g_steal_pointer(&connection), g_object_unref);
		return;
	}
	if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_task_return_error(task, g_steal_pointer(&error_local));
		return;
	}
	g_clear_error(&attempt->error);
	attempt->error = g_steal_pointer(&error_local);
	attempt->target = attempt->target->next;
	iot_tcp_endpoint_attempt_next(g_steal_pointer(&task));
}

static GInetAddress *
iot_tcp_endpoint_attempt_find_local(IotTcpEndpointAttempt *attempt, GInetAddress *target)
{
	GSocketFamily family = g_inet_address_get_family(target);
	for (GList *l = attempt->locals; l != NULL; l = l->next) {
		if (g_inet_address_get_family(l->data) == family)
			return l->data;
	}
	return NULL;
}

static void
iot_tcp_endpoint_attempt_next(GTask *task_in)
{
	g_autoptr(GTask) task = task_in;
	IotTcpEndpoint *self = g_task_get_source_object(task);
	IotTcpEndpointAttempt *attempt = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);

	for (; attempt->target != NULL; attempt->target = attempt->target->next) {
		GInetAddress *target = attempt->target->data;
		g_autoptr(GSocketClient) client = g_socket_client_new();
		g_autoptr(GSocketAddress) address = g_inet_socket_address_new(target, self->port);

		/* a local app is never reached through a web proxy */
		g_socket_client_set_enable_proxy(client, FALSE);
		if (self->bind != NULL) {
			GInetAddress *local = iot_tcp_endpoint_attempt_find_local(attempt, target);
			g_autoptr(GSocketAddress) local_address = NULL;
			if (local == NULL) {
				g_autofree gchar *text = g_inet_address_to_string(target);
				g_clear_error(&attempt->error_family);
				g_set_error(&attempt->error_family,
					    IOT_ENDPOINT_ERROR,
					    IOT_ENDPOINT_ERROR_SETTINGS,
					    "bind %s has no address of the family of %s",
					    self->bind,
					    text);
				continue;
			}
			local_address = g_inet_socket_address_new(local, 0);
			g_socket_client_set_local_address(client, local_address);
		}
		g_socket_client_connect_async(client,
					      G_SOCKET_CONNECTABLE(address),
					      cancellable,
					      iot_tcp_endpoint_attempt_connect_cb,
					      g_steal_pointer(&task));
		return;
	}

	/* every address failed; when bind's families ruled them all out, a retry cannot help */
	if (attempt->error != NULL)
		g_task_return_error(task, g_steal_pointer(&attempt->error));
	else
		g_task_return_error(task, g_steal_pointer(&attempt->error_family));
}

static void
iot_tcp_endpoint_attempt_resolved(GTask *task_in)
{
	g_autoptr(GTask) task = task_in;
	IotTcpEndpointAttempt *attempt = g_task_get_task_data(task);

	attempt->target = attempt->targets;
	iot_tcp_endpoint_attempt_next(g_steal_pointer(&task));
}

static void
iot_tcp_endpoint_attempt_resolve(GTask *task);

static void
iot_tcp_endpoint_attempt_lookup_cb(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotTcpEndpoint *self = g_task_get_source_object(task);
	IotTcpEndpointAttempt *attempt = g_task_get_task_data(task);
	g_autoptr(GError) error_local = NULL;
	GList *addresses;

	addresses =
	    g_resolver_lookup_by_name_finish(G_RESOLVER(source_object), result, &error_local);
	if (addresses == NULL) {
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_task_return_error(task, g_steal_pointer(&error_local));
			return;
		}
		g_task_return_new_error(task,
					G_IO_ERROR,
					G_IO_ERROR_HOST_NOT_FOUND,
					"cannot resolve %s: %s",
					attempt->targets == NULL ? self->host : self->bind,
					error_local->message);
		return;
	}
	if (attempt->targets == NULL)
		attempt->targets = addresses;
	else
		attempt->locals = addresses;
	iot_tcp_endpoint_attempt_resolve(g_steal_pointer(&task));
}

/* fills targets, then locals, looking names up where needed */
static void
iot_tcp_endpoint_attempt_resolve(GTask *task_in)
{
	g_autoptr(GTask) task = task_in;
	IotTcpEndpoint *self = g_task_get_source_object(task);
	IotTcpEndpointAttempt *attempt = g_task_get_task_data(task);
	const gchar *name = NULL;
	g_autoptr(GResolver) resolver = NULL;
	GCancellable *cancellable;

	if (attempt->targets == NULL) {
		const gchar *host =
		    self->host != NULL ? self->host : IOT_TCP_ENDPOINT_DEFAULT_DESTINATION;
		attempt->targets = iot_tcp_endpoint_addresses_without_lookup(host);
		if (attempt->targets == NULL)
			name = host;
	}
	if (name == NULL && self->bind != NULL && attempt->locals == NULL) {
		attempt->locals = iot_tcp_endpoint_addresses_without_lookup(self->bind);
		if (attempt->locals == NULL)
			name = self->bind;
	}
	if (name == NULL) {
		iot_tcp_endpoint_attempt_resolved(g_steal_pointer(&task));
		return;
	}
	resolver = g_resolver_get_default();
	cancellable = g_task_get_cancellable(task);
	g_resolver_lookup_by_name_async(resolver,
					name,
					cancellable,
					iot_tcp_endpoint_attempt_lookup_cb,
					g_steal_pointer(&task));
}

static void
iot_tcp_endpoint_attempt_async(GObject *endpoint,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(endpoint, cancellable, callback, user_data);

	g_task_set_source_tag(task, iot_tcp_endpoint_attempt_async);
	g_task_set_name(task, "iot-tcp-endpoint-attempt");
	g_task_set_task_data(task,
			     g_new0(IotTcpEndpointAttempt, 1),
			     (GDestroyNotify)iot_tcp_endpoint_attempt_free);
	iot_tcp_endpoint_attempt_resolve(g_steal_pointer(&task));
}

static GIOStream *
iot_tcp_endpoint_attempt_finish(GObject *endpoint, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static gchar *
iot_tcp_endpoint_describe_destination(IotTcpEndpoint *self)
{
	return iot_address_format(self->host != NULL ? self->host
						     : IOT_TCP_ENDPOINT_DEFAULT_DESTINATION,
				  self->port);
}

static void
iot_tcp_endpoint_connect_async(IotEndpoint *endpoint,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);
	g_autofree gchar *description = iot_tcp_endpoint_describe_destination(self);

	if (self->port == 0) {
		g_task_report_new_error(self,
					callback,
					user_data,
					iot_tcp_endpoint_connect_async,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_SETTINGS,
					"address %s has port 0, which can only be listened on",
					description);
		return;
	}
	iot_endpoint_connect_with_retries_async(G_OBJECT(self),
						description,
						self->retry_count,
						self->retry_delay_ms,
						iot_tcp_endpoint_attempt_async,
						iot_tcp_endpoint_attempt_finish,
						iot_tcp_endpoint_connect_async,
						cancellable,
						callback,
						user_data);
}

static GIOStream *
iot_tcp_endpoint_connect_finish(IotEndpoint *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_async_result_is_tagged(result, iot_tcp_endpoint_connect_async),
			     NULL);
	return iot_endpoint_connect_with_retries_finish(G_OBJECT(endpoint), result, error);
}

static gchar *
iot_tcp_endpoint_describe(IotEndpoint *endpoint)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(endpoint);
	if (self->listener != NULL)
		return iot_address_format(self->listen_host, self->listen_port);
	return iot_tcp_endpoint_describe_destination(self);
}

/**
 * iot_tcp_endpoint_new:
 *
 * Returns: (transfer full): an endpoint to configure
 */
IotEndpoint *
iot_tcp_endpoint_new(void)
{
	return IOT_ENDPOINT(g_object_new(IOT_TYPE_TCP_ENDPOINT, NULL));
}

/**
 * iot_tcp_endpoint_get_local_address:
 * @self: an endpoint
 *
 * Returns: (nullable): the #IotTcpEndpoint:local-address
 */
const gchar *
iot_tcp_endpoint_get_local_address(IotTcpEndpoint *self)
{
	g_return_val_if_fail(IOT_IS_TCP_ENDPOINT(self), NULL);
	return self->local_address;
}

static void
iot_tcp_endpoint_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(object);
	switch (prop_id) {
	case PROP_LOCAL_ADDRESS:
		g_value_set_string(value, self->local_address);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_tcp_endpoint_dispose(GObject *object)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(object);
	if (self->listener != NULL)
		iot_tcp_endpoint_close_listener(self);
	G_OBJECT_CLASS(iot_tcp_endpoint_parent_class)->dispose(object);
}

static void
iot_tcp_endpoint_finalize(GObject *object)
{
	IotTcpEndpoint *self = IOT_TCP_ENDPOINT(object);
	g_free(self->host);
	g_free(self->bind);
	g_free(self->listen_host);
	g_free(self->local_address);
	G_OBJECT_CLASS(iot_tcp_endpoint_parent_class)->finalize(object);
}

static void
iot_tcp_endpoint_class_init(IotTcpEndpointClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = iot_tcp_endpoint_get_property;
	object_class->dispose = iot_tcp_endpoint_dispose;
	object_class->finalize = iot_tcp_endpoint_finalize;

	/**
	 * IotTcpEndpoint:local-address:
	 *
	 * While listening, the first address listened on as "HOST:PORT"
	 * ("127.0.0.1:40123", "[::1]:40123"), with the port the system chose
	 * when the address setting gave port 0; %NULL otherwise.
	 */
	pspecs[PROP_LOCAL_ADDRESS] = g_param_spec_string(
	    "local-address",
	    NULL,
	    NULL,
	    NULL,
	    G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, pspecs);
}

static void
iot_tcp_endpoint_init(IotTcpEndpoint *self)
{
	self->retry_count = IOT_ENDPOINT_DEFAULT_RETRY_COUNT;
	self->retry_delay_ms = IOT_ENDPOINT_DEFAULT_RETRY_DELAY_MS;
}

static void
iot_tcp_endpoint_endpoint_iface_init(IotEndpointInterface *iface)
{
	iface->configure = iot_tcp_endpoint_configure;
	iface->listen = iot_tcp_endpoint_listen;
	iface->listen_async = iot_tcp_endpoint_listen_async;
	iface->listen_finish = iot_tcp_endpoint_listen_finish;
	iface->get_local_address = iot_tcp_endpoint_dup_local_address;
	iface->connect_async = iot_tcp_endpoint_connect_async;
	iface->connect_finish = iot_tcp_endpoint_connect_finish;
	iface->stop = iot_tcp_endpoint_stop;
	iface->describe = iot_tcp_endpoint_describe;
}
