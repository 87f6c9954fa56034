// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Confined directories: openat2() below a directory fd, with the RESOLVE_* flags its owner
 * chose, and the directories of a path made one confined step at a time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

int mk_openat(const struct mk_dir *d, const char *rel, int flags, mode_t mode)
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

int mk_mkdirs(const struct mk_dir *d, const char *rel)
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

int mk_open_error(const struct mk_dir *d, const char *rel, int r, struct mk_err *err)
{
	if (r == -EXDEV)
		return mk_errf(err, r, "refusing %s/%s: it leads outside %s (a symlink or '..')",
			       d->path, rel, d->path);
	return mk_errf(err, r, "cannot open %s/%s: %s", d->path, rel, strerror(-r));
}

int mk_open_read(const struct mk_dir *d, const char *rel, struct mk_err *err)
{
	int fd = mk_openat(d, rel, O_RDONLY, 0);

	return fd < 0 ? mk_open_error(d, rel, fd, err) : fd;
}
