/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Writes into @dir, freshly generated with GnuTLS:
 * - ca/ca.pem: a certificate authority (alone in its directory, for ca_path);
 * - server.pem: certificate and key for DNS name "localhost", signed by it;
 * - expired.pem: the same, but expired yesterday.
 */
gboolean
iot_test_tls_generate(const gchar *dir, GError **error);

void
iot_test_tls_remove(const gchar *dir);

G_END_DECLS
