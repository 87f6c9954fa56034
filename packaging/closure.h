/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Module closure: which module files (and firmware) an image needs so that the
 * requested modules load, computed with libkmod over DIR/lib/modules/KVER.
 */
#ifndef MKRDINIT_CLOSURE_H
#define MKRDINIT_CLOSURE_H

#include <stddef.h>

#include "confine.h"

struct closure;

struct closure_mod {
	char *name;   /* kmod's module name, e.g. "xen_blkfront" */
	char *path;   /* relative to the module dir; NULL when there is no file */
	char *reason; /* why it was pulled in, for --verbose */
	int builtin;  /* listed in modules.builtin */
};

/*
 * Open the module dir of @kver under @basedir.  modprobe.d configuration
 * (aliases, softdeps) is read from @basedir too, never from the host.
 */
int closure_new(struct closure **out, const char *basedir, const char *kver, struct mk_err *err);
void closure_free(struct closure *c);

static inline void closure_freep(struct closure **c)
{
	closure_free(*c);
}

/*
 * Resolve @name (a module name or an alias) and add every match with its
 * dependencies, softdeps and firmware.  @why labels the request in
 * --verbose output.  Returns the number of modules matched, or -ENOENT
 * when nothing in this kernel matches (not recorded in @err: whether that
 * is fatal is the caller's call).
 */
int closure_add(struct closure *c, const char *name, const char *why, struct mk_err *err);

/*
 * Never add the modules @name (a name or an alias) resolves to, nor what
 * only they would have pulled in.  Call before closure_add().  Returns the
 * number of modules matched, or -ENOENT.
 */
int closure_omit(struct closure *c, const char *name, struct mk_err *err);

/*
 * Omitted modules that a chosen module needs (hard dependencies), as
 * "MOD (needed by USER)", sorted: that user will not load.
 */
size_t closure_broken(struct closure *c, char *const **notes);

/*
 * Some module file of this kernel, to tell what machine it is built for: its path below
 * the module dir, as closure_modules() gives them (malloc'd).  -ENOENT (not recorded)
 * when the kernel has no modules.
 */
int closure_any_module(struct closure *c, char **rel, struct mk_err *err);

/* Module files, sorted by path.  Valid until the next closure_add(). */
size_t closure_modules(struct closure *c, const struct closure_mod **mods);

/* Modules without a file (builtin, or install-only aliases), sorted by name. */
size_t closure_nofile(struct closure *c, const struct closure_mod **mods);

/* Firmware found under DIR/lib/firmware, paths relative to it, sorted. */
size_t closure_firmware(struct closure *c, char *const **paths);

/* Firmware named by a module but absent, as "NAME (MODULE)", sorted. */
size_t closure_missing_firmware(struct closure *c, char *const **names);

/*
 * --basedir, for reading the files out: paths resolved below it cannot
 * leave it.  Module paths are below closure_modrel() ("lib/modules/KVER"),
 * firmware below "lib/firmware".
 */
const struct mk_dir *closure_root(const struct closure *c);
const char *closure_modrel(const struct closure *c);

/* Absolute module and firmware dirs, for messages. */
const char *closure_moddir(const struct closure *c);
const char *closure_fwdir(const struct closure *c);

#endif
