/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "iot-message.h"
#include "iot-subprotocol.h"

G_BEGIN_DECLS

#define IOT_MESSAGE_VALIDATOR_ERROR iot_message_validator_error_quark()

/**
 * IotMessageValidatorError:
 * @IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE: the sender may not send this type
 *   (SERVICE_IDS or SESSION_RESET from a proxy, STREAM_START or CONNECTION_START
 *   from a destination, a V3 type in a 1.0 or 2.0 session)
 * @IOT_MESSAGE_VALIDATOR_ERROR_UNKNOWN_TYPE: the type is 0, or unknown and not
 *   marked ignorable
 * @IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM: a stream message has stream id 0, or a
 *   negative one
 * @IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD: a field the session's version or
 *   the type does not allow (connectionId outside 3.0, serviceId in 1.0,
 *   availableServiceIds outside SERVICE_IDS, payload outside DATA)
 * @IOT_MESSAGE_VALIDATOR_ERROR_PAYLOAD_TOO_LARGE: the payload is over
 *   %IOT_MESSAGE_MAX_PAYLOAD
 *
 * Why a message breaks the rules of PROTOCOL.md sections 3 and 4.
 */
typedef enum {
	IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_TYPE,
	IOT_MESSAGE_VALIDATOR_ERROR_UNKNOWN_TYPE,
	IOT_MESSAGE_VALIDATOR_ERROR_NO_STREAM,
	IOT_MESSAGE_VALIDATOR_ERROR_FORBIDDEN_FIELD,
	IOT_MESSAGE_VALIDATOR_ERROR_PAYLOAD_TOO_LARGE,
} IotMessageValidatorError;

/**
 * IotMessageSender:
 * @IOT_MESSAGE_SENDER_SOURCE: a proxy in source mode
 * @IOT_MESSAGE_SENDER_DESTINATION: a proxy in destination mode
 * @IOT_MESSAGE_SENDER_SERVICE: the tunneling service (its own messages and the
 *   ones it relays from the other peer)
 *
 * Who sent a message, which decides the types it may carry.
 */
typedef enum {
	IOT_MESSAGE_SENDER_SOURCE,
	IOT_MESSAGE_SENDER_DESTINATION,
	IOT_MESSAGE_SENDER_SERVICE,
} IotMessageSender;

IOT_EXPORT
GQuark
iot_message_validator_error_quark(void);
IOT_EXPORT
guint
iot_message_validator_get_version(const gchar *subprotocol);
IOT_EXPORT
gboolean
iot_message_validator_check(const IotMessage *msg,
			    IotMessageSender sender,
			    guint version,
			    GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
