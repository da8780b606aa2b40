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
	IOT_MESSAGE_TYPE_EXT_HELLO = 1001,
	IOT_MESSAGE_TYPE_EXT_WINDOW = 1002,
	IOT_MESSAGE_TYPE_EXT_SHUTDOWN = 1003,
} IotMessageType;

/* the last type of the wire schema; the EXT types above it are iotunnel's own */
#define IOT_MESSAGE_TYPE_LAST IOT_MESSAGE_TYPE_CONNECTION_RESET

/*
 * The EXT types are iotunnel's extension between two iotunneld (see
 * "Protocol extensions" in iotunneld(8)): always sent with ignorable set, so
 * that the service relays them and any other peer skips them, and acted on
 * only for a stream whose peer sent EXT_HELLO.
 *
 * EXT_HELLO (stream, service): the sender paces its DATA by EXT_WINDOW and
 *   sends EXT_SHUTDOWN; payload: 4 bytes, big-endian, the bytes each of its
 *   connections will hold for its local peer (its window).
 * EXT_WINDOW (stream, service, connection): payload: 8 bytes, big-endian,
 *   how many bytes of the connection's DATA the sender's local peer took.
 * EXT_SHUTDOWN (stream, service, connection): the sender's local peer ended
 *   its direction; no more DATA follows for the connection.
 */
#define IOT_MESSAGE_EXT_HELLO_SIZE 4
#define IOT_MESSAGE_EXT_WINDOW_SIZE 8

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
