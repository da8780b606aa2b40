/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "iot-test-process.h"
#include "iot-test-traffic.h"

G_BEGIN_DECLS

/*
 * A real iotunnel-service on loopback with TLS, one tunnel opened through its
 * API, and real iotunneld proxies pointed at it.
 */
typedef struct {
	const gchar *address; /* where the service listens; NULL for 127.0.0.1 */
	gchar *tmpdir;
	gchar *state_dir;
	gchar *admin_token_file;
	IotTestProcess *service;
	guint16 port;
	gchar *endpoint; /* 127.0.0.1:PORT, or [::1]:PORT */
	gchar *ca_file;
	gchar *ca_dir; /* the CA in OpenSSL's hashed layout */
	gchar *admin_token;
	gchar *tunnel_id;
	gchar *source_token;
	gchar *destination_token;
	IotTestProcess *source;
	IotTestProcess *destination;
	const gchar *const *service_args; /* more iotunnel-service options, set before it starts */
} IotTestTunnel;

gboolean
iot_test_tunnel_start_service(IotTestTunnel *self, GError **error);
gboolean
iot_test_tunnel_stop_service(IotTestTunnel *self, gint signum, GError **error);
gboolean
iot_test_tunnel_resume_service(IotTestTunnel *self, GError **error);
gboolean
iot_test_tunnel_open(IotTestTunnel *self,
		     const gchar *const *services,
		     guint lifetime_s,
		     GError **error);
gboolean
iot_test_tunnel_api(IotTestTunnel *self,
		    const gchar *method,
		    const gchar *path,
		    const gchar *body,
		    guint *status,
		    gchar **response,
		    GError **error);
IotTestProcess *
iot_test_tunnel_spawn_proxy(IotTestTunnel *self,
			    const gchar *mode,
			    const gchar *const *args,
			    GError **error);
IotTestProcess *
iot_test_tunnel_spawn_profile(IotTestTunnel *self,
			      const gchar *mode,
			      const gchar *profile_json,
			      GError **error);
IotTestProcess *
iot_test_tunnel_spawn_proxy_full(IotTestTunnel *self,
				 const gchar *mode,
				 const gchar *const *args,
				 const gchar *const *env_extra,
				 gboolean wait_connected,
				 GError **error);
IotTestProcess *
iot_test_tunnel_spawn_profile_full(IotTestTunnel *self,
				   const gchar *mode,
				   const gchar *profile_json,
				   const gchar *const *env_extra,
				   gboolean wait_connected,
				   GError **error);
gchar *
iot_test_tunnel_listen_address(IotTestProcess *proxy, const gchar *service_id, GError **error);
gchar *
iot_test_tunnel_write_file(IotTestTunnel *self, const gchar *name, const gchar *contents);
void
iot_test_tunnel_clear(IotTestTunnel *self);

G_END_DECLS
