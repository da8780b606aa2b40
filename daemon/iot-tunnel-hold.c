/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-tunnel-hold.h"

/*
 * The local connections a source tunnel keeps waiting, for
 * IOT_TUNNEL_HOLD_TIMEOUT_S at most from their accept: those accepted while
 * the service was away, until a session can take them, and then until the
 * destination is there too.
 *
 * Once a session can take them, each is handed over with its reading
 * paused for a probation time: if the peer resets its stream before a byte
 * passed, as the service does while no destination is connected (after a
 * restart of the service, the source may come back first), the codec gives
 * it back untouched (iot_session_take_back()) and it is tried again every
 * IOT_TUNNEL_HOLD_RETRY_MS. When the probation ends without a reset, its
 * reading starts: the destination took it.
 */

/* how long a connection the destination was not there for waits before a new try */
#define IOT_TUNNEL_HOLD_RETRY_MS 1000

typedef struct {
	gpointer service;
	IotConnection *connection;
	gint64 deadline;	   /* monotonic: the hold ends */
	gint64 retry_at;	   /* monotonic: not handed over before */
	gint64 probation_ends;	   /* monotonic, while handed over */
	gboolean destination_away; /* given back at least once */
} IotTunnelHoldItem;

struct _IotTunnelHold {
	GObject parent_instance;
	gchar *tunnel_name;
	IotTunnelHoldFunc hand_over;
	IotTunnelHoldFunc start_reading;
	gpointer user_data;
	GQueue waiting;	   /* of IotTunnelHoldItem: not handed over */
	GPtrArray *trying; /* of IotTunnelHoldItem: handed over, on probation */
	gboolean releasing;
	guint probation_ms;
	guint tick_source;	/* expiry and retries, while some wait */
	guint release_source;	/* hands over what waits, from the main loop */
	guint probation_source; /* ends the earliest probation */
};

G_DEFINE_FINAL_TYPE(IotTunnelHold, iot_tunnel_hold, G_TYPE_OBJECT)

static void
iot_tunnel_hold_item_free(IotTunnelHoldItem *item)
{
	g_object_unref(item->connection);
	g_free(item);
}

static void
iot_tunnel_hold_update_tick(IotTunnelHold *self);
static void
iot_tunnel_hold_update_probation(IotTunnelHold *self);

/* hands over what is due, reading paused until its probation ends */
static void
iot_tunnel_hold_release_due(IotTunnelHold *self)
{
	gint64 now = g_get_monotonic_time();
	GList *l = self->waiting.head;

	while (self->releasing && l != NULL) {
		GList *next = l->next;
		IotTunnelHoldItem *item = l->data;

		if (item->retry_at <= now) {
			g_queue_delete_link(&self->waiting, l);
			item->probation_ends = now + (gint64)self->probation_ms * 1000;
			g_ptr_array_add(self->trying, item);
			iot_connection_set_read_paused(item->connection, TRUE);
			self->hand_over(item->service, item->connection, self->user_data);
		}
		l = next;
	}
	iot_tunnel_hold_update_probation(self);
	iot_tunnel_hold_update_tick(self);
}

static gboolean
iot_tunnel_hold_release_cb(gpointer user_data)
{
	IotTunnelHold *self = IOT_TUNNEL_HOLD(user_data);
	self->release_source = 0;
	iot_tunnel_hold_release_due(self);
	return G_SOURCE_REMOVE;
}

/* closes what waited its whole time, hands over what is due */
static gboolean
iot_tunnel_hold_tick_cb(gpointer user_data)
{
	IotTunnelHold *self = IOT_TUNNEL_HOLD(user_data);
	gint64 now = g_get_monotonic_time();
	GList *l = self->waiting.head;

	self->tick_source = 0;
	while (l != NULL) {
		GList *next = l->next;
		IotTunnelHoldItem *item = l->data;

		if (item->deadline <= now) {
			iot_tunnel_message(self->tunnel_name,
					   0,
					   0,
					   "%s waited %d s for the %s and is closed",
					   iot_connection_get_description(item->connection),
					   IOT_TUNNEL_HOLD_TIMEOUT_S,
					   item->destination_away ? "destination" : "service");
			iot_connection_abort(item->connection);
			iot_tunnel_hold_item_free(item);
			g_queue_delete_link(&self->waiting, l);
		}
		l = next;
	}
	iot_tunnel_hold_release_due(self);
	return G_SOURCE_REMOVE;
}

/* ticks every second while something waits */
static void
iot_tunnel_hold_update_tick(IotTunnelHold *self)
{
	if (g_queue_is_empty(&self->waiting)) {
		g_clear_handle_id(&self->tick_source, g_source_remove);
		return;
	}
	if (self->tick_source == 0) {
		self->tick_source = g_timeout_add_seconds(1, iot_tunnel_hold_tick_cb, self);
		g_source_set_static_name(g_main_context_find_source_by_id(NULL, self->tick_source),
					 "IotTunnelHold tick");
	}
}

static gboolean
iot_tunnel_hold_probation_cb(gpointer user_data)
{
	IotTunnelHold *self = IOT_TUNNEL_HOLD(user_data);
	gint64 now = g_get_monotonic_time();

	self->probation_source = 0;
	for (guint i = 0; i < self->trying->len;) {
		IotTunnelHoldItem *item = g_ptr_array_index(self->trying, i);
		if (item->probation_ends > now) {
			i++;
			continue;
		}
		g_ptr_array_steal_index(self->trying, i);
		if (!iot_connection_is_finished(item->connection))
			self->start_reading(item->service, item->connection, self->user_data);
		iot_tunnel_hold_item_free(item);
	}
	iot_tunnel_hold_update_probation(self);
	return G_SOURCE_REMOVE;
}

/* wakes up when the earliest probation ends */
static void
iot_tunnel_hold_update_probation(IotTunnelHold *self)
{
	gint64 earliest = G_MAXINT64;
	gint64 now = g_get_monotonic_time();

	g_clear_handle_id(&self->probation_source, g_source_remove);
	for (guint i = 0; i < self->trying->len; i++) {
		IotTunnelHoldItem *item = g_ptr_array_index(self->trying, i);
		earliest = MIN(earliest, item->probation_ends);
	}
	if (earliest == G_MAXINT64)
		return;
	self->probation_source = g_timeout_add((guint)(MAX(earliest - now, 0) / 1000) + 1,
					       iot_tunnel_hold_probation_cb,
					       self);
	g_source_set_static_name(g_main_context_find_source_by_id(NULL, self->probation_source),
				 "IotTunnelHold probation");
}

/**
 * iot_tunnel_hold_new:
 * @tunnel_name: the tunnel's name, for logs
 * @hand_over: gives a connection to the tunnel's codec
 * @start_reading: lets a connection read, as the tunnel's flow control says
 * @user_data: data for both functions
 *
 * Returns: (transfer full): an empty hold, not releasing
 */
IotTunnelHold *
iot_tunnel_hold_new(const gchar *tunnel_name,
		    IotTunnelHoldFunc hand_over,
		    IotTunnelHoldFunc start_reading,
		    gpointer user_data)
{
	IotTunnelHold *self = g_object_new(IOT_TYPE_TUNNEL_HOLD, NULL);

	self->tunnel_name = g_strdup(tunnel_name);
	self->hand_over = hand_over;
	self->start_reading = start_reading;
	self->user_data = user_data;
	return self;
}

/**
 * iot_tunnel_hold_add:
 * @self: a hold
 * @service: the service the connection is for
 * @connection: (transfer none): a connection not started, that no session
 *   can take now
 *
 * Keeps @connection for IOT_TUNNEL_HOLD_TIMEOUT_S at most, after which it is
 * closed.
 */
void
iot_tunnel_hold_add(IotTunnelHold *self, gpointer service, IotConnection *connection)
{
	IotTunnelHoldItem *item;

	g_return_if_fail(IOT_IS_TUNNEL_HOLD(self));
	g_return_if_fail(IOT_IS_CONNECTION(connection));

	item = g_new0(IotTunnelHoldItem, 1);
	item->service = service;
	item->connection = g_object_ref(connection);
	item->deadline = g_get_monotonic_time() + IOT_TUNNEL_HOLD_TIMEOUT_S * G_USEC_PER_SEC;
	g_queue_push_tail(&self->waiting, item);
	iot_tunnel_hold_update_tick(self);
}

/**
 * iot_tunnel_hold_start_releasing:
 * @self: a hold
 * @probation_ms: how long a connection handed over waits for the
 *   destination's reset before it starts reading: a few round trips to the
 *   service
 *
 * A session can take connections from now on: each is handed over, from
 * the main loop, now and after each time the destination was not there.
 */
void
iot_tunnel_hold_start_releasing(IotTunnelHold *self, guint probation_ms)
{
	g_return_if_fail(IOT_IS_TUNNEL_HOLD(self));

	self->releasing = TRUE;
	self->probation_ms = probation_ms;
	if (self->release_source == 0 && !g_queue_is_empty(&self->waiting))
		self->release_source = g_idle_add(iot_tunnel_hold_release_cb, self);
}

/**
 * iot_tunnel_hold_stop_releasing:
 * @self: a hold
 *
 * The session ended: what waits goes on waiting; what is on probation went
 * with the session's codec, which ends it.
 */
void
iot_tunnel_hold_stop_releasing(IotTunnelHold *self)
{
	g_return_if_fail(IOT_IS_TUNNEL_HOLD(self));

	self->releasing = FALSE;
	g_clear_handle_id(&self->release_source, g_source_remove);
	g_clear_handle_id(&self->probation_source, g_source_remove);
	g_ptr_array_set_size(self->trying, 0);
}

/**
 * iot_tunnel_hold_take_back:
 * @self: a hold
 * @connection: a connection whose stream the peer reset before a byte
 *   passed
 *
 * Returns: %TRUE when @connection was on probation and has time left: it
 *   waits again, and is tried again later; %FALSE when the codec must close
 *   it
 */
gboolean
iot_tunnel_hold_take_back(IotTunnelHold *self, IotConnection *connection)
{
	IotTunnelHoldItem *item = NULL;
	gint64 now = g_get_monotonic_time();

	g_return_val_if_fail(IOT_IS_TUNNEL_HOLD(self), FALSE);
	for (guint i = 0; i < self->trying->len; i++) {
		IotTunnelHoldItem *candidate = g_ptr_array_index(self->trying, i);
		if (candidate->connection == connection) {
			item = g_ptr_array_steal_index(self->trying, i);
			break;
		}
	}
	if (item == NULL)
		return FALSE;
	if (now + IOT_TUNNEL_HOLD_RETRY_MS * 1000 >= item->deadline) {
		iot_tunnel_message(self->tunnel_name,
				   0,
				   0,
				   "%s waited %d s for the destination and is closed",
				   iot_connection_get_description(connection),
				   IOT_TUNNEL_HOLD_TIMEOUT_S);
		iot_tunnel_hold_item_free(item);
		return FALSE;
	}
	if (!item->destination_away)
		iot_tunnel_message(self->tunnel_name,
				   0,
				   0,
				   "the destination is not connected yet; %s waits for it, "
				   "%" G_GINT64_FORMAT " s more at most",
				   iot_connection_get_description(connection),
				   (item->deadline - now) / G_USEC_PER_SEC);
	item->destination_away = TRUE;
	item->retry_at = now + IOT_TUNNEL_HOLD_RETRY_MS * 1000;
	g_queue_push_tail(&self->waiting, item);
	iot_tunnel_hold_update_probation(self);
	iot_tunnel_hold_update_tick(self);
	return TRUE;
}

/**
 * iot_tunnel_hold_has:
 * @self: a hold
 * @connection: a connection
 *
 * Returns: whether @connection waits or is on probation: its reading is
 *   the hold's business
 */
gboolean
iot_tunnel_hold_has(IotTunnelHold *self, IotConnection *connection)
{
	g_return_val_if_fail(IOT_IS_TUNNEL_HOLD(self), FALSE);
	for (GList *l = self->waiting.head; l != NULL; l = l->next) {
		if (((IotTunnelHoldItem *)l->data)->connection == connection)
			return TRUE;
	}
	for (guint i = 0; i < self->trying->len; i++) {
		if (((IotTunnelHoldItem *)g_ptr_array_index(self->trying, i))->connection ==
		    connection)
			return TRUE;
	}
	return FALSE;
}

/**
 * iot_tunnel_hold_clear:
 * @self: a hold
 *
 * Lets go of everything, as the tunnel stops: what waits is closed.
 */
void
iot_tunnel_hold_clear(IotTunnelHold *self)
{
	IotTunnelHoldItem *item;

	g_return_if_fail(IOT_IS_TUNNEL_HOLD(self));
	iot_tunnel_hold_stop_releasing(self);
	g_clear_handle_id(&self->tick_source, g_source_remove);
	while ((item = g_queue_pop_head(&self->waiting)) != NULL) {
		iot_connection_abort(item->connection);
		iot_tunnel_hold_item_free(item);
	}
}

static void
iot_tunnel_hold_dispose(GObject *object)
{
	IotTunnelHold *self = IOT_TUNNEL_HOLD(object);
	iot_tunnel_hold_clear(self);
	G_OBJECT_CLASS(iot_tunnel_hold_parent_class)->dispose(object);
}

static void
iot_tunnel_hold_finalize(GObject *object)
{
	IotTunnelHold *self = IOT_TUNNEL_HOLD(object);
	g_ptr_array_unref(self->trying);
	g_free(self->tunnel_name);
	G_OBJECT_CLASS(iot_tunnel_hold_parent_class)->finalize(object);
}

static void
iot_tunnel_hold_class_init(IotTunnelHoldClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_tunnel_hold_dispose;
	object_class->finalize = iot_tunnel_hold_finalize;
}

static void
iot_tunnel_hold_init(IotTunnelHold *self)
{
	g_queue_init(&self->waiting);
	self->trying = g_ptr_array_new_with_free_func((GDestroyNotify)iot_tunnel_hold_item_free);
}
