// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The files the options name (--init, --config, --shell, --include, --hook, --install,
 * --microcode, --output): each checked before the slow part; --include, --hook and
 * --install added to the image at the end, the programs with the libraries they load.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "elf.h"
#include "inputs.h"
#include "stacks.h"
#include "stages.h"

static bool is_elf(const char *path)
{
	struct elf_kind k;

	return elf_kind_read(&k, path) > 0;
}

static int check_file(const char *what, const char *path, struct mk_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0)
		return mk_errf(err, -errno, "cannot use %s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mk_errf(err, -EINVAL, "cannot use %s %s: not a regular file", what, path);
	return 0;
}

/* "SRC:DST"; the last colon splits, so only DST cannot contain one. */
static int split_include(const char *spec, char **src, const char **dst)
{
	const char *colon = strrchr(spec, ':');

	if (!colon || colon == spec || !colon[1])
		return -EINVAL;
	*src = strndup(spec, (size_t)(colon - spec));
	if (!*src)
		return -ENOMEM;
	*dst = colon + 1 + strspn(colon + 1, "/");
	return 0;
}

static int check_include(const char *spec, struct mk_err *err)
{
	_cleanup_free_ char *src = NULL;
	const char *dst;
	int r;

	r = split_include(spec, &src, &dst);
	if (r == -EINVAL || (r == 0 && !*dst))
		return mk_errf(err, -EINVAL, "--include %s: expected SRC:DST", spec);
	if (r < 0)
		return r;
	return check_file("--include", src, err);
}

/* "STAGE:PATH" (mkrdinit.c checked the stage): where PATH goes in the image. */
static int hook_dest(const char *spec, const char **src, char **dst)
{
	const char *colon = strchr(spec, ':'), *base;
	const struct stage_def *s = stagedef_by_hooks(spec, (size_t)(colon - spec));

	*src = colon + 1;
	base = strrchr(*src, '/');
	base = base ? base + 1 : *src;
	if (!s || !*base)
		return -EINVAL;
	if (asprintf(dst, "%s/%s.d/%s", RDINIT_HOOKS_DIR + 1, s->hooks, base) < 0)
		return -ENOMEM;
	return 0;
}

/* Each hook a readable file, and no two going to the same name. */
static int check_hooks(const struct image_opts *o, struct mk_err *err)
{
	for (size_t i = 0; i < o->n_hooks; i++) {
		_cleanup_free_ char *dst = NULL;
		const char *src;
		int r = hook_dest(o->hooks[i], &src, &dst);

		if (r == -EINVAL)
			return mk_errf(err, r, "--hook %s: expected STAGE:PATH to a file",
				       o->hooks[i]);
		if (r == 0)
			r = check_file("--hook", src, err);
		if (r == 0)
			r = elf_check_machine("--hook", src, o->arch->machine, o->arch->name, err);
		for (size_t j = 0; r == 0 && j < i; j++) {
			_cleanup_free_ char *other = NULL;
			const char *osrc;

			r = hook_dest(o->hooks[j], &osrc, &other);
			if (r == 0 && !strcmp(dst, other))
				r = mk_errf(
					err, -EEXIST, "--hook: two hooks named %s for stage %.*s",
					strrchr(dst, '/') + 1,
					(int)(strchr(o->hooks[i], ':') - o->hooks[i]), o->hooks[i]);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* A program of the image: a readable file, and no ELF program for another machine. */
static int check_program(const struct image_opts *o, const char *what, const char *path,
			 struct mk_err *err)
{
	int r = check_file(what, path, err);

	return r < 0 ? r : elf_check_machine(what, path, o->arch->machine, o->arch->name, err);
}

/* The default /init for an architecture may not be built yet: say how to get it. */
static int check_init(const struct image_opts *o, struct mk_err *err)
{
	/* the table's own string only when --init was not given */
	if (o->init == o->arch->init && access(o->init, F_OK) < 0)
		return mk_errf(err, -errno,
			       "cannot use --init %s, the default for %s: %s; build it with '%s', "
			       "or name one with --init",
			       o->init, o->arch->name, strerror(errno), o->arch->make);
	return check_program(o, "--init", o->init, err);
}

int image_check_inputs(const struct image_opts *o, struct mk_err *err)
{
	_cleanup_free_ char *copy = strdup(o->output);
	struct stat st;
	const char *dir;
	int r;

	if (!copy)
		return -ENOMEM;
	r = check_init(o, err);
	if (r < 0)
		return r;
	if (o->shell) {
		r = check_program(o, "--shell", o->shell, err);
		if (r < 0)
			return r;
	}
	if (o->n_microcode && !o->arch->microcode)
		return mk_errf(err, -EINVAL,
			       "--microcode: early microcode is for x86 kernels, and the image is "
			       "for %s",
			       o->arch->name);
	if (o->config) {
		r = check_file("--config", o->config, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < o->n_microcode; i++) {
		r = check_file("--microcode", o->microcode[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < o->n_install; i++) {
		r = check_program(o, "--install", o->install[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < o->n_include; i++) {
		r = check_include(o->include[i], err);
		if (r < 0)
			return r;
	}
	r = check_hooks(o, err);
	if (r < 0)
		return r;
	/*
	 * The image replaces --output by rename(), which would swap a symlink
	 * (or /dev/stdout) for a regular file: only ever replace a regular file.
	 */
	if (lstat(o->output, &st) == 0 && S_ISDIR(st.st_mode))
		return mk_errf(err, -EISDIR, "--output %s is a directory", o->output);
	if (lstat(o->output, &st) == 0 && !S_ISREG(st.st_mode))
		return mk_errf(err, -EEXIST, "refusing to replace %s: not a regular file",
			       o->output);
	dir = dirname(copy);
	if (access(dir, W_OK | X_OK) < 0)
		return mk_errf(err, -errno, "cannot write to %s: %s", dir, strerror(errno));
	return 0;
}

int inputs_add_includes(struct ar_list *l, const struct image_opts *o)
{
	for (size_t i = 0; i < o->n_include; i++) {
		_cleanup_free_ char *src = NULL;
		const char *dst;
		int r;

		r = split_include(o->include[i], &src, &dst);
		if (r == 0)
			r = ar_add_file_keep_perm(l, dst, src);
		if (r < 0)
			return r;
	}
	return 0;
}

int inputs_add_hooks(struct ar_list *l, const struct image_opts *o)
{
	for (size_t i = 0; i < o->n_hooks; i++) {
		_cleanup_free_ char *dst = NULL;
		const char *src;
		int r = hook_dest(o->hooks[i], &src, &dst);

		if (r == 0)
			r = ar_add_file_keep_perm(l, dst, src);
		if (r < 0)
			return r;
	}
	return 0;
}

static void elf_setp(struct elf_set *s)
{
	elf_set_free(s);
}

/*
 * Programs the image holds at a place of their own (hooks, the stacks' tools): their
 * libraries join the --install set, so a library two of them need goes in once; a program
 * itself goes only to its place, unless --install'd too.
 */
struct placed_bins {
	char **v; /* the real paths of the ELF ones */
	size_t n, cap;
};

static void placed_bins_free(struct placed_bins *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
}

static int collect_placed(struct elf_set *set, struct placed_bins *bins, const char *what,
			  const char *src, struct mk_err *err)
{
	char *real;

	if (bins->n == bins->cap)
		return -ENOMEM; /* sized by the caller */
	real = realpath(src, NULL);
	if (!real)
		return mk_errf(err, -errno, "%s %s: %s", what, src, strerror(errno));
	bins->v[bins->n++] = real;
	return elf_collect(set, "", real, err);
}

static int collect_placed_libs(struct elf_set *set, const struct image_opts *o,
			       const struct image_plan *p, struct placed_bins *bins,
			       struct mk_err *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < o->n_hooks; i++) {
		const char *src = strchr(o->hooks[i], ':') + 1;

		if (is_elf(src))
			r = collect_placed(set, bins, "--hook", src, err);
	}
	for (size_t i = 0; r == 0 && i < STACK_KINDS; i++) {
		_cleanup_free_ char *tool = NULL;

		if (!(p->stacks & STACK_BIT(i)))
			continue;
		if (asprintf(&tool, "%s/%s", o->stacks_dir, stack_defs[i].tool) < 0)
			return -ENOMEM;
		r = collect_placed(set, bins, "stack tool", tool, err);
	}
	return r;
}

static bool only_placed(const struct image_opts *o, const struct placed_bins *bins,
			const char *path)
{
	bool placed = false;

	for (size_t i = 0; i < bins->n; i++)
		placed |= !strcmp(bins->v[i], path);
	for (size_t i = 0; placed && i < o->n_install; i++)
		placed = strcmp(o->install[i], path) != 0;
	return placed;
}

int inputs_add_installs(struct ar_list *l, const struct image_opts *o, const struct image_plan *p,
			struct mk_err *err)
{
	_cleanup_(elf_setp) struct elf_set set = { .machine = o->arch->machine,
						   .arch = o->arch->name };
	_cleanup_(placed_bins_free) struct placed_bins bins = { 0 };
	int r;

	bins.cap = o->n_hooks + STACK_KINDS;
	bins.v = calloc(bins.cap, sizeof(char *));
	if (!bins.v)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_install; i++) {
		r = elf_collect(&set, "", o->install[i], err);
		if (r < 0)
			return r;
	}
	r = collect_placed_libs(&set, o, p, &bins, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < set.n; i++) {
		if (only_placed(o, &bins, set.paths[i]))
			continue;
		r = ar_add_file(l, set.names[i], set.paths[i], 0);
		if (r < 0)
			return mk_errf(err, r, "--install: cannot add %s: %s", set.paths[i],
				       strerror(-r));
	}
	return 0;
}
