/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v2-codec.h"

/*
 * Protocol V2 (PROTOCOL.md section 4): multi-port. The session begins with
 * SERVICE_IDS; each service has its own active stream, carrying one local
 * connection; every stream message names its service. A session either
 * names services in all its messages or in none. The codec also runs over
 * the 3.0 subprotocol when the user asks for V2 messages (`-y V2`).
 *
 * A V3 source may still speak its own format to us until it notices ours:
 * as the protocol guides ask of an older proxy, DATA for a connection other
 * than the one of the stream is dropped, and the V3 types that start or end
 * a connection reset the stream.
 */

/* V2 has one connection per stream; the table names it 1 */
#define IOT_V2_CONNECTION_ID 1

struct _IotV2Codec {
	GObject parent_instance;
	IotStreamTable *table;
	IotSession *session; /* NULL while stopped */
};

static void
iot_v2_codec_iface_init(IotCodecInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotV2Codec,
			      iot_v2_codec,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_CODEC, iot_v2_codec_iface_init))

static void
iot_v2_codec_send(IotV2Codec *self,
		  IotMessageType type,
		  gint32 stream_id,
		  const gchar *service_id,
		  GBytes *payload)
{
	iot_stream_table_send(self->table, self->session, type, stream_id, service_id, 0, payload);
}

static void
iot_v2_codec_data_cb(IotStreamLink *link, GBytes *bytes, gpointer user_data)
{
	IotV2Codec *self = IOT_V2_CODEC(user_data);
	const gchar *service_id = iot_stream_link_get_service_id(link);
	iot_v2_codec_send(self,
			  IOT_MESSAGE_TYPE_DATA,
			  iot_stream_link_get_stream_id(link),
			  iot_stream_table_get_wire_service_id(self->table, service_id),
			  bytes);
}

/* sends STREAM_RESET for @service_id's stream and forgets it */
static void
iot_v2_codec_reset_stream(IotV2Codec *self, const gchar *service_id, IotStreamEnd how)
{
	g_autofree gchar *service_id_copy = g_strdup(service_id);
	g_autofree gchar *wire_service_id =
	    g_strdup(iot_stream_table_get_wire_service_id(self->table, service_id));
	gint32 stream_id = iot_stream_table_get_stream_id(self->table, service_id);

	if (stream_id == 0)
		return;
	iot_v2_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, stream_id, wire_service_id, NULL);
	iot_stream_table_end_stream(self->table, service_id_copy, how);
}

static void
iot_v2_codec_closed_cb(IotStreamLink *link, const GError *error, gpointer user_data)
{
	IotV2Codec *self = IOT_V2_CODEC(user_data);
	gint32 stream_id = iot_stream_link_get_stream_id(link);

	if (error != NULL)
		iot_tunnel_info(iot_session_get_name(self->session),
				stream_id,
				0,
				"local connection failed: %s",
				error->message);
	else
		iot_tunnel_debug(iot_session_get_name(self->session),
				 stream_id,
				 0,
				 "local connection ended");
	iot_v2_codec_reset_stream(self, iot_stream_link_get_service_id(link), IOT_STREAM_END_CLOSE);
}

static const gchar *
iot_v2_codec_get_subprotocol(IotCodec *codec)
{
	return IOT_SUBPROTOCOL_V2;
}

static void
iot_v2_codec_start(IotCodec *codec, IotSession *session, const gchar *subprotocol)
{
	IotV2Codec *self = IOT_V2_CODEC(codec);

	g_set_object(&self->session, session);
	iot_stream_table_start_session(self->table, session);
	if (iot_subprotocol_get_version(subprotocol) < 2) {
		g_autoptr(GError) error = g_error_new(IOT_CODEC_ERROR,
						      IOT_CODEC_ERROR_PROTOCOL,
						      "subprotocol %s cannot carry V2 messages",
						      subprotocol);
		iot_session_fail(session, error);
		return;
	}
	iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "started over %s", subprotocol);
}

/* source side: the local connection becomes its service's stream, unless one is active */
static void
iot_v2_codec_start_stream(IotV2Codec *self, const gchar *service_id, IotConnection *connection)
{
	g_autoptr(IotStreamLink) link = NULL;
	const gchar *wire_service_id;
	gint32 stream_id;

	if (self->session == NULL) {
		iot_tunnel_debug(NULL,
				 0,
				 0,
				 "%s: no session, aborting",
				 iot_connection_get_description(connection));
		iot_connection_abort(connection);
		return;
	}
	stream_id = iot_stream_table_get_stream_id(self->table, service_id);
	if (stream_id != 0) {
		iot_tunnel_message(iot_session_get_name(self->session),
				   0,
				   0,
				   "%s: V2 carries one connection per service at a time; closing "
				   "the new one, stream %d goes on",
				   iot_connection_get_description(connection),
				   stream_id);
		iot_connection_abort(connection);
		return;
	}
	stream_id = iot_stream_table_take_stream_id(self->table, service_id);
	wire_service_id = iot_stream_table_to_wire_service_id(self->table, service_id);
	iot_stream_table_open_stream(self->table, service_id, stream_id, wire_service_id, FALSE);
	link = iot_stream_link_ref(
	    iot_stream_table_add_link(self->table, service_id, IOT_V2_CONNECTION_ID));
	iot_tunnel_info(iot_session_get_name(self->session),
			stream_id,
			0,
			"started for %s (%s%s)",
			iot_connection_get_description(connection),
			wire_service_id[0] != '\0' ? "service " : "no service name",
			wire_service_id);
	iot_v2_codec_send(self, IOT_MESSAGE_TYPE_STREAM_START, stream_id, wire_service_id, NULL);
	iot_stream_link_attach(link, connection);
}

static void
iot_v2_codec_release_held_cb(const gchar *service_id, IotConnection *connection, gpointer user_data)
{
	iot_v2_codec_start_stream(IOT_V2_CODEC(user_data), service_id, connection);
}

static void
iot_v2_codec_accept(IotCodec *codec, const gchar *service_id, IotConnection *connection)
{
	IotV2Codec *self = IOT_V2_CODEC(codec);

	g_return_if_fail(self->session == NULL ||
			 iot_session_get_mode(self->session) == IOT_TUNNEL_MODE_SOURCE);

	if (self->session != NULL && !iot_stream_table_get_announced(self->table)) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "%s: waiting for SERVICE_IDS",
				 iot_connection_get_description(connection));
		iot_stream_table_hold(self->table, service_id, connection);
		return;
	}
	iot_v2_codec_start_stream(self, service_id, connection);
}

static void
iot_v2_codec_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotStreamLink) link = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(IotConnection) connection = NULL;
	IotV2Codec *self;
	gint32 stream_id = iot_stream_link_get_stream_id(link);

	connection = iot_session_connect_finish(IOT_SESSION(source), result, &error_local);
	if (!iot_stream_link_attach(link, connection))
		return;
	self = IOT_V2_CODEC(iot_stream_link_get_user_data(link));
	if (connection != NULL) {
		iot_tunnel_info(iot_session_get_name(IOT_SESSION(source)),
				stream_id,
				0,
				"connected to %s",
				iot_connection_get_description(connection));
		return;
	}
	iot_tunnel_log_rate_limited(G_LOG_LEVEL_WARNING,
				    iot_session_get_name(IOT_SESSION(source)),
				    stream_id,
				    0,
				    "cannot reach the local service%s%s: %s",
				    iot_stream_link_get_service_id(link)[0] != '\0' ? " " : "",
				    iot_stream_link_get_service_id(link),
				    error_local->message);
	iot_v2_codec_reset_stream(self, iot_stream_link_get_service_id(link), IOT_STREAM_END_ABORT);
}

/* destination side: a new stream replaces the service's active one */
static gboolean
iot_v2_codec_receive_stream_start(IotV2Codec *self, const IotMessage *msg, GError **error)
{
	const gchar *service_id;
	g_autoptr(IotStreamLink) link = NULL;
	gint32 old_stream_id;

	if (iot_session_get_mode(self->session) != IOT_TUNNEL_MODE_DESTINATION) {
		g_set_error_literal(error,
				    IOT_CODEC_ERROR,
				    IOT_CODEC_ERROR_PROTOCOL,
				    "STREAM_START sent to a source");
		return FALSE;
	}
	if (msg->stream_id <= 0) {
		g_set_error(error,
			    IOT_CODEC_ERROR,
			    IOT_CODEC_ERROR_PROTOCOL,
			    "STREAM_START with invalid stream ID %d",
			    msg->stream_id);
		return FALSE;
	}
	service_id = iot_stream_table_to_local_service_id(self->table, msg->service_id);
	if (service_id == NULL) {
		if (iot_message_has_service_id(msg))
			iot_tunnel_warning(iot_session_get_name(self->session),
					   msg->stream_id,
					   0,
					   "no local service for \"%s\"; resetting",
					   msg->service_id);
		else
			iot_tunnel_warning(iot_session_get_name(self->session),
					   msg->stream_id,
					   0,
					   "names no service, and several services are mapped "
					   "here; resetting");
		iot_v2_codec_send(self,
				  IOT_MESSAGE_TYPE_STREAM_RESET,
				  msg->stream_id,
				  msg->service_id,
				  NULL);
		return TRUE;
	}
	old_stream_id = iot_stream_table_get_stream_id(self->table, service_id);
	if (old_stream_id != 0)
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				0,
				"replaces stream %d",
				old_stream_id);
	iot_stream_table_open_stream(self->table,
				     service_id,
				     msg->stream_id,
				     msg->service_id,
				     FALSE);
	link = iot_stream_link_ref(
	    iot_stream_table_add_link(self->table, service_id, IOT_V2_CONNECTION_ID));
	iot_tunnel_info(iot_session_get_name(self->session),
			msg->stream_id,
			0,
			"started for %s%s, connecting",
			service_id[0] != '\0' ? "service " : "the unnamed mapping",
			service_id);
	iot_session_connect_async(self->session,
				  service_id,
				  iot_stream_link_get_cancellable(link),
				  iot_v2_codec_connect_cb,
				  iot_stream_link_ref(link));
	return TRUE;
}

/*
 * Destination side: a V3 source's CONNECTION_START or CONNECTION_RESET,
 * which V2 cannot carry. For the service's active stream, its one
 * connection ends and the stream is reset, as an older proxy answers a type
 * it does not know; a CONNECTION_START for another stream gets the reset
 * alone, so that the source does not wait for it.
 */
static void
iot_v2_codec_receive_connection_message(IotV2Codec *self, const IotMessage *msg)
{
	const gchar *service_id =
	    iot_stream_table_to_local_service_id(self->table, msg->service_id);
	gint32 stream_id = iot_stream_table_get_stream_id(self->table, service_id);

	if (msg->stream_id != 0 && msg->stream_id == stream_id) {
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				0,
				"%s has no place in V2; resetting the stream",
				iot_message_type_to_string(msg->type));
		iot_v2_codec_reset_stream(self, service_id, IOT_STREAM_END_CLOSE);
		return;
	}
	/* a stream id below 1 names no stream: a reset for it would be refused */
	if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_START && msg->stream_id > 0) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 msg->stream_id,
				 0,
				 "CONNECTION_START for no active stream; resetting");
		iot_v2_codec_send(self,
				  IOT_MESSAGE_TYPE_STREAM_RESET,
				  msg->stream_id,
				  msg->service_id,
				  NULL);
		return;
	}
	iot_tunnel_debug(iot_session_get_name(self->session),
			 0,
			 0,
			 "dropping stale %s for stream %d",
			 iot_message_type_to_string(msg->type),
			 msg->stream_id);
}

static gboolean
iot_v2_codec_receive(IotCodec *codec, const IotMessage *msg, GError **error)
{
	IotV2Codec *self = IOT_V2_CODEC(codec);
	g_autoptr(IotV2Codec) hold = g_object_ref(self);
	g_autofree gchar *text = iot_codec_describe_message(msg);
	const gchar *service_id;
	IotStreamLink *link;

	g_return_val_if_fail(self->session != NULL, FALSE);
	if (text != NULL)
		iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "received %s", text);

	if (iot_stream_table_receive_session_message(self->table,
						     self->session,
						     msg,
						     iot_v2_codec_release_held_cb,
						     self))
		return TRUE;
	switch (msg->type) {
	case IOT_MESSAGE_TYPE_DATA:
	case IOT_MESSAGE_TYPE_STREAM_START:
	case IOT_MESSAGE_TYPE_STREAM_RESET:
		break;
	case IOT_MESSAGE_TYPE_CONNECTION_START:
	case IOT_MESSAGE_TYPE_CONNECTION_RESET:
		if (!msg->ignorable &&
		    iot_session_get_mode(self->session) == IOT_TUNNEL_MODE_DESTINATION) {
			if (!iot_stream_table_check_format(self->table, msg, error))
				return FALSE;
			iot_v2_codec_receive_connection_message(self, msg);
			return TRUE;
		}
		G_GNUC_FALLTHROUGH;
	default:
		if (iot_stream_table_receive_extension(
			self->table,
			iot_stream_table_to_local_service_id(self->table, msg->service_id),
			msg))
			return TRUE;
		if (msg->ignorable) {
			iot_tunnel_debug(iot_session_get_name(self->session),
					 0,
					 0,
					 "skipping ignorable %s",
					 IOT_CODEC_MESSAGE_TEXT(text, msg));
			return TRUE;
		}
		g_set_error(error,
			    IOT_CODEC_ERROR,
			    IOT_CODEC_ERROR_PROTOCOL,
			    "message type %s (%d) is not part of V2",
			    iot_message_type_to_string(msg->type),
			    (gint)msg->type);
		return FALSE;
	}

	if (!iot_stream_table_check_format(self->table, msg, error))
		return FALSE;
	if (msg->type == IOT_MESSAGE_TYPE_STREAM_START)
		return iot_v2_codec_receive_stream_start(self, msg, error);

	service_id = iot_stream_table_to_local_service_id(self->table, msg->service_id);
	if (iot_stream_table_receive_stream_end(self->table, service_id, msg))
		return TRUE;
	if (msg->connection_id > IOT_V2_CONNECTION_ID) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "dropping %s: V2 carries one connection per stream",
				 IOT_CODEC_MESSAGE_TEXT(text, msg));
		return TRUE;
	}
	link = iot_stream_table_lookup_link(self->table, service_id, IOT_V2_CONNECTION_ID);
	if (link != NULL && msg->payload != NULL)
		iot_stream_link_write(link, msg->payload);
	return TRUE;
}

static void
iot_v2_codec_stop(IotCodec *codec)
{
	IotV2Codec *self = IOT_V2_CODEC(codec);
	iot_stream_table_stop_session(self->table);
	g_clear_object(&self->session);
}

static void
iot_v2_codec_iface_init(IotCodecInterface *iface)
{
	iface->get_subprotocol = iot_v2_codec_get_subprotocol;
	iface->start = iot_v2_codec_start;
	iface->receive = iot_v2_codec_receive;
	iface->accept = iot_v2_codec_accept;
	iface->stop = iot_v2_codec_stop;
}

static void
iot_v2_codec_dispose(GObject *object)
{
	IotV2Codec *self = IOT_V2_CODEC(object);
	if (self->table != NULL)
		iot_stream_table_end_all(self->table, IOT_STREAM_END_ABORT);
	g_clear_object(&self->table);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(iot_v2_codec_parent_class)->dispose(object);
}

static void
iot_v2_codec_class_init(IotV2CodecClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_v2_codec_dispose;
}

static void
iot_v2_codec_init(IotV2Codec *self)
{
	self->table = iot_stream_table_new(iot_v2_codec_data_cb, iot_v2_codec_closed_cb, self);
}

/**
 * iot_v2_codec_new:
 *
 * Returns: (transfer full): a V2 codec, not started
 */
IotV2Codec *
iot_v2_codec_new(void)
{
	return g_object_new(IOT_TYPE_V2_CODEC, NULL);
}
