/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-profile-service.h"

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
