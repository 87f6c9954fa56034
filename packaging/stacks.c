// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storage stacks: which tool and which module set make each one.
 */
#include <string.h>

#include "stacks.h"

static const struct stack_info table[] = {
	{ STACK_LUKS, "luks", "cryptsetup", "luks.list" },
	{ STACK_LVM, "lvm", "lvm", "lvm.list" },
	{ STACK_MD, "md", "mdadm", "md.list" },
};

const struct stack_info *stacks_all(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct stack_info *stack_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct stack_info *stack_by_set(const char *set)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].set, set))
			return &table[i];
	return NULL;
}
