// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Block devices and root matching (devices.c) and the failure report (report.c), with a
 * fake prober: a table of what each device "holds", which a test changes between events
 * the way a rescue shell relabels a disk.
 */
#include <errno.h>
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

/* ---- the fake media --------------------------------------------------------------- */

struct medium {
	char name[64];
	const char *type, *uuid, *label, *partuuid, *pttype;
};
static struct medium media[512];
static int nmedia, nprobes;

static struct medium *medium(const char *name)
{
	int i;

	for (i = 0; i < nmedia; i++)
		if (!strcmp(media[i].name, name))
			return &media[i];
	snprintf(media[nmedia].name, sizeof(media[nmedia].name), "%s", name);
	return &media[nmedia++];
}

void devices_stop_prober(struct devices *t)
{
}

/* the prober: what the fixture says each device holds */
void prober_probe(struct devices *t, struct blockdev *d)
{
	struct medium *m = medium(d->name);
	enum probe_depth depth = t->depth;

	nprobes++;
	snprintf(d->type, sizeof(d->type), "%s", m->type ? m->type : "");
	snprintf(d->uuid, sizeof(d->uuid), "%s", m->uuid ? m->uuid : "");
	snprintf(d->label, sizeof(d->label), "%s", m->label ? m->label : "");
	snprintf(d->partuuid, sizeof(d->partuuid), "%s",
		 depth == PARTS_ENTRY && m->partuuid ? m->partuuid : "");
	snprintf(d->pttype, sizeof(d->pttype), "%s",
		 depth != PARTS_NONE && m->pttype ? m->pttype : "");
	d->size = 1 << 20;
}

/* ---- what devices.c and report.c call elsewhere ----------------------------------- */

int modules_load_fs(struct modules *m, const char *fstype)
{
	return 0;
}

void modules_report(const struct modules *m,
		    void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud)
{
	fn("virtio:d00000002v00001AF4", MODULE_NONE, ud);
	fn("module ext4 for fs-ext4", MODULE_BLACKLISTED, ud);
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	return 0;
}

int alias_rank(const char *modalias)
{
	return !strncmp(modalias, "virtio:d00000002", 16) ? 0 : 2;
}

/* ---- helpers ------------------------------------------------------------------------ */

static char logpath[] = "/tmp/rdinit-test-devices-log-XXXXXX";
static char reportpath[] = "/tmp/rdinit-test-devices-report-XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(logpath), rfd = mkstemp(reportpath);

	if (fd < 0 || rfd < 0)
		return -1;
	close(rfd);
	log_set_fd(fd, false);
	log_set_max_level(LOG_LVL_DEBUG);
	return 0;
}

static int teardown(void **state)
{
	unlink(logpath);
	unlink(reportpath);
	return 0;
}

static void boot_init(struct boot *b, const char *root)
{
	memset(b, 0, sizeof(*b));
	nmedia = nprobes = 0;
	memset(media, 0, sizeof(media));
	b->report_path = reportpath;
	assert_int_equal(rootspec_parse(root, &b->spec), 0);
	devices_depth_for(&b->devs, &b->spec);
}

/* a uevent for block device @name; a partition @partn > 0 of disk @disk */
static void event(struct boot *b, const char *action, const char *name, const char *disk, int partn)
{
	char devpath[200];
	struct uevent ev = { 0 };

	if (disk)
		snprintf(devpath, sizeof(devpath), "/devices/virtual/block/%s/%s", disk, name);
	else
		snprintf(devpath, sizeof(devpath), "/devices/virtual/block/%s", name);
	ev.action = action;
	ev.subsystem = "block";
	ev.devname = name;
	ev.devpath = devpath;
	ev.partn = partn;
	ev.major = 254;
	ev.minor = nmedia;
	devices_event(b, &ev);
}

/* the log so far, as one string (static) */
static const char *logged(void)
{
	static char buf[1 << 16];
	FILE *f = fopen(logpath, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static const char *reported(void)
{
	static char buf[1 << 16];
	FILE *f = fopen(reportpath, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* ---- tests -------------------------------------------------------------------------- */

/* The root behind 300 other block devices is found: no table fills up (MAX_SEEN was 64). */
static void test_many_devices(void **state)
{
	struct boot b;
	char name[32];
	int i;

	boot_init(&b, "LABEL=theroot");
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "sd%d", i);
		medium(name)->type = "ext4";
		medium(name)->label = "other";
		event(&b, "add", name, NULL, 0);
		assert_null(b.root);
	}
	medium("vdz")->type = "ext4";
	medium("vdz")->label = "theroot";
	event(&b, "add", "vdz", NULL, 0);
	assert_non_null(b.root);
	assert_string_equal(b.rootdev.devnode, "/dev/vdz");
	assert_string_equal(b.rootdev.fstype, "ext4");
	assert_int_equal(b.devs.n, 301);
	devices_clear(&b.devs);
}

/* "add" twice probes once; "change" probes again; "remove" forgets. */
static void test_add_change_remove(void **state)
{
	struct boot b;

	boot_init(&b, "LABEL=fixed");
	medium("vda")->type = "ext4";
	medium("vda")->label = "wrong";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vda", NULL, 0);
	assert_int_equal(nprobes, 1);
	assert_null(b.root);
	medium("vda")->label = "fixed";
	event(&b, "add", "vda", NULL, 0);
	assert_null(b.root); /* a second "add" is the replay repeating netlink */
	event(&b, "change", "vda", NULL, 0);
	assert_int_equal(nprobes, 2);
	assert_non_null(b.root);
	event(&b, "remove", "vda", NULL, 0);
	assert_null(b.root);
	assert_int_equal(b.devs.n, 0);
	devices_clear(&b.devs);
}

/* A retry starts from an empty table: every device is probed again (the shell relabelled). */
static void test_retry_reprobes(void **state)
{
	struct boot b;

	boot_init(&b, "LABEL=fixed");
	medium("vda")->type = "ext4";
	medium("vda")->label = "wrong";
	event(&b, "add", "vda", NULL, 0);
	assert_null(b.root);
	medium("vda")->label = "fixed";
	devices_clear(&b.devs);
	event(&b, "add", "vda", NULL, 0);
	assert_non_null(b.root);
	devices_clear(&b.devs);
}

/* The root found stays valid while the table grows under it (the duplicate check). */
static void test_root_survives_growth(void **state)
{
	struct boot b;
	char name[32];
	int i;

	boot_init(&b, "UUID=1234");
	medium("vda")->type = "xfs";
	medium("vda")->uuid = "1234";
	event(&b, "add", "vda", NULL, 0);
	assert_non_null(b.root);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "vdb%d", i);
		event(&b, "add", name, NULL, 0);
	}
	assert_string_equal(b.root->name, "vda");
	assert_string_equal(b.root->uuid, "1234");
	devices_clear(&b.devs);
}

/* A device before the root goes away: the root found is still the root. */
static void test_forget_before_root(void **state)
{
	struct boot b;

	boot_init(&b, "LABEL=theroot");
	medium("vda")->type = "ext4";
	medium("vdb")->type = "ext4";
	medium("vdz")->type = "ext4";
	medium("vdz")->label = "theroot";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vdb", NULL, 0);
	event(&b, "add", "vdz", NULL, 0);
	assert_string_equal(b.root->name, "vdz");
	event(&b, "remove", "vda", NULL, 0);
	assert_int_equal(b.devs.n, 2);
	/* a new device takes the slot the root had before the table moved */
	event(&b, "add", "vdc", NULL, 0);
	assert_string_equal(b.root->name, "vdz");
	assert_string_equal(b.root->label, "theroot");
	devices_clear(&b.devs);
}

static void test_partnroff(void **state)
{
	struct boot b;

	boot_init(&b, "PARTUUID=aaaa-01/PARTNROFF=2");
	medium("vda")->pttype = "dos";
	medium("vda1")->partuuid = "aaaa-01";
	medium("vda1")->type = "vfat";
	medium("vda3")->partuuid = "aaaa-03";
	medium("vda3")->type = "ext4";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vda1", "vda", 1);
	assert_null(b.root);
	event(&b, "add", "vda3", "vda", 3);
	assert_non_null(b.root);
	assert_string_equal(b.rootdev.devnode, "/dev/vda3");
	devices_clear(&b.devs);
}

/* root=/dev/vda on a disk with a partition table is not mounted; the report names its partitions.
 */
static void test_whole_disk_hint(void **state)
{
	struct boot b;

	boot_init(&b, "/dev/vda");
	b.opts.root = (char *)"/dev/vda";
	b.opts.timeout = 3;
	medium("vda")->pttype = "gpt";
	medium("vda1")->type = "ext4";
	medium("vda1")->label = "sys";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vda1", "vda", 1);
	assert_null(b.root);
	report_root_missing(&b, 3);
	assert_non_null(strstr(reported(), "root device not found: root=/dev/vda"));
	assert_non_null(strstr(reported(), "hint: /dev/vda is a whole disk with a gpt partition"));
	assert_non_null(strstr(reported(), "hint:   /dev/vda1 TYPE=\"ext4\" LABEL=\"sys\""));
	assert_non_null(strstr(reported(), "no module in the image for device virtio:d0000000"));
	assert_non_null(strstr(reported(), "module ext4 for fs-ext4 is blacklisted"));
	devices_clear(&b.devs);
}

static void test_hints(void **state)
{
	struct boot b;

	boot_init(&b, "LABEL=rootfs");
	b.opts.root = (char *)"LABEL=rootfs";
	medium("vda")->type = "ext4";
	medium("vda")->label = "RootFS";
	medium("vda")->uuid = "0a1b2c3d-0000-4000-8000-000000000001";
	event(&b, "add", "vda", NULL, 0);
	report_root_missing(&b, 2);
	assert_non_null(strstr(reported(), "hint: /dev/vda has LABEL=RootFS (labels are case"));
	devices_clear(&b.devs);

	boot_init(&b, "UUID=0a1b2c3d-0000-4000-8000-000000000002");
	b.opts.root = (char *)"UUID=0a1b2c3d-0000-4000-8000-000000000002";
	medium("vda")->type = "ext4";
	medium("vda")->uuid = "0a1b2c3d-0000-4000-8000-000000000001";
	event(&b, "add", "vda", NULL, 0);
	report_root_missing(&b, 2);
	assert_non_null(strstr(reported(), "hint: /dev/vda has UUID=0a1b2c3d-0000-4000-8000-"
					   "000000000001, one character off"));
	devices_clear(&b.devs);
}

static void test_duplicates(void **state)
{
	struct boot b;

	boot_init(&b, "LABEL=twin");
	medium("vda")->type = "ext4";
	medium("vda")->label = "twin";
	medium("vdb")->type = "ext4";
	medium("vdb")->label = "twin";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vdb", NULL, 0);
	assert_string_equal(b.rootdev.devnode, "/dev/vda");
	devices_warn_duplicates(&b);
	assert_non_null(strstr(logged(), "root=twin also matches /dev/vdb; using /dev/vda"));
	devices_clear(&b.devs);
}

/* A name longer than the table holds is said, not dropped silently. */
static void test_long_name(void **state)
{
	struct boot b;
	char name[100];

	boot_init(&b, "LABEL=x");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	event(&b, "add", name, NULL, 0);
	assert_int_equal(b.devs.n, 0);
	assert_non_null(strstr(logged(), "ignoring block device 'aaaa"));
	devices_clear(&b.devs);
}

/*
 * Another spec than root= (a device the root's fstab names): devices_find() looks among the
 * devices seen, with the root's rules (a whole disk with a table is no filesystem); a
 * PARTUUID= when only filesystems were probed so far probes them all again, deeper.
 */
static void test_find_other(void **state)
{
	struct root_spec usr, part, whole;
	const struct blockdev *d;
	struct boot b;

	boot_init(&b, "UUID=1111");
	medium("vda")->type = "ext4";
	medium("vda")->uuid = "1111";
	medium("vdb")->pttype = "gpt";
	medium("vdb1")->type = "xfs";
	medium("vdb1")->label = "usr";
	medium("vdb1")->partuuid = "beef-01";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vdb", NULL, 0);
	event(&b, "add", "vdb1", "vdb", 1);
	assert_string_equal(b.rootdev.devnode, "/dev/vda");
	assert_int_equal(rootspec_parse("LABEL=usr", &usr), 0);
	d = devices_find(&b, &usr);
	assert_non_null(d);
	assert_string_equal(d->name, "vdb1");
	assert_int_equal(rootspec_parse("PARTUUID=beef-01", &part), 0);
	assert_null(devices_find(&b, &part)); /* not probed that deep yet */
	nprobes = 0;
	devices_deepen_for(&b.devs, &part);
	assert_int_equal(nprobes, 3);
	d = devices_find(&b, &part);
	assert_non_null(d);
	assert_string_equal(d->name, "vdb1");
	devices_deepen_for(&b.devs, &usr); /* shallower: nothing probed again */
	assert_int_equal(nprobes, 3);
	assert_int_equal(rootspec_parse("/dev/vdb", &whole), 0);
	assert_null(devices_find(&b, &whole));
	assert_string_equal(b.rootdev.devnode, "/dev/vda");
	devices_clear(&b.devs);
}

/* /usr's device missing: the report names the fstab entry and lists what was seen. */
static void test_fstab_report(void **state)
{
	struct fstab_entry e = { (char *)"LABEL=Usr", (char *)"/usr", (char *)"ext4", (char *)"ro",
				 4 };
	struct root_spec usr;
	struct boot b;

	boot_init(&b, "UUID=1111");
	medium("vda")->type = "ext4";
	medium("vda")->uuid = "1111";
	medium("vdb")->type = "ext4";
	medium("vdb")->label = "usr";
	event(&b, "add", "vda", NULL, 0);
	event(&b, "add", "vdb", NULL, 0);
	assert_int_equal(rootspec_parse(e.spec, &usr), 0);
	assert_null(devices_find(&b, &usr));
	report_fstab_missing(&b, &e, &usr, 7);
	assert_non_null(strstr(reported(), "device for /usr not found: LABEL=Usr (LABEL, "
					   "/etc/fstab line 4 of /dev/vda), waited 7 s\n"));
	assert_non_null(strstr(reported(), "saw /dev/vdb "));
	assert_non_null(
		strstr(reported(), "hint: /dev/vdb has LABEL=usr (labels are case-sensitive)"));
	report_fstab_mount_failed(&b, &e, "/dev/vdb", "ext4", "wrong fs type");
	assert_non_null(strstr(reported(),
			       "cannot mount /dev/vdb on /usr (/etc/fstab line 4 of "
			       "/dev/vda: LABEL=Usr, TYPE=ext4, options ro): wrong fs type"));
	devices_clear(&b.devs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_devices),	cmocka_unit_test(test_add_change_remove),
		cmocka_unit_test(test_retry_reprobes),	cmocka_unit_test(test_root_survives_growth),
		cmocka_unit_test(test_partnroff),	cmocka_unit_test(test_forget_before_root),
		cmocka_unit_test(test_whole_disk_hint), cmocka_unit_test(test_hints),
		cmocka_unit_test(test_duplicates),	cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_find_other),	cmocka_unit_test(test_fstab_report),
	};

	return cmocka_run_group_tests_name("devices", tests, setup, teardown);
}
