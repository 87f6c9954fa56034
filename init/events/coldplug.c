// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Coldplug: the /sys replay. Devices present before we started never send a uevent again,
 * so their uevent files are read back and dispatched as "add" events with the fields netlink
 * would carry (ACTION, DEVPATH, SUBSYSTEM from the device's subsystem link). The netlink
 * socket is opened before the replay, so nothing falls between the two; what both report is
 * handled once (devices.c probes once per "add", modules.c resolves a modalias once).
 *
 * Every function takes its paths under b->sysfs ("/sys" at boot, a fixture tree in tests).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "boot.h"

/* /sys/devices nests about 15 deep for a USB disk; a loop of bind mounts would not end */
#define MAX_WALK_DEPTH 48

/*
 * Read a whole sysfs file into @buf, NUL-terminated in every case (empty on error); never
 * trust st_size. Returns the length, or -errno.
 */
int sys_read_all(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			close(fd);
			buf[0] = '\0';
			return r;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (int)len;
}

static int open_sys(const struct boot *b, const char *sub)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", b->sysfs, sub);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The last component of the symlink @name under @dirfd into @out ("" when there is none). */
static void link_base(int dirfd, const char *name, char *out, size_t size)
{
	char link[512];
	ssize_t n = readlinkat(dirfd, name, link, sizeof(link) - 1);
	const char *base;

	link[n > 0 ? n : 0] = '\0';
	base = strrchr(link, '/');
	snprintf(out, size, "%s", base ? base + 1 : link);
}

/* "add" for the device directory @dirfd (DEVPATH @devpath), as netlink would have said it. */
static void replay_device(struct boot *b, uevent_fn *fn, int dirfd, const char *devpath)
{
	char buf[UEVENT_BUFSIZE], subsystem[512];
	struct uevent ev;
	int n = sys_read_all(dirfd, "uevent", buf, sizeof(buf));

	if (n <= 0 || uevent_parse_file(buf, (size_t)n + 1, &ev) < 0)
		return;
	link_base(dirfd, "subsystem", subsystem, sizeof(subsystem));
	ev.action = "add";
	ev.devpath = devpath;
	ev.subsystem = subsystem[0] ? subsystem : NULL;
	/* a device already bound to a driver (built in, or loaded before) needs no module */
	if (ev.modalias && faccessat(dirfd, "driver", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		ev.modalias = NULL;
	fn(b, &ev);
}

/* Depth-first walk of a /sys/devices subtree; "subsystem" etc. are symlinks and not followed. */
static int walk(struct boot *b, uevent_fn *fn, int dirfd, char *devpath, size_t len, int depth)
{
	struct dirent *de;
	DIR *dir;

	replay_device(b, fn, dirfd, devpath);
	if (depth > MAX_WALK_DEPTH) {
		log_warn("not walking below %s%s: nested deeper than %d", b->sysfs, devpath,
			 MAX_WALK_DEPTH);
		close(dirfd);
		return -ELOOP;
	}
	dir = fdopendir(dirfd);
	if (!dir) {
		int r = -errno;

		close(dirfd);
		return r;
	}
	while ((de = readdir(dir))) {
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (len + 1 + n >= PATH_MAX_DEVPATH)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		devpath[len] = '/';
		memcpy(devpath + len + 1, de->d_name, n + 1);
		(void)walk(b, fn, fd, devpath, len + 1 + n, depth + 1);
		devpath[len] = '\0';
	}
	closedir(dir);
	return 0;
}

/* Every device under /sys/devices, as "add" events. */
int coldplug_walk(struct boot *b, uevent_fn *fn)
{
	char devpath[PATH_MAX_DEVPATH] = "/devices";
	int fd = open_sys(b, "devices");

	if (fd < 0)
		return -errno;
	return walk(b, fn, fd, devpath, strlen(devpath), 0);
}

/*
 * Every existing block device, as "add" events: the fast path when its driver is built in.
 * @all: go on past the root (the search for a second match), else stop there.
 */
int coldplug_block_devices(struct boot *b, bool all, uevent_fn *fn)
{
	_cleanup_close_ int fd = open_sys(b, "class/block");
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	(void)steal_fd(&fd); /* the DIR owns it now; it is dirfd(dir) */
	while ((all || !b->root) && (de = readdir(dir))) {
		char link[PATH_MAX_DEVPATH];
		const char *devpath;
		ssize_t n;
		int dev;

		if (de->d_name[0] == '.')
			continue;
		/* the class entry links to the device: "../../devices/..." names the DEVPATH */
		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		devpath = strstr(link, "/devices/");
		dev = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dev < 0)
			continue;
		replay_device(b, fn, dev, devpath ? devpath : link);
		close(dev);
	}
	return 0;
}

/*
 * Before the full walk, the buses a root disk usually hangs off: their unbound devices of
 * the best rank. Under emulation the whole /sys walk takes a good part of a second; this
 * finds a virtio or PCI storage controller in a few milliseconds.
 */
int coldplug_storage_buses(struct boot *b, uevent_fn *fn)
{
	static const char *const buses[] = { "bus/virtio/devices", "bus/pci/devices" };
	size_t i;

	for (i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		int fd = open_sys(b, buses[i]);
		struct dirent *de;
		DIR *dir;

		if (fd < 0)
			continue;
		dir = fdopendir(fd);
		if (!dir) {
			close(fd);
			continue;
		}
		while ((de = readdir(dir))) {
			char devpath[PATH_MAX_DEVPATH];
			int dev;

			if (de->d_name[0] == '.')
				continue;
			dev = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dev < 0)
				continue;
			/* bound: nothing to load for it */
			if (faccessat(dev, "driver", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			    sys_read_all(dev, "modalias", devpath, sizeof(devpath)) > 0 &&
			    alias_rank(devpath) == 0) {
				char link[PATH_MAX_DEVPATH];
				ssize_t n = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
				const char *p;

				link[n > 0 ? n : 0] = '\0';
				p = strstr(link, "/devices/");
				replay_device(b, fn, dev, p ? p : link);
			}
			close(dev);
		}
		closedir(dir);
	}
	return 0;
}
