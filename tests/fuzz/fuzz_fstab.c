// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the new root's /etc/fstab. The input is given to fstab_parse() as is,
 * NULs included, in a buffer of exactly its size so that any read past the end is caught;
 * every entry must come out as four non-empty strings (an escape never decodes to a NUL),
 * with a line number within the input's.
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
	struct fstab f = { 0 };
	/* malloc(0) may return NULL: keep one byte so an empty file is still parsed */
	char *text = malloc(size ? size : 1);
	size_t i, lines = 1;

	if (!text)
		return 0;
	memcpy(text, data, size);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	(void)fstab_parse(text, size, "fuzz.fstab", &f);
	/* the text is documented as not modified */
	if (memcmp(text, data, size))
		abort();
	for (i = 0; i < f.n; i++) {
		const struct fstab_entry *e = &f.v[i];

		if (!*e->spec || !*e->dir || !*e->type || !*e->opts)
			abort();
		if (e->line == 0 || e->line > lines)
			abort();
		char *opts = malloc(strlen(e->opts) + 1);

		(void)fstab_initrd_entry(e);
		if (!opts)
			continue;
		/* what mount gets is never longer than what fstab says */
		fstab_mount_options(e->opts, opts);
		if (strlen(opts) > strlen(e->opts) || fstab_has_option(opts, "x-initrd.mount"))
			abort();
		free(opts);
	}
	if (f.n > lines)
		abort();
	fstab_free(&f);
	free(text);
	return 0;
}
