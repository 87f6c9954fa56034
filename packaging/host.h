/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --profile host: what the running machine needs to mount its root, found
 * from /proc/self/mountinfo and the device chain of the root in /sys.
 */
#ifndef MKRDINIT_HOST_H
#define MKRDINIT_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "mkerr.h"
#include "stacks.h"

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

/* A dm-crypt device in the root's stack, for picking its crypttab entry. */
struct host_crypt {
	char *name;    /* dm/name: crypttab's NAME that opened it */
	char *uuid;    /* the LUKS header's UUID, lowercase hex without dashes; NULL if not LUKS */
	char **slaves; /* kernel names of the devices below it ("vda2", "dm-0") */
	size_t n_slaves;
};

struct host_root {
	char *fstype;		   /* of / as mountinfo says */
	char *source;		   /* mountinfo's mount source, e.g. /dev/vda */
	unsigned int major, minor; /* 0:0 when / has no block device */
	struct host_key *keys;
	size_t n_keys, cap;
	unsigned int stacks; /* STACK_BIT()s: the tools the chain needs to come up */
	struct host_crypt *crypt;
	size_t n_crypt;
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

/*
 * Whether the crypttab entry @name @device opens a dm-crypt device of the root's stack:
 * @name is its dm name, or @device (UUID=, PARTUUID=, LABEL=, PARTLABEL=, a /dev path) is
 * a device below it.  Tags and /dev paths are resolved through the udev links under
 * @root/dev ("" for the host's own /dev); UUID= also matches the UUID of a LUKS header.
 */
bool host_crypt_wants(const struct host_root *h, const char *name, const char *device,
		      const char *root);

#endif
