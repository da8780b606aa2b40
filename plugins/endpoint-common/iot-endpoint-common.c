/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-endpoint-common.h"

/* the profile key that names the plugin; every endpoint accepts it */
#define IOT_ENDPOINT_SETTING_ENDPOINT "endpoint"

/**
 * iot_endpoint_settings_check:
 * @settings: a service's settings object
 * @endpoint_name: the plugin's name, as a profile writes it ("tcp")
 * @keys: (array zero-terminated=1): the setting names the plugin knows
 * @error: (nullable): return location for an %IOT_ENDPOINT_ERROR_SETTINGS error
 *
 * Refuses a key the plugin does not know, so that a typo ("adress") is not
 * silently replaced by a default.
 *
 * Returns: %TRUE when every key is known and "endpoint", if given, names the plugin
 */
gboolean
iot_endpoint_settings_check(JsonObject *settings,
			    const gchar *endpoint_name,
			    const gchar *const *keys,
			    GError **error)
{
	JsonObjectIter iter;
	const gchar *member_name = NULL;
	JsonNode *member_node = NULL;

	json_object_iter_init(&iter, settings);
	while (json_object_iter_next(&iter, &member_name, &member_node)) {
		if (g_strcmp0(member_name, IOT_ENDPOINT_SETTING_ENDPOINT) == 0) {
			if (!JSON_NODE_HOLDS_VALUE(member_node) ||
			    json_node_get_value_type(member_node) != G_TYPE_STRING ||
			    g_strcmp0(json_node_get_string(member_node), endpoint_name) != 0) {
				g_set_error(error,
					    IOT_ENDPOINT_ERROR,
					    IOT_ENDPOINT_ERROR_SETTINGS,
					    "endpoint must be \"%s\" for this plugin",
					    endpoint_name);
				return FALSE;
			}
			continue;
		}
		if (!g_strv_contains(keys, member_name)) {
			g_autofree gchar *known = g_strjoinv(", ", (gchar **)keys);
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "unknown setting \"%s\": the %s endpoint takes %s",
				    member_name,
				    endpoint_name,
				    known);
			return FALSE;
		}
	}
	return TRUE;
}

/**
 * iot_endpoint_settings_get_string:
 * @settings: a service's settings object
 * @key: the setting's name
 * @value: (inout): replaced by the setting when it is given; left alone otherwise
 * @error: (nullable): return location for an %IOT_ENDPOINT_ERROR_SETTINGS error
 *
 * Returns: %TRUE when the setting is absent or a non-empty string
 */
gboolean
iot_endpoint_settings_get_string(JsonObject *settings,
				 const gchar *key,
				 gchar **value,
				 GError **error)
{
	JsonNode *node = json_object_get_member(settings, key);

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "%s must be a string",
			    key);
		return FALSE;
	}
	if (json_node_get_string(node)[0] == '\0') {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "%s must not be empty",
			    key);
		return FALSE;
	}
	g_free(*value);
	*value = json_node_dup_string(node);
	return TRUE;
}

/**
 * iot_endpoint_settings_get_uint:
 * @settings: a service's settings object
 * @key: the setting's name
 * @maximum: the largest value accepted
 * @value: (inout): replaced by the setting when it is given; left alone otherwise
 * @error: (nullable): return location for an %IOT_ENDPOINT_ERROR_SETTINGS error
 *
 * Returns: %TRUE when the setting is absent or an integer from 0 to @maximum
 */
gboolean
iot_endpoint_settings_get_uint(JsonObject *settings,
			       const gchar *key,
			       guint maximum,
			       guint *value,
			       GError **error)
{
	JsonNode *node = json_object_get_member(settings, key);
	gint64 number;

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "%s must be an integer from 0 to %u",
			    key,
			    maximum);
		return FALSE;
	}
	number = json_node_get_int(node);
	if (number < 0 || number > (gint64)maximum) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "%s is %" G_GINT64_FORMAT ": expected an integer from 0 to %u",
			    key,
			    number,
			    maximum);
		return FALSE;
	}
	*value = (guint)number;
	return TRUE;
}

/**
 * iot_endpoint_settings_get_retries:
 * @settings: a service's settings object
 * @retry_count: (inout): replaced by retry_count when it is given
 * @retry_delay_ms: (inout): replaced by retry_delay_ms when it is given
 * @error: (nullable): return location for an %IOT_ENDPOINT_ERROR_SETTINGS error
 *
 * Reads the destination side's retry settings, which every endpoint shares.
 *
 * Returns: %TRUE when both are absent or in range
 */
gboolean
iot_endpoint_settings_get_retries(JsonObject *settings,
				  guint *retry_count,
				  guint *retry_delay_ms,
				  GError **error)
{
	return iot_endpoint_settings_get_uint(settings,
					      "retry_count",
					      IOT_ENDPOINT_MAX_RETRY_COUNT,
					      retry_count,
					      error) &&
	       iot_endpoint_settings_get_uint(settings,
					      "retry_delay_ms",
					      IOT_ENDPOINT_MAX_RETRY_DELAY_MS,
					      retry_delay_ms,
					      error);
}

typedef struct {
	gchar *description;
	guint retry_count;
	guint retry_delay_ms;
	guint tries;
	IotEndpointAttemptFunc attempt;
	IotEndpointAttemptFinishFunc attempt_finish;
} IotEndpointRetryHelper;

static void
iot_endpoint_retry_helper_free(IotEndpointRetryHelper *helper)
{
	g_free(helper->description);
	g_free(helper);
}

static void
iot_endpoint_retry_try(GTask *task);

static gboolean
iot_endpoint_retry_delay_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);

	/* the cancellable, a child source, also dispatches this */
	if (g_task_return_error_if_cancelled(task))
		return G_SOURCE_REMOVE;
	iot_endpoint_retry_try(g_object_ref(task));
	return G_SOURCE_REMOVE;
}

static void
iot_endpoint_retry_attempt_cb(GObject *source_object, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK(user_data);
	IotEndpointRetryHelper *helper = g_task_get_task_data(task);
	GCancellable *cancellable = g_task_get_cancellable(task);
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GSource) delay = NULL;

	stream = helper->attempt_finish(source_object, result, &error_local);
	if (stream != NULL) {
		g_task_return_pointer(task, g_steal_pointer(&stream), g_object_unref);
		return;
	}
	if (g_task_return_error_if_cancelled(task))
		return;
	if (g_error_matches(error_local, IOT_ENDPOINT_ERROR, IOT_ENDPOINT_ERROR_SETTINGS)) {
		g_task_return_error(task, g_steal_pointer(&error_local));
		return;
	}
	if (helper->tries > helper->retry_count) {
		g_task_return_new_error(task,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_CONNECT,
					"failed to connect to %s after %u %s: %s",
					helper->description,
					helper->tries,
					helper->tries == 1 ? "try" : "tries",
					error_local->message);
		return;
	}
	g_info("failed to connect to %s (try %u of %u): %s; retrying in %u ms",
	       helper->description,
	       helper->tries,
	       helper->retry_count + 1,
	       error_local->message,
	       helper->retry_delay_ms);
	delay = g_timeout_source_new(helper->retry_delay_ms);
	g_source_set_static_name(delay, "iot-endpoint-retry-delay");
	if (cancellable != NULL) {
		g_autoptr(GSource) cancelled = g_cancellable_source_new(cancellable);
		g_source_set_dummy_callback(cancelled);
		g_source_add_child_source(delay, cancelled);
	}
	g_source_set_callback(delay,
			      iot_endpoint_retry_delay_cb,
			      g_steal_pointer(&task),
			      g_object_unref);
	g_source_attach(delay, g_main_context_get_thread_default());
}

static void
iot_endpoint_retry_try(GTask *task_in)
{
	g_autoptr(GTask) task = task_in;
	IotEndpointRetryHelper *helper = g_task_get_task_data(task);
	GObject *endpoint = g_task_get_source_object(task);
	GCancellable *cancellable = g_task_get_cancellable(task);

	/* the task is handed on in the same call: read what it holds first */
	helper->tries++;
	helper->attempt(endpoint,
			cancellable,
			iot_endpoint_retry_attempt_cb,
			g_steal_pointer(&task));
}

/**
 * iot_endpoint_connect_with_retries_async:
 * @endpoint: the endpoint, the source object of the result
 * @description: where the endpoint connects, for messages ("127.0.0.1:22")
 * @retry_count: tries after the first one that failed
 * @retry_delay_ms: the wait between tries
 * @attempt: starts one try
 * @attempt_finish: ends one try
 * @source_tag: the tag the endpoint's connect_finish checks
 * @cancellable: (nullable): a #GCancellable, also stopping the wait between tries
 * @callback: (scope async): called with the stream or the last error
 * @user_data: data for @callback
 *
 * Runs @attempt until it gives a stream or has failed @retry_count + 1 times.
 * The final error is %IOT_ENDPOINT_ERROR_CONNECT, naming @description, the
 * number of tries and the last failure; a cancelled call ends with
 * %G_IO_ERROR_CANCELLED, and an attempt's %IOT_ENDPOINT_ERROR_SETTINGS error
 * ends it at once, as retrying would not help.
 */
void
iot_endpoint_connect_with_retries_async(GObject *endpoint,
					const gchar *description,
					guint retry_count,
					guint retry_delay_ms,
					IotEndpointAttemptFunc attempt,
					IotEndpointAttemptFinishFunc attempt_finish,
					gpointer source_tag,
					GCancellable *cancellable,
					GAsyncReadyCallback callback,
					gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(endpoint, cancellable, callback, user_data);
	IotEndpointRetryHelper *helper = g_new0(IotEndpointRetryHelper, 1);

	helper->description = g_strdup(description);
	helper->retry_count = retry_count;
	helper->retry_delay_ms = retry_delay_ms;
	helper->attempt = attempt;
	helper->attempt_finish = attempt_finish;
	g_task_set_source_tag(task, source_tag);
	g_task_set_name(task, "iot-endpoint-connect");
	g_task_set_task_data(task, helper, (GDestroyNotify)iot_endpoint_retry_helper_free);
	iot_endpoint_retry_try(g_steal_pointer(&task));
}

/**
 * iot_endpoint_connect_with_retries_finish:
 * @endpoint: the endpoint
 * @result: the result passed to the callback
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the stream to the local app, or %NULL with @error set
 */
GIOStream *
iot_endpoint_connect_with_retries_finish(GObject *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, endpoint), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}
