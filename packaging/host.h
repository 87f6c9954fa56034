/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --profile host: what the running machine needs to mount its root, found
 * from /proc/self/mountinfo and the device chain of the root in /sys.
 */
#ifndef MKRDINIT_HOST_H
#define MKRDINIT_HOST_H

#include <stddef.h>

#include "mkrdinit.h"

enum host_kind {
	HOST_MODALIAS, /* a device's modalias: its driver, if this kernel has one */
	HOST_DRIVER,   /* the module the host's driver is in */
	HOST_STACK,    /* dm/md: the module a stacked device needs */
};

struct host_key {
	enum host_kind kind;
	char *key;   /* a name or alias to resolve with libkmod */
	char *where; /* the sysfs dir it came from, for --verbose */
};

struct host_root {
	char *fstype;		   /* of / as mountinfo says */
	char *source;		   /* mountinfo's mount source, e.g. /dev/vda */
	unsigned int major, minor; /* 0:0 when / has no block device */
	struct host_key *keys;
	size_t n_keys, cap;
};

/*
 * Describe the root of @mountinfo (normally /proc/self/mountinfo) and walk
 * its block device through @sysfs (normally /sys): slaves of dm and md
 * devices, then each device's parents up to the bus.  When mountinfo's
 * device number is not a block device's (btrfs reports 0:N), the mount
 * source is stat()ed instead.  The paths are parameters so tests can use
 * fixture trees.
 */
int host_root_scan(struct host_root *h, const char *mountinfo, const char *sysfs,
		   struct mk_err *err);
void host_root_free(struct host_root *h);

#endif
