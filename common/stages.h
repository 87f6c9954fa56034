/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The five moments of the boot a user can act at, in the order the boot reaches them, one row
 * each, read by both programs: /init runs the stage's hooks there, then stops with a shell if
 * rdinit.break= names it; mkrdinit puts a --hook STAGE:PATH into the stage's directory. Each
 * stage has two names, both kept as users know them: rdinit.break='s (dracut's rd.break
 * style) and its hook directory's.
 */
#ifndef RDINIT_COMMON_STAGES_H
#define RDINIT_COMMON_STAGES_H

#include <stddef.h>

/* the hooks of stage S: the executables in RDINIT_HOOKS_DIR/HOOKS.d (struct stage_def) */
#define RDINIT_HOOKS_DIR "/usr/lib/rdinit/hooks"
/* a hook named so that fails is a boot that fails: the failure policy follows */
#define RDINIT_HOOK_REQUIRED ".required"

enum stage {
	STAGE_CMDLINE, /* the settings are read */
	STAGE_MODULES, /* before libkmod and netlink start */
	STAGE_ROOT,    /* the root device is seen */
	STAGE_MOUNT,   /* the root is mounted on /root */
	STAGE_SWITCH,  /* just before the switch to it */
	STAGE_MAX,
};

struct stage_def {
	enum stage stage;
	const char *break_name; /* rdinit.break=BREAK_NAME */
	const char *hooks;	/* its hooks' directory, HOOKS.d; RDINIT_STAGE=HOOKS for them */
};

extern const struct stage_def stage_defs[STAGE_MAX];

/* For messages: the names --hook takes, in the boot's order. */
#define STAGE_HOOK_NAMES "cmdline, pre-coldplug, root-found, mounted, pre-switch"

/* The row whose break name, or hook directory's name, is the @n bytes at @s; or NULL. */
const struct stage_def *stagedef_by_break(const char *s, size_t n);
const struct stage_def *stagedef_by_hooks(const char *s, size_t n);

#endif
