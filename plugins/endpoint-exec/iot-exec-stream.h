/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_EXEC_STREAM (iot_exec_stream_get_type())
G_DECLARE_FINAL_TYPE(IotExecStream, iot_exec_stream, IOT, EXEC_STREAM, GIOStream)

IotExecStream *
iot_exec_stream_new(GSocket *socket,
		    GSubprocess *subprocess,
		    guint grace_ms,
		    const gchar *description);
GSubprocess *
iot_exec_stream_get_subprocess(IotExecStream *self);
gboolean
iot_exec_stream_get_exited(IotExecStream *self);

G_END_DECLS
