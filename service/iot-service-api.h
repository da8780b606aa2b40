/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "iot-service-http.h"
#include "iot-service-server.h"

G_BEGIN_DECLS

#define IOT_SERVICE_API_ERROR iot_service_api_error_quark()

/**
 * IotServiceApiError:
 * @IOT_SERVICE_API_ERROR_BAD_REQUEST: the request body is not what the API takes
 *
 * Errors of the JSON API.
 */
typedef enum {
	IOT_SERVICE_API_ERROR_BAD_REQUEST,
} IotServiceApiError;

/* the largest request body the API reads */
#define IOT_SERVICE_API_MAX_BODY IOT_SERVICE_HTTP_MAX_BODY

#define IOT_TYPE_SERVICE_API (iot_service_api_get_type())
G_DECLARE_FINAL_TYPE(IotServiceApi, iot_service_api, IOT, SERVICE_API, GObject)

GQuark
iot_service_api_error_quark(void);
IotServiceApi *
iot_service_api_new(IotServiceServer *server, const gchar *admin_token);
void
iot_service_api_check_early(IotServiceApi *self, SoupServerMessage *msg);
void
iot_service_api_handle(IotServiceApi *self, SoupServerMessage *msg, const gchar *path);

G_END_DECLS
