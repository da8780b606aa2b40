/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * iotunnel-service's AWS API driven by the AWS SDK for JavaScript v3
 * (@aws-sdk/client-iotsecuretunneling from npm, on Node): sdk-client.mjs
 * opens a tunnel, describes it, pages through the list (which holds the
 * tunnels /api opened too) and is refused with a wrong secret; two iotunneld
 * then carry bytes with the tokens it got.
 */

#include "config.h"

#include "iot-awsapi-common.h"

#define NODE "/usr/bin/node"

typedef IotAwsapiFixture Fixture;

/* the client's folder, with its node_modules once `npm ci` ran there */
static gchar *
client_dir(void)
{
	return g_test_build_filename(G_TEST_DIST, "tests", "awsapi", NULL);
}

static gboolean
skip_without_sdk(void)
{
	g_autofree gchar *dir = client_dir();
	g_autofree gchar *sdk =
	    g_build_filename(dir, "node_modules", "@aws-sdk", "client-iotsecuretunneling", NULL);

	if (!g_file_test(NODE, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("Node is not installed (" NODE "); scripts/test installs it");
		return TRUE;
	}
	if (!g_file_test(sdk, G_FILE_TEST_IS_DIR)) {
		g_test_skip("tests/awsapi/node_modules has no AWS SDK: run scripts/test without "
			    "--no-install, or npm ci in tests/awsapi");
		return TRUE;
	}
	return FALSE;
}

/* runs sdk-client.mjs; returns what it printed */
static JsonObject *
run_client(Fixture *fx)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autofree gchar *dir = client_dir();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	const gchar *argv[] = {NODE,
			       "sdk-client.mjs",
			       fx->endpoint_url,
			       fx->rw.tunnel.ca_file,
			       IOT_AWSAPI_REGION,
			       NULL};

	/* a process under test that preloads the sanitizer must not pass it to Node */
	g_subprocess_launcher_unsetenv(launcher, "LD_PRELOAD");
	g_subprocess_launcher_unsetenv(launcher, "NODE_OPTIONS");
	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_setenv(launcher,
				     "IOTUNNEL_TEST_ACCESS_KEY_ID",
				     IOT_AWSAPI_ACCESS_KEY_ID,
				     TRUE);
	g_subprocess_launcher_setenv(launcher, "IOTUNNEL_TEST_SECRET", IOT_AWSAPI_SECRET, TRUE);
	g_subprocess_launcher_setenv(launcher,
				     "IOTUNNEL_TEST_WRONG_SECRET",
				     IOT_AWSAPI_WRONG_SECRET,
				     TRUE);
	process = g_subprocess_launcher_spawnv(launcher, argv, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0)
		g_error("sdk-client.mjs failed:\n%s%s", out, err);
	return iot_awsapi_parse_object(out);
}

/* opens a tunnel through /api, the service's own API; returns its ID */
static gchar *
open_through_api(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *response = NULL;
	g_autoptr(JsonObject) answer = NULL;
	guint status = 0;

	g_assert_true(iot_test_tunnel_api(&fx->rw.tunnel,
					  "POST",
					  "/api/tunnels",
					  "{\"services\": [\"SSH1\"]}",
					  &status,
					  &response,
					  &error));
	g_assert_no_error(error);
	g_assert_cmpuint(status, ==, 201);
	answer = iot_awsapi_parse_object(response);
	return g_strdup(json_object_get_string_member(answer, "tunnelId"));
}

static void
test_client(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	g_autofree gchar *arn = NULL;
	g_autoptr(JsonObject) result = NULL;
	JsonObject *described;
	JsonObject *refused;
	JsonArray *listed;
	JsonObject *tag;

	if (skip_without_sdk())
		return;
	first = open_through_api(fx);
	second = open_through_api(fx);
	result = run_client(fx);

	iot_awsapi_set_tokens(fx,
			      json_object_get_string_member(result, "tunnelId"),
			      json_object_get_string_member(result, "sourceAccessToken"),
			      json_object_get_string_member(result, "destinationAccessToken"));
	arn = g_strdup_printf("arn:aws:iot:" IOT_AWSAPI_REGION ":" IOT_AWSAPI_ACCOUNT ":tunnel/%s",
			      fx->rw.tunnel.tunnel_id);
	g_assert_cmpstr(json_object_get_string_member(result, "tunnelArn"), ==, arn);

	described = json_object_get_object_member(result, "described");
	g_assert_cmpstr(json_object_get_string_member(described, "status"), ==, "OPEN");
	g_assert_cmpstr(json_object_get_string_member(described, "description"),
			==,
			"opened with the AWS SDK for JavaScript");
	g_assert_cmpstr(json_object_get_string_member(described, "thingName"), ==, "js-device");
	g_assert_cmpstr(
	    json_array_get_string_element(json_object_get_array_member(described, "services"), 0),
	    ==,
	    "SSH1");
	g_assert_cmpint(json_object_get_int_member(described, "maxLifetimeTimeoutMinutes"), ==, 10);
	tag = json_array_get_object_element(json_object_get_array_member(described, "tags"), 0);
	g_assert_cmpstr(json_object_get_string_member(tag, "key"), ==, "sdk");
	g_assert_cmpstr(json_object_get_string_member(tag, "value"), ==, "javascript");
	g_assert_cmpstr(json_object_get_string_member(described, "source"), ==, "DISCONNECTED");
	g_assert_true(g_str_has_suffix(json_object_get_string_member(described, "createdAt"), "Z"));

	/* one page a tunnel, newest first, both APIs' tunnels */
	listed = json_object_get_array_member(result, "listed");
	g_assert_cmpuint(json_array_get_length(listed), ==, 3);
	g_assert_cmpstr(json_array_get_string_element(listed, 0), ==, fx->rw.tunnel.tunnel_id);
	g_assert_cmpstr(json_array_get_string_element(listed, 1), ==, second);
	g_assert_cmpstr(json_array_get_string_element(listed, 2), ==, first);

	refused = json_object_get_object_member(result, "refused");
	g_assert_nonnull(refused);
	g_assert_cmpstr(json_object_get_string_member(refused, "name"),
			==,
			"InvalidSignatureException");
	g_assert_cmpint(json_object_get_int_member(refused, "httpStatusCode"), ==, 403);

	/* the SDK's tokens carry bytes between two iotunneld */
	iot_awsapi_start_proxies(fx);
	iot_awsapi_exchange(fx, 1024 * 1024);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add("/iotunnel/awsapi/sdk/javascript",
		   Fixture,
		   NULL,
		   iot_awsapi_fixture_setup,
		   test_client,
		   iot_awsapi_fixture_teardown);
	return g_test_run();
}
