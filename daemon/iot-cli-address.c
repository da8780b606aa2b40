/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-address.h"

#include <gio/gio.h>
#include <string.h>

/* a DNS name is at most 253 characters */
#define IOT_CLI_HOST_MAX 253

/**
 * iot_cli_host_is_ipv6:
 * @host: a host without brackets
 *
 * Returns: whether @host is an IPv6 literal such as "::1"
 */
gboolean
iot_cli_host_is_ipv6(const gchar *host)
{
	return strchr(host, ':') != NULL && g_hostname_is_ip_address(host);
}

/**
 * iot_cli_host_is_valid:
 * @host: a host without brackets or port
 *
 * Returns: whether @host is a host name, an IPv4 address or an IPv6 literal
 */
gboolean
iot_cli_host_is_valid(const gchar *host)
{
	gsize len = strlen(host);

	if (iot_cli_host_is_ipv6(host))
		return TRUE;
	if (len == 0 || len > IOT_CLI_HOST_MAX)
		return FALSE;
	if (!g_ascii_isalnum(host[0]) || !g_ascii_isalnum(host[len - 1]))
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(host[i]) && strchr(".-_", host[i]) == NULL)
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_cli_host_is_loopback:
 * @host: a host without brackets or port
 *
 * Returns: whether @host is "localhost" or a loopback address
 */
gboolean
iot_cli_host_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

/**
 * iot_cli_parse_port:
 * @text: decimal digits
 * @min_port: 0 when port 0 (a free port) is allowed, else 1
 * @port: (out): the port
 *
 * Returns: %IOT_CLI_ADDRESS_INVALID unless @text is digits only,
 * %IOT_CLI_ADDRESS_BAD_PORT when they are out of @min_port..65535
 */
IotCliAddress
iot_cli_parse_port(const gchar *text, guint min_port, guint *port)
{
	guint64 value = 0;

	if (text[0] == '\0')
		return IOT_CLI_ADDRESS_INVALID;
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return IOT_CLI_ADDRESS_INVALID;
		/* stop growing once out of range, so that no digit string overflows */
		if (value <= G_MAXUINT16)
			value = value * 10 + (guint64)(*p - '0');
	}
	if (value < min_port || value > G_MAXUINT16)
		return IOT_CLI_ADDRESS_BAD_PORT;
	*port = (guint)value;
	return IOT_CLI_ADDRESS_OK;
}

/**
 * iot_cli_parse_host_port:
 * @text: "host", "host:port", "[v6]", "[v6]:port" or a bare "v6"
 * @port_required: whether a port must be given; a bare IPv6 literal then
 *   cannot be told from its port, so it is refused
 * @min_port: 0 when port 0 is allowed, else 1
 * @host: (out): the host, without brackets
 * @port: (inout): the port; untouched when none is given
 *
 * Returns: whether @text is an address of that form
 */
IotCliAddress
iot_cli_parse_host_port(const gchar *text,
			gboolean port_required,
			guint min_port,
			gchar **host,
			guint *port)
{
	g_autofree gchar *name = NULL;
	const gchar *port_text = NULL;
	const gchar *colon = strchr(text, ':');

	if (text[0] == '[') {
		const gchar *end = strchr(text, ']');
		if (end == NULL)
			return IOT_CLI_ADDRESS_INVALID;
		name = g_strndup(text + 1, end - text - 1);
		if (!iot_cli_host_is_ipv6(name))
			return IOT_CLI_ADDRESS_INVALID;
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1] != '\0')
			return IOT_CLI_ADDRESS_INVALID;
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if (port_required || !iot_cli_host_is_ipv6(text))
			return IOT_CLI_ADDRESS_INVALID;
		name = g_strdup(text);
	} else {
		name = colon != NULL ? g_strndup(text, colon - text) : g_strdup(text);
		if (!iot_cli_host_is_valid(name))
			return IOT_CLI_ADDRESS_INVALID;
		if (colon != NULL)
			port_text = colon + 1;
	}
	if (port_text == NULL && port_required)
		return IOT_CLI_ADDRESS_INVALID;
	if (port_text != NULL) {
		IotCliAddress rc = iot_cli_parse_port(port_text, min_port, port);
		if (rc != IOT_CLI_ADDRESS_OK)
			return rc;
	}
	*host = g_steal_pointer(&name);
	return IOT_CLI_ADDRESS_OK;
}

/**
 * iot_cli_parse_bind:
 * @text: a host name, an IPv4 address, or an IPv6 literal with or without brackets
 *
 * Returns: (transfer full) (nullable): the host without brackets, or %NULL
 * when @text is not a host (a port, for one, is not allowed)
 */
gchar *
iot_cli_parse_bind(const gchar *text)
{
	gsize len = strlen(text);

	if (len > 2 && text[0] == '[' && text[len - 1] == ']') {
		g_autofree gchar *inner = g_strndup(text + 1, len - 2);
		return iot_cli_host_is_ipv6(inner) ? g_steal_pointer(&inner) : NULL;
	}
	return iot_cli_host_is_valid(text) ? g_strdup(text) : NULL;
}
