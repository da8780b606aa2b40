/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-address.h"
#include "iot-fuzz.h"
#include "iot-websocket-proxy.h"

/*
 * libFuzzer target for the addresses a user gives: host:port, ports, bind
 * addresses and hosts (daemon/iot-cli-address.c), and the web proxy URL
 * (plugins/transport-websocket/iot-websocket-proxy.c), from an option or
 * from the environment. The input is the text.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(G_TYPE_SIMPLE_PROXY_RESOLVER);
	return 0;
}

static void
iot_fuzz_host_port(const gchar *text, gboolean port_required, guint min_port)
{
	g_autofree gchar *host = NULL;
	guint port = 0;
	IotCliAddress result = iot_cli_parse_host_port(text, port_required, min_port, &host, &port);

	if (result != IOT_CLI_ADDRESS_OK)
		return;
	g_assert_nonnull(host);
	g_assert_true(iot_cli_host_is_valid(host));
	g_assert_cmpuint(port, <=, G_MAXUINT16);
	g_assert_true(port >= min_port || (!port_required && port == 0));
}

static void
iot_fuzz_proxy_url(const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *url = iot_websocket_proxy_normalize_url(text, &error);
	g_autofree gchar *again = NULL;
	g_autofree gchar *described = NULL;
	g_autoptr(GProxyResolver) resolver = NULL;

	if (url == NULL) {
		g_assert_nonnull(error);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		return;
	}
	/* a normal URL is its own normal form; its description hides the password */
	again = iot_websocket_proxy_normalize_url(url, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(url, ==, again);
	described = iot_websocket_proxy_describe(url);
	g_assert_nonnull(described);
	resolver = iot_websocket_proxy_resolver_new(url, "localhost,.example");
	g_assert_nonnull(resolver);
}

static void
iot_fuzz_proxy_environ(const gchar *text)
{
	g_autofree gchar *https_proxy = g_strconcat("https_proxy=", text, NULL);
	const gchar *envp[] = {https_proxy, "no_proxy=localhost,.example", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *url = NULL;
	g_autofree gchar *no_proxy = NULL;

	if (!iot_websocket_proxy_from_environ(envp, &url, &no_proxy, &error)) {
		g_assert_nonnull(error);
		return;
	}
	g_assert_no_error(error);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autofree gchar *text = iot_fuzz_strndup(data, size);
	g_autofree gchar *bind = NULL;
	guint port = 0;

	iot_fuzz_host_port(text, TRUE, 1);
	iot_fuzz_host_port(text, FALSE, 0);
	if (iot_cli_parse_port(text, 0, &port) == IOT_CLI_ADDRESS_OK)
		g_assert_cmpuint(port, <=, G_MAXUINT16);
	bind = iot_cli_parse_bind(text);
	if (bind != NULL)
		g_assert_true(iot_cli_host_is_valid(bind));
	if (iot_cli_host_is_ipv6(text) || iot_cli_host_is_loopback(text))
		g_assert_true(iot_cli_host_is_valid(text));
	iot_fuzz_proxy_url(text);
	iot_fuzz_proxy_environ(text);
	return 0;
}
