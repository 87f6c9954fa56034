/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A crypttab(5) file as mkrdinit takes one, to know which key files go into the image and, for
 * --profile host, which entries unlock the root. Its lines are read by the parser /init uses
 * (common/crypttab.h), so both programs see the same entries.
 */
#ifndef MKRDINIT_CRYPTFILE_H
#define MKRDINIT_CRYPTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypttab.h"
#include "mkerr.h"

struct cryptfile {
	char *path; /* where it was read, for FILE:LINE messages; NULL for none */
	char *text; /* the file as written, for the lines that go into the image */
	size_t len;
	struct crypttab tab; /* its entries */
};

/*
 * Read the file @path into @f. -ENOENT, with nothing in @err, when it is absent. A line the
 * parser does not use (common/crypttab.h: /init would say it and go on without it) is -EINVAL
 * with "PATH:LINE: why" in @err, and so are a NAME device-mapper refuses (/init would leave its
 * device locked) and a file larger than /init reads. What a key file names is not checked
 * here: an entry that does not go into the image may name anything.
 */
int cryptfile_read(struct cryptfile *f, const char *path, struct mk_err *err);

/* Drop the entries @keep says no to; the rest keep their order. */
void cryptfile_filter(struct cryptfile *f, bool (*keep)(const struct crypttab_entry *, void *),
		      void *data);

/* The line @e was read from, as written, without its newline: *@n bytes at the return. */
const char *cryptfile_line(const struct cryptfile *f, const struct crypttab_entry *e, size_t *n);

void cryptfile_free(struct cryptfile *f);

#endif
