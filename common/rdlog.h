/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How code in common/ says something: rd_log() hands it to the function the program named with
 * rd_log_set(), or drops it when none was named (the fuzzers, a test that does not look).
 * /init names its own log (main()), so what common/ says lands in the kernel log like the rest;
 * mkrdinit names none: its common/ calls return their errors. Levels are syslog's.
 */
#ifndef RDINIT_COMMON_RDLOG_H
#define RDINIT_COMMON_RDLOG_H

#include <stdarg.h>
#include <syslog.h>

typedef void rd_log_fn(int level, const char *fmt, va_list ap);

void rd_log_set(rd_log_fn *fn);
void rd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
