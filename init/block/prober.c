// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The prober: libblkid's low-level probe (no cache file) of one block device, as deep into
 * the partition chain as the root's spec needs. The probe reads media we know nothing about,
 * so it runs in a child process: a bug in a prober or a driver that oopses on a read kills the
 * child, not PID 1. One child serves every probe; one that dies or hangs is said and replaced.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

void prober_probe(struct devices *t, struct blockdev *d)
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
