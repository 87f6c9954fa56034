// SPDX-License-Identifier: LGPL-2.1-or-later
/* root= spec parsing: every form rdinit accepts, and what it must refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"

static void expect(const char *root, enum root_kind kind, const char *value)
{
	struct root_spec s;

	assert_int_equal(rootspec_parse(root, &s), 0);
	assert_int_equal(s.kind, kind);
	assert_string_equal(s.value, value);
}

static void expect_dev(const char *root, unsigned int ma, unsigned int mi)
{
	struct root_spec s;

	assert_int_equal(rootspec_parse(root, &s), 0);
	assert_int_equal(s.kind, ROOT_DEVNUM);
	assert_int_equal(s.major, ma);
	assert_int_equal(s.minor, mi);
}

static void test_tags(void **state)
{
	expect("UUID=0a1b2c3d-4e5f-6789-abcd-ef0123456789", ROOT_UUID,
	       "0a1b2c3d-4e5f-6789-abcd-ef0123456789");
	expect("LABEL=root fs", ROOT_LABEL, "root fs");
	expect("PARTUUID=1234abcd-02", ROOT_PARTUUID, "1234abcd-02");
	expect("PARTLABEL=linux", ROOT_PARTLABEL, "linux");
}

static void test_paths(void **state)
{
	expect("/dev/vda", ROOT_DEVNAME, "vda");
	expect("/dev/nvme0n1p2", ROOT_DEVNAME, "nvme0n1p2");
	expect("/dev/mapper/root", ROOT_DEVNAME, "mapper/root");
	expect("/dev/disk/by-uuid/abcd", ROOT_UUID, "abcd");
	expect("/dev/disk/by-label/root", ROOT_LABEL, "root");
	expect("/dev/disk/by-partuuid/1234-01", ROOT_PARTUUID, "1234-01");
	expect("/dev/disk/by-partlabel/sys", ROOT_PARTLABEL, "sys");
}

static void test_numbers(void **state)
{
	expect_dev("8:1", 8, 1);
	expect_dev("259:0", 259, 0);
	expect_dev("0801", 8, 1);
	expect_dev("fe01", 254, 1);
	expect_dev("103", 1, 3);
	expect_dev("0x801", 8, 1);
}

static void test_partnroff(void **state)
{
	struct root_spec s;

	assert_int_equal(rootspec_parse("PARTUUID=1234abcd-01/PARTNROFF=2", &s), 0);
	assert_int_equal(s.kind, ROOT_PARTUUID);
	assert_string_equal(s.value, "1234abcd-01");
	assert_int_equal(s.partnroff, 2);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF=-1", &s), 0);
	assert_int_equal(s.partnroff, -1);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF=", &s), -EINVAL);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF=x", &s), -EINVAL);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF=0", &s), -EINVAL);
	assert_int_equal(rootspec_parse("PARTUUID=ab/OTHER=1", &s), -EINVAL);
	assert_int_equal(rootspec_parse("PARTUUID=/PARTNROFF=1", &s), -EINVAL);
	assert_int_equal(s.partnroff, 0);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF=+1", &s), -EINVAL);
	assert_int_equal(rootspec_parse("PARTUUID=ab/PARTNROFF= 1", &s), -EINVAL);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",	   "UUID=", "LABEL=",	 "PARTUUID=", "/dev/",	"/dev/../etc/passwd",
		"/dev//x", "8:",    ":1",	 "8:x",	      "x:1",	"8:1:2",
		"xyz",	   "0",	    "123456789", "-1",	      "4096:0", "/dev/disk/by-uuid/",
		"sda1",	   "0x",    "80 1",
	};
	struct root_spec s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rootspec_parse(bad[i], &s) != -EINVAL)
			fail_msg("root=%s was accepted (kind %d)", bad[i], s.kind);
	}
	assert_int_equal(rootspec_parse(NULL, &s), -EINVAL);
}

static void test_too_long(void **state)
{
	char buf[400];
	struct root_spec s;

	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf, "LABEL=", 6);
	assert_int_equal(rootspec_parse(buf, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags),	cmocka_unit_test(test_paths),
		cmocka_unit_test(test_numbers), cmocka_unit_test(test_partnroff),
		cmocka_unit_test(test_refused), cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests_name("rootspec", tests, NULL, NULL);
}
