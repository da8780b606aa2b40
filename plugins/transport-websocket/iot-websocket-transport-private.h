/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the transport's files share: its instance, and the steps from connecting to running. */

#pragma once

#include <libsoup/soup.h>

#include "iot-websocket-settings.h"
#include "iot-websocket-stream.h"
#include "iot-websocket-transport.h"

G_BEGIN_DECLS

typedef struct {
	gint64 payload_ms;
	gint64 sent_us;
} IotWebsocketPing;

struct _IotWebsocketTransport {
	GObject parent_instance;

	IotWebsocketSettings settings;

	/* whether a handshake ever succeeded: a web proxy that is away is then not a wrong setting
	 */
	gboolean ever_connected;

	/* the HTTP status of the last handshake answer, 0 when none came */
	guint handshake_status;

	/* closed connections still finishing their closing handshake (strong refs) */
	GPtrArray *lingering;

	/* the connection */
	gboolean connecting;
	SoupWebsocketConnection *ws;
	IotWebsocketStream *stream;
	gchar *subprotocol;
	gchar *channel_id;
	guint64 handed;
	gboolean above_high_water;
	GSource *drained_source;
	gboolean receive_paused;
	GSource *ping_source;
	GArray *pings; /* of IotWebsocketPing, oldest first */

	/* what waits for the receiver: held messages, then ::closed */
	GQueue held;
	GError *closed_error;
	GSource *dispatch_source;
};

void
iot_websocket_transport_clear_pending(IotWebsocketTransport *self);
void
iot_websocket_transport_set_handshake_status(IotWebsocketTransport *self, guint status);
void
iot_websocket_transport_start(IotWebsocketTransport *self,
			      GIOStream *connection,
			      GUri *uri,
			      GBytes *prebuffer);
void
iot_websocket_transport_connect_async(IotTransport *transport,
				      const IotTransportParams *params,
				      GCancellable *cancellable,
				      GAsyncReadyCallback callback,
				      gpointer user_data);
gboolean
iot_websocket_transport_connect_finish(IotTransport *transport,
				       GAsyncResult *result,
				       GError **error);

G_END_DECLS
