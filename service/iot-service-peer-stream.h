/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * IotServicePeerVerdict:
 * @IOT_SERVICE_PEER_VERDICT_TAKE: take the frame: a data frame's payload
 *   goes into the message, a control frame goes to libsoup
 * @IOT_SERVICE_PEER_VERDICT_DISCARD: skip a data frame's payload (a control
 *   frame still goes to libsoup)
 * @IOT_SERVICE_PEER_VERDICT_REFUSE: stop reading before the frame, for good
 */
typedef enum {
	IOT_SERVICE_PEER_VERDICT_TAKE,
	IOT_SERVICE_PEER_VERDICT_DISCARD,
	IOT_SERVICE_PEER_VERDICT_REFUSE,
} IotServicePeerVerdict;

/**
 * IotServicePeerStreamFuncs:
 * @frame: a frame header was read
 * @broken: a frame header breaks RFC 6455; reading stops for good
 * @message: a whole data message, unmasked
 */
typedef struct {
	IotServicePeerVerdict (*frame)(const IotWebsocketFrameScan *scan, gpointer user_data);
	void (*broken)(const GError *error, gpointer user_data);
	void (*message)(guint8 opcode, GBytes *payload, gpointer user_data);
} IotServicePeerStreamFuncs;

#define IOT_TYPE_SERVICE_PEER_STREAM (iot_service_peer_stream_get_type())
G_DECLARE_FINAL_TYPE(IotServicePeerStream,
		     iot_service_peer_stream,
		     IOT,
		     SERVICE_PEER_STREAM,
		     GIOStream)

IotServicePeerStream *
iot_service_peer_stream_new(GIOStream *base,
			    const IotServicePeerStreamFuncs *funcs,
			    gpointer user_data);
void
iot_service_peer_stream_set_read_paused(IotServicePeerStream *self, gboolean paused);
IotPausableIOStream *
iot_service_peer_stream_get_counted(IotServicePeerStream *self);
guint64
iot_service_peer_stream_get_bytes_written(IotServicePeerStream *self);
void
iot_service_peer_stream_read_to_end(IotServicePeerStream *self);
void
iot_service_peer_stream_detach(IotServicePeerStream *self);

G_END_DECLS
