/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Mappings that do not fit the tunnel's services (issue 15, point 1), end to
 * end through iotunnel-service and two iotunneld processes without client
 * tokens, so that a tunnel the service dropped could not come back: a
 * mapping the tunnel does not have is reported once and its connections are
 * closed at once, while the WebSocket and every other stream go on; a single
 * unnamed mapping on a tunnel of several services says how to name it.
 */

#include "config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/socket.h>

#include "iot-realworld-common.h"

typedef IotRealworldFixture Fixture;

static void
fixture_setup_none(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(fx, "{}");
}

static void
fixture_setup_two(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_setup(fx, "{\"services\": [\"SSH1\", \"HTTP1\"]}");
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	iot_realworld_fixture_teardown(fx);
}

/* starts both proxies from reference-style options, without client tokens */
static void
start_proxies(Fixture *fx, const gchar *destination_apps, const gchar *source_ports)
{
	g_autoptr(GError) error = NULL;
	const gchar *dst_args[] = {"-d", destination_apps, NULL};
	const gchar *src_args[] = {"-s", source_ports, "-b", "127.0.0.1", NULL};

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->tunnel, "destination", dst_args, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_proxy(&fx->tunnel, "source", src_args, &error);
	g_assert_no_error(error);
}

/* the tunnel as the service's API describes it */
static JsonObject *
describe_tunnel(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", fx->tunnel.tunnel_id);
	g_autofree gchar *response = NULL;
	guint status = 0;

	g_assert_true(
	    iot_test_tunnel_api(&fx->tunnel, "GET", path, NULL, &status, &response, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(status, ==, 200);
	g_assert_true(json_parser_load_from_data(parser, response, -1, &error));
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

/* the channel of @mode's WebSocket as the service sees it, NULL when not connected */
static gchar *
peer_channel(Fixture *fx, const gchar *mode)
{
	g_autoptr(JsonObject) tunnel = describe_tunnel(fx);
	g_autofree gchar *member = g_strdup_printf("%sConnectionState", mode);
	JsonObject *state = json_object_get_object_member(tunnel, member);

	if (g_strcmp0(json_object_get_string_member(state, "status"), "CONNECTED") != 0)
		return NULL;
	return g_strdup(json_object_get_string_member(state, "channelId"));
}

/*
 * A client of @address sees its connection end at once: end of stream or a
 * reset, with nothing read and within the deadline.
 */
static void
assert_closed_at_once(const gchar *address)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = iot_test_connect_tcp(address, &error);
	gchar buffer[64];
	gssize n;

	/* the reset may come before the connect returns */
	if (client == NULL) {
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
		return;
	}
	g_socket_set_timeout(client, IOT_REALWORLD_TIMEOUT_MS / 1000);
	g_socket_send(client, "hello?\n", 7, NULL, NULL);
	n = g_socket_receive(client, buffer, sizeof(buffer), NULL, &error);
	if (n < 0)
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	else
		g_assert_cmpint(n, ==, 0);
}

/* the service never closed a WebSocket for breaking the rules, nor did a proxy retry */
static void
assert_tunnel_went_on(Fixture *fx, const gchar *source_channel, const gchar *destination_channel)
{
	g_autofree gchar *source_now = peer_channel(fx, "source");
	g_autofree gchar *destination_now = peer_channel(fx, "destination");

	g_assert_cmpstr(source_now, ==, source_channel);
	g_assert_cmpstr(destination_now, ==, destination_channel);
	g_assert_false(iot_test_process_has_line(fx->tunnel.service, "closing with 1008"));
	g_assert_false(iot_test_process_has_line(fx->tunnel.source, "trying again"));
	g_assert_false(iot_test_process_has_line(fx->tunnel.destination, "trying again"));
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.source, 0, NULL));
	g_assert_false(iot_test_process_wait_exit(fx->tunnel.destination, 0, NULL));
	g_assert_cmpuint(iot_test_process_count_lines(fx->tunnel.source, ": connected \\("), ==, 1);
}

/* no line of @process names a service with an empty name */
static void
assert_no_empty_name(IotTestProcess *process)
{
	g_assert_false(iot_test_process_has_line(process, "service  "));
	g_assert_false(iot_test_process_has_line(process, "\"\""));
}

/*
 * The README's first try: a tunnel opened with no services, and both sides
 * naming SSH1. Both report it when they connect; a client of the source is
 * closed at once; the service drops nobody and the proxies keep running.
 */
static void
test_no_services_named_mapping(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination_app = g_strdup_printf("SSH1=%u", fx->app_port);
	g_autofree gchar *address = NULL;
	g_autofree gchar *source_channel = NULL;
	g_autofree gchar *destination_channel = NULL;

	start_proxies(fx, destination_app, "SSH1=0");
	address = iot_realworld_source_address(fx->tunnel.source);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel default: the service has no named services$",
				IOT_REALWORLD_TIMEOUT_MS);
	source_channel = peer_channel(fx, "source");
	destination_channel = peer_channel(fx, "destination");
	g_assert_nonnull(source_channel);
	g_assert_nonnull(destination_channel);

	for (guint i = 0; i < 3; i++)
		assert_closed_at_once(address);
	g_assert_true(iot_test_process_wait_lines(fx->tunnel.source,
						  "tunnel default: closing SSH1 via .* at once: "
						  "service SSH1 is not part of this tunnel$",
						  3,
						  IOT_REALWORLD_TIMEOUT_MS,
						  &error));
	g_assert_no_error(error);
	assert_tunnel_went_on(fx, source_channel, destination_channel);
	iot_realworld_wait_line(
	    fx->tunnel.source,
	    "tunnel default: service SSH1 is not part of this tunnel, which has "
	    "no services: connections to it are closed at once; open the tunnel "
	    "with SSH1, or map ports without names on both sides \\(-s PORT, -d "
	    "PORT\\)\\.$",
	    0);
	assert_no_empty_name(fx->tunnel.source);
	assert_no_empty_name(fx->tunnel.destination);
}

/*
 * A tunnel of SSH1 and HTTP1, a source that also maps FOO: a client of FOO
 * is closed at once while an echo runs on SSH1, which ends whole; the
 * service's counters show that it dropped nothing.
 */
static void
test_extra_mapping(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination_apps =
	    g_strdup_printf("SSH1=%u,HTTP1=%u", fx->app_port, fx->app_port);
	g_autofree gchar *ssh_address = NULL;
	g_autofree gchar *foo_address = NULL;
	g_autofree gchar *source_channel = NULL;
	g_autofree gchar *destination_channel = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autoptr(JsonObject) tunnel = NULL;
	JsonObject *counters;
	IotRealworldPair echo = {0};

	start_proxies(fx, destination_apps, "SSH1=0,HTTP1=0,FOO=0");
	ssh_address = iot_realworld_source_address(fx->tunnel.source);
	foo_address = iot_test_tunnel_listen_address(fx->tunnel.source, "FOO", &error);
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel default: the service has SSH1, HTTP1$",
				IOT_REALWORLD_TIMEOUT_MS);
	source_channel = peer_channel(fx, "source");
	destination_channel = peer_channel(fx, "destination");

	client = iot_test_connect_tcp(ssh_address, &error);
	g_assert_no_error(error);
	app = iot_test_accept(fx->app_listener, 20, &error);
	g_assert_no_error(error);
	iot_realworld_pair_start(&echo, client, app, 8 * 1024 * 1024, 31);
	while (*(volatile gsize *)&echo.app.received < 64 * 1024)
		g_usleep(10000);
	assert_closed_at_once(foo_address);
	iot_realworld_pair_check(&echo);

	iot_realworld_exchange(fx, ssh_address, 64 * 1024);
	assert_tunnel_went_on(fx, source_channel, destination_channel);
	iot_realworld_wait_line(
	    fx->tunnel.source,
	    "tunnel default: service FOO is not part of this tunnel, which has "
	    "SSH1, HTTP1: connections to it are closed at once; open the tunnel "
	    "with FOO, or remove its mapping\\.$",
	    0);
	tunnel = describe_tunnel(fx);
	counters = json_object_get_object_member(tunnel, "counters");
	g_assert_cmpint(json_object_get_int_member(
			    json_object_get_object_member(counters, "sourceToDestination"),
			    "dropped"),
			==,
			0);
	assert_no_empty_name(fx->tunnel.source);
}

/*
 * One unnamed mapping on each side of a tunnel of SSH1 and HTTP1: each side
 * says in one sentence that the mapping names no service and how to name
 * it; the two still pair, their streams naming no service.
 */
static void
test_unnamed_on_several(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination_app = g_strdup_printf("%u", fx->app_port);
	g_autofree gchar *address = NULL;

	start_proxies(fx, destination_app, "0");
	address = iot_test_tunnel_listen_address(fx->tunnel.source, "(unnamed)", &error);
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.source,
				"tunnel default: the tunnel has several services \\(SSH1, HTTP1\\) "
				"and the one mapping here names none, so its connections carry no "
				"service name and reach only a destination with one unnamed "
				"mapping; to reach one service, name the mapping, such as -s "
				"SSH1=127\\.0\\.0\\.1:[0-9]+\\.$",
				IOT_REALWORLD_TIMEOUT_MS);
	iot_realworld_wait_line(
	    fx->tunnel.destination,
	    "tunnel default: the tunnel has several services \\(SSH1, HTTP1\\) "
	    "and the one mapping here names none, so it serves only connections "
	    "that carry no service name, from a source with one unnamed "
	    "mapping; name the mapping for the service it serves, such as -d "
	    "SSH1=127\\.0\\.0\\.1:[0-9]+\\.$",
	    IOT_REALWORLD_TIMEOUT_MS);
	iot_realworld_exchange(fx, address, 256 * 1024);
	iot_realworld_exchange(fx, address, 256 * 1024);
	assert_no_empty_name(fx->tunnel.source);
	assert_no_empty_name(fx->tunnel.destination);
	g_assert_false(iot_test_process_has_line(fx->tunnel.service, "closing with 1008"));
}

/*
 * Named mappings at the source, one unnamed mapping at the destination: the
 * destination cannot tell which service its app is, resets each stream that
 * names one, and both proxies stay connected.
 */
static void
test_named_to_unnamed_destination(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination_app = g_strdup_printf("%u", fx->app_port);
	g_autofree gchar *ssh_address = NULL;
	g_autofree gchar *http_address = NULL;
	g_autofree gchar *source_channel = NULL;
	g_autofree gchar *destination_channel = NULL;

	start_proxies(fx, destination_app, "SSH1=0,HTTP1=0");
	ssh_address = iot_realworld_source_address(fx->tunnel.source);
	http_address = iot_test_tunnel_listen_address(fx->tunnel.source, "HTTP1", &error);
	g_assert_no_error(error);
	iot_realworld_wait_line(fx->tunnel.destination,
				"the tunnel has several services",
				IOT_REALWORLD_TIMEOUT_MS);
	source_channel = peer_channel(fx, "source");
	destination_channel = peer_channel(fx, "destination");

	assert_closed_at_once(ssh_address);
	assert_closed_at_once(http_address);
	iot_realworld_wait_line(fx->tunnel.destination,
				"stream 1: no local service for \"SSH1\"; resetting",
				IOT_REALWORLD_TIMEOUT_MS);
	iot_realworld_wait_line(fx->tunnel.destination,
				"stream 1: no local service for \"HTTP1\"; resetting",
				IOT_REALWORLD_TIMEOUT_MS);
	assert_tunnel_went_on(fx, source_channel, destination_channel);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	iot_realworld_init();

	g_test_add("/iotunnel/realworld/services/no-services-named-mapping",
		   Fixture,
		   NULL,
		   fixture_setup_none,
		   test_no_services_named_mapping,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/services/extra-mapping",
		   Fixture,
		   NULL,
		   fixture_setup_two,
		   test_extra_mapping,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/services/unnamed-on-several",
		   Fixture,
		   NULL,
		   fixture_setup_two,
		   test_unnamed_on_several,
		   fixture_teardown);
	g_test_add("/iotunnel/realworld/services/named-to-unnamed-destination",
		   Fixture,
		   NULL,
		   fixture_setup_two,
		   test_named_to_unnamed_destination,
		   fixture_teardown);
	return g_test_run();
}
