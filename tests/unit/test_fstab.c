// SPDX-License-Identifier: LGPL-2.1-or-later
/* /etc/fstab: fields, escapes, defaults, comments, and bad lines with their numbers. */
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

static void parse(const char *text, struct fstab *f)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(fstab_parse(text, strlen(text), "fstab", f), 0);
}

static void assert_entry(const struct fstab_entry *e, const char *spec, const char *dir,
			 const char *type, const char *opts, unsigned int line)
{
	assert_string_equal(e->spec, spec);
	assert_string_equal(e->dir, dir);
	assert_string_equal(e->type, type);
	assert_string_equal(e->opts, opts);
	assert_int_equal(e->line, line);
}

static void test_entries(void **state)
{
	static const char text[] = "# /etc/fstab: static file system information.\n"
				   "#\n"
				   "UUID=0a1b / ext4 errors=remount-ro 0 1\n"
				   "\n"
				   "  \t# an indented comment\n"
				   "LABEL=usr\t/usr\txfs\tro,noatime\t0\t2\n"
				   "PARTUUID=beef-02  /srv  auto  x-initrd.mount,nofail  0  0\n"
				   "/dev/vdc /home ext4 defaults\n"
				   "tmpfs /tmp tmpfs\n"
				   "PARTLABEL=data /data\n"
				   "/dev/vdd none swap sw 0 0";
	struct fstab f;

	parse(text, &f);
	assert_int_equal(f.n, 7);
	assert_entry(&f.v[0], "UUID=0a1b", "/", "ext4", "errors=remount-ro", 3);
	assert_entry(&f.v[1], "LABEL=usr", "/usr", "xfs", "ro,noatime", 6);
	assert_entry(&f.v[2], "PARTUUID=beef-02", "/srv", "auto", "x-initrd.mount,nofail", 7);
	assert_entry(&f.v[3], "/dev/vdc", "/home", "ext4", "defaults", 8);
	/* what mount(8) takes for missing fields */
	assert_entry(&f.v[4], "tmpfs", "/tmp", "tmpfs", "defaults", 9);
	assert_entry(&f.v[5], "PARTLABEL=data", "/data", "auto", "defaults", 10);
	assert_entry(&f.v[6], "/dev/vdd", "none", "swap", "sw", 11);
	assert_string_equal(logged(), "");
	fstab_free(&f);
	assert_int_equal(f.n, 0);
	assert_null(f.v);
}

/* \040 and friends, as getmntent(3) and libmount decode them; a bad escape stays as is. */
static void test_escapes(void **state)
{
	struct fstab f;

	parse("LABEL=My\\040Disk /mnt/my\\040files\\011tab ext4 defaults 0 0\n"
	      "/dev/vdb /a\\134b ext4 x\\054y\n"
	      "/dev/vdc /c\\9z\\04 ext4\n"
	      "/dev/vdd /nul\\000 ext4\n",
	      &f);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.v[0].spec, "LABEL=My Disk");
	assert_string_equal(f.v[0].dir, "/mnt/my files\ttab");
	assert_string_equal(f.v[1].dir, "/a\\b");
	assert_string_equal(f.v[1].opts, "x,y");
	assert_string_equal(f.v[2].dir, "/c\\9z\\04");
	/* a NUL would cut the name short: left as it is written */
	assert_string_equal(f.v[3].dir, "/nul\\000");
	fstab_free(&f);
}

/* A bad line is said with its number and skipped; the others still count. */
static void test_bad_lines(void **state)
{
	static const char text[] = "UUID=1 / ext4 defaults 0 1\n"
				   "lonely\n"
				   "a b c d 0 0 extra\n"
				   "/dev/vdb /usr ext4 ro x 2\n"
				   "/dev/vdb /usr ext4 ro 0 -2\n"
				   "/dev/vdb /usr\001 ext4\n"
				   "/dev/vdb /usr ext4 ro 0 2\r\n"
				   "/dev/vdc /srv";
	struct fstab f;
	const char *log;

	parse(text, &f);
	assert_int_equal(f.n, 3);
	assert_entry(&f.v[1], "/dev/vdb", "/usr", "ext4", "ro", 7);
	assert_entry(&f.v[2], "/dev/vdc", "/srv", "auto", "defaults", 8);
	log = logged();
	assert_non_null(strstr(log, "fstab:2: ignoring a line with one field (2 to 6 expected)"));
	assert_non_null(strstr(log, "fstab:3: ignoring a line with more than 6 fields"));
	assert_non_null(strstr(log, "fstab:4: ignoring a line whose field 5 is not a number"));
	assert_non_null(strstr(log, "fstab:5: ignoring a line whose field 6 is not a number"));
	assert_non_null(strstr(log, "fstab:6: ignoring a line that is not text"));
	assert_null(strstr(log, "fstab:7"));
	fstab_free(&f);
}

/* A NUL makes its line bad, not the file short; the text is not modified. */
static void test_nul_and_empty(void **state)
{
	static const char text[] = "/dev/vda / ext4\n/dev/v\0db /usr ext4\n/dev/vdc /srv ext4\n";
	char copy[sizeof(text)];
	struct fstab f = { 0 };

	memcpy(copy, text, sizeof(text));
	assert_int_equal(fstab_parse(copy, sizeof(text) - 1, "fstab", &f), 0);
	assert_memory_equal(copy, text, sizeof(text));
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[1].dir, "/srv");
	assert_int_equal(f.v[1].line, 3);
	assert_non_null(strstr(logged(), "fstab:2: ignoring a line that is not text"));
	fstab_free(&f);

	assert_int_equal(fstab_parse("", 0, "fstab", &f), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(fstab_parse("\n\n# x\n", 6, "fstab", &f), 0);
	assert_int_equal(f.n, 0);
	assert_string_equal(logged(), "");
}

/* The table grows: no entry is dropped however many there are. */
static void test_many(void **state)
{
	size_t size = 1000 * 40, n = 0, i;
	char *text = malloc(size);
	struct fstab f;

	assert_non_null(text);
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, size - n, "/dev/vd%zu /m/%zu ext4 ro\n", i, i);
	memset(&f, 0, sizeof(f));
	assert_int_equal(fstab_parse(text, n, "fstab", &f), 0);
	assert_int_equal(f.n, 1000);
	assert_string_equal(f.v[999].dir, "/m/999");
	assert_int_equal(f.v[999].line, 1000);
	fstab_free(&f);
	free(text);
}

static void test_has_option(void **state)
{
	assert_true(fstab_has_option("ro,x-initrd.mount", "x-initrd.mount"));
	assert_true(fstab_has_option("x-initrd.mount", "x-initrd.mount"));
	assert_true(fstab_has_option("nofail,ro", "nofail"));
	assert_true(fstab_has_option("ro,comment=x", "comment"));
	assert_false(fstab_has_option("ro,x-initrd.mountpoint", "x-initrd.mount"));
	assert_false(fstab_has_option("ro,nofailover", "nofail"));
	assert_false(fstab_has_option("ro,xnofail", "nofail"));
	assert_false(fstab_has_option("", "nofail"));
	assert_false(fstab_has_option("defaults", "auto"));
}

/* What the initramfs mounts: /usr and x-initrd.mount; noauto only when marked. */
static void test_initrd_entries(void **state)
{
	static const char text[] = "UUID=1 / ext4 defaults 0 1\n"
				   "UUID=2 /usr ext4 ro 0 2\n"
				   "LABEL=srv /srv auto x-initrd.mount 0 2\n"
				   "LABEL=home /home ext4 defaults 0 2\n"
				   "LABEL=opt /opt ext4 noauto,x-initrd.mount 0 0\n"
				   "LABEL=mnt /mnt ext4 noauto 0 0\n"
				   "UUID=3 /usr ext4 noauto 0 0\n"
				   "/dev/vdb none swap sw,x-initrd.mount 0 0\n"
				   "UUID=1 / ext4 x-initrd.mount 0 0\n"
				   "LABEL=rel usr ext4 x-initrd.mount 0 0\n";
	static const enum fstab_initrd want[] = {
		FSTAB_SKIP, FSTAB_MOUNT,  FSTAB_MOUNT, FSTAB_SKIP, FSTAB_MOUNT,
		FSTAB_SKIP, FSTAB_NOAUTO, FSTAB_SKIP,  FSTAB_SKIP, FSTAB_SKIP,
	};
	struct fstab f;
	size_t i;

	parse(text, &f);
	assert_int_equal(f.n, 10);
	for (i = 0; i < f.n; i++)
		assert_int_equal(fstab_initrd_entry(&f.v[i]), want[i]);
	fstab_free(&f);
}

/* The options mount gets: without x-*, nofail, noauto, auto, _netdev, defaults, comment=. */
static void test_mount_options(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "ro,noatime", "ro,noatime" },
		{ "defaults", "" },
		{ "x-initrd.mount,ro,x-systemd.device-timeout=5,nofail", "ro" },
		{ "rw,,nodev,auto,noauto,_netdev,comment=systemd.x", "rw,nodev" },
		{ "subvol=usr,compress=zstd,x-", "subvol=usr,compress=zstd" },
		{ "x,xa-b,autodefrag,nofailx", "x,xa-b,autodefrag,nofailx" },
		{ "", "" },
	};
	char out[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fstab_mount_options(cases[i].in, out);
		assert_string_equal(out, cases[i].out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),	      cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bad_lines),     cmocka_unit_test(test_nul_and_empty),
		cmocka_unit_test(test_many),	      cmocka_unit_test(test_initrd_entries),
		cmocka_unit_test(test_mount_options), cmocka_unit_test(test_has_option),
	};

	return cmocka_run_group_tests_name("fstab", tests, setup, NULL);
}
