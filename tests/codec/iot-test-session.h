/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include "iot-test-app.h"

G_BEGIN_DECLS

#define IOT_TYPE_TEST_SESSION (iot_test_session_get_type())
G_DECLARE_FINAL_TYPE(IotTestSession, iot_test_session, IOT, TEST_SESSION, GObject)

IotTestSession *
iot_test_session_new(IotTunnelMode mode, const gchar *const *service_ids);
GPtrArray *
iot_test_session_get_sent(IotTestSession *self);
GPtrArray *
iot_test_session_get_apps(IotTestSession *self);
GPtrArray *
iot_test_session_get_connections(IotTestSession *self);
GPtrArray *
iot_test_session_get_connects(IotTestSession *self);
GPtrArray *
iot_test_session_get_failures(IotTestSession *self);
GStrv
iot_test_session_get_announced(IotTestSession *self);
void
iot_test_session_set_echo(IotTestSession *self, gboolean echo);
void
iot_test_session_set_fail_connects(IotTestSession *self, gboolean fail);
void
iot_test_session_set_hold_connects(IotTestSession *self, gboolean hold);
guint
iot_test_session_get_n_finished_connects(IotTestSession *self);
guint
iot_test_session_get_n_held_connects(IotTestSession *self);
void
iot_test_session_release_connects(IotTestSession *self);
void
iot_test_session_set_reject_service_ids(IotTestSession *self, gboolean reject);
GPtrArray *
iot_test_session_take_connections_back(IotTestSession *self);

G_END_DECLS
