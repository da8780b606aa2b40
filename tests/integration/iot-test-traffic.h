/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Test traffic over a real socket: one thread sends pseudo-random bytes from
 * a seed, another reads what arrives; both hash what they moved with SHA-256,
 * so two ends of a tunnel can be compared byte for byte.
 */
typedef struct {
	gsize to_send;
	guint32 seed;
	gsize to_receive;    /* read until this many bytes, or end of stream */
	guint read_delay_us; /* sleep between reads, to play a slow reader */
	guint io_timeout_s;  /* a send or recv idle this long ends the traffic; 0: 60 s */
	gsize write_size;    /* bytes per send(); 0: 64 KiB */
	/* results */
	gsize sent;	/* while the threads run: iot_test_traffic_get_sent() */
	gsize received; /* while the threads run: iot_test_traffic_get_received() */
	gchar *sent_sha256;
	gchar *received_sha256;
	GError *error;
	gint reset_seen; /* send or recv failed with ECONNRESET (atomic) */
	GThread *writer;
	GThread *reader;
	GSocket *socket;
} IotTestTraffic;

void
iot_test_traffic_start(IotTestTraffic *traffic, GSocket *socket);
void
iot_test_traffic_join(IotTestTraffic *traffic);
gsize
iot_test_traffic_get_sent(IotTestTraffic *traffic);
gsize
iot_test_traffic_get_received(IotTestTraffic *traffic);
void
iot_test_traffic_clear(IotTestTraffic *traffic);
gchar *
iot_test_traffic_expected_sha256(guint32 seed, gsize size);

/*
 * An echo app on a real socket: a thread sends back whatever it reads,
 * until the peer closes or the test stops it, and counts both.
 */
typedef struct {
	gsize received;
	gsize sent;
	gint done; /* the thread has ended (atomic) */
	GThread *thread;
	GSocket *socket;
} IotTestEcho;

void
iot_test_echo_start(IotTestEcho *echo, GSocket *socket);
gboolean
iot_test_echo_stop(IotTestEcho *echo, guint timeout_ms);

GSocket *
iot_test_connect_tcp(const gchar *host_and_port, GError **error);
GSocket *
iot_test_listen_tcp(guint16 *port, GError **error);
GSocket *
iot_test_accept(GSocket *listener, guint timeout_s, GError **error);

G_END_DECLS
