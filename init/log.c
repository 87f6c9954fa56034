// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logging: one write() per record of "<N>rdinit: msg\n" to /dev/kmsg, so records never
 * interleave with the kernel's and keep their level. Without kmsg (too early, or a test) the
 * same text goes to the console or fd 2 without the "<N>" prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rdinit.h"

static int log_fd = 2;
static bool log_prefix;
static int log_level = LOG_LVL_INFO;

void log_set_fd(int fd, bool kmsg_prefix)
{
	log_fd = fd;
	log_prefix = kmsg_prefix;
}

void log_set_max_level(int level)
{
	log_level = level;
}

int log_max_level(void)
{
	return log_level;
}

void log_open(void)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		log_set_fd(fd, true);
		return;
	}
	fd = open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	log_set_fd(fd >= 0 ? fd : 2, false);
}

static size_t format_record(char *buf, size_t size, int level, const char *fmt, va_list ap)
{
	size_t n = 0;
	int r;

	if (log_prefix)
		n = (size_t)snprintf(buf, size, "<%d>", level);
	n += (size_t)snprintf(buf + n, size - n, "rdinit: ");
	r = vsnprintf(buf + n, size - n, fmt, ap);
	if (r < 0)
		r = 0;
	n += (size_t)r;
	/* kmsg takes at most ~1 KiB per record; cut long ones rather than lose them */
	if (n > size - 2)
		n = size - 2;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;
	int saved = errno;

	if (level > log_level)
		return;
	n = format_record(buf, sizeof(buf), level, fmt, ap);
	(void)!write(log_fd, buf, n);
	errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* For the failure report: straight to the console (fd 2), whatever the log level. */
void log_console(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	bool prefix = log_prefix;
	size_t n;

	log_prefix = false;
	va_start(ap, fmt);
	n = format_record(buf, sizeof(buf), LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	log_prefix = prefix;
	if (log_fd != 2)
		(void)!write(2, buf, n);
}
