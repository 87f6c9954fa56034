// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /etc/crypttab in the image (crypttab(5)): "NAME DEVICE [KEYFILE [OPTIONS]]" a line, '#'
 * comments. A pure parser from a buffer (fuzzed: tests/fuzz/fuzz_crypttab.c); luks.c decides
 * what the entries mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/block.h"

static int crypttab_add(struct crypttab *t, char *const field[4], unsigned int line)
{
	size_t len[4], i, total = 0;
	char *p;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct crypttab_entry *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	for (i = 0; i < 4; i++)
		total += (len[i] = strlen(field[i])) + 1;
	p = malloc(total);
	if (!p)
		return -ENOMEM;
	t->v[t->n].line = line;
	for (i = 0; i < 4; i++) {
		memcpy(p, field[i], len[i] + 1);
		(&t->v[t->n].name)[i] = p;
		p += len[i] + 1;
	}
	t->n++;
	return 0;
}

/*
 * crypttab(5): "NAME DEVICE [KEYFILE [OPTIONS]]" a line, '#' comments. A line with fewer
 * than two fields is said (with @name:LINE) and skipped. Returns 0 or -ENOMEM.
 */
int crypttab_parse(const char *text, size_t len, const char *name, struct crypttab *t)
{
	const char *p = text, *end = text + len;
	unsigned int line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char buf[1024], *field[4] = { "", "", "", "" }, *save = NULL, *w;
		int nf = 0, r;

		line++;
		snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		p += n + (nl != NULL);
		if (n >= sizeof(buf)) {
			log_warn("%s:%u: ignoring a line of %zu bytes (at most %zu)", name, line, n,
				 sizeof(buf) - 1);
			continue;
		}
		for (w = strtok_r(buf, " \t\r", &save); w && nf < 4;
		     w = strtok_r(NULL, " \t\r", &save)) {
			if (*w == '#')
				break;
			field[nf++] = w;
		}
		if (nf == 0)
			continue;
		if (nf < 2) {
			log_warn("%s:%u: ignoring '%s': a crypttab line is NAME DEVICE [KEYFILE "
				 "[OPTIONS]]",
				 name, line, field[0]);
			continue;
		}
		r = crypttab_add(t, field, line);
		if (r < 0)
			return r;
	}
	return 0;
}

void crypttab_free(struct crypttab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
