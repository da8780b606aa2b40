/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-codec-test-common.h"

typedef struct {
	guint n_data;
	guint n_closed;
	gboolean closed_with_error;
} TableEvents;

static void
data_cb(IotStreamLink *link, GBytes *bytes, gpointer user_data)
{
	TableEvents *events = user_data;
	events->n_data++;
}

static void
closed_cb(IotStreamLink *link, const GError *error, gpointer user_data)
{
	TableEvents *events = user_data;
	events->n_closed++;
	events->closed_with_error = error != NULL;
}

static IotStreamTable *
new_table(TableEvents *events)
{
	return iot_stream_table_new(data_cb, closed_cb, events);
}

static void
test_stream_ids(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);

	/* one count per service, and one for streams that name none */
	g_assert_cmpint(iot_stream_table_take_stream_id(table, NULL), ==, 1);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, NULL), ==, 2);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, "SSH1"), ==, 1);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, "HTTP1"), ==, 1);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, "SSH1"), ==, 2);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, ""), ==, 1);
	g_assert_cmpint(iot_stream_table_take_stream_id(table, NULL), ==, 3);
}

static void
test_connection_ids(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);

	g_assert_cmpuint(iot_stream_table_take_connection_id(table, "SSH1"), ==, 0);
	iot_stream_table_open_stream(table, "SSH1", 1, "SSH1", TRUE);
	g_assert_cmpuint(iot_stream_table_take_connection_id(table, "SSH1"), ==, 1);
	iot_stream_table_add_link(table, "SSH1", 1);
	/* a peer may pick its own IDs: ours skip those in use */
	iot_stream_table_add_link(table, "SSH1", 2);
	g_assert_cmpuint(iot_stream_table_take_connection_id(table, "SSH1"), ==, 3);
	g_assert_cmpuint(iot_stream_table_get_n_links(table, "SSH1"), ==, 2);
	g_assert_cmpuint(iot_stream_table_get_n_links(table, "HTTP1"), ==, 0);

	/* a new stream counts from 1 again, and the old links went with the old stream */
	iot_stream_table_open_stream(table, "SSH1", 2, "SSH1", TRUE);
	g_assert_cmpuint(iot_stream_table_get_n_links(table, "SSH1"), ==, 0);
	g_assert_cmpuint(iot_stream_table_take_connection_id(table, "SSH1"), ==, 1);
	g_assert_cmpuint(iot_stream_table_get_n_streams(table), ==, 1);
	iot_stream_table_end_stream(table, "SSH1", IOT_STREAM_END_ABORT);
	g_assert_cmpuint(iot_stream_table_get_n_streams(table), ==, 0);
	g_assert_cmpint(iot_stream_table_get_stream_id(table, "SSH1"), ==, 0);
}

static void
test_service_mapping(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	const gchar *const named[] = {"HTTP1", "SSH1", NULL};
	const gchar *const one[] = {"SSH1", NULL};
	const gchar *const unnamed[] = {"", NULL};
	const gchar *const none[] = {NULL};

	g_assert_null(iot_stream_table_to_local_service_id(table, "SSH1"));

	iot_stream_table_set_service_ids(table, named);
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, "SSH1"), ==, "SSH1");
	g_assert_null(iot_stream_table_to_local_service_id(table, "RDP1"));
	g_assert_null(iot_stream_table_to_local_service_id(table, NULL));
	g_assert_cmpstr(iot_stream_table_to_wire_service_id(table, "HTTP1"), ==, "HTTP1");

	/* no serviceId means the only configured service */
	iot_stream_table_set_service_ids(table, one);
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, NULL), ==, "SSH1");
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, ""), ==, "SSH1");
	g_assert_null(iot_stream_table_to_local_service_id(table, "HTTP1"));

	/* the unnamed mapping serves whatever one service the tunnel has */
	iot_stream_table_set_service_ids(table, unnamed);
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, "SSH1"), ==, "");
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, NULL), ==, "");
	g_assert_false(iot_stream_table_get_announced(table));
	g_assert_cmpstr(iot_stream_table_to_wire_service_id(table, ""), ==, "");
	iot_stream_table_set_announced_service_ids(table, one);
	g_assert_true(iot_stream_table_get_announced(table));
	g_assert_cmpstr(iot_stream_table_to_wire_service_id(table, ""), ==, "SSH1");
	iot_stream_table_set_announced_service_ids(table, none);
	g_assert_true(iot_stream_table_get_announced(table));
	g_assert_cmpstr(iot_stream_table_to_wire_service_id(table, ""), ==, "");

	/* of several services, it cannot tell which: it serves streams that name none */
	iot_stream_table_set_announced_service_ids(table, named);
	g_assert_cmpstr(iot_stream_table_to_wire_service_id(table, ""), ==, "");
	g_assert_cmpstr(iot_stream_table_to_local_service_id(table, NULL), ==, "");
	g_assert_null(iot_stream_table_to_local_service_id(table, "SSH1"));
	g_assert_null(iot_stream_table_to_local_service_id(table, "HTTP1"));
	iot_stream_table_set_announced_service_ids(table, NULL);
	g_assert_false(iot_stream_table_get_announced(table));
}

static void
test_link_lifetime(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	g_autoptr(GSocketConnection) local = NULL;
	g_autoptr(GSocketConnection) remote = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autoptr(IotTestApp) app = NULL;
	g_autoptr(GBytes) hello = g_bytes_new_static("hello", 5);
	g_autoptr(IotStreamLink) link = NULL;

	iot_stream_table_open_stream(table, "", 7, NULL, FALSE);
	link = iot_stream_link_ref(iot_stream_table_add_link(table, "", 1));
	g_assert_true(iot_stream_table_lookup_link(table, "", 1) == link);
	g_assert_null(iot_stream_table_lookup_link(table, "", 2));
	g_assert_cmpint(iot_stream_link_get_stream_id(link), ==, 7);
	g_assert_cmpstr(iot_stream_link_get_service_id(link), ==, "");
	g_assert_true(iot_stream_link_get_user_data(link) == &events);

	/* while connecting, bytes wait in the link */
	g_assert_null(iot_stream_link_get_connection(link));
	iot_stream_link_write(link, hello);
	iot_stream_link_write(link, hello);
	g_assert_cmpuint(iot_stream_link_get_pending(link), ==, 10);

	iot_test_tcp_pair(&local, &remote);
	connection = iot_connection_new(G_IO_STREAM(local), "table-test");
	app = iot_test_app_new(remote, FALSE);
	g_assert_true(iot_stream_link_attach(link, connection));
	g_assert_true(iot_stream_link_get_connection(link) == connection);
	g_assert_cmpuint(iot_stream_link_get_pending(link), ==, 0);
	iot_test_wait_received(app, "hellohello");

	/* the connection's events reach the table's functions */
	iot_test_app_send_string(app, "x");
	IOT_TEST_WAIT_UNTIL(events.n_data == 1);
	iot_test_app_abort(app);
	IOT_TEST_WAIT_UNTIL(events.n_closed == 1);
	g_assert_true(events.closed_with_error);

	/* the link stays until the codec ends it; then it is gone for good */
	g_assert_false(iot_stream_link_is_ended(link));
	iot_stream_table_end_link(table, link, IOT_STREAM_END_CLOSE);
	g_assert_true(iot_stream_link_is_ended(link));
	g_assert_null(iot_stream_link_get_user_data(link));
	g_assert_null(iot_stream_table_lookup_link(table, "", 1));
	g_assert_cmpint(iot_stream_table_get_stream_id(table, ""), ==, 7);
	iot_stream_table_end_link(table, link, IOT_STREAM_END_ABORT);
}

static void
gone_cb(gpointer data, GObject *where_the_object_was)
{
	gboolean *gone = data;
	*gone = TRUE;
}

/*
 * A link closed while its app still has the socket open: the connection
 * flushes and waits for the app's end, and goes away as soon as it comes,
 * not when some later connection closes.
 */
static void
test_closing_released(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	g_autoptr(GSocketConnection) local = NULL;
	g_autoptr(GSocketConnection) remote = NULL;
	g_autoptr(IotTestApp) app = NULL;
	g_autoptr(GBytes) bye = g_bytes_new_static("bye", 3);
	IotConnection *connection;
	IotStreamLink *link;
	gboolean gone = FALSE;

	iot_stream_table_open_stream(table, "", 3, NULL, FALSE);
	link = iot_stream_table_add_link(table, "", 1);
	iot_test_tcp_pair(&local, &remote);
	connection = iot_connection_new(G_IO_STREAM(local), "closing");
	g_object_weak_ref(G_OBJECT(connection), gone_cb, &gone);
	app = iot_test_app_new(remote, FALSE);
	g_assert_true(iot_stream_link_attach(link, connection));
	g_object_unref(connection);
	iot_stream_link_write(link, bye);

	iot_stream_table_end_link(table, link, IOT_STREAM_END_CLOSE);
	iot_test_wait_received(app, "bye");
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_eof(app));
	iot_test_settle();
	g_assert_false(gone);

	iot_test_app_close(app);
	IOT_TEST_WAIT_UNTIL(gone);
	g_assert_cmpuint(events.n_closed, ==, 0);
}

static void
test_held(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	g_autoptr(GSocketConnection) local = NULL;
	g_autoptr(GSocketConnection) remote = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autoptr(IotTestApp) app = NULL;

	iot_test_tcp_pair(&local, &remote);
	connection = iot_connection_new(G_IO_STREAM(local), "held");
	app = iot_test_app_new(remote, FALSE);
	iot_stream_table_hold(table, "SSH1", connection);
	iot_stream_table_hold(table, "HTTP1", connection);
	g_assert_cmpuint(iot_stream_table_get_n_held(table), ==, 2);

	/* ending everything cuts what is held */
	iot_stream_table_end_all(table, IOT_STREAM_END_ABORT);
	g_assert_cmpuint(iot_stream_table_get_n_held(table), ==, 0);
	IOT_TEST_WAIT_UNTIL(iot_test_app_get_ended(app));
	g_assert_true(iot_test_app_get_reset(app));
}

static void
test_format(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	g_autoptr(IotMessage) named =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, "SSH1", 0, NULL);
	g_autoptr(IotMessage) unnamed =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 1, NULL, 0, NULL);
	g_autoptr(GError) error = NULL;

	/* the first stream message sets the session's format, the others keep to it */
	g_assert_true(iot_stream_table_check_format(table, named, NULL));
	g_assert_true(iot_stream_table_check_format(table, named, NULL));
	g_assert_false(iot_stream_table_check_format(table, unnamed, &error));
	g_assert_error(error, IOT_CODEC_ERROR, IOT_CODEC_ERROR_PROTOCOL);

	/* a stopped session forgets it */
	iot_stream_table_stop_session(table);
	g_assert_true(iot_stream_table_check_format(table, unnamed, NULL));
	g_assert_false(iot_stream_table_check_format(table, named, NULL));
}

static void
test_stream_end(void)
{
	TableEvents events = {0};
	g_autoptr(IotStreamTable) table = new_table(&events);
	g_autoptr(IotMessage) data =
	    iot_message_new_full(IOT_MESSAGE_TYPE_DATA, 2, "SSH1", 0, NULL);
	g_autoptr(IotMessage) stale =
	    iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_RESET, 1, "SSH1", 0, NULL);
	g_autoptr(IotMessage) reset =
	    iot_message_new_full(IOT_MESSAGE_TYPE_STREAM_RESET, 2, "SSH1", 0, NULL);

	iot_stream_table_open_stream(table, "SSH1", 2, "SSH1", FALSE);
	/* DATA for the active stream is the codec's; anything for another is dropped */
	g_assert_false(iot_stream_table_receive_stream_end(table, "SSH1", data));
	g_assert_true(iot_stream_table_receive_stream_end(table, "SSH1", stale));
	g_assert_cmpint(iot_stream_table_get_stream_id(table, "SSH1"), ==, 2);
	g_assert_true(iot_stream_table_receive_stream_end(table, "HTTP1", data));

	/* STREAM_RESET for the active stream ends it */
	g_assert_true(iot_stream_table_receive_stream_end(table, "SSH1", reset));
	g_assert_cmpint(iot_stream_table_get_stream_id(table, "SSH1"), ==, 0);
	g_assert_true(iot_stream_table_receive_stream_end(table, "SSH1", data));
}

int
main(int argc, char **argv)
{
	iot_test_init(&argc, &argv);
	g_test_add_func("/iotunnel/stream-table/stream-ids", test_stream_ids);
	g_test_add_func("/iotunnel/stream-table/connection-ids", test_connection_ids);
	g_test_add_func("/iotunnel/stream-table/service-mapping", test_service_mapping);
	g_test_add_func("/iotunnel/stream-table/link-lifetime", test_link_lifetime);
	g_test_add_func("/iotunnel/stream-table/closing-released", test_closing_released);
	g_test_add_func("/iotunnel/stream-table/held", test_held);
	g_test_add_func("/iotunnel/stream-table/format", test_format);
	g_test_add_func("/iotunnel/stream-table/stream-end", test_stream_end);
	return g_test_run();
}
