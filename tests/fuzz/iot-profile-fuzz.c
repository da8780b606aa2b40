/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "iot-fuzz.h"
#include "iot-profile-common.h"
#include "iot-profile.h"

/*
 * libFuzzer target for the profile JSON (iotunnelctl and D-Bus give it). A
 * profile refused has a message in IOT_PROFILE_ERROR; one taken, written
 * back with its secrets, is taken again and writes back the same.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	g_type_ensure(IOT_TYPE_PROFILE);
	g_type_ensure(JSON_TYPE_PARSER);
	return 0;
}

static gchar *
iot_fuzz_profile_write(IotProfile *profile)
{
	g_autoptr(JsonNode) node = iot_profile_to_json(profile, TRUE);
	g_assert_nonnull(node);
	return json_to_string(node, FALSE);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(IotProfile) profile = NULL;
	g_autoptr(IotProfile) again = NULL;
	g_autofree gchar *written = NULL;
	g_autofree gchar *rewritten = NULL;

	if (size > IOT_PROFILE_FILE_MAX)
		return -1;
	profile = iot_profile_new_from_data((const gchar *)data, size, "fuzz", &error);
	if (profile == NULL) {
		g_assert_true(error->domain == IOT_PROFILE_ERROR);
		g_assert_true(g_utf8_validate(error->message, -1, NULL));
		return 0;
	}
	g_assert_no_error(error);
	written = iot_fuzz_profile_write(profile);
	again = iot_profile_new_from_data(written, strlen(written), "fuzz", &error);
	g_assert_no_error(error);
	rewritten = iot_fuzz_profile_write(again);
	g_assert_cmpstr(written, ==, rewritten);
	return 0;
}
