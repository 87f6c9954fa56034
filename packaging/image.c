// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image assembly, step by step: stage the closure, index it with depmod, collect the
 * image's files, and write them through a temp file over --output, with a guard process
 * that removes what is left behind if we die.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "cryptkeys.h"
#include "depmod.h"
#include "guard.h"
#include "image.h"
#include "inputs.h"
#include "output.h"
#include "stacktools.h"
#include "staging.h"

/*
 * /dev/console must exist before /init runs: the kernel opens it for
 * init's stdio, and devtmpfs is not mounted yet unless DEVTMPFS_MOUNT.
 */
static int collect(struct ar_list *l, const struct image_opts *o, const struct image_plan *p,
		   const char *stage, struct mk_err *err)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "run", "root", "etc", "lib" };
	_cleanup_free_ char *lib = NULL;
	int r = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && r == 0; i++)
		r = ar_add_dir(l, dirs[i]);
	if (r == 0)
		r = ar_add_file(l, "init", o->init, 0755);
	if (r == 0)
		r = ar_add_node(l, "dev/console", S_IFCHR | 0600, 5, 1);
	if (r == 0)
		r = ar_add_node(l, "dev/null", S_IFCHR | 0666, 1, 3);
	if (r == 0 && o->config)
		r = ar_add_file(l, "etc/rdinit.conf", o->config, 0644);
	if (r == 0)
		r = inputs_add_includes(l, o);
	if (r == 0 && o->shell)
		r = ar_add_file_keep_perm(l, "bin/sh", o->shell);
	if (r == 0)
		r = inputs_add_hooks(l, o);
	if (r == 0)
		r = stacktools_add(l, o, p->stacks);
	if (r == 0)
		r = cryptkeys_add(l, p, stage);
	if (r < 0)
		return mk_errf(err, r, "cannot add files to the image: %s", strerror(-r));
	r = inputs_add_installs(l, o, p, err);
	if (r < 0)
		return r;
	if (asprintf(&lib, "%s/lib", stage) < 0)
		return -ENOMEM;
	return ar_add_tree(l, lib, "lib", err);
}

/* A file others may not read on the host: a key file, a private crypttab. */
static bool private_src(const struct image_opts *o, const char *src)
{
	struct stat st;

	if (stat(src, &st) < 0 || (st.st_mode & S_IROTH))
		return false;
	if (o->debug)
		fprintf(o->debug, "mkrdinit: %s (mode %04o) is not world-readable\n", src,
			(unsigned int)(st.st_mode & 07777));
	return true;
}

/*
 * The files going in that others may not read on the host, named with --verbose.  The
 * staging tree is ours and what is in it was made readable, but for the host's crypttab
 * cut down to the root's lines, which took the mode of the original.
 */
static size_t count_private(const struct image_opts *o, const struct image_plan *p,
			    const struct ar_list *l, const char *stage)
{
	size_t n = strlen(stage), count = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct ar_entry *e = &l->v[i];

		if (S_ISREG(e->mode) && !(!strncmp(e->src, stage, n) && e->src[n] == '/'))
			count += private_src(o, e->src);
	}
	if (p->tab_filtered && p->tab.path)
		count += private_src(o, p->tab.path);
	for (size_t i = 0; i < o->n_microcode; i++)
		count += private_src(o, o->microcode[i]);
	return count;
}

int image_write(const struct image_opts *o, const struct image_plan *p, struct closure *c,
		struct image_stats *st, struct mk_err *err)
{
	/* first declared, so last cleaned up: after the two below */
	_cleanup_(guard_stop) struct guard guard = { .fd = -1 };
	_cleanup_(output_discard) struct output out = { .fd = -1 };
	_cleanup_(staging_remove) struct staging stage = { .dir.fd = -1 };
	_cleanup_(ar_list_freep) struct ar_list l = { 0 };
	const struct closure_mod *mods;
	char *const *fw;
	int r;

	r = guard_start(&guard, err);
	if (r < 0)
		return r;
	r = output_open(&out, o->output, err);
	if (r < 0)
		return r;
	guard_send(&guard, 'T', out.path);
	r = staging_make(&stage, err);
	if (r < 0)
		return r;
	guard_send(&guard, 'S', stage.path);
	r = staging_modules(&stage.dir, o, c, &st->recompressed, err);
	if (r < 0)
		return r;
	r = depmod_run(stage.path, o->kver, err);
	if (r < 0)
		return r;
	depmod_drop_text(stage.path, o->kver);
	r = staging_firmware(&stage.dir, c, err);
	if (r == 0)
		r = cryptkeys_stage(&stage.dir, p, err);
	if (r < 0)
		return r;
	r = collect(&l, o, p, stage.path, err);
	if (r < 0)
		return r;
	st->private_files = count_private(o, p, &l, stage.path);
	out.mode = st->mode = output_mode(o->output, st->private_files > 0);
	r = output_microcode(o, out.fd, err);
	if (r < 0)
		return r;
	r = output_segments(&l, o, out.fd, &st->ar, err);
	if (r < 0)
		return r;
	r = output_commit(&out, o->output, err);
	if (r < 0)
		return r;
	st->modules = closure_modules(c, &mods);
	st->firmware = closure_firmware(c, &fw);
	return 0;
}
