/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include "iot-test-wait.h"

G_BEGIN_DECLS

/* what a test waits at most for something that should happen at once */
#define IOT_TEST_TIMEOUT_MS 10000

/* failed tries of a connect_async that the plugin logged, counted by iot_test_log_writer() */
static guint iot_test_n_logged_retries = 0;

/* counts the retry messages of the log domain @user_data, and writes everything as usual */
static inline GLogWriterOutput
iot_test_log_writer(GLogLevelFlags log_level,
		    const GLogField *fields,
		    gsize n_fields,
		    gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = fields[i].value;
		else if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			message = fields[i].value;
	}
	if (g_strcmp0(domain, user_data) == 0 && message != NULL &&
	    g_str_has_prefix(message, "failed to connect to "))
		iot_test_n_logged_retries++;
	return g_log_writer_default(log_level, fields, n_fields, NULL);
}

/* checks an error's text against a glob, saying both when they differ */
static inline void
iot_test_assert_message(const GError *error, const gchar *pattern)
{
	gboolean matches = g_pattern_match_simple(pattern, error->message);
	if (!matches)
		g_test_message("\"%s\" does not match \"%s\"", error->message, pattern);
	g_assert_true(matches);
}

/* the settings object of a JSON text */
static inline JsonObject *
iot_test_settings_new(const gchar *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

typedef struct {
	GAsyncResult *result;
} IotTestAsync;

static inline void
iot_test_async_cb(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
	IotTestAsync *async = user_data;
	async->result = g_object_ref(result);
}

/* an endpoint's connect_async, waited for */
static inline GIOStream *
iot_test_endpoint_connect(IotEndpoint *endpoint, GCancellable *cancellable, GError **error)
{
	IotTestAsync async = {NULL};
	GIOStream *stream;

	iot_endpoint_connect_async(endpoint, cancellable, iot_test_async_cb, &async);
	IOT_TEST_WAIT_UNTIL(async.result != NULL);
	stream = iot_endpoint_connect_finish(endpoint, async.result, error);
	g_object_unref(async.result);
	return stream;
}

/* collects the streams an endpoint emits as IotEndpoint::incoming */
static inline void
iot_test_incoming_cb(IotEndpoint *endpoint, GIOStream *stream, gpointer user_data)
{
	GPtrArray *streams = user_data;
	g_ptr_array_add(streams, g_object_ref(stream));
}

/* writes all of @data, blocking: only for amounts the socket buffers take at once */
static inline void
iot_test_stream_write(GIOStream *stream, const gchar *data)
{
	g_autoptr(GError) error = NULL;
	gsize written = 0;

	g_output_stream_write_all(g_io_stream_get_output_stream(stream),
				  data,
				  strlen(data),
				  &written,
				  NULL,
				  &error);
	g_assert_no_error(error);
	g_assert_cmpuint(written, ==, strlen(data));
}

/* writes all of @bytes through the main loop, so that the other side may read meanwhile */
static inline void
iot_test_stream_write_bytes(GIOStream *stream, GBytes *bytes)
{
	IotTestAsync async = {NULL};
	g_autoptr(GError) error = NULL;
	gsize written = 0;

	g_output_stream_write_all_async(g_io_stream_get_output_stream(stream),
					g_bytes_get_data(bytes, NULL),
					g_bytes_get_size(bytes),
					G_PRIORITY_DEFAULT,
					NULL,
					iot_test_async_cb,
					&async);
	IOT_TEST_WAIT_UNTIL(async.result != NULL);
	g_output_stream_write_all_finish(g_io_stream_get_output_stream(stream),
					 async.result,
					 &written,
					 &error);
	g_object_unref(async.result);
	g_assert_no_error(error);
	g_assert_cmpuint(written, ==, g_bytes_get_size(bytes));
}

/* reads exactly @len bytes through the main loop, with a deadline */
static inline gchar *
iot_test_stream_read(GIOStream *stream, gsize len)
{
	IotTestAsync async = {NULL};
	g_autoptr(GError) error = NULL;
	gchar *buffer = g_malloc0(len + 1);
	gsize n = 0;

	g_input_stream_read_all_async(g_io_stream_get_input_stream(stream),
				      buffer,
				      len,
				      G_PRIORITY_DEFAULT,
				      NULL,
				      iot_test_async_cb,
				      &async);
	IOT_TEST_WAIT_UNTIL(async.result != NULL);
	g_input_stream_read_all_finish(g_io_stream_get_input_stream(stream),
				       async.result,
				       &n,
				       &error);
	g_object_unref(async.result);
	g_assert_no_error(error);
	g_assert_cmpuint(n, ==, len);
	return buffer;
}

/* checks that bytes go both ways over a connected pair */
static inline void
iot_test_exchange(GIOStream *a, GIOStream *b)
{
	g_autofree gchar *at_b = NULL;
	g_autofree gchar *at_a = NULL;

	iot_test_stream_write(a, "ping from a");
	at_b = iot_test_stream_read(b, strlen("ping from a"));
	g_assert_cmpstr(at_b, ==, "ping from a");
	iot_test_stream_write(b, "pong from b");
	at_a = iot_test_stream_read(a, strlen("pong from b"));
	g_assert_cmpstr(at_a, ==, "pong from b");
}

G_END_DECLS
