// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Block devices: each one that appears ("add" from netlink or the /sys replay) is probed
 * once with libblkid's low-level prober (no cache file), "change" probes it again, "remove"
 * forgets it. The table grows: a root behind hundreds of other devices is still found. Each
 * probe is matched against root=.
 *
 * The probe reads media we know nothing about, so it runs in a child process: a bug in a
 * prober or a driver that oopses on a read kills the child, not PID 1.
 */
#include <blkid/blkid.h>
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

static void copy_tag(blkid_probe pr, const char *tag, char *dst, size_t size)
{
	const char *v = NULL;

	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0 && v)
		snprintf(dst, size, "%s", v);
}

/* What a probe finds, sent back whole by the prober. */
struct probe_result {
	unsigned long long size;
	char type[32], uuid[64], label[64], partuuid[64], partlabel[64], pttype[16];
};

struct probe_req {
	int depth; /* enum probe_depth */
	char path[PATH_MAX];
};

/* The probe itself, as far as @depth says; in the prober. */
static void probe_blkid(const char *path, struct probe_result *res, enum probe_depth depth)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);

	if (!pr)
		return;
	res->size = (unsigned long long)blkid_probe_get_size(pr);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL);
	if (depth != PARTS_NONE) {
		blkid_probe_enable_partitions(pr, 1);
		/* the entry details (PARTUUID, PARTLABEL) read the whole disk's table too */
		if (depth == PARTS_ENTRY)
			blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	}
	if (blkid_do_safeprobe(pr) == 0) {
		copy_tag(pr, "TYPE", res->type, sizeof(res->type));
		copy_tag(pr, "UUID", res->uuid, sizeof(res->uuid));
		copy_tag(pr, "LABEL", res->label, sizeof(res->label));
		copy_tag(pr, "PART_ENTRY_UUID", res->partuuid, sizeof(res->partuuid));
		copy_tag(pr, "PART_ENTRY_NAME", res->partlabel, sizeof(res->partlabel));
		copy_tag(pr, "PTTYPE", res->pttype, sizeof(res->pttype));
	}
	blkid_free_probe(pr);
}

/* How long a probe may take: a healthy disk answers in milliseconds, even under TCG */
#define PROBE_TIMEOUT_MS 10000

/*
 * The prober: libblkid reads media we know nothing about, so it runs in a child process, as
 * udevd's workers do: a bug in a prober or a driver that oopses on a read kills the child,
 * not PID 1. One child serves every probe (a fork for each would cost PID 1 its copied
 * pages each time); one that dies or hangs is said and replaced at the next probe.
 */
static void __attribute__((noreturn)) prober_main(int fd)
{
	struct probe_req req;
	ssize_t n;

	while ((n = recv(fd, &req, sizeof(req) - 1, 0)) != 0) {
		struct probe_result res = { 0 };

		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)offsetof(struct probe_req, path) + 2)
			break;
		((char *)&req)[n] = '\0';
		probe_blkid(req.path, &res, (enum probe_depth)req.depth);
		if (send(fd, &res, sizeof(res), MSG_NOSIGNAL) != (ssize_t)sizeof(res))
			break;
	}
	_exit(0);
}

static int prober_start(struct devices *t)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		prober_main(sv[1]);
	}
	close(sv[1]);
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		return r;
	}
	t->prober_fd = sv[0];
	t->prober_pid = pid;
	return 0;
}

/* The prober died (say of what) or hung on @name (kill it; it dies when its read ends). */
static void prober_lost(struct devices *t, const char *name, bool hung)
{
	int status = 0;

	if (hung) {
		log_err("probing /dev/%s: no answer in %d s; going on without it", name,
			PROBE_TIMEOUT_MS / 1000);
		(void)kill(t->prober_pid, SIGKILL);
	} else if (waitpid(t->prober_pid, &status, 0) == t->prober_pid && WIFSIGNALED(status)) {
		log_err("probing /dev/%s: the probing process died with signal %d", name,
			WTERMSIG(status));
	}
	close(t->prober_fd);
	t->prober_fd = -1;
	t->prober_pid = 0; /* a hung one is reaped whenever it ends */
}

void devices_stop_prober(struct devices *t)
{
	if (t->prober_pid <= 0)
		return;
	close(t->prober_fd); /* the prober reads the end and exits */
	while (waitpid(t->prober_pid, NULL, 0) < 0 && errno == EINTR)
		;
	t->prober_fd = -1;
	t->prober_pid = 0;
}

static void probe_into(struct devices *t, struct blockdev *d)
{
	struct pollfd pfd = { .events = POLLIN };
	struct probe_req req;
	struct probe_result res;
	size_t len;
	ssize_t n;
	int r;

	d->type[0] = d->uuid[0] = d->label[0] = '\0';
	d->partuuid[0] = d->partlabel[0] = d->pttype[0] = '\0';
	if (t->prober_pid <= 0 && (r = prober_start(t)) < 0) {
		log_warn("probing /dev/%s: cannot start a prober: %s", d->name, strerror(-r));
		return;
	}
	req.depth = (int)t->depth;
	snprintf(req.path, sizeof(req.path), "%s/%s", t->devdir ? t->devdir : "/dev", d->name);
	len = offsetof(struct probe_req, path) + strlen(req.path) + 1;
	if (send(t->prober_fd, &req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		prober_lost(t, d->name, false);
		return;
	}
	/* a device whose reads never return must not stop the boot: give up on it, say so */
	pfd.fd = t->prober_fd;
	while ((r = poll(&pfd, 1, PROBE_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		prober_lost(t, d->name, true);
		return;
	}
	while ((n = recv(t->prober_fd, &res, sizeof(res), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res)) {
		prober_lost(t, d->name, false);
		return;
	}
	d->size = res.size;
	memcpy(d->type, res.type, sizeof(d->type));
	memcpy(d->uuid, res.uuid, sizeof(d->uuid));
	memcpy(d->label, res.label, sizeof(d->label));
	memcpy(d->partuuid, res.partuuid, sizeof(d->partuuid));
	memcpy(d->partlabel, res.partlabel, sizeof(d->partlabel));
	memcpy(d->pttype, res.pttype, sizeof(d->pttype));
}

static void probe(struct devices *t, struct blockdev *d)
{
	(t->probe ? t->probe : probe_into)(t, d);
}

static struct blockdev *lookup(struct devices *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

static struct blockdev *add(struct devices *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct blockdev *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	return &t->v[t->n++];
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
		if (!rootdev_matches(&base, &t->v[i]) || !t->v[i].disk[0])
			continue;
		for (j = 0; j < t->n; j++)
			if (!strcmp(t->v[j].disk, t->v[i].disk) &&
			    t->v[j].partn == t->v[i].partn + spec->partnroff)
				return &t->v[j];
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
	if (b->devs.devdir)
		return true;
	fd = open("/dev/btrfs-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return true; /* cannot tell: let the mount decide */
	for (i = 0; i < b->devs.n; i++) {
		const struct blockdev *m = &b->devs.v[i];

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
static bool usable(struct boot *b, const struct root_spec *spec, const struct blockdev *d)
{
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
		if (path_matches(&b->devs, spec, &b->devs.v[i]) && usable(b, spec, &b->devs.v[i]))
			return &b->devs.v[i];
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
	size_t i = (size_t)(d - b->devs.v);

	if (b->root == d)
		b->root = NULL;
	memmove(d, d + 1, (b->devs.n - i - 1) * sizeof(*d));
	b->devs.n--;
	/* the table moved under b->root */
	if (b->root && b->root > d)
		b->root--;
}

/* The handler for block devices: add and change probe, remove forgets. */
void devices_event(struct boot *b, const struct uevent *ev)
{
	struct blockdev *d;
	ptrdiff_t root_off = b->root ? b->root - b->devs.v : -1;

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
		/* realloc may have moved the table */
		if (root_off >= 0)
			b->root = b->devs.v + root_off;
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ev->devname);
	d->major = ev->major;
	d->minor = ev->minor;
	d->partn = ev->partn;
	set_disk(d, ev->devpath);
	probe(&b->devs, d);
	match_root(b, d);
	/* what it holds may be a layer of the root: unlock, activate, assemble */
	stacks_device(b, d);
}

void devices_clear(struct devices *t)
{
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
		probe(t, &t->v[i]);
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
		probe(t, &t->v[i]);
}

/* Two filesystems answering to one UUID or LABEL: say which one is used, and why. */
void devices_warn_duplicates(const struct boot *b)
{
	const struct blockdev *chosen = b->root;
	size_t i;

	if (!chosen || b->spec.kind == ROOT_DEVNAME || b->spec.kind == ROOT_DEVNUM)
		return;
	for (i = 0; i < b->devs.n; i++) {
		const struct blockdev *d = &b->devs.v[i];

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
