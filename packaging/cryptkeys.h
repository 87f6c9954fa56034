/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /etc/crypttab in the image, and its key files: --crypttab whole, or for --profile host
 * the host's entries that open a dm-crypt device below its root.
 */
#ifndef MKRDINIT_CRYPTKEYS_H
#define MKRDINIT_CRYPTKEYS_H

#include "confine.h"
#include "image.h"

/*
 * Into @p: --crypttab whole, else (--profile host, a root on LUKS) the host's entries for
 * its root; then their key files, each checked.
 */
int cryptkeys_plan(const struct image_opts *o, struct image_plan *p, struct mk_err *err);

/*
 * The host's crypttab, cut down to the root's entries: a file of our own in the staging
 * tree @stage, with the mode of the one it comes from.  Nothing for a whole --crypttab.
 */
int cryptkeys_stage(const struct mk_dir *stage, const struct image_plan *p, struct mk_err *err);

/* /etc/crypttab (the staged copy below @stage when only some lines go in), and its key files. */
int cryptkeys_add(struct ar_list *l, const struct image_plan *p, const char *stage);

#endif
