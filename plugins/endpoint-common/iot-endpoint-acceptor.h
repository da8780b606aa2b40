/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* the first wait after an accept failed, and the longest, in milliseconds */
#define IOT_ENDPOINT_ACCEPT_BACKOFF_MIN_MS 50
#define IOT_ENDPOINT_ACCEPT_BACKOFF_MAX_MS 1000

/* called with each connection accepted */
typedef void (*IotEndpointAcceptFunc)(GSocketConnection *connection, gpointer user_data);

typedef struct _IotEndpointAcceptor IotEndpointAcceptor;

IotEndpointAcceptor *
iot_endpoint_acceptor_new(GSocketListener *listener,
			  const gchar *description,
			  IotEndpointAcceptFunc func,
			  gpointer user_data);
void
iot_endpoint_acceptor_free(IotEndpointAcceptor *acceptor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotEndpointAcceptor, iot_endpoint_acceptor_free)

G_END_DECLS
