/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-codec.h"
#include "iot-connection.h"
#include "iot-message.h"
#include "iot-session.h"

G_BEGIN_DECLS

/**
 * IotStreamEnd:
 * @IOT_STREAM_END_CLOSE: write what is queued for the local peer, then close
 *   cleanly: the tunnel connection ended normally
 * @IOT_STREAM_END_ABORT: drop what is queued and close at once (TCP reset)
 * @IOT_STREAM_END_CUT: write what is queued for the local peer, then close
 *   with a TCP reset (iot_connection_flush_and_reset()): the tunnel
 *   connection was cut, and the app must not take it for complete
 *
 * How a local connection ends when the codec drops it.
 */
typedef enum {
	IOT_STREAM_END_CLOSE,
	IOT_STREAM_END_ABORT,
	IOT_STREAM_END_CUT,
} IotStreamEnd;

/**
 * IotStreamLink:
 *
 * One local connection inside a stream: its service, stream and connection
 * IDs, and the #IotConnection once there is one. On the destination side a
 * link exists from the moment the peer starts it, while the local connect is
 * still pending; bytes written to it meanwhile wait in the link.
 */
typedef struct _IotStreamLink IotStreamLink;

/**
 * IotStreamLinkDataFunc:
 * @link: the link whose connection read something
 * @bytes: what was read, at most %IOT_MESSAGE_MAX_PAYLOAD bytes
 * @user_data: the table's user data
 */
typedef void (*IotStreamLinkDataFunc)(IotStreamLink *link, GBytes *bytes, gpointer user_data);

/**
 * IotStreamLinkClosedFunc:
 * @link: the link whose local peer ended the connection
 * @error: (nullable): %NULL for a clean end of stream
 * @user_data: the table's user data
 *
 * The link stays in the table: the codec decides what to send and then
 * ends it with iot_stream_table_end_link() or iot_stream_table_end_stream().
 */
typedef void (*IotStreamLinkClosedFunc)(IotStreamLink *link,
					const GError *error,
					gpointer user_data);

/**
 * IotStreamHeldFunc:
 * @service_id: the service whose listener accepted @connection
 * @connection: (transfer none): the held connection
 * @user_data: data given to iot_stream_table_release_held()
 */
typedef void (*IotStreamHeldFunc)(const gchar *service_id,
				  IotConnection *connection,
				  gpointer user_data);

#define IOT_TYPE_STREAM_TABLE (iot_stream_table_get_type())
IOT_EXPORT
G_DECLARE_FINAL_TYPE(IotStreamTable, iot_stream_table, IOT, STREAM_TABLE, GObject)

IOT_EXPORT
IotStreamTable *
iot_stream_table_new(IotStreamLinkDataFunc data_func,
		     IotStreamLinkClosedFunc closed_func,
		     gpointer user_data);
IOT_EXPORT
gint32
iot_stream_table_take_stream_id(IotStreamTable *self, const gchar *service_id);

IOT_EXPORT
void
iot_stream_table_set_service_ids(IotStreamTable *self, const gchar *const *service_ids);
IOT_EXPORT
void
iot_stream_table_set_announced_service_ids(IotStreamTable *self, const gchar *const *service_ids);
IOT_EXPORT
gboolean
iot_stream_table_get_announced(IotStreamTable *self);
IOT_EXPORT
const gchar *
iot_stream_table_to_local_service_id(IotStreamTable *self, const gchar *wire_service_id);
IOT_EXPORT
const gchar *
iot_stream_table_to_wire_service_id(IotStreamTable *self, const gchar *service_id);

IOT_EXPORT
void
iot_stream_table_open_stream(IotStreamTable *self,
			     const gchar *service_id,
			     gint32 stream_id,
			     const gchar *wire_service_id,
			     gboolean with_connection_ids);
IOT_EXPORT
gint32
iot_stream_table_get_stream_id(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
const gchar *
iot_stream_table_get_wire_service_id(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
gboolean
iot_stream_table_get_with_connection_ids(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
GStrv
iot_stream_table_dup_stream_service_ids(IotStreamTable *self);
IOT_EXPORT
GPtrArray *
iot_stream_table_dup_links(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
guint32
iot_stream_table_take_connection_id(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
guint
iot_stream_table_get_n_streams(IotStreamTable *self);
IOT_EXPORT
guint
iot_stream_table_get_n_links(IotStreamTable *self, const gchar *service_id);
IOT_EXPORT
void
iot_stream_table_end_stream(IotStreamTable *self, const gchar *service_id, IotStreamEnd how);
IOT_EXPORT
void
iot_stream_table_end_all(IotStreamTable *self, IotStreamEnd how);

IOT_EXPORT
IotStreamLink *
iot_stream_table_add_link(IotStreamTable *self, const gchar *service_id, guint32 connection_id);
IOT_EXPORT
IotStreamLink *
iot_stream_table_lookup_link(IotStreamTable *self, const gchar *service_id, guint32 connection_id);
IOT_EXPORT
void
iot_stream_table_end_link(IotStreamTable *self, IotStreamLink *link, IotStreamEnd how);
IOT_EXPORT
void
iot_stream_table_reset_link(IotStreamTable *self, IotStreamLink *link);

IOT_EXPORT
void
iot_stream_table_hold(IotStreamTable *self, const gchar *service_id, IotConnection *connection);
IOT_EXPORT
guint
iot_stream_table_get_n_held(IotStreamTable *self);
IOT_EXPORT
void
iot_stream_table_release_held(IotStreamTable *self, IotStreamHeldFunc func, gpointer user_data);

IOT_EXPORT
void
iot_stream_table_start_session(IotStreamTable *self, IotSession *session);
IOT_EXPORT
void
iot_stream_table_stop_session(IotStreamTable *self);
IOT_EXPORT
gboolean
iot_stream_table_check_format(IotStreamTable *self, const IotMessage *msg, GError **error);
IOT_EXPORT
gboolean
iot_stream_table_get_names_services(IotStreamTable *self);
IOT_EXPORT
void
iot_stream_table_send(IotStreamTable *self,
		      IotSession *session,
		      IotMessageType type,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id,
		      GBytes *payload);
IOT_EXPORT
gboolean
iot_stream_table_receive_session_message(IotStreamTable *self,
					 IotSession *session,
					 const IotMessage *msg,
					 IotStreamHeldFunc func,
					 gpointer user_data);
IOT_EXPORT
gboolean
iot_stream_table_receive_extension(IotStreamTable *self,
				   const gchar *service_id,
				   const IotMessage *msg);
IOT_EXPORT
gboolean
iot_stream_table_receive_stream_end(IotStreamTable *self,
				    const gchar *service_id,
				    const IotMessage *msg);

IOT_EXPORT
IotStreamLink *
iot_stream_link_ref(IotStreamLink *link);
IOT_EXPORT
void
iot_stream_link_unref(IotStreamLink *link);
IOT_EXPORT
const gchar *
iot_stream_link_get_service_id(IotStreamLink *link);
IOT_EXPORT
gint32
iot_stream_link_get_stream_id(IotStreamLink *link);
IOT_EXPORT
guint32
iot_stream_link_get_connection_id(IotStreamLink *link);
IOT_EXPORT
IotConnection *
iot_stream_link_get_connection(IotStreamLink *link);
IOT_EXPORT
GCancellable *
iot_stream_link_get_cancellable(IotStreamLink *link);
IOT_EXPORT
gboolean
iot_stream_link_is_ended(IotStreamLink *link);
IOT_EXPORT
gsize
iot_stream_link_get_pending(IotStreamLink *link);
IOT_EXPORT
void
iot_stream_link_write(IotStreamLink *link, GBytes *bytes);
IOT_EXPORT
gboolean
iot_stream_link_attach(IotStreamLink *link, IotConnection *connection);
IOT_EXPORT
gpointer
iot_stream_link_get_user_data(IotStreamLink *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotStreamLink, iot_stream_link_unref)

G_END_DECLS
