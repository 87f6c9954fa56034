// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The architectures: one table, looked up by name or by ELF machine.
 */
#include <elf.h>
#include <string.h>
#include <sys/utsname.h>

#include "arch.h"

static const struct arch table[] = {
	{
		.name = "x86_64",
		.aliases = { "amd64", "x86-64" },
		.machine = EM_X86_64,
		.init = RDINIT_INIT_PATH,
		.stacks_dir = RDINIT_STACKS_DIR,
		.make = "make",
		.microcode = true,
	},
	{
		.name = "arm64",
		.aliases = { "aarch64" },
		.machine = EM_AARCH64,
		.init = RDINIT_INIT_PATH_ARM64,
		.stacks_dir = RDINIT_STACKS_DIR_ARM64,
		.make = "make ARCH=arm64",
	},
};

const struct arch *arch_all(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct arch *arch_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!strcmp(table[i].name, name))
			return &table[i];
		for (size_t j = 0; j < sizeof(table[i].aliases) / sizeof(table[i].aliases[0]); j++)
			if (table[i].aliases[j] && !strcmp(table[i].aliases[j], name))
				return &table[i];
	}
	return NULL;
}

const struct arch *arch_by_machine(uint16_t machine)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].machine == machine)
			return &table[i];
	return NULL;
}

/*
 * The running kernel's machine, not the one mkrdinit was compiled for: --profile host
 * describes the devices that kernel sees.
 */
const struct arch *arch_host(const char **uname_machine)
{
	static struct utsname u;

	if (uname_machine)
		*uname_machine = "unknown";
	if (!u.machine[0] && uname(&u) < 0)
		return NULL;
	if (uname_machine)
		*uname_machine = u.machine;
	return arch_by_name(u.machine);
}
