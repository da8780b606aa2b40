/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-common.h"

#include <string.h>

static GString *iot_test_log = NULL;

/* keeps every line of every level, then lets GLib's writer print it as usual */
static GLogWriterOutput
iot_test_log_writer(GLogLevelFlags level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") != 0 &&
		    g_strcmp0(fields[i].key, "GLIB_DOMAIN") != 0)
			continue;
		if (fields[i].length < 0)
			g_string_append(iot_test_log, fields[i].value);
		else
			g_string_append_len(iot_test_log, fields[i].value, fields[i].length);
		g_string_append_c(iot_test_log, ' ');
	}
	g_string_append_c(iot_test_log, '\n');
	return g_log_writer_default(level, fields, n_fields, user_data);
}

void
iot_test_log_capture_init(void)
{
	iot_test_log = g_string_new(NULL);
	g_log_set_writer_func(iot_test_log_writer, NULL, NULL);
}

const gchar *
iot_test_log_capture_get(void)
{
	return iot_test_log->str;
}

void
iot_test_log_capture_assert_no_secret(void)
{
	g_assert_null(strstr(iot_test_log->str, IOT_TEST_ACCESS_TOKEN));
	g_assert_null(strstr(iot_test_log->str, IOT_TEST_CLIENT_TOKEN));
}

/* a port nothing listens on, as far as one can tell */
guint16
iot_test_unused_port(void)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_socket_bind(socket, address, TRUE, &error);
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

gboolean
iot_test_port_listening(guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;

	g_socket_client_set_enable_proxy(client, FALSE);
	connection = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, NULL);
	return connection != NULL;
}

void
iot_test_wait_listening(guint16 port, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (!iot_test_port_listening(port)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(20000);
	}
}
