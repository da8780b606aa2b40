/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-test-relay.h"
#include "iot-test-tunnel.h"

G_BEGIN_DECLS

/* the client tokens the proxies reconnect with */
#define IOT_REALWORLD_CLIENT_TOKEN_SOURCE "realworld-source-0123456789abcdef0123"
#define IOT_REALWORLD_CLIENT_TOKEN_DESTINATION "realworld-destination-0123456789abcdef"

/* how long a proxy may take to notice, retry or exit */
#define IOT_REALWORLD_TIMEOUT_MS 20000

/* a service tunnel, an app the destination reaches, and the tunnel's proxies */
typedef struct {
	IotTestTunnel tunnel;
	GSocket *app_listener;
	guint16 app_port;
} IotRealworldFixture;

void
iot_realworld_init(void);
void
iot_realworld_fixture_setup(IotRealworldFixture *fx, const gchar *open_body);
void
iot_realworld_fixture_teardown(IotRealworldFixture *fx);

/* one connection through the tunnel: the test's client and the app's side of it */
typedef struct {
	IotTestTraffic client;
	IotTestTraffic app;
} IotRealworldPair;

void
iot_realworld_pair_start(IotRealworldPair *pair,
			 GSocket *client,
			 GSocket *app,
			 gsize bytes,
			 guint32 seed);
void
iot_realworld_pair_check(IotRealworldPair *pair);
void
iot_realworld_exchange(IotRealworldFixture *fx, const gchar *source_address, gsize bytes);

gchar *
iot_realworld_profile(IotRealworldFixture *fx,
		      const gchar *mode,
		      const gchar *endpoint,
		      const gchar *client_token,
		      const gchar *transport_extra,
		      const gchar *reconnect);
gchar *
iot_realworld_source_address(IotTestProcess *source);
void
iot_realworld_wait_line(IotTestProcess *process, const gchar *regex, guint timeout_ms);
gint
iot_realworld_wait_exit(IotTestProcess *process, guint timeout_ms);
void
iot_realworld_assert_no_secret(IotRealworldFixture *fx, IotTestProcess *process);

G_END_DECLS
