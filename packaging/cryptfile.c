// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A crypttab file for mkrdinit: read whole, its lines parsed by common/crypttab.c, kept as
 * written for the lines that go into the image.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cryptfile.h"
#include "dmname.h"

void cryptfile_free(struct cryptfile *f)
{
	crypttab_free(&f->tab);
	free(f->text);
	free(f->path);
	*f = (struct cryptfile){ 0 };
}

/* All of @in, at most @max bytes: -EFBIG for more. */
static int read_all(FILE *in, size_t max, char **out, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 4096;
			char *b = realloc(buf, c);

			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap = c;
		}
		n += fread(buf + n, 1, cap - n, in);
		if (n > max || ferror(in) || feof(in))
			break;
	}
	if (n > max || ferror(in)) {
		free(buf);
		return n > max ? -EFBIG : -EIO;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* A line not used is a build that stops, with the words /init would log. */
static int refuse(void *ud, unsigned int line, const char *msg)
{
	return mk_errf(ud, -EINVAL, "%s", msg);
}

int cryptfile_read(struct cryptfile *f, const char *path, struct mk_err *err)
{
	_cleanup_fclose_ FILE *in = fopen(path, "re");
	int r;

	*f = (struct cryptfile){ 0 };
	if (!in && errno == ENOENT)
		return -ENOENT;
	if (!in)
		return mk_errf(err, -errno, "cannot read %s: %s", path, strerror(errno));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	/* /init's read_text_file() keeps a byte for its NUL and one to see the end of the file */
	r = read_all(in, CRYPTTAB_MAX_SIZE - 2, &f->text, &f->len);
	if (r == -EFBIG)
		return mk_errf(err, r, "%s: too large for /init to read (more than %d bytes)", path,
			       CRYPTTAB_MAX_SIZE - 2);
	if (r < 0)
		return mk_errf(err, r, "cannot read %s: %s", path, strerror(-r));
	r = crypttab_parse_with(f->text, f->len, path, &f->tab, refuse, err);
	if (r < 0)
		return r;
	/* a name /init would refuse to open a device as */
	for (size_t i = 0; i < f->tab.n; i++) {
		const struct crypttab_entry *e = &f->tab.v[i];
		const char *why = rd_dm_name_invalid(e->name);

		if (why)
			return mk_errf(err, -EINVAL,
				       "%s:%u: the name '%.100s' cannot name a mapping: %s", path,
				       e->line, e->name, why);
	}
	return 0;
}

void cryptfile_filter(struct cryptfile *f, bool (*keep)(const struct crypttab_entry *, void *),
		      void *data)
{
	struct crypttab *t = &f->tab;
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (keep(&t->v[i], data))
			t->v[n++] = t->v[i];
		else
			free(t->v[i].name);
	}
	t->n = n;
}

const char *cryptfile_line(const struct cryptfile *f, const struct crypttab_entry *e, size_t *n)
{
	const char *p = f->text, *end = f->text + f->len, *nl;

	for (unsigned int line = 1; line < e->line && p < end; line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*n = (size_t)((nl ? nl : end) - p);
	return p;
}
