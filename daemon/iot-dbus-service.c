/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* org.iotunnel.Manager1 and the tunnels on the bus: the calls, their checks, their answers. */

#include "config.h"

#include "iot-dbus-service.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <string.h>

#include "iot-dbus-common.h"
#include "iot-dbus-generated.h"
#include "iot-dbus-tunnel.h"

/**
 * IotDBusService:
 *
 * The daemon on the bus: org.iotunnel.Manager1 and an object manager at
 * /org/iotunnel, an #IotDBusTunnel for each tunnel of the #IotDaemon, and the
 * tunnels kept in an #IotDBusStore.
 */
struct _IotDBusService {
	GObject parent_instance;
	IotDaemon *daemon;
	IotDBusStore *store;
	GDBusConnection *connection;
	GDBusObjectManagerServer *manager;
	IotDBusManager1 *manager1;
	GHashTable *tunnels; /* IotTunnel -> IotDBusTunnel */
	GPtrArray *calls;    /* of IotDBusCall, unowned: each removes itself */
};

G_DEFINE_FINAL_TYPE(IotDBusService, iot_dbus_service, G_TYPE_OBJECT)

typedef enum {
	IOT_DBUS_CALL_ADD_TUNNEL, /* one tunnel, one path back */
	IOT_DBUS_CALL_ADD_PROFILE,
	IOT_DBUS_CALL_LOAD_PROFILE,
} IotDBusCallKind;

/* an AddTunnel, AddProfile or LoadProfile that may wait for token fds */
typedef struct {
	IotDBusService *self;
	GDBusMethodInvocation *invocation; /* NULL once answered */
	IotDBusCallKind kind;
	gchar *origin; /* what messages name as the profile's source */
	IotProfile *profile;
	gboolean persist;
	gboolean start;
	IotDBusSecret *tokens[2];
	gint fds[2];
	guint reads_pending;
	GError *read_error;
	GCancellable *cancellable;
	guint watch_id;
} IotDBusCall;

/* the tokens an Add call may carry, in the order of IotDBusCall.tokens */
static const gchar *const iot_dbus_token_keys[] = {"access_token", "client_token"};
static const gchar *const iot_dbus_token_options[] = {"access-token", "client-token"};
static const gchar *const iot_dbus_token_fd_options[] = {"access-token-fd", "client-token-fd"};

static void
iot_dbus_call_free(IotDBusCall *call)
{
	g_ptr_array_remove_fast(call->self->calls, call);
	if (call->watch_id != 0)
		g_bus_unwatch_name(call->watch_id);
	for (guint i = 0; i < G_N_ELEMENTS(call->tokens); i++) {
		iot_dbus_secret_free(call->tokens[i]);
		if (call->fds[i] >= 0)
			close(call->fds[i]);
	}
	g_clear_error(&call->read_error);
	g_clear_object(&call->cancellable);
	g_clear_object(&call->profile);
	g_clear_object(&call->invocation);
	g_free(call->origin);
	g_object_unref(call->self);
	g_free(call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotDBusCall, iot_dbus_call_free)

static IotDBusCall *
iot_dbus_call_new(IotDBusService *self, GDBusMethodInvocation *invocation, IotDBusCallKind kind)
{
	IotDBusCall *call = g_new0(IotDBusCall, 1);
	call->self = g_object_ref(self);
	call->invocation = invocation; /* the handler's reference, which an answer uses up */
	call->kind = kind;
	call->fds[0] = -1;
	call->fds[1] = -1;
	call->cancellable = g_cancellable_new();
	g_ptr_array_add(self->calls, call);
	return call;
}

static void
iot_dbus_call_return_error(IotDBusCall *call, const GError *error)
{
	g_dbus_method_invocation_take_error(g_steal_pointer(&call->invocation),
					    iot_dbus_error_from(error));
}

static gboolean
iot_dbus_option_check_type(const gchar *key,
			   GVariant *value,
			   const GVariantType *type,
			   const gchar *what,
			   GError **error)
{
	if (g_variant_is_of_type(value, type))
		return TRUE;
	g_set_error(error,
		    IOT_DBUS_ERROR,
		    IOT_DBUS_ERROR_INVALID_ARGS,
		    _("The option %s takes %s, not a value of type %s."),
		    key,
		    what,
		    g_variant_get_type_string(value));
	return FALSE;
}

static gint
iot_dbus_token_index(const gchar *const *keys, const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(iot_dbus_token_keys); i++) {
		if (g_strcmp0(keys[i], key) == 0)
			return (gint)i;
	}
	return -1;
}

static gboolean
iot_dbus_call_parse_options(IotDBusCall *call,
			    GVariant *options,
			    GUnixFDList *fd_list,
			    GError **error)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *value_raw;

	g_variant_iter_init(&iter, options);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value_raw)) {
		g_autoptr(GVariant) value = value_raw;
		gint token = iot_dbus_token_index(iot_dbus_token_options, key);
		gint token_fd = iot_dbus_token_index(iot_dbus_token_fd_options, key);

		if (g_strcmp0(key, "origin") == 0) {
			if (!iot_dbus_option_check_type(key,
							value,
							G_VARIANT_TYPE_STRING,
							_("a string"),
							error))
				return FALSE;
			g_free(call->origin);
			call->origin = g_variant_dup_string(value, NULL);
			continue;
		}
		if (g_strcmp0(key, "persist") == 0 || g_strcmp0(key, "start") == 0) {
			if (!iot_dbus_option_check_type(key,
							value,
							G_VARIANT_TYPE_BOOLEAN,
							_("a boolean"),
							error))
				return FALSE;
			if (key[0] == 'p')
				call->persist = g_variant_get_boolean(value);
			else
				call->start = g_variant_get_boolean(value);
			continue;
		}
		if (token >= 0) {
			if (!iot_dbus_option_check_type(key,
							value,
							G_VARIANT_TYPE_STRING,
							_("a string"),
							error))
				return FALSE;
			iot_dbus_secret_free(call->tokens[token]);
			call->tokens[token] = g_variant_dup_string(value, NULL);
			continue;
		}
		if (token_fd >= 0) {
			gint32 index;
			if (!iot_dbus_option_check_type(key,
							value,
							G_VARIANT_TYPE_HANDLE,
							_("a file descriptor"),
							error))
				return FALSE;
			index = g_variant_get_handle(value);
			if (fd_list == NULL || index < 0 ||
			    index >= g_unix_fd_list_get_length(fd_list)) {
				g_set_error(error,
					    IOT_DBUS_ERROR,
					    IOT_DBUS_ERROR_INVALID_ARGS,
					    _("The option %s names file descriptor %d, which did "
					      "not come with the call; attach it to the message."),
					    key,
					    (gint)index);
				return FALSE;
			}
			if (call->fds[token_fd] >= 0)
				close(call->fds[token_fd]);
			call->fds[token_fd] = g_unix_fd_list_get(fd_list, index, error);
			if (call->fds[token_fd] < 0)
				return FALSE;
			continue;
		}
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_ARGS,
			    _("The option %s is unknown; use persist, start, origin, "
			      "access-token, access-token-fd, client-token or client-token-fd."),
			    key);
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(call->tokens); i++) {
		if (call->tokens[i] != NULL && call->fds[i] >= 0) {
			g_set_error(error,
				    IOT_DBUS_ERROR,
				    IOT_DBUS_ERROR_INVALID_ARGS,
				    _("The options %s and %s both give the token; keep one."),
				    iot_dbus_token_options[i],
				    iot_dbus_token_fd_options[i]);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
iot_dbus_call_has_tokens(IotDBusCall *call)
{
	for (guint i = 0; i < G_N_ELEMENTS(call->tokens); i++) {
		if (call->tokens[i] != NULL || call->fds[i] >= 0)
			return TRUE;
	}
	return FALSE;
}

/* checks what the options ask of the profile they came with */
static gboolean
iot_dbus_call_check_profile(IotDBusCall *call, GError **error)
{
	guint n_tunnels = iot_profile_get_tunnels(call->profile)->len;

	if (call->kind == IOT_DBUS_CALL_ADD_TUNNEL && n_tunnels != 1) {
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_ARGS,
			    _("AddTunnel takes a profile of one tunnel, and this one holds %u; "
			      "use AddProfile."),
			    n_tunnels);
		return FALSE;
	}
	if (n_tunnels != 1 && iot_dbus_call_has_tokens(call)) {
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_ARGS,
			    _("Token options apply to a profile of one tunnel, and this one holds "
			      "%u; give each tunnel its token in the profile, or add them one by "
			      "one."),
			    n_tunnels);
		return FALSE;
	}
	return TRUE;
}

/* the profile with the tokens of the options in place of its own */
static IotProfile *
iot_dbus_call_apply_tokens(IotDBusCall *call, GError **error)
{
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) error_local = NULL;
	IotProfile *profile;
	JsonObject *tunnel;

	if (call->tokens[0] == NULL && call->tokens[1] == NULL)
		return g_object_ref(call->profile);
	root = iot_profile_to_json(call->profile, TRUE);
	tunnel = json_array_get_object_element(
	    json_object_get_array_member(json_node_get_object(root), "tunnels"),
	    0);
	for (guint i = 0; i < G_N_ELEMENTS(call->tokens); i++) {
		JsonObject *source;
		if (call->tokens[i] == NULL)
			continue;
		source = json_object_new();
		json_object_set_string_member(source, "value", call->tokens[i]);
		json_object_set_object_member(tunnel, iot_dbus_token_keys[i], source);
	}
	/* the profile was valid before: what is wrong now is a token */
	profile = iot_profile_new_from_json_node(root, call->origin, &error_local);
	if (profile == NULL) {
		g_set_error_literal(error,
				    IOT_DBUS_ERROR,
				    IOT_DBUS_ERROR_INVALID_TOKEN,
				    error_local->message);
		return NULL;
	}
	return profile;
}

static IotDBusTunnel *
iot_dbus_service_lookup(IotDBusService *self, const gchar *name)
{
	IotTunnel *tunnel = iot_daemon_find_tunnel(self->daemon, name);
	return tunnel != NULL ? g_hash_table_lookup(self->tunnels, tunnel) : NULL;
}

static void
iot_dbus_call_complete(IotDBusCall *call)
{
	IotDBusService *self = call->self;
	GPtrArray *profile_tunnels;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GPtrArray) paths = g_ptr_array_new();
	const gchar *sender = g_dbus_method_invocation_get_sender(call->invocation);

	profile = iot_dbus_call_apply_tokens(call, &error);
	if (profile == NULL) {
		iot_dbus_call_return_error(call, error);
		return;
	}
	if (!iot_daemon_add_profile(self->daemon, profile, &error)) {
		iot_dbus_call_return_error(call, error);
		return;
	}
	profile_tunnels = iot_profile_get_tunnels(profile);
	for (guint i = 0; i < profile_tunnels->len; i++) {
		IotProfileTunnel *profile_tunnel = g_ptr_array_index(profile_tunnels, i);
		IotDBusTunnel *tunnel =
		    iot_dbus_service_lookup(self, iot_profile_tunnel_get_name(profile_tunnel));
		g_ptr_array_add(added, g_object_ref(tunnel));
		g_ptr_array_add(paths, (gpointer)iot_dbus_tunnel_get_path(tunnel));
	}
	g_ptr_array_add(paths, NULL);

	/* all or nothing: a tunnel that cannot be kept is not added either */
	for (guint i = 0; call->persist && i < added->len; i++) {
		IotDBusTunnel *tunnel = g_ptr_array_index(added, i);
		IotTunnel *daemon_tunnel = iot_dbus_tunnel_get_tunnel(tunnel);
		if (iot_dbus_store_save(self->store, iot_tunnel_get_profile(daemon_tunnel), &error))
			continue;
		for (guint j = 0; j < added->len; j++) {
			IotDBusTunnel *undo = g_ptr_array_index(added, j);
			IotTunnel *undo_tunnel = iot_dbus_tunnel_get_tunnel(undo);
			if (j < i) {
				iot_dbus_store_delete(self->store,
						      iot_profile_tunnel_get_name(
							  iot_tunnel_get_profile(undo_tunnel)));
			}
			iot_daemon_remove_tunnel(self->daemon, undo_tunnel);
		}
		iot_dbus_call_return_error(call, error);
		return;
	}
	for (guint i = 0; i < added->len; i++) {
		IotDBusTunnel *tunnel = g_ptr_array_index(added, i);
		IotTunnel *daemon_tunnel = iot_dbus_tunnel_get_tunnel(tunnel);
		iot_dbus_tunnel_set_persistent(tunnel, call->persist);
		iot_tunnel_message(
		    iot_profile_tunnel_get_name(iot_tunnel_get_profile(daemon_tunnel)),
		    0,
		    0,
		    "added by %s%s",
		    sender,
		    call->persist ? ", kept in the state folder" : "");
		if (call->start)
			iot_tunnel_start(daemon_tunnel);
	}
	if (call->kind == IOT_DBUS_CALL_ADD_TUNNEL) {
		iot_dbus_manager1_complete_add_tunnel(self->manager1,
						      g_steal_pointer(&call->invocation),
						      NULL,
						      g_ptr_array_index(paths, 0));
		return;
	}
	if (call->kind == IOT_DBUS_CALL_LOAD_PROFILE) {
		iot_dbus_manager1_complete_load_profile(self->manager1,
							g_steal_pointer(&call->invocation),
							NULL,
							(const gchar *const *)paths->pdata);
		return;
	}
	iot_dbus_manager1_complete_add_profile(self->manager1,
					       g_steal_pointer(&call->invocation),
					       NULL,
					       (const gchar *const *)paths->pdata);
}

static void
iot_dbus_call_caller_vanished_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	IotDBusCall *call = user_data;
	g_message("%s went away before its %s was done; dropping it",
		  name,
		  g_dbus_method_invocation_get_method_name(call->invocation));
	g_cancellable_cancel(call->cancellable);
}

typedef struct {
	IotDBusCall *call;
	guint index;
} IotDBusCallRead;

static void
iot_dbus_call_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autofree IotDBusCallRead *read = user_data;
	IotDBusCall *call = read->call;
	g_autoptr(GError) error = NULL;
	IotDBusSecret *secret = iot_dbus_read_secret_finish(result, &error);

	if (secret == NULL && call->read_error == NULL) {
		g_prefix_error(&error, "%s: ", iot_dbus_token_fd_options[read->index]);
		call->read_error = g_steal_pointer(&error);
		g_cancellable_cancel(call->cancellable);
	}
	call->tokens[read->index] = secret;
	if (--call->reads_pending > 0)
		return;
	if (call->read_error != NULL) {
		if (g_error_matches(call->read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_clear_error(&call->read_error);
			call->read_error = g_error_new(IOT_DBUS_ERROR,
						       IOT_DBUS_ERROR_FAILED,
						       _("The call was cancelled: its caller went "
							 "away or the daemon is stopping."));
		}
		iot_dbus_call_return_error(call, call->read_error);
	} else {
		iot_dbus_call_complete(call);
	}
	iot_dbus_call_free(call);
}

/* takes @call: answers now, or once the token fds are read */
static void
iot_dbus_call_run(IotDBusCall *call)
{
	g_autoptr(IotDBusCall) owned = call;

	for (guint i = 0; i < G_N_ELEMENTS(call->fds); i++) {
		IotDBusCallRead *read;
		if (call->fds[i] < 0)
			continue;
		read = g_new0(IotDBusCallRead, 1);
		read->call = call;
		read->index = i;
		call->reads_pending++;
		iot_dbus_read_secret_async(call->fds[i],
					   call->cancellable,
					   iot_dbus_call_read_cb,
					   read);
		call->fds[i] = -1;
	}
	if (call->reads_pending == 0) {
		iot_dbus_call_complete(call);
		return;
	}
	call->watch_id = g_bus_watch_name_on_connection(
	    g_dbus_method_invocation_get_connection(call->invocation),
	    g_dbus_method_invocation_get_sender(call->invocation),
	    G_BUS_NAME_WATCHER_FLAGS_NONE,
	    NULL,
	    iot_dbus_call_caller_vanished_cb,
	    call,
	    NULL);
	/* the reads own it now */
	owned = NULL;
}

/* reads a profile file without blocking on a FIFO or a device */
static IotProfile *
iot_dbus_service_read_profile(const gchar *path, const gchar *origin, GError **error)
{
	if (!g_path_is_absolute(path)) {
		g_set_error(error,
			    IOT_DBUS_ERROR,
			    IOT_DBUS_ERROR_INVALID_ARGS,
			    _("%s is not an absolute path; give the full path, since the daemon "
			      "does not share your working folder."),
			    path);
		return NULL;
	}
	return iot_profile_new_from_file_full(path, origin, error);
}

/*
 * A profile from the bus: {"tunnels": [...]}, or one tunnel object on its
 * own (it has a "mode" and no "tunnels"), which is read as a profile of that
 * one tunnel. Text that is no JSON object gets the profile reader's message.
 */
static IotProfile *
iot_dbus_service_parse_profile(const gchar *text, const gchar *origin, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *object;
	g_autoptr(JsonNode) wrapped = NULL;
	g_autoptr(JsonObject) profile = NULL;
	JsonArray *tunnels;

	if (!json_parser_load_from_data(parser, text, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
		return iot_profile_new_from_data(text, strlen(text), origin, error);
	object = json_node_get_object(json_parser_get_root(parser));
	if (json_object_has_member(object, "tunnels") || !json_object_has_member(object, "mode"))
		return iot_profile_new_from_json_node(json_parser_get_root(parser), origin, error);
	tunnels = json_array_new();
	json_array_add_object_element(tunnels, json_object_ref(object));
	profile = json_object_new();
	json_object_set_array_member(profile, "tunnels", tunnels);
	wrapped = json_node_init_object(json_node_alloc(), profile);
	return iot_profile_new_from_json_node(wrapped, origin, error);
}

static void
iot_dbus_service_handle_add(IotDBusService *self,
			    GDBusMethodInvocation *invocation,
			    GUnixFDList *fd_list,
			    IotDBusCallKind kind,
			    const gchar *argument,
			    GVariant *options)
{
	g_autoptr(IotDBusCall) call = iot_dbus_call_new(self, invocation, kind);
	g_autoptr(GError) error = NULL;

	if (!iot_dbus_call_parse_options(call, options, fd_list, &error)) {
		iot_dbus_call_return_error(call, error);
		return;
	}
	if (call->origin == NULL)
		call->origin = g_strdup(kind == IOT_DBUS_CALL_LOAD_PROFILE ? argument : "D-Bus");
	if (kind == IOT_DBUS_CALL_LOAD_PROFILE)
		call->profile = iot_dbus_service_read_profile(argument, call->origin, &error);
	else
		call->profile = iot_dbus_service_parse_profile(argument, call->origin, &error);
	if (call->profile == NULL || !iot_dbus_call_check_profile(call, &error)) {
		iot_dbus_call_return_error(call, error);
		return;
	}
	iot_dbus_call_run(g_steal_pointer(&call));
}

static gboolean
iot_dbus_service_handle_add_tunnel_cb(IotDBusManager1 *manager1,
				      GDBusMethodInvocation *invocation,
				      GUnixFDList *fd_list,
				      const gchar *json,
				      GVariant *options,
				      IotDBusService *self)
{
	iot_dbus_service_handle_add(self,
				    invocation,
				    fd_list,
				    IOT_DBUS_CALL_ADD_TUNNEL,
				    json,
				    options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
iot_dbus_service_handle_add_profile_cb(IotDBusManager1 *manager1,
				       GDBusMethodInvocation *invocation,
				       GUnixFDList *fd_list,
				       const gchar *json,
				       GVariant *options,
				       IotDBusService *self)
{
	iot_dbus_service_handle_add(self,
				    invocation,
				    fd_list,
				    IOT_DBUS_CALL_ADD_PROFILE,
				    json,
				    options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
iot_dbus_service_handle_load_profile_cb(IotDBusManager1 *manager1,
					GDBusMethodInvocation *invocation,
					GUnixFDList *fd_list,
					const gchar *path,
					GVariant *options,
					IotDBusService *self)
{
	iot_dbus_service_handle_add(self,
				    invocation,
				    fd_list,
				    IOT_DBUS_CALL_LOAD_PROFILE,
				    path,
				    options);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static IotDBusTunnel *
iot_dbus_service_find_path(IotDBusService *self, const gchar *path)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->tunnels);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (g_strcmp0(iot_dbus_tunnel_get_path(value), path) == 0)
			return value;
	}
	return NULL;
}

static gboolean
iot_dbus_service_handle_remove_tunnel_cb(IotDBusManager1 *manager1,
					 GDBusMethodInvocation *invocation,
					 const gchar *path,
					 IotDBusService *self)
{
	IotDBusTunnel *tunnel = iot_dbus_service_find_path(self, path);
	IotTunnel *daemon_tunnel;
	const gchar *name;

	if (tunnel == NULL) {
		g_dbus_method_invocation_return_error(invocation,
						      IOT_DBUS_ERROR,
						      IOT_DBUS_ERROR_NOT_FOUND,
						      _("There is no tunnel at %s; list them with "
							"\"iotunnelctl list\"."),
						      path);
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	daemon_tunnel = iot_dbus_tunnel_get_tunnel(tunnel);
	name = iot_profile_tunnel_get_name(iot_tunnel_get_profile(daemon_tunnel));
	iot_tunnel_message(name,
			   0,
			   0,
			   "removed by %s",
			   g_dbus_method_invocation_get_sender(invocation));
	if (iot_dbus_tunnel_get_persistent(tunnel))
		iot_dbus_store_delete(self->store, name);
	iot_daemon_remove_tunnel(self->daemon, daemon_tunnel);
	iot_dbus_manager1_complete_remove_tunnel(manager1, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
iot_dbus_service_refresh_tunnels(IotDBusService *self)
{
	GPtrArray *tunnels = iot_daemon_get_tunnels(self->daemon);
	g_autoptr(GPtrArray) paths = g_ptr_array_new();

	for (guint i = 0; i < tunnels->len; i++) {
		IotDBusTunnel *tunnel =
		    g_hash_table_lookup(self->tunnels, g_ptr_array_index(tunnels, i));
		if (tunnel != NULL)
			g_ptr_array_add(paths, (gpointer)iot_dbus_tunnel_get_path(tunnel));
	}
	g_ptr_array_add(paths, NULL);
	iot_dbus_manager1_set_tunnels(self->manager1, (const gchar *const *)paths->pdata);
}

static void
iot_dbus_service_tunnel_added_cb(IotDaemon *daemon, IotTunnel *tunnel, IotDBusService *self)
{
	IotDBusTunnel *dbus_tunnel = iot_dbus_tunnel_new(tunnel);
	g_hash_table_insert(self->tunnels, tunnel, dbus_tunnel);
	g_dbus_object_manager_server_export(self->manager, iot_dbus_tunnel_get_object(dbus_tunnel));
	iot_dbus_service_refresh_tunnels(self);
}

static void
iot_dbus_service_tunnel_removed_cb(IotDaemon *daemon, IotTunnel *tunnel, IotDBusService *self)
{
	IotDBusTunnel *dbus_tunnel = g_hash_table_lookup(self->tunnels, tunnel);
	if (dbus_tunnel == NULL)
		return;
	g_dbus_object_manager_server_unexport(self->manager, iot_dbus_tunnel_get_path(dbus_tunnel));
	g_hash_table_remove(self->tunnels, tunnel);
	iot_dbus_service_refresh_tunnels(self);
}

/**
 * iot_dbus_service_restore:
 * @self: a service
 *
 * Adds the tunnels kept in the store, stopped. One that cannot be set up, or
 * whose name is taken, is logged and left in the store.
 */
void
iot_dbus_service_restore(IotDBusService *self)
{
	g_autoptr(GPtrArray) profiles = iot_dbus_store_load(self->store);

	for (guint i = 0; i < profiles->len; i++) {
		IotProfile *profile = g_ptr_array_index(profiles, i);
		GPtrArray *profile_tunnels = iot_profile_get_tunnels(profile);
		g_autoptr(GError) error = NULL;

		if (!iot_daemon_add_profile(self->daemon, profile, &error)) {
			g_warning("%s: %s", iot_profile_get_origin(profile), error->message);
			continue;
		}
		for (guint j = 0; j < profile_tunnels->len; j++) {
			const gchar *name =
			    iot_profile_tunnel_get_name(g_ptr_array_index(profile_tunnels, j));
			iot_dbus_tunnel_set_persistent(iot_dbus_service_lookup(self, name), TRUE);
			iot_tunnel_message(name,
					   0,
					   0,
					   "restored from %s",
					   iot_profile_get_origin(profile));
		}
	}
}

/**
 * iot_dbus_service_export:
 * @self: a service
 * @connection: a bus connection
 * @error: (nullable): return location for an error
 *
 * Puts the manager and every tunnel on @connection. Owning the bus name is
 * the caller's business.
 *
 * Returns: %TRUE when exported
 */
gboolean
iot_dbus_service_export(IotDBusService *self, GDBusConnection *connection, GError **error)
{
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->manager1),
					      connection,
					      IOT_DBUS_PATH,
					      error))
		return FALSE;
	g_set_object(&self->connection, connection);
	g_dbus_object_manager_server_set_connection(self->manager, connection);
	return TRUE;
}

void
iot_dbus_service_unexport(IotDBusService *self)
{
	if (self->connection == NULL)
		return;
	g_dbus_object_manager_server_set_connection(self->manager, NULL);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(self->manager1));
	g_clear_object(&self->connection);
}

/**
 * iot_dbus_service_cancel_calls:
 * @self: a service
 *
 * Cancels the calls waiting for token fds; each answers with an error once
 * the main loop runs.
 */
void
iot_dbus_service_cancel_calls(IotDBusService *self)
{
	for (guint i = 0; i < self->calls->len; i++) {
		IotDBusCall *call = g_ptr_array_index(self->calls, i);
		g_cancellable_cancel(call->cancellable);
	}
}

gboolean
iot_dbus_service_has_calls(IotDBusService *self)
{
	return self->calls->len > 0;
}

/**
 * iot_dbus_service_default_state_directory:
 * @bus_type: %G_BUS_TYPE_SESSION or %G_BUS_TYPE_SYSTEM
 *
 * Returns: (transfer full): where the daemon keeps persisted tunnels:
 *   `$XDG_STATE_HOME/iotunnel` for a session daemon; systemd's
 *   `$STATE_DIRECTORY`, else `/var/lib/iotunnel`, for the system one
 */
gchar *
iot_dbus_service_default_state_directory(GBusType bus_type)
{
	const gchar *systemd = g_getenv("STATE_DIRECTORY");

	if (bus_type == G_BUS_TYPE_SESSION)
		return g_build_filename(g_get_user_state_dir(), "iotunnel", NULL);
	if (systemd != NULL && systemd[0] == '/' && strchr(systemd, ':') == NULL)
		return g_strdup(systemd);
	return g_strdup("/var/lib/iotunnel");
}

IotDBusService *
iot_dbus_service_new(IotDaemon *daemon, IotDBusStore *store)
{
	IotDBusService *self = g_object_new(IOT_TYPE_DBUS_SERVICE, NULL);
	IotPluginRegistry *registry = iot_daemon_get_registry(daemon);
	g_autoptr(GPtrArray) plugins = iot_plugin_registry_get_plugins(registry);
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a(ssss)"));
	GPtrArray *tunnels = iot_daemon_get_tunnels(daemon);

	self->daemon = g_object_ref(daemon);
	self->store = g_object_ref(store);
	self->manager = g_dbus_object_manager_server_new(IOT_DBUS_PATH);
	self->manager1 = iot_dbus_manager1_skeleton_new();
	iot_dbus_manager1_set_version(self->manager1, PACKAGE_VERSION);
	for (guint i = 0; i < plugins->len; i++) {
		const IotPluginInfo *info = g_ptr_array_index(plugins, i);
		g_variant_builder_add(&builder,
				      "(ssss)",
				      iot_plugin_kind_to_string(info->kind),
				      info->name,
				      info->version != NULL ? info->version : "",
				      info->description != NULL ? info->description : "");
	}
	iot_dbus_manager1_set_plugins(self->manager1, g_variant_builder_end(&builder));
	g_signal_connect(self->manager1,
			 "handle-add-tunnel",
			 G_CALLBACK(iot_dbus_service_handle_add_tunnel_cb),
			 self);
	g_signal_connect(self->manager1,
			 "handle-add-profile",
			 G_CALLBACK(iot_dbus_service_handle_add_profile_cb),
			 self);
	g_signal_connect(self->manager1,
			 "handle-load-profile",
			 G_CALLBACK(iot_dbus_service_handle_load_profile_cb),
			 self);
	g_signal_connect(self->manager1,
			 "handle-remove-tunnel",
			 G_CALLBACK(iot_dbus_service_handle_remove_tunnel_cb),
			 self);
	g_signal_connect(daemon,
			 "tunnel-added",
			 G_CALLBACK(iot_dbus_service_tunnel_added_cb),
			 self);
	g_signal_connect(daemon,
			 "tunnel-removed",
			 G_CALLBACK(iot_dbus_service_tunnel_removed_cb),
			 self);
	/* the tunnels the daemon had before, from --profile */
	for (guint i = 0; i < tunnels->len; i++)
		iot_dbus_service_tunnel_added_cb(daemon, g_ptr_array_index(tunnels, i), self);
	return self;
}

static void
iot_dbus_service_dispose(GObject *object)
{
	IotDBusService *self = IOT_DBUS_SERVICE(object);

	iot_dbus_service_unexport(self);
	if (self->daemon != NULL)
		g_signal_handlers_disconnect_by_data(self->daemon, self);
	if (self->manager1 != NULL)
		g_signal_handlers_disconnect_by_data(self->manager1, self);
	g_hash_table_remove_all(self->tunnels);
	g_clear_object(&self->manager1);
	g_clear_object(&self->manager);
	g_clear_object(&self->store);
	g_clear_object(&self->daemon);
	G_OBJECT_CLASS(iot_dbus_service_parent_class)->dispose(object);
}

static void
iot_dbus_service_finalize(GObject *object)
{
	IotDBusService *self = IOT_DBUS_SERVICE(object);
	g_hash_table_unref(self->tunnels);
	g_ptr_array_unref(self->calls);
	G_OBJECT_CLASS(iot_dbus_service_parent_class)->finalize(object);
}

static void
iot_dbus_service_class_init(IotDBusServiceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_dbus_service_dispose;
	object_class->finalize = iot_dbus_service_finalize;
}

static void
iot_dbus_service_init(IotDBusService *self)
{
	self->tunnels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_object_unref);
	self->calls = g_ptr_array_new();
}
