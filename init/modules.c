// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module loading through libkmod: alias resolution, blacklist, dependencies, softdeps and
 * options (modprobe.d and module.param= on the command line, both read by libkmod itself).
 *
 * The insertion itself is ours: a module compressed on disk (Debian's kernels ship .ko.xz) is
 * handed to the kernel with MODULE_INIT_COMPRESSED_FILE when the kernel can decompress it,
 * which a static libkmod without compression libraries cannot do.
 */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rdinit.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

#define MAX_DEPTH 32

static struct kmod_ctx *ctx;
static bool kernel_decompresses;

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
	if (read_text_file(path, 1024 * 1024, &softdep_text, &len) < 0) {
		free(softdep_text);
		softdep_text = NULL;
	}
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

static void load_softdep_alias(const char *alias, size_t n, int depth);

/* Every "softdep NAME pre: ... post: ..." line: load the @pre (or post) names. */
static void load_declared_softdeps(const char *name, bool pre, int depth)
{
	const char *line = softdep_text;

	while (line && *line) {
		const char *end = strchrnul(line, '\n'), *p = line, *w;
		bool active = false;

		if (strncmp(p, "softdep ", 8)) {
			line = *end ? end + 1 : end;
			continue;
		}
		p += 8;
		w = p;
		p += strcspn(p, " \t\n");
		if (!same_name(w, (size_t)(p - w), name)) {
			line = *end ? end + 1 : end;
			continue;
		}
		while (p < end) {
			size_t n;

			p += strspn(p, " \t");
			n = strcspn(p, " \t\n");
			if (n == 4 && !strncmp(p, "pre:", 4))
				active = pre;
			else if (n == 5 && !strncmp(p, "post:", 5))
				active = !pre;
			else if (n && active)
				load_softdep_alias(p, n, depth);
			p += n;
		}
		line = *end ? end + 1 : end;
	}
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
	struct stat st;

	ctx = kmod_new(dirname, config_paths);
	if (!ctx)
		return -ENOMEM;
	kmod_set_log_fn(ctx, kmod_log_cb, NULL);
	kmod_set_log_priority(ctx, log_max_level() >= LOG_LVL_DEBUG ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	(void)kmod_load_resources(ctx);
	softdeps_read(dirname);
	/* the kernel shows /sys/module/compression when built with CONFIG_MODULE_DECOMPRESS */
	kernel_decompresses = stat("/sys/module/compression", &st) == 0;
	return 0;
}

void modules_exit(void)
{
	free(softdep_text);
	softdep_text = NULL;
	strset_free(&tried_modules);
	strset_free(&seen_aliases);
	strset_free(&unmatched_aliases);
	strset_free(&blacklisted_aliases);
	strset_free(&failed_modules);
	kmod_unref(ctx);
	ctx = NULL;
}

static bool is_compressed(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && (!strcmp(dot, ".xz") || !strcmp(dot, ".zst") || !strcmp(dot, ".gz"));
}

static int insert(struct kmod_module *mod)
{
	const char *path = kmod_module_get_path(mod);
	const char *opts = kmod_module_get_options(mod);
	int fd, r;

	if (!path) {
		if (kmod_module_get_initstate(mod) == KMOD_MODULE_BUILTIN)
			return 0;
		return -ENOENT;
	}
	if (is_compressed(path) && !kernel_decompresses) {
		/* libkmod decompresses in userspace if it was built to */
		r = kmod_module_insert_module(mod, 0, opts);
		return r == -EEXIST ? 0 : r;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = (int)syscall(SYS_finit_module, fd, opts ? opts : "",
			 is_compressed(path) ? MODULE_INIT_COMPRESSED_FILE : 0);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r == -EEXIST ? 0 : r;
}

static int load(struct kmod_module *mod, int depth, bool wished);

static void load_softdeps(struct kmod_list *list, int depth)
{
	struct kmod_list *l;

	/* a softdep is a wish, not a requirement: its failure is not ours */
	kmod_list_foreach (l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		(void)load(m, depth + 1, true);
		kmod_module_unref(m);
	}
}

static void load_softdep_alias(const char *alias, size_t n, int depth)
{
	struct kmod_list *list = NULL;
	char buf[128];

	if (n >= sizeof(buf))
		return;
	memcpy(buf, alias, n);
	buf[n] = '\0';
	if (kmod_module_new_from_lookup(ctx, buf, &list) == 0)
		load_softdeps(list, depth);
	kmod_module_unref_list(list);
}

/* @wished: a softdep, whose failure is only worth a debug line */
static int load(struct kmod_module *mod, int depth, bool wished)
{
	struct kmod_list *pre = NULL, *post = NULL, *deps, *l;
	const char *name = kmod_module_get_name(mod);
	int r = 0;

	if (depth > MAX_DEPTH || !strset_add(&tried_modules, name))
		return 0;
	(void)kmod_module_get_softdeps(mod, &pre, &post);
	load_softdeps(pre, depth);
	load_declared_softdeps(name, true, depth);

	deps = kmod_module_get_dependencies(mod);
	kmod_list_foreach (l, deps) {
		struct kmod_module *d = kmod_module_get_module(l);

		r = load(d, depth + 1, wished);
		kmod_module_unref(d);
		if (r < 0)
			break;
	}
	kmod_module_unref_list(deps);
	if (r == 0) {
		r = insert(mod);
		if (r < 0) {
			char what[160];

			log_msg(wished ? LOG_LVL_DEBUG : LOG_LVL_WARNING,
				"loading module %s failed: %s", name, strerror(-r));
			snprintf(what, sizeof(what), "%s (%s)", name, strerror(-r));
			if (!wished)
				(void)strset_add(&failed_modules, what);
		} else {
			char what[48];

			snprintf(what, sizeof(what), "loaded %s", name);
			timing_mark(what);
		}
	}
	load_softdeps(post, depth);
	load_declared_softdeps(name, false, depth);
	kmod_module_unref_list(pre);
	kmod_module_unref_list(post);
	return r;
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
	kmod_list_foreach (l, list) {
		struct kmod_module *m = kmod_module_get_module(l);

		if (load(m, 0, false) == 0)
			n++;
		kmod_module_unref(m);
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
