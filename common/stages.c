// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdbool.h>
#include <string.h>

#include "stages.h"

const struct stage_def stage_defs[STAGE_MAX] = {
	[STAGE_CMDLINE] = { STAGE_CMDLINE, "cmdline", "cmdline" },
	[STAGE_MODULES] = { STAGE_MODULES, "modules", "pre-coldplug" },
	[STAGE_ROOT] = { STAGE_ROOT, "root", "root-found" },
	[STAGE_MOUNT] = { STAGE_MOUNT, "mount", "mounted" },
	[STAGE_SWITCH] = { STAGE_SWITCH, "switch", "pre-switch" },
};

static bool same(const char *name, const char *s, size_t n)
{
	return strlen(name) == n && !strncmp(name, s, n);
}

const struct stage_def *stagedef_by_break(const char *s, size_t n)
{
	for (size_t i = 0; i < STAGE_MAX; i++)
		if (same(stage_defs[i].break_name, s, n))
			return &stage_defs[i];
	return NULL;
}

const struct stage_def *stagedef_by_hooks(const char *s, size_t n)
{
	for (size_t i = 0; i < STAGE_MAX; i++)
		if (same(stage_defs[i].hooks, s, n))
			return &stage_defs[i];
	return NULL;
}
