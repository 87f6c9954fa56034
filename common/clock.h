/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clock readings in the units deadlines and timelines use. */
#ifndef RDINIT_COMMON_CLOCK_H
#define RDINIT_COMMON_CLOCK_H

#include <time.h>

static inline unsigned long long clock_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* Milliseconds of CLOCK_MONOTONIC, signed for deadline arithmetic. */
static inline long long mono_ms(void)
{
	return (long long)(clock_usec(CLOCK_MONOTONIC) / 1000);
}

#endif
