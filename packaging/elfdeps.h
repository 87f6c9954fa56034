/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --install: a program and the shared objects the dynamic loader would map
 * for it, found the loader's way (PT_INTERP, DT_NEEDED, DT_RPATH/DT_RUNPATH,
 * ld.so.conf, the default dirs) without running anything.
 */
#ifndef MKRDINIT_ELF_H
#define MKRDINIT_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "mkrdinit.h"

struct elf_set {
	char **paths; /* the files on the host */
	char **names; /* where each goes in the image, relative to its "/" */
	size_t n, cap;
};

/* What one ELF file asks of the dynamic loader. */
struct elf_info {
	char *interp; /* the first PT_INTERP, as the kernel uses */
	char **needed;
	size_t n_needed;
	char *rpath, *runpath; /* the last of each, as glibc uses; $ORIGIN substituted */
	uint16_t machine;
};

/*
 * Read the ELF image @buf of @size bytes (any alignment), found at @path
 * (for $ORIGIN).  -ENOEXEC for anything but a well-formed 64-bit
 * little-endian ELF file; *@e holds allocations even then: free it.
 */
int elf_parse(struct elf_info *e, const void *buf, size_t size, const char *path);
void elf_info_free(struct elf_info *e);

/*
 * Add @prog (an absolute path) and everything it needs to @set, each path
 * once.  @root ("" or "/" for the host) prefixes the ld.so.conf read, the
 * interpreter, absolute DT_NEEDED paths and the default library dirs.  A
 * needed library that cannot be found is an error naming it.  A DT_NEEDED
 * with a relative path ("./libx.so") is read from the needing object's
 * directory and stored at that path below "/", where the loader, run from
 * "/", opens it.
 */
int elf_collect(struct elf_set *set, const char *root, const char *prog, struct mk_err *err);
void elf_set_free(struct elf_set *set);

#endif
