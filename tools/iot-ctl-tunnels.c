/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* iotunnelctl list, show and info: what the daemon and its tunnels say about themselves. */

#include "config.h"

#include <glib/gi18n.h>

#include "iot-ctl.h"

/* a{ss} of Services, as "ID=ADDRESS, ..." */
static gchar *
iot_ctl_format_services(IotDBusTunnel1 *tunnel)
{
	GVariant *services = iot_dbus_tunnel1_get_services(tunnel);
	g_autoptr(GString) text = g_string_new(NULL);
	GVariantIter iter;
	const gchar *id;
	const gchar *address;

	if (services == NULL)
		return g_strdup("");
	g_variant_iter_init(&iter, services);
	while (g_variant_iter_next(&iter, "{&s&s}", &id, &address)) {
		if (text->len > 0)
			g_string_append(text, ", ");
		if (id[0] != '\0')
			g_string_append_printf(text, "%s=", id);
		g_string_append(text, address);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

static const gchar *
iot_ctl_or_empty(const gchar *text)
{
	return text != NULL ? text : "";
}

static JsonNode *
iot_ctl_tunnel_to_json(IotDBusTunnel1 *tunnel)
{
	JsonNode *node = iot_ctl_proxy_to_json(G_DBUS_PROXY(tunnel));
	json_object_set_string_member(json_node_get_object(node),
				      "Path",
				      g_dbus_proxy_get_object_path(G_DBUS_PROXY(tunnel)));
	return node;
}

static gint
iot_ctl_tunnel_compare(gconstpointer a, gconstpointer b)
{
	IotDBusTunnel1 *ta = *(IotDBusTunnel1 *const *)a;
	IotDBusTunnel1 *tb = *(IotDBusTunnel1 *const *)b;
	return g_strcmp0(iot_dbus_tunnel1_get_name(ta), iot_dbus_tunnel1_get_name(tb));
}

/* the tunnels of the daemon, sorted by name */
static GPtrArray *
iot_ctl_get_tunnels(IotCtl *ctl, GError **error)
{
	g_autoptr(IotDBusObjectManagerClient) manager = iot_ctl_object_manager_new(ctl, error);
	g_autoptr(GPtrArray) tunnels = g_ptr_array_new_with_free_func(g_object_unref);
	g_autolist(GDBusObject) objects = NULL;
	g_autofree gchar *owner = NULL;

	if (manager == NULL)
		return NULL;
	owner = g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	if (owner == NULL) {
		g_set_error(error,
			    G_DBUS_ERROR,
			    G_DBUS_ERROR_NAME_HAS_NO_OWNER,
			    "%s has no owner",
			    IOT_DBUS_BUS_NAME);
		return NULL;
	}
	objects = g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(manager));
	for (GList *l = objects; l != NULL; l = l->next) {
		IotDBusTunnel1 *tunnel = iot_ctl_tunnel_of(l->data);
		if (tunnel != NULL)
			g_ptr_array_add(tunnels, tunnel);
	}
	g_ptr_array_sort(tunnels, iot_ctl_tunnel_compare);
	return g_steal_pointer(&tunnels);
}

gint
iot_ctl_list(IotCtl *ctl, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) tunnels = iot_ctl_get_tunnels(ctl, &error);

	if (tunnels == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	if (ctl->json) {
		g_autoptr(JsonArray) array = json_array_new();
		g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
		for (guint i = 0; i < tunnels->len; i++)
			json_array_add_element(
			    array,
			    iot_ctl_tunnel_to_json(g_ptr_array_index(tunnels, i)));
		json_node_set_array(node, array);
		iot_ctl_print_json(node);
		return EXIT_SUCCESS;
	}
	if (tunnels->len == 0) {
		g_print(_("No tunnels; add one with \"iotunnelctl add PROFILE.json\".\n"));
		return EXIT_SUCCESS;
	}
	g_print("%-20s %-12s %-13s %-6s %s\n",
		_("NAME"),
		_("MODE"),
		_("STATE"),
		_("CONN"),
		_("SERVICES"));
	for (guint i = 0; i < tunnels->len; i++) {
		IotDBusTunnel1 *tunnel = g_ptr_array_index(tunnels, i);
		g_autofree gchar *services = iot_ctl_format_services(tunnel);
		g_print("%-20s %-12s %-13s %-6u %s\n",
			iot_ctl_or_empty(iot_dbus_tunnel1_get_name(tunnel)),
			iot_ctl_or_empty(iot_dbus_tunnel1_get_mode(tunnel)),
			iot_ctl_or_empty(iot_dbus_tunnel1_get_state(tunnel)),
			iot_dbus_tunnel1_get_active_connections(tunnel),
			services);
	}
	return EXIT_SUCCESS;
}

/* the lines of `show` that only appear when they say something */
static void
iot_ctl_show_if_set(const gchar *label, const gchar *value)
{
	if (value != NULL && value[0] != '\0')
		g_print("  %-20s %s\n", label, value);
}

gint
iot_ctl_show(IotCtl *ctl, const gchar *const *args)
{
	const gchar *name = args[0];
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_tunnel_new(ctl, name, TRUE, &error);
	g_autofree gchar *services = NULL;
	gint64 rtt;

	if (tunnel == NULL)
		return iot_ctl_fail(ctl, error, name);
	if (ctl->json) {
		g_autoptr(JsonNode) node = iot_ctl_tunnel_to_json(tunnel);
		iot_ctl_print_json(node);
		return EXIT_SUCCESS;
	}
	services = iot_ctl_format_services(tunnel);
	rtt = iot_dbus_tunnel1_get_round_trip_time(tunnel);
	g_print("%s (%s)\n",
		iot_dbus_tunnel1_get_name(tunnel),
		g_dbus_proxy_get_object_path(G_DBUS_PROXY(tunnel)));
	g_print("  %-20s %s\n", _("Mode:"), iot_ctl_or_empty(iot_dbus_tunnel1_get_mode(tunnel)));
	g_print("  %-20s %s\n", _("State:"), iot_ctl_or_empty(iot_dbus_tunnel1_get_state(tunnel)));
	iot_ctl_show_if_set(_("Last error:"), iot_dbus_tunnel1_get_last_error(tunnel));
	g_print("  %-20s v%u\n", _("Protocol:"), iot_dbus_tunnel1_get_protocol_version(tunnel));
	g_print("  %-20s %s\n", _("Services:"), services);
	iot_ctl_show_if_set(_("Channel ID:"), iot_dbus_tunnel1_get_channel_id(tunnel));
	g_print("  %-20s %s\n",
		_("Access token:"),
		iot_dbus_tunnel1_get_has_access_token(tunnel) ? _("set") : _("not set"));
	g_print("  %-20s %s\n",
		_("Client token:"),
		iot_dbus_tunnel1_get_has_client_token(tunnel) ? _("set") : _("not set"));
	g_print("  %-20s %s\n",
		_("Persistent:"),
		iot_dbus_tunnel1_get_persistent(tunnel) ? _("yes") : _("no"));
	g_print("  %-20s %u %s, %" G_GUINT64_FORMAT " %s\n",
		_("Connections:"),
		iot_dbus_tunnel1_get_active_connections(tunnel),
		_("active"),
		iot_dbus_tunnel1_get_total_connections(tunnel),
		_("in all"));
	g_print("  %-20s %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s\n",
		_("Bytes:"),
		iot_dbus_tunnel1_get_bytes_to_service(tunnel),
		_("to the service"),
		iot_dbus_tunnel1_get_bytes_from_service(tunnel),
		_("from it"));
	g_print("  %-20s %u\n", _("Reconnects:"), iot_dbus_tunnel1_get_reconnects(tunnel));
	if (rtt > 0)
		g_print("  %-20s %.1f ms\n", _("Round trip:"), (gdouble)rtt / 1000.0);
	return EXIT_SUCCESS;
}

gint
iot_ctl_info(IotCtl *ctl, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusManager1) manager = iot_ctl_manager_new(ctl, &error);
	GVariant *plugins;

	if (manager == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	if (ctl->json) {
		g_autoptr(JsonNode) node = iot_ctl_proxy_to_json(G_DBUS_PROXY(manager));
		iot_ctl_print_json(node);
		return EXIT_SUCCESS;
	}
	g_print(_("iotunneld %s on the %s bus\n"),
		iot_ctl_or_empty(iot_dbus_manager1_get_version(manager)),
		iot_ctl_bus_name(ctl));
	plugins = iot_dbus_manager1_get_plugins(manager);
	for (gsize i = 0; plugins != NULL && i < g_variant_n_children(plugins); i++) {
		const gchar *kind;
		const gchar *plugin_name;
		const gchar *plugin_version;
		const gchar *description;
		g_variant_get_child(plugins,
				    i,
				    "(&s&s&s&s)",
				    &kind,
				    &plugin_name,
				    &plugin_version,
				    &description);
		g_print("  %-10s %-12s %-8s %s\n", kind, plugin_name, plugin_version, description);
	}
	return EXIT_SUCCESS;
}
