/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-cli-options.h"
#include "iot-profile.h"

G_BEGIN_DECLS

/* the exit status for every usage error, as --help says */
#define IOT_CLI_EXIT_USAGE 2

/**
 * IotCliNext:
 * @IOT_CLI_NEXT_EXIT: nothing to run: exit with the status given
 * @IOT_CLI_NEXT_LIST_PLUGINS: list the plugins, then exit
 * @IOT_CLI_NEXT_RUN: run the profile's tunnels
 * @IOT_CLI_NEXT_BUS: serve tunnels on D-Bus, with the profile's if one was given
 *
 * What iotunneld does once its command line is read.
 */
typedef enum {
	IOT_CLI_NEXT_EXIT,
	IOT_CLI_NEXT_LIST_PLUGINS,
	IOT_CLI_NEXT_RUN,
	IOT_CLI_NEXT_BUS,
} IotCliNext;

gboolean
iot_cli_options_load_sources(IotCliOptions *options,
			     const gchar *const *envp,
			     GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_cli_options_get_verbosity(IotCliOptions *options,
			      guint *verbosity,
			      GError **error) G_GNUC_WARN_UNUSED_RESULT;
JsonNode *
iot_cli_options_to_profile(IotCliOptions *options, const gchar *const *envp, GError **error);
IotCliNext
iot_cli_handle_args(gint argc,
		    gchar **argv,
		    IotProfile **profile,
		    GBusType *bus_type,
		    gchar **bus_profile_path,
		    gint *exit_status);

G_END_DECLS
