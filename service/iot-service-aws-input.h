/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The AWS API's input: read and checked against the service model, refused in AWS's words. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* the bounds of the service model */
#define IOT_SERVICE_AWS_API_MAX_DESCRIPTION 2048
#define IOT_SERVICE_AWS_API_MAX_NAME 128
#define IOT_SERVICE_AWS_API_MAX_TAG_VALUE 256
#define IOT_SERVICE_AWS_API_MAX_TAGS 200
#define IOT_SERVICE_AWS_API_MAX_ARN 1011
#define IOT_SERVICE_AWS_API_MAX_RESULTS 100
#define IOT_SERVICE_AWS_API_MAX_NEXT_TOKEN 4096
#define IOT_SERVICE_AWS_API_MAX_MINUTES 720

gboolean
iot_service_aws_input_invalid(GError **error, const gchar *member, const gchar *constraint);
gboolean
iot_service_aws_input_wrong_type(GError **error, const gchar *member, const gchar *type);
JsonNode *
iot_service_aws_input_member(JsonObject *object, const gchar *name);
gboolean
iot_service_aws_input_get_string(JsonObject *object,
				 const gchar *name,
				 const gchar *path,
				 gboolean required,
				 const gchar **value,
				 GError **error);
gboolean
iot_service_aws_input_get_object(JsonObject *object,
				 const gchar *name,
				 JsonObject **value,
				 GError **error);
gboolean
iot_service_aws_input_get_array(JsonObject *object,
				const gchar *name,
				const gchar *path,
				gboolean required,
				JsonArray **value,
				GError **error);
gboolean
iot_service_aws_input_check_name(const gchar *value,
				 const gchar *allowed,
				 const gchar *path,
				 GError **error);
gboolean
iot_service_aws_input_check_description(const gchar *value, GError **error);
gboolean
iot_service_aws_input_check_tag_text(const gchar *value,
				     glong min,
				     glong max,
				     const gchar *path,
				     GError **error);
GPtrArray *
iot_service_aws_input_read_tags(JsonArray *array, const gchar *path, guint min, GError **error);
gboolean
iot_service_aws_input_read_destination(JsonObject *object,
				       const gchar **thing_name,
				       GStrv *services,
				       GError **error);

G_END_DECLS
