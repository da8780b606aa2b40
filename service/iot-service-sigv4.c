/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-sigv4.h"

#include "iot-service-common.h"

/*
 * AWS Signature Version 4, as the public signing process describes it, from
 * the verifier's side. A client signs
 *
 *   string to sign = "AWS4-HMAC-SHA256" LF X-Amz-Date LF
 *                    DATE/REGION/SERVICE/aws4_request LF
 *                    hex(SHA-256(canonical request))
 *
 * where the canonical request is the method, the URI-encoded path, the
 * sorted and encoded query, each signed header as `name:value` (lowercase
 * name, trimmed value), the signed header names and the SHA-256 of the body,
 * one per line. The signing key is an HMAC-SHA-256 chain of the secret
 * access key over DATE, REGION, SERVICE and "aws4_request". The service
 * computes the same and compares the signatures in constant time. Nothing
 * here logs a secret, a signature or a header value.
 */

G_DEFINE_QUARK(iot-service-sigv4-error-quark, iot_service_sigv4_error);

void
iot_service_sigv4_authorization_free(IotServiceSigv4Authorization *authorization)
{
	g_free(authorization->access_key_id);
	g_free(authorization->date);
	g_free(authorization->region);
	g_free(authorization->service);
	g_free(authorization->signed_headers);
	g_free(authorization->signature);
	g_free(authorization);
}

static gboolean
iot_service_sigv4_is_lower_hex(const gchar *text, gsize len)
{
	if (strlen(text) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(text[i]) && (text[i] < 'a' || text[i] > 'f'))
			return FALSE;
	}
	return TRUE;
}

/* `name;name;...`: lowercase names with no empty one, and host among them */
static gboolean
iot_service_sigv4_signed_headers_are_valid(const gchar *signed_headers, GError **error)
{
	g_auto(GStrv) names = g_strsplit(signed_headers, ";", -1);
	gboolean has_host = FALSE;

	for (guint i = 0; names[i] != NULL; i++) {
		if (names[i][0] == '\0') {
			g_set_error_literal(error,
					    IOT_SERVICE_SIGV4_ERROR,
					    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
					    "SignedHeaders has an empty header name.");
			return FALSE;
		}
		for (const gchar *p = names[i]; *p != '\0'; p++) {
			if (g_ascii_isupper(*p) || g_ascii_isspace(*p) || *p == ':') {
				g_set_error_literal(
				    error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
				    "SignedHeaders must list lowercase header names.");
				return FALSE;
			}
		}
		if (g_strcmp0(names[i], "host") == 0)
			has_host = TRUE;
	}
	if (!has_host) {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
				    "The Host header must be signed: add host to SignedHeaders.");
		return FALSE;
	}
	return TRUE;
}

/* Credential=AKID/DATE/REGION/SERVICE/aws4_request */
static gboolean
iot_service_sigv4_parse_credential(IotServiceSigv4Authorization *authorization,
				   const gchar *credential,
				   GError **error)
{
	g_auto(GStrv) parts = g_strsplit(credential, "/", -1);

	if (g_strv_length(parts) != 5 || parts[0][0] == '\0' || parts[1][0] == '\0' ||
	    parts[2][0] == '\0' || parts[3][0] == '\0') {
		g_set_error_literal(
		    error,
		    IOT_SERVICE_SIGV4_ERROR,
		    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
		    "Credential must be ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request.");
		return FALSE;
	}
	if (g_strcmp0(parts[4], "aws4_request") != 0) {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_SCOPE,
				    "The credential scope must end with aws4_request.");
		return FALSE;
	}
	authorization->access_key_id = g_strdup(parts[0]);
	authorization->date = g_strdup(parts[1]);
	authorization->region = g_strdup(parts[2]);
	authorization->service = g_strdup(parts[3]);
	return TRUE;
}

/**
 * iot_service_sigv4_authorization_parse:
 * @header: (nullable): the request's Authorization header
 * @error: (nullable): return location for an error in %IOT_SERVICE_SIGV4_ERROR
 *
 * Reads `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`,
 * its three parts in any order, each once.
 *
 * Returns: (transfer full): the parts, or %NULL with @error set:
 *   %IOT_SERVICE_SIGV4_ERROR_MISSING without a header,
 *   %IOT_SERVICE_SIGV4_ERROR_INCOMPLETE or %IOT_SERVICE_SIGV4_ERROR_SCOPE
 *   for one that is malformed
 */
IotServiceSigv4Authorization *
iot_service_sigv4_authorization_parse(const gchar *header, GError **error)
{
	g_autoptr(IotServiceSigv4Authorization) authorization =
	    g_new0(IotServiceSigv4Authorization, 1);
	g_auto(GStrv) parts = NULL;
	const gchar *rest;

	if (header == NULL || header[0] == '\0') {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_MISSING,
				    "Missing Authentication Token: sign the request with AWS "
				    "Signature Version 4.");
		return NULL;
	}
	if (!g_str_has_prefix(header, IOT_SERVICE_SIGV4_ALGORITHM " ")) {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
				    "The Authorization header must use the algorithm "
				    "AWS4-HMAC-SHA256.");
		return NULL;
	}
	rest = header + strlen(IOT_SERVICE_SIGV4_ALGORITHM " ");
	parts = g_strsplit(rest, ",", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		const gchar *part = g_strstrip(parts[i]);
		const gchar *value = strchr(part, '=');
		g_autofree gchar *name = NULL;

		if (part[0] == '\0')
			continue;
		if (value == NULL) {
			g_set_error_literal(
			    error,
			    IOT_SERVICE_SIGV4_ERROR,
			    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
			    "Each part of the Authorization header must be NAME=VALUE.");
			return NULL;
		}
		name = g_strndup(part, value - part);
		value++;
		if (g_strcmp0(name, "Credential") == 0 && authorization->access_key_id == NULL) {
			if (!iot_service_sigv4_parse_credential(authorization, value, error))
				return NULL;
		} else if (g_strcmp0(name, "SignedHeaders") == 0 &&
			   authorization->signed_headers == NULL) {
			if (!iot_service_sigv4_signed_headers_are_valid(value, error))
				return NULL;
			authorization->signed_headers = g_strdup(value);
		} else if (g_strcmp0(name, "Signature") == 0 && authorization->signature == NULL) {
			if (!iot_service_sigv4_is_lower_hex(value, 64)) {
				g_set_error_literal(error,
						    IOT_SERVICE_SIGV4_ERROR,
						    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
						    "Signature must be 64 lowercase hexadecimal "
						    "digits.");
				return NULL;
			}
			authorization->signature = g_strdup(value);
		} else {
			g_set_error(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
				    "The Authorization header has an unknown or repeated part "
				    "\"%s\".",
				    g_utf8_validate(name, -1, NULL) && strlen(name) <= 32 ? name
											  : "?");
			return NULL;
		}
	}
	if (authorization->access_key_id == NULL || authorization->signed_headers == NULL ||
	    authorization->signature == NULL) {
		g_set_error(error,
			    IOT_SERVICE_SIGV4_ERROR,
			    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
			    "The Authorization header lacks %s.",
			    authorization->access_key_id == NULL    ? "Credential"
			    : authorization->signed_headers == NULL ? "SignedHeaders"
								    : "Signature");
		return NULL;
	}
	return g_steal_pointer(&authorization);
}

/* X-Amz-Date, `YYYYMMDDTHHMMSSZ`, as a time */
static GDateTime *
iot_service_sigv4_parse_date(const gchar *text)
{
	gint fields[6] = {0};
	const gint offsets[6] = {0, 4, 6, 9, 11, 13};
	const gint lengths[6] = {4, 2, 2, 2, 2, 2};

	if (text == NULL || strlen(text) != 16 || text[8] != 'T' || text[15] != 'Z')
		return NULL;
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		for (gint j = 0; j < lengths[i]; j++) {
			gchar c = text[offsets[i] + j];
			if (!g_ascii_isdigit(c))
				return NULL;
			fields[i] = fields[i] * 10 + (c - '0');
		}
	}
	return g_date_time_new_utc(fields[0],
				   fields[1],
				   fields[2],
				   fields[3],
				   fields[4],
				   fields[5]);
}

/**
 * iot_service_sigv4_check_scope:
 * @authorization: a parsed Authorization header
 * @headers: the request's headers
 * @region: the region the service answers for
 * @service: the signing name the service answers for
 * @now: the service's time
 * @error: (nullable): return location for an error in %IOT_SERVICE_SIGV4_ERROR
 *
 * Checks what can be checked before the body is read: X-Amz-Date is there
 * and within %IOT_SERVICE_SIGV4_MAX_SKEW of @now, and the credential scope
 * names its date, @region and @service.
 *
 * Returns: %TRUE when the signature is worth verifying
 */
gboolean
iot_service_sigv4_check_scope(const IotServiceSigv4Authorization *authorization,
			      SoupMessageHeaders *headers,
			      const gchar *region,
			      const gchar *service,
			      GDateTime *now,
			      GError **error)
{
	const gchar *amz_date = soup_message_headers_get_one(headers, "X-Amz-Date");
	g_autoptr(GDateTime) date = iot_service_sigv4_parse_date(amz_date);
	GTimeSpan skew;

	if (date == NULL) {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_INCOMPLETE,
				    "The request needs an X-Amz-Date header of the form "
				    "YYYYMMDDTHHMMSSZ.");
		return FALSE;
	}
	if (strncmp(amz_date, authorization->date, 8) != 0 || strlen(authorization->date) != 8) {
		g_set_error_literal(
		    error,
		    IOT_SERVICE_SIGV4_ERROR,
		    IOT_SERVICE_SIGV4_ERROR_SCOPE,
		    "The date in the credential scope is not the date of X-Amz-Date.");
		return FALSE;
	}
	if (g_strcmp0(authorization->region, region) != 0) {
		g_set_error(error,
			    IOT_SERVICE_SIGV4_ERROR,
			    IOT_SERVICE_SIGV4_ERROR_SCOPE,
			    "The credential must be scoped to the region %s.",
			    region);
		return FALSE;
	}
	if (g_strcmp0(authorization->service, service) != 0) {
		g_set_error(error,
			    IOT_SERVICE_SIGV4_ERROR,
			    IOT_SERVICE_SIGV4_ERROR_SCOPE,
			    "The credential must be scoped to the service %s.",
			    service);
		return FALSE;
	}
	skew = g_date_time_difference(now, date);
	if (skew > IOT_SERVICE_SIGV4_MAX_SKEW * G_TIME_SPAN_SECOND ||
	    skew < -IOT_SERVICE_SIGV4_MAX_SKEW * G_TIME_SPAN_SECOND) {
		g_autofree gchar *now_text = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
		g_set_error(error,
			    IOT_SERVICE_SIGV4_ERROR,
			    IOT_SERVICE_SIGV4_ERROR_EXPIRED,
			    "Signature %s: the request is dated %s and it is now %s; requests "
			    "are taken 5 minutes either side.",
			    skew > 0 ? "expired" : "not yet current",
			    amz_date,
			    now_text);
		return FALSE;
	}
	return TRUE;
}

/* RFC 3986 percent-encoding of all but the unreserved characters (and / when @keep_slash) */
static void
iot_service_sigv4_append_encoded(GString *out, const gchar *text, gboolean keep_slash)
{
	for (const guchar *p = (const guchar *)text; *p != '\0'; p++) {
		if (g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/'))
			g_string_append_c(out, *p);
		else
			g_string_append_printf(out, "%%%02X", *p);
	}
}

typedef struct {
	gchar *name;
	gchar *value;
} IotServiceSigv4Param;

static gint
iot_service_sigv4_param_compare(gconstpointer a, gconstpointer b)
{
	const IotServiceSigv4Param *pa = *(IotServiceSigv4Param **)a;
	const IotServiceSigv4Param *pb = *(IotServiceSigv4Param **)b;
	gint cmp = strcmp(pa->name, pb->name);
	return cmp != 0 ? cmp : strcmp(pa->value, pb->value);
}

static void
iot_service_sigv4_param_free(IotServiceSigv4Param *param)
{
	g_free(param->name);
	g_free(param->value);
	g_free(param);
}

/* the component as the client meant it; the raw text when it is not valid percent-encoding */
static gchar *
iot_service_sigv4_encode_component(const gchar *raw)
{
	g_autofree gchar *decoded = g_uri_unescape_string(raw, NULL);
	GString *out = g_string_new(NULL);
	iot_service_sigv4_append_encoded(out, decoded != NULL ? decoded : raw, FALSE);
	return g_string_free(out, FALSE);
}

/* name=value pairs encoded and sorted by name, then value */
static void
iot_service_sigv4_append_query(GString *out, const gchar *query)
{
	g_autoptr(GPtrArray) params =
	    g_ptr_array_new_with_free_func((GDestroyNotify)iot_service_sigv4_param_free);
	g_auto(GStrv) pairs = NULL;

	if (query == NULL || query[0] == '\0')
		return;
	pairs = g_strsplit(query, "&", -1);
	for (guint i = 0; pairs[i] != NULL; i++) {
		IotServiceSigv4Param *param;
		gchar *equals;

		if (pairs[i][0] == '\0')
			continue;
		param = g_new0(IotServiceSigv4Param, 1);
		equals = strchr(pairs[i], '=');
		if (equals != NULL)
			*equals = '\0';
		param->name = iot_service_sigv4_encode_component(pairs[i]);
		param->value = iot_service_sigv4_encode_component(equals != NULL ? equals + 1 : "");
		g_ptr_array_add(params, param);
	}
	g_ptr_array_sort(params, iot_service_sigv4_param_compare);
	for (guint i = 0; i < params->len; i++) {
		IotServiceSigv4Param *param = g_ptr_array_index(params, i);
		g_string_append_printf(out, "%s%s=%s", i > 0 ? "&" : "", param->name, param->value);
	}
}

typedef struct {
	const gchar *name;
	GString *value; /* the values of every header of that name, trimmed, joined by , */
	guint count;
} IotServiceSigv4Header;

static void
iot_service_sigv4_collect_header(const char *name, const char *value, gpointer user_data)
{
	IotServiceSigv4Header *header = user_data;
	gboolean space = FALSE;
	gboolean started = FALSE;

	if (g_ascii_strcasecmp(name, header->name) != 0)
		return;
	if (header->count++ > 0)
		g_string_append_c(header->value, ',');
	/* trimmed, each run of spaces made one */
	for (const gchar *p = value; *p != '\0'; p++) {
		if (g_ascii_isspace(*p)) {
			space = started;
			continue;
		}
		if (space)
			g_string_append_c(header->value, ' ');
		g_string_append_c(header->value, *p);
		space = FALSE;
		started = TRUE;
	}
}

/**
 * iot_service_sigv4_canonical_request:
 * @method: the request's method
 * @path: its path, percent-encoded as sent
 * @query: (nullable): its query, percent-encoded as sent
 * @headers: its headers
 * @signed_headers: the names to sign, `;`-separated, lowercase
 * @payload_sha256: the SHA-256 of its body in lowercase hex
 *
 * Returns: (transfer full): the canonical request of the signing process,
 *   the path encoded once more as for every service but S3
 */
gchar *
iot_service_sigv4_canonical_request(const gchar *method,
				    const gchar *path,
				    const gchar *query,
				    SoupMessageHeaders *headers,
				    const gchar *signed_headers,
				    const gchar *payload_sha256)
{
	GString *out = g_string_new(method);
	g_auto(GStrv) names = g_strsplit(signed_headers, ";", -1);

	g_string_append_c(out, '\n');
	if (path == NULL || path[0] == '\0')
		g_string_append_c(out, '/');
	else
		iot_service_sigv4_append_encoded(out, path, TRUE);
	g_string_append_c(out, '\n');
	iot_service_sigv4_append_query(out, query);
	g_string_append_c(out, '\n');
	for (guint i = 0; names[i] != NULL; i++) {
		g_autoptr(GString) value = g_string_new(NULL);
		IotServiceSigv4Header header = {names[i], value, 0};
		soup_message_headers_foreach(headers, iot_service_sigv4_collect_header, &header);
		g_string_append_printf(out, "%s:%s\n", names[i], value->str);
	}
	g_string_append_c(out, '\n');
	g_string_append(out, signed_headers);
	g_string_append_c(out, '\n');
	g_string_append(out, payload_sha256);
	return g_string_free(out, FALSE);
}

/**
 * iot_service_sigv4_string_to_sign:
 * @amz_date: the request's X-Amz-Date
 * @authorization: its parsed Authorization header
 * @canonical_request: its canonical request
 *
 * Returns: (transfer full): what the signature is the HMAC of
 */
gchar *
iot_service_sigv4_string_to_sign(const gchar *amz_date,
				 const IotServiceSigv4Authorization *authorization,
				 const gchar *canonical_request)
{
	g_autofree gchar *hash =
	    g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical_request, -1);
	return g_strdup_printf(IOT_SERVICE_SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
			       amz_date,
			       authorization->date,
			       authorization->region,
			       authorization->service,
			       hash);
}

/* HMAC-SHA-256 of @data with @key, into @digest */
static void
iot_service_sigv4_hmac(const guint8 *key, gsize key_len, const gchar *data, guint8 digest[32])
{
	g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
	gsize len = 32;
	g_hmac_update(hmac, (const guchar *)data, -1);
	g_hmac_get_digest(hmac, digest, &len);
}

/**
 * iot_service_sigv4_signature:
 * @secret_access_key: the secret of the access key that signed
 * @authorization: the request's parsed Authorization header, for its scope
 * @string_to_sign: from iot_service_sigv4_string_to_sign()
 *
 * Returns: (transfer full): the signature, 64 lowercase hex digits
 */
gchar *
iot_service_sigv4_signature(const gchar *secret_access_key,
			    const IotServiceSigv4Authorization *authorization,
			    const gchar *string_to_sign)
{
	g_autofree gchar *first_key = g_strconcat("AWS4", secret_access_key, NULL);
	guint8 key[32];
	guint8 signature[32];
	GString *hex = g_string_sized_new(64);

	iot_service_sigv4_hmac((const guint8 *)first_key,
			       strlen(first_key),
			       authorization->date,
			       key);
	iot_service_sigv4_hmac(key, sizeof(key), authorization->region, key);
	iot_service_sigv4_hmac(key, sizeof(key), authorization->service, key);
	iot_service_sigv4_hmac(key, sizeof(key), "aws4_request", key);
	iot_service_sigv4_hmac(key, sizeof(key), string_to_sign, signature);
	for (gsize i = 0; i < sizeof(signature); i++)
		g_string_append_printf(hex, "%02x", signature[i]);
	memset(key, 0, sizeof(key));
	memset(first_key, 0, strlen(first_key));
	return g_string_free(hex, FALSE);
}

/**
 * iot_service_sigv4_verify:
 * @authorization: the request's parsed Authorization header, whose scope
 *   iot_service_sigv4_check_scope() accepted
 * @secret_access_key: the secret of its access key
 * @method: the request's method
 * @uri: its URI, path and query percent-encoded as sent
 * @headers: its headers
 * @body: its whole body
 * @error: (nullable): return location for an error in %IOT_SERVICE_SIGV4_ERROR
 *
 * Computes the signature the request should carry and compares it with the
 * one it carries, in constant time. An `x-amz-content-sha256` header, when
 * present, must be the SHA-256 of @body.
 *
 * Returns: %TRUE when the signature is right
 */
gboolean
iot_service_sigv4_verify(const IotServiceSigv4Authorization *authorization,
			 const gchar *secret_access_key,
			 const gchar *method,
			 GUri *uri,
			 SoupMessageHeaders *headers,
			 GBytes *body,
			 GError **error)
{
	g_autofree gchar *payload_sha256 = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, body);
	const gchar *content_sha256 = soup_message_headers_get_one(headers, "x-amz-content-sha256");
	g_autofree gchar *canonical_request = NULL;
	g_autofree gchar *string_to_sign = NULL;
	g_autofree gchar *signature = NULL;

	if (content_sha256 != NULL && g_strcmp0(content_sha256, payload_sha256) != 0) {
		g_set_error_literal(
		    error,
		    IOT_SERVICE_SIGV4_ERROR,
		    IOT_SERVICE_SIGV4_ERROR_MISMATCH,
		    "The x-amz-content-sha256 header is not the SHA-256 of the body.");
		return FALSE;
	}
	canonical_request = iot_service_sigv4_canonical_request(method,
								g_uri_get_path(uri),
								g_uri_get_query(uri),
								headers,
								authorization->signed_headers,
								payload_sha256);
	string_to_sign =
	    iot_service_sigv4_string_to_sign(soup_message_headers_get_one(headers, "X-Amz-Date"),
					     authorization,
					     canonical_request);
	signature = iot_service_sigv4_signature(secret_access_key, authorization, string_to_sign);
	if (!iot_service_secret_equal(signature, authorization->signature)) {
		g_autofree gchar *escaped = g_strescape(string_to_sign, NULL);
		/* the string to sign holds no secret: a client's debug log shows its own */
		g_debug("AWS API: signature mismatch; the string to sign was \"%s\"", escaped);
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_MISMATCH,
				    "The request signature we calculated does not match the "
				    "signature you provided. Check your AWS secret access key and "
				    "signing method.");
		return FALSE;
	}
	return TRUE;
}
