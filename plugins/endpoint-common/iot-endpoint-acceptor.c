/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-endpoint-acceptor.h"

#include <iotunnel.h>

/*
 * Accepts connections on a listener's sockets, one at a time, for as long as
 * it lives. GSocketService tries again at once when an accept fails, so a
 * process out of descriptors (EMFILE, ENFILE) spins at full CPU and logs a
 * line per try while the connection stays in the listen queue; here a
 * failed accept waits, from 50 ms doubling to 1 s, then tries again, and
 * says so in a rate-limited line. The connections wait in the listen queue
 * meanwhile, and are taken once descriptors come back.
 */
struct _IotEndpointAcceptor {
	gint ref_count; /* the owner's, and the pending accept's or wait's */
	GSocketListener *listener;
	gchar *description;
	IotEndpointAcceptFunc func;
	gpointer user_data;
	GCancellable *cancellable;
	GSource *wait;
	guint backoff_ms; /* 0 while accepts succeed */
	gboolean freed;	  /* the owner let go: call nobody */
};

static IotEndpointAcceptor *
iot_endpoint_acceptor_ref(IotEndpointAcceptor *self)
{
	self->ref_count++;
	return self;
}

static void
iot_endpoint_acceptor_unref(IotEndpointAcceptor *self)
{
	if (--self->ref_count > 0)
		return;
	g_object_unref(self->listener);
	g_object_unref(self->cancellable);
	g_free(self->description);
	g_free(self);
}

static void
iot_endpoint_acceptor_accept(IotEndpointAcceptor *self);

static gboolean
iot_endpoint_acceptor_wait_cb(gpointer user_data)
{
	IotEndpointAcceptor *self = user_data;

	g_clear_pointer(&self->wait, g_source_unref);
	if (!self->freed)
		iot_endpoint_acceptor_accept(self);
	return G_SOURCE_REMOVE;
}

static void
iot_endpoint_acceptor_failed(IotEndpointAcceptor *self, const GError *error)
{
	static IotLogRateLimit out_of_descriptors;
	static IotLogRateLimit other_failure;
	gboolean descriptors = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
	guint suppressed = 0;

	self->backoff_ms = self->backoff_ms == 0
			       ? IOT_ENDPOINT_ACCEPT_BACKOFF_MIN_MS
			       : MIN(self->backoff_ms * 2, IOT_ENDPOINT_ACCEPT_BACKOFF_MAX_MS);
	if (iot_log_rate_limit_pass(descriptors ? &out_of_descriptors : &other_failure,
				    &suppressed)) {
		g_autofree gchar *held = suppressed == 0 ? g_strdup("")
							 : g_strdup_printf(" (%u more failed "
									   "accepts since the "
									   "last line)",
									   suppressed);
		if (descriptors)
			g_warning("cannot accept a connection on %s: %s; the process is out of "
				  "file descriptors, so new connections wait and are taken when "
				  "descriptors come back (raise the limit, LimitNOFILE= or "
				  "ulimit -n, or lower max_connections)%s",
				  self->description,
				  error->message,
				  held);
		else
			g_warning("cannot accept a connection on %s: %s; trying again in %u ms%s",
				  self->description,
				  error->message,
				  self->backoff_ms,
				  held);
	}
	self->wait = g_timeout_source_new(self->backoff_ms);
	g_source_set_static_name(self->wait, "iot-endpoint-accept-backoff");
	g_source_set_callback(self->wait,
			      iot_endpoint_acceptor_wait_cb,
			      iot_endpoint_acceptor_ref(self),
			      (GDestroyNotify)iot_endpoint_acceptor_unref);
	g_source_attach(self->wait, g_main_context_get_thread_default());
}

static void
iot_endpoint_acceptor_accept_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotEndpointAcceptor *self = user_data;
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GError) error = NULL;

	connection =
	    g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), result, NULL, &error);
	if (self->freed) {
		iot_endpoint_acceptor_unref(self);
		return;
	}
	if (connection == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			iot_endpoint_acceptor_failed(self, error);
		iot_endpoint_acceptor_unref(self);
		return;
	}
	self->backoff_ms = 0;
	self->func(connection, self->user_data);
	if (!self->freed)
		iot_endpoint_acceptor_accept(self);
	iot_endpoint_acceptor_unref(self);
}

static void
iot_endpoint_acceptor_accept(IotEndpointAcceptor *self)
{
	g_socket_listener_accept_async(self->listener,
				       self->cancellable,
				       iot_endpoint_acceptor_accept_cb,
				       iot_endpoint_acceptor_ref(self));
}

/**
 * iot_endpoint_acceptor_new:
 * @listener: a listener with its sockets added
 * @description: where it listens, for messages ("127.0.0.1:5555")
 * @func: called with each connection accepted
 * @user_data: data for @func
 *
 * Starts accepting on @listener in the thread-default main context.
 *
 * Returns: (transfer full): the acceptor; free it to stop
 */
IotEndpointAcceptor *
iot_endpoint_acceptor_new(GSocketListener *listener,
			  const gchar *description,
			  IotEndpointAcceptFunc func,
			  gpointer user_data)
{
	IotEndpointAcceptor *self = g_new0(IotEndpointAcceptor, 1);

	self->ref_count = 1;
	self->listener = g_object_ref(listener);
	self->description = g_strdup(description);
	self->func = func;
	self->user_data = user_data;
	self->cancellable = g_cancellable_new();
	iot_endpoint_acceptor_accept(self);
	return self;
}

/**
 * iot_endpoint_acceptor_free:
 * @acceptor: an acceptor
 *
 * Stops accepting; the callback is not called again. The listener's sockets
 * stay open: close the listener to close them.
 */
void
iot_endpoint_acceptor_free(IotEndpointAcceptor *acceptor)
{
	acceptor->freed = TRUE;
	g_cancellable_cancel(acceptor->cancellable);
	if (acceptor->wait != NULL) {
		GSource *wait = g_steal_pointer(&acceptor->wait);
		g_source_destroy(wait);
		g_source_unref(wait);
	}
	iot_endpoint_acceptor_unref(acceptor);
}
