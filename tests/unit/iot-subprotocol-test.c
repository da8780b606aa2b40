/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The subprotocols' spelling and their versions, both ways. */

#include "config.h"

#include <iotunnel.h>

static void
test_versions_round_trip(void)
{
	g_assert_cmpstr(iot_subprotocol_for_version(1), ==, "aws.iot.securetunneling-1.0");
	g_assert_cmpstr(iot_subprotocol_for_version(2), ==, "aws.iot.securetunneling-2.0");
	g_assert_cmpstr(iot_subprotocol_for_version(3), ==, "aws.iot.securetunneling-3.0");
	for (guint version = 1; version <= 3; version++)
		g_assert_cmpuint(iot_subprotocol_get_version(iot_subprotocol_for_version(version)),
				 ==,
				 version);
}

static void
test_unknown(void)
{
	g_assert_null(iot_subprotocol_for_version(0));
	g_assert_null(iot_subprotocol_for_version(4));
	g_assert_cmpuint(iot_subprotocol_get_version(NULL), ==, 0);
	g_assert_cmpuint(iot_subprotocol_get_version(""), ==, 0);
	g_assert_cmpuint(iot_subprotocol_get_version("aws.iot.securetunneling-4.0"), ==, 0);
	g_assert_cmpuint(iot_subprotocol_get_version("aws.iot.securetunneling-3.0 "), ==, 0);
	g_assert_cmpuint(iot_subprotocol_get_version("AWS.IOT.SECURETUNNELING-3.0"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iotunnel/subprotocol/versions-round-trip", test_versions_round_trip);
	g_test_add_func("/iotunnel/subprotocol/unknown", test_unknown);
	return g_test_run();
}
