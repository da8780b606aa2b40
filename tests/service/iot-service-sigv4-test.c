/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "service/iot-service-sigv4.h"

/*
 * The Signature Version 4 verifier against vectors of AWS's public SigV4
 * test suite (get-vanilla, get-vanilla-query-order-key-case,
 * get-header-value-trim: access key AKIDEXAMPLE, region us-east-1, service
 * "service", 20150830T123600Z) and a JSON 1.1 request as the AWS CLI signs
 * it; then what it refuses.
 */

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZ_DATE "20150830T123600Z"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
	const gchar *name;
	const gchar *method;
	const gchar *path_and_query;
	const gchar *const headers[6]; /* "Name: value", NULL-terminated */
	const gchar *body;
	const gchar *signed_headers;
	const gchar *canonical_request;
	const gchar *signature;
} Vector;

static const Vector vectors[] = {
    {"get-vanilla",
     "GET",
     "/",
     {"Host: example.amazonaws.com", "X-Amz-Date: " AMZ_DATE, NULL},
     "",
     "host;x-amz-date",
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:" AMZ_DATE
     "\n\nhost;x-amz-date\n" EMPTY_SHA256,
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/?Param2=value2&Param1=value1",
     {"Host: example.amazonaws.com", "X-Amz-Date: " AMZ_DATE, NULL},
     "",
     "host;x-amz-date",
     "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:" AMZ_DATE
     "\n\nhost;x-amz-date\n" EMPTY_SHA256,
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-header-value-trim",
     "GET",
     "/",
     {"Host: example.amazonaws.com",
      "My-Header1:  value1",
      "My-Header2:  \"a   b   c\"",
      "X-Amz-Date: " AMZ_DATE,
      NULL},
     "",
     "host;my-header1;my-header2;x-amz-date",
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
     "x-amz-date:" AMZ_DATE "\n\nhost;my-header1;my-header2;x-amz-date\n" EMPTY_SHA256,
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"post-json-1.1",
     "POST",
     "/",
     {"Host: example.amazonaws.com",
      "Content-Type: application/x-amz-json-1.1",
      "X-Amz-Date: " AMZ_DATE,
      "X-Amz-Target: IoTSecuredTunneling.ListTunnels",
      NULL},
     "{}",
     "content-type;host;x-amz-date;x-amz-target",
     "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:example.amazonaws.com\n"
     "x-amz-date:" AMZ_DATE "\nx-amz-target:IoTSecuredTunneling.ListTunnels\n\n"
     "content-type;host;x-amz-date;x-amz-target\n"
     "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
     "6ce497e8a7df2a1fdb28224b0e0af1a1b43cd1ee671b4e532347b132c959de1c"},
};

static SoupMessageHeaders *
make_headers(const gchar *const *lines)
{
	SoupMessageHeaders *headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *colon = strchr(lines[i], ':');
		g_autofree gchar *name = g_strndup(lines[i], colon - lines[i]);
		/* as libsoup's parser gives them: spaces around the value dropped */
		g_autofree gchar *value = g_strstrip(g_strdup(colon + 1));
		soup_message_headers_append(headers, name, value);
	}
	return headers;
}

static gchar *
make_authorization(const gchar *signed_headers, const gchar *signature)
{
	return g_strdup_printf("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
			       "service/aws4_request, SignedHeaders=%s, Signature=%s",
			       signed_headers,
			       signature);
}

static void
test_vector(gconstpointer data)
{
	const Vector *vector = data;
	g_autoptr(SoupMessageHeaders) headers = make_headers(vector->headers);
	g_autofree gchar *uri_text =
	    g_strconcat("https://example.amazonaws.com", vector->path_and_query, NULL);
	g_autoptr(GUri) uri = g_uri_parse(uri_text, G_URI_FLAGS_ENCODED, NULL);
	g_autoptr(GBytes) body = g_bytes_new_static(vector->body, strlen(vector->body));
	g_autofree gchar *payload = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, body);
	g_autofree gchar *header = make_authorization(vector->signed_headers, vector->signature);
	g_autoptr(IotServiceSigv4Authorization) authorization = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_utc(2015, 8, 30, 12, 38, 0);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *canonical = NULL;
	g_autofree gchar *string_to_sign = NULL;
	g_autofree gchar *signature = NULL;
	g_autofree gchar *tampered = NULL;
	gboolean ok;

	authorization = iot_service_sigv4_authorization_parse(header, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(authorization->access_key_id, ==, "AKIDEXAMPLE");
	g_assert_cmpstr(authorization->service, ==, "service");
	canonical = iot_service_sigv4_canonical_request(vector->method,
							g_uri_get_path(uri),
							g_uri_get_query(uri),
							headers,
							vector->signed_headers,
							payload);
	g_assert_cmpstr(canonical, ==, vector->canonical_request);
	string_to_sign = iot_service_sigv4_string_to_sign(AMZ_DATE, authorization, canonical);
	signature = iot_service_sigv4_signature(SECRET, authorization, string_to_sign);
	g_assert_cmpstr(signature, ==, vector->signature);

	ok = iot_service_sigv4_check_scope(authorization,
					   headers,
					   "us-east-1",
					   "service",
					   now,
					   &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	ok = iot_service_sigv4_verify(authorization,
				      SECRET,
				      vector->method,
				      uri,
				      headers,
				      body,
				      &error);
	g_assert_no_error(error);
	g_assert_true(ok);

	/* another secret, or a header changed after signing */
	ok = iot_service_sigv4_verify(authorization,
				      "another-secret",
				      vector->method,
				      uri,
				      headers,
				      body,
				      &error);
	g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, IOT_SERVICE_SIGV4_ERROR_MISMATCH);
	g_assert_false(ok);
	g_clear_error(&error);
	soup_message_headers_replace(headers, "Host", "attacker.example");
	ok = iot_service_sigv4_verify(authorization,
				      SECRET,
				      vector->method,
				      uri,
				      headers,
				      body,
				      &error);
	g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, IOT_SERVICE_SIGV4_ERROR_MISMATCH);
	g_assert_false(ok);
}

/* the body is signed: one more byte, or an x-amz-content-sha256 that is not its hash */
static void
test_body(void)
{
	const Vector *vector = &vectors[3];
	g_autoptr(SoupMessageHeaders) headers = make_headers(vector->headers);
	g_autoptr(GUri) uri = g_uri_parse("https://example.amazonaws.com/", G_URI_FLAGS_NONE, NULL);
	g_autoptr(GBytes) longer = g_bytes_new_static("{} ", 3);
	g_autoptr(GBytes) body = g_bytes_new_static("{}", 2);
	g_autofree gchar *header = make_authorization(vector->signed_headers, vector->signature);
	g_autoptr(IotServiceSigv4Authorization) authorization =
	    iot_service_sigv4_authorization_parse(header, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_false(
	    iot_service_sigv4_verify(authorization, SECRET, "POST", uri, headers, longer, &error));
	g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, IOT_SERVICE_SIGV4_ERROR_MISMATCH);
	g_clear_error(&error);
	soup_message_headers_replace(headers, "x-amz-content-sha256", EMPTY_SHA256);
	g_assert_false(
	    iot_service_sigv4_verify(authorization, SECRET, "POST", uri, headers, body, &error));
	g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, IOT_SERVICE_SIGV4_ERROR_MISMATCH);
	g_assert_null(strstr(error->message, vector->signature));
}

typedef struct {
	const gchar *name;
	const gchar *header;
	gint code;
} BadHeader;

static const BadHeader bad_headers[] = {
    {"missing", NULL, IOT_SERVICE_SIGV4_ERROR_MISSING},
    {"empty", "", IOT_SERVICE_SIGV4_ERROR_MISSING},
    {"other-algorithm",
     "AWS4-HMAC-SHA512 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"no-signature",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host",
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"no-credential",
     "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"short-credential",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1, SignedHeaders=host, "
     "Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"wrong-terminator",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws5_request, "
     "SignedHeaders=host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_SCOPE},
    {"host-unsigned",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=x-amz-date, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"uppercase-header",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=Host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"short-signature",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host, Signature=5fa00f",
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"repeated-part",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host, SignedHeaders=host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"no-equals",
     "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=" EMPTY_SHA256,
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
};

static void
test_bad_header(gconstpointer data)
{
	const BadHeader *bad = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(IotServiceSigv4Authorization) authorization =
	    iot_service_sigv4_authorization_parse(bad->header, &error);

	g_assert_null(authorization);
	g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, bad->code);
}

typedef struct {
	const gchar *name;
	const gchar *amz_date; /* NULL: no X-Amz-Date */
	gint minutes_later;    /* how long after the date the service checks */
	const gchar *region;
	const gchar *service;
	gint code; /* -1: accepted */
} Scope;

static const Scope scopes[] = {
    {"accepted", AMZ_DATE, 0, "us-east-1", "service", -1},
    {"four-minutes-late", AMZ_DATE, 4, "us-east-1", "service", -1},
    {"four-minutes-early", AMZ_DATE, -4, "us-east-1", "service", -1},
    {"six-minutes-late", AMZ_DATE, 6, "us-east-1", "service", IOT_SERVICE_SIGV4_ERROR_EXPIRED},
    {"six-minutes-early", AMZ_DATE, -6, "us-east-1", "service", IOT_SERVICE_SIGV4_ERROR_EXPIRED},
    {"other-region", AMZ_DATE, 0, "eu-west-1", "service", IOT_SERVICE_SIGV4_ERROR_SCOPE},
    {"other-service",
     AMZ_DATE,
     0,
     "us-east-1",
     "IoTSecuredTunneling",
     IOT_SERVICE_SIGV4_ERROR_SCOPE},
    {"other-day", "20150831T000100Z", 0, "us-east-1", "service", IOT_SERVICE_SIGV4_ERROR_SCOPE},
    {"no-date", NULL, 0, "us-east-1", "service", IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
    {"bad-date",
     "2015-08-30T12:36:00Z",
     0,
     "us-east-1",
     "service",
     IOT_SERVICE_SIGV4_ERROR_INCOMPLETE},
};

static void
test_scope(gconstpointer data)
{
	const Scope *scope = data;
	g_autoptr(SoupMessageHeaders) headers =
	    soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autofree gchar *header = make_authorization("host;x-amz-date", vectors[0].signature);
	g_autoptr(IotServiceSigv4Authorization) authorization =
	    iot_service_sigv4_authorization_parse(header, NULL);
	g_autoptr(GDateTime) signed_at = g_date_time_new_utc(2015, 8, 30, 12, 36, 0);
	g_autoptr(GDateTime) now = g_date_time_add_minutes(signed_at, scope->minutes_later);
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (scope->amz_date != NULL)
		soup_message_headers_append(headers, "X-Amz-Date", scope->amz_date);
	ok = iot_service_sigv4_check_scope(authorization,
					   headers,
					   scope->region,
					   scope->service,
					   now,
					   &error);
	if (scope->code < 0) {
		g_assert_no_error(error);
		g_assert_true(ok);
	} else {
		g_assert_error(error, IOT_SERVICE_SIGV4_ERROR, scope->code);
		g_assert_false(ok);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(vectors); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service-sigv4/vector/%s", vectors[i].name);
		g_test_add_data_func(path, &vectors[i], test_vector);
	}
	g_test_add_func("/iotunnel/service-sigv4/body", test_body);
	for (guint i = 0; i < G_N_ELEMENTS(bad_headers); i++) {
		g_autofree gchar *path = g_strdup_printf("/iotunnel/service-sigv4/authorization/%s",
							 bad_headers[i].name);
		g_test_add_data_func(path, &bad_headers[i], test_bad_header);
	}
	for (guint i = 0; i < G_N_ELEMENTS(scopes); i++) {
		g_autofree gchar *path =
		    g_strdup_printf("/iotunnel/service-sigv4/scope/%s", scopes[i].name);
		g_test_add_data_func(path, &scopes[i], test_scope);
	}
	return g_test_run();
}
