/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * IotCliAddress:
 * @IOT_CLI_ADDRESS_OK: the text is a valid address
 * @IOT_CLI_ADDRESS_INVALID: the text has the wrong form
 * @IOT_CLI_ADDRESS_BAD_PORT: the form is right but the port is out of range
 */
typedef enum {
	IOT_CLI_ADDRESS_OK,
	IOT_CLI_ADDRESS_INVALID,
	IOT_CLI_ADDRESS_BAD_PORT,
} IotCliAddress;

gboolean
iot_cli_host_is_valid(const gchar *host);
gboolean
iot_cli_host_is_ipv6(const gchar *host);
gboolean
iot_cli_host_is_loopback(const gchar *host);
IotCliAddress
iot_cli_parse_port(const gchar *text, guint min_port, guint *port);
IotCliAddress
iot_cli_parse_host_port(const gchar *text,
			gboolean port_required,
			guint min_port,
			gchar **host,
			guint *port);
gchar *
iot_cli_parse_bind(const gchar *text);

G_END_DECLS
