// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module closure against a real, depmod'ed kernel tree.
 *
 * RDINIT_TEST_KDIR is the basedir (it holds lib/modules/$RDINIT_TEST_KVER).
 * Both must be set: a closure test that silently skips proves nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "closure.h"

static const char *kdir, *kver;

static void need_env(void)
{
	kdir = getenv("RDINIT_TEST_KDIR");
	kver = getenv("RDINIT_TEST_KVER");
	if (!kdir || !*kdir || !kver || !*kver)
		fail_msg("RDINIT_TEST_KDIR and RDINIT_TEST_KVER must name a depmod'ed "
			 "kernel "
			 "(basedir and version)");
}

static struct closure *open_closure(void)
{
	struct mk_err err = { { 0 } };
	struct closure *c = NULL;
	int r;

	need_env();
	r = closure_new(&c, kdir, kver, &err);
	if (r < 0)
		fail_msg("closure_new(%s, %s): %d %s", kdir, kver, r, err.msg);
	return c;
}

/* The module whose path starts with "@prefix.ko" (any compression suffix). */
static const struct closure_mod *find_mod(struct closure *c, const char *prefix)
{
	const struct closure_mod *m;
	size_t n = closure_modules(c, &m), len = strlen(prefix);

	for (size_t i = 0; i < n; i++)
		if (!strncmp(m[i].path, prefix, len) && !strncmp(m[i].path + len, ".ko", 3))
			return &m[i];
	return NULL;
}

static size_t count_reason(struct closure *c, const char *reason)
{
	const struct closure_mod *m;
	size_t n = closure_modules(c, &m), hits = 0;

	for (size_t i = 0; i < n; i++)
		hits += !strcmp(m[i].reason, reason);
	n = closure_nofile(c, &m);
	for (size_t i = 0; i < n; i++)
		hits += !strcmp(m[i].reason, reason);
	return hits;
}

/* Does this kernel ship @rel (e.g. "kernel/lib/crc16.ko") as a loadable module? */
static int kernel_has(const char *rel)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.dep", kdir, kver);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && getline(&line, &cap, f) > 0)
		found = !strncmp(line, rel, strlen(rel));
	free(line);
	fclose(f);
	return found;
}

static void test_env(void **state)
{
	(void)state;
	need_env();
}

static void test_ext4_with_deps(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };

	(void)state;
	assert_int_equal(closure_add(c, "ext4", "test", &err), 1);
	assert_non_null(find_mod(c, "kernel/fs/ext4/ext4"));
	assert_string_equal(find_mod(c, "kernel/fs/ext4/ext4")->reason, "test");
	assert_non_null(find_mod(c, "kernel/fs/jbd2/jbd2"));
	assert_non_null(find_mod(c, "kernel/fs/mbcache"));
	if (kernel_has("kernel/lib/crc16.ko"))
		assert_non_null(find_mod(c, "kernel/lib/crc16"));
	assert_string_equal(find_mod(c, "kernel/fs/jbd2/jbd2")->reason, "needed by ext4");
	closure_free(c);
}

static void test_sorted_and_unique(void **state)
{
	static const char *const names[] = { "xfs", "btrfs", "ext4", "virtio_blk", "ext4", "nvme" };
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	const struct closure_mod *m;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(closure_add(c, names[i], "test", &err) > 0);
	n = closure_modules(c, &m);
	assert_true(n > 6);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(m[i - 1].path, m[i].path) < 0);
	for (size_t i = 0; i < n; i++)
		assert_true(m[i].path[0] != '/');
	closure_free(c);
}

static void test_alias(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	const struct closure_mod *xfs;

	(void)state;
	assert_true(closure_add(c, "fs-xfs", "fs.list", &err) > 0);
	xfs = find_mod(c, "kernel/fs/xfs/xfs");
	assert_non_null(xfs);
	assert_string_equal(xfs->reason, "fs.list (alias fs-xfs)");
	/* '-' and '_' are the same in module names, so this is no alias. */
	assert_true(closure_add(c, "xen-blkfront", "storage.list", &err) > 0);
	assert_string_equal(find_mod(c, "kernel/drivers/block/xen-blkfront")->reason,
			    "storage.list");
	closure_free(c);
}

static void test_missing_name(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	const struct closure_mod *m;

	(void)state;
	assert_int_equal(closure_add(c, "no_such_module_rdinit", "test", &err), -ENOENT);
	/* Not recorded: a default set just skips the name. */
	assert_string_equal(err.msg, "");
	assert_int_equal(closure_modules(c, &m), 0);
	closure_free(c);
}

static void test_builtin(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	const struct closure_mod *m;
	char path[4096], line[512], *base, *dot;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/lib/modules/%s/modules.builtin", kdir, kver);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	base = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
	dot = strstr(base, ".ko");
	assert_non_null(dot);
	*dot = '\0';

	assert_true(closure_add(c, base, "test", &err) > 0);
	assert_int_equal(closure_modules(c, &m), 0);
	assert_int_equal(closure_nofile(c, &m), 1);
	assert_true(m[0].builtin);
	assert_null(m[0].path);
	closure_free(c);
}

/*
 * btrfs declares several MODULE_SOFTDEP()s; libkmod alone returns only the
 * first (blake2b), so two or more prove the modinfo scan works.
 */
static void test_softdeps(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };

	(void)state;
	assert_true(closure_add(c, "btrfs", "test", &err) > 0);
	assert_true(count_reason(c, "softdep of btrfs") >= 2);
	closure_free(c);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* A scratch basedir per test, removed even when an assertion fails. */
static int make_root(void **state)
{
	static char root[64];

	strcpy(root, "/tmp/rdinit-closure-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	*state = root;
	return 0;
}

static int remove_root(void **state)
{
	return nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_path(const char *root, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!text) {
		assert_int_equal(mkdir(path, 0755), 0);
		return;
	}
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_firmware(void **state)
{
	const char *root = *state;
	char path[4096], mods[4096], cmd[3 * 4096];
	struct mk_err err = { { 0 } };
	struct closure *c = NULL;
	char *const *fw;
	size_t n;

	need_env();
	make_path(root, "lib", NULL);
	make_path(root, "lib/firmware", NULL);
	snprintf(mods, sizeof(mods), "%s/lib/modules", kdir);
	snprintf(path, sizeof(path), "%s/lib/modules", root);
	make_path(root, "lib/firmware/ql2400_fw.bin", "fw");
	make_path(root, "lib/firmware/ql2500_fw.bin.zst", "fw");

	/* a module dir that is a symlink out of the basedir is refused */
	assert_int_equal(symlink(mods, path), 0);
	assert_int_equal(closure_new(&c, root, kver, &err), -EXDEV);
	assert_non_null(strstr(err.msg, "leads outside --basedir"));
	mk_err_clear(&err);
	/* a copy inside it is fine: hard links where they can be made */
	assert_int_equal(unlink(path), 0);
	snprintf(cmd, sizeof(cmd), "cp -al '%s' '%s' 2>/dev/null || cp -a '%s' '%s'", mods, path,
		 mods, path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(closure_new(&c, root, kver, &err), 0);
	assert_true(closure_add(c, "qla2xxx", "test", &err) > 0);
	n = closure_firmware(c, &fw);
	assert_int_equal(n, 2);
	assert_string_equal(fw[0], "ql2400_fw.bin");
	assert_string_equal(fw[1], "ql2500_fw.bin.zst");
	n = closure_missing_firmware(c, &fw);
	assert_true(n >= 1);
	assert_string_equal(fw[0], "ql2100_fw.bin (qla2xxx)");
	closure_free(c);
}

static void test_no_depmod_output(void **state)
{
	const char *root = *state;
	struct mk_err err = { { 0 } };
	struct closure *c = NULL;
	char rel[512];

	need_env();
	make_path(root, "lib", NULL);
	make_path(root, "lib/modules", NULL);
	snprintf(rel, sizeof(rel), "lib/modules/%s", kver);
	make_path(root, rel, NULL);
	assert_int_equal(closure_new(&c, root, kver, &err), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err.msg, "modules.dep.bin is missing"));
	assert_non_null(strstr(err.msg, "depmod -b"));
}

/* Omitting btrfs drops what only it needs; a shared dependency stays. */
static void test_omit(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	char *const *notes;

	(void)state;
	assert_int_equal(closure_omit(c, "btrfs", &err), 1);
	assert_int_equal(closure_omit(c, "no_such_module_xyz", &err), -ENOENT);
	assert_true(closure_add(c, "btrfs", "test", &err) > 0);
	assert_true(closure_add(c, "ext4", "test", &err) > 0);
	assert_null(find_mod(c, "kernel/fs/btrfs/btrfs"));
	if (kernel_has("kernel/lib/raid6/raid6_pq.ko"))
		assert_null(find_mod(c, "kernel/lib/raid6/raid6_pq"));
	assert_non_null(find_mod(c, "kernel/fs/ext4/ext4"));
	assert_int_equal(closure_broken(c, &notes), 0);
	closure_free(c);
}

/* Omitting a hard dependency is obeyed but reported. */
static void test_omit_needed(void **state)
{
	struct closure *c = open_closure();
	struct mk_err err = { { 0 } };
	char *const *notes;

	(void)state;
	assert_int_equal(closure_omit(c, "jbd2", &err), 1);
	assert_true(closure_add(c, "ext4", "test", &err) > 0);
	assert_null(find_mod(c, "kernel/fs/jbd2/jbd2"));
	assert_non_null(find_mod(c, "kernel/fs/ext4/ext4"));
	assert_int_equal(closure_broken(c, &notes), 1);
	assert_string_equal(notes[0], "jbd2 (needed by ext4)");
	closure_free(c);
}

static void test_bad_basedir_and_kver(void **state)
{
	struct mk_err err = { { 0 } };
	struct closure *c = NULL;

	(void)state;
	need_env();
	assert_int_equal(closure_new(&c, "/nonexistent-rdinit", kver, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot read basedir"));
	mk_err_clear(&err);
	assert_int_equal(closure_new(&c, kdir, "0.0.0-none", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no modules for kernel 0.0.0-none"));
	mk_err_clear(&err);
	assert_int_equal(closure_new(&c, kdir, "../x", &err), -EINVAL);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_ext4_with_deps),
		cmocka_unit_test(test_sorted_and_unique),
		cmocka_unit_test(test_alias),
		cmocka_unit_test(test_missing_name),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_softdeps),
		cmocka_unit_test_setup_teardown(test_firmware, make_root, remove_root),
		cmocka_unit_test_setup_teardown(test_no_depmod_output, make_root, remove_root),
		cmocka_unit_test(test_omit),
		cmocka_unit_test(test_omit_needed),
		cmocka_unit_test(test_bad_basedir_and_kver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
