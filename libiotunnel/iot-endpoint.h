/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "iot-export.h"

G_BEGIN_DECLS

#define IOT_ENDPOINT_ERROR iot_endpoint_error_quark()

/**
 * IotEndpointError:
 * @IOT_ENDPOINT_ERROR_SETTINGS: a setting is missing or invalid
 * @IOT_ENDPOINT_ERROR_LISTEN: the endpoint cannot listen
 * @IOT_ENDPOINT_ERROR_CONNECT: the local app could not be reached
 * @IOT_ENDPOINT_ERROR_NOT_SUPPORTED: the endpoint does not work in this mode
 */
typedef enum {
	IOT_ENDPOINT_ERROR_SETTINGS,
	IOT_ENDPOINT_ERROR_LISTEN,
	IOT_ENDPOINT_ERROR_CONNECT,
	IOT_ENDPOINT_ERROR_NOT_SUPPORTED,
} IotEndpointError;

#define IOT_TYPE_ENDPOINT (iot_endpoint_get_type())
IOT_EXPORT
G_DECLARE_INTERFACE(IotEndpoint, iot_endpoint, IOT, ENDPOINT, GObject)

/**
 * IotEndpointInterface:
 * @configure: takes the service's settings from the profile (the object under
 *   `services.<ID>`, "endpoint" key included); called once, before anything else
 * @listen: source side: starts accepting local connections, emitting
 *   #IotEndpoint::incoming for each; may be %NULL where unsupported
 * @connect_async: destination side: opens one connection to the local app,
 *   retrying as the settings say; may be %NULL where unsupported
 * @connect_finish: the stream of a successful @connect_async
 * @stop: stops listening; open connections are not touched
 * @describe: a short text for logs ("127.0.0.1:22", "/run/app.sock")
 * @listen_async: source side, as @listen without blocking the main loop (a
 *   host name to look up, for one); may be %NULL, and then
 *   iot_endpoint_listen_async() calls @listen
 * @listen_finish: the result of @listen_async
 * @get_local_address: source side, while listening: where, as "HOST:PORT"
 *   with the port the system chose for port 0; may be %NULL, and then the
 *   daemon names the listener by @describe
 *
 * A plugin's way to local connections. One instance serves one service
 * mapping of one tunnel. All calls happen in the daemon's main context.
 */
struct _IotEndpointInterface {
	GTypeInterface g_iface;
	gboolean (*configure)(IotEndpoint *self, JsonObject *settings, GError **error);
	gboolean (*listen)(IotEndpoint *self, GError **error);
	void (*connect_async)(IotEndpoint *self,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
	GIOStream *(*connect_finish)(IotEndpoint *self, GAsyncResult *result, GError **error);
	void (*stop)(IotEndpoint *self);
	gchar *(*describe)(IotEndpoint *self);
	void (*listen_async)(IotEndpoint *self,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
	gboolean (*listen_finish)(IotEndpoint *self, GAsyncResult *result, GError **error);
	gchar *(*get_local_address)(IotEndpoint *self);
	/*< private >*/
	gpointer padding[5];
};

IOT_EXPORT
GQuark
iot_endpoint_error_quark(void);
IOT_EXPORT
gboolean
iot_endpoint_configure(IotEndpoint *self,
		       JsonObject *settings,
		       GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
gboolean
iot_endpoint_listen(IotEndpoint *self, GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_endpoint_listen_async(IotEndpoint *self,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
IOT_EXPORT
gboolean
iot_endpoint_listen_finish(IotEndpoint *self,
			   GAsyncResult *result,
			   GError **error) G_GNUC_WARN_UNUSED_RESULT;
IOT_EXPORT
void
iot_endpoint_connect_async(IotEndpoint *self,
			   GCancellable *cancellable,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
IOT_EXPORT
GIOStream *
iot_endpoint_connect_finish(IotEndpoint *self, GAsyncResult *result, GError **error);
IOT_EXPORT
void
iot_endpoint_stop(IotEndpoint *self);
IOT_EXPORT
gchar *
iot_endpoint_describe(IotEndpoint *self);
IOT_EXPORT
gchar *
iot_endpoint_get_local_address(IotEndpoint *self);
IOT_EXPORT
void
iot_endpoint_emit_incoming(IotEndpoint *self, GIOStream *stream);

G_END_DECLS
