/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-handshake.h"

/*
 * The checks of PROTOCOL.md section 1 on a /tunnel upgrade request that
 * need no tunnel: its mode, its subprotocol and its tokens. They read only
 * the query and the headers, so the fuzz target can give them any.
 */

G_DEFINE_QUARK(iot-service-handshake-error-quark, iot_service_handshake_error);

/* the one value of local-proxy-mode in @query, or NULL when absent or repeated */
static gchar *
iot_service_handshake_get_mode(const gchar *query)
{
	g_auto(GStrv) params = NULL;
	g_autofree gchar *value = NULL;
	guint count = 0;

	if (query == NULL)
		return NULL;
	params = g_strsplit(query, "&", -1);
	for (guint i = 0; params[i] != NULL; i++) {
		if (!g_str_has_prefix(params[i], "local-proxy-mode="))
			continue;
		count++;
		g_free(value);
		value = g_uri_unescape_string(params[i] + strlen("local-proxy-mode="), NULL);
	}
	if (count != 1)
		return NULL;
	return g_steal_pointer(&value);
}

/* the subprotocol to answer: the newest offered */
static const gchar *
iot_service_handshake_choose_subprotocol(SoupMessageHeaders *headers)
{
	const gchar *offered = soup_message_headers_get_list(headers, "Sec-WebSocket-Protocol");
	const gchar *supported[] = {IOT_SUBPROTOCOL_V3, IOT_SUBPROTOCOL_V2, IOT_SUBPROTOCOL_V1};
	g_auto(GStrv) names = NULL;

	if (offered == NULL)
		return NULL;
	names = g_strsplit(offered, ",", -1);
	for (guint i = 0; names[i] != NULL; i++)
		g_strstrip(names[i]);
	for (guint i = 0; i < G_N_ELEMENTS(supported); i++) {
		if (g_strv_contains((const gchar *const *)names, supported[i]))
			return supported[i];
	}
	return NULL;
}

typedef struct {
	IotServiceHandshake *handshake;
	guint tokens;
	guint client_tokens;
} IotServiceHandshakeCount;

static void
iot_service_handshake_add_credential(const char *name, const char *value, gpointer user_data)
{
	IotServiceHandshakeCount *count = user_data;
	IotServiceHandshake *handshake = count->handshake;

	if (g_ascii_strcasecmp(name, "access-token") == 0) {
		count->tokens++;
		g_free(handshake->token);
		handshake->token = g_strdup(value);
	} else if (g_ascii_strcasecmp(name, "client-token") == 0) {
		count->client_tokens++;
		g_free(handshake->client_token);
		handshake->client_token = g_strdup(value);
	} else if (g_ascii_strcasecmp(name, "Cookie") == 0) {
		g_auto(GStrv) cookies = g_strsplit(value, ";", -1);
		for (guint i = 0; cookies[i] != NULL; i++) {
			const gchar *cookie = g_strstrip(cookies[i]);
			if (!g_str_has_prefix(cookie, "awsiot-tunnel-token="))
				continue;
			count->tokens++;
			g_free(handshake->token);
			handshake->token = g_strdup(cookie + strlen("awsiot-tunnel-token="));
		}
	}
}

/* 32 to 128 of [A-Za-z0-9-] (PROTOCOL.md section 1) */
static gboolean
iot_service_handshake_client_token_is_valid(const gchar *client_token)
{
	gsize len = strlen(client_token);
	if (len < 32 || len > 128)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isalnum(client_token[i]) && client_token[i] != '-')
			return FALSE;
	}
	return TRUE;
}

/**
 * iot_service_handshake_read:
 * @headers: the request's headers
 * @query: (nullable): the query of its URI
 * @handshake: (out caller-allocates): what it asks for, when it is valid
 * @error: (nullable): return location for an error in %IOT_SERVICE_HANDSHAKE_ERROR
 *
 * Reads the mode (`local-proxy-mode`, once), the newest subprotocol
 * offered, one access token (header or cookie) and at most one client
 * token, of 32 to 128 of A-Z, a-z, 0-9 and -. Error messages never hold a
 * token.
 *
 * Returns: %TRUE when the request is well formed
 */
gboolean
iot_service_handshake_read(SoupMessageHeaders *headers,
			   const gchar *query,
			   IotServiceHandshake *handshake,
			   GError **error)
{
	g_autofree gchar *mode_name = iot_service_handshake_get_mode(query);
	IotServiceHandshakeCount count = {.handshake = handshake};

	memset(handshake, 0, sizeof(*handshake));
	if (g_strcmp0(mode_name, "source") == 0) {
		handshake->mode = IOT_TUNNEL_MODE_SOURCE;
	} else if (g_strcmp0(mode_name, "destination") == 0) {
		handshake->mode = IOT_TUNNEL_MODE_DESTINATION;
	} else {
		g_set_error_literal(
		    error,
		    IOT_SERVICE_HANDSHAKE_ERROR,
		    IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
		    "local-proxy-mode must be given once, as source or destination");
		return FALSE;
	}
	handshake->subprotocol = iot_service_handshake_choose_subprotocol(headers);
	if (handshake->subprotocol == NULL) {
		g_set_error_literal(error,
				    IOT_SERVICE_HANDSHAKE_ERROR,
				    IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
				    "Sec-WebSocket-Protocol must offer " IOT_SUBPROTOCOLS_TEXT);
		return FALSE;
	}
	soup_message_headers_foreach(headers, iot_service_handshake_add_credential, &count);
	if (count.tokens == 0) {
		g_set_error_literal(error,
				    IOT_SERVICE_HANDSHAKE_ERROR,
				    IOT_SERVICE_HANDSHAKE_ERROR_NO_TOKEN,
				    "no access token");
	} else if (count.tokens > 1) {
		g_set_error_literal(error,
				    IOT_SERVICE_HANDSHAKE_ERROR,
				    IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
				    "more than one access token (header or cookie)");
	} else if (count.client_tokens > 1) {
		g_set_error_literal(error,
				    IOT_SERVICE_HANDSHAKE_ERROR,
				    IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
				    "more than one client token");
	} else if (handshake->client_token != NULL &&
		   !iot_service_handshake_client_token_is_valid(handshake->client_token)) {
		g_set_error_literal(error,
				    IOT_SERVICE_HANDSHAKE_ERROR,
				    IOT_SERVICE_HANDSHAKE_ERROR_INVALID,
				    "the client token is not 32 to 128 of A-Z, a-z, 0-9 and -");
	} else {
		return TRUE;
	}
	iot_service_handshake_clear(handshake);
	return FALSE;
}

/* the status that answers @error of iot_service_handshake_read() */
guint
iot_service_handshake_error_status(const GError *error)
{
	if (g_error_matches(error,
			    IOT_SERVICE_HANDSHAKE_ERROR,
			    IOT_SERVICE_HANDSHAKE_ERROR_NO_TOKEN))
		return SOUP_STATUS_UNAUTHORIZED;
	return SOUP_STATUS_BAD_REQUEST;
}

/* frees what @handshake holds; the tokens are wiped first */
void
iot_service_handshake_clear(IotServiceHandshake *handshake)
{
	if (handshake->token != NULL)
		memset(handshake->token, 0, strlen(handshake->token));
	g_clear_pointer(&handshake->token, g_free);
	g_clear_pointer(&handshake->client_token, g_free);
}
