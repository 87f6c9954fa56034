// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Finding and mounting the root filesystem. Every block device that appears is probed once
 * with libblkid's low-level prober (no cache file): superblocks, and partition tables only as
 * far as root= needs them; what was seen is kept for the failure report, which probes all of
 * it again in full.
 */
#include <blkid/blkid.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/btrfs.h>

#include "rdinit.h"

#define MAX_SEEN 64

struct seen_dev {
	char name[32];
	char disk[32]; /* for a partition: the whole disk it is on */
	int major, minor, partn;
	char type[32], uuid[64], label[64], partuuid[64], partlabel[64], pttype[16];
	unsigned long long size;
};

static struct seen_dev seen[MAX_SEEN];
static int nseen;

/* How much of the partitions chain a probe runs: root=UUID= and LABEL= need none of it. */
static enum { PARTS_NONE, PARTS_TABLE, PARTS_ENTRY } probe_parts = PARTS_ENTRY;

static void copy_tag(blkid_probe pr, const char *tag, char *dst, size_t size)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0 && v)
		snprintf(dst, size, "%s", v);
}

static struct seen_dev *seen_lookup(const char *name)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i].name, name))
			return &seen[i];
	return NULL;
}

/* ".../block/vda/vda2" -> "vda" */
static void set_disk(struct seen_dev *d, const char *devpath)
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

/* Probe /dev/@d->name into @d, as far as probe_parts says. */
static void probe_into(struct seen_dev *d)
{
	char path[64];
	blkid_probe pr;

	snprintf(path, sizeof(path), "/dev/%s", d->name);
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return;
	d->size = (unsigned long long)blkid_probe_get_size(pr);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL);
	if (probe_parts != PARTS_NONE) {
		blkid_probe_enable_partitions(pr, 1);
		/* the entry details (PARTUUID, PARTLABEL) read the whole disk's table too */
		if (probe_parts == PARTS_ENTRY)
			blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	}
	if (blkid_do_safeprobe(pr) == 0) {
		copy_tag(pr, "TYPE", d->type, sizeof(d->type));
		copy_tag(pr, "UUID", d->uuid, sizeof(d->uuid));
		copy_tag(pr, "LABEL", d->label, sizeof(d->label));
		copy_tag(pr, "PART_ENTRY_UUID", d->partuuid, sizeof(d->partuuid));
		copy_tag(pr, "PART_ENTRY_NAME", d->partlabel, sizeof(d->partlabel));
		copy_tag(pr, "PTTYPE", d->pttype, sizeof(d->pttype));
	}
	blkid_free_probe(pr);
}

/* Probe /dev/NAME and remember what it holds. A "change" event probes again. */
static struct seen_dev *probe(const struct uevent *ev)
{
	struct seen_dev *d = seen_lookup(ev->devname);

	/* the /sys replay and netlink can both report one device: probe it once per "add" */
	if (d && (!ev->action || !strcmp(ev->action, "add")))
		return d;
	if (!d) {
		if (nseen == MAX_SEEN)
			return NULL;
		d = &seen[nseen++];
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ev->devname);
	d->major = ev->major;
	d->minor = ev->minor;
	d->partn = ev->partn;
	set_disk(d, ev->devpath);
	probe_into(d);
	return d;
}

static bool matches(const struct root_spec *spec, const struct seen_dev *d)
{
	switch (spec->kind) {
	case ROOT_UUID:
		return d->uuid[0] && !strcasecmp(d->uuid, spec->value);
	case ROOT_LABEL:
		return d->label[0] && !strcmp(d->label, spec->value);
	case ROOT_PARTUUID:
		return d->partuuid[0] && !strcasecmp(d->partuuid, spec->value);
	case ROOT_PARTLABEL:
		return d->partlabel[0] && !strcmp(d->partlabel, spec->value);
	case ROOT_DEVNAME:
		return !strcmp(d->name, spec->value);
	case ROOT_DEVNUM:
		return d->major == (int)spec->major && d->minor == (int)spec->minor;
	default:
		return false;
	}
}

/* PARTUUID=X/PARTNROFF=N: the partition N after X on the same disk, once both are seen */
static struct seen_dev *partnroff_target(const struct root_spec *spec)
{
	struct root_spec base = *spec;
	int i, j;

	base.partnroff = 0;
	for (i = 0; i < nseen; i++) {
		if (!matches(&base, &seen[i]) || !seen[i].disk[0])
			continue;
		for (j = 0; j < nseen; j++)
			if (!strcmp(seen[j].disk, seen[i].disk) &&
			    seen[j].partn == seen[i].partn + spec->partnroff)
				return &seen[j];
	}
	return NULL;
}

/*
 * A multi-device btrfs can be mounted only once all its devices are known to the kernel:
 * register every member seen so far and ask whether the volume is complete.
 */
static bool btrfs_ready(const struct seen_dev *d)
{
	struct btrfs_ioctl_vol_args args;
	int fd, i, r = 1;

	(void)modules_load_fs("btrfs");
	fd = open("/dev/btrfs-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell: let the mount decide */
	for (i = 0; i < nseen; i++) {
		if (strcmp(seen[i].type, "btrfs") || strcmp(seen[i].uuid, d->uuid))
			continue;
		memset(&args, 0, sizeof(args));
		snprintf(args.name, sizeof(args.name), "/dev/%.31s", seen[i].name);
		r = ioctl(fd, BTRFS_IOC_DEVICES_READY, &args);
	}
	close(fd);
	if (r != 0)
		log_info("btrfs %s: waiting for the rest of its devices", d->uuid);
	return r == 0;
}

/* Two filesystems answering to one UUID or LABEL: say which one is used, and why. */
static void warn_duplicates(const struct root_spec *spec, const struct seen_dev *chosen)
{
	int i;

	if (spec->kind == ROOT_DEVNAME || spec->kind == ROOT_DEVNUM)
		return;
	for (i = 0; i < nseen; i++) {
		if (&seen[i] == chosen || !matches(spec, &seen[i]))
			continue;
		/* the members of one multi-device btrfs all carry its UUID and LABEL */
		if (!strcmp(chosen->type, "btrfs") && !strcmp(seen[i].type, "btrfs") &&
		    !strcmp(seen[i].uuid, chosen->uuid))
			continue;
		log_console("root=%s also matches /dev/%s; using /dev/%s, the one found first",
			    spec->value, seen[i].name, chosen->name);
	}
}

struct find_state {
	const struct root_spec *spec;
	struct root_dev *dev;
	struct seen_dev *chosen;
};

static int block_cb(const struct uevent *ev, void *userdata)
{
	struct find_state *st = userdata;
	struct seen_dev *d;

	if (strchr(ev->devname, '/') || strlen(ev->devname) >= sizeof(d->name))
		return 0;
	d = probe(ev);
	if (!d)
		return 0;
	if (st->spec->partnroff)
		d = partnroff_target(st->spec);
	else if (!matches(st->spec, d))
		d = NULL;
	if (!d)
		return 0;
	/*
	 * A whole disk with a partition table is not a filesystem to mount (the report hints at
	 * its partitions); a device with no known signature is tried, for rootfstype=.
	 */
	if (!d->type[0] &&
	    (d->pttype[0] || (st->spec->kind != ROOT_DEVNAME && st->spec->kind != ROOT_DEVNUM)))
		return 0;
	if (!strcmp(d->type, "btrfs") && !btrfs_ready(d))
		return 0;
	st->chosen = d;
	snprintf(st->dev->devnode, sizeof(st->dev->devnode), "/dev/%s", d->name);
	snprintf(st->dev->fstype, sizeof(st->dev->fstype), "%s", d->type);
	return 1;
}

/*
 * Wait for the device root= names: replay what exists, then follow uevents. Returns 0 with
 * @dev filled, or -ETIMEDOUT.
 */
/* rdinit.timeout=, or rootdelay= when longer: it is a minimum wait, not a sleep */
static int wait_seconds(const struct rdinit_opts *o)
{
	return o->timeout > o->rootdelay ? o->timeout : o->rootdelay;
}

/* Probe, without matching, a block device not seen yet. */
static int record_cb(const struct uevent *ev, void *userdata)
{
	if (!strchr(ev->devname, '/') && strlen(ev->devname) < sizeof(seen[0].name))
		(void)probe(ev);
	return 0;
}

int root_find(const struct rdinit_opts *o, const struct root_spec *spec, struct root_dev *dev)
{
	struct find_state st = { spec, dev, NULL };
	int timeout_ms;

	switch (spec->kind) {
	case ROOT_UUID:
	case ROOT_LABEL:
		probe_parts = PARTS_NONE;
		break;
	case ROOT_DEVNAME:
	case ROOT_DEVNUM:
		/* a whole disk with a partition table is not the root: PTTYPE tells */
		probe_parts = PARTS_TABLE;
		break;
	default:
		probe_parts = PARTS_ENTRY;
		break;
	}
	if (spec->partnroff)
		probe_parts = PARTS_ENTRY;

	if (coldplug_scan(block_cb, &st) <= 0) {
		timeout_ms = o->rootwait ? -1 : wait_seconds(o) * 1000;
		if (coldplug_wait(timeout_ms, block_cb, &st) <= 0)
			return -ETIMEDOUT;
	}
	/*
	 * Two filesystems with one UUID or LABEL (a cloned disk) must not go unnoticed: probe the
	 * block devices already there that the search stopped short of, and say so.
	 */
	if (st.chosen && spec->kind != ROOT_DEVNAME && spec->kind != ROOT_DEVNUM) {
		size_t off = (size_t)(st.chosen - seen);

		(void)coldplug_block_devices(record_cb, NULL);
		log_debug("checked %d block devices for a second match", nseen);
		warn_duplicates(spec, &seen[off]);
	}
	return 0;
}

static int try_mount(const struct rdinit_opts *o, const char *devnode, const char *fstype,
		     const char *target, char *err, size_t errlen)
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
	mnt_context_set_source(cxt, devnode);
	mnt_context_set_target(cxt, target);
	if (fstype && *fstype)
		mnt_context_set_fstype(cxt, fstype);
	if (o->rootflags)
		mnt_context_set_options(cxt, o->rootflags);
	/* ro/rw from the command line wins over rootflags, as with the kernel's own root mount */
	mnt_context_append_options(cxt, o->ro ? "ro" : "rw");
	r = mnt_context_mount(cxt);
	if (r != 0) {
		(void)mnt_context_get_excode(cxt, r, err, errlen);
		r = r < 0 ? r : -EINVAL;
	}
	mnt_free_context(cxt);
	return r;
}

/* Mount @dev on @target with rootfstype= (a comma list, tried in order) or the probed type. */
int root_mount(const struct rdinit_opts *o, const struct root_dev *dev, const char *target)
{
	char err[256] = "", types[256], *save = NULL, *t;
	int r = -EINVAL;

	(void)mkdir(target, 0755);
	snprintf(types, sizeof(types), "%s", o->rootfstype ? o->rootfstype : dev->fstype);
	if (!types[0]) {
		log_err("no filesystem found on %s and no rootfstype= given", dev->devnode);
		return -ENOMEDIUM;
	}
	for (t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		(void)modules_load_fs(t);
		r = try_mount(o, dev->devnode, t, target, err, sizeof(err));
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

static FILE *report_file;

/* One line of the failure report: console, kernel log, and /run/rdinit/report. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char buf[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_console("%s", buf);
	if (report_file)
		fprintf(report_file, "%s\n", buf);
}

/* Same length and at most one character different, ignoring case. */
static bool one_off(const char *a, const char *b)
{
	int diff = 0;

	if (strlen(a) != strlen(b))
		return false;
	for (; *a; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			diff++;
	return diff == 1;
}

/* Something close to what root= asks for: the usual typos and mix-ups. */
static void hint(const struct root_spec *spec, const struct seen_dev *d)
{
	const char *v = spec->value;

	switch (spec->kind) {
	case ROOT_UUID:
		if (d->uuid[0] && one_off(d->uuid, v))
			report("hint: /dev/%s has UUID=%s, one character off", d->name, d->uuid);
		if (d->partuuid[0] && !strcasecmp(d->partuuid, v))
			report("hint: %s is the PARTUUID of /dev/%s: use root=PARTUUID=%s", v,
			       d->name, v);
		break;
	case ROOT_PARTUUID:
		if (d->partuuid[0] && one_off(d->partuuid, v))
			report("hint: /dev/%s has PARTUUID=%s, one character off", d->name,
			       d->partuuid);
		if (d->uuid[0] && !strcasecmp(d->uuid, v))
			report("hint: %s is the filesystem UUID of /dev/%s: use root=UUID=%s", v,
			       d->name, v);
		break;
	case ROOT_LABEL:
		if (d->label[0] && strcmp(d->label, v) && !strcasecmp(d->label, v))
			report("hint: /dev/%s has LABEL=%s (labels are case-sensitive)", d->name,
			       d->label);
		break;
	case ROOT_PARTLABEL:
		if (d->partlabel[0] && strcmp(d->partlabel, v) && !strcasecmp(d->partlabel, v))
			report("hint: /dev/%s has PARTLABEL=%s (labels are case-sensitive)",
			       d->name, d->partlabel);
		break;
	case ROOT_DEVNAME:
	case ROOT_DEVNUM:
		if (d->pttype[0] && matches(spec, d)) {
			int i;

			report("hint: /dev/%s is a whole disk with a %s partition table; its "
			       "partitions:",
			       d->name, d->pttype);
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i].disk, d->name))
					report("hint:   /dev/%s TYPE=\"%s\" LABEL=\"%s\"",
					       seen[i].name, seen[i].type, seen[i].label);
		}
		break;
	default:
		break;
	}
}

static void report_module(const char *what, enum module_trouble t, void *ud)
{
	int *others = ud;

	if (t == MODULE_FAILED)
		report("module %s failed to load", what);
	else if (t == MODULE_BLACKLISTED)
		report("device %s: its module is blacklisted (modprobe.blacklist=)", what);
	else if (coldplug_alias_rank(what) <= 1)
		report("no module in the image for device %s", what);
	else
		(*others)++;
}

/*
 * What we looked for and what we saw, on the console, in the kernel log, and in
 * /run/rdinit/report (which the real system finds in its /run if a retry succeeds).
 */
void root_report(const struct rdinit_opts *o, const struct root_spec *spec)
{
	int i, others = 0;

	/* everything there is to say about each device, whatever root= needed */
	if (probe_parts != PARTS_ENTRY) {
		probe_parts = PARTS_ENTRY;
		for (i = 0; i < nseen; i++) {
			struct seen_dev *d = &seen[i];

			d->type[0] = d->uuid[0] = d->label[0] = '\0';
			d->partuuid[0] = d->partlabel[0] = d->pttype[0] = '\0';
			probe_into(d);
		}
	}
	(void)mkdir("/run/rdinit", 0755);
	report_file = fopen("/run/rdinit/report", "we");
	report("root device not found: root=%s (%s%s%s), waited %d s", o->root ? o->root : "",
	       rootspec_kind_name(spec->kind), spec->kind == ROOT_DEVNUM ? "" : " ",
	       spec->kind == ROOT_DEVNUM ? "" : spec->value, wait_seconds(o));
	if (nseen == 0)
		report("no block devices appeared");
	for (i = 0; i < nseen; i++)
		report("  saw /dev/%s %d:%d size=%llu TYPE=\"%s\" UUID=\"%s\" LABEL=\"%s\" "
		       "PARTUUID=\"%s\" PARTLABEL=\"%s\"%s%s",
		       seen[i].name, seen[i].major, seen[i].minor, seen[i].size, seen[i].type,
		       seen[i].uuid, seen[i].label, seen[i].partuuid, seen[i].partlabel,
		       seen[i].pttype[0] ? " PTTYPE=" : "", seen[i].pttype);
	for (i = 0; i < nseen; i++)
		hint(spec, &seen[i]);
	modules_report(report_module, &others);
	if (others)
		report("%d other devices have no driver in the image (not storage)", others);
	if (report_file)
		fclose(report_file);
	report_file = NULL;
}
