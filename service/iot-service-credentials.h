/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define IOT_SERVICE_CREDENTIALS_ERROR iot_service_credentials_error_quark()

/**
 * IotServiceCredentialsError:
 * @IOT_SERVICE_CREDENTIALS_ERROR_READ: the file cannot be read as an INI file
 * @IOT_SERVICE_CREDENTIALS_ERROR_INVALID: a section lacks a key, or holds an
 *   access key ID another section has
 * @IOT_SERVICE_CREDENTIALS_ERROR_EMPTY: no section holds an access key
 *
 * Why a shared-credentials file cannot be used.
 */
typedef enum {
	IOT_SERVICE_CREDENTIALS_ERROR_READ,
	IOT_SERVICE_CREDENTIALS_ERROR_INVALID,
	IOT_SERVICE_CREDENTIALS_ERROR_EMPTY,
} IotServiceCredentialsError;

#define IOT_TYPE_SERVICE_CREDENTIALS (iot_service_credentials_get_type())
G_DECLARE_FINAL_TYPE(IotServiceCredentials,
		     iot_service_credentials,
		     IOT,
		     SERVICE_CREDENTIALS,
		     GObject)

GQuark
iot_service_credentials_error_quark(void);
IotServiceCredentials *
iot_service_credentials_new_from_file(const gchar *path, GError **error);
gboolean
iot_service_credentials_lookup(IotServiceCredentials *self,
			       const gchar *access_key_id,
			       const gchar **secret_access_key,
			       const gchar **session_token);
guint
iot_service_credentials_get_n_keys(IotServiceCredentials *self);

G_END_DECLS
