/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

G_BEGIN_DECLS

#define IOT_TYPE_WEBSOCKET_TRANSPORT (iot_websocket_transport_get_type())
G_DECLARE_FINAL_TYPE(IotWebsocketTransport,
		     iot_websocket_transport,
		     IOT,
		     WEBSOCKET_TRANSPORT,
		     GObject)

/* the JSON schema of the profile's `transport` object */
#define IOT_WEBSOCKET_TRANSPORT_SETTINGS_SCHEMA                                                    \
	"{"                                                                                        \
	"\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","                            \
	"\"title\":\"websocket transport\","                                                       \
	"\"type\":\"object\","                                                                     \
	"\"additionalProperties\":false,"                                                          \
	"\"properties\":{"                                                                         \
	"\"type\":{\"const\":\"websocket\"},"                                                      \
	"\"ca_path\":{\"type\":\"string\",\"description\":\"a directory whose certificate files, " \
	"or a file whose certificates, are trusted besides the system store, for the service and " \
	"an https:// web proxy\"},"                                                                \
	"\"proxy_ca_path\":{\"type\":\"string\",\"description\":\"the same, for an https:// web "  \
	"proxy only\"},"                                                                           \
	"\"insecure\":{\"type\":\"boolean\",\"default\":false,\"description\":\"accept any "       \
	"certificate, of the service and of an https:// web proxy: for tests only\"},"             \
	"\"proxy\":{\"type\":\"string\",\"default\":\"env\",\"description\":\"env (HTTPS_PROXY "   \
	"and NO_PROXY), none, or http[s]://[user:password@]host:port\"},"                          \
	"\"ping_ms\":{\"type\":\"integer\",\"default\":20000,\"description\":\"ping period; 0 "    \
	"sends no pings\",\"anyOf\":[{\"const\":0},{\"minimum\":10,\"maximum\":86400000}]},"       \
	"\"connect_timeout_ms\":{\"type\":\"integer\",\"default\":30000,\"minimum\":1,"            \
	"\"maximum\":3600000,\"description\":\"limit for TCP, proxy, TLS and handshake "           \
	"together\"}"                                                                              \
	"}"                                                                                        \
	"}"

IotWebsocketTransport *
iot_websocket_transport_new(void);

G_END_DECLS
