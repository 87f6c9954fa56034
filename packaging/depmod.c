// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * depmod over the staging tree: found in PATH or sbin, run as a child that dies with us,
 * and its text outputs removed after.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "depmod.h"

/* depmod lives in sbin, which is often not in a user's PATH. */
static int find_depmod(char **out)
{
	const char *env = getenv("PATH");
	_cleanup_free_ char *dirs = NULL;
	char *save = NULL;

	if (asprintf(&dirs, "%s:/sbin:/usr/sbin", env && *env ? env : "/bin:/usr/bin") < 0)
		return -ENOMEM;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/depmod", d) < 0)
			return -ENOMEM;
		if (d[0] == '/' && access(path, X_OK) == 0) {
			*out = steal_ptr(path);
			return 0;
		}
	}
	return -ENOENT;
}

int depmod_run(const char *stage, const char *kver, struct mk_err *err)
{
	_cleanup_free_ char *depmod = NULL;
	pid_t pid, parent;
	int status;

	if (find_depmod(&depmod) < 0)
		return mk_errf(err, -ENOENT, "depmod not found in PATH, /sbin or /usr/sbin");
	parent = getpid();
	pid = fork();
	if (pid < 0)
		return mk_errf(err, -errno, "cannot run depmod: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* Its warnings belong on stderr; our stdout carries only the summary. */
		if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		/* killed with us: the guard removes the tree it writes into */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		execv(depmod, (char *const[]){ "depmod", "-b", (char *)stage, (char *)kver, NULL });
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return mk_errf(err, -errno, "waiting for depmod: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return mk_errf(err, -EIO, "%s -b %s %s killed by signal %d", depmod, stage, kver,
			       WTERMSIG(status));
	return mk_errf(err, -EIO, "%s -b %s %s failed with exit status %d", depmod, stage, kver,
		       WEXITSTATUS(status));
}

void depmod_drop_text(const char *stage, const char *kver)
{
	static const char *const text[] = { "modules.order", "modules.builtin", "modules.dep",
					    "modules.alias", "modules.symbols", "modules.devname" };

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/lib/modules/%s/%s", stage, kver, text[i]) >= 0)
			(void)unlink(path);
	}
}
