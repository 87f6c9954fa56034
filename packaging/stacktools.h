/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The storage stacks' tools (common/stacks.c names them): each chosen stack's tool
 * checked in --stacks-dir, then added to the image as /usr/sbin/TOOL, where /init runs
 * it from.
 */
#ifndef MKRDINIT_STACKTOOLS_H
#define MKRDINIT_STACKTOOLS_H

#include "image.h"

/*
 * Each stack of @stacks (STACK_BIT()s) has its tool in o->stacks_dir: a readable ELF program
 * for the image's machine.
 */
int stacktools_check(const struct image_opts *o, unsigned int stacks, struct mk_err *err);

/* Each stack's tool as /usr/sbin/TOOL. */
int stacktools_add(struct ar_list *l, const struct image_opts *o, unsigned int stacks);

#endif
