/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared helpers for mkrdinit: cleanup attributes and the error record.
 *
 * Helpers return >= 0 or -errno and never print.  When a failure needs more
 * context than an errno (which file, which module), the helper that knows it
 * writes one line into a struct mk_err; main() prints that line once.
 */
#ifndef MKRDINIT_H
#define MKRDINIT_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

/* Hand ownership out of a _cleanup_ variable. */
#define steal_ptr(p)                      \
	({                                \
		__typeof__(p) _tmp = (p); \
		(p) = NULL;               \
		_tmp;                     \
	})

static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* Write all of @buf to @fd (short writes and EINTR retried); 0 or -errno. */
static inline int mk_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

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

static inline void mk_err_clear(struct mk_err *e)
{
	if (e)
		e->msg[0] = '\0';
}

#endif
