// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The --install ELF reader on hand-made images: the shapes a real linker
 * never writes (repeated PT_INTERP and DT_RUNPATH, program headers at an
 * odd offset, files cut short) must neither leak nor read out of bounds or
 * misaligned.  ASan and UBSan turn either into a failure.  And the machine
 * check: what a header says a file is for, named in messages, and objects
 * for another machine than the image's refused.
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

#include "elf.h"

/* What one image holds; every offset is chosen by the builder. */
struct spec {
	size_t phoff;		/* where the program headers start */
	const char *interp[2];	/* PT_INTERP strings, NULL for none */
	const char *needed[2];	/* DT_NEEDED */
	const char *runpath[2]; /* DT_RUNPATH */
	int dyn_misalign;	/* bytes added to the dynamic array's offset */
	uint16_t machine;	/* EM_*; 0 for EM_X86_64 */
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
			  .e_machine = s->machine ? s->machine : EM_X86_64,
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

/* A library for @machine (0: x86-64): an ELF image with nothing to load beyond itself. */
static void write_lib_for(const char *rel, uint16_t machine)
{
	struct spec s = { .phoff = sizeof(Elf64_Ehdr), .machine = machine };
	struct img m;

	build(&m, &s);
	write_file(rel, m.b, m.len);
}

static void write_lib(const char *rel)
{
	write_lib_for(rel, 0);
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
	write_lib_for("ld-arm64.so", EM_AARCH64);
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

/* Write @s as "prog" and collect it for an @arch image; 0 or -errno, the set in *@set. */
static int collect_for(const struct spec *s, struct elf_set *set, uint16_t machine,
		       const char *arch, struct mk_err *err)
{
	struct img m;

	build(&m, s);
	write_file("prog", m.b, m.len);
	*set = (struct elf_set){ .machine = machine, .arch = arch };
	return elf_collect(set, "", at("prog"), err);
}

static int collect(const struct spec *s, struct elf_set *set)
{
	struct mk_err err = { { 0 } };

	return collect_for(s, set, EM_X86_64, "x86_64", &err);
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
		struct elf_set set = { .machine = EM_X86_64, .arch = "x86_64" };
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

/* The first 20 bytes of an ELF header: e_ident, e_type, e_machine in byte order @data. */
static void header(unsigned char *b, unsigned char class, unsigned char data, uint16_t machine)
{
	memset(b, 0, 20);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = class;
	b[EI_DATA] = data;
	b[EI_VERSION] = EV_CURRENT;
	b[16] = ET_EXEC;
	b[18] = data == ELFDATA2LSB ? (unsigned char)machine : (unsigned char)(machine >> 8);
	b[19] = data == ELFDATA2LSB ? (unsigned char)(machine >> 8) : (unsigned char)machine;
}

/* Either class and byte order is read; what is not an ELF header is -ENOEXEC. */
static void test_kind_parse(void **state)
{
	unsigned char b[20];
	struct elf_kind k;

	(void)state;
	header(b, ELFCLASS64, ELFDATA2LSB, EM_AARCH64);
	assert_int_equal(elf_kind_parse(&k, b, sizeof(b)), 0);
	assert_int_equal(k.machine, EM_AARCH64);
	assert_int_equal(k.class, ELFCLASS64);
	assert_true(elf_kind_is(&k, EM_AARCH64));
	assert_false(elf_kind_is(&k, EM_X86_64));
	header(b, ELFCLASS32, ELFDATA2MSB, EM_PPC);
	assert_int_equal(elf_kind_parse(&k, b, sizeof(b)), 0);
	assert_int_equal(k.machine, EM_PPC);
	assert_int_equal(k.data, ELFDATA2MSB);
	assert_false(elf_kind_is(&k, EM_PPC)); /* not what an image runs */
	/* an x32 program is x86-64's machine, but 32-bit */
	header(b, ELFCLASS32, ELFDATA2LSB, EM_X86_64);
	assert_int_equal(elf_kind_parse(&k, b, sizeof(b)), 0);
	assert_false(elf_kind_is(&k, EM_X86_64));
	assert_int_equal(elf_kind_parse(&k, b, 19), -ENOEXEC);
	header(b, 3, ELFDATA2LSB, EM_X86_64);
	assert_int_equal(elf_kind_parse(&k, b, sizeof(b)), -ENOEXEC);
	header(b, ELFCLASS64, ELFDATA2LSB, EM_X86_64);
	b[0] = '#';
	assert_int_equal(elf_kind_parse(&k, b, sizeof(b)), -ENOEXEC);
}

static void test_kind_describe(void **state)
{
	static const struct {
		unsigned char class, data;
		uint16_t machine;
		const char *noun, *want;
	} cases[] = {
		{ ELFCLASS64, ELFDATA2LSB, EM_X86_64, "program", "an x86-64 program" },
		{ ELFCLASS64, ELFDATA2LSB, EM_AARCH64, "module", "an aarch64 module" },
		{ ELFCLASS32, ELFDATA2LSB, EM_386, "program", "an i386 program" },
		{ ELFCLASS32, ELFDATA2LSB, EM_ARM, "library", "an ARM library" },
		{ ELFCLASS32, ELFDATA2LSB, EM_X86_64, "program", "a 32-bit x86-64 program" },
		{ ELFCLASS64, ELFDATA2MSB, EM_AARCH64, "program", "a big-endian aarch64 program" },
		{ ELFCLASS64, ELFDATA2LSB, 4660, "program", "a program for ELF machine 4660" },
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_kind k = { cases[i].machine, cases[i].class, cases[i].data };

		assert_string_equal(elf_kind_describe(&k, cases[i].noun, buf, sizeof(buf)),
				    cases[i].want);
	}
	/* cut short, never overrun */
	{
		struct elf_kind k = { EM_X86_64, ELFCLASS64, ELFDATA2LSB };

		assert_string_equal(elf_kind_describe(&k, "program", buf, 6), "an x8");
	}
}

/* A program of another machine is refused with both named; a script or a match passes. */
static void test_check_machine(void **state)
{
	struct mk_err err = { { 0 } };
	char want[512];
	unsigned char b[64] = { 0 };

	(void)state;
	header(b, ELFCLASS64, ELFDATA2LSB, EM_X86_64);
	write_file("x86prog", b, sizeof(b));
	assert_int_equal(elf_check_machine("--install", at("x86prog"), EM_X86_64, "x86_64", &err),
			 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(elf_check_machine("--install", at("x86prog"), EM_AARCH64, "arm64", &err),
			 -ENOEXEC);
	snprintf(want, sizeof(want), "--install %s: an x86-64 program, but the image is for arm64",
		 at("x86prog"));
	assert_string_equal(err.msg, want);
	mk_err_clear(&err);
	write_file("script", "#!/bin/sh\nexit 0\n", 17);
	assert_int_equal(elf_check_machine("--hook", at("script"), EM_AARCH64, "arm64", &err), 0);
	/* shorter than an ELF header: no ELF file, so nothing to refuse */
	write_file("tiny", "\177EL", 3);
	assert_int_equal(elf_check_machine("--hook", at("tiny"), EM_AARCH64, "arm64", &err), 0);
	assert_int_equal(elf_check_machine("--init", at("nofile"), EM_AARCH64, "arm64", &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "No such file"));
}

/* elf_collect() refuses a program, or a library it names by path, of another machine. */
static void test_collect_machine(void **state)
{
	char ld[256], ld_arm[256], lib1[256], prog[256], want[512];
	struct spec x86 = { .phoff = sizeof(Elf64_Ehdr) };
	struct spec arm = { .phoff = sizeof(Elf64_Ehdr), .machine = EM_AARCH64 };
	struct mk_err err = { { 0 } };
	struct elf_set set;

	(void)state;
	/* at()'s buffers are reused: keep copies */
	snprintf(ld, sizeof(ld), "%s", at("ld.so"));
	snprintf(ld_arm, sizeof(ld_arm), "%s", at("ld-arm64.so"));
	snprintf(lib1, sizeof(lib1), "%s", at("lib1"));
	snprintf(prog, sizeof(prog), "%s", at("prog"));
	assert_int_equal(collect_for(&x86, &set, EM_AARCH64, "arm64", &err), -ENOEXEC);
	snprintf(want, sizeof(want), "--install %s: an x86-64 program, but the image is for arm64",
		 prog);
	assert_string_equal(err.msg, want);
	elf_set_free(&set);
	/* an aarch64 program whose interpreter is x86-64's */
	mk_err_clear(&err);
	arm.interp[0] = ld;
	assert_int_equal(collect_for(&arm, &set, EM_AARCH64, "arm64", &err), -ENOEXEC);
	snprintf(want, sizeof(want), "--install %s: an x86-64 library, but the image is for arm64",
		 ld);
	assert_string_equal(err.msg, want);
	elf_set_free(&set);
	mk_err_clear(&err);
	arm.interp[0] = ld_arm;
	assert_int_equal(collect_for(&arm, &set, EM_AARCH64, "arm64", &err), 0);
	assert_true(set_has(&set, ld_arm));
	assert_int_equal(set.n, 2);
	elf_set_free(&set);
	/* a library searched for by name is only found for the program's machine */
	mk_err_clear(&err);
	arm.interp[0] = NULL;
	arm.needed[0] = "libone.so";
	arm.runpath[0] = lib1;
	assert_int_equal(collect_for(&arm, &set, EM_AARCH64, "arm64", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "needed library libone.so not found"));
	elf_set_free(&set);
	/* no machine set: a caller's mistake, not "any machine" */
	set = (struct elf_set){ 0 };
	assert_int_equal(elf_collect(&set, "", prog, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_repeated_interp),
		cmocka_unit_test(test_repeated_runpath),
		cmocka_unit_test(test_odd_offsets),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test(test_kind_describe),
		cmocka_unit_test(test_check_machine),
		cmocka_unit_test(test_collect_machine),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
