/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * Mixed pairs with the reference local proxy, through a real iotunnel-service:
 * iotunneld as the source and the reference as the destination, and the other
 * way round, in V3, with `-y V2` and with `-y V1`; the pure pairs of each kind
 * run too, as controls. Each cell opens a tunnel, starts both proxies, and
 * runs connections one after the other: the client sends a pseudo-random
 * stream through the source to an echo app behind the destination and must
 * get it back byte for byte. A run where nothing comes back for the stall
 * time is reported with how far each direction got, the service's counters
 * and the proxies' last lines, instead of hanging; the cell then goes on with
 * a new tunnel and new proxies, so that every run counts.
 *
 * V3 and V2 cells use a tunnel with the service SSH1 and named mappings
 * (`-s SSH1=PORT`, `-d SSH1=ADDRESS`). V1 cells use what V1 peers have: a
 * tunnel without services and unnamed mappings (`-s PORT`, `-d ADDRESS`).
 * The "v1-named" cells give V1 the named setup instead; with the reference
 * as the destination (`-y V1`) they lose the tail of the data now and then,
 * a defect of the reference, so they are skipped unless asked for.
 *
 * It needs a reference binary and skips without one:
 *
 *   IOTUNNEL_REFERENCE_BIN      the reference local proxy (`localproxy`)
 *   IOTUNNEL_REFERENCE_RUNS     connections per cell (20)
 *   IOTUNNEL_REFERENCE_BYTES    bytes each way per connection (4 MiB)
 *   IOTUNNEL_REFERENCE_WRITE    bytes per send() of the client (65536)
 *   IOTUNNEL_REFERENCE_STALL_S  seconds without progress that make a stall (60)
 *   IOTUNNEL_REFERENCE_DEFECTS  set: also run the cells that hit the reference's defect
 *   IOTUNNEL_REFERENCE_TRACE    set: both proxies log at -v 6
 *   IOTUNNEL_REFERENCE_LOG_DIR  a folder: each cell's service and proxy logs go there
 */

#include "config.h"

#include "iot-realworld-common.h"

#define IOT_REFERENCE_SERVICE "SSH1"

/* how long a proxy may take to connect, and the app's side to close after the client's */
#define IOT_REFERENCE_START_MS 20000
#define IOT_REFERENCE_CLOSE_MS 10000

typedef enum {
	IOT_REFERENCE_PEER_IOTUNNELD,
	IOT_REFERENCE_PEER_REFERENCE,
} IotReferencePeer;

/*
 * The reference destination in V1 format sends its DATA without a service
 * ID and then looks the connection up by that empty ID, which it does not
 * have when its one service is named: the continuation that sends the rest
 * of a read over 64512 bytes is lost, so that rest waits for the next read
 * from the app, and at the end of a transfer forever. The STREAM_RESET that
 * follows never completes either, and it stops reading the tunnel.
 */
#define IOT_REFERENCE_V1_NAMED_DEFECT                                                              \
	"the reference destination in V1 format with a named service loses the tail of "           \
	"reads over 64512 bytes and then stops reading the tunnel (reference v3.3.1)"

typedef struct {
	const gchar *path;
	IotReferencePeer source;
	IotReferencePeer destination;
	const gchar *client_type; /* -y, NULL for V3 */
	gboolean named;		  /* the tunnel has SSH1 and the mappings name it */
	const gchar *defect;	  /* why the reference fails this cell, if it does */
} IotReferenceCell;

static const IotReferenceCell cells[] = {
    {"iotunneld-to-reference/v3",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_REFERENCE,
     NULL,
     TRUE,
     NULL},
    {"iotunneld-to-reference/v2",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_REFERENCE,
     "V2",
     TRUE,
     NULL},
    {"iotunneld-to-reference/v1",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_REFERENCE,
     "V1",
     FALSE,
     NULL},
    {"iotunneld-to-reference/v1-named",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_REFERENCE,
     "V1",
     TRUE,
     IOT_REFERENCE_V1_NAMED_DEFECT},
    {"reference-to-iotunneld/v3",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_IOTUNNELD,
     NULL,
     TRUE,
     NULL},
    {"reference-to-iotunneld/v2",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V2",
     TRUE,
     NULL},
    {"reference-to-iotunneld/v1",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V1",
     FALSE,
     NULL},
    {"reference-to-iotunneld/v1-named",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V1",
     TRUE,
     NULL},
    {"control/reference-to-reference/v3",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_REFERENCE,
     NULL,
     TRUE,
     NULL},
    {"control/reference-to-reference/v2",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_REFERENCE,
     "V2",
     TRUE,
     NULL},
    {"control/reference-to-reference/v1",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_REFERENCE,
     "V1",
     FALSE,
     NULL},
    {"control/reference-to-reference/v1-named",
     IOT_REFERENCE_PEER_REFERENCE,
     IOT_REFERENCE_PEER_REFERENCE,
     "V1",
     TRUE,
     IOT_REFERENCE_V1_NAMED_DEFECT},
    {"control/iotunneld-to-iotunneld/v3",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_IOTUNNELD,
     NULL,
     TRUE,
     NULL},
    {"control/iotunneld-to-iotunneld/v2",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V2",
     TRUE,
     NULL},
    {"control/iotunneld-to-iotunneld/v1",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V1",
     FALSE,
     NULL},
    {"control/iotunneld-to-iotunneld/v1-named",
     IOT_REFERENCE_PEER_IOTUNNELD,
     IOT_REFERENCE_PEER_IOTUNNELD,
     "V1",
     TRUE,
     NULL},
};

/* what the environment asks for */
typedef struct {
	const gchar *binary;
	guint runs;
	gsize bytes;
	gsize write_size;
	guint stall_s;
	gboolean defects;
	gboolean trace;
	const gchar *log_dir;
} IotReferenceSettings;

static IotReferenceSettings settings;

/* how a cell went, for the table at the end */
typedef struct {
	const IotReferenceCell *cell;
	guint runs;
	guint passed;
	guint stalled;
	guint reset;
	guint corrupt;
	guint lingered; /* the app's side stayed open after the client closed */
	guint64 bytes;	/* bytes that came back intact */
} IotReferenceResult;

static GArray *results = NULL;

static guint64
iot_reference_env_uint(const gchar *name, guint64 fallback)
{
	const gchar *text = g_getenv(name);
	guint64 value = 0;
	g_autoptr(GError) error = NULL;

	if (text == NULL || text[0] == '\0')
		return fallback;
	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT32, &value, &error))
		g_error("%s: %s", name, error->message);
	return value;
}

static void
iot_reference_settings_load(void)
{
	settings.binary = g_getenv("IOTUNNEL_REFERENCE_BIN");
	settings.runs = (guint)iot_reference_env_uint("IOTUNNEL_REFERENCE_RUNS", 20);
	settings.bytes = iot_reference_env_uint("IOTUNNEL_REFERENCE_BYTES", 4 * 1024 * 1024);
	settings.write_size = iot_reference_env_uint("IOTUNNEL_REFERENCE_WRITE", 64 * 1024);
	settings.stall_s = (guint)iot_reference_env_uint("IOTUNNEL_REFERENCE_STALL_S", 60);
	settings.defects = g_getenv("IOTUNNEL_REFERENCE_DEFECTS") != NULL;
	settings.trace = g_getenv("IOTUNNEL_REFERENCE_TRACE") != NULL;
	settings.log_dir = g_getenv("IOTUNNEL_REFERENCE_LOG_DIR");
}

static const gchar *
iot_reference_peer_name(IotReferencePeer peer)
{
	return peer == IOT_REFERENCE_PEER_REFERENCE ? "reference" : "iotunneld";
}

/* "SSH1=VALUE" in a named cell, "VALUE" in a V1-style one */
static gchar *
iot_reference_mapping(const IotReferenceCell *cell, const gchar *value)
{
	if (cell->named)
		return g_strdup_printf(IOT_REFERENCE_SERVICE "=%s", value);
	return g_strdup(value);
}

/* starts the reference in @mode with @mapping and waits for @ready_regex */
static IotTestProcess *
iot_reference_spawn_reference(IotTestTunnel *tunnel,
			      const gchar *mode,
			      const gchar *mapping,
			      const gchar *client_type,
			      const gchar *ready_regex)
{
	gboolean source = g_strcmp0(mode, "source") == 0;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree gchar *token_env =
	    g_strdup_printf("AWSIOT_TUNNEL_ACCESS_TOKEN=%s",
			    source ? tunnel->source_token : tunnel->destination_token);
	const gchar *env[] = {token_env, NULL};
	g_autoptr(GError) error = NULL;
	IotTestProcess *proxy;

	g_ptr_array_add(argv, (gpointer)settings.binary);
	g_ptr_array_add(argv, (gpointer) "-e");
	g_ptr_array_add(argv, tunnel->endpoint);
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv, tunnel->ca_dir);
	g_ptr_array_add(argv, (gpointer)(source ? "-s" : "-d"));
	g_ptr_array_add(argv, (gpointer)mapping);
	if (source) {
		g_ptr_array_add(argv, (gpointer) "-b");
		g_ptr_array_add(argv, (gpointer) "127.0.0.1");
	}
	/* a reference destination needs -y V1 for the V1 format's empty service id */
	if (client_type != NULL) {
		g_ptr_array_add(argv, (gpointer) "-y");
		g_ptr_array_add(argv, (gpointer)client_type);
	}
	if (settings.trace) {
		g_ptr_array_add(argv, (gpointer) "-v");
		g_ptr_array_add(argv, (gpointer) "6");
	}
	g_ptr_array_add(argv, NULL);
	proxy = iot_test_process_spawn((const gchar *const *)argv->pdata, env, &error);
	g_assert_no_error(error);
	iot_realworld_wait_line(proxy, ready_regex, IOT_REFERENCE_START_MS);
	return proxy;
}

/* starts iotunneld in @mode with @mapping, connected */
static IotTestProcess *
iot_reference_spawn_iotunneld(IotTestTunnel *tunnel,
			      const gchar *mode,
			      const gchar *mapping,
			      const gchar *client_type)
{
	gboolean source = g_strcmp0(mode, "source") == 0;
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	IotTestProcess *proxy;

	g_ptr_array_add(args, (gpointer)(source ? "-s" : "-d"));
	g_ptr_array_add(args, (gpointer)mapping);
	if (source) {
		g_ptr_array_add(args, (gpointer) "-b");
		g_ptr_array_add(args, (gpointer) "127.0.0.1");
	}
	/* iotunneld's destination follows the source's format by itself */
	if (client_type != NULL && source) {
		g_ptr_array_add(args, (gpointer) "-y");
		g_ptr_array_add(args, (gpointer)client_type);
	}
	if (settings.trace) {
		g_ptr_array_add(args, (gpointer) "-v");
		g_ptr_array_add(args, (gpointer) "6");
	}
	g_ptr_array_add(args, NULL);
	proxy = iot_test_tunnel_spawn_proxy_full(tunnel,
						 mode,
						 (const gchar *const *)args->pdata,
						 NULL,
						 TRUE,
						 &error);
	g_assert_no_error(error);
	return proxy;
}

static void
iot_reference_start_destination(IotRealworldFixture *fx, const IotReferenceCell *cell)
{
	g_autofree gchar *app = g_strdup_printf("127.0.0.1:%u", fx->app_port);
	g_autofree gchar *mapping = iot_reference_mapping(cell, app);

	if (cell->destination == IOT_REFERENCE_PEER_REFERENCE) {
		fx->tunnel.destination =
		    iot_reference_spawn_reference(&fx->tunnel,
						  "destination",
						  mapping,
						  cell->client_type,
						  "Successfully established websocket connection");
	} else {
		fx->tunnel.destination = iot_reference_spawn_iotunneld(&fx->tunnel,
								       "destination",
								       mapping,
								       cell->client_type);
	}
}

/* a port free on 127.0.0.1 now, for a proxy that cannot pick one itself */
static guint16
iot_reference_free_port(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = NULL;
	guint16 port = 0;

	socket = iot_test_listen_tcp(&port, &error);
	g_assert_no_error(error);
	g_socket_close(socket, NULL);
	return port;
}

/* starts the source and returns the address it listens on */
static gchar *
iot_reference_start_source(IotRealworldFixture *fx, const IotReferenceCell *cell)
{
	g_autofree gchar *port = NULL;
	g_autofree gchar *mapping = NULL;
	g_autoptr(GError) error = NULL;
	gchar *address;

	if (cell->source == IOT_REFERENCE_PEER_IOTUNNELD) {
		mapping = iot_reference_mapping(cell, "0");
		fx->tunnel.source = iot_reference_spawn_iotunneld(&fx->tunnel,
								  "source",
								  mapping,
								  cell->client_type);
		address = iot_test_tunnel_listen_address(fx->tunnel.source,
							 cell->named ? IOT_REFERENCE_SERVICE
								     : "(unnamed)",
							 &error);
		g_assert_no_error(error);
		return address;
	}
	/* the reference takes no port 0 */
	port = g_strdup_printf("%u", iot_reference_free_port());
	mapping = iot_reference_mapping(cell, port);
	fx->tunnel.source =
	    iot_reference_spawn_reference(&fx->tunnel,
					  "source",
					  mapping,
					  cell->client_type,
					  "Listening for new connection on port [0-9]+");
	return g_strdup_printf("127.0.0.1:%s", port);
}

/* opens a tunnel of the cell's kind and starts both proxies; returns where the source listens */
static gchar *
iot_reference_open(IotRealworldFixture *fx, const IotReferenceCell *cell)
{
	const gchar *named[] = {IOT_REFERENCE_SERVICE, NULL};
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&fx->tunnel.tunnel_id, g_free);
	g_clear_pointer(&fx->tunnel.source_token, g_free);
	g_clear_pointer(&fx->tunnel.destination_token, g_free);
	g_assert_true(iot_test_tunnel_open(&fx->tunnel, cell->named ? named : NULL, 0, &error));
	g_assert_no_error(error);
	iot_reference_start_destination(fx, cell);
	return iot_reference_start_source(fx, cell);
}

/* the service's description of the tunnel: states and counters */
static gchar *
iot_reference_describe_tunnel(IotRealworldFixture *fx)
{
	g_autofree gchar *path = g_strdup_printf("/api/tunnels/%s", fx->tunnel.tunnel_id);
	g_autoptr(GError) error = NULL;
	gchar *response = NULL;
	guint status = 0;

	if (!iot_test_tunnel_api(&fx->tunnel, "GET", path, NULL, &status, &response, &error))
		return g_strdup_printf("(no description: %s)", error->message);
	return response;
}

/* the last @count lines of @process's output */
static gchar *
iot_reference_tail(IotTestProcess *process, guint count)
{
	g_autofree gchar *output = iot_test_process_get_output(process);
	g_auto(GStrv) lines = g_strsplit(output, "\n", -1);
	guint n = g_strv_length(lines);
	guint first = n > count ? n - count : 0;
	return g_strjoinv("\n", lines + first);
}

/* writes the whole output of @process to the log folder, if there is one */
static void
iot_reference_save_log(const IotReferenceCell *cell,
		       const gchar *role,
		       guint tunnel,
		       IotTestProcess *process)
{
	g_autofree gchar *cell_name = NULL;
	g_autofree gchar *file_name = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *output = NULL;
	g_autoptr(GError) error = NULL;

	if (settings.log_dir == NULL)
		return;
	cell_name = g_strdelimit(g_strdup(cell->path), "/", '-');
	file_name = g_strdup_printf("%s-%u-%s.log", cell_name, tunnel, role);
	path = g_build_filename(settings.log_dir, file_name, NULL);
	output = iot_test_process_get_output(process);
	g_mkdir_with_parents(settings.log_dir, 0700);
	if (!g_file_set_contents(path, output, -1, &error))
		g_test_message("cannot keep the log: %s", error->message);
}

/*
 * connects to the source; the reference says it listens just before it does,
 * so a refusal is tried again for a while (a refused connection reaches no one)
 */
static GSocket *
iot_reference_connect(const gchar *source_address, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + IOT_REFERENCE_START_MS * G_TIME_SPAN_MILLISECOND;

	for (;;) {
		g_autoptr(GError) error_local = NULL;
		GSocket *client = iot_test_connect_tcp(source_address, &error_local);
		if (client != NULL)
			return client;
		if (!g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
		    g_get_monotonic_time() > deadline) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_usleep(20 * G_TIME_SPAN_MILLISECOND);
	}
}

/* one connection through the tunnel; appends what went wrong to @report */
static gboolean
iot_reference_run(IotRealworldFixture *fx,
		  const gchar *source_address,
		  guint index,
		  IotReferenceResult *result,
		  GString *report)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) app = NULL;
	g_autofree gchar *expected = NULL;
	IotTestEcho echo = {0};
	IotTestTraffic traffic = {
	    .to_send = settings.bytes,
	    .to_receive = settings.bytes,
	    .seed = g_test_rand_int(),
	    .io_timeout_s = settings.stall_s,
	    .write_size = settings.write_size,
	};
	gint64 started = g_get_monotonic_time();
	gboolean passed;

	result->runs++;
	client = iot_reference_connect(source_address, &error);
	if (client == NULL) {
		g_string_append_printf(report,
				       "run %u: cannot connect to the source: %s\n",
				       index,
				       error->message);
		result->reset++;
		return FALSE;
	}
	app = iot_test_accept(fx->app_listener, IOT_REFERENCE_START_MS / 1000, &error);
	if (app == NULL) {
		g_string_append_printf(report,
				       "run %u: the destination never reached the app: %s\n",
				       index,
				       error->message);
		result->reset++;
		return FALSE;
	}
	iot_test_echo_start(&echo, app);
	iot_test_traffic_start(&traffic, client);
	iot_test_traffic_join(&traffic);
	expected = iot_test_traffic_expected_sha256(traffic.seed, settings.bytes);
	passed = traffic.sent == settings.bytes && traffic.received == settings.bytes &&
		 traffic.error == NULL && g_strcmp0(traffic.received_sha256, expected) == 0;
	if (passed) {
		result->passed++;
		result->bytes += traffic.received;
	} else {
		g_autofree gchar *description = iot_reference_describe_tunnel(fx);
		const gchar *kind;

		if (g_error_matches(traffic.error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			result->stalled++;
			kind = "stalled";
		} else if (traffic.received == settings.bytes) {
			result->corrupt++;
			kind = "came back changed";
		} else {
			result->reset++;
			kind = g_atomic_int_get(&traffic.reset_seen) ? "was reset" : "was closed";
		}
		g_string_append_printf(
		    report,
		    "run %u %s after %.1f s: sent %zu of %zu, %zu came back%s%s; the service: %s\n",
		    index,
		    kind,
		    (g_get_monotonic_time() - started) / (gdouble)G_USEC_PER_SEC,
		    traffic.sent,
		    settings.bytes,
		    traffic.received,
		    traffic.error != NULL ? "; " : "",
		    traffic.error != NULL ? traffic.error->message : "",
		    description);
	}
	if (!iot_test_echo_stop(&echo, IOT_REFERENCE_CLOSE_MS))
		result->lingered++;
	if (!passed)
		g_string_append_printf(report,
				       "run %u: the app read %zu and echoed %zu\n",
				       index,
				       echo.received,
				       echo.sent);
	iot_test_traffic_clear(&traffic);
	return passed;
}

/* adds the proxies' last lines to @report and stops them */
static void
iot_reference_stop_proxies(IotRealworldFixture *fx,
			   const IotReferenceCell *cell,
			   guint tunnel,
			   gboolean failed,
			   GString *report)
{
	if (failed) {
		g_autofree gchar *source_tail = iot_reference_tail(fx->tunnel.source, 30);
		g_autofree gchar *destination_tail = iot_reference_tail(fx->tunnel.destination, 30);
		g_string_append_printf(report,
				       "tunnel %u, source (%s):\n%s\ndestination (%s):\n%s\n",
				       tunnel,
				       iot_reference_peer_name(cell->source),
				       source_tail,
				       iot_reference_peer_name(cell->destination),
				       destination_tail);
	}
	iot_reference_save_log(cell, "source", tunnel, fx->tunnel.source);
	iot_reference_save_log(cell, "destination", tunnel, fx->tunnel.destination);
	g_clear_object(&fx->tunnel.source);
	g_clear_object(&fx->tunnel.destination);
}

static void
test_cell(gconstpointer user_data)
{
	const IotReferenceCell *cell = user_data;
	IotRealworldFixture fx = {0};
	IotReferenceResult result = {.cell = cell};
	g_autoptr(GString) report = g_string_new(NULL);
	g_autofree gchar *source_address = NULL;
	g_autoptr(GError) error = NULL;
	guint tunnel = 1;

	if (settings.binary == NULL) {
		g_test_skip("IOTUNNEL_REFERENCE_BIN does not name the reference local proxy");
		return;
	}
	if (!g_file_test(settings.binary, G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_fail_printf("IOTUNNEL_REFERENCE_BIN names %s, which is not a program",
				   settings.binary);
		return;
	}
	if (cell->defect != NULL && !settings.defects) {
		g_test_skip_printf("%s; IOTUNNEL_REFERENCE_DEFECTS=1 runs it", cell->defect);
		return;
	}
	g_assert_true(iot_test_tunnel_start_service(&fx.tunnel, &error));
	g_assert_no_error(error);
	fx.app_listener = iot_test_listen_tcp(&fx.app_port, &error);
	g_assert_no_error(error);
	source_address = iot_reference_open(&fx, cell);
	for (guint i = 1; i <= settings.runs; i++) {
		if (iot_reference_run(&fx, source_address, i, &result, report))
			continue;
		/* a new tunnel and new proxies, so that the next run counts on its own */
		iot_reference_stop_proxies(&fx, cell, tunnel++, TRUE, report);
		g_free(source_address);
		source_address = iot_reference_open(&fx, cell);
	}
	iot_reference_stop_proxies(&fx, cell, tunnel, FALSE, report);
	iot_reference_save_log(cell, "service", 0, fx.tunnel.service);
	g_array_append_val(results, result);

	g_test_message("%s: %u of %u runs passed, %" G_GUINT64_FORMAT " bytes back intact",
		       cell->path,
		       result.passed,
		       result.runs,
		       result.bytes);
	if (report->len > 0)
		g_test_message("%s", report->str);
	if (result.passed != result.runs)
		g_test_fail_printf("%s: %u of %u runs failed",
				   cell->path,
				   result.runs - result.passed,
				   result.runs);
	iot_realworld_fixture_teardown(&fx);
}

/* the matrix, one line a cell, as TAP comments */
static void
iot_reference_print_results(void)
{
	if (results->len == 0)
		return;
	g_print("# %-40s %5s %6s %7s %5s %7s %8s %12s\n",
		"cell",
		"runs",
		"passed",
		"stalled",
		"reset",
		"corrupt",
		"lingered",
		"bytes back");
	for (guint i = 0; i < results->len; i++) {
		IotReferenceResult *r = &g_array_index(results, IotReferenceResult, i);
		g_print("# %-40s %5u %6u %7u %5u %7u %8u %12" G_GUINT64_FORMAT "\n",
			r->cell->path,
			r->runs,
			r->passed,
			r->stalled,
			r->reset,
			r->corrupt,
			r->lingered,
			r->bytes);
	}
	g_print("# %zu bytes each way per run, sent %zu at a time; a stall is %u s without "
		"progress\n",
		settings.bytes,
		settings.write_size,
		settings.stall_s);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	/* GLib's debug lines drown the test's own unless asked for */
	if (!g_test_verbose())
		g_log_set_debug_enabled(FALSE);
	iot_realworld_init();
	iot_reference_settings_load();
	results = g_array_new(FALSE, TRUE, sizeof(IotReferenceResult));
	for (guint i = 0; i < G_N_ELEMENTS(cells); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/reference/%s", cells[i].path);
		g_test_add_data_func(path, &cells[i], test_cell);
	}
	rc = g_test_run();
	iot_reference_print_results();
	g_array_unref(results);
	return rc;
}
