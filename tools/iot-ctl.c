/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What every iotunnelctl command shares: the bus, proxies of the daemon, errors told to the user.
 */

#include "config.h"

#include "iot-ctl.h"

#include <glib/gi18n.h>

void
iot_ctl_clear(IotCtl *ctl)
{
	g_free(ctl->access_token_file);
	g_free(ctl->access_token_env);
	g_free(ctl->client_token_file);
	g_free(ctl->client_token_env);
	g_clear_pointer(&ctl->loop, g_main_loop_unref);
	g_clear_object(&ctl->connection);
}

const gchar *
iot_ctl_bus_name(IotCtl *ctl)
{
	return ctl->bus_type == G_BUS_TYPE_SYSTEM ? _("system") : _("session");
}

void
iot_ctl_usage_error(const gchar *message)
{
	g_printerr("iotunnelctl: %s\n", message);
	g_printerr(_("Try \"iotunnelctl --help\" for more information.\n"));
}

gboolean
iot_ctl_connect_bus(IotCtl *ctl)
{
	g_autoptr(GError) error = NULL;
	ctl->connection = g_bus_get_sync(ctl->bus_type, NULL, &error);
	if (ctl->connection == NULL) {
		g_printerr(_("iotunnelctl: cannot connect to the %s bus (%s); %s\n"),
			   iot_ctl_bus_name(ctl),
			   error->message,
			   ctl->bus_type == G_BUS_TYPE_SYSTEM
			       ? _("is dbus-daemon running?")
			       : _("run it in a desktop session, or use --system."));
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_ctl_error_is_no_daemon(const GError *error)
{
	return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED);
}

static gboolean
iot_ctl_error_is_no_tunnel(const GError *error)
{
	return g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
	       g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
}

void
iot_ctl_print_no_daemon(IotCtl *ctl)
{
	if (ctl->bus_type == G_BUS_TYPE_SYSTEM) {
		g_printerr(_("iotunnelctl: iotunneld is not running on the system bus; start it "
			     "with \"systemctl start iotunnel\".\n"));
		return;
	}
	g_printerr(_("iotunnelctl: iotunneld is not running on the session bus; start it with "
		     "\"systemctl --user start iotunnel\" or \"iotunneld --session &\".\n"));
}

void
iot_ctl_print_no_tunnel(const gchar *name)
{
	g_printerr(_("iotunnelctl: there is no tunnel named %s; list them with "
		     "\"iotunnelctl list\".\n"),
		   name);
}

/* prints what went wrong at the bus, for the user; @tunnel names what was asked for */
gint
iot_ctl_fail(IotCtl *ctl, GError *error, const gchar *tunnel)
{
	if (iot_ctl_error_is_no_daemon(error)) {
		iot_ctl_print_no_daemon(ctl);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (tunnel != NULL && iot_ctl_error_is_no_tunnel(error)) {
		iot_ctl_print_no_tunnel(tunnel);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)) {
		g_dbus_error_strip_remote_error(error);
		g_printerr(_("iotunnelctl: the %s bus refused the call (%s); on the system bus "
			     "only root and the group \"iotunnel\" manage tunnels.\n"),
			   iot_ctl_bus_name(ctl),
			   error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	g_dbus_error_strip_remote_error(error);
	g_printerr("iotunnelctl: %s\n", error->message);
	return IOT_CTL_EXIT_FAILURE;
}

void
iot_ctl_print_json(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree gchar *text = NULL;
	json_generator_set_root(generator, node);
	json_generator_set_pretty(generator, TRUE);
	text = json_generator_to_data(generator, NULL);
	g_print("%s\n", text);
}

static gint
iot_ctl_compare_names(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* the properties a proxy holds, by name, as one JSON object */
JsonNode *
iot_ctl_proxy_to_json(GDBusProxy *proxy)
{
	g_auto(GStrv) names = g_dbus_proxy_get_cached_property_names(proxy);
	g_auto(GVariantBuilder) properties = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GVariant) dict = NULL;

	if (names != NULL) {
		g_qsort_with_data(names,
				  (gint)g_strv_length(names),
				  sizeof(gchar *),
				  iot_ctl_compare_names,
				  NULL);
	}
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		g_autoptr(GVariant) value = g_dbus_proxy_get_cached_property(proxy, names[i]);
		if (value != NULL)
			g_variant_builder_add(&properties, "{sv}", names[i], value);
	}
	dict = g_variant_ref_sink(g_variant_builder_end(&properties));
	return json_gvariant_serialize(dict);
}

/* sets @error as the bus would, when nobody owns the daemon's name even after activation */
static gboolean
iot_ctl_check_owner(GDBusProxy *proxy, GError **error)
{
	g_autofree gchar *owner = g_dbus_proxy_get_name_owner(proxy);
	if (owner != NULL)
		return TRUE;
	g_set_error(error,
		    G_DBUS_ERROR,
		    G_DBUS_ERROR_NAME_HAS_NO_OWNER,
		    "%s has no owner",
		    IOT_DBUS_BUS_NAME);
	return FALSE;
}

/* the daemon's manager object, its properties loaded; bus activation starts the daemon */
IotDBusManager1 *
iot_ctl_manager_new(IotCtl *ctl, GError **error)
{
	g_autoptr(IotDBusManager1) manager =
	    iot_dbus_manager1_proxy_new_sync(ctl->connection,
					     G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
					     IOT_DBUS_BUS_NAME,
					     IOT_DBUS_PATH,
					     NULL,
					     error);
	if (manager == NULL || !iot_ctl_check_owner(G_DBUS_PROXY(manager), error))
		return NULL;
	return g_steal_pointer(&manager);
}

/*
 * The tunnel called @name; with @with_properties its properties are loaded
 * and a tunnel that does not exist is an error of its own.
 */
IotDBusTunnel1 *
iot_ctl_tunnel_new(IotCtl *ctl, const gchar *name, gboolean with_properties, GError **error)
{
	g_autofree gchar *path = iot_dbus_tunnel_path(name);
	GDBusProxyFlags flags = G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS;
	g_autoptr(IotDBusTunnel1) tunnel = NULL;

	if (!with_properties)
		flags |= G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES;
	tunnel = iot_dbus_tunnel1_proxy_new_sync(ctl->connection,
						 flags,
						 IOT_DBUS_BUS_NAME,
						 path,
						 NULL,
						 error);
	if (tunnel == NULL || !iot_ctl_check_owner(G_DBUS_PROXY(tunnel), error))
		return NULL;
	if (with_properties && iot_dbus_tunnel1_get_name(tunnel) == NULL) {
		g_set_error(error,
			    G_DBUS_ERROR,
			    G_DBUS_ERROR_UNKNOWN_OBJECT,
			    "no object at %s",
			    path);
		return NULL;
	}
	return g_steal_pointer(&tunnel);
}

/* every tunnel of the daemon, kept up to date; bus activation starts the daemon */
IotDBusObjectManagerClient *
iot_ctl_object_manager_new(IotCtl *ctl, GError **error)
{
	GDBusObjectManager *manager =
	    iot_dbus_object_manager_client_new_sync(ctl->connection,
						    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
						    IOT_DBUS_BUS_NAME,
						    IOT_DBUS_PATH,
						    NULL,
						    error);
	return manager != NULL ? IOT_DBUS_OBJECT_MANAGER_CLIENT(manager) : NULL;
}

/* the Tunnel1 interface of an object of the manager, or %NULL */
IotDBusTunnel1 *
iot_ctl_tunnel_of(GDBusObject *object)
{
	GDBusInterface *interface = g_dbus_object_get_interface(object, IOT_DBUS_TUNNEL_INTERFACE);
	if (interface != NULL && !IOT_DBUS_IS_TUNNEL1(interface))
		g_clear_object(&interface);
	return interface != NULL ? IOT_DBUS_TUNNEL1(interface) : NULL;
}
