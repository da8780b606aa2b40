/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-export.h"

G_BEGIN_DECLS

/* for libiotunnel and tests only; never installed */

typedef struct _IotPollerWatch IotPollerWatch;

/**
 * IotPollerFunc:
 * @condition: what the fd is ready for: %G_IO_IN, %G_IO_OUT, %G_IO_HUP, %G_IO_ERR
 * @user_data: the data given to iot_poller_watch_new()
 *
 * Called from the main loop while the fd is ready for what the watch asks.
 */
typedef void (*IotPollerFunc)(GIOCondition condition, gpointer user_data);

IOT_EXPORT
IotPollerWatch *
iot_poller_watch_new(GMainContext *context, gint fd, IotPollerFunc func, gpointer user_data);
IOT_EXPORT
void
iot_poller_watch_set_condition(IotPollerWatch *watch, GIOCondition condition);
IOT_EXPORT
GIOCondition
iot_poller_watch_get_condition(IotPollerWatch *watch);
IOT_EXPORT
void
iot_poller_watch_remove(IotPollerWatch *watch);
IOT_EXPORT
guint
iot_poller_get_n_watches(GMainContext *context);

G_END_DECLS
