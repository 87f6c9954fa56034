// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The image file: a temp file beside --output, 0600 while it is written; the archives
 * written into it (early microcode, the modules stored as they are, the compressed rest);
 * then its mode, and the rename over --output.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "output.h"

void output_discard(struct output *t)
{
	if (t->fd >= 0)
		(void)close(t->fd);
	if (t->path)
		(void)unlink(t->path);
	free(t->path);
}

mode_t output_mode(const char *output, bool private)
{
	struct stat st;
	mode_t mask;

	if (private)
		return 0600;
	if (lstat(output, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_mode & 07777;
	mask = umask(0);
	(void)umask(mask);
	return 0666 & ~mask;
}

int output_open(struct output *t, const char *output, struct mk_err *err)
{
	if (asprintf(&t->path, "%s.tmpXXXXXX", output) < 0) {
		t->path = NULL;
		return -ENOMEM;
	}
	t->fd = mkostemp(t->path, O_CLOEXEC);
	if (t->fd < 0) {
		int r = mk_errf(err, -errno, "cannot create %s: %s", t->path, strerror(errno));

		free(steal_ptr(t->path));
		return r;
	}
	if (fchmod(t->fd, 0600) < 0)
		return mk_errf(err, -errno, "cannot chmod %s: %s", t->path, strerror(errno));
	return 0;
}

int output_commit(struct output *t, const char *output, struct mk_err *err)
{
	if (fchmod(t->fd, t->mode) < 0)
		return mk_errf(err, -errno, "cannot chmod %s: %s", t->path, strerror(errno));
	if (fsync(t->fd) < 0 || close(steal_fd(&t->fd)) < 0)
		return mk_errf(err, -errno, "cannot write %s: %s", t->path, strerror(errno));
	if (rename(t->path, output) < 0)
		return mk_errf(err, -errno, "cannot rename %s to %s: %s", t->path, output,
			       strerror(errno));
	free(steal_ptr(t->path));
	return 0;
}

/* AMD's container files start with "DMA\0"; anything else is taken as Intel's. */
static const char *microcode_name(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char magic[4] = { 0 };

	if (fd >= 0 && read(fd, magic, 4) == 4 && !memcmp(magic, "DMA\0", 4))
		return "kernel/x86/microcode/AuthenticAMD.bin";
	return "kernel/x86/microcode/GenuineIntel.bin";
}

int output_microcode(const struct image_opts *o, int fd, struct mk_err *err)
{
	_cleanup_(ar_list_freep) struct ar_list l = { 0 };
	struct ar_stats st;
	int r;

	if (o->n_microcode == 0)
		return 0;
	for (size_t i = 0; i < o->n_microcode; i++) {
		r = ar_add_file(&l, microcode_name(o->microcode[i]), o->microcode[i], 0644);
		if (r < 0)
			return r;
	}
	r = ar_write(&l, fd, AR_NONE, o->mtime, &st, err);
	if (r == -EEXIST)
		return mk_errf(err, r, "--microcode: two files for the same CPU vendor");
	return r;
}

/* Data that compresses no further: modules shipped or stored compressed. */
static bool precompressed(const struct ar_entry *e)
{
	return S_ISREG(e->mode) && ar_module_compressed(e->path, NULL);
}

int output_segments(struct ar_list *l, const struct image_opts *o, int fd, struct ar_stats *st,
		    struct mk_err *err)
{
	_cleanup_(ar_list_freep) struct ar_list stored = { 0 };
	struct ar_stats s1 = { 0 };
	size_t keep = 0;
	int r;

	if (o->compress != AR_NONE && l->n) {
		/* room for all first: entries then move without a failure half-way */
		stored.v = malloc(l->n * sizeof(*stored.v));
		if (!stored.v)
			return -ENOMEM;
		stored.cap = l->n;
		for (size_t i = 0; i < l->n; i++) {
			if (precompressed(&l->v[i]))
				stored.v[stored.n++] = l->v[i];
			else
				l->v[keep++] = l->v[i];
		}
		l->n = keep;
	}
	if (stored.n) {
		r = ar_write(&stored, fd, AR_NONE, o->mtime, &s1, err);
		if (r < 0)
			return r;
	}
	r = ar_write_level(l, fd, o->compress, o->level, o->mtime, st, err);
	if (r < 0)
		return r;
	st->entries += s1.entries;
	st->files += s1.files;
	st->raw_bytes += s1.raw_bytes;
	/* out_bytes is the file's size: both segments (and microcode) already */
	return 0;
}
