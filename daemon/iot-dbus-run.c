/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunneld --session / --system: the daemon on a bus, from start to the last call drained. */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "iot-dbus-names.h"
#include "iot-dbus-service.h"
#include "iot-log.h"

#define IOT_DBUS_EXIT_FAILURE 1
#define IOT_DBUS_EXIT_USAGE 2

/* how long a stopping daemon waits for calls it cancelled to wind up */
#define IOT_DBUS_DRAIN_TIMEOUT_MS 2000

typedef struct {
	GMainLoop *loop;
	GBusType bus_type;
	gboolean acquired;
	gboolean stopped;
	gint status;
} IotDBusRun;

static const gchar *
iot_dbus_bus_name(GBusType bus_type)
{
	return bus_type == G_BUS_TYPE_SYSTEM ? _("system") : _("session");
}

static void
iot_dbus_run_name_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	IotDBusRun *run = user_data;
	run->acquired = TRUE;
	g_message("serving tunnels on the %s bus as %s", iot_dbus_bus_name(run->bus_type), name);
}

static void
iot_dbus_run_name_lost_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	IotDBusRun *run = user_data;

	if (connection == NULL || g_dbus_connection_is_closed(connection)) {
		g_printerr(_("iotunneld: the connection to the %s bus is gone.\n"),
			   iot_dbus_bus_name(run->bus_type));
	} else if (run->acquired) {
		g_printerr(_("iotunneld: another process took %s on the %s bus.\n"),
			   name,
			   iot_dbus_bus_name(run->bus_type));
	} else {
		g_printerr(_("iotunneld: another process owns %s on the %s bus, or the bus policy "
			     "does not let this user own it; stop the other iotunneld first.\n"),
			   name,
			   iot_dbus_bus_name(run->bus_type));
	}
	run->status = IOT_DBUS_EXIT_FAILURE;
	g_main_loop_quit(run->loop);
}

static gboolean
iot_dbus_run_signal_cb(gpointer user_data)
{
	IotDBusRun *run = user_data;
	g_message("stopping on request");
	g_main_loop_quit(run->loop);
	return G_SOURCE_CONTINUE;
}

static void
iot_dbus_run_stopped_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotDBusRun *run = user_data;

	iot_daemon_stop_finish(IOT_DAEMON(source), result);
	run->stopped = TRUE;
}

static gboolean
iot_dbus_run_drain_timeout_cb(gpointer user_data)
{
	gboolean *timed_out = user_data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * iot_dbus_service_run:
 * @registry: the loaded plugins
 * @bus_type: %G_BUS_TYPE_SESSION or %G_BUS_TYPE_SYSTEM
 * @profile_path: (nullable): a profile whose tunnels start at once
 *
 * Runs iotunneld on a bus as org.iotunnel.Daemon until SIGTERM or SIGINT,
 * with the persisted tunnels restored.
 *
 * Returns: the exit status: 0 when stopped on request, 1 when the bus or its
 *   name was lost, 2 when the profile is not usable
 */
gint
iot_dbus_service_run(IotPluginRegistry *registry, GBusType bus_type, const gchar *profile_path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) connection = NULL;
	g_autoptr(IotDaemon) daemon = iot_daemon_new(registry);
	g_autofree gchar *state_directory = iot_dbus_service_default_state_directory(bus_type);
	g_autoptr(IotDBusStore) store = iot_dbus_store_new(state_directory);
	g_autoptr(IotDBusService) self = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	IotDBusRun run = {.loop = loop, .bus_type = bus_type};
	gboolean timed_out = FALSE;
	guint owner_id;
	guint signal_ids[3];
	guint timer;

	if (profile_path != NULL) {
		g_autoptr(IotProfile) profile = iot_profile_new_from_file(profile_path, &error);
		if (profile == NULL || !iot_daemon_add_profile(daemon, profile, &error)) {
			g_printerr("iotunneld: %s\n", error->message);
			return IOT_DBUS_EXIT_USAGE;
		}
	}
	connection = g_bus_get_sync(bus_type, NULL, &error);
	if (connection == NULL) {
		g_printerr(_("iotunneld: cannot connect to the %s bus (%s); %s\n"),
			   iot_dbus_bus_name(bus_type),
			   error->message,
			   bus_type == G_BUS_TYPE_SYSTEM
			       ? _("is dbus-daemon running?")
			       : _("run it in a desktop session, or under dbus-run-session."));
		return IOT_DBUS_EXIT_FAILURE;
	}
	g_dbus_connection_set_exit_on_close(connection, FALSE);
	self = iot_dbus_service_new(daemon, store);
	/* the profile's tunnels start; the restored ones come back stopped */
	iot_daemon_start(daemon);
	iot_dbus_service_restore(self);
	if (!iot_dbus_service_export(self, connection, &error)) {
		g_printerr("iotunneld: cannot export the daemon on the bus: %s\n", error->message);
		return IOT_DBUS_EXIT_FAILURE;
	}
	owner_id = g_bus_own_name_on_connection(connection,
						IOT_DBUS_BUS_NAME,
						G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
						iot_dbus_run_name_acquired_cb,
						iot_dbus_run_name_lost_cb,
						&run,
						NULL);
	signal_ids[0] = g_unix_signal_add(SIGTERM, iot_dbus_run_signal_cb, &run);
	signal_ids[1] = g_unix_signal_add(SIGINT, iot_dbus_run_signal_cb, &run);
	signal_ids[2] = iot_log_watch_hangup();
	g_main_loop_run(loop);

	for (guint i = 0; i < G_N_ELEMENTS(signal_ids); i++)
		g_source_remove(signal_ids[i]);
	/* the same stop as without a bus: the service sees each WebSocket's normal close */
	iot_daemon_stop_async(daemon, IOT_DAEMON_CLOSE_TIMEOUT_MS, iot_dbus_run_stopped_cb, &run);
	g_bus_unown_name(owner_id);
	iot_dbus_service_cancel_calls(self);
	timer = g_timeout_add(IOT_DBUS_DRAIN_TIMEOUT_MS, iot_dbus_run_drain_timeout_cb, &timed_out);
	while ((!run.stopped || iot_dbus_service_has_calls(self)) && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(timer);
	iot_dbus_service_unexport(self);
	if (!g_dbus_connection_is_closed(connection))
		g_dbus_connection_flush_sync(connection, NULL, NULL);
	return run.status;
}
