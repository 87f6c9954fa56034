// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module loading through libkmod: alias resolution, blacklist, dependencies, softdeps and
 * options (modprobe.d and module.param= on the command line, both read by libkmod itself).
 *
 * The insertion itself is ours: a module compressed on disk (Debian's kernels ship .ko.xz) is
 * handed to the kernel with MODULE_INIT_COMPRESSED_FILE when the kernel decompresses its
 * format, else decompressed here (modfile.c); libkmod only plans.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rdinit.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_DEPTH 32

static struct kmod_ctx *ctx;
/* /sys/devices/system/cpu/modalias: what modules' "cpu:" aliases match against */
static char *cpu_modalias;
/* what CONFIG_MODULE_DECOMPRESS decompresses ("xz", "zstd", "gzip"), NULL without it */
static char *kernel_compression;

/* remembered names: modules tried, and modaliases already resolved */
struct strset {
	char **v;
	size_t n, cap;
};
static struct strset tried_modules, seen_aliases, unmatched_aliases, blacklisted_aliases,
	failed_modules;

static bool strset_add(struct strset *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return true; /* cannot remember: do the work again rather than skip it */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(str);
	if (s->v[s->n])
		s->n++;
	return true;
}

static void strset_free(struct strset *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * modules.softdep as depmod wrote it. libkmod honours only the first "softdep" line of a
 * module (btrfs has four: blake2b-256, sha256, xxhash64, crc32c), so a btrfs with sha256 or
 * xxhash checksums would not mount; every line is read here and applied on top.
 */
static char *softdep_text;

static void softdeps_read(const char *dirname)
{
	char path[PATH_MAX];
	size_t len;

	snprintf(path, sizeof(path), "%s/modules.softdep", dirname);
	/* NULL when missing; past 1 MiB the start is still worth having */
	(void)read_text_file(path, 1024 * 1024, &softdep_text, &len);
}

/* Module names compare with '-' and '_' alike, as in the kernel. */
static bool same_name(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++, b++) {
		char x = a[i] == '-' ? '_' : a[i], y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
	}
	return *b == '\0';
}

static void kmod_log_cb(void *data, int priority, const char *file, int line, const char *fn,
			const char *format, va_list args)
{
	(void)data;
	(void)file;
	(void)line;
	(void)fn;
	/* libkmod is chatty at err level about things we handle ourselves */
	log_vmsg(priority < LOG_LVL_WARNING ? LOG_LVL_WARNING : priority, format, args);
}

int modules_init(const char *dirname)
{
	static const char *const config_paths[] = {
		"/etc/modprobe.d",
		"/run/modprobe.d",
		"/lib/modprobe.d",
		NULL,
	};

	ctx = kmod_new(dirname, config_paths);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_log_cb, NULL);
	kmod_set_log_priority(ctx, log_max_level() >= LOG_LVL_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	(void)kmod_load_resources(ctx);
	softdeps_read(dirname);
	if (read_trimmed_file("/sys/devices/system/cpu/modalias", &cpu_modalias) < 0)
		cpu_modalias = NULL;
	/*
	 * The kernel shows /sys/module/compression when built with CONFIG_MODULE_DECOMPRESS; it
	 * names the one format it decompresses (CONFIG_MODULE_COMPRESS_XZ, _ZSTD or _GZIP).
	 */
	if (read_trimmed_file("/sys/module/compression", &kernel_compression) < 0)
		kernel_compression = NULL;
	return 0;
}

void modules_exit(void)
{
	free(softdep_text);
	softdep_text = NULL;
	free(cpu_modalias);
	cpu_modalias = NULL;
	free(kernel_compression);
	kernel_compression = NULL;
	strset_free(&tried_modules);
	strset_free(&seen_aliases);
	strset_free(&unmatched_aliases);
	strset_free(&blacklisted_aliases);
	strset_free(&failed_modules);
	kmod_unref(ctx);
	ctx = NULL;
}

/* The compression of a module file by its suffix: "xz", "zstd", "gzip", or NULL for none. */
static const char *compression_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return NULL;
	if (!strcmp(dot, ".xz"))
		return "xz";
	if (!strcmp(dot, ".zst"))
		return "zstd";
	if (!strcmp(dot, ".gz"))
		return "gzip";
	return NULL;
}

/* Whether the kernel decompresses @format (compression_of()) itself. */
static bool kernel_decompresses(const char *format)
{
	return format && kernel_compression && !strcmp(format, kernel_compression);
}

/*
 * Loading is planned, then done. The plan (main thread: libkmod's context is not thread-safe)
 * lists the modules in dependency order, each with the tasks it waits for: hard dependencies,
 * which must load, and softdeps, which are only waited for. Then the plan runs: in order on
 * one CPU; with more, worker threads take any task whose predecessors are done, so
 * independent modules (jbd2, mbcache, crc16 under ext4) load at the same time.
 */
#define MAX_EDGES 48
#define MAX_WORKERS 4

struct task {
	struct kmod_module *mod;
	char *path; /* NULL: nothing to insert (result already set) */
	const char *opts;
	bool wished; /* a softdep: failure is only worth a debug line */
	bool done;
	bool running;
	int result;
	unsigned long long done_usec;
	int nedges;
	struct {
		int task;
		bool hard;
	} edges[MAX_EDGES];
};

struct plan {
	struct task *t;
	int n, cap;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static int plan_module(struct plan *p, struct kmod_module *mod, int depth, bool wished);

struct cpu_check {
	bool has, match;
};

static int cpu_alias_cb(const char *value, void *ud)
{
	struct cpu_check *c = ud;

	if (strncmp(value, "cpu:", 4))
		return 0;
	c->has = true;
	c->match = fnmatch(value, cpu_modalias, 0) == 0;
	return c->match;
}

/*
 * Whether the module at @path is for CPUs with features this one lacks: it declares "cpu:"
 * aliases (crc32c_intel wants SSE4.2, sha256_ssse3 SSSE3) and none matches. Loading it would
 * only fail with ENODEV, at a cost: under QEMU's emulated CPU, a failed crc32c_intel took
 * 53 ms of a 0.65 s boot. Asked only of softdeps, which are wishes.
 */
static bool not_for_this_cpu(const char *path)
{
	struct cpu_check c = { false, false };
	void *buf;
	size_t len;

	if (!cpu_modalias || !path || module_read(path, compression_of(path), &buf, &len) < 0)
		return false;
	(void)modinfo_foreach(buf, len, "alias", cpu_alias_cb, &c);
	module_free(buf, len);
	return c.has && !c.match;
}

static void add_edge(struct task *t, int task, bool hard)
{
	if (task >= 0 && t->nedges < MAX_EDGES) {
		t->edges[t->nedges].task = task;
		t->edges[t->nedges].hard = hard;
		t->nedges++;
	}
}

static int plan_find(const struct plan *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(kmod_module_get_name(p->t[i].mod), name))
			return i;
	return -1;
}

/* Plan the modules of @list, one level deeper; their indices go to @out (at most @max). */
static int plan_list(struct plan *p, struct kmod_list *list, int depth, bool wished, int *out,
		     int max)
{
	struct kmod_list *l;
	int n = 0;

	kmod_list_foreach (l, list) {
		struct kmod_module *m = kmod_module_get_module(l);
		int i = plan_module(p, m, depth + 1, wished);

		kmod_module_unref(m);
		if (i >= 0 && n < max)
			out[n++] = i;
	}
	return n;
}

/* Every "softdep NAME pre: ... post: ..." line of modules.softdep, planned. */
static int plan_declared_softdeps(struct plan *p, const char *name, bool pre, int depth, int *out,
				  int max)
{
	const char *line = softdep_text;
	int n = 0;

	while (line && *line) {
		const char *end = strchrnul(line, '\n'), *q = line + 8, *w;
		bool active = false;

		if (strncmp(line, "softdep ", 8))
			goto next;
		w = q;
		q += strcspn(q, " \t\n");
		if (!same_name(w, (size_t)(q - w), name))
			goto next;
		while (q < end) {
			size_t len;

			q += strspn(q, " \t");
			len = strcspn(q, " \t\n");
			if (len == 4 && !strncmp(q, "pre:", 4)) {
				active = pre;
			} else if (len == 5 && !strncmp(q, "post:", 5)) {
				active = !pre;
			} else if (len && active && len < 128) {
				struct kmod_list *list = NULL;
				char alias[128];

				memcpy(alias, q, len);
				alias[len] = '\0';
				if (kmod_module_new_from_lookup(ctx, alias, &list) == 0)
					n += plan_list(p, list, depth, true, out + n, max - n);
				kmod_module_unref_list(list);
			}
			q += len;
		}
	next:
		line = *end ? end + 1 : end;
	}
	return n;
}

static int plan_new_task(struct plan *p, struct kmod_module *mod, bool wished)
{
	struct task *t;
	const char *path = kmod_module_get_path(mod);

	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct task *nt = realloc(p->t, (size_t)cap * sizeof(*nt));

		if (!nt)
			return -1;
		p->t = nt;
		p->cap = cap;
	}
	t = &p->t[p->n];
	memset(t, 0, sizeof(*t));
	t->mod = kmod_module_ref(mod);
	t->wished = wished;
	t->opts = kmod_module_get_options(mod);
	if (path) {
		t->path = strdup(path);
		if (!t->path) {
			t->done = true;
			t->result = -ENOMEM;
		}
	} else {
		/* no file: fine for a built-in module, else there is nothing to load */
		t->done = true;
		t->result = kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN ? 0 : -ENOENT;
	}
	return p->n++;
}

/*
 * Plan @mod after its softdeps (pre) and dependencies; its post softdeps after it. Returns the
 * task index to wait for, or -1 when there is none (loaded before, or nothing to do).
 */
static int plan_module(struct plan *p, struct kmod_module *mod, int depth, bool wished)
{
	struct kmod_list *pre = NULL, *post = NULL, *deps;
	const char *name = kmod_module_get_name(mod);
	int soft[MAX_EDGES], nsoft, i, me;

	me = plan_find(p, name);
	if (me >= 0 || depth > MAX_DEPTH || !strset_add(&tried_modules, name))
		return me;
	if (wished && not_for_this_cpu(kmod_module_get_path(mod))) {
		log_debug("not loading %s: its cpu: aliases match none of this CPU's features",
			  name);
		return -1;
	}
	(void)kmod_module_get_softdeps(mod, &pre, &post);
	nsoft = plan_list(p, pre, depth, true, soft, MAX_EDGES);
	nsoft += plan_declared_softdeps(p, name, true, depth, soft + nsoft, MAX_EDGES - nsoft);

	deps = kmod_module_get_dependencies(mod);
	{
		int hard[MAX_EDGES], nhard = plan_list(p, deps, depth, wished, hard, MAX_EDGES);

		me = plan_new_task(p, mod, wished);
		for (i = 0; me >= 0 && i < nhard; i++)
			add_edge(&p->t[me], hard[i], true);
	}
	kmod_module_unref_list(deps);
	for (i = 0; me >= 0 && i < nsoft; i++)
		add_edge(&p->t[me], soft[i], false);

	if (me >= 0) {
		int after[MAX_EDGES], n;

		n = plan_list(p, post, depth, true, after, MAX_EDGES);
		n += plan_declared_softdeps(p, name, false, depth, after + n, MAX_EDGES - n);
		/* post softdeps planned just now come after us */
		for (i = 0; i < n; i++)
			if (after[i] > me)
				add_edge(&p->t[after[i]], me, false);
	}
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return me;
}

/*
 * The insertion itself: finit_module(2), with MODULE_INIT_COMPRESSED_FILE when the kernel
 * decompresses the file's format; other compressed files are decompressed here and go in
 * with init_module(2). No libkmod, so worker threads may run it.
 */
static int insert_file(const struct task *t)
{
	const char *format = compression_of(t->path);
	const char *opts = t->opts ? t->opts : "";
	int fd, r;

	if (format && !kernel_decompresses(format)) {
		void *buf;
		size_t len;

		r = module_read(t->path, format, &buf, &len);
		if (r < 0)
			return r;
		r = (int)syscall(SYS_init_module, buf, (unsigned long)len, opts);
		r = r < 0 ? -errno : 0;
		module_free(buf, len);
		return r == -EEXIST ? 0 : r;
	}
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = (int)syscall(SYS_finit_module, fd, opts, format ? MODULE_INIT_COMPRESSED_FILE : 0);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r == -EEXIST ? 0 : r;
}

/* Whether task @i may start; a failed hard dependency settles it (with the lock held). */
static bool task_ready(struct plan *p, int i)
{
	struct task *t = &p->t[i];
	int e;

	for (e = 0; e < t->nedges; e++) {
		const struct task *d = &p->t[t->edges[e].task];

		if (!d->done)
			return false;
		if (t->edges[e].hard && d->result < 0) {
			/* not inserted: it could only fail on the missing symbols */
			t->result = d->result;
			t->done = true;
			free(t->path);
			t->path = NULL;
			return false;
		}
	}
	return true;
}

static void *worker(void *arg)
{
	struct plan *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		int i, pick = -1, pending = 0;

		for (i = 0; i < p->n; i++) {
			if (p->t[i].done || p->t[i].running)
				continue;
			if (task_ready(p, i)) {
				pick = i;
				break;
			}
			pending += !p->t[i].done;
		}
		if (pick >= 0) {
			struct task *t = &p->t[pick];
			int r;

			t->running = true;
			pthread_mutex_unlock(&p->lock);
			r = insert_file(t);
			pthread_mutex_lock(&p->lock);
			t->result = r;
			t->done_usec = timing_now();
			t->done = true;
			t->running = false;
			pthread_cond_broadcast(&p->cond);
			continue;
		}
		for (i = 0; i < p->n; i++)
			pending += p->t[i].running;
		if (!pending)
			break;
		pthread_cond_wait(&p->cond, &p->lock);
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int run_parallel(struct plan *p, int workers)
{
	pthread_t th[MAX_WORKERS];
	pthread_attr_t attr;
	int i, started = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 1; i < workers; i++)
		if (pthread_create(&th[started], &attr, worker, p) == 0)
			started++;
	pthread_attr_destroy(&attr);
	worker(p); /* this thread works too */
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static void run_plan(struct plan *p)
{
	int i, pending = 0, workers = (int)sysconf(_SC_NPROCESSORS_ONLN);

	for (i = 0; i < p->n; i++)
		pending += !p->t[i].done;
	if (workers > MAX_WORKERS)
		workers = MAX_WORKERS;
	if (workers > pending)
		workers = pending;
	if (workers > 1) {
		run_parallel(p, workers);
		return;
	}
	for (i = 0; i < p->n; i++) {
		struct task *t = &p->t[i];

		if (t->done || !task_ready(p, i))
			continue;
		t->result = insert_file(t);
		t->done_usec = timing_now();
		t->done = true;
	}
}

/* Log what the plan did, in plan order, and forget it. */
static void plan_finish(struct plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		struct task *t = &p->t[i];
		const char *name = kmod_module_get_name(t->mod);
		char what[160];

		if (t->result < 0 && t->path) {
			log_msg(t->wished ? LOG_LVL_DEBUG : LOG_LVL_WARNING,
				"loading module %s failed: %s", name, strerror(-t->result));
			snprintf(what, sizeof(what), "%s (%s)", name, strerror(-t->result));
			if (!t->wished)
				(void)strset_add(&failed_modules, what);
		} else if (t->result == 0 && t->path) {
			const char *format = compression_of(t->path);

			log_debug("loaded %s from %s%s", name, t->path,
				  !format			? ""
				  : kernel_decompresses(format) ? " (decompressed by the kernel)"
								: " (decompressed by rdinit)");
			snprintf(what, sizeof(what), "loaded %s", name);
			timing_mark_at(t->done_usec, what);
		}
		free(t->path);
		kmod_module_unref(t->mod);
	}
	free(p->t);
	p->t = NULL;
	p->n = p->cap = 0;
}

/*
 * Load every module @alias resolves to. For device modaliases the blacklist applies, as with
 * modprobe; names asked for explicitly are loaded even when blacklisted. Returns the number
 * of modules it matched, or -errno.
 */
int modules_load_alias(const char *alias, bool is_modalias)
{
	struct kmod_list *list = NULL, *filtered = NULL, *l;
	int r, n = 0;

	if (!ctx)
		return -ENODEV;
	if (is_modalias && !strset_add(&seen_aliases, alias))
		return 0;
	r = kmod_module_new_from_lookup(ctx, alias, &list);
	if (r < 0)
		return r;
	if (!list && is_modalias)
		(void)strset_add(&unmatched_aliases, alias);
	if (list && is_modalias) {
		r = kmod_module_apply_filter(ctx, KMOD_FILTER_BLACKLIST, list, &filtered);
		kmod_module_unref_list(list);
		if (r < 0)
			return r;
		list = filtered;
		if (!list)
			(void)strset_add(&blacklisted_aliases, alias);
	}
	{
		struct plan p = { .lock = PTHREAD_MUTEX_INITIALIZER,
				  .cond = PTHREAD_COND_INITIALIZER };
		int top[64], ntop = 0, i;

		kmod_list_foreach (l, list) {
			struct kmod_module *m = kmod_module_get_module(l);

			if (ntop < 64)
				top[ntop++] = plan_module(&p, m, 0, false);
			kmod_module_unref(m);
		}
		run_plan(&p);
		/* loaded now, or before (-1): either way there for the device */
		for (i = 0; i < ntop; i++)
			n += top[i] < 0 || p.t[top[i]].result == 0;
		plan_finish(&p);
	}
	kmod_module_unref_list(list);
	return n;
}

/* For the failure report: each modalias with no module, blacklisted, and each failed module. */
void modules_report(void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud)
{
	size_t i;

	for (i = 0; i < unmatched_aliases.n; i++)
		fn(unmatched_aliases.v[i], MODULE_NONE, ud);
	for (i = 0; i < blacklisted_aliases.n; i++)
		fn(blacklisted_aliases.v[i], MODULE_BLACKLISTED, ud);
	for (i = 0; i < failed_modules.n; i++)
		fn(failed_modules.v[i], MODULE_FAILED, ud);
}

/* The module for a filesystem type: "fs-TYPE" is the alias filesystems declare. */
int modules_load_fs(const char *fstype)
{
	char alias[64];
	int r;

	if (strlen(fstype) + 4 >= sizeof(alias))
		return -EINVAL;
	memcpy(alias, "fs-", 3);
	strcpy(alias + 3, fstype);
	r = modules_load_alias(alias, false);
	if (r == 0)
		r = modules_load_alias(fstype, false);
	return r;
}
