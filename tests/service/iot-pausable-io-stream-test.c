/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <libsoup/soup.h>
#include <sys/socket.h>

#include "iot-test-wait.h"

/* two connected stream sockets, as GIOStreams */
typedef struct {
	GIOStream *near;
	GIOStream *far;
	IotPausableIOStream *stream; /* wraps @near */
} Fixture;

static GIOStream *
iot_pausable_test_stream_for_fd(int fd)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = g_socket_new_from_fd(fd, &error);
	g_assert_no_error(error);
	return G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
}

static void
iot_pausable_test_setup(Fixture *fixture, gconstpointer user_data)
{
	int fds[2];
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	fixture->near = iot_pausable_test_stream_for_fd(fds[0]);
	fixture->far = iot_pausable_test_stream_for_fd(fds[1]);
	fixture->stream = iot_pausable_io_stream_new(fixture->near);
}

static void
iot_pausable_test_teardown(Fixture *fixture, gconstpointer user_data)
{
	g_clear_object(&fixture->stream);
	g_clear_object(&fixture->near);
	g_clear_object(&fixture->far);
}

static void
iot_pausable_test_write_far(Fixture *fixture, const gchar *text)
{
	g_autoptr(GError) error = NULL;
	g_output_stream_write_all(g_io_stream_get_output_stream(fixture->far),
				  text,
				  strlen(text),
				  NULL,
				  NULL,
				  &error);
	g_assert_no_error(error);
}

static gboolean
iot_pausable_test_count_cb(GObject *stream, gpointer user_data)
{
	guint *fired = user_data;
	(*fired)++;
	return G_SOURCE_REMOVE;
}

static void
iot_pausable_test_pause(Fixture *fixture, gconstpointer user_data)
{
	GPollableInputStream *input =
	    G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(fixture->stream)));
	g_autoptr(GSource) source = NULL;
	g_autoptr(GError) error = NULL;
	guint fired = 0;
	gchar buffer[32] = {0};
	gssize n;

	g_assert_true(g_pollable_input_stream_can_poll(input));
	iot_pausable_test_write_far(fixture, "hello");
	IOT_TEST_WAIT_UNTIL_MS(g_pollable_input_stream_is_readable(input), 5000);

	iot_pausable_io_stream_set_read_paused(fixture->stream, TRUE);
	g_assert_true(iot_pausable_io_stream_get_read_paused(fixture->stream));
	g_assert_false(g_pollable_input_stream_is_readable(input));
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_cmpint(n, ==, -1);
	g_clear_error(&error);

	/* a source made while paused stays quiet although data waits */
	source = g_pollable_input_stream_create_source(input, NULL);
	g_source_set_callback(source, G_SOURCE_FUNC(iot_pausable_test_count_cb), &fired, NULL);
	g_source_attach(source, NULL);
	iot_test_run_for(200);
	g_assert_cmpuint(fired, ==, 0);

	/* resuming wakes it */
	iot_pausable_io_stream_set_read_paused(fixture->stream, FALSE);
	IOT_TEST_WAIT_UNTIL_MS(fired == 1, 5000);
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 5);
	g_assert_cmpstr(buffer, ==, "hello");
	g_assert_cmpuint(iot_pausable_io_stream_get_bytes_read(fixture->stream), ==, 5);

	/* and fires once only */
	iot_test_run_for(100);
	g_assert_cmpuint(fired, ==, 1);
}

typedef struct {
	gsize accept;
	GString *seen;
} IotReadFuncData;

static gsize
iot_pausable_test_read_func(IotPausableIOStream *stream,
			    const guint8 *data,
			    gsize len,
			    gpointer user_data)
{
	IotReadFuncData *rf = user_data;
	g_string_append_len(rf->seen, (const gchar *)data, len);
	g_string_append_c(rf->seen, '|');
	return MIN(len, rf->accept);
}

static void
iot_pausable_test_read_func_holds_back(Fixture *fixture, gconstpointer user_data)
{
	GPollableInputStream *input =
	    G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(fixture->stream)));
	IotReadFuncData rf = {3, g_string_new(NULL)};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSource) source = NULL;
	gchar buffer[32] = {0};
	guint fired = 0;
	gssize n;

	iot_pausable_io_stream_set_read_func(fixture->stream,
					     iot_pausable_test_read_func,
					     &rf,
					     NULL);
	iot_pausable_test_write_far(fixture, "hello world");
	IOT_TEST_WAIT_UNTIL_MS(g_pollable_input_stream_is_readable(input), 5000);
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 3);
	g_assert_cmpmem(buffer, 3, "hel", 3);
	g_assert_true(iot_pausable_io_stream_get_read_paused(fixture->stream));

	/* held bytes come first once resumed, through the read func again */
	rf.accept = G_MAXSIZE;
	source = g_pollable_input_stream_create_source(input, NULL);
	g_source_set_callback(source, G_SOURCE_FUNC(iot_pausable_test_count_cb), &fired, NULL);
	g_source_attach(source, NULL);
	iot_pausable_io_stream_set_read_paused(fixture->stream, FALSE);
	IOT_TEST_WAIT_UNTIL_MS(fired == 1, 5000);
	g_assert_true(g_pollable_input_stream_is_readable(input));
	memset(buffer, 0, sizeof(buffer));
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 8);
	g_assert_cmpstr(buffer, ==, "lo world");
	g_assert_cmpstr(rf.seen->str, ==, "hello world|lo world|");
	g_assert_cmpuint(iot_pausable_io_stream_get_bytes_read(fixture->stream), ==, 11);

	/* a func that takes nothing makes the read would-block */
	rf.accept = 0;
	iot_pausable_test_write_far(fixture, "x");
	IOT_TEST_WAIT_UNTIL_MS(g_pollable_input_stream_is_readable(input), 5000);
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_cmpint(n, ==, -1);
	g_assert_true(iot_pausable_io_stream_get_read_paused(fixture->stream));
	iot_pausable_io_stream_set_read_func(fixture->stream, NULL, NULL, NULL);
	g_string_free(rf.seen, TRUE);
}

static void
iot_pausable_test_written_cb(IotPausableIOStream *stream, guint64 count, gpointer user_data)
{
	guint64 *total = user_data;
	*total += count;
}

static void
iot_pausable_test_written(Fixture *fixture, gconstpointer user_data)
{
	GPollableOutputStream *output =
	    G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(fixture->stream)));
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *block = g_malloc0(64 * 1024);
	guint64 signalled = 0;
	guint64 total = 0;
	gchar buffer[16] = {0};
	gssize n;

	g_signal_connect(fixture->stream,
			 "written",
			 G_CALLBACK(iot_pausable_test_written_cb),
			 &signalled);
	g_assert_true(g_pollable_output_stream_can_poll(output));
	n = g_pollable_output_stream_write_nonblocking(output, "abc", 3, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 3);
	g_input_stream_read(g_io_stream_get_input_stream(fixture->far),
			    buffer,
			    sizeof(buffer),
			    NULL,
			    &error);
	g_assert_no_error(error);
	g_assert_cmpstr(buffer, ==, "abc");

	/* fill the socket: a write that would block counts nothing */
	total = 3;
	for (;;) {
		n = g_pollable_output_stream_write_nonblocking(output,
							       block,
							       64 * 1024,
							       NULL,
							       &error);
		if (n < 0)
			break;
		total += n;
	}
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_false(g_pollable_output_stream_is_writable(output));
	g_assert_cmpuint(iot_pausable_io_stream_get_bytes_written(fixture->stream), ==, total);
	g_assert_cmpuint(signalled, ==, total);
}

static void
iot_pausable_test_close(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	gchar buffer[4];
	gssize n;

	g_assert_true(g_io_stream_close(G_IO_STREAM(fixture->stream), NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_io_stream_is_closed(fixture->near));
	n = g_input_stream_read(g_io_stream_get_input_stream(fixture->far),
				buffer,
				sizeof(buffer),
				NULL,
				&error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 0);
}

static void
iot_pausable_test_message_cb(SoupWebsocketConnection *ws,
			     gint type,
			     GBytes *message,
			     gpointer user_data)
{
	guint *received = user_data;
	(*received)++;
}

/* the use it exists for: a SoupWebsocketConnection that stops reading */
static void
iot_pausable_test_websocket(Fixture *fixture, gconstpointer user_data)
{
	g_autoptr(GUri) uri = g_uri_parse("ws://127.0.0.1/tunnel", G_URI_FLAGS_NONE, NULL);
	g_autoptr(SoupWebsocketConnection) server = NULL;
	g_autoptr(SoupWebsocketConnection) client = NULL;
	guint received = 0;

	server = soup_websocket_connection_new(G_IO_STREAM(fixture->stream),
					       uri,
					       SOUP_WEBSOCKET_CONNECTION_SERVER,
					       NULL,
					       NULL,
					       NULL);
	client = soup_websocket_connection_new(fixture->far,
					       uri,
					       SOUP_WEBSOCKET_CONNECTION_CLIENT,
					       NULL,
					       NULL,
					       NULL);
	g_signal_connect(server, "message", G_CALLBACK(iot_pausable_test_message_cb), &received);

	soup_websocket_connection_send_binary(client, "one", 3);
	IOT_TEST_WAIT_UNTIL_MS(received == 1, 5000);

	iot_pausable_io_stream_set_read_paused(fixture->stream, TRUE);
	for (guint i = 0; i < 10; i++)
		soup_websocket_connection_send_binary(client, "more", 4);
	iot_test_run_for(200);
	g_assert_cmpuint(received, ==, 1);

	iot_pausable_io_stream_set_read_paused(fixture->stream, FALSE);
	IOT_TEST_WAIT_UNTIL_MS(received == 11, 5000);

	soup_websocket_connection_close(client, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	IOT_TEST_WAIT_UNTIL_MS(soup_websocket_connection_get_state(server) ==
				   SOUP_WEBSOCKET_STATE_CLOSED,
			       10000);
	IOT_TEST_WAIT_UNTIL_MS(soup_websocket_connection_get_state(client) ==
				   SOUP_WEBSOCKET_STATE_CLOSED,
			       10000);
}

/*
 * A reader taking 1 KiB at a time (libsoup) gets it from one larger read of
 * the base; a chunk the read func turns down in part is read again from the
 * exact byte.
 */
static void
iot_pausable_test_read_ahead(Fixture *fixture, gconstpointer user_data)
{
	GPollableInputStream *input =
	    G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(fixture->stream)));
	GSocket *near = g_socket_connection_get_socket(G_SOCKET_CONNECTION(fixture->near));
	IotReadFuncData rf = {G_MAXSIZE, g_string_new(NULL)};
	g_autoptr(GString) sent = g_string_new(NULL);
	g_autoptr(GString) got = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gchar buffer[1024];
	gssize n;

	iot_pausable_io_stream_set_read_func(fixture->stream,
					     iot_pausable_test_read_func,
					     &rf,
					     NULL);
	for (guint i = 0; i < 10000; i++)
		g_string_append_c(sent, (gchar)('a' + i % 26));
	iot_pausable_test_write_far(fixture, sent->str);
	IOT_TEST_WAIT_UNTIL_MS(g_socket_get_available_bytes(near) == (gssize)sent->len, 5000);

	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, sizeof(buffer));
	g_string_append_len(got, buffer, n);
	g_assert_cmpint(g_socket_get_available_bytes(near), ==, 0);

	/* the read func takes 500 of the next 1024: reading pauses there */
	rf.accept = 500;
	n = g_pollable_input_stream_read_nonblocking(input, buffer, sizeof(buffer), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(n, ==, 500);
	g_string_append_len(got, buffer, n);
	g_assert_true(iot_pausable_io_stream_get_read_paused(fixture->stream));
	g_assert_cmpuint(iot_pausable_io_stream_get_bytes_read(fixture->stream), ==, 1524);

	rf.accept = G_MAXSIZE;
	iot_pausable_io_stream_set_read_paused(fixture->stream, FALSE);
	while ((n = g_pollable_input_stream_read_nonblocking(input,
							     buffer,
							     sizeof(buffer),
							     NULL,
							     &error)) > 0)
		g_string_append_len(got, buffer, n);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_cmpstr(got->str, ==, sent->str);
	g_assert_cmpuint(iot_pausable_io_stream_get_bytes_read(fixture->stream), ==, sent->len);
	g_string_free(rf.seen, TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* GLib and libsoup debug lines drown the test's own unless asked for */
	if (!g_test_verbose())
		g_log_set_debug_enabled(FALSE);
	g_test_add("/iotunnel/pausable-io-stream/pause",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_pause,
		   iot_pausable_test_teardown);
	g_test_add("/iotunnel/pausable-io-stream/read-func-holds-back",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_read_func_holds_back,
		   iot_pausable_test_teardown);
	g_test_add("/iotunnel/pausable-io-stream/read-ahead",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_read_ahead,
		   iot_pausable_test_teardown);
	g_test_add("/iotunnel/pausable-io-stream/written",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_written,
		   iot_pausable_test_teardown);
	g_test_add("/iotunnel/pausable-io-stream/close",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_close,
		   iot_pausable_test_teardown);
	g_test_add("/iotunnel/pausable-io-stream/websocket",
		   Fixture,
		   NULL,
		   iot_pausable_test_setup,
		   iot_pausable_test_websocket,
		   iot_pausable_test_teardown);
	return g_test_run();
}
