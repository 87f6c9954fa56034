/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Confined directories: the trees mkrdinit reads from and writes into (--basedir, the
 * staging tree), whose paths openat2() resolves without ever leaving them.
 */
#ifndef MKRDINIT_CONFINE_H
#define MKRDINIT_CONFINE_H

#include <sys/types.h>

#include "mkerr.h"

/*
 * A directory whose paths are resolved by openat2() and may not leave it:
 * the --basedir tree (symlinks inside it are fine; one leading out, or a
 * "..", is -EXDEV) and the staging tree.
 */
struct mk_dir {
	int fd;			    /* O_PATH */
	unsigned long long resolve; /* RESOLVE_* */
	const char *path;	    /* for messages */
};

/* openat2() of @rel below @d; an fd (O_CLOEXEC) or -errno, -EXDEV when it leads out. */
int mk_openat(const struct mk_dir *d, const char *rel, int flags, mode_t mode);

/* Create the missing directories of @rel's dirname below @d, each one confined. */
int mk_mkdirs(const struct mk_dir *d, const char *rel);

/*
 * Record "cannot open DIR/REL: why" for the failure @r of opening @rel below @d, with an
 * escape out of @d spelled out; returns @r.
 */
int mk_open_error(const struct mk_dir *d, const char *rel, int r, struct mk_err *err);

/* Open @rel below @d for reading; a failure is recorded as by mk_open_error().  An fd or -errno. */
int mk_open_read(const struct mk_dir *d, const char *rel, struct mk_err *err);

#endif
