/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GTlsCertificateFlags
iot_websocket_system_trust_verify(GTlsCertificate *peer_certificate);

G_END_DECLS
