/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-dbus-store.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "iot-dbus-common.h"

/**
 * IotDBusStore:
 *
 * The tunnels added over D-Bus with the persist option: one profile file per
 * tunnel, `DIRECTORY/tunnels/NAME.json`, mode 0600 in a 0700 folder. A file
 * holds the tunnel as profile JSON; a token given by value is written into
 * it, one from a variable or a file only as that reference.
 */
struct _IotDBusStore {
	GObject parent_instance;
	gchar *directory;
	gchar *tunnels_directory;
};

G_DEFINE_FINAL_TYPE(IotDBusStore, iot_dbus_store, G_TYPE_OBJECT)

static gchar *
iot_dbus_store_path(IotDBusStore *self, const gchar *name)
{
	g_autofree gchar *file = g_strconcat(name, ".json", NULL);
	return g_build_filename(self->tunnels_directory, file, NULL);
}

/**
 * iot_dbus_store_save:
 * @self: a store
 * @tunnel: a tunnel's profile
 * @error: (nullable): return location for an error
 *
 * Writes the tunnel, replacing the file of a tunnel of the same name.
 *
 * Returns: %TRUE when the file is written
 */
gboolean
iot_dbus_store_save(IotDBusStore *self, IotProfileTunnel *tunnel, GError **error)
{
	g_autoptr(JsonObject) root = json_object_new();
	g_autoptr(JsonArray) tunnels = json_array_new();
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(IotDBusSecret) text = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *path = iot_dbus_store_path(self, iot_profile_tunnel_get_name(tunnel));

	if (g_mkdir_with_parents(self->tunnels_directory, 0700) != 0) {
		gint errsv = errno;
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_STORAGE_FAILED,
			    _("The state folder %s cannot be made (%s); check its permissions."),
			    self->tunnels_directory,
			    g_strerror(errsv));
		return FALSE;
	}
	json_array_add_element(tunnels, iot_profile_tunnel_to_json(tunnel, TRUE));
	json_object_set_array_member(root, "tunnels", g_steal_pointer(&tunnels));
	node = json_node_init_object(json_node_alloc(), root);
	json_generator_set_root(generator, node);
	json_generator_set_pretty(generator, TRUE);
	text = json_generator_to_data(generator, NULL);
	if (!g_file_set_contents_full(path,
				      text,
				      -1,
				      G_FILE_SET_CONTENTS_CONSISTENT,
				      0600,
				      &error_local)) {
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_STORAGE_FAILED,
			    _("The tunnel cannot be written to the state folder (%s); check its "
			      "permissions and free space."),
			    error_local->message);
		return FALSE;
	}
	iot_tunnel_debug(iot_profile_tunnel_get_name(tunnel), 0, 0, "written to %s", path);
	return TRUE;
}

/**
 * iot_dbus_store_delete:
 * @self: a store
 * @name: a tunnel name
 *
 * Deletes the file of that tunnel, if there is one.
 */
void
iot_dbus_store_delete(IotDBusStore *self, const gchar *name)
{
	g_autofree gchar *path = iot_dbus_store_path(self, name);
	if (g_unlink(path) != 0 && errno != ENOENT) {
		gint errsv = errno;
		g_warning("cannot delete %s: %s", path, g_strerror(errsv));
	}
}

static gint
iot_dbus_store_compare(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/**
 * iot_dbus_store_load:
 * @self: a store
 *
 * Reads every tunnel file, in name order; a file that cannot be read or is
 * not a valid profile is logged and left alone.
 *
 * Returns: (transfer container) (element-type IotProfile): the profiles read
 */
GPtrArray *
iot_dbus_store_load(IotDBusStore *self)
{
	g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *name;

	dir = g_dir_open(self->tunnels_directory, 0, &error);
	if (dir == NULL) {
		if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("cannot read the state folder: %s", error->message);
		return g_steal_pointer(&profiles);
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".json"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, iot_dbus_store_compare);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *path =
		    g_build_filename(self->tunnels_directory, g_ptr_array_index(names, i), NULL);
		g_autoptr(GError) error_local = NULL;
		IotProfile *profile = iot_profile_new_from_file(path, &error_local);
		if (profile == NULL) {
			g_warning("%s", error_local->message);
			continue;
		}
		g_ptr_array_add(profiles, profile);
	}
	return g_steal_pointer(&profiles);
}

const gchar *
iot_dbus_store_get_directory(IotDBusStore *self)
{
	return self->directory;
}

IotDBusStore *
iot_dbus_store_new(const gchar *directory)
{
	IotDBusStore *self = g_object_new(IOT_TYPE_DBUS_STORE, NULL);
	self->directory = g_strdup(directory);
	self->tunnels_directory = g_build_filename(directory, "tunnels", NULL);
	return self;
}

static void
iot_dbus_store_finalize(GObject *object)
{
	IotDBusStore *self = IOT_DBUS_STORE(object);
	g_free(self->directory);
	g_free(self->tunnels_directory);
	G_OBJECT_CLASS(iot_dbus_store_parent_class)->finalize(object);
}

static void
iot_dbus_store_class_init(IotDBusStoreClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_dbus_store_finalize;
}

static void
iot_dbus_store_init(IotDBusStore *self)
{
}
