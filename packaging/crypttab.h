/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crypttab(5), read to know which key files go into the image and, for --profile host,
 * which entries unlock the root: "NAME DEVICE [KEYFILE [OPTIONS]]" a line, '#' comments.
 */
#ifndef MKRDINIT_CRYPTTAB_H
#define MKRDINIT_CRYPTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mkerr.h"

struct crypttab_entry {
	char *text;    /* the line as written, without its newline */
	char *name;    /* the mapping's name, as dm names it */
	char *device;  /* UUID=, PARTUUID=, /dev/PATH... as written */
	char *keyfile; /* NULL for a passphrase ("none", "-" or no field) */
	char *options; /* NULL without */
	size_t lineno;
};

struct crypttab {
	char *path; /* where it was read, for FILE:LINE messages */
	struct crypttab_entry *v;
	size_t n, cap;
};

/*
 * Parse @f, read from @path, into @t.  A line that is not two to four fields, or whose
 * name has a '/', is -EINVAL with "PATH:LINE: ..." in @err.  What a key file names is
 * not checked here: an entry that does not go into the image may name anything.
 */
int crypttab_parse(struct crypttab *t, const char *path, FILE *f, struct mk_err *err);

/* crypttab_parse() of the file @path; -ENOENT, with nothing in @err, when it is absent. */
int crypttab_read(struct crypttab *t, const char *path, struct mk_err *err);

/* Drop the entries @keep says no to; the rest keep their order. */
void crypttab_filter(struct crypttab *t, bool (*keep)(const struct crypttab_entry *, void *),
		     void *data);

void crypttab_free(struct crypttab *t);

#endif
