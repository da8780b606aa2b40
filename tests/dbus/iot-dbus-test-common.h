/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-dbus-generated.h"
#include "iot-test-tunnel.h"

G_BEGIN_DECLS

#define IOT_DBUS_TEST_NAME "org.iotunnel.Daemon"
#define IOT_DBUS_TEST_PATH "/org/iotunnel"

/* lets a tunnel's source token be used again, by a later session */
#define IOT_DBUS_TEST_CLIENT_TOKEN "dbus-test-client-token-0123456789abcdef"

/* how long a daemon, a state or a connection may take to show up */
#define IOT_DBUS_TEST_TIMEOUT_MS 20000

/*
 * A private dbus-daemon, a real iotunnel-service with one tunnel
 * open on it, the app a destination proxy reaches, and iotunneld --session
 * on that bus with its own state folder.
 */
typedef struct {
	IotTestTunnel service;
	IotTestProcess *bus; /* dbus-daemon */
	gchar *bus_address;
	gchar *state_home; /* the daemon's XDG_STATE_HOME */
	IotTestProcess *daemon;
	GDBusConnection *connection; /* ours, private */
	IotDBusManager1 *manager;
	GSocket *app_listener;
	guint16 app_port;
} IotDBusFixture;

void
iot_dbus_test_iterate(gint64 deadline);

/* iterates the main context until @cond holds, failing the test after @timeout_ms */
#define IOT_DBUS_TEST_WAIT(cond, timeout_ms)                                                       \
	G_STMT_START                                                                               \
	{                                                                                          \
		gint64 iot_deadline_ = g_get_monotonic_time() + (gint64)(timeout_ms)*1000;         \
		while (!(cond) && g_get_monotonic_time() < iot_deadline_)                          \
			iot_dbus_test_iterate(iot_deadline_);                                      \
		if (!(cond))                                                                       \
			g_test_message("timed out after %u ms", (guint)(timeout_ms));              \
		g_assert_true(cond);                                                               \
	}                                                                                          \
	G_STMT_END

IotTestProcess *
iot_dbus_test_spawn_bus(const gchar *config, const gchar *const *env, gchar **address);
void
iot_dbus_fixture_setup_bus(IotDBusFixture *fx, const gchar *service_dir);
void
iot_dbus_fixture_setup_service(IotDBusFixture *fx, const gchar *const *services);
void
iot_dbus_fixture_setup(IotDBusFixture *fx, gconstpointer data);
void
iot_dbus_fixture_teardown(IotDBusFixture *fx, gconstpointer data);
void
iot_dbus_fixture_start_daemon(IotDBusFixture *fx);
void
iot_dbus_fixture_stop_daemon(IotDBusFixture *fx);
GDBusConnection *
iot_dbus_fixture_new_connection(IotDBusFixture *fx);
IotTestProcess *
iot_dbus_fixture_spawn_destination(IotDBusFixture *fx, const gchar *services);
gchar *
iot_dbus_fixture_source_profile(IotDBusFixture *fx, const gchar *name, const gchar *extra);
gchar *
iot_dbus_fixture_add(IotDBusFixture *fx, const gchar *profile, GVariant *options, GError **error);
IotDBusTunnel1 *
iot_dbus_fixture_add_source(IotDBusFixture *fx,
			    const gchar *name,
			    gboolean start,
			    gchar **path_out);
IotDBusTunnel1 *
iot_dbus_fixture_tunnel(IotDBusFixture *fx, const gchar *path);
gchar *
iot_dbus_fixture_listen_address(IotDBusTunnel1 *tunnel, const gchar *service);
gint
iot_dbus_test_pipe_with(const gchar *text);
void
iot_dbus_test_assert_remote_error(const GError *error, const gchar *name, const gchar *fragment);
gchar *
iot_dbus_test_run(const gchar *const *argv, const gchar *const *env, gint *status);

G_END_DECLS
