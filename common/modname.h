/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What /init and mkrdinit both say about kernel modules: names (where '-' and '_' are the
 * same character, as in the kernel), compressed module files, and softdep lists.
 */
#ifndef RDINIT_COMMON_MODNAME_H
#define RDINIT_COMMON_MODNAME_H

#include <stdbool.h>
#include <stddef.h>

/* The first @alen bytes of @a name the same module as the string @b. */
bool rdmod_name_eq(const char *a, size_t alen, const char *b);

/* '-' to '_' in place: the form the kernel and libkmod print. */
void rdmod_name_normalize(char *s);

/*
 * The compression of a module file by its name: "xz" (.ko.xz), "zstd" (.ko.zst), "gzip"
 * (.ko.gz), or NULL. *@cut (if not NULL) is how many bytes to cut to leave ".ko".
 */
const char *rdmod_compression(const char *path, size_t *cut);

/*
 * Each name of a softdep value ("pre: a b post: c", the .modinfo form; names before "pre:"
 * or "post:" mean nothing, as in kmod) of @len bytes, to @fn with @pre telling which list it
 * is in, until @fn returns non-zero, which is returned.
 */
int rdmod_softdep_foreach(const char *s, size_t len,
			  int (*fn)(const char *name, size_t n, bool pre, void *ud), void *ud);

#endif
