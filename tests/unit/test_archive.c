// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The newc writer: write a small tree, read it back with libarchive, and
 * check what the kernel's unpacker and reproducibility depend on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "archive.h"

#define MTIME 1234567890

struct fixture {
	char dir[64]; /* scratch dir: src/ holds the tree, images go next to it */
	char src[128];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (!text) {
		assert_int_equal(mkdir(path, mode), 0);
		assert_int_equal(chmod(path, mode), 0);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/*
 * src/a/b/c.txt 0600, src/a/run.sh 0700, src/a/link -> b/c.txt, src/top 0640,
 * src/init 0600 (ar_add_file() forces 0755 on it).
 */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char link[256];

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/rdinit-archive-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->src, sizeof(f->src), "%s/src", f->dir);
	put(f->dir, "src", NULL, 0700);
	put(f->src, "a", NULL, 0700);
	put(f->src, "a/b", NULL, 0750);
	put(f->src, "a/b/c.txt", "hello\n", 0600);
	put(f->src, "a/run.sh", "#!/bin/sh\n", 0700);
	put(f->src, "top", "top\n", 0640);
	put(f->src, "init", "#!/bin/true\n", 0600);
	snprintf(link, sizeof(link), "%s/a/link", f->src);
	if (symlink("b/c.txt", link) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int r = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return r;
}

/* Entries added deliberately out of order, with implicit parents ("etc"). */
static void fill(struct ar_list *l, const struct fixture *f, int reversed)
{
	char init[256], top[256];
	struct mk_err err = { { 0 } };

	snprintf(init, sizeof(init), "%s/init", f->src);
	snprintf(top, sizeof(top), "%s/top", f->src);
	if (reversed)
		assert_int_equal(ar_add_tree(l, f->src, "lib", &err), 0);
	assert_int_equal(ar_add_node(l, "dev/console", S_IFCHR | 0600, 5, 1), 0);
	assert_int_equal(ar_add_file(l, "init", init, 0755), 0);
	assert_int_equal(ar_add_file(l, "etc/rdinit.conf", top, 0), 0);
	assert_int_equal(ar_add_dir(l, "dev"), 0);
	assert_int_equal(ar_add_dir(l, "proc"), 0);
	if (!reversed)
		assert_int_equal(ar_add_tree(l, f->src, "lib", &err), 0);
}

static void write_image(const struct fixture *f, const char *name, int reversed,
			enum ar_compress comp, struct ar_stats *st, char *path, size_t len)
{
	struct ar_list l = { 0 };
	struct mk_err err = { { 0 } };
	int fd, r;

	fill(&l, f, reversed);
	snprintf(path, len, "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	r = ar_write(&l, fd, comp, MTIME, st, &err);
	if (r < 0)
		fail_msg("ar_write: %d %s", r, err.msg);
	assert_int_equal(close(fd), 0);
	ar_list_free(&l);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct seen {
	char path[128];
	mode_t mode;
	int64_t ino, mtime, size;
	unsigned int nlink, rmajor, rminor;
	char data[64];
	char link[64];
};

static size_t read_image(const char *path, struct seen *out, size_t max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t n = 0;

	assert_non_null(a);
	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, path, 4096), ARCHIVE_OK);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		struct seen *s = &out[n++];

		assert_true(n <= max);
		memset(s, 0, sizeof(*s));
		snprintf(s->path, sizeof(s->path), "%s", archive_entry_pathname(ae));
		s->mode = archive_entry_mode(ae);
		s->ino = archive_entry_ino64(ae);
		s->mtime = archive_entry_mtime(ae);
		s->size = archive_entry_size(ae);
		s->nlink = archive_entry_nlink(ae);
		s->rmajor = archive_entry_rdevmajor(ae);
		s->rminor = archive_entry_rdevminor(ae);
		assert_int_equal(archive_entry_uid(ae), 0);
		assert_int_equal(archive_entry_gid(ae), 0);
		if (S_ISLNK(s->mode))
			snprintf(s->link, sizeof(s->link), "%s", archive_entry_symlink(ae));
		if (S_ISREG(s->mode))
			assert_true(archive_read_data(a, s->data, sizeof(s->data) - 1) >= 0);
	}
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
	return n;
}

static const struct seen *lookup(const struct seen *s, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].path, path))
			return &s[i];
	fail_msg("%s is not in the image", path);
	return NULL;
}

static void test_layout(void **state)
{
	const struct fixture *f = *state;
	struct seen s[32];
	struct ar_stats st;
	char img[256];
	size_t n;

	write_image(f, "plain.cpio", 0, AR_NONE, &st, img, sizeof(img));
	n = read_image(img, s, 32);
	assert_int_equal(n, st.entries);
	assert_int_equal(st.files, 6);
	assert_int_equal(st.raw_bytes, st.out_bytes);

	for (size_t i = 0; i < n; i++) {
		const char *slash = strrchr(s[i].path, '/');

		/* Sorted bytewise, inodes numbered in that order, every time fixed. */
		if (i)
			assert_true(strcmp(s[i - 1].path, s[i].path) < 0);
		assert_int_equal(s[i].ino, (int64_t)i + 1);
		assert_int_equal(s[i].mtime, MTIME);
		assert_int_equal(s[i].nlink, S_ISDIR(s[i].mode) ? 2 : 1);
		assert_true(s[i].path[0] != '/');
		/* The parent is a directory that came earlier. */
		if (slash) {
			char parent[128];
			const struct seen *p;

			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - s[i].path),
				 s[i].path);
			p = lookup(s, n, parent);
			assert_true(S_ISDIR(p->mode));
			assert_true(p < &s[i]);
		}
	}
	assert_int_equal(lookup(s, n, "etc")->mode, S_IFDIR | 0755);
	assert_int_equal(lookup(s, n, "lib/a/b")->mode, S_IFDIR | 0755);
	assert_int_equal(lookup(s, n, "lib/a/b/c.txt")->mode, S_IFREG | 0644);
	assert_string_equal(lookup(s, n, "lib/a/b/c.txt")->data, "hello\n");
	assert_int_equal(lookup(s, n, "lib/a/run.sh")->mode, S_IFREG | 0755);
	assert_int_equal(lookup(s, n, "lib/top")->mode, S_IFREG | 0644);
	assert_int_equal(lookup(s, n, "init")->mode, S_IFREG | 0755);
	assert_int_equal(lookup(s, n, "etc/rdinit.conf")->mode, S_IFREG | 0644);
	assert_string_equal(lookup(s, n, "lib/a/link")->link, "b/c.txt");
	assert_int_equal(lookup(s, n, "dev/console")->mode, S_IFCHR | 0600);
	assert_int_equal(lookup(s, n, "dev/console")->rmajor, 5);
	assert_int_equal(lookup(s, n, "dev/console")->rminor, 1);
}

static void test_reproducible(void **state)
{
	const struct fixture *f = *state;
	char a[256], b[256];
	struct ar_stats st;
	size_t la, lb;
	char *da, *db;

	/* Different insertion order, different moment: same bytes. */
	write_image(f, "one.gz", 0, AR_GZIP, &st, a, sizeof(a));
	sleep(1);
	write_image(f, "two.gz", 1, AR_GZIP, &st, b, sizeof(b));
	da = slurp(a, &la);
	db = slurp(b, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	/* gzip MTIME field (bytes 4-7) must be zero. */
	assert_int_equal((unsigned char)da[0], 0x1f);
	assert_int_equal((unsigned char)da[1], 0x8b);
	assert_int_equal(da[4] | da[5] | da[6] | da[7], 0);
	assert_int_equal(st.out_bytes, la);
	free(da);
	free(db);
}

/* Every compression must round-trip; xz and lz4 in the formats the kernel reads. */
static void test_compressions(void **state)
{
	static const struct {
		enum ar_compress comp;
		const char *name;
	} algs[] = { { AR_GZIP, "i.gz" },
		     { AR_ZSTD, "i.zst" },
		     { AR_XZ, "i.xz" },
		     { AR_LZ4, "i.lz4" },
		     { AR_NONE, "i.cpio" } };
	const struct fixture *f = *state;
	struct seen ref[32], s[32];
	struct ar_stats st;
	size_t nref, n, len;
	char img[256], *data;

	write_image(f, "ref.cpio", 0, AR_NONE, &st, img, sizeof(img));
	nref = read_image(img, ref, 32);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		write_image(f, algs[i].name, 0, algs[i].comp, &st, img, sizeof(img));
		n = read_image(img, s, 32);
		assert_int_equal(n, nref);
		assert_memory_equal(s, ref, n * sizeof(s[0]));
		data = slurp(img, &len);
		if (algs[i].comp == AR_XZ)
			assert_int_equal(data[7], 0x01); /* stream flags: CRC32 check */
		if (algs[i].comp == AR_LZ4)
			assert_memory_equal(data, "\x02\x21\x4c\x18", 4); /* legacy magic */
		free(data);
	}
}

/* Levels reach the compressor: gzip -1 is bigger than -9; bad levels are refused. */
static void test_levels(void **state)
{
	const struct fixture *f = *state;
	struct ar_list l = { 0 };
	struct mk_err err = { { 0 } };
	struct ar_stats st1, st9;
	char path[256], text[8192];
	int fd;

	assert_int_equal(ar_level_check(AR_GZIP, 9), 0);
	assert_int_equal(ar_level_check(AR_GZIP, 10), -ERANGE);
	assert_int_equal(ar_level_check(AR_XZ, -1), 0);
	assert_int_equal(ar_level_check(AR_ZSTD, 19), 0);
	assert_int_equal(ar_level_check(AR_LZ4, 12), 0);
	assert_int_equal(ar_level_check(AR_NONE, 1), -ERANGE);
	/* compressible but not trivially: gzip -1 and -9 must differ */
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "abcdefghij"[(i * 7 + i / 13) % 10];
	text[sizeof(text) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/text", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	assert_int_equal(close(fd), 0);
	for (int level = 1; level <= 9; level += 8) {
		char img[256];

		assert_int_equal(ar_add_file(&l, "text", path, 0), 0);
		snprintf(img, sizeof(img), "%s/l%d.gz", f->dir, level);
		fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(
			ar_write_level(&l, fd, AR_GZIP, level, 0, level == 1 ? &st1 : &st9, &err),
			0);
		assert_int_equal(close(fd), 0);
		ar_list_free(&l);
	}
	assert_true(st1.out_bytes > st9.out_bytes);
	assert_int_equal(ar_add_file(&l, "text", path, 0), 0);
	assert_int_equal(ar_write_level(&l, 1, AR_NONE, 3, 0, &st1, &err), -ERANGE);
	ar_list_free(&l);
}

/* Each module compression round-trips through ar_decompress(); plain data is refused. */
static void test_decompress(void **state)
{
	static const char *const tools[] = { "xz --check=crc32 -c", "zstd -q -c", "gzip -n -c" };
	static const char *const ext[] = { ".ko.xz", ".ko.zst", ".ko.gz" };
	const struct fixture *f = *state;
	struct mk_err err = { { 0 } };
	char cmd[1024], src[256], out[256], *data;
	size_t suffix, len;
	uint64_t bytes;
	int fd;

	assert_true(ar_module_compressed("kernel/fs/ext4/ext4.ko.xz", &suffix));
	assert_int_equal(suffix, 3);
	assert_true(ar_module_compressed("a.ko.zst", &suffix));
	assert_int_equal(suffix, 4);
	assert_false(ar_module_compressed("a.ko", NULL));
	assert_false(ar_module_compressed(".ko.xz.orig", NULL));
	for (size_t i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s/m%s", f->dir, ext[i]);
		snprintf(cmd, sizeof(cmd), "%s < %s/a/b/c.txt > %s", tools[i], f->src, src);
		assert_int_equal(system(cmd), 0);
		snprintf(out, sizeof(out), "%s/m%zu.ko", f->dir, i);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		bytes = 0;
		if (ar_decompress(src, fd, &bytes, &err) < 0)
			fail_msg("ar_decompress %s: %s", src, err.msg);
		assert_int_equal(close(fd), 0);
		assert_int_equal(bytes, 6);
		data = slurp(out, &len);
		assert_int_equal(len, 6);
		assert_memory_equal(data, "hello\n", 6);
		free(data);
	}
	snprintf(src, sizeof(src), "%s/a/b/c.txt", f->src);
	assert_int_equal(ar_decompress(src, -1, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not xz, zstd or gzip"));
}

static void test_rejects(void **state)
{
	const struct fixture *f = *state;
	struct ar_list l = { 0 };
	struct mk_err err = { { 0 } };
	struct ar_stats st;
	char src[256];
	int fd;

	snprintf(src, sizeof(src), "%s/top", f->src);
	assert_int_equal(ar_add_dir(&l, "/abs"), -EINVAL);
	assert_int_equal(ar_add_dir(&l, ""), -EINVAL);
	assert_int_equal(ar_add_dir(&l, "a//b"), -EINVAL);
	assert_int_equal(ar_add_dir(&l, "a/../b"), -EINVAL);
	assert_int_equal(ar_add_dir(&l, "./a"), -EINVAL);
	assert_int_equal(ar_add_dir(&l, "a/"), -EINVAL);
	assert_int_equal(ar_add_node(&l, "dev/x", S_IFREG | 0600, 1, 1), -EINVAL);
	assert_int_equal(l.n, 0);

	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* The same directory twice is merged; the same file twice is an error. */
	assert_int_equal(ar_add_dir(&l, "etc"), 0);
	assert_int_equal(ar_add_dir(&l, "etc"), 0);
	assert_int_equal(ar_add_file(&l, "etc/x", src, 0), 0);
	assert_int_equal(ar_add_file(&l, "etc/x", src, 0), 0);
	assert_int_equal(ar_write(&l, fd, AR_NONE, 0, &st, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "etc/x"));
	ar_list_free(&l);

	mk_err_clear(&err);
	assert_int_equal(ar_add_file(&l, "f", src, 0), 0);
	assert_int_equal(ar_add_file(&l, "f/g", src, 0), 0);
	assert_int_equal(ar_write(&l, fd, AR_NONE, 0, &st, &err), -ENOTDIR);
	ar_list_free(&l);

	mk_err_clear(&err);
	assert_int_equal(ar_add_file(&l, "missing", "/nonexistent/rdinit", 0), 0);
	assert_int_equal(ar_write(&l, fd, AR_NONE, 0, &st, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/rdinit"));
	ar_list_free(&l);

	assert_int_equal(ar_add_dir(&l, "d"), 0);
	assert_int_equal(ar_write(&l, fd, AR_NONE, (int64_t)UINT32_MAX + 1, &st, &err), -ERANGE);
	ar_list_free(&l);
	close(fd);
}

static void test_compress_names(void **state)
{
	(void)state;
	assert_int_equal(ar_compress_parse("gzip"), AR_GZIP);
	assert_int_equal(ar_compress_parse("zstd"), AR_ZSTD);
	assert_int_equal(ar_compress_parse("xz"), AR_XZ);
	assert_int_equal(ar_compress_parse("lz4"), AR_LZ4);
	assert_int_equal(ar_compress_parse("none"), AR_NONE);
	assert_int_equal(ar_compress_parse("bzip2"), -EINVAL);
	assert_int_equal(ar_compress_parse(""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compressions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress, setup, teardown),
		cmocka_unit_test(test_compress_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
