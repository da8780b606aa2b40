/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * What the AWS API answers to requests no AWS client would send: unsigned,
 * expired, signed with a session token it does not know, altered after
 * signing, too large, chunked, not JSON, no such operation, missing or
 * mistyped members; and that a service without --credentials has no AWS
 * API. The requests are written by hand over TLS and signed with the
 * service's own signer, which iot-service-sigv4-test checks against AWS's
 * vectors and the AWS CLI and SDK tests against real clients.
 */

#include "config.h"

#include <signal.h>

#include "iot-awsapi-common.h"
#include "service/iot-service-sigv4.h"

typedef IotAwsapiFixture Fixture;

typedef struct {
	guint status;
	gchar *headers; /* the status line and headers, as received */
	JsonObject *body;
} Answer;

static void
answer_clear(Answer *answer)
{
	g_free(answer->headers);
	g_clear_pointer(&answer->body, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Answer, answer_clear)

/* trusts the service's CA for the handshake about to start */
static void
set_database_cb(GSocketClient *client,
		GSocketClientEvent event,
		GSocketConnectable *connectable,
		GIOStream *connection,
		gpointer user_data)
{
	if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
		g_tls_connection_set_database(G_TLS_CONNECTION(connection), user_data);
}

/* sends @request as is over TLS, trusting the service's CA, and reads the answer to its end */
static void
send_raw(Fixture *fx, const gchar *request, gsize request_len, Answer *answer)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GByteArray) received = g_byte_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	const gchar *end;
	guint8 buffer[4096];
	gssize n;

	database = g_tls_file_database_new(fx->rw.tunnel.ca_file, &error);
	g_assert_no_error(error);
	g_socket_client_set_tls(client, TRUE);
	g_socket_client_set_timeout(client, 20);
	g_signal_connect(client, "event", G_CALLBACK(set_database_cb), database);
	connection =
	    g_socket_client_connect_to_host(client, fx->rw.tunnel.endpoint, 0, NULL, &error);
	g_assert_no_error(error);
	g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
				  request,
				  request_len,
				  NULL,
				  NULL,
				  &error);
	/* a request refused from its headers is answered and closed before its body is
	 * read, so sending the rest of it may fail: the answer is still there to read */
	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
	    g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
		g_clear_error(&error);
	g_assert_no_error(error);
	/* up to the end of the answer, which Content-Length gives: the service may keep the
	 * connection open, waiting for a body it will not read */
	for (;;) {
		const gchar *data = (const gchar *)received->data;
		const gchar *headers_end =
		    received->len > 0 ? g_strstr_len(data, received->len, "\r\n\r\n") : NULL;
		if (headers_end != NULL) {
			g_autofree gchar *head = g_strndup(data, headers_end - data);
			const gchar *length = strstr(head, "Content-Length: ");
			gsize want =
			    (headers_end - data) + 4 +
			    (length != NULL
				 ? g_ascii_strtoull(length + strlen("Content-Length: "), NULL, 10)
				 : 0);
			if (received->len >= want)
				break;
		}
		n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(connection)),
					buffer,
					sizeof(buffer),
					NULL,
					&error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		g_byte_array_append(received, buffer, n);
	}
	text = g_strndup((const gchar *)received->data, received->len);
	end = strstr(text, "\r\n\r\n");
	g_assert_nonnull(end);
	answer->headers = g_strndup(text, end - text);
	g_assert_true(g_str_has_prefix(text, "HTTP/1.1 "));
	answer->status = (guint)g_ascii_strtoull(text + strlen("HTTP/1.1 "), NULL, 10);
	if (strstr(answer->headers, "Content-Type: application/x-amz-json-1.1") != NULL)
		answer->body = iot_awsapi_parse_object(end + 4);
}

/*
 * A request to `/` as the AWS CLI writes it, signed at @when with @secret
 * (NULL: unsigned); @extra_headers ("Name: value\r\n"...) come unsigned.
 */
static gchar *
build_request(Fixture *fx,
	      const gchar *method,
	      const gchar *target,
	      const gchar *body,
	      const gchar *secret,
	      GDateTime *when,
	      const gchar *extra_headers)
{
	g_autoptr(SoupMessageHeaders) headers =
	    soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autofree gchar *amz_date = g_date_time_format(when, "%Y%m%dT%H%M%SZ");
	g_autofree gchar *payload = g_compute_checksum_for_string(G_CHECKSUM_SHA256, body, -1);
	g_autofree gchar *authorization = NULL;
	const gchar *signed_headers = "content-type;host;x-amz-date;x-amz-target";

	soup_message_headers_append(headers, "Host", fx->rw.tunnel.endpoint);
	soup_message_headers_append(headers, "Content-Type", "application/x-amz-json-1.1");
	soup_message_headers_append(headers, "X-Amz-Date", amz_date);
	soup_message_headers_append(headers, "X-Amz-Target", target);
	if (secret != NULL) {
		IotServiceSigv4Authorization scope = {
		    .access_key_id = (gchar *)IOT_AWSAPI_ACCESS_KEY_ID,
		    .date = g_date_time_format(when, "%Y%m%d"),
		    .region = (gchar *)IOT_AWSAPI_REGION,
		    .service = (gchar *)"IoTSecuredTunneling",
		    .signed_headers = (gchar *)signed_headers,
		};
		g_autofree gchar *canonical = iot_service_sigv4_canonical_request(method,
										  "/",
										  NULL,
										  headers,
										  signed_headers,
										  payload);
		g_autofree gchar *string_to_sign =
		    iot_service_sigv4_string_to_sign(amz_date, &scope, canonical);
		g_autofree gchar *signature =
		    iot_service_sigv4_signature(secret, &scope, string_to_sign);

		authorization =
		    g_strdup_printf("Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/"
				    "IoTSecuredTunneling/aws4_request, SignedHeaders=%s, "
				    "Signature=%s\r\n",
				    IOT_AWSAPI_ACCESS_KEY_ID,
				    scope.date,
				    IOT_AWSAPI_REGION,
				    signed_headers,
				    signature);
		g_free(scope.date);
	}
	return g_strdup_printf("%s / HTTP/1.1\r\n"
			       "Host: %s\r\n"
			       "Content-Type: application/x-amz-json-1.1\r\n"
			       "X-Amz-Date: %s\r\n"
			       "X-Amz-Target: %s\r\n"
			       "%s%s"
			       "Content-Length: %zu\r\n"
			       "Connection: close\r\n\r\n%s",
			       method,
			       fx->rw.tunnel.endpoint,
			       amz_date,
			       target,
			       authorization != NULL ? authorization : "",
			       extra_headers != NULL ? extra_headers : "",
			       strlen(body),
			       body);
}

/* sends a signed request now and checks the error it gets */
static void
assert_refused(Fixture *fx,
	       const gchar *request,
	       guint status,
	       const gchar *type,
	       const gchar *message_part)
{
	g_auto(Answer) answer = {0};
	g_autofree gchar *type_header = g_strdup_printf("x-amzn-ErrorType: %s", type);

	send_raw(fx, request, strlen(request), &answer);
	g_assert_cmpuint(answer.status, ==, status);
	g_assert_nonnull(answer.body);
	g_assert_cmpstr(json_object_get_string_member(answer.body, "__type"), ==, type);
	g_assert_nonnull(strstr(answer.headers, type_header));
	if (message_part != NULL)
		g_assert_nonnull(
		    strstr(json_object_get_string_member(answer.body, "message"), message_part));
}

static gchar *
signed_now(Fixture *fx, const gchar *target, const gchar *body)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *full_target = g_strconcat("IoTSecuredTunneling.", target, NULL);
	return build_request(fx, "POST", full_target, body, IOT_AWSAPI_SECRET, now, NULL);
}

static void
test_signed_request_works(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *request = signed_now(fx, "ListTunnels", "{}");
	g_auto(Answer) answer = {0};

	send_raw(fx, request, strlen(request), &answer);
	g_assert_cmpuint(answer.status, ==, 200);
	g_assert_nonnull(strstr(answer.headers, "Content-Type: application/x-amz-json-1.1"));
	g_assert_nonnull(strstr(answer.headers, "x-amzn-RequestId: "));
	g_assert_cmpuint(
	    json_array_get_length(json_object_get_array_member(answer.body, "tunnelSummaries")),
	    ==,
	    0);
}

static void
test_authentication(Fixture *fx, gconstpointer data)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autoptr(GDateTime) old = g_date_time_add_minutes(now, -6);
	g_autoptr(GDateTime) future = g_date_time_add_minutes(now, 6);
	g_autofree gchar *unsigned_request =
	    build_request(fx, "POST", "IoTSecuredTunneling.ListTunnels", "{}", NULL, now, NULL);
	g_autofree gchar *expired = build_request(fx,
						  "POST",
						  "IoTSecuredTunneling.ListTunnels",
						  "{}",
						  IOT_AWSAPI_SECRET,
						  old,
						  NULL);
	g_autofree gchar *early = build_request(fx,
						"POST",
						"IoTSecuredTunneling.ListTunnels",
						"{}",
						IOT_AWSAPI_SECRET,
						future,
						NULL);
	g_autofree gchar *session = build_request(fx,
						  "POST",
						  "IoTSecuredTunneling.ListTunnels",
						  "{}",
						  IOT_AWSAPI_SECRET,
						  now,
						  "X-Amz-Security-Token: made-up\r\n");
	g_autofree gchar *altered = signed_now(fx, "ListTunnels", "{\"maxResults\": 1}");
	gchar *body;

	assert_refused(fx, unsigned_request, 403, "MissingAuthenticationTokenException", NULL);
	assert_refused(fx, expired, 403, "InvalidSignatureException", "Signature expired");
	assert_refused(fx, early, 403, "InvalidSignatureException", "not yet current");
	assert_refused(fx, session, 403, "UnrecognizedClientException", NULL);
	/* the same length, another body: the signature no longer matches */
	body = strstr(altered, "\"maxResults\": 1");
	body[strlen("\"maxResults\": ")] = '2';
	assert_refused(fx, altered, 403, "InvalidSignatureException", "does not match");
}

/* @request with its Content-Length header made @length */
static GString *
with_length(const gchar *request, gsize length)
{
	GString *text = g_string_new(request);
	g_autofree gchar *header = g_strdup_printf("Content-Length: %zu\r\n", length);

	g_string_replace(text, "Content-Length: 2\r\n", header, 1);
	g_string_truncate(text, strstr(text->str, "\r\n\r\n") + 4 - text->str);
	return text;
}

static void
test_body_bounds(Fixture *fx, gconstpointer data)
{
	const gsize large = 4 * 1024 * 1024;
	g_autofree gchar *request = signed_now(fx, "ListTunnels", "{}");
	g_autofree gchar *chunked = NULL;
	g_autofree gchar *expect = NULL;
	g_autoptr(GString) text = NULL;
	guint64 rss_before;
	guint64 rss_after;

	/* over 64 KiB: refused, and what is sent anyway is not kept */
	rss_before = iot_test_process_get_rss_kib(fx->rw.tunnel.service, "VmRSS");
	text = with_length(request, large);
	for (gsize i = 0; i < large; i++)
		g_string_append_c(text, ' ');
	for (guint round = 0; round < 4; round++) {
		g_auto(Answer) answer = {0};
		send_raw(fx, text->str, text->len, &answer);
		g_assert_cmpuint(answer.status, ==, 413);
		g_assert_nonnull(answer.body);
		g_assert_cmpstr(json_object_get_string_member(answer.body, "__type"),
				==,
				"RequestEntityTooLargeException");
	}
	rss_after = iot_test_process_get_rss_kib(fx->rw.tunnel.service, "VmHWM");
	g_test_message("RSS %" G_GUINT64_FORMAT " KiB before, peak %" G_GUINT64_FORMAT
		       " KiB after four bodies of 4 MiB",
		       rss_before,
		       rss_after);
#ifndef IOT_AWSAPI_SANITIZED
	/* ASan keeps freed blocks in quarantine: only a plain build shows the bound */
	g_assert_cmpuint(rss_after, <, rss_before + 4 * 1024);
#endif
	g_string_free(g_steal_pointer(&text), TRUE);

	/* a client that waits for 100 Continue gets the refusal without sending the body */
	text = with_length(request, large);
	g_string_replace(text, "Connection: close\r\n", "Expect: 100-continue\r\n", 1);
	expect = g_string_free(g_steal_pointer(&text), FALSE);
	{
		g_auto(Answer) answer = {0};
		send_raw(fx, expect, strlen(expect), &answer);
		g_assert_cmpuint(answer.status, ==, 413);
	}

	text = with_length(request, 0);
	g_string_replace(text, "Content-Length: 0\r\n", "Transfer-Encoding: chunked\r\n", 1);
	g_string_append(text, "2\r\n{}\r\n0\r\n\r\n");
	chunked = g_string_free(g_steal_pointer(&text), FALSE);
	assert_refused(fx, chunked, 411, "MalformedHttpRequestException", NULL);
}

static void
test_operations(Fixture *fx, gconstpointer data)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *unknown = signed_now(fx, "DeleteEverything", "{}");
	g_autofree gchar *other_service = build_request(fx,
							"POST",
							"DynamoDB_20120810.ListTables",
							"{}",
							IOT_AWSAPI_SECRET,
							now,
							NULL);
	g_autofree gchar *get = build_request(fx,
					      "GET",
					      "IoTSecuredTunneling.ListTunnels",
					      "",
					      IOT_AWSAPI_SECRET,
					      now,
					      NULL);
	g_autofree gchar *not_json = signed_now(fx, "ListTunnels", "{\"maxResults\": ");
	g_autofree gchar *not_object = signed_now(fx, "ListTunnels", "[1, 2]");
	g_autofree gchar *missing = signed_now(fx, "DescribeTunnel", "{}");
	g_autofree gchar *mistyped = signed_now(fx, "DescribeTunnel", "{\"tunnelId\": 5}");
	g_autofree gchar *no_mode =
	    signed_now(fx, "RotateTunnelAccessToken", "{\"tunnelId\": \"x\"}");
	g_autofree gchar *no_tags = signed_now(fx, "OpenTunnel", "{\"tags\": []}");
	g_autofree gchar *control =
	    signed_now(fx, "OpenTunnel", "{\"description\": \"a\\u0007b\"}");
	g_autofree gchar *aws_tag =
	    signed_now(fx, "OpenTunnel", "{\"tags\": [{\"key\": \"aws:x\", \"value\": \"\"}]}");
	g_autofree gchar *twice = signed_now(fx,
					     "OpenTunnel",
					     "{\"tags\": [{\"key\": \"k\", \"value\": \"1\"}, "
					     "{\"key\": \"k\", \"value\": \"2\"}]}");
	g_autofree gchar *bad_token =
	    signed_now(fx, "ListTunnels", "{\"nextToken\": \"bm9wZQ==\"}");

	assert_refused(fx, unknown, 404, "UnknownOperationException", NULL);
	assert_refused(fx, other_service, 404, "UnknownOperationException", NULL);
	assert_refused(fx, get, 404, "UnknownOperationException", NULL);
	assert_refused(fx, not_json, 400, "SerializationException", NULL);
	assert_refused(fx, not_object, 400, "SerializationException", NULL);
	assert_refused(fx, missing, 400, "ValidationException", "'tunnelId'");
	assert_refused(fx, mistyped, 400, "SerializationException", "'tunnelId'");
	assert_refused(fx, no_mode, 400, "ValidationException", "'clientMode'");
	assert_refused(fx, no_tags, 400, "ValidationException", "'tags'");
	assert_refused(fx, control, 400, "ValidationException", "'description'");
	assert_refused(fx, aws_tag, 400, "ValidationException", "aws:");
	assert_refused(fx, twice, 400, "ValidationException", "unique");
	assert_refused(fx, bad_token, 400, "ValidationException", "'nextToken'");
	/* and the service still answers */
	test_signed_request_works(fx, NULL);
}

/* sends a signed request for @target that must succeed; returns its answer */
static JsonObject *
call_ok(Fixture *fx, const gchar *target, const gchar *body)
{
	g_autofree gchar *request = signed_now(fx, target, body);
	g_auto(Answer) answer = {0};

	send_raw(fx, request, strlen(request), &answer);
	g_assert_cmpuint(answer.status, ==, 200);
	return g_steal_pointer(&answer.body);
}

/* what the AWS API gave a tunnel outlives a restart; the state file holds no token */
static void
test_restart(Fixture *fx, gconstpointer data)
{
	g_autoptr(JsonObject) opened = NULL;
	g_autoptr(JsonObject) rotated = NULL;
	g_autoptr(JsonObject) described = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *describe_body = NULL;
	g_autofree gchar *rotate_body = NULL;
	g_autofree gchar *state_file = NULL;
	g_autofree gchar *state = NULL;
	JsonObject *tunnel;
	JsonObject *tag;

	opened =
	    call_ok(fx,
		    "OpenTunnel",
		    "{\"description\": \"kept\", \"destinationConfig\": {\"thingName\": "
		    "\"dev1\", \"services\": [\"SSH1\"]}, \"tags\": [{\"key\": \"k\", "
		    "\"value\": \"v\"}], \"timeoutConfig\": {\"maxLifetimeTimeoutMinutes\": 5}}");
	rotate_body = g_strdup_printf("{\"tunnelId\": \"%s\", \"clientMode\": \"ALL\"}",
				      json_object_get_string_member(opened, "tunnelId"));
	rotated = call_ok(fx, "RotateTunnelAccessToken", rotate_body);

	g_assert_true(iot_test_tunnel_stop_service(&fx->rw.tunnel, SIGTERM, &error));
	g_assert_no_error(error);
	state_file = g_build_filename(fx->rw.tunnel.state_dir, "tunnels.json", NULL);
	g_file_get_contents(state_file, &state, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(strstr(state, json_object_get_string_member(opened, "sourceAccessToken")));
	g_assert_null(strstr(state, json_object_get_string_member(rotated, "sourceAccessToken")));
	g_assert_null(
	    strstr(state, json_object_get_string_member(rotated, "destinationAccessToken")));
	g_assert_true(iot_test_tunnel_resume_service(&fx->rw.tunnel, &error));
	g_assert_no_error(error);

	describe_body = g_strdup_printf("{\"tunnelId\": \"%s\"}",
					json_object_get_string_member(opened, "tunnelId"));
	described = call_ok(fx, "DescribeTunnel", describe_body);
	tunnel = json_object_get_object_member(described, "tunnel");
	g_assert_cmpstr(json_object_get_string_member(tunnel, "status"), ==, "OPEN");
	g_assert_cmpstr(json_object_get_string_member(tunnel, "description"), ==, "kept");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(tunnel, "destinationConfig"),
			    "thingName"),
			==,
			"dev1");
	g_assert_cmpint(
	    json_object_get_int_member(json_object_get_object_member(tunnel, "timeoutConfig"),
				       "maxLifetimeTimeoutMinutes"),
	    ==,
	    5);
	tag = json_array_get_object_element(json_object_get_array_member(tunnel, "tags"), 0);
	g_assert_cmpstr(json_object_get_string_member(tag, "key"), ==, "k");
	/* rotated after it opened */
	g_assert_cmpfloat(json_object_get_double_member(tunnel, "lastUpdatedAt"),
			  >,
			  json_object_get_double_member(tunnel, "createdAt"));
	g_ptr_array_add(fx->secrets,
			g_strdup(json_object_get_string_member(opened, "sourceAccessToken")));
	g_ptr_array_add(fx->secrets,
			g_strdup(json_object_get_string_member(rotated, "sourceAccessToken")));
}

/*
 * Fails on a leak whose allocation the service made: in each of
 * LeakSanitizer's stacks, the first frame of the service (iot_) or of
 * libsoup (soup_) says whose it is.
 */
static void
assert_no_leak_of_ours(const gchar *report)
{
	g_auto(GStrv) blocks = g_strsplit(report, "\n\n", -1);

	for (guint i = 0; blocks[i] != NULL; i++) {
		const gchar *ours = strstr(blocks[i], " in iot_");
		const gchar *libsoup = strstr(blocks[i], " in soup_");
		if (ours != NULL && (libsoup == NULL || ours < libsoup))
			g_error("the service leaked:\n%s", blocks[i]);
	}
}

/*
 * Every operation, then a stop: under AddressSanitizer (with full stacks,
 * see main()), LeakSanitizer names no function of the service in what the
 * service leaked; libsoup's own leaks are not the service's.
 */
static void
test_no_leak(Fixture *fx, gconstpointer data)
{
	g_autoptr(JsonObject) opened = NULL;
	g_autofree gchar *output = NULL;
	g_autofree gchar *body = NULL;
	g_autofree gchar *arn_body = NULL;
	const gchar *leak;
	const gchar *id;

	opened = call_ok(fx,
			 "OpenTunnel",
			 "{\"description\": \"d\", \"destinationConfig\": {\"thingName\": "
			 "\"t\", \"services\": [\"SSH1\"]}, \"tags\": [{\"key\": \"k\", "
			 "\"value\": \"v\"}]}");
	id = json_object_get_string_member(opened, "tunnelId");
	arn_body = g_strdup_printf("{\"resourceArn\": \"arn:aws:iot:" IOT_AWSAPI_REGION
				   ":" IOT_AWSAPI_ACCOUNT ":tunnel/%s\", \"tags\": [{\"key\": "
				   "\"a\", \"value\": \"b\"}], \"tagKeys\": [\"k\"]}",
				   id);
	json_object_unref(call_ok(fx, "TagResource", arn_body));
	json_object_unref(call_ok(fx, "UntagResource", arn_body));
	json_object_unref(call_ok(fx, "ListTagsForResource", arn_body));
	body = g_strdup_printf("{\"tunnelId\": \"%s\", \"clientMode\": \"ALL\", "
			       "\"destinationConfig\": {\"thingName\": \"u\", \"services\": "
			       "[\"SSH1\"]}}",
			       id);
	json_object_unref(call_ok(fx, "RotateTunnelAccessToken", body));
	json_object_unref(call_ok(fx, "ListTunnels", "{\"maxResults\": 1}"));
	g_free(body);
	body = g_strdup_printf("{\"tunnelId\": \"%s\"}", id);
	json_object_unref(call_ok(fx, "DescribeTunnel", body));
	json_object_unref(call_ok(fx, "CloseTunnel", body));
	g_free(body);
	body = g_strdup_printf("{\"tunnelId\": \"%s\", \"delete\": true}", id);
	json_object_unref(call_ok(fx, "CloseTunnel", body));
	test_operations(fx, NULL);

	iot_test_process_signal(fx->rw.tunnel.service, SIGTERM);
	g_assert_true(iot_test_process_wait_exit(fx->rw.tunnel.service, 20000, NULL));
	g_assert_true(iot_test_process_wait_output_end(fx->rw.tunnel.service, 20000));
	output = iot_test_process_get_output(fx->rw.tunnel.service);
	leak = strstr(output, "LeakSanitizer");
	if (leak != NULL)
		assert_no_leak_of_ours(leak);
}

/* without --credentials, POST / is no route, as any unknown path */
static void
test_disabled(void)
{
	Fixture fx = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *request = NULL;
	g_auto(Answer) answer = {0};

	g_assert_true(iot_test_tunnel_start_service(&fx.rw.tunnel, &error));
	g_assert_no_error(error);
	g_assert_false(iot_test_process_has_line(fx.rw.tunnel.service, "^aws-endpoint-url"));
	request = signed_now(&fx, "ListTunnels", "{}");
	send_raw(&fx, request, strlen(request), &answer);
	g_assert_cmpuint(answer.status, ==, 404);
	g_assert_null(strstr(answer.headers, "x-amzn-ErrorType"));
	iot_test_tunnel_clear(&fx.rw.tunnel);
}

static void
add(const gchar *path, void (*func)(Fixture *, gconstpointer))
{
	g_test_add(path,
		   Fixture,
		   NULL,
		   iot_awsapi_fixture_setup,
		   func,
		   iot_awsapi_fixture_teardown);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#ifdef IOT_AWSAPI_SANITIZED
	/* full stacks through GLib, which has no frame pointers, so a leak names its caller */
	{
		g_autofree gchar *options =
		    g_strconcat(g_getenv("ASAN_OPTIONS") != NULL ? g_getenv("ASAN_OPTIONS") : "",
				":fast_unwind_on_malloc=0",
				NULL);
		g_setenv("ASAN_OPTIONS", options, TRUE);
	}
#endif

	add("/iotunnel/awsapi/requests/signed", test_signed_request_works);
	add("/iotunnel/awsapi/requests/authentication", test_authentication);
	add("/iotunnel/awsapi/requests/body-bounds", test_body_bounds);
	add("/iotunnel/awsapi/requests/operations", test_operations);
	add("/iotunnel/awsapi/requests/restart", test_restart);
	add("/iotunnel/awsapi/requests/no-leak", test_no_leak);
	g_test_add_func("/iotunnel/awsapi/requests/disabled", test_disabled);
	return g_test_run();
}
