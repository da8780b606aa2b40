/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-v3-codec.h"

/*
 * Protocol V3 (PROTOCOL.md section 4): as V2, plus many local connections
 * per service inside one stream, told apart by connectionId. The source
 * starts a service's stream with its first connection (STREAM_START,
 * connection 1) and adds the others with CONNECTION_START; closing one sends
 * CONNECTION_RESET and the stream stays, even with no connection left, for
 * the next CONNECTION_START (the reference keeps it too).
 *
 * A destination also serves a peer that speaks V1/V2 format in the 3.0
 * session: a STREAM_START without connectionId is connection 1 of a stream
 * whose answers carry no connectionId and end with STREAM_RESET. Without a
 * serviceId it is the one configured service (the reference throws there).
 *
 * A source learns from the destination's answers when it speaks an older
 * version (PROTOCOL.md section 4): DATA without connectionId comes from V2,
 * and a message without serviceId in a session whose messages name their
 * service comes from V1, which ignores the name. The rest of the session
 * then follows that version's rules, as -y would have from the start: one
 * connection per stream, closed with STREAM_RESET; one stream per service
 * (V2) or one stream at all (V1); new streams without connectionId, and
 * without serviceId for V1. Of what is open then, the first connection of
 * the stream the older destination serves goes on, its messages as they
 * started (an older proxy ignores the fields it does not know, and the
 * reference's -y V1 keys its connections by the connectionId it saw); the
 * others, which it never saw, are closed. The next session starts with V3
 * again.
 */

/* the one connection of a stream of an older destination */
#define IOT_V3_OLDER_CONNECTION_ID 1

struct _IotV3Codec {
	GObject parent_instance;
	IotStreamTable *table;
	IotSession *session; /* NULL while stopped */
	guint peer_version;  /* source side: 3, or the older version the destination speaks */
	gchar *last_started; /* source side: the service whose stream started last */
};

static void
iot_v3_codec_iface_init(IotCodecInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotV3Codec,
			      iot_v3_codec,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_CODEC, iot_v3_codec_iface_init))

static void
iot_v3_codec_send(IotV3Codec *self,
		  IotMessageType type,
		  gint32 stream_id,
		  const gchar *service_id,
		  guint32 connection_id,
		  GBytes *payload)
{
	iot_stream_table_send(self->table,
			      self->session,
			      type,
			      stream_id,
			      service_id,
			      connection_id,
			      payload);
}

/* the connectionId a link's messages carry: none in a V1/V2-format stream */
static guint32
iot_v3_codec_wire_connection_id(IotV3Codec *self, IotStreamLink *link)
{
	if (!iot_stream_table_get_with_connection_ids(self->table,
						      iot_stream_link_get_service_id(link)))
		return 0;
	return iot_stream_link_get_connection_id(link);
}

static void
iot_v3_codec_data_cb(IotStreamLink *link, GBytes *bytes, gpointer user_data)
{
	IotV3Codec *self = IOT_V3_CODEC(user_data);
	const gchar *service_id = iot_stream_link_get_service_id(link);
	iot_v3_codec_send(self,
			  IOT_MESSAGE_TYPE_DATA,
			  iot_stream_link_get_stream_id(link),
			  iot_stream_table_get_wire_service_id(self->table, service_id),
			  iot_v3_codec_wire_connection_id(self, link),
			  bytes);
}

/*
 * Tells the peer that @link is gone and forgets it: CONNECTION_RESET, the
 * stream staying; in a V1/V2-format stream, STREAM_RESET for the stream.
 */
static void
iot_v3_codec_reset_link(IotV3Codec *self, IotStreamLink *link, IotStreamEnd how)
{
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
	g_autofree gchar *service_id = g_strdup(iot_stream_link_get_service_id(link));
	g_autofree gchar *wire_service_id =
	    g_strdup(iot_stream_table_get_wire_service_id(self->table, service_id));
	gint32 stream_id = iot_stream_link_get_stream_id(link);

	if (iot_stream_link_is_ended(link))
		return;
	if (!iot_stream_table_get_with_connection_ids(self->table, service_id) ||
	    self->peer_version < 3) {
		iot_v3_codec_send(self,
				  IOT_MESSAGE_TYPE_STREAM_RESET,
				  stream_id,
				  wire_service_id,
				  0,
				  NULL);
		iot_stream_table_end_stream(self->table, service_id, how);
		return;
	}
	iot_v3_codec_send(self,
			  IOT_MESSAGE_TYPE_CONNECTION_RESET,
			  stream_id,
			  wire_service_id,
			  iot_stream_link_get_connection_id(link),
			  NULL);
	iot_stream_table_end_link(self->table, link, how);
}

static void
iot_v3_codec_closed_cb(IotStreamLink *link, const GError *error, gpointer user_data)
{
	IotV3Codec *self = IOT_V3_CODEC(user_data);
	gint32 stream_id = iot_stream_link_get_stream_id(link);
	guint32 connection_id = iot_stream_link_get_connection_id(link);

	if (error != NULL)
		iot_tunnel_info(iot_session_get_name(self->session),
				stream_id,
				connection_id,
				"local connection failed: %s",
				error->message);
	else
		iot_tunnel_debug(iot_session_get_name(self->session),
				 stream_id,
				 connection_id,
				 "local connection ended");
	iot_v3_codec_reset_link(self, link, IOT_STREAM_END_CLOSE);
}

static const gchar *
iot_v3_codec_get_subprotocol(IotCodec *codec)
{
	return IOT_SUBPROTOCOL_V3;
}

static void
iot_v3_codec_start(IotCodec *codec, IotSession *session, const gchar *subprotocol)
{
	IotV3Codec *self = IOT_V3_CODEC(codec);

	g_set_object(&self->session, session);
	self->peer_version = 3;
	g_clear_pointer(&self->last_started, g_free);
	iot_stream_table_start_session(self->table, session);
	if (iot_subprotocol_get_version(subprotocol) < 3) {
		g_autoptr(GError) error = g_error_new(IOT_CODEC_ERROR,
						      IOT_CODEC_ERROR_PROTOCOL,
						      "subprotocol %s cannot carry V3 messages",
						      subprotocol);
		iot_session_fail(session, error);
		return;
	}
	iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "started over %s", subprotocol);
}

/*
 * Source side, once the destination speaks V1 or V2: the connection becomes
 * a stream of its own, without connectionId (and without serviceId for V1),
 * unless one is active for the service (V2) or at all (V1).
 */
static void
iot_v3_codec_start_older_stream(IotV3Codec *self,
				const gchar *service_id,
				IotConnection *connection)
{
	g_autoptr(IotStreamLink) link = NULL;
	g_auto(GStrv) active = iot_stream_table_dup_stream_service_ids(self->table);
	const gchar *busy = NULL;
	const gchar *wire_service_id;
	gint32 stream_id;

	if (self->peer_version == 1 && active[0] != NULL)
		busy = active[0];
	else if (self->peer_version == 2 && iot_stream_table_get_stream_id(self->table, service_id))
		busy = service_id;
	if (busy != NULL) {
		iot_tunnel_message(iot_session_get_name(self->session),
				   0,
				   0,
				   "%s: the destination speaks V%u, which carries one connection "
				   "%s at a time; closing the new one, stream %d goes on",
				   iot_connection_get_description(connection),
				   self->peer_version,
				   self->peer_version == 1 ? "in all" : "per service",
				   iot_stream_table_get_stream_id(self->table, busy));
		iot_connection_abort(connection);
		return;
	}
	if (self->peer_version == 1) {
		stream_id = iot_stream_table_take_stream_id(self->table, NULL);
		wire_service_id = "";
	} else {
		stream_id = iot_stream_table_take_stream_id(self->table, service_id);
		wire_service_id = iot_stream_table_to_wire_service_id(self->table, service_id);
	}
	iot_stream_table_open_stream(self->table, service_id, stream_id, wire_service_id, FALSE);
	g_free(self->last_started);
	self->last_started = g_strdup(service_id);
	link = iot_stream_link_ref(
	    iot_stream_table_add_link(self->table, service_id, IOT_V3_OLDER_CONNECTION_ID));
	iot_tunnel_info(iot_session_get_name(self->session),
			stream_id,
			0,
			"started for %s (%s%s), in V%u format",
			iot_connection_get_description(connection),
			wire_service_id[0] != '\0' ? "service " : "no service name",
			wire_service_id,
			self->peer_version);
	iot_v3_codec_send(self, IOT_MESSAGE_TYPE_STREAM_START, stream_id, wire_service_id, 0, NULL);
	iot_stream_link_attach(link, connection);
}

/*
 * Source side: the service's first connection starts its stream, each
 * further one joins it with the next connectionId.
 */
static void
iot_v3_codec_start_connection(IotV3Codec *self, const gchar *service_id, IotConnection *connection)
{
	g_autoptr(IotStreamLink) link = NULL;
	const gchar *wire_service_id;
	IotMessageType type = IOT_MESSAGE_TYPE_CONNECTION_START;
	gint32 stream_id;
	guint32 connection_id;

	if (self->session == NULL) {
		iot_tunnel_debug(NULL,
				 0,
				 0,
				 "%s: no session, aborting",
				 iot_connection_get_description(connection));
		iot_connection_abort(connection);
		return;
	}
	if (self->peer_version < 3) {
		iot_v3_codec_start_older_stream(self, service_id, connection);
		return;
	}
	stream_id = iot_stream_table_get_stream_id(self->table, service_id);
	if (stream_id == 0) {
		stream_id = iot_stream_table_take_stream_id(self->table, service_id);
		wire_service_id = iot_stream_table_to_wire_service_id(self->table, service_id);
		iot_stream_table_open_stream(self->table,
					     service_id,
					     stream_id,
					     wire_service_id,
					     TRUE);
		type = IOT_MESSAGE_TYPE_STREAM_START;
		g_free(self->last_started);
		self->last_started = g_strdup(service_id);
	}
	wire_service_id = iot_stream_table_get_wire_service_id(self->table, service_id);
	connection_id = iot_stream_table_take_connection_id(self->table, service_id);
	link =
	    iot_stream_link_ref(iot_stream_table_add_link(self->table, service_id, connection_id));
	iot_tunnel_info(iot_session_get_name(self->session),
			stream_id,
			connection_id,
			"started for %s (%s%s)",
			iot_connection_get_description(connection),
			wire_service_id[0] != '\0' ? "service " : "no service name",
			wire_service_id);
	iot_v3_codec_send(self, type, stream_id, wire_service_id, connection_id, NULL);
	iot_stream_link_attach(link, connection);
}

static void
iot_v3_codec_release_held_cb(const gchar *service_id, IotConnection *connection, gpointer user_data)
{
	iot_v3_codec_start_connection(IOT_V3_CODEC(user_data), service_id, connection);
}

static void
iot_v3_codec_accept(IotCodec *codec, const gchar *service_id, IotConnection *connection)
{
	IotV3Codec *self = IOT_V3_CODEC(codec);

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
	iot_v3_codec_start_connection(self, service_id, connection);
}

static void
iot_v3_codec_connect_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(IotStreamLink) link = user_data;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(IotConnection) connection = NULL;
	IotV3Codec *self;
	gint32 stream_id = iot_stream_link_get_stream_id(link);
	guint32 connection_id = iot_stream_link_get_connection_id(link);

	connection = iot_session_connect_finish(IOT_SESSION(source), result, &error_local);
	if (!iot_stream_link_attach(link, connection))
		return;
	self = IOT_V3_CODEC(iot_stream_link_get_user_data(link));
	if (connection != NULL) {
		iot_tunnel_info(iot_session_get_name(IOT_SESSION(source)),
				stream_id,
				connection_id,
				"connected to %s",
				iot_connection_get_description(connection));
		return;
	}
	iot_tunnel_log_rate_limited(G_LOG_LEVEL_WARNING,
				    iot_session_get_name(self->session),
				    stream_id,
				    connection_id,
				    "cannot reach the local service%s%s: %s",
				    iot_stream_link_get_service_id(link)[0] != '\0' ? " " : "",
				    iot_stream_link_get_service_id(link),
				    error_local->message);
	iot_v3_codec_reset_link(self, link, IOT_STREAM_END_ABORT);
}

/* destination side: opens a link and connects it to the local service */
static void
iot_v3_codec_connect_link(IotV3Codec *self, const gchar *service_id, guint32 connection_id)
{
	g_autoptr(IotStreamLink) link =
	    iot_stream_link_ref(iot_stream_table_add_link(self->table, service_id, connection_id));
	iot_tunnel_info(iot_session_get_name(self->session),
			iot_stream_link_get_stream_id(link),
			connection_id,
			"started for %s%s, connecting",
			service_id[0] != '\0' ? "service " : "the unnamed mapping",
			service_id);
	iot_session_connect_async(self->session,
				  service_id,
				  iot_stream_link_get_cancellable(link),
				  iot_v3_codec_connect_cb,
				  iot_stream_link_ref(link));
}

static gboolean
iot_v3_codec_check_destination(IotV3Codec *self, const IotMessage *msg, GError **error)
{
	if (iot_session_get_mode(self->session) != IOT_TUNNEL_MODE_DESTINATION) {
		g_set_error(error,
			    IOT_CODEC_ERROR,
			    IOT_CODEC_ERROR_PROTOCOL,
			    "%s sent to a source",
			    iot_message_type_to_string(msg->type));
		return FALSE;
	}
	return TRUE;
}

/* destination side: a new stream replaces the service's active one */
static gboolean
iot_v3_codec_receive_stream_start(IotV3Codec *self,
				  const IotMessage *msg,
				  const gchar *service_id,
				  GError **error)
{
	gint32 old_stream_id;

	if (!iot_v3_codec_check_destination(self, msg, error))
		return FALSE;
	if (msg->stream_id <= 0) {
		g_set_error(error,
			    IOT_CODEC_ERROR,
			    IOT_CODEC_ERROR_PROTOCOL,
			    "STREAM_START with invalid stream ID %d",
			    msg->stream_id);
		return FALSE;
	}
	if (service_id == NULL) {
		if (iot_message_has_service_id(msg))
			iot_tunnel_warning(iot_session_get_name(self->session),
					   msg->stream_id,
					   0,
					   "no local service for \"%s\"; resetting",
					   msg->service_id);
		else
			iot_tunnel_warning(
			    iot_session_get_name(self->session),
			    msg->stream_id,
			    0,
			    "names no service, and several services are mapped here; resetting");
		iot_v3_codec_send(self,
				  IOT_MESSAGE_TYPE_STREAM_RESET,
				  msg->stream_id,
				  msg->service_id,
				  0,
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
	if (msg->connection_id == 0)
		iot_tunnel_debug(iot_session_get_name(self->session),
				 msg->stream_id,
				 0,
				 "the peer speaks V1/V2 format");
	iot_stream_table_open_stream(self->table,
				     service_id,
				     msg->stream_id,
				     msg->service_id,
				     msg->connection_id != 0);
	iot_v3_codec_connect_link(self,
				  service_id,
				  msg->connection_id != 0 ? msg->connection_id : 1);
	return TRUE;
}

/* destination side: one more connection in the active stream */
static gboolean
iot_v3_codec_receive_connection_start(IotV3Codec *self,
				      const IotMessage *msg,
				      const gchar *service_id,
				      GError **error)
{
	if (!iot_v3_codec_check_destination(self, msg, error))
		return FALSE;
	if (msg->connection_id == 0) {
		g_set_error_literal(error,
				    IOT_CODEC_ERROR,
				    IOT_CODEC_ERROR_PROTOCOL,
				    "CONNECTION_START without connectionId");
		return FALSE;
	}
	/* a stream id below 1 names no stream: a reset for it would be refused */
	if (msg->stream_id <= 0) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 msg->connection_id,
				 "dropping CONNECTION_START for stream %d",
				 msg->stream_id);
		return TRUE;
	}
	if (msg->stream_id != iot_stream_table_get_stream_id(self->table, service_id)) {
		/* the source thinks the stream lives: tell it this connection cannot */
		iot_tunnel_debug(iot_session_get_name(self->session),
				 msg->stream_id,
				 msg->connection_id,
				 "CONNECTION_START for no active stream; resetting");
		iot_v3_codec_send(self,
				  IOT_MESSAGE_TYPE_CONNECTION_RESET,
				  msg->stream_id,
				  msg->service_id,
				  msg->connection_id,
				  NULL);
		return TRUE;
	}
	if (!iot_stream_table_get_with_connection_ids(self->table, service_id)) {
		g_set_error(error,
			    IOT_CODEC_ERROR,
			    IOT_CODEC_ERROR_PROTOCOL,
			    "CONNECTION_START in stream %d, started without connectionId",
			    msg->stream_id);
		return FALSE;
	}
	if (iot_stream_table_lookup_link(self->table, service_id, msg->connection_id) != NULL)
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				msg->connection_id,
				"started again, replacing the old one");
	iot_v3_codec_connect_link(self, service_id, msg->connection_id);
	return TRUE;
}

/*
 * One stream of the source as the older destination sees it: its first
 * connection. The other connections, which the destination never saw, are
 * closed; without a first connection the stream is reset.
 */
static void
iot_v3_codec_downgrade_stream(IotV3Codec *self, const gchar *service_id)
{
	g_autoptr(GPtrArray) links = iot_stream_table_dup_links(self->table, service_id);
	gint32 stream_id = iot_stream_table_get_stream_id(self->table, service_id);
	g_autofree gchar *wire_service_id =
	    g_strdup(iot_stream_table_get_wire_service_id(self->table, service_id));
	gboolean first = FALSE;

	for (guint i = 0; i < links->len; i++) {
		IotStreamLink *link = g_ptr_array_index(links, i);
		guint32 connection_id = iot_stream_link_get_connection_id(link);

		if (connection_id == IOT_V3_OLDER_CONNECTION_ID) {
			first = TRUE;
			continue;
		}
		iot_tunnel_message(iot_session_get_name(self->session),
				   stream_id,
				   connection_id,
				   "the destination speaks V%u, which carries one connection per "
				   "stream; closing this one",
				   self->peer_version);
		iot_stream_table_end_link(self->table, link, IOT_STREAM_END_ABORT);
	}
	if (!first) {
		iot_v3_codec_send(self,
				  IOT_MESSAGE_TYPE_STREAM_RESET,
				  stream_id,
				  wire_service_id,
				  0,
				  NULL);
		iot_stream_table_end_stream(self->table, service_id, IOT_STREAM_END_ABORT);
	}
}

/*
 * Source side: the destination speaks V@version (1 also stands for "V1 or
 * V2" in a session whose messages name no service, where the two rules
 * agree). The session follows its rules from now on; what is open becomes
 * what that version can carry. A V1 destination has one stream, the last
 * one started: the others are closed.
 */
static void
iot_v3_codec_fall_back(IotV3Codec *self, guint version, gboolean named)
{
	g_auto(GStrv) active = NULL;

	self->peer_version = version;
	if (!named)
		iot_tunnel_info(iot_session_get_name(self->session),
				0,
				0,
				"the destination speaks V1 or V2 (its messages carry no connection "
				"ID): one connection at a time until the next connection to the "
				"service; -y V1 says so from the start");
	else if (version == 1)
		iot_tunnel_info(
		    iot_session_get_name(self->session),
		    0,
		    0,
		    "the destination speaks V1 (its messages name no service): speaking V1 to it "
		    "until the next connection to the service; -y V1 says so from the start");
	else
		iot_tunnel_info(iot_session_get_name(self->session),
				0,
				0,
				"the destination speaks V2 (its messages carry no connection ID): "
				"one connection per service until the next connection to the "
				"service; -y V2 says so from the start");
	active = iot_stream_table_dup_stream_service_ids(self->table);
	for (guint i = 0; active[i] != NULL; i++) {
		if (version == 1 && g_strcmp0(active[i], self->last_started) != 0) {
			iot_tunnel_message(iot_session_get_name(self->session),
					   iot_stream_table_get_stream_id(self->table, active[i]),
					   0,
					   "the destination speaks V1, which carries one stream at "
					   "a time; closing its connections");
			iot_stream_table_end_stream(self->table, active[i], IOT_STREAM_END_ABORT);
			continue;
		}
		iot_v3_codec_downgrade_stream(self, active[i]);
	}
}

/*
 * Source side: what the destination's answer @msg says of its version, in
 * a session that still speaks V3 to it (see the comment at the top).
 */
static void
iot_v3_codec_detect_peer(IotV3Codec *self, const IotMessage *msg)
{
	gboolean named = iot_stream_table_get_names_services(self->table);

	if (self->peer_version < 3 || iot_session_get_mode(self->session) != IOT_TUNNEL_MODE_SOURCE)
		return;
	if (msg->type != IOT_MESSAGE_TYPE_DATA && msg->type != IOT_MESSAGE_TYPE_STREAM_RESET)
		return;
	if (named && !iot_message_has_service_id(msg))
		iot_v3_codec_fall_back(self, 1, named);
	else if (msg->type == IOT_MESSAGE_TYPE_DATA && msg->connection_id == 0)
		iot_v3_codec_fall_back(self, named ? 2 : 1, named);
}

/* the local service a message is for; a V1 destination's, naming none, are for the one stream */
static const gchar *
iot_v3_codec_local_service_id(IotV3Codec *self, const IotMessage *msg)
{
	if (self->peer_version == 1 && !iot_message_has_service_id(msg)) {
		g_auto(GStrv) active = iot_stream_table_dup_stream_service_ids(self->table);
		return active[0] != NULL
			   ? iot_stream_table_to_local_service_id(self->table, active[0])
			   : NULL;
	}
	return iot_stream_table_to_local_service_id(self->table, msg->service_id);
}

static gboolean
iot_v3_codec_receive(IotCodec *codec, const IotMessage *msg, GError **error)
{
	IotV3Codec *self = IOT_V3_CODEC(codec);
	g_autoptr(IotV3Codec) hold = g_object_ref(self);
	g_autofree gchar *text = iot_codec_describe_message(msg);
	const gchar *service_id;
	guint32 connection_id;
	IotStreamLink *link;

	g_return_val_if_fail(self->session != NULL, FALSE);
	if (text != NULL)
		iot_tunnel_debug(iot_session_get_name(self->session), 0, 0, "received %s", text);

	if (iot_stream_table_receive_session_message(self->table,
						     self->session,
						     msg,
						     iot_v3_codec_release_held_cb,
						     self))
		return TRUE;
	switch (msg->type) {
	case IOT_MESSAGE_TYPE_DATA:
	case IOT_MESSAGE_TYPE_STREAM_START:
	case IOT_MESSAGE_TYPE_STREAM_RESET:
	case IOT_MESSAGE_TYPE_CONNECTION_START:
	case IOT_MESSAGE_TYPE_CONNECTION_RESET:
		break;
	default:
		if (iot_stream_table_receive_extension(self->table,
						       iot_v3_codec_local_service_id(self, msg),
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
			    "unknown message type %d",
			    (gint)msg->type);
		return FALSE;
	}

	/* an older destination's messages need not match the format our streams started with */
	iot_v3_codec_detect_peer(self, msg);
	if (self->peer_version == 3 && !iot_stream_table_check_format(self->table, msg, error))
		return FALSE;
	service_id = iot_v3_codec_local_service_id(self, msg);
	if (msg->type == IOT_MESSAGE_TYPE_STREAM_START)
		return iot_v3_codec_receive_stream_start(self, msg, service_id, error);
	if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_START)
		return iot_v3_codec_receive_connection_start(self, msg, service_id, error);

	if (iot_stream_table_receive_stream_end(self->table, service_id, msg))
		return TRUE;

	/* no connectionId: a V1/V2-format peer, whose one connection is 1 */
	connection_id = msg->connection_id != 0 ? msg->connection_id : 1;
	link = iot_stream_table_lookup_link(self->table, service_id, connection_id);
	if (link == NULL) {
		iot_tunnel_debug(iot_session_get_name(self->session),
				 0,
				 0,
				 "dropping stale %s",
				 IOT_CODEC_MESSAGE_TEXT(text, msg));
		return TRUE;
	}
	if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_RESET) {
		iot_tunnel_info(iot_session_get_name(self->session),
				msg->stream_id,
				connection_id,
				"reset by the peer");
		iot_stream_table_reset_link(self->table, link);
		return TRUE;
	}
	if (msg->payload != NULL)
		iot_stream_link_write(link, msg->payload);
	return TRUE;
}

static void
iot_v3_codec_stop(IotCodec *codec)
{
	IotV3Codec *self = IOT_V3_CODEC(codec);
	iot_stream_table_stop_session(self->table);
	g_clear_pointer(&self->last_started, g_free);
	g_clear_object(&self->session);
}

static void
iot_v3_codec_iface_init(IotCodecInterface *iface)
{
	iface->get_subprotocol = iot_v3_codec_get_subprotocol;
	iface->start = iot_v3_codec_start;
	iface->receive = iot_v3_codec_receive;
	iface->accept = iot_v3_codec_accept;
	iface->stop = iot_v3_codec_stop;
}

static void
iot_v3_codec_dispose(GObject *object)
{
	IotV3Codec *self = IOT_V3_CODEC(object);
	if (self->table != NULL)
		iot_stream_table_end_all(self->table, IOT_STREAM_END_ABORT);
	g_clear_object(&self->table);
	g_clear_object(&self->session);
	g_clear_pointer(&self->last_started, g_free);
	G_OBJECT_CLASS(iot_v3_codec_parent_class)->dispose(object);
}

static void
iot_v3_codec_class_init(IotV3CodecClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_v3_codec_dispose;
}

static void
iot_v3_codec_init(IotV3Codec *self)
{
	self->peer_version = 3;
	self->table = iot_stream_table_new(iot_v3_codec_data_cb, iot_v3_codec_closed_cb, self);
}

/**
 * iot_v3_codec_new:
 *
 * Returns: (transfer full): a V3 codec, not started
 */
IotV3Codec *
iot_v3_codec_new(void)
{
	return g_object_new(IOT_TYPE_V3_CODEC, NULL);
}
