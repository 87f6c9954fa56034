/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files the options name (--init, --config, --shell, --include, --hook, --install,
 * --microcode, --output): each checked before the slow part; --include, --hook and
 * --install added to the image at the end, the programs with the libraries they load.
 */
#ifndef MKRDINIT_INPUTS_H
#define MKRDINIT_INPUTS_H

#include "image.h"

/*
 * Fail early, before the slow part, on inputs that cannot work: among them an ELF program
 * (--init, --install, --shell, a hook) for another machine than o->arch's.
 */
int image_check_inputs(const struct image_opts *o, struct mk_err *err);

/* Each --include SRC:DST at DST, with SRC's permissions. */
int inputs_add_includes(struct ar_list *l, const struct image_opts *o);

/* Hooks under their stage's directory, with their modes. */
int inputs_add_hooks(struct ar_list *l, const struct image_opts *o);

/*
 * --install's programs at their own paths, and the libraries they load where the loader
 * will look for them, with those of the programs the image holds at a place of their own
 * (hooks, the stacks' tools): a library two of them need goes in once, and such a program
 * itself goes only to its place, unless --install'd too.
 */
int inputs_add_installs(struct ar_list *l, const struct image_opts *o, const struct image_plan *p,
			struct mk_err *err);

#endif
