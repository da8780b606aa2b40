/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The AWS API's input: read and checked against the service model, refused in AWS's words. */

#include "config.h"

#include "iot-service-aws-input.h"

#include "iot-service-aws-api.h"

gboolean
iot_service_aws_input_invalid(GError **error, const gchar *member, const gchar *constraint)
{
	g_set_error(error,
		    IOT_SERVICE_AWS_API_ERROR,
		    IOT_SERVICE_AWS_API_ERROR_VALIDATION,
		    "1 validation error detected: Value at '%s' failed to satisfy constraint: "
		    "Member must %s",
		    member,
		    constraint);
	return FALSE;
}

gboolean
iot_service_aws_input_wrong_type(GError **error, const gchar *member, const gchar *type)
{
	g_set_error(error,
		    IOT_SERVICE_AWS_API_ERROR,
		    IOT_SERVICE_AWS_API_ERROR_SERIALIZATION,
		    "'%s' must be %s.",
		    member,
		    type);
	return FALSE;
}

/* @member of @object, or NULL when absent or null, as the SDKs leave out unset members */
JsonNode *
iot_service_aws_input_member(JsonObject *object, const gchar *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	return node;
}

/* reads a string member; *value stays NULL when it is absent and not @required */
gboolean
iot_service_aws_input_get_string(JsonObject *object,
				 const gchar *name,
				 const gchar *path,
				 gboolean required,
				 const gchar **value,
				 GError **error)
{
	JsonNode *node = iot_service_aws_input_member(object, name);

	*value = NULL;
	if (node == NULL) {
		if (required)
			return iot_service_aws_input_invalid(error, path, "not be null");
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return iot_service_aws_input_wrong_type(error, path, "a string");
	*value = json_node_get_string(node);
	return TRUE;
}

gboolean
iot_service_aws_input_get_object(JsonObject *object,
				 const gchar *name,
				 JsonObject **value,
				 GError **error)
{
	JsonNode *node = iot_service_aws_input_member(object, name);

	*value = NULL;
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node))
		return iot_service_aws_input_wrong_type(error, name, "an object");
	*value = json_node_get_object(node);
	return TRUE;
}

gboolean
iot_service_aws_input_get_array(JsonObject *object,
				const gchar *name,
				const gchar *path,
				gboolean required,
				JsonArray **value,
				GError **error)
{
	JsonNode *node = iot_service_aws_input_member(object, name);

	*value = NULL;
	if (node == NULL) {
		if (required)
			return iot_service_aws_input_invalid(error, path, "not be null");
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_ARRAY(node))
		return iot_service_aws_input_wrong_type(error, path, "a list");
	*value = json_node_get_array(node);
	return TRUE;
}

/* 1 to @max of the ASCII characters in @allowed, besides letters and digits */
gboolean
iot_service_aws_input_check_name(const gchar *value,
				 const gchar *allowed,
				 const gchar *path,
				 GError **error)
{
	g_autofree gchar *constraint = NULL;
	gsize len = strlen(value);
	gboolean valid = len >= 1 && len <= IOT_SERVICE_AWS_API_MAX_NAME;

	for (gsize i = 0; valid && i < len; i++)
		valid = g_ascii_isalnum(value[i]) || strchr(allowed, value[i]) != NULL;
	if (valid)
		return TRUE;
	constraint = g_strdup_printf("be 1 to %u of a-z, A-Z, 0-9 and %s",
				     (guint)IOT_SERVICE_AWS_API_MAX_NAME,
				     allowed);
	return iot_service_aws_input_invalid(error, path, constraint);
}

/* the description: 1 to 2048 characters, none of Unicode's category C */
gboolean
iot_service_aws_input_check_description(const gchar *value, GError **error)
{
	glong len = g_utf8_strlen(value, -1);

	if (len < 1 || len > IOT_SERVICE_AWS_API_MAX_DESCRIPTION)
		return iot_service_aws_input_invalid(error,
						     "description",
						     "have length between 1 and 2048");
	for (const gchar *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
		switch (g_unichar_type(g_utf8_get_char(p))) {
		case G_UNICODE_CONTROL:
		case G_UNICODE_FORMAT:
		case G_UNICODE_UNASSIGNED:
		case G_UNICODE_PRIVATE_USE:
		case G_UNICODE_SURROGATE:
			return iot_service_aws_input_invalid(
			    error,
			    "description",
			    "not hold control, format or private-use characters");
		default:
			break;
		}
	}
	return TRUE;
}

/* a tag key or value: letters, separators, numbers and _.:/=+-@, @min to @max of them */
gboolean
iot_service_aws_input_check_tag_text(const gchar *value,
				     glong min,
				     glong max,
				     const gchar *path,
				     GError **error)
{
	glong len = g_utf8_strlen(value, -1);
	g_autofree gchar *constraint = NULL;

	if (len < min || len > max) {
		constraint = g_strdup_printf("have length between %ld and %ld", min, max);
		return iot_service_aws_input_invalid(error, path, constraint);
	}
	for (const gchar *p = value; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		switch (g_unichar_type(c)) {
		case G_UNICODE_LOWERCASE_LETTER:
		case G_UNICODE_MODIFIER_LETTER:
		case G_UNICODE_OTHER_LETTER:
		case G_UNICODE_TITLECASE_LETTER:
		case G_UNICODE_UPPERCASE_LETTER:
		case G_UNICODE_DECIMAL_NUMBER:
		case G_UNICODE_LETTER_NUMBER:
		case G_UNICODE_OTHER_NUMBER:
		case G_UNICODE_LINE_SEPARATOR:
		case G_UNICODE_PARAGRAPH_SEPARATOR:
		case G_UNICODE_SPACE_SEPARATOR:
			continue;
		default:
			if (c < 0x80 && strchr("_.:/=+-@", (gchar)c) != NULL)
				continue;
			return iot_service_aws_input_invalid(
			    error,
			    path,
			    "hold only letters, numbers, spaces and _.:/=+-@");
		}
	}
	return TRUE;
}

/* a list of {"key", "value"} of at least @min, each key once */
GPtrArray *
iot_service_aws_input_read_tags(JsonArray *array, const gchar *path, guint min, GError **error)
{
	g_autoptr(GPtrArray) tags =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_service_tag_free);
	guint len = json_array_get_length(array);

	if (len < min || len > IOT_SERVICE_AWS_API_MAX_TAGS) {
		g_autofree gchar *constraint = g_strdup_printf("have length between %u and %u",
							       min,
							       (guint)IOT_SERVICE_AWS_API_MAX_TAGS);
		iot_service_aws_input_invalid(error, path, constraint);
		return NULL;
	}
	for (guint i = 0; i < len; i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *key_path = g_strdup_printf("%s.%u.member.key", path, i + 1);
		g_autofree gchar *value_path = g_strdup_printf("%s.%u.member.value", path, i + 1);
		const gchar *key;
		const gchar *value;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			iot_service_aws_input_wrong_type(error, path, "a list of tag objects");
			return NULL;
		}
		if (!iot_service_aws_input_get_string(json_node_get_object(node),
						      "key",
						      key_path,
						      TRUE,
						      &key,
						      error) ||
		    !iot_service_aws_input_get_string(json_node_get_object(node),
						      "value",
						      value_path,
						      TRUE,
						      &value,
						      error) ||
		    !iot_service_aws_input_check_tag_text(key,
							  1,
							  IOT_SERVICE_AWS_API_MAX_NAME,
							  key_path,
							  error) ||
		    !iot_service_aws_input_check_tag_text(value,
							  0,
							  IOT_SERVICE_AWS_API_MAX_TAG_VALUE,
							  value_path,
							  error))
			return NULL;
		if (g_str_has_prefix(key, "aws:")) {
			iot_service_aws_input_invalid(error, key_path, "not start with aws:");
			return NULL;
		}
		for (guint j = 0; j < tags->len; j++) {
			IotServiceTag *tag = g_ptr_array_index(tags, j);
			if (g_strcmp0(tag->key, key) == 0) {
				iot_service_aws_input_invalid(error,
							      key_path,
							      "be unique in the list");
				return NULL;
			}
		}
		g_ptr_array_add(tags, iot_service_tag_new(key, value));
	}
	return g_steal_pointer(&tags);
}

/* {"thingName", "services": [...]}; *services stays NULL when @object is */
gboolean
iot_service_aws_input_read_destination(JsonObject *object,
				       const gchar **thing_name,
				       GStrv *services,
				       GError **error)
{
	g_autoptr(GStrvBuilder) names = g_strv_builder_new();
	JsonArray *array = NULL;

	*thing_name = NULL;
	*services = NULL;
	if (object == NULL)
		return TRUE;
	if (!iot_service_aws_input_get_string(object,
					      "thingName",
					      "destinationConfig.thingName",
					      FALSE,
					      thing_name,
					      error))
		return FALSE;
	if (*thing_name != NULL && !iot_service_aws_input_check_name(*thing_name,
								     ":_-",
								     "destinationConfig.thingName",
								     error))
		return FALSE;
	if (!iot_service_aws_input_get_array(object,
					     "services",
					     "destinationConfig.services",
					     TRUE,
					     &array,
					     error))
		return FALSE;
	if (json_array_get_length(array) == 0)
		return iot_service_aws_input_invalid(error,
						     "destinationConfig.services",
						     "have length greater than or equal to 1");
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *path =
		    g_strdup_printf("destinationConfig.services.%u.member", i + 1);

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			return iot_service_aws_input_wrong_type(error, path, "a string");
		if (!iot_service_aws_input_check_name(json_node_get_string(node),
						      ":_-",
						      path,
						      error))
			return FALSE;
		g_strv_builder_add(names, json_node_get_string(node));
	}
	*services = g_strv_builder_end(names);
	return TRUE;
}

/* the tunnel @tunnel_id names; a malformed ID is a validation error */
