/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Host and host:port text as users write it: parsed once, the same way everywhere. */

#include "config.h"

#include "iot-address.h"

#include <gio/gio.h>
#include <string.h>

/* a DNS name is at most 253 characters */
#define IOT_ADDRESS_HOST_MAX 253

G_DEFINE_QUARK(iot - address - error - quark, iot_address_error)

/* "\"PART\" WHAT", the part of the text quoted as valid UTF-8 whatever was given */
static void
iot_address_set_error(GError **error, IotAddressError code, const gchar *part, const gchar *what)
{
	g_autofree gchar *valid = g_utf8_make_valid(part, -1);
	g_set_error(error, IOT_ADDRESS_ERROR, code, "\"%s\" %s", valid, what);
}

/**
 * iot_address_host_is_ipv6:
 * @host: a host without brackets
 *
 * Returns: whether @host is an IPv6 literal such as "::1" or "fe80::1%eth0"
 */
gboolean
iot_address_host_is_ipv6(const gchar *host)
{
	const gchar *scope = strchr(host, '%');

	if (strchr(host, ':') == NULL || !g_hostname_is_ip_address(host))
		return FALSE;
	if (scope == NULL)
		return TRUE;
	/* GLib takes any scope; one names an interface, and nothing that could end a bracket */
	if (scope[1] == '\0')
		return FALSE;
	for (const gchar *p = scope + 1; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_.", *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_address_host_is_valid:
 * @host: a host without brackets or port
 *
 * A host name is 1 to 253 letters, digits, ".", "-" and "_", beginning and
 * ending with a letter or digit.
 *
 * Returns: whether @host is a host name, an IPv4 address or an IPv6 literal
 */
gboolean
iot_address_host_is_valid(const gchar *host)
{
	gsize len = strlen(host);

	if (iot_address_host_is_ipv6(host))
		return TRUE;
	if (len == 0 || len > IOT_ADDRESS_HOST_MAX)
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
 * iot_address_host_is_loopback:
 * @host: a host without brackets or port
 *
 * Returns: whether @host is "localhost" (in any case) or a loopback address
 */
gboolean
iot_address_host_is_loopback(const gchar *host)
{
	g_autoptr(GInetAddress) address = NULL;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(host);
	return address != NULL && g_inet_address_get_is_loopback(address);
}

static gboolean
iot_address_is_digits(const gchar *text)
{
	if (text[0] == '\0')
		return FALSE;
	for (const gchar *p = text; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_address_parse_port:
 * @text: decimal digits
 * @flags: %IOT_ADDRESS_PORT_ZERO when port 0 is allowed; other flags are ignored
 * @port: (out): the port
 * @error: (nullable): return location for an %IOT_ADDRESS_ERROR_PORT or
 *   %IOT_ADDRESS_ERROR_PORT_RANGE error
 *
 * Returns: whether @text is one to five digits (no sign, no space) of a port in range
 */
gboolean
iot_address_parse_port(const gchar *text, IotAddressFlags flags, guint16 *port, GError **error)
{
	gboolean zero = (flags & IOT_ADDRESS_PORT_ZERO) != 0;
	const gchar *what =
	    zero ? "is not a port from 0 to 65535" : "is not a port from 1 to 65535";
	guint64 value = 0;

	if (!iot_address_is_digits(text)) {
		iot_address_set_error(error, IOT_ADDRESS_ERROR_PORT, text, what);
		return FALSE;
	}
	/* at most five digits: "000022" is a typing error more likely than port 22 */
	if (strlen(text) > 5 ||
	    !g_ascii_string_to_unsigned(text, 10, zero ? 0 : 1, G_MAXUINT16, &value, NULL)) {
		iot_address_set_error(error, IOT_ADDRESS_ERROR_PORT_RANGE, text, what);
		return FALSE;
	}
	*port = (guint16)value;
	return TRUE;
}

/* "[v6]" or "[v6]:port": *port_text is NULL when no port follows */
static gchar *
iot_address_split_bracketed(const gchar *text, const gchar **port_text, GError **error)
{
	const gchar *end = strchr(text, ']');
	g_autofree gchar *host = NULL;

	if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
		g_set_error_literal(error,
				    IOT_ADDRESS_ERROR,
				    IOT_ADDRESS_ERROR_FORM,
				    "expected \"[IPv6]\" or \"[IPv6]:port\"");
		return NULL;
	}
	host = g_strndup(text + 1, end - text - 1);
	if (!iot_address_host_is_ipv6(host)) {
		iot_address_set_error(error,
				      IOT_ADDRESS_ERROR_HOST,
				      host,
				      "between brackets is not an IPv6 address");
		return NULL;
	}
	*port_text = end[1] == ':' ? end + 2 : NULL;
	return g_steal_pointer(&host);
}

/**
 * iot_address_parse:
 * @text: "host", "host:port", "[v6]" or "[v6]:port"; "port" and "v6" as
 *   @flags allow
 * @flags: the forms accepted besides those
 * @host: (out) (transfer full) (nullable): the host without brackets; %NULL
 *   for a port alone
 * @port: (out): the port; untouched when none is given
 * @has_port: (out) (optional): whether a port is given
 * @error: (nullable): return location for an %IOT_ADDRESS_ERROR
 *
 * Returns: whether @text is an address of an accepted form
 */
gboolean
iot_address_parse(const gchar *text,
		  IotAddressFlags flags,
		  gchar **host,
		  guint16 *port,
		  gboolean *has_port,
		  GError **error)
{
	g_autofree gchar *name = NULL;
	const gchar *port_text = NULL;
	const gchar *colon = strchr(text, ':');

	if ((flags & IOT_ADDRESS_PORT_ALONE) != 0 && iot_address_is_digits(text)) {
		if (!iot_address_parse_port(text, flags, port, NULL)) {
			g_set_error(error,
				    IOT_ADDRESS_ERROR,
				    IOT_ADDRESS_ERROR_PORT_RANGE,
				    "the port must be from %u to 65535",
				    (flags & IOT_ADDRESS_PORT_ZERO) != 0 ? 0 : 1);
			return FALSE;
		}
		*host = NULL;
		if (has_port != NULL)
			*has_port = TRUE;
		return TRUE;
	}
	if (text[0] == '[') {
		name = iot_address_split_bracketed(text, &port_text, error);
		if (name == NULL)
			return FALSE;
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if ((flags & (IOT_ADDRESS_BARE_IPV6 | IOT_ADDRESS_PORT_REQUIRED)) !=
			IOT_ADDRESS_BARE_IPV6 ||
		    !iot_address_host_is_ipv6(text)) {
			g_set_error_literal(error,
					    IOT_ADDRESS_ERROR,
					    IOT_ADDRESS_ERROR_BRACKETS,
					    "write an IPv6 address between brackets, as in "
					    "\"[::1]:22\"");
			return FALSE;
		}
		name = g_strdup(text);
	} else {
		name = colon != NULL ? g_strndup(text, colon - text) : g_strdup(text);
		if (!iot_address_host_is_valid(name)) {
			iot_address_set_error(error,
					      IOT_ADDRESS_ERROR_HOST,
					      name,
					      "is not a host name or address");
			return FALSE;
		}
		if (colon != NULL)
			port_text = colon + 1;
	}
	if (port_text == NULL && (flags & IOT_ADDRESS_PORT_REQUIRED) != 0 && text[0] == '[') {
		g_set_error_literal(error,
				    IOT_ADDRESS_ERROR,
				    IOT_ADDRESS_ERROR_FORM,
				    "expected \"[IPv6]:port\"");
		return FALSE;
	}
	if (port_text == NULL && (flags & IOT_ADDRESS_PORT_REQUIRED) != 0) {
		g_set_error_literal(error,
				    IOT_ADDRESS_ERROR,
				    IOT_ADDRESS_ERROR_NO_PORT,
				    "it has no port");
		return FALSE;
	}
	if (port_text != NULL && !iot_address_parse_port(port_text, flags, port, error))
		return FALSE;
	if (has_port != NULL)
		*has_port = port_text != NULL;
	*host = g_steal_pointer(&name);
	return TRUE;
}

/**
 * iot_address_parse_host:
 * @text: a host name, an IPv4 address, or an IPv6 literal with or without brackets
 * @error: (nullable): return location for an %IOT_ADDRESS_ERROR_HOST error
 *
 * Returns: (transfer full) (nullable): the host without brackets, or %NULL
 * when @text is not a host (a port, for one, is not allowed)
 */
gchar *
iot_address_parse_host(const gchar *text, GError **error)
{
	gsize len = strlen(text);

	if (len > 2 && text[0] == '[' && text[len - 1] == ']') {
		g_autofree gchar *inner = g_strndup(text + 1, len - 2);
		if (iot_address_host_is_ipv6(inner))
			return g_steal_pointer(&inner);
	} else if (iot_address_host_is_valid(text)) {
		return g_strdup(text);
	}
	g_set_error_literal(error,
			    IOT_ADDRESS_ERROR,
			    IOT_ADDRESS_ERROR_HOST,
			    "expected a host name or an IP address, without a port");
	return NULL;
}

/**
 * iot_address_format:
 * @host: a host without brackets
 * @port: a port
 *
 * Returns: (transfer full): "host:port", or "[v6]:port" for an IPv6 literal
 */
gchar *
iot_address_format(const gchar *host, guint16 port)
{
	if (strchr(host, ':') != NULL)
		return g_strdup_printf("[%s]:%u", host, port);
	return g_strdup_printf("%s:%u", host, port);
}
