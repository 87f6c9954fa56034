// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the kernel command line. The input, cut at its first NUL as /proc/cmdline
 * would be, goes through cmdline_parse(), and a second copy is split word by word with
 * cmdline_next(), which cuts in place and so must never step past the terminator.
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

static void split_words(const char *s)
{
	char *buf = strdup(s), *p, *key, *val;

	if (!buf)
		return;
	for (p = buf; *p;) {
		p = cmdline_next(p, &key, &val);
		/* the pieces must be strings inside the buffer */
		(void)strlen(key);
		if (val)
			(void)strlen(val);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdinit_opts o;
	char *s = strndup((const char *)data, size);

	if (!s)
		return 0;
	opts_init(&o);
	(void)cmdline_parse(s, &o);
	/* @cmdline is documented as not modified; negative delays are refused */
	if (strncmp(s, (const char *)data, size) || o.rootdelay < 0 || o.timeout < 0)
		abort();
	if (o.console && strchr(o.console, ','))
		abort();
	opts_free(&o);
	split_words(s);
	free(s);
	return 0;
}
