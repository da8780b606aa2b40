/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * A real source proxy out of descriptors: 64 of them and 2,000 connections
 * at once. It must not spin, log a line per failed accept, or stop serving
 * once the connections are gone.
 */

#include "config.h"

#include <iotunnel.h>

#include <string.h>
#include <sys/resource.h>

#include "iot-test-tunnel.h"

/* what a test waits at most for what should come soon, on a loaded machine */
#define TEST_DEADLINE_MS 60000
#define TEST_CONNECTIONS 2000

/* a connection to @address begun, not waited for */
static GSocket *
connect_nonblocking(GSocketAddress *address)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

	g_assert_no_error(error);
	g_socket_set_blocking(socket, FALSE);
	if (!g_socket_connect(socket, address, NULL, &error))
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PENDING);
	return g_steal_pointer(&socket);
}

/*
 * accepts what waits at @listener until one of the connections brings @text,
 * for @ms, closing those whose client ended
 */
static gboolean
app_receives(GSocket *listener, GPtrArray *accepted, const gchar *text, guint ms)
{
	gint64 deadline = g_get_monotonic_time() + ms * G_TIME_SPAN_MILLISECOND;

	g_socket_set_blocking(listener, FALSE);
	while (g_get_monotonic_time() < deadline) {
		GSocket *socket;

		while ((socket = g_socket_accept(listener, NULL, NULL)) != NULL) {
			g_socket_set_blocking(socket, FALSE);
			g_ptr_array_add(accepted, socket);
		}
		for (guint i = 0; i < accepted->len; i++) {
			gchar buffer[64] = "";
			gssize n = g_socket_receive(g_ptr_array_index(accepted, i),
						    buffer,
						    sizeof(buffer) - 1,
						    NULL,
						    NULL);
			if (n > 0 && strstr(buffer, text) != NULL)
				return TRUE;
			/* as a server does, it closes what its client ended */
			if (n == 0)
				g_ptr_array_remove_index_fast(accepted, i--);
		}
		g_usleep(20 * 1000);
	}
	return FALSE;
}

/* the soft open-file limit of @process, from /proc/PID/limits */
static guint64
soft_fd_limit(IotTestProcess *process)
{
	g_autofree gchar *path =
	    g_strdup_printf("/proc/%d/limits", iot_test_process_get_pid(process));
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], "Max open files"))
			return g_ascii_strtoull(lines[i] + strlen("Max open files"), NULL, 10);
	}
	g_assert_not_reached();
}

static void
test_source_out_of_descriptors(void)
{
	IotTestTunnel tunnel = {0};
	const gchar *services[] = {"SSH1", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GPtrArray) accepted = g_ptr_array_new_with_free_func(g_object_unref);
	gint64 deadline;
	gboolean served = FALSE;
	g_autofree gchar *destination_apps = NULL;
	g_autofree gchar *where = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *refused = NULL;
	const gchar *src_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};
	struct rlimit limit = {64, 64};
	struct rlimit own;
	struct rlimit lowered;
	guint16 app_port = 0;
	guint n_lines;

	g_assert_true(iot_test_tunnel_start_service(&tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&tunnel, services, 0, &error));
	g_assert_no_error(error);
	app = iot_test_listen_tcp(&app_port, &error);
	g_assert_no_error(error);
	destination_apps = g_strdup_printf("SSH1=%u", app_port);
	{
		const gchar *dst_args[] = {"-d", destination_apps, NULL};
		tunnel.destination =
		    iot_test_tunnel_spawn_proxy(&tunnel, "destination", dst_args, &error);
		g_assert_no_error(error);
	}
	/* started with a soft limit below the hard one, which it raises */
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &own), ==, 0);
	lowered = own;
	lowered.rlim_cur = 256;
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &lowered), ==, 0);
	tunnel.source = iot_test_tunnel_spawn_proxy(&tunnel, "source", src_args, &error);
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &own), ==, 0);
	g_assert_no_error(error);
	g_assert_cmpuint(soft_fd_limit(tunnel.source), ==, own.rlim_max);
	where = iot_test_tunnel_listen_address(tunnel.source, "SSH1", &error);
	g_assert_no_error(error);
	host = g_strndup(where, strrchr(where, ':') - where);
	address = g_inet_socket_address_new_from_string(
	    host,
	    (guint)g_ascii_strtoull(strrchr(where, ':') + 1, NULL, 10));
	g_assert_nonnull(address);

	/* the source, already running, is held to 64 descriptors */
	g_assert_cmpint(
	    prlimit(iot_test_process_get_pid(tunnel.source), RLIMIT_NOFILE, &limit, NULL),
	    ==,
	    0);
	for (guint i = 0; i < TEST_CONNECTIONS; i++)
		g_ptr_array_add(clients, connect_nonblocking(address));
	/* over its budget, it refuses connections, or fails to accept them */
	refused = iot_test_process_wait_line(tunnel.source,
					     "refusing a connection|Too many open files",
					     TEST_DEADLINE_MS,
					     &error);
	g_assert_no_error(error);
	g_assert_nonnull(refused);
	/* a while with the connections waiting */
	g_usleep(3 * G_USEC_PER_SEC);
	n_lines = iot_test_process_count_lines(tunnel.source, "refusing|ccept");
	g_test_message("%u lines about refusing or accepting connections", n_lines);
	g_assert_cmpuint(n_lines, <=, 2 * IOT_LOG_RATE_LIMIT_BURST);

	/* the connections go: the tunnel serves a new one, once those it held are closed */
	g_ptr_array_set_size(clients, 0);
	deadline = g_get_monotonic_time() + TEST_DEADLINE_MS * G_TIME_SPAN_MILLISECOND;
	while (!served && g_get_monotonic_time() < deadline) {
		g_autoptr(GSocket) late = iot_test_connect_tcp(where, &error);
		/* while the backlog of closed connections drains, a new one may be reset */
		if (late == NULL) {
			g_test_message("connecting after the flood: %s", error->message);
			g_clear_error(&error);
			g_usleep(100 * 1000);
			continue;
		}
		g_socket_send(late, "after the flood", 15, NULL, NULL);
		served = app_receives(app, accepted, "after the flood", 2000);
	}
	g_assert_true(served);
	iot_test_tunnel_clear(&tunnel);
}

int
main(int argc, char **argv)
{
	struct rlimit limit;

	g_test_init(&argc, &argv, NULL);
	/* the test's own side holds the 2,000 connections */
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
	g_test_add_func("/iotunnel/descriptors/source-out-of-descriptors",
			test_source_out_of_descriptors);
	return g_test_run();
}
