/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

GBytes *
iot_test_bytes_from_hex(const gchar *hex);
gchar *
iot_test_hex(const guint8 *data, gsize len);
GBytes *
iot_test_pattern(gsize len, guint8 k);
gboolean
iot_test_message_equal(const IotMessage *a, const IotMessage *b);
void
iot_test_assert_message_equal(const IotMessage *a, const IotMessage *b);
gchar *
iot_test_canonical_fields(const guint8 *body, gsize len);
GBytes *
iot_test_encode_stream(GPtrArray *messages);
GPtrArray *
iot_test_decode_chunked(GBytes *stream, gsize chunk, GError **error);
gchar *
iot_test_get_vectors_dir(void);

G_END_DECLS
