/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define IOT_SERVICE_JSON_ERROR iot_service_json_error_quark()

/**
 * IotServiceJsonError:
 * @IOT_SERVICE_JSON_ERROR_SYNTAX: the text is not JSON
 * @IOT_SERVICE_JSON_ERROR_NUL: a string holds a NUL character
 * @IOT_SERVICE_JSON_ERROR_DUPLICATE: an object names a member twice
 *
 * Why a request body is not the JSON the service reads.
 */
typedef enum {
	IOT_SERVICE_JSON_ERROR_SYNTAX,
	IOT_SERVICE_JSON_ERROR_NUL,
	IOT_SERVICE_JSON_ERROR_DUPLICATE,
} IotServiceJsonError;

GQuark
iot_service_json_error_quark(void);
JsonNode *
iot_service_json_parse(const gchar *data, gsize len, GError **error);

G_END_DECLS
