/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's events wing: uevents from netlink and from the /sys replay, one path for both,
 * and the loop that waits.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "services/services.h"

struct boot;
struct root_spec;
struct blockdev;

#define UEVENT_BUFSIZE 8192

/* uevent.c: a parsed uevent, from netlink or from a sysfs uevent file */
struct uevent {
	const char *action;
	const char *devpath;
	const char *subsystem;
	const char *devtype;
	const char *devname;
	const char *modalias;
	unsigned long long seqnum;
	int partn;	  /* PARTN=, 0 for a whole disk */
	int major, minor; /* -1 when absent */
};
int uevent_parse_netlink(char *buf, size_t len, struct uevent *ev);
int uevent_parse_file(char *buf, size_t len, struct uevent *ev);

struct msghdr;
/* event.c: uevents from netlink and from the /sys replay, one path for both */
struct alias_queue {
	char **v;
	size_t n, cap;
};
struct events {
	int nl_fd;
	struct alias_queue queue; /* modaliases not loaded yet, best rank first */
	bool walked;		  /* /sys/devices walked since the last replay */
	bool loaded;		  /* a module loaded since (matters without netlink) */
	unsigned long long overflows;
	const struct root_spec *want; /* what the wait in progress looks for; NULL: none */
	/* NULL: recvmsg(2); tests put a fake here */
	ssize_t (*recv)(int fd, struct msghdr *msg, int flags);
};

/* event.c */
int events_open(struct boot *b);
void events_close(struct boot *b);
void event_dispatch(struct boot *b, const struct uevent *ev);
int events_wait_root(struct boot *b, int timeout_ms);
int events_wait_for(struct boot *b, const struct root_spec *spec, int timeout_ms,
		    const struct blockdev **found);
void events_replay_all(struct boot *b);
void events_retry(struct boot *b);

/* coldplug.c: the /sys replay, feeding a handler (event_dispatch()) the same fields netlink carries
 */
#define PATH_MAX_DEVPATH 1024
/* what each replayed device goes to: event_dispatch(), as netlink's do */
typedef void uevent_fn(struct boot *b, const struct uevent *ev);
int coldplug_block_devices(struct boot *b, bool all, uevent_fn *fn);
int coldplug_storage_buses(struct boot *b, uevent_fn *fn);
int coldplug_walk(struct boot *b, uevent_fn *fn);
int sys_read_all(int dirfd, const char *name, char *buf, size_t size);
