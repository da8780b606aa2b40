/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-plugin-registry.h"

#include <glib/gi18n.h>
#include <gmodule.h>

#include "iot-plugin-settings.h"

/* one loaded module; the module stays resident, so @info stays valid */
typedef struct {
	const IotPluginInfo *info;
	gchar *path;
	JsonNode *schema; /* parsed settings_schema, NULL when it has none */
} IotPluginEntry;

/* a plugin whose declaration was read but which was refused all the same */
typedef struct {
	IotPluginKind kind;
	gchar *name;
	gchar *reason; /* "could not start: ..." */
} IotPluginRefusal;

struct _IotPluginRegistry {
	GObject parent_instance;
	GPtrArray *entries;  /* of IotPluginEntry, in load order */
	GPtrArray *failures; /* of GError, one per module that was refused */
	GPtrArray *refusals; /* of IotPluginRefusal, those of the failures with a name */
};

G_DEFINE_FINAL_TYPE(IotPluginRegistry, iot_plugin_registry, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-plugin-error-quark, iot_plugin_error);

static void
iot_plugin_entry_free(IotPluginEntry *entry)
{
	g_free(entry->path);
	if (entry->schema != NULL)
		json_node_unref(entry->schema);
	g_free(entry);
}

static void
iot_plugin_refusal_free(IotPluginRefusal *refusal)
{
	g_free(refusal->name);
	g_free(refusal->reason);
	g_free(refusal);
}

/* remembers why a plugin with a readable name was refused, for the profile that names it */
static void
iot_plugin_registry_refuse(IotPluginRegistry *self,
			   const IotPluginInfo *info,
			   const gchar *path,
			   gint code,
			   const gchar *reason,
			   GError **error)
{
	IotPluginRefusal *refusal = g_new0(IotPluginRefusal, 1);
	refusal->kind = info->kind;
	refusal->name = g_strdup(info->name);
	refusal->reason = g_strdup(reason);
	g_ptr_array_add(self->refusals, refusal);
	g_set_error(error,
		    IOT_PLUGIN_ERROR,
		    code,
		    /* TRANSLATORS: "/usr/lib/iotunnel-1/libvsock.so (endpoint plugin \"vsock\")
		       could not start: no /dev/vsock on this system." */
		    _("%s (%s plugin \"%s\") %s."),
		    path,
		    iot_plugin_kind_to_string(info->kind),
		    info->name,
		    reason);
}

static IotPluginRefusal *
iot_plugin_registry_find_refusal(IotPluginRegistry *self, IotPluginKind kind, const gchar *name)
{
	for (guint i = 0; i < self->refusals->len; i++) {
		IotPluginRefusal *refusal = g_ptr_array_index(self->refusals, i);
		if (refusal->kind == kind && g_strcmp0(refusal->name, name) == 0)
			return refusal;
	}
	return NULL;
}

static GType
iot_plugin_kind_interface(IotPluginKind kind)
{
	switch (kind) {
	case IOT_PLUGIN_KIND_TRANSPORT:
		return IOT_TYPE_TRANSPORT;
	case IOT_PLUGIN_KIND_CODEC:
		return IOT_TYPE_CODEC;
	case IOT_PLUGIN_KIND_ENDPOINT:
		return IOT_TYPE_ENDPOINT;
	default:
		return G_TYPE_INVALID;
	}
}

static IotPluginEntry *
iot_plugin_registry_find(IotPluginRegistry *self, IotPluginKind kind, const gchar *name)
{
	for (guint i = 0; i < self->entries->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(self->entries, i);
		if (entry->info->kind == kind && g_strcmp0(entry->info->name, name) == 0)
			return entry;
	}
	return NULL;
}

static gboolean
iot_plugin_info_check(const IotPluginInfo *info, const gchar *path, GError **error)
{
	if (info->abi_version != IOT_PLUGIN_ABI_VERSION) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_ABI,
			    _("%s was built for plugin ABI %u, but this iotunneld needs ABI %u; "
			      "rebuild it against iotunnel-1 %s."),
			    path,
			    info->abi_version,
			    (guint)IOT_PLUGIN_ABI_VERSION,
			    PACKAGE_VERSION);
		return FALSE;
	}
	if (iot_plugin_kind_interface(info->kind) == G_TYPE_INVALID) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    _("%s declares plugin kind %d, which is not transport, protocol or "
			      "endpoint."),
			    path,
			    (gint)info->kind);
		return FALSE;
	}
	if (info->name == NULL || info->name[0] == '\0' || info->get_type == NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    _("%s declares no name or no type; a plugin must set both."),
			    path);
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_plugin_registry_load_module:
 * @self: a registry
 * @path: a plugin module file
 * @error: (nullable): return location for an error in %IOT_PLUGIN_ERROR
 *
 * Opens @path, checks its declaration (ABI first) and its settings schema,
 * runs its init hook and registers it by kind and name. The module stays
 * loaded for the life of the process, even when its init hook fails, since
 * the hook may have registered types.
 *
 * Returns: %TRUE when the plugin was registered
 */
gboolean
iot_plugin_registry_load_module(IotPluginRegistry *self, const gchar *path, GError **error)
{
	GModule *module;
	gpointer symbol = NULL;
	const IotPluginInfo *info;
	IotPluginEntry *existing;
	IotPluginEntry *entry;
	g_autoptr(JsonNode) schema = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), FALSE);
	g_return_val_if_fail(path != NULL, FALSE);

	module = g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (module == NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_LOAD,
			    _("%s cannot be loaded: %s."),
			    path,
			    g_module_error());
		return FALSE;
	}
	if (!g_module_symbol(module, IOT_PLUGIN_QUERY_SYMBOL, &symbol) || symbol == NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_LOAD,
			    _("%s is not an iotunnel plugin: it does not export %s()."),
			    path,
			    IOT_PLUGIN_QUERY_SYMBOL);
		g_module_close(module);
		return FALSE;
	}
	info = ((IotPluginQueryFunc)symbol)();
	if (info == NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    _("%s returned no plugin declaration."),
			    path);
		g_module_close(module);
		return FALSE;
	}
	if (!iot_plugin_info_check(info, path, error)) {
		g_module_close(module);
		return FALSE;
	}
	existing = iot_plugin_registry_find(self, info->kind, info->name);
	if (existing != NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_DUPLICATE,
			    _("%s is a second %s plugin named \"%s\"; the one in %s is used."),
			    path,
			    iot_plugin_kind_to_string(info->kind),
			    info->name,
			    existing->path);
		g_module_close(module);
		return FALSE;
	}
	if (info->settings_schema != NULL) {
		g_autoptr(GError) error_schema = NULL;
		schema = iot_plugin_settings_parse_schema(info->settings_schema, &error_schema);
		if (schema == NULL) {
			g_autofree gchar *reason = g_strdup_printf(
			    _("declares a settings schema iotunneld cannot use: %s"),
			    error_schema->message);
			iot_plugin_registry_refuse(self,
						   info,
						   path,
						   IOT_PLUGIN_ERROR_INVALID,
						   reason,
						   error);
			g_module_close(module);
			return FALSE;
		}
	}

	/* GTypes registered by the module must never be unloaded */
	g_module_make_resident(module);
	if (info->init != NULL) {
		g_autoptr(GError) error_init = NULL;
		if (!info->init(&error_init)) {
			g_autofree gchar *reason = g_strdup_printf(
			    _("could not start: %s"),
			    error_init != NULL ? error_init->message : _("no reason given"));
			iot_plugin_registry_refuse(self,
						   info,
						   path,
						   IOT_PLUGIN_ERROR_INIT,
						   reason,
						   error);
			g_module_close(module);
			return FALSE;
		}
	}
	entry = g_new0(IotPluginEntry, 1);
	entry->info = info;
	entry->path = g_strdup(path);
	entry->schema = g_steal_pointer(&schema);
	g_ptr_array_add(self->entries, entry);
	g_debug("loaded %s plugin %s %s from %s",
		iot_plugin_kind_to_string(info->kind),
		info->name,
		info->version != NULL ? info->version : "",
		path);
	return TRUE;
}

static gint
iot_plugin_registry_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar **)a, *(const gchar **)b);
}

/**
 * iot_plugin_registry_load_directory:
 * @self: a registry
 * @path: a folder of plugin modules
 *
 * Loads every `*.so` in @path, in name order. A module that cannot be
 * registered is logged as a warning and kept in the failures list.
 *
 * Returns: how many plugins were registered
 */
guint
iot_plugin_registry_load_directory(IotPluginRegistry *self, const gchar *path)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error_local = NULL;
	const gchar *name;
	guint loaded = 0;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), 0);

	dir = g_dir_open(path, 0, &error_local);
	if (dir == NULL) {
		g_debug("no plugins in %s: %s", path, error_local->message);
		return 0;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, "." G_MODULE_SUFFIX))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, iot_plugin_registry_compare_names);
	for (guint i = 0; i < names->len; i++) {
		g_autofree gchar *filename =
		    g_build_filename(path, g_ptr_array_index(names, i), NULL);
		g_autoptr(GError) error_module = NULL;
		if (iot_plugin_registry_load_module(self, filename, &error_module)) {
			loaded++;
			continue;
		}
		g_warning("%s", error_module->message);
		g_ptr_array_add(self->failures, g_steal_pointer(&error_module));
	}
	return loaded;
}

/**
 * iot_plugin_registry_dup_search_path:
 *
 * Returns: (transfer full): the folders plugins are loaded from, in order:
 * those of `IOTUNNEL_PLUGIN_PATH` (colon-separated), then the installed one
 */
GStrv
iot_plugin_registry_dup_search_path(void)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	const gchar *env = g_getenv("IOTUNNEL_PLUGIN_PATH");

	if (env != NULL) {
		g_auto(GStrv) dirs = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; dirs[i] != NULL; i++) {
			if (dirs[i][0] != '\0')
				g_strv_builder_add(builder, dirs[i]);
		}
	}
	g_strv_builder_add(builder, IOT_PLUGINDIR);
	return g_strv_builder_end(builder);
}

/**
 * iot_plugin_registry_load_default:
 * @self: a registry
 *
 * Loads the folders of iot_plugin_registry_dup_search_path() in order, so
 * an uninstalled plugin overrides an installed one of the same name.
 *
 * Returns: how many plugins were registered
 */
guint
iot_plugin_registry_load_default(IotPluginRegistry *self)
{
	g_auto(GStrv) dirs = iot_plugin_registry_dup_search_path();
	guint loaded = 0;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), 0);

	for (guint i = 0; dirs[i] != NULL; i++)
		loaded += iot_plugin_registry_load_directory(self, dirs[i]);
	return loaded;
}

static gchar *
iot_plugin_registry_list_names(IotPluginRegistry *self, IotPluginKind kind)
{
	g_autoptr(GString) names = g_string_new(NULL);
	for (guint i = 0; i < self->entries->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(self->entries, i);
		if (entry->info->kind != kind)
			continue;
		if (names->len > 0)
			g_string_append(names, ", ");
		g_string_append(names, entry->info->name);
	}
	return g_string_free(g_steal_pointer(&names), FALSE);
}

/**
 * iot_plugin_registry_lookup:
 * @self: a registry
 * @kind: the plugin kind
 * @name: the plugin name
 * @error: (nullable): return location for an error in %IOT_PLUGIN_ERROR
 *
 * Returns: (transfer none): the plugin's declaration, or %NULL with @error set
 */
const IotPluginInfo *
iot_plugin_registry_lookup(IotPluginRegistry *self,
			   IotPluginKind kind,
			   const gchar *name,
			   GError **error)
{
	IotPluginEntry *entry;
	IotPluginRefusal *refusal;
	g_autofree gchar *names = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	entry = iot_plugin_registry_find(self, kind, name);
	if (entry != NULL)
		return entry->info;
	refusal = iot_plugin_registry_find_refusal(self, kind, name);
	if (refusal != NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_NOT_FOUND,
			    _("The %s plugin \"%s\" %s."),
			    iot_plugin_kind_to_string(kind),
			    name,
			    refusal->reason);
		return NULL;
	}
	names = iot_plugin_registry_list_names(self, kind);
	g_set_error(error,
		    IOT_PLUGIN_ERROR,
		    IOT_PLUGIN_ERROR_NOT_FOUND,
		    _("There is no %s plugin named \"%s\" (loaded: %s); install it or set "
		      "IOTUNNEL_PLUGIN_PATH to its folder."),
		    iot_plugin_kind_to_string(kind),
		    name,
		    names[0] != '\0' ? names : _("none"));
	return NULL;
}

/**
 * iot_plugin_registry_lookup_at:
 * @self: a registry
 * @kind: the plugin kind
 * @name: the plugin name, as a profile gives it
 * @origin: the profile's origin, for messages
 * @path: the JSON path of the member that names the plugin, for messages
 * @error: (nullable): return location for an error in %IOT_PLUGIN_ERROR
 *
 * As iot_plugin_registry_lookup(), with a message that points into the
 * profile: `site.json: $.tunnels[0].services.SSH1.endpoint names the endpoint
 * plugin "serial", which is not loaded (loaded: tcp, unix); ...`.
 *
 * Returns: (transfer none): the plugin's declaration, or %NULL with @error set
 */
const IotPluginInfo *
iot_plugin_registry_lookup_at(IotPluginRegistry *self,
			      IotPluginKind kind,
			      const gchar *name,
			      const gchar *origin,
			      const gchar *path,
			      GError **error)
{
	IotPluginEntry *entry;
	IotPluginRefusal *refusal;
	g_autofree gchar *names = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	entry = iot_plugin_registry_find(self, kind, name);
	if (entry != NULL)
		return entry->info;
	refusal = iot_plugin_registry_find_refusal(self, kind, name);
	if (refusal != NULL) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_NOT_FOUND,
			    /* TRANSLATORS: "site.json: $.tunnels[0].services.S.endpoint names the
			       endpoint plugin \"vsock\", which could not start: no /dev/vsock." */
			    _("%s: %s names the %s plugin \"%s\", which %s."),
			    origin,
			    path,
			    iot_plugin_kind_to_string(kind),
			    name,
			    refusal->reason);
		return NULL;
	}
	names = iot_plugin_registry_list_names(self, kind);
	g_set_error(error,
		    IOT_PLUGIN_ERROR,
		    IOT_PLUGIN_ERROR_NOT_FOUND,
		    _("%s: %s names the %s plugin \"%s\", which is not loaded (loaded: %s); "
		      "install it or set IOTUNNEL_PLUGIN_PATH to its folder."),
		    origin,
		    path,
		    iot_plugin_kind_to_string(kind),
		    name,
		    names[0] != '\0' ? names : _("none"));
	return NULL;
}

/**
 * iot_plugin_registry_create:
 * @self: a registry
 * @kind: the plugin kind
 * @name: the plugin name
 * @error: (nullable): return location for an error in %IOT_PLUGIN_ERROR
 *
 * Returns: (transfer full): a new instance of the plugin's type, which
 *   implements the interface of @kind, or %NULL with @error set
 */
GObject *
iot_plugin_registry_create(IotPluginRegistry *self,
			   IotPluginKind kind,
			   const gchar *name,
			   GError **error)
{
	const IotPluginInfo *info = iot_plugin_registry_lookup(self, kind, name, error);
	GType type;

	if (info == NULL)
		return NULL;
	type = info->get_type();
	if (!g_type_is_a(type, iot_plugin_kind_interface(kind)) || G_TYPE_IS_ABSTRACT(type)) {
		g_set_error(error,
			    IOT_PLUGIN_ERROR,
			    IOT_PLUGIN_ERROR_INVALID,
			    _("%s plugin \"%s\" gives type %s, which does not implement %s."),
			    iot_plugin_kind_to_string(kind),
			    name,
			    g_type_name(type),
			    g_type_name(iot_plugin_kind_interface(kind)));
		return NULL;
	}
	return g_object_new(type, NULL);
}

/**
 * iot_plugin_registry_get_path:
 * @self: a registry
 * @info: a declaration returned by the registry
 *
 * Returns: (nullable): the file the plugin was loaded from
 */
const gchar *
iot_plugin_registry_get_path(IotPluginRegistry *self, const IotPluginInfo *info)
{
	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);
	for (guint i = 0; i < self->entries->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(self->entries, i);
		if (entry->info == info)
			return entry->path;
	}
	return NULL;
}

/**
 * iot_plugin_registry_get_schema:
 * @self: a registry
 * @info: a declaration returned by the registry
 *
 * Returns: (transfer none) (nullable): the plugin's settings schema, parsed
 *   and checked when it was loaded; %NULL when it declares none
 */
JsonNode *
iot_plugin_registry_get_schema(IotPluginRegistry *self, const IotPluginInfo *info)
{
	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);
	for (guint i = 0; i < self->entries->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(self->entries, i);
		if (entry->info == info)
			return entry->schema;
	}
	return NULL;
}

static gint
iot_plugin_registry_compare_entries(gconstpointer a, gconstpointer b)
{
	const IotPluginEntry *entry_a = *(const IotPluginEntry *const *)a;
	const IotPluginEntry *entry_b = *(const IotPluginEntry *const *)b;
	if (entry_a->info->kind != entry_b->info->kind)
		return (gint)entry_a->info->kind - (gint)entry_b->info->kind;
	return g_strcmp0(entry_a->info->name, entry_b->info->name);
}

/**
 * iot_plugin_registry_describe:
 * @self: a registry
 *
 * What `iotunneld --list-plugins` prints: each plugin, by kind then name,
 * with its version, ABI, description, file and settings; then each module
 * that was refused, and why.
 *
 * Returns: (transfer full): the text, one line per fact
 */
gchar *
iot_plugin_registry_describe(IotPluginRegistry *self)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GPtrArray) sorted = NULL;

	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);

	/* a copy would free the entries with the array: it takes their free func */
	sorted = g_ptr_array_new();
	g_ptr_array_extend(sorted, self->entries, NULL, NULL);
	g_ptr_array_sort(sorted, iot_plugin_registry_compare_entries);
	for (guint i = 0; i < sorted->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(sorted, i);
		const IotPluginInfo *info = entry->info;
		if (i > 0)
			g_string_append_c(out, '\n');
		/* TRANSLATORS: "endpoint tcp 0.1.0, plugin ABI 1" */
		g_string_append_printf(out,
				       _("%s %s %s, plugin ABI %u\n"),
				       iot_plugin_kind_to_string(info->kind),
				       info->name,
				       info->version != NULL ? info->version : "",
				       info->abi_version);
		if (info->description != NULL)
			g_string_append_printf(out, "  %s\n", info->description);
		g_string_append_printf(out, _("  file: %s\n"), entry->path);
		if (entry->schema == NULL) {
			g_string_append(out, _("  settings: not declared\n"));
			continue;
		}
		g_string_append(out, _("  settings:\n"));
		iot_plugin_settings_describe_members(
		    entry->schema,
		    info->kind == IOT_PLUGIN_KIND_TRANSPORT ? "type" : "endpoint",
		    "    ",
		    out);
	}
	for (guint i = 0; i < self->failures->len; i++) {
		const GError *error = g_ptr_array_index(self->failures, i);
		if (i == 0 && out->len > 0)
			g_string_append_c(out, '\n');
		g_string_append_printf(out, _("refused: %s\n"), error->message);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/**
 * iot_plugin_registry_get_plugins:
 * @self: a registry
 *
 * Returns: (transfer container) (element-type IotPluginInfo): every
 *   registered plugin, in load order
 */
GPtrArray *
iot_plugin_registry_get_plugins(IotPluginRegistry *self)
{
	GPtrArray *plugins = g_ptr_array_new();
	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), plugins);
	for (guint i = 0; i < self->entries->len; i++) {
		IotPluginEntry *entry = g_ptr_array_index(self->entries, i);
		g_ptr_array_add(plugins, (gpointer)entry->info);
	}
	return plugins;
}

/**
 * iot_plugin_registry_get_failures:
 * @self: a registry
 *
 * Returns: (transfer none) (element-type GError): why modules were refused
 */
GPtrArray *
iot_plugin_registry_get_failures(IotPluginRegistry *self)
{
	g_return_val_if_fail(IOT_IS_PLUGIN_REGISTRY(self), NULL);
	return self->failures;
}

static void
iot_plugin_registry_finalize(GObject *object)
{
	IotPluginRegistry *self = IOT_PLUGIN_REGISTRY(object);
	g_ptr_array_unref(self->entries);
	g_ptr_array_unref(self->failures);
	g_ptr_array_unref(self->refusals);
	G_OBJECT_CLASS(iot_plugin_registry_parent_class)->finalize(object);
}

static void
iot_plugin_registry_class_init(IotPluginRegistryClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_plugin_registry_finalize;
}

static void
iot_plugin_registry_init(IotPluginRegistry *self)
{
	self->entries = g_ptr_array_new_with_free_func((GDestroyNotify)iot_plugin_entry_free);
	self->failures = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
	self->refusals = g_ptr_array_new_with_free_func((GDestroyNotify)iot_plugin_refusal_free);
}

/**
 * iot_plugin_registry_new:
 *
 * Returns: (transfer full): an empty registry
 */
IotPluginRegistry *
iot_plugin_registry_new(void)
{
	return g_object_new(IOT_TYPE_PLUGIN_REGISTRY, NULL);
}
