/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The streams of a codec, the local connections inside them, and how those end. */

#include "config.h"

#include "iot-stream-table.h"

#include "iot-connection-private.h"
#include "iot-tunnel-log.h"

/*
 * A local end of stream the peer cannot be told of (it did not announce the
 * extension): the reset waits while the far side still sends, up to this
 * long without a byte from it, and at most the second figure in all.
 */
#define IOT_STREAM_LINGER_IDLE_MS 2000
#define IOT_STREAM_LINGER_MAX_US (30 * G_USEC_PER_SEC)

/* a window smaller than this, announced by a peer, is taken as this */
#define IOT_STREAM_MIN_WINDOW (64 * 1024)

/*
 * The bookkeeping every codec needs, whatever its version's rules: which
 * stream each service has, which local connections live inside it, which
 * service IDs the two ends use, and the lifetime of local connections that
 * are connecting, flushing before a close, or waiting for the session. The
 * codecs decide what happens; this table only remembers it.
 */

struct _IotStreamLink {
	gint refcount;
	IotStreamTable *table; /* not a reference; NULL once the table lets go */
	gchar *service_id;
	gint32 stream_id;
	guint32 connection_id;
	IotConnection *connection; /* NULL while the local connect is pending */
	GCancellable *cancellable;
	GQueue pending; /* of GBytes, written before the connection existed */
	gsize pending_size;
	gulong data_id;
	gulong closed_id;
	gulong written_id;
	gboolean ended;
	IotStreamEnd end_how;
	guint64 sent;		/* DATA bytes sent for the link */
	guint64 peer_taken;	/* of those, what the peer's local peer took (EXT_WINDOW) */
	guint64 reported;	/* what we last told the peer our local peer took */
	gboolean local_ended;	/* our local peer ended its direction; EXT_SHUTDOWN sent */
	gboolean peer_ended;	/* the peer's local peer ended its direction */
	GSource *linger;	/* our local peer ended, the peer cannot be told: the reset waits */
	gint64 linger_deadline; /* monotonic time the reset waits for at most */
};

typedef struct {
	gchar *service_id;
	gchar *wire_service_id;
	gint32 stream_id;
	gboolean with_connection_ids;
	guint32 next_connection_id;
	GHashTable *links;   /* connection id -> IotStreamLink, owned */
	gboolean extended;   /* the peer sent EXT_HELLO for the stream */
	guint32 peer_window; /* the bytes it holds per connection */
} IotStreamEntry;

typedef struct {
	gchar *service_id;
	IotConnection *connection;
} IotStreamHeld;

/* whether a session's stream messages name their service */
typedef enum {
	IOT_STREAM_FORMAT_UNSET,
	IOT_STREAM_FORMAT_WITH_SERVICE_ID,
	IOT_STREAM_FORMAT_WITHOUT_SERVICE_ID,
} IotStreamFormat;

struct _IotStreamTable {
	GObject parent_instance;
	IotStreamLinkDataFunc data_func;
	IotStreamLinkClosedFunc closed_func;
	gpointer user_data;
	gint32 next_stream_id;	     /* for streams that name no service */
	GHashTable *next_stream_ids; /* service id -> next stream id, as a pointer */
	GStrv service_ids;
	GStrv announced_service_ids; /* NULL until the service announced them */
	GHashTable *streams;	     /* local service id -> IotStreamEntry */
	GPtrArray *draining;	     /* of IotStreamLink: ended by a close while connecting */
	GPtrArray *closing;	     /* of IotConnection (weak): flushing before their close */
	GQueue held;		     /* of IotStreamHeld */
	IotStreamFormat format;	     /* set by the session's first stream message */
	gchar *tunnel;		     /* the session's name, for log lines */
	IotSession *session;	     /* between start_session and stop_session */
};

G_DEFINE_FINAL_TYPE(IotStreamTable, iot_stream_table, G_TYPE_OBJECT)

static void
iot_stream_held_free(IotStreamHeld *held)
{
	g_free(held->service_id);
	g_object_unref(held->connection);
	g_free(held);
}

static void
iot_stream_entry_free(IotStreamEntry *entry)
{
	g_free(entry->service_id);
	g_free(entry->wire_service_id);
	g_hash_table_unref(entry->links);
	g_free(entry);
}

static void
iot_stream_link_stop_linger(IotStreamLink *link)
{
	if (link->linger == NULL)
		return;
	g_source_destroy(link->linger);
	g_clear_pointer(&link->linger, g_source_unref);
}

/**
 * iot_stream_link_ref:
 * @link: a link
 *
 * Returns: (transfer full): @link
 */
IotStreamLink *
iot_stream_link_ref(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, NULL);
	g_atomic_int_inc(&link->refcount);
	return link;
}

/**
 * iot_stream_link_unref:
 * @link: a link
 */
void
iot_stream_link_unref(IotStreamLink *link)
{
	g_return_if_fail(link != NULL);
	if (!g_atomic_int_dec_and_test(&link->refcount))
		return;
	g_queue_clear_full(&link->pending, (GDestroyNotify)g_bytes_unref);
	iot_stream_link_stop_linger(link);
	g_clear_object(&link->connection);
	g_clear_object(&link->cancellable);
	g_free(link->service_id);
	g_free(link);
}

/* a closing connection finished and went away: the table forgets it */
static void
iot_stream_table_closing_gone_cb(gpointer data, GObject *where_the_object_was)
{
	IotStreamTable *self = data;
	g_ptr_array_remove_fast(self->closing, where_the_object_was);
}

/*
 * Ends @connection as @how says. One that flushes keeps itself alive until
 * its queued bytes are written and it closes; the table only remembers it,
 * to abort it if the session ends first.
 */
static void
iot_stream_table_end_connection(IotStreamTable *self, IotConnection *connection, IotStreamEnd how)
{
	if (how == IOT_STREAM_END_ABORT) {
		iot_connection_abort(connection);
		return;
	}
	if (how == IOT_STREAM_END_CUT)
		iot_connection_flush_and_reset(connection);
	else
		iot_connection_close(connection);
	if (self == NULL || iot_connection_is_finished(connection))
		return;
	g_ptr_array_add(self->closing, connection);
	g_object_weak_ref(G_OBJECT(connection), iot_stream_table_closing_gone_cb, self);
}

/* forgets the link: no more callbacks, and its connection ends as @how says */
static void
iot_stream_link_end(IotStreamLink *link, IotStreamEnd how)
{
	IotStreamTable *table = link->table;

	if (link->ended)
		return;
	link->ended = TRUE;
	link->end_how = how;
	iot_stream_link_stop_linger(link);
	if (link->connection != NULL) {
		g_clear_signal_handler(&link->data_id, link->connection);
		g_clear_signal_handler(&link->closed_id, link->connection);
		g_clear_signal_handler(&link->written_id, link->connection);
		iot_stream_table_end_connection(table, link->connection, how);
		link->table = NULL;
		return;
	}

	/*
	 * still connecting: a close delivers what the peer already sent, then
	 * closes; a cut stream is not worth reaching the app for
	 */
	if (how == IOT_STREAM_END_CLOSE && link->pending_size > 0 && table != NULL) {
		g_ptr_array_add(table->draining, iot_stream_link_ref(link));
		return;
	}
	link->table = NULL;
	g_cancellable_cancel(link->cancellable);
	g_queue_clear_full(&link->pending, (GDestroyNotify)g_bytes_unref);
	link->pending_size = 0;
}

static IotStreamEntry *
iot_stream_table_lookup_entry(IotStreamTable *self, const gchar *service_id);

/* the stream entry of a live link, when the link is still of the active stream */
static IotStreamEntry *
iot_stream_link_get_entry(IotStreamLink *link)
{
	IotStreamEntry *entry;

	if (link->ended || link->table == NULL)
		return NULL;
	entry = iot_stream_table_lookup_entry(link->table, link->service_id);
	if (entry == NULL || entry->stream_id != link->stream_id)
		return NULL;
	return entry;
}

/* sends one of the EXT messages for @link, always ignorable */
static void
iot_stream_link_send_extension(IotStreamLink *link, IotMessageType type, GBytes *payload)
{
	IotStreamTable *table = link->table;
	g_autoptr(IotMessage) msg = NULL;
	g_autoptr(IotSession) hold = NULL;
	IotStreamEntry *entry = iot_stream_link_get_entry(link);

	if (entry == NULL || table->session == NULL)
		return;
	hold = g_object_ref(table->session);
	msg = iot_message_new_full(type,
				   link->stream_id,
				   entry->wire_service_id,
				   entry->with_connection_ids ? link->connection_id : 0,
				   payload);
	msg->ignorable = TRUE;
	iot_session_send(hold, msg);
}

/* stops or starts reading the local peer as the peer's window says */
static void
iot_stream_link_update_window(IotStreamLink *link)
{
	IotStreamEntry *entry = iot_stream_link_get_entry(link);

	if (entry == NULL || link->connection == NULL || !entry->extended)
		return;
	iot_connection_set_window_closed(link->connection,
					 link->sent - link->peer_taken >= entry->peer_window);
}

static void
iot_stream_link_data_cb(IotConnection *connection, GBytes *bytes, gpointer user_data)
{
	IotStreamLink *link = user_data;
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
	if (link->ended || link->table == NULL)
		return;
	link->sent += g_bytes_get_size(bytes);
	link->table->data_func(link, bytes, link->table->user_data);
	iot_stream_link_update_window(link);
}

/* tells a peer that paces itself what our local peer took, a quarter window at a time */
static void
iot_stream_link_written_cb(IotConnection *connection, guint64 total, gpointer user_data)
{
	IotStreamLink *link = user_data;
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
	IotStreamEntry *entry = iot_stream_link_get_entry(link);
	guint8 payload[IOT_MESSAGE_EXT_WINDOW_SIZE];
	g_autoptr(GBytes) bytes = NULL;
	gsize window;

	if (entry == NULL || !entry->extended)
		return;
	window = iot_connection_get_budget(connection);
	if (window == 0)
		window = IOT_CONNECTION_DEFAULT_BUDGET;
	if (total - link->reported < window / 4)
		return;
	link->reported = total;
	for (guint i = 0; i < IOT_MESSAGE_EXT_WINDOW_SIZE; i++)
		payload[i] = (guint8)(total >> (8 * (IOT_MESSAGE_EXT_WINDOW_SIZE - 1 - i)));
	bytes = g_bytes_new(payload, sizeof(payload));
	iot_stream_link_send_extension(link, IOT_MESSAGE_TYPE_EXT_WINDOW, bytes);
}

static void
iot_stream_link_closed(IotStreamLink *link, const GError *error)
{
	if (link->ended || link->table == NULL)
		return;
	link->table->closed_func(link, error, link->table->user_data);
}

static gboolean
iot_stream_link_linger_cb(gpointer user_data)
{
	IotStreamLink *link = user_data;
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);

	g_clear_pointer(&link->linger, g_source_unref);
	iot_stream_link_closed(link, NULL);
	return G_SOURCE_REMOVE;
}

/* (re)starts the wait before the reset of a link whose local peer ended */
static void
iot_stream_link_arm_linger(IotStreamLink *link)
{
	gint64 left = link->linger_deadline - g_get_monotonic_time();

	iot_stream_link_stop_linger(link);
	link->linger =
	    g_timeout_source_new((guint)CLAMP(left / 1000, 0, IOT_STREAM_LINGER_IDLE_MS));
	g_source_set_static_name(link->linger, "iot-stream-link-linger");
	g_source_set_callback(link->linger, iot_stream_link_linger_cb, link, NULL);
	g_source_attach(link->linger, g_main_context_get_thread_default());
}

/*
 * The local peer ended its direction. A peer that announced the extension
 * is told so, and the link lives on until its own end. For any other, a
 * source's client may only have shut its write side to wait for the reply:
 * the reset (the codec's, through closed_func) waits while the far side
 * still sends, so that what it answers reaches the client. A destination's
 * app that ends is done (servers close), and so is an end that comes after
 * the peer's, or an error: they go to the codec at once.
 */
static void
iot_stream_link_closed_cb(IotConnection *connection, const GError *error, gpointer user_data)
{
	IotStreamLink *link = user_data;
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
	IotStreamEntry *entry = iot_stream_link_get_entry(link);

	if (error != NULL || entry == NULL || link->peer_ended || link->local_ended ||
	    link->table->session == NULL ||
	    (!entry->extended &&
	     iot_session_get_mode(link->table->session) != IOT_TUNNEL_MODE_SOURCE)) {
		iot_stream_link_closed(link, error);
		return;
	}
	link->local_ended = TRUE;
	if (entry->extended) {
		iot_tunnel_debug(link->table->tunnel,
				 link->stream_id,
				 link->connection_id,
				 "local peer ended its direction; telling the peer");
		iot_stream_link_send_extension(link, IOT_MESSAGE_TYPE_EXT_SHUTDOWN, NULL);
		return;
	}
	link->linger_deadline = g_get_monotonic_time() + IOT_STREAM_LINGER_MAX_US;
	iot_stream_link_arm_linger(link);
}

/**
 * iot_stream_link_get_service_id:
 * @link: a link
 *
 * Returns: the local service ID of the link's stream
 */
const gchar *
iot_stream_link_get_service_id(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, NULL);
	return link->service_id;
}

/**
 * iot_stream_link_get_stream_id:
 * @link: a link
 *
 * Returns: the stream the link belongs to
 */
gint32
iot_stream_link_get_stream_id(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, 0);
	return link->stream_id;
}

/**
 * iot_stream_link_get_connection_id:
 * @link: a link
 *
 * Returns: the link's connection ID inside its stream, at least 1
 */
guint32
iot_stream_link_get_connection_id(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, 0);
	return link->connection_id;
}

/**
 * iot_stream_link_get_connection:
 * @link: a link
 *
 * Returns: (transfer none) (nullable): the local connection, %NULL while connecting
 */
IotConnection *
iot_stream_link_get_connection(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, NULL);
	return link->connection;
}

/**
 * iot_stream_link_get_cancellable:
 * @link: a link
 *
 * The cancellable to pass to the local connect; the table cancels it when
 * the link ends before it is connected.
 *
 * Returns: (transfer none): a #GCancellable
 */
GCancellable *
iot_stream_link_get_cancellable(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, NULL);
	return link->cancellable;
}

/**
 * iot_stream_link_is_ended:
 * @link: a link
 *
 * Returns: whether the link left its table
 */
gboolean
iot_stream_link_is_ended(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, TRUE);
	return link->ended;
}

/**
 * iot_stream_link_get_pending:
 * @link: a link
 *
 * Returns: bytes written to the link while its connect was pending
 */
gsize
iot_stream_link_get_pending(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, 0);
	return link->pending_size;
}

/**
 * iot_stream_link_write:
 * @link: a link
 * @bytes: bytes for the local peer; a reference is taken, nothing is copied
 *
 * Writes to the local connection, or keeps @bytes, in order, until the
 * pending connect gives one. That wait is not bounded here: once attached,
 * the connection's budget (iot_connection_set_budget()) bounds what waits,
 * and a peer that paces itself sent no more than its window meanwhile.
 * Ignored once the link ended.
 */
void
iot_stream_link_write(IotStreamLink *link, GBytes *bytes)
{
	gsize size;

	g_return_if_fail(link != NULL);
	g_return_if_fail(bytes != NULL);
	if (link->ended)
		return;
	if (link->linger != NULL) {
		g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
		if (link->connection == NULL || iot_connection_is_finished(link->connection)) {
			iot_stream_link_stop_linger(link);
			iot_stream_link_closed(link, NULL);
			return;
		}
		iot_stream_link_arm_linger(link);
	}
	if (link->connection != NULL) {
		g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);
		iot_connection_write(link->connection, bytes);
		/* a local peer that ended its direction may be gone: the write found out */
		if (link->local_ended && iot_connection_is_finished(link->connection))
			iot_stream_link_closed(link, NULL);
		return;
	}
	size = g_bytes_get_size(bytes);
	if (size == 0)
		return;
	if (link->pending_size <= IOT_CONNECTION_HIGH_WATER &&
	    link->pending_size + size > IOT_CONNECTION_HIGH_WATER)
		iot_tunnel_debug(link->table != NULL ? link->table->tunnel : NULL,
				 link->stream_id,
				 link->connection_id,
				 "%" G_GSIZE_FORMAT " bytes wait for the local connect",
				 link->pending_size + size);
	g_queue_push_tail(&link->pending, g_bytes_ref(bytes));
	link->pending_size += size;
}

/* hands the bytes that waited for the connect to @connection, in order */
static void
iot_stream_link_flush_pending(IotStreamLink *link, IotConnection *connection)
{
	GBytes *bytes;
	while ((bytes = g_queue_pop_head(&link->pending)) != NULL) {
		iot_connection_write(connection, bytes);
		g_bytes_unref(bytes);
	}
	link->pending_size = 0;
}

/**
 * iot_stream_link_attach:
 * @link: a link whose local connect finished
 * @connection: (transfer none) (nullable): the new local connection, not yet
 *   started, or %NULL when the connect failed
 *
 * Gives @link its connection: writes what waited, then starts reading, with
 * ::data and ::closed going to the table's functions. When the link ended
 * meanwhile, @connection is not started: a link ended by a close gets what
 * waited written and then closed, any other is aborted.
 *
 * Returns: %TRUE when the link is live (the codec then reacts to a failed
 *   connect), %FALSE when it ended and there is nothing left to do
 */
gboolean
iot_stream_link_attach(IotStreamLink *link, IotConnection *connection)
{
	g_return_val_if_fail(link != NULL, FALSE);
	g_return_val_if_fail(connection == NULL || IOT_IS_CONNECTION(connection), FALSE);
	g_return_val_if_fail(link->connection == NULL, FALSE);

	if (link->ended) {
		IotStreamTable *table = link->table;
		link->table = NULL;
		if (table != NULL && g_ptr_array_find(table->draining, link, NULL)) {
			/* the array's reference goes; the caller holds another */
			if (connection != NULL) {
				iot_stream_link_flush_pending(link, connection);
				iot_stream_table_end_connection(table, connection, link->end_how);
			}
			g_ptr_array_remove(table->draining, link);
			return FALSE;
		}
		if (connection != NULL)
			iot_connection_abort(connection);
		return FALSE;
	}
	if (connection == NULL)
		return TRUE;
	link->connection = g_object_ref(connection);
	iot_connection_set_identity(connection,
				    link->table != NULL ? link->table->tunnel : NULL,
				    link->stream_id,
				    link->connection_id);
	link->data_id =
	    g_signal_connect(connection, "data", G_CALLBACK(iot_stream_link_data_cb), link);
	link->closed_id =
	    g_signal_connect(connection, "closed", G_CALLBACK(iot_stream_link_closed_cb), link);
	link->written_id =
	    g_signal_connect(connection, "written", G_CALLBACK(iot_stream_link_written_cb), link);
	if (iot_stream_link_get_entry(link) != NULL && iot_stream_link_get_entry(link)->extended)
		iot_connection_set_paced(connection, TRUE);
	iot_stream_link_flush_pending(link, connection);
	if (link->peer_ended)
		iot_connection_shutdown_write(connection);
	iot_connection_start(connection);
	return TRUE;
}

/**
 * iot_stream_link_get_user_data:
 * @link: a link
 *
 * Returns: (nullable): the user data of the link's table, %NULL once the
 *   link ended
 */
gpointer
iot_stream_link_get_user_data(IotStreamLink *link)
{
	g_return_val_if_fail(link != NULL, NULL);
	if (link->ended || link->table == NULL)
		return NULL;
	return link->table->user_data;
}

/**
 * iot_stream_table_new:
 * @data_func: (scope forever): called for each chunk a link's connection reads
 * @closed_func: (scope forever): called when a link's local peer ends
 * @user_data: data for both functions
 *
 * Returns: (transfer full): an empty table
 */
IotStreamTable *
iot_stream_table_new(IotStreamLinkDataFunc data_func,
		     IotStreamLinkClosedFunc closed_func,
		     gpointer user_data)
{
	IotStreamTable *self;

	g_return_val_if_fail(data_func != NULL, NULL);
	g_return_val_if_fail(closed_func != NULL, NULL);

	self = g_object_new(IOT_TYPE_STREAM_TABLE, NULL);
	self->data_func = data_func;
	self->closed_func = closed_func;
	self->user_data = user_data;
	return self;
}

/**
 * iot_stream_table_take_stream_id:
 * @self: a table
 * @service_id: (nullable): the local service the stream serves, or %NULL
 *   where stream IDs must be unique across services (V1)
 *
 * Stream IDs start at 1 and count up for the table's whole life, one count
 * per service as the reference keeps them, so that none is reused within a
 * tunnel's life. The count for %NULL stays above every ID returned.
 *
 * Returns: a stream ID never returned before for @service_id (for %NULL,
 *   never returned before at all), at least 1
 */
gint32
iot_stream_table_take_stream_id(IotStreamTable *self, const gchar *service_id)
{
	gint32 stream_id;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	if (service_id == NULL) {
		stream_id = self->next_stream_id;
		self->next_stream_id = stream_id == G_MAXINT32 ? 1 : stream_id + 1;
		return stream_id;
	}
	stream_id = GPOINTER_TO_INT(g_hash_table_lookup(self->next_stream_ids, service_id));
	if (stream_id == 0)
		stream_id = 1;
	g_hash_table_insert(self->next_stream_ids,
			    g_strdup(service_id),
			    GINT_TO_POINTER(stream_id == G_MAXINT32 ? 1 : stream_id + 1));
	/* a stream that names no service, taken later, reuses none of these */
	if (stream_id < G_MAXINT32 && stream_id >= self->next_stream_id)
		self->next_stream_id = stream_id + 1;
	return stream_id;
}

/**
 * iot_stream_table_set_service_ids:
 * @self: a table
 * @service_ids: (array zero-terminated=1): the tunnel's configured service
 *   IDs; "" alone for a single unnamed mapping
 */
void
iot_stream_table_set_service_ids(IotStreamTable *self, const gchar *const *service_ids)
{
	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(service_ids != NULL);
	g_strfreev(self->service_ids);
	self->service_ids = g_strdupv((gchar **)service_ids);
}

/**
 * iot_stream_table_set_announced_service_ids:
 * @self: a table
 * @service_ids: (array zero-terminated=1) (nullable): what the service
 *   announced in SERVICE_IDS, or %NULL to forget it
 */
void
iot_stream_table_set_announced_service_ids(IotStreamTable *self, const gchar *const *service_ids)
{
	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_strfreev(self->announced_service_ids);
	self->announced_service_ids = g_strdupv((gchar **)service_ids);
}

/**
 * iot_stream_table_get_announced:
 * @self: a table
 *
 * Returns: whether the service announced its service IDs
 */
gboolean
iot_stream_table_get_announced(IotStreamTable *self)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	return self->announced_service_ids != NULL;
}

/**
 * iot_stream_table_to_local_service_id:
 * @self: a table
 * @wire_service_id: (nullable): the serviceId of a message, %NULL or "" for none
 *
 * Finds the configured service a message's serviceId means: the one of that
 * name; for no name, the only configured service; for any name, a single
 * unnamed mapping, unless the service announced several services: the
 * mapping cannot tell which one it is, and serves only streams that name
 * none.
 *
 * Returns: (nullable): the configured service ID, or %NULL for none
 */
const gchar *
iot_stream_table_to_local_service_id(IotStreamTable *self, const gchar *wire_service_id)
{
	const gchar *wire = wire_service_id != NULL ? wire_service_id : "";

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	if (self->service_ids == NULL)
		return NULL;
	for (guint i = 0; self->service_ids[i] != NULL; i++) {
		if (g_strcmp0(self->service_ids[i], wire) == 0)
			return self->service_ids[i];
	}
	if (g_strv_length(self->service_ids) != 1)
		return NULL;
	if (wire[0] == '\0')
		return self->service_ids[0];
	if (self->service_ids[0][0] == '\0' && (self->announced_service_ids == NULL ||
						g_strv_length(self->announced_service_ids) <= 1))
		return self->service_ids[0];
	return NULL;
}

/**
 * iot_stream_table_to_wire_service_id:
 * @self: a table
 * @service_id: a configured service ID
 *
 * Names a local service on the wire: by its own name, or, for the unnamed
 * mapping, by the one service the tunnel announced.
 *
 * Returns: the serviceId to send, "" for none
 */
const gchar *
iot_stream_table_to_wire_service_id(IotStreamTable *self, const gchar *service_id)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	g_return_val_if_fail(service_id != NULL, NULL);
	if (service_id[0] != '\0')
		return service_id;
	if (self->announced_service_ids != NULL && g_strv_length(self->announced_service_ids) == 1)
		return self->announced_service_ids[0];
	return "";
}

static IotStreamEntry *
iot_stream_table_lookup_entry(IotStreamTable *self, const gchar *service_id)
{
	if (service_id == NULL)
		return NULL;
	return g_hash_table_lookup(self->streams, service_id);
}

/* ends every link of @entry, which has already left the table */
static void
iot_stream_entry_end(IotStreamEntry *entry, IotStreamEnd how)
{
	g_autoptr(GList) links = g_hash_table_get_values(entry->links);
	g_hash_table_steal_all(entry->links);
	for (GList *l = links; l != NULL; l = l->next) {
		g_autoptr(IotStreamLink) link = l->data;
		iot_stream_link_end(link, how);
	}
}

/**
 * iot_stream_table_open_stream:
 * @self: a table
 * @service_id: the local service
 * @stream_id: the stream's ID
 * @wire_service_id: (nullable): the serviceId the stream's messages carry
 * @with_connection_ids: whether its messages carry connection IDs
 *
 * Makes @stream_id the active stream of @service_id, with no link yet. A
 * stream the service had is ended first, its connections aborted.
 */
void
iot_stream_table_open_stream(IotStreamTable *self,
			     const gchar *service_id,
			     gint32 stream_id,
			     const gchar *wire_service_id,
			     gboolean with_connection_ids)
{
	IotStreamEntry *entry;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(service_id != NULL);

	iot_stream_table_end_stream(self, service_id, IOT_STREAM_END_ABORT);
	entry = g_new0(IotStreamEntry, 1);
	entry->service_id = g_strdup(service_id);
	entry->wire_service_id = g_strdup(wire_service_id != NULL ? wire_service_id : "");
	entry->stream_id = stream_id;
	entry->with_connection_ids = with_connection_ids;
	entry->next_connection_id = 1;
	entry->links = g_hash_table_new_full(g_direct_hash,
					     g_direct_equal,
					     NULL,
					     (GDestroyNotify)iot_stream_link_unref);
	g_hash_table_insert(self->streams, entry->service_id, entry);
}

/**
 * iot_stream_table_get_stream_id:
 * @self: a table
 * @service_id: (nullable): a local service
 *
 * Returns: the active stream of @service_id, 0 for none
 */
gint32
iot_stream_table_get_stream_id(IotStreamTable *self, const gchar *service_id)
{
	IotStreamEntry *entry;
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	entry = iot_stream_table_lookup_entry(self, service_id);
	return entry != NULL ? entry->stream_id : 0;
}

/**
 * iot_stream_table_get_wire_service_id:
 * @self: a table
 * @service_id: a local service with an active stream
 *
 * Returns: (nullable): the serviceId its stream's messages carry ("" for
 *   none), %NULL when it has no stream
 */
const gchar *
iot_stream_table_get_wire_service_id(IotStreamTable *self, const gchar *service_id)
{
	IotStreamEntry *entry;
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	entry = iot_stream_table_lookup_entry(self, service_id);
	return entry != NULL ? entry->wire_service_id : NULL;
}

/**
 * iot_stream_table_get_with_connection_ids:
 * @self: a table
 * @service_id: a local service with an active stream
 *
 * Returns: whether its stream's messages carry connection IDs
 */
gboolean
iot_stream_table_get_with_connection_ids(IotStreamTable *self, const gchar *service_id)
{
	IotStreamEntry *entry;
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	entry = iot_stream_table_lookup_entry(self, service_id);
	return entry != NULL && entry->with_connection_ids;
}

/**
 * iot_stream_table_dup_stream_service_ids:
 * @self: a table
 *
 * Returns: (transfer full): the local services that have an active stream
 */
GStrv
iot_stream_table_dup_stream_service_ids(IotStreamTable *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	GHashTableIter iter;
	gpointer key;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	g_hash_table_iter_init(&iter, self->streams);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_strv_builder_add(builder, key);
	return g_strv_builder_end(builder);
}

/**
 * iot_stream_table_dup_links:
 * @self: a table
 * @service_id: (nullable): a local service
 *
 * Returns: (transfer container) (element-type IotStreamLink): the live links
 *   of the service's stream, each with a reference the array drops; empty
 *   without a stream
 */
GPtrArray *
iot_stream_table_dup_links(IotStreamTable *self, const gchar *service_id)
{
	GPtrArray *links = g_ptr_array_new_with_free_func((GDestroyNotify)iot_stream_link_unref);
	IotStreamEntry *entry;
	GHashTableIter iter;
	gpointer value;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), links);
	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL)
		return links;
	g_hash_table_iter_init(&iter, entry->links);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(links, iot_stream_link_ref(value));
	return links;
}

/**
 * iot_stream_table_take_connection_id:
 * @self: a table
 * @service_id: a local service with an active stream
 *
 * Returns: the next connection ID of the stream (1, 2, ...), one no live
 *   link uses; 0 when the service has no stream
 */
guint32
iot_stream_table_take_connection_id(IotStreamTable *self, const gchar *service_id)
{
	IotStreamEntry *entry;
	guint32 connection_id;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL)
		return 0;
	do {
		connection_id = entry->next_connection_id;
		entry->next_connection_id = connection_id == G_MAXUINT32 ? 1 : connection_id + 1;
	} while (g_hash_table_contains(entry->links, GUINT_TO_POINTER(connection_id)));
	return connection_id;
}

/**
 * iot_stream_table_get_n_streams:
 * @self: a table
 *
 * Returns: how many services have an active stream
 */
guint
iot_stream_table_get_n_streams(IotStreamTable *self)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	return g_hash_table_size(self->streams);
}

/**
 * iot_stream_table_get_n_links:
 * @self: a table
 * @service_id: (nullable): a local service
 *
 * Returns: how many live links the service's stream has, 0 without a stream
 */
guint
iot_stream_table_get_n_links(IotStreamTable *self, const gchar *service_id)
{
	IotStreamEntry *entry;
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	entry = iot_stream_table_lookup_entry(self, service_id);
	return entry != NULL ? g_hash_table_size(entry->links) : 0;
}

/**
 * iot_stream_table_end_stream:
 * @self: a table
 * @service_id: (nullable): a local service
 * @how: how its connections end
 *
 * Forgets the service's stream and ends each of its links. Does nothing
 * when the service has no stream.
 */
void
iot_stream_table_end_stream(IotStreamTable *self, const gchar *service_id, IotStreamEnd how)
{
	IotStreamEntry *entry;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL)
		return;
	g_hash_table_steal(self->streams, entry->service_id);
	iot_stream_entry_end(entry, how);
	iot_stream_entry_free(entry);
}

/**
 * iot_stream_table_end_all:
 * @self: a table
 * @how: how the connections end
 *
 * Forgets every stream and ends every local connection the table knows:
 * the links, the held connections and, for %IOT_STREAM_END_ABORT, those
 * still flushing before a close or waiting for their connect to deliver.
 */
void
iot_stream_table_end_all(IotStreamTable *self, IotStreamEnd how)
{
	g_autoptr(GList) entries = NULL;
	IotStreamHeld *held;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));

	entries = g_hash_table_get_values(self->streams);
	g_hash_table_steal_all(self->streams);
	for (GList *l = entries; l != NULL; l = l->next) {
		IotStreamEntry *entry = l->data;
		iot_stream_entry_end(entry, how);
		iot_stream_entry_free(entry);
	}
	while ((held = g_queue_pop_head(&self->held)) != NULL) {
		iot_stream_table_end_connection(self, held->connection, how);
		iot_stream_held_free(held);
	}
	if (how != IOT_STREAM_END_ABORT)
		return;
	for (guint i = 0; i < self->draining->len; i++) {
		IotStreamLink *link = g_ptr_array_index(self->draining, i);
		link->table = NULL;
		link->end_how = IOT_STREAM_END_ABORT;
		g_cancellable_cancel(link->cancellable);
		g_queue_clear_full(&link->pending, (GDestroyNotify)g_bytes_unref);
		link->pending_size = 0;
	}
	g_ptr_array_set_size(self->draining, 0);
	while (self->closing->len > 0) {
		IotConnection *connection =
		    g_ptr_array_steal_index_fast(self->closing, self->closing->len - 1);
		g_object_weak_unref(G_OBJECT(connection), iot_stream_table_closing_gone_cb, self);
		iot_connection_abort(connection);
	}
}

/**
 * iot_stream_table_add_link:
 * @self: a table
 * @service_id: a local service with an active stream
 * @connection_id: the connection's ID inside the stream, at least 1
 *
 * Adds a link with no connection yet; give it one with
 * iot_stream_link_attach(). A link with the same ID is aborted first.
 *
 * Returns: (transfer none) (nullable): the link, owned by the table until
 *   it ends; %NULL when the service has no stream
 */
IotStreamLink *
iot_stream_table_add_link(IotStreamTable *self, const gchar *service_id, guint32 connection_id)
{
	IotStreamEntry *entry;
	IotStreamLink *link;
	IotStreamLink *old;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	g_return_val_if_fail(connection_id > 0, NULL);

	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL)
		return NULL;
	old = g_hash_table_lookup(entry->links, GUINT_TO_POINTER(connection_id));
	if (old != NULL)
		iot_stream_table_end_link(self, old, IOT_STREAM_END_ABORT);

	link = g_new0(IotStreamLink, 1);
	link->refcount = 1;
	link->table = self;
	link->service_id = g_strdup(entry->service_id);
	link->stream_id = entry->stream_id;
	link->connection_id = connection_id;
	link->cancellable = g_cancellable_new();
	g_queue_init(&link->pending);
	g_hash_table_insert(entry->links, GUINT_TO_POINTER(connection_id), link);
	return link;
}

/**
 * iot_stream_table_lookup_link:
 * @self: a table
 * @service_id: (nullable): a local service
 * @connection_id: a connection ID
 *
 * Returns: (transfer none) (nullable): the live link, or %NULL
 */
IotStreamLink *
iot_stream_table_lookup_link(IotStreamTable *self, const gchar *service_id, guint32 connection_id)
{
	IotStreamEntry *entry;
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), NULL);
	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL)
		return NULL;
	return g_hash_table_lookup(entry->links, GUINT_TO_POINTER(connection_id));
}

/**
 * iot_stream_table_end_link:
 * @self: a table
 * @link: a link of @self
 * @how: how its connection ends
 *
 * Removes @link from its stream, which stays. Does nothing when @link
 * already ended.
 */
void
iot_stream_table_end_link(IotStreamTable *self, IotStreamLink *link, IotStreamEnd how)
{
	IotStreamEntry *entry;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(link != NULL);
	if (link->ended)
		return;
	entry = iot_stream_table_lookup_entry(self, link->service_id);
	if (entry != NULL &&
	    g_hash_table_lookup(entry->links, GUINT_TO_POINTER(link->connection_id)) == link) {
		g_autoptr(IotStreamLink) owned = link;
		g_hash_table_steal(entry->links, GUINT_TO_POINTER(link->connection_id));
		iot_stream_link_end(owned, how);
		return;
	}
	iot_stream_link_end(link, how);
}

/* the bytes the peer sent for @link: given to its connection, or waiting for it */
static guint64
iot_stream_link_get_received(IotStreamLink *link)
{
	IotConnection *connection = link->connection;

	if (connection == NULL)
		return link->pending_size;
	return iot_connection_get_bytes_written(connection) +
	       iot_connection_get_write_queued(connection) + link->pending_size;
}

/* nothing passed either way yet: the connection can start again elsewhere, as new */
static gboolean
iot_stream_link_is_untouched(IotStreamLink *link)
{
	IotConnection *connection = link->connection;

	return connection != NULL && !iot_connection_is_finished(connection) &&
	       iot_connection_get_bytes_read(connection) == 0 &&
	       iot_connection_get_bytes_written(connection) == 0 &&
	       iot_connection_get_write_queued(connection) == 0 && link->pending_size == 0;
}

/*
 * Offers the connection of @link, which the peer reset before a byte
 * passed, back to the session; when it takes it, the link leaves the table
 * and lets go of the connection without closing it.
 */
static gboolean
iot_stream_table_give_back(IotStreamTable *self, IotStreamLink *link)
{
	IotStreamEntry *entry;
	g_autoptr(IotStreamLink) owned = NULL;

	if (self->session == NULL || !iot_stream_link_is_untouched(link) ||
	    !iot_session_take_back(self->session, link->service_id, link->connection))
		return FALSE;
	entry = iot_stream_table_lookup_entry(self, link->service_id);
	if (entry != NULL &&
	    g_hash_table_lookup(entry->links, GUINT_TO_POINTER(link->connection_id)) == link) {
		owned = link;
		g_hash_table_steal(entry->links, GUINT_TO_POINTER(link->connection_id));
	}
	link->ended = TRUE;
	link->end_how = IOT_STREAM_END_CLOSE;
	iot_stream_link_stop_linger(link);
	g_clear_signal_handler(&link->data_id, link->connection);
	g_clear_signal_handler(&link->closed_id, link->connection);
	g_clear_signal_handler(&link->written_id, link->connection);
	g_clear_object(&link->connection);
	link->table = NULL;
	return TRUE;
}

/**
 * iot_stream_table_reset_link:
 * @self: a table
 * @link: a link of @self that the peer reset
 *
 * Ends @link as iot_stream_table_end_link() with %IOT_STREAM_END_CLOSE
 * does, except that a connection of which not a byte passed either way is
 * first offered back to the session (iot_session_take_back()): the peer
 * may have reset it only because the other side is not there yet.
 */
void
iot_stream_table_reset_link(IotStreamTable *self, IotStreamLink *link)
{
	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(link != NULL);
	if (link->ended || iot_stream_table_give_back(self, link))
		return;
	iot_stream_table_end_link(self, link, IOT_STREAM_END_CLOSE);
}

/**
 * iot_stream_table_hold:
 * @self: a table
 * @service_id: the service whose listener accepted @connection
 * @connection: (transfer none): a local connection, not started
 *
 * Keeps @connection, in order, until iot_stream_table_release_held().
 */
void
iot_stream_table_hold(IotStreamTable *self, const gchar *service_id, IotConnection *connection)
{
	IotStreamHeld *held;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(service_id != NULL);
	g_return_if_fail(IOT_IS_CONNECTION(connection));

	held = g_new0(IotStreamHeld, 1);
	held->service_id = g_strdup(service_id);
	held->connection = g_object_ref(connection);
	g_queue_push_tail(&self->held, held);
}

/**
 * iot_stream_table_get_n_held:
 * @self: a table
 *
 * Returns: how many connections are held
 */
guint
iot_stream_table_get_n_held(IotStreamTable *self)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), 0);
	return g_queue_get_length(&self->held);
}

/**
 * iot_stream_table_release_held:
 * @self: a table
 * @func: (scope call): called for each held connection, in the order held
 * @user_data: data for @func
 *
 * Lets go of every held connection, handing each to @func.
 */
void
iot_stream_table_release_held(IotStreamTable *self, IotStreamHeldFunc func, gpointer user_data)
{
	GQueue held;
	IotStreamHeld *item;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(func != NULL);

	held = self->held;
	g_queue_init(&self->held);
	while ((item = g_queue_pop_head(&held)) != NULL) {
		func(item->service_id, item->connection, user_data);
		iot_stream_held_free(item);
	}
}

/**
 * iot_stream_table_start_session:
 * @self: a table
 * @session: the session a codec starts
 *
 * Readies the table for @session: nothing announced yet, no message format
 * seen, and the session's configured services, when it has them, as the
 * local services.
 */
void
iot_stream_table_start_session(IotStreamTable *self, IotSession *session)
{
	const gchar *const *service_ids;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	g_return_if_fail(IOT_IS_SESSION(session));

	service_ids = iot_session_get_service_ids(session);
	g_free(self->tunnel);
	self->tunnel = g_strdup(iot_session_get_name(session));
	g_set_object(&self->session, session);
	self->format = IOT_STREAM_FORMAT_UNSET;
	iot_stream_table_set_announced_service_ids(self, NULL);
	if (service_ids != NULL)
		iot_stream_table_set_service_ids(self, service_ids);
}

/**
 * iot_stream_table_stop_session:
 * @self: a table
 *
 * Ends every stream and held connection as cut (%IOT_STREAM_END_CUT: each
 * app gets what it was sent, then a reset; connections already ending
 * cleanly finish doing so) and forgets the announced services and the
 * message format, as a codec does when its session stops.
 */
void
iot_stream_table_stop_session(IotStreamTable *self)
{
	g_return_if_fail(IOT_IS_STREAM_TABLE(self));
	iot_stream_table_end_all(self, IOT_STREAM_END_CUT);
	iot_stream_table_set_announced_service_ids(self, NULL);
	self->format = IOT_STREAM_FORMAT_UNSET;
	g_clear_object(&self->session);
}

/**
 * iot_stream_table_check_format:
 * @self: a table
 * @msg: a stream message sent or received
 * @error: (nullable): return location for a %IOT_CODEC_ERROR_PROTOCOL error
 *
 * A session either names the service in all its stream messages or in
 * none: the session's first message sets which, and the others must keep
 * to it.
 *
 * Returns: %FALSE when @msg breaks the session's format
 */
gboolean
iot_stream_table_check_format(IotStreamTable *self, const IotMessage *msg, GError **error)
{
	gboolean with_service_id;
	IotStreamFormat format;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	with_service_id = iot_message_has_service_id(msg);
	format = with_service_id ? IOT_STREAM_FORMAT_WITH_SERVICE_ID
				 : IOT_STREAM_FORMAT_WITHOUT_SERVICE_ID;
	if (self->format == IOT_STREAM_FORMAT_UNSET)
		self->format = format;
	if (self->format == format)
		return TRUE;
	g_set_error(error,
		    IOT_CODEC_ERROR,
		    IOT_CODEC_ERROR_PROTOCOL,
		    "%s %s a serviceId in a session whose messages %s",
		    iot_message_type_to_string(msg->type),
		    with_service_id ? "with" : "without",
		    with_service_id ? "have none" : "have one");
	return FALSE;
}

/**
 * iot_stream_table_get_names_services:
 * @self: a table
 *
 * Returns: whether the session's stream messages name their service, as its
 *   first stream message, sent or received, did; %FALSE before that
 */
gboolean
iot_stream_table_get_names_services(IotStreamTable *self)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	return self->format == IOT_STREAM_FORMAT_WITH_SERVICE_ID;
}

/* announces the extension for a stream, with the window of our connections */
static void
iot_stream_table_send_hello(IotSession *session, gint32 stream_id, const gchar *service_id)
{
	gsize budget = iot_session_get_connection_budget(session);
	guint32 window = (guint32)MIN(budget, G_MAXUINT32);
	guint8 payload[IOT_MESSAGE_EXT_HELLO_SIZE];
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(IotMessage) msg = NULL;

	if (budget == 0)
		return;

	for (guint i = 0; i < IOT_MESSAGE_EXT_HELLO_SIZE; i++)
		payload[i] = (guint8)(window >> (8 * (IOT_MESSAGE_EXT_HELLO_SIZE - 1 - i)));
	bytes = g_bytes_new(payload, sizeof(payload));
	msg = iot_message_new_full(IOT_MESSAGE_TYPE_EXT_HELLO, stream_id, service_id, 0, bytes);
	msg->ignorable = TRUE;
	iot_session_send(session, msg);
}

/* the big-endian number that fills @payload, which must be @size bytes */
static gboolean
iot_stream_table_read_number(GBytes *payload, gsize size, guint64 *value)
{
	const guint8 *data;
	gsize length = 0;

	if (payload == NULL)
		return FALSE;
	data = g_bytes_get_data(payload, &length);
	if (length != size)
		return FALSE;
	*value = 0;
	for (gsize i = 0; i < size; i++)
		*value = (*value << 8) | data[i];
	return TRUE;
}

/* the peer announced the extension for @entry's stream: answer, and pace every link */
static void
iot_stream_table_receive_hello(IotStreamTable *self, IotStreamEntry *entry, guint64 window)
{
	GHashTableIter iter;
	gpointer value;
	gboolean first = !entry->extended;

	entry->extended = TRUE;
	entry->peer_window = (guint32)MAX(window, IOT_STREAM_MIN_WINDOW);
	if (first && iot_session_get_mode(self->session) == IOT_TUNNEL_MODE_DESTINATION)
		iot_stream_table_send_hello(self->session,
					    entry->stream_id,
					    entry->wire_service_id);
	iot_tunnel_debug(self->tunnel,
			 entry->stream_id,
			 0,
			 "the peer paces itself, holding %u bytes a connection",
			 entry->peer_window);
	g_hash_table_iter_init(&iter, entry->links);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		IotStreamLink *link = value;
		if (link->connection != NULL)
			iot_connection_set_paced(link->connection, TRUE);
		iot_stream_link_update_window(link);
		/* an end of stream met before the announcement: the peer can be told now */
		if (link->linger != NULL) {
			iot_stream_link_stop_linger(link);
			iot_stream_link_send_extension(link, IOT_MESSAGE_TYPE_EXT_SHUTDOWN, NULL);
		}
	}
}

/* the peer's local peer ended its direction: ours reads an end of stream once all is written */
static void
iot_stream_table_receive_shutdown(IotStreamTable *self, IotStreamLink *link)
{
	g_autoptr(IotStreamLink) hold = iot_stream_link_ref(link);

	link->peer_ended = TRUE;
	iot_tunnel_debug(self->tunnel,
			 link->stream_id,
			 link->connection_id,
			 "the peer's local peer ended its direction");
	if (link->connection != NULL)
		iot_connection_shutdown_write(link->connection);
	if (link->local_ended)
		iot_stream_link_closed(link, NULL);
}

/**
 * iot_stream_table_receive_extension:
 * @self: a table
 * @service_id: (nullable): the local service @msg is for
 * @msg: a message the codec received
 *
 * Handles iotunnel's own ignorable messages between two iotunneld (the EXT
 * types of #IotMessageType): the peer's announcement, its window updates
 * and its half-closes. Ones for a stream or connection that is gone are
 * dropped.
 *
 * Returns: %TRUE when @msg was one of these and is done with
 */
gboolean
iot_stream_table_receive_extension(IotStreamTable *self,
				   const gchar *service_id,
				   const IotMessage *msg)
{
	IotStreamEntry *entry;
	IotStreamLink *link;
	guint64 value = 0;

	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	if (!msg->ignorable ||
	    (msg->type != IOT_MESSAGE_TYPE_EXT_HELLO && msg->type != IOT_MESSAGE_TYPE_EXT_WINDOW &&
	     msg->type != IOT_MESSAGE_TYPE_EXT_SHUTDOWN))
		return FALSE;
	entry = iot_stream_table_lookup_entry(self, service_id);
	if (entry == NULL || msg->stream_id == 0 || msg->stream_id != entry->stream_id ||
	    self->session == NULL) {
		iot_tunnel_debug(self->tunnel, msg->stream_id, 0, "dropping a stale extension");
		return TRUE;
	}
	if (msg->type == IOT_MESSAGE_TYPE_EXT_HELLO) {
		if (iot_stream_table_read_number(msg->payload, IOT_MESSAGE_EXT_HELLO_SIZE, &value))
			iot_stream_table_receive_hello(self, entry, value);
		return TRUE;
	}
	link =
	    g_hash_table_lookup(entry->links,
				GUINT_TO_POINTER(msg->connection_id != 0 ? msg->connection_id : 1));
	if (link == NULL || !entry->extended)
		return TRUE;
	if (msg->type == IOT_MESSAGE_TYPE_EXT_SHUTDOWN) {
		iot_stream_table_receive_shutdown(self, link);
		return TRUE;
	}
	if (iot_stream_table_read_number(msg->payload, IOT_MESSAGE_EXT_WINDOW_SIZE, &value) &&
	    value > link->peer_taken) {
		link->peer_taken = MIN(value, link->sent);
		iot_stream_link_update_window(link);
	}
	return TRUE;
}

/**
 * iot_stream_table_send:
 * @self: a table
 * @session: (nullable): the codec's session, %NULL once stopped
 * @type: the message type
 * @stream_id: the stream ID
 * @service_id: (nullable): the serviceId the message carries
 * @connection_id: the connectionId the message carries, or 0 for none
 * @payload: (nullable): a DATA message's bytes
 *
 * Sends a message on @session, which sets the session's format (see
 * iot_stream_table_check_format()) when it is the first. Does nothing
 * without a session.
 */
void
iot_stream_table_send(IotStreamTable *self,
		      IotSession *session,
		      IotMessageType type,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id,
		      GBytes *payload)
{
	g_autoptr(IotMessage) msg = NULL;
	g_autoptr(IotSession) hold = NULL;

	g_return_if_fail(IOT_IS_STREAM_TABLE(self));

	if (session == NULL)
		return;
	/* sending may end the session, and with it the codec's reference */
	hold = g_object_ref(session);
	msg = iot_message_new_full(type, stream_id, service_id, connection_id, payload);
	iot_stream_table_check_format(self, msg, NULL);
	iot_session_send(hold, msg);
	if (type == IOT_MESSAGE_TYPE_STREAM_START)
		iot_stream_table_send_hello(hold, stream_id, service_id);
}

/**
 * iot_stream_table_receive_session_message:
 * @self: a table
 * @session: the codec's session
 * @msg: a message the codec received
 * @func: (scope call): called for each connection held until SERVICE_IDS
 * @user_data: data for @func
 *
 * Handles the messages every protocol version treats alike: SERVICE_IDS
 * records the announced services, hands them to @session (failing it when
 * they do not fit the configuration) and releases the held connections to
 * @func; SESSION_RESET closes every stream. Whether a version accepts
 * SERVICE_IDS at all is the codec's rule, checked before.
 *
 * Returns: %TRUE when @msg was one of these and is done with, %FALSE when
 * it is the codec's to handle
 */
gboolean
iot_stream_table_receive_session_message(IotStreamTable *self,
					 IotSession *session,
					 const IotMessage *msg,
					 IotStreamHeldFunc func,
					 gpointer user_data)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	g_return_val_if_fail(IOT_IS_SESSION(session), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	if (msg->type == IOT_MESSAGE_TYPE_SERVICE_IDS) {
		const gchar *const none[] = {NULL};
		const gchar *const *service_ids =
		    msg->available_service_ids != NULL
			? (const gchar *const *)msg->available_service_ids
			: none;
		g_autoptr(GError) error_local = NULL;

		iot_stream_table_set_announced_service_ids(self, service_ids);
		if (!iot_session_service_ids_received(session, service_ids, &error_local)) {
			g_autoptr(IotSession) hold = g_object_ref(session);
			iot_session_fail(hold, error_local);
			return TRUE;
		}
		iot_stream_table_set_service_ids(self, iot_session_get_service_ids(session));
		iot_stream_table_release_held(self, func, user_data);
		return TRUE;
	}
	if (msg->type == IOT_MESSAGE_TYPE_SESSION_RESET) {
		iot_tunnel_log_rate_limited(G_LOG_LEVEL_INFO,
					    self->tunnel,
					    0,
					    0,
					    "session reset by the service");
		iot_stream_table_end_all(self, IOT_STREAM_END_CUT);
		return TRUE;
	}
	return FALSE;
}

/**
 * iot_stream_table_receive_stream_end:
 * @self: a table
 * @service_id: (nullable): the local service @msg is for
 * @msg: a DATA, STREAM_RESET or CONNECTION_RESET message
 *
 * Handles what every version does with a message for a stream that is not
 * @service_id's active one (it is dropped) and with STREAM_RESET (the
 * stream ends; see iot_stream_table_reset_link() for connections of which
 * nothing passed yet). Without connection IDs STREAM_RESET is the normal
 * end of the stream's one connection, which closes cleanly; with them the
 * normal end is CONNECTION_RESET, and STREAM_RESET means the far side went
 * away: its connections are cut (%IOT_STREAM_END_CUT).
 *
 * Returns: %TRUE when @msg is done with, %FALSE when it is for a live
 * stream and the codec's to handle
 */
gboolean
iot_stream_table_receive_stream_end(IotStreamTable *self,
				    const gchar *service_id,
				    const IotMessage *msg)
{
	g_return_val_if_fail(IOT_IS_STREAM_TABLE(self), FALSE);
	g_return_val_if_fail(msg != NULL, FALSE);

	if (msg->stream_id == 0 ||
	    msg->stream_id != iot_stream_table_get_stream_id(self, service_id)) {
		if (iot_tunnel_debug_enabled()) {
			g_autofree gchar *text = iot_message_to_string(msg);
			iot_tunnel_debug(self->tunnel, 0, 0, "dropping stale %s", text);
		}
		return TRUE;
	}
	if (msg->type == IOT_MESSAGE_TYPE_STREAM_RESET) {
		g_autoptr(GPtrArray) links = iot_stream_table_dup_links(self, service_id);
		IotStreamEntry *entry = iot_stream_table_lookup_entry(self, service_id);
		/* with connection IDs a normal end is CONNECTION_RESET: this one cuts */
		IotStreamEnd how = entry != NULL && entry->with_connection_ids
				       ? IOT_STREAM_END_CUT
				       : IOT_STREAM_END_CLOSE;
		iot_tunnel_info(self->tunnel, msg->stream_id, 0, "reset by the peer");
		for (guint i = 0; i < links->len; i++) {
			IotStreamLink *link = g_ptr_array_index(links, i);
			if (iot_stream_table_give_back(self, link))
				continue;
			iot_tunnel_info(
			    self->tunnel,
			    msg->stream_id,
			    link->connection_id,
			    how == IOT_STREAM_END_CUT
				? "cut after the %" G_GUINT64_FORMAT " bytes the peer sent"
				: "closing after the %" G_GUINT64_FORMAT " bytes the peer sent",
			    iot_stream_link_get_received(link));
		}
		iot_stream_table_end_stream(self, service_id, how);
		return TRUE;
	}
	return FALSE;
}

static void
iot_stream_table_dispose(GObject *object)
{
	IotStreamTable *self = IOT_STREAM_TABLE(object);
	g_clear_object(&self->session);
	iot_stream_table_end_all(self, IOT_STREAM_END_ABORT);
	G_OBJECT_CLASS(iot_stream_table_parent_class)->dispose(object);
}

static void
iot_stream_table_finalize(GObject *object)
{
	IotStreamTable *self = IOT_STREAM_TABLE(object);
	g_hash_table_unref(self->streams);
	g_hash_table_unref(self->next_stream_ids);
	g_ptr_array_unref(self->draining);
	g_ptr_array_unref(self->closing);
	g_strfreev(self->service_ids);
	g_strfreev(self->announced_service_ids);
	g_free(self->tunnel);
	G_OBJECT_CLASS(iot_stream_table_parent_class)->finalize(object);
}

static void
iot_stream_table_class_init(IotStreamTableClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_stream_table_dispose;
	object_class->finalize = iot_stream_table_finalize;
}

static void
iot_stream_table_init(IotStreamTable *self)
{
	self->next_stream_id = 1;
	self->streams = g_hash_table_new(g_str_hash, g_str_equal);
	self->next_stream_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->draining = g_ptr_array_new_with_free_func((GDestroyNotify)iot_stream_link_unref);
	self->closing = g_ptr_array_new();
	g_queue_init(&self->held);
}
