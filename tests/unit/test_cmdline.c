// SPDX-License-Identifier: LGPL-2.1-or-later
/* The kernel command line parser: words, quoting, precedence, and bad values. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"

static struct rdinit_opts parse(const char *cmdline)
{
	struct rdinit_opts o;

	opts_init(&o);
	assert_int_equal(cmdline_parse(cmdline, &o), 0);
	return o;
}

static void test_defaults(void **state)
{
	struct rdinit_opts o = parse("");

	assert_null(o.root);
	assert_true(o.ro);
	assert_int_equal(o.timeout, 30);
	assert_int_equal(o.hook_timeout, 30);
	assert_int_equal(o.panic, 0);
	assert_false(o.rootwait);
	assert_null(o.init);
	opts_free(&o);
}

static void test_typical(void **state)
{
	struct rdinit_opts o = parse("BOOT_IMAGE=/vmlinuz root=UUID=abcd-1234 rootfstype=ext4,xfs "
				     "rootflags=noatime,data=ordered rw init=/lib/systemd/systemd "
				     "rootwait rootdelay=5 panic=-1 quiet rdinit.timeout=7 "
				     "console=tty0 console=ttyS0,115200n8");

	assert_string_equal(o.root, "UUID=abcd-1234");
	assert_string_equal(o.rootfstype, "ext4,xfs");
	assert_string_equal(o.rootflags, "noatime,data=ordered");
	assert_string_equal(o.init, "/lib/systemd/systemd");
	assert_string_equal(o.console, "ttyS0");
	assert_false(o.ro);
	assert_true(o.rootwait);
	assert_int_equal(o.rootdelay, 5);
	assert_int_equal(o.panic, -1);
	assert_true(o.quiet);
	assert_false(o.debug);
	assert_int_equal(o.timeout, 7);
	opts_free(&o);
}

static void test_last_wins(void **state)
{
	struct rdinit_opts o = parse("root=/dev/sda1 rw ro root=LABEL=x");

	assert_string_equal(o.root, "LABEL=x");
	assert_true(o.ro);
	opts_free(&o);
	o = parse("ro rw");
	assert_false(o.ro);
	opts_free(&o);
}

static void test_quotes(void **state)
{
	struct rdinit_opts o = parse("root=\"LABEL=my root\" rootflags=\"a b\" \"quiet\"");

	assert_string_equal(o.root, "LABEL=my root");
	assert_string_equal(o.rootflags, "a b");
	assert_true(o.quiet);
	opts_free(&o);
}

static void test_unbalanced_quote(void **state)
{
	/* as the kernel: an open quote runs to the end of the line */
	struct rdinit_opts o = parse("root=\"LABEL=x rw");

	assert_string_equal(o.root, "LABEL=x rw");
	assert_true(o.ro);
	opts_free(&o);
}

static void test_double_dash(void **state)
{
	struct rdinit_opts o = parse("root=/dev/vda -- rw root=/dev/vdb");

	assert_string_equal(o.root, "/dev/vda");
	assert_true(o.ro);
	opts_free(&o);
}

static void test_bad_values_ignored(void **state)
{
	struct rdinit_opts o = parse("panic=abc rdinit.timeout=-1 rootdelay= rootdelay=3x root "
				     "rdinit.timeout=1x panic= rdinit.workers=0");

	assert_int_equal(o.panic, 0);
	assert_int_equal(o.timeout, 30);
	assert_int_equal(o.rootdelay, 0);
	assert_int_equal(o.workers, 0);
	assert_null(o.root);
	opts_free(&o);
}

/* rdinit.hook_timeout=: seconds, 0 for no limit, bad values ignored, capped as waits are */
static void test_hook_timeout(void **state)
{
	struct rdinit_opts o = parse("rdinit.hook_timeout=5");

	assert_int_equal(o.hook_timeout, 5);
	opts_free(&o);
	o = parse("rdinit.hook_timeout=0");
	assert_int_equal(o.hook_timeout, 0);
	opts_free(&o);
	o = parse("rdinit.hook_timeout=-1 rdinit.hook_timeout=x rdinit.hook_timeout");
	assert_int_equal(o.hook_timeout, 30);
	opts_free(&o);
	o = parse("rdinit.hook_timeout=99999999999");
	assert_int_equal(o.hook_timeout, RDINIT_MAX_WAIT);
	opts_free(&o);
}

/*
 * Waits are capped where they are parsed: rootdelay=4294968 used to wrap to 0.7 s once
 * multiplied by 1000, rdinit.timeout=2147484 to a negative wait, that is for ever.
 */
static void test_waits_capped(void **state)
{
	struct rdinit_opts o = parse("rootdelay=4294968 rdinit.timeout=2147484");

	assert_int_equal(o.rootdelay, RDINIT_MAX_WAIT);
	assert_int_equal(o.timeout, RDINIT_MAX_WAIT);
	assert_true(wait_seconds(&o) * 1000LL <= INT_MAX);
	opts_free(&o);
	o = parse("rdinit.timeout=99999999999999999999999 rootdelay=2000000");
	assert_int_equal(o.timeout, RDINIT_MAX_WAIT);
	assert_int_equal(o.rootdelay, 2000000);
	opts_free(&o);
}

static void test_resume(void **state)
{
	struct rdinit_opts o = parse("resume=UUID=1234 resume_offset=34816 noresume");

	assert_string_equal(o.resume, "UUID=1234");
	assert_string_equal(o.resume_offset, "34816");
	assert_true(o.noresume);
	opts_free(&o);
	o = parse("resume=/dev/vdb resume_offset=12x resume_offset=-1");
	assert_string_equal(o.resume, "/dev/vdb");
	assert_null(o.resume_offset);
	assert_false(o.noresume);
	opts_free(&o);
}

static void test_test_switches(void **state)
{
	struct rdinit_opts o = parse("rdinit.workers=1 rdinit.keep_initramfs");

	assert_int_equal(o.workers, 1);
	assert_true(o.keep_initramfs);
	opts_free(&o);
}

/* -EFBIG: nothing left for the caller to free (it used to get a freed pointer back) */
static void test_read_trimmed_too_big(void **state)
{
	char path[] = "/tmp/rdinit-big-XXXXXX", *out = (char *)path;
	static char block[64 * 1024];
	int fd = mkstemp(path), i;

	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	for (i = 0; i < 20; i++)
		assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	close(fd);
	assert_int_equal(read_trimmed_file(path, &out), -EFBIG);
	assert_null(out);
	unlink(path);
}

static void test_flags_with_values_ignored(void **state)
{
	/* "rw=1" is not "rw" */
	struct rdinit_opts o = parse("rw=1 rootwait=0 quiet=no");

	assert_true(o.ro);
	assert_false(o.rootwait);
	assert_false(o.quiet);
	opts_free(&o);
}

static void test_empty_root_value(void **state)
{
	struct rdinit_opts o = parse("root= rw");

	/* kept verbatim: the root= resolver reports it as unusable */
	assert_non_null(o.root);
	assert_string_equal(o.root, "");
	opts_free(&o);
}

static void test_whitespace(void **state)
{
	struct rdinit_opts o = parse("  \t root=/dev/vda\t\trw  \n");

	assert_string_equal(o.root, "/dev/vda");
	assert_false(o.ro);
	opts_free(&o);
}

static void test_overlong(void **state)
{
	size_t n = 200000, i;
	char *buf = malloc(n + 32);
	struct rdinit_opts o;

	assert_non_null(buf);
	strcpy(buf, "root=LABEL=");
	for (i = strlen(buf); i < n; i++)
		buf[i] = (i % 97) ? 'a' : ' ';
	strcpy(buf + n, " rw");
	o = parse(buf);
	assert_non_null(o.root);
	assert_false(o.ro);
	opts_free(&o);
	free(buf);
}

static void test_onfail_and_break(void **state)
{
	struct rdinit_opts o = parse("rdinit.onfail=halt rdinit.break=root,switch");

	assert_int_equal(o.onfail, ONFAIL_HALT);
	assert_int_equal(o.breaks, (1u << STAGE_ROOT) | (1u << STAGE_SWITCH));
	opts_free(&o);
	o = parse(
		"rdinit.onfail=shell rdinit.onfail=explode rdinit.break rdinit.break=nope,cmdline");
	assert_int_equal(o.onfail, ONFAIL_SHELL); /* the bad value left the good one alone */
	assert_int_equal(o.breaks, (1u << STAGE_MOUNT) | (1u << STAGE_CMDLINE));
	opts_free(&o);
	o = parse("rdinit.onfail= rdinit.break=,,");
	assert_int_equal(o.onfail, ONFAIL_DEFAULT);
	assert_int_equal(o.breaks, 0);
	opts_free(&o);
}

static void test_ram_mode(void **state)
{
	struct rdinit_opts o = parse("rdinit.mode=ram rdinit.ramsize=512M");

	assert_true(o.ram);
	assert_string_equal(o.ramsize, "512M");
	opts_free(&o);
	o = parse("rdinit.ramsize=50% rdinit.mode=ram rdinit.mode=auto");
	assert_false(o.ram);
	assert_string_equal(o.ramsize, "50%");
	opts_free(&o);
	o = parse("rdinit.ramsize=1048576 rdinit.ramsize=64x rdinit.ramsize=M "
		  "rdinit.ramsize=5GB rdinit.ramsize=-1 rdinit.ramsize= rdinit.mode=disk");
	assert_string_equal(o.ramsize, "1048576"); /* the bad values left the good one alone */
	assert_false(o.ram);
	opts_free(&o);
	o = parse("rdinit.ramsize=12345678901234567890k rdinit.mode");
	assert_null(o.ramsize);
	assert_false(o.ram);
	opts_free(&o);
}

static void test_next_words(void **state)
{
	char buf[] = "a=1 \"b c\" d=\"e f\" g";
	char *p = buf, *k, *v;

	p = cmdline_next(p, &k, &v);
	assert_string_equal(k, "a");
	assert_string_equal(v, "1");
	p = cmdline_next(p, &k, &v);
	assert_string_equal(k, "b c");
	assert_null(v);
	p = cmdline_next(p, &k, &v);
	assert_string_equal(k, "d");
	assert_string_equal(v, "e f");
	p = cmdline_next(p, &k, &v);
	assert_string_equal(k, "g");
	assert_null(v);
	assert_string_equal(p, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_typical),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_unbalanced_quote),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_bad_values_ignored),
		cmocka_unit_test(test_waits_capped),
		cmocka_unit_test(test_hook_timeout),
		cmocka_unit_test(test_test_switches),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_read_trimmed_too_big),
		cmocka_unit_test(test_flags_with_values_ignored),
		cmocka_unit_test(test_empty_root_value),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_onfail_and_break),
		cmocka_unit_test(test_ram_mode),
		cmocka_unit_test(test_next_words),
	};

	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
