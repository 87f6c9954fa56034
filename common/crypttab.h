/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /etc/crypttab (crypttab(5)), read by one parser in both programs: /init opens what its
 * entries name, mkrdinit packs the file and the key files it names. What a line is:
 *
 *   - Lines end at '\n'; the last one may lack it. Blanks are space, tab, '\r', '\v' and '\f'
 *     (a file written on Windows reads the same).
 *   - A line that is blank, or whose first non-blank character is '#', says nothing.
 *   - Otherwise it is NAME DEVICE [KEYFILE [OPTIONS]]: two to four fields separated by blanks,
 *     each taken as written (no quotes, no escapes: Debian's \0NNN octal sequences are not
 *     decoded, as systemd does not). KEYFILE and OPTIONS are "" when absent.
 *   - '#' starts a comment only at the start of a line, as in systemd-cryptsetup-generator and
 *     Debian's cryptsetup: "luks # the root" is three more fields, not a comment. Inside a field
 *     ("key#2") it is an ordinary character.
 *
 * A line that is none of these is not used, and said as "NAME:LINE: why": fewer than two or
 * more than four fields (systemd reads the first four and drops the rest silently, Debian
 * folds the rest into OPTIONS; here "luks, discard" is five fields and said, not a lost
 * "discard"), a field after the first that starts with '#' (a comment after an entry: such a
 * KEYFILE or DEVICE is never meant), a NUL byte. /init says it in its log and goes on without
 * the line; mkrdinit refuses to build.
 *
 * What the fields mean is each program's business, with the rules they share: NAME as
 * device-mapper takes one (common/dmname.h: /init leaves a device a refused NAME names locked,
 * mkrdinit refuses to build), and crypttab_keyfile() for when KEYFILE names no key file.
 */
#ifndef RDINIT_COMMON_CRYPTTAB_H
#define RDINIT_COMMON_CRYPTTAB_H

#include <stddef.h>

#define RDINIT_CRYPTTAB "/etc/crypttab"
/* luks.c reads at most this much (read_text_file(): 2 bytes less); mkrdinit refuses more */
#define CRYPTTAB_MAX_SIZE (1024 * 1024)

struct crypttab_entry {
	char *name, *device, *keyfile, *options; /* one allocation at name */
	unsigned int line;			 /* from 1 */
};
struct crypttab {
	struct crypttab_entry *v;
	size_t n, cap;
};

/*
 * A line not used: @msg is "NAME:LINE: why". Returning < 0 stops the parse with that value;
 * 0 goes on without the line.
 */
typedef int crypttab_bad_fn(void *ud, unsigned int line, const char *msg);

/*
 * Add the entries of the @len bytes at @text (NULs included; not changed), read from @name, to
 * @t, in their order; each line not used goes to @bad. Returns how many lines were not used,
 * -ENOMEM, or what @bad returned.
 */
int crypttab_parse_with(const char *text, size_t len, const char *name, struct crypttab *t,
			crypttab_bad_fn *bad, void *ud);

/* crypttab_parse_with() that says each line not used with rd_log() (common/rdlog.h). */
int crypttab_parse(const char *text, size_t len, const char *name, struct crypttab *t);

void crypttab_free(struct crypttab *t);

/* The key file @e names, or NULL for none: KEYFILE absent, "none" or "-" (a passphrase). */
const char *crypttab_keyfile(const struct crypttab_entry *e);

#endif
