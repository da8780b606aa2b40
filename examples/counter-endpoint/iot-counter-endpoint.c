/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An out-of-tree endpoint plugin, built against the installed SDK only
 * (pkg-config iotunnel-1): on the destination side it connects each new
 * stream to a TCP address, like the "tcp" endpoint, and counts the bytes
 * that go each way, logging them when a connection ends.
 *
 * A profile uses it as:
 *   "services": { "WEB": { "endpoint": "counter", "address": "127.0.0.1:8080" } }
 */

#define G_LOG_DOMAIN "iotunnel-counter"

#include <iotunnel.h>

#define IOT_COUNTER_DEFAULT_REPORT_MS 1000

/* the type: one instance per service of a tunnel ------------------------- */

#define IOT_TYPE_COUNTER_ENDPOINT (iot_counter_endpoint_get_type())
G_DECLARE_FINAL_TYPE(IotCounterEndpoint, iot_counter_endpoint, IOT, COUNTER_ENDPOINT, GObject)

struct _IotCounterEndpoint {
	GObject parent_instance;
	gchar *address;	    /* HOST:PORT of the local app */
	guint report_ms;    /* how often ended connections are looked for */
	GPtrArray *streams; /* of IotPausableIOStream, the open connections */
	GSource *report_source;
	guint connections; /* made so far, to number them in logs */
};

static void
iot_counter_endpoint_iface_init(IotEndpointInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotCounterEndpoint,
			      iot_counter_endpoint,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_ENDPOINT,
						    iot_counter_endpoint_iface_init))

/* the settings a profile may give; the daemon checks them against this first */
static const gchar iot_counter_endpoint_settings_schema[] =
    "{"
    "  \"type\": \"object\","
    "  \"properties\": {"
    "    \"endpoint\": { \"const\": \"counter\" },"
    "    \"address\": {"
    "      \"description\": \"HOST:PORT where the local app listens.\","
    "      \"type\": \"string\", \"pattern\": \"^[^:]+:[0-9]{1,5}$\""
    "    },"
    "    \"report_ms\": {"
    "      \"description\": \"How often ended connections are logged, in milliseconds.\","
    "      \"type\": \"integer\", \"minimum\": 10, \"maximum\": 60000, \"default\": 1000"
    "    }"
    "  },"
    "  \"required\": [\"address\"],"
    "  \"additionalProperties\": false"
    "}";

/* logs the connections that have ended and forgets them */
static gboolean
iot_counter_endpoint_report_cb(gpointer user_data)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(user_data);

	for (guint i = self->streams->len; i > 0; i--) {
		IotPausableIOStream *stream = g_ptr_array_index(self->streams, i - 1);
		if (!g_io_stream_is_closed(G_IO_STREAM(stream)))
			continue;
		g_message("connection to %s closed: %" G_GUINT64_FORMAT
			  " bytes to the app, %" G_GUINT64_FORMAT " bytes from it",
			  self->address,
			  iot_pausable_io_stream_get_bytes_written(stream),
			  iot_pausable_io_stream_get_bytes_read(stream));
		g_ptr_array_remove_index(self->streams, i - 1);
	}
	if (self->streams->len > 0)
		return G_SOURCE_CONTINUE;
	/* nothing left to watch: the next connection starts the timer again */
	g_clear_pointer(&self->report_source, g_source_unref);
	return G_SOURCE_REMOVE;
}

/* IotEndpoint ------------------------------------------------------------ */

static gboolean
iot_counter_endpoint_configure(IotEndpoint *endpoint, JsonObject *settings, GError **error)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(endpoint);

	/* the daemon validated the settings; a plugin still refuses what it cannot use */
	if (!json_object_has_member(settings, "address")) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "address is missing");
		return FALSE;
	}
	self->address = g_strdup(json_object_get_string_member(settings, "address"));
	if (self->address == NULL) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "address must be a string, HOST:PORT");
		return FALSE;
	}
	self->report_ms =
	    (guint)json_object_get_int_member_with_default(settings,
							   "report_ms",
							   IOT_COUNTER_DEFAULT_REPORT_MS);
	return TRUE;
}

static void
iot_counter_endpoint_connected_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotCounterEndpoint *self = g_task_get_source_object(task);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(IotPausableIOStream) stream = NULL;
	GError *error = NULL;

	connection =
	    g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
	if (connection == NULL) {
		g_prefix_error(&error, "cannot reach %s: ", self->address);
		g_task_return_error(task, error);
		return;
	}

	/* the SDK's pausable stream counts what goes through it, both ways */
	stream = iot_pausable_io_stream_new(G_IO_STREAM(connection));
	g_ptr_array_add(self->streams, g_object_ref(stream));
	self->connections++;
	g_message("connection %u to %s opened", self->connections, self->address);
	if (self->report_source == NULL) {
		self->report_source = g_timeout_source_new(self->report_ms);
		g_source_set_static_name(self->report_source, "iot-counter-report");
		g_source_set_callback(self->report_source,
				      iot_counter_endpoint_report_cb,
				      self,
				      NULL);
		g_source_attach(self->report_source, g_main_context_get_thread_default());
	}
	g_task_return_pointer(task, g_steal_pointer(&stream), g_object_unref);
}

static void
iot_counter_endpoint_connect_async(IotEndpoint *endpoint,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(endpoint);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GSocketClient) client = g_socket_client_new();

	g_task_set_source_tag(task, iot_counter_endpoint_connect_async);
	g_socket_client_connect_to_host_async(client,
					      self->address,
					      0,
					      cancellable,
					      iot_counter_endpoint_connected_cb,
					      g_steal_pointer(&task));
}

static GIOStream *
iot_counter_endpoint_connect_finish(IotEndpoint *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, endpoint), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static gchar *
iot_counter_endpoint_describe(IotEndpoint *endpoint)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(endpoint);
	return g_strdup_printf("counter %s", self->address);
}

static void
iot_counter_endpoint_iface_init(IotEndpointInterface *iface)
{
	iface->configure = iot_counter_endpoint_configure;
	iface->connect_async = iot_counter_endpoint_connect_async;
	iface->connect_finish = iot_counter_endpoint_connect_finish;
	iface->describe = iot_counter_endpoint_describe;
	/* no listen: on the source side the daemon reports that it cannot listen */
}

/* GObject ---------------------------------------------------------------- */

static void
iot_counter_endpoint_dispose(GObject *object)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(object);
	if (self->report_source != NULL) {
		g_source_destroy(self->report_source);
		g_clear_pointer(&self->report_source, g_source_unref);
	}
	g_ptr_array_set_size(self->streams, 0);
	G_OBJECT_CLASS(iot_counter_endpoint_parent_class)->dispose(object);
}

static void
iot_counter_endpoint_finalize(GObject *object)
{
	IotCounterEndpoint *self = IOT_COUNTER_ENDPOINT(object);
	g_ptr_array_unref(self->streams);
	g_free(self->address);
	G_OBJECT_CLASS(iot_counter_endpoint_parent_class)->finalize(object);
}

static void
iot_counter_endpoint_class_init(IotCounterEndpointClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_counter_endpoint_dispose;
	object_class->finalize = iot_counter_endpoint_finalize;
}

static void
iot_counter_endpoint_init(IotCounterEndpoint *self)
{
	self->streams = g_ptr_array_new_with_free_func(g_object_unref);
	self->report_ms = IOT_COUNTER_DEFAULT_REPORT_MS;
}

/* the plugin: its one exported symbol ------------------------------------ */

static const IotPluginInfo iot_counter_plugin_info = {
    .abi_version = IOT_PLUGIN_ABI_VERSION,
    .kind = IOT_PLUGIN_KIND_ENDPOINT,
    .name = "counter",
    .version = "1.0.0",
    .description = "TCP connector (destination) that counts and logs the bytes of each "
		   "connection",
    .settings_schema = iot_counter_endpoint_settings_schema,
    .get_type = iot_counter_endpoint_get_type,
};

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void);

IOT_PLUGIN_EXPORT const IotPluginInfo *
iot_plugin_query(void)
{
	return &iot_counter_plugin_info;
}
