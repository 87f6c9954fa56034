// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: /etc/crypttab. The input is given to crypttab_parse() as is, NULs
 * included, in a buffer of exactly its size so that any read past the end is caught; every
 * entry must have a non-empty name and device, no white space in any field, and a line number
 * within the input's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_max_level(0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crypttab t = { 0 };
	char *text = malloc(size ? size : 1);
	size_t i, lines = 1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	(void)crypttab_parse(text, size, "fuzz.crypttab", &t);
	if (memcmp(text, data, size))
		abort();
	for (i = 0; i < t.n; i++) {
		const struct crypttab_entry *e = &t.v[i];

		if (!*e->name || !*e->device || e->line == 0 || e->line > lines)
			abort();
		if (strpbrk(e->name, " \t\n") || strpbrk(e->device, " \t\n") ||
		    strpbrk(e->keyfile, " \t\n") || strpbrk(e->options, " \t\n"))
			abort();
	}
	if (t.n > lines)
		abort();
	crypttab_free(&t);
	free(text);
	return 0;
}
