/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-cli-options.h"

#include <glib/gi18n.h>
#include <string.h>

/* a byte range of argv that held a token: argv[index] from offset on */
typedef struct {
	gint index;
	gsize offset;
} IotCliArgSecret;

struct _IotCliOptions {
	IotCliValue values[IOT_CLI_OPTION_LAST];
	GArray *secret_args; /* of IotCliArgSecret */
};

/* in the order of --help; the table is indexed by IotCliOption */
static const IotCliOptionInfo iot_cli_options[] = {
    {IOT_CLI_OPTION_ACCESS_TOKEN,
     "access-token",
     't',
     N_("TOKEN"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     TRUE,
     "AWSIOT_TUNNEL_ACCESS_TOKEN",
     N_("The access token of this side of the tunnel. Other users can see it in the process "
	"list: prefer AWSIOT_TUNNEL_ACCESS_TOKEN or a --config file.")},
    {IOT_CLI_OPTION_CLIENT_TOKEN,
     "client-token",
     'i',
     N_("TOKEN"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     TRUE,
     "AWSIOT_TUNNEL_CLIENT_TOKEN",
     N_("A client token, 32 to 128 letters, digits or \"-\", with which the same access "
	"token may connect again; prefer AWSIOT_TUNNEL_CLIENT_TOKEN.")},
    {IOT_CLI_OPTION_REGION,
     "region",
     'r',
     N_("REGION"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     "AWSIOT_TUNNEL_REGION",
     N_("The region of the tunneling service, such as us-east-1; excludes -e.")},
    {IOT_CLI_OPTION_PROXY_ENDPOINT,
     "proxy-endpoint",
     'e',
     N_("ENDPOINT"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     "AWSIOT_TUNNEL_ENDPOINT",
     N_("The service's endpoint instead of a region: HOST, HOST:PORT, [IPV6]:PORT or "
	"wss://HOST:PORT (port 443 by default); excludes -r.")},
    {IOT_CLI_OPTION_SOURCE_LISTEN_PORT,
     "source-listen-port",
     's',
     N_("PORTS"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("Source mode: the port to listen on (0 picks a free one), HOST:PORT, [IPV6]:PORT or a "
	"socket path, or ID=PORT,ID=PORT for the tunnel's services.")},
    {IOT_CLI_OPTION_DESTINATION_APP,
     "destination-app",
     'd',
     N_("APPS"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("Destination mode: where the local app listens: PORT (on 127.0.0.1), HOST:PORT, "
	"[IPV6]:PORT or a socket path, or ID=ADDRESS,ID=ADDRESS for the tunnel's services.")},
    {IOT_CLI_OPTION_LOCAL_BIND_ADDRESS,
     "local-bind-address",
     'b',
     N_("ADDRESS"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("Source: the address to listen on when -s gives a port alone (default localhost). "
	"Destination: the local address to connect from. A host name or an IP address, such as "
	"::1.")},
    {IOT_CLI_OPTION_MODE,
     "mode",
     'm',
     N_("MODE"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("src, source, dst or destination. -s and -d imply it; --config-dir mappings need it. "
	"A source without mappings listens on a free port for each service.")},
    {IOT_CLI_OPTION_DESTINATION_CLIENT_TYPE,
     "destination-client-type",
     'y',
     N_("V1|V2"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("Source: speak the V1 or V2 message rules from the start; without it, the "
	"source learns them from an older destination's answers. A destination "
	"ignores it, with a warning: it answers in the format the source uses.")},
    {IOT_CLI_OPTION_CAPATH,
     "capath",
     'c',
     N_("PATH"),
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("A folder of CA certificates, or a file of them, trusted besides the system's, "
	"for the service and an https:// web proxy.")},
    {IOT_CLI_OPTION_NO_SSL_HOST_VERIFY,
     "no-ssl-host-verify",
     'k',
     NULL,
     IOT_CLI_GROUP_TUNNEL,
     TRUE,
     FALSE,
     NULL,
     N_("Do not verify the certificates of the service and of an https:// web proxy: for "
	"tests only, never in production.")},
    {IOT_CLI_OPTION_CONFIG,
     "config",
     0,
     N_("FILE"),
     IOT_CLI_GROUP_FILES,
     FALSE,
     FALSE,
     NULL,
     N_("Read options from FILE: \"name = value\" lines with the long option names, such as "
	"region = us-east-1. The command line wins over the file, and the file over the "
	"environment.")},
    {IOT_CLI_OPTION_CONFIG_DIR,
     "config-dir",
     0,
     N_("DIR"),
     IOT_CLI_GROUP_FILES,
     TRUE,
     FALSE,
     NULL,
     N_("Read the service mappings, \"ID=PORT\" or \"ID=HOST:PORT\" lines, from every file in DIR "
	"and its subfolders when neither -s nor -d is given. Default: ./config when it exists.")},
    {IOT_CLI_OPTION_SETTINGS_JSON,
     "settings-json",
     0,
     N_("FILE"),
     IOT_CLI_GROUP_FILES,
     TRUE,
     FALSE,
     NULL,
     N_("Read fine-grained settings from FILE, a JSON file as --export-default-settings writes "
	"it; settings it leaves out keep their defaults.")},
    {IOT_CLI_OPTION_EXPORT_DEFAULT_SETTINGS,
     "export-default-settings",
     0,
     N_("FILE"),
     IOT_CLI_GROUP_FILES,
     FALSE,
     FALSE,
     NULL,
     N_("Write the default fine-grained settings to FILE as JSON and exit.")},
    {IOT_CLI_OPTION_PROFILE,
     "profile",
     0,
     N_("FILE"),
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Run the tunnels of a JSON profile instead of the tunnel and file options.")},
    {IOT_CLI_OPTION_VERBOSE,
     "verbose",
     'v',
     N_("LEVEL"),
     IOT_CLI_GROUP_PROGRAM,
     TRUE,
     FALSE,
     NULL,
     N_("Log level: 0 off, 1 fatal, 2 error, 3 warning, 4 info (default), 5 debug, 6 trace; "
	"higher values mean 6.")},
    {IOT_CLI_OPTION_LOG_FILE,
     "log-file",
     0,
     N_("FILE"),
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Append the log to FILE instead of stderr; SIGHUP opens it again.")},
    {IOT_CLI_OPTION_LIST_PLUGINS,
     "list-plugins",
     0,
     NULL,
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("List the loaded plugins and exit; with none found, say where they were looked for "
	"and fail.")},
    {IOT_CLI_OPTION_SESSION,
     "session",
     0,
     NULL,
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Serve tunnels on the session bus as org.iotunnel.Daemon (the default with no "
	"profile and no tunnel options).")},
    {IOT_CLI_OPTION_SYSTEM,
     "system",
     0,
     NULL,
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Serve tunnels on the system bus as org.iotunnel.Daemon.")},
    {IOT_CLI_OPTION_VERSION,
     "version",
     'V',
     NULL,
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Show the version and exit.")},
    {IOT_CLI_OPTION_HELP,
     "help",
     'h',
     NULL,
     IOT_CLI_GROUP_PROGRAM,
     FALSE,
     FALSE,
     NULL,
     N_("Show this help and exit.")},
};

G_STATIC_ASSERT(G_N_ELEMENTS(iot_cli_options) == IOT_CLI_OPTION_LAST);

/* other names users have set for a variable, read when the option's own is not set */
static const struct {
	IotCliOption id;
	const gchar *env;
} iot_cli_env_aliases[] = {
    {IOT_CLI_OPTION_CLIENT_TOKEN, "AWSIOT_CLIENT_TOKEN"},
};

/**
 * iot_cli_option_get_info:
 * @id: an option
 *
 * Returns: (transfer none): what the option is
 */
const IotCliOptionInfo *
iot_cli_option_get_info(IotCliOption id)
{
	g_return_val_if_fail(id < IOT_CLI_OPTION_LAST, NULL);
	return &iot_cli_options[id];
}

/**
 * iot_cli_option_find_long:
 * @name: a long option name, without "--"
 *
 * Returns: (transfer none) (nullable): the option of exactly that name
 */
const IotCliOptionInfo *
iot_cli_option_find_long(const gchar *name)
{
	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
		if (g_strcmp0(iot_cli_options[i].long_name, name) == 0)
			return &iot_cli_options[i];
	}
	return NULL;
}

static const IotCliOptionInfo *
iot_cli_option_find_short(gchar name)
{
	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
		if (iot_cli_options[i].short_name == name)
			return &iot_cli_options[i];
	}
	return NULL;
}

/**
 * iot_cli_option_describe_args:
 * @id: an option
 *
 * Returns: (transfer full): how messages name the option on the command
 * line: "-r/--region", or "--config" when it has no short name
 */
gchar *
iot_cli_option_describe_args(IotCliOption id)
{
	const IotCliOptionInfo *info = iot_cli_option_get_info(id);
	if (info->short_name != 0)
		return g_strdup_printf("-%c/--%s", info->short_name, info->long_name);
	return g_strdup_printf("--%s", info->long_name);
}

static void
iot_cli_value_clear(IotCliValue *value, gboolean secret)
{
	if (value->value != NULL && secret)
		explicit_bzero(value->value, strlen(value->value));
	g_clear_pointer(&value->value, g_free);
	g_clear_pointer(&value->file, g_free);
	value->origin = IOT_CLI_ORIGIN_NONE;
	value->line = 0;
	value->env = NULL;
}

/**
 * iot_cli_options_new:
 *
 * Returns: (transfer full): options with nothing given
 */
IotCliOptions *
iot_cli_options_new(void)
{
	IotCliOptions *self = g_new0(IotCliOptions, 1);
	self->secret_args = g_array_new(FALSE, FALSE, sizeof(IotCliArgSecret));
	return self;
}

/**
 * iot_cli_options_free:
 * @self: options
 *
 * Frees the options, wiping the tokens first.
 */
void
iot_cli_options_free(IotCliOptions *self)
{
	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++)
		iot_cli_value_clear(&self->values[i], iot_cli_options[i].secret);
	g_array_unref(self->secret_args);
	g_free(self);
}

/**
 * iot_cli_options_set:
 * @self: options
 * @id: the option
 * @value: (nullable): its text; %NULL only for a token from the environment
 * @origin: where it comes from
 * @file: (nullable): the --config file, for %IOT_CLI_ORIGIN_CONFIG
 * @line: the line in @file
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Keeps the value unless one of higher precedence is already there; the
 * same option twice from the same origin is an error.
 *
 * Returns: %FALSE when the option was already given from @origin
 */
gboolean
iot_cli_options_set(IotCliOptions *self,
		    IotCliOption id,
		    const gchar *value,
		    IotCliOrigin origin,
		    const gchar *file,
		    guint line,
		    GError **error)
{
	IotCliValue *slot;

	g_return_val_if_fail(id < IOT_CLI_OPTION_LAST, FALSE);
	g_return_val_if_fail(origin != IOT_CLI_ORIGIN_NONE, FALSE);

	slot = &self->values[id];
	if (slot->origin > origin)
		return TRUE;
	if (slot->origin == origin) {
		g_autofree gchar *name = iot_cli_option_describe_args(id);
		if (origin == IOT_CLI_ORIGIN_CONFIG) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s:%u: %s is already set on line %u; keep one of them."),
				    file,
				    line,
				    iot_cli_options[id].long_name,
				    slot->line);
			return FALSE;
		}
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("%s is given twice; give it once."),
			    name);
		return FALSE;
	}
	iot_cli_value_clear(slot, iot_cli_options[id].secret);
	slot->value = g_strdup(value);
	slot->origin = origin;
	slot->file = g_strdup(file);
	slot->line = line;
	return TRUE;
}

/**
 * iot_cli_options_unset:
 * @self: options
 * @id: the option
 *
 * Forgets the option, as when one of higher precedence overrides it.
 */
void
iot_cli_options_unset(IotCliOptions *self, IotCliOption id)
{
	g_return_if_fail(id < IOT_CLI_OPTION_LAST);
	iot_cli_value_clear(&self->values[id], iot_cli_options[id].secret);
}

static void
iot_cli_options_add_secret_arg(IotCliOptions *self, gint index, gsize offset)
{
	IotCliArgSecret secret = {index, offset};
	g_array_append_val(self->secret_args, secret);
}

/* "--name" exactly, else the one option "--name" starts, as the reference takes it */
static const IotCliOptionInfo *
iot_cli_options_lookup_long(const gchar *arg, gsize name_len, GError **error)
{
	const IotCliOptionInfo *found = NULL;
	const IotCliOptionInfo *other = NULL;
	g_autofree gchar *written = g_strndup(arg, name_len + 2);

	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
		const gchar *name = iot_cli_options[i].long_name;
		if (strncmp(name, arg + 2, name_len) != 0)
			continue;
		if (name[name_len] == '\0')
			return &iot_cli_options[i];
		if (found == NULL)
			found = &iot_cli_options[i];
		else if (other == NULL)
			other = &iot_cli_options[i];
	}
	if (found == NULL || name_len == 0) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("Unknown option %s; see iotunneld --help."),
			    written);
		return NULL;
	}
	if (other != NULL) {
		g_set_error(error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("Option %s is ambiguous (--%s or --%s); write the whole name."),
			    written,
			    found->long_name,
			    other->long_name);
		return NULL;
	}
	return found;
}

static void
iot_cli_options_set_error_needs_value(const IotCliOptionInfo *info, GError **error)
{
	g_autofree gchar *name = iot_cli_option_describe_args(info->id);
	g_autofree gchar *example = NULL;

	if (info->short_name != 0)
		example = g_strdup_printf("-%c %s", info->short_name, _(info->arg));
	else
		example = g_strdup_printf("--%s %s", info->long_name, _(info->arg));
	g_set_error(error,
		    IOT_CLI_ERROR,
		    IOT_CLI_ERROR_USAGE,
		    _("%s needs a value; write %s."),
		    name,
		    example);
}

/* "--name", "--name=value" or "--name value" at argv[*index] */
static gboolean
iot_cli_options_parse_long(IotCliOptions *self,
			   gint argc,
			   gchar **argv,
			   gint *index,
			   GError **error)
{
	const gchar *arg = argv[*index];
	const gchar *equals = strchr(arg, '=');
	gsize name_len = equals != NULL ? (gsize)(equals - arg - 2) : strlen(arg + 2);
	const IotCliOptionInfo *info = iot_cli_options_lookup_long(arg, name_len, error);
	const gchar *value;

	if (info == NULL)
		return FALSE;
	if (info->arg == NULL) {
		if (equals != NULL) {
			g_autofree gchar *name = iot_cli_option_describe_args(info->id);
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("%s takes no value; write --%s alone."),
				    name,
				    info->long_name);
			return FALSE;
		}
		return iot_cli_options_set(self,
					   info->id,
					   "true",
					   IOT_CLI_ORIGIN_ARGS,
					   NULL,
					   0,
					   error);
	}
	if (equals != NULL) {
		value = equals + 1;
		if (info->secret)
			iot_cli_options_add_secret_arg(self, *index, equals + 1 - arg);
	} else {
		if (*index + 1 >= argc) {
			iot_cli_options_set_error_needs_value(info, error);
			return FALSE;
		}
		*index += 1;
		value = argv[*index];
		if (info->secret)
			iot_cli_options_add_secret_arg(self, *index, 0);
	}
	return iot_cli_options_set(self, info->id, value, IOT_CLI_ORIGIN_ARGS, NULL, 0, error);
}

/* "-k", "-kv5", "-t TOKEN", "-tTOKEN" at argv[*index], as getopt() reads them */
static gboolean
iot_cli_options_parse_short(IotCliOptions *self,
			    gint argc,
			    gchar **argv,
			    gint *index,
			    GError **error)
{
	const gchar *arg = argv[*index];

	for (const gchar *p = arg + 1; *p != '\0'; p++) {
		const IotCliOptionInfo *info = iot_cli_option_find_short(*p);
		const gchar *value;

		if (info == NULL) {
			g_set_error(error,
				    IOT_CLI_ERROR,
				    IOT_CLI_ERROR_USAGE,
				    _("Unknown option -%c; see iotunneld --help."),
				    *p);
			return FALSE;
		}
		if (info->arg == NULL) {
			if (!iot_cli_options_set(self,
						 info->id,
						 "true",
						 IOT_CLI_ORIGIN_ARGS,
						 NULL,
						 0,
						 error))
				return FALSE;
			continue;
		}
		if (p[1] != '\0') {
			value = p + 1;
			if (info->secret)
				iot_cli_options_add_secret_arg(self, *index, p + 1 - arg);
		} else {
			if (*index + 1 >= argc) {
				iot_cli_options_set_error_needs_value(info, error);
				return FALSE;
			}
			*index += 1;
			value = argv[*index];
			if (info->secret)
				iot_cli_options_add_secret_arg(self, *index, 0);
		}
		return iot_cli_options_set(self,
					   info->id,
					   value,
					   IOT_CLI_ORIGIN_ARGS,
					   NULL,
					   0,
					   error);
	}
	return TRUE;
}

/**
 * iot_cli_options_parse_args:
 * @self: options
 * @argc: the number of arguments
 * @argv: (array length=argc): the arguments, the program's name first
 * @error: (nullable): return location for an %IOT_CLI_ERROR_USAGE error
 *
 * Reads the command line as the reference local proxy does: long options as
 * "--name value" or "--name=value", also shortened to any unambiguous start;
 * short ones as "-r value" or "-rvalue", flags grouped as "-kv5". Neither
 * @argv nor its strings change; where tokens were is remembered for
 * iot_cli_options_scrub_args().
 *
 * Returns: %TRUE when every argument is a known option with its value
 */
gboolean
iot_cli_options_parse_args(IotCliOptions *self, gint argc, gchar **argv, GError **error)
{
	gboolean only_operands = FALSE;

	for (gint i = 1; i < argc; i++) {
		const gchar *arg = argv[i];

		if (!only_operands && g_strcmp0(arg, "--") == 0) {
			only_operands = TRUE;
			continue;
		}
		if (only_operands || arg[0] != '-' || arg[1] == '\0') {
			g_set_error(
			    error,
			    IOT_CLI_ERROR,
			    IOT_CLI_ERROR_USAGE,
			    _("Unexpected argument \"%s\"; iotunneld takes options only, see "
			      "iotunneld --help."),
			    arg);
			return FALSE;
		}
		if (arg[1] == '-') {
			if (!iot_cli_options_parse_long(self, argc, argv, &i, error))
				return FALSE;
		} else {
			if (!iot_cli_options_parse_short(self, argc, argv, &i, error))
				return FALSE;
		}
	}
	return TRUE;
}

/**
 * iot_cli_options_scrub_args:
 * @self: options that iot_cli_options_parse_args() read from @argv
 * @argc: the number of arguments
 * @argv: (array length=argc): the same arguments
 *
 * Overwrites every token given on the command line with "x" in place, so
 * that the process list (/proc/PID/cmdline, ps) no longer shows it. The
 * parsed options keep their own copy.
 */
void
iot_cli_options_scrub_args(IotCliOptions *self, gint argc, gchar **argv)
{
	for (guint i = 0; i < self->secret_args->len; i++) {
		IotCliArgSecret *secret = &g_array_index(self->secret_args, IotCliArgSecret, i);
		gchar *start;
		if (secret->index >= argc)
			continue;
		start = argv[secret->index] + secret->offset;
		memset(start, 'x', strlen(start));
	}
	g_array_set_size(self->secret_args, 0);
}

/* @name's value in @envp, or %NULL when it is unset or empty */
static const gchar *
iot_cli_options_getenv(const gchar *const *envp, const gchar *name)
{
	const gchar *value = g_environ_getenv((gchar **)envp, name);
	return value != NULL && value[0] != '\0' ? value : NULL;
}

/* the variable that gives option @id: its own, else an alias that is set */
static const gchar *
iot_cli_options_find_env(IotCliOption id, const gchar *const *envp)
{
	const gchar *own = iot_cli_options[id].env;

	if (own == NULL || iot_cli_options_getenv(envp, own) != NULL)
		return own;
	for (guint i = 0; i < G_N_ELEMENTS(iot_cli_env_aliases); i++) {
		if (iot_cli_env_aliases[i].id == id &&
		    iot_cli_options_getenv(envp, iot_cli_env_aliases[i].env) != NULL)
			return iot_cli_env_aliases[i].env;
	}
	return own;
}

/**
 * iot_cli_options_load_environment:
 * @self: options
 * @envp: (array zero-terminated=1): the environment, as g_get_environ() gives it
 *
 * Takes the `AWSIOT_TUNNEL_*` variables at the lowest precedence, and
 * `AWSIOT_CLIENT_TOKEN` when `AWSIOT_TUNNEL_CLIENT_TOKEN` is not set. An
 * empty variable counts as unset. A token is not copied: the profile names
 * its variable instead.
 */
void
iot_cli_options_load_environment(IotCliOptions *self, const gchar *const *envp)
{
	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
		const IotCliOptionInfo *info = &iot_cli_options[i];
		const gchar *env = iot_cli_options_find_env(i, envp);
		const gchar *value;
		if (env == NULL)
			continue;
		value = iot_cli_options_getenv(envp, env);
		if (value == NULL)
			continue;
		/* nothing else comes from the environment, so this cannot clash */
		if (self->values[i].origin > IOT_CLI_ORIGIN_ENVIRONMENT)
			continue;
		iot_cli_value_clear(&self->values[i], info->secret);
		self->values[i].value = info->secret ? NULL : g_strdup(value);
		self->values[i].origin = IOT_CLI_ORIGIN_ENVIRONMENT;
		self->values[i].env = env;
	}
}

/**
 * iot_cli_options_get_value:
 * @self: options
 * @id: the option
 *
 * Returns: (transfer none): the value and where it came from
 */
const IotCliValue *
iot_cli_options_get_value(IotCliOptions *self, IotCliOption id)
{
	g_return_val_if_fail(id < IOT_CLI_OPTION_LAST, NULL);
	return &self->values[id];
}

/**
 * iot_cli_options_get:
 * @self: options
 * @id: the option
 *
 * Returns: (nullable): the option's text, %NULL when not given (and for a
 * token from the environment)
 */
const gchar *
iot_cli_options_get(IotCliOptions *self, IotCliOption id)
{
	g_return_val_if_fail(id < IOT_CLI_OPTION_LAST, NULL);
	return self->values[id].value;
}

/**
 * iot_cli_options_is_set:
 * @self: options
 * @id: the option
 *
 * Returns: whether the option was given, from anywhere
 */
gboolean
iot_cli_options_is_set(IotCliOptions *self, IotCliOption id)
{
	g_return_val_if_fail(id < IOT_CLI_OPTION_LAST, FALSE);
	return self->values[id].origin != IOT_CLI_ORIGIN_NONE;
}

/**
 * iot_cli_options_has_tunnel_options:
 * @self: options
 *
 * Returns: whether a tunnel or file option was given on the command line
 * (which --profile excludes); the environment does not count
 */
gboolean
iot_cli_options_has_tunnel_options(IotCliOptions *self)
{
	for (guint i = 0; i < IOT_CLI_OPTION_LAST; i++) {
		if (iot_cli_options[i].group == IOT_CLI_GROUP_PROGRAM ||
		    i == IOT_CLI_OPTION_EXPORT_DEFAULT_SETTINGS)
			continue;
		if (self->values[i].origin >= IOT_CLI_ORIGIN_CONFIG)
			return TRUE;
	}
	return FALSE;
}

/**
 * iot_cli_options_describe:
 * @self: options
 * @id: the option
 *
 * Returns: (transfer full): how messages name the option where it was given:
 * "-r/--region", "config.ini:3: region" or "AWSIOT_TUNNEL_REGION" (the
 * variable that gave it)
 */
gchar *
iot_cli_options_describe(IotCliOptions *self, IotCliOption id)
{
	const IotCliValue *value = iot_cli_options_get_value(self, id);

	switch (value->origin) {
	case IOT_CLI_ORIGIN_CONFIG:
		return g_strdup_printf("%s:%u: %s",
				       value->file,
				       value->line,
				       iot_cli_options[id].long_name);
	case IOT_CLI_ORIGIN_ENVIRONMENT:
		return g_strdup(value->env);
	case IOT_CLI_ORIGIN_ARGS:
	case IOT_CLI_ORIGIN_NONE:
	default:
		return iot_cli_option_describe_args(id);
	}
}
