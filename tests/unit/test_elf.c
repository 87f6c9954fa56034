// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The --install ELF reader on hand-made images: the shapes a real linker
 * never writes (repeated PT_INTERP and DT_RUNPATH, program headers at an
 * odd offset, files cut short) must neither leak nor read out of bounds or
 * misaligned.  ASan and UBSan turn either into a failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elfdeps.h"

/* What one image holds; every offset is chosen by the builder. */
struct spec {
	size_t phoff;		/* where the program headers start */
	const char *interp[2];	/* PT_INTERP strings, NULL for none */
	const char *needed[2];	/* DT_NEEDED */
	const char *runpath[2]; /* DT_RUNPATH */
	int dyn_misalign;	/* bytes added to the dynamic array's offset */
};

struct img {
	unsigned char b[4096];
	size_t len;
};

static char dir[64];

static size_t put_bytes(struct img *m, const void *p, size_t n)
{
	size_t at = m->len;

	assert_true(at + n <= sizeof(m->b));
	memcpy(m->b + at, p, n);
	m->len += n;
	return at;
}

static size_t put_str(struct img *m, const char *s)
{
	return put_bytes(m, s, strlen(s) + 1);
}

/* The string table holds every name; @off[i] gets each one's offset in it. */
static void build(struct img *m, const struct spec *s)
{
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				       EV_CURRENT },
			  .e_type = ET_EXEC,
			  .e_machine = EM_X86_64,
			  .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr) };
	Elf64_Phdr ph[8];
	Elf64_Dyn dyn[8];
	size_t nph = 0, nd = 0, strtab, interp[2] = { 0 }, names[4] = { 0 }, dynoff;

	memset(m, 0, sizeof(*m));
	memset(ph, 0, sizeof(ph));
	memset(dyn, 0, sizeof(dyn));
	m->len = s->phoff + 8 * sizeof(Elf64_Phdr); /* room for the headers */
	for (int i = 0; i < 2; i++)
		if (s->interp[i])
			interp[i] = put_str(m, s->interp[i]);
	strtab = put_bytes(m, "", 1);
	for (int i = 0; i < 2; i++) {
		if (s->needed[i])
			names[i] = put_str(m, s->needed[i]) - strtab;
		if (s->runpath[i])
			names[2 + i] = put_str(m, s->runpath[i]) - strtab;
	}
	m->len = (m->len + 7) / 8 * 8 + (size_t)s->dyn_misalign;
	dyn[nd++] = (Elf64_Dyn){ .d_tag = DT_STRTAB, .d_un.d_ptr = strtab };
	for (int i = 0; i < 2; i++) {
		if (s->needed[i])
			dyn[nd++] = (Elf64_Dyn){ .d_tag = DT_NEEDED, .d_un.d_val = names[i] };
		if (s->runpath[i])
			dyn[nd++] = (Elf64_Dyn){ .d_tag = DT_RUNPATH, .d_un.d_val = names[2 + i] };
	}
	dyn[nd++] = (Elf64_Dyn){ .d_tag = DT_NULL };
	dynoff = put_bytes(m, dyn, nd * sizeof(*dyn));
	/* one PT_LOAD maps the whole file at address 0: addresses are offsets */
	ph[nph++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_filesz = m->len, .p_memsz = m->len };
	for (int i = 0; i < 2; i++)
		if (s->interp[i])
			ph[nph++] = (Elf64_Phdr){ .p_type = PT_INTERP,
						  .p_offset = interp[i],
						  .p_filesz = strlen(s->interp[i]) + 1 };
	ph[nph++] = (Elf64_Phdr){ .p_type = PT_DYNAMIC,
				  .p_offset = dynoff,
				  .p_filesz = nd * sizeof(*dyn) };
	ph[0].p_filesz = ph[0].p_memsz = m->len;
	eh.e_phoff = s->phoff;
	eh.e_phnum = (Elf64_Half)nph;
	memcpy(m->b, &eh, sizeof(eh));
	memcpy(m->b + s->phoff, ph, nph * sizeof(*ph));
}

static void write_file(const char *rel, const void *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static char *at(const char *rel)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, rel);
	return buf[i];
}

/* A library: an ELF image with nothing to load beyond itself. */
static void write_lib(const char *rel)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr) };
	struct img m;

	build(&m, &s);
	write_file(rel, m.b, m.len);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	char path[128];

	(void)state;
	strcpy(dir, "/tmp/rdinit-elf-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/lib1", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/lib2", dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	write_lib("ld.so");
	write_lib("other-ld.so");
	write_lib("lib1/libone.so");
	write_lib("lib2/libtwo.so");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static bool set_has(const struct elf_set *set, const char *path)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->paths[i], path))
			return true;
	return false;
}

/* Write @s as "prog" and collect it; 0 or -errno, the set in *@set. */
static int collect(const struct spec *s, struct elf_set *set)
{
	struct mk_err err = { { 0 } };
	struct img m;

	build(&m, s);
	write_file("prog", m.b, m.len);
	*set = (struct elf_set){ 0 };
	return elf_collect(set, "", at("prog"), &err);
}

static void test_plain(void **state)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr),
			  .interp = { at("ld.so") },
			  .needed = { "libone.so" },
			  .runpath = { at("lib1") } };
	struct elf_set set;

	(void)state;
	assert_int_equal(collect(&s, &set), 0);
	assert_int_equal(set.n, 3);
	assert_true(set_has(&set, at("prog")));
	assert_true(set_has(&set, at("ld.so")));
	assert_true(set_has(&set, at("lib1/libone.so")));
	elf_set_free(&set);
}

/* The kernel maps the first PT_INTERP; a second one is ignored, not leaked. */
static void test_repeated_interp(void **state)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr),
			  .interp = { at("ld.so"), at("other-ld.so") } };
	struct elf_set set;

	(void)state;
	assert_int_equal(collect(&s, &set), 0);
	assert_true(set_has(&set, at("ld.so")));
	assert_false(set_has(&set, at("other-ld.so")));
	elf_set_free(&set);
}

/* glibc keeps the last DT_RUNPATH (and DT_RPATH) it sees; the first must not leak. */
static void test_repeated_runpath(void **state)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr),
			  .needed = { "libtwo.so" },
			  .runpath = { at("lib1"), at("lib2") } };
	struct elf_set set;

	(void)state;
	assert_int_equal(collect(&s, &set), 0);
	assert_true(set_has(&set, at("lib2/libtwo.so")));
	elf_set_free(&set);
}

/* Nothing says headers are aligned in the file: read them without assuming it. */
static void test_odd_offsets(void **state)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr) + 1,
			  .interp = { at("ld.so") },
			  .needed = { "libone.so" },
			  .runpath = { at("lib1") },
			  .dyn_misalign = 3 };
	struct elf_set set;

	(void)state;
	assert_int_equal(collect(&s, &set), 0);
	assert_true(set_has(&set, at("ld.so")));
	assert_true(set_has(&set, at("lib1/libone.so")));
	elf_set_free(&set);
}

/* Every prefix of a valid image: refused or read, never read past its end. */
static void test_truncated(void **state)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr) + 5,
			  .interp = { at("ld.so") },
			  .needed = { "libone.so" },
			  .runpath = { at("lib1") },
			  .dyn_misalign = 1 };
	struct img m;

	(void)state;
	build(&m, &s);
	for (size_t len = 0; len < m.len; len++) {
		struct mk_err err = { { 0 } };
		struct elf_set set = { 0 };
		int r;

		write_file("prog", m.b, len);
		r = elf_collect(&set, "", at("prog"), &err);
		if (r != 0 && r != -ENOEXEC && r != -ENOENT)
			fail_msg("length %zu: %d (%s)", len, r, err.msg);
		if (len < sizeof(Elf64_Ehdr))
			assert_int_equal(r, -ENOEXEC);
		elf_set_free(&set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_repeated_interp),
		cmocka_unit_test(test_repeated_runpath),
		cmocka_unit_test(test_odd_offsets),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
