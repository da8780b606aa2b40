/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

/**
 * IotMessageType:
 *
 * The `Message.Type` values of the wire schema (PROTOCOL.md section 3).
 */
typedef enum {
	IOT_MESSAGE_TYPE_UNKNOWN = 0,
	IOT_MESSAGE_TYPE_DATA = 1,
	IOT_MESSAGE_TYPE_STREAM_START = 2,
	IOT_MESSAGE_TYPE_STREAM_RESET = 3,
	IOT_MESSAGE_TYPE_SESSION_RESET = 4,
	IOT_MESSAGE_TYPE_SERVICE_IDS = 5,
	IOT_MESSAGE_TYPE_CONNECTION_START = 6,
	IOT_MESSAGE_TYPE_CONNECTION_RESET = 7,
} IotMessageType;

#define IOT_MESSAGE_TYPE_LAST IOT_MESSAGE_TYPE_CONNECTION_RESET

/**
 * IotMessage:
 * @type: the message type
 * @stream_id: the stream, 0 where the type has none
 * @ignorable: whether an unknown @type may be skipped
 * @payload: (nullable): DATA bytes, at most %IOT_MESSAGE_MAX_PAYLOAD
 * @service_id: (nullable): the service; %NULL or "" for V1 style
 * @available_service_ids: (nullable) (array zero-terminated=1): SERVICE_IDS only
 * @connection_id: V3 connection inside the stream; 0 means absent
 *
 * One tunnel message. Owned fields are freed by iot_message_free().
 */
typedef struct {
	IotMessageType type;
	gint32 stream_id;
	gboolean ignorable;
	GBytes *payload;
	gchar *service_id;
	GStrv available_service_ids;
	guint32 connection_id;
} IotMessage;

IOT_EXPORT
IotMessage *
iot_message_new(IotMessageType type, gint32 stream_id);
IOT_EXPORT
IotMessage *
iot_message_new_full(IotMessageType type,
		     gint32 stream_id,
		     const gchar *service_id,
		     guint32 connection_id,
		     GBytes *payload);
IOT_EXPORT
void
iot_message_free(IotMessage *self);
IOT_EXPORT
const gchar *
iot_message_type_to_string(IotMessageType type);
IOT_EXPORT
gboolean
iot_message_has_service_id(const IotMessage *self);
IOT_EXPORT
gchar *
iot_message_to_string(const IotMessage *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotMessage, iot_message_free)

G_END_DECLS
