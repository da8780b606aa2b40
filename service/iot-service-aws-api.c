/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-service-aws-api.h"

#include "iot-service-aws-input.h"
#include "iot-service-common.h"
#include "iot-service-sigv4.h"

/*
 * The management API of AWS IoT Secure Tunneling, so that the AWS CLI and
 * SDKs open tunnels here with --endpoint-url: the AWS JSON 1.1 protocol,
 * `POST /` with `X-Amz-Target: IoTSecuredTunneling.<Operation>`, signed with
 * Signature Version 4 by one of the access keys the service was given.
 *
 * Shapes, member names, bounds and error types follow the service model
 * (iotsecuretunneling 2018-10-05). Timestamps are seconds since the epoch,
 * as JSON numbers. An error answers a 4xx with
 * `{"__type": "TYPE", "message": "..."}` and the header `x-amzn-ErrorType`.
 *
 * Tunnels opened here are the same tunnels as those of /api: the tokens
 * connect to /tunnel, and both APIs see every tunnel.
 */
struct _IotServiceAwsApi {
	GObject parent_instance;
	IotServiceServer *server; /* weak: the server owns the API */
	IotServiceCredentials *credentials;
	gchar *region;
	gchar *account_id;
	gchar *arn_prefix; /* arn:aws:iot:REGION:ACCOUNT:tunnel/ */
};

G_DEFINE_FINAL_TYPE(IotServiceAwsApi, iot_service_aws_api, G_TYPE_OBJECT)

G_DEFINE_QUARK(iot-service-aws-api-error-quark, iot_service_aws_api_error);

#define IOT_SERVICE_AWS_API_CONTENT_TYPE "application/x-amz-json-1.1"

/* how each error is answered */
typedef struct {
	GQuark domain;
	gint code;
	guint status;
	const gchar *type;
} IotServiceAwsApiErrorType;

static const IotServiceAwsApiErrorType iot_service_aws_api_error_types[] = {
    {0, IOT_SERVICE_SIGV4_ERROR_MISSING, 403, "MissingAuthenticationTokenException"},
    {0, IOT_SERVICE_SIGV4_ERROR_INCOMPLETE, 403, "IncompleteSignatureException"},
    {0, IOT_SERVICE_SIGV4_ERROR_UNKNOWN_KEY, 403, "UnrecognizedClientException"},
    {0, IOT_SERVICE_SIGV4_ERROR_SCOPE, 403, "InvalidSignatureException"},
    {0, IOT_SERVICE_SIGV4_ERROR_EXPIRED, 403, "InvalidSignatureException"},
    {0, IOT_SERVICE_SIGV4_ERROR_MISMATCH, 403, "InvalidSignatureException"},
    {1, IOT_SERVICE_AWS_API_ERROR_UNKNOWN_OPERATION, 404, "UnknownOperationException"},
    {1, IOT_SERVICE_AWS_API_ERROR_SERIALIZATION, 400, "SerializationException"},
    {1, IOT_SERVICE_AWS_API_ERROR_VALIDATION, 400, "ValidationException"},
    {1, IOT_SERVICE_AWS_API_ERROR_NOT_FOUND, 400, "ResourceNotFoundException"},
    {1, IOT_SERVICE_AWS_API_ERROR_LIMIT_EXCEEDED, 400, "LimitExceededException"},
    {1, IOT_SERVICE_AWS_API_ERROR_TOO_LARGE, 413, "RequestEntityTooLargeException"},
    {1, IOT_SERVICE_AWS_API_ERROR_LENGTH_REQUIRED, 411, "MalformedHttpRequestException"},
    {1, IOT_SERVICE_AWS_API_ERROR_INTERNAL, 500, "InternalFailure"},
};

static const IotServiceAwsApiErrorType *
iot_service_aws_api_error_type(const GError *error)
{
	for (guint i = 0; i < G_N_ELEMENTS(iot_service_aws_api_error_types); i++) {
		const IotServiceAwsApiErrorType *type = &iot_service_aws_api_error_types[i];
		GQuark domain =
		    type->domain == 0 ? IOT_SERVICE_SIGV4_ERROR : IOT_SERVICE_AWS_API_ERROR;
		if (g_error_matches(error, domain, type->code))
			return type;
	}
	return &iot_service_aws_api_error_types[G_N_ELEMENTS(iot_service_aws_api_error_types) - 1];
}

static void
iot_service_aws_api_set_body(SoupServerMessage *msg, guint status, JsonNode *root)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	g_autofree gchar *request_id = iot_service_random_uuid(NULL);
	gchar *text = json_to_string(root, FALSE);

	if (request_id != NULL)
		soup_message_headers_replace(headers, "x-amzn-RequestId", request_id);
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 IOT_SERVICE_AWS_API_CONTENT_TYPE,
					 SOUP_MEMORY_TAKE,
					 text,
					 strlen(text));
}

/* answers @error with its status, type and message; none of them holds a secret */
static void
iot_service_aws_api_respond_error(SoupServerMessage *msg,
				  const gchar *operation,
				  const GError *error)
{
	const IotServiceAwsApiErrorType *type = iot_service_aws_api_error_type(error);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "__type");
	json_builder_add_string_value(builder, type->type);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, error->message);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "x-amzn-ErrorType",
				     type->type);
	iot_service_aws_api_set_body(msg, type->status, root);
	if (error->domain == IOT_SERVICE_SIGV4_ERROR)
		g_message("AWS API: refused a request from %s with %u %s: %s",
			  soup_server_message_get_remote_host(msg) != NULL
			      ? soup_server_message_get_remote_host(msg)
			      : "unknown",
			  type->status,
			  type->type,
			  error->message);
	else
		g_info("AWS API %s: %u %s: %s",
		       operation != NULL ? operation : "(no operation)",
		       type->status,
		       type->type,
		       error->message);
}

/* authentication ------------------------------------------------------------ */

/*
 * Checks the signature's key and scope and, once the body is there (@body not
 * NULL), the signature itself.
 */
static gboolean
iot_service_aws_api_authenticate(IotServiceAwsApi *self,
				 SoupServerMessage *msg,
				 GBytes *body,
				 GError **error)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autoptr(IotServiceSigv4Authorization) authorization = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	const gchar *session_token = soup_message_headers_get_one(headers, "X-Amz-Security-Token");
	const gchar *secret = NULL;
	const gchar *expected_token = NULL;

	authorization = iot_service_sigv4_authorization_parse(
	    soup_message_headers_get_one(headers, "Authorization"),
	    error);
	if (authorization == NULL)
		return FALSE;
	if (!iot_service_credentials_lookup(self->credentials,
					    authorization->access_key_id,
					    &secret,
					    &expected_token) ||
	    (expected_token == NULL) != (session_token == NULL) ||
	    (expected_token != NULL && !iot_service_secret_equal(expected_token, session_token))) {
		g_set_error_literal(error,
				    IOT_SERVICE_SIGV4_ERROR,
				    IOT_SERVICE_SIGV4_ERROR_UNKNOWN_KEY,
				    "The security token included in the request is invalid: the "
				    "access key ID or session token is not one this service was "
				    "given.");
		return FALSE;
	}
	if (!iot_service_sigv4_check_scope(authorization,
					   headers,
					   self->region,
					   IOT_SERVICE_AWS_API_SIGNING_NAME,
					   now,
					   error))
		return FALSE;
	if (body == NULL)
		return TRUE;
	return iot_service_sigv4_verify(authorization,
					secret,
					soup_server_message_get_method(msg),
					soup_server_message_get_uri(msg),
					headers,
					body,
					error);
}

/**
 * iot_service_aws_api_check_early:
 * @self: the AWS API
 * @msg: a request to `/` whose headers just arrived
 *
 * Refuses, before its body is read, a request that is not signed by a known
 * key for this region and service within 5 minutes, that is not a POST, or
 * whose body is over %IOT_SERVICE_AWS_API_MAX_BODY or has no Content-Length.
 */
void
iot_service_aws_api_check_early(IotServiceAwsApi *self, SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	SoupEncoding encoding = soup_message_headers_get_encoding(headers);
	g_autoptr(GError) error = NULL;

	g_return_if_fail(IOT_IS_SERVICE_AWS_API(self));

	if (!iot_service_aws_api_authenticate(self, msg, NULL, &error)) {
		iot_service_aws_api_respond_error(msg, NULL, error);
		return;
	}
	if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
		g_set_error_literal(&error,
				    IOT_SERVICE_AWS_API_ERROR,
				    IOT_SERVICE_AWS_API_ERROR_UNKNOWN_OPERATION,
				    "The AWS API takes POST requests only.");
		iot_service_aws_api_respond_error(msg, NULL, error);
		return;
	}
	if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF) {
		g_set_error_literal(&error,
				    IOT_SERVICE_AWS_API_ERROR,
				    IOT_SERVICE_AWS_API_ERROR_LENGTH_REQUIRED,
				    "A request body needs a Content-Length header.");
		iot_service_aws_api_respond_error(msg, NULL, error);
		return;
	}
	if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
	    soup_message_headers_get_content_length(headers) > IOT_SERVICE_AWS_API_MAX_BODY) {
		g_set_error(&error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_TOO_LARGE,
			    "The request body is over %u bytes.",
			    (guint)IOT_SERVICE_AWS_API_MAX_BODY);
		iot_service_aws_api_respond_error(msg, NULL, error);
	}
}

static IotServiceTunnel *
iot_service_aws_api_find_tunnel(IotServiceAwsApi *self, const gchar *tunnel_id, GError **error)
{
	IotServiceTunnel *tunnel;
	gsize len = strlen(tunnel_id);
	gboolean valid = len >= 1 && len <= IOT_SERVICE_AWS_API_MAX_NAME;

	for (gsize i = 0; valid && i < len; i++)
		valid = g_ascii_isalnum(tunnel_id[i]) || strchr("_-+=:", tunnel_id[i]) != NULL;
	if (!valid) {
		iot_service_aws_input_invalid(error,
					      "tunnelId",
					      "be 1 to 128 of a-z, A-Z, 0-9 and _-+=:");
		return NULL;
	}
	tunnel = iot_service_server_lookup_tunnel(self->server, tunnel_id);
	if (tunnel == NULL) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_NOT_FOUND,
			    "Tunnel %s not found: it never existed, was deleted, or closed "
			    "too long ago.",
			    tunnel_id);
		return NULL;
	}
	return tunnel;
}

/* the tunnel a `resourceArn` member names */
static IotServiceTunnel *
iot_service_aws_api_find_resource(IotServiceAwsApi *self, JsonObject *input, GError **error)
{
	const gchar *arn = NULL;
	IotServiceTunnel *tunnel = NULL;

	if (!iot_service_aws_input_get_string(input,
					      "resourceArn",
					      "resourceArn",
					      TRUE,
					      &arn,
					      error))
		return NULL;
	if (strlen(arn) < 1 || strlen(arn) > IOT_SERVICE_AWS_API_MAX_ARN) {
		iot_service_aws_input_invalid(error,
					      "resourceArn",
					      "have length between 1 and 1011");
		return NULL;
	}
	if (g_str_has_prefix(arn, self->arn_prefix))
		tunnel =
		    iot_service_server_lookup_tunnel(self->server, arn + strlen(self->arn_prefix));
	if (tunnel == NULL) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_NOT_FOUND,
			    "Resource %s not found: tunnel ARNs here are %sTUNNEL_ID.",
			    arn,
			    self->arn_prefix);
		return NULL;
	}
	return tunnel;
}

/* writing the answer --------------------------------------------------------- */

static void
iot_service_aws_api_add_time(JsonBuilder *builder, const gchar *name, GDateTime *time)
{
	/* seconds since the epoch, to the millisecond, as the service model's timestamps */
	gdouble seconds = (gdouble)g_date_time_to_unix(time) +
			  (gdouble)(g_date_time_get_microsecond(time) / 1000) / 1000.0;
	json_builder_set_member_name(builder, name);
	json_builder_add_double_value(builder, seconds);
}

static void
iot_service_aws_api_add_string(JsonBuilder *builder, const gchar *name, const gchar *value)
{
	if (value == NULL)
		return;
	json_builder_set_member_name(builder, name);
	json_builder_add_string_value(builder, value);
}

static gchar *
iot_service_aws_api_arn(IotServiceAwsApi *self, IotServiceTunnel *tunnel)
{
	return g_strconcat(self->arn_prefix, iot_service_tunnel_get_id(tunnel), NULL);
}

static void
iot_service_aws_api_add_tags(JsonBuilder *builder, GPtrArray *tags)
{
	json_builder_set_member_name(builder, "tags");
	json_builder_begin_array(builder);
	for (guint i = 0; i < tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(tags, i);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "key");
		json_builder_add_string_value(builder, tag->key);
		json_builder_set_member_name(builder, "value");
		json_builder_add_string_value(builder, tag->value);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
}

static void
iot_service_aws_api_add_connection(JsonBuilder *builder,
				   const gchar *name,
				   IotServiceTunnel *tunnel,
				   IotTunnelMode mode)
{
	GDateTime *changed_at = iot_service_tunnel_get_peer_changed_at(tunnel, mode);

	json_builder_set_member_name(builder, name);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(
	    builder,
	    iot_service_tunnel_is_connected(tunnel, mode) ? "CONNECTED" : "DISCONNECTED");
	iot_service_aws_api_add_time(
	    builder,
	    "lastUpdatedAt",
	    changed_at != NULL ? changed_at : iot_service_tunnel_get_created_at(tunnel));
	json_builder_end_object(builder);
}

/* the members a Tunnel and a TunnelSummary share */
static void
iot_service_aws_api_add_summary(IotServiceAwsApi *self,
				JsonBuilder *builder,
				IotServiceTunnel *tunnel)
{
	g_autofree gchar *arn = iot_service_aws_api_arn(self, tunnel);

	iot_service_aws_api_add_string(builder, "tunnelId", iot_service_tunnel_get_id(tunnel));
	iot_service_aws_api_add_string(builder, "tunnelArn", arn);
	iot_service_aws_api_add_string(builder,
				       "status",
				       iot_service_tunnel_is_closed(tunnel) ? "CLOSED" : "OPEN");
	iot_service_aws_api_add_string(builder,
				       "description",
				       iot_service_tunnel_get_description(tunnel));
	iot_service_aws_api_add_time(builder,
				     "createdAt",
				     iot_service_tunnel_get_created_at(tunnel));
	iot_service_aws_api_add_time(builder,
				     "lastUpdatedAt",
				     iot_service_tunnel_get_updated_at(tunnel));
}

static void
iot_service_aws_api_add_tunnel(IotServiceAwsApi *self,
			       JsonBuilder *builder,
			       IotServiceTunnel *tunnel)
{
	const gchar *const *services = iot_service_tunnel_get_services(tunnel);
	const gchar *thing_name = iot_service_tunnel_get_thing_name(tunnel);

	json_builder_begin_object(builder);
	iot_service_aws_api_add_summary(self, builder, tunnel);
	iot_service_aws_api_add_connection(builder,
					   "sourceConnectionState",
					   tunnel,
					   IOT_TUNNEL_MODE_SOURCE);
	iot_service_aws_api_add_connection(builder,
					   "destinationConnectionState",
					   tunnel,
					   IOT_TUNNEL_MODE_DESTINATION);
	if (services[0] != NULL || thing_name != NULL) {
		json_builder_set_member_name(builder, "destinationConfig");
		json_builder_begin_object(builder);
		iot_service_aws_api_add_string(builder, "thingName", thing_name);
		json_builder_set_member_name(builder, "services");
		json_builder_begin_array(builder);
		for (guint i = 0; services[i] != NULL; i++)
			json_builder_add_string_value(builder, services[i]);
		json_builder_end_array(builder);
		json_builder_end_object(builder);
	}
	json_builder_set_member_name(builder, "timeoutConfig");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "maxLifetimeTimeoutMinutes");
	json_builder_add_int_value(builder, (iot_service_tunnel_get_lifetime(tunnel) + 59) / 60);
	json_builder_end_object(builder);
	if (iot_service_tunnel_get_tags(tunnel)->len > 0)
		iot_service_aws_api_add_tags(builder, iot_service_tunnel_get_tags(tunnel));
	json_builder_end_object(builder);
}

/* the operations ------------------------------------------------------------- */

static guint
iot_service_aws_api_count_open(IotServiceAwsApi *self)
{
	g_autoptr(GPtrArray) tunnels = iot_service_server_get_tunnels(self->server);
	guint open = 0;

	for (guint i = 0; i < tunnels->len; i++)
		open += !iot_service_tunnel_is_closed(g_ptr_array_index(tunnels, i));
	return open;
}

static gboolean
iot_service_aws_api_open_tunnel(IotServiceAwsApi *self,
				JsonObject *input,
				JsonBuilder *builder,
				GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(IotServiceTunnel) tunnel = NULL;
	g_autoptr(GPtrArray) tags = NULL;
	g_autofree gchar *arn = NULL;
	g_auto(GStrv) services = NULL;
	const gchar *description = NULL;
	const gchar *thing_name = NULL;
	const gchar *no_services[] = {NULL};
	JsonObject *destination = NULL;
	JsonObject *timeout = NULL;
	JsonArray *tag_array = NULL;
	JsonNode *minutes_node;
	gint64 minutes = IOT_SERVICE_AWS_API_MAX_MINUTES;

	if (!iot_service_aws_input_get_string(input,
					      "description",
					      "description",
					      FALSE,
					      &description,
					      error))
		return FALSE;
	if (description != NULL && !iot_service_aws_input_check_description(description, error))
		return FALSE;
	if (!iot_service_aws_input_get_array(input, "tags", "tags", FALSE, &tag_array, error))
		return FALSE;
	if (tag_array != NULL) {
		tags = iot_service_aws_input_read_tags(tag_array, "tags", 1, error);
		if (tags == NULL)
			return FALSE;
	}
	if (!iot_service_aws_input_get_object(input, "destinationConfig", &destination, error))
		return FALSE;
	if (!iot_service_aws_input_read_destination(destination, &thing_name, &services, error))
		return FALSE;
	if (!iot_service_aws_input_get_object(input, "timeoutConfig", &timeout, error))
		return FALSE;
	minutes_node = iot_service_aws_input_member(timeout, "maxLifetimeTimeoutMinutes");
	if (minutes_node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(minutes_node) ||
		    json_node_get_value_type(minutes_node) != G_TYPE_INT64)
			return iot_service_aws_input_wrong_type(
			    error,
			    "timeoutConfig.maxLifetimeTimeoutMinutes",
			    "a whole number");
		minutes = json_node_get_int(minutes_node);
		if (minutes < 1 || minutes > IOT_SERVICE_AWS_API_MAX_MINUTES)
			return iot_service_aws_input_invalid(
			    error,
			    "timeoutConfig.maxLifetimeTimeoutMinutes",
			    "have value between 1 and 720");
	}
	if (iot_service_aws_api_count_open(self) >= IOT_SERVICE_AWS_API_MAX_OPEN_TUNNELS) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_LIMIT_EXCEEDED,
			    "%u tunnels are open, the most this service allows; close one first.",
			    (guint)IOT_SERVICE_AWS_API_MAX_OPEN_TUNNELS);
		return FALSE;
	}
	tunnel =
	    iot_service_tunnel_new(services != NULL ? (const gchar *const *)services : no_services,
				   (guint)minutes * 60,
				   &error_local);
	if (tunnel == NULL) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    g_error_matches(error_local,
					    IOT_SERVICE_TUNNEL_ERROR,
					    IOT_SERVICE_TUNNEL_ERROR_INVALID)
				? IOT_SERVICE_AWS_API_ERROR_VALIDATION
				: IOT_SERVICE_AWS_API_ERROR_INTERNAL,
			    "The tunnel cannot be opened: %s.",
			    error_local->message);
		return FALSE;
	}
	iot_service_tunnel_set_details(tunnel, description, thing_name, tags);
	iot_service_server_insert_tunnel(self->server, tunnel);

	arn = iot_service_aws_api_arn(self, tunnel);
	json_builder_begin_object(builder);
	iot_service_aws_api_add_string(builder, "tunnelId", iot_service_tunnel_get_id(tunnel));
	iot_service_aws_api_add_string(builder, "tunnelArn", arn);
	iot_service_aws_api_add_string(
	    builder,
	    "sourceAccessToken",
	    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_SOURCE));
	iot_service_aws_api_add_string(
	    builder,
	    "destinationAccessToken",
	    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_DESTINATION));
	json_builder_end_object(builder);
	return TRUE;
}

static gboolean
iot_service_aws_api_close_tunnel(IotServiceAwsApi *self,
				 JsonObject *input,
				 JsonBuilder *builder,
				 GError **error)
{
	const gchar *tunnel_id = NULL;
	JsonNode *delete_node = iot_service_aws_input_member(input, "delete");
	IotServiceTunnel *tunnel;
	gboolean delete = FALSE;

	if (!iot_service_aws_input_get_string(input,
					      "tunnelId",
					      "tunnelId",
					      TRUE,
					      &tunnel_id,
					      error))
		return FALSE;
	if (delete_node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(delete_node) ||
		    json_node_get_value_type(delete_node) != G_TYPE_BOOLEAN)
			return iot_service_aws_input_wrong_type(error, "delete", "true or false");
		delete = json_node_get_boolean(delete_node);
	}
	tunnel = iot_service_aws_api_find_tunnel(self, tunnel_id, error);
	if (tunnel == NULL)
		return FALSE;
	if (delete)
		iot_service_server_delete_tunnel(self->server, tunnel);
	else
		iot_service_tunnel_close(tunnel, IOT_SERVICE_CLOSE_NORMAL, "tunnel closed");
	json_builder_begin_object(builder);
	json_builder_end_object(builder);
	return TRUE;
}

static gboolean
iot_service_aws_api_describe_tunnel(IotServiceAwsApi *self,
				    JsonObject *input,
				    JsonBuilder *builder,
				    GError **error)
{
	const gchar *tunnel_id = NULL;
	IotServiceTunnel *tunnel;

	if (!iot_service_aws_input_get_string(input,
					      "tunnelId",
					      "tunnelId",
					      TRUE,
					      &tunnel_id,
					      error))
		return FALSE;
	tunnel = iot_service_aws_api_find_tunnel(self, tunnel_id, error);
	if (tunnel == NULL)
		return FALSE;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnel");
	iot_service_aws_api_add_tunnel(self, builder, tunnel);
	json_builder_end_object(builder);
	return TRUE;
}

/* newest first; the same time (a restored file) by ID */
static gint
iot_service_aws_api_compare_newest(gconstpointer a, gconstpointer b)
{
	IotServiceTunnel *ta = *(IotServiceTunnel **)a;
	IotServiceTunnel *tb = *(IotServiceTunnel **)b;
	gint cmp = g_date_time_compare(iot_service_tunnel_get_created_at(tb),
				       iot_service_tunnel_get_created_at(ta));
	return cmp != 0 ? cmp
			: g_strcmp0(iot_service_tunnel_get_id(ta), iot_service_tunnel_get_id(tb));
}

/* microseconds since the epoch; GLib 2.74 has no g_date_time_to_unix_usec() */
static gint64
iot_service_aws_api_usec(GDateTime *time)
{
	return g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time);
}

/* where a page ends: the creation time and ID of its last tunnel */
static gchar *
iot_service_aws_api_page_token(IotServiceTunnel *tunnel)
{
	g_autofree gchar *position =
	    g_strdup_printf("%" G_GINT64_FORMAT ":%s",
			    iot_service_aws_api_usec(iot_service_tunnel_get_created_at(tunnel)),
			    iot_service_tunnel_get_id(tunnel));
	gchar *token = g_base64_encode((const guchar *)position, strlen(position));

	for (gchar *p = token; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return token;
}

/* whether @tunnel comes after the page that @token ends */
static gboolean
iot_service_aws_api_after_token(IotServiceTunnel *tunnel, gint64 usec, const gchar *tunnel_id)
{
	gint64 created = iot_service_aws_api_usec(iot_service_tunnel_get_created_at(tunnel));
	return created < usec ||
	       (created == usec && g_strcmp0(iot_service_tunnel_get_id(tunnel), tunnel_id) > 0);
}

static gboolean
iot_service_aws_api_parse_page_token(const gchar *token,
				     gint64 *usec,
				     gchar **tunnel_id,
				     GError **error)
{
	g_autofree gchar *copy = g_strdup(token);
	g_autofree guchar *decoded = NULL;
	g_autofree gchar *position = NULL;
	gchar *end = NULL;
	gsize len = 0;

	for (gchar *p = copy; *p != '\0'; p++) {
		if (*p == '-')
			*p = '+';
		else if (*p == '_')
			*p = '/';
		else if (!g_ascii_isalnum(*p) && *p != '=')
			return iot_service_aws_input_invalid(error,
							     "nextToken",
							     "be a token ListTunnels returned");
	}
	if (strlen(copy) > IOT_SERVICE_AWS_API_MAX_NEXT_TOKEN)
		return iot_service_aws_input_invalid(error, "nextToken", "have length below 4097");
	decoded = g_base64_decode(copy, &len);
	position = g_strndup((const gchar *)decoded, len);
	*usec = g_ascii_strtoll(position, &end, 10);
	if (end == NULL || *end != ':' || end[1] == '\0')
		return iot_service_aws_input_invalid(error,
						     "nextToken",
						     "be a token ListTunnels returned");
	*tunnel_id = g_strdup(end + 1);
	return TRUE;
}

static gboolean
iot_service_aws_api_list_tunnels(IotServiceAwsApi *self,
				 JsonObject *input,
				 JsonBuilder *builder,
				 GError **error)
{
	g_autoptr(GPtrArray) tunnels = iot_service_server_get_tunnels(self->server);
	g_autofree gchar *after_id = NULL;
	g_autofree gchar *next_token = NULL;
	IotServiceTunnel *last = NULL;
	JsonNode *max_node = iot_service_aws_input_member(input, "maxResults");
	const gchar *thing_name = NULL;
	const gchar *token = NULL;
	gint64 max_results = IOT_SERVICE_AWS_API_MAX_RESULTS;
	gint64 after_usec = 0;
	guint added = 0;

	if (!iot_service_aws_input_get_string(input,
					      "thingName",
					      "thingName",
					      FALSE,
					      &thing_name,
					      error))
		return FALSE;
	if (thing_name != NULL &&
	    !iot_service_aws_input_check_name(thing_name, ":_-", "thingName", error))
		return FALSE;
	if (max_node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(max_node) ||
		    json_node_get_value_type(max_node) != G_TYPE_INT64)
			return iot_service_aws_input_wrong_type(error,
								"maxResults",
								"a whole number");
		max_results = json_node_get_int(max_node);
		if (max_results < 1 || max_results > IOT_SERVICE_AWS_API_MAX_RESULTS)
			return iot_service_aws_input_invalid(error,
							     "maxResults",
							     "have value between 1 and 100");
	}
	if (!iot_service_aws_input_get_string(input,
					      "nextToken",
					      "nextToken",
					      FALSE,
					      &token,
					      error))
		return FALSE;
	if (token != NULL &&
	    !iot_service_aws_api_parse_page_token(token, &after_usec, &after_id, error))
		return FALSE;

	g_ptr_array_sort(tunnels, iot_service_aws_api_compare_newest);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnelSummaries");
	json_builder_begin_array(builder);
	for (guint i = 0; i < tunnels->len; i++) {
		IotServiceTunnel *tunnel = g_ptr_array_index(tunnels, i);

		if (thing_name != NULL &&
		    g_strcmp0(iot_service_tunnel_get_thing_name(tunnel), thing_name) != 0)
			continue;
		if (after_id != NULL &&
		    !iot_service_aws_api_after_token(tunnel, after_usec, after_id))
			continue;
		if (added == max_results) {
			next_token = iot_service_aws_api_page_token(last);
			break;
		}
		json_builder_begin_object(builder);
		iot_service_aws_api_add_summary(self, builder, tunnel);
		json_builder_end_object(builder);
		last = tunnel;
		added++;
	}
	json_builder_end_array(builder);
	iot_service_aws_api_add_string(builder, "nextToken", next_token);
	json_builder_end_object(builder);
	return TRUE;
}

/* whether @services holds the same names as @tunnel's, in any order */
static gboolean
iot_service_aws_api_same_services(IotServiceTunnel *tunnel, const gchar *const *services)
{
	const gchar *const *current = iot_service_tunnel_get_services(tunnel);

	if (g_strv_length((gchar **)current) != g_strv_length((gchar **)services))
		return FALSE;
	for (guint i = 0; services[i] != NULL; i++) {
		if (!g_strv_contains(current, services[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
iot_service_aws_api_rotate_token(IotServiceAwsApi *self,
				 JsonObject *input,
				 JsonBuilder *builder,
				 GError **error)
{
	g_autoptr(IotServiceTunnel) tunnel = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *arn = NULL;
	g_auto(GStrv) services = NULL;
	const gchar *tunnel_id = NULL;
	const gchar *client_mode = NULL;
	const gchar *thing_name = NULL;
	JsonObject *destination = NULL;
	gboolean rotate[2] = {FALSE, FALSE};

	if (!iot_service_aws_input_get_string(input,
					      "tunnelId",
					      "tunnelId",
					      TRUE,
					      &tunnel_id,
					      error))
		return FALSE;
	if (!iot_service_aws_input_get_string(input,
					      "clientMode",
					      "clientMode",
					      TRUE,
					      &client_mode,
					      error))
		return FALSE;
	rotate[IOT_TUNNEL_MODE_SOURCE] =
	    g_strcmp0(client_mode, "SOURCE") == 0 || g_strcmp0(client_mode, "ALL") == 0;
	rotate[IOT_TUNNEL_MODE_DESTINATION] =
	    g_strcmp0(client_mode, "DESTINATION") == 0 || g_strcmp0(client_mode, "ALL") == 0;
	if (!rotate[IOT_TUNNEL_MODE_SOURCE] && !rotate[IOT_TUNNEL_MODE_DESTINATION])
		return iot_service_aws_input_invalid(
		    error,
		    "clientMode",
		    "satisfy enum value set: [SOURCE, DESTINATION, ALL]");
	if (!iot_service_aws_input_get_object(input, "destinationConfig", &destination, error))
		return FALSE;
	if (!iot_service_aws_input_read_destination(destination, &thing_name, &services, error))
		return FALSE;
	if (destination != NULL && !rotate[IOT_TUNNEL_MODE_DESTINATION])
		return iot_service_aws_input_invalid(error,
						     "destinationConfig",
						     "be left out when clientMode is SOURCE");
	tunnel = iot_service_aws_api_find_tunnel(self, tunnel_id, error);
	if (tunnel == NULL)
		return FALSE;
	g_object_ref(tunnel);
	if (iot_service_tunnel_is_closed(tunnel)) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_VALIDATION,
			    "Tunnel %s is closed: its access tokens cannot be rotated.",
			    tunnel_id);
		return FALSE;
	}
	if (services != NULL &&
	    !iot_service_aws_api_same_services(tunnel, (const gchar *const *)services))
		return iot_service_aws_input_invalid(
		    error,
		    "destinationConfig.services",
		    "name the services the tunnel was opened with");
	if (destination != NULL && thing_name != NULL)
		iot_service_tunnel_set_thing_name(tunnel, thing_name);
	for (guint mode = 0; mode < 2; mode++) {
		if (rotate[mode] &&
		    !iot_service_server_rotate_token(self->server, tunnel, mode, &error_local)) {
			g_set_error(error,
				    IOT_SERVICE_AWS_API_ERROR,
				    IOT_SERVICE_AWS_API_ERROR_INTERNAL,
				    "The access tokens cannot be rotated: %s.",
				    error_local->message);
			return FALSE;
		}
	}

	arn = iot_service_aws_api_arn(self, tunnel);
	json_builder_begin_object(builder);
	iot_service_aws_api_add_string(builder, "tunnelArn", arn);
	if (rotate[IOT_TUNNEL_MODE_SOURCE])
		iot_service_aws_api_add_string(
		    builder,
		    "sourceAccessToken",
		    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_SOURCE));
	if (rotate[IOT_TUNNEL_MODE_DESTINATION])
		iot_service_aws_api_add_string(
		    builder,
		    "destinationAccessToken",
		    iot_service_tunnel_get_access_token(tunnel, IOT_TUNNEL_MODE_DESTINATION));
	json_builder_end_object(builder);
	return TRUE;
}

static gboolean
iot_service_aws_api_tag_resource(IotServiceAwsApi *self,
				 JsonObject *input,
				 JsonBuilder *builder,
				 GError **error)
{
	g_autoptr(GPtrArray) tags = NULL;
	IotServiceTunnel *tunnel;
	JsonArray *array = NULL;
	guint added = 0;

	tunnel = iot_service_aws_api_find_resource(self, input, error);
	if (tunnel == NULL)
		return FALSE;
	if (!iot_service_aws_input_get_array(input, "tags", "tags", TRUE, &array, error))
		return FALSE;
	tags = iot_service_aws_input_read_tags(array, "tags", 1, error);
	if (tags == NULL)
		return FALSE;
	for (guint i = 0; i < tags->len; i++) {
		IotServiceTag *tag = g_ptr_array_index(tags, i);
		GPtrArray *current = iot_service_tunnel_get_tags(tunnel);
		gboolean found = FALSE;
		for (guint j = 0; j < current->len && !found; j++)
			found = g_strcmp0(((IotServiceTag *)g_ptr_array_index(current, j))->key,
					  tag->key) == 0;
		added += !found;
	}
	if (iot_service_tunnel_get_tags(tunnel)->len + added > IOT_SERVICE_AWS_API_MAX_TAGS)
		return iot_service_aws_input_invalid(error,
						     "tags",
						     "leave the tunnel with at most 200 tags");
	iot_service_tunnel_tag(tunnel, tags);
	json_builder_begin_object(builder);
	json_builder_end_object(builder);
	return TRUE;
}

static gboolean
iot_service_aws_api_untag_resource(IotServiceAwsApi *self,
				   JsonObject *input,
				   JsonBuilder *builder,
				   GError **error)
{
	g_autoptr(GStrvBuilder) keys = g_strv_builder_new();
	g_auto(GStrv) key_list = NULL;
	IotServiceTunnel *tunnel;
	JsonArray *array = NULL;

	tunnel = iot_service_aws_api_find_resource(self, input, error);
	if (tunnel == NULL)
		return FALSE;
	if (!iot_service_aws_input_get_array(input, "tagKeys", "tagKeys", TRUE, &array, error))
		return FALSE;
	if (json_array_get_length(array) > IOT_SERVICE_AWS_API_MAX_TAGS)
		return iot_service_aws_input_invalid(error, "tagKeys", "have length at most 200");
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *path = g_strdup_printf("tagKeys.%u.member", i + 1);

		if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
			return iot_service_aws_input_wrong_type(error, path, "a string");
		if (!iot_service_aws_input_check_tag_text(json_node_get_string(node),
							  1,
							  IOT_SERVICE_AWS_API_MAX_NAME,
							  path,
							  error))
			return FALSE;
		g_strv_builder_add(keys, json_node_get_string(node));
	}
	key_list = g_strv_builder_end(keys);
	iot_service_tunnel_untag(tunnel, (const gchar *const *)key_list);
	json_builder_begin_object(builder);
	json_builder_end_object(builder);
	return TRUE;
}

static gboolean
iot_service_aws_api_list_tags(IotServiceAwsApi *self,
			      JsonObject *input,
			      JsonBuilder *builder,
			      GError **error)
{
	IotServiceTunnel *tunnel = iot_service_aws_api_find_resource(self, input, error);

	if (tunnel == NULL)
		return FALSE;
	json_builder_begin_object(builder);
	iot_service_aws_api_add_tags(builder, iot_service_tunnel_get_tags(tunnel));
	json_builder_end_object(builder);
	return TRUE;
}

typedef gboolean (*IotServiceAwsApiOperation)(IotServiceAwsApi *self,
					      JsonObject *input,
					      JsonBuilder *builder,
					      GError **error);

static const struct {
	const gchar *name;
	IotServiceAwsApiOperation run;
} iot_service_aws_api_operations[] = {
    {"CloseTunnel", iot_service_aws_api_close_tunnel},
    {"DescribeTunnel", iot_service_aws_api_describe_tunnel},
    {"ListTagsForResource", iot_service_aws_api_list_tags},
    {"ListTunnels", iot_service_aws_api_list_tunnels},
    {"OpenTunnel", iot_service_aws_api_open_tunnel},
    {"RotateTunnelAccessToken", iot_service_aws_api_rotate_token},
    {"TagResource", iot_service_aws_api_tag_resource},
    {"UntagResource", iot_service_aws_api_untag_resource},
};

/* the operation X-Amz-Target names, or NULL with @error set */
static IotServiceAwsApiOperation
iot_service_aws_api_find_operation(SoupServerMessage *msg, const gchar **name, GError **error)
{
	const gchar *target =
	    soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					 "X-Amz-Target");
	const gchar *prefix = IOT_SERVICE_AWS_API_SIGNING_NAME ".";

	if (target != NULL && g_str_has_prefix(target, prefix)) {
		for (guint i = 0; i < G_N_ELEMENTS(iot_service_aws_api_operations); i++) {
			if (g_strcmp0(target + strlen(prefix),
				      iot_service_aws_api_operations[i].name) == 0) {
				*name = iot_service_aws_api_operations[i].name;
				return iot_service_aws_api_operations[i].run;
			}
		}
	}
	g_set_error_literal(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_UNKNOWN_OPERATION,
			    "X-Amz-Target must name an operation of AWS IoT Secure Tunneling, "
			    "such as IoTSecuredTunneling.OpenTunnel.");
	return NULL;
}

/* the request body as a JSON object; an empty body is an empty object */
static JsonParser *
iot_service_aws_api_parse_body(GBytes *body, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (g_bytes_get_size(body) == 0) {
		json_parser_load_from_data(parser, "{}", -1, NULL);
		return g_steal_pointer(&parser);
	}
	if (!json_parser_load_from_data(parser,
					g_bytes_get_data(body, NULL),
					g_bytes_get_size(body),
					&error_local)) {
		g_set_error(error,
			    IOT_SERVICE_AWS_API_ERROR,
			    IOT_SERVICE_AWS_API_ERROR_SERIALIZATION,
			    "The request body is not JSON: %s.",
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error,
				    IOT_SERVICE_AWS_API_ERROR,
				    IOT_SERVICE_AWS_API_ERROR_SERIALIZATION,
				    "The request body must be a JSON object.");
		return NULL;
	}
	return g_steal_pointer(&parser);
}

/**
 * iot_service_aws_api_handle:
 * @self: the AWS API
 * @msg: a request to `/` that passed iot_service_aws_api_check_early(), with
 *   its body
 *
 * Verifies the signature over the whole request, then runs the operation
 * X-Amz-Target names and answers it.
 */
void
iot_service_aws_api_handle(IotServiceAwsApi *self, SoupServerMessage *msg)
{
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonParser) parser = NULL;
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	IotServiceAwsApiOperation operation;
	const gchar *name = NULL;

	g_return_if_fail(IOT_IS_SERVICE_AWS_API(self));

	body = soup_message_body_flatten(soup_server_message_get_request_body(msg));
	if (!iot_service_aws_api_authenticate(self, msg, body, &error)) {
		iot_service_aws_api_respond_error(msg, NULL, error);
		return;
	}
	operation = iot_service_aws_api_find_operation(msg, &name, &error);
	if (operation == NULL) {
		iot_service_aws_api_respond_error(msg, NULL, error);
		return;
	}
	parser = iot_service_aws_api_parse_body(body, &error);
	if (parser == NULL) {
		iot_service_aws_api_respond_error(msg, name, error);
		return;
	}
	if (!operation(self, json_node_get_object(json_parser_get_root(parser)), builder, &error)) {
		iot_service_aws_api_respond_error(msg, name, error);
		return;
	}
	root = json_builder_get_root(builder);
	iot_service_aws_api_set_body(msg, SOUP_STATUS_OK, root);
	g_debug("AWS API %s: 200", name);
}

/**
 * iot_service_aws_api_new:
 * @server: the server whose tunnels the API manages; not referenced
 * @credentials: the access keys that may sign requests
 * @region: the region signatures must be scoped to, and ARNs name
 * @account_id: the account ARNs name
 *
 * Returns: (transfer full): the API
 */
IotServiceAwsApi *
iot_service_aws_api_new(IotServiceServer *server,
			IotServiceCredentials *credentials,
			const gchar *region,
			const gchar *account_id)
{
	IotServiceAwsApi *self = g_object_new(IOT_TYPE_SERVICE_AWS_API, NULL);
	self->server = server;
	self->credentials = g_object_ref(credentials);
	self->region = g_strdup(region);
	self->account_id = g_strdup(account_id);
	self->arn_prefix = g_strdup_printf("arn:aws:iot:%s:%s:tunnel/", region, account_id);
	return self;
}

static void
iot_service_aws_api_finalize(GObject *object)
{
	IotServiceAwsApi *self = IOT_SERVICE_AWS_API(object);
	g_object_unref(self->credentials);
	g_free(self->region);
	g_free(self->account_id);
	g_free(self->arn_prefix);
	G_OBJECT_CLASS(iot_service_aws_api_parent_class)->finalize(object);
}

static void
iot_service_aws_api_class_init(IotServiceAwsApiClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_service_aws_api_finalize;
}

static void
iot_service_aws_api_init(IotServiceAwsApi *self)
{
}
