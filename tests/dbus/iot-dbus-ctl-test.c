/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * iotunnelctl as a user runs it: the real binary against a real iotunneld on
 * a private dbus-daemon and a real iotunnel-service. Adding, listing,
 * showing and removing tunnels, starting and stopping them, carrying bytes
 * through `connect`, watching with `monitor`, the errors a user meets and the
 * bash completion. No output of iotunnelctl ever holds a token.
 */

#include "config.h"

#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iot-dbus-test-common.h"

typedef IotDBusFixture Fixture;

#define TEST_TUNNEL_PATH_PREFIX "/org/iotunnel/tunnel/"

/* how iotunnelctl ended and what it printed */
typedef struct {
	gint status;
	gchar *out;
	gchar *err;
} CtlResult;

static void
test_ctl_result_clear(CtlResult *result)
{
	g_clear_pointer(&result->out, g_free);
	g_clear_pointer(&result->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CtlResult, test_ctl_result_clear)

/* a process being waited for: its output, then its exit */
typedef struct {
	gboolean communicated;
	gboolean exited;
	gchar *out;
	gchar *err;
	GError *error;
} TestWait;

static void
test_communicate_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TestWait *wait = user_data;
	g_subprocess_communicate_utf8_finish(G_SUBPROCESS(source),
					     result,
					     &wait->out,
					     &wait->err,
					     &wait->error);
	wait->communicated = TRUE;
}

static void
test_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TestWait *wait = user_data;
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	wait->exited = TRUE;
}

/* iterates until *@done, or kills @process and fails the test after the deadline */
static void
test_wait_for(gboolean *done, GSubprocess *process, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!*done && g_get_monotonic_time() < deadline)
		iot_dbus_test_iterate(deadline);
	if (!*done) {
		g_test_message("%s did not finish within %u ms",
			       g_subprocess_get_identifier(process),
			       timeout_ms);
		g_subprocess_force_exit(process);
	}
	g_assert_true(*done);
}

/* the tokens of the fixture's tunnel are in none of @text */
static void
test_assert_no_token(Fixture *fx, const gchar *text)
{
	if (text == NULL)
		return;
	g_assert_null(strstr(text, fx->service.source_token));
	g_assert_null(strstr(text, fx->service.destination_token));
	g_assert_null(strstr(text, IOT_DBUS_TEST_CLIENT_TOKEN));
}

/* collects what @process prints on its pipes and how it ends, within the timeout */
static void
test_finish(Fixture *fx, GSubprocess *process, guint timeout_ms, CtlResult *result)
{
	TestWait wait = {0};

	test_ctl_result_clear(result);
	g_subprocess_communicate_utf8_async(process, NULL, NULL, test_communicate_cb, &wait);
	test_wait_for(&wait.communicated, process, timeout_ms);
	g_assert_no_error(wait.error);
	g_subprocess_wait_async(process, NULL, test_wait_cb, &wait);
	test_wait_for(&wait.exited, process, timeout_ms);
	result->status = g_subprocess_get_if_exited(process)
			     ? g_subprocess_get_exit_status(process)
			     : 128 + g_subprocess_get_term_sig(process);
	result->out = g_steal_pointer(&wait.out);
	result->err = g_steal_pointer(&wait.err);
	test_assert_no_token(fx, result->out);
	test_assert_no_token(fx, result->err);
}

/* a launcher whose children talk to the fixture's bus, with @env_extra (NAME=VALUE) */
static GSubprocessLauncher *
test_launcher(Fixture *fx, const gchar *const *env_extra, GSubprocessFlags flags)
{
	GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);

	g_subprocess_launcher_set_child_setup(launcher, iot_test_process_child_setup, NULL, NULL);

	g_subprocess_launcher_setenv(launcher, "DBUS_SESSION_BUS_ADDRESS", fx->bus_address, TRUE);
	for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env_extra[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1], TRUE);
	}
	return launcher;
}

/* runs @argv with its stdout and stderr apart, and fails the test after the timeout */
static void
test_run(Fixture *fx, const gchar *const *argv, const gchar *const *env_extra, CtlResult *result)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher =
	    test_launcher(fx,
			  env_extra,
			  G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = g_subprocess_launcher_spawnv(launcher, argv, &error);

	g_assert_no_error(error);
	test_finish(fx, process, IOT_DBUS_TEST_TIMEOUT_MS, result);
}

/* iotunnelctl ARGUMENT... (a %NULL-terminated list) with @env_extra */
static void
test_ctl_env(Fixture *fx, const gchar *const *env_extra, CtlResult *result, ...)
    G_GNUC_NULL_TERMINATED;

static void
test_ctl_env(Fixture *fx, const gchar *const *env_extra, CtlResult *result, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *line = NULL;
	const gchar *arg;
	va_list args;

	g_ptr_array_add(argv, (gpointer)IOTUNNELCTL_PATH);
	va_start(args, result);
	while ((arg = va_arg(args, const gchar *)) != NULL)
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	line = g_strjoinv(" ", (gchar **)argv->pdata);
	test_run(fx, (const gchar *const *)argv->pdata, env_extra, result);
	g_test_message("%s: exit %d\n%s%s", line, result->status, result->out, result->err);
}

#define test_ctl(fx, result, ...) test_ctl_env(fx, NULL, result, __VA_ARGS__)

/* @text is one line: "iotunnelctl: " and a sentence that holds each fragment */
static void
test_assert_one_sentence(const gchar *text, const gchar *fragment, const gchar *fragment2)
{
	const gchar *newline = strchr(text, '\n');

	g_assert_true(g_str_has_prefix(text, "iotunnelctl: "));
	g_assert_nonnull(newline);
	g_assert_cmpstr(newline, ==, "\n");
	/* no D-Bus error names or internal chains reach the user */
	g_assert_null(strstr(text, "GDBus.Error"));
	g_assert_null(strstr(text, "org.iotunnel.Error"));
	g_assert_null(strstr(text, "org.freedesktop.DBus.Error"));
	if (fragment != NULL)
		g_assert_nonnull(strstr(text, fragment));
	if (fragment2 != NULL)
		g_assert_nonnull(strstr(text, fragment2));
}

static gboolean
test_daemon_on_bus(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_sync(fx->connection,
					"org.freedesktop.DBus",
					"/org/freedesktop/DBus",
					"org.freedesktop.DBus",
					"NameHasOwner",
					g_variant_new("(s)", IOT_DBUS_TEST_NAME),
					G_VARIANT_TYPE("(b)"),
					G_DBUS_CALL_FLAGS_NONE,
					-1,
					NULL,
					&error);
	gboolean has_owner = FALSE;

	g_assert_no_error(error);
	g_variant_get(reply, "(b)", &has_owner);
	return has_owner;
}

/* stops iotunneld, and waits until the bus has seen it go */
static void
test_stop_daemon(Fixture *fx)
{
	iot_dbus_fixture_stop_daemon(fx);
	IOT_DBUS_TEST_WAIT(!test_daemon_on_bus(fx), IOT_DBUS_TEST_TIMEOUT_MS);
}

/* a usage error: one sentence, the pointer to --help, and exit 2 */
static void
test_assert_usage(const CtlResult *result, const gchar *fragment)
{
	g_auto(GStrv) lines = g_strsplit(result->err, "\n", -1);

	g_assert_cmpint(result->status, ==, 2);
	g_assert_cmpstr(result->out, ==, "");
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_true(g_str_has_prefix(lines[0], "iotunnelctl: "));
	g_assert_nonnull(strstr(lines[0], fragment));
	g_assert_cmpstr(lines[1], ==, "Try \"iotunnelctl --help\" for more information.");
	g_assert_cmpstr(lines[2], ==, "");
}

static gboolean
test_matches(const gchar *regex, const gchar *text)
{
	gboolean matches = g_regex_match_simple(regex, text, G_REGEX_MULTILINE, 0);
	if (!matches)
		g_test_message("/%s/ does not match:\n%s", regex, text);
	return matches;
}

static JsonNode *
test_parse_json(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

/* writes a source profile of @name to the fixture's folder; returns its path */
static gchar *
test_write_profile(Fixture *fx, const gchar *name)
{
	g_autofree gchar *profile = iot_dbus_fixture_source_profile(fx, name, NULL);
	g_autofree gchar *file = g_strconcat(name, ".json", NULL);
	return iot_test_tunnel_write_file(&fx->service, file, profile);
}

/*
 * iotunnelctl add, the source token and a client token from files; returns
 * the tunnel's object path
 */
static gchar *
test_ctl_add(Fixture *fx, const gchar *name)
{
	g_auto(CtlResult) result = {0};
	g_autofree gchar *file = test_write_profile(fx, name);
	g_autofree gchar *token_file =
	    iot_test_tunnel_write_file(&fx->service, "source.token", fx->service.source_token);
	g_autofree gchar *client_token_file =
	    iot_test_tunnel_write_file(&fx->service, "client.token", IOT_DBUS_TEST_CLIENT_TOKEN);
	g_autofree gchar *escaped = g_dbus_escape_object_path(name);
	g_autofree gchar *path = g_strconcat(TEST_TUNNEL_PATH_PREFIX, escaped, NULL);
	g_autofree gchar *expected = g_strconcat(path, "\n", NULL);

	test_ctl(fx,
		 &result,
		 "add",
		 "--access-token-file",
		 token_file,
		 "--client-token-file",
		 client_token_file,
		 file,
		 NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, expected);
	g_assert_cmpstr(result.err, ==, "");
	return g_steal_pointer(&path);
}

/* iotunnelctl start, then the Tunnel1 object until it is connected */
static IotDBusTunnel1 *
test_ctl_start(Fixture *fx, const gchar *name, const gchar *path)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(IotDBusTunnel1) tunnel = iot_dbus_fixture_tunnel(fx, path);

	test_ctl(fx, &result, "start", name, NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, "");
	g_assert_cmpstr(result.err, ==, "");
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "connected") == 0 ||
			       g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "failed") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	if (g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "connected") != 0)
		g_test_message("%s failed: %s", name, iot_dbus_tunnel1_get_last_error(tunnel));
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "connected");
	return g_steal_pointer(&tunnel);
}

/* one member of `show --json` */
static gchar *
test_ctl_show_member(Fixture *fx, const gchar *name, const gchar *member)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(JsonNode) root = NULL;
	JsonObject *object;

	test_ctl(fx, &result, "show", name, "--json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	root = test_parse_json(result.out);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	object = json_node_get_object(root);
	g_assert_true(json_object_has_member(object, member));
	return g_strdup(json_object_get_string_member(object, member));
}

/* add, list, show and remove, with the token from a file and from a variable */
static void
test_add_list_show_remove(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *laptop = test_write_profile(fx, "laptop");
	g_autofree gchar *desk = test_write_profile(fx, "desk-top");
	g_autofree gchar *token_file =
	    iot_test_tunnel_write_file(&fx->service, "source.token", fx->service.source_token);
	g_autofree gchar *token_env =
	    g_strdup_printf("IOT_TEST_TOKEN=%s", fx->service.source_token);
	g_autofree gchar *info =
	    g_strdup_printf("iotunneld %s on the session bus\n", PACKAGE_VERSION);
	const gchar *env[] = {token_env, NULL};
	JsonArray *array;

	test_ctl(fx, &result, "list", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out,
			==,
			"No tunnels; add one with \"iotunnelctl add PROFILE.json\".\n");
	test_ctl(fx, &result, "info", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_true(g_str_has_prefix(result.out, info));

	test_ctl(fx, &result, "add", "--access-token-file", token_file, laptop, NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, "/org/iotunnel/tunnel/laptop\n");
	g_assert_cmpstr(result.err, ==, "");
	test_ctl_env(fx, env, &result, "add", "--access-token-env", "IOT_TEST_TOKEN", desk, NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, "/org/iotunnel/tunnel/desk_2dtop\n");
	g_assert_cmpstr(result.err, ==, "");

	/* a table for people, sorted by name */
	test_ctl(fx, &result, "list", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.err, ==, "");
	g_assert_true(test_matches("\\ANAME +MODE +STATE +CONN +SERVICES\n"
				   "desk-top +source +stopped +0 +SSH1=127\\.0\\.0\\.1:0\n"
				   "laptop +source +stopped +0 +SSH1=127\\.0\\.0\\.1:0\n\\z",
				   result.out));

	/* and for scripts */
	test_ctl(fx, &result, "list", "--json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	root = test_parse_json(result.out);
	g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
	array = json_node_get_array(root);
	g_assert_cmpuint(json_array_get_length(array), ==, 2);
	for (guint i = 0; i < 2; i++) {
		JsonObject *tunnel = json_array_get_object_element(array, i);
		g_assert_cmpstr(json_object_get_string_member(tunnel, "Name"),
				==,
				i == 0 ? "desk-top" : "laptop");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "Path"),
				==,
				i == 0 ? "/org/iotunnel/tunnel/desk_2dtop"
				       : "/org/iotunnel/tunnel/laptop");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "Mode"), ==, "source");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "State"), ==, "stopped");
		g_assert_true(json_object_get_boolean_member(tunnel, "HasAccessToken"));
		g_assert_false(json_object_get_boolean_member(tunnel, "Persistent"));
	}
	g_clear_pointer(&root, json_node_unref);

	test_ctl(fx, &result, "show", "desk-top", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.err, ==, "");
	g_assert_true(
	    test_matches("\\Adesk-top \\(/org/iotunnel/tunnel/desk_2dtop\\)$", result.out));
	g_assert_true(test_matches("^  Mode: +source$", result.out));
	g_assert_true(test_matches("^  State: +stopped$", result.out));
	g_assert_true(test_matches("^  Protocol: +v3$", result.out));
	g_assert_true(test_matches("^  Services: +SSH1=127\\.0\\.0\\.1:0$", result.out));
	g_assert_true(test_matches("^  Access token: +set$", result.out));
	g_assert_true(test_matches("^  Client token: +not set$", result.out));
	g_assert_true(test_matches("^  Connections: +0 active, 0 in all$", result.out));
	g_assert_false(g_regex_match_simple("^  Last error:", result.out, G_REGEX_MULTILINE, 0));

	test_ctl(fx, &result, "show", "laptop", "--json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	root = test_parse_json(result.out);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	{
		JsonObject *tunnel = json_node_get_object(root);
		JsonObject *services = json_object_get_object_member(tunnel, "Services");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "Name"), ==, "laptop");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "Mode"), ==, "source");
		g_assert_cmpstr(json_object_get_string_member(tunnel, "State"), ==, "stopped");
		g_assert_cmpint(json_object_get_int_member(tunnel, "ProtocolVersion"), ==, 3);
		g_assert_nonnull(services);
		g_assert_cmpstr(json_object_get_string_member(services, "SSH1"), ==, "127.0.0.1:0");
	}
	g_clear_pointer(&root, json_node_unref);

	/* gone, and saying so */
	test_ctl(fx, &result, "remove", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, "");
	g_assert_cmpstr(result.err, ==, "");
	test_ctl(fx, &result, "show", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "no tunnel named laptop", "iotunnelctl list");
	test_ctl(fx, &result, "show", "laptop", "--json", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "no tunnel named laptop", NULL);
	test_ctl(fx, &result, "remove", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "no tunnel named laptop", NULL);
	test_ctl(fx, &result, "list", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_null(strstr(result.out, "laptop"));
	g_assert_nonnull(strstr(result.out, "desk-top"));
}

/* @near got what @far sent and the other way round, checked by SHA-256 */
static void
test_assert_traffic(IotTestTraffic *near, IotTestTraffic *far)
{
	g_autofree gchar *near_expected =
	    iot_test_traffic_expected_sha256(near->seed, near->to_send);
	g_autofree gchar *far_expected = iot_test_traffic_expected_sha256(far->seed, far->to_send);

	g_assert_no_error(near->error);
	g_assert_no_error(far->error);
	g_assert_cmpuint(near->sent, ==, near->to_send);
	g_assert_cmpuint(far->sent, ==, far->to_send);
	g_assert_cmpuint(near->received, ==, far->to_send);
	g_assert_cmpuint(far->received, ==, near->to_send);
	g_assert_cmpstr(near->sent_sha256, ==, near_expected);
	g_assert_cmpstr(far->received_sha256, ==, near_expected);
	g_assert_cmpstr(far->sent_sha256, ==, far_expected);
	g_assert_cmpstr(near->received_sha256, ==, far_expected);
}

/*
 * @size bytes each way between a client of the source's SSH1 listener and the
 * fixture's app; the client hangs up first
 */
static void
test_tcp_through(Fixture *fx, IotDBusTunnel1 *tunnel, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autofree gchar *address = iot_dbus_fixture_listen_address(tunnel, "SSH1");
	IotTestTraffic near = {.to_send = size, .to_receive = size, .seed = 7};
	IotTestTraffic far = {.to_send = size, .to_receive = size, .seed = 8};

	g_assert_nonnull(address);
	client = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	iot_test_traffic_start(&near, client);
	app = iot_test_accept(fx->app_listener, IOT_DBUS_TEST_TIMEOUT_MS / 1000, &error);
	g_assert_no_error(error);
	iot_test_traffic_start(&far, app);
	iot_test_traffic_join(&near);
	iot_test_traffic_join(&far);
	test_assert_traffic(&near, &far);
	iot_test_traffic_clear(&near);
	iot_test_traffic_clear(&far);
}

/* start and stop a tunnel, and carry bytes through its listener while it runs */
static void
test_start_stop(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autoptr(IotTestProcess) destination = NULL;
	g_autofree gchar *path = test_ctl_add(fx, "laptop");
	g_autofree gchar *address = NULL;
	g_autofree gchar *state = NULL;
	g_autofree gchar *channel = NULL;
	g_autofree gchar *channel_line = NULL;

	tunnel = test_ctl_start(fx, "laptop", path);
	/* starting what runs does nothing */
	test_ctl(fx, &result, "start", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(iot_dbus_tunnel1_get_state(tunnel), ==, "connected");

	state = test_ctl_show_member(fx, "laptop", "State");
	g_assert_cmpstr(state, ==, "connected");
	channel = test_ctl_show_member(fx, "laptop", "ChannelId");
	g_assert_cmpstr(channel, !=, "");
	g_assert_cmpstr(channel, ==, iot_dbus_tunnel1_get_channel_id(tunnel));
	test_ctl(fx, &result, "show", "laptop", NULL);
	g_assert_true(test_matches("^  State: +connected$", result.out));
	channel_line = g_strdup_printf("^  Channel ID: +%s$", channel);
	g_assert_true(test_matches(channel_line, result.out));

	/* a client of its listener reaches the destination's app */
	destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	address = iot_dbus_fixture_listen_address(tunnel, "SSH1");
	g_assert_nonnull(address);
	g_assert_false(g_str_has_suffix(address, ":0"));
	test_tcp_through(fx, tunnel, 1024 * 1024);

	/* the table shows it running, with its real port */
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_total_connections(tunnel) == 1 &&
			       iot_dbus_tunnel1_get_active_connections(tunnel) == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	test_ctl(fx, &result, "list", NULL);
	{
		g_autofree gchar *escaped = g_regex_escape_string(address, -1);
		g_autofree gchar *row =
		    g_strdup_printf("^laptop +source +connected +0 +SSH1=%s$", escaped);
		g_assert_true(test_matches(row, result.out));
	}

	test_ctl(fx, &result, "stop", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_cmpstr(result.out, ==, "");
	g_assert_cmpstr(result.err, ==, "");
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "stopped") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	g_clear_pointer(&state, g_free);
	state = test_ctl_show_member(fx, "laptop", "State");
	g_assert_cmpstr(state, ==, "stopped");
	/* stopping what is stopped does nothing either */
	test_ctl(fx, &result, "stop", "laptop", NULL);
	g_assert_cmpint(result.status, ==, 0);
}

/*
 * iotunnelctl connect TUNNEL [SERVICE] with one end of a socket pair as its
 * stdin and stdout, as ssh's ProxyCommand runs it: @size bytes each way,
 * then the app hangs up and iotunnelctl ends with 0.
 */
static void
test_connect_through(Fixture *fx, const gchar *name, const gchar *service, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher =
	    test_launcher(fx, NULL, G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GSocket) app = NULL;
	g_auto(CtlResult) result = {0};
	IotTestTraffic near = {.to_send = size, .to_receive = size, .seed = 11};
	IotTestTraffic far = {.to_send = size, .to_receive = size, .seed = 23};
	const gchar *argv[] = {IOTUNNELCTL_PATH, "connect", name, service, NULL};
	gint fds[2];
	gint keep;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	g_subprocess_launcher_take_stdin_fd(launcher, fcntl(fds[1], F_DUPFD_CLOEXEC, 3));
	g_subprocess_launcher_take_stdout_fd(launcher, fds[1]);
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	/* the child has its end; ours must be the only one left here */
	g_clear_object(&launcher);
	ours = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	/* joining the traffic closes ours; this keeps iotunnelctl's stdin open */
	keep = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
	g_assert_cmpint(keep, >=, 0);

	iot_test_traffic_start(&near, ours);
	app = iot_test_accept(fx->app_listener, IOT_DBUS_TEST_TIMEOUT_MS / 1000, &error);
	g_assert_no_error(error);
	iot_test_traffic_start(&far, app);
	iot_test_traffic_join(&near);
	/* both directions done: the app hangs up */
	iot_test_traffic_join(&far);
	test_finish(fx, process, IOT_DBUS_TEST_TIMEOUT_MS, &result);
	g_assert_cmpstr(result.err, ==, "");
	g_assert_cmpint(result.status, ==, 0);
	close(keep);
	test_assert_traffic(&near, &far);
	iot_test_traffic_clear(&near);
	iot_test_traffic_clear(&far);
}

/* connect carries stdin and stdout, to a named service and to the only one */
static void
test_connect(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	g_autofree gchar *path = test_ctl_add(fx, "device");
	g_autoptr(IotDBusTunnel1) tunnel = test_ctl_start(fx, "device", path);

	test_connect_through(fx, "device", "SSH1", 4 * 1024 * 1024);
	test_connect_through(fx, "device", NULL, 4 * 1024 * 1024);
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_total_connections(tunnel) == 2 &&
			       iot_dbus_tunnel1_get_active_connections(tunnel) == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
}

/* a tunnel whose token the service refuses fails; connect then quotes why */
static void
test_connect_failed(Fixture *fx)
{
	g_auto(CtlResult) result = {0};
	g_autofree gchar *file = test_write_profile(fx, "refused");
	g_autofree gchar *token_file =
	    iot_test_tunnel_write_file(&fx->service, "refused.token", "no-such-token");
	g_autofree gchar *escaped = g_dbus_escape_object_path("refused");
	g_autofree gchar *path = g_strconcat(TEST_TUNNEL_PATH_PREFIX, escaped, NULL);
	g_autoptr(IotDBusTunnel1) tunnel = NULL;

	test_ctl(fx, &result, "add", "--access-token-file", token_file, file, NULL);
	g_assert_cmpint(result.status, ==, 0);
	tunnel = iot_dbus_fixture_tunnel(fx, path);
	test_ctl(fx, &result, "start", "refused", NULL);
	g_assert_cmpint(result.status, ==, 0);
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "failed") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	test_ctl(fx, &result, "connect", "refused", "SSH1", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "Tunnel refused has failed (The service ", NULL);
	test_assert_one_sentence(result.err,
				 "); fix that, then start it again with iotunnelctl start refused.",
				 NULL);
}

/* the tunnel's owner closes it at the service; connect then says what to do */
static void
test_connect_closed(Fixture *fx, IotDBusTunnel1 *tunnel)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *api_path = g_strconcat("/api/tunnels/", fx->service.tunnel_id, NULL);
	guint status = 0;

	g_assert_true(
	    iot_test_tunnel_api(&fx->service, "DELETE", api_path, NULL, &status, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(status, ==, 200);
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "closed") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	test_ctl(fx, &result, "connect", "device", "SSH1", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(
	    result.err,
	    "Tunnel device was closed by its owner or its lifetime ran out;",
	    "open a new tunnel, then remove this one (iotunnelctl remove device) "
	    "and add it with the new tokens.");
}

/* connect to what cannot be reached says why, in one sentence */
static void
test_connect_errors(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autofree gchar *idle_path = test_ctl_add(fx, "idle");
	g_autofree gchar *path = test_ctl_add(fx, "device");
	g_autoptr(IotDBusTunnel1) tunnel = NULL;

	/* a stopped tunnel, with the service named and without */
	test_ctl(fx, &result, "connect", "idle", "SSH1", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "idle", "stopped");
	test_ctl(fx, &result, "connect", "idle", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err,
				 "Tunnel idle is stopped;",
				 "start it with iotunnelctl start idle.");

	/* a failed tunnel: why, and how to start it again */
	test_connect_failed(fx);

	/* a service the tunnel does not have: the ones it has are named */
	tunnel = test_ctl_start(fx, "device", path);
	test_ctl(fx, &result, "connect", "device", "HTTP9", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "\"HTTP9\"", "use one of: SSH1");

	/* no such tunnel */
	test_ctl(fx, &result, "connect", "ghost", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "no tunnel named ghost", NULL);
	test_ctl(fx, &result, "connect", "ghost", "SSH1", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "no tunnel named ghost", NULL);

	/* the service closed the tunnel: a new one is needed, not a start */
	test_connect_closed(fx, tunnel);
}

static void
test_monitor_stop(Fixture *fx, IotTestProcess *monitor)
{
	g_autofree gchar *output = NULL;
	gint status = -1;

	iot_test_process_signal(monitor, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(monitor, IOT_DBUS_TEST_TIMEOUT_MS, &status));
	g_assert_true(iot_test_process_wait_output_end(monitor, IOT_DBUS_TEST_TIMEOUT_MS));
	output = iot_test_process_get_output(monitor);
	if (status != 0)
		g_test_message("monitor said:\n%s", output);
	g_assert_cmpint(status, ==, 0);
	test_assert_no_token(fx, output);
}

static IotTestProcess *
test_monitor_spawn(Fixture *fx, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *address_env =
	    g_strdup_printf("DBUS_SESSION_BUS_ADDRESS=%s", fx->bus_address);
	const gchar *env[] = {address_env, NULL};
	IotTestProcess *monitor;

	g_ptr_array_add(argv, (gpointer)IOTUNNELCTL_PATH);
	g_ptr_array_add(argv, (gpointer) "monitor");
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	monitor = iot_test_process_spawn((const gchar *const *)argv->pdata, env, &error);
	g_assert_no_error(error);
	return monitor;
}

static void
test_wait_line(IotTestProcess *process, const gchar *regex)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line =
	    iot_test_process_wait_line(process, regex, IOT_DBUS_TEST_TIMEOUT_MS, &error);
	g_assert_no_error(error);
}

#define TIME "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] "

/*
 * monitor's "NAME: stream S connection C opened" names the connection as
 * the daemon's log does: its lines about it read "tunnel NAME: stream S
 * connection C: ..."
 */
static void
test_assert_named_as_log(Fixture *fx, IotTestProcess *monitor, const gchar *tunnel)
{
	g_autofree gchar *pattern =
	    g_strdup_printf("^" TIME "%s: (stream [0-9]+ connection [0-9]+) opened ", tunnel);
	g_autofree gchar *line = NULL;
	g_autofree gchar *identity = NULL;
	g_autofree gchar *logged = NULL;
	g_autoptr(GRegex) regex = g_regex_new(pattern, 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	g_autoptr(GError) error = NULL;

	line = iot_test_process_wait_line(monitor, pattern, IOT_DBUS_TEST_TIMEOUT_MS, &error);
	g_assert_no_error(error);
	g_assert_true(g_regex_match(regex, line, 0, &match));
	identity = g_match_info_fetch(match, 1);
	logged = g_strdup_printf("tunnel %s: %s: started for SSH1 via ", tunnel, identity);
	g_clear_pointer(&line, g_free);
	line = iot_test_process_wait_line(fx->daemon, logged, IOT_DBUS_TEST_TIMEOUT_MS, &error);
	g_assert_no_error(error);
}

/*
 * the app hangs up first, as an ssh server does when the session ends: the
 * source's connection is over, and monitor and ActiveConnections say so
 */
static void
test_connect_app_hangs_up(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	g_autoptr(IotTestProcess) monitor = NULL;
	g_autofree gchar *path = test_ctl_add(fx, "device");
	g_autoptr(IotDBusTunnel1) tunnel = test_ctl_start(fx, "device", path);
	const gchar *args[] = {"device", NULL};

	monitor = test_monitor_spawn(fx, args);
	test_wait_line(monitor, "^" TIME "device: connected ");
	test_connect_through(fx, "device", "SSH1", 64 * 1024);
	test_wait_line(monitor,
		       "^" TIME "device: stream 1 connection 1 opened \\(SSH1 via D-Bus :");
	test_wait_line(monitor,
		       "^" TIME "device: stream 1 connection 1 closed \\(SSH1 via D-Bus :");
	test_assert_named_as_log(fx, monitor, "device");
	IOT_DBUS_TEST_WAIT(iot_dbus_tunnel1_get_total_connections(tunnel) == 1 &&
			       iot_dbus_tunnel1_get_active_connections(tunnel) == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);
	test_monitor_stop(fx, monitor);
}

/* @output has lines matching @regexes in this order, maybe with others between */
static void
test_assert_in_order(const gchar *output, const gchar *const *regexes)
{
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
	guint at = 0;

	for (guint i = 0; regexes[i] != NULL; i++) {
		while (lines[at] != NULL &&
		       !g_regex_match_simple(regexes[i], lines[at], G_REGEX_ANCHORED, 0))
			at++;
		if (lines[at] == NULL)
			g_test_message("no line /%s/ in order in:\n%s", regexes[i], output);
		g_assert_nonnull(lines[at]);
		at++;
	}
}

/*
 * monitor shows a tunnel's life as it happens, in lines for people and in
 * JSON for scripts, and ends with 0 on SIGTERM
 */
static void
test_monitor(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(IotTestProcess) monitor = NULL;
	g_autoptr(IotTestProcess) json_monitor = NULL;
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *json_path = NULL;
	g_autofree gchar *connected = NULL;
	g_autofree gchar *output = NULL;
	g_auto(GStrv) lines = NULL;
	const gchar *json_args[] = {"--json", "watched-json", NULL};
	guint tunnel_lines = 0;

	/* started before the daemon, it waits for it, and says so */
	test_stop_daemon(fx);
	monitor = test_monitor_spawn(fx, NULL);
	test_wait_line(monitor, "^iotunnelctl: iotunneld is not running on the session bus");
	test_wait_line(monitor, "^iotunnelctl: waiting for it\\.$");
	iot_dbus_fixture_start_daemon(fx);
	test_wait_line(monitor, "^" TIME "iotunneld started$");

	/* a tunnel's whole life */
	path = test_ctl_add(fx, "watched");
	test_wait_line(monitor, "^" TIME "watched: stopped$");
	tunnel = test_ctl_start(fx, "watched", path);
	connected = g_strdup_printf("^" TIME "watched: connected \\(channel %s\\)$",
				    iot_dbus_tunnel1_get_channel_id(tunnel));
	test_wait_line(monitor, connected);
	destination = iot_dbus_fixture_spawn_destination(fx, NULL);
	test_tcp_through(fx, tunnel, 64 * 1024);
	test_wait_line(monitor,
		       "^" TIME
		       "watched: stream [0-9]+ connection [0-9]+ closed \\(SSH1 via .+\\)$");
	test_assert_named_as_log(fx, monitor, "watched");
	test_ctl(fx, &result, "stop", "watched", NULL);
	g_assert_cmpint(result.status, ==, 0);
	test_ctl(fx, &result, "remove", "watched", NULL);
	g_assert_cmpint(result.status, ==, 0);
	test_wait_line(monitor, "^" TIME "watched: removed$");
	output = iot_test_process_get_output(monitor);
	{
		const gchar *const expected[] = {
		    "iotunnelctl: iotunneld is not running on the session bus; start it with "
		    "\"systemctl --user start iotunnel\" or \"iotunneld --session &\"\\.$",
		    "iotunnelctl: waiting for it\\.$",
		    TIME "iotunneld started$",
		    TIME "watched: added$",
		    TIME "watched: stopped$",
		    TIME "watched: connecting$",
		    connected + 1,
		    TIME "watched: stream [0-9]+ connection [0-9]+ opened \\(SSH1 via .+\\)$",
		    TIME "watched: stream [0-9]+ connection [0-9]+ closed \\(SSH1 via .+\\)$",
		    TIME "watched: stopped$",
		    TIME "watched: removed$",
		    NULL,
		};
		test_assert_in_order(output, expected);
	}
	/* it was never running while this monitor watched, so it never stopped */
	g_assert_null(strstr(output, "iotunneld stopped"));
	/* nothing else about it, and one number for the opened and the closed */
	lines = g_strsplit(output, "\n", -1);
	{
		g_autofree gchar *opened = NULL;
		g_autofree gchar *closed = NULL;
		for (guint i = 0; lines[i] != NULL; i++) {
			const gchar *event = strstr(lines[i], "watched: ");
			if (event == NULL)
				continue;
			tunnel_lines++;
			event += strlen("watched: ");
			if (g_str_has_prefix(event, "stream ") && strstr(event, " opened ") != NULL)
				opened = g_strndup(event, strstr(event, " opened ") - event);
			if (g_str_has_prefix(event, "stream ") && strstr(event, " closed ") != NULL)
				closed = g_strndup(event, strstr(event, " closed ") - event);
		}
		g_assert_cmpuint(tunnel_lines, ==, 8);
		g_assert_cmpstr(opened, ==, closed);
	}
	test_monitor_stop(fx, monitor);

	/* --json and a tunnel's name: one object a line, about that tunnel only */
	json_monitor = test_monitor_spawn(fx, json_args);
	test_wait_line(
	    json_monitor,
	    "^iotunnelctl: there is no tunnel named watched-json yet; waiting for it\\.$");
	g_free(test_ctl_add(fx, "bystander"));
	json_path = test_ctl_add(fx, "watched-json");
	g_clear_object(&tunnel);
	tunnel = test_ctl_start(fx, "watched-json", json_path);
	test_tcp_through(fx, tunnel, 64 * 1024);
	test_wait_line(json_monitor, "\"event\":\"connection-closed\"");
	test_ctl(fx, &result, "stop", "watched-json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	/* the daemon tells in order: what comes before the last event was seen */
	test_ctl(fx, &result, "remove", "bystander", NULL);
	g_assert_cmpint(result.status, ==, 0);
	test_ctl(fx, &result, "remove", "watched-json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	test_wait_line(json_monitor, "\"event\":\"removed\"");
	test_monitor_stop(fx, json_monitor);
	g_clear_pointer(&output, g_free);
	g_clear_pointer(&lines, g_strfreev);
	output = iot_test_process_get_output(json_monitor);
	lines = g_strsplit(output, "\n", -1);
	{
		const gchar *const events[] = {"added",
					       "state:stopped",
					       "state:connecting",
					       "state:connected",
					       "connection-opened",
					       "connection-closed",
					       "state:stopped",
					       "removed",
					       NULL};
		guint n = 0;
		g_autofree gchar *opened_id = NULL;
		for (guint i = 0; lines[i] != NULL; i++) {
			g_autoptr(JsonNode) root = NULL;
			g_autofree gchar *event = NULL;
			JsonObject *object;
			const gchar *name;
			if (lines[i][0] == '\0' || g_str_has_prefix(lines[i], "iotunnelctl: "))
				continue;
			root = test_parse_json(lines[i]);
			g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
			object = json_node_get_object(root);
			g_assert_nonnull(json_object_get_string_member(object, "time"));
			g_assert_cmpstr(json_object_get_string_member(object, "tunnel"),
					==,
					"watched-json");
			name = json_object_get_string_member(object, "event");
			g_assert_nonnull(name);
			if (g_strcmp0(name, "state") == 0) {
				event =
				    g_strdup_printf("state:%s",
						    json_object_get_string_member(object, "state"));
				g_assert_cmpstr(json_object_get_string_member(object, "last_error"),
						==,
						"");
				if (g_str_equal(event, "state:connected"))
					g_assert_cmpstr(
					    json_object_get_string_member(object, "channel_id"),
					    ==,
					    iot_dbus_tunnel1_get_channel_id(tunnel));
			} else {
				event = g_strdup(name);
			}
			if (g_strcmp0(name, "connection-opened") == 0 ||
			    g_strcmp0(name, "connection-closed") == 0) {
				const gchar *id = json_object_get_string_member(object, "id");
				g_assert_cmpstr(json_object_get_string_member(object, "stream_id"),
						==,
						"1");
				g_assert_cmpstr(
				    json_object_get_string_member(object, "connection_id"),
				    ==,
				    "1");
				g_assert_true(g_str_has_prefix(
				    json_object_get_string_member(object, "description"),
				    "SSH1 via "));
				if (opened_id == NULL)
					opened_id = g_strdup(id);
				g_assert_cmpstr(id, ==, opened_id);
			}
			g_assert_nonnull(events[n]);
			g_assert_cmpstr(event, ==, events[n]);
			n++;
		}
		g_assert_cmpuint(n, ==, g_strv_length((gchar **)events));
	}
}

/* the errors a user meets: one sentence each, and the exit code says which kind */
static void
test_errors(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autofree gchar *missing = g_build_filename(fx->service.tmpdir, "missing.json", NULL);
	g_autofree gchar *not_json =
	    iot_test_tunnel_write_file(&fx->service, "broken.json", "{\"tunnels\": [");
	g_autofree gchar *bad_mode = iot_test_tunnel_write_file(
	    &fx->service,
	    "sideways.json",
	    "{\"tunnels\": [{\"name\": \"x\", \"mode\": \"sideways\"}]}");
	g_autofree gchar *good = test_write_profile(fx, "good");
	const gchar *no_bus[] = {"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", NULL};

	/* usage: exit 2, before the bus is asked anything */
	test_ctl(fx, &result, "frobnicate", NULL);
	test_assert_usage(&result, "Unknown command \"frobnicate\".");
	test_ctl(fx, &result, NULL);
	test_assert_usage(&result, "Name a command");
	test_ctl(fx, &result, "--colour", "list", NULL);
	test_assert_usage(&result, "--colour");
	test_ctl(fx, &result, "show", NULL);
	test_assert_usage(&result,
			  "show needs more arguments; use it as \"iotunnelctl show TUNNEL\".");
	test_ctl(fx, &result, "start", NULL);
	test_assert_usage(&result, "start needs more arguments");
	test_ctl(fx, &result, "list", "extra", NULL);
	test_assert_usage(&result, "list takes fewer arguments; use it as \"iotunnelctl list\".");
	test_ctl(fx, &result, "show", "a", "b", NULL);
	test_assert_usage(&result, "show takes fewer arguments");
	test_ctl(fx, &result, "connect", "a", "b", "c", NULL);
	test_assert_usage(&result, "\"iotunnelctl connect TUNNEL [SERVICE]\"");
	test_ctl_env(fx, no_bus, &result, "monitor", "a", "b", NULL);
	test_assert_usage(&result, "monitor takes fewer arguments");

	/* no bus at all */
	test_ctl_env(fx, no_bus, &result, "list", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "cannot connect to the session bus", "--system");

	/* profiles that cannot be added name the file */
	test_ctl(fx, &result, "add", missing, NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, missing, NULL);
	test_ctl(fx, &result, "add", not_json, NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, not_json, NULL);
	test_ctl(fx, &result, "add", bad_mode, NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, bad_mode, "$.tunnels[0].mode");
	test_ctl(fx, &result, "add", "--access-token-file", missing, good, NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, missing, NULL);
	test_ctl(fx, &result, "add", "--access-token-env", "IOT_TEST_UNSET_VARIABLE", good, NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "IOT_TEST_UNSET_VARIABLE", "not set");

	/* tunnels that are not there are named */
	test_ctl(fx, &result, "start", "ghost", NULL);
	g_assert_cmpint(result.status, ==, 1);
	g_assert_cmpstr(result.out, ==, "");
	test_assert_one_sentence(result.err, "no tunnel named ghost", "iotunnelctl list");
	test_ctl(fx, &result, "stop", "ghost", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "no tunnel named ghost", NULL);
	test_ctl(fx, &result, "remove", "ghost", NULL);
	g_assert_cmpint(result.status, ==, 1);
	test_assert_one_sentence(result.err, "no tunnel named ghost", NULL);

	/* none of it added anything */
	test_ctl(fx, &result, "list", "--json", NULL);
	g_assert_cmpint(result.status, ==, 0);
	g_assert_true(test_matches("\\A\\[\\s*\\]\\s*\\z", result.out));
}

/* with no iotunneld on the bus, every command says so and how to start it */
static void
test_no_daemon(Fixture *fx, gconstpointer data)
{
	g_auto(CtlResult) result = {0};
	g_autofree gchar *file = test_write_profile(fx, "laptop");
	const gchar *const commands[][4] = {
	    {"list", NULL},
	    {"list", "--json", NULL},
	    {"info", NULL},
	    {"show", "laptop", NULL},
	    {"start", "laptop", NULL},
	    {"stop", "laptop", NULL},
	    {"remove", "laptop", NULL},
	    {"connect", "laptop", NULL},
	    {"connect", "laptop", "SSH1", NULL},
	    {"add", file, NULL},
	};

	test_stop_daemon(fx);
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		const gchar *argv[5] = {IOTUNNELCTL_PATH};
		for (guint j = 0; commands[i][j] != NULL; j++)
			argv[j + 1] = commands[i][j];
		test_run(fx, argv, NULL, &result);
		g_test_message("%s %s: exit %d\n%s",
			       commands[i][0],
			       commands[i][1] != NULL ? commands[i][1] : "",
			       result.status,
			       result.err);
		g_assert_cmpint(result.status, ==, 1);
		g_assert_cmpstr(result.out, ==, "");
		test_assert_one_sentence(result.err,
					 "iotunneld is not running on the session bus",
					 "\"iotunneld --session &\"");
	}
}

/*
 * bash -c SCRIPT bash BASH_COMPLETION COMPLETION WORD...: loads both files, then
 * calls the function registered for iotunnelctl as bash would for WORD...
 */
static const gchar test_complete_script[] =
    "source \"$1\" && source \"$2\" || exit 3\n"
    "completer=$(complete -p iotunnelctl | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')\n"
    "[ -n \"$completer\" ] || exit 4\n"
    "shift 2\n"
    "COMP_WORDS=(\"$@\")\n"
    "COMP_CWORD=$(($# - 1))\n"
    "COMP_LINE=\"$*\"\n"
    "COMP_POINT=${#COMP_LINE}\n"
    "\"$completer\" iotunnelctl \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD - 1]}\"\n"
    "printf '%s\\n' \"${COMPREPLY[@]}\"\n";

/* COMPREPLY of the installed completion for iotunnelctl WORD... (the last is completed) */
static gchar **
test_complete(Fixture *fx, const gchar *bash, const gchar *bash_completion, ...)
{
	g_auto(CtlResult) result = {0};
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *script_path =
	    g_test_build_filename(G_TEST_DIST, "data", "completion", "iotunnelctl", NULL);
	g_autofree gchar *folder = g_path_get_dirname(IOTUNNELCTL_PATH);
	g_autofree gchar *path_env = g_strdup_printf("PATH=%s:%s", folder, g_getenv("PATH"));
	const gchar *env[] = {path_env, NULL};
	const gchar *word;
	va_list args;

	g_ptr_array_add(argv, (gpointer)bash);
	g_ptr_array_add(argv, (gpointer) "--norc");
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, (gpointer)test_complete_script);
	g_ptr_array_add(argv, (gpointer) "bash");
	g_ptr_array_add(argv, (gpointer)bash_completion);
	g_ptr_array_add(argv, script_path);
	va_start(args, bash_completion);
	while ((word = va_arg(args, const gchar *)) != NULL)
		g_ptr_array_add(argv, (gpointer)word);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	test_run(fx, (const gchar *const *)argv->pdata, env, &result);
	g_test_message("completion: exit %d\n%s%s", result.status, result.out, result.err);
	g_assert_cmpint(result.status, ==, 0);
	g_strchomp(result.out);
	return g_strsplit(result.out, "\n", -1);
}

/* the bash completion offers commands, options, tunnels and their services */
static void
test_bash_completion(Fixture *fx, gconstpointer data)
{
	const gchar *bash_completion = "/usr/share/bash-completion/bash_completion";
	const gchar *const commands[] =
	    {"list", "show", "add", "remove", "start", "stop", "connect", "monitor", "info", NULL};
	g_autofree gchar *bash = g_find_program_in_path("bash");
	g_autofree gchar *path = NULL;
	g_auto(GStrv) reply = NULL;

	if (bash == NULL || !g_file_test(bash_completion, G_FILE_TEST_EXISTS)) {
		g_test_skip("bash-completion is not installed");
		return;
	}
	reply = test_complete(fx, bash, bash_completion, "iotunnelctl", "", NULL);
	g_assert_true(g_strv_equal((const gchar *const *)reply, commands));
	g_clear_pointer(&reply, g_strfreev);
	reply = test_complete(fx, bash, bash_completion, "iotunnelctl", "st", NULL);
	g_assert_true(g_strv_equal((const gchar *const *)reply,
				   (const gchar *const[]){"start", "stop", NULL}));
	g_clear_pointer(&reply, g_strfreev);
	reply = test_complete(fx, bash, bash_completion, "iotunnelctl", "add", "--access", NULL);
	g_assert_true(g_strv_equal(
	    (const gchar *const *)reply,
	    (const gchar *const[]){"--access-token-file", "--access-token-env", NULL}));
	g_clear_pointer(&reply, g_strfreev);

	/* names and services come from the daemon, through iotunnelctl itself */
	path = test_ctl_add(fx, "laptop");
	g_free(test_ctl_add(fx, "lab"));
	reply = test_complete(fx, bash, bash_completion, "iotunnelctl", "show", "la", NULL);
	g_assert_true(g_strv_equal((const gchar *const *)reply,
				   (const gchar *const[]){"lab", "laptop", NULL}));
	g_clear_pointer(&reply, g_strfreev);
	reply =
	    test_complete(fx, bash, bash_completion, "iotunnelctl", "connect", "laptop", "", NULL);
	g_assert_true(
	    g_strv_equal((const gchar *const *)reply, (const gchar *const[]){"SSH1", NULL}));
}

/* every option and command of --help has its entry in doc/iotunnelctl.1 */
static void
test_man_page(void)
{
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "doc", "iotunnelctl.1", NULL);
	g_autofree gchar *page = NULL;
	g_autofree gchar *help = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRegex) option = g_regex_new("--([a-z-]+)", 0, 0, NULL);
	g_autoptr(GRegex) command = g_regex_new("^  ([a-z]+) ", G_REGEX_MULTILINE, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	const gchar *const argv[] = {IOTUNNELCTL_PATH, "--help", NULL};
	gint status = -1;
	guint n_options = 0;
	guint n_commands = 0;

	g_file_get_contents(path, &page, NULL, &error);
	g_assert_no_error(error);
	help = iot_dbus_test_run(argv, NULL, &status);
	g_assert_cmpint(status, ==, 0);
	for (g_regex_match(option, help, 0, &match); g_match_info_matches(match);
	     g_match_info_next(match, NULL)) {
		g_autofree gchar *name = g_match_info_fetch(match, 1);
		g_auto(GStrv) parts = g_strsplit(name, "-", -1);
		g_autofree gchar *escaped = g_strjoinv("\\-", parts);
		g_autofree gchar *entry = g_strdup_printf("\\-\\-%s", escaped);
		if (strstr(page, entry) == NULL)
			g_test_message("doc/iotunnelctl.1 lacks --%s", name);
		g_assert_nonnull(strstr(page, entry));
		n_options++;
	}
	g_clear_pointer(&match, g_match_info_free);
	g_assert_nonnull(strstr(help, "\nCommands:\n"));
	for (g_regex_match(command, strstr(help, "\nCommands:\n"), 0, &match);
	     g_match_info_matches(match);
	     g_match_info_next(match, NULL)) {
		g_autofree gchar *name = g_match_info_fetch(match, 1);
		g_autofree gchar *pattern = g_strdup_printf("^\\.B[IR]? %s( |$)", name);
		gboolean found = g_regex_match_simple(pattern, page, G_REGEX_MULTILINE, 0);
		if (!found)
			g_test_message("doc/iotunnelctl.1 lacks the command %s", name);
		g_assert_true(found);
		n_commands++;
	}
	g_test_message("%u options and %u commands documented", n_options, n_commands);
	g_assert_cmpuint(n_commands, ==, 9);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	/* a reader that went away is an error to check, not a signal */
	signal(SIGPIPE, SIG_IGN);

#define ADD(path, func)                                                                            \
	g_test_add(path, Fixture, NULL, iot_dbus_fixture_setup, func, iot_dbus_fixture_teardown)
	ADD("/iotunnel/dbus-ctl/add-list-show-remove", test_add_list_show_remove);
	ADD("/iotunnel/dbus-ctl/start-stop", test_start_stop);
	ADD("/iotunnel/dbus-ctl/connect", test_connect);
	ADD("/iotunnel/dbus-ctl/connect-errors", test_connect_errors);
	ADD("/iotunnel/dbus-ctl/connect-app-hangs-up", test_connect_app_hangs_up);
	ADD("/iotunnel/dbus-ctl/monitor", test_monitor);
	ADD("/iotunnel/dbus-ctl/errors", test_errors);
	ADD("/iotunnel/dbus-ctl/no-daemon", test_no_daemon);
	ADD("/iotunnel/dbus-ctl/bash-completion", test_bash_completion);
	g_test_add_func("/iotunnel/dbus-ctl/man-page", test_man_page);
#undef ADD
	return g_test_run();
}
