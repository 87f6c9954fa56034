// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c: one line per record, and rdinit's own rate limit (a failure loop must not flood the
 * kernel log), which rdinit.debug lifts.
 */
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

static char path[] = "/tmp/rdinit-test-log-XXXXXX";
static int fd = -1;

static int lines(void)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static const char *last_line(void)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	char *p;

	if (f)
		fclose(f);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	p = strrchr(buf, '\n');
	return p ? p + 1 : buf;
}

static void test_records(void **state)
{
	assert_int_equal(log_open_kmsg(path), 0); /* a file in the place of /dev/kmsg */
	log_set_max_level(LOG_LVL_INFO);
	log_info("one\n\n"); /* libkmod brings its own newlines */
	log_debug("not at info level");
	assert_int_equal(lines(), 1);
}

/*
 * A burst: the first 200 records in 5 s go out, the rest are counted, not written, and the
 * count is said. The file is opened anew every 10 records (the kernel's budget per open
 * /dev/kmsg file), and no record is lost to that.
 */
static void test_rate_limit(void **state)
{
	int i, before = lines();

	for (i = 0; i < 300; i++)
		log_warn("record %d", i);
	assert_int_equal(lines() - before, 199); /* test_records used one */
	log_flush_suppressed();
	assert_int_equal(lines() - before, 200);
	assert_non_null(strstr(last_line(), "101 messages suppressed"));
	/* what the user must see is never held back */
	log_tell(LOG_LVL_ERR, "the report");
	assert_non_null(strstr(last_line(), "rdinit: the report"));
}

/* rdinit.debug asked for everything. */
static void test_debug_unlimited(void **state)
{
	int i, before = lines();

	log_set_max_level(LOG_LVL_DEBUG);
	for (i = 0; i < 300; i++)
		log_warn("record %d", i);
	before = lines();
	for (i = 0; i < 100; i++)
		log_debug("record %d", i);
	assert_int_equal(lines() - before, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_debug_unlimited),
	};
	int r;

	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	r = cmocka_run_group_tests_name("log", tests, NULL, NULL);
	unlink(path);
	return r;
}
