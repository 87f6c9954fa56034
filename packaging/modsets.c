// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The modules an image asks for, resolved into the closure: --omit-modules first, then the
 * module sets of --modules-dir (--profile generic) or what the host's root needs (--profile
 * host: its file system, its devices' drivers, its stacks' sets), then --add-modules.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "modsets.h"
#include "stacks.h"

/* One name per line; '#' starts a comment. */
static int parse_set_line(char *line, char **name)
{
	char *end;

	line[strcspn(line, "#\n")] = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strcspn(line, " \t\r\v\f");
	*name = *line ? line : NULL;
	if (*end) {
		*end++ = '\0';
		end += strspn(end, " \t\r\v\f");
	}
	return *end ? -EINVAL : 0;
}

/* A default set describes what is worth having, not what every kernel has. */
static int add_set(struct closure *c, const struct image_opts *o, const char *file,
		   struct mk_err *err)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0, lineno = 0;
	char *name;
	int r;

	if (asprintf(&path, "%s/%s", o->modules_dir, file) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return mk_errf(err, -errno, "cannot read module set %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (parse_set_line(line, &name) < 0)
			return mk_errf(err, -EINVAL, "%s:%zu: expected one module name per line",
				       path, lineno);
		if (!name)
			continue;
		r = closure_add(c, name, file, err);
		if (r == -ENOENT && o->debug)
			fprintf(o->debug, "mkrdinit: skipping %s from %s: not in kernel %s\n", name,
				file, o->kver);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	if (ferror(f))
		return mk_errf(err, -EIO, "cannot read module set %s", path);
	return 0;
}

static int is_set_file(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && !strcmp(de->d_name + n - 5, ".list");
}

/* strcmp, not the locale: the order decides which set a module is credited to. */
static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A stack's set goes in with its tool: --omit-stacks leaves out both. */
static bool set_wanted(const char *file, unsigned int stacks)
{
	const struct stack_def *s = stackdef_by_set(file);

	return !s || (stacks & STACK_BIT(s->kind));
}

/*
 * The sets in @sub of --modules-dir ("" for the sets of every architecture, "arm64/" for
 * arm64's own); a missing architecture directory has none.
 */
static int add_sets_in(struct closure *c, const struct image_opts *o, const char *sub,
		       unsigned int stacks, struct mk_err *err)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent **list = NULL;
	int n, r = 0;

	if (asprintf(&dir, "%s/%s", o->modules_dir, sub) < 0)
		return -ENOMEM;
	n = scandir(dir, &list, is_set_file, cmp_dirent);
	if (n < 0 && *sub && errno == ENOENT)
		return 0;
	if (n < 0)
		return mk_errf(err, -errno, "cannot read module sets from %s: %s", dir,
			       strerror(errno));
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *file = NULL;

		if (r == 0 && set_wanted(list[i]->d_name, stacks)) {
			if (asprintf(&file, "%s%s", sub, list[i]->d_name) < 0)
				r = -ENOMEM;
			else
				r = add_set(c, o, file, err);
		}
		free(list[i]);
	}
	free(list);
	return r;
}

static int add_sets(struct closure *c, const struct image_opts *o, unsigned int stacks,
		    struct mk_err *err)
{
	_cleanup_free_ char *sub = NULL;
	int r = add_sets_in(c, o, "", stacks, err);

	if (r < 0)
		return r;
	if (asprintf(&sub, "%s/", o->arch->name) < 0)
		return -ENOMEM;
	return add_sets_in(c, o, sub, stacks, err);
}

/* A key the target kernel has no module for is fine: a PCI bridge, a builtin. */
static int add_optional(struct closure *c, const char *key, const char *why,
			const struct image_opts *o, struct mk_err *err)
{
	int r = closure_add(c, key, why, err);

	if (r == -ENOENT && o->debug)
		fprintf(o->debug, "mkrdinit: host: no module in %s for %s\n", o->kver, key);
	return r == -ENOENT ? 0 : r;
}

/* The root's file system, by name or by its "fs-TYPE" alias. */
static int add_host_fs(struct closure *c, const struct host_root *h, const struct image_opts *o,
		       struct mk_err *err)
{
	_cleanup_free_ char *alias = NULL, *why = NULL;
	int r;

	if (asprintf(&why, "host root file system %s", h->fstype) < 0 ||
	    asprintf(&alias, "fs-%s", h->fstype) < 0)
		return -ENOMEM;
	r = closure_add(c, h->fstype, why, err);
	if (r == -ENOENT)
		r = add_optional(c, alias, why, o, err);
	return r < 0 ? r : 0;
}

/*
 * sysfs tells a dm-crypt device but not its cipher, an LV but not its targets: those
 * stacks take their whole sets.  An md device says its level, which the keys have.
 */
static int add_host_sets(struct closure *c, const struct image_opts *o, unsigned int stacks,
			 struct mk_err *err)
{
	int r;

	for (size_t i = 0; i < STACK_KINDS; i++) {
		if (!(stacks & STACK_BIT(i)) || i == STACK_MD)
			continue;
		r = add_set(c, o, stack_defs[i].set, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_host(struct closure *c, const struct image_opts *o, const struct image_plan *p,
		    struct mk_err *err)
{
	const struct host_root *h = &p->host;
	int r;

	r = add_host_fs(c, h, o, err);
	for (size_t i = 0; r >= 0 && i < h->n_keys; i++) {
		_cleanup_free_ char *why = NULL;

		if (asprintf(&why, "host root device %s", h->keys[i].where) < 0)
			return -ENOMEM;
		r = add_optional(c, h->keys[i].key, why, o, err);
	}
	if (r >= 0)
		r = add_host_sets(c, o, p->stacks, err);
	return r < 0 ? r : 0;
}

int image_closure(const struct image_opts *o, const struct image_plan *p, struct closure *c,
		  struct mk_err *err)
{
	int r = 0;

	for (size_t i = 0; i < o->n_omit; i++) {
		r = closure_omit(c, o->omit[i], err);
		if (r == -ENOENT)
			return mk_errf(err, r,
				       "--omit-modules: module '%s' not found for "
				       "kernel %s",
				       o->omit[i], o->kver);
		if (r < 0)
			return r;
	}
	if (o->profile == PROFILE_GENERIC)
		r = add_sets(c, o, p->stacks, err);
	else if (o->profile == PROFILE_HOST)
		r = add_host(c, o, p, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < o->n_add; i++) {
		r = closure_add(c, o->add[i], "--add-modules", err);
		if (r == -ENOENT)
			return mk_errf(err, r, "module '%s' not found for kernel %s", o->add[i],
				       o->kver);
		if (r < 0)
			return r;
	}
	return 0;
}
