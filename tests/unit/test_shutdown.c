// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The way back at shutdown (shutdown.c): the storage stacks taken apart on a fake
 * /sys/block, holders/ and all, by a fake stop that does what the kernel does (the device
 * goes, and with it its entries in its members' holders/); the unmounting on real tmpfs
 * mounts in a private mount namespace (as root only).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"

/* ---- fixtures ----------------------------------------------------------------------- */

static char top[64], stopped[1024];
static bool private_ns;

static char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *at(const char *fmt, ...)
{
	static char path[4][PATH_MAX];
	static int i;
	va_list ap;
	int n;

	i = (i + 1) % 4;
	n = snprintf(path[i], sizeof(path[i]), "%s/", top);
	va_start(ap, fmt);
	vsnprintf(path[i] + n, sizeof(path[i]) - (size_t)n, fmt, ap);
	va_end(ap);
	return path[i];
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/rdinit-shutdown-XXXXXX");
	stopped[0] = '\0';
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* block device @dev, held by the devices in @holders (space-separated, or NULL) */
static void blockdev(const char *dev, const char *holders, const char *md_state)
{
	char list[256], *h, *save = NULL;

	(void)mkdir(at("block"), 0755);
	assert_int_equal(mkdir(at("block/%s", dev), 0755), 0);
	assert_int_equal(mkdir(at("block/%s/holders", dev), 0755), 0);
	snprintf(list, sizeof(list), "%s", holders ? holders : "");
	for (h = strtok_r(list, " ", &save); h; h = strtok_r(NULL, " ", &save))
		put(at("block/%s/holders/%s", dev, h), "");
	if (md_state) {
		assert_int_equal(mkdir(at("block/%s/md", dev), 0755), 0);
		put(at("block/%s/md/array_state", dev), md_state);
	} else {
		assert_int_equal(mkdir(at("block/%s/dm", dev), 0755), 0);
		put(at("block/%s/dm/name", dev), dev);
	}
}

/* The kernel's side of a stop: the device goes, and it holds nothing any more. */
static int fake_stop(const char *sysfs, const char *dev)
{
	char cmd[PATH_MAX];

	assert_string_equal(sysfs, top);
	if (!strcmp(dev, "dm-9"))
		return -EBUSY; /* mounted somewhere: it stays */
	snprintf(stopped + strlen(stopped), sizeof(stopped) - strlen(stopped), " %s", dev);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/block/%s %s/block/*/holders/%s", top, dev, top, dev);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static bool before(const char *a, const char *b)
{
	char x[16], y[16];
	const char *p, *q;

	snprintf(x, sizeof(x), " %s", a);
	snprintf(y, sizeof(y), " %s", b);
	p = strstr(stopped, x);
	q = strstr(stopped, y);
	return p && q && p < q;
}

/*
 * An LV on md0 on two LUKS mappings, md1 on md2 and md3: everything goes, each device once
 * nothing holds it any more; a device that stays busy is left and counted; a stopped array
 * (clear) is not stopped again.
 */
static void test_stacks_down(void **state)
{
	int dm_left = -1, md_left = -1;

	blockdev("dm-0", "md0", NULL); /* luks-a */
	blockdev("dm-1", "md0", NULL); /* luks-b */
	blockdev("md0", "dm-2", "clean");
	blockdev("dm-2", NULL, NULL); /* the LV */
	blockdev("md1", NULL, "active");
	blockdev("md2", "md1", "clean");
	blockdev("md3", "md1", "clean");
	blockdev("md4", NULL, "clear");
	blockdev("dm-9", NULL, NULL);

	shutdown_stacks(top, fake_stop, &dm_left, &md_left);
	assert_int_equal(dm_left, 1);
	assert_int_equal(md_left, 0);
	assert_true(before("dm-2", "md0"));
	assert_true(before("md0", "dm-0"));
	assert_true(before("md0", "dm-1"));
	assert_true(before("md1", "md2"));
	assert_true(before("md1", "md3"));
	assert_null(strstr(stopped, "md4"));
	assert_null(strstr(stopped, "dm-9"));
	assert_int_equal(access(at("block/dm-0"), F_OK), -1);
	assert_int_equal(access(at("block/md3"), F_OK), -1);
}

/* more devices than a fixed table of 64 held, and a stack deeper than 8: all of them go */
static void test_stacks_down_many(void **state)
{
	int dm_left = -1, md_left = -1, i;
	char name[16], holders[16];

	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "md%d", 100 + i);
		blockdev(name, NULL, "clean");
	}
	/* dm-10 holds dm-11 holds ... dm-21 */
	for (i = 10; i < 22; i++) {
		snprintf(name, sizeof(name), "dm-%d", i);
		snprintf(holders, sizeof(holders), "dm-%d", i - 1);
		blockdev(name, i > 10 ? holders : NULL, NULL);
	}
	shutdown_stacks(top, fake_stop, &dm_left, &md_left);
	assert_int_equal(dm_left, 0);
	assert_int_equal(md_left, 0);
	assert_true(before("dm-10", "dm-21"));
	assert_int_equal(access(at("block/md199"), F_OK), -1);
}

/* whether anything is mounted at or below @dir, by /proc/self/mountinfo */
static int mounts_below(const char *dir)
{
	char line[4096], mp[4096];
	size_t len = strlen(dir);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strncmp(mp, dir, len) &&
		    (!mp[len] || mp[len] == '/'))
			n++;
	fclose(f);
	return n;
}

static void tmpfs(const char *rel)
{
	(void)mkdir(at("%s", rel), 0755);
	assert_int_equal(mount("tmpfs", at("%s", rel), "tmpfs", 0, "size=64k"), 0);
}

/*
 * /oldroot/a/b mounted first, then /oldroot/a over it: b is hidden until a is gone, and
 * unmounting by path alone finds nothing there (ENOENT). Everything is unmounted cleanly,
 * nothing detached.
 */
static void test_unmount_hidden(void **state)
{
	if (!private_ns)
		skip();
	tmpfs("old");
	tmpfs("old/a");
	assert_int_equal(mkdir(at("old/a/b"), 0755), 0);
	tmpfs("old/a/b");
	assert_int_equal(mount("tmpfs", at("old/a"), "tmpfs", 0, "size=64k"), 0);
	tmpfs("old/c");
	assert_int_equal(mounts_below(at("old")), 5);
	assert_int_equal(shutdown_unmount("/proc/self/mountinfo", at("old")), 0);
	assert_int_equal(mounts_below(at("old")), 0);
}

/* a mount kept busy is made read-only and detached, and counted */
static void test_unmount_busy(void **state)
{
	int fd;

	if (!private_ns)
		skip();
	tmpfs("old");
	tmpfs("old/busy");
	fd = open(at("old/busy/f"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(shutdown_unmount("/proc/self/mountinfo", at("old")), 1);
	assert_int_equal(mounts_below(at("old")), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stacks_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stacks_down_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmount_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmount_busy, setup, teardown),
	};

	/* real mounts, in a namespace of our own so nothing leaks out of the test */
	private_ns = geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
		     mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("shutdown", tests, NULL, NULL);
}
