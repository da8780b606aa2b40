/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <iotunnel.h>

#include "iot-test-app.h"
#include "iot-test-session.h"
#include "iot-test-wait.h"

G_BEGIN_DECLS

/* adds the test @func of an #IotCodecFixture that @setup sets up */
#define IOT_CODEC_TEST_ADD(path, setup, func)                                                      \
	g_test_add(path, IotCodecFixture, NULL, setup, func, iot_codec_fixture_teardown_func)

/* one codec under test with its session */
typedef struct {
	IotTestSession *session;
	IotCodec *codec;
} IotCodecFixture;

void
iot_test_init(int *argc, char ***argv);
void
iot_test_expect_log(const gchar *domain, GLogLevelFlags level, const gchar *pattern);
void
iot_test_assert_expected_logs(void);
void
iot_test_settle(void);

void
iot_test_tcp_pair(GSocketConnection **local, GSocketConnection **remote);

void
iot_codec_fixture_setup(IotCodecFixture *fixture,
			IotCodec *codec,
			IotTunnelMode mode,
			const gchar *const *service_ids,
			const gchar *subprotocol);
void
iot_codec_fixture_teardown(IotCodecFixture *fixture);
void
iot_codec_fixture_setup_announced(IotCodecFixture *fixture,
				  IotCodec *codec,
				  IotTunnelMode mode,
				  const gchar *const *service_ids,
				  const gchar *subprotocol);
void
iot_codec_fixture_teardown_func(IotCodecFixture *fixture, gconstpointer user_data);
void
iot_test_assert_subprotocol(IotCodec *codec, const gchar *subprotocol);
void
iot_test_assert_start_fails(IotCodec *codec,
			    const gchar *const *service_ids,
			    const gchar *subprotocol);
void
iot_test_receive_two_streams(IotCodecFixture *fixture,
			     guint32 connection_id,
			     IotTestApp **ssh,
			     IotTestApp **http);

IotTestApp *
iot_test_accept(IotCodecFixture *fixture, const gchar *service_id);
IotTestApp *
iot_test_get_app(IotCodecFixture *fixture, guint index);
IotConnection *
iot_test_get_small_connection(IotCodecFixture *fixture, guint index);
void
iot_test_receive(IotCodecFixture *fixture,
		 IotMessageType type,
		 gint32 stream_id,
		 const gchar *service_id,
		 guint32 connection_id);
void
iot_test_receive_data(IotCodecFixture *fixture,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id,
		      const gchar *text);
void
iot_test_receive_service_ids(IotCodecFixture *fixture, const gchar *const *service_ids);
void
iot_test_receive_message(IotCodecFixture *fixture, const IotMessage *msg);
void
iot_test_receive_fails(IotCodecFixture *fixture, const IotMessage *msg);
void
iot_test_receive_fails_full(IotCodecFixture *fixture,
			    IotMessageType type,
			    gint32 stream_id,
			    const gchar *service_id,
			    guint32 connection_id);

guint
iot_test_get_n_sent(IotCodecFixture *fixture);
const IotMessage *
iot_test_wait_sent(IotCodecFixture *fixture, guint index);
guint
iot_test_wait_sent_type(IotCodecFixture *fixture, guint from, IotMessageType type);
void
iot_test_assert_sent(IotCodecFixture *fixture,
		     guint index,
		     IotMessageType type,
		     gint32 stream_id,
		     const gchar *service_id,
		     guint32 connection_id);
GByteArray *
iot_test_collect_data(IotCodecFixture *fixture,
		      gint32 stream_id,
		      const gchar *service_id,
		      guint32 connection_id);
gsize
iot_test_get_data_length(IotCodecFixture *fixture,
			 gint32 stream_id,
			 const gchar *service_id,
			 guint32 connection_id);
void
iot_test_wait_data(IotCodecFixture *fixture,
		   gint32 stream_id,
		   const gchar *service_id,
		   guint32 connection_id,
		   const gchar *text);
void
iot_test_wait_received(IotTestApp *app, const gchar *text);

G_END_DECLS
