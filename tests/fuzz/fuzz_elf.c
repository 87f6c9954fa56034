// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the --install ELF reader (packaging/elf.c) on an input of exactly its
 * size, copied to an odd address so that no alignment is ever given for free. Every string it
 * hands out is read to its end; nothing may be read outside the input, nor leaked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info e;
	unsigned char *buf = malloc(size + 1);
	size_t total = 0;

	if (!buf)
		return 0;
	memcpy(buf + 1, data, size);
	(void)elf_parse(&e, buf + 1, size, "/usr/lib/x/prog");
	total += touch(e.interp) + touch(e.rpath) + touch(e.runpath);
	for (size_t i = 0; i < e.n_needed; i++)
		total += touch(e.needed[i]);
	elf_info_free(&e);
	free(buf);
	return total == (size_t)-1;
}
