// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way back into the initramfs at shutdown (systemd.io/INITRD_INTERFACE): when
 * /run/initramfs/shutdown exists, systemd-shutdown, once it has stopped everything and
 * unmounted what it could, switches root to /run/initramfs with the old root at /oldroot and
 * runs "/shutdown VERB ...". The root filesystem, and the dm-crypt, LVM and MD devices under
 * it, can only be taken apart from there: nothing of theirs is in use any more.
 *
 * At the switch (shutdown_prepare), when the real init is systemd: rdinit copies itself to
 * /run/initramfs/shutdown (0.6 MB of RAM for as long as the system runs; no tools: the
 * kernel's own interfaces take the stacks apart, as systemd-shutdown does).
 * At shutdown (shutdown_main, PID 1 again, started as "shutdown"): unmount everything under
 * /oldroot, the mounts nothing is mounted on first (by mountinfo's parent IDs, so a mount
 * hidden under another is found once that one is gone; read-only where a mount stays busy);
 * take the device-mapper devices and MD arrays apart top down, those nothing holds first,
 * both kinds in each round as they may be stacked either way (an LV, the array under it, the
 * LUKS mappings under that: DM_DEV_REMOVE, which is what "cryptsetup close" and "vgchange
 * -an" come to, the volume key going with the mapping; STOP_ARRAY); then reboot(2) as VERB
 * says: reboot, poweroff, halt or kexec. PID 1 never returns from it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/dm-ioctl.h>
#include <linux/major.h> /* MD_MAJOR, for md_u.h */
#include <linux/raid/md_u.h>

#include "cleanup.h"
#include "root/root.h"

#define SHUTDOWN_DIR "/run/initramfs"

/* Copy @src to @dst (mode @mode), replacing it. */
static int copy_exec(const char *src, const char *dst, mode_t mode)
{
	struct stat st;
	int in, out, r = 0;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		r = -errno;
		close(in);
		return r;
	}
	(void)unlink(dst);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	r = file_copy_data(in, out, st.st_size);
	close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlink(dst);
	return r;
}

/* Before the switch: /run/initramfs/shutdown (this program), for a systemd real init. */
void shutdown_prepare(void)
{
	static const char *const dirs[] = { SHUTDOWN_DIR,	 SHUTDOWN_DIR "/oldroot",
					    SHUTDOWN_DIR "/dev", SHUTDOWN_DIR "/proc",
					    SHUTDOWN_DIR "/sys", SHUTDOWN_DIR "/run" };
	int r;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST) {
			log_warn("no shutdown program for systemd: %s: %m", dirs[i]);
			return;
		}
	r = copy_exec("/proc/self/exe", SHUTDOWN_DIR "/shutdown", 0755);
	if (r < 0)
		log_warn("no shutdown program for systemd: %s/shutdown: %s", SHUTDOWN_DIR,
			 strerror(-r));
	else
		log_debug("%s/shutdown ready for systemd", SHUTDOWN_DIR);
}

/* Whether we were started by systemd-shutdown as /shutdown, PID 1 again. */
bool shutdown_called(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	return getpid() == 1 && argc >= 1 && !strcmp(base ? base + 1 : argv[0], "shutdown");
}

/* "\040" in mountinfo paths is a space, and so on: undone in place. */
static void unoctal(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

struct mnt {
	int id, parent;
	char *path;
};
struct mnts {
	struct mnt *v;
	size_t n, cap;
};

static void mnts_clear(struct mnts *m)
{
	while (m->n)
		free(m->v[--m->n].path);
}

/* The mounts at or below @top, read afresh from @mountinfo into @m: 0 or -errno. */
static int mounts_read(const char *mountinfo, const char *top, struct mnts *m)
{
	_cleanup_fclose_ FILE *f = fopen(mountinfo, "re");
	_cleanup_free_ char *line = NULL;
	size_t lcap = 0, len = strlen(top);
	char mp[4096];
	struct mnt e;

	mnts_clear(m);
	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		if (sscanf(line, "%d %d %*s %*s %4095s", &e.id, &e.parent, mp) != 3)
			continue;
		unoctal(mp);
		if (strncmp(mp, top, len) || (mp[len] && mp[len] != '/'))
			continue;
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 32;
			struct mnt *v = realloc(m->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			m->v = v;
			m->cap = cap;
		}
		e.path = strdup(mp);
		if (!e.path)
			return -ENOMEM;
		m->v[m->n++] = e;
	}
	return 0;
}

/* Whether nothing is mounted on mount @i of @m. */
static bool mount_leaf(const struct mnts *m, size_t i)
{
	for (size_t j = 0; j < m->n; j++)
		if (m->v[j].parent == m->v[i].id && j != i)
			return false;
	return true;
}

/*
 * One pass over the mounts nothing is mounted on; with @force, one that stays busy is made
 * read-only and detached (counted in @forced). A mount hidden under another fails here
 * (ENOENT, EINVAL: its path leads into the one on top) and is for a later pass. How many
 * went.
 */
static int unmount_pass(const struct mnts *m, bool force, int *forced)
{
	int gone = 0;

	for (size_t i = 0; i < m->n; i++) {
		const char *path = m->v[i].path;

		if (!mount_leaf(m, i))
			continue;
		if (umount2(path, 0) == 0) {
			gone++;
		} else if (force && errno == EBUSY) {
			log_tell(LOG_LVL_WARNING,
				 "shutdown: %s stays busy (%m): read-only, then detached", path);
			(void)mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL);
			gone += umount2(path, MNT_DETACH) == 0;
			(*forced)++;
		}
	}
	return gone;
}

/*
 * Unmount every mount at or below @top (by @mountinfo), those nothing is mounted on first,
 * as mountinfo's parent IDs say, in passes until one unmounts nothing; only then is a busy
 * one made read-only and detached. What is left is said. Returns how many could not be
 * unmounted cleanly, or -errno.
 */
int shutdown_unmount(const char *mountinfo, const char *top)
{
	struct mnts m = { 0 };
	bool force = false;
	int r, forced = 0, passes = -1;

	while ((r = mounts_read(mountinfo, top, &m)) == 0 && m.n) {
		/* each pass that does something takes a mount away: no more passes than mounts */
		if (passes < 0)
			passes = 2 * (int)m.n + 1;
		if (passes-- == 0)
			break;
		if (unmount_pass(&m, force, &forced) > 0)
			force = false;
		else if (!force)
			force = true;
		else
			break;
	}
	for (size_t i = 0; r == 0 && i < m.n; i++)
		log_tell(LOG_LVL_WARNING, "shutdown: %s is still mounted", m.v[i].path);
	if (r == 0)
		r = forced + (int)m.n;
	mnts_clear(&m);
	free(m.v);
	return r;
}

/* Whether another block device is built on @dev (@dir: its /sys/block/DEV). */
static bool held(const char *dir)
{
	char holders[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *h;

	if ((size_t)snprintf(holders, sizeof(holders), "%s/holders", dir) >= sizeof(holders))
		return false;
	h = opendir(holders);
	while (h && !any && (de = readdir(h)))
		any = de->d_name[0] != '.';
	if (h)
		closedir(h);
	return any;
}

/* Whether array @dir (/sys/block/mdN) holds its members: a stopped one lingers as "clear". */
static bool md_live(const char *dir)
{
	char path[PATH_MAX], *state = NULL;
	bool live;

	if ((size_t)snprintf(path, sizeof(path), "%s/md/array_state", dir) >= sizeof(path) ||
	    read_trimmed_file(path, &state) < 0)
		return false;
	live = strcmp(state, "clear") != 0;
	free(state);
	return live;
}

/*
 * The dm-N (@prefix "dm-") or live mdN ("md") devices in @sysfs/block, into @out (emptied
 * first); with @unheld_only those nothing is built on. How many.
 */
static int block_devs(const char *sysfs, const char *prefix, bool unheld_only, struct strset *out)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	strset_clear(out);
	snprintf(dir, sizeof(dir), "%s/block", sysfs);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(dir, sizeof(dir), "%s/block/%s", sysfs, de->d_name);
		if ((!strcmp(prefix, "md") && !md_live(dir)) || (unheld_only && held(dir)))
			continue;
		(void)strset_add(out, de->d_name);
	}
	closedir(d);
	return (int)out->n;
}

/* DM_DEV_REMOVE of dm-N, by the name /sys gives it. */
static int dm_remove(const char *sysfs, const char *dev)
{
	struct dm_ioctl io = { .version = { DM_VERSION_MAJOR, DM_VERSION_MINOR,
					    DM_VERSION_PATCHLEVEL },
			       .data_size = sizeof(io) };
	char path[PATH_MAX], *name = NULL;
	int fd, r;

	snprintf(path, sizeof(path), "%s/block/%s/dm/name", sysfs, dev);
	if (read_trimmed_file(path, &name) < 0)
		return -ENOENT;
	snprintf(io.name, sizeof(io.name), "%s", name);
	free(name);
	fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, DM_DEV_REMOVE, &io) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* STOP_ARRAY on /dev/mdN. */
static int md_stop(const char *dev)
{
	char path[PATH_MAX];
	int fd, r;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, STOP_ARRAY, NULL) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* What takes @dev (dm-N or mdN, under @sysfs) apart. */
static int stop_dev(const char *sysfs, const char *dev)
{
	return strncmp(dev, "dm-", 3) ? md_stop(dev) : dm_remove(sysfs, dev);
}

/*
 * One round: every device-mapper device and array nothing is built on is taken apart. How
 * many went; what would not go is in @failed ("dm-3 (Device or resource busy)").
 */
static int stacks_round(const char *sysfs, shutdown_stop_fn *stop, struct strset *failed)
{
	static const char *const kinds[] = { "dm-", "md" };
	struct strset devs = { 0 };
	char why[300];
	int gone = 0, r;

	strset_clear(failed);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		(void)block_devs(sysfs, kinds[k], true, &devs);
		for (size_t i = 0; i < devs.n; i++) {
			r = stop(sysfs, devs.v[i]);
			gone += r == 0;
			snprintf(why, sizeof(why), "%s (%s)", devs.v[i], strerror(-r));
			if (r < 0)
				(void)strset_add(failed, why);
		}
	}
	strset_clear(&devs);
	return gone;
}

/*
 * The storage stacks under the old root, top down, the two kinds mixed as they are stacked
 * (an LV on an array on LUKS mappings, an array on arrays): rounds until one takes nothing
 * apart; what stays is said, with why, and counted in @dm_left and @md_left.
 */
void shutdown_stacks(const char *sysfs, shutdown_stop_fn *stop, int *dm_left, int *md_left)
{
	struct strset devs = { 0 }, failed = { 0 };
	int rounds;

	if (!stop)
		stop = stop_dev;
	/* a stop that works takes its device away: more rounds than devices means one lied */
	rounds = block_devs(sysfs, "dm-", false, &devs) + block_devs(sysfs, "md", false, &devs);
	while (rounds-- >= 0 && stacks_round(sysfs, stop, &failed) > 0)
		;
	for (size_t i = 0; i < failed.n; i++)
		log_tell(LOG_LVL_WARNING, "shutdown: %s stays: cannot take it apart", failed.v[i]);
	*dm_left = block_devs(sysfs, "dm-", false, &devs);
	*md_left = block_devs(sysfs, "md", false, &devs);
	strset_clear(&devs);
	strset_clear(&failed);
}

int shutdown_main(int argc, char **argv)
{
	static const struct {
		const char *verb, *doing;
		int cmd;
	} verbs[] = {
		{ "reboot", "rebooting", RB_AUTOBOOT },
		{ "poweroff", "powering off", RB_POWER_OFF },
		{ "halt", "halting", RB_HALT_SYSTEM },
		{ "kexec", "rebooting into the loaded kernel", RB_KEXEC },
	};
	const char *verb = argc > 1 ? argv[1] : "poweroff";
	size_t i, k = 1; /* poweroff when the verb is unknown: stopping is safer than looping */
	int busy, dm_left, md_left;

	/* systemd brings /dev, /proc, /sys and /run along; without them, mount our own */
	if (access("/proc/self/mountinfo", F_OK) < 0)
		(void)mount_early();
	log_open();
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verb, verbs[i].verb))
			k = i;
	sync();
	busy = shutdown_unmount("/proc/self/mountinfo", "/oldroot");
	shutdown_stacks("/sys", NULL, &dm_left, &md_left);
	sync();
	log_tell(LOG_LVL_INFO,
		 "shutdown: %s: /oldroot unmounted%s, %d device-mapper devices and %d arrays left; "
		 "%s",
		 verb,
		 busy > 0   ? " (some mounts were busy or stayed)"
		 : busy < 0 ? " (mountinfo unreadable)"
			    : "",
		 dm_left, md_left, verbs[k].doing);
	log_close();
	(void)reboot(verbs[k].cmd);
	if (verbs[k].cmd == RB_KEXEC)
		(void)reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
