/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-daemon.h"

/* the tunnels one iotunneld process runs */
struct _IotDaemon {
	GObject parent_instance;
	IotPluginRegistry *registry;
	GPtrArray *tunnels; /* of IotTunnel */
};

G_DEFINE_FINAL_TYPE(IotDaemon, iot_daemon, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

static void
iot_daemon_tunnel_state_changed_cb(IotTunnel *tunnel, IotDaemon *self)
{
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/**
 * iot_daemon_add_profile:
 * @self: a daemon
 * @profile: a loaded profile
 * @error: (nullable): return location for an error
 *
 * Creates a tunnel for each of the profile's tunnels; none starts.
 *
 * Returns: %TRUE when every tunnel could be set up
 */
gboolean
iot_daemon_add_profile(IotDaemon *self, IotProfile *profile, GError **error)
{
	GPtrArray *tunnels = iot_profile_get_tunnels(profile);
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_object_unref);

	for (guint i = 0; i < tunnels->len; i++) {
		IotProfileTunnel *profile_tunnel = g_ptr_array_index(tunnels, i);
		IotTunnel *tunnel = iot_tunnel_new(profile_tunnel, self->registry, error);
		if (tunnel == NULL) {
			g_prefix_error(error,
				       "tunnel %s: ",
				       iot_profile_tunnel_get_name(profile_tunnel));
			return FALSE;
		}
		g_ptr_array_add(added, tunnel);
	}
	for (guint i = 0; i < added->len; i++) {
		IotTunnel *tunnel = g_ptr_array_index(added, i);
		g_signal_connect(tunnel,
				 "state-changed",
				 G_CALLBACK(iot_daemon_tunnel_state_changed_cb),
				 self);
		g_ptr_array_add(self->tunnels, g_object_ref(tunnel));
	}
	return TRUE;
}

void
iot_daemon_start(IotDaemon *self)
{
	for (guint i = 0; i < self->tunnels->len; i++)
		iot_tunnel_start(g_ptr_array_index(self->tunnels, i));
}

void
iot_daemon_stop(IotDaemon *self)
{
	for (guint i = 0; i < self->tunnels->len; i++)
		iot_tunnel_stop(g_ptr_array_index(self->tunnels, i));
}

GPtrArray *
iot_daemon_get_tunnels(IotDaemon *self)
{
	return self->tunnels;
}

/**
 * iot_daemon_is_finished:
 * @self: a daemon
 *
 * Returns: whether no tunnel is running or trying to run any more
 */
gboolean
iot_daemon_is_finished(IotDaemon *self)
{
	for (guint i = 0; i < self->tunnels->len; i++) {
		IotTunnelState state = iot_tunnel_get_state(g_ptr_array_index(self->tunnels, i));
		if (state == IOT_TUNNEL_STATE_CONNECTING || state == IOT_TUNNEL_STATE_CONNECTED ||
		    state == IOT_TUNNEL_STATE_RECONNECTING)
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_daemon_is_closing:
 * @self: a daemon
 *
 * Returns: whether a stopped tunnel's WebSocket is still closing, which a
 *   process about to exit waits for (a little), so the service sees a
 *   normal close
 */
gboolean
iot_daemon_is_closing(IotDaemon *self)
{
	for (guint i = 0; i < self->tunnels->len; i++) {
		if (iot_tunnel_is_closing(g_ptr_array_index(self->tunnels, i)))
			return TRUE;
	}
	return FALSE;
}

/**
 * iot_daemon_has_failed:
 * @self: a daemon
 *
 * Returns: whether any tunnel ended in failure
 */
gboolean
iot_daemon_has_failed(IotDaemon *self)
{
	for (guint i = 0; i < self->tunnels->len; i++) {
		if (iot_tunnel_get_state(g_ptr_array_index(self->tunnels, i)) ==
		    IOT_TUNNEL_STATE_FAILED)
			return TRUE;
	}
	return FALSE;
}

IotDaemon *
iot_daemon_new(IotPluginRegistry *registry)
{
	IotDaemon *self = g_object_new(IOT_TYPE_DAEMON, NULL);
	self->registry = g_object_ref(registry);
	return self;
}

static void
iot_daemon_dispose(GObject *object)
{
	IotDaemon *self = IOT_DAEMON(object);
	for (guint i = 0; i < self->tunnels->len; i++)
		g_signal_handlers_disconnect_by_data(g_ptr_array_index(self->tunnels, i), self);
	g_ptr_array_set_size(self->tunnels, 0);
	g_clear_object(&self->registry);
	G_OBJECT_CLASS(iot_daemon_parent_class)->dispose(object);
}

static void
iot_daemon_finalize(GObject *object)
{
	IotDaemon *self = IOT_DAEMON(object);
	g_ptr_array_unref(self->tunnels);
	G_OBJECT_CLASS(iot_daemon_parent_class)->finalize(object);
}

static void
iot_daemon_class_init(IotDaemonClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_daemon_dispose;
	object_class->finalize = iot_daemon_finalize;
	/**
	 * IotDaemon::changed:
	 *
	 * A tunnel changed state.
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
iot_daemon_init(IotDaemon *self)
{
	self->tunnels = g_ptr_array_new_with_free_func(g_object_unref);
}
