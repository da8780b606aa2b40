/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-peer.h"

#include <iotunnel.h>

#include "iot-service-common.h"
#include "iot-service-peer-stream.h"

/*
 * One proxy's WebSocket, source or destination side of one tunnel.
 *
 * The peer is read by an IotServicePeerStream, which hands libsoup only the
 * control frames (libsoup answers pings and does the close handshake) and
 * the end, and lets the service stop reading this peer (flow control). The
 * guard sees each frame header the peer sends before its payload is read: a
 * frame that breaks RFC 6455, a text frame, or a data message over
 * IOT_WEBSOCKET_MAX_PAYLOAD bytes (in one frame or in fragments) is refused,
 * with close code 1002, 1003 or 1009, and nothing after it is read.
 *
 * Each binary message is decoded into tunnel frames and every frame is
 * checked; a violation closes the peer with 1008 and the reason. The bytes of
 * whole, valid frames are emitted as ::frames, unchanged, to be relayed; the
 * tail of a frame that continues in the next message waits for it.
 *
 * Bytes handed to libsoup to send are counted, pongs (which libsoup sends by
 * itself) and close frames included, and so are the bytes that reach the TLS
 * stream: the difference is what waits in libsoup's queue. Above
 * IOT_SERVICE_HIGH_WATER the peer turns congested, below
 * IOT_SERVICE_LOW_WATER it is no longer.
 *
 * Nothing a peer does can make that queue grow without bound:
 *
 * - What the other peer relays stops at the high-water mark (the tunnel
 *   pauses the other peer).
 * - What the service answers to this peer's own input (a reset to a stream
 *   start with nobody on the other side, a pong to a ping) is followed until
 *   it is written: with IOT_SERVICE_REPLY_BUDGET replies or
 *   IOT_SERVICE_REPLY_BYTES unwritten, the peer's input is held, from the
 *   frame that made the last of them, until half of them are.
 * - A peer that leaves bytes waiting for it for stall_timeout seconds
 *   without taking any, or with over IOT_SERVICE_SEND_BUDGET waiting, is cut
 *   off: its socket is shut down, so libsoup fails and frees it at once.
 *
 * And none can hold the main loop: after IOT_SERVICE_READ_TURN bytes the
 * stream makes the peer wait for the next turn of the loop.
 *
 * ::closed is emitted once, when the service starts closing the peer or the
 * peer's WebSocket ends. The peer keeps itself alive until libsoup is done;
 * one whose WebSocket does not end within IOT_SERVICE_CLOSE_GRACE of the
 * close is cut off too.
 */

/* an answer of the service's own to the peer, followed until it is written */
typedef struct {
	guint64 end; /* the value of handed once it is out */
	gsize size;
} IotServicePeerReply;

struct _IotServicePeer {
	GObject parent_instance;
	IotTunnelMode mode;
	guint version;
	gchar *subprotocol;
	gchar *tunnel_id;
	gchar *channel_id;
	GStrv services;
	GDateTime *connected_at;
	IotServicePeerStream *stream;
	GSocket *socket; /* shut down to cut the peer off */
	guint stall_timeout;
	SoupWebsocketConnection *ws;
	IotFrameDecoder *decoder;
	GQueue unrelayed; /* of GBytes: received bytes of frames not yet whole */
	gsize unrelayed_size;
	/* the WebSocket frame guard */
	IotWebsocketFrameScan ws_scan;
	guint64 ws_message_len; /* payload bytes of the current data message */
	/* flow control */
	guint64 handed; /* bytes given to libsoup, WebSocket framing included */
	gboolean congested;
	gboolean paused_by_other;
	GArray *reply_marks; /* IotServicePeerReply */
	guint reply_head;    /* the first of reply_marks not known to be written */
	gsize reply_bytes;   /* of the replies from reply_head on */
	gboolean replies_held;
	GSource *stall_source;
	gint64 progress_at; /* when bytes last reached the peer, or began to wait for it */
	/* closing */
	GSource *close_watchdog;
	gboolean aborted; /* its socket was shut down */
	gboolean closing;
	gboolean input_refused; /* the guard held back a frame it refuses */
	gboolean close_sent;
	gboolean closed_emitted;
	gushort close_code;
	gchar *close_reason;
	/* counters */
	guint64 bytes_received;
	guint64 messages_received;
	guint64 bytes_sent;
};

G_DEFINE_FINAL_TYPE(IotServicePeer, iot_service_peer, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-peer-error-quark, iot_service_peer_error);

enum { PROP_0, PROP_CONGESTED, PROP_LAST };

static GParamSpec *properties[PROP_LAST] = {NULL};

enum { SIGNAL_FRAMES, SIGNAL_CLOSED, SIGNAL_LAST };

static guint signals[SIGNAL_LAST] = {0};

#define iot_service_peer_log(self, level, ...)                                                     \
	iot_service_log_tunnel(level, (self)->tunnel_id, (self)->channel_id, __VA_ARGS__)

static const gchar *
iot_service_peer_mode_to_string(IotTunnelMode mode)
{
	return mode == IOT_TUNNEL_MODE_SOURCE ? "source" : "destination";
}

static void
iot_service_peer_emit_closed(IotServicePeer *self)
{
	if (self->closed_emitted)
		return;
	self->closed_emitted = TRUE;
	g_signal_emit(self, signals[SIGNAL_CLOSED], 0);
}

static void
iot_service_peer_update_read(IotServicePeer *self)
{
	gboolean paused;

	/*
	 * while closing, read again once our close frame is queued: the reply ends
	 * it; but never hand libsoup the frame the guard refused, which it would
	 * take as a broken connection and drop before the peer read our close;
	 * once cut off, read to find the end
	 */
	if (self->aborted)
		return;
	if (self->closing)
		paused = !self->close_sent || self->input_refused;
	else
		paused = self->paused_by_other || self->replies_held;
	iot_service_peer_stream_set_read_paused(self->stream, paused);
}

static void
iot_service_peer_clear_source(GSource **source)
{
	if (*source == NULL)
		return;
	g_source_destroy(*source);
	g_clear_pointer(source, g_source_unref);
}

/*
 * Cuts the peer off: its socket is shut down, so that libsoup's next read or
 * write fails and it lets go of the connection, whatever waited in its queue.
 */
static void
iot_service_peer_abort(IotServicePeer *self, const gchar *why)
{
	if (self->aborted)
		return;
	iot_service_peer_log(self, G_LOG_LEVEL_WARNING, "cutting the connection off: %s", why);
	self->aborted = TRUE;
	self->closing = TRUE;
	iot_service_peer_clear_source(&self->stall_source);
	iot_service_peer_clear_source(&self->close_watchdog);
	if (self->socket != NULL)
		g_socket_shutdown(self->socket, TRUE, TRUE, NULL);
	iot_service_peer_stream_read_to_end(self->stream);
	iot_service_peer_emit_closed(self);
}

static gboolean
iot_service_peer_close_watchdog_cb(gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);
	g_autofree gchar *why = g_strdup_printf("its WebSocket did not finish closing in %u s",
						(guint)IOT_SERVICE_CLOSE_GRACE);

	g_clear_pointer(&self->close_watchdog, g_source_unref);
	iot_service_peer_abort(self, why);
	return G_SOURCE_REMOVE;
}

/* a close that waits on a peer that does not read is not waited for long */
static void
iot_service_peer_watch_close(IotServicePeer *self)
{
	if (self->close_watchdog != NULL || self->aborted)
		return;
	self->close_watchdog = g_timeout_source_new_seconds(IOT_SERVICE_CLOSE_GRACE);
	g_source_set_static_name(self->close_watchdog, "IotServicePeer close watchdog");
	g_source_set_callback(self->close_watchdog, iot_service_peer_close_watchdog_cb, self, NULL);
	g_source_attach(self->close_watchdog, NULL);
}

static gboolean
iot_service_peer_get_replies_over(IotServicePeer *self, guint divisor)
{
	return self->reply_marks->len - self->reply_head >= IOT_SERVICE_REPLY_BUDGET / divisor ||
	       self->reply_bytes >= IOT_SERVICE_REPLY_BYTES / divisor;
}

/*
 * The reply of @size bytes just handed to libsoup, or about to be: it is out
 * once all that was handed is written (a pong goes ahead of data, a reset
 * after what was queued before it).
 */
static void
iot_service_peer_mark_reply(IotServicePeer *self, gsize size)
{
	IotServicePeerReply reply = {self->handed, size};

	g_array_append_val(self->reply_marks, reply);
	self->reply_bytes += size;
	if (!self->replies_held && iot_service_peer_get_replies_over(self, 1)) {
		iot_service_peer_log(self,
				     G_LOG_LEVEL_DEBUG,
				     "holding its input: %u replies (%" G_GSIZE_FORMAT
				     " bytes) unwritten",
				     self->reply_marks->len - self->reply_head,
				     self->reply_bytes);
		self->replies_held = TRUE;
		iot_service_peer_update_read(self);
	}
}

/* forgets the replies the written bytes account for */
static void
iot_service_peer_forget_written_replies(IotServicePeer *self)
{
	guint64 written = iot_service_peer_stream_get_bytes_written(self->stream);

	while (self->reply_head < self->reply_marks->len) {
		IotServicePeerReply *reply =
		    &g_array_index(self->reply_marks, IotServicePeerReply, self->reply_head);
		if (reply->end > written)
			break;
		self->reply_bytes -= reply->size;
		self->reply_head++;
	}
	if (self->reply_head == self->reply_marks->len) {
		g_array_set_size(self->reply_marks, 0);
		self->reply_head = 0;
	} else if (self->reply_head >= IOT_SERVICE_REPLY_BUDGET) {
		g_array_remove_range(self->reply_marks, 0, self->reply_head);
		self->reply_head = 0;
	}
	if (self->replies_held && !iot_service_peer_get_replies_over(self, 2)) {
		self->replies_held = FALSE;
		iot_service_peer_update_read(self);
	}
}

static gboolean
iot_service_peer_stall_cb(gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);
	gsize queued = iot_service_peer_get_send_queued(self);
	gint64 waited = g_get_monotonic_time() - self->progress_at;
	gint64 timeout = (gint64)self->stall_timeout * G_USEC_PER_SEC;

	g_clear_pointer(&self->stall_source, g_source_unref);
	if (queued == 0 || self->aborted)
		return G_SOURCE_REMOVE;
	if (waited >= timeout) {
		g_autofree gchar *why = g_strdup_printf("it took none of the %" G_GSIZE_FORMAT
							" bytes waiting for it in %u s",
							queued,
							self->stall_timeout);
		iot_service_peer_abort(self, why);
		return G_SOURCE_REMOVE;
	}
	self->stall_source = g_timeout_source_new((timeout - waited) / 1000 + 1);
	g_source_set_static_name(self->stall_source, "IotServicePeer stall");
	g_source_set_callback(self->stall_source, iot_service_peer_stall_cb, self, NULL);
	g_source_attach(self->stall_source, NULL);
	return G_SOURCE_REMOVE;
}

/* bytes wait for the peer: it must take some within stall_timeout */
static void
iot_service_peer_watch_stall(IotServicePeer *self)
{
	if (self->stall_source != NULL || self->aborted ||
	    iot_service_peer_get_send_queued(self) == 0)
		return;
	self->progress_at = g_get_monotonic_time();
	self->stall_source = g_timeout_source_new_seconds(self->stall_timeout);
	g_source_set_static_name(self->stall_source, "IotServicePeer stall");
	g_source_set_callback(self->stall_source, iot_service_peer_stall_cb, self, NULL);
	g_source_attach(self->stall_source, NULL);
}

static void
iot_service_peer_update_congested(IotServicePeer *self)
{
	gsize queued = iot_service_peer_get_send_queued(self);
	gboolean congested = self->congested;

	if (!self->congested && queued > IOT_SERVICE_HIGH_WATER)
		congested = TRUE;
	else if (self->congested && queued < IOT_SERVICE_LOW_WATER)
		congested = FALSE;
	if (congested == self->congested)
		return;
	self->congested = congested;
	iot_service_peer_log(self,
			     G_LOG_LEVEL_DEBUG,
			     "%s, %" G_GSIZE_FORMAT " bytes queued",
			     congested ? "congested" : "drained",
			     queued);
	g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_CONGESTED]);
}

static gboolean
iot_service_peer_close_cb(gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);

	if (!self->aborted &&
	    soup_websocket_connection_get_state(self->ws) == SOUP_WEBSOCKET_STATE_OPEN) {
		self->handed += 4 + strlen(self->close_reason);
		soup_websocket_connection_close(self->ws, self->close_code, self->close_reason);
	}
	self->close_sent = TRUE;
	iot_service_peer_update_read(self);
	return G_SOURCE_REMOVE;
}

/* @reason cut to what a close frame holds, at a character */
static gchar *
iot_service_peer_close_reason(const gchar *reason)
{
	g_autofree gchar *valid = g_utf8_make_valid(reason, -1);
	const gchar *end = valid;

	while (*end != '\0' && g_utf8_next_char(end) - valid <= IOT_SERVICE_MAX_CLOSE_REASON)
		end = g_utf8_next_char(end);
	return g_strndup(valid, end - valid);
}

/**
 * iot_service_peer_close:
 * @self: a peer
 * @code: the WebSocket close code
 * @reason: the close reason; cut to 123 bytes of UTF-8, what a close frame holds
 *
 * Stops reading the peer at once, emits ::closed, and closes the WebSocket
 * with @code from the main loop. Nothing more is relayed to or from it.
 */
void
iot_service_peer_close(IotServicePeer *self, gushort code, const gchar *reason)
{
	GSource *source;

	g_return_if_fail(IOT_IS_SERVICE_PEER(self));

	if (self->closing)
		return;
	self->closing = TRUE;
	self->close_code = code;
	self->close_reason = iot_service_peer_close_reason(reason != NULL ? reason : "");
	iot_service_peer_update_read(self);
	iot_service_peer_clear_source(&self->stall_source);
	iot_service_peer_watch_close(self);
	source = g_idle_source_new();
	g_source_set_static_name(source, "IotServicePeer close");
	g_source_set_callback(source,
			      iot_service_peer_close_cb,
			      g_object_ref(self),
			      g_object_unref);
	g_source_attach(source, NULL);
	g_source_unref(source);
	iot_service_peer_emit_closed(self);
}

static void
iot_service_peer_violation(IotServicePeer *self, gushort code, const gchar *reason)
{
	if (self->closing)
		return;
	iot_service_peer_log(self, G_LOG_LEVEL_WARNING, "closing with %u: %s", code, reason);
	iot_service_peer_close(self, code, reason);
}

/*
 * The guard: sees each WebSocket frame header the peer sends before its
 * payload is read, and refuses a text frame, or a data message over
 * IOT_WEBSOCKET_MAX_PAYLOAD bytes.
 */
static IotServicePeerVerdict
iot_service_peer_guard(const IotWebsocketFrameScan *scan, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);

	/* after our close frame, only the peer's close matters */
	if (self->closing)
		return IOT_SERVICE_PEER_VERDICT_DISCARD;
	if (scan->opcode == IOT_WEBSOCKET_OPCODE_TEXT) {
		self->input_refused = TRUE;
		iot_service_peer_violation(self,
					   IOT_SERVICE_CLOSE_UNSUPPORTED_DATA,
					   "text frames are not allowed");
		return IOT_SERVICE_PEER_VERDICT_REFUSE;
	}
	if (!iot_websocket_opcode_is_control(scan->opcode)) {
		guint64 message_len = scan->opcode == IOT_WEBSOCKET_OPCODE_BINARY
					  ? scan->payload_len
					  : self->ws_message_len + scan->payload_len;
		if (scan->payload_len > IOT_WEBSOCKET_MAX_PAYLOAD ||
		    message_len > IOT_WEBSOCKET_MAX_PAYLOAD) {
			g_autofree gchar *reason =
			    g_strdup_printf("WebSocket message over %u bytes",
					    (guint)IOT_WEBSOCKET_MAX_PAYLOAD);
			self->input_refused = TRUE;
			iot_service_peer_violation(self, IOT_SERVICE_CLOSE_TOO_BIG, reason);
			return IOT_SERVICE_PEER_VERDICT_REFUSE;
		}
		self->ws_message_len = scan->fin ? 0 : message_len;
	}
	/* libsoup answers a ping by itself, with the same payload, ahead of data */
	if (scan->opcode == IOT_WEBSOCKET_OPCODE_PING) {
		gsize pong =
		    iot_websocket_frame_header_size(scan->payload_len, FALSE) + scan->payload_len;
		self->handed += pong;
		iot_service_peer_mark_reply(self, pong);
		iot_service_peer_watch_stall(self);
	}
	return IOT_SERVICE_PEER_VERDICT_TAKE;
}

/* a frame header breaks RFC 6455 */
static void
iot_service_peer_broken(const GError *error, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);

	self->input_refused = TRUE;
	iot_service_peer_violation(self, IOT_SERVICE_CLOSE_PROTOCOL_ERROR, error->message);
}

/* takes the first @size bytes of the unrelayed queue; copies only across messages */
static GBytes *
iot_service_peer_take_unrelayed(IotServicePeer *self, gsize size)
{
	GBytes *head = g_queue_peek_head(&self->unrelayed);
	gsize head_size = g_bytes_get_size(head);
	g_autoptr(GByteArray) gathered = NULL;

	self->unrelayed_size -= size;
	if (head_size == size)
		return g_queue_pop_head(&self->unrelayed);
	if (head_size > size) {
		GBytes *taken = g_bytes_new_from_bytes(head, 0, size);
		g_queue_pop_head(&self->unrelayed);
		g_queue_push_head(&self->unrelayed,
				  g_bytes_new_from_bytes(head, size, head_size - size));
		g_bytes_unref(head);
		return taken;
	}
	gathered = g_byte_array_sized_new(size);
	while (gathered->len < size) {
		gsize want = size - gathered->len;
		gsize avail = 0;
		const guint8 *data;

		head = g_queue_pop_head(&self->unrelayed);
		data = g_bytes_get_data(head, &avail);
		g_byte_array_append(gathered, data, MIN(want, avail));
		if (avail > want)
			g_queue_push_head(&self->unrelayed,
					  g_bytes_new_from_bytes(head, want, avail - want));
		g_bytes_unref(head);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&gathered));
}

static gboolean
iot_service_peer_check(IotServicePeer *self, const IotMessage *msg, GError **error)
{
	IotMessageSender sender = self->mode == IOT_TUNNEL_MODE_SOURCE
				      ? IOT_MESSAGE_SENDER_SOURCE
				      : IOT_MESSAGE_SENDER_DESTINATION;

	if (!iot_message_validator_check(msg, sender, self->version, error))
		return FALSE;
	if (iot_message_has_service_id(msg) &&
	    !g_strv_contains((const gchar *const *)self->services, msg->service_id)) {
		g_autofree gchar *service = iot_log_quote(msg->service_id, IOT_SERVICE_MAX_QUOTED);
		g_set_error(error,
			    IOT_SERVICE_PEER_ERROR,
			    IOT_SERVICE_PEER_ERROR_UNKNOWN_SERVICE,
			    "%s for service \"%s\", which the tunnel does not have",
			    iot_message_type_to_string(msg->type),
			    service);
		return FALSE;
	}
	return TRUE;
}

/* a whole binary message: decoded, checked, and its whole frames relayed */
static void
iot_service_peer_message(guint8 opcode, GBytes *message, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);
	g_autoptr(GPtrArray) messages = NULL;
	g_autoptr(GBytes) frames = NULL;
	g_autoptr(GError) error = NULL;
	gsize size = g_bytes_get_size(message);
	gsize whole;

	if (self->closing)
		return;
	if (size == 0)
		return;
	self->bytes_received += size;
	iot_frame_decoder_push(self->decoder, message);
	g_queue_push_tail(&self->unrelayed, g_bytes_ref(message));
	self->unrelayed_size += size;

	messages = g_ptr_array_new_with_free_func((GDestroyNotify)iot_message_free);
	for (;;) {
		g_autoptr(IotMessage) msg = iot_frame_decoder_next(self->decoder, &error);
		if (msg == NULL)
			break;
		if (!iot_service_peer_check(self, msg, &error))
			break;
		if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)) {
			g_autofree gchar *text = iot_message_to_string(msg);
			iot_service_peer_log(self, G_LOG_LEVEL_DEBUG, "received %s", text);
		}
		g_ptr_array_add(messages, g_steal_pointer(&msg));
	}
	if (error != NULL) {
		iot_service_peer_violation(self,
					   IOT_SERVICE_CLOSE_POLICY_VIOLATION,
					   error->message);
		return;
	}
	self->messages_received += messages->len;
	whole = self->unrelayed_size - iot_frame_decoder_get_buffered(self->decoder);
	if (whole == 0)
		return;
	frames = iot_service_peer_take_unrelayed(self, whole);
	g_signal_emit(self, signals[SIGNAL_FRAMES], 0, frames, messages);
}

static void
iot_service_peer_written_cb(IotPausableIOStream *stream, guint64 count, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);

	self->progress_at = g_get_monotonic_time();
	if (self->reply_marks->len > 0)
		iot_service_peer_forget_written_replies(self);
	if (self->congested)
		iot_service_peer_update_congested(self);
}

static void
iot_service_peer_error_cb(SoupWebsocketConnection *ws, GError *error, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);
	iot_service_peer_log(self, G_LOG_LEVEL_INFO, "WebSocket error: %s", error->message);
}

/* the peer sent a close frame; libsoup answers it and ends the connection */
static void
iot_service_peer_closing_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);

	if (self->closing)
		return;
	iot_service_peer_log(self,
			     G_LOG_LEVEL_MESSAGE,
			     "%s closed its WebSocket with code %u",
			     iot_service_peer_mode_to_string(self->mode),
			     soup_websocket_connection_get_close_code(ws));
	self->closing = TRUE;
	self->close_sent = TRUE;
	iot_service_peer_update_read(self);
	iot_service_peer_clear_source(&self->stall_source);
	iot_service_peer_watch_close(self);
	iot_service_peer_emit_closed(self);
}

static void
iot_service_peer_ws_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	IotServicePeer *self = IOT_SERVICE_PEER(user_data);
	gushort code = soup_websocket_connection_get_close_code(ws);

	if (self->closing) {
		iot_service_peer_log(self, G_LOG_LEVEL_DEBUG, "closed, peer answered %u", code);
	} else {
		iot_service_peer_log(self,
				     G_LOG_LEVEL_MESSAGE,
				     "%s disconnected with close code %u",
				     iot_service_peer_mode_to_string(self->mode),
				     code);
	}
	self->closing = TRUE;
	iot_service_peer_emit_closed(self);
	g_signal_handlers_disconnect_by_data(self->ws, self);
	g_signal_handlers_disconnect_by_data(iot_service_peer_stream_get_counted(self->stream),
					     self);
	iot_service_peer_stream_detach(self->stream);
	iot_service_peer_clear_source(&self->stall_source);
	iot_service_peer_clear_source(&self->close_watchdog);
	/* the reference taken when the WebSocket started */
	g_object_unref(self);
}

static const IotServicePeerStreamFuncs iot_service_peer_stream_funcs = {
    .frame = iot_service_peer_guard,
    .broken = iot_service_peer_broken,
    .message = iot_service_peer_message,
};

/**
 * iot_service_peer_new:
 * @stream: the connection taken from the server after the 101 answer
 * @socket: (nullable): the socket under @stream, to cut the peer off
 * @stall_timeout: seconds the peer may leave what waits for it unread
 * @uri: the request URI
 * @origin: (nullable): the request's Origin
 * @subprotocol: the subprotocol chosen
 * @mode: which side of the tunnel the peer is
 * @tunnel_id: the tunnel, for logs
 * @channel_id: the `channel-id` sent to the peer, for logs
 * @services: the tunnel's services
 *
 * Starts the WebSocket on @stream. The peer holds a reference on itself until
 * the WebSocket is closed.
 *
 * Returns: (transfer full): a peer
 */
IotServicePeer *
iot_service_peer_new(GIOStream *stream,
		     GSocket *socket,
		     guint stall_timeout,
		     GUri *uri,
		     const gchar *origin,
		     const gchar *subprotocol,
		     IotTunnelMode mode,
		     const gchar *tunnel_id,
		     const gchar *channel_id,
		     const gchar *const *services)
{
	IotServicePeer *self = g_object_new(IOT_TYPE_SERVICE_PEER, NULL);

	self->mode = mode;
	self->subprotocol = g_strdup(subprotocol);
	self->version = iot_message_validator_get_version(subprotocol);
	self->tunnel_id = g_strdup(tunnel_id);
	self->channel_id = g_strdup(channel_id);
	self->services = g_strdupv((gchar **)services);
	self->connected_at = g_date_time_new_now_utc();
	if (socket != NULL)
		self->socket = g_object_ref(socket);
	self->stall_timeout = stall_timeout;
	self->stream = iot_service_peer_stream_new(stream, &iot_service_peer_stream_funcs, self);
	g_signal_connect(iot_service_peer_stream_get_counted(self->stream),
			 "written",
			 G_CALLBACK(iot_service_peer_written_cb),
			 self);
	self->ws = soup_websocket_connection_new(G_IO_STREAM(self->stream),
						 uri,
						 SOUP_WEBSOCKET_CONNECTION_SERVER,
						 origin,
						 subprotocol,
						 NULL);
	g_signal_connect(self->ws, "error", G_CALLBACK(iot_service_peer_error_cb), self);
	g_signal_connect(self->ws, "closing", G_CALLBACK(iot_service_peer_closing_cb), self);
	g_signal_connect(self->ws, "closed", G_CALLBACK(iot_service_peer_ws_closed_cb), self);
	return g_object_ref(self);
}

IotTunnelMode
iot_service_peer_get_mode(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), IOT_TUNNEL_MODE_SOURCE);
	return self->mode;
}

const gchar *
iot_service_peer_get_subprotocol(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), NULL);
	return self->subprotocol;
}

guint
iot_service_peer_get_version(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), 0);
	return self->version;
}

const gchar *
iot_service_peer_get_channel_id(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), NULL);
	return self->channel_id;
}

/**
 * iot_service_peer_get_connected_at:
 * @self: a peer
 *
 * Returns: (transfer none): when the WebSocket started
 */
GDateTime *
iot_service_peer_get_connected_at(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), NULL);
	return self->connected_at;
}

/**
 * iot_service_peer_is_open:
 * @self: a peer
 *
 * Returns: %TRUE until the peer starts closing
 */
gboolean
iot_service_peer_is_open(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), FALSE);
	return !self->closing;
}

/**
 * iot_service_peer_send:
 * @self: a peer
 * @payload: whole tunnel frames
 *
 * Queues @payload in WebSocket messages of at most
 * %IOT_WEBSOCKET_MAX_PAYLOAD bytes. Does nothing once the peer is closing.
 */
void
iot_service_peer_send(IotServicePeer *self, GBytes *payload)
{
	gsize size = g_bytes_get_size(payload);

	g_return_if_fail(IOT_IS_SERVICE_PEER(self));

	if (self->closing ||
	    soup_websocket_connection_get_state(self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	for (gsize offset = 0; offset < size; offset += IOT_WEBSOCKET_MAX_PAYLOAD) {
		gsize len = MIN(size - offset, IOT_WEBSOCKET_MAX_PAYLOAD);
		g_autoptr(GBytes) part = offset == 0 && len == size
					     ? g_bytes_ref(payload)
					     : g_bytes_new_from_bytes(payload, offset, len);
		self->handed += len + iot_websocket_frame_header_size(len, FALSE);
		self->bytes_sent += len;
		soup_websocket_connection_send_message(self->ws, SOUP_WEBSOCKET_DATA_BINARY, part);
	}
	iot_service_peer_update_congested(self);
	if (iot_service_peer_get_send_queued(self) > IOT_SERVICE_SEND_BUDGET) {
		g_autofree gchar *why =
		    g_strdup_printf("over %u bytes wait for it", (guint)IOT_SERVICE_SEND_BUDGET);
		iot_service_peer_abort(self, why);
		return;
	}
	iot_service_peer_watch_stall(self);
}

/**
 * iot_service_peer_reply:
 * @self: a peer
 * @frames: whole tunnel frames, the service's own answers to this peer's messages
 *
 * As iot_service_peer_send(), and the peer's input is held while such answers
 * wait unwritten (%IOT_SERVICE_REPLY_BUDGET of them, or
 * %IOT_SERVICE_REPLY_BYTES): a peer that does not read cannot make the
 * service answer it without end.
 */
void
iot_service_peer_reply(IotServicePeer *self, GBytes *frames)
{
	guint64 handed;

	g_return_if_fail(IOT_IS_SERVICE_PEER(self));

	handed = self->handed;
	iot_service_peer_send(self, frames);
	if (self->handed > handed)
		iot_service_peer_mark_reply(self, self->handed - handed);
}

/**
 * iot_service_peer_send_message:
 * @self: a peer
 * @msg: a message of the service's own
 *
 * Encodes and queues @msg.
 */
void
iot_service_peer_send_message(IotServicePeer *self, const IotMessage *msg)
{
	g_autoptr(GBytes) frame = NULL;
	g_autoptr(GError) error = NULL;

	g_return_if_fail(IOT_IS_SERVICE_PEER(self));

	frame = iot_frame_encode(msg, &error);
	if (frame == NULL) {
		iot_service_peer_log(self,
				     G_LOG_LEVEL_CRITICAL,
				     "failed to encode %s: %s",
				     iot_message_type_to_string(msg->type),
				     error->message);
		return;
	}
	if (!g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)) {
		g_autofree gchar *text = iot_message_to_string(msg);
		iot_service_peer_log(self, G_LOG_LEVEL_DEBUG, "sending %s", text);
	}
	iot_service_peer_send(self, frame);
}

/**
 * iot_service_peer_get_send_queued:
 * @self: a peer
 *
 * Returns: bytes handed to libsoup that have not reached the TLS stream yet
 */
gsize
iot_service_peer_get_send_queued(IotServicePeer *self)
{
	guint64 written;

	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), 0);

	/* control frames (pongs, close) are written but never handed: clamp */
	written = iot_service_peer_stream_get_bytes_written(self->stream);
	return self->handed > written ? self->handed - written : 0;
}

gboolean
iot_service_peer_get_congested(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), FALSE);
	return self->congested;
}

/**
 * iot_service_peer_set_paused_by_other:
 * @self: a peer
 * @paused: whether the other peer of the tunnel is congested
 *
 * Stops or restarts reading this peer for the sake of the other one.
 */
void
iot_service_peer_set_paused_by_other(IotServicePeer *self, gboolean paused)
{
	g_return_if_fail(IOT_IS_SERVICE_PEER(self));

	if (self->paused_by_other == paused)
		return;
	self->paused_by_other = paused;
	iot_service_peer_log(self,
			     G_LOG_LEVEL_DEBUG,
			     "%s reading",
			     paused ? "pausing" : "resuming");
	iot_service_peer_update_read(self);
}

guint64
iot_service_peer_get_bytes_received(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), 0);
	return self->bytes_received;
}

guint64
iot_service_peer_get_messages_received(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), 0);
	return self->messages_received;
}

guint64
iot_service_peer_get_bytes_sent(IotServicePeer *self)
{
	g_return_val_if_fail(IOT_IS_SERVICE_PEER(self), 0);
	return self->bytes_sent;
}

static void
iot_service_peer_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	IotServicePeer *self = IOT_SERVICE_PEER(object);
	switch (prop_id) {
	case PROP_CONGESTED:
		g_value_set_boolean(value, self->congested);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
iot_service_peer_finalize(GObject *object)
{
	IotServicePeer *self = IOT_SERVICE_PEER(object);

	iot_service_peer_clear_source(&self->stall_source);
	iot_service_peer_clear_source(&self->close_watchdog);
	iot_service_peer_stream_detach(self->stream);
	g_clear_object(&self->ws);
	g_clear_object(&self->stream);
	g_clear_object(&self->socket);
	g_clear_object(&self->decoder);
	g_array_unref(self->reply_marks);
	g_queue_clear_full(&self->unrelayed, (GDestroyNotify)g_bytes_unref);
	g_clear_pointer(&self->connected_at, g_date_time_unref);
	g_strfreev(self->services);
	g_free(self->subprotocol);
	g_free(self->tunnel_id);
	g_free(self->channel_id);
	g_free(self->close_reason);
	G_OBJECT_CLASS(iot_service_peer_parent_class)->finalize(object);
}

static void
iot_service_peer_class_init(IotServicePeerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = iot_service_peer_get_property;
	object_class->finalize = iot_service_peer_finalize;

	properties[PROP_CONGESTED] = g_param_spec_boolean(
	    "congested",
	    NULL,
	    NULL,
	    FALSE,
	    G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, properties);

	/**
	 * IotServicePeer::frames:
	 * @self: the peer
	 * @frames: whole, valid tunnel frames as received
	 * @messages: (element-type IotMessage): the same frames decoded
	 */
	signals[SIGNAL_FRAMES] = g_signal_new("frames",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      2,
					      G_TYPE_BYTES,
					      G_TYPE_PTR_ARRAY);
	/**
	 * IotServicePeer::closed:
	 * @self: the peer
	 *
	 * The peer is gone or going: nothing more is relayed to or from it.
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
iot_service_peer_init(IotServicePeer *self)
{
	g_queue_init(&self->unrelayed);
	self->decoder = iot_frame_decoder_new();
	self->reply_marks = g_array_new(FALSE, FALSE, sizeof(IotServicePeerReply));
	iot_websocket_frame_scan_init(&self->ws_scan, IOT_WEBSOCKET_FRAME_FROM_CLIENT);
}
