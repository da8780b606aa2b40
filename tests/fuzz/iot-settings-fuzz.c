/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-common.h"
#include "iot-cli-settings.h"
#include "iot-fuzz.h"

/*
 * libFuzzer target for --settings-json: the reference's settings file. A
 * file refused has a usage error; a file taken gives settings whose region
 * hosts can be asked for.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(JSON_TYPE_PARSER);
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(IotCliSettings) settings = iot_cli_settings_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;

	if (!iot_cli_settings_load_data(settings, (const gchar *)data, size, "fuzz.json", &error)) {
		g_assert_nonnull(error);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		return 0;
	}
	g_assert_no_error(error);
	host = iot_cli_settings_get_region_host(settings, "us-east-1");
	g_assert_nonnull(host);
	return 0;
}
