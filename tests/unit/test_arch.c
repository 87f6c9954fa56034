// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mkrdinit's table of architectures: every name and alias --arch takes leads to its row,
 * each row's ELF machine back to it, and each has defaults of its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/utsname.h>

#include <cmocka.h>

#include "arch.h"

static void test_by_name(void **state)
{
	const struct arch *x86 = arch_by_name("x86_64"), *arm = arch_by_name("arm64");

	(void)state;
	assert_non_null(x86);
	assert_non_null(arm);
	assert_ptr_not_equal(x86, arm);
	assert_int_equal(x86->machine, EM_X86_64);
	assert_int_equal(arm->machine, EM_AARCH64);
	/* Debian's and the GNU triplet's names */
	assert_ptr_equal(arch_by_name("amd64"), x86);
	assert_ptr_equal(arch_by_name("x86-64"), x86);
	assert_ptr_equal(arch_by_name("aarch64"), arm);
	assert_null(arch_by_name("i386"));
	assert_null(arch_by_name("arm"));
	assert_null(arch_by_name("ARM64"));
	assert_null(arch_by_name(""));
}

static void test_by_machine(void **state)
{
	(void)state;
	assert_string_equal(arch_by_machine(EM_X86_64)->name, "x86_64");
	assert_string_equal(arch_by_machine(EM_AARCH64)->name, "arm64");
	assert_null(arch_by_machine(EM_386));
	assert_null(arch_by_machine(EM_ARM));
	assert_null(arch_by_machine(EM_NONE));
}

/* Each row: its own machine, name, defaults and make command; every alias its own. */
static void test_table(void **state)
{
	size_t n;
	const struct arch *v = arch_all(&n);

	(void)state;
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(arch_by_name(v[i].name), &v[i]);
		assert_ptr_equal(arch_by_machine(v[i].machine), &v[i]);
		for (size_t j = 0; j < sizeof(v[i].aliases) / sizeof(v[i].aliases[0]); j++)
			if (v[i].aliases[j])
				assert_ptr_equal(arch_by_name(v[i].aliases[j]), &v[i]);
		assert_non_null(strstr(v[i].make, "make"));
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(v[i].init, v[j].init);
			assert_string_not_equal(v[i].stacks_dir, v[j].stacks_dir);
			assert_string_not_equal(v[i].make, v[j].make);
		}
	}
}

/* The build's paths (the Makefile's -D), or make install's when none are given. */
static void test_defaults(void **state)
{
	const struct arch *x86 = arch_by_name("x86_64"), *arm = arch_by_name("arm64");

	(void)state;
	assert_string_equal(x86->init, RDINIT_INIT_PATH);
	assert_string_equal(x86->stacks_dir, RDINIT_STACKS_DIR);
	assert_string_equal(arm->init, RDINIT_INIT_PATH_ARM64);
	assert_string_equal(arm->stacks_dir, RDINIT_STACKS_DIR_ARM64);
	assert_string_equal(arm->make, "make ARCH=arm64");
	assert_true(x86->microcode);
	assert_false(arm->microcode);
}

/* uname's machine, through the same lookup as --arch. */
static void test_host(void **state)
{
	struct utsname u;
	const char *m = NULL;
	const struct arch *a;

	(void)state;
	assert_int_equal(uname(&u), 0);
	a = arch_host(&m);
	assert_non_null(m);
	assert_string_equal(m, u.machine);
	assert_ptr_equal(a, arch_by_name(u.machine));
#if defined(__x86_64__)
	assert_non_null(a);
	assert_string_equal(a->name, "x86_64");
#endif
	assert_ptr_equal(arch_host(NULL), a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_name), cmocka_unit_test(test_by_machine),
		cmocka_unit_test(test_table),	cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
