/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Modules stored as .ko.zst: whatever the kernel shipped (.ko, .ko.xz,
 * .ko.gz) is decompressed with libarchive and compressed again with libzstd,
 * on every CPU.  rdinit decompresses zstd in userspace several times faster
 * than the kernel decompresses xz, and only the modules a boot loads.
 */
#ifndef MKRDINIT_MODCOMP_H
#define MKRDINIT_MODCOMP_H

#include "confine.h"

#define MODCOMP_LEVEL_DEFAULT 9
#define MODCOMP_LEVEL_MAX 19

struct modcomp_job {
	char *src; /* the module as shipped, below the source dir */
	char *dst; /* the .ko.zst to create below the staging dir (its directory exists) */
};

/*
 * Write every job's .ko.zst at zstd @level, reading below @src and writing
 * below @dst (neither left: see struct mk_dir), with up to @threads threads (0:
 * one per online CPU).  The frames carry their content size, so rdinit
 * decompresses each in one call into a buffer of the right size.  Output
 * bytes depend only on the input and @level, not on the thread count.
 */
int modcomp_zstd(const struct modcomp_job *jobs, size_t n, const struct mk_dir *src,
		 const struct mk_dir *dst, int level, int threads, struct mk_err *err);

#endif
