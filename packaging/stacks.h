/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The storage stacks an image can carry a root on: LUKS, LVM and MD RAID.  Each is a
 * tool that /init runs from /usr/sbin and a module set in --modules-dir.
 */
#ifndef MKRDINIT_STACKS_H
#define MKRDINIT_STACKS_H

#include <stddef.h>

enum stack {
	STACK_LUKS = 1U << 0,
	STACK_LVM = 1U << 1,
	STACK_MD = 1U << 2,
};

#define STACK_ALL (STACK_LUKS | STACK_LVM | STACK_MD)

/* For messages: the names --omit-stacks takes. */
#define STACK_NAMES "luks, lvm, md"

struct stack_info {
	enum stack bit;
	const char *name; /* for --omit-stacks */
	const char *tool; /* in --stacks-dir, and in /usr/sbin/ in the image */
	const char *set;  /* its module set, in --modules-dir */
};

/* The table, in a fixed order; *@n gets its length. */
const struct stack_info *stacks_all(size_t *n);

/* The stack named @name ("luks"), or NULL. */
const struct stack_info *stack_by_name(const char *name);

/* The stack whose module set is the file @set ("md.list"), or NULL: a set for every image. */
const struct stack_info *stack_by_set(const char *set);

#endif
