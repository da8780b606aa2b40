/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_FUZZ_SESSION (iot_fuzz_session_get_type())
G_DECLARE_FINAL_TYPE(IotFuzzSession, iot_fuzz_session, IOT, FUZZ_SESSION, GObject)

IotFuzzSession *
iot_fuzz_session_new(IotTunnelMode mode, const gchar *const *service_ids, guint version);
IotConnection *
iot_fuzz_session_open(IotFuzzSession *self);
void
iot_fuzz_session_app_write(IotFuzzSession *self, guint index, const guint8 *data, gsize len);
void
iot_fuzz_session_app_close(IotFuzzSession *self, guint index);
void
iot_fuzz_session_settle(IotFuzzSession *self);
guint
iot_fuzz_session_get_n_sent(IotFuzzSession *self);
gboolean
iot_fuzz_session_has_failed(IotFuzzSession *self);

G_END_DECLS
