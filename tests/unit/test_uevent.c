// SPDX-License-Identifier: LGPL-2.1-or-later
/* uevent parsing, from netlink messages and sysfs files, including malformed ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"

static void test_netlink(void **state)
{
	char msg[] = "add@/devices/pci0000:00/0000:00:03.0/virtio0/block/vda\0"
		     "ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:03.0/virtio0/block/vda\0"
		     "SUBSYSTEM=block\0MAJOR=254\0MINOR=0\0DEVNAME=vda\0DEVTYPE=disk\0"
		     "DISKSEQ=1\0SEQNUM=1234\0";
	struct uevent ev;

	assert_int_equal(uevent_parse_netlink(msg, sizeof(msg), &ev), 0);
	assert_string_equal(ev.action, "add");
	assert_string_equal(ev.subsystem, "block");
	assert_string_equal(ev.devname, "vda");
	assert_string_equal(ev.devtype, "disk");
	assert_int_equal(ev.major, 254);
	assert_int_equal(ev.minor, 0);
	assert_int_equal(ev.seqnum, 1234);
	assert_null(ev.modalias);
}

static void test_netlink_modalias(void **state)
{
	char msg[] = "add@/devices/pci0000:00/0000:00:03.0/virtio0\0ACTION=add\0"
		     "DEVPATH=/devices/pci0000:00/0000:00:03.0/virtio0\0SUBSYSTEM=virtio\0"
		     "MODALIAS=virtio:d00000002v00001AF4\0SEQNUM=7\0";
	struct uevent ev;

	assert_int_equal(uevent_parse_netlink(msg, sizeof(msg), &ev), 0);
	assert_string_equal(ev.modalias, "virtio:d00000002v00001AF4");
	assert_int_equal(ev.major, -1);
}

static void test_netlink_truncated(void **state)
{
	/* no terminating NUL: the last value is cut, nothing is read past the end */
	char msg[] = "add@/x\0ACTION=add\0DEVPATH=/x\0SUBSYSTEM=block\0DEVNAME=vdb";
	struct uevent ev;

	assert_int_equal(uevent_parse_netlink(msg, sizeof(msg) - 1, &ev), 0);
	assert_string_equal(ev.devname, "vd");
}

static void test_netlink_refused(void **state)
{
	char nohdr[] = "ACTION=add\0DEVPATH=/x\0SUBSYSTEM=block\0";
	char libudev[] = "libudev\0\xfe\xed\xca\xfe";
	char only_hdr[] = "add@/devices/x";
	char no_action[] = "add@/x\0DEVPATH=/x\0SUBSYSTEM=block\0";
	char no_nul[] = "add@/devices/x and more without any terminator";
	struct uevent ev;

	assert_int_equal(uevent_parse_netlink(nohdr, sizeof(nohdr), &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(libudev, sizeof(libudev), &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(only_hdr, sizeof(only_hdr), &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(no_action, sizeof(no_action), &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(no_nul, sizeof(no_nul) - 1, &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(nohdr, 0, &ev), -EINVAL);
	assert_int_equal(uevent_parse_netlink(nohdr, 1, &ev), -EINVAL);
}

static void test_file(void **state)
{
	char buf[] = "MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\n";
	struct uevent ev;

	assert_int_equal(uevent_parse_file(buf, sizeof(buf), &ev), 0);
	assert_string_equal(ev.devname, "vda1");
	assert_string_equal(ev.devtype, "partition");
	assert_int_equal(ev.major, 254);
	assert_int_equal(ev.minor, 1);
	assert_null(ev.action);
}

static void test_file_garbage(void **state)
{
	char buf[] = "\n\n=\nMAJOR=\nMINOR=99999999999\nnoequals\nDEVNAME=\xff\xfe\n";
	struct uevent ev;

	assert_int_equal(uevent_parse_file(buf, sizeof(buf), &ev), 0);
	assert_int_equal(ev.major, -1);
	assert_int_equal(ev.minor, -1);
	assert_string_equal(ev.devname, "\xff\xfe");
	assert_int_equal(uevent_parse_file(buf, 0, &ev), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netlink),
		cmocka_unit_test(test_netlink_modalias),
		cmocka_unit_test(test_netlink_truncated),
		cmocka_unit_test(test_netlink_refused),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_garbage),
	};

	return cmocka_run_group_tests_name("uevent", tests, NULL, NULL);
}
