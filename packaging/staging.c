// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The staging tree: a temp directory the closure's modules (as .ko.zst, as shipped or
 * plain), depmod's inputs and the firmware are copied into, every path resolved below it.
 *
 * The module indexes in the image must describe exactly the modules in it,
 * or modprobe in the initramfs would chase files that are not there.  So the
 * chosen modules are copied to a staging tree and depmod runs over that copy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "cleanup.h"
#include "modcomp.h"
#include "staging.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	(void)remove(path);
	return 0;
}

void staging_rmtree(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void staging_remove(struct staging *s)
{
	if (s->dir.fd >= 0)
		(void)close(s->dir.fd);
	if (s->path)
		staging_rmtree(s->path);
	free(s->path);
}

int staging_make(struct staging *s, struct mk_err *err)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (asprintf(&s->path, "%s/mkrdinit.XXXXXX", tmp) < 0) {
		s->path = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(s->path)) {
		int r = mk_errf(err, -errno, "cannot create a staging dir in %s: %s", tmp,
				strerror(errno));

		free(steal_ptr(s->path));
		return r;
	}
	s->dir.path = s->path;
	s->dir.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	s->dir.fd = open(s->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dir.fd < 0)
		return mk_errf(err, -errno, "cannot open %s: %s", s->path, strerror(errno));
	return 0;
}

static int copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t n;
	int r;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}

int staging_create(const struct mk_dir *stage, const char *rel, struct mk_err *err)
{
	int r = mk_mkdirs(stage, rel), fd;

	if (r < 0)
		return mk_errf(err, r, "cannot create directories for %s/%s: %s", stage->path, rel,
			       strerror(-r));
	fd = mk_openat(stage, rel, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return mk_errf(err, fd, "cannot create %s/%s: %s", stage->path, rel, strerror(-fd));
	return fd;
}

/* Copy @rel from below @src to the same path in the staging tree; @optional tolerates absence. */
static int copy_rel(const struct mk_dir *src, const struct mk_dir *stage, const char *rel,
		    bool optional, struct mk_err *err)
{
	_cleanup_close_ int in = -1, out = -1;
	int r;

	in = mk_openat(src, rel, O_RDONLY, 0);
	if (in == -ENOENT && optional)
		return 0;
	if (in < 0)
		return mk_open_error(src, rel, in, err);
	out = staging_create(stage, rel, err);
	if (out < 0)
		return out;
	r = copy_fd(in, out);
	if (r == 0 && close(steal_fd(&out)) < 0)
		r = -errno;
	if (r < 0)
		return mk_errf(err, r, "cannot copy %s/%s to %s: %s", src->path, rel, stage->path,
			       strerror(-r));
	return 0;
}

/*
 * Store @rel of the module dir as a plain .ko (--decompress-modules): the
 * image's compressor then sees the modules' bytes.
 */
static int stage_plain(const struct mk_dir *src, const struct mk_dir *stage, const char *rel,
		       size_t suffix, struct mk_err *err)
{
	_cleanup_free_ char *dst = NULL;
	_cleanup_close_ int in = -1, out = -1;
	int r;

	if (asprintf(&dst, "%.*s", (int)(strlen(rel) - suffix), rel) < 0)
		return -ENOMEM;
	in = mk_open_read(src, rel, err);
	if (in < 0)
		return in;
	out = staging_create(stage, dst, err);
	if (out < 0)
		return out;
	r = ar_decompress_fd(in, rel, out, NULL, err);
	if (r < 0)
		return r;
	if (close(steal_fd(&out)) < 0)
		return mk_errf(err, -errno, "cannot write %s/%s: %s", stage->path, dst,
			       strerror(errno));
	return 0;
}

static void jobs_free(struct modcomp_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(jobs[i].src);
		free(jobs[i].dst);
	}
	free(jobs);
}

/*
 * A recompression job for @rel: its ".xz" or ".gz" (@suffix bytes)
 * replaced by ".zst", or ".zst" added to ".ko".
 */
static int add_job(struct modcomp_job *j, const struct mk_dir *stage, const char *rel,
		   size_t suffix, struct mk_err *err)
{
	int r = mk_mkdirs(stage, rel);

	if (r < 0)
		return mk_errf(err, r, "cannot create directories for %s/%s: %s", stage->path, rel,
			       strerror(-r));
	j->src = strdup(rel);
	if (asprintf(&j->dst, "%.*s.zst", (int)(strlen(rel) - suffix), rel) < 0)
		j->dst = NULL;
	return j->src && j->dst ? 0 : -ENOMEM;
}

int staging_modules(const struct mk_dir *stage, const struct image_opts *o, struct closure *c,
		    size_t *recompressed, struct mk_err *err)
{
	/* depmod's other inputs; modules.builtin keeps builtins resolvable. */
	static const char *const meta[] = { "modules.order", "modules.builtin",
					    "modules.builtin.modinfo" };
	const struct mk_dir *src = closure_root(c);
	const char *modrel = closure_modrel(c);
	const struct closure_mod *mods;
	_cleanup_free_ char *dir = NULL;
	size_t n = closure_modules(c, &mods), suffix, njobs = 0;
	struct modcomp_job *jobs = NULL;
	int r;

	/* The trailing slash makes mk_mkdirs() create the module dir itself. */
	if (asprintf(&dir, "%s/", modrel) < 0)
		return -ENOMEM;
	r = mk_mkdirs(stage, dir);
	if (r < 0)
		return mk_errf(err, r, "cannot create %s/%s: %s", stage->path, dir, strerror(-r));
	jobs = calloc(n ? n : 1, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *rel = NULL;
		const char *path = mods[i].path;
		bool compressed = ar_module_compressed(path, &suffix);
		size_t len = strlen(path);

		if (!compressed)
			suffix = 0;
		if (asprintf(&rel, "%s/%s", modrel, path) < 0) {
			rel = NULL;
			r = -ENOMEM;
		} else if (o->modcomp == MODCOMP_DECOMPRESS && compressed) {
			r = stage_plain(src, stage, rel, suffix, err);
		} else if (o->modcomp == MODCOMP_ZSTD &&
			   !(len > 7 && !strcmp(path + len - 7, ".ko.zst"))) {
			r = add_job(&jobs[njobs++], stage, rel, suffix, err);
		} else {
			r = copy_rel(src, stage, rel, false, err);
		}
	}
	if (r == 0 && njobs)
		r = modcomp_zstd(jobs, njobs, src, stage, o->modlevel, 0, err);
	jobs_free(jobs, njobs);
	if (r < 0)
		return r;
	*recompressed = njobs;
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		_cleanup_free_ char *rel = NULL;

		if (asprintf(&rel, "%s/%s", modrel, meta[i]) < 0)
			return -ENOMEM;
		r = copy_rel(src, stage, rel, true, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int staging_firmware(const struct mk_dir *stage, struct closure *c, struct mk_err *err)
{
	char *const *fw;
	size_t n = closure_firmware(c, &fw);
	int r;

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *rel = NULL;

		if (asprintf(&rel, "lib/firmware/%s", fw[i]) < 0)
			return -ENOMEM;
		r = copy_rel(closure_root(c), stage, rel, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}
