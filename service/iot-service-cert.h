/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define IOT_SERVICE_CERT_ERROR iot_service_cert_error_quark()

/**
 * IotServiceCertError:
 * @IOT_SERVICE_CERT_ERROR_LOAD: a certificate or key file could not be used
 * @IOT_SERVICE_CERT_ERROR_GENERATE: GnuTLS failed to make a key or certificate
 * @IOT_SERVICE_CERT_ERROR_WRITE: the state directory could not be written
 *
 * Errors of the service's TLS identity.
 */
typedef enum {
	IOT_SERVICE_CERT_ERROR_LOAD,
	IOT_SERVICE_CERT_ERROR_GENERATE,
	IOT_SERVICE_CERT_ERROR_WRITE,
} IotServiceCertError;

#define IOT_TYPE_SERVICE_CERT (iot_service_cert_get_type())
G_DECLARE_FINAL_TYPE(IotServiceCert, iot_service_cert, IOT, SERVICE_CERT, GObject)

GQuark
iot_service_cert_error_quark(void);
IotServiceCert *
iot_service_cert_new_from_files(const gchar *cert_file, const gchar *key_file, GError **error);
IotServiceCert *
iot_service_cert_new_self_signed(const gchar *state_dir, GInetAddress *address, GError **error);
GTlsCertificate *
iot_service_cert_get_certificate(IotServiceCert *self);
const gchar *
iot_service_cert_get_ca_file(IotServiceCert *self);
const gchar *
iot_service_cert_get_ca_dir(IotServiceCert *self);
gboolean
iot_service_cert_get_generated(IotServiceCert *self);

G_END_DECLS
