/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include "iot-endpoint-test-common.h"
#include "iot-tcp-endpoint.h"

static void
test_count_cb(GObject *object, GParamSpec *pspec, gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
}

static gboolean
test_have_ipv6_loopback(void)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);

	socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	return socket != NULL && g_socket_bind(socket, address, FALSE, NULL);
}

static IotEndpoint *
test_endpoint_new(const gchar *json)
{
	g_autoptr(IotEndpoint) endpoint = iot_tcp_endpoint_new();
	g_autoptr(JsonObject) settings = iot_test_settings_new(json);
	g_autoptr(GError) error = NULL;

	g_assert_true(iot_endpoint_configure(endpoint, settings, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&endpoint);
}

/* a port nothing listens on: bound once by us, then released */
static guint16
test_closed_port(void)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;

	socket =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_socket_bind(socket, address, FALSE, &error);
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

/* the test's own local app: a real listener collecting what it accepts */
typedef struct {
	GSocketService *service;
	GPtrArray *accepted; /* of GSocketConnection */
	guint16 port;
} TestServer;

static gboolean
test_server_incoming_cb(GSocketService *service,
			GSocketConnection *connection,
			GObject *source_object,
			gpointer user_data)
{
	TestServer *server = user_data;
	g_ptr_array_add(server->accepted, g_object_ref(connection));
	return TRUE;
}

static TestServer *
test_server_new(GSocketFamily family, guint16 port)
{
	TestServer *server = g_new0(TestServer, 1);
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(family);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(loopback, port);
	g_autoptr(GSocketAddress) effective = NULL;
	g_autoptr(GError) error = NULL;

	server->service = g_socket_service_new();
	server->accepted = g_ptr_array_new_with_free_func(g_object_unref);
	g_socket_listener_add_address(G_SOCKET_LISTENER(server->service),
				      address,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      NULL,
				      &effective,
				      &error);
	g_assert_no_error(error);
	server->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	g_signal_connect(server->service, "incoming", G_CALLBACK(test_server_incoming_cb), server);
	g_socket_service_start(server->service);
	return server;
}

static void
test_server_free(TestServer *server)
{
	g_socket_service_stop(server->service);
	g_socket_listener_close(G_SOCKET_LISTENER(server->service));
	g_object_unref(server->service);
	g_ptr_array_unref(server->accepted);
	g_free(server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestServer, test_server_free)

/* a plain client of the endpoint's listener */
static GIOStream *
test_client_connect(const gchar *host, guint16 port)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(host);
	g_autoptr(GSocketAddress) address = g_inet_socket_address_new(inet, port);
	g_autoptr(GError) error = NULL;
	GSocketConnection *connection;

	g_socket_client_set_enable_proxy(client, FALSE);
	connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);
	g_assert_no_error(error);
	return G_IO_STREAM(connection);
}

static gboolean
test_stream_has_nodelay(GIOStream *stream)
{
	GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(stream));
	g_autoptr(GError) error = NULL;
	gint value = 0;

	g_assert_true(g_socket_get_option(socket, IPPROTO_TCP, TCP_NODELAY, &value, &error));
	g_assert_no_error(error);
	return value != 0;
}

static gchar *
test_stream_remote_host(GIOStream *stream)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) address =
	    g_socket_connection_get_remote_address(G_SOCKET_CONNECTION(stream), &error);
	g_assert_no_error(error);
	return g_inet_address_to_string(
	    g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
}

/* the port of "host:port" or "[v6]:port" */
static guint16
test_address_port(const gchar *address)
{
	const gchar *colon = strrchr(address, ':');
	g_assert_nonnull(colon);
	return (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
}

typedef struct {
	const gchar *json;
	const gchar *description; /* describe() before listening */
} GoodCase;

static const GoodCase good_cases[] = {
    {"{\"endpoint\": \"tcp\", \"address\": \"22\"}", "127.0.0.1:22"},
    {"{\"address\": \"localhost:22\"}", "localhost:22"},
    {"{\"address\": \"10.1.2.3:8080\"}", "10.1.2.3:8080"},
    {"{\"address\": \"[::1]:22\"}", "[::1]:22"},
    {"{\"address\": \"[fe80::1:2]:65535\"}", "[fe80::1:2]:65535"},
    {"{\"address\": \"ssh.example.com:2222\", \"retry_count\": 0, \"retry_delay_ms\": 0}",
     "ssh.example.com:2222"},
    {"{\"address\": \"0\", \"bind\": \"::1\"}", "127.0.0.1:0"},
    {"{\"address\": \"0\", \"bind\": \"[::1]\"}", "127.0.0.1:0"},
    {"{\"address\": \"5555\", \"bind\": \"0.0.0.0\"}", "127.0.0.1:5555"},
};

static void
test_tcp_settings_good(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(good_cases); i++) {
		g_autoptr(IotEndpoint) endpoint = test_endpoint_new(good_cases[i].json);
		g_autofree gchar *description = iot_endpoint_describe(endpoint);
		g_assert_cmpstr(description, ==, good_cases[i].description);
	}
}

typedef struct {
	const gchar *name;
	const gchar *json;
	const gchar *message; /* what the error message must say, as a glob */
} BadCase;

static const BadCase bad_cases[] = {
    {"missing", "{\"endpoint\": \"tcp\"}", "address is missing: expected \"PORT\"*"},
    {"empty", "{\"address\": \"\"}", "address must not be empty"},
    {"not-a-string", "{\"address\": 22}", "address must be a string"},
    {"no-port",
     "{\"address\": \"localhost\"}",
     "address \"localhost\" is not valid: it has no port*"},
    {"empty-host", "{\"address\": \":22\"}", "address \":22\" is not valid: \"\" is not a host*"},
    {"empty-port", "{\"address\": \"host:\"}", "*\"\" is not a port from 0 to 65535"},
    {"port-too-big", "{\"address\": \"host:65536\"}", "*\"65536\" is not a port from 0 to 65535"},
    {"port-negative", "{\"address\": \"host:-1\"}", "*\"-1\" is not a port*"},
    {"port-junk", "{\"address\": \"host:22x\"}", "*\"22x\" is not a port*"},
    {"port-only-too-big", "{\"address\": \"99999\"}", "*the port must be from 0 to 65535"},
    {"port-only-long", "{\"address\": \"000022\"}", "*the port must be from 0 to 65535"},
    {"bare-ipv6", "{\"address\": \"::1:22\"}", "*write an IPv6 address between brackets*"},
    {"bracket-no-port", "{\"address\": \"[::1]\"}", "address \"[::1]\" is not valid: expected*"},
    {"bracket-no-colon", "{\"address\": \"[::1]22\"}", "*expected \"PORT\", \"HOST:PORT\"*"},
    {"bracket-unclosed", "{\"address\": \"[::1:22\"}", "*expected \"PORT\"*"},
    {"bracket-not-ipv6", "{\"address\": \"[zz]:22\"}", "*\"zz\" between brackets is not an IPv6*"},
    {"bracket-ipv4", "{\"address\": \"[127.0.0.1]:22\"}", "*between brackets is not an IPv6*"},
    {"host-space", "{\"address\": \"my host:22\"}", "*\"my host\" is not a host name*"},
    {"host-slash", "{\"address\": \"/tmp/x:22\"}", "*is not a host name*"},
    {"bind-port",
     "{\"address\": \"22\", \"bind\": \"127.0.0.1:22\"}",
     "bind \"127.0.0.1:22\" is not valid*"},
    {"bind-bracket-port",
     "{\"address\": \"22\", \"bind\": \"[::1]:22\"}",
     "bind \"[::1]:22\" is not valid*"},
    {"bind-empty", "{\"address\": \"22\", \"bind\": \"\"}", "bind must not be empty"},
    {"retry-negative",
     "{\"address\": \"22\", \"retry_count\": -1}",
     "retry_count is -1: expected an integer from 0 to 1000000"},
    {"retry-string",
     "{\"address\": \"22\", \"retry_count\": \"5\"}",
     "retry_count must be an integer*"},
    {"retry-float",
     "{\"address\": \"22\", \"retry_delay_ms\": 1.5}",
     "retry_delay_ms must be an integer*"},
    {"delay-too-big",
     "{\"address\": \"22\", \"retry_delay_ms\": 3600001}",
     "retry_delay_ms is 3600001*"},
    {"unknown-key",
     "{\"address\": \"22\", \"adress\": \"23\"}",
     "unknown setting \"adress\": the tcp endpoint takes address, bind, retry_count, "
     "retry_delay_ms"},
    {"unix-key", "{\"address\": \"22\", \"path\": \"/run/x\"}", "unknown setting \"path\"*"},
    {"other-endpoint",
     "{\"endpoint\": \"unix\", \"address\": \"22\"}",
     "endpoint must be \"tcp\" for this plugin"},
};

static void
test_tcp_settings_bad(gconstpointer user_data)
{
	const BadCase *bad = user_data;
	g_autoptr(IotEndpoint) endpoint = iot_tcp_endpoint_new();
	g_autoptr(JsonObject) settings = iot_test_settings_new(bad->json);
	g_autoptr(GError) error = NULL;

	g_assert_false(iot_endpoint_configure(endpoint, settings, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	iot_test_assert_message(error, bad->message);
}

static void
test_tcp_settings_reconfigure(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new("{\"address\": \"[::1]:22\"}");
	g_autoptr(JsonObject) bad = iot_test_settings_new("{\"address\": \"x\"}");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *description = NULL;

	/* a refused configuration leaves the previous one */
	g_assert_false(iot_endpoint_configure(endpoint, bad, &error));
	description = iot_endpoint_describe(endpoint);
	g_assert_cmpstr(description, ==, "[::1]:22");
}

/* listens with @json, then moves bytes both ways through a client of @host */
static void
test_tcp_listen_and_exchange(const gchar *json, const gchar *host, const gchar *local_host)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) client = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *description = NULL;
	g_autofree gchar *expected = NULL;
	guint16 port;

	g_signal_connect(endpoint, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);

	g_object_get(endpoint, "local-address", &address, NULL);
	g_assert_nonnull(address);
	g_assert_cmpstr(address,
			==,
			iot_tcp_endpoint_get_local_address(IOT_TCP_ENDPOINT(endpoint)));
	port = test_address_port(address);
	g_assert_cmpuint(port, >, 0);
	expected = g_strdup_printf("%s:%u", local_host, port);
	g_assert_cmpstr(address, ==, expected);
	description = iot_endpoint_describe(endpoint);
	g_assert_true(g_str_has_suffix(description, strrchr(address, ':')));

	client = test_client_connect(host, port);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	g_assert_true(G_IS_SOCKET_CONNECTION(g_ptr_array_index(incoming, 0)));
	g_assert_true(test_stream_has_nodelay(g_ptr_array_index(incoming, 0)));
	iot_test_exchange(client, g_ptr_array_index(incoming, 0));
}

static void
test_listen_async_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GError **error = user_data;
	if (!iot_endpoint_listen_finish(IOT_ENDPOINT(source), result, error))
		g_assert_nonnull(*error);
	else
		*error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_EXISTS, "listening");
}

/* the machine's own name, when it resolves to an IPv4 address: a host that needs a lookup */
static gchar *
test_own_name_ipv4(void)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	const gchar *name = g_get_host_name();
	GList *addresses =
	    g_resolver_lookup_by_name_with_flags(resolver,
						 name,
						 G_RESOLVER_NAME_LOOKUP_FLAGS_IPV4_ONLY,
						 NULL,
						 NULL);
	gchar *first = NULL;

	if (addresses != NULL)
		first = g_inet_address_to_string(addresses->data);
	g_resolver_free_addresses(addresses);
	return g_hostname_is_ip_address(name) ? NULL : first;
}

/* an endpoint on "NAME:0", NAME the machine's own; NULL, the test skipped, when it does not resolve
 */
static IotEndpoint *
test_endpoint_on_own_name(gchar **first)
{
	g_autofree gchar *json = NULL;

	*first = test_own_name_ipv4();
	if (*first == NULL) {
		g_test_skip("this machine's name does not resolve to an IPv4 address");
		return NULL;
	}
	json = g_strdup_printf("{\"address\": \"%s:0\"}", g_get_host_name());
	return test_endpoint_new(json);
}

/* a name is looked up while the main loop runs on; the endpoint then listens on it */
static void
test_tcp_listen_async_lookup(void)
{
	g_autofree gchar *first = NULL;
	g_autoptr(IotEndpoint) endpoint = test_endpoint_on_own_name(&first);
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GIOStream) client = NULL;
	g_autofree gchar *address = NULL;
	GError *done = NULL;

	if (endpoint == NULL)
		return;
	g_signal_connect(endpoint, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	iot_endpoint_listen_async(endpoint, NULL, test_listen_async_cb, &done);
	/* the lookup runs in the background: nothing listens before the loop has run */
	g_object_get(endpoint, "local-address", &address, NULL);
	g_assert_null(address);
	IOT_TEST_WAIT_UNTIL(done != NULL);
	g_assert_error(done, G_IO_ERROR, G_IO_ERROR_EXISTS);
	g_clear_error(&done);

	g_object_get(endpoint, "local-address", &address, NULL);
	g_assert_nonnull(address);
	client = test_client_connect(first, test_address_port(address));
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	iot_test_exchange(client, g_ptr_array_index(incoming, 0));
}

/* a listen cancelled during its lookup ends with G_IO_ERROR_CANCELLED and listens nowhere */
static void
test_tcp_listen_async_cancel(void)
{
	g_autofree gchar *first = NULL;
	g_autoptr(IotEndpoint) endpoint = test_endpoint_on_own_name(&first);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autofree gchar *address = NULL;
	GError *done = NULL;

	if (endpoint == NULL)
		return;
	iot_endpoint_listen_async(endpoint, cancellable, test_listen_async_cb, &done);
	g_cancellable_cancel(cancellable);
	IOT_TEST_WAIT_UNTIL(done != NULL);
	g_assert_error(done, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&done);
	g_object_get(endpoint, "local-address", &address, NULL);
	g_assert_null(address);
}

static void
test_tcp_listen_ipv4(void)
{
	test_tcp_listen_and_exchange("{\"endpoint\": \"tcp\", \"address\": \"127.0.0.1:0\"}",
				     "127.0.0.1",
				     "127.0.0.1");
}

static void
test_tcp_listen_ipv6(void)
{
	if (!test_have_ipv6_loopback()) {
		g_test_skip("this machine has no IPv6 loopback (::1)");
		return;
	}
	test_tcp_listen_and_exchange("{\"address\": \"[::1]:0\"}", "::1", "[::1]");
}

static void
test_tcp_listen_bind(void)
{
	test_tcp_listen_and_exchange("{\"address\": \"0\", \"bind\": \"127.0.0.1\"}",
				     "127.0.0.1",
				     "127.0.0.1");
}

static void
test_tcp_listen_localhost(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new("{\"address\": \"0\"}");
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) client4 = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *description = NULL;
	g_autofree gchar *expected = NULL;
	guint16 port;

	/* the reference's default: localhost, both loopbacks, one port */
	g_signal_connect(endpoint, "incoming", G_CALLBACK(iot_test_incoming_cb), incoming);
	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	g_object_get(endpoint, "local-address", &address, NULL);
	port = test_address_port(address);
	expected = g_strdup_printf("127.0.0.1:%u", port);
	g_assert_cmpstr(address, ==, expected);
	description = iot_endpoint_describe(endpoint);
	g_free(expected);
	expected = g_strdup_printf("localhost:%u", port);
	g_assert_cmpstr(description, ==, expected);

	client4 = test_client_connect("127.0.0.1", port);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	iot_test_exchange(client4, g_ptr_array_index(incoming, 0));
	if (test_have_ipv6_loopback()) {
		g_autoptr(GIOStream) client6 = test_client_connect("::1", port);
		IOT_TEST_WAIT_UNTIL(incoming->len == 2);
		iot_test_exchange(client6, g_ptr_array_index(incoming, 1));
	} else {
		g_test_message("no IPv6 loopback: only 127.0.0.1 checked");
	}
}

static void
test_tcp_listen_bind_conflict(void)
{
	g_autoptr(IotEndpoint) endpoint =
	    test_endpoint_new("{\"address\": \"127.0.0.1:0\", \"bind\": \"::1\"}");
	g_autoptr(GError) error = NULL;

	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_assert_cmpstr(error->message,
			==,
			"address names host 127.0.0.1 and bind names ::1: give the host to listen "
			"on in one of them");
}

static void
test_tcp_listen_in_use(void)
{
	g_autoptr(TestServer) server = test_server_new(G_SOCKET_FAMILY_IPV4, 0);
	g_autofree gchar *json =
	    g_strdup_printf("{\"address\": \"%u\", \"bind\": \"127.0.0.1\"}", server->port);
	g_autofree gchar *expected =
	    g_strdup_printf("cannot listen on 127.0.0.1:%u: *", server->port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = NULL;

	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	iot_test_assert_message(error, expected);
	g_object_get(endpoint, "local-address", &address, NULL);
	g_assert_null(address);
}

static void
test_tcp_listen_stop(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new("{\"address\": \"127.0.0.1:0\"}");
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = NULL;
	g_autofree gchar *local_address = NULL;
	guint n_notify = 0;

	g_signal_connect(endpoint, "notify::local-address", G_CALLBACK(test_count_cb), &n_notify);
	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(n_notify, ==, 1);

	/* a second listen is refused */
	g_assert_false(iot_endpoint_listen(endpoint, &error));
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_LISTEN);
	g_clear_error(&error);

	g_object_get(endpoint, "local-address", &local_address, NULL);
	address = g_inet_socket_address_new(loopback, test_address_port(local_address));
	iot_endpoint_stop(endpoint);
	iot_endpoint_stop(endpoint);
	g_assert_cmpuint(n_notify, ==, 2);
	g_assert_null(iot_tcp_endpoint_get_local_address(IOT_TCP_ENDPOINT(endpoint)));

	/* nobody listens any more */
	g_socket_client_set_enable_proxy(client, FALSE);
	connection = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(address), NULL, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	g_assert_null(connection);
	g_clear_error(&error);

	/* and it can listen again */
	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	g_assert_nonnull(iot_tcp_endpoint_get_local_address(IOT_TCP_ENDPOINT(endpoint)));
}

/* warnings logged while a test counts them */
static guint test_n_warnings = 0;

static GLogWriterOutput
test_counting_writer(GLogLevelFlags log_level,
		     const GLogField *fields,
		     gsize n_fields,
		     gpointer user_data)
{
	if (log_level & G_LOG_LEVEL_WARNING)
		test_n_warnings++;
	return iot_test_log_writer(log_level, fields, n_fields, user_data);
}

static void
test_incoming_keep_cb(IotEndpoint *endpoint, GIOStream *stream, gpointer user_data)
{
	g_ptr_array_add(user_data, g_object_ref(stream));
}

/*
 * Out of descriptors, a connection waits in the listen queue: the listener
 * neither spins nor writes a line per try, and takes the connection once
 * descriptors come back.
 */
static void
test_tcp_listen_out_of_descriptors(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new("{\"address\": \"127.0.0.1:0\"}");
	g_autoptr(GPtrArray) incoming = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GArray) spent = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnection) connection = NULL;
	struct rlimit saved;
	struct rlimit lowered;
	GLogLevelFlags always_fatal;
	gint fd;

	g_signal_connect(endpoint, "incoming", G_CALLBACK(test_incoming_keep_cb), incoming);
	g_assert_true(iot_endpoint_listen(endpoint, &error));
	g_assert_no_error(error);
	g_socket_client_set_enable_proxy(client, FALSE);
	connection = g_socket_client_connect_to_host(
	    client,
	    iot_tcp_endpoint_get_local_address(IOT_TCP_ENDPOINT(endpoint)),
	    0,
	    NULL,
	    &error);
	g_assert_no_error(error);

	/* every descriptor spent, under a limit lowered to make that quick */
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	lowered = saved;
	lowered.rlim_cur = MIN(saved.rlim_cur, 256);
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &lowered), ==, 0);
	while ((fd = dup(STDERR_FILENO)) >= 0)
		g_array_append_val(spent, fd);
	g_assert_cmpint(errno, ==, EMFILE);

	test_n_warnings = 0;
	/* those are warnings, fatal in tests */
	always_fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
	iot_test_run_for(1500);
	g_test_message("%u warnings while out of descriptors", test_n_warnings);
	g_assert_cmpuint(test_n_warnings, >=, 1);
	g_assert_cmpuint(test_n_warnings, <=, IOT_LOG_RATE_LIMIT_BURST);
	g_assert_cmpuint(incoming->len, ==, 0);

	for (guint i = 0; i < spent->len; i++)
		close(g_array_index(spent, gint, i));
	g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &saved), ==, 0);
	IOT_TEST_WAIT_UNTIL(incoming->len == 1);
	g_log_set_always_fatal(always_fatal);
}

static void
test_tcp_connect_ipv4(void)
{
	g_autoptr(TestServer) server = test_server_new(G_SOCKET_FAMILY_IPV4, 0);
	g_autofree gchar *json = g_strdup_printf("{\"address\": \"%u\"}", server->port);
	g_autofree gchar *expected = g_strdup_printf("127.0.0.1:%u", server->port);
	g_autofree gchar *description = NULL;
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	/* "PORT" alone is 127.0.0.1, as in the reference */
	description = iot_endpoint_describe(endpoint);
	g_assert_cmpstr(description, ==, expected);
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(G_IS_SOCKET_CONNECTION(stream));
	g_assert_true(test_stream_has_nodelay(stream));
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(server->accepted, 0));
}

static void
test_tcp_connect_ipv6(void)
{
	g_autoptr(TestServer) server = NULL;
	g_autofree gchar *json = NULL;
	g_autoptr(IotEndpoint) endpoint = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	if (!test_have_ipv6_loopback()) {
		g_test_skip("this machine has no IPv6 loopback (::1)");
		return;
	}
	server = test_server_new(G_SOCKET_FAMILY_IPV6, 0);
	json = g_strdup_printf("{\"address\": \"[::1]:%u\"}", server->port);
	endpoint = test_endpoint_new(json);
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(server->accepted, 0));
}

static void
test_tcp_connect_localhost(void)
{
	g_autoptr(TestServer) server = NULL;
	g_autofree gchar *json = NULL;
	g_autoptr(IotEndpoint) endpoint = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *peer = NULL;

	if (!test_have_ipv6_loopback()) {
		g_test_skip("this machine has no IPv6 loopback (::1)");
		return;
	}
	/* an app on ::1 only: localhost reaches it within one try, after 127.0.0.1 refuses */
	server = test_server_new(G_SOCKET_FAMILY_IPV6, 0);
	json = g_strdup_printf("{\"address\": \"localhost:%u\", \"retry_count\": 0}", server->port);
	endpoint = test_endpoint_new(json);
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	peer = test_stream_remote_host(stream);
	g_assert_cmpstr(peer, ==, "::1");
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(server->accepted, 0));
}

static void
test_tcp_connect_retries(void)
{
	guint16 port = test_closed_port();
	g_autofree gchar *json = g_strdup_printf(
	    "{\"address\": \"127.0.0.1:%u\", \"retry_count\": 3, \"retry_delay_ms\": 50}",
	    port);
	g_autofree gchar *expected =
	    g_strdup_printf("failed to connect to 127.0.0.1:%u after 4 tries: *refused*", port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	gint64 start = g_get_monotonic_time();

	iot_test_n_logged_retries = 0;
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_null(stream);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_CONNECT);
	iot_test_assert_message(error, expected);
	/* each failed try but the last is logged, and followed by the delay */
	g_assert_cmpuint(iot_test_n_logged_retries, ==, 3);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 3 * 50 * 1000);
}

static void
test_tcp_connect_no_retry(void)
{
	guint16 port = test_closed_port();
	g_autofree gchar *json =
	    g_strdup_printf("{\"address\": \"%u\", \"retry_count\": 0, \"retry_delay_ms\": 60000}",
			    port);
	g_autofree gchar *expected =
	    g_strdup_printf("failed to connect to 127.0.0.1:%u after 1 try: *", port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;

	iot_test_n_logged_retries = 0;
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_CONNECT);
	iot_test_assert_message(error, expected);
	g_assert_cmpuint(iot_test_n_logged_retries, ==, 0);
}

static void
test_tcp_connect_late_app(void)
{
	guint16 port = test_closed_port();
	g_autofree gchar *json =
	    g_strdup_printf("{\"address\": \"%u\", \"retry_count\": 50, \"retry_delay_ms\": 50}",
			    port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(TestServer) server = NULL;
	g_autoptr(GError) error = NULL;
	IotTestAsync async = {NULL};
	g_autoptr(GIOStream) stream = NULL;

	/* the app comes up after the first try failed: a later try reaches it */
	iot_test_n_logged_retries = 0;
	iot_endpoint_connect_async(endpoint, NULL, iot_test_async_cb, &async);
	IOT_TEST_WAIT_UNTIL(iot_test_n_logged_retries >= 1);
	server = test_server_new(G_SOCKET_FAMILY_IPV4, port);
	IOT_TEST_WAIT_UNTIL(async.result != NULL);
	stream = iot_endpoint_connect_finish(endpoint, async.result, &error);
	g_object_unref(async.result);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	iot_test_exchange(stream, g_ptr_array_index(server->accepted, 0));
}

static void
test_tcp_connect_cancel(void)
{
	guint16 port = test_closed_port();
	g_autofree gchar *json = g_strdup_printf(
	    "{\"address\": \"%u\", \"retry_count\": 100, \"retry_delay_ms\": 60000}",
	    port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GCancellable) cancelled = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;
	IotTestAsync async = {NULL};
	gint64 start;

	/* cancelled during the minute-long wait between tries: ends at once */
	iot_test_n_logged_retries = 0;
	iot_endpoint_connect_async(endpoint, cancellable, iot_test_async_cb, &async);
	IOT_TEST_WAIT_UNTIL(iot_test_n_logged_retries == 1);
	start = g_get_monotonic_time();
	g_cancellable_cancel(cancellable);
	IOT_TEST_WAIT_UNTIL_MS(async.result != NULL, 2000);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
	stream = iot_endpoint_connect_finish(endpoint, async.result, &error);
	g_clear_object(&async.result);
	g_assert_null(stream);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&error);

	/* already cancelled: no try at all */
	g_cancellable_cancel(cancelled);
	stream = iot_test_endpoint_connect(endpoint, cancelled, &error);
	g_assert_null(stream);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_assert_cmpuint(iot_test_n_logged_retries, ==, 1);
}

static void
test_tcp_connect_bind(void)
{
	g_autoptr(TestServer) server = test_server_new(G_SOCKET_FAMILY_IPV4, 0);
	g_autofree gchar *json =
	    g_strdup_printf("{\"address\": \"127.0.0.1:%u\", \"bind\": \"127.0.0.2\"}",
			    server->port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *peer = NULL;

	/* the reference parses -b in destination mode and ignores it; we bind */
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	peer = test_stream_remote_host(g_ptr_array_index(server->accepted, 0));
	g_assert_cmpstr(peer, ==, "127.0.0.2");
	iot_test_exchange(stream, g_ptr_array_index(server->accepted, 0));
}

static void
test_tcp_connect_bind_localhost(void)
{
	g_autoptr(TestServer) server = test_server_new(G_SOCKET_FAMILY_IPV4, 0);
	g_autofree gchar *json =
	    g_strdup_printf("{\"address\": \"localhost:%u\", \"bind\": \"127.0.0.3\", "
			    "\"retry_count\": 0}",
			    server->port);
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(json);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *peer = NULL;

	/* bind applies to a destination given by name too */
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_no_error(error);
	IOT_TEST_WAIT_UNTIL(server->accepted->len == 1);
	peer = test_stream_remote_host(g_ptr_array_index(server->accepted, 0));
	g_assert_cmpstr(peer, ==, "127.0.0.3");
}

static void
test_tcp_connect_bind_family(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new(
	    "{\"address\": \"127.0.0.1:22\", \"bind\": \"::1\", \"retry_count\": 5, "
	    "\"retry_delay_ms\": 60000}");
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	/* no try can work: a settings error at once, without the retries */
	iot_test_n_logged_retries = 0;
	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_null(stream);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_assert_cmpstr(error->message, ==, "bind ::1 has no address of the family of 127.0.0.1");
	g_assert_cmpuint(iot_test_n_logged_retries, ==, 0);
}

static void
test_tcp_connect_port_zero(void)
{
	g_autoptr(IotEndpoint) endpoint = test_endpoint_new("{\"address\": \"127.0.0.1:0\"}");
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	stream = iot_test_endpoint_connect(endpoint, NULL, &error);
	g_assert_null(stream);
	g_assert_error(error, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS);
	g_assert_cmpstr(error->message,
			==,
			"address 127.0.0.1:0 has port 0, which can only be listened on");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(test_counting_writer, (gpointer) "iotunnel-tcp", NULL);

	g_test_add_func("/iotunnel/tcp-endpoint/settings/good", test_tcp_settings_good);
	for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/tcp-endpoint/settings/bad/%s", bad_cases[i].name);
		g_test_add_data_func(path, &bad_cases[i], test_tcp_settings_bad);
	}
	g_test_add_func("/iotunnel/tcp-endpoint/settings/reconfigure",
			test_tcp_settings_reconfigure);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/ipv4", test_tcp_listen_ipv4);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/ipv6", test_tcp_listen_ipv6);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/async-lookup", test_tcp_listen_async_lookup);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/async-cancel", test_tcp_listen_async_cancel);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/bind", test_tcp_listen_bind);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/localhost", test_tcp_listen_localhost);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/bind-conflict",
			test_tcp_listen_bind_conflict);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/in-use", test_tcp_listen_in_use);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/stop", test_tcp_listen_stop);
	g_test_add_func("/iotunnel/tcp-endpoint/listen/out-of-descriptors",
			test_tcp_listen_out_of_descriptors);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/ipv4", test_tcp_connect_ipv4);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/ipv6", test_tcp_connect_ipv6);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/localhost", test_tcp_connect_localhost);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/retries", test_tcp_connect_retries);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/no-retry", test_tcp_connect_no_retry);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/late-app", test_tcp_connect_late_app);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/cancel", test_tcp_connect_cancel);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/bind", test_tcp_connect_bind);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/bind-localhost",
			test_tcp_connect_bind_localhost);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/bind-family", test_tcp_connect_bind_family);
	g_test_add_func("/iotunnel/tcp-endpoint/connect/port-zero", test_tcp_connect_port_zero);
	return g_test_run();
}
