/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "iot-address.h"
#include "iot-cli-config-dir.h"
#include "iot-cli-config.h"
#include "iot-cli-help.h"
#include "iot-cli-settings.h"
#include "iot-log.h"
#include "iot-profile-common.h"
#include "iot-subprotocol.h"

/*
 * The reference local proxy's command line, --config file, --config-dir,
 * --settings-json and environment, turned into one profile. Precedence: the
 * command line, then the --config file, then the environment; each of the
 * pairs -r/-e and -s/-d is one choice, made where it was made last.
 */

/* the reference's limit on a region name */
#define IOT_CLI_REGION_MAX 64

/* -r and -e, or -s and -d: the one given at higher precedence wins; both at the same is an error */
static gboolean
iot_cli_resolve_pair(IotCliOptions *options, IotCliOption a, IotCliOption b, GError **error)
{
	const IotCliValue *va = iot_cli_options_get_value(options, a);
	const IotCliValue *vb = iot_cli_options_get_value(options, b);
	g_autofree gchar *name_a = NULL;
	g_autofree gchar *name_b = NULL;

	if (va->origin == IOT_CLI_ORIGIN_NONE || vb->origin == IOT_CLI_ORIGIN_NONE)
		return TRUE;
	if (va->origin != vb->origin) {
		iot_cli_options_unset(options, va->origin > vb->origin ? b : a);
		return TRUE;
	}
	name_a = iot_cli_option_describe_args(a);
	name_b = iot_cli_option_describe_args(b);
	switch (va->origin) {
	case IOT_CLI_ORIGIN_CONFIG:
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s: %s and %s cannot both be set; keep one of them."),
			    va->file,
			    iot_cli_option_get_info(a)->long_name,
			    iot_cli_option_get_info(b)->long_name);
		break;
	case IOT_CLI_ORIGIN_ENVIRONMENT:
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s and %s cannot both be set; unset one of them."),
			    va->env,
			    vb->env);
		break;
	case IOT_CLI_ORIGIN_ARGS:
	case IOT_CLI_ORIGIN_NONE:
	default:
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s and %s cannot be used together; give one of them."),
			    name_a,
			    name_b);
		break;
	}
	return FALSE;
}

static void
iot_cli_set_error_value(GError **error,
			IotCliOptions *options,
			IotCliOption id,
			const gchar *expectation)
{
	g_autofree gchar *name = iot_cli_options_describe(options, id);
	g_autofree gchar *quoted = g_strescape(iot_cli_options_get(options, id), NULL);
	g_set_error(error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s is \"%s\"; %s."),
		    name,
		    quoted,
		    expectation);
}

/* source or destination, from -m or implied by -s or -d */
static gboolean
iot_cli_parse_mode(IotCliOptions *options, gboolean *source, GError **error)
{
	const gchar *mode = iot_cli_options_get(options, IOT_CLI_OPTION_MODE);
	IotCliOption implied = IOT_CLI_OPTION_LAST;

	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_SOURCE_LISTEN_PORT))
		implied = IOT_CLI_OPTION_SOURCE_LISTEN_PORT;
	else if (iot_cli_options_is_set(options, IOT_CLI_OPTION_DESTINATION_APP))
		implied = IOT_CLI_OPTION_DESTINATION_APP;

	if (mode == NULL) {
		if (implied == IOT_CLI_OPTION_LAST) {
			g_set_error_literal(
			    error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("No mode: give -s PORT for a source or -d ADDRESS for a "
			      "destination."));
			return FALSE;
		}
		*source = implied == IOT_CLI_OPTION_SOURCE_LISTEN_PORT;
		return TRUE;
	}
	if (g_strcmp0(mode, "src") == 0 || g_strcmp0(mode, "source") == 0) {
		*source = TRUE;
	} else if (g_strcmp0(mode, "dst") == 0 || g_strcmp0(mode, "destination") == 0) {
		*source = FALSE;
	} else {
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_MODE,
					_("use src, source, dst or destination"));
		return FALSE;
	}
	if (implied != IOT_CLI_OPTION_LAST &&
	    *source != (implied == IOT_CLI_OPTION_SOURCE_LISTEN_PORT)) {
		g_autofree gchar *name = iot_cli_options_describe(options, IOT_CLI_OPTION_MODE);
		g_autofree gchar *other = iot_cli_options_describe(options, implied);
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s is \"%s\", which contradicts %s; drop one of them."),
			    name,
			    mode,
			    other);
		return FALSE;
	}
	return TRUE;
}

/* a token given inline goes into an HTTP header: visible ASCII only */
static gboolean
iot_cli_check_token(IotCliOptions *options,
		    IotCliOption id,
		    const gchar *const *envp,
		    GError **error)
{
	const IotCliValue *value = iot_cli_options_get_value(options, id);
	g_autofree gchar *name = iot_cli_options_describe(options, id);
	const gchar *token = value->value;
	gsize len;

	if (value->origin == IOT_CLI_ORIGIN_ENVIRONMENT)
		token = g_environ_getenv((gchar **)envp, value->env);
	if (token == NULL || token[0] == '\0') {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s is empty; give the token as it was issued."),
			    name);
		return FALSE;
	}
	len = strlen(token);
	if (id == IOT_CLI_OPTION_CLIENT_TOKEN) {
		gboolean valid = len >= 32 && len <= 128;
		for (gsize i = 0; valid && i < len; i++)
			valid = g_ascii_isalnum(token[i]) || token[i] == '-';
		if (!valid) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s is not 32 to 128 letters, digits or \"-\"; give a client "
				      "token of that form."),
				    name);
			return FALSE;
		}
		return TRUE;
	}
	for (gsize i = 0; i < len; i++) {
		if (token[i] < 0x21 || token[i] > 0x7e) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s holds a space, a control or a non-ASCII character; give "
				      "the token exactly as it was issued."),
				    name);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
iot_cli_check_tokens(IotCliOptions *options, const gchar *const *envp, GError **error)
{
	if (!iot_cli_options_is_set(options, IOT_CLI_OPTION_ACCESS_TOKEN)) {
		g_set_error_literal(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("No access token: set AWSIOT_TUNNEL_ACCESS_TOKEN, or "
				      "access-token in a --config file."));
		return FALSE;
	}
	if (!iot_cli_check_token(options, IOT_CLI_OPTION_ACCESS_TOKEN, envp, error))
		return FALSE;
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_CLIENT_TOKEN) &&
	    !iot_cli_check_token(options, IOT_CLI_OPTION_CLIENT_TOKEN, envp, error))
		return FALSE;
	return TRUE;
}

/* the profile's own rule for "region": only names it knows how to turn into a host */
static gboolean
iot_cli_region_is_profile_region(const gchar *region)
{
	return g_regex_match_simple("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$",
				    region,
				    G_REGEX_DOLLAR_ENDONLY,
				    0);
}

static void
iot_cli_add_token(JsonBuilder *builder, IotCliOptions *options, IotCliOption id, const gchar *key)
{
	const IotCliValue *value = iot_cli_options_get_value(options, id);

	json_builder_set_member_name(builder, key);
	json_builder_begin_object(builder);
	if (value->origin == IOT_CLI_ORIGIN_ENVIRONMENT) {
		json_builder_set_member_name(builder, "env");
		json_builder_add_string_value(builder, value->env);
	} else {
		json_builder_set_member_name(builder, "value");
		json_builder_add_string_value(builder, value->value);
	}
	json_builder_end_object(builder);
}

/* {"region": ...} when the profile turns it into the same host, else {"endpoint": host} */
static gboolean
iot_cli_add_region(JsonBuilder *builder,
		   IotCliOptions *options,
		   IotCliSettings *settings,
		   GError **error)
{
	const gchar *region = iot_cli_options_get(options, IOT_CLI_OPTION_REGION);
	g_autofree gchar *host = NULL;
	g_autofree gchar *usual = NULL;
	gboolean valid = region[0] != '\0' && strlen(region) <= IOT_CLI_REGION_MAX;

	/* the reference's rule: lower-case letters, digits and "-" */
	for (const gchar *p = region; valid && *p != '\0'; p++)
		valid = g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-';
	if (!valid) {
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_REGION,
					_("give a region such as us-east-1"));
		return FALSE;
	}
	host = iot_cli_settings_get_region_host(settings, region);
	usual = g_strdup_printf("data.tunneling.iot.%s.amazonaws.com%s",
				region,
				g_str_has_prefix(region, "cn-") ? ".cn" : "");
	if (iot_cli_region_is_profile_region(region) && g_strcmp0(host, usual) == 0) {
		json_builder_set_member_name(builder, "region");
		json_builder_add_string_value(builder, region);
	} else {
		json_builder_set_member_name(builder, "endpoint");
		json_builder_add_string_value(builder, host);
	}
	return TRUE;
}

/* HOST, HOST:PORT, [V6]:PORT, a bare V6, or the same after wss:// (or ws:// to a loopback) */
static gboolean
iot_cli_add_endpoint(JsonBuilder *builder, IotCliOptions *options, GError **error)
{
	const gchar *endpoint = iot_cli_options_get(options, IOT_CLI_OPTION_PROXY_ENDPOINT);

	switch (iot_profile_parse_service_endpoint(endpoint, NULL)) {
	case IOT_PROFILE_ENDPOINT_OK:
		break;
	case IOT_PROFILE_ENDPOINT_BAD_PORT:
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_PROXY_ENDPOINT,
					_("use a port from 1 to 65535"));
		return FALSE;
	case IOT_PROFILE_ENDPOINT_PLAIN:
		iot_cli_set_error_value(
		    error,
		    options,
		    IOT_CLI_OPTION_PROXY_ENDPOINT,
		    _("use wss://, since ws:// is only allowed for a loopback host"));
		return FALSE;
	case IOT_PROFILE_ENDPOINT_INVALID:
	default:
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_PROXY_ENDPOINT,
					_("give HOST, HOST:PORT, [IPV6]:PORT or wss://HOST:PORT"));
		return FALSE;
	}
	json_builder_set_member_name(builder, "endpoint");
	json_builder_add_string_value(builder, endpoint);
	return TRUE;
}

static gboolean
iot_cli_add_service(JsonBuilder *builder,
		    IotCliOptions *options,
		    IotCliSettings *settings,
		    GError **error)
{
	json_builder_set_member_name(builder, "service");
	json_builder_begin_object(builder);
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_REGION)) {
		if (!iot_cli_add_region(builder, options, settings, error))
			return FALSE;
	} else {
		if (!iot_cli_add_endpoint(builder, options, error))
			return FALSE;
	}
	json_builder_end_object(builder);
	return TRUE;
}

/* -c names a folder or a file of CA certificates: there, and readable by us */
static gboolean
iot_cli_check_capath(IotCliOptions *options, const gchar *capath, GError **error)
{
	g_autofree gchar *name = NULL;
	GStatBuf st;
	gint errsv = 0;

	if (g_stat(capath, &st) != 0)
		errsv = errno;
	else if (access(capath, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK) != 0)
		errsv = errno;
	if (errsv == 0)
		return TRUE;
	name = iot_cli_options_describe(options, IOT_CLI_OPTION_CAPATH);
	if (errsv == ENOENT || errsv == ENOTDIR) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s is \"%s\", which does not exist; give a folder of CA "
			      "certificates."),
			    name,
			    capath);
		return FALSE;
	}
	g_set_error(error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s is \"%s\", which cannot be read (%s); check its permissions and those "
		      "of the folders above it."),
		    name,
		    capath,
		    g_strerror(errsv));
	return FALSE;
}

static gboolean
iot_cli_add_transport(JsonBuilder *builder,
		      IotCliOptions *options,
		      IotCliSettings *settings,
		      GError **error)
{
	const gchar *capath = iot_cli_options_get(options, IOT_CLI_OPTION_CAPATH);

	if (capath != NULL && !iot_cli_check_capath(options, capath, error))
		return FALSE;
	json_builder_set_member_name(builder, "transport");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "websocket");
	if (capath != NULL) {
		json_builder_set_member_name(builder, "ca_path");
		json_builder_add_string_value(builder, capath);
	}
	if (g_strcmp0(iot_cli_options_get(options, IOT_CLI_OPTION_NO_SSL_HOST_VERIFY), "true") ==
	    0) {
		json_builder_set_member_name(builder, "insecure");
		json_builder_add_boolean_value(builder, TRUE);
	}
	json_builder_set_member_name(builder, "ping_ms");
	json_builder_add_int_value(builder, settings->ping_ms);
	json_builder_end_object(builder);
	return TRUE;
}

/*
 * The older version the destination speaks: -y V1 or V2; V3 is the default.
 * A destination answers in the format each message comes in, so -y means
 * nothing there: the reference documents it for a source only.
 */
static gboolean
iot_cli_add_destination_client_type(JsonBuilder *builder,
				    IotCliOptions *options,
				    IotCliSettings *settings,
				    gboolean source,
				    GError **error)
{
	const gchar *type = iot_cli_options_get(options, IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE);
	g_autofree gchar *lower = NULL;

	if (type == NULL)
		return TRUE;
	lower = g_ascii_strdown(type, -1);
	if (g_strcmp0(lower, "v1") != 0 && g_strcmp0(lower, "v2") != 0 &&
	    g_strcmp0(lower, "v3") != 0) {
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE,
					_("use V1 or V2"));
		return FALSE;
	}
	if (!source) {
		g_autofree gchar *name =
		    iot_cli_options_describe(options, IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE);
		g_warning(_("%s is for a source talking to an older destination; a destination "
			    "answers in the format the source uses, so it is ignored here."),
			  name);
		return TRUE;
	}
	if (g_strcmp0(lower, "v3") == 0)
		return TRUE;
	if (settings->protocol != 3) {
		g_autofree gchar *name =
		    iot_cli_options_describe(options, IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE);
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s needs the subprotocol %s, but --settings-json sets %u.0; drop "
			      "one of them."),
			    name,
			    IOT_SUBPROTOCOL_V3,
			    settings->protocol);
		return FALSE;
	}
	json_builder_set_member_name(builder, "destination_client_type");
	json_builder_add_string_value(builder, lower);
	return TRUE;
}

/* from -s or -d, else from --config-dir or ./config; a source may have none */
static GPtrArray *
iot_cli_read_mappings(IotCliOptions *options, gboolean source, GError **error)
{
	IotCliOption id =
	    source ? IOT_CLI_OPTION_SOURCE_LISTEN_PORT : IOT_CLI_OPTION_DESTINATION_APP;
	const gchar *dir = iot_cli_options_get(options, IOT_CLI_OPTION_CONFIG_DIR);
	g_autoptr(GPtrArray) mappings = NULL;

	if (dir != NULL && !iot_cli_config_dir_check(dir, error))
		return NULL;
	if (iot_cli_options_is_set(options, id)) {
		g_autofree gchar *name = iot_cli_options_describe(options, id);
		if (dir != NULL)
			g_debug("%s: not read, since %s gives the mappings", dir, name);
		return iot_cli_mappings_parse(iot_cli_options_get(options, id),
					      source,
					      name,
					      error);
	}
	if (dir == NULL && g_file_test(IOT_CLI_CONFIG_DIR_DEFAULT, G_FILE_TEST_IS_DIR))
		dir = IOT_CLI_CONFIG_DIR_DEFAULT;
	if (dir != NULL) {
		mappings = iot_cli_config_dir_read(dir, source, error);
		if (mappings == NULL)
			return NULL;
	} else {
		mappings = g_ptr_array_new_with_free_func((GDestroyNotify)iot_cli_mapping_free);
	}
	if (mappings->len > 0)
		return g_steal_pointer(&mappings);
	if (!source) {
		g_set_error_literal(
		    error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("Destination mode needs -d ADDRESS, or --config-dir files with "
		      "ID=ADDRESS lines."));
		return NULL;
	}
	/* the reference listens on a free port for each service the tunnel has */
	g_ptr_array_add(mappings, iot_cli_mapping_new("", "0", TRUE, "", NULL));
	return g_steal_pointer(&mappings);
}

static void
iot_cli_add_services(JsonBuilder *builder,
		     GPtrArray *mappings,
		     gboolean source,
		     const gchar *bind,
		     IotCliSettings *settings)
{
	json_builder_set_member_name(builder, "services");
	json_builder_begin_object(builder);
	for (guint i = 0; i < mappings->len; i++) {
		IotCliMapping *mapping = g_ptr_array_index(mappings, i);
		json_builder_set_member_name(builder, mapping->id);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "endpoint");
		json_builder_add_string_value(builder, mapping->is_path ? "unix" : "tcp");
		json_builder_set_member_name(builder, mapping->is_path ? "path" : "address");
		json_builder_add_string_value(builder, mapping->value);
		/* a source's address with a host says where to listen by itself */
		if (bind != NULL && !mapping->is_path && !(source && mapping->has_host)) {
			json_builder_set_member_name(builder, "bind");
			json_builder_add_string_value(builder, bind);
		}
		if (!source) {
			json_builder_set_member_name(builder, "retry_count");
			json_builder_add_int_value(builder,
						   settings->tcp_retry_count < 0
						       ? IOT_CLI_SETTINGS_RETRY_COUNT_MAX
						       : settings->tcp_retry_count);
			json_builder_set_member_name(builder, "retry_delay_ms");
			json_builder_add_int_value(builder, settings->tcp_retry_delay_ms);
		}
		json_builder_end_object(builder);
	}
	json_builder_end_object(builder);
}

/**
 * iot_cli_options_load_sources:
 * @options: options read from the command line
 * @envp: (array zero-terminated=1): the environment
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Adds what the --config file and then the environment give, each below
 * what is already there.
 *
 * Returns: %TRUE unless the --config file cannot be read or is invalid
 */
gboolean
iot_cli_options_load_sources(IotCliOptions *options, const gchar *const *envp, GError **error)
{
	const gchar *config = iot_cli_options_get(options, IOT_CLI_OPTION_CONFIG);

	if (config != NULL && !iot_cli_config_load(options, config, error))
		return FALSE;
	iot_cli_options_load_environment(options, envp);
	return TRUE;
}

/**
 * iot_cli_options_get_verbosity:
 * @options: options
 * @verbosity: (out): the log level, 0 to 6
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Reads -v as the reference does: 0 off, 1 fatal, 2 error, 3 warning, 4 info,
 * 5 debug, 6 trace, and anything above 6 as 6.
 *
 * Returns: %FALSE when -v is not a number from 0 to 65535
 */
gboolean
iot_cli_options_get_verbosity(IotCliOptions *options, guint *verbosity, GError **error)
{
	const gchar *text = iot_cli_options_get(options, IOT_CLI_OPTION_VERBOSE);
	guint64 level = IOT_LOG_VERBOSITY_DEFAULT;

	if (text != NULL && !g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT16, &level, NULL)) {
		iot_cli_set_error_value(error,
					options,
					IOT_CLI_OPTION_VERBOSE,
					_("give a level from 0 (off) to 6 (trace)"));
		return FALSE;
	}
	*verbosity = MIN(level, IOT_LOG_VERBOSITY_MAX);
	return TRUE;
}

/**
 * iot_cli_options_to_profile:
 * @options: options from every source, see iot_cli_options_load_sources()
 * @envp: (array zero-terminated=1): the environment, to check the tokens it holds
 * @error: (nullable): return location for an %IOT_CLI_ERROR error
 *
 * Checks the options before anything touches the network, reads the
 * --settings-json and --config-dir files, and writes it all as a profile of
 * one tunnel named "default". A token from the environment is referred to
 * by its variable, never copied.
 *
 * Returns: (transfer full): the profile's root node, or %NULL with @error set
 */
JsonNode *
iot_cli_options_to_profile(IotCliOptions *options, const gchar *const *envp, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(IotCliSettings) settings = iot_cli_settings_new();
	g_autoptr(GPtrArray) mappings = NULL;
	g_autofree gchar *bind = NULL;
	const gchar *settings_path = iot_cli_options_get(options, IOT_CLI_OPTION_SETTINGS_JSON);
	const gchar *bind_text = iot_cli_options_get(options, IOT_CLI_OPTION_LOCAL_BIND_ADDRESS);
	gboolean source = FALSE;

	if (!iot_cli_resolve_pair(options,
				  IOT_CLI_OPTION_REGION,
				  IOT_CLI_OPTION_PROXY_ENDPOINT,
				  error))
		return NULL;
	if (!iot_cli_resolve_pair(options,
				  IOT_CLI_OPTION_SOURCE_LISTEN_PORT,
				  IOT_CLI_OPTION_DESTINATION_APP,
				  error))
		return NULL;
	if (!iot_cli_parse_mode(options, &source, error))
		return NULL;
	if (!iot_cli_check_tokens(options, envp, error))
		return NULL;
	if (!iot_cli_options_is_set(options, IOT_CLI_OPTION_REGION) &&
	    !iot_cli_options_is_set(options, IOT_CLI_OPTION_PROXY_ENDPOINT)) {
		g_set_error_literal(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("No service: give -r REGION or -e ENDPOINT, or set "
				      "AWSIOT_TUNNEL_REGION."));
		return NULL;
	}
	if (bind_text != NULL) {
		bind = iot_address_parse_host(bind_text, NULL);
		if (bind == NULL) {
			iot_cli_set_error_value(error,
						options,
						IOT_CLI_OPTION_LOCAL_BIND_ADDRESS,
						_("give a host name or an IP address, without a "
						  "port"));
			return NULL;
		}
	}
	if (settings_path != NULL && !iot_cli_settings_load(settings, settings_path, error))
		return NULL;
	if (bind == NULL && source)
		bind = g_strdup(settings->default_bind_address);
	mappings = iot_cli_read_mappings(options, source, error);
	if (mappings == NULL)
		return NULL;
	if (source && !iot_cli_mappings_check_listeners(mappings, error))
		return NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tunnels");
	json_builder_begin_array(builder);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, "default");
	json_builder_set_member_name(builder, "mode");
	json_builder_add_string_value(builder, source ? "source" : "destination");
	if (!iot_cli_add_service(builder, options, settings, error))
		return NULL;
	iot_cli_add_token(builder, options, IOT_CLI_OPTION_ACCESS_TOKEN, "access_token");
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_CLIENT_TOKEN))
		iot_cli_add_token(builder, options, IOT_CLI_OPTION_CLIENT_TOKEN, "client_token");
	json_builder_set_member_name(builder, "protocol");
	json_builder_add_string_value(builder,
				      settings->protocol == 1	? "v1"
				      : settings->protocol == 2 ? "v2"
								: "v3");
	if (!iot_cli_add_destination_client_type(builder, options, settings, source, error))
		return NULL;
	if (!iot_cli_add_transport(builder, options, settings, error))
		return NULL;
	json_builder_set_member_name(builder, "max_connections");
	json_builder_add_int_value(builder, settings->max_connections);
	iot_cli_add_services(builder, mappings, source, bind, settings);
	json_builder_end_object(builder);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static IotCliNext
iot_cli_exit_usage(const GError *error, gint *exit_status)
{
	g_printerr("iotunneld: %s\n", error->message);
	*exit_status = IOT_CLI_EXIT_USAGE;
	return IOT_CLI_NEXT_EXIT;
}

/* the reference warns too; iotunneld has already scrubbed the token from argv by now */
static void
iot_cli_warn_visible_tokens(IotCliOptions *options)
{
	for (IotCliOption id = 0; id < IOT_CLI_OPTION_LAST; id++) {
		const IotCliOptionInfo *info = iot_cli_option_get_info(id);
		g_autofree gchar *name = NULL;
		if (!info->secret ||
		    iot_cli_options_get_value(options, id)->origin != IOT_CLI_ORIGIN_ARGS)
			continue;
		name = iot_cli_option_describe_args(id);
		g_warning(_("The token given with %s is visible to other users in the process "
			    "list; set %s instead."),
			  name,
			  info->env);
	}
}

static IotCliNext
iot_cli_handle_info(IotCliOptions *options, gint *exit_status)
{
	g_autoptr(GError) error = NULL;
	const gchar *export_path =
	    iot_cli_options_get(options, IOT_CLI_OPTION_EXPORT_DEFAULT_SETTINGS);

	*exit_status = EXIT_SUCCESS;
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_VERSION)) {
		g_print("iotunneld %s\n", PACKAGE_VERSION);
	} else if (iot_cli_options_is_set(options, IOT_CLI_OPTION_HELP)) {
		g_autofree gchar *help = iot_cli_help_text();
		g_print("%s", help);
	} else if (!iot_cli_settings_export(export_path, &error)) {
		return iot_cli_exit_usage(error, exit_status);
	}
	return IOT_CLI_NEXT_EXIT;
}

/* run as localproxy (a link or a copy of that name): log as the reference does */
static IotLogStyle
iot_cli_log_style(const gchar *argv0)
{
	g_autofree gchar *name = argv0 != NULL ? g_path_get_basename(argv0) : NULL;
	return g_strcmp0(name, "localproxy") == 0 ? IOT_LOG_STYLE_LOCALPROXY
						  : IOT_LOG_STYLE_IOTUNNELD;
}

/**
 * iot_cli_handle_args:
 * @argc: the number of arguments
 * @argv: (array length=argc): main()'s arguments; tokens in them are
 *   overwritten once read
 * @profile: (out) (transfer full): the profile to run, for %IOT_CLI_NEXT_RUN
 * @bus_type: (out): the bus to serve on, for %IOT_CLI_NEXT_BUS
 * @bus_profile_path: (out) (transfer full) (nullable): a profile file whose
 *   tunnels the bus service starts with, for %IOT_CLI_NEXT_BUS
 * @exit_status: (out): the exit status, for %IOT_CLI_NEXT_EXIT
 *
 * Does all that iotunneld's command line asks before the daemon starts: it
 * reads the options, scrubs tokens from the process list, answers -V, -h and
 * --export-default-settings, reads the --config file and the environment,
 * sets up logging and builds the profile. It prints usage errors itself, as
 * one line on stderr, and they exit with status %IOT_CLI_EXIT_USAGE. Run as
 * localproxy, it behaves the same, but its log lines on stderr take the
 * reference local proxy's shape, for the log parsers users already have.
 *
 * Returns: what to do next
 */
IotCliNext
iot_cli_handle_args(gint argc,
		    gchar **argv,
		    IotProfile **profile,
		    GBusType *bus_type,
		    gchar **bus_profile_path,
		    gint *exit_status)
{
	g_autoptr(IotCliOptions) options = iot_cli_options_new();
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) envp = g_get_environ();
	const gchar *profile_path;
	gboolean parsed;
	guint verbosity = IOT_LOG_VERBOSITY_DEFAULT;
	IotLogStyle style = iot_cli_log_style(argc > 0 ? argv[0] : NULL);

	parsed = iot_cli_options_parse_args(options, argc, argv, &error);
	iot_cli_options_scrub_args(options, argc, argv);
	if (!parsed)
		return iot_cli_exit_usage(error, exit_status);
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_VERSION) ||
	    iot_cli_options_is_set(options, IOT_CLI_OPTION_HELP) ||
	    iot_cli_options_is_set(options, IOT_CLI_OPTION_EXPORT_DEFAULT_SETTINGS))
		return iot_cli_handle_info(options, exit_status);

	profile_path = iot_cli_options_get(options, IOT_CLI_OPTION_PROFILE);
	if (profile_path != NULL && iot_cli_options_has_tunnel_options(options)) {
		g_set_error_literal(&error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("--profile cannot be combined with tunnel options; put "
				      "everything in the profile."));
		return iot_cli_exit_usage(error, exit_status);
	}
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_SESSION) ||
	    iot_cli_options_is_set(options, IOT_CLI_OPTION_SYSTEM) ||
	    (profile_path == NULL && !iot_cli_options_has_tunnel_options(options))) {
		if (iot_cli_options_has_tunnel_options(options) ||
		    (iot_cli_options_is_set(options, IOT_CLI_OPTION_SESSION) &&
		     iot_cli_options_is_set(options, IOT_CLI_OPTION_SYSTEM))) {
			g_set_error_literal(&error,
					    IOT_CLI_ERROR,
					    IOT_CLI_ERROR_USAGE,
					    _("--session and --system take no tunnel options, and "
					      "only one of them; add tunnels over D-Bus."));
			return iot_cli_exit_usage(error, exit_status);
		}
		if (!iot_cli_options_get_verbosity(options, &verbosity, &error))
			return iot_cli_exit_usage(error, exit_status);
		iot_log_setup(verbosity, style);
		if (iot_cli_options_get(options, IOT_CLI_OPTION_LOG_FILE) != NULL &&
		    !iot_log_set_file(iot_cli_options_get(options, IOT_CLI_OPTION_LOG_FILE),
				      &error))
			return iot_cli_exit_usage(error, exit_status);
		if (iot_cli_options_is_set(options, IOT_CLI_OPTION_LIST_PLUGINS))
			return IOT_CLI_NEXT_LIST_PLUGINS;
		*bus_type = iot_cli_options_is_set(options, IOT_CLI_OPTION_SYSTEM)
				? G_BUS_TYPE_SYSTEM
				: G_BUS_TYPE_SESSION;
		*bus_profile_path = g_strdup(profile_path);
		return IOT_CLI_NEXT_BUS;
	}
	if (profile_path == NULL &&
	    !iot_cli_options_load_sources(options, (const gchar *const *)envp, &error))
		return iot_cli_exit_usage(error, exit_status);
	if (!iot_cli_options_get_verbosity(options, &verbosity, &error))
		return iot_cli_exit_usage(error, exit_status);
	iot_log_setup(verbosity, style);
	if (iot_cli_options_get(options, IOT_CLI_OPTION_LOG_FILE) != NULL &&
	    !iot_log_set_file(iot_cli_options_get(options, IOT_CLI_OPTION_LOG_FILE), &error))
		return iot_cli_exit_usage(error, exit_status);
	iot_cli_warn_visible_tokens(options);
	if (iot_cli_options_is_set(options, IOT_CLI_OPTION_LIST_PLUGINS))
		return IOT_CLI_NEXT_LIST_PLUGINS;

	if (profile_path != NULL) {
		*profile = iot_profile_new_from_file(profile_path, &error);
	} else {
		g_autoptr(JsonNode) node =
		    iot_cli_options_to_profile(options, (const gchar *const *)envp, &error);
		if (node != NULL)
			*profile = iot_profile_new_from_json_node(node, _("command line"), &error);
	}
	if (*profile == NULL)
		return iot_cli_exit_usage(error, exit_status);
	return IOT_CLI_NEXT_RUN;
}
