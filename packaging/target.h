/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the image is for: the architecture of the kernel's modules, checked against --arch
 * and --profile host, and the defaults that follow from it (/init, the stack tools).
 */
#ifndef MKRDINIT_TARGET_H
#define MKRDINIT_TARGET_H

#include "image.h"

/*
 * Settle what the image is for, with @c open on the kernel: o->arch as --arch said, else
 * the machine of the kernel's modules, else (no modules) this machine's; --arch that
 * contradicts the modules, or --profile host for another machine than this one, is an
 * error.  Then o->init and o->stacks_dir default to the architecture's.
 */
int image_target(struct image_opts *o, struct closure *c, struct mk_err *err);

#endif
