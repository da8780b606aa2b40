/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-endpoint.h"

G_DEFINE_INTERFACE(IotEndpoint, iot_endpoint, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-endpoint-error-quark, iot_endpoint_error);

static void
iot_endpoint_default_init(IotEndpointInterface *iface)
{
	/**
	 * IotEndpoint::incoming:
	 * @self: the endpoint
	 * @stream: the accepted connection's stream
	 *
	 * A local client connected to a listening (source side) endpoint.
	 */
	g_signal_new("incoming",
		     G_TYPE_FROM_INTERFACE(iface),
		     G_SIGNAL_RUN_LAST,
		     0,
		     NULL,
		     NULL,
		     NULL,
		     G_TYPE_NONE,
		     1,
		     G_TYPE_IO_STREAM);
}

/**
 * iot_endpoint_configure:
 * @self: an endpoint
 * @settings: the service's settings object from the profile
 * @error: (nullable): return location for an error in %IOT_ENDPOINT_ERROR
 *
 * Returns: %TRUE when the settings are valid
 */
gboolean
iot_endpoint_configure(IotEndpoint *self, JsonObject *settings, GError **error)
{
	IotEndpointInterface *iface;
	g_return_val_if_fail(IOT_IS_ENDPOINT(self), FALSE);
	g_return_val_if_fail(settings != NULL, FALSE);
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->configure == NULL)
		return TRUE;
	return iface->configure(self, settings, error);
}

/**
 * iot_endpoint_listen:
 * @self: an endpoint
 * @error: (nullable): return location for an error in %IOT_ENDPOINT_ERROR
 *
 * Starts accepting local connections; each emits #IotEndpoint::incoming.
 *
 * Returns: %TRUE when listening
 */
gboolean
iot_endpoint_listen(IotEndpoint *self, GError **error)
{
	IotEndpointInterface *iface;
	g_return_val_if_fail(IOT_IS_ENDPOINT(self), FALSE);
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->listen == NULL) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_NOT_SUPPORTED,
			    "endpoint %s cannot listen",
			    G_OBJECT_TYPE_NAME(self));
		return FALSE;
	}
	return iface->listen(self, error);
}

/**
 * iot_endpoint_listen_async:
 * @self: an endpoint
 * @cancellable: (nullable): stops a listen under way
 * @callback: called once listening or failed
 * @user_data: for @callback
 *
 * Source side: starts accepting local connections without blocking the main
 * loop, as iot_endpoint_listen() does. An endpoint without a @listen_async
 * of its own listens at once, and the result comes in the next main loop
 * iteration.
 */
void
iot_endpoint_listen_async(IotEndpoint *self,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	IotEndpointInterface *iface;
	g_autoptr(GTask) task = NULL;
	g_autoptr(GError) error = NULL;

	g_return_if_fail(IOT_IS_ENDPOINT(self));
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->listen_async != NULL) {
		iface->listen_async(self, cancellable, callback, user_data);
		return;
	}
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, iot_endpoint_listen_async);
	if (iot_endpoint_listen(self, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, g_steal_pointer(&error));
}

/**
 * iot_endpoint_listen_finish:
 * @self: an endpoint
 * @result: what the callback of iot_endpoint_listen_async() got
 * @error: (nullable): return location for an %IOT_ENDPOINT_ERROR
 *
 * Returns: whether @self listens
 */
gboolean
iot_endpoint_listen_finish(IotEndpoint *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(IOT_IS_ENDPOINT(self), FALSE);
	if (g_async_result_is_tagged(result, iot_endpoint_listen_async))
		return g_task_propagate_boolean(G_TASK(result), error);
	return IOT_ENDPOINT_GET_IFACE(self)->listen_finish(self, result, error);
}

/**
 * iot_endpoint_get_local_address:
 * @self: an endpoint
 *
 * Returns: (transfer full) (nullable): where @self listens ("127.0.0.1:40123"),
 *   or %NULL when it does not listen or does not tell
 */
gchar *
iot_endpoint_get_local_address(IotEndpoint *self)
{
	IotEndpointInterface *iface;

	g_return_val_if_fail(IOT_IS_ENDPOINT(self), NULL);
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->get_local_address == NULL)
		return NULL;
	return iface->get_local_address(self);
}

/**
 * iot_endpoint_connect_async:
 * @self: an endpoint
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when connected or given up
 * @user_data: data for @callback
 *
 * Opens one connection to the local app.
 */
void
iot_endpoint_connect_async(IotEndpoint *self,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	IotEndpointInterface *iface;
	g_return_if_fail(IOT_IS_ENDPOINT(self));
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->connect_async == NULL) {
		g_task_report_new_error(self,
					callback,
					user_data,
					iot_endpoint_connect_async,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_NOT_SUPPORTED,
					"endpoint %s cannot connect",
					G_OBJECT_TYPE_NAME(self));
		return;
	}
	iface->connect_async(self, cancellable, callback, user_data);
}

/**
 * iot_endpoint_connect_finish:
 * @self: an endpoint
 * @result: the result passed to the callback
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the stream to the local app, or %NULL with @error set
 */
GIOStream *
iot_endpoint_connect_finish(IotEndpoint *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(IOT_IS_ENDPOINT(self), NULL);
	if (g_async_result_is_tagged(result, iot_endpoint_connect_async))
		return g_task_propagate_pointer(G_TASK(result), error);
	return IOT_ENDPOINT_GET_IFACE(self)->connect_finish(self, result, error);
}

/**
 * iot_endpoint_stop:
 * @self: an endpoint
 *
 * Stops listening. Connections already made stay open.
 */
void
iot_endpoint_stop(IotEndpoint *self)
{
	IotEndpointInterface *iface;
	g_return_if_fail(IOT_IS_ENDPOINT(self));
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->stop != NULL)
		iface->stop(self);
}

/**
 * iot_endpoint_describe:
 * @self: an endpoint
 *
 * Returns: (transfer full): a short description for logs
 */
gchar *
iot_endpoint_describe(IotEndpoint *self)
{
	IotEndpointInterface *iface;
	g_return_val_if_fail(IOT_IS_ENDPOINT(self), NULL);
	iface = IOT_ENDPOINT_GET_IFACE(self);
	if (iface->describe == NULL)
		return g_strdup(G_OBJECT_TYPE_NAME(self));
	return iface->describe(self);
}

/**
 * iot_endpoint_emit_incoming:
 * @self: an endpoint
 * @stream: the accepted connection's stream
 *
 * For implementations: reports an accepted local connection.
 */
void
iot_endpoint_emit_incoming(IotEndpoint *self, GIOStream *stream)
{
	g_return_if_fail(IOT_IS_ENDPOINT(self));
	g_return_if_fail(G_IS_IO_STREAM(stream));
	g_signal_emit_by_name(self, "incoming", stream);
}
