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
static guint tunnel_log_lines = 0;

static GLogWriterOutput
tunnel_log_writer(GLogLevelFlags log_level,
		  const GLogField *fields,
		  gsize n_fields,
		  gpointer user_data)
{
	tunnel_log_lines++;
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

/* a line a peer repeats at its own rate: a burst passes, then one saying how many were held */
static void
test_tunnel_log_rate_limited(void)
{
	IotLogRateLimit limit = {0};
	guint suppressed = G_MAXUINT;

	tunnel_log_lines = 0;
	for (guint i = 0; i < 100000; i++)
		iot_tunnel_log_rate_limited(G_LOG_LEVEL_WARNING, "flood", 0, 0, "line %u", i);
	g_assert_cmpuint(tunnel_log_lines, ==, IOT_LOG_RATE_LIMIT_BURST);
	g_assert_cmpstr(tunnel_log_field("MESSAGE"), ==, "tunnel flood: line 9");

	for (guint i = 0; i < IOT_LOG_RATE_LIMIT_BURST; i++) {
		g_assert_true(iot_log_rate_limit_pass(&limit, &suppressed));
		g_assert_cmpuint(suppressed, ==, 0);
	}
	for (guint i = 0; i < 25; i++)
		g_assert_false(iot_log_rate_limit_pass(&limit, &suppressed));
	/* the window is over, as if ten seconds had passed */
	limit.window_start -= IOT_LOG_RATE_LIMIT_INTERVAL_US;
	g_assert_true(iot_log_rate_limit_pass(&limit, &suppressed));
	g_assert_cmpuint(suppressed, ==, 25);

	tunnel_log_lines = 0;
	limit = (IotLogRateLimit){0};
	for (guint i = 0; i < IOT_LOG_RATE_LIMIT_BURST + 3; i++)
		iot_tunnel_log_limited(&limit,
				       G_LOG_LEVEL_MESSAGE,
				       G_LOG_DOMAIN,
				       __FILE__,
				       G_STRINGIFY(__LINE__),
				       G_STRFUNC,
				       "flood",
				       0,
				       0,
				       "again");
	limit.window_start -= IOT_LOG_RATE_LIMIT_INTERVAL_US;
	iot_tunnel_log_limited(&limit,
			       G_LOG_LEVEL_MESSAGE,
			       G_LOG_DOMAIN,
			       __FILE__,
			       G_STRINGIFY(__LINE__),
			       G_STRFUNC,
			       "flood",
			       0,
			       0,
			       "again");
	g_assert_cmpuint(tunnel_log_lines, ==, IOT_LOG_RATE_LIMIT_BURST + 1);
	g_assert_cmpstr(tunnel_log_field("MESSAGE"),
			==,
			"tunnel flood: again (3 more like it held back in the last seconds)");
}

/* what a peer sent, quoted: one printable line, valid UTF-8, cut at a character */
static void
test_tunnel_log_quote(void)
{
	g_autofree gchar *newline = iot_log_quote("SSH\n2026-12-07 forged line", 64);
	g_autofree gchar *controls = iot_log_quote("a\"b\\c\x01\x7f\xc2\x85\xe2\x80\xa8\xff", 64);
	g_autofree gchar *long_id = g_strnfill(60000, 'x');
	g_autofree gchar *cut = iot_log_quote(long_id, 64);
	g_autofree gchar *accents = iot_log_quote("\xc3\xa9\xc3\xa9\xc3\xa9", 5);
	g_autoptr(GString) out = g_string_new("kept: ");

	g_assert_cmpstr(newline, ==, "SSH\\n2026-12-07 forged line");
	g_assert_cmpstr(controls, ==, "a\\\"b\\\\c\\x01\\x7f\\u0085\\u2028\\xff");
	g_assert_cmpuint(strlen(cut), ==, 64 + 3);
	g_assert_true(g_str_has_suffix(cut, "x..."));
	/* two of three two-byte characters fit in five bytes */
	g_assert_cmpstr(accents, ==, "\xc3\xa9\xc3\xa9...");
	g_assert_true(g_utf8_validate(accents, -1, NULL));
	g_assert_true(iot_log_escape(out, "tab\there \"as is\"", 64, FALSE));
	g_assert_cmpstr(out->str, ==, "kept: tab\\there \"as is\"");
}

static gboolean
shows_only_debug_of_v3(GLogLevelFlags log_level, const gchar *log_domain)
{
	return (log_level & G_LOG_LEVEL_DEBUG) != 0 && g_strcmp0(log_domain, "iotunnel-v3") == 0;
}

/* whether a line shows: the writer's own filter when one is set, else GLib's default rules */
static void
test_tunnel_log_shows(void)
{
	g_assert_true(iot_tunnel_log_shows(G_LOG_LEVEL_WARNING, "iotunnel-v3"));
	g_assert_false(iot_tunnel_log_shows(G_LOG_LEVEL_DEBUG, "iotunnel-v3"));
	g_assert_false(iot_tunnel_debug_enabled());

	iot_tunnel_log_set_shows_func(shows_only_debug_of_v3);
	g_assert_true(iot_tunnel_log_shows(G_LOG_LEVEL_DEBUG, "iotunnel-v3"));
	g_assert_false(iot_tunnel_log_shows(G_LOG_LEVEL_DEBUG, "iotunnel-v2"));
	g_assert_false(iot_tunnel_log_shows(G_LOG_LEVEL_WARNING, "iotunnel-v3"));
	iot_tunnel_log_set_shows_func(NULL);
	g_assert_false(iot_tunnel_log_shows(G_LOG_LEVEL_DEBUG, "iotunnel-v3"));
}

int
main(int argc, char **argv)
{
	/* GLib's default rules, as they are without it */
	g_unsetenv("G_MESSAGES_DEBUG");
	g_test_init(&argc, &argv, NULL);
	tunnel_log_fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_log_set_writer_func(tunnel_log_writer, NULL, NULL);
	g_test_add_func("/iotunnel/tunnel-log/connection", test_tunnel_log_connection);
	g_test_add_func("/iotunnel/tunnel-log/partial", test_tunnel_log_partial);
	g_test_add_func("/iotunnel/tunnel-log/rate-limited", test_tunnel_log_rate_limited);
	g_test_add_func("/iotunnel/tunnel-log/quote", test_tunnel_log_quote);
	g_test_add_func("/iotunnel/tunnel-log/shows", test_tunnel_log_shows);
	return g_test_run();
}
