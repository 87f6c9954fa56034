/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The staging tree: a temp directory the closure's modules, depmod's inputs and the
 * firmware are copied into, every path resolved below it.
 */
#ifndef MKRDINIT_STAGING_H
#define MKRDINIT_STAGING_H

#include <stddef.h>

#include "closure.h"
#include "confine.h"
#include "image.h"

struct staging {
	char *path;
	struct mk_dir dir; /* confined: no symlinks, no way out */
};

/* A new staging tree in $TMPDIR (else /tmp). */
int staging_make(struct staging *s, struct mk_err *err);

/* Best effort: a leftover temp dir must not turn a good image into a failure. */
void staging_remove(struct staging *s);

/* Remove the tree @path, best effort, without following symlinks. */
void staging_rmtree(const char *path);

/*
 * Create @rel in the staging tree (with its parent directories) for
 * writing, anew.  Resolved below the tree: a name from the module index can
 * never make us write elsewhere.  An fd, or -errno.
 */
int staging_create(const struct mk_dir *stage, const char *rel, struct mk_err *err);

/*
 * Stage the closure's modules as o->modcomp says: by default every one as
 * .ko.zst (recompressed in parallel at the end), else as shipped or plain.
 * Each keeps its path below lib/modules/KVER; depmod's other inputs join them.
 * *@recompressed gets the number of modules recompressed.
 */
int staging_modules(const struct mk_dir *stage, const struct image_opts *o, struct closure *c,
		    size_t *recompressed, struct mk_err *err);

/* The closure's firmware, below lib/firmware. */
int staging_firmware(const struct mk_dir *stage, struct closure *c, struct mk_err *err);

#endif
