/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-daemon.h"

#include <glib/gi18n.h>

/* the tunnels one iotunneld process runs */
struct _IotDaemon {
	GObject parent_instance;
	IotPluginRegistry *registry;
	GPtrArray *tunnels; /* of IotTunnel */
	GTask *stopping;    /* iot_daemon_stop_async() under way */
	guint stop_deadline;
};

G_DEFINE_FINAL_TYPE(IotDaemon, iot_daemon, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-daemon-error-quark, iot_daemon_error);

enum { SIGNAL_CHANGED, SIGNAL_TUNNEL_ADDED, SIGNAL_TUNNEL_REMOVED, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

static void
iot_daemon_tunnel_state_changed_cb(IotTunnel *tunnel, IotDaemon *self)
{
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/* ends iot_daemon_stop_async(), closed or out of time */
static void
iot_daemon_stop_done(IotDaemon *self)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->stopping);

	g_clear_handle_id(&self->stop_deadline, g_source_remove);
	if (task != NULL)
		g_task_return_boolean(task, TRUE);
}

static void
iot_daemon_tunnel_closed_cb(IotTunnel *tunnel, IotDaemon *self)
{
	if (self->stopping != NULL && !iot_daemon_is_closing(self))
		iot_daemon_stop_done(self);
}

static gboolean
iot_daemon_stop_deadline_cb(gpointer user_data)
{
	IotDaemon *self = user_data;

	self->stop_deadline = 0;
	g_message("a WebSocket did not finish its closing handshake in time; stopping anyway");
	iot_daemon_stop_done(self);
	return G_SOURCE_REMOVE;
}

/**
 * iot_daemon_add_profile:
 * @self: a daemon
 * @profile: a loaded profile
 * @error: (nullable): return location for an error
 *
 * Creates a tunnel for each of the profile's tunnels, or none when one
 * cannot be set up or has the name of a tunnel the daemon has already;
 * none starts. Each emits #IotDaemon::tunnel-added.
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
		const gchar *name = iot_profile_tunnel_get_name(profile_tunnel);
		IotTunnel *tunnel;

		if (iot_daemon_find_tunnel(self, name) != NULL) {
			g_set_error(error,
				    IOT_DAEMON_ERROR,
				    IOT_DAEMON_ERROR_EXISTS,
				    _("A tunnel named %s exists already; remove it first or give "
				      "this one another name."),
				    name);
			return FALSE;
		}
		tunnel = iot_tunnel_new(profile_tunnel, self->registry, error);
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
		g_signal_connect(tunnel, "closed", G_CALLBACK(iot_daemon_tunnel_closed_cb), self);
		g_ptr_array_add(self->tunnels, g_object_ref(tunnel));
		g_signal_emit(self, signals[SIGNAL_TUNNEL_ADDED], 0, tunnel);
	}
	return TRUE;
}

/**
 * iot_daemon_find_tunnel:
 * @self: a daemon
 * @name: a tunnel name
 *
 * Returns: (transfer none) (nullable): the tunnel of that name
 */
IotTunnel *
iot_daemon_find_tunnel(IotDaemon *self, const gchar *name)
{
	for (guint i = 0; i < self->tunnels->len; i++) {
		IotTunnel *tunnel = g_ptr_array_index(self->tunnels, i);
		if (g_strcmp0(iot_profile_tunnel_get_name(iot_tunnel_get_profile(tunnel)), name) ==
		    0)
			return tunnel;
	}
	return NULL;
}

/**
 * iot_daemon_remove_tunnel:
 * @self: a daemon
 * @tunnel: one of its tunnels
 *
 * Stops the tunnel, closing its connections, emits #IotDaemon::tunnel-removed
 * and drops it.
 */
void
iot_daemon_remove_tunnel(IotDaemon *self, IotTunnel *tunnel)
{
	g_autoptr(IotTunnel) hold = NULL;

	if (!g_ptr_array_find(self->tunnels, tunnel, NULL))
		return;
	hold = g_object_ref(tunnel);
	g_signal_handlers_disconnect_by_data(tunnel, self);
	iot_tunnel_stop(tunnel);
	g_ptr_array_remove(self->tunnels, tunnel);
	g_signal_emit(self, signals[SIGNAL_TUNNEL_REMOVED], 0, tunnel);
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
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

/**
 * iot_daemon_stop_async:
 * @self: a daemon
 * @timeout_ms: the most it waits for the closing handshakes
 * @callback: called once stopped
 * @user_data: for @callback
 *
 * The one way a process stops its tunnels: every tunnel stops, and the
 * callback comes once each WebSocket has finished its closing handshake, so
 * that the service sees a normal close, or after @timeout_ms.
 */
void
iot_daemon_stop_async(IotDaemon *self,
		      guint timeout_ms,
		      GAsyncReadyCallback callback,
		      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);

	g_return_if_fail(IOT_IS_DAEMON(self));
	g_return_if_fail(self->stopping == NULL);

	g_task_set_source_tag(task, iot_daemon_stop_async);
	iot_daemon_stop(self);
	if (!iot_daemon_is_closing(self)) {
		g_task_return_boolean(task, TRUE);
		return;
	}
	self->stopping = g_steal_pointer(&task);
	self->stop_deadline = g_timeout_add(timeout_ms, iot_daemon_stop_deadline_cb, self);
}

/**
 * iot_daemon_stop_finish:
 * @self: a daemon
 * @result: what the callback of iot_daemon_stop_async() got
 *
 * Ends a stop; it cannot fail.
 */
void
iot_daemon_stop_finish(IotDaemon *self, GAsyncResult *result)
{
	g_return_if_fail(g_task_is_valid(result, self));
	g_task_propagate_boolean(G_TASK(result), NULL);
}

GPtrArray *
iot_daemon_get_tunnels(IotDaemon *self)
{
	return self->tunnels;
}

IotPluginRegistry *
iot_daemon_get_registry(IotDaemon *self)
{
	return self->registry;
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
	g_clear_handle_id(&self->stop_deadline, g_source_remove);
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
	/**
	 * IotDaemon::tunnel-added:
	 * @tunnel: the new tunnel, stopped
	 */
	signals[SIGNAL_TUNNEL_ADDED] = g_signal_new("tunnel-added",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    IOT_TYPE_TUNNEL);
	/**
	 * IotDaemon::tunnel-removed:
	 * @tunnel: the tunnel, stopped, about to be dropped
	 */
	signals[SIGNAL_TUNNEL_REMOVED] = g_signal_new("tunnel-removed",
						      G_TYPE_FROM_CLASS(klass),
						      G_SIGNAL_RUN_LAST,
						      0,
						      NULL,
						      NULL,
						      NULL,
						      G_TYPE_NONE,
						      1,
						      IOT_TYPE_TUNNEL);
}

static void
iot_daemon_init(IotDaemon *self)
{
	self->tunnels = g_ptr_array_new_with_free_func(g_object_unref);
}
