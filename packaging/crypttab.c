// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * crypttab(5) reader.  Fields are split on blanks, as systemd-cryptsetup-generator and
 * Debian's cryptsetup-initramfs split them; only whole lines are comments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "crypttab.h"
#include "dmname.h"

static void entry_free(struct crypttab_entry *e)
{
	free(e->text);
	free(e->name);
	free(e->device);
	free(e->keyfile);
	free(e->options);
}

void crypttab_free(struct crypttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		entry_free(&t->v[i]);
	free(t->v);
	free(t->path);
	*t = (struct crypttab){ 0 };
}

/* Split @line (changed in place) into at most @max fields; how many, or max + 1 if more. */
static size_t split_fields(char *line, char **f, size_t max)
{
	static const char blank[] = " \t\r\v\f";
	char *save = NULL;
	size_t n = 0;

	for (char *s = strtok_r(line, blank, &save); s; s = strtok_r(NULL, blank, &save)) {
		if (n == max)
			return max + 1;
		f[n++] = s;
	}
	return n;
}

/* "none", "-" or nothing: the volume asks for its passphrase. */
static bool is_passphrase(const char *keyfile)
{
	return !keyfile || !*keyfile || !strcmp(keyfile, "none") || !strcmp(keyfile, "-");
}

static int fill_entry(struct crypttab_entry *e, const char *text, char **f, size_t n)
{
	e->text = strdup(text);
	e->name = strdup(f[0]);
	e->device = strdup(f[1]);
	e->keyfile = n > 2 && !is_passphrase(f[2]) ? strdup(f[2]) : NULL;
	e->options = n > 3 ? strdup(f[3]) : NULL;
	if (!e->text || !e->name || !e->device || (n > 2 && !is_passphrase(f[2]) && !e->keyfile) ||
	    (n > 3 && !e->options))
		return -ENOMEM;
	return 0;
}

/* One line, without its newline: 0 for an entry added, -EINVAL for a bad one. */
static int parse_line(struct crypttab *t, char *line, size_t lineno, struct mk_err *err)
{
	_cleanup_free_ char *copy = strdup(line);
	struct crypttab_entry *e;
	const char *why;
	char *f[4];
	size_t n;

	if (!copy)
		return -ENOMEM;
	n = split_fields(copy, f, 4);
	if (n == 0 || f[0][0] == '#')
		return 0;
	if (n < 2 || n > 4)
		return mk_errf(err, -EINVAL, "%s:%zu: expected NAME DEVICE [KEYFILE [OPTIONS]]",
			       t->path, lineno);
	why = rd_dm_name_invalid(f[0]);
	if (why)
		return mk_errf(err, -EINVAL, "%s:%zu: the name '%s' cannot name a mapping: %s",
			       t->path, lineno, f[0], why);
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct crypttab_entry *v = reallocarray(t->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	*e = (struct crypttab_entry){ .lineno = lineno };
	return fill_entry(e, line, f, n);
}

int crypttab_parse(struct crypttab *t, const char *path, FILE *f, struct mk_err *err)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, lineno = 0;
	int r;

	*t = (struct crypttab){ .path = strdup(path) };
	if (!t->path)
		return -ENOMEM;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		r = parse_line(t, line, lineno, err);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return mk_errf(err, -EIO, "cannot read %s", path);
	return 0;
}

int crypttab_read(struct crypttab *t, const char *path, struct mk_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	*t = (struct crypttab){ 0 };
	if (!f && errno == ENOENT)
		return -ENOENT;
	if (!f)
		return mk_errf(err, -errno, "cannot read %s: %s", path, strerror(errno));
	return crypttab_parse(t, path, f, err);
}

void crypttab_filter(struct crypttab *t, bool (*keep)(const struct crypttab_entry *, void *),
		     void *data)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (keep(&t->v[i], data))
			t->v[n++] = t->v[i];
		else
			entry_free(&t->v[i]);
	}
	t->n = n;
}
