/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-unix-endpoint.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "iot-endpoint-acceptor.h"
#include "iot-endpoint-common.h"

#define IOT_UNIX_ENDPOINT_DEFAULT_MODE 0600
#define IOT_UNIX_ENDPOINT_BACKLOG 128

/* sun_path holds the path and its NUL, or a NUL and the abstract name */
#define IOT_UNIX_ENDPOINT_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

struct _IotUnixEndpoint {
	GObject parent_instance;
	gchar *path; /* as given: a file path, or "@name" for an abstract socket */
	gboolean abstract;
	guint mode;
	guint retry_count;
	guint retry_delay_ms;
	GSocketListener *listener;     /* while listening */
	IotEndpointAcceptor *acceptor; /* while listening */
	dev_t listen_dev;	       /* while listening on a file: the socket file we made */
	ino_t listen_ino;
};

static void
iot_unix_endpoint_endpoint_iface_init(IotEndpointInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotUnixEndpoint,
			      iot_unix_endpoint,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_ENDPOINT,
						    iot_unix_endpoint_endpoint_iface_init))

const gchar iot_unix_endpoint_settings_schema[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"title\": \"unix endpoint settings\",\n"
    "  \"type\": \"object\",\n"
    "  \"properties\": {\n"
    "    \"endpoint\": { \"const\": \"unix\" },\n"
    "    \"path\": {\n"
    "      \"description\": \"The Unix stream socket: a file path (absolute, or relative to the "
    "daemon's working directory), or @NAME for a Linux abstract socket. Source: where to "
    "listen (a stale socket file nobody listens on is replaced). Destination: where the local "
    "app listens.\",\n"
    "      \"type\": \"string\",\n"
    "      \"minLength\": 1,\n"
    "      \"maxLength\": 108\n"
    "    },\n"
    "    \"mode\": {\n"
    "      \"description\": \"Source: the permissions of the socket file, in octal.\",\n"
    "      \"type\": \"string\",\n"
    "      \"pattern\": \"^0?[0-7]{3}$\",\n"
    "      \"default\": \"0600\"\n"
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
    "  \"required\": [\"path\"],\n"
    "  \"additionalProperties\": false\n"
    "}\n";

static gboolean
iot_unix_endpoint_parse_mode(const gchar *text, guint *mode, GError **error)
{
	gsize len = strlen(text);
	guint64 value = 0;

	if ((len == 3 || (len == 4 && text[0] == '0')) && strspn(text, "01234567") == len &&
	    g_ascii_string_to_unsigned(text, 8, 0, 0777, &value, NULL)) {
		*mode = (guint)value;
		return TRUE;
	}
	g_set_error(error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_SETTINGS,
		    "mode \"%s\" is not valid: expected an octal mode such as \"0600\"",
		    text);
	return FALSE;
}

static gboolean
iot_unix_endpoint_configure(IotEndpoint *endpoint, JsonObject *settings, GError **error)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);
	const gchar *keys[] = {"path", "mode", "retry_count", "retry_delay_ms", NULL};
	g_autofree gchar *path = NULL;
	g_autofree gchar *mode_text = NULL;
	guint mode = IOT_UNIX_ENDPOINT_DEFAULT_MODE;
	guint retry_count = IOT_ENDPOINT_DEFAULT_RETRY_COUNT;
	guint retry_delay_ms = IOT_ENDPOINT_DEFAULT_RETRY_DELAY_MS;
	gboolean abstract;
	gsize name_len;

	if (!iot_endpoint_settings_check(settings, "unix", keys, error))
		return FALSE;
	if (!iot_endpoint_settings_get_string(settings, "path", &path, error))
		return FALSE;
	if (path == NULL) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "path is missing: expected the path of a Unix socket, or @NAME "
				    "for an abstract one");
		return FALSE;
	}
	abstract = path[0] == '@';
	name_len = strlen(path) - (abstract ? 1 : 0);
	if (name_len == 0) {
		g_set_error_literal(
		    error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_SETTINGS,
		    "path \"@\" is not valid: an abstract socket needs a name after @");
		return FALSE;
	}
	if (name_len > IOT_UNIX_ENDPOINT_PATH_MAX) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "path is %" G_GSIZE_FORMAT
			    " bytes long: a Unix socket %s holds at most "
			    "%" G_GSIZE_FORMAT,
			    name_len,
			    abstract ? "name" : "path",
			    (gsize)IOT_UNIX_ENDPOINT_PATH_MAX);
		return FALSE;
	}
	if (abstract && !g_unix_socket_address_abstract_names_supported()) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "path \"%s\" names an abstract socket, which this system does not have",
			    path);
		return FALSE;
	}
	if (!iot_endpoint_settings_get_string(settings, "mode", &mode_text, error))
		return FALSE;
	if (mode_text != NULL) {
		if (abstract) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "mode does not apply to the abstract socket \"%s\", which has "
				    "no file",
				    path);
			return FALSE;
		}
		if (!iot_unix_endpoint_parse_mode(mode_text, &mode, error))
			return FALSE;
	}
	if (!iot_endpoint_settings_get_retries(settings, &retry_count, &retry_delay_ms, error))
		return FALSE;

	g_free(self->path);
	self->path = g_steal_pointer(&path);
	self->abstract = abstract;
	self->mode = mode;
	self->retry_count = retry_count;
	self->retry_delay_ms = retry_delay_ms;
	return TRUE;
}

static GSocketAddress *
iot_unix_endpoint_get_address(IotUnixEndpoint *self)
{
	if (self->abstract)
		return g_unix_socket_address_new_with_type(self->path + 1,
							   -1,
							   G_UNIX_SOCKET_ADDRESS_ABSTRACT);
	return g_unix_socket_address_new(self->path);
}

/*
 * A socket file left by a listener that is gone is removed; a live one is an
 * error. The check connects once, so a live listener sees one connection
 * that ends at once.
 */
static gboolean
iot_unix_endpoint_remove_stale(IotUnixEndpoint *self, GSocketAddress *address, GError **error)
{
	struct stat st;
	g_autoptr(GSocket) probe = NULL;
	g_autoptr(GError) error_local = NULL;

	if (lstat(self->path, &st) != 0) {
		if (errno == ENOENT)
			return TRUE;
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    self->path,
			    g_strerror(errno));
		return FALSE;
	}
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: the file exists and is not a socket; remove it "
			    "or choose another path",
			    self->path);
		return FALSE;
	}
	probe = g_socket_new(G_SOCKET_FAMILY_UNIX,
			     G_SOCKET_TYPE_STREAM,
			     G_SOCKET_PROTOCOL_DEFAULT,
			     &error_local);
	if (probe == NULL) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    self->path,
			    error_local->message);
		return FALSE;
	}
	/* non-blocking: a listener with a full backlog must not stall the main loop */
	g_socket_set_blocking(probe, FALSE);
	if (g_socket_connect(probe, address, NULL, &error_local) ||
	    g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_PENDING) ||
	    g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: another program listens there",
			    self->path);
		return FALSE;
	}
	if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
		g_set_error(
		    error,
		    IOT_ENDPOINT_ERROR,
		    IOT_ENDPOINT_ERROR_LISTEN,
		    "cannot listen on %s: cannot tell whether the socket there is in use: %s",
		    self->path,
		    error_local->message);
		return FALSE;
	}
	if (unlink(self->path) != 0 && errno != ENOENT) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: cannot remove the stale socket: %s",
			    self->path,
			    g_strerror(errno));
		return FALSE;
	}
	g_info("removed the stale socket %s", self->path);
	return TRUE;
}

static void
iot_unix_endpoint_incoming_cb(GSocketConnection *connection, gpointer user_data)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(user_data);
	iot_endpoint_emit_incoming(IOT_ENDPOINT(self), G_IO_STREAM(connection));
}

/* binds, sets the file's mode, then listens: nobody connects before the mode is right */
static GSocket *
iot_unix_endpoint_bind(IotUnixEndpoint *self, GSocketAddress *address, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) error_local = NULL;
	struct stat st;

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      &error_local);
	if (socket == NULL || !g_socket_bind(socket, address, FALSE, &error_local)) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    self->path,
			    error_local->message);
		return NULL;
	}
	if (!self->abstract) {
		if (chmod(self->path, self->mode) != 0 || lstat(self->path, &st) != 0) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_LISTEN,
				    "cannot listen on %s: cannot set its mode to %04o: %s",
				    self->path,
				    self->mode,
				    g_strerror(errno));
			unlink(self->path);
			return NULL;
		}
		self->listen_dev = st.st_dev;
		self->listen_ino = st.st_ino;
	}
	g_socket_set_listen_backlog(socket, IOT_UNIX_ENDPOINT_BACKLOG);
	if (!g_socket_listen(socket, &error_local)) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    self->path,
			    error_local->message);
		if (!self->abstract)
			unlink(self->path);
		return NULL;
	}
	return g_steal_pointer(&socket);
}

static gboolean
iot_unix_endpoint_listen(IotEndpoint *endpoint, GError **error)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketListener) listener = NULL;
	g_autoptr(GError) error_local = NULL;

	if (self->path == NULL) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "path is missing: the endpoint is not configured");
		return FALSE;
	}
	if (self->listener != NULL) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "already listening on %s",
			    self->path);
		return FALSE;
	}
	address = iot_unix_endpoint_get_address(self);
	if (!self->abstract && !iot_unix_endpoint_remove_stale(self, address, error))
		return FALSE;
	socket = iot_unix_endpoint_bind(self, address, error);
	if (socket == NULL)
		return FALSE;
	listener = g_socket_listener_new();
	if (!g_socket_listener_add_socket(listener, socket, NULL, &error_local)) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_LISTEN,
			    "cannot listen on %s: %s",
			    self->path,
			    error_local->message);
		if (!self->abstract)
			unlink(self->path);
		return FALSE;
	}
	self->acceptor =
	    iot_endpoint_acceptor_new(listener, self->path, iot_unix_endpoint_incoming_cb, self);
	self->listener = g_steal_pointer(&listener);
	return TRUE;
}

static void
iot_unix_endpoint_stop(IotEndpoint *endpoint)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);
	struct stat st;

	if (self->listener == NULL)
		return;
	g_clear_pointer(&self->acceptor, iot_endpoint_acceptor_free);
	g_socket_listener_close(self->listener);
	g_clear_object(&self->listener);

	/* remove the socket file, unless someone replaced it since */
	if (!self->abstract && lstat(self->path, &st) == 0 && st.st_dev == self->listen_dev &&
	    st.st_ino == self->listen_ino && unlink(self->path) != 0)
		g_debug("cannot remove %s: %s", self->path, g_strerror(errno));
}

static void
iot_unix_endpoint_attempt_connect_cb(GObject *source_object,
				     GAsyncResult *result,
				     gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) error_local = NULL;

	connection =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(source_object), result, &error_local);
	if (connection == NULL) {
		g_task_return_error(task, g_steal_pointer(&error_local));
		return;
	}
	g_task_return_pointer(task, g_steal_pointer(&connection), g_object_unref);
}

static void
iot_unix_endpoint_attempt_async(GObject *endpoint,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);
	g_autoptr(GTask) task = g_task_new(endpoint, cancellable, callback, user_data);
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketAddress) address = iot_unix_endpoint_get_address(self);

	g_task_set_source_tag(task, iot_unix_endpoint_attempt_async);
	g_task_set_name(task, "iot-unix-endpoint-attempt");
	g_socket_client_set_enable_proxy(client, FALSE);
	g_socket_client_connect_async(client,
				      G_SOCKET_CONNECTABLE(address),
				      cancellable,
				      iot_unix_endpoint_attempt_connect_cb,
				      g_steal_pointer(&task));
}

static GIOStream *
iot_unix_endpoint_attempt_finish(GObject *endpoint, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

static void
iot_unix_endpoint_connect_async(IotEndpoint *endpoint,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);

	if (self->path == NULL) {
		g_task_report_new_error(self,
					callback,
					user_data,
					iot_unix_endpoint_connect_async,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_SETTINGS,
					"path is missing: the endpoint is not configured");
		return;
	}
	iot_endpoint_connect_with_retries_async(G_OBJECT(self),
						self->path,
						self->retry_count,
						self->retry_delay_ms,
						iot_unix_endpoint_attempt_async,
						iot_unix_endpoint_attempt_finish,
						iot_unix_endpoint_connect_async,
						cancellable,
						callback,
						user_data);
}

static GIOStream *
iot_unix_endpoint_connect_finish(IotEndpoint *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_async_result_is_tagged(result, iot_unix_endpoint_connect_async),
			     NULL);
	return iot_endpoint_connect_with_retries_finish(G_OBJECT(endpoint), result, error);
}

static gchar *
iot_unix_endpoint_describe(IotEndpoint *endpoint)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(endpoint);
	return g_strdup(self->path != NULL ? self->path : "unix");
}

/**
 * iot_unix_endpoint_new:
 *
 * Returns: (transfer full): an endpoint to configure
 */
IotEndpoint *
iot_unix_endpoint_new(void)
{
	return IOT_ENDPOINT(g_object_new(IOT_TYPE_UNIX_ENDPOINT, NULL));
}

static void
iot_unix_endpoint_dispose(GObject *object)
{
	iot_unix_endpoint_stop(IOT_ENDPOINT(object));
	G_OBJECT_CLASS(iot_unix_endpoint_parent_class)->dispose(object);
}

static void
iot_unix_endpoint_finalize(GObject *object)
{
	IotUnixEndpoint *self = IOT_UNIX_ENDPOINT(object);
	g_free(self->path);
	G_OBJECT_CLASS(iot_unix_endpoint_parent_class)->finalize(object);
}

static void
iot_unix_endpoint_class_init(IotUnixEndpointClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_unix_endpoint_dispose;
	object_class->finalize = iot_unix_endpoint_finalize;
}

static void
iot_unix_endpoint_init(IotUnixEndpoint *self)
{
	self->mode = IOT_UNIX_ENDPOINT_DEFAULT_MODE;
	self->retry_count = IOT_ENDPOINT_DEFAULT_RETRY_COUNT;
	self->retry_delay_ms = IOT_ENDPOINT_DEFAULT_RETRY_DELAY_MS;
}

static void
iot_unix_endpoint_endpoint_iface_init(IotEndpointInterface *iface)
{
	iface->configure = iot_unix_endpoint_configure;
	iface->listen = iot_unix_endpoint_listen;
	iface->connect_async = iot_unix_endpoint_connect_async;
	iface->connect_finish = iot_unix_endpoint_connect_finish;
	iface->stop = iot_unix_endpoint_stop;
	iface->describe = iot_unix_endpoint_describe;
}
