/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "iot-realworld-common.h"

G_BEGIN_DECLS

/* the access key the service is given; the region is not the default, to show it is checked */
#define IOT_AWSAPI_ACCESS_KEY_ID "AKIDIOTUNNELTEST0001"
#define IOT_AWSAPI_SECRET "iotunnel/Test+Secret/0123456789abcdefghijk"
#define IOT_AWSAPI_WRONG_SECRET "iotunnel/Wrong+Secret/0123456789abcdefghij"
#define IOT_AWSAPI_REGION "eu-west-3"
#define IOT_AWSAPI_ACCOUNT "210987654321"

/*
 * A real iotunnel-service with --credentials, the files a real AWS client is
 * pointed at (right, wrong secret, unknown key), an app the destination
 * reaches, and the tunnel's proxies.
 */
typedef struct {
	IotRealworldFixture rw;
	gchar *dir;
	gchar *credentials_file;  /* the service's and the right client's */
	gchar *wrong_secret_file; /* the right key ID with another secret */
	gchar *unknown_key_file;  /* a key ID the service does not know */
	gchar *config_file;	  /* AWS_CONFIG_FILE */
	gchar *endpoint_url;	  /* https://127.0.0.1:PORT */
	const gchar *service_args[7];
	GPtrArray *secrets; /* every access token the test saw */
} IotAwsapiFixture;

void
iot_awsapi_fixture_setup(IotAwsapiFixture *fx, gconstpointer data);
void
iot_awsapi_fixture_teardown(IotAwsapiFixture *fx, gconstpointer data);
void
iot_awsapi_set_tokens(IotAwsapiFixture *fx,
		      const gchar *tunnel_id,
		      const gchar *source_token,
		      const gchar *destination_token);
void
iot_awsapi_start_proxies(IotAwsapiFixture *fx);
void
iot_awsapi_exchange(IotAwsapiFixture *fx, gsize bytes);
JsonObject *
iot_awsapi_parse_object(const gchar *text);
void
iot_awsapi_assert_no_secret(IotAwsapiFixture *fx, IotTestProcess *process);

G_END_DECLS
