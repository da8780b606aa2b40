/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "iot-poller-private.h"
#include "iot-tunnel-log.h"

/*
 * IotPoller:
 *
 * One epoll instance per #GMainContext, added to the context as a single fd,
 * so that a main-loop iteration costs what is ready rather than what is
 * open: GLib 2.74 polls every fd of every source on every iteration. Watches
 * are level-triggered; a watch that asks for nothing is taken out of the
 * epoll set, since epoll reports a hang-up or an error even to a watch that
 * asks for neither.
 */

/* ready fds handled per dispatch; the rest stay ready for the next iteration */
#define IOT_POLLER_MAX_EVENTS 256

typedef struct {
	GSource source;
	GMainContext *context; /* the key in the table; not a reference */
	gint epoll_fd;
	guint n_watches;
} IotPoller;

struct _IotPollerWatch {
	IotPoller *poller; /* a reference on its source */
	gint fd;
	GIOCondition condition;
	gboolean registered; /* in the epoll set */
	gboolean removed;
	IotPollerFunc func;
	gpointer user_data;
};

/* the poller of each context that has watches; keys are not references */
static GHashTable *iot_poller_table = NULL;
G_LOCK_DEFINE_STATIC(iot_poller_table);

static GMainContext *
iot_poller_resolve_context(GMainContext *context)
{
	return context != NULL ? context : g_main_context_default();
}

/* takes a destroyed poller out of the table, unless another took its place */
static void
iot_poller_forget(IotPoller *self)
{
	G_LOCK(iot_poller_table);
	if (iot_poller_table != NULL &&
	    g_hash_table_lookup(iot_poller_table, self->context) == self)
		g_hash_table_remove(iot_poller_table, self->context);
	G_UNLOCK(iot_poller_table);
}

/* maps the events epoll reported to a condition */
static GIOCondition
iot_poller_condition_from_events(guint32 events)
{
	GIOCondition condition = 0;
	if (events & EPOLLIN)
		condition |= G_IO_IN;
	if (events & EPOLLOUT)
		condition |= G_IO_OUT;
	if (events & EPOLLHUP)
		condition |= G_IO_HUP;
	if (events & EPOLLERR)
		condition |= G_IO_ERR;
	return condition;
}

/* maps a watch's condition to the events epoll waits for */
static guint32
iot_poller_events_from_condition(GIOCondition condition)
{
	guint32 events = 0;
	if (condition & G_IO_IN)
		events |= EPOLLIN;
	if (condition & G_IO_OUT)
		events |= EPOLLOUT;
	return events;
}

static void
iot_poller_watch_release(IotPollerWatch *watch)
{
	g_source_unref((GSource *)watch->poller);
}

static IotPollerWatch *
iot_poller_watch_ref(IotPollerWatch *watch)
{
	return g_rc_box_acquire(watch);
}

static void
iot_poller_watch_unref(IotPollerWatch *watch)
{
	g_rc_box_release_full(watch, (GDestroyNotify)iot_poller_watch_release);
}

/* calls each watch that epoll found ready, holding them all so that none goes meanwhile */
static gboolean
iot_poller_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	IotPoller *self = (IotPoller *)source;
	struct epoll_event events[IOT_POLLER_MAX_EVENTS];
	gint n;

	n = epoll_wait(self->epoll_fd, events, IOT_POLLER_MAX_EVENTS, 0);
	if (n < 0) {
		if (errno != EINTR)
			g_warning("epoll_wait: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	for (gint i = 0; i < n; i++)
		iot_poller_watch_ref(events[i].data.ptr);
	for (gint i = 0; i < n; i++) {
		IotPollerWatch *watch = events[i].data.ptr;
		GIOCondition ready = iot_poller_condition_from_events(events[i].events);
		GIOCondition wanted = watch->condition | G_IO_HUP | G_IO_ERR;
		if (!watch->removed && (ready & wanted) != 0)
			watch->func(ready & wanted, watch->user_data);
		iot_poller_watch_unref(watch);
	}
	return G_SOURCE_CONTINUE;
}

static void
iot_poller_finalize(GSource *source)
{
	IotPoller *self = (IotPoller *)source;
	close(self->epoll_fd);
}

static GSourceFuncs iot_poller_funcs = {
    .dispatch = iot_poller_dispatch,
    .finalize = iot_poller_finalize,
};

/* a new poller attached to @context, or NULL if epoll is not available */
static IotPoller *
iot_poller_new(GMainContext *context)
{
	IotPoller *self;
	gint epoll_fd = epoll_create1(EPOLL_CLOEXEC);

	if (epoll_fd < 0) {
		static IotLogRateLimit limit;
		gint saved_errno = errno;
		guint suppressed = 0;

		/* out of descriptors, every new connection tries again */
		if (iot_log_rate_limit_pass(&limit, &suppressed))
			g_warning("epoll_create1: %s; polling with the main loop instead (%u more "
				  "like it held back)",
				  g_strerror(saved_errno),
				  suppressed);
		return NULL;
	}
	self = (IotPoller *)g_source_new(&iot_poller_funcs, sizeof(IotPoller));
	self->context = context;
	self->epoll_fd = epoll_fd;
	g_source_set_static_name((GSource *)self, "iot-poller");
	g_source_add_unix_fd((GSource *)self, epoll_fd, G_IO_IN);
	g_source_attach((GSource *)self, context);
	return self;
}

/* the poller of @context, made if it has none; (transfer full) */
static IotPoller *
iot_poller_ref_for_context(GMainContext *context)
{
	IotPoller *self;

	G_LOCK(iot_poller_table);
	if (iot_poller_table == NULL)
		iot_poller_table = g_hash_table_new(NULL, NULL);
	self = g_hash_table_lookup(iot_poller_table, context);
	if (self == NULL || g_source_is_destroyed((GSource *)self)) {
		self = iot_poller_new(context);
		if (self != NULL)
			g_hash_table_replace(iot_poller_table, context, self);
		else
			g_hash_table_remove(iot_poller_table, context);
	} else {
		g_source_ref((GSource *)self);
	}
	G_UNLOCK(iot_poller_table);
	return self;
}

/**
 * iot_poller_watch_new:
 * @context: (nullable): the context to dispatch in; %NULL for the global default
 * @fd: a file descriptor, which must stay open until the watch is removed
 * @func: called when @fd is ready for the condition set
 * @user_data: for @func
 *
 * Watches @fd through the epoll instance of @context. The watch asks for
 * nothing until iot_poller_watch_set_condition().
 *
 * Returns: (transfer full): the watch, to remove with
 *   iot_poller_watch_remove() before @fd is closed; %NULL if epoll failed
 */
IotPollerWatch *
iot_poller_watch_new(GMainContext *context, gint fd, IotPollerFunc func, gpointer user_data)
{
	IotPollerWatch *watch;
	IotPoller *poller;

	g_return_val_if_fail(fd >= 0, NULL);
	g_return_val_if_fail(func != NULL, NULL);

	poller = iot_poller_ref_for_context(iot_poller_resolve_context(context));
	if (poller == NULL)
		return NULL;
	poller->n_watches++;
	watch = g_rc_box_new0(IotPollerWatch);
	watch->poller = poller;
	watch->fd = fd;
	watch->func = func;
	watch->user_data = user_data;
	return watch;
}

/* adds, changes or takes out the watch's fd in the epoll set; FALSE if epoll refused */
static gboolean
iot_poller_watch_apply(IotPollerWatch *watch, GIOCondition condition)
{
	struct epoll_event event = {.events = iot_poller_events_from_condition(condition),
				    .data.ptr = watch};
	gint op;

	if (event.events == 0 && !watch->registered)
		return TRUE;
	if (event.events == 0)
		op = EPOLL_CTL_DEL;
	else if (watch->registered)
		op = EPOLL_CTL_MOD;
	else
		op = EPOLL_CTL_ADD;
	if (epoll_ctl(watch->poller->epoll_fd, op, watch->fd, &event) != 0) {
		g_warning("epoll_ctl(%d) on fd %d: %s", op, watch->fd, g_strerror(errno));
		return FALSE;
	}
	watch->registered = event.events != 0;
	return TRUE;
}

/**
 * iot_poller_watch_set_condition:
 * @watch: a watch
 * @condition: %G_IO_IN, %G_IO_OUT, both, or 0 to ask for nothing for now
 *
 * Changes what @watch waits for; cheap, and safe from inside any callback.
 * While it asks for something, a hang-up or an error is reported too.
 */
void
iot_poller_watch_set_condition(IotPollerWatch *watch, GIOCondition condition)
{
	g_return_if_fail(watch != NULL);
	g_return_if_fail(!watch->removed);

	condition &= G_IO_IN | G_IO_OUT;
	if (condition == watch->condition)
		return;
	if (iot_poller_watch_apply(watch, condition))
		watch->condition = condition;
}

/**
 * iot_poller_watch_get_condition:
 * @watch: a watch
 *
 * Returns: what @watch waits for
 */
GIOCondition
iot_poller_watch_get_condition(IotPollerWatch *watch)
{
	g_return_val_if_fail(watch != NULL, 0);
	return watch->condition;
}

/**
 * iot_poller_watch_remove:
 * @watch: (transfer full): a watch
 *
 * Takes the fd out of the epoll set and frees @watch: its function is not
 * called again, not even later in a dispatch that is under way. The poller
 * goes with its last watch.
 */
void
iot_poller_watch_remove(IotPollerWatch *watch)
{
	IotPoller *poller;

	g_return_if_fail(watch != NULL);
	g_return_if_fail(!watch->removed);

	poller = watch->poller;
	iot_poller_watch_apply(watch, 0);
	watch->removed = TRUE;
	watch->condition = 0;
	if (--poller->n_watches == 0) {
		iot_poller_forget(poller);
		g_source_destroy((GSource *)poller);
	}
	iot_poller_watch_unref(watch);
}

/**
 * iot_poller_get_n_watches:
 * @context: (nullable): a context; %NULL for the global default
 *
 * For tests.
 *
 * Returns: the watches of the poller of @context
 */
guint
iot_poller_get_n_watches(GMainContext *context)
{
	IotPoller *poller;
	guint n = 0;

	G_LOCK(iot_poller_table);
	if (iot_poller_table != NULL) {
		poller = g_hash_table_lookup(iot_poller_table, iot_poller_resolve_context(context));
		if (poller != NULL)
			n = poller->n_watches;
	}
	G_UNLOCK(iot_poller_table);
	return n;
}
