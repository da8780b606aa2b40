/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * What every target defines: libFuzzer calls them, and so does
 * iot-fuzz-replay.c, which runs the committed inputs in a build without clang.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

void
iot_fuzz_init(GLogLevelFlags fatal);
gchar *
iot_fuzz_strndup(const guint8 *data, gsize size);

G_END_DECLS
