/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-common.h"
#include "iot-cli-config-dir.h"
#include "iot-cli-config.h"
#include "iot-cli-mapping.h"
#include "iot-cli-options.h"
#include "iot-fuzz.h"

/*
 * libFuzzer target for the text files of the command line: the reference
 * config file (--config), a --config-dir file as a source and as a
 * destination, and a -s/-d mapping list. The first byte picks which; the
 * rest is the text. A refusal is a usage error.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	return 0;
}

static void
iot_fuzz_check_refusal(gboolean ok, const GError *error)
{
	if (ok) {
		g_assert_no_error(error);
		return;
	}
	g_assert_nonnull(error);
	g_assert_true(error->domain == IOT_CLI_ERROR);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	guint8 pick;

	if (size == 0)
		return -1;
	pick = data[0] % 4;
	text = iot_fuzz_strndup(data + 1, size - 1);
	if (pick == 0) {
		g_autoptr(IotCliOptions) options = iot_cli_options_new();
		gboolean ok = iot_cli_config_load_data(options, text, "fuzz.ini", &error);
		iot_fuzz_check_refusal(ok, error);
	} else if (pick == 1 || pick == 2) {
		g_autoptr(GPtrArray) mappings =
		    g_ptr_array_new_with_free_func((GDestroyNotify)iot_cli_mapping_free);
		gboolean ok =
		    iot_cli_config_dir_load_data(mappings, text, "fuzz.ini", pick == 1, &error);
		iot_fuzz_check_refusal(ok, error);
	} else {
		g_autoptr(GPtrArray) mappings = iot_cli_mappings_parse(text, TRUE, "-s", &error);
		iot_fuzz_check_refusal(mappings != NULL, error);
	}
	return 0;
}
