// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * systemd's initrd interface (systemd.io/INITRD_INTERFACE): what an initramfs that is not
 * systemd itself hands to a systemd real init.
 *
 * systemd 252 takes the time the initramfs started only from a serialization, as after a
 * systemd initrd: `--switched-root --system --deserialize=FD`, FD reading a manager section
 * with an "initrd-timestamp=REALTIME MONOTONIC" line (microseconds) and the empty line that
 * ends the section; no unit sections follow. RD_TIMESTAMP in the environment is in neither
 * the sources nor the binaries of systemd 252. --switched-root matters: --deserialize alone
 * means a re-execution, after which systemd skips its early setup (API mounts, the console,
 * security modules).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "root/root.h"

/*
 * Is @init (an absolute path inside @root) systemd? Its last component once every symlink
 * is resolved inside @root (/sbin/init -> /lib/systemd/systemd -> /usr/lib/systemd/systemd
 * on a merged /usr). Another init would not understand systemd's options.
 */
bool init_is_systemd(const char *root, const char *init)
{
	char link[32], path[PATH_MAX];
	const char *base;
	ssize_t n;
	int fd = open_in_root(root, init, O_PATH);

	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return false;
	path[n] = '\0';
	base = strrchr(path, '/');
	return base && !strcmp(base + 1, "systemd");
}

/* An unnamed file in /run, where no memfd_create() (CONFIG_MEMFD_CREATE off). */
static int anon_file(void)
{
	int fd = memfd_create("rdinit-serialization", 0);

	if (fd < 0)
		fd = open("/run", O_TMPFILE | O_RDWR, 0600);
	return fd < 0 ? -errno : fd;
}

/*
 * The serialization for systemd's --deserialize: an fd without O_CLOEXEC, positioned at 0,
 * holding the initrd start (@realtime, @monotonic: microseconds of CLOCK_REALTIME and
 * CLOCK_MONOTONIC). Returns the fd or -errno.
 */
int systemd_serialization(unsigned long long realtime, unsigned long long monotonic)
{
	char buf[80];
	int fd, len, r;

	len = snprintf(buf, sizeof(buf), "initrd-timestamp=%llu %llu\n\n", realtime, monotonic);
	fd = anon_file();
	if (fd < 0)
		return fd;
	errno = 0;
	if (write(fd, buf, (size_t)len) != len || lseek(fd, 0, SEEK_SET) != 0) {
		r = errno ? -errno : -EIO;
		close(fd);
		return r;
	}
	return fd;
}
