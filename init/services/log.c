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
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "services/services.h"

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

/*
 * /dev/kmsg drops a writer's records past 10 in 5 s (printk_devkmsg=ratelimit, the default),
 * counted per open file from that file's first record. A failure report is longer than
 * that, and switching printk_devkmsg to "on" would lift the limit for every process, the
 * rescue shell's included. Instead rdinit limits its own records to the kernel log
 * (LOG_BURST in LOG_INTERVAL; then they are counted, and the count is said by
 * log_flush_suppressed() or with the next record after the interval; not with
 * rdinit.debug, which asks for everything), and opens /dev/kmsg anew after every
 * KMSG_BURST records, so the kernel's budget of an open file never runs out. What the user
 * must see (log_tell()) is never held back.
 */
#define KMSG_BURST 10
#define LOG_BURST 200
#define LOG_INTERVAL_USEC 5000000ULL

static struct {
	unsigned long long window_start;
	unsigned int in_window, suppressed;
	unsigned int kmsg_written; /* to the /dev/kmsg file open now */
} rl;

static const char *kmsg_path = "/dev/kmsg";

static int kmsg_open(void)
{
	return open(kmsg_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
}

/* Before a record goes to /dev/kmsg: a fresh open file when this one's budget is spent. */
static void kmsg_account(void)
{
	if (!log_prefix)
		return;
	/* worker threads log too: two may open a fresh file at once, none writes past a budget */
	if (__atomic_add_fetch(&rl.kmsg_written, 1, __ATOMIC_SEQ_CST) > KMSG_BURST) {
		int fd = kmsg_open();

		if (fd >= 0) {
			(void)dup3(fd, log_fd, O_CLOEXEC);
			close(fd);
		}
		__atomic_store_n(&rl.kmsg_written, 1, __ATOMIC_SEQ_CST);
	}
}

/* Say how many records were held back, if any. */
void log_flush_suppressed(void)
{
	unsigned int dropped = rl.suppressed;

	if (!dropped)
		return;
	rl.suppressed = 0;
	log_tell(LOG_LVL_WARNING, "%u messages suppressed (more than %d in %llu s)", dropped,
		 LOG_BURST, LOG_INTERVAL_USEC / 1000000);
}

/* Whether one more record may go to the kernel log now. */
static bool log_budget(void)
{
	unsigned long long now = clock_usec(CLOCK_MONOTONIC);

	if (!log_prefix)
		return true; /* a dry run's stdout, a test: no kernel log to flood */
	if (now - rl.window_start >= LOG_INTERVAL_USEC) {
		rl.window_start = now;
		rl.in_window = 0;
		log_flush_suppressed();
	}
	/* rdinit.debug asked for everything */
	if (rl.in_window >= LOG_BURST && log_level < LOG_LVL_DEBUG) {
		rl.suppressed++;
		return false;
	}
	rl.in_window++;
	return true;
}

void log_close(void)
{
	if (log_prefix && log_fd > 2)
		close(log_fd);
	log_set_fd(2, false);
}

/* Log to the kernel log at @path ("/dev/kmsg"; a test gives a file). */
int log_open_kmsg(const char *path)
{
	int fd;

	kmsg_path = path;
	fd = kmsg_open();
	if (fd < 0)
		return -errno;
	log_set_fd(fd, true);
	rl.kmsg_written = 0;
	return 0;
}

void log_open(void)
{
	int fd;

	if (log_open_kmsg("/dev/kmsg") == 0)
		return;
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

	if (level > log_level || !log_budget())
		return;
	n = format_record(buf, sizeof(buf), level, fmt, ap);
	kmsg_account();
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

/* Does the kernel echo a record of @level to the console? Not when loglevel= is lower. */
static bool kernel_echoes(int level)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return atoi(buf) > level;
}

/*
 * For what the user must see (the failure report, the timing table): a record of @level in
 * the kernel log, and on the console too, written directly when the kernel would not show
 * the record itself. The level says how grave it is; where it goes is this function's job.
 */
void log_tell(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;
	bool prefix = log_prefix;
	int saved = errno;

	va_start(ap, fmt);
	n = format_record(buf, sizeof(buf), level, fmt, ap);
	va_end(ap);
	kmsg_account();
	(void)!write(log_fd, buf, n);
	if (!prefix || log_fd == 2 || kernel_echoes(level))
		return;
	log_prefix = false;
	errno = saved; /* for %m */
	va_start(ap, fmt);
	n = format_record(buf, sizeof(buf), level, fmt, ap);
	va_end(ap);
	log_prefix = prefix;
	(void)!write(2, buf, n);
}
