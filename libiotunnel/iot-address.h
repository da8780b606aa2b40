/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Host and host:port text as users write it: parsed once, the same way everywhere. */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_ADDRESS_ERROR iot_address_error_quark()

/**
 * IotAddressError:
 * @IOT_ADDRESS_ERROR_FORM: the text is not of an accepted form
 * @IOT_ADDRESS_ERROR_HOST: the host is no host name, IPv4 address or IPv6 literal
 * @IOT_ADDRESS_ERROR_PORT: the port is not digits only
 * @IOT_ADDRESS_ERROR_PORT_RANGE: the port is digits, out of the allowed range
 * @IOT_ADDRESS_ERROR_NO_PORT: a port is required and none is given
 * @IOT_ADDRESS_ERROR_BRACKETS: an IPv6 literal followed by a port is not in brackets
 *
 * Each error's message is a clause that can follow "address \"...\" is not valid: ".
 */
typedef enum {
	IOT_ADDRESS_ERROR_FORM,
	IOT_ADDRESS_ERROR_HOST,
	IOT_ADDRESS_ERROR_PORT,
	IOT_ADDRESS_ERROR_PORT_RANGE,
	IOT_ADDRESS_ERROR_NO_PORT,
	IOT_ADDRESS_ERROR_BRACKETS,
} IotAddressError;

/**
 * IotAddressFlags:
 * @IOT_ADDRESS_PORT_OPTIONAL: "host" and "host:port" (the default)
 * @IOT_ADDRESS_PORT_REQUIRED: a port must be given
 * @IOT_ADDRESS_PORT_ALONE: "port" alone is accepted, with no host
 * @IOT_ADDRESS_PORT_ZERO: port 0 (a free port) is allowed
 * @IOT_ADDRESS_BARE_IPV6: an IPv6 literal without brackets ("::1") is
 *   accepted; it then has no port
 *
 * What iot_address_parse() accepts besides "host:port" and "[v6]:port".
 */
typedef enum {
	IOT_ADDRESS_PORT_OPTIONAL = 0,
	IOT_ADDRESS_PORT_REQUIRED = 1 << 0,
	IOT_ADDRESS_PORT_ALONE = 1 << 1,
	IOT_ADDRESS_PORT_ZERO = 1 << 2,
	IOT_ADDRESS_BARE_IPV6 = 1 << 3,
} IotAddressFlags;

IOT_EXPORT
GQuark
iot_address_error_quark(void);
IOT_EXPORT
gboolean
iot_address_host_is_valid(const gchar *host);
IOT_EXPORT
gboolean
iot_address_host_is_ipv6(const gchar *host);
IOT_EXPORT
gboolean
iot_address_host_is_loopback(const gchar *host);
IOT_EXPORT
gboolean
iot_address_parse_port(const gchar *text, IotAddressFlags flags, guint16 *port, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
gboolean
iot_address_parse(const gchar *text,
		  IotAddressFlags flags,
		  gchar **host,
		  guint16 *port,
		  gboolean *has_port,
		  GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
gchar *
iot_address_parse_host(const gchar *text, GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
gchar *
iot_address_format(const gchar *host, guint16 port);

G_END_DECLS
