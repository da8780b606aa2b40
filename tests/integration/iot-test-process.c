/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-test-process.h"

#include <signal.h>
#include <sys/prctl.h>

struct _IotTestProcess {
	GObject parent_instance;
	GSubprocess *subprocess;
	GMutex mutex;
	GCond cond;
	GPtrArray *lines; /* of gchar*, stdout and stderr interleaved as read */
	guint open_pipes;
	GThread *readers[2];
	gboolean exited;
	gint status;
};

G_DEFINE_FINAL_TYPE(IotTestProcess, iot_test_process, G_TYPE_OBJECT)

typedef struct {
	IotTestProcess *self;
	GInputStream *stream;
} IotTestReader;

static void
iot_test_process_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data);

static gpointer
iot_test_process_reader(gpointer user_data)
{
	IotTestReader *reader = user_data;
	IotTestProcess *self = reader->self;
	g_autoptr(GDataInputStream) data = g_data_input_stream_new(reader->stream);
	gchar *line;

	while ((line = g_data_input_stream_read_line(data, NULL, NULL, NULL)) != NULL) {
		if (g_getenv("IOTUNNEL_TEST_ECHO") != NULL)
			g_printerr("[%d] %s\n", (gint)iot_test_process_get_pid(self), line);
		g_mutex_lock(&self->mutex);
		g_ptr_array_add(self->lines, line);
		g_cond_broadcast(&self->cond);
		g_mutex_unlock(&self->mutex);
	}
	g_mutex_lock(&self->mutex);
	self->open_pipes--;
	g_cond_broadcast(&self->cond);
	g_mutex_unlock(&self->mutex);
	g_object_unref(reader->stream);
	g_free(reader);
	return NULL;
}

/**
 * iot_test_process_child_setup:
 * @user_data: unused
 *
 * A #GSpawnChildSetupFunc: the child dies with the test, so that a test
 * that fails half-way leaves no daemon behind to hold its output open.
 */
void
iot_test_process_child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * iot_test_process_spawn:
 * @argv: the program and its arguments
 * @env_extra: (nullable): NAME=VALUE pairs added to the environment
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the running process
 */
IotTestProcess *
iot_test_process_spawn(const gchar *const *argv, const gchar *const *env_extra, GError **error)
{
	g_autoptr(IotTestProcess) self = g_object_new(IOT_TYPE_TEST_PROCESS, NULL);
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	GInputStream *streams[2];

	for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env_extra[i], "=", 2);
		g_subprocess_launcher_setenv(launcher,
					     pair[0],
					     pair[1] != NULL ? pair[1] : "",
					     TRUE);
	}
	g_subprocess_launcher_set_child_setup(launcher, iot_test_process_child_setup, NULL, NULL);
	self->subprocess = g_subprocess_launcher_spawnv(launcher, argv, error);
	if (self->subprocess == NULL)
		return NULL;
	g_subprocess_wait_async(self->subprocess, NULL, iot_test_process_wait_cb, self);
	streams[0] = g_subprocess_get_stdout_pipe(self->subprocess);
	streams[1] = g_subprocess_get_stderr_pipe(self->subprocess);
	self->open_pipes = 2;
	for (guint i = 0; i < 2; i++) {
		IotTestReader *reader = g_new0(IotTestReader, 1);
		reader->self = self;
		reader->stream = g_object_ref(streams[i]);
		self->readers[i] = g_thread_new("output", iot_test_process_reader, reader);
	}
	return g_steal_pointer(&self);
}

static gchar *
iot_test_process_find(IotTestProcess *self, GRegex *regex)
{
	for (guint i = 0; i < self->lines->len; i++) {
		const gchar *line = g_ptr_array_index(self->lines, i);
		if (g_regex_match(regex, line, 0, NULL))
			return g_strdup(line);
	}
	return NULL;
}

/**
 * iot_test_process_wait_line:
 * @self: a process
 * @regex: what the line must match
 * @timeout_ms: the deadline
 * @error: (nullable): return location for an error
 *
 * Returns: (transfer full): the first matching line, or %NULL with @error set
 *   when the deadline passed or the output ended first
 */
gchar *
iot_test_process_wait_line(IotTestProcess *self,
			   const gchar *regex,
			   guint timeout_ms,
			   GError **error)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, 0, 0, NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)iot_test_timeout_ms(timeout_ms) * 1000;
	gchar *found = NULL;
	g_autofree gchar *output = NULL;

	g_mutex_lock(&self->mutex);
	while ((found = iot_test_process_find(self, compiled)) == NULL && self->open_pipes > 0) {
		if (!g_cond_wait_until(&self->cond, &self->mutex, deadline))
			break;
	}
	g_mutex_unlock(&self->mutex);
	if (found != NULL)
		return found;
	output = iot_test_process_get_output(self);
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_TIMED_OUT,
		    "no line matching /%s/ within %u ms; output:\n%s",
		    regex,
		    timeout_ms,
		    output);
	return NULL;
}

static guint
iot_test_process_count(IotTestProcess *self, GRegex *regex)
{
	guint count = 0;
	for (guint i = 0; i < self->lines->len; i++) {
		if (g_regex_match(regex, g_ptr_array_index(self->lines, i), 0, NULL))
			count++;
	}
	return count;
}

/**
 * iot_test_process_count_lines:
 * @self: a process
 * @regex: what the lines must match
 *
 * Returns: how many lines read so far match
 */
guint
iot_test_process_count_lines(IotTestProcess *self, const gchar *regex)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, 0, 0, NULL);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);
	return iot_test_process_count(self, compiled);
}

/**
 * iot_test_process_wait_lines:
 * @self: a process
 * @regex: what the lines must match
 * @count: how many matching lines to wait for
 * @timeout_ms: the deadline
 * @error: (nullable): return location for an error
 *
 * Returns: %TRUE once @count lines match, %FALSE with @error set when the
 *   deadline passed or the output ended first
 */
gboolean
iot_test_process_wait_lines(IotTestProcess *self,
			    const gchar *regex,
			    guint count,
			    guint timeout_ms,
			    GError **error)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, 0, 0, NULL);
	gint64 deadline = g_get_monotonic_time() + (gint64)iot_test_timeout_ms(timeout_ms) * 1000;
	g_autofree gchar *output = NULL;
	guint found;

	g_mutex_lock(&self->mutex);
	while ((found = iot_test_process_count(self, compiled)) < count && self->open_pipes > 0) {
		if (!g_cond_wait_until(&self->cond, &self->mutex, deadline))
			break;
	}
	found = iot_test_process_count(self, compiled);
	g_mutex_unlock(&self->mutex);
	if (found >= count)
		return TRUE;
	output = iot_test_process_get_output(self);
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_TIMED_OUT,
		    "%u of %u lines matching /%s/ within %u ms; output:\n%s",
		    found,
		    count,
		    regex,
		    timeout_ms,
		    output);
	return FALSE;
}

/**
 * iot_test_process_wait_output_end:
 * @self: a process
 * @timeout_ms: the deadline
 *
 * Waits until both of its pipes are read to the end, as they are soon after
 * it exits, so that its whole output can be checked.
 *
 * Returns: %TRUE when the output ended before the deadline
 */
gboolean
iot_test_process_wait_output_end(IotTestProcess *self, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)iot_test_timeout_ms(timeout_ms) * 1000;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->mutex);

	while (self->open_pipes > 0) {
		if (!g_cond_wait_until(&self->cond, &self->mutex, deadline))
			return FALSE;
	}
	return TRUE;
}

gboolean
iot_test_process_has_line(IotTestProcess *self, const gchar *regex)
{
	g_autoptr(GRegex) compiled = g_regex_new(regex, 0, 0, NULL);
	g_autofree gchar *found = NULL;
	g_mutex_lock(&self->mutex);
	found = iot_test_process_find(self, compiled);
	g_mutex_unlock(&self->mutex);
	return found != NULL;
}

/**
 * iot_test_process_get_output:
 * @self: a process
 *
 * Returns: (transfer full): every line read so far
 */
gchar *
iot_test_process_get_output(IotTestProcess *self)
{
	GString *out = g_string_new(NULL);
	g_mutex_lock(&self->mutex);
	for (guint i = 0; i < self->lines->len; i++) {
		g_string_append(out, g_ptr_array_index(self->lines, i));
		g_string_append_c(out, '\n');
	}
	g_mutex_unlock(&self->mutex);
	return g_string_free(out, FALSE);
}

/* runs once, whenever the process ends; dispose waits for it */
static void
iot_test_process_wait_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	IotTestProcess *self = IOT_TEST_PROCESS(user_data);
	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	if (g_subprocess_get_if_exited(self->subprocess))
		self->status = g_subprocess_get_exit_status(self->subprocess);
	else
		self->status = 128 + g_subprocess_get_term_sig(self->subprocess);
	self->exited = TRUE;
}

static gboolean
iot_test_process_timeout_cb(gpointer user_data)
{
	gboolean *timed_out = user_data;
	*timed_out = TRUE;
	return G_SOURCE_REMOVE;
}

/**
 * iot_test_process_wait_exit:
 * @self: a process
 * @timeout_ms: the deadline
 * @status: (out) (optional): the exit status, or 128 + signal number
 *
 * Returns: %TRUE when the process ended before the deadline
 */
gboolean
iot_test_process_wait_exit(IotTestProcess *self, guint timeout_ms, gint *status)
{
	gboolean timed_out = FALSE;
	guint timer =
	    g_timeout_add(iot_test_timeout_ms(timeout_ms), iot_test_process_timeout_cb, &timed_out);

	while (!self->exited && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(timer);
	if (!self->exited)
		return FALSE;
	if (status != NULL)
		*status = self->status;
	return TRUE;
}

void
iot_test_process_signal(IotTestProcess *self, gint signum)
{
	g_subprocess_send_signal(self->subprocess, signum);
}

GPid
iot_test_process_get_pid(IotTestProcess *self)
{
	const gchar *id = g_subprocess_get_identifier(self->subprocess);
	return id != NULL ? (GPid)g_ascii_strtoll(id, NULL, 10) : 0;
}

/**
 * iot_test_process_get_rss_kib:
 * @self: a running process
 * @field: "VmRSS" (now) or "VmHWM" (peak)
 *
 * Returns: the value from /proc/PID/status, in KiB, or 0
 */
guint64
iot_test_process_get_rss_kib(IotTestProcess *self, const gchar *field)
{
	g_autofree gchar *path =
	    g_strdup_printf("/proc/%d/status", (gint)iot_test_process_get_pid(self));
	g_autofree gchar *contents = NULL;
	g_auto(GStrv) lines = NULL;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		return 0;
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], field) && lines[i][strlen(field)] == ':')
			return g_ascii_strtoull(lines[i] + strlen(field) + 1, NULL, 10);
	}
	return 0;
}

static void
iot_test_process_dispose(GObject *object)
{
	IotTestProcess *self = IOT_TEST_PROCESS(object);
	if (self->subprocess != NULL && !self->exited) {
		g_subprocess_force_exit(self->subprocess);
		iot_test_process_wait_exit(self, 5000, NULL);
	}
	for (guint i = 0; i < 2; i++) {
		if (self->readers[i] != NULL)
			g_thread_join(g_steal_pointer(&self->readers[i]));
	}
	g_clear_object(&self->subprocess);
	G_OBJECT_CLASS(iot_test_process_parent_class)->dispose(object);
}

static void
iot_test_process_finalize(GObject *object)
{
	IotTestProcess *self = IOT_TEST_PROCESS(object);
	g_ptr_array_unref(self->lines);
	g_mutex_clear(&self->mutex);
	g_cond_clear(&self->cond);
	G_OBJECT_CLASS(iot_test_process_parent_class)->finalize(object);
}

static void
iot_test_process_class_init(IotTestProcessClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = iot_test_process_dispose;
	object_class->finalize = iot_test_process_finalize;
}

static void
iot_test_process_init(IotTestProcess *self)
{
	g_mutex_init(&self->mutex);
	g_cond_init(&self->cond);
	self->lines = g_ptr_array_new_with_free_func(g_free);
}
