/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The modules an image asks for, resolved into the closure: --omit-modules first, then the
 * module sets of --modules-dir (--profile generic) or what the host's root needs (--profile
 * host), then --add-modules.
 */
#ifndef MKRDINIT_MODSETS_H
#define MKRDINIT_MODSETS_H

#include "image.h"

/* Resolve --omit-modules, the module sets and --add-modules into @c, open on o->kver. */
int image_closure(const struct image_opts *o, const struct image_plan *p, struct closure *c,
		  struct mk_err *err);

#endif
