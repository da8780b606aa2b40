/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The built iotunneld, run for real: exit statuses and messages, the same
 * behaviour under the name localproxy, the token scrubbed from the process
 * list, and --help against the man page and the bash completion.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "iot-cli-help.h"
#include "iot-cli-settings.h"
#include "iot-test-process.h"
#include "iot-test-traffic.h"

#define SECRET_TOKEN "secret-access-token-0123456789"
#define SECRET_CLIENT "secret-client-token-0123456789abcdef"

typedef struct {
	gchar *tmpdir;
	const gchar *localproxy; /* the build tree's symbolic link to iotunneld */
} Fixture;

static void
fixture_remove_tree(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir != NULL) {
		while ((name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			fixture_remove_tree(child);
		}
	}
	g_remove(path);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->tmpdir = g_dir_make_tmp("iotunnel-iotunneld-XXXXXX", &error);
	g_assert_no_error(error);
	fx->localproxy = LOCALPROXY_PATH;
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	fixture_remove_tree(fx->tmpdir);
	g_free(fx->tmpdir);
}

static gchar *
fixture_write(Fixture *fx, const gchar *name, const gchar *contents)
{
	gchar *path = g_build_filename(fx->tmpdir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	return path;
}

/* the test's environment without the AWSIOT_TUNNEL_* variables, plus @extra */
static gchar **
fixture_environ(const gchar *extra)
{
	gchar **envp = g_get_environ();
	const gchar *const names[] = {"AWSIOT_TUNNEL_ACCESS_TOKEN",
				      "AWSIOT_TUNNEL_CLIENT_TOKEN",
				      "AWSIOT_TUNNEL_REGION",
				      "AWSIOT_TUNNEL_ENDPOINT",
				      NULL};
	g_auto(GStrv) pairs = g_strsplit(extra != NULL ? extra : "", "\n", -1);

	for (guint i = 0; names[i] != NULL; i++)
		envp = g_environ_unsetenv(envp, names[i]);
	for (guint i = 0; pairs[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(pairs[i], "=", 2);
		if (pair[0] != NULL && pair[1] != NULL)
			envp = g_environ_setenv(envp, pair[0], pair[1], TRUE);
	}
	return envp;
}

typedef struct {
	gchar *out;
	gchar *err;
	gint status;
} RunResult;

static void
run_result_clear(RunResult *result)
{
	g_free(result->out);
	g_free(result->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RunResult, run_result_clear)

/* runs @program with @args (shell words) in the fixture's folder, to its end */
static void
fixture_run_full(Fixture *fx,
		 const gchar *program,
		 const gchar *args,
		 const gchar *env,
		 GSpawnChildSetupFunc child_setup,
		 RunResult *r)
{
	g_autofree gchar *line = g_strdup_printf("program %s", args);
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) envp = fixture_environ(env);
	g_autoptr(GError) error = NULL;
	gint wait_status = 0;

	g_assert_true(g_shell_parse_argv(line, NULL, &argv, NULL));
	g_free(argv[0]);
	argv[0] = g_strdup(program);
	g_assert_true(g_spawn_sync(fx->tmpdir,
				   argv,
				   envp,
				   G_SPAWN_DEFAULT,
				   child_setup,
				   NULL,
				   &r->out,
				   &r->err,
				   &wait_status,
				   &error));
	g_assert_no_error(error);
	g_assert_true(WIFEXITED(wait_status));
	r->status = WEXITSTATUS(wait_status);
}

static void
fixture_run(Fixture *fx, const gchar *program, const gchar *args, const gchar *env, RunResult *r)
{
	fixture_run_full(fx, program, args, env, NULL, r);
}

typedef struct {
	const gchar *args;
	const gchar *env;
	gint status;
	const gchar *out; /* exactly, or NULL: checked by the test itself */
	const gchar *err; /* exactly */
} RunCase;

static const RunCase run_cases[] = {
    {"-V", NULL, 0, "iotunneld " PACKAGE_VERSION "\n", ""},
    {"--version -r us-east-1", NULL, 0, "iotunneld " PACKAGE_VERSION "\n", ""},
    {"--bogus", NULL, 2, "", "iotunneld: Unknown option --bogus; see iotunneld --help.\n"},
    {"-r us-east-1 -d 22",
     NULL,
     2,
     "",
     "iotunneld: No access token: set AWSIOT_TUNNEL_ACCESS_TOKEN, or access-token in a --config "
     "file.\n"},
    {"-r us-east-1 -e tunnel.test -d 22",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -r/--region and -e/--proxy-endpoint cannot be used together; give one of "
     "them.\n"},
    {"-r us-east-1 -s 5555 -d 22",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -s/--source-listen-port and -d/--destination-app cannot be used together; give "
     "one of them.\n"},
    {"-r us-east-1",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: No mode: give -s PORT for a source or -d ADDRESS for a destination.\n"},
    {"-r us-east-1 -d SSH1=22,SSH1=23",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -d/--destination-app maps service SSH1 twice; map each service once.\n"},
    {"-r us-east-1 -d 65536",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -d/--destination-app holds \"65536\", whose port is out of range; use a port "
     "from 1 to 65535.\n"},
    {"-e 127.0.0.1:9 -s SSH1=5555,HTTP1=5555",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -s/--source-listen-port gives services SSH1 and HTTP1 the same port \"5555\"; "
     "give each service its own.\n"},
    {"--config missing.ini",
     NULL,
     2,
     "",
     "iotunneld: missing.ini: the file does not exist; check the path.\n"},
    {"--profile p.json -r us-east-1",
     NULL,
     2,
     "",
     "iotunneld: --profile cannot be combined with tunnel options; put everything in the "
     "profile.\n"},
    {"--profile missing.json",
     NULL,
     2,
     "",
     "iotunneld: missing.json: the file does not exist; check the path.\n"},
    {"-v loud -V", NULL, 0, "iotunneld " PACKAGE_VERSION "\n", ""},
    {"-v loud -r us-east-1 -d 22",
     "AWSIOT_TUNNEL_ACCESS_TOKEN=x",
     2,
     "",
     "iotunneld: -v/--verbose is \"loud\"; give a level from 0 (off) to 6 (trace).\n"},
    {"-h", NULL, 0, NULL, ""},
    {"--help", NULL, 0, NULL, ""},
    {"--export-default-settings lpsettings.json", NULL, 0, "", ""},
    {"--export-default-settings no/such/lpsettings.json",
     NULL,
     2,
     "",
     "iotunneld: no/such/lpsettings.json: the file cannot be written (No such file or "
     "directory); check the path and its permissions.\n"},
};

/* every case gives the same status and output under both names */
static void
test_iotunneld_exit_status(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *help = iot_cli_help_text();
	g_autofree gchar *settings = iot_cli_settings_export_text();

	for (guint i = 0; i < G_N_ELEMENTS(run_cases); i++) {
		const RunCase *c = &run_cases[i];
		const gchar *programs[] = {IOTUNNELD_PATH, fx->localproxy};
		g_test_message("iotunneld %s", c->args);
		for (guint j = 0; j < G_N_ELEMENTS(programs); j++) {
			g_auto(RunResult) r = {0};
			fixture_run(fx, programs[j], c->args, c->env, &r);
			g_assert_cmpint(r.status, ==, c->status);
			g_assert_cmpstr(r.err, ==, c->err);
			g_assert_cmpstr(r.out, ==, c->out != NULL ? c->out : help);
		}
		if (strstr(c->args, "--export-default-settings lpsettings.json") != NULL) {
			g_autofree gchar *path =
			    g_build_filename(fx->tmpdir, "lpsettings.json", NULL);
			g_autofree gchar *written = NULL;
			g_autoptr(GError) error = NULL;
			g_assert_true(g_file_get_contents(path, &written, NULL, &error));
			g_assert_cmpstr(written, ==, settings);
		}
	}
}

/*
 * A TCP port that takes connections and never answers, so a proxy keeps
 * waiting for its handshake. The proxy is pointed at it with ws://, which
 * loopback allows: no TLS handshake thread is then running when SIGTERM
 * comes, which LeakSanitizer's exit check does not always survive.
 */
static GSocket *
silent_listener(guint16 *port)
{
	g_autoptr(GError) error = NULL;
	GSocket *listener = iot_test_listen_tcp(port, &error);
	g_assert_no_error(error);
	return listener;
}

static gchar *
read_cmdline(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/cmdline", (gint)pid);
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	gsize len = 0;

	g_assert_true(g_file_get_contents(path, &contents, &len, &error));
	g_assert_no_error(error);
	/* the arguments are separated by NUL: show them as one line */
	for (gsize i = 0; i + 1 < len; i++) {
		if (contents[i] == '\0')
			contents[i] = ' ';
	}
	return contents;
}

/* SIGTERM ends a proxy in order, with exit status 0 */
static void
stop_and_check(IotTestProcess *proxy)
{
	g_autofree gchar *output = NULL;
	gint status = -1;

	iot_test_process_signal(proxy, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(proxy, 10000, &status));
	if (status != 0) {
		output = iot_test_process_get_output(proxy);
		g_test_message("%s", output);
	}
	g_assert_cmpint(status, ==, 0);
}

/* -t and -i work, warn, and are gone from /proc/PID/cmdline while the proxy runs */
static void
test_iotunneld_scrub_token(Fixture *fx, gconstpointer data)
{
	guint16 port = 0;
	g_autoptr(GSocket) listener = silent_listener(&port);
	g_autofree gchar *endpoint = g_strdup_printf("ws://127.0.0.1:%u", port);
	const gchar *programs[] = {IOTUNNELD_PATH, fx->localproxy};

	for (guint i = 0; i < G_N_ELEMENTS(programs); i++) {
		const gchar *argv[] = {programs[i],
				       "-t",
				       SECRET_TOKEN,
				       "--client-token=" SECRET_CLIENT,
				       "-e",
				       endpoint,
				       "-s",
				       "0",
				       "-b",
				       "127.0.0.1",
				       NULL};
		g_autoptr(GError) error = NULL;
		g_autoptr(IotTestProcess) proxy = iot_test_process_spawn(argv, NULL, &error);
		g_autofree gchar *line = NULL;
		g_autofree gchar *cmdline = NULL;
		g_autofree gchar *output = NULL;

		g_assert_no_error(error);
		line = iot_test_process_wait_line(
		    proxy,
		    "The token given with -i/--client-token is visible to other users in the "
		    "process list; set AWSIOT_TUNNEL_CLIENT_TOKEN instead\\.$",
		    10000,
		    &error);
		g_assert_no_error(error);
		g_clear_pointer(&line, g_free);
		line = iot_test_process_wait_line(
		    proxy,
		    "The token given with -t/--access-token is visible to other users in the "
		    "process list; set AWSIOT_TUNNEL_ACCESS_TOKEN instead\\.$",
		    10000,
		    &error);
		g_assert_no_error(error);
		/* the tunnel runs: it listens for local clients while it reaches the service */
		g_clear_pointer(&line, g_free);
		line = iot_test_process_wait_line(proxy,
						  "listening on 127\\.0\\.0\\.1:",
						  10000,
						  &error);
		g_assert_no_error(error);

		cmdline = read_cmdline(iot_test_process_get_pid(proxy));
		g_test_message("%s", cmdline);
		g_assert_null(strstr(cmdline, SECRET_TOKEN));
		g_assert_null(strstr(cmdline, SECRET_CLIENT));
		g_assert_nonnull(strstr(cmdline, " -t xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "));
		g_assert_nonnull(
		    strstr(cmdline, " --client-token=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "));
		g_assert_nonnull(strstr(cmdline, endpoint));

		stop_and_check(proxy);
		output = iot_test_process_get_output(proxy);
		g_assert_null(strstr(output, SECRET_TOKEN));
		g_assert_null(strstr(output, SECRET_CLIENT));
	}
}

/* a line as the reference local proxy writes it, and as iotunneld does */
#define REFERENCE_LINE                                                                             \
	"^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}\\] "                 \
	"\\(0x[0-9a-f]{16}\\) \\[(trace|debug|info|warning|error|fatal)\\] [^ ].*$"
#define IOTUNNELD_LINE                                                                             \
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "                       \
	"(error|critical|warning|message|info|debug) [A-Za-z0-9_-]+: [^ ].*$"

typedef struct {
	const gchar *program; /* NULL: the build tree's localproxy */
	const gchar *verbosity;
	const gchar *line;	/* every line on stderr matches */
	gboolean foreign_lines; /* GLib-GIO's debug lines show */
} LogCase;

static const LogCase log_cases[] = {
    {NULL, "5", REFERENCE_LINE, FALSE},
    {NULL, "6", REFERENCE_LINE, TRUE},
    {IOTUNNELD_PATH, "5", IOTUNNELD_LINE, FALSE},
    {IOTUNNELD_PATH, "6", IOTUNNELD_LINE, TRUE},
};

/*
 * The log goes to stderr, as the reference's (v3.1.0 on) does, in its line
 * format when run as localproxy; stdout stays empty. -v 5 shows our debug
 * lines and no other library's; -v 6 shows theirs too.
 */
static void
test_iotunneld_log_lines(Fixture *fx, gconstpointer data)
{
	guint16 port = 0;
	g_autoptr(GSocket) listener = silent_listener(&port);
	g_autofree gchar *endpoint = g_strdup_printf("ws://127.0.0.1:%u", port);
	g_autofree gchar *connecting = g_strdup_printf("connecting to 127\\.0\\.0\\.1:%u$", port);
	g_autofree gchar *out_path = g_build_filename(fx->tmpdir, "stdout.txt", NULL);
	g_autofree gchar *out_env = g_strdup_printf("OUT=%s", out_path);
	g_autoptr(GRegex) line_regex = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(log_cases); i++) {
		const LogCase *c = &log_cases[i];
		const gchar *program = c->program != NULL ? c->program : fx->localproxy;
		/* stderr to the pipe the test reads, stdout to a file */
		const gchar *argv[] = {"/bin/sh",
				       "-c",
				       "exec \"$0\" \"$@\" 2>&1 >\"$OUT\"",
				       program,
				       "-v",
				       c->verbosity,
				       "-e",
				       endpoint,
				       "-s",
				       "0",
				       NULL};
		const gchar *env[] = {"AWSIOT_TUNNEL_ACCESS_TOKEN=" SECRET_TOKEN, out_env, NULL};
		g_autoptr(GError) error = NULL;
		g_autoptr(IotTestProcess) proxy = iot_test_process_spawn(argv, env, &error);
		g_autofree gchar *line = NULL;
		g_autofree gchar *output = NULL;
		g_autofree gchar *out = NULL;
		g_auto(GStrv) lines = NULL;
		gboolean foreign = FALSE;

		g_test_message("%s -v %s", program, c->verbosity);
		g_assert_no_error(error);
		/* GIO logs its first line in the same call, before the main loop runs again */
		line = iot_test_process_wait_line(proxy, connecting, 10000, &error);
		g_assert_no_error(error);
		stop_and_check(proxy);
		output = iot_test_process_get_output(proxy);
		g_assert_true(g_file_get_contents(out_path, &out, NULL, NULL));
		g_assert_cmpstr(out, ==, "");
		g_clear_pointer(&line_regex, g_regex_unref);
		line_regex = g_regex_new(c->line, 0, 0, &error);
		g_assert_no_error(error);
		lines = g_strsplit(output, "\n", -1);
		for (guint j = 0; lines[j] != NULL; j++) {
			if (lines[j][0] == '\0')
				continue;
			if (!g_regex_match(line_regex, lines[j], 0, NULL))
				g_error("not a log line of its kind: %s", lines[j]);
			foreign = foreign || strstr(lines[j], "GLib-GIO") != NULL;
			/* below 6, no other library's detail at all: no trace, no foreign debug */
			if (!c->foreign_lines &&
			    (strstr(lines[j], "] [trace] ") != NULL ||
			     g_regex_match_simple(" (debug|info) (?!Iot|iotunnel)[^ ]+: ",
						  lines[j],
						  0,
						  0)))
				g_error("another library's detail below -v 6: %s", lines[j]);
		}
		if (foreign != c->foreign_lines)
			g_test_message("%s", output);
		g_assert_cmpint(foreign, ==, c->foreign_lines);
		g_assert_null(strstr(output, SECRET_TOKEN));
	}
}

/* the settings that have no effect say so at debug level, and the others do not */
static void
test_iotunneld_unused_settings(Fixture *fx, gconstpointer data)
{
	guint16 port = 0;
	g_autoptr(GSocket) listener = silent_listener(&port);
	g_autofree gchar *endpoint = g_strdup_printf("ws://127.0.0.1:%u", port);
	g_autofree gchar *settings = fixture_write(
	    fx,
	    "s.json",
	    "{\"tunneling\": {\"proxy\": {\"websocket\": {\"retry_delay_ms\": \"100\", "
	    "\"ping_period_ms\": \"1000\"}, \"message\": {\"max_size\": \"1\"}}}}");
	const gchar *argv[] = {IOTUNNELD_PATH,
			       "-v",
			       "5",
			       "--settings-json",
			       settings,
			       "-e",
			       endpoint,
			       "-s",
			       "0",
			       NULL};
	const gchar *env[] = {"AWSIOT_TUNNEL_ACCESS_TOKEN=" SECRET_TOKEN, NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(IotTestProcess) proxy = iot_test_process_spawn(argv, env, &error);
	g_autofree gchar *line = NULL;
	g_autofree gchar *output = NULL;

	g_assert_no_error(error);
	/* debug lines go to stdout, messages to stderr: wait for each on its own */
	line = iot_test_process_wait_line(proxy, "listening on", 10000, &error);
	g_assert_no_error(error);
	g_clear_pointer(&line, g_free);
	line = iot_test_process_wait_line(proxy,
					  "s\\.json: tunneling\\.proxy\\.message\\.max_size is "
					  "accepted but has no effect in iotunneld$",
					  10000,
					  &error);
	g_assert_no_error(error);
	g_clear_pointer(&line, g_free);
	line = iot_test_process_wait_line(
	    proxy,
	    "s\\.json: tunneling\\.proxy\\.websocket\\.retry_delay_ms is "
	    "accepted but has no effect in iotunneld$",
	    10000,
	    &error);
	g_assert_no_error(error);
	stop_and_check(proxy);
	/* printed before the line above, on the same stream, if at all */
	output = iot_test_process_get_output(proxy);
	g_assert_null(strstr(output, "ping_period_ms is accepted"));
	g_assert_null(strstr(output, SECRET_TOKEN));
}

/* the text between ".TP" entries of the man page's OPTIONS, without groff's markup */
static gchar *
man_unescape(const gchar *text)
{
	g_autoptr(GString) str = g_string_new(text);
	const gchar *const markup[] = {"\\fB", "\\fR", "\\fI", "\\fP", "\\&", NULL};

	for (guint i = 0; markup[i] != NULL; i++)
		g_string_replace(str, markup[i], "", 0);
	g_string_replace(str, "\\-", "-", 0);
	g_string_replace(str, "\\e", "\\", 0);
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/* "SPEC\tDESCRIPTION" for each option, from the man page */
static GPtrArray *
man_options(const gchar *page)
{
	g_auto(GStrv) lines = g_strsplit(page, "\n", -1);
	GPtrArray *entries = g_ptr_array_new_with_free_func(g_free);
	gboolean in_options = FALSE;

	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], ".SH "))
			in_options = g_strcmp0(lines[i], ".SH OPTIONS") == 0;
		if (!in_options)
			continue;
		if (g_str_has_prefix(lines[i], ".SS ")) {
			g_autofree gchar *title = g_strdup(lines[i] + 4);
			g_strdelimit(title, "\"", ' ');
			g_ptr_array_add(entries, g_strdup_printf("#%s", g_strstrip(title)));
			continue;
		}
		if (g_strcmp0(lines[i], ".TP") == 0 && lines[i + 1] != NULL) {
			g_autoptr(GString) description = g_string_new(NULL);
			g_autofree gchar *spec = man_unescape(lines[i + 1]);
			g_autofree gchar *text = NULL;
			guint j = i + 2;
			for (; lines[j] != NULL && lines[j][0] != '.'; j++) {
				if (description->len > 0)
					g_string_append_c(description, ' ');
				g_string_append(description, lines[j]);
			}
			text = man_unescape(description->str);
			g_ptr_array_add(entries, g_strdup_printf("%s\t%s", spec, text));
			i = j - 1;
		}
	}
	return entries;
}

/* the same, from --help */
static GPtrArray *
help_options(const gchar *help)
{
	g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
	GPtrArray *entries = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] != ' ' && g_str_has_suffix(lines[i], ":") &&
		    !g_str_has_prefix(lines[i], "Usage")) {
			g_autofree gchar *title = g_strndup(lines[i], strlen(lines[i]) - 1);
			g_ptr_array_add(entries, g_strdup_printf("#%s", title));
			continue;
		}
		if (g_str_has_prefix(lines[i], "  -") || g_str_has_prefix(lines[i], "      --")) {
			g_autoptr(GString) description = g_string_new(NULL);
			guint j = i + 1;
			for (; lines[j] != NULL && g_str_has_prefix(lines[j], "        "); j++) {
				if (description->len > 0)
					g_string_append_c(description, ' ');
				g_string_append(description, lines[j] + 8);
			}
			g_ptr_array_add(
			    entries,
			    g_strdup_printf("%s\t%s", g_strstrip(lines[i]), description->str));
			i = j - 1;
		}
	}
	return entries;
}

/* doc/iotunneld.8 says what --help says, option by option, in the same sections */
static void
test_iotunneld_man_page(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *path = g_test_build_filename(G_TEST_DIST, "doc", "iotunneld.8", NULL);
	g_autofree gchar *page = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) from_man = NULL;
	g_autoptr(GPtrArray) from_help = NULL;
	g_auto(RunResult) r = {0};

	fixture_run(fx, IOTUNNELD_PATH, "--help", NULL, &r);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_true(g_file_get_contents(path, &page, NULL, &error));
	g_assert_no_error(error);
	from_man = man_options(page);
	from_help = help_options(r.out);
	g_assert_cmpuint(from_help->len, ==, IOT_CLI_OPTION_LAST + IOT_CLI_GROUP_LAST);
	for (guint i = 0; i < MIN(from_help->len, from_man->len); i++)
		g_assert_cmpstr(g_ptr_array_index(from_man, i),
				==,
				g_ptr_array_index(from_help, i));
	g_assert_cmpuint(from_man->len, ==, from_help->len);
}

static gchar *
complete(const gchar *words, guint cword)
{
	g_autofree gchar *path =
	    g_test_build_filename(G_TEST_DIST, "data", "completion", "iotunneld", NULL);
	g_autofree gchar *script =
	    g_strdup_printf("source '%s' && COMP_WORDS=(%s) && COMP_CWORD=%u && "
			    "complete -p localproxy >/dev/null && _iotunneld && "
			    "printf '%%s\\n' \"${COMPREPLY[@]}\"",
			    path,
			    words,
			    cword);
	const gchar *argv[] = {"bash", "--norc", "--noprofile", "-c", script, NULL};
	g_autoptr(GError) error = NULL;
	gchar *out = NULL;
	gint status = 0;

	g_assert_true(g_spawn_sync(NULL,
				   (gchar **)argv,
				   NULL,
				   G_SPAWN_SEARCH_PATH,
				   NULL,
				   NULL,
				   &out,
				   NULL,
				   &status,
				   &error));
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

/* the completion offers every long option, and the values of those with a fixed set */
static void
test_iotunneld_completion(Fixture *fx, gconstpointer data)
{
	g_autoptr(GString) expected = g_string_new(NULL);
	g_autofree gchar *all = NULL;
	g_autofree gchar *modes = NULL;
	g_autofree gchar *after_equals = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *bash = g_find_program_in_path("bash");

	if (bash == NULL) {
		g_test_skip("bash is not installed");
		return;
	}
	for (IotCliOption id = 0; id < IOT_CLI_OPTION_LAST; id++)
		g_string_append_printf(expected, "--%s\n", iot_cli_option_get_info(id)->long_name);
	all = complete("iotunneld --", 1);
	g_assert_cmpstr(all, ==, expected->str);
	modes = complete("localproxy -r us-east-1 -m d", 4);
	g_assert_cmpstr(modes, ==, "dst\ndestination\n");
	after_equals = complete("iotunneld --destination-client-type = V", 3);
	g_assert_cmpstr(after_equals, ==, "V1\nV2\nV3\n");
	config = complete("iotunneld --con", 1);
	g_assert_cmpstr(config, ==, "--config\n--config-dir\n");
}

/*
 * What is wrong with the environment or a profile's files is found before
 * anything listens: one line, exit 2, and nothing logged as listening.
 */
static void
assert_found_before_listening(const RunResult *r, const gchar *fragment)
{
	g_autofree gchar *last = NULL;
	gchar **lines = NULL;

	g_assert_cmpint(r->status, ==, 2);
	g_assert_null(strstr(r->err, "listening"));
	g_assert_true(g_str_has_suffix(r->err, "\n"));
	lines = g_strsplit(r->err, "\n", -1);
	last = g_strdup(lines[g_strv_length(lines) - 2]);
	g_strfreev(lines);
	g_assert_true(g_str_has_prefix(last, "iotunneld: "));
	g_assert_nonnull(strstr(last, fragment));
}

static void
test_iotunneld_web_proxy_before_listening(Fixture *fx, gconstpointer data)
{
	const gchar *const envs[] = {
	    "AWSIOT_TUNNEL_ACCESS_TOKEN=x\nHTTPS_PROXY=http://user:secretpw@proxy.test:1:2",
	    "AWSIOT_TUNNEL_ACCESS_TOKEN=x\nhttps_proxy=socks5://proxy.test:1080",
	};

	for (guint i = 0; i < G_N_ELEMENTS(envs); i++) {
		g_auto(RunResult) r = {0};
		fixture_run(fx, fx->localproxy, "-e ws://127.0.0.1:9 -s 0", envs[i], &r);
		g_test_message("%s", r.err);
		assert_found_before_listening(&r, "proxy.test");
		g_assert_null(strstr(r.err, "secretpw"));
	}
}

static void
test_iotunneld_token_file_before_listening(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *token_file = g_build_filename(fx->tmpdir, "missing.token", NULL);
	g_autofree gchar *json =
	    g_strdup_printf("{\"tunnels\": [{\"name\": \"a\", \"mode\": \"source\", "
			    "\"service\": {\"endpoint\": \"ws://127.0.0.1:9\"}, "
			    "\"access_token\": {\"file\": \"%s\"}, "
			    "\"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": "
			    "\"127.0.0.1:0\"}}}]}",
			    token_file);
	g_autofree gchar *profile = fixture_write(fx, "p.json", json);
	g_autofree gchar *expected = g_strdup_printf(
	    "p.json: $.tunnels[0].access_token.file names %s, which cannot be read (%s)",
	    token_file,
	    g_strerror(ENOENT));
	g_auto(RunResult) r = {0};

	fixture_run(fx, IOTUNNELD_PATH, "--profile p.json", NULL, &r);
	g_test_message("%s", r.err);
	assert_found_before_listening(&r, expected);
}

/* in the child, before exec: become nobody, whom the fixture's 0700 folders keep out */
static void
child_become_nobody(gpointer user_data)
{
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		_exit(127);
}

/* a CA file in a folder we may not enter is unreadable, not missing */
static void
test_iotunneld_capath_unreadable(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *locked = g_build_filename(fx->tmpdir, "locked", NULL);
	g_autofree gchar *ca_file = g_build_filename(locked, "ca.pem", NULL);
	g_autofree gchar *args = g_strdup_printf("-e tunnel.test -d 22 -c %s", ca_file);
	g_autofree gchar *expected = g_strdup_printf(
	    "iotunneld: -c/--capath is \"%s\", which cannot be read (%s); check its permissions "
	    "and those of the folders above it.\n",
	    ca_file,
	    g_strerror(EACCES));
	GSpawnChildSetupFunc child_setup = NULL;
	g_auto(RunResult) r = {0};

	g_assert_cmpint(g_mkdir(locked, 0700), ==, 0);
	g_free(fixture_write(fx, "locked/ca.pem", "-----BEGIN CERTIFICATE-----\n"));
	/* root enters any folder: run as nobody; anyone else is kept out by mode 0 */
	if (geteuid() == 0) {
		g_assert_cmpint(g_chmod(fx->tmpdir, 0711), ==, 0);
		child_setup = child_become_nobody;
	} else {
		g_assert_cmpint(g_chmod(locked, 0), ==, 0);
	}
	fixture_run_full(fx, IOTUNNELD_PATH, args, "AWSIOT_TUNNEL_ACCESS_TOKEN=x", child_setup, &r);
	g_assert_cmpint(g_chmod(locked, 0700), ==, 0);
	g_assert_cmpstr(r.err, ==, expected);
	g_assert_cmpint(r.status, ==, 2);
}

/* --list-plugins that finds none says where it looked, and fails */
static void
test_iotunneld_list_plugins_none(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *empty = g_build_filename(fx->tmpdir, "no-plugins", NULL);
	g_autofree gchar *env = g_strdup_printf("IOTUNNEL_PLUGIN_PATH=%s", empty);
	g_autofree gchar *expected =
	    g_strdup_printf("iotunneld: No plugins were found in %s, %s; install them there, or "
			    "set IOTUNNEL_PLUGIN_PATH to the folders that hold them.\n",
			    empty,
			    IOT_PLUGINDIR);
	g_autoptr(GDir) installed = g_dir_open(IOT_PLUGINDIR, 0, NULL);

	if (installed != NULL && g_dir_read_name(installed) != NULL) {
		g_test_skip("plugins are installed in " IOT_PLUGINDIR);
		return;
	}
	g_assert_cmpint(g_mkdir(empty, 0700), ==, 0);
	for (guint i = 0; i < 2; i++) {
		const gchar *programs[] = {IOTUNNELD_PATH, fx->localproxy};
		g_auto(RunResult) r = {0};
		fixture_run(fx, programs[i], "--list-plugins", env, &r);
		g_assert_cmpstr(r.out, ==, "");
		g_assert_cmpstr(r.err, ==, expected);
		g_assert_cmpint(r.status, ==, 1);
	}
}

/* meson devenv puts the folder of iotunneld on PATH: localproxy must be there too */
static void
test_iotunneld_localproxy_in_build_tree(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *folder = g_path_get_dirname(IOTUNNELD_PATH);
	g_autofree gchar *localproxy_folder = g_path_get_dirname(LOCALPROXY_PATH);
	g_autofree gchar *target = NULL;
	g_autofree gchar *meson = g_find_program_in_path("meson");
	g_autofree gchar *args = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(RunResult) r = {0};

	g_assert_cmpstr(localproxy_folder, ==, folder);
	target = g_file_read_link(LOCALPROXY_PATH, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(target, ==, "iotunneld");
	if (meson == NULL) {
		g_test_skip("no meson on PATH to run meson devenv with");
		return;
	}
	args = g_strdup_printf("devenv -C '%s' localproxy -V", g_getenv("G_TEST_BUILDDIR"));
	fixture_run(fx, meson, args, NULL, &r);
	g_assert_cmpint(r.status, ==, 0);
	g_assert_cmpstr(r.out, ==, "iotunneld " PACKAGE_VERSION "\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/iotunneld/exit-status",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_exit_status,
		   fixture_teardown);
	/* these run a tunnel, which needs the plugins */
	if (IOT_TEST_HAVE_PLUGINS) {
		g_test_add("/iotunnel/iotunneld/scrub-token",
			   Fixture,
			   NULL,
			   fixture_setup,
			   test_iotunneld_scrub_token,
			   fixture_teardown);
		g_test_add("/iotunnel/iotunneld/web-proxy-before-listening",
			   Fixture,
			   NULL,
			   fixture_setup,
			   test_iotunneld_web_proxy_before_listening,
			   fixture_teardown);
		g_test_add("/iotunnel/iotunneld/token-file-before-listening",
			   Fixture,
			   NULL,
			   fixture_setup,
			   test_iotunneld_token_file_before_listening,
			   fixture_teardown);
		g_test_add("/iotunnel/iotunneld/log-lines",
			   Fixture,
			   NULL,
			   fixture_setup,
			   test_iotunneld_log_lines,
			   fixture_teardown);
		g_test_add("/iotunnel/iotunneld/unused-settings",
			   Fixture,
			   NULL,
			   fixture_setup,
			   test_iotunneld_unused_settings,
			   fixture_teardown);
	}
	g_test_add("/iotunnel/iotunneld/capath-unreadable",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_capath_unreadable,
		   fixture_teardown);
	g_test_add("/iotunnel/iotunneld/list-plugins-none",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_list_plugins_none,
		   fixture_teardown);
	g_test_add("/iotunnel/iotunneld/localproxy-in-build-tree",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_localproxy_in_build_tree,
		   fixture_teardown);
	g_test_add("/iotunnel/iotunneld/man-page",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_man_page,
		   fixture_teardown);
	g_test_add("/iotunnel/iotunneld/completion",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_iotunneld_completion,
		   fixture_teardown);
	return g_test_run();
}
