// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Block devices: each one that appears ("add" from netlink or the /sys replay) is probed
 * once with libblkid's low-level prober (no cache file), "change" probes it again, "remove"
 * forgets it (prober.c probes). The table grows: a root behind hundreds of other devices is
 * still found. Each probe is matched against root=.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/btrfs.h>

#include "boot.h"

static struct blockdev *lookup(struct devices *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->name, name))
			return t->v[i];
	return NULL;
}

/* A new entry; each lives in its own allocation, so b->root stays where it is. */
static struct blockdev *add(struct devices *t)
{
	struct blockdev *d;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct blockdev **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	d = calloc(1, sizeof(*d));
	if (d)
		t->v[t->n++] = d;
	return d;
}

/* ".../block/vda/vda2" -> "vda" */
static void set_disk(struct blockdev *d, const char *devpath)
{
	const char *end, *start;

	if (!devpath || d->partn <= 0)
		return;
	end = strrchr(devpath, '/');
	if (!end)
		return;
	for (start = end; start > devpath && start[-1] != '/'; start--)
		;
	snprintf(d->disk, sizeof(d->disk), "%.*s", (int)(end - start), start);
}

/*
 * root=/dev/mapper/NAME, /dev/VG/LV, /dev/md/NAME: names that cryptsetup, lvm and mdadm
 * make as they set a device up, links or nodes of their own beside the kernel's dm-N and
 * mdN. By the time the kernel's uevent for that device is read, the tool that made it has
 * ended and its names are there: the device number behind the name says which it is.
 */
static bool path_matches(const struct devices *t, const struct root_spec *spec,
			 const struct blockdev *d)
{
	char path[PATH_MAX];
	struct stat st;

	if (spec->kind != ROOT_DEVNAME || !strchr(spec->value, '/'))
		return rootdev_matches(spec, d);
	snprintf(path, sizeof(path), "%s/%s", t->devdir ? t->devdir : "/dev", spec->value);
	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) && (int)major(st.st_rdev) == d->major &&
	       (int)minor(st.st_rdev) == d->minor;
}

/* PARTUUID=X/PARTNROFF=N: the partition N after X on the same disk, once both are seen */
static const struct blockdev *partnroff_target(const struct devices *t,
					       const struct root_spec *spec)
{
	struct root_spec base = *spec;
	size_t i, j;

	base.partnroff = 0;
	for (i = 0; i < t->n; i++) {
		if (!rootdev_matches(&base, t->v[i]) || !t->v[i]->disk[0])
			continue;
		for (j = 0; j < t->n; j++)
			if (!strcmp(t->v[j]->disk, t->v[i]->disk) &&
			    t->v[j]->partn == t->v[i]->partn + spec->partnroff)
				return t->v[j];
	}
	return NULL;
}

/*
 * A multi-device btrfs can be mounted only once all its devices are known to the kernel:
 * register every member seen so far and ask whether the volume is complete.
 */
static bool btrfs_ready(struct boot *b, const struct blockdev *d)
{
	struct btrfs_ioctl_vol_args args;
	int fd, r = 1;
	size_t i;

	(void)modules_load_fs(&b->mods, "btrfs");
	/* a dry run under --sysroot has no kernel to register its devices with */
	if (b->dry_run)
		return true;
	fd = open("/dev/btrfs-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell: let the mount decide */
	for (i = 0; i < b->devs.n; i++) {
		const struct blockdev *m = b->devs.v[i];

		if (strcmp(m->type, "btrfs") || strcmp(m->uuid, d->uuid))
			continue;
		memset(&args, 0, sizeof(args));
		snprintf(args.name, sizeof(args.name), "/dev/%.63s", m->name);
		r = ioctl(fd, BTRFS_IOC_DEVICES_READY, &args);
	}
	close(fd);
	if (r != 0)
		log_info("btrfs %s: waiting for the rest of its devices", d->uuid);
	return r == 0;
}

/* Whether @d (a match of @spec, or its PARTNROFF target) is a filesystem to mount now. */
/*
 * A device-mapper or MD device (the caller checks the name) announced before it can be read: a dm
 * device with no table yet (its "add" comes at its creation, its "change" once the table is loaded
 * and resumed), an array not started. Its size in /sys is 0 until then; an array also says
 * "inactive". The "change" that follows probes it again. (Unreadable: cannot tell, ready.)
 */
static bool not_ready_yet(const struct boot *b, const struct blockdev *d)
{
	const char *sysfs = b->sysfs ? b->sysfs : "/sys";
	bool md = !strncmp(d->name, "md", 2), r = false;
	char path[PATH_MAX], *text = NULL;

	if (b->dry_run)
		return false;
	snprintf(path, sizeof(path), "%s/block/%s/size", sysfs, d->name);
	if (read_trimmed_file(path, &text) == 0)
		r = !strcmp(text, "0");
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "%s/block/%s/md/array_state", sysfs, d->name);
	if (!r && md && read_trimmed_file(path, &text) == 0)
		r = !strcmp(text, "inactive") || !strcmp(text, "clear");
	free(text);
	return r;
}

static bool usable(struct boot *b, const struct root_spec *spec, const struct blockdev *d)
{
	/*
	 * A dm or md device with no filesystem may have been probed between its "add" and the
	 * table or array behind it (its size can be set by the time /sys is read): without
	 * rootfstype= it could not be mounted anyway, and the "change" that follows probes it
	 * again. With rootfstype=, /sys says whether it is ready.
	 */
	if (!d->type[0] && (!strncmp(d->name, "dm-", 3) || !strncmp(d->name, "md", 2)) &&
	    (!b->opts.rootfstype || not_ready_yet(b, d)))
		return false;
	/*
	 * A whole disk with a partition table is not a filesystem to mount (the report hints at
	 * its partitions); a device with no known signature is tried, for rootfstype=.
	 */
	if (!d->type[0] &&
	    (d->pttype[0] || (spec->kind != ROOT_DEVNAME && spec->kind != ROOT_DEVNUM)))
		return false;
	return strcmp(d->type, "btrfs") || btrfs_ready(b, d);
}

/* The device @spec names among those seen, if it is there and ready; else NULL. */
const struct blockdev *devices_find(struct boot *b, const struct root_spec *spec)
{
	const struct blockdev *d;
	size_t i;

	if (spec->kind == ROOT_NONE)
		return NULL;
	if (spec->partnroff) {
		d = partnroff_target(&b->devs, spec);
		return d && usable(b, spec, d) ? d : NULL;
	}
	for (i = 0; i < b->devs.n; i++)
		if (path_matches(&b->devs, spec, b->devs.v[i]) && usable(b, spec, b->devs.v[i]))
			return b->devs.v[i];
	return NULL;
}

static void match_root(struct boot *b, const struct blockdev *d)
{
	if (b->root || b->spec.kind == ROOT_NONE)
		return;
	if (b->spec.partnroff)
		d = partnroff_target(&b->devs, &b->spec);
	else if (!path_matches(&b->devs, &b->spec, d))
		d = NULL;
	if (!d || !usable(b, &b->spec, d))
		return;
	b->root = d;
	snprintf(b->rootdev.devnode, sizeof(b->rootdev.devnode), "/dev/%s", d->name);
	snprintf(b->rootdev.fstype, sizeof(b->rootdev.fstype), "%s", d->type);
}

static void forget(struct boot *b, struct blockdev *d)
{
	size_t i;

	if (b->root == d)
		b->root = NULL;
	for (i = 0; i < b->devs.n && b->devs.v[i] != d; i++)
		;
	memmove(&b->devs.v[i], &b->devs.v[i + 1], (b->devs.n - i - 1) * sizeof(*b->devs.v));
	b->devs.n--;
	free(d);
}

/* The handler for block devices: add and change probe, remove forgets. */
void devices_event(struct boot *b, const struct uevent *ev)
{
	struct blockdev *d;

	if (strchr(ev->devname, '/') || strlen(ev->devname) >= sizeof(d->name)) {
		log_warn("ignoring block device '%s': not a name rdinit can open", ev->devname);
		return;
	}
	d = lookup(&b->devs, ev->devname);
	if (!strcmp(ev->action, "remove")) {
		if (d)
			forget(b, d);
		stacks_forget(b, ev->devname);
		return;
	}
	/* the /sys replay and netlink can both report one device: probe it once per "add" */
	if (d && !strcmp(ev->action, "add"))
		return;
	if (strcmp(ev->action, "add") && strcmp(ev->action, "change"))
		return;
	if (!d) {
		d = add(&b->devs);
		if (!d) {
			log_err("out of memory for block device %s", ev->devname);
			return;
		}
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ev->devname);
	d->major = ev->major;
	d->minor = ev->minor;
	d->partn = ev->partn;
	set_disk(d, ev->devpath);
	prober_probe(&b->devs, d);
	match_root(b, d);
	/* what it holds may be a layer of the root: unlock, activate, assemble */
	stacks_device(b, d);
}

void devices_clear(struct devices *t)
{
	while (t->n)
		free(t->v[--t->n]);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Everything there is to say about each device, for the failure report. */
void devices_reprobe_all(struct devices *t)
{
	size_t i;

	if (t->depth == PARTS_ENTRY)
		return;
	t->depth = PARTS_ENTRY;
	for (i = 0; i < t->n; i++)
		prober_probe(t, t->v[i]);
}

static enum probe_depth depth_for(const struct root_spec *spec)
{
	if (spec->partnroff)
		return PARTS_ENTRY;
	switch (spec->kind) {
	case ROOT_UUID:
	case ROOT_LABEL:
		return PARTS_NONE;
	case ROOT_DEVNAME:
	case ROOT_DEVNUM:
		/* a whole disk with a partition table is not the root: PTTYPE tells */
		return PARTS_TABLE;
	default:
		return PARTS_ENTRY;
	}
}

void devices_depth_for(struct devices *t, const struct root_spec *spec)
{
	t->depth = depth_for(spec);
}

/*
 * Probe as deep as @spec needs from now on, and probe again the devices seen so far when
 * that is deeper than before: root=UUID= read no partition entries, a PARTUUID= in fstab does.
 */
void devices_deepen_for(struct devices *t, const struct root_spec *spec)
{
	enum probe_depth want = depth_for(spec);
	size_t i;

	if (want <= t->depth)
		return;
	t->depth = want;
	for (i = 0; i < t->n; i++)
		prober_probe(t, t->v[i]);
}

/* Two filesystems answering to one UUID or LABEL: say which one is used, and why. */
void devices_warn_duplicates(const struct boot *b)
{
	const struct blockdev *chosen = b->root;
	size_t i;

	if (!chosen || b->spec.kind == ROOT_DEVNAME || b->spec.kind == ROOT_DEVNUM)
		return;
	for (i = 0; i < b->devs.n; i++) {
		const struct blockdev *d = b->devs.v[i];

		if (d == chosen || !rootdev_matches(&b->spec, d))
			continue;
		/* the members of one multi-device btrfs all carry its UUID and LABEL */
		if (!strcmp(chosen->type, "btrfs") && !strcmp(d->type, "btrfs") &&
		    !strcmp(d->uuid, chosen->uuid))
			continue;
		log_console("root=%s also matches /dev/%s; using /dev/%s, the one found first",
			    b->spec.value, d->name, chosen->name);
	}
}
