/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>
#include <unistd.h>

G_BEGIN_DECLS

#define IOT_PROFILE_ERROR iot_profile_error_quark()

/**
 * IotProfileError:
 * @IOT_PROFILE_ERROR_PARSE: the profile cannot be read, or is not JSON
 * @IOT_PROFILE_ERROR_INVALID: the JSON does not describe a valid profile
 * @IOT_PROFILE_ERROR_TOKEN: a token cannot be resolved or has the wrong form
 * @IOT_PROFILE_ERROR_NOT_FOUND: the profile file does not exist
 *
 * Why a profile was refused. Every message is one user-facing sentence that
 * names the origin (a file as the user gave it, or "D-Bus", "command line"),
 * the JSON path, and what was expected.
 */
typedef enum {
	IOT_PROFILE_ERROR_PARSE,
	IOT_PROFILE_ERROR_INVALID,
	IOT_PROFILE_ERROR_TOKEN,
	IOT_PROFILE_ERROR_NOT_FOUND,
} IotProfileError;

GQuark
iot_profile_error_quark(void);

/* a file descriptor closed when it leaves scope (GLib 2.74 has no g_autofd) */
typedef gint IotProfileFd;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(IotProfileFd, close, -1)

gchar *
iot_profile_path_member(const gchar *path, const gchar *key);
gchar *
iot_profile_path_index(const gchar *path, guint index);
gchar *
iot_profile_quote(const gchar *text);
gchar *
iot_profile_join_choices(const gchar *const *choices);
const gchar *
iot_profile_describe_type(JsonNode *node);
gchar *
iot_profile_describe_value(JsonNode *node);

void
iot_profile_set_error_missing(GError **error,
			      const gchar *origin,
			      const gchar *path,
			      const gchar *expectation);
void
iot_profile_set_error_value(GError **error,
			    const gchar *origin,
			    const gchar *path,
			    JsonNode *node,
			    const gchar *expectation);
void
iot_profile_set_error_type(GError **error,
			   const gchar *origin,
			   const gchar *path,
			   JsonNode *node,
			   const gchar *expectation);

gboolean
iot_profile_check_members(JsonObject *object,
			  const gchar *const *allowed,
			  const gchar *origin,
			  const gchar *path,
			  GError **error) G_GNUC_WARN_UNUSED_RESULT;
JsonNode *
iot_profile_json_copy(JsonNode *node);

gboolean
iot_profile_json_has_trailing(const gchar *json, gsize len);
gboolean
iot_profile_json_is_utf8(JsonNode *node);
gboolean
iot_profile_json_has_bad_escape(const gchar *json, gsize len);
void
iot_profile_set_file_error(GError **error,
			   GQuark domain,
			   gint code,
			   gint not_found_code,
			   const gchar *path,
			   const GError *read_error,
			   const gchar *kind);

/**
 * IotProfileEndpoint:
 * @IOT_PROFILE_ENDPOINT_OK: a service endpoint
 * @IOT_PROFILE_ENDPOINT_INVALID: not of an accepted form
 * @IOT_PROFILE_ENDPOINT_BAD_PORT: the port is out of 1..65535
 * @IOT_PROFILE_ENDPOINT_PLAIN: "ws://" to a host that is not a loopback
 *
 * What iot_profile_parse_service_endpoint() found.
 */
typedef enum {
	IOT_PROFILE_ENDPOINT_OK,
	IOT_PROFILE_ENDPOINT_INVALID,
	IOT_PROFILE_ENDPOINT_BAD_PORT,
	IOT_PROFILE_ENDPOINT_PLAIN,
} IotProfileEndpoint;

IotProfileEndpoint
iot_profile_parse_service_endpoint(const gchar *text, gchar **base_url);
const gchar *
iot_profile_node_get_string(JsonNode *node);
gboolean
iot_profile_word_is_valid(const gchar *text, gsize max, const gchar *extra);

G_END_DECLS
