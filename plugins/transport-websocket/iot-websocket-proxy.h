/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gchar *
iot_websocket_proxy_normalize_url(const gchar *value, GError **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean
iot_websocket_proxy_from_environ(const gchar *const *envp,
				 gchar **url,
				 gchar **no_proxy,
				 GError **error) G_GNUC_WARN_UNUSED_RESULT;
GProxyResolver *
iot_websocket_proxy_resolver_new(const gchar *url, const gchar *no_proxy);
gchar *
iot_websocket_proxy_describe(const gchar *url);

G_END_DECLS
