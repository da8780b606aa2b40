/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-dbus-tunnel.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iot-connection-private.h"
#include "iot-dbus-common.h"

/* a local connection of the tunnel, told to the bus once it is in a stream, until it closes */
typedef struct {
	IotDBusTunnel *self;	   /* unowned */
	IotConnection *connection; /* weak */
	guint64 id;
	gchar *description;
	gulong identity_id; /* waiting for its stream */
	gint32 stream_id;   /* 0 until the bus was told */
	guint32 connection_id;
} IotDBusTunnelConnection;

/**
 * IotDBusTunnel:
 *
 * One tunnel on the bus: an object at /org/iotunnel/tunnel/NAME with the
 * org.iotunnel.Tunnel1 interface, kept in step with its #IotTunnel. The state
 * is published when it changes, the counters at most once a second while the
 * tunnel runs.
 */
struct _IotDBusTunnel {
	GObject parent_instance;
	IotTunnel *tunnel;
	IotDBusObjectSkeleton *object;
	IotDBusTunnel1 *skeleton;
	GHashTable *connections; /* IotConnection (weak) -> IotDBusTunnelConnection */
	guint refresh_timer;
};

G_DEFINE_FINAL_TYPE(IotDBusTunnel, iot_dbus_tunnel, G_TYPE_OBJECT)

/* numbers the connections of every tunnel of the daemon */
static guint64 iot_dbus_tunnel_connection_serial = 0;

static void
iot_dbus_tunnel_connection_free(IotDBusTunnelConnection *entry)
{
	g_free(entry->description);
	g_free(entry);
}

static void
iot_dbus_tunnel_refresh_counters(IotDBusTunnel *self)
{
	const IotTunnelCounters *counters = iot_tunnel_get_counters(self->tunnel);

	iot_dbus_tunnel1_set_bytes_to_service(self->skeleton, counters->bytes_to_service);
	iot_dbus_tunnel1_set_bytes_from_service(self->skeleton, counters->bytes_from_service);
	iot_dbus_tunnel1_set_active_connections(self->skeleton, counters->active_connections);
	iot_dbus_tunnel1_set_total_connections(self->skeleton, counters->total_connections);
	iot_dbus_tunnel1_set_reconnects(self->skeleton, counters->reconnects);
	iot_dbus_tunnel1_set_round_trip_time(self->skeleton, counters->round_trip_us);
}

/* a source may learn of services from the service itself, with no change of state */
static void
iot_dbus_tunnel_refresh_services(IotDBusTunnel *self)
{
	g_auto(GStrv) ids = iot_tunnel_dup_service_ids(self->tunnel);
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{ss}"));

	for (guint i = 0; ids[i] != NULL; i++) {
		g_autofree gchar *address = iot_tunnel_get_listen_address(self->tunnel, ids[i]);
		g_variant_builder_add(&builder, "{ss}", ids[i], address != NULL ? address : "");
	}
	iot_dbus_tunnel1_set_services(self->skeleton, g_variant_builder_end(&builder));
}

static gboolean
iot_dbus_tunnel_refresh_cb(gpointer user_data)
{
	IotDBusTunnel *self = IOT_DBUS_TUNNEL(user_data);
	iot_dbus_tunnel_refresh_services(self);
	iot_dbus_tunnel_refresh_counters(self);
	return G_SOURCE_CONTINUE;
}

static void
iot_dbus_tunnel_refresh_state(IotDBusTunnel *self)
{
	IotTunnelState state = iot_tunnel_get_state(self->tunnel);
	const GError *last_error = iot_tunnel_get_last_error(self->tunnel);
	const gchar *channel_id = iot_tunnel_get_channel_id(self->tunnel);
	gboolean running = state == IOT_TUNNEL_STATE_CONNECTING ||
			   state == IOT_TUNNEL_STATE_CONNECTED ||
			   state == IOT_TUNNEL_STATE_RECONNECTING;

	iot_dbus_tunnel1_set_state(self->skeleton, iot_tunnel_state_to_string(state));
	iot_dbus_tunnel1_set_last_error(self->skeleton,
					last_error != NULL ? last_error->message : "");
	iot_dbus_tunnel1_set_channel_id(self->skeleton, channel_id != NULL ? channel_id : "");
	iot_dbus_tunnel_refresh_services(self);
	iot_dbus_tunnel_refresh_counters(self);
	if (running && self->refresh_timer == 0) {
		self->refresh_timer =
		    g_timeout_add(IOT_DBUS_TUNNEL_REFRESH_MS, iot_dbus_tunnel_refresh_cb, self);
	} else if (!running) {
		g_clear_handle_id(&self->refresh_timer, g_source_remove);
	}
}

static void
iot_dbus_tunnel_state_changed_cb(IotTunnel *tunnel, IotDBusTunnel *self)
{
	iot_dbus_tunnel_refresh_state(self);
}

static void
iot_dbus_tunnel_connection_weak_notify(gpointer data, GObject *where_the_object_was)
{
	IotDBusTunnelConnection *entry = data;
	IotDBusTunnel *self = entry->self;

	if (entry->stream_id != 0)
		iot_dbus_tunnel1_emit_connection_closed(self->skeleton,
							entry->id,
							entry->description,
							entry->stream_id,
							entry->connection_id);
	g_hash_table_remove(self->connections, where_the_object_was);
}

/* the connection is in a stream: the bus hears of it with the IDs the log uses */
static void
iot_dbus_tunnel_connection_identified(IotDBusTunnelConnection *entry)
{
	gint32 stream_id = iot_connection_get_stream_id(entry->connection);

	if (stream_id == 0 || entry->stream_id != 0)
		return;
	g_clear_signal_handler(&entry->identity_id, entry->connection);
	entry->stream_id = stream_id;
	entry->connection_id = iot_connection_get_connection_id(entry->connection);
	iot_dbus_tunnel1_emit_connection_opened(entry->self->skeleton,
						entry->id,
						entry->description,
						entry->stream_id,
						entry->connection_id);
}

static void
iot_dbus_tunnel_connection_identity_cb(IotConnection *connection,
				       GParamSpec *pspec,
				       IotDBusTunnelConnection *entry)
{
	iot_dbus_tunnel_connection_identified(entry);
}

static void
iot_dbus_tunnel_connection_opened_cb(IotTunnel *tunnel,
				     const gchar *description,
				     IotConnection *connection,
				     IotDBusTunnel *self)
{
	IotDBusTunnelConnection *entry = g_new0(IotDBusTunnelConnection, 1);

	entry->self = self;
	entry->connection = connection;
	entry->id = ++iot_dbus_tunnel_connection_serial;
	entry->description = g_strdup(description);
	g_hash_table_insert(self->connections, connection, entry);
	g_object_weak_ref(G_OBJECT(connection), iot_dbus_tunnel_connection_weak_notify, entry);
	entry->identity_id = g_signal_connect(connection,
					      "notify::stream-id",
					      G_CALLBACK(iot_dbus_tunnel_connection_identity_cb),
					      entry);
	iot_dbus_tunnel_connection_identified(entry);
}

static gboolean
iot_dbus_tunnel_handle_start_cb(IotDBusTunnel1 *skeleton,
				GDBusMethodInvocation *invocation,
				IotDBusTunnel *self)
{
	iot_tunnel_info(iot_dbus_tunnel1_get_name(skeleton),
			0,
			0,
			"started by %s",
			g_dbus_method_invocation_get_sender(invocation));
	iot_tunnel_start(self->tunnel);
	iot_dbus_tunnel1_complete_start(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
iot_dbus_tunnel_handle_stop_cb(IotDBusTunnel1 *skeleton,
			       GDBusMethodInvocation *invocation,
			       IotDBusTunnel *self)
{
	iot_tunnel_info(iot_dbus_tunnel1_get_name(skeleton),
			0,
			0,
			"stopped by %s",
			g_dbus_method_invocation_get_sender(invocation));
	iot_tunnel_stop(self->tunnel);
	iot_dbus_tunnel1_complete_stop(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
iot_dbus_tunnel_handle_open_connection_cb(IotDBusTunnel1 *skeleton,
					  GDBusMethodInvocation *invocation,
					  GUnixFDList *fd_list,
					  const gchar *service,
					  IotDBusTunnel *self)
{
	gint fds[2];
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketConnection) stream = NULL;
	g_autoptr(GUnixFDList) fd_list_out = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *origin = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		gint errsv = errno;
		g_dbus_method_invocation_return_error(invocation,
						      IOT_DBUS_ERROR,
						      IOT_DBUS_ERROR_FAILED,
						      "cannot make a socket pair: %s",
						      g_strerror(errsv));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	/* the list owns the caller's end from here, the socket ours */
	fd_list_out = g_unix_fd_list_new_from_array(&fds[1], 1);
	socket = g_socket_new_from_fd(fds[0], &error);
	if (socket == NULL) {
		close(fds[0]);
		g_dbus_method_invocation_return_error(invocation,
						      IOT_DBUS_ERROR,
						      IOT_DBUS_ERROR_FAILED,
						      "cannot use the socket pair: %s",
						      error->message);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	stream = g_socket_connection_factory_create_connection(socket);
	origin = g_strdup_printf("D-Bus %s", g_dbus_method_invocation_get_sender(invocation));
	if (!iot_tunnel_open_connection(self->tunnel,
					service,
					G_IO_STREAM(stream),
					origin,
					&error)) {
		g_dbus_method_invocation_take_error(invocation, iot_dbus_error_from(error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	iot_dbus_tunnel1_complete_open_connection(skeleton,
						  invocation,
						  fd_list_out,
						  g_variant_new_handle(0));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/**
 * iot_dbus_tunnel_new:
 * @tunnel: a tunnel of the daemon
 *
 * Returns: (transfer full): its object for the bus, not exported yet
 */
IotDBusTunnel *
iot_dbus_tunnel_new(IotTunnel *tunnel)
{
	IotDBusTunnel *self = g_object_new(IOT_TYPE_DBUS_TUNNEL, NULL);
	IotProfileTunnel *profile = iot_tunnel_get_profile(tunnel);
	const gchar *name = iot_profile_tunnel_get_name(profile);
	g_autofree gchar *path = iot_dbus_tunnel_path(name);
	g_autoptr(JsonNode) json = iot_profile_tunnel_to_json(profile, FALSE);
	g_autofree gchar *json_text = json_to_string(json, FALSE);

	self->tunnel = g_object_ref(tunnel);
	self->object = iot_dbus_object_skeleton_new(path);
	self->skeleton = iot_dbus_tunnel1_skeleton_new();
	iot_dbus_tunnel1_set_name(self->skeleton, name);
	iot_dbus_tunnel1_set_mode(self->skeleton,
				  iot_profile_tunnel_get_mode(profile) == IOT_TUNNEL_MODE_SOURCE
				      ? "source"
				      : "destination");
	iot_dbus_tunnel1_set_protocol_version(self->skeleton,
					      iot_profile_tunnel_get_protocol(profile));
	iot_dbus_tunnel1_set_has_access_token(self->skeleton,
					      iot_profile_tunnel_has_access_token(profile));
	iot_dbus_tunnel1_set_has_client_token(self->skeleton,
					      iot_profile_tunnel_has_client_token(profile));
	iot_dbus_tunnel1_set_profile(self->skeleton, json_text);
	iot_dbus_tunnel_refresh_state(self);
	iot_dbus_object_skeleton_set_tunnel1(self->object, self->skeleton);

	g_signal_connect(self->skeleton,
			 "handle-start",
			 G_CALLBACK(iot_dbus_tunnel_handle_start_cb),
			 self);
	g_signal_connect(self->skeleton,
			 "handle-stop",
			 G_CALLBACK(iot_dbus_tunnel_handle_stop_cb),
			 self);
	g_signal_connect(self->skeleton,
			 "handle-open-connection",
			 G_CALLBACK(iot_dbus_tunnel_handle_open_connection_cb),
			 self);
	g_signal_connect(tunnel,
			 "state-changed",
			 G_CALLBACK(iot_dbus_tunnel_state_changed_cb),
			 self);
	g_signal_connect(tunnel,
			 "connection-opened",
			 G_CALLBACK(iot_dbus_tunnel_connection_opened_cb),
			 self);
	return self;
}

IotTunnel *
iot_dbus_tunnel_get_tunnel(IotDBusTunnel *self)
{
	g_return_val_if_fail(IOT_IS_DBUS_TUNNEL(self), NULL);
	return self->tunnel;
}

GDBusObjectSkeleton *
iot_dbus_tunnel_get_object(IotDBusTunnel *self)
{
	g_return_val_if_fail(IOT_IS_DBUS_TUNNEL(self), NULL);
	return G_DBUS_OBJECT_SKELETON(self->object);
}

const gchar *
iot_dbus_tunnel_get_path(IotDBusTunnel *self)
{
	g_return_val_if_fail(IOT_IS_DBUS_TUNNEL(self), NULL);
	return g_dbus_object_get_object_path(G_DBUS_OBJECT(self->object));
}

void
iot_dbus_tunnel_set_persistent(IotDBusTunnel *self, gboolean persistent)
{
	g_return_if_fail(IOT_IS_DBUS_TUNNEL(self));
	iot_dbus_tunnel1_set_persistent(self->skeleton, persistent);
}

gboolean
iot_dbus_tunnel_get_persistent(IotDBusTunnel *self)
{
	g_return_val_if_fail(IOT_IS_DBUS_TUNNEL(self), FALSE);
	return iot_dbus_tunnel1_get_persistent(self->skeleton);
}

static void
iot_dbus_tunnel_dispose(GObject *object)
{
	IotDBusTunnel *self = IOT_DBUS_TUNNEL(object);
	GHashTableIter iter;
	gpointer connection;
	gpointer entry;

	g_clear_handle_id(&self->refresh_timer, g_source_remove);
	g_hash_table_iter_init(&iter, self->connections);
	while (g_hash_table_iter_next(&iter, &connection, &entry)) {
		IotDBusTunnelConnection *tracked = entry;
		g_clear_signal_handler(&tracked->identity_id, connection);
		g_object_weak_unref(connection, iot_dbus_tunnel_connection_weak_notify, entry);
	}
	g_hash_table_remove_all(self->connections);
	if (self->tunnel != NULL)
		g_signal_handlers_disconnect_by_data(self->tunnel, self);
	if (self->skeleton != NULL)
		g_signal_handlers_disconnect_by_data(self->skeleton, self);
	g_clear_object(&self->skeleton);
	g_clear_object(&self->object);
	g_clear_object(&self->tunnel);
	G_OBJECT_CLASS(iot_dbus_tunnel_parent_class)->dispose(object);
}

static void
iot_dbus_tunnel_finalize(GObject *object)
{
	IotDBusTunnel *self = IOT_DBUS_TUNNEL(object);
	g_hash_table_unref(self->connections);
	G_OBJECT_CLASS(iot_dbus_tunnel_parent_class)->finalize(object);
}

static void
iot_dbus_tunnel_class_init(IotDBusTunnelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_dbus_tunnel_dispose;
	object_class->finalize = iot_dbus_tunnel_finalize;
}

static void
iot_dbus_tunnel_init(IotDBusTunnel *self)
{
	self->connections = g_hash_table_new_full(g_direct_hash,
						  g_direct_equal,
						  NULL,
						  (GDestroyNotify)iot_dbus_tunnel_connection_free);
}
