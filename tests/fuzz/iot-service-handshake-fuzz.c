/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-fuzz.h"
#include "iot-service-handshake.h"
#include "iot-service-http.h"

/*
 * libFuzzer target for what iotunnel-service checks in a /tunnel upgrade
 * request before it looks its token up: the input is the request as sent,
 * read by libsoup's header parser as the service's SoupServer does, then
 * the body framing check (service/iot-service-http.c) and the handshake
 * checks (service/iot-service-handshake.c) run on its headers.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	iot_fuzz_init(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
	return 0;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(SoupMessageHeaders) headers =
	    soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_auto(IotServiceHandshake) handshake = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *method = NULL;
	g_autofree gchar *path = NULL;
	const gchar *reason = NULL;
	const gchar *query;
	guint status;

	/* libsoup's parser wants the blank line that ends the headers */
	if (size < 4 || memcmp(data + size - 4, "\r\n\r\n", 4) != 0)
		return -1;
	status = soup_headers_parse_request((const char *)data,
					    (int)size,
					    headers,
					    &method,
					    &path,
					    NULL);
	if (!SOUP_STATUS_IS_SUCCESSFUL(status))
		return 0;
	status = iot_service_http_check_framing(headers, 0, &reason);
	if (status != 0) {
		g_assert_cmpuint(status, >=, 400);
		g_assert_nonnull(reason);
	}
	query = strchr(path, '?');
	if (!iot_service_handshake_read(headers,
					query != NULL ? query + 1 : NULL,
					&handshake,
					&error)) {
		g_assert_true(error->domain == IOT_SERVICE_HANDSHAKE_ERROR);
		g_assert_cmpuint(iot_service_handshake_error_status(error), >=, 400);
		g_assert_null(handshake.token);
		g_assert_null(handshake.client_token);
		return 0;
	}
	g_assert_no_error(error);
	g_assert_nonnull(handshake.token);
	g_assert_nonnull(handshake.subprotocol);
	g_assert_cmpuint(iot_message_validator_get_version(handshake.subprotocol), >=, 1);
	g_assert_true(handshake.mode == IOT_TUNNEL_MODE_SOURCE ||
		      handshake.mode == IOT_TUNNEL_MODE_DESTINATION);
	return 0;
}
