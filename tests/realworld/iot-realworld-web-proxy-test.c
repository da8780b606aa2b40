/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Through a corporate web proxy: a real tinyproxy started by the test, with
 * and without Basic credentials, between the source proxy and the service.
 * The proxy comes from https_proxy / HTTPS_PROXY, as the reference takes it.
 */

#include "config.h"

#include <signal.h>

#include "iot-realworld-common.h"

#define PROXY_USER "iot-user"
#define PROXY_PASSWORD "pass.word"
#define PROXY_PASSWORD_ENCODED "p%61ss.word"

typedef struct {
	IotRealworldFixture rw;
	GSubprocess *tinyproxy;
	guint16 proxy_port;
	gchar *proxy_log;
} Fixture;

static gboolean
proxy_listening(guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;
	g_socket_client_set_enable_proxy(client, FALSE);
	connection = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, NULL);
	return connection != NULL;
}

/* tinyproxy on a free port, asking for credentials when @auth */
static void
start_tinyproxy(Fixture *fx, gboolean auth)
{
	g_autofree gchar *tinyproxy = g_find_program_in_path("tinyproxy");
	g_autofree gchar *config = NULL;
	g_autofree gchar *config_file = NULL;
	g_autoptr(GSocket) probe = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;
	gint64 deadline;

	if (tinyproxy == NULL) {
		g_test_skip("tinyproxy is not installed (Debian package tinyproxy)");
		return;
	}
	/* a free port: bind one, note it, let it go */
	probe = iot_test_listen_tcp(&fx->proxy_port, &error);
	g_assert_no_error(error);
	g_clear_object(&probe);
	fx->proxy_log = g_build_filename(fx->rw.tunnel.tmpdir, "tinyproxy.log", NULL);
	config = g_strdup_printf("Port %u\n"
				 "Listen 127.0.0.1\n"
				 "Timeout 30\n"
				 "LogFile \"%s\"\n"
				 "LogLevel Connect\n"
				 "MaxClients 16\n"
				 "Allow 127.0.0.1\n"
				 "%s",
				 fx->proxy_port,
				 fx->proxy_log,
				 auth ? "BasicAuth " PROXY_USER " " PROXY_PASSWORD "\n" : "");
	config_file = iot_test_tunnel_write_file(&fx->rw.tunnel, "tinyproxy.conf", config);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	/* tinyproxy is not built with AddressSanitizer: no runtime of ours in it */
	g_subprocess_launcher_unsetenv(launcher, "LD_PRELOAD");
	fx->tinyproxy =
	    g_subprocess_launcher_spawn(launcher, &error, tinyproxy, "-d", "-c", config_file, NULL);
	g_assert_no_error(error);
	deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (!proxy_listening(fx->proxy_port)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(20000);
	}
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
	start_tinyproxy(fx, FALSE);
}

/* tinyproxy with BasicAuth */
static void
fixture_setup_auth(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
	start_tinyproxy(fx, TRUE);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	IotTestProcess *proxies[] = {fx->rw.tunnel.source, fx->rw.tunnel.destination};

	for (guint i = 0; i < G_N_ELEMENTS(proxies); i++) {
		g_autofree gchar *output = NULL;
		if (proxies[i] == NULL)
			continue;
		iot_realworld_assert_no_secret(&fx->rw, proxies[i]);
		/* the proxy's password never shows, encoded or not */
		output = iot_test_process_get_output(proxies[i]);
		g_assert_null(strstr(output, PROXY_PASSWORD));
		g_assert_null(strstr(output, PROXY_PASSWORD_ENCODED));
		g_assert_null(strstr(output, "wrong-password"));
	}
	if (fx->tinyproxy != NULL) {
		g_subprocess_force_exit(fx->tinyproxy);
		g_assert_true(g_subprocess_wait(fx->tinyproxy, NULL, NULL));
		g_clear_object(&fx->tinyproxy);
	}
	g_free(fx->proxy_log);
	iot_realworld_fixture_teardown(&fx->rw);
}

/* how many CONNECT requests tinyproxy has logged */
static guint
proxy_connects(Fixture *fx)
{
	g_autofree gchar *log = NULL;
	guint count = 0;

	if (!g_file_get_contents(fx->proxy_log, &log, NULL, NULL))
		return 0;
	for (const gchar *p = log; (p = strstr(p, "): CONNECT ")) != NULL; p++)
		count++;
	return count;
}

/* the source through the web proxy @proxy_url, -v 5 for the CONNECT lines */
static IotTestProcess *
spawn_source(Fixture *fx, const gchar *proxy_url, const gchar *no_proxy, gboolean wait)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *lower = g_strdup_printf("https_proxy=%s", proxy_url);
	g_autofree gchar *no = g_strdup_printf("NO_PROXY=%s", no_proxy != NULL ? no_proxy : "");
	/* the lower-case variable wins over a dead upper-case one */
	const gchar *env[] = {lower, "HTTPS_PROXY=http://127.0.0.1:1", no, "no_proxy=", NULL};
	const gchar *args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", "-v", "5", NULL};
	IotTestProcess *source =
	    iot_test_tunnel_spawn_proxy_full(&fx->rw.tunnel, "source", args, env, wait, &error);

	g_assert_no_error(error);
	return source;
}

static void
start_destination(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *port = g_strdup_printf("SSH1=%u", fx->rw.app_port);
	const gchar *args[] = {"-d", port, NULL};
	const gchar *env[] = {"https_proxy=", "HTTPS_PROXY=", NULL};

	fx->rw.tunnel.destination = iot_test_tunnel_spawn_proxy_full(&fx->rw.tunnel,
								     "destination",
								     args,
								     env,
								     TRUE,
								     &error);
	g_assert_no_error(error);
}

/* the whole tunnel works through the web proxy, with or without credentials */
static void
test_through_proxy(Fixture *fx, gconstpointer data)
{
	gboolean auth = GPOINTER_TO_INT(data);
	g_autofree gchar *url = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *connect_line = NULL;

	if (fx->tinyproxy == NULL)
		return;
	url = auth ? g_strdup_printf("http://%s:%s@127.0.0.1:%u",
				     PROXY_USER,
				     PROXY_PASSWORD_ENCODED,
				     fx->proxy_port)
		   /* written as in the public setup guide */
		   : g_strdup_printf("http:127.0.0.1:%u", fx->proxy_port);
	start_destination(fx);
	fx->rw.tunnel.source = spawn_source(fx, url, NULL, TRUE);
	address = iot_realworld_source_address(fx->rw.tunnel.source);
	iot_realworld_exchange(&fx->rw, address, 1024 * 1024);

	g_assert_cmpuint(proxy_connects(fx), ==, 1);
	connect_line = g_strdup_printf("web proxy 127.0.0.1:%u: CONNECT %s accepted$",
				       fx->proxy_port,
				       fx->rw.tunnel.endpoint);
	g_assert_true(iot_test_process_has_line(fx->rw.tunnel.source, connect_line));
	g_assert_true(iot_test_process_has_line(fx->rw.tunnel.source, "through proxy 127.0.0.1:"));
}

/*
 * A wrong password, or none where the proxy asks for one: one sentence that
 * names the proxy (without credentials), status 1, one CONNECT and no retry.
 */
static void
test_refused_by_proxy(Fixture *fx, gconstpointer data)
{
	gboolean with_password = GPOINTER_TO_INT(data);
	g_autofree gchar *url = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *named = NULL;

	if (fx->tinyproxy == NULL)
		return;
	url = with_password ? g_strdup_printf("http://" PROXY_USER ":wrong-password@127.0.0.1:%u",
					      fx->proxy_port)
			    : g_strdup_printf("http://127.0.0.1:%u", fx->proxy_port);
	fx->rw.tunnel.source = spawn_source(fx, url, NULL, FALSE);
	g_assert_cmpint(iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->rw.tunnel.source);
	named = g_strdup_printf("iotunneld: The web proxy did not carry the connection to the "
				"service (web proxy 127.0.0.1:%u refused to connect to %s: ",
				fx->proxy_port,
				fx->rw.tunnel.endpoint);
	if (strstr(output, named) == NULL)
		g_error("no \"%s\" in:\n%s", named, output);
	g_assert_nonnull(strstr(output,
				"check the web proxy's address, user and password in https_proxy, "
				"or list the service's host in NO_PROXY."));
	/* tinyproxy answers a wrong password with 401 and none with 407 */
	g_assert_nonnull(strstr(output, with_password ? "401" : "authentication required"));
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "trying again"));
	g_assert_cmpuint(proxy_connects(fx), ==, 1);
}

/* NO_PROXY names the service's host: the dead proxy in https_proxy is not used */
static void
test_no_proxy(Fixture *fx, gconstpointer data)
{
	fx->rw.tunnel.source = spawn_source(fx, "http://127.0.0.1:1", "localhost,127.0.0.1", TRUE);
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "through proxy"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();

	g_test_add("/iotunnel/realworld/web-proxy/open",
		   Fixture,
		   GINT_TO_POINTER(FALSE),
		   fixture_setup,
		   test_through_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/credentials",
		   Fixture,
		   GINT_TO_POINTER(TRUE),
		   fixture_setup_auth,
		   test_through_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/wrong-password",
		   Fixture,
		   GINT_TO_POINTER(TRUE),
		   fixture_setup_auth,
		   test_refused_by_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/credentials-missing",
		   Fixture,
		   GINT_TO_POINTER(FALSE),
		   fixture_setup_auth,
		   test_refused_by_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/no-proxy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_no_proxy,
		   fixture_teardown);
	return g_test_run();
}
