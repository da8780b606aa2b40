/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Where a profile's tokens come from, and reading them when they are needed. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
	IOT_PROFILE_TOKEN_NONE,
	IOT_PROFILE_TOKEN_ENV,
	IOT_PROFILE_TOKEN_FILE,
	IOT_PROFILE_TOKEN_VALUE,
} IotProfileTokenKind;

typedef struct {
	IotProfileTokenKind kind;
	gchar *source; /* the variable name, the file path, or the token itself */
	gchar *path;   /* the JSON path of the member that holds @source, for messages */
} IotProfileToken;

void
iot_profile_token_clear(IotProfileToken *token);
gboolean
iot_profile_token_parse(IotProfileToken *token,
			JsonObject *object,
			const gchar *key,
			const gchar *origin,
			const gchar *json_path,
			GError **error);
gchar *
iot_profile_token_read(const IotProfileToken *token,
		       const gchar *key,
		       const gchar *origin,
		       const gchar *json_path,
		       GError **error);
JsonNode *
iot_profile_token_to_json(const IotProfileToken *token, gboolean include_secrets);

G_END_DECLS
