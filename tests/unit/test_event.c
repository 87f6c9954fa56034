// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event path (event.c) with fake feeders and handlers: a lost uevent (ENOBUFS) replays
 * /sys; queued modaliases load storage first, and the full /sys walk waits until no
 * storage alias is left; the loop ends the moment the root is seen.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <cmocka.h>

#include "boot.h"

static struct blockdev the_root, the_usr;
static char trace[1024]; /* what happened, in order */
static int replays, replays_all, loads, loads_until_root;
static bool usr_seen; /* vdb appeared: devices_find() answers LABEL=usr */
static int deepened;
static bool endless; /* each load queues one more alias, slowly */

static void note(const char *what)
{
	strncat(trace, what, sizeof(trace) - strlen(trace) - 2);
	strcat(trace, " ");
}

/* ---- the rest of rdinit, faked -------------------------------------------------- */

void devices_event(struct boot *b, const struct uevent *ev)
{
	note(ev->devname);
	if (!strcmp(ev->devname, "vda"))
		b->root = &the_root;
	if (!strcmp(ev->devname, "vdb"))
		usr_seen = true;
}

const struct blockdev *devices_find(struct boot *b, const struct root_spec *spec)
{
	return usr_seen && !strcmp(spec->value, "usr") ? &the_usr : NULL;
}

void devices_deepen_for(struct devices *t, const struct root_spec *spec)
{
	deepened++;
}

int coldplug_block_devices(struct boot *b, bool all, uevent_fn *fn)
{
	replays++;
	replays_all += all;
	note("replay");
	return 0;
}

int coldplug_storage_buses(struct boot *b, uevent_fn *fn)
{
	return 0;
}

int coldplug_walk(struct boot *b, uevent_fn *fn)
{
	note("walk");
	return 0;
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	struct boot *b = (struct boot *)((char *)m - offsetof(struct boot, mods));

	if (endless) {
		char next[64];
		struct uevent ev = { .action = "add", .subsystem = "x", .modalias = next };

		snprintf(next, sizeof(next), "virtio:d00000002v%08X", ++loads);
		usleep(5000);
		event_dispatch(b, &ev);
		return 1;
	}
	note(alias);
	if (++loads == loads_until_root) {
		struct uevent ev = { .action = "add", .subsystem = "block", .devname = "vdb" };

		if (b->root)
			event_dispatch(b,
				       &ev); /* the root is known: this load brings /usr's disk */
		else
			b->root = &the_root;
	}
	return 1;
}

void modules_retry(struct modules *m)
{
}

void devices_clear(struct devices *d)
{
}

void devices_stop_prober(struct devices *t)
{
}

void stacks_retry(struct boot *b)
{
}

void stacks_idle(struct boot *b)
{
}

void stacks_found(struct boot *b)
{
}

/* ---- a fake netlink socket -------------------------------------------------------- */

static int recv_calls;
static pid_t sender; /* nl_pid of the fake's messages: 0 is the kernel */
static uid_t sender_uid;

/* 1st: the queue overflowed; 2nd: "add" of vda from the kernel; then nothing more */
static ssize_t fake_recv(int fd, struct msghdr *msg)
{
	static const char nl[] = "add@/devices/virtual/block/vda\0ACTION=add\0"
				 "DEVPATH=/devices/virtual/block/vda\0SUBSYSTEM=block\0"
				 "DEVNAME=vda\0MAJOR=254\0MINOR=0\0";
	struct sockaddr_nl *sa = msg->msg_name;
	struct cmsghdr *c;
	struct ucred cred = { 1, sender_uid, 0 };

	switch (recv_calls++) {
	case 0:
		errno = ENOBUFS;
		return -1;
	case 1:
		memset(sa, 0, sizeof(*sa));
		sa->nl_family = AF_NETLINK;
		sa->nl_pid = (unsigned int)sender;
		c = CMSG_FIRSTHDR(msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cred));
		memcpy(CMSG_DATA(c), &cred, sizeof(cred));
		msg->msg_controllen = CMSG_SPACE(sizeof(cred));
		memcpy(msg->msg_iov[0].iov_base, nl, sizeof(nl));
		return sizeof(nl);
	default:
		errno = EAGAIN;
		return -1;
	}
}

/* The kernel's "add" then "change" of dm-0, as cryptsetup leaves them queued; then nothing. */
static ssize_t fake_recv_dm(int fd, struct msghdr *msg)
{
	static const char add[] = "add@/devices/virtual/block/dm-0\0ACTION=add\0"
				  "DEVPATH=/devices/virtual/block/dm-0\0SUBSYSTEM=block\0"
				  "DEVNAME=vda\0MAJOR=253\0MINOR=0\0";
	static const char change[] = "change@/devices/virtual/block/dm-0\0ACTION=change\0"
				     "DEVPATH=/devices/virtual/block/dm-0\0SUBSYSTEM=block\0"
				     "DEVNAME=vda\0MAJOR=253\0MINOR=0\0";
	struct sockaddr_nl *sa = msg->msg_name;
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	struct ucred cred = { 1, 0, 0 };
	const char *m = recv_calls == 0 ? add : change;
	size_t len = recv_calls == 0 ? sizeof(add) : sizeof(change);

	if (recv_calls++ > 1) {
		errno = EAGAIN;
		return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->nl_family = AF_NETLINK;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	msg->msg_controllen = CMSG_SPACE(sizeof(cred));
	memcpy(msg->msg_iov[0].iov_base, m, len);
	return (ssize_t)len;
}

/* the kernel: which of the fakes the test in progress set */
static ssize_t (*kernel)(int fd, struct msghdr *msg);

ssize_t netlink_recv(int fd, struct msghdr *msg)
{
	return kernel(fd, msg);
}

static void reset(struct boot *b)
{
	memset(b, 0, sizeof(*b));
	b->ev.nl_fd = -1;
	trace[0] = '\0';
	replays = replays_all = loads = recv_calls = deepened = 0;
	usr_seen = false;
	loads_until_root = -1;
	endless = false;
	sender = 0;
	sender_uid = 0;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_overflow_replays(void **state)
{
	struct boot b;
	int p[2];

	reset(&b);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1); /* the socket is "readable" */
	b.ev.nl_fd = p[0];
	kernel = fake_recv;
	assert_int_equal(events_wait_root(&b, 5000), 1);
	assert_int_equal(b.ev.overflows, 1);
	/* once at the start, once for the overflow, then vda from netlink */
	assert_int_equal(replays, 2);
	assert_string_equal(trace, "replay walk replay vda ");
	close(p[0]);
	close(p[1]);
}

/* Storage first; the full walk once no storage alias is queued; stop at the root. */
static void test_ranks(void **state)
{
	static const char *const aliases[] = { "acpi:PNP0A03:", "usb:v0627p0001d0000",
					       "virtio:d00000002v00001AF4", "pci:v1234bc01sc06" };
	struct boot b;
	size_t i;

	reset(&b);
	for (i = 0; i < 4; i++) {
		struct uevent ev = { .action = "add", .subsystem = "x", .modalias = aliases[i] };

		event_dispatch(&b, &ev);
	}
	loads_until_root = 3;
	assert_int_equal(events_wait_root(&b, 5000), 1);
	assert_string_equal(trace, "replay virtio:d00000002v00001AF4 pci:v1234bc01sc06 walk "
				   "usb:v0627p0001d0000 ");
	events_close(&b);
}

/* Nothing comes: the wait ends at its deadline. */
static void test_timeout(void **state)
{
	struct boot b;

	reset(&b);
	assert_int_equal(events_wait_root(&b, 50), 0);
	assert_null(b.root);
}

static long long ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Work that never ends (each load queues another) does not outlast the deadline. */
static void test_deadline_with_work(void **state)
{
	struct uevent ev = { .action = "add", .subsystem = "x", .modalias = "virtio:d00000002" };
	struct boot b;
	long long t0 = ms();

	reset(&b);
	endless = true;
	event_dispatch(&b, &ev);
	assert_int_equal(events_wait_root(&b, 100), 0);
	assert_true(ms() - t0 < 1000);
	assert_true(loads > 3);
	events_close(&b);
}

/* Messages not from the kernel (a process's nl_pid, or not uid 0) are not believed. */
static void test_not_from_kernel(void **state)
{
	struct boot b;
	int p[2], who;

	for (who = 0; who < 2; who++) {
		reset(&b);
		assert_int_equal(pipe(p), 0);
		b.ev.nl_fd = p[0];
		kernel = fake_recv;
		recv_calls = 1; /* straight to the "add" of vda */
		if (who == 0)
			sender = 4242;
		else
			sender_uid = 1000;
		assert_int_equal(write(p[1], "x", 1), 1);
		assert_int_equal(events_wait_root(&b, 100), 0);
		assert_null(b.root);
		assert_null(strstr(trace, "vda"));
		close(p[0]);
		close(p[1]);
	}
}

/*
 * A wait for another device than the root (/usr from the root's fstab): the same loop,
 * which replays every block device (the root is known, so a replay that stops at the root
 * would stop at once), asks devices.c to probe as deep as the spec needs, and ends when
 * devices.c finds it; the root stays what it was.
 */
static void test_wait_for_other(void **state)
{
	struct uevent ev = { .action = "add", .subsystem = "x", .modalias = "virtio:d00000002" };
	const struct blockdev *found = NULL;
	struct root_spec usr;
	struct boot b;

	reset(&b);
	b.root = &the_root;
	assert_int_equal(rootspec_parse("LABEL=usr", &usr), 0);
	loads_until_root = 1;
	event_dispatch(&b, &ev);
	assert_int_equal(events_wait_for(&b, &usr, 5000, &found), 1);
	assert_ptr_equal(found, &the_usr);
	assert_ptr_equal(b.root, &the_root);
	assert_int_equal(deepened, 1);
	assert_int_equal(replays_all, replays);
	assert_string_equal(trace, "replay virtio:d00000002 vdb ");
	assert_null(b.ev.want);
	events_close(&b);

	/* nothing comes: the deadline, and found says so */
	reset(&b);
	b.root = &the_root;
	assert_int_equal(events_wait_for(&b, &usr, 50, &found), 0);
	assert_null(found);
	events_close(&b);
}

/* The root's wait replays only until the root is seen, and deepens nothing. */
static void test_wait_root_replay(void **state)
{
	struct boot b;

	reset(&b);
	assert_int_equal(events_wait_root(&b, 50), 0);
	assert_int_equal(replays_all, 0);
	assert_int_equal(deepened, 0);
}

/*
 * The wait stops reading at the event that shows the root: the "change" queued behind the
 * "add" (a second probe through dm-crypt, tens of ms under emulation) is left unread.
 */
static void test_stop_at_root(void **state)
{
	struct boot b;
	int p[2];

	reset(&b);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	b.ev.nl_fd = p[0];
	kernel = fake_recv_dm;
	assert_int_equal(events_wait_root(&b, 5000), 1);
	assert_ptr_equal(b.root, &the_root);
	assert_string_equal(trace, "replay walk vda ");
	assert_int_equal(recv_calls, 1);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overflow_replays), cmocka_unit_test(test_ranks),
		cmocka_unit_test(test_timeout),		 cmocka_unit_test(test_deadline_with_work),
		cmocka_unit_test(test_not_from_kernel),	 cmocka_unit_test(test_wait_for_other),
		cmocka_unit_test(test_wait_root_replay), cmocka_unit_test(test_stop_at_root),
	};

	log_set_fd(2, false);
	return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
