// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The early mounts every later phase relies on, and the console.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdinit.h"

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
