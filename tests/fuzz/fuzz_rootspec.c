// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: root= values. The input, cut at its first NUL, goes to rootspec_parse();
 * an accepted spec must be one the lookup can use, or the harness aborts.
 */
#include <errno.h>
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

static void check(const struct root_spec *spec)
{
	switch (spec->kind) {
	case ROOT_DEVNUM:
		if (spec->major > 0xfff || spec->minor > 0xfffff)
			abort();
		break;
	case ROOT_UUID:
	case ROOT_LABEL:
	case ROOT_PARTUUID:
	case ROOT_PARTLABEL:
	case ROOT_DEVNAME:
		if (!spec->value[0] || !memchr(spec->value, '\0', sizeof(spec->value)))
			abort();
		break;
	default:
		abort();
	}
	/* PARTNROFF is only for PARTUUID=, and never 0 when given */
	if (spec->partnroff &&
	    (spec->kind != ROOT_PARTUUID || spec->partnroff < -255 || spec->partnroff > 255))
		abort();
	(void)rootspec_kind_name(spec->kind);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct root_spec spec;
	char *s = strndup((const char *)data, size);
	int r;

	if (!s)
		return 0;
	r = rootspec_parse(s, &spec);
	if (r == 0)
		check(&spec);
	else if (r != -EINVAL)
		abort();
	free(s);
	return 0;
}
