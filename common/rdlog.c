// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rdlog.h"

static rd_log_fn *log_fn;

void rd_log_set(rd_log_fn *fn)
{
	log_fn = fn;
}

void rd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	log_fn(level, fmt, ap);
	va_end(ap);
}
