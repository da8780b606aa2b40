/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-common.h"

#include <iotunnel.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

G_DEFINE_QUARK(iot-service-error-quark, iot_service_error);

/**
 * iot_service_log_writer:
 * @level: the log level
 * @fields: the fields of the line
 * @n_fields: how many
 * @user_data: unused
 *
 * GLib's default writer, with each message first made one printable line of
 * at most %IOT_SERVICE_MAX_LOG_MESSAGE bytes: whatever a peer managed to put
 * in it, a line of the log can be neither forged nor flooded.
 *
 * Returns: what the default writer returns
 */
GLogWriterOutput
iot_service_log_writer(GLogLevelFlags level,
		       const GLogField *fields,
		       gsize n_fields,
		       gpointer user_data)
{
	g_autofree GLogField *copy = g_memdup2(fields, n_fields * sizeof(GLogField));
	g_autoptr(GString) message = g_string_new(NULL);

	for (gsize i = 0; i < n_fields; i++) {
		g_autofree gchar *text = NULL;

		if (g_strcmp0(fields[i].key, "MESSAGE") != 0 || fields[i].value == NULL)
			continue;
		text = fields[i].length < 0 ? g_strdup(fields[i].value)
					    : g_strndup(fields[i].value, fields[i].length);
		if (!iot_log_escape(message, text, IOT_SERVICE_MAX_LOG_MESSAGE, FALSE))
			g_string_append(message, "...");
		copy[i].value = message->str;
		copy[i].length = -1;
		break;
	}
	return g_log_writer_default(level, copy, n_fields, user_data);
}

/**
 * iot_service_log:
 * @level: the log level
 * @tunnel_id: (nullable): the tunnel the line is about
 * @channel_id: (nullable): the WebSocket (its `channel-id`) the line is about
 * @file: the source file
 * @line: the source line, as a string
 * @func: the function
 * @format: printf-style format of the message
 *
 * Logs one structured line with `IOTUNNEL_TUNNEL` and `IOTUNNEL_CHANNEL_ID`
 * fields; the message text names both as well, for the plain stderr writer.
 * Callers never pass a token.
 */
void
iot_service_log(GLogLevelFlags level,
		const gchar *tunnel_id,
		const gchar *channel_id,
		const gchar *file,
		const gchar *line,
		const gchar *func,
		const gchar *format,
		...)
{
	va_list args;
	g_autofree gchar *text = NULL;
	g_autofree gchar *message = NULL;
	GLogField fields[8];
	gsize n_fields = 0;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);

	if (tunnel_id != NULL && channel_id != NULL)
		message = g_strdup_printf("tunnel %s channel %s: %s", tunnel_id, channel_id, text);
	else if (tunnel_id != NULL)
		message = g_strdup_printf("tunnel %s: %s", tunnel_id, text);
	else
		message = g_steal_pointer(&text);

	fields[n_fields++] = (GLogField){"GLIB_DOMAIN", G_LOG_DOMAIN, -1};
	fields[n_fields++] = (GLogField){"MESSAGE", message, -1};
	fields[n_fields++] = (GLogField){"CODE_FILE", file, -1};
	fields[n_fields++] = (GLogField){"CODE_LINE", line, -1};
	fields[n_fields++] = (GLogField){"CODE_FUNC", func, -1};
	if (tunnel_id != NULL)
		fields[n_fields++] = (GLogField){"IOTUNNEL_TUNNEL", tunnel_id, -1};
	if (channel_id != NULL)
		fields[n_fields++] = (GLogField){"IOTUNNEL_CHANNEL_ID", channel_id, -1};
	g_log_structured_array(level, fields, n_fields);
}

/**
 * iot_service_random_bytes:
 * @buffer: where to write
 * @len: how many bytes
 * @error: (nullable): return location for an error in %IOT_SERVICE_ERROR
 *
 * Fills @buffer from GnuTLS's cryptographically secure generator.
 *
 * Returns: %TRUE on success
 */
gboolean
iot_service_random_bytes(guint8 *buffer, gsize len, GError **error)
{
	int rc = gnutls_rnd(GNUTLS_RND_KEY, buffer, len);
	if (rc < 0) {
		g_set_error(error,
			    IOT_SERVICE_ERROR,
			    IOT_SERVICE_ERROR_RANDOM,
			    "failed to generate random bytes: %s",
			    gnutls_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

/**
 * iot_service_random_token:
 * @error: (nullable): return location for an error in %IOT_SERVICE_ERROR
 *
 * Returns: (transfer full): a new secret of 48 random bytes, base64url
 *   without padding (64 characters), or %NULL with @error set
 */
gchar *
iot_service_random_token(GError **error)
{
	guint8 bytes[48];
	g_autofree gchar *token = NULL;

	if (!iot_service_random_bytes(bytes, sizeof(bytes), error))
		return NULL;
	token = g_base64_encode(bytes, sizeof(bytes));
	for (gchar *p = token; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return g_steal_pointer(&token);
}

/**
 * iot_service_random_uuid:
 * @error: (nullable): return location for an error in %IOT_SERVICE_ERROR
 *
 * Returns: (transfer full): a random (version 4) UUID, or %NULL with @error set
 */
gchar *
iot_service_random_uuid(GError **error)
{
	guint8 b[16];

	if (!iot_service_random_bytes(b, sizeof(b), error))
		return NULL;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			       "%02x%02x%02x%02x%02x%02x",
			       b[0],
			       b[1],
			       b[2],
			       b[3],
			       b[4],
			       b[5],
			       b[6],
			       b[7],
			       b[8],
			       b[9],
			       b[10],
			       b[11],
			       b[12],
			       b[13],
			       b[14],
			       b[15]);
}

/**
 * iot_service_random_hex:
 * @bytes: how many random bytes, at most 32
 * @error: (nullable): return location for an error in %IOT_SERVICE_ERROR
 *
 * Returns: (transfer full): @bytes random bytes in lower-case hex, or %NULL
 *   with @error set
 */
gchar *
iot_service_random_hex(gsize bytes, GError **error)
{
	guint8 b[32];
	GString *str;

	g_return_val_if_fail(bytes <= sizeof(b), NULL);
	if (!iot_service_random_bytes(b, bytes, error))
		return NULL;
	str = g_string_sized_new(bytes * 2);
	for (gsize i = 0; i < bytes; i++)
		g_string_append_printf(str, "%02x", b[i]);
	return g_string_free(str, FALSE);
}

/* the SHA-256 of @secret into @digest */
static void
iot_service_secret_hash(const gchar *secret, guint8 digest[32])
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = 32;
	g_checksum_update(checksum, (const guchar *)secret, -1);
	g_checksum_get_digest(checksum, digest, &len);
}

/**
 * iot_service_secret_equal:
 * @a: a secret
 * @b: a secret
 *
 * Compares two secrets in constant time: both are hashed, and the digests are
 * compared without an early exit, so neither the length nor the first
 * differing byte shows in the timing.
 *
 * Returns: %TRUE when @a and @b are the same string
 */
gboolean
iot_service_secret_equal(const gchar *a, const gchar *b)
{
	guint8 da[32];
	guint8 db[32];
	guint8 diff = 0;

	iot_service_secret_hash(a, da);
	iot_service_secret_hash(b, db);
	for (gsize i = 0; i < sizeof(da); i++)
		diff |= da[i] ^ db[i];
	return diff == 0;
}

/**
 * iot_service_secret_digest:
 * @secret: a secret
 *
 * Returns: (transfer full): the SHA-256 of @secret in hex, to index secrets by
 *   without keeping a table keyed by the secret itself
 */
gchar *
iot_service_secret_digest(const gchar *secret)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, secret, -1);
}
