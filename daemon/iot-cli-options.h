/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-common.h"

G_BEGIN_DECLS

/**
 * IotCliOption:
 *
 * Every option iotunneld takes: the reference local proxy's, then its own.
 */
typedef enum {
	IOT_CLI_OPTION_ACCESS_TOKEN,
	IOT_CLI_OPTION_CLIENT_TOKEN,
	IOT_CLI_OPTION_REGION,
	IOT_CLI_OPTION_PROXY_ENDPOINT,
	IOT_CLI_OPTION_SOURCE_LISTEN_PORT,
	IOT_CLI_OPTION_DESTINATION_APP,
	IOT_CLI_OPTION_LOCAL_BIND_ADDRESS,
	IOT_CLI_OPTION_MODE,
	IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE,
	IOT_CLI_OPTION_CAPATH,
	IOT_CLI_OPTION_NO_SSL_HOST_VERIFY,
	IOT_CLI_OPTION_CONFIG,
	IOT_CLI_OPTION_CONFIG_DIR,
	IOT_CLI_OPTION_SETTINGS_JSON,
	IOT_CLI_OPTION_EXPORT_DEFAULT_SETTINGS,
	IOT_CLI_OPTION_PROFILE,
	IOT_CLI_OPTION_VERBOSE,
	IOT_CLI_OPTION_LOG_FILE,
	IOT_CLI_OPTION_LIST_PLUGINS,
	IOT_CLI_OPTION_SESSION,
	IOT_CLI_OPTION_SYSTEM,
	IOT_CLI_OPTION_VERSION,
	IOT_CLI_OPTION_HELP,
	IOT_CLI_OPTION_LAST,
} IotCliOption;

/**
 * IotCliOrigin:
 * @IOT_CLI_ORIGIN_NONE: not given
 * @IOT_CLI_ORIGIN_ENVIRONMENT: from an `AWSIOT_TUNNEL_*` variable
 * @IOT_CLI_ORIGIN_CONFIG: from the --config file
 * @IOT_CLI_ORIGIN_ARGS: from the command line
 *
 * Where a value came from, in rising order of precedence.
 */
typedef enum {
	IOT_CLI_ORIGIN_NONE,
	IOT_CLI_ORIGIN_ENVIRONMENT,
	IOT_CLI_ORIGIN_CONFIG,
	IOT_CLI_ORIGIN_ARGS,
} IotCliOrigin;

/**
 * IotCliGroup:
 * @IOT_CLI_GROUP_TUNNEL: the tunnel, as the reference local proxy takes it
 * @IOT_CLI_GROUP_FILES: configuration files
 * @IOT_CLI_GROUP_PROGRAM: iotunneld itself
 *
 * The sections of --help and of the man page.
 */
typedef enum {
	IOT_CLI_GROUP_TUNNEL,
	IOT_CLI_GROUP_FILES,
	IOT_CLI_GROUP_PROGRAM,
	IOT_CLI_GROUP_LAST,
} IotCliGroup;

/**
 * IotCliOptionInfo:
 * @id: the option
 * @long_name: the name after "--", also the key in a --config file
 * @short_name: the letter after "-", or 0
 * @arg: the value's name in --help, or %NULL for a flag
 * @group: the section of --help
 * @in_config: whether a --config file may set it
 * @secret: whether the value is a token: never shown, scrubbed from argv
 * @env: the environment variable that gives it, or %NULL
 * @description: the --help text, to translate
 */
typedef struct {
	IotCliOption id;
	const gchar *long_name;
	gchar short_name;
	const gchar *arg;
	IotCliGroup group;
	gboolean in_config;
	gboolean secret;
	const gchar *env;
	const gchar *description;
} IotCliOptionInfo;

/**
 * IotCliValue:
 * @value: the text, or %NULL when not given, and for a token from the
 *   environment, which is never copied
 * @origin: where it came from
 * @file: (nullable): the --config file that set it
 * @line: the line of @file, counted from 1
 * @env: (nullable): the environment variable that gave it, for
 *   %IOT_CLI_ORIGIN_ENVIRONMENT: the option's own or its alias
 */
typedef struct {
	gchar *value;
	IotCliOrigin origin;
	gchar *file;
	guint line;
	const gchar *env;
} IotCliValue;

typedef struct _IotCliOptions IotCliOptions;

const IotCliOptionInfo *
iot_cli_option_get_info(IotCliOption id);
const IotCliOptionInfo *
iot_cli_option_find_long(const gchar *name);

IotCliOptions *
iot_cli_options_new(void);
void
iot_cli_options_free(IotCliOptions *self);
gboolean
iot_cli_options_parse_args(IotCliOptions *self, gint argc, gchar **argv, GError **error)
    G_GNUC_WARN_UNUSED_RESULT;
void
iot_cli_options_scrub_args(IotCliOptions *self, gint argc, gchar **argv);
gboolean
iot_cli_options_set(IotCliOptions *self,
		    IotCliOption id,
		    const gchar *value,
		    IotCliOrigin origin,
		    const gchar *file,
		    guint line,
		    GError **error) G_GNUC_WARN_UNUSED_RESULT;
void
iot_cli_options_load_environment(IotCliOptions *self, const gchar *const *envp);
void
iot_cli_options_unset(IotCliOptions *self, IotCliOption id);
const IotCliValue *
iot_cli_options_get_value(IotCliOptions *self, IotCliOption id);
const gchar *
iot_cli_options_get(IotCliOptions *self, IotCliOption id);
gboolean
iot_cli_options_is_set(IotCliOptions *self, IotCliOption id);
gboolean
iot_cli_options_has_tunnel_options(IotCliOptions *self);
gchar *
iot_cli_options_describe(IotCliOptions *self, IotCliOption id);
gchar *
iot_cli_option_describe_args(IotCliOption id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotCliOptions, iot_cli_options_free)

G_END_DECLS
