// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The early mounts every later phase relies on, the console, and fs_mount(): a filesystem
 * mounted with libmount, for the root and the fstab entries the initramfs mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/services.h"

static const struct {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
} early_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
	/* systemd's initrd interface: it keeps this /run (moved into the new root) as it is */
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755" },
};

/*
 * Returns 0, or the -errno of the first mount that failed; later ones are still tried so the
 * failure path has as much as possible to work with. EBUSY (already mounted, e.g. a kernel
 * with CONFIG_DEVTMPFS_MOUNT) is fine.
 */
int mount_early(void)
{
	int r = 0;
	size_t i;

	for (i = 0; i < sizeof(early_mounts) / sizeof(early_mounts[0]); i++) {
		(void)mkdir(early_mounts[i].target, 0755);
		if (mount(early_mounts[i].source, early_mounts[i].target, early_mounts[i].type,
			  early_mounts[i].flags, early_mounts[i].data) < 0 &&
		    errno != EBUSY && r == 0)
			r = -errno;
	}
	return r;
}

/*
 * Point fds 0-2 at @name (a console= device such as "ttyS0"), else /dev/console, else
 * /dev/null: console=null makes /dev/console fail with ENODEV, and fds 0-2 may have been
 * closed when we started.
 */
void console_open(const char *name)
{
	char path[80];
	int fd = -1;

	if (name && *name && strcmp(name, "null") && !strchr(name, '/')) {
		snprintf(path, sizeof(path), "/dev/%s", name);
		fd = open(path, O_RDWR | O_NOCTTY);
	}
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return;
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	(void)dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/*
 * Mount @source on @target with libmount: @options (may be NULL), then @last appended (may be
 * NULL), so that it wins. On failure, libmount's own words go to @err.
 */
int fs_mount(const char *source, const char *fstype, const char *target, const char *options,
	     const char *last, char *err, size_t errlen)
{
	struct libmnt_context *cxt = mnt_new_context();
	int r;

	if (!cxt)
		return -ENOMEM;
	/* no helpers, no fstab, no mtab/utab: there is nothing of the sort in here */
	mnt_context_disable_helpers(cxt, 1);
	mnt_context_disable_mtab(cxt, 1);
	mnt_context_disable_canonicalize(cxt, 1);
	mnt_context_set_optsmode(cxt, MNT_OMODE_NOTAB);
	mnt_context_set_source(cxt, source);
	mnt_context_set_target(cxt, target);
	if (fstype && *fstype)
		mnt_context_set_fstype(cxt, fstype);
	if (options && *options)
		mnt_context_set_options(cxt, options);
	if (last)
		mnt_context_append_options(cxt, last);
	r = mnt_context_mount(cxt);
	if (r != 0) {
		(void)mnt_context_get_excode(cxt, r, err, errlen);
		r = r < 0 ? r : -EINVAL;
	}
	mnt_free_context(cxt);
	return r;
}
