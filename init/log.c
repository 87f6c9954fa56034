// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logging: one write() per record of "<N>rdinit: msg\n" to /dev/kmsg, so records never
 * interleave with the kernel's and keep their level. Without kmsg (too early, or a test) the
 * same text goes to the console or fd 2 without the "<N>" prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

#define DEVKMSG_SYSCTL "/proc/sys/kernel/printk_devkmsg"
static char devkmsg_saved[16];

static void devkmsg_write(const char *value)
{
	int fd = open(DEVKMSG_SYSCTL, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)!write(fd, value, strlen(value));
	close(fd);
}

/*
 * /dev/kmsg drops writes past 10 records in 5 s by default, and a failure report is longer
 * than that. Lift the limit while rdinit runs; log_close() puts the old setting back.
 * (A printk.devkmsg= on the command line locks the setting; then this does nothing.)
 */
static void devkmsg_unlimit(void)
{
	int fd = open(DEVKMSG_SYSCTL, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, devkmsg_saved, sizeof(devkmsg_saved) - 1);
	close(fd);
	devkmsg_saved[n > 0 ? n : 0] = '\0';
	if (n > 0 && strncmp(devkmsg_saved, "on", 2))
		devkmsg_write("on\n");
	else
		devkmsg_saved[0] = '\0';
}

void log_close(void)
{
	if (devkmsg_saved[0])
		devkmsg_write(devkmsg_saved);
	devkmsg_saved[0] = '\0';
}

void log_open(void)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0) {
		log_set_fd(fd, true);
		devkmsg_unlimit();
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
	/* one record, one line: libkmod's messages bring their own newline */
	while (n > 0 && buf[n - 1] == '\n')
		n--;
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

/* Does the kernel echo an error record to the console? Not when loglevel= is 3 or less. */
static bool kernel_echoes_errors(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return atoi(buf) > LOG_LVL_ERR;
}

/*
 * For what the user must see (the failure report): an error record in the kernel log, and on
 * the console too, written directly when the kernel would not show the record itself.
 */
void log_console(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;
	bool prefix = log_prefix;
	int saved = errno;

	va_start(ap, fmt);
	n = format_record(buf, sizeof(buf), LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	(void)!write(log_fd, buf, n);
	if (!prefix || log_fd == 2 || kernel_echoes_errors())
		return;
	log_prefix = false;
	errno = saved; /* for %m */
	va_start(ap, fmt);
	n = format_record(buf, sizeof(buf), LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	log_prefix = prefix;
	(void)!write(2, buf, n);
}
