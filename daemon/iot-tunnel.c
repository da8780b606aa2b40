/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-tunnel.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sys/resource.h>

#include "iot-plugin-settings.h"
#include "iot-tunnel-hold.h"

/* reconnect delays (the profile's "reconnect") double from the first, capped, with this jitter */
#define IOT_TUNNEL_RETRY_JITTER_PERCENT 25

/* a connection released from the hold reads after this many of the service's round trips */
#define IOT_TUNNEL_PROBATION_ROUND_TRIPS 4
/* and after this long at least */
#define IOT_TUNNEL_PROBATION_MIN_MS 1000

/*
 * The most services a SERVICE_IDS may list: AWS allows 3 services a tunnel;
 * this leaves room for more, and a longer list (8,000 names) is a faulty or
 * hostile service, refused rather than walked and logged.
 */
#define IOT_TUNNEL_MAX_SERVICES 16

/* descriptors kept for the process's own use when budgeting connections */
#define IOT_TUNNEL_RESERVED_FDS 64

typedef struct {
	gchar *id; /* as configured; "" for the single unnamed mapping */
	IotEndpoint *endpoint;
	IotTunnel *tunnel; /* unowned */
} IotTunnelService;

struct _IotTunnel {
	GObject parent_instance;
	IotProfileTunnel *profile;
	IotPluginRegistry *registry;
	IotTransport *transport;
	IotCodec *codec;
	GPtrArray *services; /* of IotTunnelService */
	GStrv service_ids;   /* configured, sorted */
	GStrv announced;     /* from SERVICE_IDS, NULL before */
	gchar *subprotocol;  /* the one we offer */
	IotFrameDecoder *decoder;
	IotFrameEncoder *encoder;
	GCancellable *cancellable;
	IotTunnelState state;
	GError *last_error;
	gchar *channel_id;
	GPtrArray *connections; /* of IotConnection, weak: codecs own them */
	IotTunnelHold *hold;	/* source side: connections waiting for the tunnel */
	guint connecting;	/* destination side: connections to the local app under way */
	guint listening;	/* source side: services whose listen at the start is under way */
	gulong closing_handler; /* after a stop, while the WebSocket may still be closing */
	gboolean local_reading_paused;
	gboolean session_active;
	gboolean streams_open; /* the codec may start streams (services known) */
	guint retry_source;
	guint retry_attempt; /* tries that failed in a row */
	gboolean ever_connected;
	IotTunnelCounters counters;
};

static void
iot_tunnel_session_iface_init(IotSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotTunnel,
			      iot_tunnel,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_SESSION,
						    iot_tunnel_session_iface_init))

G_DEFINE_QUARK(iot-tunnel-error-quark, iot_tunnel_error);

enum {
	SIGNAL_STATE_CHANGED,
	SIGNAL_CONNECTION_OPENED,
	SIGNAL_CONNECTION_CLOSED,
	SIGNAL_CLOSED,
	SIGNAL_LAST
};

static guint signals[SIGNAL_LAST] = {0};

static void
iot_tunnel_connect(IotTunnel *self);
static void
iot_tunnel_fail(IotTunnel *self, const GError *error);
static void
iot_tunnel_connection_weak_notify(gpointer data, GObject *where_the_object_was);

static void
iot_tunnel_service_free(IotTunnelService *service)
{
	if (service->endpoint != NULL) {
		g_signal_handlers_disconnect_by_data(service->endpoint, service);
		iot_endpoint_stop(service->endpoint);
		g_object_unref(service->endpoint);
	}
	g_free(service->id);
	g_free(service);
}

const gchar *
iot_tunnel_state_to_string(IotTunnelState state)
{
	switch (state) {
	case IOT_TUNNEL_STATE_STOPPED:
		return "stopped";
	case IOT_TUNNEL_STATE_CONNECTING:
		return "connecting";
	case IOT_TUNNEL_STATE_CONNECTED:
		return "connected";
	case IOT_TUNNEL_STATE_RECONNECTING:
		return "reconnecting";
	case IOT_TUNNEL_STATE_CLOSED:
		return "closed";
	case IOT_TUNNEL_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

static const gchar *
iot_tunnel_name(IotTunnel *self)
{
	return iot_profile_tunnel_get_name(self->profile);
}

static void
iot_tunnel_set_state(IotTunnel *self, IotTunnelState state)
{
	if (self->state == state)
		return;
	iot_tunnel_debug(iot_tunnel_name(self),
			 0,
			 0,
			 "%s -> %s",
			 iot_tunnel_state_to_string(self->state),
			 iot_tunnel_state_to_string(state));
	self->state = state;
	g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0);
}

/* a new last error is news too: "state-changed" tells who shows it */
static void
iot_tunnel_set_last_error(IotTunnel *self, const GError *error)
{
	gboolean same =
	    self->last_error == NULL
		? error == NULL
		: error != NULL && g_strcmp0(self->last_error->message, error->message) == 0;

	if (same)
		return;
	g_clear_error(&self->last_error);
	if (error != NULL)
		self->last_error = g_error_copy(error);
	g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0);
}

/* flow control: the service link is slower than the local senders */
static void
iot_tunnel_set_local_reading_paused(IotTunnel *self, gboolean paused)
{
	if (self->local_reading_paused == paused)
		return;
	self->local_reading_paused = paused;
	iot_tunnel_debug(iot_tunnel_name(self),
			 0,
			 0,
			 "%s reading local connections",
			 paused ? "pausing" : "resuming");
	for (guint i = 0; i < self->connections->len; i++) {
		IotConnection *connection = g_ptr_array_index(self->connections, i);
		/* a connection of the hold reads when the hold says so */
		if (self->hold == NULL || !iot_tunnel_hold_has(self->hold, connection))
			iot_connection_set_read_paused(connection, paused);
	}
}

static void
iot_tunnel_register_connection(IotTunnel *self, IotConnection *connection)
{
	g_ptr_array_add(self->connections, connection);
	g_object_weak_ref(G_OBJECT(connection), iot_tunnel_connection_weak_notify, self);
	/* flow control is each connection's own: the tunnel never stops reading for one */
	iot_connection_set_budget(connection,
				  iot_profile_tunnel_get_connection_buffer(self->profile),
				  iot_profile_tunnel_get_stall_timeout_ms(self->profile));
	iot_connection_set_read_paused(connection, self->local_reading_paused);
	self->counters.active_connections++;
	self->counters.total_connections++;
	g_signal_emit(self,
		      signals[SIGNAL_CONNECTION_OPENED],
		      0,
		      iot_connection_get_description(connection),
		      connection);
}

static void
iot_tunnel_connection_weak_notify(gpointer data, GObject *where_the_object_was)
{
	IotTunnel *self = IOT_TUNNEL(data);
	IotConnection *connection = (IotConnection *)where_the_object_was;

	g_ptr_array_remove_fast(self->connections, connection);
	self->counters.active_connections--;
	g_signal_emit(self, signals[SIGNAL_CONNECTION_CLOSED], 0);
}

/*
 * The most connections the tunnel holds at once: max_connections from the
 * profile, and no more than the open file limit leaves once the process's
 * own descriptors (WebSocket, log, plugins, D-Bus) are kept aside. Each
 * connection takes one descriptor; a peer asking for more is refused.
 */
static guint
iot_tunnel_get_connection_budget(IotTunnel *self)
{
	guint max = iot_profile_tunnel_get_max_connections(self->profile);
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
		guint64 budget = limit.rlim_cur > 2 * IOT_TUNNEL_RESERVED_FDS
				     ? limit.rlim_cur - IOT_TUNNEL_RESERVED_FDS
				     : limit.rlim_cur / 2;
		max = (guint)MIN((guint64)max, budget);
	}
	return MAX(max, 1);
}

static IotTunnelService *
iot_tunnel_find_service(IotTunnel *self, const gchar *service_id)
{
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		if (g_strcmp0(service->id, service_id) == 0)
			return service;
	}
	/* a single unnamed mapping serves whatever one service the tunnel has */
	if (self->services->len == 1) {
		IotTunnelService *service = g_ptr_array_index(self->services, 0);
		if (service->id[0] == '\0')
			return service;
	}
	return NULL;
}

/*
 * Whether the service's SERVICE_IDS name @service: a stream for another
 * service would make the service drop the whole WebSocket. Until it said,
 * and in a 1.0 session (no SERVICE_IDS), every mapping counts as listed, as
 * does the unnamed one, whose streams name no service.
 */
static gboolean
iot_tunnel_service_is_listed(IotTunnel *self, IotTunnelService *service)
{
	if (self->announced == NULL || service->id[0] == '\0')
		return TRUE;
	return g_strv_contains((const gchar *const *)self->announced, service->id);
}

/* "SSH1, HTTP1", or "no services" */
static gchar *
iot_tunnel_describe_ids(const gchar *const *ids)
{
	if (ids == NULL || ids[0] == NULL)
		return g_strdup(_("no services"));
	return g_strjoinv(", ", (gchar **)ids);
}

/* the IDs a service sent, for a log line: each escaped and cut, as a peer's strings are */
static gchar *
iot_tunnel_quote_ids(const gchar *const *ids)
{
	g_autoptr(GString) text = g_string_new(NULL);

	for (guint i = 0; ids[i] != NULL; i++) {
		g_autofree gchar *quoted = iot_log_quote(ids[i], IOT_LOG_MAX_QUOTED);
		g_string_append_printf(text, "%s%s", i > 0 ? ", " : "", quoted);
	}
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* a connection for a mapping the tunnel lacks ends at once, the tunnel goes on */
static void
iot_tunnel_refuse_unlisted(IotTunnel *self, IotTunnelService *service, IotConnection *connection)
{
	iot_tunnel_message(iot_tunnel_name(self),
			   0,
			   0,
			   "closing %s at once: service %s is not part of this tunnel",
			   iot_connection_get_description(connection),
			   service->id);
	iot_connection_abort(connection);
}

static void
iot_tunnel_hand_over(IotTunnel *self, IotTunnelService *service, IotConnection *connection)
{
	if (!iot_tunnel_service_is_listed(self, service)) {
		iot_tunnel_refuse_unlisted(self, service, connection);
		return;
	}
	/* the codec names an unnamed mapping's streams on the wire itself */
	iot_codec_accept(self->codec, service->id, connection);
}

/* for the hold: a connection it releases goes to the codec */
static void
iot_tunnel_hold_hand_over_cb(gpointer service, IotConnection *connection, gpointer user_data)
{
	iot_tunnel_hand_over(IOT_TUNNEL(user_data), service, connection);
}

/* for the hold: a connection it released reads from now on, as flow control allows */
static void
iot_tunnel_hold_start_reading_cb(gpointer service, IotConnection *connection, gpointer user_data)
{
	iot_connection_set_read_paused(connection, IOT_TUNNEL(user_data)->local_reading_paused);
}

/*
 * The session can take local connections: those held are handed over from
 * the main loop, each reading only after a few round trips to the service,
 * time for the service to reset its stream if no destination is connected.
 */
static void
iot_tunnel_open_streams(IotTunnel *self)
{
	guint probation_ms =
	    (guint)MAX(IOT_TUNNEL_PROBATION_MIN_MS,
		       IOT_TUNNEL_PROBATION_ROUND_TRIPS * self->counters.round_trip_us / 1000);

	self->streams_open = TRUE;
	if (self->hold != NULL)
		iot_tunnel_hold_start_releasing(self->hold, probation_ms);
}

/* a local connection for @service, from its listener or from a caller's socket */
static void
iot_tunnel_take_local(IotTunnel *self, IotTunnelService *service, IotConnection *connection)
{
	if (!iot_tunnel_service_is_listed(self, service)) {
		iot_tunnel_refuse_unlisted(self, service, connection);
		return;
	}
	iot_tunnel_register_connection(self, connection);
	if (self->streams_open) {
		iot_tunnel_hand_over(self, service, connection);
		return;
	}

	/* the service is away: hold the connection until it is back, for a while */
	iot_tunnel_hold_add(self->hold, service, connection);
}

static void
iot_tunnel_endpoint_incoming_cb(IotEndpoint *endpoint, GIOStream *stream, IotTunnelService *service)
{
	IotTunnel *self = service->tunnel;
	guint max = iot_tunnel_get_connection_budget(self);
	g_autofree gchar *where = iot_endpoint_describe(endpoint);
	g_autofree gchar *description =
	    g_strdup_printf("%s%s%s", service->id, service->id[0] != '\0' ? " via " : "", where);
	g_autoptr(IotConnection) connection = iot_connection_new(stream, description);

	if (self->counters.active_connections >= max) {
		iot_tunnel_log_rate_limited(
		    G_LOG_LEVEL_MESSAGE,
		    iot_tunnel_name(self),
		    0,
		    0,
		    "refusing a connection on %s: %u connections are open, the most "
		    "this tunnel takes",
		    where,
		    max);
		iot_connection_abort(connection);
		return;
	}
	iot_tunnel_take_local(self, service, connection);
}

/* why a tunnel that is not running takes no connection, by its state */
static void
iot_tunnel_set_error_not_running(IotTunnel *self, GError **error)
{
	const gchar *name = iot_tunnel_name(self);
	g_autofree gchar *why = NULL;

	if (self->state == IOT_TUNNEL_STATE_STOPPED) {
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_NOT_RUNNING,
			    _("Tunnel %s is stopped; start it with iotunnelctl start %s."),
			    name,
			    name);
		return;
	}
	if (self->state == IOT_TUNNEL_STATE_CLOSED) {
		g_set_error(
		    error,
		    IOT_TUNNEL_ERROR,
		    IOT_TUNNEL_ERROR_NOT_RUNNING,
		    _("Tunnel %s was closed by its owner or its lifetime ran out; open a new "
		      "tunnel, then remove this one (iotunnelctl remove %s) and add it with "
		      "the new tokens."),
		    name,
		    name);
		return;
	}
	/* the last error is a sentence: quote it without its full stop */
	why = g_strdup(self->last_error != NULL ? self->last_error->message : "");
	if (g_str_has_suffix(why, "."))
		why[strlen(why) - 1] = '\0';
	g_set_error(error,
		    IOT_TUNNEL_ERROR,
		    IOT_TUNNEL_ERROR_NOT_RUNNING,
		    _("Tunnel %s has failed (%s); fix that, then start it again with iotunnelctl "
		      "start %s."),
		    name,
		    why,
		    name);
}

/**
 * iot_tunnel_open_connection:
 * @self: a source tunnel that runs
 * @service_id: one of its service IDs ("" for the unnamed one)
 * @stream: a connected local stream, such as one end of a socket pair
 * @origin: who asked, for logs ("D-Bus :1.42")
 * @error: (nullable): return location for an error
 *
 * Treats @stream as a client that connected to the service's listener: it
 * gets a stream to the destination, or waits for the service while the
 * tunnel reconnects.
 *
 * Returns: %TRUE when the tunnel took @stream
 */
gboolean
iot_tunnel_open_connection(IotTunnel *self,
			   const gchar *service_id,
			   GIOStream *stream,
			   const gchar *origin,
			   GError **error)
{
	IotTunnelService *service;
	guint max;
	g_autofree gchar *description = NULL;
	g_autoptr(IotConnection) connection = NULL;

	g_return_val_if_fail(IOT_IS_TUNNEL(self), FALSE);
	g_return_val_if_fail(G_IS_IO_STREAM(stream), FALSE);

	if (iot_profile_tunnel_get_mode(self->profile) != IOT_TUNNEL_MODE_SOURCE) {
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_NOT_SUPPORTED,
			    _("Tunnel %s is a destination; open connections on its source "
			      "side."),
			    iot_tunnel_name(self));
		return FALSE;
	}
	if (self->state != IOT_TUNNEL_STATE_CONNECTING &&
	    self->state != IOT_TUNNEL_STATE_CONNECTED &&
	    self->state != IOT_TUNNEL_STATE_RECONNECTING) {
		iot_tunnel_set_error_not_running(self, error);
		return FALSE;
	}
	service = iot_tunnel_find_service(self, service_id);
	if (service == NULL) {
		g_auto(GStrv) all = iot_tunnel_dup_service_ids(self);
		g_autofree gchar *ids = g_strjoinv(", ", all);
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_UNKNOWN_SERVICE,
			    _("Tunnel %s has no service \"%s\"; use one of: %s."),
			    iot_tunnel_name(self),
			    service_id,
			    ids);
		return FALSE;
	}
	if (!iot_tunnel_service_is_listed(self, service)) {
		g_autofree gchar *listed =
		    iot_tunnel_describe_ids((const gchar *const *)self->announced);
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_UNKNOWN_SERVICE,
			    _("Service %s is not part of tunnel %s, which has %s; open the tunnel "
			      "with it."),
			    service->id,
			    iot_tunnel_name(self),
			    listed);
		return FALSE;
	}
	max = iot_tunnel_get_connection_budget(self);
	if (self->counters.active_connections >= max) {
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_LIMIT,
			    _("Tunnel %s has %u connections open, the most it takes; close one or "
			      "raise max_connections."),
			    iot_tunnel_name(self),
			    max);
		return FALSE;
	}
	description =
	    g_strdup_printf("%s%s%s", service->id, service->id[0] != '\0' ? " via " : "", origin);
	connection = iot_connection_new(stream, description);
	iot_tunnel_take_local(self, service, connection);
	return TRUE;
}

static gint
iot_tunnel_compare_ids(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* the configured IDs the codec sees, sorted, kept in step with @services */
static void
iot_tunnel_update_service_ids(IotTunnel *self)
{
	g_strfreev(self->service_ids);
	self->service_ids = g_new0(gchar *, self->services->len + 1);
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		self->service_ids[i] = g_strdup(service->id);
	}
	g_qsort_with_data(self->service_ids,
			  self->services->len,
			  sizeof(gchar *),
			  iot_tunnel_compare_ids,
			  NULL);
}

static gboolean
iot_tunnel_add_service(IotTunnel *self,
		       const gchar *id,
		       const gchar *plugin,
		       JsonObject *settings,
		       GError **error)
{
	g_autoptr(GObject) object = NULL;
	IotTunnelService *service;

	if (!iot_plugin_settings_check_service(self->registry,
					       self->profile,
					       id,
					       plugin,
					       settings,
					       error))
		return FALSE;
	object =
	    iot_plugin_registry_create(self->registry, IOT_PLUGIN_KIND_ENDPOINT, plugin, error);
	if (object == NULL)
		return FALSE;
	if (!iot_endpoint_configure(IOT_ENDPOINT(object), settings, error)) {
		g_prefix_error(error, "service %s: ", id[0] != '\0' ? id : "(unnamed)");
		return FALSE;
	}
	service = g_new0(IotTunnelService, 1);
	service->id = g_strdup(id);
	service->endpoint = IOT_ENDPOINT(g_steal_pointer(&object));
	service->tunnel = self;
	g_ptr_array_add(self->services, service);
	iot_tunnel_update_service_ids(self);
	return TRUE;
}

/* one service's listen at a start, under way */
typedef struct {
	IotTunnel *tunnel;
	IotTunnelService *service;
	GCancellable *cancellable; /* the start's */
} IotTunnelListen;

static void
iot_tunnel_listen_free(IotTunnelListen *pending)
{
	g_object_unref(pending->tunnel);
	g_object_unref(pending->cancellable);
	g_free(pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotTunnelListen, iot_tunnel_listen_free)

static void
iot_tunnel_listen_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotTunnelListen) pending = user_data;
	IotTunnel *self = pending->tunnel;
	IotTunnelService *service = pending->service;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *where = NULL;
	gboolean ok = iot_endpoint_listen_finish(IOT_ENDPOINT(source), result, &error);

	/* a stop came first: nothing of this start goes on */
	if (g_cancellable_is_cancelled(pending->cancellable))
		return;
	if (!ok) {
		g_cancellable_cancel(pending->cancellable);
		iot_tunnel_fail(self, error);
		return;
	}
	where = iot_tunnel_get_listen_address(self, service->id);
	iot_tunnel_message(iot_tunnel_name(self),
			   0,
			   0,
			   "service %s listening on %s",
			   service->id[0] != '\0' ? service->id : "(unnamed)",
			   where);
	if (--self->listening == 0)
		iot_tunnel_connect(self);
}

/* source side: every service listens, in the background (a name may need a lookup), then connects
 */
static void
iot_tunnel_listen_all(IotTunnel *self)
{
	self->listening = self->services->len;
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelListen *pending = g_new0(IotTunnelListen, 1);

		pending->tunnel = g_object_ref(self);
		pending->service = g_ptr_array_index(self->services, i);
		pending->cancellable = g_object_ref(self->cancellable);
		g_signal_connect(pending->service->endpoint,
				 "incoming",
				 G_CALLBACK(iot_tunnel_endpoint_incoming_cb),
				 pending->service);
		iot_endpoint_listen_async(pending->service->endpoint,
					  self->cancellable,
					  iot_tunnel_listen_cb,
					  pending);
	}
}

/* sending ---------------------------------------------------------------- */

static void
iot_tunnel_flush(IotTunnel *self)
{
	GBytes *payload;
	while ((payload = iot_frame_encoder_pop(self->encoder)) != NULL) {
		self->counters.bytes_to_service += g_bytes_get_size(payload);
		iot_transport_send(self->transport, payload);
		g_bytes_unref(payload);
	}
	if (iot_transport_get_send_queued(self->transport) > IOT_TRANSPORT_HIGH_WATER)
		iot_tunnel_set_local_reading_paused(self, TRUE);
}

static void
iot_tunnel_transport_drained_cb(IotTransport *transport, IotTunnel *self)
{
	iot_tunnel_set_local_reading_paused(self, FALSE);
}

/* session lifecycle ------------------------------------------------------ */

static void
iot_tunnel_end_session(IotTunnel *self)
{
	if (!self->session_active)
		return;
	self->session_active = FALSE;
	self->streams_open = FALSE;
	g_signal_handlers_disconnect_by_data(self->transport, self);
	iot_codec_stop(self->codec);
	g_clear_object(&self->decoder);
	g_clear_object(&self->encoder);
	g_clear_pointer(&self->announced, g_strfreev);
	if (self->hold != NULL)
		iot_tunnel_hold_stop_releasing(self->hold);
	iot_tunnel_set_local_reading_paused(self, FALSE);
}

/*
 * The tunnel cannot work: @error is logged as it came, and the tunnel keeps
 * @explained (a sentence for the user) or @error as its last error.
 */
static void
iot_tunnel_fail_full(IotTunnel *self, const GError *error, const GError *explained)
{
	iot_tunnel_warning(iot_tunnel_name(self), 0, 0, "%s", error->message);
	iot_tunnel_set_last_error(self, explained != NULL ? explained : error);
	iot_tunnel_end_session(self);
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		iot_endpoint_stop(service->endpoint);
	}
	if (self->hold != NULL)
		iot_tunnel_hold_clear(self->hold);
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_FAILED);
}

static void
iot_tunnel_fail(IotTunnel *self, const GError *error)
{
	iot_tunnel_fail_full(self, error, NULL);
}

/* the HTTP status of the last handshake answer, 0 when none came */
static guint
iot_tunnel_handshake_status(IotTunnel *self)
{
	guint status = 0;
	g_object_get(self->transport, "handshake-status", &status, NULL);
	return status;
}

/* "the region us-east-1" or "the endpoint wss://host:443", for sentences */
static gchar *
iot_tunnel_describe_service(IotTunnel *self)
{
	const gchar *region = iot_profile_tunnel_get_region(self->profile);
	if (region != NULL)
		return g_strdup_printf(_("the region %s"), region);
	return g_strdup_printf(_("the endpoint %s"),
			       iot_profile_tunnel_get_base_url(self->profile));
}

/* where the web proxy came from, for sentences */
static const gchar *
iot_tunnel_describe_proxy_setting(IotTunnel *self)
{
	JsonObject *settings = iot_profile_tunnel_get_transport_settings(self->profile);
	const gchar *proxy = NULL;
	const gchar *lower;

	if (json_object_has_member(settings, "proxy"))
		proxy = json_object_get_string_member_with_default(settings, "proxy", NULL);
	if (proxy != NULL && g_strcmp0(proxy, "env") != 0)
		return _("the profile's transport.proxy");
	/* the lower-case variable wins when both are set, as the transport reads them */
	lower = g_getenv("https_proxy");
	return lower != NULL && lower[0] != '\0' ? "https_proxy" : "HTTPS_PROXY";
}

/* a service's 4xx answer, in one sentence that names the likely cause */
static gchar *
iot_tunnel_explain_refusal(IotTunnel *self, const GError *error)
{
	guint status = iot_tunnel_handshake_status(self);
	gboolean source = iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_SOURCE;
	gboolean client_token = iot_profile_tunnel_has_client_token(self->profile);
	g_autofree gchar *service = iot_tunnel_describe_service(self);

	switch (status) {
	case 401:
		return g_strdup_printf(
		    _("The service does not know this access token (HTTP 401): it is mistyped, "
		      "its tunnel was closed long ago, or it belongs to another region or "
		      "endpoint; check the token and %s."),
		    service);
	case 403:
		if (self->ever_connected && !client_token)
			return g_strdup(
			    _("The service refused to reconnect (HTTP 403): the access token was "
			      "spent by the first connection; rotate the tunnel's access tokens, "
			      "and give the proxy a client token (AWSIOT_TUNNEL_CLIENT_TOKEN or "
			      "client_token in the profile) so that it can reconnect next time."));
		if (self->ever_connected)
			return g_strdup(
			    _("The service refused to reconnect (HTTP 403): the access token is "
			      "now in use with another client token, by another proxy; stop that "
			      "proxy, or rotate the tunnel's access tokens."));
		return g_strdup_printf(
		    source ? _("The service refused the access token (HTTP 403): it was already "
			       "used or has expired, or it is the destination's token and this "
			       "proxy runs in source mode; give this proxy the source token of an "
			       "open tunnel, or rotate the tokens.")
			   : _("The service refused the access token (HTTP 403): it was already "
			       "used or has expired, or it is the source's token and this proxy "
			       "runs in destination mode; give this proxy the destination token of "
			       "an open tunnel, or rotate the tokens."));
	case 404:
		return g_strdup_printf(
		    _("The service has no tunnel endpoint there (HTTP 404): %s is not a secure "
		      "tunneling service; check the region or endpoint (-r, -e)."),
		    service);
	case 410:
		return g_strdup(_("The tunnel of this access token is closed (HTTP 410): its owner "
				  "closed it or its lifetime ran out; open a new tunnel."));
	case 431:
		return g_strdup(_("The handshake was too large for the service (HTTP 431); the "
				  "access token is probably not the one the service issued: "
				  "check it."));
	case 400:
		return g_strdup_printf(
		    _("The service did not accept the handshake (HTTP 400): %s may not be a "
		      "secure tunneling service, or the client token is malformed; check the "
		      "region or endpoint and the client token."),
		    service);
	default:
		return g_strdup_printf(
		    _("The service refused the connection (%s); check the access token, the mode "
		      "(%s) and %s."),
		    error->message,
		    source ? "source" : "destination",
		    service);
	}
}

/*
 * Words a transport failure for the user, where the daemon meets the user:
 * one sentence saying what is wrong and how to fix it. The domain and code
 * stay the transport's; the detail stays in the log.
 */
static GError *
iot_tunnel_explain(IotTunnel *self, const GError *error)
{
	g_autofree gchar *text = NULL;

	if (error->domain != IOT_TRANSPORT_ERROR)
		return g_error_copy(error);
	switch (error->code) {
	case IOT_TRANSPORT_ERROR_REFUSED:
		text = iot_tunnel_explain_refusal(self, error);
		break;
	case IOT_TRANSPORT_ERROR_PROXY:
		text = g_strdup_printf(
		    _("The web proxy did not carry the connection to the service (%s); check "
		      "the web proxy's address, user and password in %s, or list the service's "
		      "host in NO_PROXY."),
		    error->message,
		    iot_tunnel_describe_proxy_setting(self));
		break;
	case IOT_TRANSPORT_ERROR_PROXY_NOT_TLS:
		text = g_strdup_printf(
		    _("The web proxy in %s is not an https:// one (%s); if it is a plain proxy, "
		      "write http:// rather than https:// there."),
		    iot_tunnel_describe_proxy_setting(self),
		    error->message);
		break;
	case IOT_TRANSPORT_ERROR_PROXY_TLS:
		text = g_strdup_printf(
		    _("The web proxy's TLS certificate was not accepted (%s); check the host name "
		      "in %s and give the authority that signed the certificate with -c "
		      "(proxy_ca_path or ca_path), or, for tests only, skip the check with -k."),
		    error->message,
		    iot_tunnel_describe_proxy_setting(self));
		break;
	case IOT_TRANSPORT_ERROR_TLS:
		text = g_strdup_printf(
		    _("The service's TLS certificate was not accepted (%s); check the host name "
		      "of the endpoint and give the authority that signed the certificate with "
		      "-c DIR (ca_path), or, for tests only, skip the check with -k."),
		    error->message);
		break;
	case IOT_TRANSPORT_ERROR_NOT_TLS: {
		g_autofree gchar *service = iot_tunnel_describe_service(self);
		text = g_strdup_printf(
		    _("There is no secure tunneling service at %s (%s); is the endpoint (-e) the "
		      "address of the tunneling service?"),
		    service,
		    error->message);
		break;
	}
	case IOT_TRANSPORT_ERROR_PROTOCOL: {
		g_autofree gchar *service = iot_tunnel_describe_service(self);
		text = g_strdup_printf(
		    _("The service did not answer as a secure tunneling service (%s); check %s."),
		    error->message,
		    service);
		break;
	}
	case IOT_TRANSPORT_ERROR_SETTINGS:
		text = g_strdup_printf(_("The connection to the service cannot be set up (%s); "
					 "fix the transport settings or the tokens."),
				       error->message);
		break;
	case IOT_TRANSPORT_ERROR_UNAVAILABLE:
	case IOT_TRANSPORT_ERROR_NETWORK: {
		g_autofree gchar *service = iot_tunnel_describe_service(self);
		text = g_strdup_printf(
		    g_dngettext(GETTEXT_PACKAGE,
				"The service could not be reached in %u try (%s); check the "
				"network, %s and any web proxy, or allow more tries "
				"(reconnect.count).",
				"The service could not be reached in %u tries in a row (%s); check "
				"the network, %s and any web proxy, or allow more tries "
				"(reconnect.count).",
				self->retry_attempt + 1),
		    self->retry_attempt + 1,
		    error->message,
		    service);
		break;
	}
	default:
		return g_error_copy(error);
	}
	return g_error_new_literal(error->domain, error->code, text);
}

/* the service ended the tunnel (owner or lifetime): stop, and say so */
static void
iot_tunnel_closed_by_service(IotTunnel *self, const GError *error, const gchar *sentence)
{
	g_autoptr(GError) closed =
	    g_error_new_literal(IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED, sentence);

	iot_tunnel_message(iot_tunnel_name(self), 0, 0, "%s", error->message);
	iot_tunnel_end_session(self);
	iot_tunnel_stop(self);
	iot_tunnel_set_last_error(self, closed);
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_CLOSED);
}

static gboolean
iot_tunnel_retry_cb(gpointer user_data)
{
	IotTunnel *self = IOT_TUNNEL(user_data);
	self->retry_source = 0;
	iot_tunnel_connect(self);
	return G_SOURCE_REMOVE;
}

/*
 * Tries again later: the profile's first delay, doubled after each try that
 * failed in a row, capped, with jitter. A try that failed (@failed) counts
 * against the profile's retry count; past it, the tunnel gives up.
 */
static void
iot_tunnel_schedule_retry(IotTunnel *self, const GError *error, gboolean failed)
{
	gint count = iot_profile_tunnel_get_reconnect_count(self->profile);
	guint64 cap = iot_profile_tunnel_get_reconnect_max_delay_ms(self->profile);
	guint64 delay = iot_profile_tunnel_get_reconnect_delay_ms(self->profile);
	guint64 jitter;

	if (failed && count >= 0 && self->retry_attempt >= (guint)count) {
		g_autoptr(GError) explained = iot_tunnel_explain(self, error);
		iot_tunnel_fail_full(self, error, explained);
		return;
	}
	for (guint i = 0; i < self->retry_attempt && delay < cap; i++)
		delay *= 2;
	delay = MIN(delay, cap);
	jitter = delay * IOT_TUNNEL_RETRY_JITTER_PERCENT / 100;
	delay = delay - jitter + (guint64)g_random_int_range(0, (gint32)(2 * jitter + 1));
	if (failed)
		self->retry_attempt++;
	iot_tunnel_set_last_error(self, error);
	iot_tunnel_message(iot_tunnel_name(self),
			   0,
			   0,
			   "%s; trying again in %u ms",
			   error->message,
			   (guint)delay);
	self->retry_source = g_timeout_add((guint)delay, iot_tunnel_retry_cb, self);
}

static void
iot_tunnel_session_lost(IotTunnel *self, const GError *error)
{
	iot_tunnel_end_session(self);
	self->counters.reconnects++;
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_RECONNECTING);
	iot_tunnel_schedule_retry(self, error, FALSE);
}

static void
iot_tunnel_transport_message_cb(IotTransport *transport, GBytes *payload, IotTunnel *self)
{
	g_autoptr(IotTunnel) hold G_GNUC_UNUSED = g_object_ref(self);

	self->counters.bytes_from_service += g_bytes_get_size(payload);
	iot_frame_decoder_push(self->decoder, payload);
	while (self->session_active) {
		g_autoptr(GError) error = NULL;
		g_autoptr(IotMessage) msg = iot_frame_decoder_next(self->decoder, &error);
		if (msg == NULL && error == NULL)
			break;
		if (msg == NULL) {
			g_prefix_error(&error, "the service sent an unreadable frame: ");
			iot_transport_close(self->transport);
			iot_tunnel_session_lost(self, error);
			break;
		}
		self->counters.messages_from_service++;
		if (!iot_codec_receive(self->codec, msg, &error)) {
			iot_transport_close(self->transport);
			iot_tunnel_session_lost(self, error);
			break;
		}
	}
}

static void
iot_tunnel_transport_round_trip_cb(IotTransport *transport, gint64 microseconds, IotTunnel *self)
{
	self->counters.round_trip_us = microseconds;
	iot_tunnel_debug(iot_tunnel_name(self),
			 0,
			 0,
			 "service round trip %" G_GINT64_FORMAT " us",
			 microseconds);
}

static void
iot_tunnel_transport_closed_cb(IotTransport *transport, const GError *error, IotTunnel *self)
{
	g_autoptr(IotTunnel) hold G_GNUC_UNUSED = g_object_ref(self);

	if (g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_CLOSED)) {
		iot_tunnel_closed_by_service(
		    self,
		    error,
		    _("The tunnel was closed by its owner or its lifetime ran out; the proxy "
		      "stops."));
		return;
	}
	iot_tunnel_session_lost(self, error);
}

static void
iot_tunnel_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotTunnel) self = IOT_TUNNEL(user_data);
	g_autoptr(GError) error = NULL;
	const gchar *chosen;

	if (!iot_transport_connect_finish(IOT_TRANSPORT(source), result, &error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		if (g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_UNAVAILABLE) ||
		    g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_NETWORK)) {
			iot_tunnel_schedule_retry(self, error, TRUE);
			return;
		}
		/* closed while we were away: as if the service had closed the WebSocket */
		if (self->ever_connected &&
		    g_error_matches(error, IOT_TRANSPORT_ERROR, IOT_TRANSPORT_ERROR_REFUSED) &&
		    iot_tunnel_handshake_status(self) == 410) {
			iot_tunnel_closed_by_service(
			    self,
			    error,
			    _("The tunnel was closed by its owner or its lifetime ran out while "
			      "the proxy was reconnecting; the proxy stops."));
			return;
		}
		{
			g_autoptr(GError) explained = iot_tunnel_explain(self, error);
			iot_tunnel_fail_full(self, error, explained);
		}
		return;
	}

	chosen = iot_transport_get_subprotocol(self->transport);
	g_free(self->channel_id);
	self->channel_id = g_strdup(iot_transport_get_channel_id(self->transport));
	iot_tunnel_message(iot_tunnel_name(self),
			   0,
			   0,
			   "connected (%s, channel %s)",
			   chosen,
			   self->channel_id != NULL ? self->channel_id : "unknown");
	self->retry_attempt = 0;
	self->ever_connected = TRUE;
	iot_tunnel_set_last_error(self, NULL);
	self->decoder = iot_frame_decoder_new();
	self->encoder = iot_frame_encoder_new(IOT_WEBSOCKET_MAX_PAYLOAD);
	self->session_active = TRUE;
	g_signal_connect(self->transport,
			 "message",
			 G_CALLBACK(iot_tunnel_transport_message_cb),
			 self);
	g_signal_connect(self->transport,
			 "closed",
			 G_CALLBACK(iot_tunnel_transport_closed_cb),
			 self);
	g_signal_connect(self->transport,
			 "drained",
			 G_CALLBACK(iot_tunnel_transport_drained_cb),
			 self);
	g_signal_connect(self->transport,
			 "round-trip",
			 G_CALLBACK(iot_tunnel_transport_round_trip_cb),
			 self);
	g_object_get(self->transport, "ping-period", &self->counters.ping_period_ms, NULL);
	iot_tunnel_debug(iot_tunnel_name(self),
			 0,
			 0,
			 "pinging the service every %u ms (0: never)",
			 self->counters.ping_period_ms);
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_CONNECTED);
	iot_codec_start(self->codec, IOT_SESSION(self), chosen);

	/* a 1.0 session gets no SERVICE_IDS: streams may start at once */
	if (iot_subprotocol_get_version(chosen) == 1)
		iot_tunnel_open_streams(self);
}

static void
iot_tunnel_connect(IotTunnel *self)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *access_token = NULL;
	g_autofree gchar *client_token = NULL;
	const gchar *url = iot_profile_tunnel_get_tunnel_url(self->profile);
	const gchar *subprotocols[] = {self->subprotocol, NULL};
	IotTransportParams params = {0};

	access_token = iot_profile_tunnel_read_access_token(self->profile, &error);
	if (access_token == NULL) {
		iot_tunnel_fail(self, error);
		return;
	}
	if (iot_profile_tunnel_has_client_token(self->profile)) {
		client_token = iot_profile_tunnel_read_client_token(self->profile, &error);
		if (client_token == NULL) {
			iot_tunnel_fail(self, error);
			return;
		}
	}
	params.url = url;
	params.access_token = access_token;
	params.client_token = client_token;
	params.subprotocols = subprotocols;
	iot_transport_connect_async(self->transport,
				    &params,
				    self->cancellable,
				    iot_tunnel_connect_cb,
				    g_object_ref(self));
}

/* wipes and frees a token read to check it */
static void
iot_tunnel_token_free(gchar *token)
{
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	g_free(token);
}

/*
 * The tokens can be read (a file is there, a variable is set): found out
 * before anything listens or connects, not after. They are read again,
 * fresh, at each connect.
 */
static gboolean
iot_tunnel_check_tokens(IotTunnel *self, GError **error)
{
	gchar *token = iot_profile_tunnel_read_access_token(self->profile, error);

	if (token == NULL)
		return FALSE;
	iot_tunnel_token_free(token);
	if (!iot_profile_tunnel_has_client_token(self->profile))
		return TRUE;
	token = iot_profile_tunnel_read_client_token(self->profile, error);
	if (token == NULL)
		return FALSE;
	iot_tunnel_token_free(token);
	return TRUE;
}

/**
 * iot_tunnel_start:
 * @self: a tunnel
 *
 * Starts listening (source side) and connecting to the service.
 */
void
iot_tunnel_start(IotTunnel *self)
{
	g_return_if_fail(IOT_IS_TUNNEL(self));

	if (self->state == IOT_TUNNEL_STATE_CONNECTING ||
	    self->state == IOT_TUNNEL_STATE_CONNECTED ||
	    self->state == IOT_TUNNEL_STATE_RECONNECTING)
		return;
	iot_tunnel_set_last_error(self, NULL);
	self->retry_attempt = 0;
	self->ever_connected = FALSE;
	g_clear_object(&self->cancellable);
	self->cancellable = g_cancellable_new();
	{
		g_autoptr(GError) error = NULL;
		if (!iot_tunnel_check_tokens(self, &error)) {
			iot_tunnel_fail(self, error);
			return;
		}
	}
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_CONNECTING);
	if (iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_SOURCE &&
	    self->services->len > 0)
		iot_tunnel_listen_all(self);
	else
		iot_tunnel_connect(self);
}

static void
iot_tunnel_transport_closing_cb(GObject *transport, GParamSpec *pspec, IotTunnel *self)
{
	if (!iot_tunnel_is_closing(self))
		g_signal_emit(self, signals[SIGNAL_CLOSED], 0);
}

/* closes the WebSocket with a normal close; ::closed follows once its closing handshake ends */
static void
iot_tunnel_close_transport(IotTunnel *self)
{
	/* the handler of a stop before may have gone with its session's handlers */
	if (self->closing_handler != 0 &&
	    g_signal_handler_is_connected(self->transport, self->closing_handler))
		g_signal_handler_disconnect(self->transport, self->closing_handler);
	self->closing_handler = g_signal_connect(self->transport,
						 "notify::closing",
						 G_CALLBACK(iot_tunnel_transport_closing_cb),
						 self);
	iot_transport_close(self->transport);
}

/**
 * iot_tunnel_stop:
 * @self: a tunnel
 *
 * Ends every local connection, closes the WebSocket with a normal close and
 * stops listening.
 */
void
iot_tunnel_stop(IotTunnel *self)
{
	gboolean was_active;

	g_return_if_fail(IOT_IS_TUNNEL(self));

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->retry_source, g_source_remove);
	was_active = self->session_active;
	iot_tunnel_end_session(self);
	if (was_active)
		iot_tunnel_close_transport(self);
	if (self->hold != NULL)
		iot_tunnel_hold_clear(self->hold);
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		g_signal_handlers_disconnect_by_data(service->endpoint, service);
		iot_endpoint_stop(service->endpoint);
	}
	iot_tunnel_set_state(self, IOT_TUNNEL_STATE_STOPPED);
}

/* IotSession ------------------------------------------------------------- */

static IotTunnelMode
iot_tunnel_get_mode(IotSession *session)
{
	return iot_profile_tunnel_get_mode(IOT_TUNNEL(session)->profile);
}

static const gchar *const *
iot_tunnel_get_service_ids(IotSession *session)
{
	return (const gchar *const *)IOT_TUNNEL(session)->service_ids;
}

static void
iot_tunnel_send(IotSession *session, const IotMessage *msg)
{
	IotTunnel *self = IOT_TUNNEL(session);
	g_autoptr(GError) error = NULL;

	if (!self->session_active)
		return;
	if (!iot_frame_encoder_add(self->encoder, msg, &error)) {
		g_critical("tunnel %s: cannot encode %s: %s",
			   iot_tunnel_name(self),
			   iot_message_type_to_string(msg->type),
			   error->message);
		return;
	}
	self->counters.messages_to_service++;
	iot_tunnel_flush(self);
}

static void
iot_tunnel_endpoint_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotTunnel *self = g_task_get_source_object(task);
	IotTunnelService *service = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(IotConnection) connection = NULL;
	g_autofree gchar *where = iot_endpoint_describe(IOT_ENDPOINT(source));
	g_autofree gchar *description = NULL;

	self->connecting--;
	stream = iot_endpoint_connect_finish(IOT_ENDPOINT(source), result, &error);
	if (stream == NULL) {
		iot_tunnel_log_rate_limited(G_LOG_LEVEL_MESSAGE,
					    iot_tunnel_name(self),
					    0,
					    0,
					    "%s",
					    error->message);
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	description =
	    g_strdup_printf("%s%s%s", service->id, service->id[0] != '\0' ? " to " : "", where);
	connection = iot_connection_new(stream, description);
	iot_tunnel_register_connection(self, connection);
	g_task_return_pointer(task, g_steal_pointer(&connection), g_object_unref);
}

static void
iot_tunnel_session_connect_async(IotSession *session,
				 const gchar *service_id,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	IotTunnel *self = IOT_TUNNEL(session);
	IotTunnelService *service = iot_tunnel_find_service(self, service_id);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	guint max;

	g_task_set_source_tag(task, iot_tunnel_session_connect_async);
	if (service == NULL) {
		g_task_return_new_error(task,
					IOT_TUNNEL_ERROR,
					IOT_TUNNEL_ERROR_SERVICES,
					"no mapping for service %s",
					service_id);
		return;
	}
	max = iot_tunnel_get_connection_budget(self);
	if (self->counters.active_connections + self->connecting >= max) {
		g_task_return_new_error(
		    task,
		    IOT_TUNNEL_ERROR,
		    IOT_TUNNEL_ERROR_LIMIT,
		    "refused: %u connections are open or opening, the most this "
		    "tunnel takes (max_connections, and the open file limit)",
		    max);
		return;
	}
	self->connecting++;
	g_task_set_task_data(task, service, NULL);
	iot_endpoint_connect_async(service->endpoint,
				   cancellable,
				   iot_tunnel_endpoint_connect_cb,
				   g_steal_pointer(&task));
}

static IotConnection *
iot_tunnel_session_connect_finish(IotSession *session, GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* the one mapping, when it has no name (`-s 5555`, `-d 22`), or NULL */
static IotTunnelService *
iot_tunnel_get_unnamed(IotTunnel *self)
{
	IotTunnelService *service;

	if (self->services->len != 1)
		return NULL;
	service = g_ptr_array_index(self->services, 0);
	return service->id[0] == '\0' ? service : NULL;
}

/* where @service listens or connects, as -s or -d would take it */
static gchar *
iot_tunnel_describe_mapping(IotTunnel *self, IotTunnelService *service)
{
	if (iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_SOURCE)
		return iot_tunnel_get_listen_address(self, service->id);
	return iot_endpoint_describe(service->endpoint);
}

/*
 * A single unnamed mapping on a tunnel of several services cannot say which
 * one it is for: its streams name none (V1 format), as the reference's do.
 * They pair with the other side's unnamed mapping, and with nothing else.
 */
static void
iot_tunnel_warn_unnamed(IotTunnel *self, IotTunnelService *service, const gchar *const *ids)
{
	g_autofree gchar *listed = iot_tunnel_describe_ids(ids);
	g_autofree gchar *where = iot_tunnel_describe_mapping(self, service);

	if (iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_SOURCE)
		iot_tunnel_log_rate_limited(
		    G_LOG_LEVEL_WARNING,
		    iot_tunnel_name(self),
		    0,
		    0,
		    _("the tunnel has several services (%s) and the one mapping "
		      "here names none, so its connections carry no service name "
		      "and reach only a destination with one unnamed mapping; to "
		      "reach one service, name the mapping, such as -s %s=%s."),
		    listed,
		    ids[0],
		    where);
	else
		iot_tunnel_log_rate_limited(
		    G_LOG_LEVEL_WARNING,
		    iot_tunnel_name(self),
		    0,
		    0,
		    _("the tunnel has several services (%s) and the one mapping "
		      "here names none, so it serves only connections that carry no "
		      "service name, from a source with one unnamed mapping; name "
		      "the mapping for the service it serves, such as -d %s=%s."),
		    listed,
		    ids[0],
		    where);
}

/*
 * Says, in one sentence, which named mappings the tunnel's SERVICE_IDS do
 * not name. A source closes their connections at once (the service would
 * drop the whole WebSocket for their streams), keeping the listeners so
 * that the ports stay the same if a later session lists them. A
 * destination never gets their streams; its one named mapping still serves
 * a tunnel without services, whose streams name none.
 */
static void
iot_tunnel_report_unlisted(IotTunnel *self, const gchar *const *ids)
{
	gboolean source = iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_SOURCE;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) unlisted = NULL;
	g_autofree gchar *names = NULL;
	g_autofree gchar *listed = iot_tunnel_describe_ids(ids);
	static IotLogRateLimit unlisted_limit;
	guint suppressed = 0;
	guint n;

	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		if (!g_strv_contains(ids, service->id))
			g_strv_builder_add(builder, service->id);
	}
	unlisted = g_strv_builder_end(builder);
	n = g_strv_length(unlisted);
	if (n == 0 || (!source && ids[0] == NULL && self->services->len == 1))
		return;
	/* said at each SERVICE_IDS, which a service may send at any rate */
	if (!iot_log_rate_limit_pass(&unlisted_limit, &suppressed))
		return;
	names = g_strjoinv(", ", unlisted);
	if (source && ids[0] == NULL)
		g_warning(
		    g_dngettext(GETTEXT_PACKAGE,
				"tunnel %s: service %s is not part of this tunnel, which has %s: "
				"connections to it are closed at once; open the tunnel with %s, "
				"or map ports without names on both sides (-s PORT, -d PORT).",
				"tunnel %s: services %s are not part of this tunnel, which has "
				"%s: connections to them are closed at once; open the tunnel "
				"with %s, or map one port without a name on both sides (-s "
				"PORT, -d PORT).",
				n),
		    iot_tunnel_name(self),
		    names,
		    listed,
		    names);
	else if (source)
		g_warning(
		    g_dngettext(GETTEXT_PACKAGE,
				"tunnel %s: service %s is not part of this tunnel, which has %s: "
				"connections to it are closed at once; open the tunnel with %s, "
				"or remove its mapping.",
				"tunnel %s: services %s are not part of this tunnel, which has "
				"%s: connections to them are closed at once; open the tunnel "
				"with %s, or remove their mappings.",
				n),
		    iot_tunnel_name(self),
		    names,
		    listed,
		    names);
	else
		g_warning(
		    g_dngettext(GETTEXT_PACKAGE,
				"tunnel %s: service %s is not part of this tunnel, which has %s, "
				"so its mapping is not used; open the tunnel with %s, or remove "
				"the mapping.",
				"tunnel %s: services %s are not part of this tunnel, which has "
				"%s, so their mappings are not used; open the tunnel with %s, "
				"or remove the mappings.",
				n),
		    iot_tunnel_name(self),
		    names,
		    listed,
		    names);
}

static gboolean
iot_tunnel_service_ids_received(IotSession *session, const gchar *const *ids, GError **error)
{
	IotTunnel *self = IOT_TUNNEL(session);
	gboolean destination =
	    iot_profile_tunnel_get_mode(self->profile) == IOT_TUNNEL_MODE_DESTINATION;
	IotTunnelService *unnamed = iot_tunnel_get_unnamed(self);
	guint n_ids = g_strv_length((gchar **)ids);
	g_autofree gchar *listed = NULL;

	if (n_ids > IOT_TUNNEL_MAX_SERVICES) {
		g_set_error(error,
			    IOT_TUNNEL_ERROR,
			    IOT_TUNNEL_ERROR_SERVICES,
			    _("The service announced %u services, more than the %u a tunnel can "
			      "have; it is not a secure tunneling service, or a faulty one."),
			    n_ids,
			    IOT_TUNNEL_MAX_SERVICES);
		return FALSE;
	}
	listed = iot_tunnel_quote_ids(ids);
	iot_tunnel_log_rate_limited(G_LOG_LEVEL_MESSAGE,
				    iot_tunnel_name(self),
				    0,
				    0,
				    "the service has %s",
				    listed[0] != '\0' ? listed : "no named services");
	if (unnamed != NULL) {
		if (g_strv_length((gchar **)ids) > 1)
			iot_tunnel_warn_unnamed(self, unnamed, ids);
	} else {
		for (guint i = 0; ids[i] != NULL; i++) {
			g_autofree gchar *quoted = NULL;

			if (iot_tunnel_find_service(self, ids[i]) != NULL)
				continue;
			quoted = iot_log_quote(ids[i], IOT_LOG_MAX_QUOTED);
			if (destination) {
				g_set_error(error,
					    IOT_TUNNEL_ERROR,
					    IOT_TUNNEL_ERROR_SERVICES,
					    _("The tunnel has service %s, which has no destination "
					      "here; map it (for example -d %s=22)."),
					    quoted,
					    quoted);
				return FALSE;
			}
			/* a source listens only where its mappings say */
			iot_tunnel_log_rate_limited(
			    G_LOG_LEVEL_MESSAGE,
			    iot_tunnel_name(self),
			    0,
			    0,
			    "service %s has no mapping here: nothing listens for it",
			    quoted);
		}
		iot_tunnel_report_unlisted(self, ids);
	}
	g_strfreev(self->announced);
	self->announced = g_strdupv((gchar **)ids);
	iot_tunnel_open_streams(self);
	return TRUE;
}

static void
iot_tunnel_session_fail(IotSession *session, const GError *error)
{
	IotTunnel *self = IOT_TUNNEL(session);
	if (g_error_matches(error, IOT_CODEC_ERROR, IOT_CODEC_ERROR_SERVICE_IDS) ||
	    g_error_matches(error, IOT_TUNNEL_ERROR, IOT_TUNNEL_ERROR_SERVICES)) {
		iot_transport_close(self->transport);
		iot_tunnel_fail(self, error);
		return;
	}
	iot_transport_close(self->transport);
	iot_tunnel_session_lost(self, error);
}

/* codecs name the tunnel in their log lines */
static const gchar *
iot_tunnel_session_get_name(IotSession *session)
{
	return iot_tunnel_name(IOT_TUNNEL(session));
}

/* the peer reset a connection before a byte passed: one the hold released waits again */
static gboolean
iot_tunnel_session_take_back(IotSession *session,
			     const gchar *service_id,
			     IotConnection *connection)
{
	IotTunnel *self = IOT_TUNNEL(session);
	return self->hold != NULL && iot_tunnel_hold_take_back(self->hold, connection);
}

/*
 * the window a codec announces to a peer that paces itself; 0, for no
 * protocol extensions at all, when the profile turns them off
 */
static gsize
iot_tunnel_session_get_connection_budget(IotSession *session)
{
	IotTunnel *self = IOT_TUNNEL(session);
	if (!iot_profile_tunnel_get_extensions(self->profile))
		return 0;
	return iot_profile_tunnel_get_connection_buffer(self->profile);
}

static void
iot_tunnel_session_iface_init(IotSessionInterface *iface)
{
	iface->get_mode = iot_tunnel_get_mode;
	iface->get_service_ids = iot_tunnel_get_service_ids;
	iface->send = iot_tunnel_send;
	iface->connect_async = iot_tunnel_session_connect_async;
	iface->connect_finish = iot_tunnel_session_connect_finish;
	iface->service_ids_received = iot_tunnel_service_ids_received;
	iface->fail = iot_tunnel_session_fail;
	iface->get_name = iot_tunnel_session_get_name;
	iface->take_back = iot_tunnel_session_take_back;
	iface->get_connection_budget = iot_tunnel_session_get_connection_budget;
}

/* construction and getters ----------------------------------------------- */

/**
 * iot_tunnel_new:
 * @profile: the tunnel's profile
 * @registry: the loaded plugins
 * @error: (nullable): return location for an error
 *
 * Creates the transport, codec and endpoints the profile names and checks
 * their settings. Nothing touches the network until iot_tunnel_start().
 *
 * Returns: (transfer full): a stopped tunnel, or %NULL with @error set
 */
IotTunnel *
iot_tunnel_new(IotProfileTunnel *profile, IotPluginRegistry *registry, GError **error)
{
	g_autoptr(IotTunnel) self = g_object_new(IOT_TYPE_TUNNEL, NULL);
	g_autoptr(GObject) transport = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GObject) codec = NULL;
	g_autofree gchar *codec_name = NULL;
	GPtrArray *services;
	guint version = iot_profile_tunnel_get_protocol(profile);
	guint client_type = iot_profile_tunnel_get_destination_client_type(profile);

	self->profile = g_object_ref(profile);
	self->registry = g_object_ref(registry);

	if (!iot_plugin_settings_check_transport(registry, profile, error))
		return NULL;
	transport = iot_plugin_registry_create(registry,
					       IOT_PLUGIN_KIND_TRANSPORT,
					       iot_profile_tunnel_get_transport_type(profile),
					       error);
	if (transport == NULL)
		return NULL;
	if (!iot_transport_configure(IOT_TRANSPORT(transport),
				     iot_profile_tunnel_get_transport_settings(profile),
				     &error_local)) {
		g_set_error(
		    error,
		    error_local->domain,
		    error_local->code,
		    _("The transport cannot be set up (%s); fix the web proxy in %s, or the "
		      "transport settings of the profile."),
		    error_local->message,
		    iot_tunnel_describe_proxy_setting(self));
		return NULL;
	}
	self->transport = IOT_TRANSPORT(g_steal_pointer(&transport));

	codec_name = g_strdup_printf("v%u", client_type != 0 ? client_type : version);
	codec = iot_plugin_registry_create(registry, IOT_PLUGIN_KIND_CODEC, codec_name, error);
	if (codec == NULL)
		return NULL;
	self->codec = IOT_CODEC(g_steal_pointer(&codec));
	/* the codec's subprotocol, or a newer version's when its rules are older (-y) */
	self->subprotocol = g_strdup(client_type != 0 ? iot_subprotocol_for_version(version)
						      : iot_codec_get_subprotocol(self->codec));
	if (iot_profile_tunnel_get_mode(profile) == IOT_TUNNEL_MODE_SOURCE)
		self->hold = iot_tunnel_hold_new(iot_profile_tunnel_get_name(profile),
						 iot_tunnel_hold_hand_over_cb,
						 iot_tunnel_hold_start_reading_cb,
						 self);

	services = iot_profile_tunnel_get_services(profile);
	for (guint i = 0; i < services->len; i++) {
		IotProfileService *service = g_ptr_array_index(services, i);
		if (!iot_tunnel_add_service(self,
					    iot_profile_service_get_id(service),
					    iot_profile_service_get_endpoint(service),
					    iot_profile_service_get_settings(service),
					    error))
			return NULL;
	}
	return g_steal_pointer(&self);
}

/**
 * iot_tunnel_is_closing:
 * @self: a tunnel
 *
 * Returns: whether the WebSocket that iot_tunnel_stop() closed is still
 *   finishing its closing handshake (the transport's
 *   "closing" property)
 */
gboolean
iot_tunnel_is_closing(IotTunnel *self)
{
	gboolean closing = FALSE;

	g_return_val_if_fail(IOT_IS_TUNNEL(self), FALSE);
	g_object_get(self->transport, "closing", &closing, NULL);
	return closing;
}

IotProfileTunnel *
iot_tunnel_get_profile(IotTunnel *self)
{
	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	return self->profile;
}

IotTunnelState
iot_tunnel_get_state(IotTunnel *self)
{
	g_return_val_if_fail(IOT_IS_TUNNEL(self), IOT_TUNNEL_STATE_FAILED);
	return self->state;
}

const GError *
iot_tunnel_get_last_error(IotTunnel *self)
{
	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	return self->last_error;
}

const gchar *
iot_tunnel_get_channel_id(IotTunnel *self)
{
	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	return self->channel_id;
}

const IotTunnelCounters *
iot_tunnel_get_counters(IotTunnel *self)
{
	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	return &self->counters;
}

/**
 * iot_tunnel_get_listen_address:
 * @self: a tunnel
 * @service_id: a configured service ID
 *
 * Returns: (transfer full) (nullable): where the service's listener listens,
 *   from the endpoint's "local-address" property when it has one
 */
gchar *
iot_tunnel_get_listen_address(IotTunnel *self, const gchar *service_id)
{
	IotTunnelService *service;
	gchar *address = NULL;

	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	service = iot_tunnel_find_service(self, service_id);
	if (service == NULL)
		return NULL;
	address = iot_endpoint_get_local_address(service->endpoint);
	if (address == NULL)
		address = iot_endpoint_describe(service->endpoint);
	return address;
}

/**
 * iot_tunnel_dup_service_ids:
 * @self: a tunnel
 *
 * Returns: (transfer full): the IDs of every service the tunnel has, those
 *   configured and those the service announced later, "" for the unnamed one
 */
GStrv
iot_tunnel_dup_service_ids(IotTunnel *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	g_return_val_if_fail(IOT_IS_TUNNEL(self), NULL);
	for (guint i = 0; i < self->services->len; i++) {
		IotTunnelService *service = g_ptr_array_index(self->services, i);
		g_strv_builder_add(builder, service->id);
	}
	return g_strv_builder_end(builder);
}

static void
iot_tunnel_dispose(GObject *object)
{
	IotTunnel *self = IOT_TUNNEL(object);

	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->retry_source, g_source_remove);
	if (self->session_active)
		iot_tunnel_end_session(self);
	g_clear_object(&self->hold);
	for (guint i = 0; i < self->connections->len; i++) {
		GObject *connection = g_ptr_array_index(self->connections, i);
		g_object_weak_unref(connection, iot_tunnel_connection_weak_notify, self);
		g_signal_handlers_disconnect_by_data(connection, self);
	}
	g_ptr_array_set_size(self->connections, 0);
	g_clear_pointer(&self->services, g_ptr_array_unref);
	g_clear_object(&self->codec);
	g_clear_object(&self->transport);
	g_clear_object(&self->cancellable);
	g_clear_object(&self->registry);
	g_clear_object(&self->profile);
	G_OBJECT_CLASS(iot_tunnel_parent_class)->dispose(object);
}

static void
iot_tunnel_finalize(GObject *object)
{
	IotTunnel *self = IOT_TUNNEL(object);
	g_ptr_array_unref(self->connections);
	g_strfreev(self->service_ids);
	g_strfreev(self->announced);
	g_free(self->subprotocol);
	g_free(self->channel_id);
	g_clear_error(&self->last_error);
	G_OBJECT_CLASS(iot_tunnel_parent_class)->finalize(object);
}

static void
iot_tunnel_class_init(IotTunnelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_tunnel_dispose;
	object_class->finalize = iot_tunnel_finalize;

	signals[SIGNAL_STATE_CHANGED] = g_signal_new("state-changed",
						     G_TYPE_FROM_CLASS(klass),
						     G_SIGNAL_RUN_LAST,
						     0,
						     NULL,
						     NULL,
						     NULL,
						     G_TYPE_NONE,
						     0);
	signals[SIGNAL_CONNECTION_OPENED] = g_signal_new("connection-opened",
							 G_TYPE_FROM_CLASS(klass),
							 G_SIGNAL_RUN_LAST,
							 0,
							 NULL,
							 NULL,
							 NULL,
							 G_TYPE_NONE,
							 2,
							 G_TYPE_STRING,
							 IOT_TYPE_CONNECTION);
	signals[SIGNAL_CONNECTION_CLOSED] = g_signal_new("connection-closed",
							 G_TYPE_FROM_CLASS(klass),
							 G_SIGNAL_RUN_LAST,
							 0,
							 NULL,
							 NULL,
							 NULL,
							 G_TYPE_NONE,
							 0);
	/**
	 * IotTunnel::closed:
	 * @self: the tunnel
	 *
	 * The WebSocket that iot_tunnel_stop() closed has finished its closing
	 * handshake (or given up on it).
	 */
	signals[SIGNAL_CLOSED] = g_signal_new("closed",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      0);
}

static void
iot_tunnel_init(IotTunnel *self)
{
	self->services = g_ptr_array_new_with_free_func((GDestroyNotify)iot_tunnel_service_free);
	self->connections = g_ptr_array_new();
}
