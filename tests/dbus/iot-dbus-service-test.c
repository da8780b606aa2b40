/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * org.iotunnel.Manager1 of a real iotunneld on a private dbus-daemon, with a
 * real iotunnel-service: the interface as introspected, adding and removing
 * tunnels, tokens by fd, persistence across a restart, every error, callers
 * that go away and many callers at once.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iot-dbus-test-common.h"

typedef IotDBusFixture Fixture;

/* the interface XML, as installed, against what the daemon introspects */
static void
test_compare_args(GDBusArgInfo **expected, GDBusArgInfo **actual, const gchar *where)
{
	guint n = 0;
	for (; expected != NULL && expected[n] != NULL; n++) {
		g_assert_nonnull(actual);
		g_assert_nonnull(actual[n]);
		g_assert_cmpstr(actual[n]->name, ==, expected[n]->name);
		g_assert_cmpstr(actual[n]->signature, ==, expected[n]->signature);
	}
	if (actual != NULL && actual[n] != NULL)
		g_test_message("%s: unexpected argument %s", where, actual[n]->name);
	g_assert_null(actual != NULL ? actual[n] : NULL);
}

static void
test_compare_interface(GDBusInterfaceInfo *expected, GDBusInterfaceInfo *actual)
{
	guint n;

	g_assert_nonnull(actual);
	for (n = 0; expected->methods[n] != NULL; n++) {
		GDBusMethodInfo *method =
		    g_dbus_interface_info_lookup_method(actual, expected->methods[n]->name);
		g_test_message("method %s.%s", expected->name, expected->methods[n]->name);
		g_assert_nonnull(method);
		test_compare_args(expected->methods[n]->in_args, method->in_args, method->name);
		test_compare_args(expected->methods[n]->out_args, method->out_args, method->name);
	}
	g_assert_cmpuint(n, ==, g_strv_length((gchar **)actual->methods));
	for (n = 0; expected->signals[n] != NULL; n++) {
		GDBusSignalInfo *signal =
		    g_dbus_interface_info_lookup_signal(actual, expected->signals[n]->name);
		g_assert_nonnull(signal);
		test_compare_args(expected->signals[n]->args, signal->args, signal->name);
	}
	g_assert_cmpuint(n, ==, g_strv_length((gchar **)actual->signals));
	for (n = 0; expected->properties[n] != NULL; n++) {
		GDBusPropertyInfo *property =
		    g_dbus_interface_info_lookup_property(actual, expected->properties[n]->name);
		g_test_message("property %s.%s", expected->name, expected->properties[n]->name);
		g_assert_nonnull(property);
		g_assert_cmpstr(property->signature, ==, expected->properties[n]->signature);
		g_assert_cmpint(property->flags, ==, expected->properties[n]->flags);
	}
	g_assert_cmpuint(n, ==, g_strv_length((gchar **)actual->properties));
}

static GDBusNodeInfo *
test_introspect(Fixture *fx, const gchar *path)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address_env =
	    g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", fx->bus_address);
	const gchar *argv[] = {"gdbus",
			       "introspect",
			       "--session",
			       "--dest",
			       IOT_DBUS_TEST_NAME,
			       "--object-path",
			       path,
			       "--xml",
			       NULL};
	const gchar *env[] = {address_env, NULL};
	gint status = -1;
	g_autofree gchar *xml = iot_dbus_test_run(argv, env, &status);
	GDBusNodeInfo *node;

	g_assert_cmpint(status, ==, 0);
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return node;
}

static GDBusNodeInfo *
test_load_xml(const gchar *file)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "data", file, NULL);
	g_autofree gchar *xml = NULL;
	GDBusNodeInfo *node;

	g_file_get_contents(path, &xml, NULL, &error);
	g_assert_no_error(error);
	node = g_dbus_node_info_new_for_xml(xml, &error);
	g_assert_no_error(error);
	return node;
}

static void
test_introspect_matches_xml(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusNodeInfo) manager_xml = test_load_xml("org.iotunnel.Manager1.xml");
	g_autoptr(GDBusNodeInfo) tunnel_xml = test_load_xml("org.iotunnel.Tunnel1.xml");
	g_autoptr(GDBusNodeInfo) root = NULL;
	g_autoptr(GDBusNodeInfo) tunnel = NULL;
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, "intro-spect", NULL);
	g_autofree gchar *path = iot_dbus_fixture_add(fx, profile, NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, "/org/iotunnel/tunnel/intro_2dspect");
	root = test_introspect(fx, IOT_DBUS_TEST_PATH);
	test_compare_interface(manager_xml->interfaces[0],
			       g_dbus_node_info_lookup_interface(root, "org.iotunnel.Manager1"));
	g_assert_nonnull(
	    g_dbus_node_info_lookup_interface(root, "org.freedesktop.DBus.ObjectManager"));
	tunnel = test_introspect(fx, path);
	test_compare_interface(tunnel_xml->interfaces[0],
			       g_dbus_node_info_lookup_interface(tunnel, "org.iotunnel.Tunnel1"));
}

static void
test_manager_properties(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusManager1) manager = NULL;
	GVariant *plugins;
	gboolean have_v3 = FALSE;
	gboolean have_websocket = FALSE;

	manager = iot_dbus_manager1_proxy_new_sync(fx->connection,
						   G_DBUS_PROXY_FLAGS_NONE,
						   IOT_DBUS_TEST_NAME,
						   IOT_DBUS_TEST_PATH,
						   NULL,
						   &error);
	g_assert_no_error(error);
	g_assert_cmpstr(iot_dbus_manager1_get_version(manager), ==, PACKAGE_VERSION);
	g_assert_cmpuint(g_strv_length((gchar **)iot_dbus_manager1_get_tunnels(manager)), ==, 0);
	plugins = iot_dbus_manager1_get_plugins(manager);
	g_assert_nonnull(plugins);
	for (gsize i = 0; i < g_variant_n_children(plugins); i++) {
		const gchar *kind;
		const gchar *name;
		g_variant_get_child(plugins, i, "(&s&s&s&s)", &kind, &name, NULL, NULL);
		if (g_strcmp0(kind, "protocol") == 0 && g_strcmp0(name, "v3") == 0)
			have_v3 = TRUE;
		if (g_strcmp0(kind, "transport") == 0 && g_strcmp0(name, "websocket") == 0)
			have_websocket = TRUE;
	}
	g_assert_true(have_v3);
	g_assert_true(have_websocket);
}

static void
test_add_remove(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotDBusManager1) manager = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, "laptop", NULL);
	g_autofree gchar *path = NULL;
	const gchar *const *tunnels;

	manager = iot_dbus_manager1_proxy_new_sync(fx->connection,
						   G_DBUS_PROXY_FLAGS_NONE,
						   IOT_DBUS_TEST_NAME,
						   IOT_DBUS_TEST_PATH,
						   NULL,
						   &error);
	g_assert_no_error(error);
	path = iot_dbus_fixture_add(fx, profile, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(path, ==, "/org/iotunnel/tunnel/laptop");
	tunnel = iot_dbus_fixture_tunnel(fx, path);
	g_assert_cmpstr(iot_dbus_tunnel1_get_name(tunnel), ==, "laptop");
	g_assert_cmpstr(iot_dbus_tunnel1_get_mode(tunnel), ==, "source");
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "stopped");
	g_assert_cmpuint(iot_dbus_tunnel1_get_protocol_version(tunnel), ==, 3);
	g_assert_false(iot_dbus_tunnel1_get_has_access_token(tunnel));
	g_assert_false(iot_dbus_tunnel1_get_persistent(tunnel));
	g_assert_cmpstr(iot_dbus_tunnel1_get_last_error(tunnel), ==, "");
	IOT_DBUS_TEST_WAIT(iot_dbus_manager1_get_tunnels(manager) != NULL &&
			       g_strv_length((gchar **)iot_dbus_manager1_get_tunnels(manager)) == 1,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	tunnels = iot_dbus_manager1_get_tunnels(manager);
	g_assert_cmpstr(tunnels[0], ==, path);

	g_assert_true(iot_dbus_manager1_call_remove_tunnel_sync(fx->manager, path, NULL, &error));
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(g_strv_length((gchar **)iot_dbus_manager1_get_tunnels(manager)) == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	/* the object is gone with it */
	g_assert_false(iot_dbus_tunnel1_call_start_sync(tunnel, NULL, &error));
	g_assert_true(g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
		      g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT));
}

/* a destination tunnel: its name, then more members ending with "," */
#define DESTINATION_TUNNEL                                                                         \
	"{\"name\": \"%s\", \"mode\": \"destination\", \"service\": {\"region\": \"eu-west-1\"}, " \
	"%s\"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"localhost:22\"}}}"

static void
test_add_profile_all_or_nothing(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) paths = NULL;
	g_autofree gchar *profile = NULL;
	g_autofree gchar *bad = NULL;
	g_autofree gchar *one = g_strdup_printf(DESTINATION_TUNNEL, "one", "");
	g_autofree gchar *two = g_strdup_printf(DESTINATION_TUNNEL, "two", "");
	g_autofree gchar *broken =
	    g_strdup_printf(DESTINATION_TUNNEL,
			    "three",
			    "\"transport\": {\"type\": \"carrier-pigeon\"}, ");
	g_autofree gchar *four = g_strdup_printf(DESTINATION_TUNNEL, "four", "");

	profile = g_strdup_printf("{\"tunnels\": [%s, %s]}", one, two);
	g_assert_true(iot_dbus_manager1_call_add_profile_sync(fx->manager,
							      profile,
							      g_variant_new("a{sv}", NULL),
							      NULL,
							      &paths,
							      NULL,
							      NULL,
							      &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(paths), ==, 2);
	g_assert_cmpstr(paths[0], ==, "/org/iotunnel/tunnel/one");
	g_assert_cmpstr(paths[1], ==, "/org/iotunnel/tunnel/two");
	g_clear_pointer(&paths, g_strfreev);

	/* the third cannot be set up: the fourth, before it, is not added either */
	bad = g_strdup_printf("{\"tunnels\": [%s, %s]}", four, broken);
	g_assert_false(iot_dbus_manager1_call_add_profile_sync(fx->manager,
							       bad,
							       g_variant_new("a{sv}", NULL),
							       NULL,
							       &paths,
							       NULL,
							       NULL,
							       &error));
	iot_dbus_test_assert_remote_error(error,
					  "org.iotunnel.Error.SetupFailed",
					  "carrier-pigeon");
	g_clear_error(&error);
	{
		g_autoptr(IotDBusManager1) manager =
		    iot_dbus_manager1_proxy_new_sync(fx->connection,
						     G_DBUS_PROXY_FLAGS_NONE,
						     IOT_DBUS_TEST_NAME,
						     IOT_DBUS_TEST_PATH,
						     NULL,
						     &error);
		g_assert_no_error(error);
		g_assert_cmpuint(g_strv_length((gchar **)iot_dbus_manager1_get_tunnels(manager)),
				 ==,
				 2);
	}
}

static void
test_load_profile(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) paths = NULL;
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, "from-file", NULL);
	g_autofree gchar *file = iot_test_tunnel_write_file(&fx->service, "site.json", profile);
	g_autofree gchar *bad_file =
	    iot_test_tunnel_write_file(&fx->service, "bad.json", "{\"tunnels\": [{}]}");

	g_assert_true(iot_dbus_manager1_call_load_profile_sync(fx->manager,
							       file,
							       g_variant_new("a{sv}", NULL),
							       NULL,
							       &paths,
							       NULL,
							       NULL,
							       &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(paths), ==, 1);
	g_assert_cmpstr(paths[0], ==, "/org/iotunnel/tunnel/from_2dfile");
	g_clear_pointer(&paths, g_strfreev);

	/* messages name the file, as the user gave it */
	g_assert_false(iot_dbus_manager1_call_load_profile_sync(fx->manager,
								bad_file,
								g_variant_new("a{sv}", NULL),
								NULL,
								&paths,
								NULL,
								NULL,
								&error));
	iot_dbus_test_assert_remote_error(error, "org.iotunnel.Error.InvalidProfile", bad_file);
}

/* every error of Manager1, each with its name and a word of its message */
typedef struct {
	const gchar *name;
	const gchar *method; /* AddTunnel, AddProfile, LoadProfile, RemoveTunnel */
	const gchar *argument;
	const gchar *options; /* GVariant text; "@fd" and "@fd2" stand for handles 0 and 1 */
	const gchar *fd_contents[2];
	const gchar *error_name;
	const gchar *fragment;
} ErrorCase;

#define GOOD_TUNNEL                                                                                \
	"{\"name\": \"%s\", \"mode\": \"destination\", \"service\": {\"region\": "                 \
	"\"eu-west-1\"}, \"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": "           \
	"\"localhost:22\"}}}"

static const ErrorCase error_cases[] = {
    {"not-json", "AddTunnel", "{\"tunnels\": [", "{}", {NULL}, "InvalidProfile", "D-Bus:1:"},
    {"bad-mode",
     "AddTunnel",
     "{\"tunnels\": [{\"name\": \"x\", \"mode\": \"sideways\"}]}",
     "{}",
     {NULL},
     "InvalidProfile",
     "$.tunnels[0].mode"},
    {"origin-named",
     "AddTunnel",
     "{\"tunnels\": [{\"name\": \"x\", \"mode\": \"sideways\"}]}",
     "{'origin': <'site.json'>}",
     {NULL},
     "InvalidProfile",
     "site.json: $.tunnels[0].mode"},
    {"unknown-option",
     "AddTunnel",
     "@good",
     "{'colour': <'red'>}",
     {NULL},
     "InvalidArgs",
     "colour"},
    {"option-type", "AddTunnel", "@good", "{'persist': <'yes'>}", {NULL}, "InvalidArgs", "boolean"},
    {"token-twice",
     "AddTunnel",
     "@good",
     "{'access-token': <'abc'>, 'access-token-fd': <@fd>}",
     {"abc", NULL},
     "InvalidArgs",
     "keep one"},
    {"fd-missing", "AddTunnel", "@good", "{'access-token-fd': <@h 3>}", {NULL}, "InvalidArgs", "3"},
    {"two-for-add-tunnel", "AddTunnel", "@two", "{}", {NULL}, "InvalidArgs", "AddProfile"},
    {"tokens-for-two",
     "AddProfile",
     "@two",
     "{'access-token': <'abc'>}",
     {NULL},
     "InvalidArgs",
     "holds 2"},
    {"token-empty-fd",
     "AddTunnel",
     "@good",
     "{'access-token-fd': <@fd>}",
     {"\n", NULL},
     "InvalidToken",
     "no token"},
    {"token-bad-value",
     "AddTunnel",
     "@good",
     "{'access-token': <'two words'>}",
     {NULL},
     "InvalidToken",
     NULL},
    {"client-token-bad-fd",
     "AddTunnel",
     "@good",
     "{'client-token-fd': <@fd>}",
     {"short", NULL},
     "InvalidToken",
     "client_token"},
    {"exists", "AddTunnel", "@existing", "{}", {NULL}, "Exists", "existing"},
    {"setup",
     "AddTunnel",
     "{\"tunnels\": [{\"name\": \"x\", \"mode\": \"source\", \"service\": {\"region\": "
     "\"eu-west-1\"}, \"services\": {\"SSH1\": {\"endpoint\": \"serial\"}}}]}",
     "{}",
     {NULL},
     "SetupFailed",
     "serial"},
    {"load-relative", "LoadProfile", "site.json", "{}", {NULL}, "InvalidArgs", "absolute"},
    {"load-missing", "LoadProfile", "/nonexistent/site.json", "{}", {NULL}, "InvalidProfile", NULL},
    {"load-fifo", "LoadProfile", "@fifo", "{}", {NULL}, "InvalidProfile", "regular file"},
    {"remove-unknown",
     "RemoveTunnel",
     "/org/iotunnel/tunnel/nobody",
     NULL,
     {NULL},
     "NotFound",
     "nobody"},
};

static gchar *
test_error_argument(Fixture *fx, const gchar *argument)
{
	if (g_strcmp0(argument, "@good") == 0) {
		g_autofree gchar *tunnel = g_strdup_printf(GOOD_TUNNEL, "good");
		return g_strdup_printf("{\"tunnels\": [%s]}", tunnel);
	}
	if (g_strcmp0(argument, "@existing") == 0) {
		g_autofree gchar *tunnel = g_strdup_printf(GOOD_TUNNEL, "existing");
		return g_strdup_printf("{\"tunnels\": [%s]}", tunnel);
	}
	if (g_strcmp0(argument, "@two") == 0) {
		g_autofree gchar *one = g_strdup_printf(GOOD_TUNNEL, "one");
		g_autofree gchar *two = g_strdup_printf(GOOD_TUNNEL, "two");
		return g_strdup_printf("{\"tunnels\": [%s, %s]}", one, two);
	}
	if (g_strcmp0(argument, "@fifo") == 0) {
		gchar *path = g_build_filename(fx->service.tmpdir, "fifo.json", NULL);
		g_assert_cmpint(mkfifo(path, 0600), ==, 0);
		return path;
	}
	return g_strdup(argument);
}

static void
test_errors(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *existing = test_error_argument(fx, "@existing");
	g_autofree gchar *existing_path = iot_dbus_fixture_add(fx, existing, NULL, &error);

	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		const ErrorCase *c = &error_cases[i];
		g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
		g_autoptr(GVariant) reply = NULL;
		g_autofree gchar *argument = test_error_argument(fx, c->argument);
		g_autofree gchar *error_name =
		    g_strconcat("org.iotunnel.Error.", c->error_name, NULL);
		g_autoptr(GString) options_text = g_string_new(c->options);
		GVariant *parameters;

		g_test_message("case %s", c->name);
		for (guint j = 0; j < G_N_ELEMENTS(c->fd_contents) && c->fd_contents[j] != NULL;
		     j++) {
			gint fd = iot_dbus_test_pipe_with(c->fd_contents[j]);
			g_unix_fd_list_append(fd_list, fd, &error);
			g_assert_no_error(error);
			close(fd);
		}
		g_string_replace(options_text, "@fd", "@h 0", 0);
		if (g_strcmp0(c->method, "RemoveTunnel") == 0) {
			parameters = g_variant_new("(o)", argument);
		} else {
			GVariant *options = g_variant_parse(G_VARIANT_TYPE_VARDICT,
							    options_text->str,
							    NULL,
							    NULL,
							    &error);
			g_assert_no_error(error);
			/* the parsed value is no floating reference: the tuple takes its own */
			parameters = g_variant_new("(s@a{sv})", argument, options);
			g_variant_unref(options);
		}
		reply = g_dbus_connection_call_with_unix_fd_list_sync(fx->connection,
								      IOT_DBUS_TEST_NAME,
								      IOT_DBUS_TEST_PATH,
								      "org.iotunnel.Manager1",
								      c->method,
								      parameters,
								      NULL,
								      G_DBUS_CALL_FLAGS_NONE,
								      -1,
								      fd_list,
								      NULL,
								      NULL,
								      &error);
		g_assert_null(reply);
		iot_dbus_test_assert_remote_error(error, error_name, c->fragment);
		g_clear_error(&error);
	}
	/* none of them added anything */
	{
		g_autoptr(GVariant) tunnels = NULL;
		g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		    fx->connection,
		    IOT_DBUS_TEST_NAME,
		    IOT_DBUS_TEST_PATH,
		    "org.freedesktop.DBus.Properties",
		    "Get",
		    g_variant_new("(ss)", "org.iotunnel.Manager1", "Tunnels"),
		    G_VARIANT_TYPE("(v)"),
		    G_DBUS_CALL_FLAGS_NONE,
		    -1,
		    NULL,
		    &error);
		g_assert_no_error(error);
		g_variant_get(reply, "(v)", &tunnels);
		g_assert_cmpuint(g_variant_n_children(tunnels), ==, 1);
	}
}

static void
test_errors_storage(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *profile = test_error_argument(fx, "@good");
	g_autofree gchar *folder = g_build_filename(fx->state_home, "iotunnel", NULL);
	g_autofree gchar *blocker = g_build_filename(folder, "tunnels", NULL);
	g_autofree gchar *path = NULL;

	/* a file where the daemon's folder of tunnels would be */
	g_assert_cmpint(g_mkdir_with_parents(folder, 0700), ==, 0);
	g_file_set_contents(blocker, "", 0, &error);
	g_assert_no_error(error);
	path =
	    iot_dbus_fixture_add(fx, profile, g_variant_new_parsed("{'persist': <true>}"), &error);
	g_assert_null(path);
	iot_dbus_test_assert_remote_error(error, "org.iotunnel.Error.StorageFailed", folder);
	g_clear_error(&error);
	/* all or nothing: the tunnel was not added either, so the name is free */
	path = iot_dbus_fixture_add(fx, profile, NULL, &error);
	g_assert_no_error(error);
}

/* a token by fd reaches the service, and nothing shows it afterwards */
static void
test_token_by_fd(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestProcess) destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
	g_autoptr(GVariant) all = NULL;
	g_autoptr(GVariant) managed = NULL;
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, "by-fd", NULL);
	g_autofree gchar *with_newline = g_strdup_printf("%s\n", fx->service.source_token);
	g_autofree gchar *path = NULL;
	g_autofree gchar *all_text = NULL;
	g_autofree gchar *managed_text = NULL;
	g_autofree gchar *output = NULL;
	gint fd = iot_dbus_test_pipe_with(with_newline);

	g_unix_fd_list_append(fd_list, fd, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(iot_dbus_manager1_call_add_tunnel_sync(
	    fx->manager,
	    profile,
	    g_variant_new_parsed("{'access-token-fd': <@h 0>, 'start': <true>}"),
	    fd_list,
	    &path,
	    NULL,
	    NULL,
	    &error));
	g_assert_no_error(error);
	tunnel = iot_dbus_fixture_tunnel(fx, path);
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "connected") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_true(iot_dbus_tunnel1_get_has_access_token(tunnel));
	g_assert_cmpstr(iot_dbus_tunnel1_get_channel_id(tunnel), !=, "");

	/* not in the properties, the profile, the objects, the introspection or the logs */
	all = g_dbus_connection_call_sync(fx->connection,
					  IOT_DBUS_TEST_NAME,
					  path,
					  "org.freedesktop.DBus.Properties",
					  "GetAll",
					  g_variant_new("(s)", "org.iotunnel.Tunnel1"),
					  NULL,
					  G_DBUS_CALL_FLAGS_NONE,
					  -1,
					  NULL,
					  &error);
	g_assert_no_error(error);
	managed = g_dbus_connection_call_sync(fx->connection,
					      IOT_DBUS_TEST_NAME,
					      IOT_DBUS_TEST_PATH,
					      "org.freedesktop.DBus.ObjectManager",
					      "GetManagedObjects",
					      NULL,
					      NULL,
					      G_DBUS_CALL_FLAGS_NONE,
					      -1,
					      NULL,
					      &error);
	g_assert_no_error(error);
	all_text = g_variant_print(all, FALSE);
	managed_text = g_variant_print(managed, FALSE);
	g_assert_null(strstr(all_text, fx->service.source_token));
	g_assert_null(strstr(managed_text, fx->service.source_token));
	g_assert_null(strstr(iot_dbus_tunnel1_get_profile(tunnel), fx->service.source_token));
	g_assert_null(strstr(iot_dbus_tunnel1_get_profile(tunnel), "access_token"));
	output = iot_test_process_get_output(fx->daemon);
	g_assert_null(strstr(output, fx->service.source_token));
}

static gchar *
test_state_file(Fixture *fx, const gchar *name)
{
	g_autofree gchar *file = g_strconcat(name, ".json", NULL);
	return g_build_filename(fx->state_home, "iotunnel", "tunnels", file, NULL);
}

static void
test_assert_mode(const gchar *path, guint mode)
{
	GStatBuf st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, mode);
}

static void
test_persist_across_restart(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestProcess) destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autofree gchar *token_file =
	    iot_test_tunnel_write_file(&fx->service, "source.token", fx->service.source_token);
	g_autofree gchar *by_file_extra =
	    g_strdup_printf(", \"access_token\": {\"file\": \"%s\"}", token_file);
	g_autofree gchar *by_file = iot_dbus_fixture_source_profile(fx, "by-file", by_file_extra);
	g_autofree gchar *by_value = iot_dbus_fixture_source_profile(fx, "by-value", NULL);
	g_autofree gchar *passing = iot_dbus_fixture_source_profile(fx, "passing", NULL);
	g_autofree gchar *file_by_file = test_state_file(fx, "by-file");
	g_autofree gchar *file_by_value = test_state_file(fx, "by-value");
	g_autofree gchar *file_passing = test_state_file(fx, "passing");
	g_autofree gchar *contents = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *folder = NULL;
	const gchar *secret = "secret-token-by-value-0123456789";

	g_free(
	    iot_dbus_fixture_add(fx, by_file, g_variant_new_parsed("{'persist': <true>}"), &error));
	g_assert_no_error(error);
	g_free(iot_dbus_fixture_add(
	    fx,
	    by_value,
	    g_variant_new_parsed("{'persist': <true>, 'access-token': <%s>}", secret),
	    &error));
	g_assert_no_error(error);
	g_free(iot_dbus_fixture_add(fx, passing, NULL, &error));
	g_assert_no_error(error);

	/* 0600 in a 0700 folder; a reference stays a reference, a value is kept */
	folder = g_path_get_dirname(file_by_file);
	test_assert_mode(folder, 0700);
	test_assert_mode(file_by_file, 0600);
	test_assert_mode(file_by_value, 0600);
	g_assert_false(g_file_test(file_passing, G_FILE_TEST_EXISTS));
	g_file_get_contents(file_by_file, &contents, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(contents, token_file));
	g_assert_null(strstr(contents, fx->service.source_token));
	g_clear_pointer(&contents, g_free);
	g_file_get_contents(file_by_value, &contents, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(contents, secret));

	iot_dbus_fixture_stop_daemon(fx);
	iot_dbus_fixture_start_daemon(fx);

	/* back, stopped, and usable: the token file is read when it starts */
	tunnel = iot_dbus_fixture_tunnel(fx, "/org/iotunnel/tunnel/by_2dfile");
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "stopped");
	g_assert_true(iot_dbus_tunnel1_get_persistent(tunnel));
	g_assert_true(iot_dbus_tunnel1_call_start_sync(tunnel, NULL, &error));
	g_assert_no_error(error);
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "connected") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	g_clear_object(&tunnel);
	tunnel = iot_dbus_fixture_tunnel(fx, "/org/iotunnel/tunnel/by_2dvalue");
	g_assert_true(iot_dbus_tunnel1_get_persistent(tunnel));
	g_assert_true(iot_dbus_tunnel1_get_has_access_token(tunnel));
	g_clear_object(&tunnel);
	tunnel = iot_dbus_fixture_tunnel(fx, "/org/iotunnel/tunnel/passing");
	g_assert_null(iot_dbus_tunnel1_get_name(tunnel));
	g_clear_object(&tunnel);

	/* removing forgets it, across the next restart too */
	g_assert_true(iot_dbus_manager1_call_remove_tunnel_sync(fx->manager,
								"/org/iotunnel/tunnel/by_2dvalue",
								NULL,
								&error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(file_by_value, G_FILE_TEST_EXISTS));
	iot_dbus_fixture_stop_daemon(fx);
	iot_dbus_fixture_start_daemon(fx);
	tunnel = iot_dbus_fixture_tunnel(fx, "/org/iotunnel/tunnel/by_2dvalue");
	g_assert_null(iot_dbus_tunnel1_get_name(tunnel));
	g_clear_object(&tunnel);
	tunnel = iot_dbus_fixture_tunnel(fx, "/org/iotunnel/tunnel/by_2dfile");
	g_assert_cmpstr(iot_dbus_tunnel1_get_name(tunnel), ==, "by-file");
}

/* a caller that goes away while the daemon waits for its token fd */
static void
test_caller_vanishes(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) caller = iot_dbus_fixture_new_connection(fx);
	g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
	g_autoptr(GVariant) tunnels = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autofree gchar *profile = test_error_argument(fx, "@good");
	g_autofree gchar *line = NULL;
	gint fds[2];

	g_unix_open_pipe(fds, FD_CLOEXEC, &error);
	g_assert_no_error(error);
	g_unix_fd_list_append(fd_list, fds[0], &error);
	g_assert_no_error(error);
	close(fds[0]);
	/* the write end stays open and silent: the daemon waits for the token */
	g_dbus_connection_call_with_unix_fd_list(
	    caller,
	    IOT_DBUS_TEST_NAME,
	    IOT_DBUS_TEST_PATH,
	    "org.iotunnel.Manager1",
	    "AddTunnel",
	    g_variant_new("(s@a{sv})",
			  profile,
			  g_variant_new_parsed("{'access-token-fd': <@h 0>}")),
	    NULL,
	    G_DBUS_CALL_FLAGS_NONE,
	    -1,
	    fd_list,
	    NULL,
	    NULL,
	    NULL);
	g_dbus_connection_flush_sync(caller, NULL, &error);
	g_assert_no_error(error);
	g_dbus_connection_close_sync(caller, NULL, &error);
	g_assert_no_error(error);
	/* the daemon's is then the only read end left */
	g_clear_object(&fd_list);
	g_clear_object(&caller);

	line = iot_test_process_wait_line(fx->daemon,
					  "went away before its AddTunnel was done",
					  IOT_DBUS_TEST_TIMEOUT_MS,
					  &error);
	g_assert_no_error(error);
	/* the daemon let go of the pipe, and added nothing */
	IOT_DBUS_TEST_WAIT(write(fds[1], "x", 1) < 0 && errno == EPIPE, IOT_DBUS_TEST_TIMEOUT_MS);
	close(fds[1]);
	reply =
	    g_dbus_connection_call_sync(fx->connection,
					IOT_DBUS_TEST_NAME,
					IOT_DBUS_TEST_PATH,
					"org.freedesktop.DBus.Properties",
					"Get",
					g_variant_new("(ss)", "org.iotunnel.Manager1", "Tunnels"),
					G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE,
					-1,
					NULL,
					&error);
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &tunnels);
	g_assert_cmpuint(g_variant_n_children(tunnels), ==, 0);
}

/* many clients at once: each adds a tunnel, lists them, and removes its own */
#define MANY_CLIENTS 24

typedef struct {
	guint pending;
	guint failed;
	gchar *paths[MANY_CLIENTS];
} ManyClients;

static void
test_many_add_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ManyClients *many = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	guint index = GPOINTER_TO_UINT(g_object_get_data(source, "index"));

	if (reply == NULL) {
		g_test_message("client %u: %s", index, error->message);
		many->failed++;
	} else {
		g_variant_get(reply, "(o)", &many->paths[index]);
	}
	many->pending--;
}

static void
test_many_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ManyClients *many = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	if (reply == NULL) {
		g_test_message("%s", error->message);
		many->failed++;
	}
	many->pending--;
}

static void
test_many_clients(Fixture *fx, gconstpointer data)
{
	GDBusConnection *clients[MANY_CLIENTS];
	ManyClients many = {0};
	g_autoptr(GTimer) timer = g_timer_new();

	for (guint i = 0; i < MANY_CLIENTS; i++) {
		clients[i] = iot_dbus_fixture_new_connection(fx);
		g_object_set_data(G_OBJECT(clients[i]), "index", GUINT_TO_POINTER(i));
	}
	for (guint i = 0; i < MANY_CLIENTS; i++) {
		g_autofree gchar *name = g_strdup_printf("client%02u", i);
		g_autofree gchar *tunnel = g_strdup_printf(GOOD_TUNNEL, name);
		g_autofree gchar *profile = g_strdup_printf("{\"tunnels\": [%s]}", tunnel);
		/* half of them pass the token by fd, so that some calls wait */
		g_autoptr(GUnixFDList) fd_list = g_unix_fd_list_new();
		GVariant *options;
		if (i % 2 == 0) {
			g_autoptr(GError) error = NULL;
			gint fd = iot_dbus_test_pipe_with("token-of-a-client");
			g_unix_fd_list_append(fd_list, fd, &error);
			g_assert_no_error(error);
			close(fd);
			options = g_variant_new_parsed("{'access-token-fd': <@h 0>}");
		} else {
			options = g_variant_new("a{sv}", NULL);
		}
		many.pending++;
		g_dbus_connection_call_with_unix_fd_list(
		    clients[i],
		    IOT_DBUS_TEST_NAME,
		    IOT_DBUS_TEST_PATH,
		    "org.iotunnel.Manager1",
		    "AddTunnel",
		    g_variant_new("(s@a{sv})", profile, options),
		    G_VARIANT_TYPE("(o)"),
		    G_DBUS_CALL_FLAGS_NONE,
		    -1,
		    fd_list,
		    NULL,
		    test_many_add_cb,
		    &many);
		many.pending++;
		g_dbus_connection_call(clients[i],
				       IOT_DBUS_TEST_NAME,
				       IOT_DBUS_TEST_PATH,
				       "org.freedesktop.DBus.ObjectManager",
				       "GetManagedObjects",
				       NULL,
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       -1,
				       NULL,
				       test_many_cb,
				       &many);
	}
	IOT_DBUS_TEST_WAIT(many.pending == 0, IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpuint(many.failed, ==, 0);
	for (guint i = 0; i < MANY_CLIENTS; i++) {
		g_autofree gchar *expected = g_strdup_printf("/org/iotunnel/tunnel/client%02u", i);
		g_assert_cmpstr(many.paths[i], ==, expected);
		many.pending++;
		g_dbus_connection_call(clients[i],
				       IOT_DBUS_TEST_NAME,
				       IOT_DBUS_TEST_PATH,
				       "org.iotunnel.Manager1",
				       "RemoveTunnel",
				       g_variant_new("(o)", many.paths[i]),
				       NULL,
				       G_DBUS_CALL_FLAGS_NONE,
				       -1,
				       NULL,
				       test_many_cb,
				       &many);
	}
	IOT_DBUS_TEST_WAIT(many.pending == 0, IOT_DBUS_TEST_TIMEOUT_MS);
	g_assert_cmpuint(many.failed, ==, 0);
	g_test_message("%u clients added, listed and removed in %.0f ms",
		       MANY_CLIENTS,
		       g_timer_elapsed(timer, NULL) * 1000);
	for (guint i = 0; i < MANY_CLIENTS; i++) {
		g_dbus_connection_close_sync(clients[i], NULL, NULL);
		g_object_unref(clients[i]);
		g_free(many.paths[i]);
	}
}

/* the first call on the bus starts iotunneld through the activation file */
static void
test_activation_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *services =
	    g_test_build_filename(G_TEST_BUILT, "tests", "dbus", "services", NULL);

	fx->service.tmpdir = g_dir_make_tmp("iotunnel-dbus-test-XXXXXX", &error);
	g_assert_no_error(error);
	iot_dbus_fixture_setup_bus(fx, services);
}

static void
test_activation(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) version = NULL;

	reply =
	    g_dbus_connection_call_sync(fx->connection,
					IOT_DBUS_TEST_NAME,
					IOT_DBUS_TEST_PATH,
					"org.freedesktop.DBus.Properties",
					"Get",
					g_variant_new("(ss)", "org.iotunnel.Manager1", "Version"),
					G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE,
					IOT_DBUS_TEST_TIMEOUT_MS,
					NULL,
					&error);
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &version);
	g_assert_cmpstr(g_variant_get_string(version, NULL), ==, PACKAGE_VERSION);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	/* a reader that went away is an error to check, not a signal */
	signal(SIGPIPE, SIG_IGN);

#define ADD(path, func)                                                                            \
	g_test_add(path, Fixture, NULL, iot_dbus_fixture_setup, func, iot_dbus_fixture_teardown)
	ADD("/iotunnel/dbus-service/introspect-matches-xml", test_introspect_matches_xml);
	ADD("/iotunnel/dbus-service/manager-properties", test_manager_properties);
	ADD("/iotunnel/dbus-service/add-remove", test_add_remove);
	ADD("/iotunnel/dbus-service/add-profile-all-or-nothing", test_add_profile_all_or_nothing);
	ADD("/iotunnel/dbus-service/load-profile", test_load_profile);
	ADD("/iotunnel/dbus-service/errors", test_errors);
	ADD("/iotunnel/dbus-service/errors-storage", test_errors_storage);
	ADD("/iotunnel/dbus-service/token-by-fd", test_token_by_fd);
	ADD("/iotunnel/dbus-service/persist-across-restart", test_persist_across_restart);
	ADD("/iotunnel/dbus-service/caller-vanishes", test_caller_vanishes);
	ADD("/iotunnel/dbus-service/many-clients", test_many_clients);
#undef ADD
	g_test_add("/iotunnel/dbus-service/activation",
		   Fixture,
		   NULL,
		   test_activation_setup,
		   test_activation,
		   iot_dbus_fixture_teardown);
	return g_test_run();
}
