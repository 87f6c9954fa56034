// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd's initrd interface: which inits are systemd (symlinks resolved inside the new
 * root, never on the host), and the serialization fd systemd reads with --deserialize.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"

static char top[64];

static void path_in(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", top, rel);
}

static void mkdirs(const char *rel)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/%s", top, rel);
	assert_int_equal(system(cmd), 0);
}

static void exe(const char *rel)
{
	char path[256];
	int fd;

	path_in(path, sizeof(path), rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(fd >= 0);
	close(fd);
}

static void link_to(const char *target, const char *rel)
{
	char path[256];

	path_in(path, sizeof(path), rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/rdinit-ut-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* Debian 12: merged /usr, /sbin/init -> /lib/systemd/systemd, both absolute in the root */
static void test_systemd_detected_through_root_symlinks(void **state)
{
	char root[256];

	mkdirs("deb/usr/lib/systemd");
	mkdirs("deb/usr/sbin");
	mkdirs("deb/bin");
	exe("deb/usr/lib/systemd/systemd");
	exe("deb/bin/testinit");
	link_to("usr/lib", "deb/lib");
	link_to("usr/sbin", "deb/sbin");
	link_to("/lib/systemd/systemd", "deb/usr/sbin/init");
	link_to("/bin/testinit", "deb/usr/sbin/other");
	link_to("/lib/systemd/systemd-udevd", "deb/usr/sbin/dangling");
	path_in(root, sizeof(root), "deb");
	assert_true(init_is_systemd(root, "/sbin/init"));
	assert_true(init_is_systemd(root, "/usr/lib/systemd/systemd"));
	assert_false(init_is_systemd(root, "/sbin/other"));
	assert_false(init_is_systemd(root, "/bin/testinit"));
	assert_false(init_is_systemd(root, "/sbin/dangling"));
	assert_false(init_is_systemd(root, "/sbin/missing"));
}

/* an absolute symlink is resolved in the new root, not on the host (whose init may be systemd) */
static void test_systemd_not_looked_up_on_host(void **state)
{
	char root[256], host[256];

	mkdirs("nr/sbin");
	mkdirs("host/lib/systemd");
	exe("host/lib/systemd/systemd");
	path_in(host, sizeof(host), "host/lib/systemd/systemd");
	link_to(host, "nr/sbin/init");
	path_in(root, sizeof(root), "nr");
	assert_false(init_is_systemd(root, "/sbin/init"));
}

static void test_serialization_fd(void **state)
{
	char buf[128];
	ssize_t n;
	int fd = systemd_serialization(1700000000123456ULL, 1234567ULL);

	assert_true(fd > 2);
	/* systemd must inherit it across execve(), and read it from the start */
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	/* the manager section: one timestamp, then the empty line that ends it */
	assert_string_equal(buf, "initrd-timestamp=1700000000123456 1234567\n\n");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_detected_through_root_symlinks),
		cmocka_unit_test(test_systemd_not_looked_up_on_host),
		cmocka_unit_test(test_serialization_fd),
	};

	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("systemd", tests, setup, teardown);
}
