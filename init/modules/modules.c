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
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "modname.h"
#include "modules/modules.h"
#include "settings/settings.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_DEPTH 32

/*
 * modules.softdep as depmod wrote it. libkmod honours only the first "softdep" line of a
 * module (btrfs has four: blake2b-256, sha256, xxhash64, crc32c), so a btrfs with sha256 or
 * xxhash checksums would not mount; every line is read here and applied on top.
 */
static void softdeps_read(struct modules *m, const char *dirname)
{
	char path[PATH_MAX + 32];
	size_t len;

	snprintf(path, sizeof(path), "%s/modules.softdep", dirname);
	/* NULL when missing; past 1 MiB the start is still worth having */
	(void)read_text_file(path, 1024 * 1024, &m->softdep_text, &len);
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

/* "blacklist NAME" in modprobe.d and modprobe.blacklist= on the command line, as libkmod read them
 */
static void blacklist_read(struct modules *m)
{
	struct kmod_config_iter *it = kmod_config_get_blacklists(m->ctx);

	while (it && kmod_config_iter_next(it))
		(void)strset_add(&m->blacklist, kmod_config_iter_get_key(it));
	kmod_config_iter_free_iter(it);
}

/* modprobe.blacklist=a,b words of @cmdline, as libkmod reads them from /proc/cmdline */
void modules_blacklist_cmdline(struct modules *m, const char *cmdline)
{
	_cleanup_free_ char *buf = strdup(cmdline);
	char *p, *key, *val;

	for (p = buf; p && *p;) {
		p = cmdline_next(p, &key, &val);
		if (!val || strcmp(key, "modprobe.blacklist"))
			continue;
		for (key = strtok(val, ","); key; key = strtok(NULL, ","))
			(void)strset_add(&m->blacklist, key);
	}
}

static bool blacklisted(const struct modules *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->blacklist.n; i++)
		if (rdmod_name_eq(m->blacklist.v[i], strlen(m->blacklist.v[i]), name))
			return true;
	return false;
}

/*
 * libkmod on @root/lib/modules/@kver with @root's modprobe.d (@root is "" at boot, the
 * --sysroot of a dry run otherwise), and what the kernel under @root/sys says of the CPU
 * and of module compression.
 */
int modules_init(struct modules *m, const char *root, const char *kver)
{
	static const char *const dirs[] = { "/etc/modprobe.d", "/run/modprobe.d",
					    "/lib/modprobe.d" };
	char dirname[PATH_MAX], conf[3][PATH_MAX], path[PATH_MAX];
	const char *config_paths[4];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(conf[i], sizeof(conf[i]), "%s%s", root, dirs[i]);
		config_paths[i] = conf[i];
	}
	config_paths[3] = NULL;
	snprintf(dirname, sizeof(dirname), "%s/lib/modules/%s", root, kver);
	m->ctx = kmod_new(dirname, config_paths);
	if (!m->ctx)
		return -ENOMEM;
	kmod_set_log_fn(m->ctx, kmod_log_cb, NULL);
	kmod_set_log_priority(m->ctx,
			      log_max_level() >= LOG_LVL_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	(void)kmod_load_resources(m->ctx);
	softdeps_read(m, dirname);
	blacklist_read(m);
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/modalias", root);
	if (read_trimmed_file(path, &m->cpu_modalias) < 0)
		m->cpu_modalias = NULL;
	/*
	 * The kernel shows /sys/module/compression when built with CONFIG_MODULE_DECOMPRESS; it
	 * names the one format it decompresses (CONFIG_MODULE_COMPRESS_XZ, _ZSTD or _GZIP).
	 */
	snprintf(path, sizeof(path), "%s/sys/module/compression", root);
	if (read_trimmed_file(path, &m->kernel_compression) < 0)
		m->kernel_compression = NULL;
	return 0;
}

/*
 * Before the search starts again (after a rescue shell): forget what was tried, so the kernel
 * (/sys/module) says what is loaded now. Modules whose loader died stay off limits: they are
 * stuck in their init, and a second load would wait for ever.
 */
void modules_retry(struct modules *m)
{
	strset_clear(&m->tried);
	strset_clear(&m->seen_aliases);
	strset_clear(&m->unmatched_aliases);
	strset_clear(&m->blacklisted_aliases);
	strset_clear(&m->failed);
}

void modules_exit(struct modules *m)
{
	modules_retry(m);
	strset_clear(&m->crashed);
	strset_clear(&m->blacklist);
	free(m->softdep_text);
	free(m->cpu_modalias);
	free(m->kernel_compression);
	kmod_unref(m->ctx);
	memset(m, 0, sizeof(*m));
}

/* Whether the kernel decompresses @format (compression_of()) itself. */
static bool kernel_decompresses(const struct modules *m, const char *format)
{
	return format && m->kernel_compression && !strcmp(format, m->kernel_compression);
}

/*
 * Loading is planned, then done. The plan (main thread: libkmod's context is not thread-safe)
 * lists the modules in dependency order, each with the tasks it waits for: hard dependencies,
 * which must load, and softdeps, which are only waited for. Then the plan runs: in order on
 * one CPU; with more, worker threads take any task whose predecessors are done, so
 * independent modules (jbd2, mbcache, crc16 under ext4) load at the same time.
 */
struct edge {
	int task;
	bool hard;
};

struct edges {
	struct edge *v;
	int n, cap;
};

static void edges_push(struct edges *e, int task, bool hard)
{
	if (task < 0)
		return;
	if (e->n == e->cap) {
		int cap = e->cap ? e->cap * 2 : 8;
		struct edge *v = realloc(e->v, (size_t)cap * sizeof(*v));

		if (!v) {
			/* a lost edge would let a module load before what it needs */
			log_err("out of memory planning module loads");
			return;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n].task = task;
	e->v[e->n].hard = hard;
	e->n++;
}

struct task {
	struct kmod_module *mod;
	char *path; /* NULL: nothing to insert (result already set) */
	const char *opts;
	bool wished; /* a softdep: failure is only worth a debug line */
	bool done;
	bool running;
	int result;
	int signal;		/* the loading process died of it */
	const char *dep_failed; /* not loaded: this hard dependency failed */
	unsigned long long start_usec, done_usec;
	struct edges after; /* the tasks this one waits for */
};

struct plan {
	struct modules *m;
	struct task *t;
	int n, cap;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static int plan_module(struct plan *p, struct kmod_module *mod, int depth, bool wished);

struct cpu_check {
	const char *cpu;
	bool has, match;
};

static int cpu_alias_cb(const char *value, void *ud)
{
	struct cpu_check *c = ud;

	if (strncmp(value, "cpu:", 4))
		return 0;
	c->has = true;
	c->match = fnmatch(value, c->cpu, 0) == 0;
	return c->match;
}

/*
 * Whether the module at @path is for CPUs with features this one lacks: it declares "cpu:"
 * aliases (crc32c_intel wants SSE4.2, sha256_ssse3 SSSE3) and none matches. Loading it would
 * only fail with ENODEV, at a cost: under QEMU's emulated CPU, a failed crc32c_intel took
 * 53 ms of a 0.65 s boot; aesni_intel, which the kernel's request for "crypto-aes" names,
 * 160 ms of a LUKS unlock. Asked of softdeps, which are wishes, and of what the kernel's
 * requests resolve to (struct modules' kernel_request).
 */
static bool not_for_this_cpu(const struct modules *m, const char *path)
{
	struct cpu_check c = { m->cpu_modalias, false, false };
	void *buf;
	size_t len;

	if (!m->cpu_modalias || !path ||
	    module_read(path, rdmod_compression(path, NULL), &buf, &len) < 0)
		return false;
	(void)modinfo_foreach(buf, len, "alias", cpu_alias_cb, &c);
	module_free(buf, len);
	return c.has && !c.match;
}

static int plan_find(const struct plan *p, const char *name)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(kmod_module_get_name(p->t[i].mod), name))
			return i;
	return -1;
}

/* Plan the modules of @list, one level deeper; what to wait for goes to @out. */
static void plan_list(struct plan *p, struct kmod_list *list, int depth, bool wished,
		      struct edges *out, bool hard)
{
	struct kmod_list *l;

	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);

		edges_push(out, plan_module(p, mod, depth + 1, wished), hard);
		kmod_module_unref(mod);
	}
}

struct softdep_plan {
	struct plan *p;
	bool pre;
	int depth;
	struct edges *out;
};

static int plan_softdep(const char *name, size_t n, bool pre, void *ud)
{
	struct softdep_plan *sp = ud;
	struct kmod_list *list = NULL;
	_cleanup_free_ char *alias = NULL;

	if (pre != sp->pre)
		return 0;
	alias = strndup(name, n);
	if (alias && kmod_module_new_from_lookup(sp->p->m->ctx, alias, &list) == 0)
		plan_list(sp->p, list, sp->depth, true, sp->out, false);
	kmod_module_unref_list(list);
	return 0;
}

/* Every "softdep NAME pre: ... post: ..." line of modules.softdep, planned. */
static void plan_declared_softdeps(struct plan *p, const char *name, bool pre, int depth,
				   struct edges *out)
{
	struct softdep_plan sp = { p, pre, depth, out };
	const char *line = p->m->softdep_text;

	while (line && *line) {
		const char *end = strchrnul(line, '\n'), *w = line + 8;
		size_t n;

		/* a last line cut short may be shorter than "softdep ": look no further */
		if (!strncmp(line, "softdep ", 8)) {
			n = strcspn(w, " \t\n");
			if (rdmod_name_eq(w, n, name))
				(void)rdmod_softdep_foreach(w + n, (size_t)(end - w - n),
							    plan_softdep, &sp);
		}
		line = *end ? end + 1 : end;
	}
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
 * Whether @mod needs no plan: loaded already (the kernel says so: /sys/module), stuck, built
 * in, tried in this search, or a wish (softdep) that is blacklisted or for another CPU.
 */
static bool plan_skip(struct plan *p, struct kmod_module *mod, int depth, bool wished)
{
	struct modules *m = p->m;
	const char *name = kmod_module_get_name(mod);
	int state;

	if (depth > MAX_DEPTH) {
		log_warn("not loading %s: dependencies nested deeper than %d", name, MAX_DEPTH);
		return true;
	}
	if (strset_has(&m->crashed, name)) {
		log_info("not loading %s again: its loading process died before", name);
		return true;
	}
	if (!strset_add(&m->tried, name))
		return true;
	state = m->dry_run ? -ENOENT : kmod_module_get_initstate(mod);
	if (state == KMOD_MODULE_LIVE || state == KMOD_MODULE_COMING)
		return true;
	if (wished && blacklisted(m, name)) {
		log_debug("not loading %s: blacklisted", name);
		return true;
	}
	if (wished && not_for_this_cpu(m, kmod_module_get_path(mod))) {
		log_debug("not loading %s: its cpu: aliases match none of this CPU's features",
			  name);
		return true;
	}
	return false;
}

/*
 * Plan @mod after its softdeps (pre) and dependencies; its post softdeps after it. Returns the
 * task index to wait for, or -1 when there is none (loaded before, or nothing to do).
 */
static int plan_module(struct plan *p, struct kmod_module *mod, int depth, bool wished)
{
	struct kmod_list *pre = NULL, *post = NULL, *deps;
	const char *name = kmod_module_get_name(mod);
	struct edges after = { 0 }, later = { 0 };
	int i, me;

	me = plan_find(p, name);
	if (me >= 0 || plan_skip(p, mod, depth, wished))
		return me;
	(void)kmod_module_get_softdeps(mod, &pre, &post);
	plan_list(p, pre, depth, true, &after, false);
	plan_declared_softdeps(p, name, true, depth, &after);
	deps = kmod_module_get_dependencies(mod);
	plan_list(p, deps, depth, wished, &after, true);
	kmod_module_unref_list(deps);

	me = plan_new_task(p, mod, wished);
	if (me >= 0) {
		p->t[me].after = after;
		after.v = NULL;
		plan_list(p, post, depth, true, &later, false);
		plan_declared_softdeps(p, name, false, depth, &later);
		/* post softdeps planned just now come after us */
		for (i = 0; i < later.n; i++)
			if (later.v[i].task > me)
				edges_push(&p->t[later.v[i].task].after, me, false);
	}
	free(after.v);
	free(later.v);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return me;
}

/* A load still running after LOAD_WARN_MS is said; after LOAD_GIVE_UP_MS the boot goes on. */
#define LOAD_WARN_MS 10000
#define LOAD_GIVE_UP_MS 60000
#define LOADER_STACK (16 * 1024)

struct loader {
	const void *buf; /* init_module(2) when set, else finit_module(2) of fd */
	size_t len;
	int fd, flags;
	const char *opts;
};

static int loader_main(void *arg)
{
	const struct loader *l = arg;
	long r = l->buf ? syscall(SYS_init_module, l->buf, (unsigned long)l->len, l->opts)
			: syscall(SYS_finit_module, l->fd, l->opts, l->flags);

	_exit(r < 0 ? errno : 0);
}

/*
 * The system call, in a child process: a driver that oopses in its init function kills the
 * process that called init_module(2), so PID 1 and the other loads go on. The child shares
 * our memory (CLONE_VM: nothing is copied) and has a small stack of its own, so we can wait
 * for it with a deadline: a driver whose init never returns is said, and after
 * LOAD_GIVE_UP_MS left behind (with its stack and buffer, which it may still use).
 * Returns 0, -errno from the call, -EINTR with *@sig when the child died of a signal, or
 * -ETIME when it was left behind.
 */
static int insert_in_child(struct loader *l, const char *name, int *sig)
{
	int status = 0, waited = 0, pidfd, r;
	void *stack;
	pid_t pid;

	stack = mmap(NULL, LOADER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	if (stack == MAP_FAILED)
		return -errno;
	pid = clone(loader_main, (char *)stack + LOADER_STACK, CLONE_VM | SIGCHLD, l);
	if (pid < 0) {
		r = -errno;
		munmap(stack, LOADER_STACK);
		return r;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while ((r = sys_wait_child(pid, pidfd, LOAD_WARN_MS, &status)) == -ETIME) {
		waited += LOAD_WARN_MS;
		log_warn("still loading %s after %d s", name, waited / 1000);
		if (waited >= LOAD_GIVE_UP_MS)
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (r == -ETIME) {
		log_err("loading %s: no end after %d s; going on without it", name, waited / 1000);
		return -ETIME;
	}
	munmap(stack, LOADER_STACK);
	if (r < 0)
		return r;
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		return -EINTR;
	}
	return -WEXITSTATUS(status);
}

/*
 * The insertion itself: finit_module(2), with MODULE_INIT_COMPRESSED_FILE when the kernel
 * decompresses the file's format; other compressed files are decompressed here and go in
 * with init_module(2). No libkmod, so worker threads may run it.
 */
static int insert_file(const struct modules *m, struct task *t)
{
	const char *format = rdmod_compression(t->path, NULL);
	const char *opts = t->opts ? t->opts : "";
	int fd, r;

	if (format && !kernel_decompresses(m, format)) {
		void *buf;
		size_t len;

		r = module_read(t->path, format, &buf, &len);
		if (r < 0)
			return r;
		struct loader l = { .buf = buf, .len = len, .fd = -1, .opts = opts };

		r = insert_in_child(&l, kmod_module_get_name(t->mod), &t->signal);
		/* a loader left behind may still read its buffer */
		if (r != -ETIME)
			module_free(buf, len);
		return r == -EEXIST ? 0 : r;
	}
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	{
		struct loader l = { .fd = fd,
				    .flags = format ? MODULE_INIT_COMPRESSED_FILE : 0,
				    .opts = opts };

		r = insert_in_child(&l, kmod_module_get_name(t->mod), &t->signal);
	}
	close(fd);
	return r == -EEXIST ? 0 : r;
}

/* Whether task @i may start; a failed hard dependency settles it (with the lock held). */
static bool task_ready(struct plan *p, int i)
{
	struct task *t = &p->t[i];
	int e;

	for (e = 0; e < t->after.n; e++) {
		const struct task *d = &p->t[t->after.v[e].task];

		if (!d->done)
			return false;
		if (t->after.v[e].hard && d->result < 0) {
			/* not inserted: it could only fail on the missing symbols */
			t->result = d->result;
			t->dep_failed = kmod_module_get_name(d->mod);
			t->done = true;
			return false;
		}
	}
	return true;
}

static void task_run(struct plan *p, struct task *t)
{
	t->start_usec = timing_now();
	t->result = p->m->dry_run ? 0 : insert_file(p->m, t);
	t->done_usec = timing_now();
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

			t->running = true;
			pthread_mutex_unlock(&p->lock);
			task_run(p, t);
			pthread_mutex_lock(&p->lock);
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

static void run_parallel(struct plan *p, int workers)
{
	pthread_t th[MODULES_MAX_WORKERS];
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
}

static void run_plan(struct plan *p)
{
	int i, pending = 0, workers = p->m->workers;

	if (workers <= 0)
		workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (p->m->dry_run)
		workers = 1; /* the plan's order, as it is */
	for (i = 0; i < p->n; i++)
		pending += !p->t[i].done;
	if (workers > MODULES_MAX_WORKERS)
		workers = MODULES_MAX_WORKERS;
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
		task_run(p, t);
		t->done = true;
	}
}

/* A module that would not load: the log, the failure report, and /run/rdinit/module-failures. */
static void task_failed(struct modules *m, const struct task *t, const char *name)
{
	bool stuck = t->signal || t->result == -ETIME;
	char why[256];
	FILE *f;

	if (t->signal)
		snprintf(why, sizeof(why), "%s: the loading process died with signal %d", name,
			 t->signal);
	else if (t->result == -ETIME)
		snprintf(why, sizeof(why), "%s: its init did not end in %d s", name,
			 LOAD_GIVE_UP_MS / 1000);
	else if (t->dep_failed)
		snprintf(why, sizeof(why), "%s: not loaded, its dependency %s failed", name,
			 t->dep_failed);
	else
		snprintf(why, sizeof(why), "%s: %s", name, strerror(-t->result));
	/* stuck in its init: a second load would wait for ever */
	if (stuck)
		(void)strset_add(&m->crashed, name);
	log_msg(stuck			? LOG_LVL_ERR
		: t->wished || m->quiet ? LOG_LVL_DEBUG
					: LOG_LVL_WARNING,
		"loading module %s", why);
	if (t->wished && !stuck)
		return;
	(void)strset_add(&m->failed, why);
	(void)mkdir("/run/rdinit", 0755);
	f = fopen(MODULE_FAILURES, "ae");
	if (f) {
		fprintf(f, "%s\n", why);
		fclose(f);
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
			task_failed(p->m, t, name);
		} else if (t->result == 0 && t->path && p->m->dry_run) {
			log_info("would load %s from %s%s", name, t->path,
				 t->wished ? " (softdep)" : "");
		} else if (t->result == 0 && t->path) {
			const char *format = rdmod_compression(t->path, NULL);

			log_debug("loaded %s from %s%s", name, t->path,
				  !format ? ""
				  : kernel_decompresses(p->m, format)
					  ? " (decompressed by the kernel)"
					  : " (decompressed by rdinit)");
			snprintf(what, sizeof(what), "loading %s", name);
			timing_mark_at(t->start_usec, what);
			snprintf(what, sizeof(what), "loaded %s", name);
			timing_mark_at(t->done_usec, what);
		}
		free(t->path);
		free(t->after.v);
		kmod_module_unref(t->mod);
	}
	free(p->t);
	p->t = NULL;
	p->n = p->cap = 0;
}

/*
 * Load every module of @list and what it needs; @for_what names what asked, for the failure
 * report of blacklisted ones. The blacklist applies to everything rdinit loads on its own,
 * as with modprobe -b. Returns how many of @list are there now.
 */
static int load_list(struct modules *m, struct kmod_list *list, const char *for_what)
{
	struct plan p = { .m = m,
			  .lock = PTHREAD_MUTEX_INITIALIZER,
			  .cond = PTHREAD_COND_INITIALIZER };
	struct edges top = { 0 };
	struct kmod_list *l;
	int i, n = 0, considered = 0, refused = 0;

	kmod_list_foreach (l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		const char *name = kmod_module_get_name(mod);

		if (blacklisted(m, name)) {
			char what[256];

			snprintf(what, sizeof(what), "module %s for %s", name, for_what);
			(void)strset_add(&m->blacklisted_aliases, what);
			log_info("not loading %s: blacklisted", what);
			refused++;
		} else if (m->kernel_request && strcmp(name, for_what) &&
			   not_for_this_cpu(m, kmod_module_get_path(mod))) {
			log_debug("not loading %s for %s: its cpu: aliases match none of this "
				  "CPU's features",
				  name, for_what);
		} else {
			int task = plan_module(&p, mod, 0, false);

			considered++;
			/* -1: loaded before, or nothing to do; there for the device either way */
			if (task < 0)
				n++;
			else
				edges_push(&top, task, true);
		}
		kmod_module_unref(mod);
	}
	run_plan(&p);
	for (i = 0; i < top.n; i++)
		n += p.t[top.v[i].task].result == 0;
	plan_finish(&p);
	free(top.v);
	return considered ? n : refused ? -EPERM : 0;
}

/*
 * Load every module @alias resolves to: a device's MODALIAS (@is_modalias: each one once per
 * search) or a name. Returns the number of modules there now, -EPERM when all are
 * blacklisted, or -errno.
 */
int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	struct kmod_list *list = NULL;
	int r;

	if (!m->ctx)
		return -ENODEV;
	if (is_modalias && !strset_add(&m->seen_aliases, alias))
		return 0;
	r = kmod_module_new_from_lookup(m->ctx, alias, &list);
	if (r < 0)
		return r;
	if (!list) {
		if (is_modalias)
			(void)strset_add(&m->unmatched_aliases, alias);
		return 0;
	}
	r = load_list(m, list, alias);
	kmod_module_unref_list(list);
	return r;
}

/* For the failure report: each modalias with no module, blacklisted, and each failed module. */
void modules_report(const struct modules *m,
		    void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud)
{
	size_t i;

	for (i = 0; i < m->unmatched_aliases.n; i++)
		fn(m->unmatched_aliases.v[i], MODULE_NONE, ud);
	for (i = 0; i < m->blacklisted_aliases.n; i++)
		fn(m->blacklisted_aliases.v[i], MODULE_BLACKLISTED, ud);
	for (i = 0; i < m->failed.n; i++)
		fn(m->failed.v[i], MODULE_FAILED, ud);
}

/* The module for a filesystem type: "fs-TYPE" is the alias filesystems declare. */
int modules_load_fs(struct modules *m, const char *fstype)
{
	char alias[64];
	int r;

	if (strlen(fstype) + 4 >= sizeof(alias))
		return -EINVAL;
	snprintf(alias, sizeof(alias), "fs-%s", fstype);
	r = modules_load_alias(m, alias, false);
	if (r == 0)
		r = modules_load_alias(m, fstype, false);
	return r;
}
