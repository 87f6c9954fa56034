// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "modname.h"

bool rdmod_name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++, b++) {
		char x = a[i] == '-' ? '_' : a[i], y = *b == '-' ? '_' : *b;

		if (!*b || x != y)
			return false;
	}
	return *b == '\0';
}

void rdmod_name_normalize(char *s)
{
	for (; *s; s++)
		if (*s == '-')
			*s = '_';
}

const char *rdmod_compression(const char *path, size_t *cut)
{
	static const struct {
		const char *ext, *format;
	} kinds[] = { { ".ko.xz", "xz" }, { ".ko.zst", "zstd" }, { ".ko.gz", "gzip" } };
	size_t n = strlen(path), i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = strlen(kinds[i].ext);

		if (n > len && !strcmp(path + n - len, kinds[i].ext)) {
			if (cut)
				*cut = len - 3;
			return kinds[i].format;
		}
	}
	return NULL;
}

int rdmod_softdep_foreach(const char *s, size_t len,
			  int (*fn)(const char *name, size_t n, bool pre, void *ud), void *ud)
{
	const char *end = s + len;
	bool active = false, pre = false;

	while (s < end) {
		size_t n;
		int r;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		for (n = 0; s + n < end && s[n] != ' ' && s[n] != '\t'; n++)
			;
		if (n == 4 && !strncmp(s, "pre:", 4)) {
			active = pre = true;
		} else if (n == 5 && !strncmp(s, "post:", 5)) {
			active = true;
			pre = false;
		} else if (n && active) {
			r = fn(s, n, pre, ud);
			if (r)
				return r;
		}
		s += n;
	}
	return 0;
}
