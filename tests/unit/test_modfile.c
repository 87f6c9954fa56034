// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * init/modfile.c: userspace decompression of modules and their .modinfo, on a real module of
 * Debian's kernel (RDINIT_TEST_KDIR/lib/modules/RDINIT_TEST_KVER, as for the closure tests)
 * compressed here by the xz, zstd and gzip programs, and on images broken on purpose.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "boot.h"

/* crc32c_intel: small, and it declares a cpu: alias (SSE4.2) */
#define MODULE_REL "kernel/arch/x86/crypto/crc32c-intel.ko.xz"
#define MODULE_NAME "crc32c_intel"
#define CPU_ALIAS "cpu:type:x86,ven*fam*mod*:feature:*0094*"

static char dir[64];
static void *plain;
static size_t plain_len;

static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int setup(void **state)
{
	const char *kdir = getenv("RDINIT_TEST_KDIR"), *kver = getenv("RDINIT_TEST_KVER");
	char path[PATH_MAX];

	(void)state;
	if (!kdir || !kver) {
		fprintf(stderr,
			"RDINIT_TEST_KDIR and RDINIT_TEST_KVER must name Debian's kernel\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "/tmp/test_modfile.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/lib/modules/%s/" MODULE_REL, kdir, kver);
	sh("xz -dc '%s' >%s/m.ko", path, dir);
	sh("cp '%s' %s/m.ko.xz", path, dir);
	/* the frame mkrdinit writes for this module, taken out of a real image */
	sh("%s --kver '%s' --basedir '%s' --profile none --add-modules %s --compress none "
	   "--output %s/img >/dev/null",
	   RDINIT_MKRDINIT, kver, kdir, MODULE_NAME, dir);
	sh("cd %s && cpio -id --quiet <img && cp lib/modules/'%s'/%.*s.zst m.ko.zst", dir, kver,
	   (int)(sizeof(MODULE_REL) - 4), MODULE_REL);
	/* from a pipe, zstd cannot know the size: a frame without its content size */
	sh("zstd -q -c <%s/m.ko >%s/m-nosize.ko.zst", dir, dir);
	sh("gzip -9 -n -c %s/m.ko >%s/m.ko.gz", dir, dir);
	snprintf(path, sizeof(path), "%s/m.ko", dir);
	plain = slurp(path, &plain_len);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(plain);
	if (dir[0])
		sh("rm -rf %s", dir);
	return 0;
}

static void decompress_one(const char *name, const char *format)
{
	char path[PATH_MAX];
	void *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(module_read(path, format, &buf, &len), 0);
	assert_int_equal(len, plain_len);
	assert_memory_equal(buf, plain, plain_len);
	module_free(buf, len);
}

static void test_each_format(void **state)
{
	(void)state;
	decompress_one("m.ko.xz", "xz");
	decompress_one("m.ko.zst", "zstd");
	decompress_one("m-nosize.ko.zst", "zstd");
	decompress_one("m.ko.gz", "gzip");
	/* no format: the file as it is */
	decompress_one("m.ko", NULL);
}

/* Cut short or corrupted: an error, never a short module handed to the kernel. */
static void test_truncated_and_corrupt(void **state)
{
	static const struct {
		const char *name, *format;
	} files[] = {
		{ "m.ko.xz", "xz" },
		{ "m.ko.zst", "zstd" },
		{ "m-nosize.ko.zst", "zstd" },
		{ "m.ko.gz", "gzip" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[PATH_MAX];
		unsigned char *data;
		void *buf = (void *)1;
		size_t len, out_len = 1;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		data = slurp(path, &len);
		assert_true(module_decompress_mem(data, len / 2, files[i].format, &buf, &out_len) <
			    0);
		assert_null(buf);
		assert_int_equal(out_len, 0);
		/* a flipped byte in the middle of the compressed data */
		data[len / 2] ^= 0x55;
		if (module_decompress_mem(data, len, files[i].format, &buf, &out_len) == 0) {
			/* gzip and xz check a CRC; mkrdinit's zstd frames carry a checksum */
			fail_msg("%s with a flipped byte decompressed", files[i].name);
		}
		/* the wrong format for the data */
		assert_true(module_decompress_mem(data, len,
						  strcmp(files[i].format, "xz") ? "xz" : "gzip",
						  &buf, &out_len) < 0);
		assert_int_equal(module_decompress_mem(data, len, "bzip2", &buf, &out_len),
				 -EOPNOTSUPP);
		assert_true(module_decompress_mem(data, 0, files[i].format, &buf, &out_len) < 0);
		free(data);
	}
	assert_true(module_read("/nonexistent/m.ko.xz", "xz", &(void *){ NULL }, &(size_t){ 0 }) ==
		    -ENOENT);
}

struct collected {
	char values[64][512];
	int n;
	int stop_after;
};

static int collect(const char *value, void *ud)
{
	struct collected *c = ud;

	if (c->n < 64)
		snprintf(c->values[c->n++], sizeof(c->values[0]), "%s", value);
	return c->stop_after && c->n >= c->stop_after ? 7 : 0;
}

static bool has(const struct collected *c, const char *v)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->values[i], v))
			return true;
	return false;
}

static void test_modinfo(void **state)
{
	struct collected c = { 0 };

	(void)state;
	assert_int_equal(modinfo_foreach(plain, plain_len, "alias", collect, &c), 0);
	assert_true(has(&c, CPU_ALIAS));
	assert_true(has(&c, "crc32c"));
	memset(&c, 0, sizeof(c));
	assert_int_equal(modinfo_foreach(plain, plain_len, "license", collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.values[0], "GPL");
	/* a key is matched whole: "alias" is not "ali" */
	memset(&c, 0, sizeof(c));
	assert_int_equal(modinfo_foreach(plain, plain_len, "ali", collect, &c), 0);
	assert_int_equal(c.n, 0);
	/* the callback's nonzero return stops the walk and is returned */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	assert_int_equal(modinfo_foreach(plain, plain_len, "alias", collect, &c), 7);
	assert_int_equal(c.n, 1);
}

/* Broken images: -EBADMSG or nothing found, and (under ASan) no read outside the buffer. */
static void test_modinfo_malformed(void **state)
{
	struct collected c = { 0 };
	unsigned char *copy;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;

	(void)state;
	assert_int_equal(modinfo_foreach("", 0, "alias", collect, &c), -EBADMSG);
	assert_int_equal(modinfo_foreach("\177ELF", 4, "alias", collect, &c), -EBADMSG);
	/* cut inside the section headers (near the end, before the signature) */
	assert_int_equal(
		modinfo_foreach(plain, ((Elf64_Ehdr *)plain)->e_shoff + 10, "alias", collect, &c),
		-EBADMSG);

	copy = malloc(plain_len);
	assert_non_null(copy);
	eh = (Elf64_Ehdr *)copy;
	sh = (Elf64_Shdr *)(copy + ((Elf64_Ehdr *)plain)->e_shoff);

	memcpy(copy, plain, plain_len);
	eh->e_shnum = 0xffff;
	assert_int_equal(modinfo_foreach(copy, plain_len, "alias", collect, &c), -EBADMSG);

	memcpy(copy, plain, plain_len);
	eh->e_shstrndx = eh->e_shnum;
	assert_int_equal(modinfo_foreach(copy, plain_len, "alias", collect, &c), -EBADMSG);

	memcpy(copy, plain, plain_len);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	assert_int_equal(modinfo_foreach(copy, plain_len, "alias", collect, &c), -EBADMSG);

	/* every section pointing past the end: .modinfo among them */
	memcpy(copy, plain, plain_len);
	for (int i = 0; i < eh->e_shnum; i++)
		if (i != eh->e_shstrndx)
			sh[i].sh_offset = plain_len - 4;
	assert_int_equal(modinfo_foreach(copy, plain_len, "alias", collect, &c), -EBADMSG);

	/* names out of the string table are skipped: no .modinfo, nothing found */
	memcpy(copy, plain, plain_len);
	for (int i = 0; i < eh->e_shnum; i++)
		sh[i].sh_name = 0xfffffff0u;
	memset(&c, 0, sizeof(c));
	assert_int_equal(modinfo_foreach(copy, plain_len, "alias", collect, &c), 0);
	assert_int_equal(c.n, 0);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_format),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_modinfo),
		cmocka_unit_test(test_modinfo_malformed),
	};

	log_set_max_level(0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
