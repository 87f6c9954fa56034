/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stage hooks, for /init (which runs them) and mkrdinit (which puts them in the image): the
 * executables in RDINIT_HOOKS_DIR/STAGE.d, for these stages, in the order the boot reaches them.
 */
#ifndef RDINIT_COMMON_HOOKS_H
#define RDINIT_COMMON_HOOKS_H

#define RDINIT_HOOKS_DIR "/usr/lib/rdinit/hooks"
/* a hook named so that fails is a boot that fails: the failure policy follows */
#define RDINIT_HOOK_REQUIRED ".required"

#define RDINIT_HOOK_CMDLINE "cmdline"		/* the settings are read */
#define RDINIT_HOOK_PRE_COLDPLUG "pre-coldplug" /* before libkmod and netlink start */
#define RDINIT_HOOK_ROOT_FOUND "root-found"	/* the root device is seen */
#define RDINIT_HOOK_MOUNTED "mounted"		/* the root is mounted on /root */
#define RDINIT_HOOK_PRE_SWITCH "pre-switch"	/* just before the switch to it */
#define RDINIT_HOOK_STAGES                                                     \
	RDINIT_HOOK_CMDLINE, RDINIT_HOOK_PRE_COLDPLUG, RDINIT_HOOK_ROOT_FOUND, \
		RDINIT_HOOK_MOUNTED, RDINIT_HOOK_PRE_SWITCH

#endif
