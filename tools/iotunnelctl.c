/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iot-dbus-generated.h"

#define IOT_CTL_BUS_NAME "org.iotunnel.Daemon"
#define IOT_CTL_PATH "/org/iotunnel"
#define IOT_CTL_TUNNEL_PATH_PREFIX "/org/iotunnel/tunnel/"
#define IOT_CTL_TUNNEL_INTERFACE "org.iotunnel.Tunnel1"

#define IOT_CTL_EXIT_FAILURE 1
#define IOT_CTL_EXIT_USAGE 2

/* a profile file read for `add` */
#define IOT_CTL_PROFILE_MAX (1024 * 1024)

typedef struct {
	GBusType bus_type;
	gboolean json;
	gboolean persist;
	gboolean start;
	gchar *access_token_file;
	gchar *access_token_env;
	gchar *client_token_file;
	gchar *client_token_env;
	GDBusConnection *connection;
	GMainLoop *loop;
	gint status;
	/* monitor */
	gchar *filter;
	IotDBusObjectManagerClient *manager;
	GHashTable *states;	 /* object path -> last state shown */
	gboolean daemon_running; /* as last shown */
} IotCtl;

static void
iot_ctl_clear(IotCtl *ctl)
{
	g_free(ctl->access_token_file);
	g_free(ctl->access_token_env);
	g_free(ctl->client_token_file);
	g_free(ctl->client_token_env);
	g_free(ctl->filter);
	g_clear_object(&ctl->manager);
	g_clear_pointer(&ctl->states, g_hash_table_unref);
	g_clear_pointer(&ctl->loop, g_main_loop_unref);
	g_clear_object(&ctl->connection);
}

static const gchar *
iot_ctl_bus_name(IotCtl *ctl)
{
	return ctl->bus_type == G_BUS_TYPE_SYSTEM ? _("system") : _("session");
}

static void
iot_ctl_usage_error(const gchar *message)
{
	g_printerr("iotunnelctl: %s\n", message);
	g_printerr(_("Try \"iotunnelctl --help\" for more information.\n"));
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

static void
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

/* prints what went wrong at the bus, for the user; @tunnel names what was asked for */
static gint
iot_ctl_fail(IotCtl *ctl, GError *error, const gchar *tunnel)
{
	if (iot_ctl_error_is_no_daemon(error)) {
		iot_ctl_print_no_daemon(ctl);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (tunnel != NULL && iot_ctl_error_is_no_tunnel(error)) {
		g_printerr(_("iotunnelctl: there is no tunnel named %s; list them with "
			     "\"iotunnelctl list\".\n"),
			   tunnel);
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

static gchar *
iot_ctl_tunnel_path(const gchar *name)
{
	g_autofree gchar *escaped = g_dbus_escape_object_path(name);
	return g_strconcat(IOT_CTL_TUNNEL_PATH_PREFIX, escaped, NULL);
}

static gboolean
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

/* reading the tunnels ---------------------------------------------------- */

/* one tunnel as GetManagedObjects gives it: name -> value */
typedef struct {
	gchar *path;
	GVariantDict *properties;
} IotCtlTunnel;

static void
iot_ctl_tunnel_free(IotCtlTunnel *tunnel)
{
	g_free(tunnel->path);
	g_variant_dict_unref(tunnel->properties);
	g_free(tunnel);
}

static const gchar *
iot_ctl_tunnel_string(IotCtlTunnel *tunnel, const gchar *key)
{
	const gchar *value = NULL;
	if (!g_variant_dict_lookup(tunnel->properties, key, "&s", &value))
		return "";
	return value;
}

static guint64
iot_ctl_tunnel_number(IotCtlTunnel *tunnel, const gchar *key)
{
	g_autoptr(GVariant) value = g_variant_dict_lookup_value(tunnel->properties, key, NULL);
	if (value == NULL)
		return 0;
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
		return g_variant_get_uint64(value);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_INT64))
		return (guint64)MAX(g_variant_get_int64(value), 0);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
		return g_variant_get_boolean(value);
	return 0;
}

static gint
iot_ctl_tunnel_compare(gconstpointer a, gconstpointer b)
{
	IotCtlTunnel *ta = *(IotCtlTunnel *const *)a;
	IotCtlTunnel *tb = *(IotCtlTunnel *const *)b;
	return g_strcmp0(iot_ctl_tunnel_string(ta, "Name"), iot_ctl_tunnel_string(tb, "Name"));
}

static GPtrArray *
iot_ctl_get_tunnels(IotCtl *ctl, GError **error)
{
	g_autoptr(GPtrArray) tunnels =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_ctl_tunnel_free);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariantIter) objects = NULL;
	const gchar *path;
	GVariant *interfaces_raw;

	reply = g_dbus_connection_call_sync(ctl->connection,
					    IOT_CTL_BUS_NAME,
					    IOT_CTL_PATH,
					    "org.freedesktop.DBus.ObjectManager",
					    "GetManagedObjects",
					    NULL,
					    G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    error);
	if (reply == NULL)
		return NULL;
	g_variant_get(reply, "(a{oa{sa{sv}}})", &objects);
	while (g_variant_iter_next(objects, "{&o@a{sa{sv}}}", &path, &interfaces_raw)) {
		g_autoptr(GVariant) interfaces = interfaces_raw;
		g_autoptr(GVariant) properties =
		    g_variant_lookup_value(interfaces, IOT_CTL_TUNNEL_INTERFACE, NULL);
		IotCtlTunnel *tunnel;
		if (properties == NULL)
			continue;
		tunnel = g_new0(IotCtlTunnel, 1);
		tunnel->path = g_strdup(path);
		tunnel->properties = g_variant_dict_new(properties);
		g_ptr_array_add(tunnels, tunnel);
	}
	g_ptr_array_sort(tunnels, iot_ctl_tunnel_compare);
	return g_steal_pointer(&tunnels);
}

/* a{ss} of Services, as "ID=ADDRESS, ..." */
static gchar *
iot_ctl_format_services(IotCtlTunnel *tunnel)
{
	g_autoptr(GVariant) services = NULL;
	g_autoptr(GString) text = g_string_new(NULL);
	GVariantIter iter;
	const gchar *id;
	const gchar *address;

	services =
	    g_variant_dict_lookup_value(tunnel->properties, "Services", G_VARIANT_TYPE("a{ss}"));
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

static JsonNode *
iot_ctl_tunnel_to_json(IotCtlTunnel *tunnel)
{
	g_autoptr(GVariant) properties = g_variant_dict_end(tunnel->properties);
	JsonNode *node = json_gvariant_serialize(properties);
	/* the dict is spent by g_variant_dict_end(); keep it usable */
	g_variant_dict_unref(tunnel->properties);
	tunnel->properties = g_variant_dict_new(properties);
	json_object_set_string_member(json_node_get_object(node), "Path", tunnel->path);
	return node;
}

static void
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
iot_ctl_list(IotCtl *ctl)
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
		IotCtlTunnel *tunnel = g_ptr_array_index(tunnels, i);
		g_autofree gchar *services = iot_ctl_format_services(tunnel);
		g_print("%-20s %-12s %-13s %-6" G_GUINT64_FORMAT " %s\n",
			iot_ctl_tunnel_string(tunnel, "Name"),
			iot_ctl_tunnel_string(tunnel, "Mode"),
			iot_ctl_tunnel_string(tunnel, "State"),
			iot_ctl_tunnel_number(tunnel, "ActiveConnections"),
			services);
	}
	return EXIT_SUCCESS;
}

static IotCtlTunnel *
iot_ctl_find_tunnel(GPtrArray *tunnels, const gchar *name)
{
	for (guint i = 0; i < tunnels->len; i++) {
		IotCtlTunnel *tunnel = g_ptr_array_index(tunnels, i);
		if (g_strcmp0(iot_ctl_tunnel_string(tunnel, "Name"), name) == 0)
			return tunnel;
	}
	return NULL;
}

static gint
iot_ctl_show(IotCtl *ctl, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) tunnels = iot_ctl_get_tunnels(ctl, &error);
	g_autofree gchar *services = NULL;
	IotCtlTunnel *tunnel;
	guint64 rtt;

	if (tunnels == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	tunnel = iot_ctl_find_tunnel(tunnels, name);
	if (tunnel == NULL) {
		g_printerr(_("iotunnelctl: there is no tunnel named %s; list them with "
			     "\"iotunnelctl list\".\n"),
			   name);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (ctl->json) {
		g_autoptr(JsonNode) node = iot_ctl_tunnel_to_json(tunnel);
		iot_ctl_print_json(node);
		return EXIT_SUCCESS;
	}
	services = iot_ctl_format_services(tunnel);
	rtt = iot_ctl_tunnel_number(tunnel, "RoundTripTime");
	g_print("%s (%s)\n", iot_ctl_tunnel_string(tunnel, "Name"), tunnel->path);
	g_print("  %-20s %s\n", _("Mode:"), iot_ctl_tunnel_string(tunnel, "Mode"));
	g_print("  %-20s %s\n", _("State:"), iot_ctl_tunnel_string(tunnel, "State"));
	if (iot_ctl_tunnel_string(tunnel, "LastError")[0] != '\0')
		g_print("  %-20s %s\n",
			_("Last error:"),
			iot_ctl_tunnel_string(tunnel, "LastError"));
	g_print("  %-20s v%" G_GUINT64_FORMAT "\n",
		_("Protocol:"),
		iot_ctl_tunnel_number(tunnel, "ProtocolVersion"));
	g_print("  %-20s %s\n", _("Services:"), services);
	if (iot_ctl_tunnel_string(tunnel, "ChannelId")[0] != '\0')
		g_print("  %-20s %s\n",
			_("Channel ID:"),
			iot_ctl_tunnel_string(tunnel, "ChannelId"));
	g_print("  %-20s %s\n",
		_("Access token:"),
		iot_ctl_tunnel_number(tunnel, "HasAccessToken") ? _("set") : _("not set"));
	g_print("  %-20s %s\n",
		_("Client token:"),
		iot_ctl_tunnel_number(tunnel, "HasClientToken") ? _("set") : _("not set"));
	g_print("  %-20s %s\n",
		_("Persistent:"),
		iot_ctl_tunnel_number(tunnel, "Persistent") ? _("yes") : _("no"));
	g_print("  %-20s %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s\n",
		_("Connections:"),
		iot_ctl_tunnel_number(tunnel, "ActiveConnections"),
		_("active"),
		iot_ctl_tunnel_number(tunnel, "TotalConnections"),
		_("in all"));
	g_print("  %-20s %" G_GUINT64_FORMAT " %s, %" G_GUINT64_FORMAT " %s\n",
		_("Bytes:"),
		iot_ctl_tunnel_number(tunnel, "BytesToService"),
		_("to the service"),
		iot_ctl_tunnel_number(tunnel, "BytesFromService"),
		_("from it"));
	g_print("  %-20s %" G_GUINT64_FORMAT "\n",
		_("Reconnects:"),
		iot_ctl_tunnel_number(tunnel, "Reconnects"));
	if (rtt > 0)
		g_print("  %-20s %.1f ms\n", _("Round trip:"), (gdouble)rtt / 1000.0);
	return EXIT_SUCCESS;
}

/* adding ------------------------------------------------------------------ */

/* a pipe that already holds @value and is closed for writing: a token by fd */
static gint
iot_ctl_pipe_with(const gchar *value, GError **error)
{
	gint fds[2];
	gsize len = strlen(value);

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
		return -1;
	/* a token is at most a few KiB, far below a pipe's capacity: this never blocks */
	if (write(fds[1], value, len) != (gssize)len) {
		gint errsv = errno;
		close(fds[0]);
		close(fds[1]);
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "cannot write the token into a pipe: %s",
			    g_strerror(errsv));
		return -1;
	}
	close(fds[1]);
	return fds[0];
}

/* adds "KEY-fd" to @options: the token of a file or of a variable, by fd */
/* a file the user named, open for reading, or one sentence saying why not */
static gint
iot_ctl_open_file(const gchar *file, GError **error)
{
	gint fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		gint errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    _("%s cannot be read (%s); check the path and its permissions"),
			    file,
			    g_strerror(errsv));
	}
	return fd;
}

static gboolean
iot_ctl_add_token(GVariantBuilder *options,
		  GUnixFDList *fd_list,
		  const gchar *key,
		  const gchar *file,
		  const gchar *env,
		  GError **error)
{
	g_autofree gchar *key_fd = g_strdup_printf("%s-fd", key);
	gint fd = -1;
	gint index;

	if (file != NULL && env != NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("give the %s from a file or from a variable, not both"),
			    key);
		return FALSE;
	}
	if (file != NULL) {
		fd = iot_ctl_open_file(file, error);
		if (fd < 0)
			return FALSE;
	} else if (env != NULL) {
		const gchar *value = g_getenv(env);
		if (value == NULL || value[0] == '\0') {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_NOT_FOUND,
				    _("the variable %s is not set; export the token in it"),
				    env);
			return FALSE;
		}
		fd = iot_ctl_pipe_with(value, error);
		if (fd < 0)
			return FALSE;
	} else {
		return TRUE;
	}
	index = g_unix_fd_list_append(fd_list, fd, error);
	close(fd);
	if (index < 0)
		return FALSE;
	g_variant_builder_add(options, "{sv}", key_fd, g_variant_new_handle(index));
	return TRUE;
}

static gchar *
iot_ctl_read_profile(const gchar *file, gsize *len, GError **error)
{
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[16384];

	if (g_strcmp0(file, "-") == 0) {
		stream = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	} else {
		gint fd = iot_ctl_open_file(file, error);
		if (fd < 0)
			return NULL;
		stream = g_unix_input_stream_new(fd, TRUE);
	}
	for (;;) {
		gssize n = g_input_stream_read(stream, chunk, sizeof(chunk), NULL, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
		if (buf->len > IOT_CTL_PROFILE_MAX) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_DATA,
				    _("%s is larger than 1 MiB; give a profile of at most 1 MiB"),
				    file);
			return NULL;
		}
	}
	*len = buf->len;
	g_byte_array_append(buf, (const guint8 *)"", 1);
	return (gchar *)g_byte_array_free(g_steal_pointer(&buf), FALSE);
}

static gint
iot_ctl_add(IotCtl *ctl, const gchar *file)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
	g_autoptr(IotDBusManager1) manager = NULL;
	g_autofree gchar *profile = NULL;
	g_auto(GStrv) paths = NULL;
	g_auto(GVariantBuilder) options = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	gsize len = 0;

	profile = iot_ctl_read_profile(file, &len, &error);
	if (profile == NULL) {
		g_printerr("iotunnelctl: %s\n", error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (memchr(profile, '\0', len) != NULL || !g_utf8_validate(profile, (gssize)len, NULL)) {
		g_printerr(_("iotunnelctl: %s is not UTF-8 text; give a JSON profile.\n"), file);
		return IOT_CTL_EXIT_FAILURE;
	}
	if (!iot_ctl_add_token(&options,
			       fd_list,
			       "access-token",
			       ctl->access_token_file,
			       ctl->access_token_env,
			       &error) ||
	    !iot_ctl_add_token(&options,
			       fd_list,
			       "client-token",
			       ctl->client_token_file,
			       ctl->client_token_env,
			       &error)) {
		g_printerr("iotunnelctl: %s\n", error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	g_variant_builder_add(&options, "{sv}", "persist", g_variant_new_boolean(ctl->persist));
	g_variant_builder_add(&options, "{sv}", "start", g_variant_new_boolean(ctl->start));
	g_variant_builder_add(&options,
			      "{sv}",
			      "origin",
			      g_variant_new_string(g_strcmp0(file, "-") == 0 ? _("stdin") : file));
	manager = iot_dbus_manager1_proxy_new_sync(ctl->connection,
						   G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
						       G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
						   IOT_CTL_BUS_NAME,
						   IOT_CTL_PATH,
						   NULL,
						   &error);
	if (manager == NULL ||
	    !iot_dbus_manager1_call_add_profile_sync(manager,
						     profile,
						     g_variant_builder_end(&options),
						     fd_list,
						     &paths,
						     NULL,
						     NULL,
						     &error))
		return iot_ctl_fail(ctl, error, NULL);
	for (guint i = 0; paths[i] != NULL; i++)
		g_print("%s\n", paths[i]);
	return EXIT_SUCCESS;
}

/* one tunnel's methods --------------------------------------------------- */

static gint
iot_ctl_call_tunnel(IotCtl *ctl, const gchar *name, const gchar *method)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *path = iot_ctl_tunnel_path(name);

	reply = g_dbus_connection_call_sync(ctl->connection,
					    IOT_CTL_BUS_NAME,
					    path,
					    IOT_CTL_TUNNEL_INTERFACE,
					    method,
					    NULL,
					    G_VARIANT_TYPE_UNIT,
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    &error);
	if (reply == NULL)
		return iot_ctl_fail(ctl, error, name);
	return EXIT_SUCCESS;
}

static gint
iot_ctl_remove(IotCtl *ctl, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *path = iot_ctl_tunnel_path(name);

	reply = g_dbus_connection_call_sync(ctl->connection,
					    IOT_CTL_BUS_NAME,
					    IOT_CTL_PATH,
					    "org.iotunnel.Manager1",
					    "RemoveTunnel",
					    g_variant_new("(o)", path),
					    G_VARIANT_TYPE_UNIT,
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    &error);
	if (reply == NULL) {
		if (g_dbus_error_is_remote_error(error)) {
			g_autofree gchar *remote = g_dbus_error_get_remote_error(error);
			if (g_strcmp0(remote, "org.iotunnel.Error.NotFound") == 0) {
				g_printerr(_("iotunnelctl: there is no tunnel named %s; list them "
					     "with \"iotunnelctl list\".\n"),
					   name);
				return IOT_CTL_EXIT_FAILURE;
			}
		}
		return iot_ctl_fail(ctl, error, name);
	}
	return EXIT_SUCCESS;
}

/* connect: stdin and stdout through a stream of the tunnel -------------- */

typedef struct {
	IotCtl *ctl;
	GSocketConnection *stream;
} IotCtlPipe;

static void
iot_ctl_pipe_upstream_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotCtlPipe *pipe = user_data;
	g_autoptr(GError) error = NULL;

	/*
	 * At the end of stdin the connection stays open: the tunnel protocol
	 * has no half-close, so shutting our side would reset the stream and
	 * lose the answer still on its way. It ends when the far side closes.
	 */
	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, &error) < 0) {
		g_printerr(_("iotunnelctl: cannot send: %s\n"), error->message);
		pipe->ctl->status = IOT_CTL_EXIT_FAILURE;
		g_main_loop_quit(pipe->ctl->loop);
	}
}

static void
iot_ctl_pipe_downstream_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotCtlPipe *pipe = user_data;
	g_autoptr(GError) error = NULL;

	if (g_output_stream_splice_finish(G_OUTPUT_STREAM(source), result, &error) < 0 &&
	    !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)) {
		g_printerr(_("iotunnelctl: cannot receive: %s\n"), error->message);
		pipe->ctl->status = IOT_CTL_EXIT_FAILURE;
	}
	g_main_loop_quit(pipe->ctl->loop);
}

/* a service of the tunnel when the user named none: its only one */
static gchar *
iot_ctl_only_service(IotCtl *ctl, const gchar *name, GError **error)
{
	g_autofree gchar *path = iot_ctl_tunnel_path(name);
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) services = NULL;
	const gchar *id = NULL;

	reply =
	    g_dbus_connection_call_sync(ctl->connection,
					IOT_CTL_BUS_NAME,
					path,
					"org.freedesktop.DBus.Properties",
					"Get",
					g_variant_new("(ss)", IOT_CTL_TUNNEL_INTERFACE, "Services"),
					G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE,
					-1,
					NULL,
					error);
	if (reply == NULL)
		return NULL;
	g_variant_get(reply, "(v)", &services);
	if (!g_variant_is_of_type(services, G_VARIANT_TYPE("a{ss}")) ||
	    g_variant_n_children(services) != 1) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("tunnel %s has more than one service; name the one to connect to"),
			    name);
		return NULL;
	}
	g_variant_get_child(services, 0, "{&s&s}", &id, NULL);
	return g_strdup(id);
}

static gint
iot_ctl_connect(IotCtl *ctl, const gchar *name, const gchar *service_arg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GUnixFDList) fd_list = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInputStream) in = g_unix_input_stream_new(STDIN_FILENO, FALSE);
	g_autoptr(GOutputStream) out = g_unix_output_stream_new(STDOUT_FILENO, FALSE);
	g_autofree gchar *path = iot_ctl_tunnel_path(name);
	g_autofree gchar *service = NULL;
	IotCtlPipe pipe = {.ctl = ctl};
	gint32 index = 0;
	gint fd;

	if (service_arg != NULL) {
		service = g_strdup(service_arg);
	} else {
		service = iot_ctl_only_service(ctl, name, &error);
		if (service == NULL) {
			if (error->domain == G_IO_ERROR) {
				g_printerr("iotunnelctl: %s\n", error->message);
				return IOT_CTL_EXIT_FAILURE;
			}
			return iot_ctl_fail(ctl, error, name);
		}
	}
	reply = g_dbus_connection_call_with_unix_fd_list_sync(ctl->connection,
							      IOT_CTL_BUS_NAME,
							      path,
							      IOT_CTL_TUNNEL_INTERFACE,
							      "OpenConnection",
							      g_variant_new("(s)", service),
							      G_VARIANT_TYPE("(h)"),
							      G_DBUS_CALL_FLAGS_NONE,
							      -1,
							      NULL,
							      &fd_list,
							      NULL,
							      &error);
	if (reply == NULL)
		return iot_ctl_fail(ctl, error, name);
	g_variant_get(reply, "(h)", &index);
	fd = fd_list != NULL ? g_unix_fd_list_get(fd_list, index, &error) : -1;
	if (fd < 0) {
		g_printerr(_("iotunnelctl: the daemon gave no socket: %s\n"),
			   error != NULL ? error->message : _("no file descriptor came back"));
		return IOT_CTL_EXIT_FAILURE;
	}
	socket = g_socket_new_from_fd(fd, &error);
	if (socket == NULL) {
		close(fd);
		g_printerr(_("iotunnelctl: the daemon gave no usable socket: %s\n"),
			   error->message);
		return IOT_CTL_EXIT_FAILURE;
	}
	pipe.stream = g_socket_connection_factory_create_connection(socket);
	ctl->loop = g_main_loop_new(NULL, FALSE);
	g_output_stream_splice_async(g_io_stream_get_output_stream(G_IO_STREAM(pipe.stream)),
				     in,
				     G_OUTPUT_STREAM_SPLICE_NONE,
				     G_PRIORITY_DEFAULT,
				     NULL,
				     iot_ctl_pipe_upstream_cb,
				     &pipe);
	g_output_stream_splice_async(out,
				     g_io_stream_get_input_stream(G_IO_STREAM(pipe.stream)),
				     G_OUTPUT_STREAM_SPLICE_NONE,
				     G_PRIORITY_DEFAULT,
				     NULL,
				     iot_ctl_pipe_downstream_cb,
				     &pipe);
	g_main_loop_run(ctl->loop);
	g_object_unref(pipe.stream);
	return ctl->status;
}

/* monitor ---------------------------------------------------------------- */

static gboolean
iot_ctl_monitor_wanted(IotCtl *ctl, IotDBusTunnel1 *tunnel)
{
	return ctl->filter == NULL ||
	       g_strcmp0(iot_dbus_tunnel1_get_name(tunnel), ctl->filter) == 0;
}

/* one event: a line for people, or a JSON object per line with --json */
static void
iot_ctl_monitor_print(IotCtl *ctl, const gchar *tunnel, const gchar *event, ...)
    G_GNUC_NULL_TERMINATED;

static void
iot_ctl_monitor_print(IotCtl *ctl, const gchar *tunnel, const gchar *event, ...)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree gchar *time = g_date_time_format(now, "%H:%M:%S");
	va_list args;
	const gchar *key;

	va_start(args, event);
	if (ctl->json) {
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
iot_ctl_monitor_state(IotCtl *ctl, IotDBusTunnel1 *tunnel, gboolean always)
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
	if (!always && g_strcmp0(g_hash_table_lookup(ctl->states, path), shown) == 0)
		return;
	g_hash_table_insert(ctl->states, g_strdup(path), g_steal_pointer(&shown));
	if (ctl->json) {
		iot_ctl_monitor_print(ctl,
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
	iot_ctl_monitor_print(ctl,
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
			      IotCtl *ctl)
{
	if (!IOT_DBUS_IS_TUNNEL1(proxy) || !iot_ctl_monitor_wanted(ctl, IOT_DBUS_TUNNEL1(proxy)))
		return;
	iot_ctl_monitor_state(ctl, IOT_DBUS_TUNNEL1(proxy), FALSE);
}

static void
iot_ctl_monitor_signal_cb(GDBusObjectManagerClient *manager,
			  GDBusObjectProxy *object,
			  GDBusProxy *proxy,
			  const gchar *sender,
			  const gchar *signal_name,
			  GVariant *parameters,
			  IotCtl *ctl)
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
	if (!iot_ctl_monitor_wanted(ctl, tunnel))
		return;
	if (!opened && g_strcmp0(signal_name, "ConnectionClosed") != 0)
		return;
	if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(tsiu)")))
		return;
	g_variant_get(parameters, "(t&siu)", &id, &description, &stream_id, &connection_id);
	id_text = g_strdup_printf("%" G_GUINT64_FORMAT, id);
	stream_text = g_strdup_printf("%d", stream_id);
	connection_text = g_strdup_printf("%u", connection_id);
	if (ctl->json) {
		iot_ctl_monitor_print(ctl,
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
		iot_ctl_monitor_print(ctl,
				      iot_dbus_tunnel1_get_name(tunnel),
				      event,
				      "description",
				      detail,
				      NULL);
	}
}

static IotDBusTunnel1 *
iot_ctl_monitor_tunnel_of(GDBusObject *object)
{
	GDBusInterface *interface = g_dbus_object_get_interface(object, IOT_CTL_TUNNEL_INTERFACE);
	IotDBusTunnel1 *tunnel =
	    IOT_DBUS_IS_TUNNEL1(interface) ? IOT_DBUS_TUNNEL1(interface) : NULL;
	if (tunnel == NULL)
		g_clear_object(&interface);
	return tunnel;
}

static void
iot_ctl_monitor_object_added_cb(GDBusObjectManager *manager, GDBusObject *object, IotCtl *ctl)
{
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_monitor_tunnel_of(object);
	if (tunnel == NULL || !iot_ctl_monitor_wanted(ctl, tunnel))
		return;
	/* event names in JSON are for scripts: never translated */
	iot_ctl_monitor_print(ctl,
			      iot_dbus_tunnel1_get_name(tunnel),
			      ctl->json ? "added" : _("added"),
			      NULL);
	iot_ctl_monitor_state(ctl, tunnel, TRUE);
}

static void
iot_ctl_monitor_object_removed_cb(GDBusObjectManager *manager, GDBusObject *object, IotCtl *ctl)
{
	g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_monitor_tunnel_of(object);
	g_autofree gchar *owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	if (tunnel == NULL || !iot_ctl_monitor_wanted(ctl, tunnel))
		return;
	g_hash_table_remove(ctl->states, g_dbus_object_get_object_path(object));
	/* a daemon that goes away takes its objects along; that is said once, below */
	if (owner == NULL)
		return;
	iot_ctl_monitor_print(ctl,
			      iot_dbus_tunnel1_get_name(tunnel),
			      ctl->json ? "removed" : _("removed"),
			      NULL);
}

static void
iot_ctl_monitor_owner_cb(GObject *manager, GParamSpec *pspec, IotCtl *ctl)
{
	g_autofree gchar *owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(manager));
	/* the bus may tell of a daemon that left before we looked: nothing changed */
	if ((owner != NULL) == ctl->daemon_running)
		return;
	ctl->daemon_running = owner != NULL;
	iot_ctl_monitor_print(ctl,
			      NULL,
			      owner != NULL
				  ? (ctl->json ? "daemon-started" : _("iotunneld started"))
				  : (ctl->json ? "daemon-stopped" : _("iotunneld stopped")),
			      NULL);
}

static gboolean
iot_ctl_monitor_signal_quit_cb(gpointer user_data)
{
	IotCtl *ctl = user_data;
	g_main_loop_quit(ctl->loop);
	return G_SOURCE_CONTINUE;
}

static gint
iot_ctl_monitor(IotCtl *ctl, const gchar *filter)
{
	g_autoptr(GError) error = NULL;
	g_autolist(GDBusObject) objects = NULL;
	g_autofree gchar *owner = NULL;
	guint signal_ids[2];

	ctl->filter = g_strdup(filter);
	ctl->states = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ctl->manager = IOT_DBUS_OBJECT_MANAGER_CLIENT(
	    iot_dbus_object_manager_client_new_sync(ctl->connection,
						    G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
						    IOT_CTL_BUS_NAME,
						    IOT_CTL_PATH,
						    NULL,
						    &error));
	if (ctl->manager == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	owner =
	    g_dbus_object_manager_client_get_name_owner(G_DBUS_OBJECT_MANAGER_CLIENT(ctl->manager));
	ctl->daemon_running = owner != NULL;
	if (owner == NULL) {
		iot_ctl_print_no_daemon(ctl);
		g_printerr(_("iotunnelctl: waiting for it.\n"));
	}
	if (filter != NULL && owner != NULL) {
		g_autofree gchar *path = iot_ctl_tunnel_path(filter);
		g_autoptr(GDBusObject) object =
		    g_dbus_object_manager_get_object(G_DBUS_OBJECT_MANAGER(ctl->manager), path);
		if (object == NULL) {
			g_printerr(_("iotunnelctl: there is no tunnel named %s yet; waiting for "
				     "it.\n"),
				   filter);
		}
	}
	objects = g_dbus_object_manager_get_objects(G_DBUS_OBJECT_MANAGER(ctl->manager));
	for (GList *l = objects; l != NULL; l = l->next) {
		g_autoptr(IotDBusTunnel1) tunnel = iot_ctl_monitor_tunnel_of(l->data);
		if (tunnel != NULL && iot_ctl_monitor_wanted(ctl, tunnel))
			iot_ctl_monitor_state(ctl, tunnel, TRUE);
	}
	g_signal_connect(ctl->manager,
			 "interface-proxy-properties-changed",
			 G_CALLBACK(iot_ctl_monitor_properties_cb),
			 ctl);
	g_signal_connect(ctl->manager,
			 "interface-proxy-signal",
			 G_CALLBACK(iot_ctl_monitor_signal_cb),
			 ctl);
	g_signal_connect(ctl->manager,
			 "object-added",
			 G_CALLBACK(iot_ctl_monitor_object_added_cb),
			 ctl);
	g_signal_connect(ctl->manager,
			 "object-removed",
			 G_CALLBACK(iot_ctl_monitor_object_removed_cb),
			 ctl);
	g_signal_connect(ctl->manager,
			 "notify::name-owner",
			 G_CALLBACK(iot_ctl_monitor_owner_cb),
			 ctl);
	ctl->loop = g_main_loop_new(NULL, FALSE);
	signal_ids[0] = g_unix_signal_add(SIGINT, iot_ctl_monitor_signal_quit_cb, ctl);
	signal_ids[1] = g_unix_signal_add(SIGTERM, iot_ctl_monitor_signal_quit_cb, ctl);
	g_main_loop_run(ctl->loop);
	g_source_remove(signal_ids[0]);
	g_source_remove(signal_ids[1]);
	g_signal_handlers_disconnect_by_data(ctl->manager, ctl);
	return EXIT_SUCCESS;
}

/* the daemon itself ------------------------------------------------------ */

static gint
iot_ctl_info(IotCtl *ctl)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) properties = NULL;
	g_autoptr(GVariantDict) dict = NULL;
	g_autoptr(GVariant) plugins = NULL;
	const gchar *version = "";

	reply = g_dbus_connection_call_sync(ctl->connection,
					    IOT_CTL_BUS_NAME,
					    IOT_CTL_PATH,
					    "org.freedesktop.DBus.Properties",
					    "GetAll",
					    g_variant_new("(s)", "org.iotunnel.Manager1"),
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    &error);
	if (reply == NULL)
		return iot_ctl_fail(ctl, error, NULL);
	properties = g_variant_get_child_value(reply, 0);
	if (ctl->json) {
		g_autoptr(JsonNode) node = json_gvariant_serialize(properties);
		iot_ctl_print_json(node);
		return EXIT_SUCCESS;
	}
	dict = g_variant_dict_new(properties);
	g_variant_dict_lookup(dict, "Version", "&s", &version);
	g_print(_("iotunneld %s on the %s bus\n"), version, iot_ctl_bus_name(ctl));
	plugins = g_variant_dict_lookup_value(dict, "Plugins", G_VARIANT_TYPE("a(ssss)"));
	for (gsize i = 0; plugins != NULL && i < g_variant_n_children(plugins); i++) {
		const gchar *kind;
		const gchar *name;
		const gchar *plugin_version;
		const gchar *description;
		g_variant_get_child(plugins,
				    i,
				    "(&s&s&s&s)",
				    &kind,
				    &name,
				    &plugin_version,
				    &description);
		g_print("  %-10s %-12s %-8s %s\n", kind, name, plugin_version, description);
	}
	return EXIT_SUCCESS;
}

/* the commands, with how many arguments each takes */
typedef struct {
	const gchar *name;
	gint min;
	gint max;
	const gchar *usage;
} IotCtlCommand;

static const IotCtlCommand iot_ctl_commands[] = {
    {"list", 0, 0, N_("iotunnelctl list")},
    {"show", 1, 1, N_("iotunnelctl show TUNNEL")},
    {"add", 1, 1, N_("iotunnelctl add FILE")},
    {"remove", 1, 1, N_("iotunnelctl remove TUNNEL")},
    {"start", 1, 1, N_("iotunnelctl start TUNNEL")},
    {"stop", 1, 1, N_("iotunnelctl stop TUNNEL")},
    {"connect", 1, 2, N_("iotunnelctl connect TUNNEL [SERVICE]")},
    {"monitor", 0, 1, N_("iotunnelctl monitor [TUNNEL]")},
    {"info", 0, 0, N_("iotunnelctl info")},
};

/* checked before the bus is asked anything, so that a typo is told as one */
static gboolean
iot_ctl_check_args(const IotCtlCommand *command, gint argc)
{
	g_autofree gchar *message = NULL;

	if (argc - 2 >= command->min && argc - 2 <= command->max)
		return TRUE;
	message = g_strdup_printf(argc - 2 < command->min
				      ? _("%s needs more arguments; use it as \"%s\".")
				      : _("%s takes fewer arguments; use it as \"%s\"."),
				  command->name,
				  _(command->usage));
	iot_ctl_usage_error(message);
	return FALSE;
}

int
main(int argc, char *argv[])
{
	IotCtl ctl = {.bus_type = G_BUS_TYPE_SESSION};
	gboolean system = FALSE;
	gboolean session = FALSE;
	gboolean version = FALSE;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *command;
	const IotCtlCommand *found = NULL;
	gint status;
	const GOptionEntry entries[] = {
	    {"system",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &system,
	     N_("Talk to the daemon on the system bus"),
	     NULL},
	    {"session",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &session,
	     N_("Talk to the daemon on the session bus (the default)"),
	     NULL},
	    {"json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, N_("Print JSON, for scripts"), NULL},
	    {"persist",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &ctl.persist,
	     N_("add: keep the tunnels when the daemon restarts"),
	     NULL},
	    {"start", 0, 0, G_OPTION_ARG_NONE, &ctl.start, N_("add: start the tunnels"), NULL},
	    {"access-token-file",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &ctl.access_token_file,
	     N_("add: pass the access token in FILE to the daemon"),
	     N_("FILE")},
	    {"access-token-env",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &ctl.access_token_env,
	     N_("add: pass the access token in variable NAME to the daemon"),
	     N_("NAME")},
	    {"client-token-file",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &ctl.client_token_file,
	     N_("add: pass the client token in FILE to the daemon"),
	     N_("FILE")},
	    {"client-token-env",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &ctl.client_token_env,
	     N_("add: pass the client token in variable NAME to the daemon"),
	     N_("NAME")},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Show the version and exit"), NULL},
	    {NULL},
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	/* a reader that went away ends `connect` with an error, not a signal */
	signal(SIGPIPE, SIG_IGN);

	context = g_option_context_new(_("COMMAND [ARGUMENTS]"));
	g_option_context_set_summary(context, _("Manage the tunnels of iotunneld over D-Bus."));
	g_option_context_set_description(
	    context,
	    _("Commands:\n"
	      "  list                     List the tunnels\n"
	      "  show TUNNEL              Show a tunnel's state and counters\n"
	      "  add FILE                 Add the tunnels of a profile (\"-\" for stdin)\n"
	      "  remove TUNNEL            Stop and remove a tunnel\n"
	      "  start TUNNEL             Start a tunnel\n"
	      "  stop TUNNEL              Stop a tunnel\n"
	      "  connect TUNNEL [SERVICE] Carry stdin and stdout through the tunnel to SERVICE\n"
	      "  monitor [TUNNEL]         Print state changes and connections as they happen\n"
	      "  info                     Show the daemon's version and plugins\n"
	      "\n"
	      "Tokens are never put on the command line: --access-token-file and\n"
	      "--access-token-env hand them to the daemon through a file descriptor.\n"
	      "\n"
	      "Example: ssh -o ProxyCommand='iotunnelctl connect mydevice SSH1' user@mydevice\n"));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		iot_ctl_usage_error(error->message);
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (version) {
		g_print("iotunnelctl %s\n", PACKAGE_VERSION);
		iot_ctl_clear(&ctl);
		return EXIT_SUCCESS;
	}
	if (system && session) {
		iot_ctl_usage_error(_("--system and --session exclude each other."));
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (argc < 2) {
		iot_ctl_usage_error(_("Name a command, such as \"list\"."));
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (system)
		ctl.bus_type = G_BUS_TYPE_SYSTEM;
	command = argv[1];
	for (guint i = 0; i < G_N_ELEMENTS(iot_ctl_commands) && found == NULL; i++) {
		if (g_strcmp0(iot_ctl_commands[i].name, command) == 0)
			found = &iot_ctl_commands[i];
	}
	if (found == NULL) {
		g_autofree gchar *message = g_strdup_printf(_("Unknown command \"%s\"."), command);
		iot_ctl_usage_error(message);
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (!iot_ctl_check_args(found, argc)) {
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_USAGE;
	}
	if (!iot_ctl_connect_bus(&ctl)) {
		iot_ctl_clear(&ctl);
		return IOT_CTL_EXIT_FAILURE;
	}

	if (g_strcmp0(command, "list") == 0)
		status = iot_ctl_list(&ctl);
	else if (g_strcmp0(command, "info") == 0)
		status = iot_ctl_info(&ctl);
	else if (g_strcmp0(command, "show") == 0)
		status = iot_ctl_show(&ctl, argv[2]);
	else if (g_strcmp0(command, "add") == 0)
		status = iot_ctl_add(&ctl, argv[2]);
	else if (g_strcmp0(command, "remove") == 0)
		status = iot_ctl_remove(&ctl, argv[2]);
	else if (g_strcmp0(command, "start") == 0)
		status = iot_ctl_call_tunnel(&ctl, argv[2], "Start");
	else if (g_strcmp0(command, "stop") == 0)
		status = iot_ctl_call_tunnel(&ctl, argv[2], "Stop");
	else if (g_strcmp0(command, "connect") == 0)
		status = iot_ctl_connect(&ctl, argv[2], argc > 3 ? argv[3] : NULL);
	else
		status = iot_ctl_monitor(&ctl, argc > 2 ? argv[2] : NULL);
	iot_ctl_clear(&ctl);
	return status;
}
