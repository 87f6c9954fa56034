// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: /etc/crypttab, through the parser both programs use (common/crypttab.c).
 * The input is given as is, NULs included, in a buffer of exactly its size so that any read
 * past the end is caught. Every entry must be two to four fields without a blank, no field
 * after the first starting with '#', line numbers rising within the input's; the lines not
 * used are each said once, and a caller that stops at the first one (mkrdinit) gets its error
 * back with nothing leaked.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypttab.h"

#define BLANKS " \t\r\v\f\n"

static int count_bad(void *ud, unsigned int line, const char *msg)
{
	unsigned int *n = ud;

	if (!strstr(msg, "fuzz.crypttab:"))
		abort();
	(*n)++;
	return 0;
}

static int stop(void *ud, unsigned int line, const char *msg)
{
	return -EINVAL;
}

static void check_entry(const struct crypttab_entry *e, unsigned int prev, size_t lines)
{
	if (!*e->name || !*e->device || e->line <= prev || e->line > lines)
		abort();
	if (strpbrk(e->name, BLANKS) || strpbrk(e->device, BLANKS) || strpbrk(e->keyfile, BLANKS) ||
	    strpbrk(e->options, BLANKS))
		abort();
	if (*e->device == '#' || *e->keyfile == '#' || *e->options == '#')
		abort();
	if (!*e->keyfile && *e->options)
		abort();
	if (crypttab_keyfile(e) && strcmp(crypttab_keyfile(e), e->keyfile))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypttab t = { 0 }, t2 = { 0 };
	char *text = malloc(size ? size : 1);
	unsigned int said = 0, prev = 0;
	size_t i, lines = 1;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	r = crypttab_parse_with(text, size, "fuzz.crypttab", &t, count_bad, &said);
	if (r < 0 && r != -ENOMEM)
		abort();
	if (r >= 0 && ((unsigned int)r != said || t.n + (size_t)r > lines))
		abort();
	if (memcmp(text, data, size))
		abort();
	for (i = 0; i < t.n; i++) {
		check_entry(&t.v[i], prev, lines);
		prev = t.v[i].line;
	}
	/* stopping at the first line not used: an error exactly when there is one */
	r = crypttab_parse_with(text, size, "fuzz.crypttab", &t2, stop, NULL);
	if ((r == -EINVAL) != (said > 0) && r != -ENOMEM)
		abort();
	crypttab_free(&t2);
	crypttab_free(&t);
	free(text);
	return 0;
}
