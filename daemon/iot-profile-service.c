/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The services of a tunnel's profile: each ID with its endpoint plugin and settings. */

#include "config.h"

#include "iot-profile-service.h"

#include <glib/gi18n.h>

#include "iot-profile-common.h"

#define IOT_PROFILE_SERVICE_ID_MAX 128
#define IOT_PROFILE_SERVICE_PLUGIN_MAX 64

/**
 * IotProfileService:
 *
 * One entry of a tunnel's `services`: a service ID and the endpoint plugin
 * that serves it, with that plugin's settings. Immutable.
 */
struct _IotProfileService {
	GObject parent_instance;
	gchar *id;
	gchar *endpoint;
	JsonObject *settings;
};

G_DEFINE_FINAL_TYPE(IotProfileService, iot_profile_service, G_TYPE_OBJECT)

static void
iot_profile_service_finalize(GObject *object)
{
	IotProfileService *self = IOT_PROFILE_SERVICE(object);
	g_free(self->id);
	g_free(self->endpoint);
	json_object_unref(self->settings);
	G_OBJECT_CLASS(iot_profile_service_parent_class)->finalize(object);
}

static void
iot_profile_service_class_init(IotProfileServiceClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_profile_service_finalize;
}

static void
iot_profile_service_init(IotProfileService *self)
{
}

/**
 * iot_profile_service_new:
 * @id: the service ID, "" for the single unnamed mapping
 * @endpoint: the endpoint plugin name ("tcp", "unix")
 * @settings: the whole object under `services.<ID>`, "endpoint" included
 *
 * Returns: (transfer full): a new #IotProfileService holding a reference to
 * @settings
 */
IotProfileService *
iot_profile_service_new(const gchar *id, const gchar *endpoint, JsonObject *settings)
{
	IotProfileService *self;

	g_return_val_if_fail(id != NULL, NULL);
	g_return_val_if_fail(endpoint != NULL, NULL);
	g_return_val_if_fail(settings != NULL, NULL);

	self = g_object_new(IOT_TYPE_PROFILE_SERVICE, NULL);
	self->id = g_strdup(id);
	self->endpoint = g_strdup(endpoint);
	self->settings = json_object_ref(settings);
	return self;
}

/**
 * iot_profile_service_get_id:
 * @self: an #IotProfileService
 *
 * Returns: the service ID, "" for the single unnamed mapping
 */
const gchar *
iot_profile_service_get_id(IotProfileService *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_SERVICE(self), NULL);
	return self->id;
}

/**
 * iot_profile_service_get_endpoint:
 * @self: an #IotProfileService
 *
 * Returns: the name of the endpoint plugin that serves this service
 */
const gchar *
iot_profile_service_get_endpoint(IotProfileService *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_SERVICE(self), NULL);
	return self->endpoint;
}

/**
 * iot_profile_service_get_settings:
 * @self: an #IotProfileService
 *
 * Returns: (transfer none): the plugin's settings, "endpoint" included, for
 * iot_endpoint_configure(); read them, do not change them
 */
JsonObject *
iot_profile_service_get_settings(IotProfileService *self)
{
	g_return_val_if_fail(IOT_IS_PROFILE_SERVICE(self), NULL);
	return self->settings;
}

/**
 * iot_profile_services_parse:
 * @object: a tunnel's JSON object
 * @origin: what messages name as the source of the profile
 * @json_path: the tunnel's JSON path, for messages
 * @services_out: (element-type IotProfileService): receives each service
 * @error: (nullable): return location for an %IOT_PROFILE_ERROR error
 *
 * Reads the tunnel's `services`: service IDs, each with its endpoint plugin
 * and that plugin's settings (checked later, against the plugin's schema).
 *
 * Returns: whether `services` is valid
 */
gboolean
iot_profile_services_parse(JsonObject *object,
			   const gchar *origin,
			   const gchar *json_path,
			   GPtrArray *services_out,
			   GError **error)
{
	const gchar *endpoint_expectation =
	    _("set it to the name of an endpoint plugin, such as \"tcp\" or \"unix\"");
	g_autofree gchar *path = iot_profile_path_member(json_path, "services");
	g_autoptr(GList) members = NULL;
	JsonNode *node = json_object_get_member(object, "services");
	JsonObject *services;
	guint size;

	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node)) {
		const gchar *expectation =
		    _("set it to an object that maps service IDs to endpoints");
		if (node == NULL)
			iot_profile_set_error_missing(error, origin, path, expectation);
		else
			iot_profile_set_error_value(error, origin, path, node, expectation);
		return FALSE;
	}
	services = json_node_get_object(node);
	size = json_object_get_size(services);
	if (size == 0) {
		g_set_error(error,
			    IOT_PROFILE_ERROR,
			    IOT_PROFILE_ERROR_INVALID,
			    _("%s: %s holds no service; add at least one."),
			    origin,
			    path);
		return FALSE;
	}
	members = json_object_get_members(services);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *id = l->data;
		g_autofree gchar *entry_path = iot_profile_path_member(path, id);
		g_autofree gchar *endpoint_path = NULL;
		JsonNode *entry = json_object_get_member(services, id);
		JsonNode *endpoint_node;
		const gchar *endpoint;

		if (id[0] == '\0' && size > 1) {
			g_set_error(error,
				    IOT_PROFILE_ERROR,
				    IOT_PROFILE_ERROR_INVALID,
				    _("%s: %s is the unnamed service, which must be the only one; "
				      "give it a name or remove the others."),
				    origin,
				    entry_path);
			return FALSE;
		}
		if (id[0] != '\0' &&
		    !iot_profile_word_is_valid(id, IOT_PROFILE_SERVICE_ID_MAX, "_:-")) {
			g_set_error(error,
				    IOT_PROFILE_ERROR,
				    IOT_PROFILE_ERROR_INVALID,
				    _("%s: %s is not a valid service ID; use 1 to 128 letters, "
				      "digits, \"_\", \":\" or \"-\", or \"\" for a single "
				      "unnamed service."),
				    origin,
				    entry_path);
			return FALSE;
		}
		if (!JSON_NODE_HOLDS_OBJECT(entry)) {
			iot_profile_set_error_value(
			    error,
			    origin,
			    entry_path,
			    entry,
			    _("set it to an object with \"endpoint\" and the endpoint's settings"));
			return FALSE;
		}
		endpoint_path = iot_profile_path_member(entry_path, "endpoint");
		endpoint_node = json_object_get_member(json_node_get_object(entry), "endpoint");
		if (endpoint_node == NULL) {
			iot_profile_set_error_missing(error,
						      origin,
						      endpoint_path,
						      endpoint_expectation);
			return FALSE;
		}
		endpoint = iot_profile_node_get_string(endpoint_node);
		if (endpoint == NULL ||
		    !iot_profile_word_is_valid(endpoint, IOT_PROFILE_SERVICE_PLUGIN_MAX, "_-")) {
			iot_profile_set_error_value(error,
						    origin,
						    endpoint_path,
						    endpoint_node,
						    endpoint_expectation);
			return FALSE;
		}
		g_ptr_array_add(services_out,
				iot_profile_service_new(id, endpoint, json_node_get_object(entry)));
	}
	return TRUE;
}
