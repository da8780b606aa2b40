/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The way people reach a device's shell through a running tunnel: OpenSSH's
 * ssh with ProxyCommand 'iotunnelctl connect TUNNEL SSH1', no local port and
 * no second token, to a real sshd behind a destination iotunneld.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "iot-dbus-test-common.h"

#define TEST_SSHD "/usr/sbin/sshd"
#define TEST_PAYLOAD_SIZE (4 * 1024 * 1024)

typedef IotDBusFixture Fixture;

static gchar *
test_file(Fixture *fx, const gchar *name)
{
	return g_build_filename(fx->service.tmpdir, name, NULL);
}

static void
test_keygen(const gchar *path)
{
	const gchar *const argv[] =
	    {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path, NULL};
	gint status = -1;
	g_autofree gchar *output = iot_dbus_test_run(argv, NULL, &status);
	g_assert_cmpint(status, ==, 0);
}

/* a port that was free a moment ago, for sshd to listen on */
static guint16
test_free_port(void)
{
	g_autoptr(GError) error = NULL;
	guint16 port = 0;
	g_autoptr(GSocket) socket = iot_test_listen_tcp(&port, &error);
	g_assert_no_error(error);
	g_socket_close(socket, NULL);
	return port;
}

/* sshd on loopback that lets the test's key in, logging to stderr */
static IotTestProcess *
test_start_sshd(Fixture *fx, guint16 port)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host_key = test_file(fx, "host_key");
	g_autofree gchar *authorized = test_file(fx, "authorized_keys");
	g_autofree gchar *user_public = test_file(fx, "user_key.pub");
	g_autofree gchar *public_key = NULL;
	g_autofree gchar *config_path = test_file(fx, "sshd_config");
	g_autofree gchar *config = NULL;
	g_autofree gchar *listening =
	    g_strdup_printf("Server listening on 127.0.0.1 port %u", port);
	g_autofree gchar *line = NULL;
	IotTestProcess *sshd;

	test_keygen(host_key);
	g_file_get_contents(user_public, &public_key, NULL, &error);
	g_assert_no_error(error);
	g_file_set_contents(authorized, public_key, -1, &error);
	g_assert_no_error(error);
	config = g_strdup_printf("ListenAddress 127.0.0.1:%u\n"
				 "HostKey %s\n"
				 "AuthorizedKeysFile %s\n"
				 "PidFile none\n"
				 "UsePAM no\n"
				 "StrictModes no\n"
				 "PasswordAuthentication no\n"
				 "KbdInteractiveAuthentication no\n"
				 "PermitRootLogin prohibit-password\n"
				 "LogLevel VERBOSE\n",
				 port,
				 host_key,
				 authorized);
	g_file_set_contents(config_path, config, -1, &error);
	g_assert_no_error(error);
	sshd = iot_test_process_spawn(
	    (const gchar *const[]){TEST_SSHD, "-D", "-e", "-f", config_path, NULL},
	    NULL,
	    &error);
	g_assert_no_error(error);
	line = iot_test_process_wait_line(sshd, listening, IOT_DBUS_TEST_TIMEOUT_MS, &error);
	g_assert_no_error(error);
	return sshd;
}

/* ssh through the tunnel runs a command, and carries 4 MiB up and a hash back */
static void
test_ssh_proxy_command(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *ssh = g_find_program_in_path("ssh");
	g_autofree gchar *keygen = g_find_program_in_path("ssh-keygen");
	g_autofree gchar *user_key = NULL;
	g_autofree gchar *payload_path = NULL;
	g_autofree gchar *payload = NULL;
	g_autofree gchar *expected = NULL;
	g_autofree gchar *proxy_command = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *services = NULL;
	g_autoptr(IotTestProcess) sshd = NULL;
	g_autoptr(IotTestProcess) destination = NULL;
	g_autoptr(IotDBusTunnel1) tunnel = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	guint16 port;

	if (ssh == NULL || keygen == NULL || !g_file_test(TEST_SSHD, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("OpenSSH (openssh-client, openssh-server) is not installed");
		return;
	}
	if (getuid() != 0) {
		g_test_skip("sshd needs root here, for its privilege separation");
		return;
	}
	/* what the package's tmpfiles.d would make at boot */
	g_assert_cmpint(g_mkdir_with_parents("/run/sshd", 0755), ==, 0);

	user_key = test_file(fx, "user_key");
	test_keygen(user_key);
	port = test_free_port();
	sshd = test_start_sshd(fx, port);
	services = g_strdup_printf("SSH1=%u", port);
	destination = iot_dbus_fixture_spawn_destination(fx, services);
	tunnel = iot_dbus_fixture_add_source(fx, "mydevice", TRUE, NULL);
	IOT_DBUS_TEST_WAIT(g_strcmp0(iot_dbus_tunnel1_get_state(tunnel), "connected") == 0,
			   IOT_DBUS_TEST_TIMEOUT_MS);

	payload = g_malloc(TEST_PAYLOAD_SIZE);
	for (gsize i = 0; i < TEST_PAYLOAD_SIZE; i++)
		payload[i] = (gchar)(i * 7 + i / 4096);
	payload_path = test_file(fx, "payload");
	g_file_set_contents(payload_path, payload, TEST_PAYLOAD_SIZE, &error);
	g_assert_no_error(error);
	expected = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
					       (const guchar *)payload,
					       TEST_PAYLOAD_SIZE);

	proxy_command = g_strdup_printf("ProxyCommand=%s connect mydevice SSH1", IOTUNNELCTL_PATH);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_subprocess_launcher_setenv(launcher, "DBUS_SESSION_BUS_ADDRESS", fx->bus_address, TRUE);
	g_subprocess_launcher_set_stdin_file_path(launcher, payload_path);
	process = g_subprocess_launcher_spawnv(
	    launcher,
	    (const gchar *const[]){ssh,
				   "-F",
				   "/dev/null",
				   "-i",
				   user_key,
				   "-o",
				   "BatchMode=yes",
				   "-o",
				   "StrictHostKeyChecking=no",
				   "-o",
				   "UserKnownHostsFile=/dev/null",
				   "-o",
				   "LogLevel=ERROR",
				   "-o",
				   "ConnectTimeout=20",
				   "-o",
				   proxy_command,
				   "root@mydevice",
				   "echo hello from $(uname -s) over ssh; sha256sum",
				   NULL},
	    &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &output, NULL, &error);
	g_assert_no_error(error);
	g_test_message("ssh printed:\n%s", output);
	g_assert_true(g_subprocess_get_if_exited(process));
	g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 0);
	g_assert_true(g_str_has_prefix(output, "hello from Linux over ssh\n"));
	g_assert_nonnull(strstr(output, expected));
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	g_test_add("/iotunnel/dbus-ssh/proxy-command",
		   Fixture,
		   NULL,
		   iot_dbus_fixture_setup,
		   test_ssh_proxy_command,
		   iot_dbus_fixture_teardown);
	return g_test_run();
}
