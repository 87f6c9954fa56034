/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard process: it removes the temp image and the staging tree when mkrdinit dies
 * before it cleans up itself (SIGINT, SIGTERM, SIGKILL).
 */
#ifndef MKRDINIT_GUARD_H
#define MKRDINIT_GUARD_H

#include <sys/types.h>

#include "mkerr.h"

struct guard {
	int fd; /* the pipe's write end */
	pid_t pid;
};

/* Fork the guard, while we are still single-threaded. */
int guard_start(struct guard *g, struct mk_err *err);

/* The guard removes @path if we die: @what is 'T' for the temp image, 'S' for the staging tree. */
void guard_send(const struct guard *g, char what, const char *path);

/* We cleaned up ourselves: the guard has nothing to do. */
void guard_stop(struct guard *g);

#endif
