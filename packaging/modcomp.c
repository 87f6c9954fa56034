// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Modules to .ko.zst, in parallel: see modcomp.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "modcomp.h"
#include "archive.h"
#include "cleanup.h"

#define MAX_THREADS 16

struct pool {
	const struct modcomp_job *jobs;
	const struct mk_dir *src, *dst;
	size_t n, next;
	int level;
	int result;
	struct mk_err err; /* the first failure's message */
	pthread_mutex_t lock;
};

static int compress_one(ZSTD_CCtx *cctx, const struct pool *p, const struct modcomp_job *j,
			struct mk_err *err)
{
	_cleanup_free_ void *in = NULL, *out = NULL;
	_cleanup_close_ int fd = -1;
	size_t len, bound, got;
	int level = p->level, r;

	fd = mk_open_read(p->src, j->src, err);
	if (fd < 0)
		return fd;
	r = ar_read_module_fd(fd, j->src, &in, &len, err);
	if (r < 0)
		return r;
	(void)close(steal_fd(&fd));
	bound = ZSTD_compressBound(len);
	out = malloc(bound);
	if (!out)
		return -ENOMEM;
	/*
	 * A checksum: nothing else guards the uncompressed archive the modules travel in, and
	 * a flipped bit must not become code the kernel runs (an unsigned module is not
	 * checked). rdinit verifies it while decompressing; XXH64 costs a few percent of that.
	 */
	if (ZSTD_isError(ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1)))
		return mk_errf(err, -EINVAL, "cannot set up zstd level %d", level);
	got = ZSTD_compress2(cctx, out, bound, in, len);
	if (ZSTD_isError(got))
		return mk_errf(err, -EIO, "%s: zstd: %s", j->src, ZSTD_getErrorName(got));
	fd = mk_openat(p->dst, j->dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return mk_errf(err, fd, "cannot create %s/%s: %s", p->dst->path, j->dst,
			       strerror(-fd));
	r = write_all(fd, out, got);
	if (r == 0 && close(steal_fd(&fd)) < 0)
		r = -errno;
	if (r < 0)
		return mk_errf(err, r, "cannot write %s: %s", j->dst, strerror(-r));
	return 0;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	for (;;) {
		struct mk_err err = { { 0 } };
		size_t i;
		int r;

		pthread_mutex_lock(&p->lock);
		/* after a failure nothing new starts */
		i = p->result < 0 ? p->n : p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			break;
		r = cctx ? compress_one(cctx, p, &p->jobs[i], &err) : -ENOMEM;
		if (r < 0) {
			pthread_mutex_lock(&p->lock);
			if (p->result == 0) {
				p->result = r;
				p->err = err;
			}
			pthread_mutex_unlock(&p->lock);
		}
	}
	ZSTD_freeCCtx(cctx);
	return NULL;
}

int modcomp_zstd(const struct modcomp_job *jobs, size_t n, const struct mk_dir *src,
		 const struct mk_dir *dst, int level, int threads, struct mk_err *err)
{
	struct pool p = { .jobs = jobs, .src = src, .dst = dst, .n = n, .level = level };
	pthread_t th[MAX_THREADS];
	int started = 0;

	if (level < 1 || level > MODCOMP_LEVEL_MAX)
		return mk_errf(err, -ERANGE, "zstd level %d for modules is out of range (1-%d)",
			       level, MODCOMP_LEVEL_MAX);
	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if ((size_t)threads > n)
		threads = (int)n;
	pthread_mutex_init(&p.lock, NULL);
	for (int i = 1; i < threads; i++)
		if (pthread_create(&th[started], NULL, worker, &p) == 0)
			started++;
	worker(&p); /* this thread works too */
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.result < 0 && p.err.msg[0])
		(void)mk_errf(err, p.result, "%s", p.err.msg);
	return p.result;
}
