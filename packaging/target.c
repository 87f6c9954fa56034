// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the image is for: the architecture of the kernel's modules, checked against --arch
 * and --profile host, and the defaults that follow from it (/init, the stack tools).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "elf.h"
#include "target.h"

/* What machine the kernel's modules are built for (*@rel one of them); -ENOENT for none. */
static int modules_kind(struct closure *c, struct elf_kind *k, char **rel, struct mk_err *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ void *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	r = closure_any_module(c, rel, err);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", closure_modrel(c), *rel) < 0)
		return -ENOMEM;
	fd = mk_open_read(closure_root(c), path, err);
	if (fd < 0)
		return fd;
	/* shipped compressed or not, as the image writer reads them */
	r = ar_read_module_fd(fd, path, &buf, &len, err);
	if (r < 0)
		return r;
	if (elf_kind_parse(k, buf, len) < 0)
		return mk_errf(err, -ENOEXEC, "%s/%s: not an ELF module", closure_moddir(c), *rel);
	return 0;
}

/* The architecture of @c's kernel, from its modules: *@a, or NULL when it has none. */
static int kernel_arch(const struct image_opts *o, struct closure *c, const struct arch **a,
		       struct mk_err *err)
{
	_cleanup_free_ char *rel = NULL;
	struct elf_kind k;
	char desc[128];
	int r;

	*a = NULL;
	r = modules_kind(c, &k, &rel, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	*a = elf_kind_is(&k, k.machine) ? arch_by_machine(k.machine) : NULL;
	(void)elf_kind_describe(&k, "module", desc, sizeof(desc));
	if (!*a)
		return mk_errf(err, -ENOEXEC,
			       "kernel %s is for no architecture mkrdinit builds images for "
			       "(" ARCH_NAMES "): its %s is %s",
			       o->kver, rel, desc);
	if (o->arch && o->arch != *a)
		return mk_errf(err, -EINVAL,
			       "--arch %s, but kernel %s is for %s: its %s is %s; leave --arch out "
			       "to follow the kernel",
			       o->arch->name, o->kver, (*a)->name, rel, desc);
	if (o->debug)
		fprintf(o->debug, "mkrdinit: kernel %s is for %s (%s is %s)\n", o->kver, (*a)->name,
			rel, desc);
	return 0;
}

int image_target(struct image_opts *o, struct closure *c, struct mk_err *err)
{
	const struct arch *kernel, *host;
	const char *uname_m;
	int r;

	r = kernel_arch(o, c, &kernel, err);
	if (r < 0)
		return r;
	host = arch_host(&uname_m);
	if (!o->arch)
		o->arch = kernel ? kernel : host;
	if (!o->arch)
		return mk_errf(err, -EINVAL,
			       "kernel %s has no modules to tell its architecture by, and this "
			       "machine's (%s) is none mkrdinit builds images for: give --arch "
			       "(" ARCH_NAMES ")",
			       o->kver, uname_m);
	/* its /sys and mountinfo describe this machine, not one of another architecture */
	if (o->profile == PROFILE_HOST && o->arch != host)
		return mk_errf(err, -EINVAL,
			       "--profile host reads what this machine (%s) needs, but the image "
			       "is for %s: use --profile generic, or --profile none with "
			       "--add-modules",
			       uname_m, o->arch->name);
	if (!o->init)
		o->init = o->arch->init;
	if (!o->stacks_dir)
		o->stacks_dir = o->arch->stacks_dir;
	if (o->debug)
		fprintf(o->debug,
			"mkrdinit: the image is for %s: /init from %s, stack tools from %s\n",
			o->arch->name, o->init, o->stacks_dir);
	return 0;
}
