// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel asks for modules too: dm-crypt for its ciphers (request_module("crypto-xts(aes)")),
 * mount(2) for a filesystem ("fs-vfat"), and others. It runs the program named in
 * /proc/sys/kernel/modprobe as "PROGRAM -q -- NAME". While rdinit runs, that program is
 * /init itself: started that way (not as PID 1), it loads NAME through libkmod with the
 * image's modules and configuration, as modprobe would, and exits. The path the kernel had
 * is put back before the switch, for the real system's modprobe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "modules/modules.h"

#define MODPROBE_SYSCTL "/proc/sys/kernel/modprobe"

static char saved_path[256];
static bool taken_over;

/*
 * @value and a newline, in one write, as "echo VALUE >" would: the kernel takes the value up
 * to the newline, so an empty one is a write of its own, not of nothing; O_TRUNC is nothing
 * to a sysctl and keeps a file standing in for it (tests) holding only the value.
 */
static int sysctl_write(const char *path, const char *value)
{
	char buf[sizeof(saved_path) + 1];
	int fd, r = 0, n = snprintf(buf, sizeof(buf), "%s\n", value);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n)
		r = errno ? -errno : -EIO;
	close(fd);
	return r;
}

/*
 * The kernel's own value is kept to be put back; an empty one (a kernel that runs no program
 * for its requests) is a value like any other. A value that cannot be read is not taken over:
 * there would be nothing to give back.
 */
int modprobe_take_over_at(const char *sysctl, const char *self)
{
	int fd = open(sysctl, O_RDONLY | O_CLOEXEC), r;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, saved_path, sizeof(saved_path) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	saved_path[n] = '\0';
	saved_path[strcspn(saved_path, "\n")] = '\0';
	r = sysctl_write(sysctl, self);
	taken_over = r == 0;
	return r;
}

int modprobe_give_back_at(const char *sysctl)
{
	int r;

	if (!taken_over)
		return 0;
	r = sysctl_write(sysctl, saved_path);
	taken_over = r < 0;
	return r;
}

/* Answer the kernel's module requests from now on; @self is the path we run as ("/init"). */
void modprobe_take_over(const char *self)
{
	int r = modprobe_take_over_at(MODPROBE_SYSCTL, self);

	if (r < 0)
		log_warn("cannot answer the kernel's module requests (%s): %s", MODPROBE_SYSCTL,
			 strerror(-r));
}

/* Before the switch: the real system's modprobe answers again. */
void modprobe_give_back(void)
{
	int r = modprobe_give_back_at(MODPROBE_SYSCTL);

	if (r < 0)
		log_warn("cannot put %s back to %s: %s", MODPROBE_SYSCTL, saved_path, strerror(-r));
}

/* Whether we were started by the kernel as "modprobe -q -- NAME". */
bool modprobe_called(int argc, char **argv)
{
	return getpid() != 1 && argc >= 3 && !strcmp(argv[1], "-q") &&
	       (!strcmp(argv[2], "--") ? argc == 4 : argc == 3);
}

/* Load the module the kernel asked for; the exit status says whether it is there now. */
int modprobe_main(int argc, char **argv)
{
	const char *name = argv[argc - 1];
	struct modules m = { 0 };
	struct utsname uts;
	int r;

	log_open();
	(void)uname(&uts);
	r = modules_init(&m, "", uts.release);
	if (r < 0) {
		log_err("modprobe %s: libkmod: %s", name, strerror(-r));
		return 1;
	}
	m.quiet = true;
	m.kernel_request = true;
	r = modules_load_alias(&m, name, false);
	if (r > 0)
		log_info("loaded %s for the kernel", name);
	else
		log_debug("the kernel asked for %s: %s", name,
			  r == 0 ? "no such module in the image" : strerror(-r));
	modules_exit(&m);
	log_close();
	return r > 0 ? 0 : 1;
}
