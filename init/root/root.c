// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mounting the root filesystem with libmount, once devices.c has found it.
 */
#include <errno.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "boot.h"

/*
 * Mount the root on @target with rootfstype= (a comma list, tried in order) or the probed
 * type, loading each type's module first.
 */
int root_mount(struct boot *b, const char *target)
{
	const struct rdinit_opts *o = &b->opts;
	const struct root_dev *dev = &b->rootdev;
	char err[256] = "", types[256], *save = NULL, *t;
	int r = -EINVAL;

	(void)mkdir(target, 0755);
	snprintf(types, sizeof(types), "%s", o->rootfstype ? o->rootfstype : dev->fstype);
	if (!types[0]) {
		log_err("no filesystem found on %s and no rootfstype= given", dev->devnode);
		return -ENOMEDIUM;
	}
	for (t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		(void)modules_load_fs(&b->mods, t);
		/* ro/rw from the command line wins over rootflags, as with the kernel's own */
		r = fs_mount(dev->devnode, t, target, o->rootflags, o->ro ? "ro" : "rw", err,
			     sizeof(err));
		if (r == 0) {
			log_info("mounted %s (%s, %s) on %s", dev->devnode, t, o->ro ? "ro" : "rw",
				 target);
			return 0;
		}
		log_warn("mounting %s as %s failed: %s", dev->devnode, t,
			 err[0] ? err : strerror(-r));
	}
	return r;
}
