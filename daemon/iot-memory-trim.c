/*
 * Copyright 2026 The iotunnel developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "iot-memory-trim.h"

#include <malloc.h>
#include <time.h>

/*
 * Gives the heap freed after a burst of work back to the system.
 *
 * glibc's allocator keeps freed memory for the next allocations; a burst of
 * traffic leaves the heap and its free lists larger than an idle proxy
 * needs (half a MiB after 128 MiB through 8 connections), held until the
 * process ends. Every few seconds the daemon looks at its own CPU time: when
 * it worked since the last trim and has been quiet since the last look (the
 * burst is over, the connections idle), malloc_trim() returns the free
 * pages. A busy proxy is not trimmed while it works, and an idle one only
 * wakes up to read a clock.
 *
 * While it works, the heap keeps what it frees: a data frame's buffer
 * (up to 128 KiB) is taken from the top of the heap and given back many times
 * a second, and with glibc's defaults every free that leaves 128 KiB at the
 * top returns it to the kernel, to be faulted in again page by page for the
 * next frame, with a TLB shootdown on every CPU each time: five times the
 * sending proxy's CPU per GiB once the heap is as small as an idle proxy's
 * now is. So the top is trimmed past 8 MiB only, and blocks up to 1 MiB
 * stay on the heap (setting a threshold turns off glibc's sliding mmap one,
 * which would otherwise have moved up to the frames' size by itself).
 */

#define IOT_MEMORY_TRIM_PERIOD_S 5
#define IOT_MEMORY_TRIM_TOP_BYTES (8 * 1024 * 1024)
#define IOT_MEMORY_TRIM_MMAP_BYTES (1024 * 1024)
/* CPU time in a period that counts as quiet; an idle tunnel spends far less */
#define IOT_MEMORY_TRIM_QUIET_US (5 * 1000)

typedef struct {
	gint64 last_cpu_us;
	gboolean worked;
} IotMemoryTrim;

static gint64
iot_memory_trim_cpu_us(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0)
		return 0;
	return (gint64)now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static gboolean
iot_memory_trim_cb(gpointer user_data)
{
	IotMemoryTrim *self = user_data;
	gint64 cpu_us = iot_memory_trim_cpu_us();
	gint64 spent_us = cpu_us - self->last_cpu_us;

	self->last_cpu_us = cpu_us;
	if (spent_us > IOT_MEMORY_TRIM_QUIET_US) {
		self->worked = TRUE;
		return G_SOURCE_CONTINUE;
	}
	if (self->worked) {
		self->worked = FALSE;
		malloc_trim(0);
	}
	return G_SOURCE_CONTINUE;
}

/**
 * iot_memory_trim_start:
 *
 * Keeps freed memory on the heap while the process works, and trims the
 * heap when it goes quiet after work, on the default main context, for the
 * life of the process.
 *
 * Returns: the ID of the timeout source
 */
guint
iot_memory_trim_start(void)
{
	IotMemoryTrim *self = g_new0(IotMemoryTrim, 1);

	if (mallopt(M_TRIM_THRESHOLD, IOT_MEMORY_TRIM_TOP_BYTES) != 1 ||
	    mallopt(M_MMAP_THRESHOLD, IOT_MEMORY_TRIM_MMAP_BYTES) != 1)
		g_debug("the allocator did not take the trim and mmap thresholds");
	self->last_cpu_us = iot_memory_trim_cpu_us();
	/* what start-up left behind goes at the first quiet look */
	self->worked = TRUE;
	return g_timeout_add_seconds_full(G_PRIORITY_LOW,
					  IOT_MEMORY_TRIM_PERIOD_S,
					  iot_memory_trim_cb,
					  self,
					  g_free);
}
