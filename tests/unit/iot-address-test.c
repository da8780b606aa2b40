/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The SDK's one address parser: every form, flag and refusal. */

#include "config.h"

#include "iot-address.h"

typedef struct {
	const gchar *text;
	IotAddressFlags flags;
	gint error; /* -1: accepted */
	const gchar *host;
	guint16 port;
	gboolean has_port;
} AddressCase;

static void
test_address_parse(void)
{
	const IotAddressFlags listen =
	    IOT_ADDRESS_PORT_REQUIRED | IOT_ADDRESS_PORT_ALONE | IOT_ADDRESS_PORT_ZERO;
	const AddressCase cases[] = {
	    {"22", listen, -1, NULL, 22, TRUE},
	    {"0", listen, -1, NULL, 0, TRUE},
	    {"0", IOT_ADDRESS_PORT_ALONE, IOT_ADDRESS_ERROR_PORT_RANGE, NULL, 0, FALSE},
	    {"000022", listen, IOT_ADDRESS_ERROR_PORT_RANGE, NULL, 0, FALSE},
	    {"22", IOT_ADDRESS_PORT_REQUIRED, IOT_ADDRESS_ERROR_NO_PORT, NULL, 0, FALSE},
	    {"localhost:0", listen, -1, "localhost", 0, TRUE},
	    {"localhost:0",
	     IOT_ADDRESS_PORT_REQUIRED,
	     IOT_ADDRESS_ERROR_PORT_RANGE,
	     NULL,
	     0,
	     FALSE},
	    {"[::1]:22", listen, -1, "::1", 22, TRUE},
	    {"[::1]", listen, IOT_ADDRESS_ERROR_FORM, NULL, 0, FALSE},
	    {"[::1]", IOT_ADDRESS_PORT_OPTIONAL, -1, "::1", 7, FALSE},
	    {"::1", IOT_ADDRESS_PORT_OPTIONAL, IOT_ADDRESS_ERROR_BRACKETS, NULL, 0, FALSE},
	    {"::1", IOT_ADDRESS_BARE_IPV6, -1, "::1", 7, FALSE},
	    {"::1:22", listen, IOT_ADDRESS_ERROR_BRACKETS, NULL, 0, FALSE},
	    {"[zz]:22", listen, IOT_ADDRESS_ERROR_HOST, NULL, 0, FALSE},
	    {"host.:22", listen, IOT_ADDRESS_ERROR_HOST, NULL, 0, FALSE},
	    {"my_host-1.example:65535", listen, -1, "my_host-1.example", 65535, TRUE},
	    {"host:65536", listen, IOT_ADDRESS_ERROR_PORT_RANGE, NULL, 0, FALSE},
	    {"host:+1", listen, IOT_ADDRESS_ERROR_PORT, NULL, 0, FALSE},
	    {"host: 1", listen, IOT_ADDRESS_ERROR_PORT, NULL, 0, FALSE},
	    {"", listen, IOT_ADDRESS_ERROR_HOST, NULL, 0, FALSE},
	    {"[fe80::1%eth0]:22", listen, -1, "fe80::1%eth0", 22, TRUE},
	    /* a scope that ends a bracket would make "[...]:port" that parses otherwise */
	    {"::0%]", IOT_ADDRESS_BARE_IPV6, IOT_ADDRESS_ERROR_BRACKETS, NULL, 0, FALSE},
	    {"[fe80::1%]:22", listen, IOT_ADDRESS_ERROR_HOST, NULL, 0, FALSE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *host = NULL;
		g_autoptr(GError) error = NULL;
		guint16 port = 7;
		gboolean has_port = FALSE;
		gboolean ok;

		g_test_message("%s", cases[i].text);
		ok = iot_address_parse(cases[i].text,
				       cases[i].flags,
				       &host,
				       &port,
				       &has_port,
				       &error);
		if (cases[i].error >= 0) {
			g_assert_false(ok);
			g_assert_error(error, IOT_ADDRESS_ERROR, cases[i].error);
			continue;
		}
		g_assert_no_error(error);
		g_assert_true(ok);
		g_assert_cmpstr(host, ==, cases[i].host);
		g_assert_cmpuint(port, ==, cases[i].port);
		g_assert_cmpint(has_port, ==, cases[i].has_port);
	}
}

/* what a message quotes of the text is valid UTF-8, whatever the text */
static void
test_address_error_utf8(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;
	guint16 port = 0;

	g_assert_false(
	    iot_address_parse("h\xffst:22", IOT_ADDRESS_PORT_REQUIRED, &host, &port, NULL, &error));
	g_assert_error(error, IOT_ADDRESS_ERROR, IOT_ADDRESS_ERROR_HOST);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	g_assert_true(g_str_has_suffix(error->message, "is not a host name or address"));
}

static void
test_address_host(void)
{
	g_autofree gchar *v6 = iot_address_parse_host("[fe80::1%eth0]", NULL);
	g_autofree gchar *name = iot_address_parse_host("example.com", NULL);
	g_autofree gchar *with_port = iot_address_parse_host("example.com:22", NULL);
	g_autofree gchar *bracketed_name = iot_address_parse_host("[example.com]", NULL);
	g_autofree gchar *formatted_v6 = iot_address_format("::1", 22);
	g_autofree gchar *formatted_v4 = iot_address_format("127.0.0.1", 22);

	g_assert_cmpstr(v6, ==, "fe80::1%eth0");
	g_assert_cmpstr(name, ==, "example.com");
	g_assert_null(with_port);
	g_assert_null(bracketed_name);
	g_assert_true(iot_address_host_is_loopback("LocalHost"));
	g_assert_true(iot_address_host_is_loopback("127.0.0.2"));
	g_assert_true(iot_address_host_is_loopback("::1"));
	g_assert_false(iot_address_host_is_loopback("10.0.0.1"));
	g_assert_cmpstr(formatted_v6, ==, "[::1]:22");
	g_assert_cmpstr(formatted_v4, ==, "127.0.0.1:22");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/address/parse", test_address_parse);
	g_test_add_func("/address/error-utf8", test_address_error_utf8);
	g_test_add_func("/address/host", test_address_host);
	return g_test_run();
}
