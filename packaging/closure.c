// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module closure with libkmod.
 *
 * Everything is read from DIR/lib/modules/KVER and DIR's modprobe.d, never
 * from the running kernel: the image is usually built for another kernel
 * than the one mkrdinit runs on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkmod.h>

#include "closure.h"
#include "cleanup.h"
#include "modname.h"

struct modvec {
	struct closure_mod *v;
	size_t n, cap;
	bool sorted;
};

struct strvec {
	char **v;
	size_t n, cap;
	bool sorted;
};

struct closure {
	struct kmod_ctx *ctx;
	struct mk_dir root; /* --basedir: every read resolves below it */
	char *rootpath;
	char *modrel; /* lib/modules/KVER */
	char *moddir;
	char *fwdir;
	void *seen;	       /* tsearch() tree of module names already visited */
	void *omit;	       /* tsearch() tree of module names never to add */
	struct strvec broken;  /* "MOD (needed by USER)" for omitted hard deps */
	struct strvec builtin; /* normalized names from modules.builtin */
	struct modvec files;
	struct modvec nofile;
	struct strvec firmware;
	struct strvec missing_fw;
};

static void kmod_listp(struct kmod_list **l)
{
	(void)kmod_module_unref_list(*l);
}

static void kmod_modulep(struct kmod_module **m)
{
	(void)kmod_module_unref(*m);
}

static void kmod_infop(struct kmod_list **l)
{
	kmod_module_info_free_list(*l);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 32;
	p = reallocarray(*v, ncap, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool strvec_has(const struct strvec *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

/* Append a copy of @str unless it is already there. */
static int strvec_add(struct strvec *s, const char *str)
{
	char *dup;

	if (strvec_has(s, str))
		return 0;
	if (grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v)) < 0)
		return -ENOMEM;
	dup = strdup(str);
	if (!dup)
		return -ENOMEM;
	s->v[s->n++] = dup;
	s->sorted = false;
	return 0;
}

static void strvec_sort(struct strvec *s)
{
	if (!s->sorted && s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_strp);
	s->sorted = true;
}

static void strvec_free(struct strvec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static void modvec_free(struct modvec *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].path);
		free(m->v[i].reason);
	}
	free(m->v);
}

static int path_join(char **out, const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (asprintf(out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * kmod knows builtin modules only through its private API, and
 * kmod_module_get_initstate() would consult the host's /sys/module.  Read
 * the target's modules.builtin instead.
 */
static int load_builtin(struct closure *c)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0;
	ssize_t len;
	int r;

	_cleanup_close_ int fd = -1;

	r = path_join(&path, c->modrel, "modules.builtin");
	if (r < 0)
		return r;
	fd = mk_openat(&c->root, path, O_RDONLY, 0);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	f = fdopen(fd, "r");
	if (!f)
		return -errno;
	fd = -1; /* the FILE owns it */
	while ((len = getline(&line, &cap, f)) > 0) {
		char *base, *ko;

		line[strcspn(line, "\n")] = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		ko = strstr(base, ".ko");
		if (ko)
			*ko = '\0';
		if (!*base)
			continue;
		rdmod_name_normalize(base);
		r = strvec_add(&c->builtin, base);
		if (r < 0)
			return r;
	}
	strvec_sort(&c->builtin);
	return 0;
}

static bool is_builtin(const struct closure *c, const char *name)
{
	return c->builtin.n && bsearch(&name, c->builtin.v, c->builtin.n, sizeof(char *), cmp_strp);
}

static void silent_log(void *data, int priority, const char *file, int line, const char *fn,
		       const char *format, va_list args)
{
	(void)data, (void)priority, (void)file, (void)line, (void)fn, (void)format, (void)args;
}

/* The error for @rel (below --basedir) when it cannot be used as @what. */
static int escape_error(const struct closure *c, const char *what, const char *rel, int r,
			struct mk_err *err)
{
	if (r == -EXDEV)
		return mk_errf(err, r,
			       "%s%s%s leads outside --basedir %s (through a symlink or '..'); "
			       "refusing it",
			       what, *what ? ": " : "", rel, c->rootpath);
	return mk_errf(err, r, "%s%s%s/%s: %s", what, *what ? ": " : "", c->rootpath, rel,
		       strerror(-r));
}

/* 0 if @rel is absent or resolves inside --basedir; else the error, recorded. */
static int check_inside(const struct closure *c, const char *rel, struct mk_err *err)
{
	int fd = mk_openat(&c->root, rel, O_PATH, 0);

	if (fd >= 0)
		(void)close(fd);
	if (fd == -EXDEV)
		return escape_error(c, "", rel, fd, err);
	return 0;
}

/*
 * libkmod opens the indexes and modprobe.d files by path, beyond our
 * openat2(): check that none of them is a way out of --basedir first.
 */
static int check_kmod_inputs(const struct closure *c, const char *const *dirs, size_t n,
			     struct mk_err *err)
{
	static const char *const idx[] = { "modules.dep.bin",		"modules.alias.bin",
					   "modules.symbols.bin",	"modules.builtin.bin",
					   "modules.builtin.alias.bin", "modules.softdep",
					   "modules.devname",		"modules.builtin.modinfo" };
	int r = 0;

	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]) && r == 0; i++) {
		_cleanup_free_ char *rel = NULL;

		r = path_join(&rel, c->modrel, idx[i]);
		if (r == 0)
			r = check_inside(c, rel, err);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_closedir_ DIR *d = NULL;
		struct dirent *de;
		int fd;

		r = check_inside(c, dirs[i], err);
		fd = r == 0 ? mk_openat(&c->root, dirs[i], O_RDONLY | O_DIRECTORY, 0) : -1;
		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				(void)close(fd);
			continue;
		}
		while (r == 0 && (de = readdir(d))) {
			_cleanup_free_ char *rel = NULL;

			if (de->d_name[0] == '.')
				continue;
			r = path_join(&rel, dirs[i], de->d_name);
			if (r == 0)
				r = check_inside(c, rel, err);
		}
	}
	return r;
}

/* Point kmod at the target's modprobe.d, in kmod's own precedence order. */
static int open_kmod(struct closure *c, const char *root, struct mk_err *err)
{
	static const char *const dirs[] = { "etc/modprobe.d", "run/modprobe.d",
					    "usr/local/lib/modprobe.d", "usr/lib/modprobe.d",
					    "lib/modprobe.d" };
	char *cfg[sizeof(dirs) / sizeof(dirs[0]) + 1] = { NULL };
	size_t n = sizeof(dirs) / sizeof(dirs[0]);
	int r;

	r = check_kmod_inputs(c, dirs, n, err);
	for (size_t i = 0; i < n && r == 0; i++)
		r = path_join(&cfg[i], root, dirs[i]);
	if (r == 0) {
		c->ctx = kmod_new(c->moddir, (const char *const *)cfg);
		if (!c->ctx)
			r = mk_errf(err, -ENOMEM, "cannot initialize libkmod for %s", c->moddir);
	}
	for (size_t i = 0; i < n; i++)
		free(cfg[i]);
	if (r < 0)
		return r;
	/* libkmod would print to stderr; failures come back as return codes. */
	kmod_set_log_fn(c->ctx, silent_log, NULL);
	r = kmod_load_resources(c->ctx);
	if (r < 0)
		return mk_errf(err, r, "cannot load module indexes from %s: %s", c->moddir,
			       strerror(-r));
	return 0;
}

static int check_moddir(const struct closure *c, const char *basedir, const char *kver,
			struct mk_err *err)
{
	_cleanup_free_ char *dep = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = mk_openat(&c->root, c->modrel, O_PATH, 0);
	if (fd == -EXDEV)
		return escape_error(c, "", c->modrel, fd, err);
	if (fd < 0 || fstat(fd, &st) < 0)
		return mk_errf(err, fd < 0 ? fd : -errno, "no modules for kernel %s: %s: %s", kver,
			       c->moddir, strerror(fd < 0 ? -fd : errno));
	if (!S_ISDIR(st.st_mode))
		return mk_errf(err, -ENOTDIR, "%s is not a directory", c->moddir);
	if (path_join(&dep, c->modrel, "modules.dep.bin") < 0)
		return -ENOMEM;
	(void)close(steal_fd(&fd));
	fd = mk_openat(&c->root, dep, O_RDONLY, 0);
	if (fd == -ENOENT)
		return mk_errf(err, -ENOENT, "%s/%s is missing; run 'depmod -b %s %s' first",
			       c->rootpath, dep, basedir, kver);
	if (fd < 0)
		return escape_error(c, "cannot read", dep, fd, err);
	return 0;
}

static int open_root(struct closure *c, const char *basedir, struct mk_err *err)
{
	/* kmod makes its dir absolute; doing it first keeps module paths under ours. */
	c->rootpath = realpath(basedir, NULL);
	if (!c->rootpath || access(c->rootpath, R_OK | X_OK) < 0)
		return mk_errf(err, -errno, "cannot read basedir %s: %s", basedir, strerror(errno));
	c->root.fd = open(c->rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->root.fd < 0)
		return mk_errf(err, -errno, "cannot read basedir %s: %s", basedir, strerror(errno));
	c->root.path = c->rootpath;
	/*
	 * Below a tree, a symlink leading out of it (absolute, or through "..")
	 * is refused.  "/" has no outside, and its absolute symlinks are real.
	 */
	c->root.resolve = RESOLVE_NO_MAGICLINKS |
			  (strcmp(c->rootpath, "/") ? RESOLVE_BENEATH : RESOLVE_IN_ROOT);
	return 0;
}

int closure_new(struct closure **out, const char *basedir, const char *kver, struct mk_err *err)
{
	_cleanup_(closure_freep) struct closure *c = NULL;
	int r;

	if (!*kver || strchr(kver, '/') || !strcmp(kver, ".") || !strcmp(kver, ".."))
		return mk_errf(err, -EINVAL, "invalid kernel version '%s'", kver);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->root.fd = -1;
	r = open_root(c, basedir, err);
	if (r < 0)
		return r;
	if (asprintf(&c->modrel, "lib/modules/%s", kver) < 0) {
		c->modrel = NULL;
		return -ENOMEM;
	}
	if (path_join(&c->moddir, c->rootpath, c->modrel) < 0 ||
	    path_join(&c->fwdir, c->rootpath, "lib/firmware") < 0)
		return -ENOMEM;
	r = check_moddir(c, basedir, kver, err);
	if (r < 0)
		return r;
	r = load_builtin(c);
	if (r < 0)
		return escape_error(c, "cannot read", "modules.builtin", r, err);
	r = open_kmod(c, c->rootpath, err);
	if (r < 0)
		return r;
	*out = steal_ptr(c);
	return 0;
}

void closure_free(struct closure *c)
{
	if (!c)
		return;
	kmod_unref(c->ctx);
	tdestroy(c->seen, free);
	tdestroy(c->omit, free);
	strvec_free(&c->broken);
	strvec_free(&c->builtin);
	modvec_free(&c->files);
	modvec_free(&c->nofile);
	strvec_free(&c->firmware);
	strvec_free(&c->missing_fw);
	free(c->moddir);
	free(c->fwdir);
	free(c->modrel);
	free(c->rootpath);
	if (c->root.fd >= 0)
		(void)close(c->root.fd);
	free(c);
}

/* Returns 0 the first time @name is seen, 1 afterwards. */
static int mark_seen(struct closure *c, const char *name)
{
	char *key = strdup(name);
	void *node;

	if (!key)
		return -ENOMEM;
	node = tsearch(key, &c->seen, cmp_str);
	if (!node) {
		free(key);
		return -ENOMEM;
	}
	if (*(char **)node != key) {
		free(key);
		return 1;
	}
	return 0;
}

/* Firmware names come from module files; keep them inside the firmware dir. */
static bool valid_relpath(const char *s)
{
	if (!*s || *s == '/')
		return false;
	for (;;) {
		size_t len = strcspn(s, "/");

		if (len == 2 && !strncmp(s, "..", 2))
			return false;
		if (!s[len])
			return true;
		s += len + 1;
	}
}

/*
 * The kernel's firmware loader tries the plain name first, then compressed
 * variants; keep the first one that exists.
 */
static int find_firmware(struct closure *c, const char *fw, const char *modname, struct mk_err *err)
{
	static const char *const suffixes[] = { "", ".xz", ".zst" };
	_cleanup_free_ char *note = NULL;

	for (size_t i = 0; valid_relpath(fw) && i < 3; i++) {
		_cleanup_free_ char *rel = NULL, *path = NULL;
		_cleanup_close_ int fd = -1;
		struct stat st;

		if (asprintf(&rel, "%s%s", fw, suffixes[i]) < 0 ||
		    path_join(&path, "lib/firmware", rel) < 0)
			return -ENOMEM;
		fd = mk_openat(&c->root, path, O_PATH, 0);
		if (fd >= 0 && fstat(fd, &st) < 0)
			fd = -errno;
		if (fd >= 0) {
			if (S_ISREG(st.st_mode))
				return strvec_add(&c->firmware, rel);
			continue;
		}
		if (fd == -EXDEV)
			return mk_errf(err, fd,
				       "firmware %s (for module %s): %s leads outside --basedir "
				       "%s (through a symlink or '..'); refusing it",
				       rel, modname, path, c->rootpath);
		if (fd != -ENOENT && fd != -ENOTDIR)
			return mk_errf(err, fd, "cannot access firmware %s/%s: %s", c->rootpath,
				       path, strerror(-fd));
	}
	if (asprintf(&note, "%s (%s)", fw, modname) < 0)
		return -ENOMEM;
	return strvec_add(&c->missing_fw, note);
}

/* The module file must be reached from --basedir without leaving it. */
static int check_module_file(const struct closure *c, const char *name, const char *rel,
			     struct mk_err *err)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (path_join(&path, c->modrel, rel) < 0)
		return -ENOMEM;
	fd = mk_openat(&c->root, path, O_PATH, 0);
	if (fd >= 0)
		(void)close(fd);
	if (fd == -EXDEV)
		return mk_errf(err, fd,
			       "module %s: %s leads outside --basedir %s (through a symlink or "
			       "'..'); refusing it",
			       name, path, c->rootpath);
	return 0;
}

/* *@rel: @path, the index's absolute path of module @name, below the module dir and checked. */
static int module_rel(const struct closure *c, const char *name, const char *path, const char **rel,
		      struct mk_err *err)
{
	size_t n = strlen(c->moddir);

	if (strncmp(path, c->moddir, n) || path[n] != '/' || !valid_relpath(path + n + 1))
		return mk_errf(err, -EXDEV,
			       "module %s: the index names %s, outside %s; refusing it", name, path,
			       c->moddir);
	*rel = path + n + 1;
	return check_module_file(c, name, *rel, err);
}

static int record_module(struct closure *c, struct kmod_module *mod, const char *reason,
			 struct mk_err *err)
{
	const char *name = kmod_module_get_name(mod);
	const char *path = kmod_module_get_path(mod), *rel = NULL;
	struct modvec *vec = path ? &c->files : &c->nofile;
	struct closure_mod *m;
	int r;

	if (path) {
		r = module_rel(c, name, path, &rel, err);
		if (r < 0)
			return r;
	}
	if (grow((void **)&vec->v, &vec->cap, vec->n, sizeof(*vec->v)) < 0)
		return -ENOMEM;
	m = &vec->v[vec->n];
	*m = (struct closure_mod){ .name = strdup(name),
				   .reason = strdup(reason),
				   .path = rel ? strdup(rel) : NULL,
				   .builtin = !path && is_builtin(c, name) };
	vec->n++;
	vec->sorted = false;
	if (!m->name || !m->reason || (rel && !m->path))
		return -ENOMEM;
	return 0;
}

static int add_module(struct closure *c, struct kmod_module *mod, const char *reason,
		      struct mk_err *err);

static int add_list(struct closure *c, struct kmod_list *list, const char *reason,
		    struct mk_err *err)
{
	struct kmod_list *l;
	int r;

	kmod_list_foreach (l, list) {
		_cleanup_(kmod_modulep) struct kmod_module *m = kmod_module_get_module(l);

		r = add_module(c, m, reason, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A module's own MODULE_SOFTDEP() lines.  kmod_module_get_softdeps() honours
 * only the first softdep entry per module (kmod issue #33), so btrfs would
 * lose sha256 and xxhash64; read them all.  As in kmod, names before "pre:"
 * or "post:" mean nothing.
 */
struct softdep_add {
	struct closure *c;
	const char *reason;
	struct mk_err *err;
};

static int add_softdep(const char *name, size_t n, bool pre, void *ud)
{
	struct softdep_add *a = ud;
	_cleanup_(kmod_listp) struct kmod_list *list = NULL;
	_cleanup_free_ char *alias = strndup(name, n);

	if (!alias)
		return -ENOMEM;
	if (kmod_module_new_from_lookup(a->c->ctx, alias, &list) < 0)
		return 0;
	return add_list(a->c, list, a->reason, a->err);
}

static int add_declared_softdeps(struct closure *c, const char *value, const char *reason,
				 struct mk_err *err)
{
	struct softdep_add a = { c, reason, err };

	return rdmod_softdep_foreach(value, strlen(value), add_softdep, &a);
}

static int scan_modinfo(struct closure *c, struct kmod_module *mod, const char *soft,
			struct mk_err *err)
{
	_cleanup_(kmod_infop) struct kmod_list *info = NULL;
	struct kmod_list *l;
	int r;

	r = kmod_module_get_info(mod, &info);
	if (r < 0)
		return mk_errf(err, r, "cannot read modinfo of %s: %s", kmod_module_get_path(mod),
			       strerror(-r));
	r = 0;
	kmod_list_foreach (l, info) {
		const char *key = kmod_module_info_get_key(l);
		const char *value = kmod_module_info_get_value(l);

		if (!strcmp(key, "firmware"))
			r = find_firmware(c, value, kmod_module_get_name(mod), err);
		else if (!strcmp(key, "softdep"))
			r = add_declared_softdeps(c, value, soft, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_module(struct closure *c, struct kmod_module *mod, const char *reason,
		      struct mk_err *err)
{
	_cleanup_(kmod_listp) struct kmod_list *deps = NULL, *pre = NULL, *post = NULL;
	_cleanup_free_ char *needed = NULL, *soft = NULL;
	const char *name = kmod_module_get_name(mod);
	int r;

	if (c->omit && tfind(name, &c->omit, cmp_str)) {
		/* A user that needs it will fail to load; say so, but obey. */
		if (!strncmp(reason, "needed by ", 10)) {
			_cleanup_free_ char *note = NULL;

			if (asprintf(&note, "%s (%s)", name, reason) < 0)
				return -ENOMEM;
			return strvec_add(&c->broken, note);
		}
		return 0;
	}
	r = mark_seen(c, name);
	if (r != 0)
		return r < 0 ? r : 0;
	r = record_module(c, mod, reason, err);
	if (r < 0)
		return r;
	if (asprintf(&needed, "needed by %s", name) < 0 ||
	    asprintf(&soft, "softdep of %s", name) < 0)
		return -ENOMEM;
	/* modules.dep is transitive already; recursing adds the deps' softdeps. */
	deps = kmod_module_get_dependencies(mod);
	r = add_list(c, deps, needed, err);
	if (r < 0)
		return r;
	/* Softdeps are looked up like aliases; names this kernel lacks simply vanish. */
	r = kmod_module_get_softdeps(mod, &pre, &post);
	if (r < 0)
		return mk_errf(err, r, "cannot read softdeps of %s: %s", name, strerror(-r));
	r = add_list(c, pre, soft, err);
	if (r < 0)
		return r;
	r = add_list(c, post, soft, err);
	if (r < 0)
		return r;
	/* Builtins and install-only aliases have no file to read modinfo from. */
	return kmod_module_get_path(mod) ? scan_modinfo(c, mod, soft, err) : 0;
}

int closure_add(struct closure *c, const char *name, const char *why, struct mk_err *err)
{
	_cleanup_(kmod_listp) struct kmod_list *list = NULL;
	struct kmod_list *l;
	int r, count = 0;

	r = kmod_module_new_from_lookup(c->ctx, name, &list);
	if (r < 0)
		return mk_errf(err, r, "cannot look up module %s: %s", name, strerror(-r));
	kmod_list_foreach (l, list) {
		_cleanup_(kmod_modulep) struct kmod_module *m = kmod_module_get_module(l);
		_cleanup_free_ char *reason = NULL;
		const char *modname = kmod_module_get_name(m);

		if (rdmod_name_eq(name, strlen(name), modname))
			reason = strdup(why);
		else if (asprintf(&reason, "%s (alias %s)", why, name) < 0)
			reason = NULL;
		if (!reason)
			return -ENOMEM;
		r = add_module(c, m, reason, err);
		if (r < 0)
			return r;
		count++;
	}
	return count ? count : -ENOENT;
}

int closure_omit(struct closure *c, const char *name, struct mk_err *err)
{
	_cleanup_(kmod_listp) struct kmod_list *list = NULL;
	struct kmod_list *l;
	int r, count = 0;

	r = kmod_module_new_from_lookup(c->ctx, name, &list);
	if (r < 0)
		return mk_errf(err, r, "cannot look up module %s: %s", name, strerror(-r));
	kmod_list_foreach (l, list) {
		_cleanup_(kmod_modulep) struct kmod_module *m = kmod_module_get_module(l);
		char *key = strdup(kmod_module_get_name(m));
		void *node;

		if (!key)
			return -ENOMEM;
		node = tsearch(key, &c->omit, cmp_str);
		if (!node) {
			free(key);
			return -ENOMEM;
		}
		if (*(char **)node != key)
			free(key);
		count++;
	}
	return count ? count : -ENOENT;
}

/*
 * The first module of the binary index, through libkmod: the text modules.dep may be
 * gone (rdinit's own images drop it).  Its lines are "NAME PATH: DEPS", sorted by name.
 */
int closure_any_module(struct closure *c, char **rel, struct mk_err *err)
{
	_cleanup_(kmod_modulep) struct kmod_module *mod = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	const char *path, *found;
	size_t cap = 0;
	int fd, r;

	fd = memfd_create("modules.dep", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	r = kmod_dump_index(c->ctx, KMOD_INDEX_MODULES_DEP, fd);
	if (r < 0)
		return mk_errf(err, r, "cannot read the module index of %s: %s", c->moddir,
			       strerror(-r));
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	if (getline(&line, &cap, f) <= 0)
		return -ENOENT;
	line[strcspn(line, " \t\n")] = '\0';
	r = kmod_module_new_from_name(c->ctx, line, &mod);
	if (r < 0)
		return mk_errf(err, r, "cannot look up module %s: %s", line, strerror(-r));
	path = kmod_module_get_path(mod);
	if (!path)
		return mk_errf(err, -ENOENT, "module %s: the index names no file for it", line);
	r = module_rel(c, line, path, &found, err);
	if (r < 0)
		return r;
	*rel = strdup(found);
	return *rel ? 0 : -ENOMEM;
}

size_t closure_broken(struct closure *c, char *const **notes)
{
	strvec_sort(&c->broken);
	*notes = c->broken.v;
	return c->broken.n;
}

static int cmp_mod_path(const void *a, const void *b)
{
	return strcmp(((const struct closure_mod *)a)->path, ((const struct closure_mod *)b)->path);
}

static int cmp_mod_name(const void *a, const void *b)
{
	return strcmp(((const struct closure_mod *)a)->name, ((const struct closure_mod *)b)->name);
}

size_t closure_modules(struct closure *c, const struct closure_mod **mods)
{
	if (!c->files.sorted && c->files.n)
		qsort(c->files.v, c->files.n, sizeof(*c->files.v), cmp_mod_path);
	c->files.sorted = true;
	*mods = c->files.v;
	return c->files.n;
}

size_t closure_nofile(struct closure *c, const struct closure_mod **mods)
{
	if (!c->nofile.sorted && c->nofile.n)
		qsort(c->nofile.v, c->nofile.n, sizeof(*c->nofile.v), cmp_mod_name);
	c->nofile.sorted = true;
	*mods = c->nofile.v;
	return c->nofile.n;
}

size_t closure_firmware(struct closure *c, char *const **paths)
{
	strvec_sort(&c->firmware);
	*paths = c->firmware.v;
	return c->firmware.n;
}

size_t closure_missing_firmware(struct closure *c, char *const **names)
{
	strvec_sort(&c->missing_fw);
	*names = c->missing_fw.v;
	return c->missing_fw.n;
}

const struct mk_dir *closure_root(const struct closure *c)
{
	return &c->root;
}

const char *closure_modrel(const struct closure *c)
{
	return c->modrel;
}

const char *closure_moddir(const struct closure *c)
{
	return c->moddir;
}

const char *closure_fwdir(const struct closure *c)
{
	return c->fwdir;
}
