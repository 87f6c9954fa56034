// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The new root's /etc/fstab, as fstab(5) writes it: spec, mount point, type, options, and
 * two numbers, separated by blanks; '#' at the start of a line (after blanks) is a comment.
 * Blanks inside a field are written as octal escapes (\040 a space, \011 a tab, \134 a
 * backslash), decoded here in every field. A line rdinit cannot read is reported with its
 * number and skipped, as conf.c does: the rest of the file still counts. Pure: no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "root/root.h"

#define FSTAB_FIELDS 6

void fstab_free(struct fstab *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].spec); /* the other fields live in the same allocation */
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* The byte an escape \\NNN at @s stands for (three octal digits, not NUL), or -1. */
static int octal_escape(const char *s)
{
	int v = 0, i;

	if (s[0] != '\\')
		return -1;
	for (i = 1; i <= 3; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		v = v * 8 + (s[i] - '0');
	}
	return v > 0 && v < 256 ? v : -1;
}

/* Decode \NNN in place; any other backslash stays as it is. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		int c = octal_escape(s);

		if (c < 0) {
			*out++ = *s++;
		} else {
			*out++ = (char)c;
			s += 4;
		}
	}
	*out = '\0';
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Split @line (modified) on blanks into at most FSTAB_FIELDS fields; returns their number. */
static int split(char *line, char **fields)
{
	int n = 0;

	for (;;) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			return n;
		if (n == FSTAB_FIELDS)
			return n + 1;
		fields[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
		if (*line)
			*line++ = '\0';
	}
}

static int append(struct fstab *f, char **fields, int nf, unsigned int lineno)
{
	struct fstab_entry *e;
	size_t len[4], i;
	char *p;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct fstab_entry *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	/* a missing type is "auto", missing options "defaults", as mount(8) takes them */
	fields[2] = nf > 2 ? fields[2] : (char *)"auto";
	fields[3] = nf > 3 ? fields[3] : (char *)"defaults";
	for (i = 0; i < 4; i++)
		len[i] = strlen(fields[i]) + 1;
	p = malloc(len[0] + len[1] + len[2] + len[3]);
	if (!p)
		return -ENOMEM;
	e = &f->v[f->n++];
	e->line = lineno;
	e->spec = memcpy(p, fields[0], len[0]);
	e->dir = memcpy(p += len[0], fields[1], len[1]);
	e->type = memcpy(p += len[1], fields[2], len[2]);
	e->opts = memcpy(p += len[2], fields[3], len[3]);
	unescape(e->spec);
	unescape(e->dir);
	unescape(e->type);
	unescape(e->opts);
	return 0;
}

/* One line, NUL-terminated and without its newline; a bad one is said and skipped. */
static int fstab_line(struct fstab *f, char *line, const char *name, unsigned int lineno)
{
	char *fields[FSTAB_FIELDS];
	const char *p;
	int nf, i;

	for (p = line; *p; p++) {
		if (!isprint((unsigned char)*p) && *p != '\t' && *p != '\r') {
			log_warn("%s:%u: ignoring a line that is not text", name, lineno);
			return 0;
		}
	}
	if (p > line && p[-1] == '\r')
		line[p - line - 1] = '\0';
	nf = split(line, fields);
	if (nf == 0 || fields[0][0] == '#')
		return 0;
	if (nf == 1 || nf > FSTAB_FIELDS) {
		log_warn("%s:%u: ignoring a line with %s (2 to 6 expected)", name, lineno,
			 nf == 1 ? "one field" : "more than 6 fields");
		return 0;
	}
	for (i = 4; i < nf; i++) {
		if (!all_digits(fields[i])) {
			log_warn("%s:%u: ignoring a line whose field %d is not a number", name,
				 lineno, i + 1);
			return 0;
		}
	}
	return append(f, fields, nf, lineno);
}

/*
 * Parse @len bytes of fstab text (not modified; NULs allowed, which make their line bad)
 * and append its entries to @f. Returns 0, or -ENOMEM (what was parsed so far stays in @f).
 */
int fstab_parse(const char *text, size_t len, const char *name, struct fstab *f)
{
	unsigned int lineno = 0;
	size_t start = 0, end;
	int r = 0;

	while (start < len && r == 0) {
		char *line;

		for (end = start; end < len && text[end] != '\n'; end++)
			;
		lineno++;
		line = malloc(end - start + 1);
		if (!line)
			return -ENOMEM;
		memcpy(line, text + start, end - start);
		line[end - start] = '\0';
		/* a NUL inside the line: strlen stops short of end */
		if (strlen(line) != end - start)
			log_warn("%s:%u: ignoring a line that is not text", name, lineno);
		else
			r = fstab_line(f, line, name, lineno);
		free(line);
		start = end + 1;
	}
	return r;
}

/* Whether the comma list @opts holds the option @opt, alone or as "opt=value". */
bool fstab_has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = opts;

	while (p && *p) {
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '=' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Whether the initramfs mounts @e: /usr, and what is marked x-initrd.mount; never "/" again. */
enum fstab_initrd fstab_initrd_entry(const struct fstab_entry *e)
{
	bool marked = fstab_has_option(e->opts, "x-initrd.mount");

	if (e->dir[0] != '/' || !strcmp(e->dir, "/") || !strcmp(e->type, "swap"))
		return FSTAB_SKIP;
	if (strcmp(e->dir, "/usr") && !marked)
		return FSTAB_SKIP;
	if (fstab_has_option(e->opts, "noauto") && !marked)
		return FSTAB_NOAUTO;
	return FSTAB_MOUNT;
}

/* Whether the option @o (@n bytes) means something to fstab readers only, not to mount. */
static bool fstab_only(const char *o, size_t n)
{
	static const char *const words[] = { "auto", "noauto", "nofail", "_netdev", "defaults" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && !strncmp(o, words[i], n))
			return true;
	return (n >= 2 && !strncmp(o, "x-", 2)) || (n >= 8 && !strncmp(o, "comment=", 8));
}

/* @opts without the options only fstab readers know, into @out (as long as @opts at least). */
void fstab_mount_options(const char *opts, char *out)
{
	const char *p = opts;
	size_t len = 0;

	*out = '\0';
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n && !fstab_only(p, n)) {
			if (len)
				out[len++] = ',';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n + (p[n] == ',');
	}
}
