// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: module files as /init meets them. The first byte picks what the rest is:
 * a module image for the .modinfo reader, or xz, zstd or gzip data for the decompressors
 * (whose output, when they accept the data, goes through the .modinfo reader too). Every value
 * handed out is read to its end; nothing may be read outside the input.
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

static int touch(const char *value, void *ud)
{
	size_t *total = ud;

	*total += strlen(value);
	return 0;
}

static void modinfo(const void *data, size_t size)
{
	size_t total = 0;

	(void)modinfo_foreach(data, size, "alias", touch, &total);
	(void)modinfo_foreach(data, size, "depends", touch, &total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "xz", "zstd", "gzip" };
	void *buf = NULL;
	size_t len = 0;
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* an exact-size copy, so ASan sees any read past the end */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (data[0] % 4 == 0) {
		modinfo(copy, size - 1);
	} else if (module_decompress_mem(copy, size - 1, formats[data[0] % 4 - 1], &buf, &len) ==
		   0) {
		modinfo(buf, len);
		module_free(buf, len);
	} else if (buf || len) {
		abort(); /* a failure hands nothing out */
	}
	free(copy);
	return 0;
}
