/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "iot-test-common.h"
#include "iot-test-service.h"
#include "iot-test-tls.h"
#include "iot-websocket-proxy-tunnel.h"
#include "iot-websocket-proxy.h"
#include "iot-websocket-transport.h"

static gchar *iot_test_tls_dir = NULL;
/* another authority and a certificate for localhost it signed, for a web proxy's TLS */
static gchar *iot_test_proxy_tls_dir = NULL;
static guint16 iot_test_dead_proxy_port = 0;

typedef struct {
	const gchar *value;
	const gchar *expected; /* NULL: refused */
} NormalizeCase;

static const NormalizeCase normalize_cases[] = {
    {"http://proxy.example:3128", "http://proxy.example:3128"},
    {"http:proxy.example:3128", "http://proxy.example:3128"},
    {"HTTP:proxy.example:3128", "http://proxy.example:3128"},
    {"http:/proxy.example:3128", "http://proxy.example:3128"},
    {"proxy.example:3128", "http://proxy.example:3128"},
    {"  http://proxy.example:3128/ ", "http://proxy.example:3128"},
    {"http://proxy.example", "http://proxy.example:80"},
    {"https://proxy.example", "https://proxy.example:443"},
    {"http://user:p%40ss@proxy.example:3128", "http://user:p%40ss@proxy.example:3128"},
    {"http://[::1]:3128", "http://[::1]:3128"},
    {"socks5://proxy.example:1080", NULL},
    {"http://", NULL},
    {"", NULL},
    {"http://proxy.example:3128/path", NULL},
    {"http://proxy.example:3128?x=1", NULL},
    /* GIO's proxy resolver refuses what does not decode (a critical, then no proxy) */
    {"http://user:p%00ss@proxy.example:3128", NULL},
    /* messages quote the URL */
    {"http://proxy\xa2.example:3128", NULL},
};

static void
test_normalize(gconstpointer user_data)
{
	const NormalizeCase *normalize_case = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *url = iot_websocket_proxy_normalize_url(normalize_case->value, &error);

	if (normalize_case->expected == NULL) {
		g_assert_error(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_SETTINGS);
		g_assert_null(url);
		return;
	}
	g_assert_no_error(error);
	g_assert_cmpstr(url, ==, normalize_case->expected);
}

typedef struct {
	const gchar *env[4];
	const gchar *uri;
	const gchar *expected; /* "direct://" or the proxy; NULL: refused */
	const gchar *variable; /* refused: the variable the error names */
} EnvironCase;

static const EnvironCase environ_cases[] = {
    {{NULL}, "wss://service.example:443", "direct://", NULL},
    {{"HTTP_PROXY=http://plain:1", NULL}, "wss://service.example:443", "direct://", NULL},
    {{"HTTPS_PROXY=http://upper:1", NULL}, "wss://service.example:443", "http://upper:1", NULL},
    {{"HTTPS_PROXY=http://upper:1", "https_proxy=http://lower:2", NULL},
     "wss://service.example:443",
     "http://lower:2",
     NULL},
    {{"https_proxy=http://lower:2", "HTTPS_PROXY=http://upper:1", NULL},
     "wss://service.example:443",
     "http://lower:2",
     NULL},
    {{"HTTPS_PROXY=http://upper:1", "https_proxy=", NULL},
     "wss://service.example:443",
     "http://upper:1",
     NULL},
    {{"https_proxy=http:lower:2", NULL}, "wss://service.example:443", "http://lower:2", NULL},
    {{"https_proxy=http://u:s%3Ar@lower:2", NULL},
     "wss://service.example:443",
     "http://u:s%3Ar@lower:2",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example", NULL},
     "wss://service.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example", NULL},
     "wss://data.service.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example", NULL},
     "wss://other.example:443",
     "http://p:1",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=.service.example", NULL},
     "wss://data.service.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=a.example, service.example", NULL},
     "wss://service.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example:8443", NULL},
     "wss://service.example:8443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example:8443", NULL},
     "wss://service.example:443",
     "http://p:1",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=127.0.0.0/8", NULL},
     "wss://127.0.0.5:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=*", NULL},
     "wss://service.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example", "no_proxy=other.example", NULL},
     "wss://other.example:443",
     "direct://",
     NULL},
    {{"https_proxy=http://p:1", "NO_PROXY=service.example", "no_proxy=other.example", NULL},
     "wss://service.example:443",
     "http://p:1",
     NULL},
    {{"HTTPS_PROXY=ftp://p:1", NULL}, "wss://service.example:443", NULL, "HTTPS_PROXY"},
    {{"https_proxy=http://", NULL}, "wss://service.example:443", NULL, "https_proxy"},
    {{"https_proxy=http://p:99999", "HTTPS_PROXY=http://p:1", NULL},
     "wss://service.example:443",
     NULL,
     "https_proxy"},
};

static void
test_environ(gconstpointer user_data)
{
	const EnvironCase *environ_case = user_data;
	g_autofree gchar *url = NULL;
	g_autofree gchar *no_proxy = NULL;
	g_autoptr(GProxyResolver) resolver = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) proxies = NULL;

	if (!iot_websocket_proxy_from_environ(environ_case->env, &url, &no_proxy, &error)) {
		g_autofree gchar *prefix = g_strdup_printf("%s: ", environ_case->variable);
		g_assert_error(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_SETTINGS);
		g_assert_true(g_str_has_prefix(error->message, prefix));
		g_assert_null(environ_case->expected);
		return;
	}
	g_assert_nonnull(environ_case->expected);
	if (url == NULL) {
		g_assert_cmpstr(environ_case->expected, ==, "direct://");
		return;
	}
	resolver = iot_websocket_proxy_resolver_new(url, no_proxy);
	proxies = g_proxy_resolver_lookup(resolver, environ_case->uri, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(proxies[0], ==, environ_case->expected);
}

static void
test_describe(void)
{
	g_autofree gchar *plain = iot_websocket_proxy_describe("http://proxy.example:3128");
	g_autofree gchar *secret =
	    iot_websocket_proxy_describe("http://user:pw@proxy.example:3128");
	g_autofree gchar *ipv6 = iot_websocket_proxy_describe("http://[::1]:3128");
	g_assert_cmpstr(plain, ==, "proxy.example:3128");
	g_assert_cmpstr(secret, ==, "proxy.example:3128");
	g_assert_cmpstr(ipv6, ==, "[::1]:3128");
}

typedef struct {
	gchar *dir;
	gchar *log_file;
	GSubprocess *tinyproxy;
	guint16 proxy_port;
	GSubprocess *tls_front; /* socat: TLS in front of tinyproxy, an https:// proxy */
	guint16 front_port;
	IotTestSoupService *soup;
	guint16 target_port;
	IotTransport *transport;
	gboolean connect_done;
	gboolean connected;
	GError *connect_error;
	GPtrArray *messages;
} Fixture;

static void
iot_test_message_cb(IotTransport *transport, GBytes *payload, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_ptr_array_add(fixture->messages, g_bytes_ref(payload));
}

/*
 * Starts tinyproxy on a free port, asking for Basic credentials when @auth.
 * FALSE when tinyproxy is not installed: the test is skipped.
 */
static gboolean
fixture_start_tinyproxy(Fixture *fixture, gboolean auth)
{
	g_autofree gchar *tinyproxy = g_find_program_in_path("tinyproxy");
	g_autofree gchar *config_file = NULL;
	g_autofree gchar *config = NULL;
	g_autoptr(GError) error = NULL;

	if (tinyproxy == NULL) {
		g_test_skip("tinyproxy is not installed (Debian package tinyproxy)");
		return FALSE;
	}
	fixture->dir = g_dir_make_tmp("iotunnel-tinyproxy-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->log_file = g_build_filename(fixture->dir, "tinyproxy.log", NULL);
	config_file = g_build_filename(fixture->dir, "tinyproxy.conf", NULL);
	fixture->proxy_port = iot_test_unused_port();
	config = g_strdup_printf("Port %u\n"
				 "Listen 127.0.0.1\n"
				 "Timeout 30\n"
				 "LogFile \"%s\"\n"
				 "LogLevel Info\n"
				 "MaxClients 4\n"
				 "Allow 127.0.0.1\n"
				 "%s",
				 fixture->proxy_port,
				 fixture->log_file,
				 auth ? "BasicAuth iot-user pass.word\n" : "");
	g_assert_true(g_file_set_contents(config_file, config, -1, &error));
	g_assert_no_error(error);
	fixture->tinyproxy =
	    g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			     &error,
			     tinyproxy,
			     "-d",
			     "-c",
			     config_file,
			     NULL);
	g_assert_no_error(error);
	iot_test_wait_listening(fixture->proxy_port, 5000);
	return TRUE;
}

/*
 * Puts TLS in front of the running tinyproxy with socat, serving the
 * certificate for localhost in @tls_dir: together an https:// web proxy.
 */
static void
fixture_start_tls_front(Fixture *fixture, const gchar *tls_dir)
{
	g_autofree gchar *socat = g_find_program_in_path("socat");
	g_autofree gchar *listen = NULL;
	g_autofree gchar *target = NULL;
	g_autoptr(GError) error = NULL;

	if (socat == NULL) {
		g_test_skip("socat is not installed (Debian package socat)");
		return;
	}
	fixture->front_port = iot_test_unused_port();
	listen = g_strdup_printf("OPENSSL-LISTEN:%u,bind=127.0.0.1,reuseaddr,fork,"
				 "cert=%s/server.pem,verify=0",
				 fixture->front_port,
				 tls_dir);
	target = g_strdup_printf("TCP:127.0.0.1:%u", fixture->proxy_port);
	fixture->tls_front =
	    g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			     &error,
			     socat,
			     listen,
			     target,
			     NULL);
	g_assert_no_error(error);
	iot_test_wait_listening(fixture->front_port, 5000);
}

static void
fixture_setup(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GTlsCertificate) certificate = NULL;
	g_autofree gchar *server_file = g_build_filename(iot_test_tls_dir, "server.pem", NULL);
	g_autoptr(GError) error = NULL;

	fixture->messages = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	certificate = g_tls_certificate_new_from_file(server_file, &error);
	g_assert_no_error(error);
	fixture->soup = iot_test_soup_service_new(certificate, &error);
	g_assert_no_error(error);
	fixture->soup->echo = TRUE;
	fixture->target_port = fixture->soup->port;
	fixture->transport = IOT_TRANSPORT(iot_websocket_transport_new());
	g_signal_connect(fixture->transport, "message", G_CALLBACK(iot_test_message_cb), fixture);
}

static void
fixture_teardown(Fixture *fixture, gconstpointer user_data)
{
	g_signal_handlers_disconnect_by_data(fixture->transport, fixture);
	g_clear_object(&fixture->transport);
	iot_test_run_for(20);
	g_clear_pointer(&fixture->soup, iot_test_soup_service_free);
	if (fixture->tls_front != NULL) {
		g_subprocess_send_signal(fixture->tls_front, SIGTERM);
		g_assert_true(g_subprocess_wait(fixture->tls_front, NULL, NULL));
		g_clear_object(&fixture->tls_front);
	}
	if (fixture->tinyproxy != NULL) {
		g_autofree gchar *config_file =
		    g_build_filename(fixture->dir, "tinyproxy.conf", NULL);
		g_autofree gchar *log = NULL;
		g_autoptr(GError) error = NULL;

		g_subprocess_force_exit(fixture->tinyproxy);
		g_assert_true(g_subprocess_wait(fixture->tinyproxy, NULL, &error));
		g_assert_no_error(error);
		g_clear_object(&fixture->tinyproxy);
		/* what the proxy saw holds no secret either */
		if (g_file_get_contents(fixture->log_file, &log, NULL, NULL)) {
			g_assert_null(strstr(log, IOT_TEST_ACCESS_TOKEN));
			g_assert_null(strstr(log, "pass.word"));
			g_assert_cmpint(g_remove(fixture->log_file), ==, 0);
		}
		g_assert_cmpint(g_remove(config_file), ==, 0);
		g_assert_cmpint(g_rmdir(fixture->dir), ==, 0);
	}
	g_free(fixture->dir);
	g_free(fixture->log_file);
	g_ptr_array_unref(fixture->messages);
	g_clear_error(&fixture->connect_error);
	iot_test_log_capture_assert_no_secret();
	g_assert_null(strstr(iot_test_log_capture_get(), "pass.word"));
	g_assert_null(strstr(iot_test_log_capture_get(), "p%61ss"));
}

/* the service's authority in ca_path, @proxy, and @extra members */
static void
fixture_configure_full(Fixture *fixture, const gchar *proxy, const gchar *extra)
{
	g_autofree gchar *json = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(GError) error = NULL;

	json = g_strdup_printf("{\"ca_path\": \"%s/ca\", \"proxy\": \"%s\", \"ping_ms\": 0%s%s}",
			       iot_test_tls_dir,
			       proxy,
			       extra != NULL ? ", " : "",
			       extra != NULL ? extra : "");
	node = json_from_string(json, &error);
	g_assert_no_error(error);
	g_assert_true(
	    iot_transport_configure(fixture->transport, json_node_get_object(node), &error));
	g_assert_no_error(error);
}

static void
fixture_configure(Fixture *fixture, const gchar *proxy)
{
	fixture_configure_full(fixture, proxy, NULL);
}

static void
iot_test_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *fixture = user_data;
	fixture->connected =
	    iot_transport_connect_finish(IOT_TRANSPORT(source), result, &fixture->connect_error);
	fixture->connect_done = TRUE;
}

static gboolean
fixture_connect(Fixture *fixture, const gchar *host)
{
	const gchar *subprotocols[] = {"aws.iot.securetunneling-3.0", NULL};
	g_autofree gchar *url = g_strdup_printf("wss://%s:%u/tunnel?local-proxy-mode=destination",
						host,
						fixture->target_port);
	IotTransportParams params = {
	    .url = url,
	    .access_token = IOT_TEST_ACCESS_TOKEN,
	    .subprotocols = subprotocols,
	};
	iot_transport_connect_async(fixture->transport,
				    &params,
				    NULL,
				    iot_test_connect_cb,
				    fixture);
	IOT_TEST_WAIT_UNTIL_MS(fixture->connect_done, 10000);
	return fixture->connected;
}

static void
fixture_echo(Fixture *fixture)
{
	g_autoptr(GBytes) payload = g_bytes_new_static("through the proxy", 17);
	iot_transport_send(fixture->transport, payload);
	IOT_TEST_WAIT_UNTIL_MS(fixture->messages->len == 1, 5000);
	g_assert_true(g_bytes_equal(payload, g_ptr_array_index(fixture->messages, 0)));
}

/* connects to the service at localhost and echoes a message through it */
static void
fixture_assert_echoes(Fixture *fixture)
{
	g_assert_true(fixture_connect(fixture, "localhost"));
	g_assert_no_error(fixture->connect_error);
	fixture_echo(fixture);
}

/* the connection to the service at @host fails with @code */
static void
fixture_assert_refused(Fixture *fixture, const gchar *host, gint code)
{
	g_assert_false(fixture_connect(fixture, host));
	g_assert_error(fixture->connect_error, IOT_TRANSPORT_ERROR, code);
}

/*
 * Starts tinyproxy as fixture_start_tinyproxy() and sets it as the web
 * proxy, http://@userinfo127.0.0.1:port (@userinfo "" or "user:password@").
 */
static gboolean
fixture_use_tinyproxy(Fixture *fixture, gboolean auth, const gchar *userinfo)
{
	g_autofree gchar *proxy = NULL;

	if (!fixture_start_tinyproxy(fixture, auth))
		return FALSE;
	proxy = g_strdup_printf("http://%s127.0.0.1:%u", userinfo, fixture->proxy_port);
	fixture_configure(fixture, proxy);
	return TRUE;
}

static void
test_tinyproxy_connect(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *logged = NULL;

	if (!fixture_use_tinyproxy(fixture, FALSE, ""))
		return;
	fixture_assert_echoes(fixture);
	logged = g_strdup_printf("through proxy 127.0.0.1:%u", fixture->proxy_port);
	g_assert_nonnull(strstr(iot_test_log_capture_get(), logged));
	/* the CONNECT exchange is in the debug log */
	g_clear_pointer(&logged, g_free);
	logged = g_strdup_printf("web proxy 127.0.0.1:%u: sending CONNECT localhost:%u",
				 fixture->proxy_port,
				 fixture->target_port);
	g_assert_nonnull(strstr(iot_test_log_capture_get(), logged));
	g_clear_pointer(&logged, g_free);
	logged = g_strdup_printf("web proxy 127.0.0.1:%u: CONNECT localhost:%u accepted",
				 fixture->proxy_port,
				 fixture->target_port);
	g_assert_nonnull(strstr(iot_test_log_capture_get(), logged));
}

static void
test_tinyproxy_credentials(Fixture *fixture, gconstpointer user_data)
{
	/* percent-encoded in the URL; GLib decodes it for the Basic credentials */
	if (!fixture_use_tinyproxy(fixture, TRUE, "iot-user:p%61ss.word@"))
		return;
	fixture_assert_echoes(fixture);
}

static void
test_tinyproxy_auth_required(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *named = NULL;

	if (!fixture_use_tinyproxy(fixture, TRUE, ""))
		return;
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY);
	named = g_strdup_printf("127.0.0.1:%u", fixture->proxy_port);
	g_assert_nonnull(strstr(fixture->connect_error->message, named));
	g_assert_null(fixture->soup->request_headers);
}

static void
test_tinyproxy_auth_wrong(Fixture *fixture, gconstpointer user_data)
{
	if (!fixture_use_tinyproxy(fixture, TRUE, "iot-user:wrong@"))
		return;
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY);
	/* tinyproxy answers a wrong password with 401, not 407 */
	g_assert_nonnull(strstr(fixture->connect_error->message, "401"));
}

static void
test_tinyproxy_unreachable(Fixture *fixture, gconstpointer user_data)
{
	if (!fixture_use_tinyproxy(fixture, FALSE, ""))
		return;
	fixture->target_port = iot_test_unused_port();
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY);
}

typedef struct {
	const gchar *proxy_userinfo;
	const gchar *authorization; /* NULL: none sent */
	const gchar *text;
} ConnectRequestCase;

static const ConnectRequestCase connect_request_cases[] = {
    {"", NULL, "authentication required"},
    /* user "iot", password "p@ss:w" */
    {"iot:p%40ss:w@", "Proxy-Authorization: Basic aW90OnBAc3M6dw==\r\n", "authentication failed"},
};

/* what GLib's HTTP proxy sends: CONNECT, always a Host, Basic credentials decoded */
static void
test_connect_request(Fixture *fixture, gconstpointer user_data)
{
	static const gchar answer[] = "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
	const ConnectRequestCase *request_case = user_data;
	g_autoptr(IotTestRawService) proxy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *proxy_url = NULL;
	g_autofree gchar *expected = NULL;

	proxy = iot_test_raw_service_new(G_SOCKET_FAMILY_IPV4, &error);
	g_assert_no_error(error);
	proxy->http_answer = g_bytes_new_static(answer, sizeof(answer) - 1);
	proxy_url =
	    g_strdup_printf("http://%s127.0.0.1:%u", request_case->proxy_userinfo, proxy->port);
	fixture_configure(fixture, proxy_url);
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY);
	g_assert_nonnull(strstr(fixture->connect_error->message, request_case->text));
	g_assert_null(strstr(fixture->connect_error->message, "p@ss"));

	expected = g_strdup_printf("CONNECT localhost:%u HTTP/1.", fixture->target_port);
	g_assert_true(g_str_has_prefix(proxy->request, expected));
	g_free(expected);
	expected = g_strdup_printf("\r\nHost: localhost:%u\r\n", fixture->target_port);
	g_assert_nonnull(strstr(proxy->request, expected));
	if (request_case->authorization != NULL)
		g_assert_nonnull(strstr(proxy->request, request_case->authorization));
	else
		g_assert_null(strstr(proxy->request, "Proxy-Authorization"));
}

/* main() set https_proxy to a dead proxy, HTTPS_PROXY to nonsense, no_proxy to localhost */
static void
test_env_no_proxy(Fixture *fixture, gconstpointer user_data)
{
	fixture_configure(fixture, "env");
	fixture_assert_echoes(fixture);
}

static void
test_env_proxy(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *named =
	    g_strdup_printf("web proxy 127.0.0.1:%u cannot be reached: ", iot_test_dead_proxy_port);
	fixture_configure(fixture, "env");
	/* nothing listens where the proxy should be, and it never worked: a wrong setting */
	fixture_assert_refused(fixture, "127.0.0.1", IOT_TRANSPORT_ERROR_PROXY);
	g_assert_true(g_str_has_prefix(fixture->connect_error->message, named));
	g_assert_null(fixture->soup->request_headers);
}

/* a web proxy whose name is unknown is a wrong setting, not a service away */
static void
test_unknown_host(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autolist(GInetAddress) addresses = NULL;

	/* this machine's resolver must say "no such name", not "cannot ask" */
	addresses = g_resolver_lookup_by_name(g_resolver_get_default(),
					      "no-such-proxy.invalid",
					      NULL,
					      &error);
	if (!g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND)) {
		g_test_skip("the resolver cannot tell that a name does not exist");
		return;
	}
	fixture_configure(fixture, "http://no-such-proxy.invalid:3128");
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY);
	g_assert_true(g_str_has_prefix(fixture->connect_error->message,
				       "web proxy no-such-proxy.invalid:3128 cannot be found: "));
}

/* once a connection went through the proxy, the proxy away is worth another try */
static void
test_tinyproxy_gone(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *named = NULL;
	g_autoptr(GError) error = NULL;

	if (!fixture_use_tinyproxy(fixture, FALSE, ""))
		return;
	g_assert_true(fixture_connect(fixture, "localhost"));
	iot_transport_close(fixture->transport);
	g_subprocess_force_exit(fixture->tinyproxy);
	g_assert_true(g_subprocess_wait(fixture->tinyproxy, NULL, &error));
	g_assert_no_error(error);

	fixture->connect_done = FALSE;
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_NETWORK);
	named = g_strdup_printf("web proxy 127.0.0.1:%u cannot be reached: ", fixture->proxy_port);
	g_assert_true(g_str_has_prefix(fixture->connect_error->message, named));
	/* restarted, for the teardown */
	g_clear_object(&fixture->tinyproxy);
	g_assert_true(fixture_start_tinyproxy(fixture, FALSE));
}

typedef struct {
	const gchar *name;
	gboolean own_authority; /* the proxy's certificate is signed by its own CA */
	const gchar *extra;	/* more settings; @PROXY_CA@ is the proxy's CA folder */
	gint code;		/* -1: connects */
	const gchar *text;
} HttpsProxyCase;

static const HttpsProxyCase https_proxy_cases[] = {
    /* the authority of -c (ca_path) covers the web proxy too, as the reference's -c */
    {"ca-path", FALSE, NULL, -1, NULL},
    {"proxy-ca-path", TRUE, "\"proxy_ca_path\": \"@PROXY_CA@\"", -1, NULL},
    {"untrusted",
     TRUE,
     NULL,
     IOT_TRANSPORT_ERROR_PROXY_TLS,
     "the TLS certificate of web proxy localhost was refused: it is not signed by a trusted "
     "certificate authority"},
    {"insecure", TRUE, "\"insecure\": true", -1, NULL},
};

/* an https:// web proxy: tinyproxy behind a TLS front, with a private authority */
static void
test_https_proxy(Fixture *fixture, gconstpointer user_data)
{
	const HttpsProxyCase *proxy_case = user_data;
	g_autofree gchar *proxy = NULL;
	g_autoptr(GString) extra = NULL;

	if (!fixture_start_tinyproxy(fixture, FALSE))
		return;
	fixture_start_tls_front(fixture,
				proxy_case->own_authority ? iot_test_proxy_tls_dir
							  : iot_test_tls_dir);
	if (fixture->tls_front == NULL)
		return;
	proxy = g_strdup_printf("https://localhost:%u", fixture->front_port);
	if (proxy_case->extra != NULL) {
		g_autofree gchar *ca = g_build_filename(iot_test_proxy_tls_dir, "ca", NULL);
		extra = g_string_new(proxy_case->extra);
		g_string_replace(extra, "@PROXY_CA@", ca, 0);
	}
	fixture_configure_full(fixture, proxy, extra != NULL ? extra->str : NULL);
	if (proxy_case->code < 0) {
		fixture_assert_echoes(fixture);
		return;
	}
	fixture_assert_refused(fixture, "localhost", proxy_case->code);
	g_assert_cmpstr(fixture->connect_error->message, ==, proxy_case->text);
	g_assert_null(fixture->soup->request_headers);
}

/*
 * https:// in front of a plain proxy: tinyproxy takes the TLS hello for the
 * start of a request and waits for the rest, so it never answers. That is
 * found within IOT_WEBSOCKET_PROXY_TLS_ANSWER_MS, not after the connect
 * timeout, and is no reason to try again.
 */
static void
test_https_at_plain_proxy(Fixture *fixture, gconstpointer user_data)
{
	g_autofree gchar *proxy = NULL;
	g_autofree gchar *expected = NULL;

	if (!fixture_start_tinyproxy(fixture, FALSE))
		return;
	proxy = g_strdup_printf("https://127.0.0.1:%u", fixture->proxy_port);
	/* longer than the wait for an answer: that one must be what ends the try */
	fixture_configure_full(fixture, proxy, "\"connect_timeout_ms\": 60000");
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY_NOT_TLS);
	expected = g_strdup_printf("web proxy 127.0.0.1:%u does not speak TLS: it did not answer "
				   "the TLS handshake within %u ms",
				   fixture->proxy_port,
				   (guint)IOT_WEBSOCKET_PROXY_TLS_ANSWER_MS);
	g_assert_cmpstr(fixture->connect_error->message, ==, expected);
}

/* a plain proxy that answers the TLS hello with an HTTP error is named at once */
static void
test_https_at_answering_plain_proxy(Fixture *fixture, gconstpointer user_data)
{
	static const gchar answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	g_autoptr(IotTestRawService) proxy = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *proxy_url = NULL;
	g_autofree gchar *expected = NULL;

	proxy = iot_test_raw_service_new(G_SOCKET_FAMILY_IPV4, &error);
	g_assert_no_error(error);
	proxy->silent = TRUE;
	proxy->on_accept = g_bytes_new_static(answer, sizeof(answer) - 1);
	proxy_url = g_strdup_printf("https://127.0.0.1:%u", proxy->port);
	fixture_configure(fixture, proxy_url);
	fixture_assert_refused(fixture, "localhost", IOT_TRANSPORT_ERROR_PROXY_NOT_TLS);
	expected = g_strdup_printf("web proxy 127.0.0.1:%u does not speak TLS: it answered in "
				   "plain HTTP",
				   proxy->port);
	g_assert_cmpstr(fixture->connect_error->message, ==, expected);
}

static void
test_none_ignores_env(Fixture *fixture, gconstpointer user_data)
{
	fixture_configure(fixture, "none");
	g_assert_true(fixture_connect(fixture, "localhost"));
	g_assert_no_error(fixture->connect_error);
}

/* a test of @path with a fresh Fixture, given @data */
static void
add_fixture_test(const gchar *path, gconstpointer data, void (*test)(Fixture *, gconstpointer))
{
	g_test_add(path, Fixture, data, fixture_setup, test, fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dead_proxy = NULL;
	int rc;

	/* before any thread runs: the environment for the env tests */
	iot_test_dead_proxy_port = iot_test_unused_port();
	dead_proxy = g_strdup_printf("http:127.0.0.1:%u", iot_test_dead_proxy_port);
	g_setenv("https_proxy", dead_proxy, TRUE);
	g_setenv("HTTPS_PROXY", "ftp://not-used-as-lower-case-wins", TRUE);
	g_setenv("no_proxy", "localhost", TRUE);
	g_unsetenv("NO_PROXY");

	g_test_init(&argc, &argv, NULL);
	iot_test_log_capture_init();
	iot_test_tls_dir = g_dir_make_tmp("iotunnel-proxy-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_tls_generate(iot_test_tls_dir, &error));
	g_assert_no_error(error);
	iot_test_proxy_tls_dir = g_dir_make_tmp("iotunnel-proxy-tls-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(iot_test_tls_generate(iot_test_proxy_tls_dir, &error));
	g_assert_no_error(error);

	for (guint i = 0; i < G_N_ELEMENTS(normalize_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-proxy/normalize/%u", i);
		g_test_add_data_func(path, &normalize_cases[i], test_normalize);
	}
	for (guint i = 0; i < G_N_ELEMENTS(environ_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/websocket-proxy/environ/%u", i);
		g_test_add_data_func(path, &environ_cases[i], test_environ);
	}
	g_test_add_func("/iotunnel/websocket-proxy/describe", test_describe);
#define ADD(path, func) add_fixture_test("/iotunnel/websocket-proxy/" path, NULL, func)
	ADD("tinyproxy/connect", test_tinyproxy_connect);
	ADD("tinyproxy/credentials", test_tinyproxy_credentials);
	ADD("tinyproxy/auth-required", test_tinyproxy_auth_required);
	ADD("tinyproxy/auth-wrong", test_tinyproxy_auth_wrong);
	ADD("tinyproxy/unreachable", test_tinyproxy_unreachable);
	for (guint i = 0; i < G_N_ELEMENTS(connect_request_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/websocket-proxy/connect-request/%u", i);
		add_fixture_test(path, &connect_request_cases[i], test_connect_request);
	}
	ADD("env/no-proxy", test_env_no_proxy);
	ADD("env/proxy", test_env_proxy);
	ADD("env/none", test_none_ignores_env);
	ADD("unknown-host", test_unknown_host);
	ADD("tinyproxy/gone", test_tinyproxy_gone);
	ADD("https/at-plain-proxy", test_https_at_plain_proxy);
	ADD("https/at-answering-plain-proxy", test_https_at_answering_plain_proxy);
#undef ADD
	for (guint i = 0; i < G_N_ELEMENTS(https_proxy_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/websocket-proxy/https/%s",
							 https_proxy_cases[i].name);
		add_fixture_test(path, &https_proxy_cases[i], test_https_proxy);
	}

	rc = g_test_run();
	iot_test_tls_remove(iot_test_tls_dir);
	iot_test_tls_remove(iot_test_proxy_tls_dir);
	return rc;
}
