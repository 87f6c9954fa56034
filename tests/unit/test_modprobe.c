// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's module requests (modprobe.c) on a file standing in for
 * /proc/sys/kernel/modprobe: taken over with /init, and given back as it was, an empty
 * path (a kernel built to ask no program) included.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"

/* ---- what modprobe mode calls of libkmod's side -------------------------------------- */

int modules_init(struct modules *m, const char *root, const char *kver)
{
	return -ENOSYS;
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	return 0;
}

void modules_exit(struct modules *m)
{
}

/* ---- tests -------------------------------------------------------------------------- */

static char sysctl[64];

static int setup(void **state)
{
	int fd;

	snprintf(sysctl, sizeof(sysctl), "/tmp/rdinit-modprobe-XXXXXX");
	fd = mkstemp(sysctl);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	return unlink(sysctl);
}

static void put(const char *text)
{
	FILE *f = fopen(sysctl, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* what the kernel would take from the file: up to the first newline, as proc_dostring */
static const char *kernel_value(void)
{
	static char buf[256];
	FILE *f = fopen(sysctl, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void test_give_back(void **state)
{
	put("/sbin/modprobe\n");
	assert_int_equal(modprobe_take_over_at(sysctl, "/init"), 0);
	assert_string_equal(kernel_value(), "/init");
	assert_int_equal(modprobe_give_back_at(sysctl), 0);
	assert_string_equal(kernel_value(), "/sbin/modprobe");
}

/* an empty path is a value to put back like any other, not a failed take-over */
static void test_give_back_empty(void **state)
{
	put("\n");
	assert_int_equal(modprobe_take_over_at(sysctl, "/init"), 0);
	assert_string_equal(kernel_value(), "/init");
	assert_int_equal(modprobe_give_back_at(sysctl), 0);
	assert_string_equal(kernel_value(), "");
}

/* a sysctl that cannot be written: nothing taken over, so nothing to give back */
static void test_not_taken(void **state)
{
	char missing[128];

	snprintf(missing, sizeof(missing), "%s.missing/modprobe", sysctl);
	assert_int_equal(modprobe_take_over_at(missing, "/init"), -ENOENT);
	put("/sbin/modprobe\n");
	assert_int_equal(modprobe_give_back_at(sysctl), 0);
	assert_string_equal(kernel_value(), "/sbin/modprobe");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_give_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_back_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_taken, setup, teardown),
	};

	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("modprobe", tests, NULL, NULL);
}
