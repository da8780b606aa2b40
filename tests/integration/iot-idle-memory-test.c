/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * An idle connected iotunneld's own memory, through a real iotunnel-service:
 * a proxy told the service's CA (-c) must not read the system trust store,
 * whose parsed form (about 7 MiB) was most of an idle proxy's heap, and the
 * heap a burst of traffic leaves behind must go back once the burst is over.
 */

#include "config.h"

#include <signal.h>

#include "iot-test-traffic.h"
#include "iot-test-tunnel.h"
#include "iot-test-wait.h"

/* an idle connected proxy holds about 1.6 MiB of its own; the system store alone is 7 */
#define TEST_IDLE_ANON_LIMIT_KIB (4 * 1024)
/* the connections of the burst, and what each moves each way */
#define TEST_BURST_CONNECTIONS 8
#define TEST_BURST_BYTES (8 * 1024 * 1024)
/* a burst leaves 150 to 600 KiB more heap untrimmed (more in an optimized build), under 100 once
 * trimmed */
#define TEST_BURST_KEPT_LIMIT_KIB 128
/* the daemon looks every 5 s: two looks, and room for a loaded machine */
#define TEST_BURST_TRIM_DEADLINE_MS 30000

typedef struct {
	IotTestTunnel tunnel;
	GSocket *app_listener;
	guint16 app_port;
	gchar *source_address;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	const gchar *services[] = {"SSH1", NULL};
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_test_tunnel_start_service(&fx->tunnel, &error));
	g_assert_no_error(error);
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, services, 0, &error));
	g_assert_no_error(error);
	fx->app_listener = iot_test_listen_tcp(&fx->app_port, &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_clear_object(&fx->app_listener);
	g_clear_pointer(&fx->source_address, g_free);
	iot_test_tunnel_clear(&fx->tunnel);
}

/*
 * AddressSanitizer's shadow and quarantine, and valgrind's own heap
 * (scripts/valgrind), are in a process's memory too: nothing to check there
 */
static gboolean
test_memory_is_ours(void)
{
#ifdef __SANITIZE_ADDRESS__
	g_test_skip("AddressSanitizer's own memory is in the figures");
	return FALSE;
#else
	if (g_getenv("IOTUNNEL_TEST_VALGRIND") != NULL) {
		g_test_skip("valgrind's own memory is in the figures");
		return FALSE;
	}
	return TRUE;
#endif
}

/* a connected source and destination, told the service's CA with -c */
static void
start_proxies(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *destination_apps = g_strdup_printf("SSH1=%u", fx->app_port);
	const gchar *dst_args[] = {"-d", destination_apps, NULL};
	const gchar *src_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};

	fx->tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->tunnel, "destination", dst_args, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_proxy(&fx->tunnel, "source", src_args, &error);
	g_assert_no_error(error);
	fx->source_address = iot_test_tunnel_listen_address(fx->tunnel.source, "SSH1", &error);
	g_assert_no_error(error);
}

static guint64
anon_kib(IotTestProcess *proxy)
{
	return iot_test_process_get_rss_kib(proxy, "RssAnon");
}

static void
test_named_ca_skips_system_store(Fixture *fx, gconstpointer data)
{
	guint64 source_anon, destination_anon;

	if (!test_memory_is_ours())
		return;
	start_proxies(fx);
	source_anon = anon_kib(fx->tunnel.source);
	destination_anon = anon_kib(fx->tunnel.destination);
	g_test_message("anonymous memory of the idle proxies: source %" G_GUINT64_FORMAT
		       " KiB, destination %" G_GUINT64_FORMAT " KiB",
		       source_anon,
		       destination_anon);
	g_assert_cmpuint(source_anon, >, 0);
	g_assert_cmpuint(destination_anon, >, 0);
	g_assert_cmpuint(source_anon, <, TEST_IDLE_ANON_LIMIT_KIB);
	g_assert_cmpuint(destination_anon, <, TEST_IDLE_ANON_LIMIT_KIB);
}

/* both ways at once through several connections, checked byte for byte */
static void
run_burst(Fixture *fx)
{
	IotTestTraffic clients[TEST_BURST_CONNECTIONS] = {0};
	IotTestTraffic apps[TEST_BURST_CONNECTIONS] = {0};

	for (guint i = 0; i < TEST_BURST_CONNECTIONS; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) client = iot_test_connect_tcp(fx->source_address, &error);
		g_autoptr(GSocket) app = NULL;

		g_assert_no_error(error);
		app = iot_test_accept(fx->app_listener, 20, &error);
		g_assert_no_error(error);
		clients[i] = (IotTestTraffic){.to_send = TEST_BURST_BYTES,
					      .to_receive = TEST_BURST_BYTES,
					      .seed = 2 * i + 1};
		apps[i] = (IotTestTraffic){.to_send = TEST_BURST_BYTES,
					   .to_receive = TEST_BURST_BYTES,
					   .seed = 2 * i + 2};
		iot_test_traffic_start(&clients[i], client);
		iot_test_traffic_start(&apps[i], app);
	}
	for (guint i = 0; i < TEST_BURST_CONNECTIONS; i++) {
		iot_test_traffic_join(&clients[i]);
		iot_test_traffic_join(&apps[i]);
		g_assert_no_error(clients[i].error);
		g_assert_no_error(apps[i].error);
		g_assert_cmpstr(clients[i].received_sha256, ==, apps[i].sent_sha256);
		g_assert_cmpstr(apps[i].received_sha256, ==, clients[i].sent_sha256);
		iot_test_traffic_clear(&clients[i]);
		iot_test_traffic_clear(&apps[i]);
	}
}

static void
test_burst_heap_given_back(Fixture *fx, gconstpointer data)
{
	guint64 source_before, destination_before;

	if (!test_memory_is_ours())
		return;
	start_proxies(fx);
	/* what start-up freed goes back at the daemon's second look, the first quiet one */
	iot_test_run_for(11000);
	source_before = anon_kib(fx->tunnel.source);
	destination_before = anon_kib(fx->tunnel.destination);

	run_burst(fx);
	g_test_message("anonymous memory before the burst and just after: source %" G_GUINT64_FORMAT
		       "/%" G_GUINT64_FORMAT " KiB, destination %" G_GUINT64_FORMAT
		       "/%" G_GUINT64_FORMAT " KiB",
		       source_before,
		       anon_kib(fx->tunnel.source),
		       destination_before,
		       anon_kib(fx->tunnel.destination));
	IOT_TEST_WAIT_UNTIL_MS(
	    anon_kib(fx->tunnel.source) < source_before + TEST_BURST_KEPT_LIMIT_KIB &&
		anon_kib(fx->tunnel.destination) < destination_before + TEST_BURST_KEPT_LIMIT_KIB,
	    TEST_BURST_TRIM_DEADLINE_MS);
	g_test_message("anonymous memory once quiet: source %" G_GUINT64_FORMAT
		       " KiB, destination %" G_GUINT64_FORMAT " KiB",
		       anon_kib(fx->tunnel.source),
		       anon_kib(fx->tunnel.destination));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);

	g_test_add("/iotunnel/idle-memory/named-ca-skips-system-store",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_named_ca_skips_system_store,
		   fixture_teardown);
	g_test_add("/iotunnel/idle-memory/burst-heap-given-back",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_burst_heap_given_back,
		   fixture_teardown);
	return g_test_run();
}
