// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * crypttab(5), the one parser (what a line is: crypttab.h). Pure: from a buffer into entries;
 * fuzzed (tests/fuzz/fuzz_crypttab.c), and tests/unit/test_crypttab.c reads one file through
 * both programs' paths.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypttab.h"
#include "rdlog.h"

#define MAX_FIELDS 4

/* One line's fields: the first MAX_FIELDS kept, all counted. */
struct fields {
	const char *s[MAX_FIELDS];
	size_t len[MAX_FIELDS];
	size_t count;
	bool hash; /* a field after the first starts with '#' */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void split_fields(const char *p, const char *end, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	for (;;) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			return;
		for (w = p; p < end && !is_blank(*p); p++)
			;
		f->hash |= f->count > 0 && *w == '#';
		if (f->count < MAX_FIELDS) {
			f->s[f->count] = w;
			f->len[f->count] = (size_t)(p - w);
		}
		f->count++;
	}
}

/* The entry of @f, in one allocation at its name; NULL without memory. */
static char *entry_fill(struct crypttab_entry *e, const struct fields *f, unsigned int line)
{
	size_t total = 0, i;
	char *p, **dst[MAX_FIELDS] = { &e->name, &e->device, &e->keyfile, &e->options };

	for (i = 0; i < MAX_FIELDS; i++)
		total += (i < f->count ? f->len[i] : 0) + 1;
	p = malloc(total);
	if (!p)
		return NULL;
	e->line = line;
	for (i = 0; i < MAX_FIELDS; i++) {
		size_t n = i < f->count ? f->len[i] : 0;

		if (n)
			memcpy(p, f->s[i], n);
		p[n] = '\0';
		*dst[i] = p;
		p += n + 1;
	}
	return e->name;
}

static int entry_add(struct crypttab *t, const struct crypttab_entry *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct crypttab_entry *v = reallocarray(t->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *e;
	return 0;
}

/*
 * One line that says something, without its newline: 1 its entry added to @t, 0 not used
 * (why in @msg), -ENOMEM.
 */
static int parse_line(const char *p, size_t n, const struct fields *f, const char *name,
		      unsigned int line, struct crypttab *t, char *msg, size_t size)
{
	struct crypttab_entry e;

	if (memchr(p, '\0', n)) {
		snprintf(msg, size, "%s:%u: a NUL byte in the line", name, line);
		return 0;
	}
	if (f->hash) {
		snprintf(msg, size,
			 "%s:%u: expected NAME DEVICE [KEYFILE [OPTIONS]]: '#' starts a comment "
			 "only at the start of a line",
			 name, line);
		return 0;
	}
	if (f->count < 2 || f->count > MAX_FIELDS) {
		snprintf(msg, size, "%s:%u: expected NAME DEVICE [KEYFILE [OPTIONS]], found %zu %s",
			 name, line, f->count, f->count == 1 ? "field" : "fields");
		return 0;
	}
	if (!entry_fill(&e, f, line))
		return -ENOMEM;
	if (entry_add(t, &e) < 0) {
		free(e.name);
		return -ENOMEM;
	}
	return 1;
}

int crypttab_parse_with(const char *text, size_t len, const char *name, struct crypttab *t,
			crypttab_bad_fn *bad, void *ud)
{
	const char *p = text, *end = text + len;
	unsigned int line = 0;
	int unused = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char msg[PATH_MAX + 256];
		struct fields f;
		int r;

		line++;
		split_fields(p, p + n, &f);
		if (f.count == 0 || *f.s[0] == '#') {
			p += n + (nl != NULL);
			continue;
		}
		r = parse_line(p, n, &f, name, line, t, msg, sizeof(msg));
		p += n + (nl != NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		r = bad ? bad(ud, line, msg) : 0;
		if (r < 0)
			return r;
		if (unused < INT_MAX)
			unused++;
	}
	return unused;
}

static int say_bad(void *ud, unsigned int line, const char *msg)
{
	rd_log(LOG_WARNING, "%s; ignoring the line", msg);
	return 0;
}

int crypttab_parse(const char *text, size_t len, const char *name, struct crypttab *t)
{
	return crypttab_parse_with(text, len, name, t, say_bad, NULL);
}

void crypttab_free(struct crypttab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const char *crypttab_keyfile(const struct crypttab_entry *e)
{
	const char *k = e->keyfile;

	return *k && strcmp(k, "none") && strcmp(k, "-") ? k : NULL;
}
