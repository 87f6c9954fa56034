// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An example stage hook, static C (musl-gcc -static -o 50-marker example-marker.c): appends
 * one line to /run/rdinit/hooks saying which stage ran and what rdinit told it,
 *
 *   STAGE root=ROOT rootdev=ROOTDEV rootfstype=ROOTFSTYPE newroot=NEWROOT mounted=yes|no
 *
 * ("-" for a variable not set; "mounted": whether NEWROOT is a mount point yet). /run moves
 * into the real system, which finds the lines there. tests/vm/scn_hooks.sh installs it at
 * every stage (mkrdinit --hook STAGE:50-marker) and checks the lines and their order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKERS "/run/rdinit/hooks"

static const char *env(const char *key)
{
	const char *v = getenv(key);

	return v && *v ? v : "-";
}

/* a mount point: another device than its parent's */
static const char *mounted(const char *dir)
{
	char parent[4096];
	struct stat a, b;

	if (!strcmp(dir, "-"))
		return "no";
	snprintf(parent, sizeof(parent), "%s/..", dir);
	if (stat(dir, &a) < 0 || stat(parent, &b) < 0)
		return "no";
	return a.st_dev != b.st_dev ? "yes" : "no";
}

int main(void)
{
	char line[1024];
	int fd, n;

	n = snprintf(line, sizeof(line),
		     "%s root=%s rootdev=%s rootfstype=%s newroot=%s mounted=%s\n",
		     env("RDINIT_STAGE"), env("ROOT"), env("ROOTDEV"), env("ROOTFSTYPE"),
		     env("NEWROOT"), mounted(env("NEWROOT")));
	if (n < 0 || n >= (int)sizeof(line))
		return 1;
	if (mkdir("/run/rdinit", 0755) < 0 && errno != EEXIST) {
		perror("example-marker: /run/rdinit");
		return 1;
	}
	/* one write of the whole line: O_APPEND keeps lines whole */
	fd = open(MARKERS, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		perror("example-marker: " MARKERS);
		return 1;
	}
	return close(fd) < 0;
}
