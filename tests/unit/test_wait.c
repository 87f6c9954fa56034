// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The wait for the root with the real event path, devices and storage stacks (event.c,
 * devices.c, stacks.c, luks.c) over a fake netlink socket: a LUKS disk nobody named appears at
 * once, the plain root a second later. The LUKS disk must never end the wait or freeze it:
 * without cryptsetup in the image, with nobody at the console, and with Enter pressed at its
 * prompt, the root that comes later is found. (Issue 20, #1: the wait ended after 11 ms.)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <cmocka.h>

#include "boot.h"

/* ---- what the loop calls elsewhere: no modules, nothing in /sys -------------------- */

int modules_load_fs(struct modules *m, const char *fstype)
{
	return 0;
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	return 0;
}

void modules_report(const struct modules *m,
		    void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud)
{
}

void modules_retry(struct modules *m)
{
}

int coldplug_block_devices(struct boot *b, bool all, uevent_fn *fn)
{
	return 0;
}

int coldplug_storage_buses(struct boot *b, uevent_fn *fn)
{
	return 0;
}

int coldplug_walk(struct boot *b, uevent_fn *fn)
{
	return 0;
}

/* ---- the disks: vdb a LUKS container nobody named, vda the root (ext4) ---------------- */

#define ROOT_UUID "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

void devices_stop_prober(struct devices *t)
{
}

/* the prober: what the fixture says each device holds */
void prober_probe(struct devices *t, struct blockdev *d)
{
	if (!strcmp(d->name, "vdb")) {
		snprintf(d->type, sizeof(d->type), "crypto_LUKS");
		snprintf(d->uuid, sizeof(d->uuid), "1234-5678");
	} else if (!strcmp(d->name, "vda")) {
		snprintf(d->type, sizeof(d->type), "ext4");
		snprintf(d->uuid, sizeof(d->uuid), ROOT_UUID);
	}
}

/*
 * A fake netlink socket: a pipe whose bytes say which "add" the kernel sends ('b' vdb, 'a'
 * vda); recv() reads one byte and answers with that uevent, from the kernel.
 */
/* the kernel, as far as this test is concerned */
ssize_t netlink_recv(int fd, struct msghdr *msg)
{
	static const char vda[] = "add@/devices/virtual/block/vda\0ACTION=add\0"
				  "DEVPATH=/devices/virtual/block/vda\0SUBSYSTEM=block\0"
				  "DEVNAME=vda\0DEVTYPE=disk\0MAJOR=254\0MINOR=0\0";
	static const char vdb[] = "add@/devices/virtual/block/vdb\0ACTION=add\0"
				  "DEVPATH=/devices/virtual/block/vdb\0SUBSYSTEM=block\0"
				  "DEVNAME=vdb\0DEVTYPE=disk\0MAJOR=254\0MINOR=16\0";
	struct sockaddr_nl *sa = msg->msg_name;
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);
	struct ucred cred = { 1, 0, 0 };
	const char *m;
	size_t len;
	char which;

	if (read(fd, &which, 1) != 1)
		return -1; /* EAGAIN: nothing more now */
	m = which == 'a' ? vda : vdb;
	len = which == 'a' ? sizeof(vda) : sizeof(vdb);
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

/* ---- fixtures ----------------------------------------------------------------------- */

static char top[64], logpath[128], runs[128], active[128];
static struct boot b;
static int nl[2];
static pid_t kernel; /* writes vda's "add" a second after the start */

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static const char *slurp(const char *path)
{
	static char buf[1 << 15];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static int setup(void **state)
{
	int fd;

	snprintf(top, sizeof(top), "/tmp/rdinit-wait-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	snprintf(runs, sizeof(runs), "%s/runs", top);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	log_set_fd(fd, false);
	log_set_max_level(LOG_LVL_DEBUG);
	memset(&b, 0, sizeof(b));
	opts_init(&b.opts);
	b.sysfs = top;
	b.st.tool_dir = top;
	b.st.no_run_dirs = true; /* no cryptsetup unless a test puts one there */
	if (rootspec_parse("UUID=" ROOT_UUID, &b.spec) < 0)
		return -1;
	if (pipe2(nl, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	b.ev.nl_fd = nl[0];
	/* the LUKS disk at once; the root a second later */
	if (write(nl[1], "b", 1) != 1)
		return -1;
	kernel = fork();
	if (kernel == 0) {
		sleep(1);
		_exit(write(nl[1], "a", 1) != 1);
	}
	/* a wait that never ends fails the test instead of hanging it */
	alarm(20);
	return kernel > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	alarm(0);
	kill(kernel, SIGKILL);
	waitpid(kernel, NULL, 0);
	close(nl[0]);
	close(nl[1]);
	stacks_end(&b);
	loop_clear(&b);
	devices_clear(&b.devs);
	opts_free(&b.opts);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

static long long ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* the fake cryptsetup: nothing opens (nobody knows the passphrase) */
static void cryptsetup(void)
{
	char path[256], text[512];

	snprintf(path, sizeof(path), "%s/cryptsetup", top);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"cryptsetup $*\" >>%s\nexit 2\n", runs);
	write_file(path, text, 0755);
}

/* A pseudo-terminal as the one console; returns its master side. */
static int pty_console(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	snprintf(active, sizeof(active), "%s/active", top);
	write_file(active, ptsname(master) + strlen("/dev/"), 0644);
	b.st.consoles = active;
	return master;
}

/* The root was found a second after the start, not before; vdb's member says @what. */
static void root_found_later(long long t0, const char *what)
{
	const struct stack_member *m = &b.st.v[0];

	assert_non_null(b.root);
	assert_string_equal(b.root->name, "vda");
	assert_true(ms() - t0 >= 900);
	assert_false(b.ev.loop.given_up);
	assert_int_equal(b.st.n, 1);
	assert_string_equal(m->dev, "vdb");
	if (!strstr(m->what, what))
		fprintf(stderr, "vdb: %s\nlog:\n%s\n", m->what, slurp(logpath));
	assert_non_null(strstr(m->what, what));
	assert_int_equal(m->state, MEMBER_SKIPPED);
}

/* (a) no cryptsetup in the image (a host image for a plain root) */
static void test_no_tool(void **state)
{
	long long t0 = ms();

	assert_int_equal(events_wait_root(&b, 5000), 1);
	root_found_later(t0, "no cryptsetup in the image (found by itself");
	assert_non_null(strstr(slurp(logpath), "/dev/vdb: LUKS, locked: no cryptsetup"));
}

/* (b) cryptsetup, and nobody at the console: the prompt opens, the root's uevent withdraws it */
static void test_nobody_at_console(void **state)
{
	long long t0 = ms();
	char seen[4096] = "";
	size_t len = 0;
	int master;
	ssize_t n;

	cryptsetup();
	master = pty_console();
	assert_int_equal(events_wait_root(&b, 5000), 1);
	root_found_later(t0, "found without it");
	/* the prompt was shown, then withdrawn; nothing was tried */
	assert_int_equal(fcntl(master, F_SETFL, O_NONBLOCK), 0);
	while (len + 1 < sizeof(seen) && (n = read(master, seen + len, sizeof(seen) - 1 - len)) > 0)
		len += (size_t)n;
	seen[len] = '\0';
	assert_non_null(strstr(seen, "Passphrase for /dev/vdb"));
	assert_non_null(strstr(seen, "(withdrawn)"));
	assert_string_equal(slurp(runs), "");
	close(master);
}

/* (c) cryptsetup, and Enter pressed at the prompt: vdb skipped, the wait goes on */
static void test_enter_pressed(void **state)
{
	long long t0 = ms();
	char seen[4096] = "";
	size_t n = 0;
	int master, status;
	pid_t typist;

	cryptsetup();
	master = pty_console();
	typist = fork();
	if (typist == 0) {
		/* Enter once the prompt shows */
		while (!strstr(seen, "gives up): ") && n + 1 < sizeof(seen) &&
		       read(master, seen + n, 1) == 1)
			seen[++n] = '\0';
		_exit(write(master, "\r", 1) != 1);
	}
	assert_int_equal(events_wait_root(&b, 5000), 1);
	assert_int_equal(waitpid(typist, &status, 0), typist);
	assert_int_equal(status, 0);
	root_found_later(t0, "passphrase prompt given up");
	assert_non_null(strstr(b.st.v[0].what, "skipped"));
	assert_string_equal(slurp(runs), "");
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_tool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_at_console, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_pressed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
