// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mounting the root filesystem with libmount, once devices.c has found it.
 */
#include <errno.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rdinit.h"

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
