/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Reference-style command lines, --config files, --config-dir mappings and
 * --settings-json files, run unchanged against a real iotunnel-service: each
 * case starts a destination and a source iotunneld the way a fleet would,
 * then moves data both ways through the tunnel and checks every byte.
 */

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "iot-test-tunnel.h"

#define IOT_TEST_CONNECT_TIMEOUT_MS 20000
/* enough to cross several WebSocket messages each way */
#define IOT_TEST_BYTES (256 * 1024)

typedef struct {
	IotTestTunnel tunnel;
	GSocket *app_listener;
	guint16 app_port;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	fx->app_listener = iot_test_listen_tcp(&fx->app_port, &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->app_listener);
	iot_test_tunnel_clear(&fx->tunnel);
}

static void
fixture_open(Fixture *fx, const gchar *const *services)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, services, 0, &error));
	g_assert_no_error(error);
}

/* "@ENDPOINT@", "@CA@", "@APP@" (the app's port) and "@DIR@" stand for the fixture's values */
static gchar *
fixture_expand(Fixture *fx, const gchar *text)
{
	g_autoptr(GString) str = g_string_new(text);
	g_autofree gchar *app = g_strdup_printf("%u", fx->app_port);

	g_string_replace(str, "@ENDPOINT@", fx->tunnel.endpoint, 0);
	g_string_replace(str, "@CA@", fx->tunnel.ca_file, 0);
	g_string_replace(str, "@APP@", app, 0);
	g_string_replace(str, "@DIR@", fx->tunnel.tmpdir, 0);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* runs @program with a command line as a user would type it, in the fixture's folder */
static IotTestProcess *
fixture_spawn_program(Fixture *fx,
		      const gchar *program,
		      const gchar *command_line,
		      const gchar *token)
{
	g_autofree gchar *expanded = fixture_expand(fx, command_line);
	g_autofree gchar *line =
	    g_strdup_printf("cd '%s' && exec %s %s", fx->tunnel.tmpdir, program, expanded);
	g_autofree gchar *token_env =
	    token != NULL ? g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s", token) : NULL;
	const gchar *argv[] = {"/bin/sh", "-c", line, NULL};
	const gchar *env[] = {token_env, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestProcess) proxy = NULL;
	g_autofree gchar *connected = NULL;

	/* the log shows the command line, but not the tokens in it */
	{
		g_autoptr(GString) shown = g_string_new(expanded);
		g_string_replace(shown, fx->tunnel.source_token, "$SOURCE_TOKEN", 0);
		g_string_replace(shown, fx->tunnel.destination_token, "$DESTINATION_TOKEN", 0);
		g_test_message("%s %s", program, shown->str);
	}
	proxy = iot_test_process_spawn(argv, env, &error);
	g_assert_no_error(error);
	connected = iot_test_process_wait_line(proxy,
					       "tunnel [^ ]+: connected",
					       IOT_TEST_CONNECT_TIMEOUT_MS,
					       &error);
	g_assert_no_error(error);
	return g_steal_pointer(&proxy);
}

static IotTestProcess *
fixture_spawn(Fixture *fx, const gchar *command_line, const gchar *token)
{
	return fixture_spawn_program(fx, IOTUNNELD_PATH, command_line, token);
}

static void
fixture_write(Fixture *fx, const gchar *name, const gchar *contents)
{
	g_autofree gchar *expanded = fixture_expand(fx, contents);
	g_autofree gchar *path = g_build_filename(fx->tunnel.tmpdir, name, NULL);
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(parent, 0700), ==, 0);
	g_file_set_contents_full(path, expanded, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
	g_assert_no_error(error);
}

/* one connection from a client to @address, a source's listener, through to the app */
static void
fixture_check_traffic_at(Fixture *fx, const gchar *address, guint32 seed)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client_socket = NULL;
	g_autoptr(GSocket) app_socket = NULL;
	IotTestTraffic client = {0};
	IotTestTraffic app = {0};

	client_socket = iot_test_connect_tcp(address, &error);
	g_assert_no_error(error);
	app_socket = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	client.to_send = IOT_TEST_BYTES;
	client.to_receive = IOT_TEST_BYTES;
	client.seed = seed;
	app.to_send = IOT_TEST_BYTES;
	app.to_receive = IOT_TEST_BYTES;
	app.seed = seed + 1;
	iot_test_traffic_start(&client, client_socket);
	iot_test_traffic_start(&app, app_socket);
	iot_test_traffic_join(&client);
	iot_test_traffic_join(&app);
	g_assert_no_error(client.error);
	g_assert_no_error(app.error);
	g_assert_cmpuint(app.received, ==, IOT_TEST_BYTES);
	g_assert_cmpuint(client.received, ==, IOT_TEST_BYTES);
	g_assert_cmpstr(client.sent_sha256, ==, app.received_sha256);
	g_assert_cmpstr(app.sent_sha256, ==, client.received_sha256);
	iot_test_traffic_clear(&client);
	iot_test_traffic_clear(&app);
}

/* the same through the listener of @service, which the source logged */
static void
fixture_check_traffic(Fixture *fx, IotTestProcess *source, const gchar *service, guint32 seed)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = iot_test_tunnel_listen_address(source, service, &error);

	g_assert_no_error(error);
	fixture_check_traffic_at(fx, address, seed);
}

static const gchar *services_ssh[] = {"SSH1", NULL};
static const gchar *services_two[] = {"SSH1", "WEB", NULL};

/* PROTOCOL.md section 5's command lines, the token in the environment */
static void
test_cli_tunnel_reference(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;

	fixture_open(fx, services_ssh);
	destination =
	    fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -d @APP@", fx->tunnel.destination_token);
	source = fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -s 0", fx->tunnel.source_token);
	fixture_check_traffic(fx, source, "(unnamed)", 1);
}

/* the same through localproxy, with -t and the long options */
static void
test_cli_tunnel_localproxy(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autofree gchar *link = g_build_filename(fx->tunnel.tmpdir, "localproxy", NULL);
	g_autofree gchar *dst = NULL;
	g_autofree gchar *src = NULL;

	g_assert_cmpint(symlink(IOTUNNELD_PATH, link), ==, 0);
	fixture_open(fx, services_ssh);
	dst = g_strdup_printf("--access-token %s --proxy-endpoint @ENDPOINT@ --capath @CA@ "
			      "--destination-app SSH1=localhost:@APP@ --mode destination",
			      fx->tunnel.destination_token);
	src = g_strdup_printf("-t %s -e @ENDPOINT@ -c @CA@ -s SSH1=0 -b ::1 -m src -v 4",
			      fx->tunnel.source_token);
	destination = fixture_spawn_program(fx, "./localproxy", dst, NULL);
	source = fixture_spawn_program(fx, "./localproxy", src, NULL);
	fixture_check_traffic(fx, source, "SSH1", 2);
}

/* the reference's --config example: the options in a file, the command line adding to it */
static void
test_cli_tunnel_config(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autofree gchar *dst_config = NULL;
	g_autofree gchar *src_config = NULL;

	fixture_open(fx, services_ssh);
	dst_config =
	    g_strdup_printf("# destination\naccess-token = %s\nproxy-endpoint = @ENDPOINT@\n"
			    "capath = @CA@\ndestination-app = SSH1=127.0.0.1:@APP@\n",
			    fx->tunnel.destination_token);
	src_config = g_strdup_printf("access-token = %s\ncapath = @CA@\nregion = us-east-1\n"
				     "source-listen-port = SSH1=0\nlocal-bind-address = ::1\n",
				     fx->tunnel.source_token);
	fixture_write(fx, "destination.ini", dst_config);
	fixture_write(fx, "source.ini", src_config);
	destination = fixture_spawn(fx, "--config destination.ini", NULL);
	/* the command line's -e wins over the file's region */
	source = fixture_spawn(fx, "--config source.ini -e @ENDPOINT@", NULL);
	fixture_check_traffic(fx, source, "SSH1", 3);
}

/* mappings from --config-dir on one side and ./config on the other */
static void
test_cli_tunnel_config_dir(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;

	fixture_open(fx, services_two);
	fixture_write(fx, "maps/ssh.ini", "; SSH on the device\nSSH1=@APP@\n");
	fixture_write(fx, "maps/web/web.ini", "WEB = 127.0.0.1:@APP@\n");
	fixture_write(fx, "config/source.ini", "SSH1=0\n# any free port\nWEB=0\n");
	destination = fixture_spawn(fx,
				    "-e @ENDPOINT@ -c @CA@ -m dst --config-dir maps",
				    fx->tunnel.destination_token);
	source = fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -m source", fx->tunnel.source_token);
	fixture_check_traffic(fx, source, "SSH1", 4);
	fixture_check_traffic(fx, source, "WEB", 5);
}

/* --settings-json files as the reference writes them change the protocol and the pings */
static void
test_cli_tunnel_settings(Fixture *fx, gconstpointer data)
{
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = NULL;
	const gchar *settings =
	    "{\n    \"tunneling\": {\n        \"proxy\": {\n            \"tcp\": {\n"
	    "                \"connection_retry_count\": \"1\",\n"
	    "                \"connection_retry_delay_ms\": \"100\"\n            },\n"
	    "            \"websocket\": {\n                \"ping_period_ms\": \"1000\",\n"
	    "                \"subprotocol\": \"aws.iot.securetunneling-2.0\"\n"
	    "            }\n        }\n    }\n}\n";

	fixture_open(fx, services_ssh);
	fixture_write(fx, "lpsettings.json", settings);
	destination = fixture_spawn(fx,
				    "-e @ENDPOINT@ -c @CA@ -d SSH1=@APP@ --settings-json "
				    "lpsettings.json",
				    fx->tunnel.destination_token);
	source =
	    fixture_spawn(fx,
			  "-e @ENDPOINT@ -c @CA@ -s SSH1=0 --settings-json @DIR@/lpsettings.json",
			  fx->tunnel.source_token);
	line = iot_test_process_wait_line(source,
					  "connected \\(aws\\.iot\\.securetunneling-2\\.0,",
					  1000,
					  &error);
	g_assert_no_error(error);
	fixture_check_traffic(fx, source, "SSH1", 6);
}

/* the tokens of a tunnel with the SSH1 service, taken from the fixture to open another */
typedef struct {
	gchar *source_token;
	gchar *destination_token;
} TunnelTokens;

static void
fixture_open_tokens(Fixture *fx, TunnelTokens *tokens)
{
	fixture_open(fx, services_ssh);
	g_clear_pointer(&fx->tunnel.tunnel_id, g_free);
	tokens->source_token = g_steal_pointer(&fx->tunnel.source_token);
	tokens->destination_token = g_steal_pointer(&fx->tunnel.destination_token);
}

static void
tunnel_tokens_clear(TunnelTokens *tokens)
{
	g_free(tokens->source_token);
	g_free(tokens->destination_token);
}

/* a profile of two tunnels, NAME-a and NAME-b, with the tokens of @a and @b */
static gchar *
fixture_two_tunnel_profile(Fixture *fx,
			   const gchar *name,
			   const gchar *mode,
			   const gchar *token_a,
			   const gchar *token_b)
{
	gboolean source = g_strcmp0(mode, "source") == 0;
	g_autofree gchar *address =
	    source ? g_strdup("127.0.0.1:0") : g_strdup_printf("127.0.0.1:%u", fx->app_port);
	g_autoptr(GString) profile = g_string_new("{\"tunnels\": [");
	const gchar *tokens[] = {token_a, token_b};

	for (guint i = 0; i < 2; i++) {
		g_string_append_printf(
		    profile,
		    "%s{\"name\": \"%s-%c\", \"mode\": \"%s\", "
		    "\"service\": {\"endpoint\": \"%s\"}, "
		    "\"access_token\": {\"value\": \"%s\"}, "
		    "\"transport\": {\"type\": \"websocket\", \"ca_path\": \"%s\"}, "
		    "\"services\": {\"SSH1\": {\"endpoint\": \"tcp\", "
		    "\"address\": \"%s\"}}}",
		    i > 0 ? ", " : "",
		    name,
		    'a' + i,
		    mode,
		    fx->tunnel.endpoint,
		    tokens[i],
		    fx->tunnel.ca_file,
		    address);
	}
	g_string_append(profile, "]}");
	return g_string_free(g_steal_pointer(&profile), FALSE);
}

/* waits until each of @names is connected */
static void
wait_connected(IotTestProcess *proxy, const gchar *const *names)
{
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *pattern =
		    g_strdup_printf("tunnel %s: the service has SSH1$", names[i]);
		g_autofree gchar *line =
		    iot_test_process_wait_line(proxy, pattern, IOT_TEST_CONNECT_TIMEOUT_MS, &error);
		g_assert_no_error(error);
	}
}

/* every line about a stream or a connection in it names its tunnel, one of @names */
static void
assert_stream_lines_named(IotTestProcess *proxy, const gchar *const *names)
{
	g_autofree gchar *output = iot_test_process_get_output(proxy);
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
	g_autoptr(GRegex) about_stream =
	    g_regex_new("\\bstream [0-9]+|\\bconnection [0-9]+", 0, 0, NULL);
	guint named[2] = {0, 0};

	for (guint i = 0; lines[i] != NULL; i++) {
		gboolean found = FALSE;
		if (!g_regex_match(about_stream, lines[i], 0, NULL))
			continue;
		for (guint j = 0; names[j] != NULL; j++) {
			g_autofree gchar *prefix = g_strdup_printf("tunnel %s: ", names[j]);
			if (strstr(lines[i], prefix) != NULL) {
				found = TRUE;
				named[j]++;
			}
		}
		if (!found)
			g_error("a line about a stream that names no tunnel: %s", lines[i]);
	}
	/* the check saw lines about the streams of both tunnels */
	g_assert_cmpuint(named[0], >, 0);
	g_assert_cmpuint(named[1], >, 0);
}

/*
 * Two tunnels in one process on each side, traffic through both, at -v 5:
 * every line about a stream or a connection names its tunnel.
 */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(TunnelTokens, tunnel_tokens_clear)

static void
test_cli_tunnel_two_tunnels_log(Fixture *fx, gconstpointer data)
{
	g_auto(TunnelTokens) a = {0};
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autofree gchar *destination_profile = NULL;
	g_autofree gchar *source_profile = NULL;
	const gchar *devices[] = {"device-a", "device-b", NULL};
	const gchar *laptops[] = {"laptop-a", "laptop-b", NULL};

	fixture_open_tokens(fx, &a);
	fixture_open(fx, services_ssh);
	destination_profile = fixture_two_tunnel_profile(fx,
							 "device",
							 "destination",
							 a.destination_token,
							 fx->tunnel.destination_token);
	source_profile = fixture_two_tunnel_profile(fx,
						    "laptop",
						    "source",
						    a.source_token,
						    fx->tunnel.source_token);
	fixture_write(fx, "destination.json", destination_profile);
	fixture_write(fx, "source.json", source_profile);
	destination = fixture_spawn(fx, "--profile destination.json -v 5", NULL);
	wait_connected(destination, devices);
	source = fixture_spawn(fx, "--profile source.json -v 5", NULL);
	wait_connected(source, laptops);
	for (guint i = 0; laptops[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *pattern =
		    g_strdup_printf("tunnel %s: service SSH1 listening on ([^ ]+)$", laptops[i]);
		g_autofree gchar *line = iot_test_process_wait_line(source, pattern, 5000, &error);
		g_autoptr(GRegex) regex = g_regex_new(pattern, 0, 0, NULL);
		g_autoptr(GMatchInfo) match = NULL;
		g_autofree gchar *address = NULL;

		g_assert_no_error(error);
		g_assert_true(g_regex_match(regex, line, 0, &match));
		address = g_match_info_fetch(match, 1);
		fixture_check_traffic_at(fx, address, 10 + i);
	}
	iot_test_process_signal(source, SIGTERM);
	iot_test_process_signal(destination, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(source, IOT_TEST_CONNECT_TIMEOUT_MS, NULL));
	g_assert_true(iot_test_process_wait_exit(destination, IOT_TEST_CONNECT_TIMEOUT_MS, NULL));
	assert_stream_lines_named(source, laptops);
	assert_stream_lines_named(destination, devices);
}

/*
 * A journal of the test's own: a datagram socket where GLib's journald
 * writer sends, at /run/systemd/journal/socket inside a mount namespace
 * whose /run is a folder of the test's.
 */
typedef struct {
	gchar *run_dir;
	GSocket *socket;
	GPtrArray *entries; /* of GHashTable: field -> value */
} FakeJournal;

static gboolean
fake_journal_possible(void)
{
	gint status = -1;
	const gchar *argv[] = {"unshare", "-m", "true", NULL};

	if (geteuid() != 0)
		return FALSE;
	return g_spawn_sync(NULL,
			    (gchar **)argv,
			    NULL,
			    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
				G_SPAWN_STDERR_TO_DEV_NULL,
			    NULL,
			    NULL,
			    NULL,
			    NULL,
			    &status,
			    NULL) &&
	       g_spawn_check_wait_status(status, NULL);
}

static void
fake_journal_start(FakeJournal *journal, Fixture *fx)
{
	g_autofree gchar *folder = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) error = NULL;

	journal->run_dir = g_build_filename(fx->tunnel.tmpdir, "run", NULL);
	folder = g_build_filename(journal->run_dir, "systemd", "journal", NULL);
	g_assert_cmpint(g_mkdir_with_parents(folder, 0755), ==, 0);
	path = g_build_filename(folder, "socket", NULL);
	journal->socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
				       G_SOCKET_TYPE_DATAGRAM,
				       G_SOCKET_PROTOCOL_DEFAULT,
				       &error);
	g_assert_no_error(error);
	address = g_unix_socket_address_new(path);
	g_assert_true(g_socket_bind(journal->socket, address, FALSE, &error));
	g_assert_no_error(error);
	journal->entries = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
}

static void
fake_journal_clear(FakeJournal *journal)
{
	g_clear_object(&journal->socket);
	g_clear_pointer(&journal->entries, g_ptr_array_unref);
	g_free(journal->run_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FakeJournal, fake_journal_clear)

/* one entry of the journal's native protocol: KEY=VALUE lines, or KEY, a length, the value */
static GHashTable *
fake_journal_parse(const guint8 *data, gsize size)
{
	GHashTable *entry = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	gsize pos = 0;

	while (pos < size) {
		const guint8 *newline = memchr(data + pos, '\n', size - pos);
		const guint8 *equals = memchr(data + pos, '=', size - pos);
		gsize end = newline != NULL ? (gsize)(newline - data) : size;

		if (equals != NULL && (gsize)(equals - data) < end) {
			g_hash_table_insert(
			    entry,
			    g_strndup((const gchar *)data + pos, (gsize)(equals - data) - pos),
			    g_strndup((const gchar *)equals + 1, end - (gsize)(equals - data) - 1));
			pos = end + 1;
			continue;
		}
		{
			guint64 length = 0;
			gchar *key = g_strndup((const gchar *)data + pos, end - pos);
			g_assert_cmpuint(end + 1 + 8, <=, size);
			for (guint i = 0; i < 8; i++)
				length |= (guint64)data[end + 1 + i] << (8 * i);
			g_assert_cmpuint(end + 9 + length, <=, size);
			g_hash_table_insert(entry,
					    key,
					    g_strndup((const gchar *)data + end + 9, length));
			pos = end + 9 + length + 1;
		}
	}
	return entry;
}

/* takes what arrives until @timeout_ms passes without a datagram */
static void
fake_journal_read(FakeJournal *journal, guint timeout_ms)
{
	guint8 buffer[65536];

	while (g_socket_condition_timed_wait(journal->socket,
					     G_IO_IN,
					     (gint64)timeout_ms * 1000,
					     NULL,
					     NULL)) {
		gssize n =
		    g_socket_receive(journal->socket, (gchar *)buffer, sizeof(buffer), NULL, NULL);
		if (n > 0)
			g_ptr_array_add(journal->entries, fake_journal_parse(buffer, (gsize)n));
	}
}

/* the first entry whose MESSAGE matches @regex, waiting up to @timeout_ms for it */
static GHashTable *
fake_journal_wait(FakeJournal *journal, const gchar *regex, guint timeout_ms)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, 0, 0, NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		for (guint i = 0; i < journal->entries->len; i++) {
			GHashTable *entry = g_ptr_array_index(journal->entries, i);
			const gchar *message = g_hash_table_lookup(entry, "MESSAGE");
			if (message != NULL && g_regex_match(compiled, message, 0, NULL))
				return entry;
		}
		if (g_get_monotonic_time() > deadline)
			g_error("no journal entry matching /%s/", regex);
		fake_journal_read(journal, 100);
	}
}

/*
 * Under systemd (JOURNAL_STREAM naming stderr), the log goes to the journal
 * with the tunnel, stream and connection as fields of their own.
 */
static void
test_cli_tunnel_journal_fields(Fixture *fx, gconstpointer data)
{
	g_auto(FakeJournal) journal = {0};
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotTestProcess) source = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRegex) about_stream = g_regex_new("\\bstream [0-9]+", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	g_autofree gchar *run_env = NULL;
	g_autofree gchar *token_env = NULL;
	g_autofree gchar *address = NULL;
	GHashTable *entry;
	guint stream_entries = 0;

	if (!fake_journal_possible()) {
		g_test_skip("needs root and unshare -m for a journal socket of the test's own");
		return;
	}
	fake_journal_start(&journal, fx);
	fixture_open(fx, services_ssh);
	destination =
	    fixture_spawn(fx, "-e @ENDPOINT@ -c @CA@ -d SSH1=@APP@", fx->tunnel.destination_token);
	run_env = g_strdup_printf("RUN=%s", journal.run_dir);
	token_env = g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s", fx->tunnel.source_token);
	{
		/*
		 * stderr is the test's pipe; JOURNAL_STREAM names it, as systemd
		 * would. At the default level: the test reads the journal socket
		 * only between steps, and a full one would block the writer.
		 */
		const gchar *argv[] = {
		    "unshare",
		    "-m",
		    "/bin/sh",
		    "-c",
		    "mount --bind \"$RUN\" /run && "
		    "export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) && "
		    "exec \"$0\" \"$@\"",
		    IOTUNNELD_PATH,
		    "-e",
		    fx->tunnel.endpoint,
		    "-c",
		    fx->tunnel.ca_file,
		    "-s",
		    "SSH1=0",
		    NULL};
		const gchar *env[] = {run_env, token_env, NULL};
		source = iot_test_process_spawn(argv, env, &error);
		g_assert_no_error(error);
	}
	entry = fake_journal_wait(&journal,
				  "^tunnel default: service SSH1 listening on [^ ]+$",
				  IOT_TEST_CONNECT_TIMEOUT_MS);
	g_assert_true(g_regex_match_simple("listening on ([^ ]+)$",
					   g_hash_table_lookup(entry, "MESSAGE"),
					   0,
					   0));
	{
		g_autoptr(GRegex) listening = g_regex_new("listening on ([^ ]+)$", 0, 0, NULL);
		g_assert_true(
		    g_regex_match(listening, g_hash_table_lookup(entry, "MESSAGE"), 0, &match));
		address = g_match_info_fetch(match, 1);
	}
	g_assert_cmpstr(g_hash_table_lookup(entry, "IOTUNNEL_TUNNEL"), ==, "default");
	g_assert_null(g_hash_table_lookup(entry, "IOTUNNEL_STREAM_ID"));
	fake_journal_wait(&journal,
			  "^tunnel default: the service has SSH1$",
			  IOT_TEST_CONNECT_TIMEOUT_MS);
	fixture_check_traffic_at(fx, address, 20);

	entry = fake_journal_wait(&journal,
				  "^tunnel default: stream 1 connection 1: started for SSH1 via ",
				  IOT_TEST_CONNECT_TIMEOUT_MS);
	g_assert_cmpstr(g_hash_table_lookup(entry, "IOTUNNEL_TUNNEL"), ==, "default");
	g_assert_cmpstr(g_hash_table_lookup(entry, "IOTUNNEL_STREAM_ID"), ==, "1");
	g_assert_cmpstr(g_hash_table_lookup(entry, "IOTUNNEL_CONNECTION_ID"), ==, "1");
	g_assert_cmpstr(g_hash_table_lookup(entry, "GLIB_DOMAIN"), ==, "iotunnel-v3");
	g_assert_cmpstr(g_hash_table_lookup(entry, "PRIORITY"), ==, "6");
	g_assert_nonnull(g_hash_table_lookup(entry, "CODE_FUNC"));

	iot_test_process_signal(source, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(source, IOT_TEST_CONNECT_TIMEOUT_MS, NULL));
	fake_journal_read(&journal, 200);
	/* every entry about a stream has the fields; nothing went to stderr; no token anywhere */
	for (guint i = 0; i < journal.entries->len; i++) {
		GHashTable *e = g_ptr_array_index(journal.entries, i);
		const gchar *message = g_hash_table_lookup(e, "MESSAGE");
		GHashTableIter iter;
		gpointer value;

		g_hash_table_iter_init(&iter, e);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			g_assert_null(strstr(value, fx->tunnel.source_token));
		if (message == NULL || !g_regex_match(about_stream, message, 0, NULL))
			continue;
		g_assert_cmpstr(g_hash_table_lookup(e, "IOTUNNEL_TUNNEL"), ==, "default");
		g_assert_nonnull(g_hash_table_lookup(e, "IOTUNNEL_STREAM_ID"));
		stream_entries++;
	}
	g_assert_cmpuint(stream_entries, >, 0);
	g_assert_cmpuint(iot_test_process_count_lines(source, "."), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/cli-tunnel/reference",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_reference,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/localproxy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_localproxy,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/config",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_config,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/config-dir",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_config_dir,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/two-tunnels-log",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_two_tunnels_log,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/journal-fields",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_journal_fields,
		   fixture_teardown);
	g_test_add("/iotunnel/cli-tunnel/settings",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_cli_tunnel_settings,
		   fixture_teardown);
	return g_test_run();
}
