/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * iotunnel-service's AWS API driven by the real AWS CLI (Debian's awscli,
 * /usr/bin/aws) with --endpoint-url: a whole session (open, describe, list,
 * tag, close, delete) whose tokens two iotunneld use to carry bytes, paging,
 * token rotation with connected proxies, and the refusals of a wrong secret,
 * an unknown key, another region and bad values.
 */

#include "config.h"

#include "iot-awsapi-common.h"

/* Debian's AWS CLI: a pip-installed one may come first in PATH */
#define AWS_CLI "/usr/bin/aws"

/* the exit status of aws when the service answered an error */
#define AWS_SERVICE_ERROR 254

typedef IotAwsapiFixture Fixture;

static gboolean
skip_without_aws(void)
{
	if (g_file_test(AWS_CLI, G_FILE_TEST_IS_EXECUTABLE))
		return FALSE;
	g_test_skip("Debian's awscli is not installed (" AWS_CLI "); scripts/test installs it");
	return TRUE;
}

/*
 * Runs `aws iotsecuretunneling ARGS...` against the service with the
 * credentials of @credentials_file, signing for @region. Returns its exit
 * status; its stdout and stderr go to @out and @err.
 */
static gint
run_aws(Fixture *fx,
	const gchar *credentials_file,
	const gchar *region,
	const gchar *const *args,
	gchar **out,
	gchar **err)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *const unset[] = {"LD_PRELOAD",
				      "AWS_PROFILE",
				      "AWS_ACCESS_KEY_ID",
				      "AWS_SECRET_ACCESS_KEY",
				      "AWS_SESSION_TOKEN",
				      "AWS_REGION",
				      "AWS_DEFAULT_REGION",
				      "AWS_CA_BUNDLE",
				      "AWS_ENDPOINT_URL"};
	const gchar *const base[] = {AWS_CLI,
				     "--endpoint-url",
				     fx->endpoint_url,
				     "--ca-bundle",
				     fx->rw.tunnel.ca_file,
				     "--region",
				     region,
				     "--output",
				     "json",
				     "--cli-connect-timeout",
				     "20",
				     "--cli-read-timeout",
				     "60",
				     "iotsecuretunneling"};

	/* a process under test that preloads the sanitizer must not pass it to python */
	for (guint i = 0; i < G_N_ELEMENTS(unset); i++)
		g_subprocess_launcher_unsetenv(launcher, unset[i]);
	g_subprocess_launcher_setenv(launcher,
				     "AWS_SHARED_CREDENTIALS_FILE",
				     credentials_file,
				     TRUE);
	g_subprocess_launcher_setenv(launcher, "AWS_CONFIG_FILE", fx->config_file, TRUE);
	g_subprocess_launcher_setenv(launcher, "AWS_PAGER", "", TRUE);
	g_subprocess_launcher_setenv(launcher, "AWS_EC2_METADATA_DISABLED", "true", TRUE);
	g_subprocess_launcher_setenv(launcher, "HOME", fx->rw.tunnel.tmpdir, TRUE);
	for (guint i = 0; i < G_N_ELEMENTS(base); i++)
		g_ptr_array_add(argv, (gpointer)base[i]);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	process = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(process, NULL, NULL, out, err, &error);
	g_assert_no_error(error);
	g_assert_true(g_subprocess_get_if_exited(process));
	return g_subprocess_get_exit_status(process);
}

/* runs aws with the right credentials, which must succeed; returns its JSON, or NULL for none */
static JsonObject *
aws_ok(Fixture *fx, const gchar *const *args)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = run_aws(fx, fx->credentials_file, IOT_AWSAPI_REGION, args, &out, &err);

	if (status != 0)
		g_error("aws %s exited with %d:\n%s%s", args[0], status, out, err);
	g_strstrip(out);
	return out[0] != '\0' ? iot_awsapi_parse_object(out) : NULL;
}

/* runs aws, which must fail as the service answered @error_type */
static void
aws_refused(Fixture *fx,
	    const gchar *credentials_file,
	    const gchar *region,
	    const gchar *const *args,
	    const gchar *error_type)
{
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	g_autofree gchar *expected = g_strdup_printf("(%s)", error_type);
	gint status = run_aws(fx, credentials_file, region, args, &out, &err);

	if (status != AWS_SERVICE_ERROR || strstr(err, expected) == NULL)
		g_error("aws %s: expected %s, exited with %d:\n%s%s",
			args[0],
			error_type,
			status,
			out,
			err);
	g_assert_null(strstr(err, IOT_AWSAPI_SECRET));
}

static gchar *
arn_of(const gchar *tunnel_id)
{
	return g_strdup_printf("arn:aws:iot:" IOT_AWSAPI_REGION ":" IOT_AWSAPI_ACCOUNT ":tunnel/%s",
			       tunnel_id);
}

/* opens a tunnel with @extra arguments; the fixture takes its tokens */
static gchar *
open_tunnel(Fixture *fx, const gchar *const *extra)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(JsonObject) opened = NULL;
	g_autofree gchar *arn = NULL;
	const gchar *tunnel_id;

	g_ptr_array_add(args, (gpointer) "open-tunnel");
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(args, (gpointer)extra[i]);
	g_ptr_array_add(args, NULL);
	opened = aws_ok(fx, (const gchar *const *)args->pdata);
	tunnel_id = json_object_get_string_member(opened, "tunnelId");
	g_assert_true(g_uuid_string_is_valid(tunnel_id));
	arn = arn_of(tunnel_id);
	g_assert_cmpstr(json_object_get_string_member(opened, "tunnelArn"), ==, arn);
	iot_awsapi_set_tokens(fx,
			      tunnel_id,
			      json_object_get_string_member(opened, "sourceAccessToken"),
			      json_object_get_string_member(opened, "destinationAccessToken"));
	return g_strdup(tunnel_id);
}

static JsonObject *
describe(Fixture *fx, const gchar *tunnel_id)
{
	const gchar *args[] = {"describe-tunnel", "--tunnel-id", tunnel_id, NULL};
	g_autoptr(JsonObject) answer = aws_ok(fx, args);
	return json_object_ref(json_object_get_object_member(answer, "tunnel"));
}

static const gchar *
connection_status(JsonObject *tunnel, const gchar *side)
{
	return json_object_get_string_member(json_object_get_object_member(tunnel, side), "status");
}

/* describes the tunnel until both sides show @source and @destination, failing after 20 s */
static void
wait_connection_states(Fixture *fx,
		       const gchar *tunnel_id,
		       const gchar *source,
		       const gchar *destination)
{
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	for (;;) {
		g_autoptr(JsonObject) tunnel = describe(fx, tunnel_id);
		if (g_strcmp0(connection_status(tunnel, "sourceConnectionState"), source) == 0 &&
		    g_strcmp0(connection_status(tunnel, "destinationConnectionState"),
			      destination) == 0)
			return;
		if (g_get_monotonic_time() > deadline)
			g_error("the tunnel's sides are %s and %s, not %s and %s",
				connection_status(tunnel, "sourceConnectionState"),
				connection_status(tunnel, "destinationConnectionState"),
				source,
				destination);
		g_usleep(200 * 1000);
	}
}

static void
assert_tags(JsonObject *object, const gchar *const *expected)
{
	JsonArray *tags = json_object_get_array_member(object, "tags");

	g_assert_cmpuint(json_array_get_length(tags) * 2, ==, g_strv_length((gchar **)expected));
	for (guint i = 0; i < json_array_get_length(tags); i++) {
		JsonObject *tag = json_array_get_object_element(tags, i);
		g_assert_cmpstr(json_object_get_string_member(tag, "key"), ==, expected[2 * i]);
		g_assert_cmpstr(json_object_get_string_member(tag, "value"),
				==,
				expected[2 * i + 1]);
	}
}

/* the tunnel IDs of a list-tunnels answer, newest first */
static GStrv
listed_ids(JsonObject *answer)
{
	JsonArray *summaries = json_object_get_array_member(answer, "tunnelSummaries");
	g_autoptr(GStrvBuilder) ids = g_strv_builder_new();

	for (guint i = 0; i < json_array_get_length(summaries); i++)
		g_strv_builder_add(
		    ids,
		    json_object_get_string_member(json_array_get_object_element(summaries, i),
						  "tunnelId"));
	return g_strv_builder_end(ids);
}

static void
test_session(Fixture *fx, gconstpointer data)
{
	const gchar *open_args[] = {"--destination-config",
				    "thingName=dev1,services=SSH1",
				    "--description",
				    "ssh to dev1",
				    "--tags",
				    "key=team,value=ops",
				    "--timeout-config",
				    "maxLifetimeTimeoutMinutes=30",
				    NULL};
	const gchar *tags_opened[] = {"team", "ops", NULL};
	const gchar *tags_added[] = {"team", "platform", "env", "test", NULL};
	const gchar *tags_left[] = {"env", "test", NULL};
	g_autofree gchar *tunnel_id = NULL;
	g_autofree gchar *arn = NULL;
	g_autoptr(JsonObject) tunnel = NULL;
	g_autoptr(JsonObject) config = NULL;
	g_autoptr(JsonObject) answer = NULL;
	g_auto(GStrv) ids = NULL;
	gint status;

	if (skip_without_aws())
		return;
	tunnel_id = open_tunnel(fx, open_args);
	arn = arn_of(tunnel_id);

	tunnel = describe(fx, tunnel_id);
	g_assert_cmpstr(json_object_get_string_member(tunnel, "tunnelId"), ==, tunnel_id);
	g_assert_cmpstr(json_object_get_string_member(tunnel, "tunnelArn"), ==, arn);
	g_assert_cmpstr(json_object_get_string_member(tunnel, "status"), ==, "OPEN");
	g_assert_cmpstr(json_object_get_string_member(tunnel, "description"), ==, "ssh to dev1");
	config = json_object_ref(json_object_get_object_member(tunnel, "destinationConfig"));
	g_assert_cmpstr(json_object_get_string_member(config, "thingName"), ==, "dev1");
	g_assert_cmpstr(
	    json_array_get_string_element(json_object_get_array_member(config, "services"), 0),
	    ==,
	    "SSH1");
	g_assert_cmpint(
	    json_object_get_int_member(json_object_get_object_member(tunnel, "timeoutConfig"),
				       "maxLifetimeTimeoutMinutes"),
	    ==,
	    30);
	assert_tags(tunnel, tags_opened);
	g_assert_cmpstr(connection_status(tunnel, "sourceConnectionState"), ==, "DISCONNECTED");
	g_assert_cmpstr(connection_status(tunnel, "destinationConnectionState"),
			==,
			"DISCONNECTED");
	/* the CLI prints timestamps it parsed as ISO 8601 */
	g_assert_true(
	    g_str_has_suffix(json_object_get_string_member(tunnel, "createdAt"), "+00:00"));
	g_clear_pointer(&tunnel, json_object_unref);

	/* the tokens work with the data plane: two iotunneld carry bytes */
	iot_awsapi_start_proxies(fx);
	wait_connection_states(fx, tunnel_id, "CONNECTED", "CONNECTED");
	iot_awsapi_exchange(fx, 1024 * 1024);

	{
		const gchar *args[] = {"list-tunnels", "--thing-name", "dev1", NULL};
		answer = aws_ok(fx, args);
		ids = listed_ids(answer);
		g_assert_cmpuint(g_strv_length(ids), ==, 1);
		g_assert_cmpstr(ids[0], ==, tunnel_id);
		g_clear_pointer(&answer, json_object_unref);
		g_clear_pointer(&ids, g_strfreev);
	}
	{
		const gchar *args[] = {"list-tunnels", "--thing-name", "dev2", NULL};
		answer = aws_ok(fx, args);
		ids = listed_ids(answer);
		g_assert_cmpuint(g_strv_length(ids), ==, 0);
		g_clear_pointer(&answer, json_object_unref);
		g_clear_pointer(&ids, g_strfreev);
	}
	{
		const gchar *args[] = {"tag-resource",
				       "--resource-arn",
				       arn,
				       "--tags",
				       "key=team,value=platform",
				       "key=env,value=test",
				       NULL};
		const gchar *list[] = {"list-tags-for-resource", "--resource-arn", arn, NULL};
		g_assert_null(aws_ok(fx, args));
		answer = aws_ok(fx, list);
		assert_tags(answer, tags_added);
		g_clear_pointer(&answer, json_object_unref);
	}
	{
		const gchar *args[] =
		    {"untag-resource", "--resource-arn", arn, "--tag-keys", "team", NULL};
		const gchar *list[] = {"list-tags-for-resource", "--resource-arn", arn, NULL};
		g_assert_null(aws_ok(fx, args));
		answer = aws_ok(fx, list);
		assert_tags(answer, tags_left);
		g_clear_pointer(&answer, json_object_unref);
	}

	/* closing ends both proxies' WebSockets; the tunnel stays listed as CLOSED */
	{
		const gchar *args[] = {"close-tunnel", "--tunnel-id", tunnel_id, NULL};
		const gchar *list[] = {"list-tunnels", NULL};
		g_assert_null(aws_ok(fx, args));
		status = iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS);
		g_assert_cmpint(status, ==, 0);
		g_assert_true(iot_test_process_has_line(fx->rw.tunnel.source,
							"code 1000 \\(tunnel closed\\)"));
		tunnel = describe(fx, tunnel_id);
		g_assert_cmpstr(json_object_get_string_member(tunnel, "status"), ==, "CLOSED");
		g_clear_pointer(&tunnel, json_object_unref);
		answer = aws_ok(fx, list);
		g_assert_cmpstr(json_object_get_string_member(
				    json_array_get_object_element(
					json_object_get_array_member(answer, "tunnelSummaries"),
					0),
				    "status"),
				==,
				"CLOSED");
		g_clear_pointer(&answer, json_object_unref);
	}
	/* deleting forgets it */
	{
		const gchar *args[] = {"close-tunnel", "--tunnel-id", tunnel_id, "--delete", NULL};
		const gchar *describe_args[] = {"describe-tunnel", "--tunnel-id", tunnel_id, NULL};
		const gchar *list[] = {"list-tunnels", NULL};
		g_assert_null(aws_ok(fx, args));
		aws_refused(fx,
			    fx->credentials_file,
			    IOT_AWSAPI_REGION,
			    describe_args,
			    "ResourceNotFoundException");
		aws_refused(fx,
			    fx->credentials_file,
			    IOT_AWSAPI_REGION,
			    args,
			    "ResourceNotFoundException");
		answer = aws_ok(fx, list);
		ids = listed_ids(answer);
		g_assert_cmpuint(g_strv_length(ids), ==, 0);
	}
}

/* list-tunnels pages with --max-results and --next-token, newest first, by thing too */
static void
test_paging(Fixture *fx, gconstpointer data)
{
	g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *next_token = NULL;
	guint pages = 0;

	if (skip_without_aws())
		return;
	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *config =
		    g_strdup_printf("thingName=%s,services=SSH1", i % 2 == 0 ? "even" : "odd");
		const gchar *args[] = {"--destination-config", config, NULL};
		g_ptr_array_add(opened, open_tunnel(fx, args));
	}
	do {
		const gchar *first[] = {"list-tunnels", "--max-results", "2", NULL};
		const gchar *next[] =
		    {"list-tunnels", "--max-results", "2", "--next-token", next_token, NULL};
		g_autoptr(JsonObject) answer = aws_ok(fx, next_token == NULL ? first : next);
		g_auto(GStrv) ids = listed_ids(answer);

		g_assert_cmpuint(g_strv_length(ids), <=, 2);
		for (guint i = 0; ids[i] != NULL; i++)
			g_ptr_array_add(seen, g_strdup(ids[i]));
		g_free(next_token);
		next_token =
		    g_strdup(json_object_get_string_member_with_default(answer, "nextToken", NULL));
		pages++;
	} while (next_token != NULL && pages < 10);
	g_assert_cmpuint(pages, ==, 3);
	g_assert_cmpuint(seen->len, ==, 5);
	for (guint i = 0; i < 5; i++)
		g_assert_cmpstr(g_ptr_array_index(seen, i), ==, g_ptr_array_index(opened, 4 - i));

	/* the thing filter pages too: "even" has the 1st, 3rd and 5th */
	{
		const gchar *args[] =
		    {"list-tunnels", "--thing-name", "even", "--max-results", "2", NULL};
		g_autoptr(JsonObject) answer = aws_ok(fx, args);
		g_auto(GStrv) ids = listed_ids(answer);
		const gchar *token = json_object_get_string_member(answer, "nextToken");
		const gchar *next_args[] =
		    {"list-tunnels", "--thing-name", "even", "--next-token", token, NULL};
		g_autoptr(JsonObject) last = aws_ok(fx, next_args);
		g_auto(GStrv) last_ids = listed_ids(last);

		g_assert_cmpuint(g_strv_length(ids), ==, 2);
		g_assert_cmpstr(ids[0], ==, g_ptr_array_index(opened, 4));
		g_assert_cmpstr(ids[1], ==, g_ptr_array_index(opened, 2));
		g_assert_cmpuint(g_strv_length(last_ids), ==, 1);
		g_assert_cmpstr(last_ids[0], ==, g_ptr_array_index(opened, 0));
		g_assert_false(json_object_has_member(last, "nextToken"));
	}
}

/* rotating a token disconnects the proxy that used the old one; the new one connects */
static void
test_rotate(Fixture *fx, gconstpointer data)
{
	const gchar *open_args[] = {"--destination-config", "thingName=dev1,services=SSH1", NULL};
	g_autofree gchar *tunnel_id = NULL;
	g_autofree gchar *old_source = NULL;
	g_autofree gchar *destination = NULL;
	g_autoptr(JsonObject) answer = NULL;
	g_autoptr(JsonObject) tunnel = NULL;
	g_autoptr(GError) error = NULL;
	gint status;

	if (skip_without_aws())
		return;
	tunnel_id = open_tunnel(fx, open_args);
	iot_awsapi_start_proxies(fx);
	iot_awsapi_exchange(fx, 256 * 1024);
	old_source = g_strdup(fx->rw.tunnel.source_token);
	destination = g_strdup(fx->rw.tunnel.destination_token);

	{
		const gchar *args[] = {"rotate-tunnel-access-token",
				       "--tunnel-id",
				       tunnel_id,
				       "--client-mode",
				       "SOURCE",
				       NULL};
		g_autofree gchar *arn = arn_of(tunnel_id);
		answer = aws_ok(fx, args);
		g_assert_cmpstr(json_object_get_string_member(answer, "tunnelArn"), ==, arn);
		g_assert_false(json_object_has_member(answer, "destinationAccessToken"));
		g_assert_cmpstr(json_object_get_string_member(answer, "sourceAccessToken"),
				!=,
				old_source);
	}
	/* at once: the source's WebSocket is closed, and its token is unknown from now on */
	tunnel = describe(fx, tunnel_id);
	g_assert_cmpstr(connection_status(tunnel, "sourceConnectionState"), ==, "DISCONNECTED");
	g_assert_cmpstr(connection_status(tunnel, "destinationConnectionState"), ==, "CONNECTED");
	status = iot_realworld_wait_exit(fx->rw.tunnel.source, IOT_REALWORLD_TIMEOUT_MS);
	g_assert_cmpint(status, ==, 0);
	g_assert_true(iot_test_process_has_line(fx->rw.tunnel.source,
						"code 1000 \\(access token rotated\\)"));
	iot_awsapi_assert_no_secret(fx, fx->rw.tunnel.source);
	g_clear_object(&fx->rw.tunnel.source);

	/* a source with the new token reaches the same destination */
	g_free(fx->rw.tunnel.source_token);
	fx->rw.tunnel.source_token =
	    g_strdup(json_object_get_string_member(answer, "sourceAccessToken"));
	g_ptr_array_add(fx->secrets, g_strdup(fx->rw.tunnel.source_token));
	{
		const gchar *source_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};
		fx->rw.tunnel.source =
		    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "source", source_args, &error);
		g_assert_no_error(error);
	}
	iot_awsapi_exchange(fx, 256 * 1024);
	g_clear_pointer(&answer, json_object_unref);
	g_clear_pointer(&tunnel, json_object_unref);

	/* the destination, moved to another thing; the source stays connected */
	{
		const gchar *args[] = {"rotate-tunnel-access-token",
				       "--tunnel-id",
				       tunnel_id,
				       "--client-mode",
				       "DESTINATION",
				       "--destination-config",
				       "thingName=dev2,services=SSH1",
				       NULL};
		answer = aws_ok(fx, args);
		g_ptr_array_add(
		    fx->secrets,
		    g_strdup(json_object_get_string_member(answer, "destinationAccessToken")));
		g_assert_false(json_object_has_member(answer, "sourceAccessToken"));
		tunnel = describe(fx, tunnel_id);
		g_assert_cmpstr(json_object_get_string_member(
				    json_object_get_object_member(tunnel, "destinationConfig"),
				    "thingName"),
				==,
				"dev2");
		g_assert_cmpstr(connection_status(tunnel, "sourceConnectionState"),
				==,
				"CONNECTED");
		g_assert_cmpstr(connection_status(tunnel, "destinationConnectionState"),
				==,
				"DISCONNECTED");
	}
	/* a destination config goes with DESTINATION or ALL only */
	{
		const gchar *args[] = {"rotate-tunnel-access-token",
				       "--tunnel-id",
				       tunnel_id,
				       "--client-mode",
				       "SOURCE",
				       "--destination-config",
				       "services=SSH1",
				       NULL};
		aws_refused(fx,
			    fx->credentials_file,
			    IOT_AWSAPI_REGION,
			    args,
			    "ValidationException");
	}
}

/* a wrong secret, an unknown key and another region are refused; nothing opens */
static void
test_refused(Fixture *fx, gconstpointer data)
{
	const gchar *open_args[] = {"open-tunnel", "--destination-config", "services=SSH1", NULL};
	const gchar *list_args[] = {"list-tunnels", NULL};
	g_autoptr(JsonObject) answer = NULL;
	g_auto(GStrv) ids = NULL;

	if (skip_without_aws())
		return;
	aws_refused(fx,
		    fx->wrong_secret_file,
		    IOT_AWSAPI_REGION,
		    open_args,
		    "InvalidSignatureException");
	aws_refused(fx,
		    fx->unknown_key_file,
		    IOT_AWSAPI_REGION,
		    open_args,
		    "UnrecognizedClientException");
	aws_refused(fx, fx->credentials_file, "us-east-1", open_args, "InvalidSignatureException");
	answer = aws_ok(fx, list_args);
	ids = listed_ids(answer);
	g_assert_cmpuint(g_strv_length(ids), ==, 0);
	g_assert_true(iot_test_process_has_line(fx->rw.tunnel.service,
						"refused a request .* InvalidSignatureException"));
}

/* values out of the model's bounds, and tunnels that do not exist */
static void
test_bad_values(Fixture *fx, gconstpointer data)
{
	const gchar *too_long[] = {"open-tunnel",
				   "--timeout-config",
				   "maxLifetimeTimeoutMinutes=721",
				   NULL};
	const gchar *too_many[] = {"open-tunnel", "--destination-config", "services=A,B,C,D", NULL};
	const gchar *bad_thing[] = {"open-tunnel",
				    "--destination-config",
				    "thingName=dev 1,services=SSH1",
				    NULL};
	const gchar *unknown[] = {"describe-tunnel",
				  "--tunnel-id",
				  "00000000-0000-4000-8000-000000000000",
				  NULL};
	const gchar *bad_id[] = {"describe-tunnel", "--tunnel-id", "not/an/id", NULL};
	const gchar *other_account[] = {"list-tags-for-resource",
					"--resource-arn",
					"arn:aws:iot:" IOT_AWSAPI_REGION
					":123456789012:tunnel/00000000-0000-4000-8000-000000000000",
					NULL};

	if (skip_without_aws())
		return;
	aws_refused(fx, fx->credentials_file, IOT_AWSAPI_REGION, too_long, "ValidationException");
	aws_refused(fx, fx->credentials_file, IOT_AWSAPI_REGION, too_many, "ValidationException");
	aws_refused(fx, fx->credentials_file, IOT_AWSAPI_REGION, bad_thing, "ValidationException");
	aws_refused(fx,
		    fx->credentials_file,
		    IOT_AWSAPI_REGION,
		    unknown,
		    "ResourceNotFoundException");
	aws_refused(fx, fx->credentials_file, IOT_AWSAPI_REGION, bad_id, "ValidationException");
	aws_refused(fx,
		    fx->credentials_file,
		    IOT_AWSAPI_REGION,
		    other_account,
		    "ResourceNotFoundException");
}

static void
add(const gchar *path, void (*func)(Fixture *, gconstpointer))
{
	g_test_add(path,
		   Fixture,
		   NULL,
		   iot_awsapi_fixture_setup,
		   func,
		   iot_awsapi_fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	add("/iotunnel/awsapi/cli/session", test_session);
	add("/iotunnel/awsapi/cli/paging", test_paging);
	add("/iotunnel/awsapi/cli/rotate", test_rotate);
	add("/iotunnel/awsapi/cli/refused", test_refused);
	add("/iotunnel/awsapi/cli/bad-values", test_bad_values);
	return g_test_run();
}
