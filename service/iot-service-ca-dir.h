/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define IOT_SERVICE_CA_DIR_ERROR iot_service_ca_dir_error_quark()

/**
 * IotServiceCaDirError:
 * @IOT_SERVICE_CA_DIR_ERROR_PARSE: a certificate or its subject name could not be read
 * @IOT_SERVICE_CA_DIR_ERROR_WRITE: the folder or its file could not be written
 *
 * Errors of the hashed CA folder.
 */
typedef enum {
	IOT_SERVICE_CA_DIR_ERROR_PARSE,
	IOT_SERVICE_CA_DIR_ERROR_WRITE,
} IotServiceCaDirError;

GQuark
iot_service_ca_dir_error_quark(void);
gboolean
iot_service_ca_dir_subject_hash(const guint8 *name, gsize name_len, guint32 *hash, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_service_ca_dir_write(const gchar *ca_dir,
			 const gchar *ca_file,
			 GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
