/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-address.h"
#include "iot-fuzz.h"
#include "iot-profile-common.h"
#include "iot-websocket-proxy.h"

/*
 * libFuzzer target for the addresses a user gives: host:port, ports, bind
 * addresses and hosts (libiotunnel/iot-address.c), the service endpoint
 * (daemon/iot-profile-common.c), and the web proxy URL
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
iot_fuzz_host_port(const gchar *text, IotAddressFlags flags)
{
	g_autofree gchar *host = NULL;
	g_autoptr(GError) error = NULL;
	guint16 port = 0;
	gboolean has_port = FALSE;

	if (!iot_address_parse(text, flags, &host, &port, &has_port, &error)) {
		g_assert_error(error, IOT_ADDRESS_ERROR, error->code);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		return;
	}
	g_assert_no_error(error);
	g_assert_true(host != NULL || (flags & IOT_ADDRESS_PORT_ALONE) != 0);
	if (host != NULL)
		g_assert_true(iot_address_host_is_valid(host));
	g_assert_true(has_port || (flags & IOT_ADDRESS_PORT_REQUIRED) == 0);
	g_assert_true(!has_port || port > 0 || (flags & IOT_ADDRESS_PORT_ZERO) != 0);
}

static void
iot_fuzz_service_endpoint(const gchar *text)
{
	g_autofree gchar *base_url = NULL;

	if (iot_profile_parse_service_endpoint(text, &base_url) != IOT_PROFILE_ENDPOINT_OK) {
		g_assert_null(base_url);
		return;
	}
	g_assert_true(g_str_has_prefix(base_url, "wss://") || g_str_has_prefix(base_url, "ws://"));
	/* the URL made is an endpoint of its own */
	g_assert_cmpint(iot_profile_parse_service_endpoint(base_url, NULL),
			==,
			IOT_PROFILE_ENDPOINT_OK);
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
	guint16 port = 0;

	iot_fuzz_host_port(text, IOT_ADDRESS_PORT_REQUIRED);
	iot_fuzz_host_port(text, IOT_ADDRESS_BARE_IPV6 | IOT_ADDRESS_PORT_ZERO);
	iot_fuzz_host_port(text,
			   IOT_ADDRESS_PORT_REQUIRED | IOT_ADDRESS_PORT_ALONE |
			       IOT_ADDRESS_PORT_ZERO);
	if (iot_address_parse_port(text, IOT_ADDRESS_PORT_ZERO, &port, NULL))
		g_assert_cmpuint(strlen(text), <=, 5);
	bind = iot_address_parse_host(text, NULL);
	if (bind != NULL)
		g_assert_true(iot_address_host_is_valid(bind));
	if (iot_address_host_is_ipv6(text) || iot_address_host_is_loopback(text))
		g_assert_true(iot_address_host_is_valid(text));
	iot_fuzz_service_endpoint(text);
	iot_fuzz_proxy_url(text);
	iot_fuzz_proxy_environ(text);
	return 0;
}
