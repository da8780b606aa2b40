/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-profile.h"
#include "iot-tunnel.h"

G_BEGIN_DECLS

#define IOT_DAEMON_ERROR iot_daemon_error_quark()

/* how long a process that stops waits for the WebSockets' closing handshakes */
#define IOT_DAEMON_CLOSE_TIMEOUT_MS 2000

/**
 * IotDaemonError:
 * @IOT_DAEMON_ERROR_EXISTS: a tunnel of that name runs already
 */
typedef enum {
	IOT_DAEMON_ERROR_EXISTS,
} IotDaemonError;

#define IOT_TYPE_DAEMON (iot_daemon_get_type())
G_DECLARE_FINAL_TYPE(IotDaemon, iot_daemon, IOT, DAEMON, GObject)

GQuark
iot_daemon_error_quark(void);
IotDaemon *
iot_daemon_new(IotPluginRegistry *registry);
IotPluginRegistry *
iot_daemon_get_registry(IotDaemon *self);
gboolean
iot_daemon_add_profile(IotDaemon *self,
		       IotProfile *profile,
		       GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_daemon_start(IotDaemon *self);
void
iot_daemon_stop(IotDaemon *self);
void
iot_daemon_stop_async(IotDaemon *self,
		      guint timeout_ms,
		      GAsyncReadyCallback callback,
		      gpointer user_data);
void
iot_daemon_stop_finish(IotDaemon *self, GAsyncResult *result);
GPtrArray *
iot_daemon_get_tunnels(IotDaemon *self);
IotTunnel *
iot_daemon_find_tunnel(IotDaemon *self, const gchar *name);
void
iot_daemon_remove_tunnel(IotDaemon *self, IotTunnel *tunnel);
gboolean
iot_daemon_is_finished(IotDaemon *self);
gboolean
iot_daemon_is_closing(IotDaemon *self);
gboolean
iot_daemon_has_failed(IotDaemon *self);

G_END_DECLS
