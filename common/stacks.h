/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The storage stacks a root can sit on, one row each, read by both programs: /init dispatches
 * a probed device to its stack by blkid TYPE and runs the stack's tool, mkrdinit packs the
 * tool and the module set. A new stack is a row here and, in /init, a file exporting its
 * struct stack_ops (init/block/stacks.c lists them).
 */
#ifndef RDINIT_COMMON_STACKS_H
#define RDINIT_COMMON_STACKS_H

enum stack_kind { STACK_LUKS, STACK_LVM, STACK_MD, STACK_KINDS };
#define STACK_BIT(kind) (1u << (kind))
#define STACK_ALL ((1u << STACK_KINDS) - 1)

struct stack_def {
	enum stack_kind kind;
	const char *name;	     /* "luks": mkrdinit --omit-stacks, and the module set's name */
	const char *title;	     /* "LUKS": what messages call it */
	const char *blkid_type;	     /* the TYPE libblkid gives a member */
	const char *tool;	     /* /init runs it from /usr/sbin; mkrdinit packs it */
	const char *set;	     /* its module set in modules/: "luks.list" */
	const char *const *modules;  /* what /init loads before the tool first runs */
	const char *const *run_dirs; /* what /init makes in /run before the tool first runs */
};

extern const struct stack_def stack_defs[STACK_KINDS];

/* For messages: the names --omit-stacks takes, "luks, lvm, md". */
#define STACK_NAMES "luks, lvm, md"

/* The row whose name, blkid TYPE or module set file is @s, or NULL. */
const struct stack_def *stackdef_by_name(const char *s);
const struct stack_def *stackdef_by_type(const char *s);
const struct stack_def *stackdef_by_set(const char *s);

#endif
