// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storage stacks: what a member looks like, which tool and which modules make each one.
 */
#include <stddef.h>
#include <string.h>

#include "stacks.h"

/*
 * dm-crypt; the AF_ALG sockets cryptsetup hashes and checks ciphers through; the cipher mode
 * of LUKS's default, aes-xts-plain64
 */
static const char *const luks_modules[] = { "dm_mod",	      "dm_crypt", "af_alg",
					    "algif_skcipher", "xts",	  NULL };
static const char *const lvm_modules[] = { "dm_mod", NULL };
static const char *const md_modules[] = { "md_mod", NULL };

static const char *const luks_dirs[] = { "/run/cryptsetup", NULL };
static const char *const lvm_dirs[] = { "/run/lvm", "/run/lock", "/run/lock/lvm", NULL };
static const char *const md_dirs[] = { "/run/mdadm", NULL };

const struct stack_def stack_defs[STACK_KINDS] = {
	[STACK_LUKS] = { STACK_LUKS, "luks", "LUKS", "crypto_LUKS", "cryptsetup", "luks.list",
			 luks_modules, luks_dirs },
	[STACK_LVM] = { STACK_LVM, "lvm", "LVM", "LVM2_member", "lvm", "lvm.list", lvm_modules,
			lvm_dirs },
	[STACK_MD] = { STACK_MD, "md", "RAID", "linux_raid_member", "mdadm", "md.list", md_modules,
		       md_dirs },
};

static const struct stack_def *by(size_t off, const char *s)
{
	for (size_t i = 0; i < STACK_KINDS; i++)
		if (!strcmp(*(const char *const *)((const char *)&stack_defs[i] + off), s))
			return &stack_defs[i];
	return NULL;
}

const struct stack_def *stackdef_by_name(const char *s)
{
	return by(offsetof(struct stack_def, name), s);
}

const struct stack_def *stackdef_by_type(const char *s)
{
	return by(offsetof(struct stack_def, blkid_type), s);
}

const struct stack_def *stackdef_by_set(const char *s)
{
	return by(offsetof(struct stack_def, set), s);
}
