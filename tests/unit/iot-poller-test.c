/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <iotunnel.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iot-poller-private.h"

/* what a test waits at most for something that should happen at once */
#define TEST_TIMEOUT_MS 10000

/* socket pairs in the many-watches test */
#define TEST_MANY 500

typedef struct TestPair TestPair;

/* one watched end of a socket pair, and what its function saw */
struct TestPair {
	gint fds[2]; /* fds[0] is watched, the test plays the peer on fds[1] */
	IotPollerWatch *watch;
	guint n_calls;
	GIOCondition last_condition;
	gboolean consume;	/* the function reads what is there */
	gboolean remove_self;	/* the function removes its own watch */
	TestPair *remove_other; /* the function removes this one's watch */
};

/* calls of every pair's function in the current test */
static guint test_n_calls = 0;

static gboolean
test_set_flag_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* iterates the default context until *@counter reaches @value, failing after a deadline */
static void
test_wait_for_count(const guint *counter, guint value)
{
	gboolean timed_out = FALSE;
	guint timeout_id = g_timeout_add(TEST_TIMEOUT_MS, test_set_flag_cb, &timed_out);

	while (*counter < value && !timed_out)
		g_main_context_iteration(NULL, TRUE);
	if (!timed_out)
		g_source_remove(timeout_id);
	g_assert_cmpuint(*counter, >=, value);
}

/* runs what is ready now, a few times over, without blocking */
static void
test_iterate_ready(void)
{
	for (guint i = 0; i < 10; i++)
		g_main_context_iteration(NULL, FALSE);
}

static void
test_pair_cb(GIOCondition condition, gpointer user_data)
{
	TestPair *pair = user_data;

	pair->n_calls++;
	test_n_calls++;
	pair->last_condition = condition;
	if (pair->consume && (condition & G_IO_IN)) {
		guint8 buffer[256];
		g_assert_cmpint(recv(pair->fds[0], buffer, sizeof(buffer), MSG_DONTWAIT), >, 0);
	}
	if (pair->remove_other != NULL)
		g_clear_pointer(&pair->remove_other->watch, iot_poller_watch_remove);
	if (pair->remove_self)
		g_clear_pointer(&pair->watch, iot_poller_watch_remove);
}

static void
test_pair_init(TestPair *pair)
{
	memset(pair, 0, sizeof(*pair));
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair->fds), ==, 0);
	pair->watch = iot_poller_watch_new(NULL, pair->fds[0], test_pair_cb, pair);
	g_assert_nonnull(pair->watch);
}

static void
test_pair_clear(TestPair *pair)
{
	g_clear_pointer(&pair->watch, iot_poller_watch_remove);
	if (pair->fds[0] >= 0)
		close(pair->fds[0]);
	if (pair->fds[1] >= 0)
		close(pair->fds[1]);
}

static void
test_pair_send(TestPair *pair)
{
	g_assert_cmpint(send(pair->fds[1], "x", 1, MSG_DONTWAIT), ==, 1);
}

static void
test_poller_readable(void)
{
	TestPair pair;

	test_pair_init(&pair);
	pair.consume = TRUE;
	iot_poller_watch_set_condition(pair.watch, G_IO_IN);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 1);
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, 0);

	test_pair_send(&pair);
	test_wait_for_count(&pair.n_calls, 1);
	g_assert_cmpint(pair.last_condition & G_IO_IN, !=, 0);
	g_assert_cmpint(pair.last_condition & G_IO_OUT, ==, 0);

	/* read: nothing is ready any more */
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, 1);

	test_pair_clear(&pair);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 0);
}

static void
test_poller_interest(void)
{
	TestPair pair;
	guint n_calls;

	test_pair_init(&pair);

	/* asks for nothing: data waits, and the peer's end is not reported either */
	test_pair_send(&pair);
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, 0);

	/* level-triggered: called on every iteration while the data stays unread */
	iot_poller_watch_set_condition(pair.watch, G_IO_IN);
	g_assert_cmpint(iot_poller_watch_get_condition(pair.watch), ==, G_IO_IN);
	test_wait_for_count(&pair.n_calls, 3);

	/* paused */
	iot_poller_watch_set_condition(pair.watch, 0);
	n_calls = pair.n_calls;
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, n_calls);

	/* the socket can take more: writable at once, and only that is asked */
	iot_poller_watch_set_condition(pair.watch, G_IO_OUT);
	test_wait_for_count(&pair.n_calls, n_calls + 1);
	g_assert_cmpint(pair.last_condition, ==, G_IO_OUT);

	/* both */
	iot_poller_watch_set_condition(pair.watch, G_IO_IN | G_IO_OUT);
	test_wait_for_count(&pair.n_calls, n_calls + 2);
	g_assert_cmpint(pair.last_condition, ==, G_IO_IN | G_IO_OUT);

	/* the peer goes: a watch that asks for nothing is not called */
	iot_poller_watch_set_condition(pair.watch, 0);
	close(pair.fds[1]);
	pair.fds[1] = -1;
	n_calls = pair.n_calls;
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, n_calls);

	/* one that asks to read is, with the hang-up */
	iot_poller_watch_set_condition(pair.watch, G_IO_IN);
	test_wait_for_count(&pair.n_calls, n_calls + 1);
	g_assert_cmpint(pair.last_condition & G_IO_HUP, !=, 0);

	test_pair_clear(&pair);
}

static void
test_poller_remove_self(void)
{
	TestPair pair;

	test_pair_init(&pair);
	pair.remove_self = TRUE;
	iot_poller_watch_set_condition(pair.watch, G_IO_IN);
	test_pair_send(&pair);
	test_wait_for_count(&pair.n_calls, 1);
	g_assert_null(pair.watch);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 0);

	/* still readable, but gone */
	test_iterate_ready();
	g_assert_cmpuint(pair.n_calls, ==, 1);
	test_pair_clear(&pair);
}

static void
test_poller_remove_other(void)
{
	TestPair a;
	TestPair b;

	/* both ready in the same dispatch; whichever runs first removes the other */
	test_pair_init(&a);
	test_pair_init(&b);
	a.remove_other = &b;
	b.remove_other = &a;
	iot_poller_watch_set_condition(a.watch, G_IO_IN);
	iot_poller_watch_set_condition(b.watch, G_IO_IN);
	test_pair_send(&a);
	test_pair_send(&b);
	test_n_calls = 0;
	test_wait_for_count(&test_n_calls, 1);
	g_assert_cmpuint(a.n_calls + b.n_calls, ==, 1);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 1);

	/* the one removed: not called again, not even in the same dispatch */
	test_iterate_ready();
	g_assert_true((a.watch == NULL) != (b.watch == NULL));
	if (b.watch == NULL) {
		g_assert_cmpuint(b.n_calls, ==, 0);
		g_assert_cmpuint(a.n_calls, >, 1);
	} else {
		g_assert_cmpuint(a.n_calls, ==, 0);
		g_assert_cmpuint(b.n_calls, >, 1);
	}
	test_pair_clear(&a);
	test_pair_clear(&b);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 0);
}

static void
test_poller_many(void)
{
	g_autofree TestPair *pairs = g_new0(TestPair, TEST_MANY);

	for (guint i = 0; i < TEST_MANY; i++) {
		test_pair_init(&pairs[i]);
		pairs[i].consume = TRUE;
		iot_poller_watch_set_condition(pairs[i].watch, G_IO_IN);
	}
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, TEST_MANY);

	/* every other one gets data; more than one dispatch takes */
	for (guint i = 0; i < TEST_MANY; i += 2)
		test_pair_send(&pairs[i]);
	test_n_calls = 0;
	test_wait_for_count(&test_n_calls, TEST_MANY / 2);
	test_iterate_ready();
	for (guint i = 0; i < TEST_MANY; i++)
		g_assert_cmpuint(pairs[i].n_calls, ==, i % 2 == 0 ? 1 : 0);

	for (guint i = 0; i < TEST_MANY; i++)
		test_pair_clear(&pairs[i]);
	g_assert_cmpuint(iot_poller_get_n_watches(NULL), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/iotunnel/poller/readable", test_poller_readable);
	g_test_add_func("/iotunnel/poller/interest", test_poller_interest);
	g_test_add_func("/iotunnel/poller/remove-self", test_poller_remove_self);
	g_test_add_func("/iotunnel/poller/remove-other", test_poller_remove_other);
	g_test_add_func("/iotunnel/poller/many", test_poller_many);
	return g_test_run();
}
