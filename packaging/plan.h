/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image's plan: its storage stacks (every one for --profile generic, those of the
 * root for --profile host, less --omit-stacks), their tools checked, and its crypttab.
 */
#ifndef MKRDINIT_PLAN_H
#define MKRDINIT_PLAN_H

#include "image.h"

/*
 * Decide the stacks (the profile's, less --omit-stacks; --profile host scans the root
 * first), check their tools are in o->stacks_dir, and read the crypttab: --crypttab, else
 * for a host root on LUKS the entries of the host's that open it; check its key files.
 */
int image_plan(const struct image_opts *o, struct image_plan *p, struct mk_err *err);
void image_plan_free(struct image_plan *p);

#endif
