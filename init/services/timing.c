// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot timeline: a monotonic timestamp at each phase and each module loaded. Logged at
 * debug level, printed as a table with rdinit.debug, saved to /run/rdinit/timings for the
 * real system. The start is the initrd timestamp systemd-analyze shows: handed to systemd
 * in a serialization (systemd.c), and as RD_TIMESTAMP, which systemd 252 does not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "services/services.h"

static struct mark {
	unsigned long long usec;
	char what[48];
} * marks;
static int nmarks, cap;
static unsigned long long start_realtime;

unsigned long long timing_now(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}

void timing_mark(const char *what)
{
	timing_mark_at(clock_usec(CLOCK_MONOTONIC), what);
}

/* A mark for something that happened at @t (a module a worker thread loaded). */
void timing_mark_at(unsigned long long t, const char *what)
{
	int i;

	if (nmarks == 0)
		start_realtime = clock_usec(CLOCK_REALTIME);
	log_debug("at %llu.%06llu s: %s", t / 1000000, t % 1000000, what);
	if (nmarks == cap) {
		int ncap = cap ? cap * 2 : 64;
		struct mark *m = realloc(marks, (size_t)ncap * sizeof(*m));

		if (!m)
			return; /* the debug line above has it */
		marks = m;
		cap = ncap;
	}
	/* modules loaded by worker threads are marked afterwards: keep the table in time order */
	i = nmarks++;
	while (i > 0 && marks[i - 1].usec > t) {
		marks[i] = marks[i - 1];
		i--;
	}
	marks[i].usec = t;
	snprintf(marks[i].what, sizeof(marks[i].what), "%s", what);
}

/* "uptime-seconds since-start what" per line, to @path, and the table on the console. */
void timing_finish(const char *path, bool table)
{
	FILE *f;
	int i;

	if (nmarks == 0)
		return;
	(void)mkdir("/run/rdinit", 0755);
	f = fopen(path, "we");
	for (i = 0; i < nmarks; i++) {
		unsigned long long t = marks[i].usec, d = t - marks[0].usec;

		if (f)
			fprintf(f, "%llu.%06llu %llu.%06llu %s\n", t / 1000000, t % 1000000,
				d / 1000000, d % 1000000, marks[i].what);
		if (table)
			log_tell(LOG_LVL_INFO, "%8llu.%03llu s  +%4llu ms  %s", t / 1000000,
				 t % 1000000 / 1000, i ? (t - marks[i - 1].usec) / 1000 : 0,
				 marks[i].what);
	}
	if (f)
		fclose(f);
}

/* When the initramfs started, in microseconds of CLOCK_REALTIME and CLOCK_MONOTONIC. */
int timing_start(unsigned long long *realtime, unsigned long long *monotonic)
{
	if (nmarks == 0)
		return -ENODATA;
	*realtime = start_realtime;
	*monotonic = marks[0].usec;
	return 0;
}

/*
 * RD_TIMESTAMP="realtime monotonic" (microseconds), the initrd start as dracut once handed it
 * to systemd; systemd 252 does not read it (see systemd.c), other tools may.
 */
void timing_setenv(void)
{
	char buf[64];

	if (nmarks == 0)
		return;
	snprintf(buf, sizeof(buf), "%llu %llu", start_realtime, marks[0].usec);
	(void)setenv("RD_TIMESTAMP", buf, 1);
}
