/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-realworld-common.h"

#include <json-glib/json-glib.h>
#include <string.h>

/**
 * iot_realworld_init:
 *
 * Sets up the environment the programs under test inherit; call it after
 * g_test_init(). Under AddressSanitizer it preloads GnuTLS (see
 * tests/realworld/meson.build), so that iotunneld's exit status survives
 * the leak check.
 */
void
iot_realworld_init(void)
{
#ifdef IOT_REALWORLD_PRELOAD
	g_setenv("LD_PRELOAD", IOT_REALWORLD_PRELOAD, TRUE);
#endif
}

/**
 * iot_realworld_fixture_setup:
 * @fx: a zeroed fixture
 * @open_body: (nullable): the JSON to open the tunnel with, or %NULL for
 *   one service "SSH1" and the default lifetime
 *
 * Starts iotunnel-service, opens a tunnel and listens for the app's side.
 */
void
iot_realworld_fixture_setup(IotRealworldFixture *fx, const gchar *open_body)
{
	const gchar *services[] = {"SSH1", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *response = NULL;
	guint status = 0;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	if (open_body == NULL) {
		g_assert_true(iot_test_tunnel_open(&fx->tunnel, services, 0, &error));
		g_assert_no_error(error);
	} else {
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonObject *root;

		g_assert_true(iot_test_tunnel_api(&fx->tunnel,
						  "POST",
						  "/api/tunnels",
						  open_body,
						  &status,
						  &response,
						  &error));
		g_assert_no_error(error);
		g_assert_cmpuint(status, ==, 201);
		g_assert_true(json_parser_load_from_data(parser, response, -1, &error));
		g_assert_no_error(error);
		root = json_node_get_object(json_parser_get_root(parser));
		fx->tunnel.tunnel_id = g_strdup(json_object_get_string_member(root, "tunnelId"));
		fx->tunnel.source_token =
		    g_strdup(json_object_get_string_member(root, "sourceAccessToken"));
		fx->tunnel.destination_token =
		    g_strdup(json_object_get_string_member(root, "destinationAccessToken"));
	}
	fx->app_listener = iot_test_listen_tcp(&fx->app_port, &error);
	g_assert_no_error(error);
}

void
iot_realworld_fixture_teardown(IotRealworldFixture *fx)
{
	g_clear_object(&fx->app_listener);
	iot_test_tunnel_clear(&fx->tunnel);
}

/**
 * iot_realworld_pair_start:
 * @pair: a zeroed pair
 * @client: the client's socket
 * @app: the app's socket
 * @bytes: how many bytes each side sends and expects
 * @seed: where the pseudo-random bytes start
 */
void
iot_realworld_pair_start(IotRealworldPair *pair,
			 GSocket *client,
			 GSocket *app,
			 gsize bytes,
			 guint32 seed)
{
	pair->client.to_send = bytes;
	pair->client.seed = seed;
	pair->client.to_receive = bytes;
	pair->app.to_send = bytes;
	pair->app.seed = seed + 1000;
	pair->app.to_receive = bytes;
	iot_test_traffic_start(&pair->client, client);
	iot_test_traffic_start(&pair->app, app);
}

/* both directions arrived whole and unchanged */
void
iot_realworld_pair_check(IotRealworldPair *pair)
{
	iot_test_traffic_join(&pair->client);
	iot_test_traffic_join(&pair->app);
	g_assert_no_error(pair->client.error);
	g_assert_no_error(pair->app.error);
	g_assert_cmpuint(pair->client.sent, ==, pair->client.to_send);
	g_assert_cmpuint(pair->app.received, ==, pair->client.to_send);
	g_assert_cmpstr(pair->client.sent_sha256, ==, pair->app.received_sha256);
	g_assert_cmpuint(pair->client.received, ==, pair->app.to_send);
	g_assert_cmpstr(pair->app.sent_sha256, ==, pair->client.received_sha256);
	iot_test_traffic_clear(&pair->client);
	iot_test_traffic_clear(&pair->app);
}

/* a new connection through the source at @source_address carries @bytes both ways */
void
iot_realworld_exchange(IotRealworldFixture *fx, const gchar *source_address, gsize bytes)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(source_address, &error);
	g_autoptr(GSocket) app = NULL;
	IotRealworldPair pair = {0};

	g_assert_no_error(error);
	app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	iot_realworld_pair_start(&pair, client, app, bytes, g_random_int());
	iot_realworld_pair_check(&pair);
}

/**
 * iot_realworld_profile:
 * @fx: a fixture
 * @mode: "source" (listens on a free port) or "destination" (reaches the app)
 * @endpoint: (nullable): the service's host:port, or %NULL for the service's
 * @client_token: (nullable): the client token
 * @transport_extra: (nullable): more members of "transport", such as
 *   `"ping_ms": 100`
 * @reconnect: (nullable): the "reconnect" object, or %NULL for fast retries
 *
 * Returns: (transfer full): a profile for iot_test_tunnel_spawn_profile()
 */
gchar *
iot_realworld_profile(IotRealworldFixture *fx,
		      const gchar *mode,
		      const gchar *endpoint,
		      const gchar *client_token,
		      const gchar *transport_extra,
		      const gchar *reconnect)
{
	g_autofree gchar *client = NULL;
	g_autofree gchar *address = NULL;

	if (client_token != NULL)
		client = g_strdup_printf("\"client_token\": \"%s\", ", client_token);
	if (g_strcmp0(mode, "source") == 0)
		address = g_strdup("127.0.0.1:0");
	else
		address = g_strdup_printf("127.0.0.1:%u", fx->app_port);
	return g_strdup_printf(
	    "{\"tunnels\": [{\"name\": \"%s\", \"mode\": \"%s\","
	    " \"service\": {\"endpoint\": \"%s\"},"
	    " \"access_token\": {\"env\": \"AWSIOT_TUNNEL_ACCESS_TOKEN\"}, %s"
	    " \"transport\": {\"ca_path\": \"@CA@\"%s%s},"
	    " \"reconnect\": %s,"
	    " \"services\": {\"SSH1\": {\"endpoint\": \"tcp\", \"address\": \"%s\"}}}]}",
	    mode,
	    mode,
	    endpoint != NULL ? endpoint : "@ENDPOINT@",
	    client != NULL ? client : "",
	    transport_extra != NULL ? ", " : "",
	    transport_extra != NULL ? transport_extra : "",
	    reconnect != NULL ? reconnect : "{\"delay_ms\": 100, \"max_delay_ms\": 400}",
	    address);
}

/* where a source proxy's service SSH1 listens */
gchar *
iot_realworld_source_address(IotTestProcess *source)
{
	g_autoptr(GError) error = NULL;
	gchar *address = iot_test_tunnel_listen_address(source, "SSH1", &error);
	g_assert_no_error(error);
	return address;
}

/* waits for a line of @process matching @regex, failing with its output after @timeout_ms */
void
iot_realworld_wait_line(IotTestProcess *process, const gchar *regex, guint timeout_ms)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = iot_test_process_wait_line(process, regex, timeout_ms, &error);
	g_assert_no_error(error);
	g_assert_nonnull(line);
}

/* the exit status of @process, which must end within @timeout_ms; its output is then whole */
gint
iot_realworld_wait_exit(IotTestProcess *process, guint timeout_ms)
{
	gint status = -1;
	if (!iot_test_process_wait_exit(process, timeout_ms, &status) ||
	    !iot_test_process_wait_output_end(process, timeout_ms)) {
		g_autofree gchar *output = iot_test_process_get_output(process);
		g_error("the process did not exit within %u ms; output:\n%s", timeout_ms, output);
	}
	return status;
}

/* what the process said holds none of the tunnel's tokens */
void
iot_realworld_assert_no_secret(IotRealworldFixture *fx, IotTestProcess *process)
{
	g_autofree gchar *output = iot_test_process_get_output(process);
	const gchar *secrets[] = {fx->tunnel.source_token,
				  fx->tunnel.destination_token,
				  IOT_REALWORLD_CLIENT_TOKEN_SOURCE,
				  IOT_REALWORLD_CLIENT_TOKEN_DESTINATION,
				  fx->tunnel.admin_token};

	for (guint i = 0; i < G_N_ELEMENTS(secrets); i++) {
		if (secrets[i] != NULL && strstr(output, secrets[i]) != NULL)
			g_error("the output holds a secret:\n%s", output);
	}
}
