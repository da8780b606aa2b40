/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Plays the tunneling service for the transport tests. Two kinds:
 *
 * IotTestSoupService is a SoupServer with a WebSocket handler at /tunnel, as
 * a well-behaved service; it can refuse the handshake with a status.
 *
 * IotTestRawService speaks HTTP and WebSocket by hand over a socket, to
 * misbehave on purpose: a subprotocol that was not offered, bytes glued to
 * the answer, fragments, silence, not reading, flooding.
 */

typedef struct {
	SoupServer *server;
	guint16 port;
	gchar *url;
	guint refuse_status;
	gchar *channel_id;
	gboolean echo;
	SoupMessageHeaders *request_headers;
	SoupWebsocketConnection *ws;
	GPtrArray *received; /* of GBytes */
	gboolean closed;
	gushort close_code;
} IotTestSoupService;

IotTestSoupService *
iot_test_soup_service_new(GTlsCertificate *certificate, GError **error);
void
iot_test_soup_service_free(IotTestSoupService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotTestSoupService, iot_test_soup_service_free)

typedef struct {
	GSocketService *service;
	guint16 port;
	gchar *url;

	/* how to answer the handshake */
	gchar *answer_protocol; /* NULL: the first one offered */
	gboolean silent;
	GBytes *on_accept;
	GBytes *http_answer; /* instead of switching to WebSocket */
	GBytes *after_answer;

	/* after the handshake */
	gboolean reading;
	gboolean answer_pings;
	gboolean check_data;	 /* unmask data payloads, each message the test pattern */
	GPtrArray *data;	 /* of GBytes, each data message unmasked, when not NULL */
	guint extra_connections; /* connections after the first, closed at once */
	guint data_corrupt;	 /* messages that were not */
	GSocketConnection *connection;
	GSource *read_source;
	GByteArray *in;
	gchar *request; /* the HTTP request, as received */
	gboolean handshake_done;
	guint64 data_received;
	guint data_messages;
	GPtrArray *pings; /* of gchar*, each ping's payload */
	GPtrArray *pongs; /* of gchar*, each pong's payload */
	gint64 first_ping_us;
	gint close_code; /* -1 until the client sends a close */
	gboolean eof;

	/* flooding the client */
	GByteArray *flood_frame;
	gsize flood_offset;
	guint flood_started;
	guint flood_max;
	gboolean flood_blocked;
	gboolean flood_keep_going; /* waits for the client rather than stopping when blocked */
	GSource *write_source;
} IotTestRawService;

IotTestRawService *
iot_test_raw_service_new(GSocketFamily family, GError **error);
void
iot_test_raw_service_free(IotTestRawService *service);
void
iot_test_raw_service_set_reading(IotTestRawService *service, gboolean reading);
void
iot_test_raw_service_write(IotTestRawService *service, GBytes *bytes);
void
iot_test_raw_service_flood(IotTestRawService *service, gsize payload_len, guint max_frames);
void
iot_test_raw_service_flood_bytes(IotTestRawService *service, GBytes *frame, guint max_frames);
void
iot_test_raw_service_drop(IotTestRawService *service);
GBytes *
iot_test_server_frame(guint8 first_byte, gsize payload_len);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IotTestRawService, iot_test_raw_service_free)

G_END_DECLS
