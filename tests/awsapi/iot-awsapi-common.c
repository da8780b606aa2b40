/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-awsapi-common.h"

#include <string.h>

static gchar *
iot_awsapi_write_credentials(IotAwsapiFixture *fx,
			     const gchar *name,
			     const gchar *key_id,
			     const gchar *secret)
{
	g_autofree gchar *contents = g_strdup_printf("[default]\n"
						     "aws_access_key_id = %s\n"
						     "aws_secret_access_key = %s\n",
						     key_id,
						     secret);
	return iot_test_tunnel_write_file(&fx->rw.tunnel, name, contents);
}

/**
 * iot_awsapi_fixture_setup:
 * @fx: a zeroed fixture
 * @data: unused
 *
 * Starts iotunnel-service with `--credentials` for %IOT_AWSAPI_REGION and
 * %IOT_AWSAPI_ACCOUNT, writes the clients' files and listens for the app's
 * side. No tunnel is open.
 */
void
iot_awsapi_fixture_setup(IotAwsapiFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	iot_realworld_init();
	fx->secrets = g_ptr_array_new_with_free_func(g_free);
	/* the files go in the folder the service fixture makes: create it first */
	fx->rw.tunnel.tmpdir = g_dir_make_tmp("iotunnel-awsapi-XXXXXX", &error);
	g_assert_no_error(error);
	fx->credentials_file = iot_awsapi_write_credentials(fx,
							    "credentials",
							    IOT_AWSAPI_ACCESS_KEY_ID,
							    IOT_AWSAPI_SECRET);
	fx->wrong_secret_file = iot_awsapi_write_credentials(fx,
							     "wrong-secret",
							     IOT_AWSAPI_ACCESS_KEY_ID,
							     IOT_AWSAPI_WRONG_SECRET);
	fx->unknown_key_file = iot_awsapi_write_credentials(fx,
							    "unknown-key",
							    "AKIDNOTGIVENTOTHESERVICE",
							    IOT_AWSAPI_SECRET);
	/* no retries: a refusal is final, and a test waits for no backoff */
	fx->config_file =
	    iot_test_tunnel_write_file(&fx->rw.tunnel, "config", "[default]\nmax_attempts = 1\n");
	fx->service_args[0] = "--credentials";
	fx->service_args[1] = fx->credentials_file;
	fx->service_args[2] = "--region";
	fx->service_args[3] = IOT_AWSAPI_REGION;
	fx->service_args[4] = "--account-id";
	fx->service_args[5] = IOT_AWSAPI_ACCOUNT;
	fx->rw.tunnel.service_args = fx->service_args;
	g_assert_true(iot_test_tunnel_start_service(&fx->rw.tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(
	    iot_test_process_has_line(fx->rw.tunnel.service, "^aws-endpoint-url https://"));
	fx->endpoint_url = g_strdup_printf("https://%s", fx->rw.tunnel.endpoint);
	fx->rw.app_listener = iot_test_listen_tcp(&fx->rw.app_port, &error);
	g_assert_no_error(error);
}

void
iot_awsapi_fixture_teardown(IotAwsapiFixture *fx, gconstpointer data)
{
	IotTestProcess *processes[] = {fx->rw.tunnel.service,
				       fx->rw.tunnel.source,
				       fx->rw.tunnel.destination};

	for (guint i = 0; i < G_N_ELEMENTS(processes); i++) {
		if (processes[i] != NULL)
			iot_awsapi_assert_no_secret(fx, processes[i]);
	}
	g_free(fx->credentials_file);
	g_free(fx->wrong_secret_file);
	g_free(fx->unknown_key_file);
	g_free(fx->config_file);
	g_free(fx->endpoint_url);
	g_ptr_array_unref(fx->secrets);
	iot_realworld_fixture_teardown(&fx->rw);
}

/* what the proxies connect with; the previous proxies, if any, are stopped */
void
iot_awsapi_set_tokens(IotAwsapiFixture *fx,
		      const gchar *tunnel_id,
		      const gchar *source_token,
		      const gchar *destination_token)
{
	IotTestTunnel *tunnel = &fx->rw.tunnel;

	g_clear_object(&tunnel->source);
	g_clear_object(&tunnel->destination);
	g_free(tunnel->tunnel_id);
	tunnel->tunnel_id = g_strdup(tunnel_id);
	g_free(tunnel->source_token);
	tunnel->source_token = g_strdup(source_token);
	g_free(tunnel->destination_token);
	tunnel->destination_token = g_strdup(destination_token);
	g_ptr_array_add(fx->secrets, g_strdup(source_token));
	g_ptr_array_add(fx->secrets, g_strdup(destination_token));
}

/* a destination iotunneld that reaches the app, and a source one that listens for SSH1 */
void
iot_awsapi_start_proxies(IotAwsapiFixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *app = g_strdup_printf("SSH1=127.0.0.1:%u", fx->rw.app_port);
	const gchar *destination_args[] = {"-d", app, NULL};
	const gchar *source_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};

	fx->rw.tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "destination", destination_args, &error);
	g_assert_no_error(error);
	fx->rw.tunnel.source =
	    iot_test_tunnel_spawn_proxy(&fx->rw.tunnel, "source", source_args, &error);
	g_assert_no_error(error);
}

/* a new connection through the source proxy carries @bytes each way, unchanged */
void
iot_awsapi_exchange(IotAwsapiFixture *fx, gsize bytes)
{
	g_autofree gchar *address = iot_realworld_source_address(fx->rw.tunnel.source);
	iot_realworld_exchange(&fx->rw, address, bytes);
}

/* @text as a JSON object, which the test must free with json_object_unref() */
JsonObject *
iot_awsapi_parse_object(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonNode *root;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	root = json_parser_get_root(parser);
	g_assert_nonnull(root);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	return json_object_ref(json_node_get_object(root));
}

/* what @process said holds no token and no secret access key */
void
iot_awsapi_assert_no_secret(IotAwsapiFixture *fx, IotTestProcess *process)
{
	g_autofree gchar *output = iot_test_process_get_output(process);

	iot_realworld_assert_no_secret(&fx->rw, process);
	g_assert_null(strstr(output, IOT_AWSAPI_SECRET));
	g_assert_null(strstr(output, IOT_AWSAPI_WRONG_SECRET));
	for (guint i = 0; i < fx->secrets->len; i++) {
		const gchar *secret = g_ptr_array_index(fx->secrets, i);
		if (secret != NULL && strstr(output, secret) != NULL)
			g_error("the output holds an access token:\n%s", output);
	}
}
