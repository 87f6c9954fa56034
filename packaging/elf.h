/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --install: a program and the shared objects the dynamic loader would map
 * for it, found the loader's way (PT_INTERP, DT_NEEDED, DT_RPATH/DT_RUNPATH,
 * ld.so.conf, the default dirs) without running anything.
 */
#ifndef MKRDINIT_ELF_H
#define MKRDINIT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mkerr.h"

struct elf_set {
	char **paths; /* the files on the host */
	char **names; /* where each goes in the image, relative to its "/" */
	size_t n, cap;
	uint16_t machine; /* EM_*: every object must be for it (set before elf_collect()) */
	const char *arch; /* its name, for messages ("arm64") */
};

/*
 * What an ELF header says a file is for.  e_ident and e_machine sit at the same offsets in
 * either class and byte order, so a 32-bit or big-endian file is named, not just refused.
 */
struct elf_kind {
	uint16_t machine;    /* EM_*, in host order */
	unsigned char class; /* ELFCLASS32 or ELFCLASS64 */
	unsigned char data;  /* ELFDATA2LSB or ELFDATA2MSB */
};

/* The ELF header at @buf (@size bytes, any alignment): 0, or -ENOEXEC if it is none. */
int elf_kind_parse(struct elf_kind *k, const void *buf, size_t size);

/* The same for the file @path: 1 for an ELF file, 0 for any other file, or -errno. */
int elf_kind_read(struct elf_kind *k, const char *path);

/* Is @k what rdinit images run, a 64-bit little-endian object, and for @machine? */
bool elf_kind_is(const struct elf_kind *k, uint16_t machine);

/*
 * @k as a noun phrase for messages, article included: "an x86-64 program", "a 32-bit ARM
 * module", "a program for ELF machine 4660".  Written to @buf; returns @buf.
 */
const char *elf_kind_describe(const struct elf_kind *k, const char *noun, char *buf, size_t size);

/*
 * 0 when @path is an ELF program for @machine, or no ELF file at all (a script runs on
 * any machine).  Else -ENOEXEC, recorded as "WHAT PATH: an x86-64 program, but the image
 * is for ARCH"; or -errno when @path cannot be read, recorded.
 */
int elf_check_machine(const char *what, const char *path, uint16_t machine, const char *arch,
		      struct mk_err *err);

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
 * once; each must be an ELF object for set->machine.  @root ("" or "/" for the host) prefixes the
 * ld.so.conf read, the interpreter, absolute DT_NEEDED paths and the default library dirs.  A
 * needed library that cannot be found is an error naming it.  A DT_NEEDED
 * with a relative path ("./libx.so") is read from the needing object's
 * directory and stored at that path below "/", where the loader, run from
 * "/", opens it.
 */
int elf_collect(struct elf_set *set, const char *root, const char *prog, struct mk_err *err);
void elf_set_free(struct elf_set *set);

#endif
