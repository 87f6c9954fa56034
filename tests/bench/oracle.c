// SPDX-License-Identifier: MIT
/*
 * oracle - the boot benchmark's lower bound: an /init that already knows the answer.
 *
 * tests/bench/boot.sh compiles one per root filesystem with everything baked in, so it
 * does no discovery at all: devtmpfs on /dev, finit_module() of exactly the modules the
 * root needs (decompressed .ko, in dependency order), poll for the known device node every
 * millisecond, mount it read-only with the known type, move /dev and the root over /,
 * chroot and exec /sbin/init. It leaves the initramfs contents in memory (no delete): a
 * floor, not an init to use.
 *
 * Build: musl-gcc -static -Os -DORACLE_MODULES='"/a.ko","/b.ko"' -DORACLE_DEV='"/dev/vda"'
 *        -DORACLE_FSTYPE='"ext4"' -o oracle oracle.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if !defined(ORACLE_MODULES) || !defined(ORACLE_DEV) || !defined(ORACLE_FSTYPE)
#error "define ORACLE_MODULES, ORACLE_DEV and ORACLE_FSTYPE"
#endif

#define WAIT_MS 30000

static const char *const modules[] = { ORACLE_MODULES };

/* fds 0-2 are the console the kernel opened; PID 1 exiting makes the kernel panic. */
static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "oracle: %s %s: %s\n", what, arg, strerror(errno));
	return 1;
}

static int load_modules(void)
{
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		int fd = open(modules[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return fail("open", modules[i]);
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
			close(fd);
			return fail("finit_module", modules[i]);
		}
		close(fd);
	}
	return 0;
}

static int wait_device(const char *dev)
{
	const struct timespec ms = { 0, 1000000 };
	struct stat st;

	for (int i = 0; i < WAIT_MS; i++) {
		if (stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
			return 0;
		nanosleep(&ms, NULL);
	}
	errno = ETIMEDOUT;
	return fail("wait for", dev);
}

int main(int argc, char **argv)
{
	char *init_argv[] = { "/sbin/init", NULL };

	(void)argc;
	(void)argv;
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, "mode=0755"))
		return fail("mount", "/dev");
	if (load_modules() || wait_device(ORACLE_DEV))
		return 1;
	if (mount(ORACLE_DEV, "/root", ORACLE_FSTYPE, MS_RDONLY, NULL))
		return fail("mount", ORACLE_DEV);
	if (mount("/dev", "/root/dev", NULL, MS_MOVE, NULL))
		return fail("move", "/dev");
	if (chdir("/root") || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		return fail("switch to", "/root");
	execv(init_argv[0], init_argv);
	return fail("exec", init_argv[0]);
}
