/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Image assembly: what an image is made from (the options, the plan, the closure) and
 * image_write(), which turns them into --output.  The steps before it have a file each:
 * target.c (what the image is for), inputs.c (the options' files), plan.c (stacks and
 * crypttab) and modsets.c (the modules it asks for).
 */
#ifndef MKRDINIT_IMAGE_H
#define MKRDINIT_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "arch.h"
#include "archive.h"
#include "closure.h"
#include "cryptfile.h"
#include "host.h"
#include "mkerr.h"

enum image_profile {
	PROFILE_GENERIC, /* the sets in modules_dir */
	PROFILE_HOST,	 /* what the running machine's root needs */
	PROFILE_NONE,	 /* only --add-modules */
};

/* How modules are stored. */
enum image_modcomp {
	MODCOMP_ZSTD,	    /* .ko.zst, recompressed at o->modlevel unless shipped so */
	MODCOMP_KEEP,	    /* as shipped (.ko, .ko.xz, .ko.zst, .ko.gz) */
	MODCOMP_DECOMPRESS, /* plain .ko */
};

struct image_opts {
	const char *kver;
	const char *basedir;
	const char *output;
	const struct arch *arch; /* --arch; NULL: image_target() decides */
	const char *init;	 /* becomes /init; NULL: the architecture's */
	const char *config;	 /* becomes /etc/rdinit.conf (conf/rdinit.conf unless --config) */
	const char *modules_dir; /* holds the default module sets, *.list */
	enum image_profile profile;
	char **add; /* --add-modules names; each must resolve */
	size_t n_add;
	char **omit; /* --omit-modules names; each must resolve */
	size_t n_omit;
	char **install; /* --install ELF programs, absolute paths */
	size_t n_install;
	char **include; /* --include SRC:DST */
	size_t n_include;
	const char *shell; /* --shell: becomes /bin/sh */
	char **hooks;	   /* --hook STAGE:PATH, STAGE checked */
	size_t n_hooks;
	char **microcode; /* --microcode files, for the early cpio */
	size_t n_microcode;
	const char *stacks_dir;	  /* the stacks' tools, cryptsetup...; NULL: the arch's */
	unsigned int omit_stacks; /* STACK_BIT()s: --omit-stacks */
	const char *crypttab;	  /* --crypttab: becomes /etc/crypttab, with its key files */
	const char *host_root;	  /* --profile host reads its /proc, /sys, /dev, /etc here */
	enum ar_compress compress;
	int level; /* --compress-level; 0 for the default */
	enum image_modcomp modcomp;
	int modlevel;  /* zstd level for MODCOMP_ZSTD */
	int64_t mtime; /* for every entry */
	FILE *debug;   /* --verbose notes; NULL when quiet */
	FILE *warn;    /* warnings, always shown; NULL to drop them */
};

struct image_stats {
	struct ar_stats ar;
	size_t modules;
	size_t firmware;
	size_t recompressed;  /* modules recompressed to .ko.zst */
	size_t private_files; /* files not world-readable on the host: the image is 0600 */
	mode_t mode;	      /* the image's */
};

/* What goes into the image besides /init, the options' files and the modules. */
struct image_plan {
	unsigned int stacks;   /* STACK_BIT()s: tools in /usr/sbin, and (generic) module sets */
	struct host_root host; /* --profile host: the root's device chain */
	struct cryptfile tab;  /* /etc/crypttab and its entries; tab.path NULL for none */
	bool tab_filtered;     /* only some of tab.path's lines: write them, not the file */
	char **keys;	       /* the entries' key files, absolute, as named in the image */
	char **key_srcs;       /* ... and where each is read (below --host-root for the host's) */
	size_t n_keys;
};

/*
 * Stage the closure, index it with depmod and write the image to
 * o->output through a temporary file, so a failure leaves any previous
 * image in place and never a partial one.  The image keeps the mode of the
 * file it replaces, else gets 0666 less the umask; one holding a file others
 * may not read (st->private_files) is 0600 whatever those say.
 */
int image_write(const struct image_opts *o, const struct image_plan *p, struct closure *c,
		struct image_stats *st, struct mk_err *err);

#endif
