/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "iot-test-wait.h"

G_BEGIN_DECLS

/*
 * A program under test in its own process: its stdout and stderr lines are
 * collected by threads so a test can wait for a line with a deadline.
 */
#define IOT_TYPE_TEST_PROCESS (iot_test_process_get_type())
G_DECLARE_FINAL_TYPE(IotTestProcess, iot_test_process, IOT, TEST_PROCESS, GObject)

void
iot_test_process_child_setup(gpointer user_data);
IotTestProcess *
iot_test_process_spawn(const gchar *const *argv, const gchar *const *env_extra, GError **error);
gchar *
iot_test_process_wait_line(IotTestProcess *self,
			   const gchar *regex,
			   guint timeout_ms,
			   GError **error);
gboolean
iot_test_process_wait_lines(IotTestProcess *self,
			    const gchar *regex,
			    guint count,
			    guint timeout_ms,
			    GError **error);
guint
iot_test_process_count_lines(IotTestProcess *self, const gchar *regex);
gboolean
iot_test_process_wait_output_end(IotTestProcess *self, guint timeout_ms);
gboolean
iot_test_process_has_line(IotTestProcess *self, const gchar *regex);
gchar *
iot_test_process_get_output(IotTestProcess *self);
gboolean
iot_test_process_wait_exit(IotTestProcess *self, guint timeout_ms, gint *status);
void
iot_test_process_signal(IotTestProcess *self, gint signum);
GPid
iot_test_process_get_pid(IotTestProcess *self);
guint64
iot_test_process_get_rss_kib(IotTestProcess *self, const gchar *field);

G_END_DECLS
