/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-exec-endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iot-exec-stream.h"

/**
 * IotExecEndpoint:
 *
 * Destination side only: each new connection runs the configured command,
 * without a shell, with one end of a Unix socket pair as its stdin and
 * stdout (inetd's way), and the stream is the other end. The command ending
 * ends the connection; the connection ending ends the command (see
 * #IotExecStream).
 */

struct _IotExecEndpoint {
	GObject parent_instance;
	GStrv command;
	GHashTable *environment; /* name -> value, or NULL to remove the variable */
	gchar *working_directory;
	guint grace_ms;
};

static void
iot_exec_endpoint_iface_init(IotEndpointInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(IotExecEndpoint,
			      iot_exec_endpoint,
			      G_TYPE_OBJECT,
			      G_IMPLEMENT_INTERFACE(IOT_TYPE_ENDPOINT,
						    iot_exec_endpoint_iface_init))

/* the tokens iotunneld reads by default never reach a command */
static const gchar *const iot_exec_endpoint_secret_variables[] = {
    "AWSIOT_TUNNEL_ACCESS_TOKEN",
    "AWSIOT_TUNNEL_CLIENT_TOKEN",
    NULL,
};

const gchar iot_exec_endpoint_settings_schema[] =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"title\": \"exec endpoint settings\",\n"
    "  \"type\": \"object\",\n"
    "  \"properties\": {\n"
    "    \"endpoint\": { \"const\": \"exec\" },\n"
    "    \"command\": {\n"
    "      \"description\": \"The program and its arguments, run without a shell for each "
    "connection, with the connection as its stdin and stdout; a name without a slash is "
    "looked up in PATH.\",\n"
    "      \"type\": \"array\",\n"
    "      \"minItems\": 1,\n"
    "      \"items\": { \"type\": \"string\" }\n"
    "    },\n"
    "    \"environment\": {\n"
    "      \"description\": \"Variables set for the command on top of the daemon's "
    "environment; null removes one. AWSIOT_TUNNEL_ACCESS_TOKEN and AWSIOT_TUNNEL_CLIENT_TOKEN "
    "are never passed on.\",\n"
    "      \"type\": \"object\",\n"
    "      \"additionalProperties\": { \"type\": [\"string\", \"null\"] }\n"
    "    },\n"
    "    \"working_directory\": {\n"
    "      \"description\": \"The folder the command runs in; the daemon's own by "
    "default.\",\n"
    "      \"type\": \"string\",\n"
    "      \"minLength\": 1\n"
    "    },\n"
    "    \"grace_ms\": {\n"
    "      \"description\": \"Once the connection is closed, the command gets SIGTERM, then "
    "SIGKILL if it is still running this many milliseconds later (0: SIGKILL at once).\",\n"
    "      \"type\": \"integer\",\n"
    "      \"minimum\": 0,\n"
    "      \"maximum\": 600000,\n"
    "      \"default\": 2000\n"
    "    }\n"
    "  },\n"
    "  \"required\": [\"command\"],\n"
    "  \"additionalProperties\": false\n"
    "}\n";

static gboolean
iot_exec_endpoint_parse_command(IotExecEndpoint *self, JsonNode *node, GError **error)
{
	JsonArray *array =
	    node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
	guint length = array != NULL ? json_array_get_length(array) : 0;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	if (length == 0) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "command must be an array of strings: the program and its "
				    "arguments");
		return FALSE;
	}
	for (guint i = 0; i < length; i++) {
		JsonNode *item = json_array_get_element(array, i);
		if (!JSON_NODE_HOLDS_VALUE(item) ||
		    json_node_get_value_type(item) != G_TYPE_STRING) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "command[%u] is not a string",
				    i);
			return FALSE;
		}
		g_strv_builder_add(builder, json_node_get_string(item));
	}
	self->command = g_strv_builder_end(builder);
	if (self->command[0][0] == '\0') {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "command[0] is empty: it must name the program");
		return FALSE;
	}
	return TRUE;
}

static gboolean
iot_exec_endpoint_parse_environment(IotExecEndpoint *self, JsonNode *node, GError **error)
{
	JsonObject *object;
	g_autoptr(GList) members = NULL;

	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "environment must be an object of variable names and values");
		return FALSE;
	}
	object = json_node_get_object(node);
	members = json_object_get_members(object);
	for (GList *l = members; l != NULL; l = l->next) {
		const gchar *name = l->data;
		JsonNode *value = json_object_get_member(object, name);
		if (name[0] == '\0' || strchr(name, '=') != NULL) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "environment: \"%s\" is not a variable name",
				    name);
			return FALSE;
		}
		if (JSON_NODE_HOLDS_NULL(value)) {
			g_hash_table_insert(self->environment, g_strdup(name), NULL);
			continue;
		}
		if (!JSON_NODE_HOLDS_VALUE(value) ||
		    json_node_get_value_type(value) != G_TYPE_STRING) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "environment.%s must be a string, or null to remove it",
				    name);
			return FALSE;
		}
		g_hash_table_insert(self->environment,
				    g_strdup(name),
				    g_strdup(json_node_get_string(value)));
	}
	return TRUE;
}

/* a whole number of milliseconds; JSON Schema counts 2000.0 as one too */
static gboolean
iot_exec_endpoint_parse_grace(IotExecEndpoint *self, JsonNode *node, GError **error)
{
	GType type = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
	gdouble value = -1;

	if (type == G_TYPE_INT64)
		value = (gdouble)json_node_get_int(node);
	else if (type == G_TYPE_DOUBLE)
		value = json_node_get_double(node);
	if (value < 0 || value > IOT_EXEC_ENDPOINT_MAX_GRACE_MS || value != (gdouble)(guint)value) {
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_SETTINGS,
			    "grace_ms must be a whole number from 0 to %u",
			    (guint)IOT_EXEC_ENDPOINT_MAX_GRACE_MS);
		return FALSE;
	}
	self->grace_ms = (guint)value;
	return TRUE;
}

/* a command that cannot run now is worth a warning, but it may be installed later */
static void
iot_exec_endpoint_check_program(IotExecEndpoint *self)
{
	const gchar *program = self->command[0];
	g_autofree gchar *path = NULL;

	if (strchr(program, '/') == NULL) {
		/* looked up in the command's PATH, which may not be ours */
		if (g_hash_table_contains(self->environment, "PATH"))
			return;
		path = g_find_program_in_path(program);
	} else if (g_path_is_absolute(program) || self->working_directory == NULL) {
		path = g_strdup(program);
	} else {
		path = g_build_filename(self->working_directory, program, NULL);
	}
	if (path != NULL && g_file_test(path, G_FILE_TEST_IS_EXECUTABLE) &&
	    !g_file_test(path, G_FILE_TEST_IS_DIR))
		return;
	g_warning("%s is not an executable program; connections to this service will be reset "
		  "until it is",
		  program);
}

static gboolean
iot_exec_endpoint_configure(IotEndpoint *endpoint, JsonObject *settings, GError **error)
{
	IotExecEndpoint *self = IOT_EXEC_ENDPOINT(endpoint);
	const gchar *const known[] =
	    {"endpoint", "command", "environment", "working_directory", "grace_ms", NULL};
	g_autoptr(GList) members = json_object_get_members(settings);
	JsonNode *node;

	for (GList *l = members; l != NULL; l = l->next) {
		if (!g_strv_contains(known, l->data)) {
			g_set_error(error,
				    IOT_ENDPOINT_ERROR,
				    IOT_ENDPOINT_ERROR_SETTINGS,
				    "\"%s\" is not a setting of the exec endpoint",
				    (const gchar *)l->data);
			return FALSE;
		}
	}
	if (!iot_exec_endpoint_parse_command(self,
					     json_object_get_member(settings, "command"),
					     error))
		return FALSE;
	if (!iot_exec_endpoint_parse_environment(self,
						 json_object_get_member(settings, "environment"),
						 error))
		return FALSE;
	node = json_object_get_member(settings, "working_directory");
	if (node != NULL) {
		if (!JSON_NODE_HOLDS_VALUE(node) ||
		    json_node_get_value_type(node) != G_TYPE_STRING ||
		    json_node_get_string(node)[0] == '\0') {
			g_set_error_literal(error,
					    IOT_ENDPOINT_ERROR,
					    IOT_ENDPOINT_ERROR_SETTINGS,
					    "working_directory must be a folder name");
			return FALSE;
		}
		self->working_directory = g_strdup(json_node_get_string(node));
	}
	node = json_object_get_member(settings, "grace_ms");
	if (node != NULL && !iot_exec_endpoint_parse_grace(self, node, error))
		return FALSE;
	iot_exec_endpoint_check_program(self);
	return TRUE;
}

static gboolean
iot_exec_endpoint_listen(IotEndpoint *endpoint, GError **error)
{
	g_set_error_literal(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_NOT_SUPPORTED,
			    "the exec endpoint runs a command for each connection on the "
			    "destination side only; use it in a tunnel whose mode is "
			    "\"destination\"");
	return FALSE;
}

/* runs in the child between fork and exec: only async-signal-safe calls */
static void
iot_exec_endpoint_child_setup(gpointer user_data)
{
	/* a daemon that dies without closing the connection still ends the command */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static IotExecStream *
iot_exec_endpoint_spawn(IotExecEndpoint *self, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) subprocess = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *description = NULL;
	const gchar *identifier;
	GHashTableIter iter;
	gpointer name;
	gpointer value;
	gint fds[2];
	gint child_out;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		gint errsv = errno;
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_CONNECT,
			    "cannot run %s: socketpair: %s",
			    self->command[0],
			    g_strerror(errsv));
		return NULL;
	}
	child_out = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
	if (child_out < 0) {
		gint errsv = errno;
		close(fds[0]);
		close(fds[1]);
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_CONNECT,
			    "cannot run %s: dup: %s",
			    self->command[0],
			    g_strerror(errsv));
		return NULL;
	}

	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_SEARCH_PATH_FROM_ENVP);
	/* the launcher closes both child ends when it goes, whatever happens */
	g_subprocess_launcher_take_stdin_fd(launcher, fds[1]);
	g_subprocess_launcher_take_stdout_fd(launcher, child_out);
	g_subprocess_launcher_set_child_setup(launcher, iot_exec_endpoint_child_setup, NULL, NULL);
	for (guint i = 0; iot_exec_endpoint_secret_variables[i] != NULL; i++)
		g_subprocess_launcher_unsetenv(launcher, iot_exec_endpoint_secret_variables[i]);
	g_hash_table_iter_init(&iter, self->environment);
	while (g_hash_table_iter_next(&iter, &name, &value)) {
		if (value == NULL)
			g_subprocess_launcher_unsetenv(launcher, name);
		else
			g_subprocess_launcher_setenv(launcher, name, value, TRUE);
	}
	if (self->working_directory != NULL)
		g_subprocess_launcher_set_cwd(launcher, self->working_directory);

	subprocess = g_subprocess_launcher_spawnv(launcher,
						  (const gchar *const *)self->command,
						  &error_local);
	if (subprocess == NULL) {
		close(fds[0]);
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_CONNECT,
			    "cannot run %s: %s",
			    self->command[0],
			    error_local->message);
		return NULL;
	}
	/* NULL when the command has already exited and been reaped */
	identifier = g_subprocess_get_identifier(subprocess);
	description = identifier != NULL
			  ? g_strdup_printf("%s (pid %s)", self->command[0], identifier)
			  : g_strdup(self->command[0]);
	socket = g_socket_new_from_fd(fds[0], &error_local);
	if (socket == NULL) {
		close(fds[0]);
		g_subprocess_force_exit(subprocess);
		g_set_error(error,
			    IOT_ENDPOINT_ERROR,
			    IOT_ENDPOINT_ERROR_CONNECT,
			    "cannot talk to %s: %s",
			    description,
			    error_local->message);
		return NULL;
	}
	g_info("started %s", description);
	return iot_exec_stream_new(socket, subprocess, self->grace_ms, description);
}

static void
iot_exec_endpoint_connect_async(IotEndpoint *endpoint,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	IotExecEndpoint *self = IOT_EXEC_ENDPOINT(endpoint);
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	IotExecStream *stream;

	g_task_set_source_tag(task, iot_exec_endpoint_connect_async);
	g_task_set_name(task, "iot-exec-connect");
	if (self->command == NULL) {
		g_task_return_new_error(task,
					IOT_ENDPOINT_ERROR,
					IOT_ENDPOINT_ERROR_SETTINGS,
					"the exec endpoint has no command: configure it first");
		return;
	}
	/* fork and exec do not wait on the command, so this does not block the loop */
	stream = iot_exec_endpoint_spawn(self, &error);
	if (stream == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_pointer(task, stream, g_object_unref);
}

static GIOStream *
iot_exec_endpoint_connect_finish(IotEndpoint *endpoint, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, endpoint), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 iot_exec_endpoint_connect_async,
			     NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

static gchar *
iot_exec_endpoint_describe(IotEndpoint *endpoint)
{
	IotExecEndpoint *self = IOT_EXEC_ENDPOINT(endpoint);
	g_autofree gchar *joined = NULL;
	if (self->command == NULL)
		return g_strdup("exec");
	joined = g_strjoinv(" ", self->command);
	return g_strdup_printf("exec %s", joined);
}

static void
iot_exec_endpoint_iface_init(IotEndpointInterface *iface)
{
	iface->configure = iot_exec_endpoint_configure;
	iface->listen = iot_exec_endpoint_listen;
	iface->connect_async = iot_exec_endpoint_connect_async;
	iface->connect_finish = iot_exec_endpoint_connect_finish;
	iface->describe = iot_exec_endpoint_describe;
}

static void
iot_exec_endpoint_finalize(GObject *object)
{
	IotExecEndpoint *self = IOT_EXEC_ENDPOINT(object);
	g_strfreev(self->command);
	g_hash_table_unref(self->environment);
	g_free(self->working_directory);
	G_OBJECT_CLASS(iot_exec_endpoint_parent_class)->finalize(object);
}

static void
iot_exec_endpoint_class_init(IotExecEndpointClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = iot_exec_endpoint_finalize;
}

static void
iot_exec_endpoint_init(IotExecEndpoint *self)
{
	self->environment = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->grace_ms = IOT_EXEC_ENDPOINT_DEFAULT_GRACE_MS;
}

/**
 * iot_exec_endpoint_new:
 *
 * Returns: (transfer full): an exec endpoint to configure
 */
IotEndpoint *
iot_exec_endpoint_new(void)
{
	return g_object_new(IOT_TYPE_EXEC_ENDPOINT, NULL);
}
