// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * run-init: move the API filesystems and the new root over "/", chroot, free the initramfs.
 *
 * The delete is the dangerous part: it must never leave the initramfs. So it refuses unless
 * "/" is ramfs or tmpfs, works on directory fds with unlinkat(), never follows a symlink
 * (O_NOFOLLOW), and skips anything on another device (the new root, /dev, /proc, ...).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "root/root.h"

/*
 * Delete everything under @dirfd that lives on device @dev, except the entry @skip at the
 * top level. @dirfd is consumed. Returns 0 or the first -errno met (the rest is still tried).
 */
int delete_tree(int dirfd, dev_t dev, const char *skip)
{
	DIR *dir = fdopendir(dirfd);
	struct dirent *de;
	int r = 0;

	if (!dir) {
		r = -errno;
		close(dirfd);
		return r;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		int fd, q;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (skip && !strcmp(de->d_name, skip))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd, de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				continue;
			q = delete_tree(fd, dev, NULL);
			if (q == 0 && unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0)
				q = -errno;
		} else {
			q = unlinkat(dirfd, de->d_name, 0) < 0 ? -errno : 0;
		}
		/* a mount point inside (EBUSY) keeps its parent dirs: not an error */
		if (q < 0 && q != -EBUSY && q != -ENOTEMPTY && r == 0)
			r = q;
	}
	closedir(dir);
	return r;
}

static bool is_mountpoint(const char *path)
{
	struct stat st, parent;
	char up[256];

	snprintf(up, sizeof(up), "%s/..", path);
	if (stat(path, &st) < 0 || stat(up, &parent) < 0)
		return false;
	return st.st_dev != parent.st_dev;
}

static const char *const api_mounts[] = { "/dev", "/proc", "/sys", "/run" };
#define N_API (sizeof(api_mounts) / sizeof(api_mounts[0]))

/*
 * Move /dev /proc /sys /run under @newroot, each only if it is a mount and the target
 * exists. @moved[i] says which moved; the others stay until the new root is on "/"
 * (detach_unmoved()), so a failed switch still has them.
 */
static void move_api_mounts(const char *newroot, bool moved[N_API])
{
	char target[256];
	struct stat st;
	size_t i;

	for (i = 0; i < N_API; i++) {
		moved[i] = false;
		if (!is_mountpoint(api_mounts[i]))
			continue;
		snprintf(target, sizeof(target), "%s%s", newroot, api_mounts[i]);
		if (stat(target, &st) == 0 && S_ISDIR(st.st_mode) &&
		    mount(api_mounts[i], target, NULL, MS_MOVE, NULL) == 0) {
			moved[i] = true;
			continue;
		}
		log_warn("switch root: cannot move %s to %s (%m); it will be detached",
			 api_mounts[i], target);
	}
}

/* After a failed switch: the API mounts back where the initramfs's shell expects them. */
static void unmove_api_mounts(const char *newroot, const bool moved[N_API])
{
	char source[256];
	size_t i;

	for (i = 0; i < N_API; i++) {
		snprintf(source, sizeof(source), "%s%s", newroot, api_mounts[i]);
		if (moved[i] && mount(source, api_mounts[i], NULL, MS_MOVE, NULL) < 0)
			log_warn("switch root: cannot move %s back to %s: %m", source,
				 api_mounts[i]);
	}
}

/*
 * The new root is on "/" but we are not chrooted yet: paths still resolve in the old
 * initramfs, where the API mounts that could not move are. Nothing will reach them again.
 */
static void detach_unmoved(const bool moved[N_API])
{
	size_t i;

	for (i = 0; i < N_API; i++)
		if (!moved[i] && is_mountpoint(api_mounts[i]))
			(void)umount2(api_mounts[i], MNT_DETACH);
}

/*
 * Free the old initramfs through @oldroot, a descriptor on its top directory: by now it is
 * reachable by no path. In a child, so the real init does not wait for it; the child is
 * the real init's to reap.
 */
static void free_initramfs(int oldroot, dev_t dev)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("switch root: cannot fork to free the initramfs (%m); freeing it now");
	} else if (pid > 0) {
		close(oldroot);
		return;
	}
	/* the real init comes first: on one CPU the delete waits until it idles */
	if (pid == 0) {
		struct sched_param sp = { 0 };

		(void)sched_setscheduler(0, SCHED_IDLE, &sp);
	}
	if (delete_tree(oldroot, dev, NULL) < 0 && pid < 0)
		log_warn("switch root: freeing the initramfs was incomplete");
	if (pid == 0)
		_exit(0);
}

/*
 * The switch, in the order util-linux and systemd use: move the API mounts and the new root
 * over "/", chroot, and only then delete the old initramfs through a descriptor kept on it.
 * A step that fails says which, and leaves the initramfs whole (and its shell usable).
 */
int switch_root(const char *newroot, bool keep_initramfs)
{
	struct stat root_st, new_st;
	struct statfs sfs;
	bool moved[N_API];
	int oldroot, r;

	if (statfs("/", &sfs) < 0 || stat("/", &root_st) < 0) {
		r = -errno;
		log_console("switch root: looking at /: %m");
		return r;
	}
	if (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC) {
		log_console("refusing to switch root: / is not an initramfs (f_type 0x%lx)",
			    (unsigned long)sfs.f_type);
		return -EPERM;
	}
	if (stat(newroot, &new_st) < 0) {
		r = -errno;
		log_console("switch root: looking at %s: %m", newroot);
		return r;
	}
	if (root_st.st_dev == new_st.st_dev) {
		log_console("refusing to switch root: %s is not a mounted filesystem", newroot);
		return -EINVAL;
	}
	oldroot = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0) {
		r = -errno;
		log_console("switch root: opening the initramfs: %m");
		return r;
	}
	/* MS_MOVE fails under shared propagation */
	(void)mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	move_api_mounts(newroot, moved);
	if (chdir(newroot) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0) {
		r = -errno;
		log_console("switch root: moving %s over /: %m", newroot);
		(void)chdir("/");
		unmove_api_mounts(newroot, moved);
		close(oldroot);
		return r;
	}
	detach_unmoved(moved);
	if (chroot(".") < 0 || chdir("/") < 0) {
		r = -errno;
		log_console("switch root: chroot into the new root: %m");
		/* we are still in the initramfs: put the new root and the API mounts back */
		if (mount(".", newroot, NULL, MS_MOVE, NULL) < 0)
			log_console("switch root: cannot move the new root back to %s: %m",
				    newroot);
		(void)chdir("/");
		unmove_api_mounts(newroot, moved);
		close(oldroot);
		return r;
	}
	if (keep_initramfs) {
		log_info("rdinit.keep_initramfs: not freeing the initramfs");
		close(oldroot);
		return 0;
	}
	free_initramfs(oldroot, root_st.st_dev);
	return 0;
}

/* @path below @newroot, resolved as if @newroot were "/"; an fd (O_CLOEXEC), or -errno. */
int open_in_root(const char *newroot, const char *path, int flags)
{
	struct open_how how = { .flags = (unsigned)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int rootfd = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	close(rootfd);
	return fd;
}

/*
 * Check that @init exists in @newroot and is an executable file, resolving symlinks inside
 * the new root (an absolute /sbin/init -> /lib/systemd/systemd must not be looked up in the
 * initramfs). Without init= the kernel's own chain is tried. Writes the path found to @out.
 */
int init_resolve(const char *newroot, const char *init, char *out, size_t outlen)
{
	static const char *const chain[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };
	int r = -ENOENT;
	size_t i, n = init ? 1 : sizeof(chain) / sizeof(chain[0]);

	for (i = 0; i < n; i++) {
		const char *cand = init ? init : chain[i];
		struct stat st;
		int fd = open_in_root(newroot, cand, O_PATH);

		if (fd < 0) {
			r = fd;
			continue;
		}
		r = fstat(fd, &st) < 0 ? -errno : 0;
		close(fd);
		if (r == 0 && !S_ISREG(st.st_mode))
			r = S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
		else if (r == 0 && !(st.st_mode & 0111))
			r = -EACCES;
		if (r == 0) {
			snprintf(out, outlen, "%s", cand);
			break;
		}
	}
	return r;
}
