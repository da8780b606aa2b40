/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunnelctl monitor: tunnels' states and connections printed as they change. */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>

#include "iot-ctl.h"

typedef struct {
	IotCtl *ctl;
	const gchar *filter; /* the one tunnel to follow, or %NULL for all */
	IotDBusObjectManagerClient *manager;
	GHashTable *states;	 /* object path -> last state shown */
	gboolean daemon_running; /* as last shown */
} IotCtlMonitor;

static void
iot_ctl_monitor_clear(IotCtlMonitor *mon)
{
	g_clear_object(&mon->manager);
	g_clear_pointer(&mon->states, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(IotCtlMonitor, iot_ctl_monitor_clear)

static gboolean
iot_ctl_monitor_wanted(IotCtlMonitor *mon, IotDBusTunnel1 *tunnel)
{
	return mon->filter == NULL ||
	       g_strcmp0(iot_dbus_tunnel1_get_name(tunnel), mon->filter) == 0;
}

/* one event: a line for people, or a JSON object per line with --json */
static void
iot_ctl_monitor_print(IotCtlMonitor *mon, const gchar *tunnel, const gchar *event, ...)
    G_GNUC_NULL_TERMINATED;

static void
iot_ctl_monitor_print(IotCtlMonitor *mon, const gchar *tunnel, const gchar *event, ...)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *time = g_date_time_format(now, "%H:%M:%S");
	va_list args;
	const gchar *key;

	va_start(args, event);
	if (mon->ctl->json) {
		g_autoptr(JsonObject) object = json_object_new();
		g_autoptr(JsonNode) node = NULL;
		g_autoptr(JsonGenerator) generator = json_generator_new();
		g_autofree gchar *iso = g_date_time_format_iso8601(now);
		g_autofree gchar *text = NULL;
		json_object_set_string_member(object, "time", iso);
		if (tunnel != NULL)
			json_object_set_string_member(object, "tunnel", tunnel);
		json_object_set_string_member(object, "event", event);
		while ((key = va_arg(args, const gchar *)) != NULL)
			json_object_set_string_member(object, key, va_arg(args, const gchar *));
		node = json_node_init_object(json_node_alloc(), object);
		json_generator_set_root(generator, node);
		text = json_generator_to_data(generator, NULL);
		g_print("%s\n", text);
	} else {
		g_autoptr(GString) line = g_string_new(time);
		if (tunnel != NULL)
			g_string_append_printf(line, " %s:", tunnel);
		g_string_append_printf(line, " %s", event);
		while ((key = va_arg(args, const gchar *)) != NULL) {
			const gchar *value = va_arg(args, const gchar *);
			if (value[0] != '\0')
				g_string_append_printf(line, " %s", value);
		}
		g_print("%s\n", line->str);
	}
	va_end(args);
	/* a pipe (monitor | grep) must see each event as it happens */
	fflush(stdout);
}

static void
iot_ctl_monitor_state(IotCtlMonitor *mon, IotDBusTunnel1 *tunnel, gboolean always)
{
	const gchar *path = g_dbus_proxy_get_object_path(G_DBUS_PROXY(tunnel));
	const gchar *state = iot_dbus_tunnel1_get_state(tunnel);
	const gchar *last_error = iot_dbus_tunnel1_get_last_error(tunnel);
	const gchar *channel_id = iot_dbus_tunnel1_get_channel_id(tunnel);
	g_autofree gchar *shown = g_strdup_printf("%s\n%s", state, last_error);
	g_autofree gchar *error_text = NULL;
	g_autofree gchar *channel_text = NULL;

	if (state == NULL)
		return;
	if (!always && g_strcmp0(g_hash_table_lookup(mon->states, path), shown) == 0)
		return;
	g_hash_table_insert(mon->states, g_strdup(path), g_steal_pointer(&shown));
	if (mon->ctl->json) {
		iot_ctl_monitor_print(mon,
				      iot_dbus_tunnel1_get_name(tunnel),
				      "state",
				      "state",
				      state,
				      "last_error",
				      last_error != NULL ? last_error : "",
				      "channel_id",
				      channel_id != NULL ? channel_id : "",
				      NULL);
		return;
	}
	if (last_error != NULL && last_error[0] != '\0')
		error_text = g_strdup_printf("(%s)", last_error);
	if (g_strcmp0(state, "connected") == 0 && channel_id != NULL && channel_id[0] != '\0')
		channel_text = g_strdup_printf(_("(channel %s)"), channel_id);
	iot_ctl_monitor_print(mon,
			      iot_dbus_tunnel1_get_name(tunnel),
			      state,
			      "last_error",
			      error_text != NULL ? error_text : "",
			      "channel_id",
			      channel_text != NULL ? channel_text : "",
			      NULL);
}

static void
iot_ctl_monitor_properties_cb(GDBusObjectManagerClient *manager,
			      GDBusObjectProxy *object,
			      GDBusProxy *proxy,
			      GVariant *changed,
			      const gchar *const *invalidated,
			      IotCtlMonitor *mon)
{
	if (!IOT_DBUS_IS_TUNNEL1(proxy) || !iot_ctl_monitor_wanted(mon, IOT_DBUS_TUNNEL1(proxy)))
		return;
	iot_ctl_monitor_state(mon, IOT_DBUS_TUNNEL1(proxy), FALSE);
}

static void
iot_ctl_monitor_signal_cb(GDBusObjectManagerClient *manager,
			  GDBusObjectProxy *object,
			  GDBusProxy *proxy,
			  const gchar *sender,
			  const gchar *signal_name,
			  GVariant *parameters,
			  IotCtlMonitor *mon)
{
	IotDBusTunnel1 *tunnel;
	guint64 id = 0;
	gint32 stream_id = 0;
	guint32 connection_id = 0;
	const gchar *description = NULL;
	g_autofree gchar *id_text = NULL;
	g_autofree gchar *stream_text = NULL;
	g_autofree gchar *connection_text = NULL;
	gboolean opened = g_strcmp0(signal_name, "ConnectionOpened") == 0;

	if (!IOT_DBUS_IS_TUNNEL1(proxy))
		return;
	tunnel = IOT_DBUS_TUNNEL1(proxy);
	if (!iot_ctl_monitor_wanted(mon, tunnel))
		return;
	if (!opened && g_strcmp0(signal_name, "ConnectionClosed") != 0)
		return;
	if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(tsiu)")))
		return;
	g_variant_get(parameters, "(t&siu)", &id, &description, &stream_id, &connection_id);
	id_text = g_strdup_printf("%" G_GUINT64_FORMAT, id);
	stream_text = g_strdup_printf("%d", stream_id);
	connection_text = g_strdup_printf("%u", connection_id);
	if (mon->ctl->json) {
		iot_ctl_monitor_print(mon,
				      iot_dbus_tunnel1_get_name(tunnel),
				      opened ? "connection-opened" : "connection-closed",
				      "id",
				      id_text,
				      "stream_id",
				      stream_text,
				      "connection_id",
				      connection_text,
				      "description",
				      description,
				      NULL);
		return;
	}
	{
		/* as the log names it: "stream 1 connection 2 opened (SSH1 via D-Bus :1.42)" */
		g_autofree gchar *event =
		    g_strdup_printf(opened ? _("stream %d connection %u opened")
					   : _("stream %d connection %u closed"),
				    stream_id,
				    connection_id);
		g_autofree gchar *detail = g_strdup_printf("(%s)", description);
		iot_ctl_monitor_print(mon,
				      iot_dbus_tunnel1_get_name(tunnel),
				      event,
				      "description",
				      detail,
				      NULL);
	}
}

static void
iot_ctl_monitor_object_added_cb(GDBusObjectManager *manager,
				GDBusObject *object,
				IotCtlMonitor *mon)
{
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_of(object);
	if (tunnel == NULL || !iot_ctl_monitor_wanted(mon, tunnel))
		return;
	/* event names in JSON are for scripts: never translated */
	iot_ctl_monitor_print(mon,
			      iot_dbus_tunnel1_get_name(tunnel),
			      mon->ctl->json ? "added" : _("added"),
			      NULL);
	iot_ctl_monitor_state(mon, tunnel, TRUE);
}

static void
iot_ctl_monitor_object_removed_cb(GDBusObjectManager *manager,
				  GDBusObject *object,
				  IotCtlMonitor *mon)
{
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_of(object);
	g_autofree gchar *owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	if (tunnel == NULL || !iot_ctl_monitor_wanted(mon, tunnel))
		return;
	g_hash_table_remove(mon->states, g_dbus_object_get_object_path(object));
	/* a daemon that goes away takes its objects along; that is said once, below */
	if (owner == NULL)
		return;
	iot_ctl_monitor_print(mon,
			      iot_dbus_tunnel1_get_name(tunnel),
			      mon->ctl->json ? "removed" : _("removed"),
			      NULL);
}

static void
iot_ctl_monitor_owner_cb(GObject *manager, GParamSpec *pspec, IotCtlMonitor *mon)
{
	g_autofree gchar *owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	/* the bus may tell of a daemon that left before we looked: nothing changed */
	if ((owner != NULL) == mon->daemon_running)
		return;
	mon->daemon_running = owner != NULL;
	iot_ctl_monitor_print(mon,
			      NULL,
			      owner != NULL
				  ? (mon->ctl->json ? "daemon-started" : _("iotunneld started"))
				  : (mon->ctl->json ? "daemon-stopped" : _("iotunneld stopped")),
			      NULL);
}

static gboolean
iot_ctl_monitor_signal_quit_cb(gpointer user_data)
{
	IotCtl *ctl = user_data;
	g_main_loop_quit(ctl->loop);
	return G_SOURCE_CONTINUE;
}

gint
iot_ctl_monitor(IotCtl *ctl, const gchar *const *args)
{
	g_auto(IotCtlMonitor) monitor = {.ctl = ctl, .filter = args[0]};
	IotCtlMonitor *mon = &monitor;
	g_autoptr(GError) error = NULL;
	g_autolist(GDBusObject) objects = NULL;
	g_autofree gchar *owner = NULL;
	guint signal_ids[2];

	mon->states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	mon->manager = iot_ctl_object_manager_new(ctl, &error);
	if (mon->manager == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(mon->manager));
	mon->daemon_running = owner != NULL;
	if (owner == NULL) {
		iot_ctl_print_no_daemon(ctl);
		g_printerr(_("iotunnelctl: waiting for it.\n"));
	}
	if (mon->filter != NULL && owner != NULL) {
		g_autofree gchar *path = iot_dbus_tunnel_path(mon->filter);
		g_autoptr(GDBusObject) object =
		    g_dbus_object_manager_get_object(G_DBUS_OBJECT_MANAGER(mon->manager), path);
		if (object == NULL) {
			g_printerr(_("iotunnelctl: there is no tunnel named %s yet; waiting for "
				     "it.\n"),
				   mon->filter);
		}
	}
	objects = g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(mon->manager));
	for (GList *l = objects; l != NULL; l = l->next) {
		g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_of(l->data);
		if (tunnel != NULL && iot_ctl_monitor_wanted(mon, tunnel))
			iot_ctl_monitor_state(mon, tunnel, TRUE);
	}
	g_signal_connect(mon->manager,
			 "interface-proxy-properties-changed",
			 G_CALLBACK(iot_ctl_monitor_properties_cb),
			 mon);
	g_signal_connect(mon->manager,
			 "interface-proxy-signal",
			 G_CALLBACK(iot_ctl_monitor_signal_cb),
			 mon);
	g_signal_connect(mon->manager,
			 "object-added",
			 G_CALLBACK(iot_ctl_monitor_object_added_cb),
			 mon);
	g_signal_connect(mon->manager,
			 "object-removed",
			 G_CALLBACK(iot_ctl_monitor_object_removed_cb),
			 mon);
	g_signal_connect(mon->manager,
			 "notify::name-owner",
			 G_CALLBACK(iot_ctl_monitor_owner_cb),
			 mon);
	ctl->loop = g_main_loop_new(NULL, FALSE);
	signal_ids[0] = g_unix_signal_add(SIGINT, iot_ctl_monitor_signal_quit_cb, ctl);
	signal_ids[1] = g_unix_signal_add(SIGTERM, iot_ctl_monitor_signal_quit_cb, ctl);
	g_main_loop_run(ctl->loop);
	g_source_remove(signal_ids[0]);
	g_source_remove(signal_ids[1]);
	g_signal_handlers_disconnect_by_data(mon->manager, mon);
	return EXIT_SUCCESS;
}
