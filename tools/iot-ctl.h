/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What every iotunnelctl command shares: the bus, proxies of the daemon, errors told to the user.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "iot-dbus-generated.h"
#include "iot-dbus-names.h"

G_BEGIN_DECLS

#define IOT_CTL_EXIT_FAILURE 1
#define IOT_CTL_EXIT_USAGE 2

typedef struct {
	GBusType bus_type;
	gboolean json;
	gboolean persist;
	gboolean start;
	gchar *access_token_file;
	gchar *access_token_env;
	gchar *client_token_file;
	gchar *client_token_env;
	GDBusConnection *connection;
	GMainLoop *loop;
	gint status;
} IotCtl;

/* a command's work, given what followed its name on the command line */
typedef gint (*IotCtlRunFunc)(IotCtl *ctl, const gchar *const *args);

void
iot_ctl_clear(IotCtl *ctl);
const gchar *
iot_ctl_bus_name(IotCtl *ctl);
void
iot_ctl_usage_error(const gchar *message);
gboolean
iot_ctl_connect_bus(IotCtl *ctl);
void
iot_ctl_print_no_daemon(IotCtl *ctl);
void
iot_ctl_print_no_tunnel(const gchar *name);
gint
iot_ctl_fail(IotCtl *ctl, GError *error, const gchar *tunnel);
void
iot_ctl_print_json(JsonNode *node);
JsonNode *
iot_ctl_proxy_to_json(GDBusProxy *proxy);

IotDBusManager1 *
iot_ctl_manager_new(IotCtl *ctl, GError **error);
IotDBusTunnel1 *
iot_ctl_tunnel_new(IotCtl *ctl, const gchar *name, gboolean with_properties, GError **error);
IotDBusObjectManagerClient *
iot_ctl_object_manager_new(IotCtl *ctl, GError **error);
IotDBusTunnel1 *
iot_ctl_tunnel_of(GDBusObject *object);

gint
iot_ctl_list(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_show(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_info(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_add(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_remove(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_start(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_stop(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_connect(IotCtl *ctl, const gchar *const *args);
gint
iot_ctl_monitor(IotCtl *ctl, const gchar *const *args);

G_END_DECLS
