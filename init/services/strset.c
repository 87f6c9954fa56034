// SPDX-License-Identifier: LGPL-2.1-or-later
/* A growing set of strings, for names already handled (modules tried, aliases resolved). */
#include <stdlib.h>
#include <string.h>

#include "services/services.h"

bool strset_has(const struct strset *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

/* Returns true when @str was not in the set (it is now, unless memory ran out). */
bool strset_add(struct strset *s, const char *str)
{
	char *copy;

	if (strset_has(s, str))
		return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return true; /* cannot remember: do the work again rather than skip it */
		s->v = v;
		s->cap = cap;
	}
	copy = strdup(str);
	if (copy)
		s->v[s->n++] = copy;
	return true;
}

void strset_clear(struct strset *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
