// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guard process: it removes the temp image and the staging tree when mkrdinit dies
 * before it cleans up itself, SIGKILL included.
 *
 * Why not a signal handler: the signal may come while modcomp's threads
 * write into the staging tree and depmod runs on it.  A handler may only
 * make async-signal-safe calls (no opendir(), no malloc(), so no rm -r) and
 * would race the threads still writing.  Why not blocking the signals: the
 * long steps (compression, depmod) would have to poll for them, and an
 * interrupted build should stop at once.
 *
 * So a child is forked first, while we are single-threaded.  We send it the
 * temp image's and the staging tree's paths over a pipe as we create them,
 * and "done" once we have cleaned up ourselves.  When the pipe reaches EOF
 * without "done" we are gone, however we died, and so are our threads; depmod
 * dies with us (PR_SET_PDEATHSIG).  The child then removes both.  We keep the
 * default action of the signals, so our exit status still says which one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "guard.h"
#include "staging.h"

void guard_send(const struct guard *g, char what, const char *path)
{
	if (g->fd >= 0) {
		(void)write_all(g->fd, &what, 1);
		(void)write_all(g->fd, path, strlen(path) + 1);
	}
}

/*
 * In the child: the records in @buf ("Tpath", "Spath", "D", each ending in
 * a NUL; a last one cut short is ignored).  Remove the temp image and the
 * staging tree they name, unless one says "done".
 */
static void guard_clean(const char *buf, size_t len)
{
	size_t end = len;

	while (end && buf[end - 1] != '\0')
		end--;
	for (size_t i = 0; i < end; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, "D"))
			return;
	for (size_t i = 0; i < end; i += strlen(buf + i) + 1) {
		const char *path = buf + i + 1;

		if (buf[i] == 'T')
			(void)unlink(path);
		/* depmod may take a moment to die; its last writes must go too */
		for (int try = 0; buf[i] == 'S' && try < 50 && access(path, F_OK) == 0; try++) {
			staging_rmtree(path);
			if (access(path, F_OK) == 0)
				(void)usleep(20000);
		}
	}
}

static __attribute__((noreturn)) void guard_child(int in)
{
	char buf[2 * (PATH_MAX + 2) + 2];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	/* Ctrl-C reaches the whole process group: the guard must outlive it */
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
	/* hold none of the parent's files: a caller reading its stdout waits for EOF */
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		(void)dup2(null, fd);
	while (len < sizeof(buf)) {
		n = read(in, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	guard_clean(buf, len);
	_exit(0);
}

int guard_start(struct guard *g, struct mk_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return mk_errf(err, -errno, "cannot create a pipe: %s", strerror(errno));
	g->pid = fork();
	if (g->pid < 0) {
		int r = -errno;

		(void)close(p[0]);
		(void)close(p[1]);
		return mk_errf(err, r, "cannot fork: %s", strerror(-r));
	}
	if (g->pid == 0) {
		/* keep only the read end, as fd 3 */
		if (p[0] != 3 && dup2(p[0], 3) < 0)
			_exit(1);
		(void)close_range(4, ~0U, 0);
		if (p[1] != 3)
			(void)close(p[1]);
		guard_child(3);
	}
	(void)close(p[0]);
	g->fd = p[1];
	return 0;
}

void guard_stop(struct guard *g)
{
	if (g->fd < 0)
		return;
	(void)write_all(g->fd, "D", 2);
	(void)close(g->fd);
	while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
		;
}
