/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* the largest request body the service reads, on any path */
#define IOT_SERVICE_HTTP_MAX_BODY (64 * 1024)

void
iot_service_http_watch(SoupServer *soup);
guint
iot_service_http_check_framing(SoupMessageHeaders *headers, guint64 max_body, const gchar **reason);

G_END_DECLS
