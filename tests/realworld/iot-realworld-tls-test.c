/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * TLS with the service, end to end: a service on the IPv6 loopback reached
 * as -e [::1]:PORT (an IP literal is never sent as the TLS server name, and
 * the certificate is checked against the address), and an -e that points at
 * something that does not speak TLS at all, an SSH server or a plain HTTP
 * one, which is said in those words, at once and without retrying.
 */

#include "config.h"

#include <signal.h>

#include "iot-realworld-common.h"
#include "iot-test-common.h"

typedef struct {
	IotRealworldFixture rw;
	GSocket *listener;   /* what -e points at instead of the service */
	GThread *greeter;    /* writes an SSH greeting to each connection */
	GSubprocess *server; /* or python3 -m http.server */
	guint16 port;
} Fixture;

/* whether this machine has ::1 to listen on */
static gboolean
ipv6_loopback_works(void)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);

	socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	return socket != NULL && g_socket_bind(socket, address, TRUE, NULL);
}

static void
fixture_setup_ipv6(Fixture *fx, gconstpointer data)
{
	if (!ipv6_loopback_works()) {
		g_test_skip("this machine has no IPv6 loopback");
		return;
	}
	fx->rw.tunnel.address = "::1";
	iot_realworld_fixture_setup(&fx->rw, NULL);
}

/* a service on 127.0.0.2, a loopback address its default names do not cover */
static void
fixture_setup_other_address(Fixture *fx, gconstpointer data)
{
	fx->rw.tunnel.address = "127.0.0.2";
	iot_realworld_fixture_setup(&fx->rw, NULL);
}

/* accepts until the listener is closed, greeting each connection as sshd does */
static gpointer
greeter_thread(gpointer user_data)
{
	GSocket *listener = user_data;
	static const gchar greeting[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

	for (;;) {
		g_autoptr(GSocket) connection = g_socket_accept(listener, NULL, NULL);
		if (connection == NULL)
			return NULL;
		g_socket_send(connection, greeting, sizeof(greeting) - 1, NULL, NULL);
		/* sshd then waits for the client's greeting; the client hangs up */
		g_socket_set_timeout(connection, 10);
		while (TRUE) {
			gchar buffer[512];
			if (g_socket_receive(connection, buffer, sizeof(buffer), NULL, NULL) <= 0)
				break;
		}
	}
}

static void
fixture_setup_ssh(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	iot_realworld_fixture_setup(&fx->rw, NULL);
	fx->listener = iot_test_listen_tcp(&fx->port, &error);
	g_assert_no_error(error);
	fx->greeter = g_thread_new("ssh greeter", greeter_thread, fx->listener);
}

/* Python's http.server, a plain HTTP server like many */
static void
fixture_setup_http(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *python = g_find_program_in_path("python3");
	g_autofree gchar *port = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) error = NULL;

	if (python == NULL) {
		g_test_skip("python3 is not installed");
		return;
	}
	iot_realworld_fixture_setup(&fx->rw, NULL);
	fx->port = iot_test_unused_port();
	port = g_strdup_printf("%u", fx->port);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	/* python3 is not built with AddressSanitizer: no runtime of ours in it */
	g_subprocess_launcher_unsetenv(launcher, "LD_PRELOAD");
	g_subprocess_launcher_set_cwd(launcher, fx->rw.tunnel.tmpdir);
	fx->server = g_subprocess_launcher_spawn(launcher,
						 &error,
						 python,
						 "-m",
						 "http.server",
						 port,
						 "--bind",
						 "127.0.0.1",
						 NULL);
	g_assert_no_error(error);
	iot_test_wait_listening(fx->port, 10000);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	if (fx->rw.tunnel.source != NULL)
		iot_realworld_assert_no_secret(&fx->rw, fx->rw.tunnel.source);
	if (fx->rw.tunnel.destination != NULL)
		iot_realworld_assert_no_secret(&fx->rw, fx->rw.tunnel.destination);
	if (fx->listener != NULL) {
		/* wakes the greeter's accept */
		g_socket_shutdown(fx->listener, TRUE, TRUE, NULL);
		g_socket_close(fx->listener, NULL);
		g_thread_join(fx->greeter);
		g_clear_object(&fx->listener);
	}
	if (fx->server != NULL) {
		g_subprocess_force_exit(fx->server);
		g_assert_true(g_subprocess_wait(fx->server, NULL, NULL));
		g_clear_object(&fx->server);
	}
	iot_realworld_fixture_teardown(&fx->rw);
}

/*
 * -e [::1]:PORT -c ca.pem, with and without -k: both proxies connect and a
 * connection carries bytes both ways. The service's certificate names ::1,
 * so the check against the address passes without -k.
 */
static void
test_ipv6_endpoint(Fixture *fx, gconstpointer data)
{
	gboolean insecure = GPOINTER_TO_INT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *app = NULL;
	g_autofree gchar *address = NULL;
	const gchar *source_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL, NULL};
	const gchar *destination_args[] = {"-d", NULL, NULL, NULL};

	if (fx->rw.tunnel.service == NULL)
		return;
	g_assert_true(g_str_has_prefix(fx->rw.tunnel.endpoint, "[::1]:"));
	app = g_strdup_printf("SSH1=127.0.0.1:%u", fx->rw.app_port);
	destination_args[1] = app;
	if (insecure) {
		source_args[4] = "-k";
		destination_args[2] = "-k";
	}
	fx->rw.tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "destination", destination_args, &error);
	g_assert_no_error(error);
	fx->rw.tunnel.source =
	    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "source", source_args, &error);
	g_assert_no_error(error);
	address = iot_realworld_source_address(fx->rw.tunnel.source);
	iot_realworld_exchange(&fx->rw, address, 256 * 1024);
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "trying again"));
}

/* a destination through -e ENDPOINT -c ca.pem, without -k, connects */
static void
spawn_destination(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *app = g_strdup_printf("SSH1=127.0.0.1:%u", fx->rw.app_port);
	/* with a client token, so that the token works again after the service moved */
	const gchar *args[] = {"-d", app, "-i", IOT_REALWORLD_CLIENT_TOKEN_DESTINATION, NULL};

	fx->rw.tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "destination", args, &error);
	g_assert_no_error(error);
}

/*
 * The generated certificate names the address the service listens on, so
 * that -e ADDRESS:PORT -c ca.pem works without -k; it is made again when
 * the service moves to an address it does not name.
 */
static void
test_certificate_names_address(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(g_str_has_prefix(fx->rw.tunnel.endpoint, "127.0.0.2:"));
	spawn_destination(fx);
	g_clear_object(&fx->rw.tunnel.destination);

	g_assert_true(iot_test_tunnel_stop_service(&fx->rw.tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	fx->rw.tunnel.address = "127.0.0.3";
	g_assert_true(iot_test_tunnel_resume_service(&fx->rw.tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(fx->rw.tunnel.endpoint, "127.0.0.3:"));
	g_assert_true(iot_test_process_has_line(fx->rw.tunnel.service,
						"generating a new certificate: .* does not name "
						"127\\.0\\.0\\.3"));
	spawn_destination(fx);
}

/*
 * -e names an SSH server or a plain HTTP server rather than the service:
 * one sentence that says so, status 1, no retry, and no certificate advice.
 */
static void
test_not_tls(Fixture *fx, gconstpointer data)
{
	const gchar *answered = data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *sentence = NULL;
	const gchar *args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};

	if (fx->port == 0)
		return;
	g_free(fx->rw.tunnel.endpoint);
	fx->rw.tunnel.endpoint = g_strdup_printf("127.0.0.1:%u", fx->port);
	fx->rw.tunnel.source =
	    iot_test_tunnel_spawn_proxy_full(&fx->rw.tunnel, "source", args, NULL, FALSE, &error);
	g_assert_no_error(error);
	g_assert_cmpint(iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS),
			==,
			1);
	output = iot_test_process_get_output(fx->rw.tunnel.source);
	sentence =
	    g_strdup_printf("iotunneld: There is no secure tunneling service at the endpoint "
			    "wss://127.0.0.1:%u (127.0.0.1:%u does not speak TLS: %s); is the "
			    "endpoint (-e) the address of the tunneling service?\n",
			    fx->port,
			    fx->port,
			    answered);
	if (strstr(output, sentence) == NULL)
		g_error("no \"%s\" in:\n%s", sentence, output);
	g_assert_null(strstr(output, "certificate"));
	g_assert_false(iot_test_process_has_line(fx->rw.tunnel.source, "trying again"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();

	g_test_add("/iotunnel/realworld/tls/ipv6-endpoint",
		   Fixture,
		   GINT_TO_POINTER(FALSE),
		   fixture_setup_ipv6,
		   test_ipv6_endpoint,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/tls/ipv6-endpoint-insecure",
		   Fixture,
		   GINT_TO_POINTER(TRUE),
		   fixture_setup_ipv6,
		   test_ipv6_endpoint,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/tls/certificate-names-address",
		   Fixture,
		   NULL,
		   fixture_setup_other_address,
		   test_certificate_names_address,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/tls/not-tls/ssh",
		   Fixture,
		   "it answered like an SSH server",
		   fixture_setup_ssh,
		   test_not_tls,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/tls/not-tls/http",
		   Fixture,
		   "it answered in plain HTTP",
		   fixture_setup_http,
		   test_not_tls,
		   fixture_teardown);
	return g_test_run();
}
