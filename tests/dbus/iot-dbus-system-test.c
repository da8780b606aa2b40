/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What iotunnel installs for the system: the bus policy, loaded into a real
 * dbus-daemon set up like a system bus, with iotunneld --system on it and
 * callers of other users (root manages, anyone else reads); and the systemd
 * units, checked by systemd-analyze as they would be installed.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "iot-dbus-test-common.h"

/* the exposure systemd-analyze gives the hardened units may not grow past this */
#define TEST_MAX_EXPOSURE 2.0

typedef struct {
	IotTestTunnel files; /* only its temporary folder */
	gchar *address;
	IotTestProcess *bus;
	IotTestProcess *daemon;
} Fixture;

/* a bus that denies what its policy files do not allow, as Debian's system bus */
static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *policy =
	    g_test_build_filename(G_TEST_DIST, "data", "dbus", "org.iotunnel.Daemon.conf", NULL);
	g_autofree gchar *socket = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *printed = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *state_env = NULL;
	g_autofree gchar *bus_env = NULL;
	g_autofree gchar *line = NULL;

	if (getuid() != 0)
		return;
	fx->files.tmpdir = g_dir_make_tmp("iotunnel-system-test-XXXXXX", &error);
	g_assert_no_error(error);
	/* other users must reach the socket */
	g_assert_cmpint(g_chmod(fx->files.tmpdir, 0755), ==, 0);
	socket = g_build_filename(fx->files.tmpdir, "system_bus_socket", NULL);
	fx->address = g_strdup_printf("unix:path=%s", socket);
	config = g_strdup_printf(
	    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
	    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
	    "<busconfig>\n"
	    "  <type>system</type>\n"
	    "  <listen>%s</listen>\n"
	    "  <auth>EXTERNAL</auth>\n"
	    "  <policy context=\"default\">\n"
	    "    <allow user=\"*\"/>\n"
	    "    <deny own=\"*\"/>\n"
	    "    <deny send_type=\"method_call\"/>\n"
	    "    <allow send_type=\"signal\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
	    "    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
	    "    <allow receive_type=\"method_call\"/>\n"
	    "    <allow receive_type=\"method_return\"/>\n"
	    "    <allow receive_type=\"error\"/>\n"
	    "    <allow receive_type=\"signal\"/>\n"
	    "    <allow send_destination=\"org.freedesktop.DBus\"\n"
	    "           send_interface=\"org.freedesktop.DBus\"/>\n"
	    "    <allow send_destination=\"org.freedesktop.DBus\"\n"
	    "           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
	    "  </policy>\n"
	    "  <include>%s</include>\n"
	    "</busconfig>\n",
	    fx->address,
	    policy);
	config_path = g_build_filename(fx->files.tmpdir, "system.conf", NULL);
	g_file_set_contents(config_path, config, -1, &error);
	g_assert_no_error(error);
	fx->bus = iot_dbus_test_spawn_bus(config_path, NULL, &printed);
	g_assert_true(g_str_has_prefix(printed, fx->address));

	state_env = g_strdup_printf("STATE_DIRECTORY=%s/state", fx->files.tmpdir);
	bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->address);
	fx->daemon =
	    iot_test_process_spawn((const gchar *const[]){IOTUNNELD_PATH, "--system", NULL},
				   (const gchar *const[]){state_env, bus_env, NULL},
				   &error);
	g_assert_no_error(error);
	line = iot_test_process_wait_line(fx->daemon,
					  "serving tunnels on the system bus",
					  IOT_DBUS_TEST_TIMEOUT_MS,
					  &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	IotTestProcess *processes[] = {fx->daemon, fx->bus};

	for (guint i = 0; i < G_N_ELEMENTS(processes); i++) {
		gint status = -1;
		if (processes[i] == NULL)
			continue;
		iot_test_process_signal(processes[i], SIGTERM);
		g_assert_true(
		    iot_test_process_wait_exit(processes[i], IOT_DBUS_TEST_TIMEOUT_MS, &status));
		g_object_unref(processes[i]);
	}
	iot_test_tunnel_clear(&fx->files);
	g_free(fx->address);
}

/* runs @argv on the fixture's bus as @uid (0 for root), returning its output */
static gchar *
run_as(Fixture *fx, guint uid, const gchar *const *argv, gint *status)
{
	g_autoptr(GPtrArray) command = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *bus_env = g_strdup_printf("DBUS_SYSTEM_BUS_ADDRESS=%s", fx->address);
	/* a folder anyone may write, so that only the bus can say no */
	const gchar *env[] = {bus_env, "STATE_DIRECTORY=/tmp", NULL};

	if (uid != 0) {
		g_ptr_array_add(command, g_strdup("setpriv"));
		g_ptr_array_add(command, g_strdup_printf("--reuid=%u", uid));
		g_ptr_array_add(command, g_strdup_printf("--regid=%u", uid));
		g_ptr_array_add(command, g_strdup("--clear-groups"));
	}
	for (guint i = 0; argv[i] != NULL; i++)
		g_ptr_array_add(command, g_strdup(argv[i]));
	g_ptr_array_add(command, NULL);
	return iot_dbus_test_run((const gchar *const *)command->pdata, env, status);
}

static gboolean
test_is_root(void)
{
	if (getuid() == 0)
		return TRUE;
	g_test_skip("needs root, to call the bus as other users");
	return FALSE;
}

/* anyone may read the daemon's state; only root may change it */
static void
test_policy(Fixture *fx, gconstpointer data)
{
	const guint nobody = 65534;
	const gchar *const get_version[] = {"gdbus",
					    "call",
					    "--system",
					    "--dest",
					    IOT_DBUS_TEST_NAME,
					    "--object-path",
					    IOT_DBUS_TEST_PATH,
					    "--method",
					    "org.freedesktop.DBus.Properties.Get",
					    "org.iotunnel.Manager1",
					    "Version",
					    NULL};
	const gchar *const add_tunnel[] = {
	    "gdbus",
	    "call",
	    "--system",
	    "--dest",
	    IOT_DBUS_TEST_NAME,
	    "--object-path",
	    IOT_DBUS_TEST_PATH,
	    "--method",
	    "org.iotunnel.Manager1.AddTunnel",
	    "{\"name\": \"web\", \"mode\": \"destination\", \"service\": {\"endpoint\": "
	    "\"127.0.0.1:9\"}, \"services\": {\"HTTP\": {\"endpoint\": \"tcp\", \"address\": "
	    "\"127.0.0.1:8080\"}}}",
	    "{}",
	    NULL};
	const gchar *const list[] = {IOTUNNELCTL_PATH, "--system", "list", NULL};
	const gchar *const stop[] = {IOTUNNELCTL_PATH, "--system", "stop", "web", NULL};
	gint status = -1;
	g_autofree gchar *output = NULL;

	if (!test_is_root())
		return;
	output = run_as(fx, nobody, get_version, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(output, PACKAGE_VERSION));
	g_clear_pointer(&output, g_free);

	output = run_as(fx, nobody, add_tunnel, &status);
	g_test_message("nobody adds: %s", output);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(output, "org.freedesktop.DBus.Error.AccessDenied"));
	g_clear_pointer(&output, g_free);

	output = run_as(fx, 0, add_tunnel, &status);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(output, "/org/iotunnel/tunnel/web"));
	g_clear_pointer(&output, g_free);

	/* the tunnel root added is there for everyone to see, and theirs to leave alone */
	output = run_as(fx, nobody, list, &status);
	g_test_message("nobody lists:\n%s", output);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(output, "web"));
	g_clear_pointer(&output, g_free);
	output = run_as(fx, nobody, stop, &status);
	g_test_message("nobody stops: %s", output);
	g_assert_cmpint(status, !=, 0);
	g_clear_pointer(&output, g_free);
	output = run_as(fx, 0, stop, &status);
	g_assert_cmpint(status, ==, 0);
}

/* a user may not take the daemon's name on the system bus */
static void
test_policy_own(Fixture *fx, gconstpointer data)
{
	const gchar *const own[] = {IOTUNNELD_PATH, "--system", NULL};
	gint status = -1;
	g_autofree gchar *output = NULL;

	if (!test_is_root())
		return;
	output = run_as(fx, 65534, own, &status);
	g_test_message("nobody runs iotunneld --system: %s", output);
	g_assert_cmpint(status, !=, 0);
	g_assert_nonnull(strstr(output, IOT_DBUS_TEST_NAME));
}

static gchar *
test_unit_path(const gchar *name)
{
	return g_test_build_filename(G_TEST_BUILT, "tests", "dbus", "units", name, NULL);
}

/* systemd reads the units as installed without a complaint, and finds them hardened */
static void
test_units(void)
{
	const gchar *const units[] = {"iotunnel.service", "iotunnel@demo.service", NULL};
	g_autofree gchar *user_unit = test_unit_path("iotunnel-user.service");
	g_autofree gchar *analyze = g_find_program_in_path("systemd-analyze");

	if (analyze == NULL) {
		g_test_skip("systemd-analyze is not installed");
		return;
	}
	for (guint i = 0; units[i] != NULL; i++) {
		g_autofree gchar *path = test_unit_path(units[i]);
		const gchar *const verify[] = {"systemd-analyze", "verify", "--man=no", path, NULL};
		const gchar *const security[] = {"systemd-analyze",
						 "security",
						 "--offline=true",
						 path,
						 NULL};
		gint status = -1;
		g_autofree gchar *output = iot_dbus_test_run(verify, NULL, &status);
		g_autofree gchar *report = NULL;
		const gchar *overall;
		gdouble exposure;

		g_test_message("systemd-analyze verify %s: %s", units[i], output);
		g_assert_cmpint(status, ==, 0);
		g_assert_cmpstr(output, ==, "");
		report = iot_dbus_test_run(security, NULL, &status);
		overall = strstr(report, "Overall exposure level for ");
		g_assert_nonnull(overall);
		overall = strstr(overall, ": ");
		g_assert_nonnull(overall);
		exposure = g_ascii_strtod(overall + 2, NULL);
		g_test_message("%s: exposure %.1f", units[i], exposure);
		g_assert_cmpfloat(exposure, <=, TEST_MAX_EXPOSURE);
	}
	{
		/* a user manager needs a runtime folder */
		IotTestTunnel runtime = {0};
		g_autoptr(GError) error = NULL;
		g_autofree gchar *runtime_env = NULL;
		const gchar *const verify[] =
		    {"systemd-analyze", "verify", "--user", "--man=no", user_unit, NULL};
		gint status = -1;
		g_autofree gchar *output = NULL;

		runtime.tmpdir = g_dir_make_tmp("iotunnel-runtime-XXXXXX", &error);
		g_assert_no_error(error);
		runtime_env = g_strdup_printf("XDG_RUNTIME_DIR=%s", runtime.tmpdir);
		output =
		    iot_dbus_test_run(verify, (const gchar *const[]){runtime_env, NULL}, &status);

		g_test_message("systemd-analyze verify --user: %s", output);
		g_assert_cmpint(status, ==, 0);
		g_assert_cmpstr(output, ==, "");
		iot_test_tunnel_clear(&runtime);
	}
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/dbus-system/policy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_policy,
		   fixture_teardown);
	g_test_add("/iotunnel/dbus-system/policy-own",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_policy_own,
		   fixture_teardown);
	g_test_add_func("/iotunnel/dbus-system/units", test_units);
	return g_test_run();
}
