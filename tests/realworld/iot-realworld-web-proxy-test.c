/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Through a corporate web proxy: a real tinyproxy started by the test, with
 * and without Basic credentials, between the source proxy and the service,
 * and behind a TLS front (socat) with an authority of its own as an
 * https:// proxy. The proxy comes from https_proxy / HTTPS_PROXY, as the
 * reference takes it. A web proxy that is wrongly set is named, and the
 * source ends at once rather than retrying.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "iot-realworld-common.h"
#include "iot-test-common.h"
#include "iot-test-tls.h"

#define PROXY_USER "iot-user"
#define PROXY_PASSWORD "pass.word"
#define PROXY_PASSWORD_ENCODED "p%61ss.word"

typedef struct {
	IotRealworldFixture rw;
	GSubprocess *tinyproxy;
	guint16 proxy_port;
	gchar *proxy_log;
	gchar *proxy_tls_dir; /* the front's authority (ca/ca.pem) and certificate */
	GSubprocess *tls_front;
	guint16 front_port;
} Fixture;

/* tinyproxy on a free port, asking for credentials when @auth */
static void
start_tinyproxy(Fixture *fx, gboolean auth)
{
	g_autofree gchar *tinyproxy = g_find_program_in_path("tinyproxy");
	g_autofree gchar *config = NULL;
	g_autofree gchar *config_file = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;

	if (tinyproxy == NULL) {
		g_test_skip("tinyproxy is not installed (Debian package tinyproxy)");
		return;
	}
	fx->proxy_port = iot_test_unused_port();
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
	iot_test_wait_listening(fx->proxy_port, 10000);
}

/* socat with a certificate for localhost, signed by an authority of its own, before tinyproxy */
static void
start_tls_front(Fixture *fx)
{
	g_autofree gchar *socat = g_find_program_in_path("socat");
	g_autofree gchar *listen = NULL;
	g_autofree gchar *target = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;

	if (socat == NULL) {
		g_test_skip("socat is not installed (Debian package socat)");
		return;
	}
	fx->proxy_tls_dir = g_build_filename(fx->rw.tunnel.tmpdir, "proxy-tls", NULL);
	g_assert_true(iot_test_tls_generate(fx->proxy_tls_dir, &error));
	g_assert_no_error(error);
	fx->front_port = iot_test_unused_port();
	listen = g_strdup_printf("OPENSSL-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork,"
				 "cert=%s/server.pem,verify=0",
				 fx->front_port,
				 fx->proxy_tls_dir);
	target = g_strdup_printf("TCP:127.0.0.1:%u", fx->proxy_port);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_subprocess_launcher_unsetenv(launcher, "LD_PRELOAD");
	fx->tls_front = g_subprocess_launcher_spawn(launcher, &error, socat, listen, target, NULL);
	g_assert_no_error(error);
	iot_test_wait_listening(fx->front_port, 10000);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
	start_tinyproxy(fx, FALSE);
}

/* tinyproxy behind TLS: an https:// web proxy */
static void
fixture_setup_https(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
	start_tinyproxy(fx, FALSE);
	if (fx->tinyproxy != NULL)
		start_tls_front(fx);
}

/* no web proxy running */
static void
fixture_setup_none(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(&fx->rw, NULL);
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
	if (fx->tls_front != NULL) {
		g_subprocess_send_signal(fx->tls_front, SIGTERM);
		g_assert_true(g_subprocess_wait(fx->tls_front, NULL, NULL));
		g_clear_object(&fx->tls_front);
	}
	if (fx->tinyproxy != NULL) {
		g_subprocess_force_exit(fx->tinyproxy);
		g_assert_true(g_subprocess_wait(fx->tinyproxy, NULL, NULL));
		g_clear_object(&fx->tinyproxy);
	}
	g_free(fx->proxy_tls_dir);
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

/* the source ended with status 1 and @sentence, after one try; returns what it said */
static gchar *
assert_ended(Fixture *fx, const gchar *sentence)
{
	g_autofree gchar *output = NULL;

	g_assert_cmpint(iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->rw.tunnel.source);
	if (strstr(output, sentence) == NULL)
		g_error("no \"%s\" in:\n%s", sentence, output);
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "trying again"));
	return g_steal_pointer(&output);
}

/* a source through the web proxy @url ends as assert_ended() checks */
static gchar *
assert_source_ends(Fixture *fx, const gchar *url, const gchar *sentence)
{
	fx->rw.tunnel.source = spawn_source(fx, url, NULL, FALSE);
	return assert_ended(fx, sentence);
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
	named = g_strdup_printf("iotunneld: The web proxy did not carry the connection to the "
				"service (web proxy 127.0.0.1:%u refused to connect to %s: ",
				fx->proxy_port,
				fx->rw.tunnel.endpoint);
	output = assert_source_ends(fx, url, named);
	g_assert_nonnull(strstr(output,
				"check the web proxy's address, user and password in https_proxy, "
				"or list the service's host in NO_PROXY."));
	/* tinyproxy answers a wrong password with 401 and none with 407 */
	g_assert_nonnull(strstr(output, with_password ? "401" : "authentication required"));
	g_assert_cmpuint(proxy_connects(fx), ==, 1);
}

/*
 * An https:// web proxy whose certificate a private authority signed: -c
 * names a folder holding it and the service's (the reference's -c also
 * covers both), or the profile names it in proxy_ca_path.
 */
static void
test_https_proxy(Fixture *fx, gconstpointer data)
{
	gboolean profile = GPOINTER_TO_INT(data);
	g_autofree gchar *url = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *proxy_ca = NULL;
	g_autoptr(GError) error = NULL;

	if (fx->tls_front == NULL)
		return;
	url = g_strdup_printf("https://localhost:%u", fx->front_port);
	proxy_ca = g_build_filename(fx->proxy_tls_dir, "ca", NULL);
	start_destination(fx);
	if (profile) {
		g_autofree gchar *extra = g_strdup_printf("\"proxy_ca_path\": \"%s\"", proxy_ca);
		g_autofree gchar *json =
		    iot_realworld_profile(&fx->rw, "source", NULL, NULL, extra, NULL);
		g_autofree gchar *lower = g_strdup_printf("https_proxy=%s", url);
		const gchar *env[] = {lower, "NO_PROXY=", "no_proxy=", NULL};

		fx->rw.tunnel.source = iot_test_tunnel_spawn_profile_full(&fx->rw.tunnel,
									  "source",
									  json,
									  env,
									  TRUE,
									  &error);
		g_assert_no_error(error);
		address = iot_realworld_source_address(fx->rw.tunnel.source);
	} else {
		/* one folder with both authorities, as -c takes it */
		g_autofree gchar *both = g_build_filename(fx->rw.tunnel.tmpdir, "cas", NULL);
		g_autofree gchar *service_ca = NULL;
		g_autofree gchar *proxy_ca_file = g_build_filename(proxy_ca, "ca.pem", NULL);
		g_autofree gchar *contents = NULL;
		g_autofree gchar *copy = NULL;

		g_assert_cmpint(g_mkdir(both, 0700), ==, 0);
		g_assert_true(g_file_get_contents(fx->rw.tunnel.ca_file, &contents, NULL, NULL));
		service_ca = g_build_filename(both, "service.pem", NULL);
		g_assert_true(g_file_set_contents(service_ca, contents, -1, NULL));
		g_clear_pointer(&contents, g_free);
		g_assert_true(g_file_get_contents(proxy_ca_file, &contents, NULL, NULL));
		copy = g_build_filename(both, "proxy.pem", NULL);
		g_assert_true(g_file_set_contents(copy, contents, -1, NULL));
		g_free(fx->rw.tunnel.ca_file);
		fx->rw.tunnel.ca_file = g_steal_pointer(&both);
		fx->rw.tunnel.source = spawn_source(fx, url, NULL, TRUE);
		address = iot_realworld_source_address(fx->rw.tunnel.source);
	}
	iot_realworld_exchange(&fx->rw, address, 256 * 1024);
	g_assert_cmpuint(proxy_connects(fx), ==, 1);
}

/* nothing vouches for the https:// proxy's certificate: said, and not retried */
static void
test_https_proxy_untrusted(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *output = NULL;

	if (fx->tls_front == NULL)
		return;
	url = g_strdup_printf("https://localhost:%u", fx->front_port);
	output = assert_source_ends(
	    fx,
	    url,
	    "iotunneld: The web proxy's TLS certificate was not accepted (the TLS "
	    "certificate of web proxy localhost was refused: it is not signed by a "
	    "trusted certificate authority); check the host name in https_proxy and "
	    "give the authority that signed the certificate with -c (proxy_ca_path "
	    "or ca_path), or, for tests only, skip the check with -k.\n");
	g_assert_cmpuint(proxy_connects(fx), ==, 0);
}

/*
 * https:// written for a plain proxy: tinyproxy takes the TLS hello for a
 * request and waits for the rest. Found within seconds, named, not retried.
 */
static void
test_https_at_plain_proxy(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *url = NULL;
	g_autofree gchar *sentence = NULL;

	if (fx->tinyproxy == NULL)
		return;
	url = g_strdup_printf("https://127.0.0.1:%u", fx->proxy_port);
	sentence =
	    g_strdup_printf("iotunneld: The web proxy in https_proxy is not an https:// one "
			    "(web proxy 127.0.0.1:%u does not speak TLS: it did not answer "
			    "the TLS handshake within 5000 ms); if it is a plain proxy, write "
			    "http:// rather than https:// there.\n",
			    fx->proxy_port);
	g_free(assert_source_ends(fx, url, sentence));
	g_assert_cmpuint(proxy_connects(fx), ==, 0);
}

/*
 * A web proxy whose name does not exist, or where nothing listens: named as
 * the web proxy, not the service, and the source ends rather than retrying.
 */
static void
test_proxy_absent(Fixture *fx, gconstpointer data)
{
	gboolean unknown_name = GPOINTER_TO_INT(data);
	g_autofree gchar *url = NULL;
	g_autofree gchar *sentence = NULL;
	g_autofree gchar *output = NULL;

	if (unknown_name) {
		g_autoptr(GError) error = NULL;
		g_autolist(GInetAddress) addresses =
		    g_resolver_lookup_by_name(g_resolver_get_default(),
					      "no-such-proxy.invalid",
					      NULL,
					      &error);
		if (!g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
			g_test_skip("the resolver cannot tell that a name does not exist");
			return;
		}
		url = g_strdup("no-such-proxy.invalid");
		sentence =
		    g_strdup("iotunneld: The web proxy did not carry the connection to the "
			     "service (web proxy no-such-proxy.invalid:80 cannot be found: ");
	} else {
		guint16 port = iot_test_unused_port();
		url = g_strdup_printf("http://127.0.0.1:%u", port);
		sentence = g_strdup_printf("iotunneld: The web proxy did not carry the connection "
					   "to the service (web proxy 127.0.0.1:%u cannot be "
					   "reached: ",
					   port);
	}
	output = assert_source_ends(fx, url, sentence);
	g_assert_nonnull(strstr(output,
				"check the web proxy's address, user and password in https_proxy, "
				"or list the service's host in NO_PROXY.\n"));
}

/* the sentence names the variable the web proxy came from: an empty https_proxy is not it */
static void
test_proxy_variable_named(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *upper = NULL;
	g_autofree gchar *sentence = NULL;
	g_autofree gchar *output = NULL;
	const gchar *args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};
	guint16 port = iot_test_unused_port();

	upper = g_strdup_printf("HTTPS_PROXY=http://127.0.0.1:%u", port);
	{
		const gchar *env[] = {"https_proxy=", upper, "NO_PROXY=", "no_proxy=", NULL};
		fx->rw.tunnel.source = iot_test_tunnel_spawn_proxy_full(&fx->rw.tunnel,
									"source",
									args,
									env,
									FALSE,
									&error);
	}
	g_assert_no_error(error);
	sentence = g_strdup_printf("iotunneld: The web proxy did not carry the connection to the "
				   "service (web proxy 127.0.0.1:%u cannot be reached: ",
				   port);
	output = assert_ended(fx, sentence);
	g_assert_nonnull(strstr(output, "user and password in HTTPS_PROXY, or list"));
}

/* a web proxy that cannot be understood is a usage error, found before any listener opens */
static void
test_proxy_malformed(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *output = NULL;

	fx->rw.tunnel.source = spawn_source(fx, "ftp://proxy.example:21", NULL, FALSE);
	g_assert_cmpint(iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			2);
	output = iot_test_process_get_output(fx->rw.tunnel.source);
	g_assert_nonnull(strstr(output, "https_proxy"));
	g_assert_nonnull(strstr(output, "only http:// and https:// web proxies are supported"));
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "listening on"));
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "connecting"));
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
	g_test_add("/iotunnel/realworld/web-proxy/https/capath",
		   Fixture,
		   GINT_TO_POINTER(FALSE),
		   fixture_setup_https,
		   test_https_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/https/proxy-ca-path",
		   Fixture,
		   GINT_TO_POINTER(TRUE),
		   fixture_setup_https,
		   test_https_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/https/untrusted",
		   Fixture,
		   NULL,
		   fixture_setup_https,
		   test_https_proxy_untrusted,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/https/at-plain-proxy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_https_at_plain_proxy,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/absent/unknown-name",
		   Fixture,
		   GINT_TO_POINTER(TRUE),
		   fixture_setup_none,
		   test_proxy_absent,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/absent/closed-port",
		   Fixture,
		   GINT_TO_POINTER(FALSE),
		   fixture_setup_none,
		   test_proxy_absent,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/absent/upper-case-variable",
		   Fixture,
		   NULL,
		   fixture_setup_none,
		   test_proxy_variable_named,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/malformed",
		   Fixture,
		   NULL,
		   fixture_setup_none,
		   test_proxy_malformed,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/web-proxy/no-proxy",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_no_proxy,
		   fixture_teardown);
	return g_test_run();
}
