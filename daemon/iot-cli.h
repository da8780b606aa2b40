/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define IOT_CLI_ERROR iot_cli_error_quark()

/**
 * IotCliError:
 * @IOT_CLI_ERROR_USAGE: the options contradict each other or are malformed
 */
typedef enum {
	IOT_CLI_ERROR_USAGE,
} IotCliError;

/**
 * IotCliOptions:
 *
 * The reference local proxy's options, as given on the command line.
 */
typedef struct {
	gchar *access_token;
	gchar *proxy_endpoint;
	gchar *region;
	gchar *source_listen_port;
	gchar *destination_app;
	gchar *local_bind_address;
	gchar *capath;
	gboolean no_ssl_host_verify;
	gchar *mode;
	gchar *destination_client_type;
} IotCliOptions;

GQuark
iot_cli_error_quark(void);
gboolean
iot_cli_options_is_set(const IotCliOptions *options);
JsonNode *
iot_cli_options_to_profile(const IotCliOptions *options, GError **error);
void
iot_cli_options_clear(IotCliOptions *options);

G_END_DECLS
