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
/*
 * loop.c: the one loop; every wait is a source with the function its completion calls: with
 * the poll(2) revents of a file descriptor, the wait status of a child, 0 for a timer, or
 * LOOP_CANCELLED when loop_clear() drops it
 */
#define LOOP_CANCELLED (-1)
enum loop_kind { LOOP_FD, LOOP_CHILD, LOOP_TIMER };
typedef void loop_fn(struct boot *b, void *data, int arg);
struct loop_source {
	enum loop_kind kind;
	int fd;	       /* LOOP_FD's, or LOOP_CHILD's pidfd (-1: none, looked at now and then) */
	pid_t pid;     /* LOOP_CHILD */
	long long due; /* mono_ms() a timer fires (or a child without pidfd is looked at); -1 */
	loop_fn *fn;
	void *data;
	unsigned int id;
};
struct loop {
	struct loop_source *v; /* grows as sources come */
	size_t n, cap;
	unsigned int next_id;
	unsigned int pauses;	/* prompts open: the wait's clock stands still */
	long long paused_since; /* mono_ms() the first of them opened */
	long long paused_ms;	/* stood still so far, before that */
	bool given_up;		/* the wait ends now, the device unseen (loop_give_up()) */
};
struct events {
	int nl_fd;
	struct alias_queue queue; /* modaliases not loaded yet, best rank first */
	bool walked;		  /* /sys/devices walked since the last replay */
	bool loaded;		  /* a module loaded since (matters without netlink) */
	unsigned long long overflows;
	const struct root_spec *want; /* what the wait in progress looks for; NULL: none */
	struct loop loop;
};

/* loop.c */
unsigned int loop_add_fd(struct boot *b, int fd, loop_fn *fn, void *data);
unsigned int loop_add_child(struct boot *b, pid_t pid, loop_fn *fn, void *data);
unsigned int loop_add_timer(struct boot *b, long long due_ms, loop_fn *fn, void *data);
void loop_remove(struct boot *b, unsigned int id);
void loop_cancel(struct boot *b, unsigned int id);
bool loop_busy(const struct boot *b);
bool loop_has_children(const struct boot *b);
void loop_pause(struct boot *b);
void loop_resume(struct boot *b);
long long loop_paused_ms(const struct boot *b);
int loop_run_once(struct boot *b, int nl_fd, int timeout_ms);
void loop_clear(struct boot *b);
/* the wait in progress ends now, its device unseen: a LUKS device the boot needs stays
 * locked, say (the report says why) */
void loop_give_up(struct boot *b);

/* netlink.c: recvmsg(2) on the uevent socket */
ssize_t netlink_recv(int fd, struct msghdr *msg);

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
