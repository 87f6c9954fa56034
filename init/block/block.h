/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's block wing: block devices seen and probed, matched against root=, and the
 * storage stacks (LUKS, LVM, MD RAID) they hold.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "settings/settings.h"
#include "stacks.h"

struct boot;
struct uevent;

/* rootspec.c: what root= asks for */
enum root_kind {
	ROOT_NONE,
	ROOT_UUID,
	ROOT_LABEL,
	ROOT_PARTUUID,
	ROOT_PARTLABEL,
	ROOT_DEVNAME, /* /dev/NAME: value holds NAME */
	ROOT_DEVNUM,  /* MAJ:MIN or the kernel's hex form */
};
struct root_spec {
	enum root_kind kind;
	char value[256];
	unsigned int major, minor;
	int partnroff; /* PARTUUID=.../PARTNROFF=N: the partition N after the one named */
};
int rootspec_parse(const char *root, struct root_spec *spec);
const char *rootspec_kind_name(enum root_kind kind);

/* Every block device seen since the last (re)start of the search, probed with libblkid. */
struct blockdev {
	char name[64];
	char disk[64]; /* for a partition: the whole disk it is on */
	int major, minor, partn;
	char type[32], uuid[64], label[64], partuuid[64], partlabel[64], pttype[16];
	unsigned long long size;
};
/* How much of the partitions chain a probe runs: root=UUID= and LABEL= need none of it. */
enum probe_depth { PARTS_NONE, PARTS_TABLE, PARTS_ENTRY };
struct devices {
	struct blockdev **v; /* each in its own allocation: a pointer to one stays valid */
	size_t n, cap;
	enum probe_depth depth;
	const char *devdir; /* NULL: "/dev"; else a dry run's, under --sysroot */
	pid_t prober_pid;   /* > 0 while there is one */
	int prober_fd;
};

/* rootspec.c: whether a device is the one a spec names */
bool rootdev_matches(const struct root_spec *spec, const struct blockdev *d);

/* luks.c: /etc/crypttab, parsed */
#include "crypttab.h"

/* stacktool.c: LUKS, LVM and MD RAID members seen, and what became of each */
enum member_state {
	MEMBER_DONE,	/* unlocked, activated, assembled: nothing to report */
	MEMBER_SKIPPED, /* not ours to open (rd.luks=0, not in rd.lvm.vg=, ...) */
	MEMBER_WAITING, /* a tool still running, a group or an array not complete yet */
	MEMBER_FAILED,	/* locked, or the tool failed: the report says why */
};
struct stack_member {
	char dev[64];	 /* the member's block device, "vdb" */
	char uuid[64];	 /* LUKS UUID, PV UUID or array UUID */
	char group[128]; /* the volume group, or the array ("md127") it belongs to */
	enum stack_kind kind;
	enum member_state state;
	char what[512];	    /* for the report: what was done, or why not */
	long long since_ms; /* MD: when it joined its (incomplete) array */
	unsigned int timer; /* MD: the loop's timer of that array, on one member; 0 none */
	void *job;	    /* LUKS: what unlocking it has come to, while a passphrase waits */
};
struct prompt;
struct stacks {
	struct stack_member *v;
	size_t n, cap;
	struct crypttab crypttab;
	bool crypttab_read;
	char *passphrase;	   /* the last that unlocked a device: tried first on the next */
	struct prompt *prompt;	   /* the passphrase prompt open (prompt.c); NULL: none */
	unsigned int tool_missing; /* bit per enum stack_kind, said once */
	unsigned int prepared;	   /* bit per enum stack_kind: modules loaded, /run dirs made */
	const char *tool_dir; /* NULL: the image's /usr/sbin and the like; tests put fakes here */
	bool no_run_dirs;     /* tests: the tools' directories in /run are not made */
	const char *consoles; /* NULL: /sys/class/tty/console/active; tests name a pty here */
};

/* prober.c: @d's TYPE, UUID and the like filled in by libblkid, in a child process */
void prober_probe(struct devices *t, struct blockdev *d);
void devices_stop_prober(struct devices *t);

/* devices.c */
void devices_event(struct boot *b, const struct uevent *ev);
void devices_clear(struct devices *d);
void devices_reprobe_all(struct devices *d);
void devices_warn_duplicates(const struct boot *b);
void devices_depth_for(struct devices *d, const struct root_spec *spec);
void devices_deepen_for(struct devices *t, const struct root_spec *spec);
const struct blockdev *devices_find(struct boot *b, const struct root_spec *spec);

/*
 * stacks.c: what a probed block device holds decides what runs, through the stack whose
 * blkid TYPE it has (common/stacks.h): one struct stack_ops per stack, in luks.c, lvm.c, md.c
 */
struct stack_ops {
	/* a member seen: what it needs starts (a tool runs as a child of the loop) */
	void (*member)(struct boot *b, const struct blockdev *d);
	/* rdinit --dry-run: what would be done with @d, into @out; 1 it would run the tool */
	int (*describe)(struct boot *b, const struct blockdev *d, char *out, size_t size);
	/* the loop has nothing else to do: what waits for the devices to settle may start */
	void (*idle)(struct boot *b);
	/* the device waited for was found: what still waits for the user is not needed */
	void (*found)(struct boot *b);
	/* member @m is forgotten (its device went, the search starts over): what is kept goes */
	void (*drop)(struct boot *b, struct stack_member *m);
};
extern const struct stack_ops luks_ops, lvm_ops, md_ops;
void stacks_device(struct boot *b, const struct blockdev *d);
void stacks_idle(struct boot *b);
void stacks_found(struct boot *b);
void stacks_forget(struct boot *b, const char *dev);
void stacks_retry(struct boot *b);
void stacks_end(struct boot *b);
void stacks_report(const struct boot *b, void (*fn)(const char *line, void *ud), void *ud);

/* stacktool.c: the members, and the tools run for them as children of the loop */
struct stack_member *stacks_member(struct boot *b, const struct blockdev *d, enum stack_kind k);
struct stack_member *stacks_find(struct boot *b, enum stack_kind k, const char *dev);
void stack_set(struct stack_member *m, enum member_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void stacks_set_group(struct boot *b, enum stack_kind k, const char *group, enum member_state state,
		      const char *what);
int stack_tool(struct boot *b, enum stack_kind k, const char **path);
/*
 * What @argv (argv[0] a path, run for member device @dev) ended with: its exit status, 128 + N
 * for signal N, -ETIME when it was killed for taking too long, -errno when it could not run,
 * LOOP_CANCELLED when the boot stopped waiting for it; and what it said (stdout, stderr)
 */
typedef void stack_done_fn(struct boot *b, void *data, int r, const char *out);
int stack_spawn(struct boot *b, char *const argv[], const char *dev, const char *input,
		size_t inlen, stack_done_fn *done, void *data);
const char *stack_last_line(const char *out, char *buf, size_t size);

/* luks.c */
int luks_plan_describe(struct boot *b, const struct blockdev *d, char *out, size_t size);

/* prompt.c: the passphrase prompt, a source of the loop */
#define PROMPT_MAX 512
typedef void prompt_fn(struct boot *b, void *data, int r, const char *line);
int prompt_open(struct boot *b, const char *text, prompt_fn *fn, void *data);
bool prompt_is_open(const struct boot *b);
void prompt_withdraw(struct boot *b);

/* resume.c */
void resume_from_hibernation(struct boot *b);
