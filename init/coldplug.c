// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Coldplug: devices present before we started are found by walking /sys/devices for uevent
 * files; devices that appear later (a virtio disk shows up only once virtio_pci is loaded)
 * arrive on the kernel's netlink uevent socket. The socket is opened before the walk so
 * nothing falls between the two; work done twice is harmless (aliases are remembered).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rdinit.h"

#define UEVENT_BUFSIZE 8192

static int nl_fd = -1;

/*
 * Modaliases found by the /sys walk, loaded in order of how likely they lead to the root
 * disk: an initramfs stops the moment root is found, and the real system's udev loads the
 * rest. Storage first means a virtio disk is not kept waiting behind an IDE CD-ROM probe.
 */
struct alias_queue {
	char **v;
	size_t n, cap;
};
static struct alias_queue queue;

int coldplug_alias_rank(const char *a)
{
	if (!strncmp(a, "virtio:d00000002", 16) || !strncmp(a, "virtio:d00000008", 16))
		return 0; /* virtio block, virtio scsi */
	if (!strncmp(a, "pci:", 4) && strstr(a, "bc01"))
		return 0; /* PCI mass storage controllers */
	if (!strncmp(a, "pci:", 4) && strstr(a, "bc0Csc03"))
		return 1; /* USB host controllers */
	if (!strncmp(a, "virtio:", 7) || !strncmp(a, "scsi:", 5) || !strncmp(a, "usb:", 4))
		return 1;
	return 2;
}

static void enqueue(const char *modalias)
{
	if (queue.n == queue.cap) {
		size_t cap = queue.cap ? queue.cap * 2 : 128;
		char **v = realloc(queue.v, cap * sizeof(*v));

		if (!v)
			return;
		queue.v = v;
		queue.cap = cap;
	}
	queue.v[queue.n] = strdup(modalias);
	if (queue.v[queue.n])
		queue.n++;
}

static void queue_clear(void)
{
	while (queue.n)
		free(queue.v[--queue.n]);
}

int coldplug_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int one = 1, size = 8 * 1024 * 1024;

	nl_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_KOBJECT_UEVENT);
	if (nl_fd < 0)
		return -errno;
	/* a burst of uevents while modules load must not overflow the queue */
	if (setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(nl_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(nl_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if (bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		coldplug_close();
		return r;
	}
	return 0;
}

void coldplug_close(void)
{
	if (nl_fd >= 0)
		close(nl_fd);
	nl_fd = -1;
}

static void handle_event(const struct uevent *ev, block_cb_t block_cb, void *userdata, int *found)
{
	bool adding = !ev->action || !strcmp(ev->action, "add") || !strcmp(ev->action, "change");

	if (!adding)
		return;
	if (ev->modalias && (!ev->action || !strcmp(ev->action, "add")))
		(void)modules_load_alias(ev->modalias, true);
	if (!*found && ev->subsystem && !strcmp(ev->subsystem, "block") && ev->devname &&
	    block_cb(ev, userdata) > 0)
		*found = 1;
}

/* Read a whole sysfs file; never trust st_size. */
static ssize_t read_all(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Depth-first walk of a /sys/devices subtree; "subsystem" etc. are symlinks and not followed. */
static void walk(int dirfd, int depth)
{
	char buf[UEVENT_BUFSIZE];
	struct uevent ev;
	struct dirent *de;
	ssize_t n;
	DIR *dir;

	n = read_all(dirfd, "uevent", buf, sizeof(buf));
	/* a device already bound to a (built-in) driver needs no module */
	if (n > 0 && uevent_parse_file(buf, (size_t)n + 1, &ev) == 0 && ev.modalias &&
	    faccessat(dirfd, "driver", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		enqueue(ev.modalias);
	if (depth > 32)
		return;
	dir = fdopendir(dirfd);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0)
			walk(fd, depth + 1);
	}
	closedir(dir);
}

static int drain(block_cb_t block_cb, void *userdata);

/* Load the queued modaliases, best rank first, following uevents after each, until root. */
static int load_queue(block_cb_t block_cb, void *userdata)
{
	int found = 0, rank;
	size_t i;

	for (rank = 0; rank <= 2 && !found; rank++) {
		for (i = 0; i < queue.n && !found; i++) {
			if (coldplug_alias_rank(queue.v[i]) != rank)
				continue;
			(void)modules_load_alias(queue.v[i], true);
			if (nl_fd >= 0)
				found = drain(block_cb, userdata) > 0;
		}
	}
	queue_clear();
	return found;
}

/* Offer every existing block device to @block_cb. Returns 1 on a match. */
int coldplug_block_devices(block_cb_t block_cb, void *userdata)
{
	int found = 0, fd = open("/sys/class/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *dir;

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	/* block devices' uevent files do not name their subsystem: the class does */
	while (!found && (de = readdir(dir))) {
		char path[300], buf[1024], link[512];
		struct uevent ev;
		ssize_t n, ln;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/uevent", de->d_name);
		n = read_all(fd, path, buf, sizeof(buf));
		/* the class entry links to the device: its target is the DEVPATH */
		ln = readlinkat(fd, de->d_name, link, sizeof(link) - 1);
		link[ln > 0 ? ln : 0] = '\0';
		if (n > 0 && uevent_parse_file(buf, (size_t)n + 1, &ev) == 0) {
			ev.subsystem = "block";
			ev.devpath = link;
			handle_event(&ev, block_cb, userdata, &found);
		}
	}
	closedir(dir);
	return found;
}

/*
 * Before the full walk, the buses a root disk usually hangs off: their unbound devices'
 * modaliases of the best rank. Under emulation the whole /sys walk takes a good part of a
 * second; this finds a virtio or PCI storage controller in a few milliseconds.
 */
static void scan_storage_buses(void)
{
	static const char *const buses[] = { "/sys/bus/virtio/devices", "/sys/bus/pci/devices" };
	size_t i;

	for (i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		int fd = open(buses[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
			char path[300], buf[512];
			ssize_t n;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/driver", de->d_name);
			if (faccessat(fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			snprintf(path, sizeof(path), "%s/modalias", de->d_name);
			n = read_all(fd, path, buf, sizeof(buf));
			buf[strcspn(buf, "\n")] = '\0';
			if (n > 0 && coldplug_alias_rank(buf) == 0)
				enqueue(buf);
		}
		closedir(dir);
	}
}

/*
 * Replay what is already there: offer every existing block device to @block_cb, then load
 * modules for storage controllers, then for every device's MODALIAS, storage first,
 * following the uevents they cause. Returns 1 as soon as @block_cb reports a match, else 0.
 */
int coldplug_scan(block_cb_t block_cb, void *userdata)
{
	int fd;

	if (coldplug_block_devices(block_cb, userdata))
		return 1;
	scan_storage_buses();
	if (load_queue(block_cb, userdata))
		return 1;
	fd = open("/sys/devices", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		walk(fd, 0);
	return load_queue(block_cb, userdata);
}

static bool from_kernel(struct msghdr *msg, struct sockaddr_nl *sa)
{
	struct cmsghdr *c;

	if (sa->nl_pid != 0)
		return false;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred *cred = (struct ucred *)CMSG_DATA(c);

			return cred->uid == 0;
		}
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drain the socket. Returns 1 on a match, 0 when drained, -ENOBUFS when events were lost. */
static int drain(block_cb_t block_cb, void *userdata)
{
	char buf[UEVENT_BUFSIZE + 1];
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	int found = 0;

	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, UEVENT_BUFSIZE };
		struct msghdr msg = {
			.msg_name = &sa,
			.msg_namelen = sizeof(sa),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		struct uevent ev;
		ssize_t n = recvmsg(nl_fd, &msg, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ENOBUFS ? -ENOBUFS : 0;
		if (n == 0 || !from_kernel(&msg, &sa))
			continue;
		buf[n] = '\0';
		if (uevent_parse_netlink(buf, (size_t)n + 1, &ev) < 0)
			continue;
		handle_event(&ev, block_cb, userdata, &found);
		if (found)
			return 1;
	}
}

/*
 * Handle uevents until @block_cb reports a match or @timeout_ms passes (< 0: forever).
 * Returns 1 on a match, 0 on timeout.
 */
int coldplug_wait(int timeout_ms, block_cb_t block_cb, void *userdata)
{
	long long deadline = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = nl_fd, .events = POLLIN };
		long long left = timeout_ms < 0 ? -1 : deadline - now_ms();
		int r;

		if (timeout_ms >= 0 && left <= 0)
			return 0;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno != EINTR)
			return 0;
		if (r <= 0)
			continue;
		r = drain(block_cb, userdata);
		if (r == -ENOBUFS) {
			log_warn("uevent queue overflowed; rescanning /sys");
			r = coldplug_scan(block_cb, userdata);
		}
		if (r > 0)
			return 1;
	}
}
