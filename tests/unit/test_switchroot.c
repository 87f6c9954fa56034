// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The initramfs delete on a temporary tree: it must remove what is on the tree's device,
 * and never follow a symlink out of it nor touch anything under another mount.
 */
#include <fcntl.h>
#include <errno.h>
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

static char top[64];

static void put(const char *rel, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	return lstat(path, &st) == 0;
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/rdinit-ut-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	/* a failed assertion may leave the tmpfs of test_delete_stops_at_mounts mounted */
	snprintf(cmd, sizeof(cmd), "%s/ir2/mnt", top);
	(void)umount2(cmd, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

static int delete_in(const char *rel, const char *skip)
{
	char path[256];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	return delete_tree(fd, st.st_dev, skip);
}

static void test_delete_keeps_symlink_targets(void **state)
{
	char link[256], target[256];

	dir("outside");
	put("outside/precious", "data");
	dir("ir");
	dir("ir/lib");
	dir("ir/lib/modules");
	put("ir/init", "x");
	put("ir/lib/modules/a.ko", "x");
	dir("ir/root");
	put("ir/root/keep", "new root stand-in");
	snprintf(link, sizeof(link), "%s/ir/escape", top);
	snprintf(target, sizeof(target), "%s/outside", top);
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(delete_in("ir", "root"), 0);
	assert_false(exists("ir/init"));
	assert_false(exists("ir/lib"));
	assert_false(exists("ir/escape"));
	assert_true(exists("ir/root/keep"));
	assert_true(exists("outside/precious"));
}

static void test_delete_stops_at_mounts(void **state)
{
	char mnt[256];

	if (geteuid() != 0)
		skip(); /* counted as skipped, never as passed */
	dir("ir2");
	dir("ir2/mnt");
	put("ir2/file", "x");
	snprintf(mnt, sizeof(mnt), "%s/ir2/mnt", top);
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", 0, "size=1m"), 0);
	put("ir2/mnt/on-other-fs", "must survive");
	dir("ir2/mnt/sub");
	put("ir2/mnt/sub/deep", "must survive");

	assert_int_equal(delete_in("ir2", NULL), 0);
	assert_false(exists("ir2/file"));
	assert_true(exists("ir2/mnt/on-other-fs"));
	assert_true(exists("ir2/mnt/sub/deep"));
	assert_int_equal(umount(mnt), 0);
}

static void test_init_resolve_inside_root(void **state)
{
	char root[256], out[256], link[256];

	dir("nr");
	dir("nr/sbin");
	dir("nr/lib");
	put("nr/lib/realinit", "#!/bin/sh\n");
	snprintf(root, sizeof(root), "%s/nr", top);
	/* absolute symlink: must resolve inside the new root, not on the host */
	snprintf(link, sizeof(link), "%s/nr/sbin/init", top);
	assert_int_equal(symlink("/lib/realinit", link), 0);

	/* not executable yet */
	assert_int_equal(init_resolve(root, "/sbin/init", out, sizeof(out)), -EACCES);
	snprintf(link, sizeof(link), "%s/nr/lib/realinit", top);
	assert_int_equal(chmod(link, 0755), 0);
	assert_int_equal(init_resolve(root, "/sbin/init", out, sizeof(out)), 0);
	assert_string_equal(out, "/sbin/init");
	/* the kernel's chain when init= is absent */
	assert_int_equal(init_resolve(root, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/sbin/init");
	assert_int_equal(init_resolve(root, "/missing", out, sizeof(out)), -ENOENT);
	assert_int_equal(init_resolve(root, "/lib", out, sizeof(out)), -EISDIR);
}

static void test_init_chain_fallback(void **state)
{
	char root[256], out[256];

	dir("nr2");
	dir("nr2/bin");
	put("nr2/bin/sh", "x");
	snprintf(root, sizeof(root), "%s/nr2/bin/sh", top);
	assert_int_equal(chmod(root, 0755), 0);
	snprintf(root, sizeof(root), "%s/nr2", top);
	assert_int_equal(init_resolve(root, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "/bin/sh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete_keeps_symlink_targets),
		cmocka_unit_test(test_delete_stops_at_mounts),
		cmocka_unit_test(test_init_resolve_inside_root),
		cmocka_unit_test(test_init_chain_fallback),
	};

	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("switchroot", tests, setup, teardown);
}
