/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-message.h"

/**
 * iot_message_new:
 * @type: the message type
 * @stream_id: the stream, or 0
 *
 * Returns: (transfer full): a message with no optional fields set
 */
IotMessage *
iot_message_new(IotMessageType type, gint32 stream_id)
{
	IotMessage *self = g_new0(IotMessage, 1);
	self->type = type;
	self->stream_id = stream_id;
	return self;
}

/**
 * iot_message_new_full:
 * @type: the message type
 * @stream_id: the stream
 * @service_id: (nullable): the service, or %NULL for V1 style
 * @connection_id: the V3 connection, or 0
 * @payload: (nullable): DATA bytes; a reference is taken
 *
 * Returns: (transfer full): a message
 */
IotMessage *
iot_message_new_full(IotMessageType type,
		     gint32 stream_id,
		     const gchar *service_id,
		     guint32 connection_id,
		     GBytes *payload)
{
	IotMessage *self = iot_message_new(type, stream_id);
	if (service_id != NULL && service_id[0] != '\0')
		self->service_id = g_strdup(service_id);
	self->connection_id = connection_id;
	if (payload != NULL)
		self->payload = g_bytes_ref(payload);
	return self;
}

void
iot_message_free(IotMessage *self)
{
	if (self == NULL)
		return;
	g_clear_pointer(&self->payload, g_bytes_unref);
	g_free(self->service_id);
	g_strfreev(self->available_service_ids);
	g_free(self);
}

const gchar *
iot_message_type_to_string(IotMessageType type)
{
	switch (type) {
	case IOT_MESSAGE_TYPE_UNKNOWN:
		return "UNKNOWN";
	case IOT_MESSAGE_TYPE_DATA:
		return "DATA";
	case IOT_MESSAGE_TYPE_STREAM_START:
		return "STREAM_START";
	case IOT_MESSAGE_TYPE_STREAM_RESET:
		return "STREAM_RESET";
	case IOT_MESSAGE_TYPE_SESSION_RESET:
		return "SESSION_RESET";
	case IOT_MESSAGE_TYPE_SERVICE_IDS:
		return "SERVICE_IDS";
	case IOT_MESSAGE_TYPE_CONNECTION_START:
		return "CONNECTION_START";
	case IOT_MESSAGE_TYPE_CONNECTION_RESET:
		return "CONNECTION_RESET";
	case IOT_MESSAGE_TYPE_EXT_HELLO:
		return "EXT_HELLO";
	case IOT_MESSAGE_TYPE_EXT_WINDOW:
		return "EXT_WINDOW";
	case IOT_MESSAGE_TYPE_EXT_SHUTDOWN:
		return "EXT_SHUTDOWN";
	default:
		return "INVALID";
	}
}

/**
 * iot_message_has_service_id:
 * @self: a message
 *
 * Returns: %TRUE when the message names a service (V2 and V3 format)
 */
gboolean
iot_message_has_service_id(const IotMessage *self)
{
	return self->service_id != NULL && self->service_id[0] != '\0';
}

/**
 * iot_message_to_string:
 * @self: a message
 *
 * Describes the message for debug logs: type, ids and payload length,
 * never the payload itself.
 *
 * Returns: (transfer full): a one-line description
 */
gchar *
iot_message_to_string(const IotMessage *self)
{
	GString *str = g_string_new(iot_message_type_to_string(self->type));
	if (self->stream_id != 0)
		g_string_append_printf(str, " stream=%d", self->stream_id);
	if (iot_message_has_service_id(self))
		g_string_append_printf(str, " service=%s", self->service_id);
	if (self->connection_id != 0)
		g_string_append_printf(str, " connection=%u", self->connection_id);
	if (self->payload != NULL)
		g_string_append_printf(str,
				       " payload=%" G_GSIZE_FORMAT,
				       g_bytes_get_size(self->payload));
	if (self->available_service_ids != NULL) {
		g_autofree gchar *ids = g_strjoinv(",", self->available_service_ids);
		g_string_append_printf(str, " services=[%s]", ids);
	}
	if (self->ignorable)
		g_string_append(str, " ignorable");
	return g_string_free(str, FALSE);
}
