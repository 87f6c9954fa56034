/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The error record of mkrdinit's helpers.
 *
 * Helpers return >= 0 or -errno and never print.  When a failure needs more
 * context than an errno (which file, which module), the helper that knows it
 * writes one line into a struct mk_err; main() prints that line once.
 */
#ifndef MKRDINIT_MKERR_H
#define MKRDINIT_MKERR_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

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
