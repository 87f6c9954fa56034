/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkrdinit's helpers: the error record and confined paths (cleanup attributes and module
 * names come from common/, shared with /init).
 *
 * Helpers return >= 0 or -errno and never print.  When a failure needs more
 * context than an errno (which file, which module), the helper that knows it
 * writes one line into a struct mk_err; main() prints that line once.
 */
#ifndef MKRDINIT_H
#define MKRDINIT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "modname.h"

struct mk_err {
	char msg[PATH_MAX + 256];
};

/*
 * Record why an operation failed and return @code.  The first message
 * wins: the innermost helper knows the exact file, and callers further up
 * would only blur it.  Only record errors that every caller treats as fatal.
 */
static inline __attribute__((format(printf, 3, 4))) int mk_errf(struct mk_err *e, int code,
								const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0])
		return code;
	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

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
static inline int mk_openat(const struct mk_dir *d, const char *rel, int flags, mode_t mode)
{
	/* openat2() refuses O_PATH with anything but O_DIRECTORY and O_NOFOLLOW */
	int extra = (flags & O_PATH) ? O_CLOEXEC : O_CLOEXEC | O_NOCTTY;
	struct open_how how = { .flags = (unsigned long long)(flags | extra),
				.mode = (flags & O_CREAT) ? mode : 0,
				.resolve = d->resolve };
	long fd;

	do
		fd = syscall(SYS_openat2, d->fd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : (int)fd;
}

/* Create the missing directories of @rel's dirname below @d, each one confined. */
static inline int mk_mkdirs(const struct mk_dir *d, const char *rel)
{
	char *path = strdup(rel);
	int r = 0;

	if (!path)
		return -ENOMEM;
	for (char *s = strchr(path, '/'); s && r == 0; s = strchr(s + 1, '/')) {
		char *base;
		int dfd;

		*s = '\0';
		base = strrchr(path, '/');
		if (base) {
			*base = '\0';
			dfd = mk_openat(d, path, O_PATH | O_DIRECTORY, 0);
			*base++ = '/';
		} else {
			base = path;
			dfd = mk_openat(d, ".", O_PATH | O_DIRECTORY, 0);
		}
		if (dfd < 0)
			r = dfd;
		else if (mkdirat(dfd, base, 0755) < 0 && errno != EEXIST)
			r = -errno;
		if (dfd >= 0)
			(void)close(dfd);
		*s = '/';
	}
	free(path);
	return r;
}

/*
 * Open @rel below @d for reading; on failure record "cannot open DIR/REL:
 * why", with an escape out of @d spelled out.  An fd, or -errno.
 */
static inline int mk_open_error(const struct mk_dir *d, const char *rel, int r, struct mk_err *err)
{
	if (r == -EXDEV)
		return mk_errf(err, r, "refusing %s/%s: it leads outside %s (a symlink or '..')",
			       d->path, rel, d->path);
	return mk_errf(err, r, "cannot open %s/%s: %s", d->path, rel, strerror(-r));
}

static inline int mk_open_read(const struct mk_dir *d, const char *rel, struct mk_err *err)
{
	int fd = mk_openat(d, rel, O_RDONLY, 0);

	return fd < 0 ? mk_open_error(d, rel, fd, err) : fd;
}

static inline void mk_err_clear(struct mk_err *e)
{
	if (e)
		e->msg[0] = '\0';
}

#endif
