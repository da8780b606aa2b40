/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-message-validator.h"

G_DEFINE_QUARK(iot-message-validator-error-quark, iot_message_validator_error);

/**
 * iot_message_validator_get_version:
 * @subprotocol: (nullable): a `Sec-WebSocket-Protocol` value
 *
 * Returns: 1, 2 or 3 for the three secure-tunneling subprotocols, 0 for
 *   anything else
 */
guint
iot_message_validator_get_version(const gchar *subprotocol)
{
	if (g_strcmp0(subprotocol, IOT_SUBPROTOCOL_V1) == 0)
		return 1;
	if (g_strcmp0(subprotocol, IOT_SUBPROTOCOL_V2) == 0)
		return 2;
	if (g_strcmp0(subprotocol, IOT_SUBPROTOCOL_V3) == 0)
		return 3;
	return 0;
}

static const gchar *
iot_message_validator_sender_to_string(IotMessageSender sender)
{
	switch (sender) {
	case IOT_MESSAGE_SENDER_SOURCE:
		return "source";
	case IOT_MESSAGE_SENDER_DESTINATION:
		return "destination";
	default:
		return "service";
	}
}

static gboolean
iot_message_validator_check_type(const IotMessage *msg,
				 IotMessageSender sender,
				 guint version,
				 GError **error)
{
	const gchar *type = iot_message_type_to_string(msg->type);
	const gchar *who = iot_message_validator_sender_to_string(sender);

	switch (msg->type) {
	case IOT_MESSAGE_TYPE_SERVICE_IDS:
	case IOT_MESSAGE_TYPE_SESSION_RESET:
		/* section 4, any version: only the service sends these */
		if (sender != IOT_MESSAGE_SENDER_SERVICE) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
				    "%s may not send %s",
				    who,
				    type);
			return FALSE;
		}
		/* section 4, any version: a 1.0 session gets no SERVICE_IDS */
		if (msg->type == IOT_MESSAGE_TYPE_SERVICE_IDS && version < 2) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
				    "%s in a %u.0 session",
				    type,
				    version);
			return FALSE;
		}
		return TRUE;
	case IOT_MESSAGE_TYPE_CONNECTION_START:
	case IOT_MESSAGE_TYPE_CONNECTION_RESET:
		/* section 4, V3: these exist only in 3.0 */
		if (version < 3) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
				    "%s in a %u.0 session",
				    type,
				    version);
			return FALSE;
		}
		/* only the source opens connections, as it opens streams */
		if (msg->type == IOT_MESSAGE_TYPE_CONNECTION_START &&
		    sender == IOT_MESSAGE_SENDER_DESTINATION) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
				    "%s may not send %s",
				    who,
				    type);
			return FALSE;
		}
		return TRUE;
	case IOT_MESSAGE_TYPE_STREAM_START:
		/* section 4, any version: only a source sends STREAM_START */
		if (sender == IOT_MESSAGE_SENDER_DESTINATION) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
				    "%s may not send %s",
				    who,
				    type);
			return FALSE;
		}
		return TRUE;
	case IOT_MESSAGE_TYPE_DATA:
	case IOT_MESSAGE_TYPE_STREAM_RESET:
		return TRUE;
	case IOT_MESSAGE_TYPE_UNKNOWN:
	default:
		g_set_error(error,
			    IOT_MESSAGE_VALIDATOR_ERROR,
			    IOT_MESSAGE_VALIDATOR_ERROR_UNKNOWN_TYPE,
			    "message of unknown type %d",
			    (gint)msg->type);
		return FALSE;
	}
}

static gboolean
iot_message_validator_check_fields(const IotMessage *msg, guint version, GError **error)
{
	const gchar *type = iot_message_type_to_string(msg->type);
	gboolean stream_message = msg->type != IOT_MESSAGE_TYPE_SERVICE_IDS &&
				  msg->type != IOT_MESSAGE_TYPE_SESSION_RESET;

	/* section 3: 0 is invalid for stream messages; a negative one names no stream either */
	if (stream_message && msg->stream_id <= 0) {
		g_set_error(error,
			    IOT_MESSAGE_VALIDATOR_ERROR,
			    IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM,
			    "%s with stream id %d",
			    type,
			    (gint)msg->stream_id);
		return FALSE;
	}
	/* section 3: connectionId is V3 only */
	if (msg->connection_id != 0 && version < 3) {
		g_set_error(error,
			    IOT_MESSAGE_VALIDATOR_ERROR,
			    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD,
			    "%s with connectionId %u in a %u.0 session",
			    type,
			    msg->connection_id,
			    version);
		return FALSE;
	}
	/* section 4, V1: no service IDs */
	if (iot_message_has_service_id(msg) && version < 2) {
		g_set_error(error,
			    IOT_MESSAGE_VALIDATOR_ERROR,
			    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD,
			    "%s with a serviceId in a 1.0 session",
			    type);
		return FALSE;
	}
	/* section 3: availableServiceIds only in SERVICE_IDS */
	if (msg->available_service_ids != NULL && msg->available_service_ids[0] != NULL &&
	    msg->type != IOT_MESSAGE_TYPE_SERVICE_IDS) {
		g_set_error(error,
			    IOT_MESSAGE_VALIDATOR_ERROR,
			    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD,
			    "%s with availableServiceIds",
			    type);
		return FALSE;
	}
	if (msg->payload != NULL && g_bytes_get_size(msg->payload) > 0) {
		/* section 3: payload is DATA bytes */
		if (msg->type != IOT_MESSAGE_TYPE_DATA) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD,
				    "%s with a payload",
				    type);
			return FALSE;
		}
		if (g_bytes_get_size(msg->payload) > IOT_MESSAGE_MAX_PAYLOAD) {
			g_set_error(error,
				    IOT_MESSAGE_VALIDATOR_ERROR,
				    IOT_MESSAGE_VALIDATOR_ERROR_PAYLOAD_TOO_LARGE,
				    "payload of %" G_GSIZE_FORMAT " bytes is over the limit of %u",
				    g_bytes_get_size(msg->payload),
				    (guint)IOT_MESSAGE_MAX_PAYLOAD);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * iot_message_validator_check:
 * @msg: a decoded message
 * @sender: who sent it
 * @version: the session's subprotocol version, 1 to 3 (see
 *   iot_message_validator_get_version())
 * @error: (nullable): return location for an error in
 *   %IOT_MESSAGE_VALIDATOR_ERROR
 *
 * Checks one message against the rules of PROTOCOL.md sections 3 and 4 that
 * hold for a single message: which types @sender may send, stream ids, and
 * the fields @version allows. A message of an unknown type marked ignorable
 * passes unchecked, since a receiver skips it. Rules that need the session's
 * history (stale stream ids, the tunnel's service list) are the caller's.
 *
 * Returns: %TRUE when @msg may be sent by @sender in a session of @version
 */
gboolean
iot_message_validator_check(const IotMessage *msg,
			    IotMessageSender sender,
			    guint version,
			    GError **error)
{
	g_return_val_if_fail(msg != NULL, FALSE);
	g_return_val_if_fail(version >= 1 && version <= 3, FALSE);

	/* section 3: an unknown type with ignorable set may be skipped */
	if (msg->type > IOT_MESSAGE_TYPE_LAST && msg->ignorable)
		return TRUE;
	if (!iot_message_validator_check_type(msg, sender, version, error))
		return FALSE;
	return iot_message_validator_check_fields(msg, version, error);
}
