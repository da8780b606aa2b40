/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * An idle connected iotunneld's own memory, through a real iotunnel-service:
 * a proxy told the service's CA (-c) must not read the system trust store,
 * whose parsed form (about 7 MiB) was most of an idle proxy's heap.
 */

#include "config.h"

#include "iot-test-tunnel.h"

/* an idle connected proxy holds about 1.6 MiB of its own; the system store alone is 7 */
#define TEST_IDLE_ANON_LIMIT_KIB (4 * 1024)

typedef struct {
	IotTestTunnel tunnel;
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
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	iot_test_tunnel_clear(&fx->tunnel);
}

static void
test_named_ca_skips_system_store(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const gchar *dst_args[] = {"-d", "SSH1=127.0.0.1:9", NULL};
	const gchar *src_args[] = {"-s", "SSH1=0", "-b", "127.0.0.1", NULL};
	guint64 source_anon, destination_anon;

	/*
	 * AddressSanitizer's shadow and quarantine, and valgrind's own heap
	 * (scripts/valgrind), would be in the figure too
	 */
#ifdef __SANITIZE_ADDRESS__
	g_test_skip("AddressSanitizer's own memory is in the figure");
	return;
#endif
	if (g_getenv("IOTUNNEL_TEST_VALGRIND") != NULL) {
		g_test_skip("valgrind's own memory is in the figure");
		return;
	}
	fx->tunnel.destination =
	    iot_test_tunnel_spawn_proxy(&fx->tunnel, "destination", dst_args, &error);
	g_assert_no_error(error);
	fx->tunnel.source = iot_test_tunnel_spawn_proxy(&fx->tunnel, "source", src_args, &error);
	g_assert_no_error(error);

	source_anon = iot_test_process_get_rss_kib(fx->tunnel.source, "RssAnon");
	destination_anon = iot_test_process_get_rss_kib(fx->tunnel.destination, "RssAnon");
	g_test_message("anonymous memory of the idle proxies: source %" G_GUINT64_FORMAT
		       " KiB, destination %" G_GUINT64_FORMAT " KiB",
		       source_anon,
		       destination_anon);
	g_assert_cmpuint(source_anon, >, 0);
	g_assert_cmpuint(destination_anon, >, 0);
	g_assert_cmpuint(source_anon, <, TEST_IDLE_ANON_LIMIT_KIB);
	g_assert_cmpuint(destination_anon, <, TEST_IDLE_ANON_LIMIT_KIB);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/iotunnel/idle-memory/named-ca-skips-system-store",
		   Fixture,
		   NULL,
		   fixture_setup,
		   test_named_ca_skips_system_store,
		   fixture_teardown);
	return g_test_run();
}
