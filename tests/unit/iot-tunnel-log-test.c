/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * iot_tunnel_log(): the message names the tunnel, stream and connection,
 * and the structured fields a journal keeps carry them too. A writer of the
 * test's own takes each line's fields, as GLib's journald writer would.
 */

#define G_LOG_DOMAIN "IotTunnelLogTest"

#include "config.h"

#include <iotunnel.h>

/* the fields of the last line logged, key to value */
static GHashTable *tunnel_log_fields = NULL;

static GLogWriterOutput
tunnel_log_writer(GLogLevelFlags log_level,
		  const GLogField *fields,
		  gsize n_fields,
		  gpointer user_data)
{
	g_hash_table_remove_all(tunnel_log_fields);
	for (gsize i = 0; i < n_fields; i++) {
		g_assert_cmpint(fields[i].length, <, 0);
		g_hash_table_insert(tunnel_log_fields,
				    g_strdup(fields[i].key),
				    g_strdup(fields[i].value));
	}
	return G_LOG_WRITER_HANDLED;
}

static const gchar *
tunnel_log_field(const gchar *key)
{
	return g_hash_table_lookup(tunnel_log_fields, key);
}

/* a line about a connection of a stream: all three, in the text and as fields */
static void
test_tunnel_log_connection(void)
{
	iot_tunnel_info("laptop", 3, 2, "started for %s", "SSH1 via 127.0.0.1:5555");
	g_assert_cmpstr(
	    tunnel_log_field("MESSAGE"),
	    ==,
	    "tunnel laptop: stream 3 connection 2: started for SSH1 via 127.0.0.1:5555");
	g_assert_cmpstr(tunnel_log_field("IOTUNNEL_TUNNEL"), ==, "laptop");
	g_assert_cmpstr(tunnel_log_field("IOTUNNEL_STREAM_ID"), ==, "3");
	g_assert_cmpstr(tunnel_log_field("IOTUNNEL_CONNECTION_ID"), ==, "2");
	g_assert_cmpstr(tunnel_log_field("GLIB_DOMAIN"), ==, "IotTunnelLogTest");
	g_assert_cmpstr(tunnel_log_field("PRIORITY"), ==, "6");
	g_assert_cmpstr(tunnel_log_field("CODE_FUNC"), ==, G_STRFUNC);
	g_assert_true(g_str_has_suffix(tunnel_log_field("CODE_FILE"), "iot-tunnel-log-test.c"));
	g_assert_nonnull(tunnel_log_field("CODE_LINE"));
}

/* a line about a stream, or about the tunnel only: what is not given is left out */
static void
test_tunnel_log_partial(void)
{
	iot_tunnel_warning("device", 7, 0, "reset by the peer");
	g_assert_cmpstr(tunnel_log_field("MESSAGE"),
			==,
			"tunnel device: stream 7: reset by the peer");
	g_assert_cmpstr(tunnel_log_field("IOTUNNEL_STREAM_ID"), ==, "7");
	g_assert_null(tunnel_log_field("IOTUNNEL_CONNECTION_ID"));
	g_assert_cmpstr(tunnel_log_field("PRIORITY"), ==, "4");

	iot_tunnel_message("device", 0, 0, "connected");
	g_assert_cmpstr(tunnel_log_field("MESSAGE"), ==, "tunnel device: connected");
	g_assert_cmpstr(tunnel_log_field("IOTUNNEL_TUNNEL"), ==, "device");
	g_assert_null(tunnel_log_field("IOTUNNEL_STREAM_ID"));
	g_assert_cmpstr(tunnel_log_field("PRIORITY"), ==, "5");

	/* a codec whose session has no name (or has stopped) */
	iot_tunnel_debug(NULL, 1, 1, "local connection ended");
	g_assert_cmpstr(tunnel_log_field("MESSAGE"),
			==,
			"stream 1 connection 1: local connection ended");
	g_assert_null(tunnel_log_field("IOTUNNEL_TUNNEL"));
	g_assert_cmpstr(tunnel_log_field("PRIORITY"), ==, "7");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	tunnel_log_fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_log_set_writer_func(tunnel_log_writer, NULL, NULL);
	g_test_add_func("/iotunnel/tunnel-log/connection", test_tunnel_log_connection);
	g_test_add_func("/iotunnel/tunnel-log/partial", test_tunnel_log_partial);
	return g_test_run();
}
