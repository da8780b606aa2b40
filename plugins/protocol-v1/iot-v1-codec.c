/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v1-codec.h"

/*
 * Protocol V1 (PROTOCOL.md section 4): one stream at a time, carrying one
 * local connection; messages carry neither serviceId nor connectionId. The
 * codec also runs over the 2.0 and 3.0 subprotocols when the user asks for
 * V1 messages (`-y V1`); those sessions begin with SERVICE_IDS, which the
 * source waits for before it starts a stream, as the reference does.
 *
 * A newer peer may still speak its own format to us until it notices ours:
 * as the protocol guides ask of an older proxy, the serviceId is ignored,
 * DATA for a connection other than the one of the stream is dropped, and
 * the V3 types that start or end a connection reset the stream.
 */

/* V1 has one connection per stream; the table names it 1 */
#define IOT_V1_CONNECTION_ID 1

struct _IotV1Codec {
	GObject parent_instance;
	IotStreamTable *table;
	IotSession *session;	   /* NULL while stopped */
	gboolean with_service_ids; /* the subprotocol sends SERVICE_IDS */
	gchar *service_id;	   /* the local service of the last stream started */
};

static void
iot_v1_codec_iface_init(IotCodecInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotV1Codec,
			      iot_v1_codec,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_CODEC, iot_v1_codec_iface_init))

static void
iot_v1_codec_send(IotV1Codec *self, IotMessageType type, gint32 stream_id, GBytes *payload)
{
	iot_stream_table_send(self->table, self->session, type, stream_id, NULL, 0, payload);
}

/* the one active stream, or 0 */
static gint32
iot_v1_codec_get_stream_id(IotV1Codec *self)
{
	return iot_stream_table_get_stream_id(self->table, self->service_id);
}

static void
iot_v1_codec_set_service_id(IotV1Codec *self, const gchar *service_id)
{
	g_free(self->service_id);
	self->service_id = g_strdup(service_id);
}

static void
iot_v1_codec_data_cb(IotStreamLink *link, GBytes *bytes, gpointer user_data)
{
	IotV1Codec *self = IOT_V1_CODEC(user_data);
	iot_v1_codec_send(self, IOT_MESSAGE_TYPE_DATA, iot_stream_link_get_stream_id(link), bytes);
}

static void
iot_v1_codec_closed_cb(IotStreamLink *link, const GError *error, gpointer user_data)
{
	IotV1Codec *self = IOT_V1_CODEC(user_data);
	gint32 stream_id = iot_stream_link_get_stream_id(link);
	g_autofree gchar *service_id = g_strdup(iot_stream_link_get_service_id(link));

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
	iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, stream_id, NULL);
	iot_stream_table_end_stream(self->table, service_id, IOT_STREAM_END_CLOSE);
}

static const gchar *
iot_v1_codec_get_subprotocol(IotCodec *codec)
{
	return IOT_SUBPROTOCOL_V1;
}

static void
iot_v1_codec_start(IotCodec *codec, IotSession *session, const gchar *subprotocol)
{
	IotV1Codec *self = IOT_V1_CODEC(codec);

	g_set_object(&self->session, session);
	iot_stream_table_start_session(self->table, session);

	/* V1 messages run over any version's subprotocol; from 2.0 on, SERVICE_IDS come */
	if (iot_subprotocol_get_version(subprotocol) != 0) {
		self->with_service_ids = iot_subprotocol_get_version(subprotocol) >= 2;
	} else {
		g_autoptr(GError) error = g_error_new(IOT_CODEC_ERROR,
						      IOT_CODEC_ERROR_PROTOCOL,
						      "subprotocol %s cannot carry V1 messages",
						      subprotocol);
		iot_session_fail(session, error);
		return;
	}
	iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "started over %s", subprotocol);
}

/* source side: the local connection becomes the stream, unless one is active */
static void
iot_v1_codec_start_stream(IotV1Codec *self, const gchar *service_id, IotConnection *connection)
{
	g_autoptr(IotStreamLink) link = NULL;
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
	if (iot_stream_table_get_n_streams(self->table) > 0) {
		iot_tunnel_message(iot_session_get_name(self->session),
				   0,
				   0,
				   "%s: V1 carries one connection at a time; closing the new one, "
				   "stream %d goes on",
				   iot_connection_get_description(connection),
				   iot_v1_codec_get_stream_id(self));
		iot_connection_abort(connection);
		return;
	}
	stream_id = iot_stream_table_take_stream_id(self->table, NULL);
	iot_v1_codec_set_service_id(self, service_id);
	iot_stream_table_open_stream(self->table, service_id, stream_id, NULL, FALSE);
	link = iot_stream_link_ref(
	    iot_stream_table_add_link(self->table, service_id, IOT_V1_CONNECTION_ID));
	iot_tunnel_info(iot_session_get_name(self->session),
			stream_id,
			0,
			"started for %s",
			iot_connection_get_description(connection));
	iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_START, stream_id, NULL);
	iot_stream_link_attach(link, connection);
}

static void
iot_v1_codec_release_held_cb(const gchar *service_id, IotConnection *connection, gpointer user_data)
{
	iot_v1_codec_start_stream(IOT_V1_CODEC(user_data), service_id, connection);
}

static void
iot_v1_codec_accept(IotCodec *codec, const gchar *service_id, IotConnection *connection)
{
	IotV1Codec *self = IOT_V1_CODEC(codec);

	g_return_if_fail(self->session == NULL ||
			 iot_session_get_mode(self->session) == IOT_TUNNEL_MODE_SOURCE);

	if (self->session != NULL && self->with_service_ids &&
	    !iot_stream_table_get_announced(self->table)) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "%s: waiting for SERVICE_IDS",
				 iot_connection_get_description(connection));
		iot_stream_table_hold(self->table, service_id, connection);
		return;
	}
	iot_v1_codec_start_stream(self, service_id, connection);
}

static void
iot_v1_codec_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotStreamLink) link = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(IotConnection) connection = NULL;
	IotV1Codec *self;
	gint32 stream_id = iot_stream_link_get_stream_id(link);

	connection = iot_session_connect_finish(IOT_SESSION(source), result, &error_local);
	if (!iot_stream_link_attach(link, connection))
		return;
	self = IOT_V1_CODEC(iot_stream_link_get_user_data(link));
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
				    "cannot reach the local service: %s",
				    error_local->message);
	iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, stream_id, NULL);
	iot_stream_table_end_stream(self->table,
				    iot_stream_link_get_service_id(link),
				    IOT_STREAM_END_ABORT);
}

/* destination side: a new stream replaces the active one */
static gboolean
iot_v1_codec_receive_stream_start(IotV1Codec *self, const IotMessage *msg, GError **error)
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
	service_id = iot_stream_table_to_local_service_id(self->table, NULL);
	if (service_id == NULL) {
		iot_tunnel_warning(iot_session_get_name(self->session),
				   msg->stream_id,
				   0,
				   "V1 needs exactly one configured service; resetting");
		iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, msg->stream_id, NULL);
		return TRUE;
	}
	old_stream_id = iot_v1_codec_get_stream_id(self);
	if (old_stream_id != 0) {
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				0,
				"replaces stream %d",
				old_stream_id);
		iot_stream_table_end_stream(self->table, self->service_id, IOT_STREAM_END_ABORT);
	}
	iot_v1_codec_set_service_id(self, service_id);
	iot_stream_table_open_stream(self->table, service_id, msg->stream_id, NULL, FALSE);
	link = iot_stream_link_ref(
	    iot_stream_table_add_link(self->table, service_id, IOT_V1_CONNECTION_ID));
	iot_tunnel_info(iot_session_get_name(self->session),
			msg->stream_id,
			0,
			"started, connecting");
	iot_session_connect_async(self->session,
				  service_id,
				  iot_stream_link_get_cancellable(link),
				  iot_v1_codec_connect_cb,
				  iot_stream_link_ref(link));
	return TRUE;
}

/*
 * Destination side: a V3 source's CONNECTION_START or CONNECTION_RESET,
 * which V1 cannot carry. For the active stream, its one connection ends and
 * the stream is reset, as an older proxy answers a type it does not know;
 * a CONNECTION_START for another stream gets the reset alone, so that the
 * source does not wait for it.
 */
static void
iot_v1_codec_receive_connection_message(IotV1Codec *self, const IotMessage *msg)
{
	if (msg->stream_id != 0 && msg->stream_id == iot_v1_codec_get_stream_id(self)) {
		g_autofree gchar *service_id = g_strdup(self->service_id);
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				0,
				"%s has no place in V1; resetting the stream",
				iot_message_type_to_string(msg->type));
		iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, msg->stream_id, NULL);
		iot_stream_table_end_stream(self->table, service_id, IOT_STREAM_END_CLOSE);
		return;
	}
	/* a stream id below 1 names no stream: a reset for it would be refused */
	if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_START && msg->stream_id > 0) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 msg->stream_id,
				 0,
				 "CONNECTION_START for no active stream; resetting");
		iot_v1_codec_send(self, IOT_MESSAGE_TYPE_STREAM_RESET, msg->stream_id, NULL);
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
iot_v1_codec_receive(IotCodec *codec, const IotMessage *msg, GError **error)
{
	IotV1Codec *self = IOT_V1_CODEC(codec);
	g_autoptr(IotV1Codec) hold = g_object_ref(self);
	g_autofree gchar *text = iot_codec_describe_message(msg);
	IotStreamLink *link;

	g_return_val_if_fail(self->session != NULL, FALSE);
	if (text != NULL)
		iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "received %s", text);

	if (msg->type == IOT_MESSAGE_TYPE_SERVICE_IDS && !self->with_service_ids) {
		g_set_error_literal(error,
				    IOT_CODEC_ERROR,
				    IOT_CODEC_ERROR_PROTOCOL,
				    "SERVICE_IDS in a V1 session");
		return FALSE;
	}
	if (iot_stream_table_receive_session_message(self->table,
						     self->session,
						     msg,
						     iot_v1_codec_release_held_cb,
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
			iot_v1_codec_receive_connection_message(self, msg);
			return TRUE;
		}
		G_GNUC_FALLTHROUGH;
	default:
		if (iot_stream_table_receive_extension(self->table, self->service_id, msg))
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
			    "message type %s (%d) is not part of V1",
			    iot_message_type_to_string(msg->type),
			    (gint)msg->type);
		return FALSE;
	}

	/* a newer peer's serviceId: V1 has one service, whatever its name */
	if (iot_message_has_service_id(msg))
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "ignoring the serviceId of %s",
				 IOT_CODEC_MESSAGE_TEXT(text, msg));
	if (msg->type == IOT_MESSAGE_TYPE_STREAM_START)
		return iot_v1_codec_receive_stream_start(self, msg, error);

	if (iot_stream_table_receive_stream_end(self->table, self->service_id, msg))
		return TRUE;
	if (msg->connection_id > IOT_V1_CONNECTION_ID) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "dropping %s: V1 carries one connection per stream",
				 IOT_CODEC_MESSAGE_TEXT(text, msg));
		return TRUE;
	}
	link = iot_stream_table_lookup_link(self->table, self->service_id, IOT_V1_CONNECTION_ID);
	if (link != NULL && msg->payload != NULL)
		iot_stream_link_write(link, msg->payload);
	return TRUE;
}

static void
iot_v1_codec_stop(IotCodec *codec)
{
	IotV1Codec *self = IOT_V1_CODEC(codec);
	iot_stream_table_stop_session(self->table);
	g_clear_pointer(&self->service_id, g_free);
	g_clear_object(&self->session);
}

static void
iot_v1_codec_iface_init(IotCodecInterface *iface)
{
	iface->get_subprotocol = iot_v1_codec_get_subprotocol;
	iface->start = iot_v1_codec_start;
	iface->receive = iot_v1_codec_receive;
	iface->accept = iot_v1_codec_accept;
	iface->stop = iot_v1_codec_stop;
}

static void
iot_v1_codec_dispose(GObject *object)
{
	IotV1Codec *self = IOT_V1_CODEC(object);
	if (self->table != NULL)
		iot_stream_table_end_all(self->table, IOT_STREAM_END_ABORT);
	g_clear_object(&self->table);
	g_clear_object(&self->session);
	G_OBJECT_CLASS(iot_v1_codec_parent_class)->dispose(object);
}

static void
iot_v1_codec_finalize(GObject *object)
{
	IotV1Codec *self = IOT_V1_CODEC(object);
	g_free(self->service_id);
	G_OBJECT_CLASS(iot_v1_codec_parent_class)->finalize(object);
}

static void
iot_v1_codec_class_init(IotV1CodecClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_v1_codec_dispose;
	object_class->finalize = iot_v1_codec_finalize;
}

static void
iot_v1_codec_init(IotV1Codec *self)
{
	self->table = iot_stream_table_new(iot_v1_codec_data_cb, iot_v1_codec_closed_cb, self);
}

/**
 * iot_v1_codec_new:
 *
 * Returns: (transfer full): a V1 codec, not started
 */
IotV1Codec *
iot_v1_codec_new(void)
{
	return g_object_new(IOT_TYPE_V1_CODEC, NULL);
}
