/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The architectures mkrdinit builds images for: what --arch calls each, the ELF machine of
 * its programs and modules, and where its /init and stack tools are by default.
 */
#ifndef MKRDINIT_ARCH_H
#define MKRDINIT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* make install's places; the Makefile passes the build tree's for build/mkrdinit */
#ifndef RDINIT_INIT_PATH
#define RDINIT_INIT_PATH "/usr/lib/rdinit/rdinit"
#endif
#ifndef RDINIT_STACKS_DIR
#define RDINIT_STACKS_DIR "/usr/lib/rdinit/stacks"
#endif
#ifndef RDINIT_INIT_PATH_ARM64
#define RDINIT_INIT_PATH_ARM64 "/usr/lib/rdinit/arm64/rdinit"
#endif
#ifndef RDINIT_STACKS_DIR_ARM64
#define RDINIT_STACKS_DIR_ARM64 "/usr/lib/rdinit/arm64/stacks"
#endif

/* For messages: the names --arch takes. */
#define ARCH_NAMES "x86_64, arm64"

struct arch {
	const char *name;	/* --arch's name, and the image's in messages */
	const char *aliases[3]; /* other names --arch takes (Debian's, the GNU triplet's) */
	uint16_t machine;	/* EM_*: of its programs and kernel modules (64-bit LE) */
	const char *init;	/* the default --init */
	const char *stacks_dir; /* the default --stacks-dir */
	const char *make;	/* what builds rdinit for it: "make ARCH=arm64" */
	bool microcode;		/* its kernel loads early microcode (kernel/x86/microcode) */
};

/* The table, in a fixed order; *@n gets its length. */
const struct arch *arch_all(size_t *n);

/* The architecture called @name or one of its aliases, or NULL. */
const struct arch *arch_by_name(const char *name);

/* The architecture whose programs are for the ELF machine @machine, or NULL. */
const struct arch *arch_by_machine(uint16_t machine);

/*
 * This machine's, from the running kernel (uname's machine), or NULL when it is none of
 * the table's; *@uname (if not NULL) gets uname's name for it, for messages.
 */
const struct arch *arch_host(const char **uname);

#endif
