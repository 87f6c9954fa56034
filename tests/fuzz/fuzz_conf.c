// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: /etc/rdinit.conf. The input is given to conf_parse() as is, NULs
 * included, in a buffer of exactly its size so that any read past the end is caught.
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
	struct rdinit_opts o;
	/* malloc(0) may return NULL: keep one byte so an empty file is still parsed */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	opts_init(&o);
	(void)conf_parse(text, size, "fuzz.conf", &o);
	/* the text is documented as not modified */
	if (memcmp(text, data, size))
		abort();
	if (o.rootdelay < 0 || o.timeout < 0)
		abort();
	/* whatever was stored must be a string */
	if (o.root)
		(void)strlen(o.root);
	if (o.rootfstype)
		(void)strlen(o.rootfstype);
	if (o.rootflags)
		(void)strlen(o.rootflags);
	if (o.init)
		(void)strlen(o.init);
	if (o.console)
		(void)strlen(o.console);
	opts_free(&o);
	free(text);
	return 0;
}
