/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli.h"

#include <glib/gi18n.h>

G_DEFINE_QUARK(iot-cli-error-quark, iot_cli_error);

/**
 * iot_cli_options_is_set:
 * @options: parsed options
 *
 * Returns: whether any tunnel option was given on the command line
 */
gboolean
iot_cli_options_is_set(const IotCliOptions *options)
{
	return options->access_token != NULL || options->proxy_endpoint != NULL ||
	       options->region != NULL || options->source_listen_port != NULL ||
	       options->destination_app != NULL || options->mode != NULL ||
	       options->destination_client_type != NULL;
}

static gboolean
iot_cli_parse_mode(const IotCliOptions *options, const gchar **mode, GError **error)
{
	const gchar *implied = NULL;

	if (options->source_listen_port != NULL && options->destination_app != NULL) {
		g_set_error_literal(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("-s/--source-listen-port and -d/--destination-app cannot be "
				      "used together; a proxy is either the source or the "
				      "destination."));
		return FALSE;
	}
	if (options->source_listen_port != NULL)
		implied = "source";
	else if (options->destination_app != NULL)
		implied = "destination";

	if (options->mode == NULL) {
		if (implied == NULL) {
			g_set_error_literal(
			    error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("No mode: give -s PORT for a source or -d ADDRESS for a "
			      "destination."));
			return FALSE;
		}
		*mode = implied;
		return TRUE;
	}
	if (g_strcmp0(options->mode, "src") == 0 || g_strcmp0(options->mode, "source") == 0)
		*mode = "source";
	else if (g_strcmp0(options->mode, "dst") == 0 ||
		 g_strcmp0(options->mode, "destination") == 0)
		*mode = "destination";
	else {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("-m/--mode is \"%s\"; use src, source, dst or destination."),
			    options->mode);
		return FALSE;
	}
	if (implied != NULL && g_strcmp0(implied, *mode) != 0) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("-m %s contradicts %s; drop one of them."),
			    options->mode,
			    options->source_listen_port != NULL ? "-s" : "-d");
		return FALSE;
	}
	if (implied == NULL) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("-m %s needs %s."),
			    options->mode,
			    g_strcmp0(*mode, "source") == 0 ? _("-s PORT") : _("-d ADDRESS"));
		return FALSE;
	}
	return TRUE;
}

/* "PORT", "host:port", "[v6]:port" or a socket path, for one service */
static JsonObject *
iot_cli_service_settings(const gchar *value, gboolean source, const gchar *bind)
{
	JsonObject *settings = json_object_new();
	if (!source && strchr(value, '/') != NULL) {
		json_object_set_string_member(settings, "endpoint", "unix");
		json_object_set_string_member(settings, "path", value);
		return settings;
	}
	json_object_set_string_member(settings, "endpoint", "tcp");
	json_object_set_string_member(settings, "address", value);
	if (bind != NULL)
		json_object_set_string_member(settings, "bind", bind);
	return settings;
}

/* "5555" alone, or "ID=value,ID=value" */
static JsonObject *
iot_cli_parse_services(const gchar *option,
		       const gchar *value,
		       gboolean source,
		       const gchar *bind,
		       GError **error)
{
	g_autoptr(JsonObject) services = json_object_new();
	g_auto(GStrv) items = g_strsplit(value, ",", -1);

	if (strchr(value, '=') == NULL) {
		json_object_set_object_member(services,
					      "",
					      iot_cli_service_settings(value, source, bind));
		return g_steal_pointer(&services);
	}
	for (guint i = 0; items[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(items[i], "=", 2);
		if (g_strv_length(pair) != 2 || pair[0][0] == '\0' || pair[1][0] == '\0') {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s: \"%s\" is not ID=VALUE; write for example SSH1=%s."),
				    option,
				    items[i],
				    source ? "5555" : "22");
			return NULL;
		}
		if (json_object_has_member(services, pair[0])) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s: service %s is mapped twice; map each service once."),
				    option,
				    pair[0]);
			return NULL;
		}
		json_object_set_object_member(services,
					      pair[0],
					      iot_cli_service_settings(pair[1], source, bind));
	}
	return g_steal_pointer(&services);
}

/**
 * iot_cli_options_to_profile:
 * @options: parsed options
 * @error: (nullable): return location for an error in %IOT_CLI_ERROR
 *
 * Writes the reference-style options as a profile with one tunnel named
 * "default". The access token is referred to, never copied: by the
 * environment variable when it comes from there.
 *
 * Returns: (transfer full): the profile's root node, or %NULL with @error set
 */
JsonNode *
iot_cli_options_to_profile(const IotCliOptions *options, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonObject) services = NULL;
	const gchar *mode = NULL;
	gboolean source;

	if (options->region != NULL && options->proxy_endpoint != NULL) {
		g_set_error_literal(
		    error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("-r/--region and -e/--proxy-endpoint cannot be used together; "
		      "give one of them."));
		return NULL;
	}
	if (!iot_cli_parse_mode(options, &mode, error))
		return NULL;
	source = g_strcmp0(mode, "source") == 0;
	if (options->region == NULL && options->proxy_endpoint == NULL &&
	    g_getenv("AWSIOT_TUNNEL_REGION") == NULL &&
	    g_getenv("AWSIOT_TUNNEL_ENDPOINT") == NULL) {
		g_set_error_literal(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("No service: give -r REGION or -e HOST:PORT."));
		return NULL;
	}
	services =
	    iot_cli_parse_services(source ? "-s" : "-d",
				   source ? options->source_listen_port : options->destination_app,
				   source,
				   options->local_bind_address,
				   error);
	if (services == NULL)
		return NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnels");
	json_builder_begin_array(builder);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, "default");
	json_builder_set_member_name(builder, "mode");
	json_builder_add_string_value(builder, mode);

	json_builder_set_member_name(builder, "service");
	json_builder_begin_object(builder);
	if (options->proxy_endpoint != NULL || options->region == NULL) {
		const gchar *endpoint = options->proxy_endpoint;
		if (endpoint == NULL && options->region == NULL)
			endpoint = g_getenv("AWSIOT_TUNNEL_ENDPOINT");
		if (endpoint != NULL) {
			json_builder_set_member_name(builder, "endpoint");
			json_builder_add_string_value(builder, endpoint);
		} else {
			json_builder_set_member_name(builder, "region");
			json_builder_add_string_value(builder, g_getenv("AWSIOT_TUNNEL_REGION"));
		}
	} else {
		json_builder_set_member_name(builder, "region");
		json_builder_add_string_value(builder, options->region);
	}
	json_builder_end_object(builder);

	json_builder_set_member_name(builder, "access_token");
	json_builder_begin_object(builder);
	if (options->access_token != NULL) {
		json_builder_set_member_name(builder, "value");
		json_builder_add_string_value(builder, options->access_token);
	} else {
		json_builder_set_member_name(builder, "env");
		json_builder_add_string_value(builder, "AWSIOT_TUNNEL_ACCESS_TOKEN");
	}
	json_builder_end_object(builder);
	if (g_getenv("AWSIOT_TUNNEL_CLIENT_TOKEN") != NULL) {
		json_builder_set_member_name(builder, "client_token");
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "env");
		json_builder_add_string_value(builder, "AWSIOT_TUNNEL_CLIENT_TOKEN");
		json_builder_end_object(builder);
	}

	if (options->destination_client_type != NULL) {
		g_autofree gchar *lower = g_ascii_strdown(options->destination_client_type, -1);
		if (g_strcmp0(lower, "v1") != 0 && g_strcmp0(lower, "v2") != 0) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("-y/--destination-client-type is \"%s\"; use V1 or V2."),
				    options->destination_client_type);
			return NULL;
		}
		json_builder_set_member_name(builder, "destination_client_type");
		json_builder_add_string_value(builder, lower);
	}

	json_builder_set_member_name(builder, "transport");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "websocket");
	if (options->capath != NULL) {
		json_builder_set_member_name(builder, "ca_path");
		json_builder_add_string_value(builder, options->capath);
	}
	if (options->no_ssl_host_verify) {
		json_builder_set_member_name(builder, "insecure");
		json_builder_add_boolean_value(builder, TRUE);
	}
	json_builder_end_object(builder);

	json_builder_set_member_name(builder, "services");
	json_builder_add_value(builder, json_node_init_object(json_node_alloc(), services));
	json_builder_end_object(builder);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

/**
 * iot_cli_options_clear:
 * @options: parsed options
 *
 * Frees the strings, wiping the access token first.
 */
void
iot_cli_options_clear(IotCliOptions *options)
{
	if (options->access_token != NULL)
		memset(options->access_token, 0, strlen(options->access_token));
	g_clear_pointer(&options->access_token, g_free);
	g_clear_pointer(&options->proxy_endpoint, g_free);
	g_clear_pointer(&options->region, g_free);
	g_clear_pointer(&options->source_listen_port, g_free);
	g_clear_pointer(&options->destination_app, g_free);
	g_clear_pointer(&options->local_bind_address, g_free);
	g_clear_pointer(&options->capath, g_free);
	g_clear_pointer(&options->mode, g_free);
	g_clear_pointer(&options->destination_client_type, g_free);
}
