// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A separate /usr, and what else the root's fstab marks x-initrd.mount: systemd expects the
 * initramfs to have mounted them before it starts. Once the root is mounted, its
 * /etc/fstab is read through it (a symlink never leads out of the new root), each such
 * entry's device is waited for on the same event path and with the same timeout as the root
 * (it may be on a disk that appears later), its filesystem's module loaded, and it is
 * mounted under the new root with the fstab's type and options, in the file's order.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot.h"

#define FSTAB_MAX (1024 * 1024)

/* The new root's /etc/fstab, parsed; none at all is an empty table. */
static int load_fstab(const char *newroot, struct fstab *f)
{
	char proc[64], *text = NULL;
	struct stat st;
	size_t len;
	int fd, r;

	fd = open_in_root(newroot, "/etc/fstab", O_PATH);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	/* a FIFO (or a device) there would block PID 1's read for ever: -EINVAL */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = fstat(fd, &st) < 0 ? -errno : -EINVAL;
		close(fd);
		return r;
	}
	/* the O_PATH descriptor opened for reading, with nothing resolved again */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = read_text_file(proc, FSTAB_MAX, &text, &len);
	close(fd);
	if (r == 0)
		r = fstab_parse(text, len, "/etc/fstab", f);
	free(text);
	return r;
}

/* The source @e names: a device to wait for (1, in @spec), or a name to pass on (0). */
static int entry_source(const struct fstab_entry *e, struct root_spec *spec)
{
	/* "tmpfs", "none", "server:/export": nothing to wait for */
	if (strncmp(e->spec, "/dev/", 5) && !strchr(e->spec, '='))
		return 0;
	return rootspec_parse(e->spec, spec) < 0 ? -EINVAL : 1;
}

/* Mount @source as @e says on its mount point below @newroot, each type's module first. */
static int mount_entry_on(struct boot *b, const char *newroot, const struct fstab_entry *e,
			  const char *source, const char *probed)
{
	const char *type = strcmp(e->type, "auto") ? e->type : probed;
	char types[128], target[64], err[256] = "", *opts, *save = NULL, *t;
	int fd, r = -EINVAL;

	snprintf(types, sizeof(types), "%s", type);
	fd = open_in_root(newroot, e->dir, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		report_fstab_mount_failed(b, e, source, type, "no such directory on the root");
		return fd;
	}
	/* the directory found without leaving the new root, whatever symlinks lie on the way */
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	opts = malloc(strlen(e->opts) + 1);
	if (!opts) {
		close(fd);
		return -ENOMEM;
	}
	fstab_mount_options(e->opts, opts);
	for (t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		(void)modules_load_fs(&b->mods, t);
		r = fs_mount(source, t, target, opts, NULL, err, sizeof(err));
		if (r == 0)
			break;
	}
	if (r == 0)
		log_info("mounted %s (%s, %s) on %s%s", source, t, opts[0] ? opts : "defaults",
			 newroot, e->dir);
	else
		report_fstab_mount_failed(b, e, source, type,
					  err[0]    ? err
					  : type[0] ? strerror(-r)
						    : "no type");
	free(opts);
	close(fd);
	return r;
}

/* Wait for the device of @e, then mount it. */
static int mount_entry(struct boot *b, const char *newroot, const struct fstab_entry *e)
{
	const struct rdinit_opts *o = &b->opts;
	const struct blockdev *d;
	struct root_spec spec;
	char devnode[80], type[32];
	int r = entry_source(e, &spec);
	bool nofail;

	if (r < 0) {
		log_console("/etc/fstab line %u: cannot understand %s for %s", e->line, e->spec,
			    e->dir);
		return r;
	}
	if (r == 0)
		return mount_entry_on(b, newroot, e, e->spec, "");
	log_info("looking for %s (%s) for %s", e->spec, rootspec_kind_name(spec.kind), e->dir);
	/* rootwait waits for ever for what the boot needs; a nofail entry it does not need */
	nofail = fstab_has_option(e->opts, "nofail");
	if (!events_wait_for(b, &spec, o->rootwait && !nofail ? -1 : wait_seconds(o) * 1000, &d)) {
		report_fstab_missing(b, e, &spec, wait_seconds(o));
		return -ETIMEDOUT;
	}
	/* the event path may move the table: copy what the mount needs */
	snprintf(devnode, sizeof(devnode), "/dev/%s", d->name);
	snprintf(type, sizeof(type), "%s", d->type);
	return mount_entry_on(b, newroot, e, devnode, type);
}

/*
 * Mount /usr and the x-initrd.mount entries of @newroot's fstab below it. An entry marked
 * nofail that fails is reported and left; any other failure stops here (the caller unmounts
 * @newroot, and what is below it, before the failure policy). An fstab that cannot be read
 * is said and mounts nothing.
 */
int mount_initrd_entries(struct boot *b, const char *newroot)
{
	struct fstab f = { 0 };
	size_t i;
	int r = load_fstab(newroot, &f);

	/* as without an fstab: if /usr is separate, the real init will say it is missing */
	if (r < 0) {
		log_console("reading /etc/fstab on %s: %s; mounting nothing from it",
			    b->rootdev.devnode, r == -EINVAL ? "not a regular file" : strerror(-r));
		fstab_free(&f);
		return 0;
	}
	for (i = 0; i < f.n && r == 0; i++) {
		const struct fstab_entry *e = &f.v[i];
		enum fstab_initrd what = fstab_initrd_entry(e);

		if (what == FSTAB_NOAUTO)
			log_info("/etc/fstab line %u: %s is noauto: not mounting it", e->line,
				 e->dir);
		if (what != FSTAB_MOUNT)
			continue;
		r = mount_entry(b, newroot, e);
		if (r < 0 && fstab_has_option(e->opts, "nofail")) {
			log_console("%s is nofail: going on without it", e->dir);
			r = 0;
		}
	}
	fstab_free(&f);
	return r;
}
