/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define IOT_TYPE_TEST_APP (iot_test_app_get_type())
G_DECLARE_FINAL_TYPE(IotTestApp, iot_test_app, IOT, TEST_APP, GObject)

IotTestApp *
iot_test_app_new(GSocketConnection *connection, gboolean echo);
GByteArray *
iot_test_app_get_received(IotTestApp *self);
gboolean
iot_test_app_get_eof(IotTestApp *self);
gboolean
iot_test_app_get_reset(IotTestApp *self);
gboolean
iot_test_app_get_ended(IotTestApp *self);
void
iot_test_app_send(IotTestApp *self, const guint8 *data, gsize len);
void
iot_test_app_send_string(IotTestApp *self, const gchar *text);
gsize
iot_test_app_get_unsent(IotTestApp *self);
void
iot_test_app_set_reading(IotTestApp *self, gboolean reading);
void
iot_test_app_close(IotTestApp *self);
void
iot_test_app_abort(IotTestApp *self);

G_END_DECLS
