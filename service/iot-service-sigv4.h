/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define IOT_SERVICE_SIGV4_ERROR iot_service_sigv4_error_quark()

/**
 * IotServiceSigv4Error:
 * @IOT_SERVICE_SIGV4_ERROR_MISSING: the request has no Authorization header
 * @IOT_SERVICE_SIGV4_ERROR_INCOMPLETE: the Authorization header or the
 *   X-Amz-Date header is malformed or lacks a part
 * @IOT_SERVICE_SIGV4_ERROR_UNKNOWN_KEY: the access key ID, or the session
 *   token, is not one the service was given
 * @IOT_SERVICE_SIGV4_ERROR_SCOPE: the credential scope names another date,
 *   region or service
 * @IOT_SERVICE_SIGV4_ERROR_EXPIRED: the request was signed more than five
 *   minutes before or after now
 * @IOT_SERVICE_SIGV4_ERROR_MISMATCH: the signature is not the one the
 *   secret access key gives
 *
 * Why a request's Signature Version 4 is refused.
 */
typedef enum {
	IOT_SERVICE_SIGV4_ERROR_MISSING,
	IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
	IOT_SERVICE_SIGV4_ERROR_UNKNOWN_KEY,
	IOT_SERVICE_SIGV4_ERROR_SCOPE,
	IOT_SERVICE_SIGV4_ERROR_EXPIRED,
	IOT_SERVICE_SIGV4_ERROR_MISMATCH,
} IotServiceSigv4Error;

/* the only signing algorithm taken */
#define IOT_SERVICE_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"

/* how far, in seconds, X-Amz-Date may be from the service's clock */
#define IOT_SERVICE_SIGV4_MAX_SKEW (5 * 60)

/**
 * IotServiceSigv4Authorization:
 * @access_key_id: the access key that signed
 * @date: the scope's date, `YYYYMMDD`
 * @region: the scope's region
 * @service: the scope's service (signing name)
 * @signed_headers: the signed header names, lowercase, `;`-separated, as sent
 * @signature: the signature, 64 lowercase hex digits
 *
 * The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
 */
typedef struct {
	gchar *access_key_id;
	gchar *date;
	gchar *region;
	gchar *service;
	gchar *signed_headers;
	gchar *signature;
} IotServiceSigv4Authorization;

GQuark
iot_service_sigv4_error_quark(void);
IotServiceSigv4Authorization *
iot_service_sigv4_authorization_parse(const gchar *header, GError **error);
void
iot_service_sigv4_authorization_free(IotServiceSigv4Authorization *authorization);
gboolean
iot_service_sigv4_check_scope(const IotServiceSigv4Authorization *authorization,
			      SoupMessageHeaders *headers,
			      const gchar *region,
			      const gchar *service,
			      GDateTime *now,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;
gchar *
iot_service_sigv4_canonical_request(const gchar *method,
				    const gchar *path,
				    const gchar *query,
				    SoupMessageHeaders *headers,
				    const gchar *signed_headers,
				    const gchar *payload_sha256);
gchar *
iot_service_sigv4_string_to_sign(const gchar *amz_date,
				 const IotServiceSigv4Authorization *authorization,
				 const gchar *canonical_request);
gchar *
iot_service_sigv4_signature(const gchar *secret_access_key,
			    const IotServiceSigv4Authorization *authorization,
			    const gchar *string_to_sign);
gboolean
iot_service_sigv4_verify(const IotServiceSigv4Authorization *authorization,
			 const gchar *secret_access_key,
			 const gchar *method,
			 GUri *uri,
			 SoupMessageHeaders *headers,
			 GBytes *body,
			 GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotServiceSigv4Authorization, iot_service_sigv4_authorization_free)

G_END_DECLS
