/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* the reference's verbosity: 0 off, 1 fatal, 2 error, 3 warn, 4 info, 5 debug, 6 trace */
#define IOT_LOG_VERBOSITY_DEFAULT 4
#define IOT_LOG_VERBOSITY_MAX 6

void
iot_log_setup(guint verbosity);

G_END_DECLS
