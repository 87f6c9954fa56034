// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OS in the initramfs (ramroot.c) on temporary trees: the move keeps every kind of file
 * with its metadata and hard links, empties the source as it goes, stops at a full tmpfs
 * and moves back whole; the look through counts a hard link once and refuses a tree too
 * deep; the init lookup never takes rdinit itself, nor a rescue shell for an OS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"

static char top[64];

static char *at(const char *rel)
{
	static char path[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", top, rel);
	return path[i];
}

static void put(const char *rel, const char *content, mode_t mode)
{
	FILE *f = fopen(at(rel), "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(at(rel), mode), 0);
}

static void dir(const char *rel)
{
	assert_int_equal(mkdir(at(rel), 0755), 0);
}

static bool exists(const char *rel)
{
	struct stat st;

	return lstat(at(rel), &st) == 0;
}

static struct stat stat_of(const char *rel)
{
	struct stat st;

	assert_int_equal(lstat(at(rel), &st), 0);
	return st;
}

static int open_dir(const char *rel)
{
	int fd = open(at(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/rdinit-ut-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)umount2(at("small"), MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

static int move(const char *from, const char *to, const char *const *skip, bool unlink,
		struct tree_stats *done, char *where)
{
	struct tree_move_opts o = { .skip = skip, .unlink = unlink };
	int src = open_dir(from), dst = open_dir(to), r;
	struct stat st;

	assert_int_equal(fstat(src, &st), 0);
	o.dev = st.st_dev;
	r = tree_move(src, dst, &o, done, where);
	close(src);
	close(dst);
	return r;
}

/* what an OS image holds: every kind of file, odd modes and owners, hard links, old times */
static void make_image(const char *rel)
{
	const struct timespec old[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1234567890 } };
	char p[PATH_MAX];

	dir(rel);
	snprintf(p, sizeof(p), "%s/sbin", rel);
	dir(p);
	snprintf(p, sizeof(p), "%s/sbin/init", rel);
	put(p, "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/bin", rel);
	dir(p);
	snprintf(p, sizeof(p), "%s/bin/busybox", rel);
	put(p, "pretend this is a large binary", 04755);
	assert_int_equal(chown(at(p), 1000, 100), 0);
	assert_int_equal(chmod(at(p), 04755), 0); /* chown cleared it, as it would here */
	assert_int_equal(link(at(p), at("img/bin/sh")), 0);
	assert_int_equal(symlink("/bin/busybox", at("img/bin/ls")), 0);
	assert_int_equal(symlink("../nowhere", at("img/dangling")), 0);
	dir("img/etc");
	assert_int_equal(link(at(p), at("img/etc/busybox-again")), 0);
	put("img/etc/motd", "hello\n", 0640);
	assert_int_equal(utimensat(AT_FDCWD, at("img/etc/motd"), old, 0), 0);
	assert_int_equal(mkfifo(at("img/etc/fifo"), 0620), 0);
	assert_int_equal(chmod(at("img/etc/fifo"), 0620), 0); /* past the umask */
	dir("img/dev");
	if (geteuid() == 0) {
		assert_int_equal(mknod(at("img/dev/null"), S_IFCHR | 0666, makedev(1, 3)), 0);
		assert_int_equal(chmod(at("img/dev/null"), 0666), 0);
	}
	dir("img/ro");
	put("img/ro/inside", "x", 0444);
	assert_int_equal(chmod(at("img/ro"), 0555), 0);
	assert_int_equal(utimensat(AT_FDCWD, at("img/ro"), old, 0), 0);
	dir("img/empty");
	put("img/init", "rdinit", 0755);
}

static void test_move_keeps_everything(void **state)
{
	const char *const skip[] = { "init", NULL };
	struct tree_stats st, done;
	struct stat a, b;
	int fd;

	make_image("img");
	dir("ram");
	fd = open_dir("img");
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(tree_scan(fd, a.st_dev, skip, &st), 0);
	close(fd);

	assert_int_equal(move("img", "ram", skip, true, &done, NULL), 0);
	assert_int_equal(done.files, st.files);
	/* the source is empty but for what was skipped */
	assert_true(exists("img/init"));
	assert_false(exists("img/sbin"));
	assert_false(exists("img/bin"));
	assert_false(exists("img/etc"));
	assert_false(exists("img/ro"));
	assert_false(exists("ram/init"));

	a = stat_of("ram/bin/busybox");
	assert_int_equal(a.st_mode, S_IFREG | 04755);
	assert_int_equal(a.st_uid, 1000);
	assert_int_equal(a.st_gid, 100);
	assert_int_equal(a.st_nlink, 3);
	b = stat_of("ram/bin/sh");
	assert_int_equal(a.st_ino, b.st_ino);
	b = stat_of("ram/etc/busybox-again");
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(done.bytes, strlen("#!/bin/sh\n") +
					     strlen("pretend this is a large binary") +
					     strlen("hello\n") + 1);

	a = stat_of("ram/etc/motd");
	assert_int_equal(a.st_mode, S_IFREG | 0640);
	assert_int_equal(a.st_size, 6);
	assert_int_equal(a.st_mtim.tv_sec, 1234567890);
	assert_int_equal(a.st_atim.tv_sec, 1000000000);
	assert_true(S_ISFIFO(stat_of("ram/etc/fifo").st_mode));
	assert_int_equal(stat_of("ram/etc/fifo").st_mode & 07777, 0620);
	assert_true(S_ISLNK(stat_of("ram/bin/ls").st_mode));
	assert_true(S_ISLNK(stat_of("ram/dangling").st_mode));
	{
		char t[64] = "";

		assert_int_equal(readlink(at("ram/bin/ls"), t, sizeof(t) - 1), 12);
		assert_string_equal(t, "/bin/busybox");
	}
	if (geteuid() == 0) {
		a = stat_of("ram/dev/null");
		assert_true(S_ISCHR(a.st_mode));
		assert_int_equal(a.st_rdev, makedev(1, 3));
		assert_int_equal(a.st_mode & 07777, 0666);
	}
	a = stat_of("ram/ro");
	assert_int_equal(a.st_mode, S_IFDIR | 0555);
	assert_int_equal(a.st_mtim.tv_sec, 1234567890);
	assert_true(exists("ram/ro/inside"));
	assert_true(S_ISDIR(stat_of("ram/empty").st_mode));
}

static void test_scan_counts_links_once(void **state)
{
	struct tree_stats st;
	struct stat top_st;
	int fd;

	make_image("img");
	fd = open_dir("img");
	assert_int_equal(fstat(fd, &top_st), 0);
	assert_int_equal(tree_scan(fd, top_st.st_dev, NULL, &st), 0);
	close(fd);
	/* sbin init bin busybox sh ls dangling etc busybox-again motd fifo dev [null] ro inside
	 * empty init */
	assert_int_equal(st.files, 16 + (geteuid() == 0));
	/* init, busybox (once for three names), motd, ro/inside, /init: a page each */
	assert_int_equal(st.bytes, 5 * 4096);
	assert_int_equal(st.depth, 1);
}

static void test_copy_without_unlink(void **state)
{
	make_image("img");
	dir("ram");
	assert_int_equal(move("img", "ram", NULL, false, NULL, NULL), 0);
	assert_true(exists("img/etc/motd"));
	assert_true(exists("ram/etc/motd"));
	assert_true(exists("ram/init"));
}

static void test_deep_tree_refused(void **state)
{
	char rel[PATH_MAX] = "deep";
	struct tree_stats st;
	struct stat s;
	int i, fd;

	dir(rel);
	for (i = 0; i < RAMROOT_MAX_DEPTH + 2; i++) {
		strcat(rel, "/d");
		dir(rel);
	}
	fd = open_dir("deep");
	assert_int_equal(fstat(fd, &s), 0);
	assert_int_equal(tree_scan(fd, s.st_dev, NULL, &st), -ELOOP);
	close(fd);
	dir("ram");
	assert_int_equal(move("deep", "ram", NULL, true, NULL, NULL), -ELOOP);
}

/* tens of thousands of files: no descriptor leaks, no recursion per file */
static void test_many_files(void **state)
{
	struct tree_stats done;
	char rel[64];
	int i, j, fd;

	dir("many");
	for (i = 0; i < 20; i++) {
		snprintf(rel, sizeof(rel), "many/d%d", i);
		dir(rel);
		for (j = 0; j < 1000; j++) {
			snprintf(rel, sizeof(rel), "many/d%d/f%d", i, j);
			fd = open(at(rel), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			assert_true(fd >= 0);
			close(fd);
		}
	}
	dir("ram");
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(move("many", "ram", NULL, true, &done, NULL), 0);
	assert_int_equal(done.files, 20 * 1001);
	assert_false(exists("many/d19"));
	assert_true(exists("ram/d19/f999"));
	/* the next descriptor is the one after /dev/null's: none leaked */
	i = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(i, fd + 1);
	close(i);
	close(fd);
}

/* a tmpfs too small: the move stops at the file that did not fit, which is still whole */
static void test_full_then_back(void **state)
{
	struct tree_move_opts back = { .unlink = true, .keep_existing = true };
	char where[PATH_MAX], big[200 * 1024];
	int ram, img;
	struct stat st;
	FILE *f;

	if (geteuid() != 0)
		skip();
	make_image("img");
	memset(big, 'b', sizeof(big));
	f = fopen(at("img/zz-big"), "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, sizeof(big), f), sizeof(big));
	fclose(f);
	dir("small");
	assert_int_equal(mount("tmpfs", at("small"), "tmpfs", 0, "size=64k"), 0);
	assert_int_equal(move("img", "small", NULL, true, NULL, where), -ENOSPC);
	assert_string_equal(where, "zz-big");
	assert_int_equal(stat_of("img/zz-big").st_size, sizeof(big));

	/* move back: the partial copy is dropped, the original stays */
	ram = open_dir("small");
	img = open_dir("img");
	assert_int_equal(fstat(ram, &st), 0);
	back.dev = st.st_dev;
	assert_int_equal(tree_move(ram, img, &back, NULL, where), 0);
	close(ram);
	close(img);
	assert_int_equal(stat_of("img/zz-big").st_size, sizeof(big));
	/* a link group comes back whole: one file, three names, as it was */
	assert_int_equal(stat_of("img/bin/busybox").st_mode, S_IFREG | 04755);
	assert_int_equal(stat_of("img/bin/busybox").st_nlink, 3);
	assert_int_equal(stat_of("img/bin/sh").st_ino, stat_of("img/bin/busybox").st_ino);
	assert_int_equal(stat_of("img/etc/busybox-again").st_ino,
			 stat_of("img/bin/busybox").st_ino);
	assert_true(exists("img/etc/motd"));
	assert_true(exists("img/ro/inside"));
	assert_false(exists("small/etc"));
	assert_int_equal(umount(at("small")), 0);
}

/* a file mostly hole stays mostly hole, its data where it was */
static void test_sparse(void **state)
{
	const off_t size = 30 << 20, at2 = 20 << 20;
	char c = 0;
	int fd;

	dir("img");
	fd = open(at("img/sparse"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(pwrite(fd, "a", 1, 0), 1);
	assert_int_equal(pwrite(fd, "b", 1, at2), 1);
	close(fd);
	dir("ram");
	assert_int_equal(move("img", "ram", NULL, true, NULL, NULL), 0);
	assert_int_equal(stat_of("ram/sparse").st_size, size);
	/* two blocks of data, not 30 MiB (61448 sectors when the holes were filled) */
	assert_true(stat_of("ram/sparse").st_blocks <= 64);
	fd = open(at("ram/sparse"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 0), 1);
	assert_int_equal(c, 'a');
	assert_int_equal(pread(fd, &c, 1, at2), 1);
	assert_int_equal(c, 'b');
	assert_int_equal(pread(fd, &c, 1, at2 - 1), 1);
	assert_int_equal(c, 0);
	close(fd);
}

/* a file capable of raw sockets (v2 vfs_cap_data: CAP_NET_RAW permitted, effective) */
static const unsigned char net_raw[20] = { 0x01, 0, 0, 0x02, 0, 0x20 };

static void test_xattrs(void **state)
{
	char buf[64];

	dir("img");
	dir("img/d");
	put("img/d/ping", "ping", 0755);
	assert_int_equal(setxattr(at("img/d/ping"), "user.origin", "hook", 4, 0), 0);
	assert_int_equal(setxattr(at("img/d"), "user.dir", "yes", 3, 0), 0);
	if (geteuid() == 0)
		assert_int_equal(setxattr(at("img/d/ping"), "security.capability", net_raw,
					  sizeof(net_raw), 0),
				 0);
	dir("ram");
	assert_int_equal(move("img", "ram", NULL, true, NULL, NULL), 0);
	assert_int_equal(getxattr(at("ram/d/ping"), "user.origin", buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "hook", 4);
	assert_int_equal(getxattr(at("ram/d"), "user.dir", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "yes", 3);
	if (geteuid() == 0) {
		/* set after the owner: chown(2) would clear it */
		assert_int_equal(
			getxattr(at("ram/d/ping"), "security.capability", buf, sizeof(buf)),
			sizeof(net_raw));
		assert_memory_equal(buf, net_raw, sizeof(net_raw));
	}
}

static void test_find_init(void **state)
{
	char init[PATH_MAX], root[PATH_MAX];
	struct rdinit_opts o;

	opts_init(&o);
	dir("os");
	dir("os/bin");
	dir("os/sbin");
	put("os/init", "rdinit", 0755);
	put("os/bin/sh", "rescue shell", 0755);
	snprintf(root, sizeof(root), "%s", at("os"));
	/* no root=: a rescue shell is not an OS */
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 0);
	/* root=ram: it is what was asked for */
	o.root = strdup("ram");
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 1);
	assert_string_equal(init, "/bin/sh");
	free(o.root);
	o.root = NULL;
	/* /sbin/init a link to rdinit itself is no OS either */
	assert_int_equal(symlink("/init", at("os/sbin/init")), 0);
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 0);
	o.ram = true;
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 1);
	assert_string_equal(init, "/bin/sh");
	o.init = strdup("/init");
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), -ENOENT);
	free(o.init);
	o.init = NULL;
	o.ram = false;
	/* a real one */
	assert_int_equal(unlink(at("os/sbin/init")), 0);
	put("os/sbin/init", "#!/bin/sh\n", 0755);
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 1);
	assert_string_equal(init, "/sbin/init");
	/* init= names it; one that is missing sends the boot on to root=, as before */
	o.init = strdup("/bin/sh");
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 1);
	assert_string_equal(init, "/bin/sh");
	free(o.init);
	o.init = strdup("/bin/missing");
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 0);
	/* a root= naming a disk: never from the initramfs */
	free(o.init);
	o.init = NULL;
	o.root = strdup("LABEL=x");
	assert_int_equal(ramroot_find(&o, root, at("os/init"), init, sizeof(init)), 0);
	opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_keeps_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_counts_links_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_without_unlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_tree_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_then_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_init, setup, teardown),
	};

	log_set_max_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("ramroot", tests, NULL, NULL);
}
