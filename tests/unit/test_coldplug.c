// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The /sys replay (coldplug.c) on a fake /sys tree made at test time: the events it
 * dispatches carry what netlink would (ACTION, SUBSYSTEM, DEVPATH), bound devices ask for
 * no module, an unreadable attribute yields nothing, and a tree deeper than the walk goes
 * leaks no descriptor.
 */
#include <dirent.h>
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

static char root[] = "/tmp/rdinit-test-sys-XXXXXX";

/* ---- what the replay dispatched ---------------------------------------------------- */

struct seen {
	char action[16], subsystem[32], devpath[PATH_MAX_DEVPATH], devname[32], modalias[128];
};
static struct seen seen[64];
static int nseen;

static void collect(struct boot *b, const struct uevent *ev)
{
	struct seen *s = &seen[nseen < 63 ? nseen++ : 63];

	snprintf(s->action, sizeof(s->action), "%s", ev->action ? ev->action : "");
	snprintf(s->subsystem, sizeof(s->subsystem), "%s", ev->subsystem ? ev->subsystem : "");
	snprintf(s->devpath, sizeof(s->devpath), "%s", ev->devpath ? ev->devpath : "");
	snprintf(s->devname, sizeof(s->devname), "%s", ev->devname ? ev->devname : "");
	snprintf(s->modalias, sizeof(s->modalias), "%s", ev->modalias ? ev->modalias : "");
}

int alias_rank(const char *a)
{
	return !strncmp(a, "pci:", 4) && strstr(a, "bc01") ? 0 : 2;
}

static const struct seen *find(const char *devpath)
{
	int i;

	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i].devpath, devpath))
			return &seen[i];
	return NULL;
}

/* ---- the fake tree ------------------------------------------------------------------ */

static void mkdirs(const char *rel)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		(void)mkdir(path, 0755);
		*p = '/';
	}
	(void)mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

#define PCI "devices/pci0000:00"
#define STORAGE PCI "/0000:00:04.0"
#define BOUND PCI "/0000:00:05.0"
#define ODD PCI "/0000:00:06.0"

static int setup(void **state)
{
	int fd;

	if (!mkdtemp(root))
		return -1;
	mkdirs("bus/pci/devices");
	mkdirs("class/block");
	/* an unbound storage controller */
	mkdirs(STORAGE);
	put(STORAGE "/uevent", "DRIVER=\nPCI_SLOT_NAME=0000:00:04.0\n"
			       "MODALIAS=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
	put(STORAGE "/modalias", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n");
	link_to("../../../bus/pci", STORAGE "/subsystem");
	link_to("../../../devices/pci0000:00/0000:00:04.0", "bus/pci/devices/0000:00:04.0");
	/* a device already bound to a driver */
	mkdirs(BOUND);
	put(BOUND "/uevent", "MODALIAS=pci:v00008086d00007010sv00000000sd00000000bc01sc01i80\n");
	put(BOUND "/modalias", "pci:v00008086d00007010sv00000000sd00000000bc01sc01i80\n");
	link_to("../../../bus/pci", BOUND "/subsystem");
	link_to("../../../bus/pci/drivers/ata_piix", BOUND "/driver");
	link_to("../../../devices/pci0000:00/0000:00:05.0", "bus/pci/devices/0000:00:05.0");
	/* a device whose modalias cannot be read (a directory where a file should be) */
	mkdirs(ODD "/modalias");
	link_to("../../../devices/pci0000:00/0000:00:06.0", "bus/pci/devices/0000:00:06.0");
	/* a disk under the controller */
	mkdirs(STORAGE "/virtio1/block/vda");
	put(STORAGE "/virtio1/block/vda/uevent",
	    "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\nDISKSEQ=1\n");
	link_to("../../../../../../class/block", STORAGE "/virtio1/block/vda/subsystem");
	link_to("../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda", "class/block/vda");
	/* a tree deeper than the walk goes */
	{
		char deep[4096] = "devices/deep";
		int i;

		for (i = 0; i < 60; i++)
			strcat(deep, "/d");
		mkdirs(deep);
	}
	fd = open(root, O_RDONLY);
	if (fd < 0)
		return -1;
	close(fd);
	log_set_fd(open("/dev/null", O_WRONLY | O_CLOEXEC), false);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_walk(void **state)
{
	struct boot b = { .sysfs = root };
	const struct seen *s;
	int fds = count_fds();

	nseen = 0;
	assert_int_equal(coldplug_walk(&b, collect), 0);
	assert_int_equal(count_fds(), fds); /* the too-deep branch closed what it opened */

	s = find("/" STORAGE);
	assert_non_null(s);
	assert_string_equal(s->action, "add");
	assert_string_equal(s->subsystem, "pci");
	assert_string_equal(s->modalias, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00");
	s = find("/" BOUND);
	assert_non_null(s);
	assert_string_equal(s->subsystem, "pci");
	assert_string_equal(s->modalias, ""); /* bound: needs no module */
	s = find("/" STORAGE "/virtio1/block/vda");
	assert_non_null(s);
	assert_string_equal(s->subsystem, "block");
	assert_string_equal(s->devname, "vda");
}

static void test_block_devices(void **state)
{
	static struct blockdev found;
	struct boot b = { .sysfs = root };

	/* with the root found already, only the search for a second match goes on */
	b.root = &found;
	nseen = 0;
	assert_int_equal(coldplug_block_devices(&b, false, collect), 0);
	assert_int_equal(nseen, 0);
	assert_int_equal(coldplug_block_devices(&b, true, collect), 0);
	assert_int_equal(nseen, 1);
	assert_string_equal(seen[0].action, "add");
	assert_string_equal(seen[0].subsystem, "block");
	assert_string_equal(seen[0].devname, "vda");
	assert_string_equal(seen[0].devpath, "/devices/pci0000:00/0000:00:04.0/virtio1/block/vda");
}

/* Only the unbound controller of the best rank; the unreadable one yields nothing. */
static void test_storage_buses(void **state)
{
	struct boot b = { .sysfs = root };

	nseen = 0;
	assert_int_equal(coldplug_storage_buses(&b, collect), 0);
	assert_int_equal(nseen, 1);
	assert_string_equal(seen[0].devpath, "/" STORAGE);
	assert_string_equal(seen[0].subsystem, "pci");
}

/* On a failed read the buffer is an empty string, not what was there before. */
static void test_read_all_error(void **state)
{
	char buf[64];
	int fd = open(root, O_RDONLY | O_DIRECTORY);

	memset(buf, 'X', sizeof(buf));
	assert_true(sys_read_all(fd, ODD "/modalias", buf, sizeof(buf)) < 0);
	assert_string_equal(buf, "");
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(sys_read_all(fd, "nonexistent", buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_block_devices),
		cmocka_unit_test(test_storage_buses),
		cmocka_unit_test(test_read_all_error),
	};

	return cmocka_run_group_tests_name("coldplug", tests, setup, teardown);
}
