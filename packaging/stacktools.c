// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storage stacks' tools (common/stacks.c names them): each chosen stack's tool
 * checked in --stacks-dir, then added to the image as /usr/sbin/TOOL, where /init runs
 * it from.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "elf.h"
#include "stacks.h"
#include "stacktools.h"

/*
 * What is wrong with the stack tool @path, into @why: 0 for a readable ELF program of the
 * image's machine, else -errno.
 */
static int tool_problem(const struct image_opts *o, const char *path, char *why, size_t size)
{
	struct elf_kind k;
	char desc[128];
	struct stat st;
	int r;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		r = -errno;
		(void)snprintf(why, size, "%s", strerror(-r));
		return r;
	}
	r = S_ISREG(st.st_mode) ? elf_kind_read(&k, path) : 0;
	if (r < 0) {
		(void)snprintf(why, size, "%s", strerror(-r));
		return r;
	}
	if (r == 0) {
		(void)snprintf(why, size, "not an ELF program");
		return -ENOEXEC;
	}
	if (elf_kind_is(&k, o->arch->machine))
		return 0;
	(void)snprintf(why, size, "%s, but the image is for %s",
		       elf_kind_describe(&k, "program", desc, sizeof(desc)), o->arch->name);
	return -ENOEXEC;
}

int stacktools_check(const struct image_opts *o, unsigned int stacks, struct mk_err *err)
{
	for (size_t i = 0; i < STACK_KINDS; i++) {
		const struct stack_def *s = &stack_defs[i];
		_cleanup_free_ char *path = NULL;
		char why[256];
		int r;

		if (!(stacks & STACK_BIT(s->kind)))
			continue;
		if (asprintf(&path, "%s/%s", o->stacks_dir, s->tool) < 0)
			return -ENOMEM;
		r = tool_problem(o, path, why, sizeof(why));
		if (r < 0)
			return mk_errf(err, r,
				       "cannot use the %s tool %s: %s; build the tools with '%s "
				       "stacks', name their directory with --stacks-dir, or leave "
				       "the stack out with --omit-stacks %s",
				       s->name, path, why, o->arch->make, s->name);
	}
	return 0;
}

int stacktools_add(struct ar_list *l, const struct image_opts *o, unsigned int stacks)
{
	for (size_t i = 0; i < STACK_KINDS; i++) {
		const char *tool = stack_defs[i].tool;
		_cleanup_free_ char *src = NULL, *dst = NULL;
		int r;

		if (!(stacks & STACK_BIT(i)))
			continue;
		if (asprintf(&src, "%s/%s", o->stacks_dir, tool) < 0 ||
		    asprintf(&dst, "usr/sbin/%s", tool) < 0)
			return -ENOMEM;
		r = ar_add_file(l, dst, src, 0755);
		if (r < 0)
			return r;
	}
	return 0;
}
