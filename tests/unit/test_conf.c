// SPDX-License-Identifier: LGPL-2.1-or-later
/* /etc/rdinit.conf: settings, comments, bad lines with their numbers, and precedence. */
#include <errno.h>
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

static char logbuf[65536];
static FILE *log_file;

static int setup(void **state)
{
	log_file = tmpfile();
	log_set_fd(fileno(log_file), false);
	return log_file ? 0 : -1;
}

static const char *logged(void)
{
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, log_file);
	logbuf[n] = '\0';
	rewind(log_file);
	(void)!ftruncate(fileno(log_file), 0);
	return logbuf;
}

static void test_settings(void **state)
{
	static const char text[] = "# rdinit.conf\n"
				   "root=LABEL=system\n"
				   "  rootfstype = xfs   # trailing comment\n"
				   "rootflags=\"noatime,nodiscard\"\n"
				   "rw\n"
				   "\n"
				   "rdinit.timeout=12\n"
				   "panic=5\n";
	struct rdinit_opts o;

	opts_init(&o);
	assert_int_equal(conf_parse(text, sizeof(text) - 1, "t.conf", &o), 0);
	assert_string_equal(o.root, "LABEL=system");
	assert_string_equal(o.rootfstype, "xfs");
	assert_string_equal(o.rootflags, "noatime,nodiscard");
	assert_false(o.ro);
	assert_int_equal(o.timeout, 12);
	assert_int_equal(o.panic, 5);
	assert_string_equal(logged(), "");
	opts_free(&o);
}

static void test_cmdline_overrides(void **state)
{
	static const char text[] = "root=LABEL=system\nrw\nrdinit.timeout=12\n"
				   "rdinit.hook_timeout=7\n";
	struct rdinit_opts o;

	opts_init(&o);
	assert_int_equal(conf_parse(text, sizeof(text) - 1, "t.conf", &o), 0);
	assert_int_equal(cmdline_parse("root=UUID=1234 ro", &o), 0);
	assert_string_equal(o.root, "UUID=1234");
	assert_true(o.ro);
	assert_int_equal(o.timeout, 12); /* not on the command line: the file's value stays */
	assert_int_equal(o.hook_timeout, 7);
	assert_int_equal(cmdline_parse("rdinit.hook_timeout=2", &o), 0);
	assert_int_equal(o.hook_timeout, 2);
	opts_free(&o);
}

static void test_bad_lines_reported(void **state)
{
	static const char text[] = "root=/dev/vda\n"
				   "bogus=1\n"
				   "=nokey\n"
				   "rdinit.timeout=soon\n"
				   "bin\x01\x02ary\n"
				   "with\0nul\n"
				   "rw=yes\n"
				   "rootwait";
	struct rdinit_opts o;
	const char *log;

	opts_init(&o);
	assert_int_equal(conf_parse(text, sizeof(text) - 1, "t.conf", &o), 0);
	log = logged();
	assert_non_null(strstr(log, "t.conf:2: ignoring unknown setting 'bogus'"));
	assert_non_null(strstr(log, "t.conf:3: "));
	assert_non_null(strstr(log, "t.conf:4: ignoring a bad value for rdinit.timeout"));
	assert_non_null(strstr(log, "t.conf:5: ignoring a line that is not text"));
	assert_non_null(strstr(log, "t.conf:6: ignoring a line with a NUL byte"));
	assert_non_null(strstr(log, "t.conf:7: ignoring a bad value for rw"));
	/* the good lines around the bad ones still count */
	assert_string_equal(o.root, "/dev/vda");
	assert_int_equal(o.timeout, 30);
	assert_true(o.ro);
	assert_true(o.rootwait);
	opts_free(&o);
}

/* The /etc/rdinit.conf images get by default says it sets nothing: it must not. */
static void test_shipped_default(void **state)
{
	struct rdinit_opts o, defaults;

	opts_init(&o);
	opts_init(&defaults);
	assert_int_equal(conf_load(RDINIT_CONF_DIR "/rdinit.conf", &o), 0);
	assert_string_equal(logged(), "");
	assert_memory_equal(&o, &defaults, sizeof(o));
}

static void test_huge_line(void **state)
{
	size_t n = 100 * 1024;
	char *text = malloc(n + 64);
	struct rdinit_opts o;

	assert_non_null(text);
	memset(text, 'x', n);
	strcpy(text + n, "\nrootwait\n");
	opts_init(&o);
	assert_int_equal(conf_parse(text, strlen(text), "t.conf", &o), 0);
	assert_non_null(strstr(logged(), "t.conf:1: ignoring unknown setting"));
	assert_true(o.rootwait);
	opts_free(&o);
	free(text);
}

static void test_missing_file_is_fine(void **state)
{
	struct rdinit_opts o;

	opts_init(&o);
	assert_int_equal(conf_load("/nonexistent/rdinit.conf", &o), 0);
	assert_null(o.root);
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/rdinit-conf-XXXXXX";
	int fd = mkstemp(path);
	struct rdinit_opts o;
	static const char text[] = "rootwait\nroot=LABEL=from-file\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	opts_init(&o);
	assert_int_equal(conf_load(path, &o), 0);
	unlink(path);
	assert_true(o.rootwait);
	assert_string_equal(o.root, "LABEL=from-file");
	opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_cmdline_overrides),
		cmocka_unit_test(test_bad_lines_reported),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_shipped_default),
		cmocka_unit_test(test_missing_file_is_fine),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests_name("conf", tests, setup, NULL);
}
