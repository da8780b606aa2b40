/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "iot-service-server.h"

G_BEGIN_DECLS

#define IOT_SERVICE_AWS_API_ERROR iot_service_aws_api_error_quark()

/**
 * IotServiceAwsApiError:
 * @IOT_SERVICE_AWS_API_ERROR_UNKNOWN_OPERATION: no such operation, or not POST
 * @IOT_SERVICE_AWS_API_ERROR_SERIALIZATION: the body is not a JSON object, or a
 *   member has the wrong JSON type
 * @IOT_SERVICE_AWS_API_ERROR_VALIDATION: a member is missing or its value is
 *   out of bounds
 * @IOT_SERVICE_AWS_API_ERROR_NOT_FOUND: no such tunnel
 * @IOT_SERVICE_AWS_API_ERROR_LIMIT_EXCEEDED: too many tunnels are open
 * @IOT_SERVICE_AWS_API_ERROR_TOO_LARGE: the body is over %IOT_SERVICE_AWS_API_MAX_BODY
 * @IOT_SERVICE_AWS_API_ERROR_LENGTH_REQUIRED: the body has no Content-Length
 * @IOT_SERVICE_AWS_API_ERROR_INTERNAL: the service failed
 *
 * The AWS API's errors, each answered with its AWS error type.
 */
typedef enum {
	IOT_SERVICE_AWS_API_ERROR_UNKNOWN_OPERATION,
	IOT_SERVICE_AWS_API_ERROR_SERIALIZATION,
	IOT_SERVICE_AWS_API_ERROR_VALIDATION,
	IOT_SERVICE_AWS_API_ERROR_NOT_FOUND,
	IOT_SERVICE_AWS_API_ERROR_LIMIT_EXCEEDED,
	IOT_SERVICE_AWS_API_ERROR_TOO_LARGE,
	IOT_SERVICE_AWS_API_ERROR_LENGTH_REQUIRED,
	IOT_SERVICE_AWS_API_ERROR_INTERNAL,
} IotServiceAwsApiError;

/* the largest request body the AWS API reads */
#define IOT_SERVICE_AWS_API_MAX_BODY (64 * 1024)

/* the signing name and target prefix of AWS IoT Secure Tunneling */
#define IOT_SERVICE_AWS_API_SIGNING_NAME "IoTSecuredTunneling"

/* the account ARNs name unless --account-id says otherwise */
#define IOT_SERVICE_AWS_API_DEFAULT_ACCOUNT "123456789012"

/* the most tunnels open at once; one more is refused with LimitExceededException */
#define IOT_SERVICE_AWS_API_MAX_OPEN_TUNNELS 1000

#define IOT_TYPE_SERVICE_AWS_API (iot_service_aws_api_get_type())
G_DECLARE_FINAL_TYPE(IotServiceAwsApi, iot_service_aws_api, IOT, SERVICE_AWS_API, GObject)

GQuark
iot_service_aws_api_error_quark(void);
IotServiceAwsApi *
iot_service_aws_api_new(IotServiceServer *server,
			IotServiceCredentials *credentials,
			const gchar *region,
			const gchar *account_id);
void
iot_service_aws_api_check_early(IotServiceAwsApi *self, SoupServerMessage *msg);
void
iot_service_aws_api_handle(IotServiceAwsApi *self, SoupServerMessage *msg);

G_END_DECLS
