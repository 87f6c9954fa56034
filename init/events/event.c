// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One event path. uevents come from two feeders, the kernel's netlink socket and the /sys
 * replay (coldplug.c), carrying the same fields; event_dispatch() hands each to its handler:
 * a MODALIAS goes to the queue of modules to load, a block device to devices.c, which
 * probes it and matches it against root=. The loop in events_wait_for() loads the queued
 * modaliases best rank first, following the uevents each load causes, until the device it
 * waits for (the root, or one the root's fstab names) is seen or the deadline passes. A lost
 * uevent (ENOBUFS) means the /sys replay runs again.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "boot.h"

static void queue_add(struct alias_queue *q, const char *modalias)
{
	char *copy;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 128;
		char **v = realloc(q->v, cap * sizeof(*v));

		if (!v) {
			log_err("out of memory: not loading a module for %s", modalias);
			return;
		}
		q->v = v;
		q->cap = cap;
	}
	copy = strdup(modalias);
	if (!copy) {
		log_err("out of memory: not loading a module for %s", modalias);
		return;
	}
	q->v[q->n++] = copy;
}

/* The queued modalias of the best rank, first come first served; NULL when empty. */
static char *queue_take(struct alias_queue *q, int *rank)
{
	size_t i, best = 0;
	int best_rank;
	char *a;

	if (!q->n)
		return NULL;
	best_rank = alias_rank(q->v[0]);
	for (i = 1; i < q->n && best_rank > 0; i++) {
		int r = alias_rank(q->v[i]);

		if (r < best_rank) {
			best_rank = r;
			best = i;
		}
	}
	*rank = best_rank;
	a = q->v[best];
	memmove(&q->v[best], &q->v[best + 1], (q->n - best - 1) * sizeof(*q->v));
	q->n--;
	return a;
}

static int queue_best_rank(const struct alias_queue *q)
{
	int best = 3;
	size_t i;

	for (i = 0; i < q->n && best > 0; i++) {
		int r = alias_rank(q->v[i]);

		if (r < best)
			best = r;
	}
	return best;
}

static void queue_clear(struct alias_queue *q)
{
	while (q->n)
		free(q->v[--q->n]);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

int events_open(struct boot *b)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int one = 1, size = 8 * 1024 * 1024, fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	/* a burst of uevents while modules load must not overflow the queue */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	b->ev.nl_fd = fd;
	return 0;
}

void events_close(struct boot *b)
{
	/*
	 * The tools still running end first (each within its time limit): an lvm killed
	 * halfway leaves its locks and half a volume group to the real system.
	 */
	while (loop_has_children(b))
		(void)loop_run_once(b, -1, 1000);
	loop_clear(b);
	devices_stop_prober(&b->devs);
	if (b->ev.nl_fd >= 0)
		close(b->ev.nl_fd);
	b->ev.nl_fd = -1;
	queue_clear(&b->ev.queue);
}

/* The handlers: modaliases to the queue, block devices to devices.c. */
void event_dispatch(struct boot *b, const struct uevent *ev)
{
	if (!ev->action || !ev->subsystem)
		return;
	if (ev->modalias && !strcmp(ev->action, "add"))
		queue_add(&b->ev.queue, ev->modalias);
	if (!strcmp(ev->subsystem, "block") && ev->devname)
		devices_event(b, ev);
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

/*
 * The /sys replay: what is there now, as "add" events. The full /sys/devices walk takes a
 * good part of a second under emulation, so it waits until the queue holds nothing of the
 * best rank (events_wait_for()); the buses a root disk usually hangs off come first. The
 * replay stops at the root once it is seen; a wait for another device (the root is known
 * by then) replays every block device there is.
 */
static void replay(struct boot *b)
{
	bool other = b->ev.want && b->ev.want != &b->spec;

	b->ev.walked = false;
	(void)coldplug_block_devices(b, other, event_dispatch);
	if (other || !b->root)
		(void)coldplug_storage_buses(b, event_dispatch);
}

/*
 * The device @spec names, once seen: the root is matched by devices.c as each device is
 * probed (b->root), any other spec against the devices seen so far.
 */
static const struct blockdev *wanted(struct boot *b, const struct root_spec *spec)
{
	return spec == &b->spec ? b->root : devices_find(b, spec);
}

/*
 * Read what the socket holds and dispatch it; a lost event means replaying /sys. A wait
 * stops reading once its device is seen: what is left (the "change" a dm device sends
 * after its "add", which would probe it again through the cipher) waits for the next read.
 */
static void drain(struct boot *b)
{
	char buf[UEVENT_BUFSIZE + 1];
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];

	while (b->ev.nl_fd >= 0) {
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
		ssize_t n = netlink_recv(b->ev.nl_fd, &msg);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			b->ev.overflows++;
			log_warn("uevent queue overflowed; replaying /sys");
			replay(b);
			continue;
		}
		if (n < 0)
			return;
		if (n == 0 || !from_kernel(&msg, &sa))
			continue;
		buf[n] = '\0';
		if (uevent_parse_netlink(buf, (size_t)n + 1, &ev) == 0)
			event_dispatch(b, &ev);
		if (b->ev.want && wanted(b, b->ev.want))
			return;
	}
}

/* One step of work: the next queued modalias, or the /sys walk when it is due. */
static bool work(struct boot *b)
{
	char *alias;
	int rank;

	if (!b->ev.walked && queue_best_rank(&b->ev.queue) > 0) {
		b->ev.walked = true;
		(void)coldplug_walk(b, event_dispatch);
		return true;
	}
	alias = queue_take(&b->ev.queue, &rank);
	if (!alias)
		return false;
	(void)modules_load_alias(&b->mods, alias, true);
	free(alias);
	b->ev.loaded = true;
	return true;
}

/*
 * Load modules and follow uevents until the device @spec names is seen or @timeout_ms
 * passes (< 0: for ever), the clock standing still while a prompt is open. Tools and prompts
 * run meanwhile as sources of the loop (loop.c); a stack the boot needs that fails for good
 * ends the wait at once (loop_give_up()). Returns 1 and sets *@found when it is seen (valid
 * until the next event), 0 when not.
 */
int events_wait_for(struct boot *b, const struct root_spec *spec, int timeout_ms,
		    const struct blockdev **found)
{
	long long deadline = mono_ms() + timeout_ms;

	b->ev.want = spec;
	if (spec != &b->spec)
		devices_deepen_for(&b->devs, spec);
	replay(b);
	while (!(*found = wanted(b, spec)) && !b->ev.loop.given_up) {
		long long left = timeout_ms < 0 ? -1 : deadline + loop_paused_ms(b) - mono_ms();

		/* the deadline holds even while there is work left (slow loads, overflows) */
		if (timeout_ms >= 0 && left <= 0)
			break;
		if (work(b)) {
			/* what came meanwhile, and what ended, without waiting */
			if (loop_run_once(b, b->ev.nl_fd, 0))
				drain(b);
			continue;
		}
		/* nothing left to load and no tool running: what waits for the devices to settle */
		if (!loop_has_children(b))
			stacks_idle(b);
		if (b->ev.nl_fd < 0 && (left < 0 || left > 500))
			left = 500; /* no socket: look again now and then */
		if (loop_run_once(b, b->ev.nl_fd, left > 1000000 || left < 0 ? 1000000 : (int)left))
			drain(b);
		else if (b->ev.nl_fd < 0 && !loop_busy(b)) {
			/* walk /sys again only when a module loaded since may have added devices */
			bool walk_again = b->ev.loaded;

			replay(b);
			b->ev.walked = !walk_again;
			b->ev.loaded = false;
		}
	}
	b->ev.want = NULL;
	if (*found)
		stacks_found(b);
	return *found != NULL;
}

/* The wait for root=: until it is seen or @timeout_ms passes (< 0: for ever); 1 if seen. */
int events_wait_root(struct boot *b, int timeout_ms)
{
	const struct blockdev *found;

	timing_mark("coldplug started");
	return events_wait_for(b, &b->spec, timeout_ms, &found);
}

/* Everything there is, every module it asks for (rdinit --dry-run): no stop at the root. */
void events_replay_all(struct boot *b)
{
	char *alias;
	int rank;

	(void)coldplug_block_devices(b, true, event_dispatch);
	(void)coldplug_walk(b, event_dispatch);
	while ((alias = queue_take(&b->ev.queue, &rank))) {
		(void)modules_load_alias(&b->mods, alias, true);
		free(alias);
	}
}

/* Before searching again: forget every device and module result; the wait replays /sys. */
void events_retry(struct boot *b)
{
	devices_clear(&b->devs);
	b->root = NULL;
	modules_retry(&b->mods);
	stacks_retry(b);
	queue_clear(&b->ev.queue);
	b->ev.walked = false;
}
