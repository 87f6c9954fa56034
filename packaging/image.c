// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Image assembly.
 *
 * The module indexes in the image must describe exactly the modules in it,
 * or modprobe in the initramfs would chase files that are not there.  So the
 * chosen modules are copied to a staging tree and depmod runs over that copy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cleanup.h"
#include "elf.h"
#include "hooks.h"
#include "host.h"
#include "image.h"
#include "modcomp.h"

struct tmpout {
	int fd;
	char *path;
	mode_t mode; /* of the image, once renamed */
};

static void tmpout_discard(struct tmpout *t)
{
	if (t->fd >= 0)
		(void)close(t->fd);
	if (t->path)
		(void)unlink(t->path);
	free(t->path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	(void)remove(path);
	return 0;
}

/* Best effort: a leftover temp dir must not turn a good image into a failure. */
static void staging_removep(char **dir)
{
	if (*dir)
		(void)nftw(*dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(*dir);
}

/*
 * Cleanup after SIGINT, SIGTERM (or SIGKILL): a guard process.
 *
 * Why not a signal handler: the signal may come while modcomp's threads
 * write into the staging tree and depmod runs on it.  A handler may only
 * make async-signal-safe calls (no opendir(), no malloc(), so no rm -r) and
 * would race the threads still writing.  Why not blocking the signals: the
 * long steps (compression, depmod) would have to poll for them, and an
 * interrupted build should stop at once.
 *
 * So a child is forked first, while we are single-threaded.  We send it the
 * temp image's and the staging tree's paths over a pipe as we create them,
 * and "done" once we have cleaned up ourselves.  When the pipe reaches EOF
 * without "done" we are gone, however we died, and so are our threads; depmod
 * dies with us (PR_SET_PDEATHSIG).  The child then removes both.  We keep the
 * default action of the signals, so our exit status still says which one.
 */
struct guard {
	int fd; /* the pipe's write end */
	pid_t pid;
};

static void guard_send(const struct guard *g, char what, const char *path)
{
	if (g->fd >= 0) {
		(void)write_all(g->fd, &what, 1);
		(void)write_all(g->fd, path, strlen(path) + 1);
	}
}

/*
 * In the child: the records in @buf ("Tpath", "Spath", "D", each ending in
 * a NUL; a last one cut short is ignored).  Remove the temp image and the
 * staging tree they name, unless one says "done".
 */
static void guard_clean(const char *buf, size_t len)
{
	size_t end = len;

	while (end && buf[end - 1] != '\0')
		end--;
	for (size_t i = 0; i < end; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, "D"))
			return;
	for (size_t i = 0; i < end; i += strlen(buf + i) + 1) {
		const char *path = buf + i + 1;

		if (buf[i] == 'T')
			(void)unlink(path);
		/* depmod may take a moment to die; its last writes must go too */
		for (int try = 0; buf[i] == 'S' && try < 50 && access(path, F_OK) == 0; try++) {
			(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			if (access(path, F_OK) == 0)
				(void)usleep(20000);
		}
	}
}

static __attribute__((noreturn)) void guard_child(int in)
{
	char buf[2 * (PATH_MAX + 2) + 2];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	/* Ctrl-C reaches the whole process group: the guard must outlive it */
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGQUIT, SIG_IGN);
	/* hold none of the parent's files: a caller reading its stdout waits for EOF */
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		(void)dup2(null, fd);
	while (len < sizeof(buf)) {
		n = read(in, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	guard_clean(buf, len);
	_exit(0);
}

static int guard_start(struct guard *g, struct mk_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return mk_errf(err, -errno, "cannot create a pipe: %s", strerror(errno));
	g->pid = fork();
	if (g->pid < 0) {
		int r = -errno;

		(void)close(p[0]);
		(void)close(p[1]);
		return mk_errf(err, r, "cannot fork: %s", strerror(-r));
	}
	if (g->pid == 0) {
		/* keep only the read end, as fd 3 */
		if (p[0] != 3 && dup2(p[0], 3) < 0)
			_exit(1);
		(void)close_range(4, ~0U, 0);
		if (p[1] != 3)
			(void)close(p[1]);
		guard_child(3);
	}
	(void)close(p[0]);
	g->fd = p[1];
	return 0;
}

/* We cleaned up ourselves: the guard has nothing to do. */
static void guard_stop(struct guard *g)
{
	if (g->fd < 0)
		return;
	(void)write_all(g->fd, "D", 2);
	(void)close(g->fd);
	while (waitpid(g->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void ar_listp(struct ar_list *l)
{
	ar_list_free(l);
}

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

	*src = colon + 1;
	base = strrchr(*src, '/');
	base = base ? base + 1 : *src;
	if (!*base)
		return -EINVAL;
	if (asprintf(dst, "%s/%.*s.d/%s", RDINIT_HOOKS_DIR + 1, (int)(colon - spec), spec, base) <
	    0)
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

/*
 * What is wrong with the stack tool @path, into @why: 0 for a readable ELF program of the
 * image's machine, else -errno.
 */
static int tool_problem(const struct image_opts *o, const char *path, char *why, size_t size)
{
	struct elf_kind k;
	char desc[128];
	struct stat st;
	int r;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		r = -errno;
		(void)snprintf(why, size, "%s", strerror(-r));
		return r;
	}
	r = S_ISREG(st.st_mode) ? elf_kind_read(&k, path) : 0;
	if (r < 0) {
		(void)snprintf(why, size, "%s", strerror(-r));
		return r;
	}
	if (r == 0) {
		(void)snprintf(why, size, "not an ELF program");
		return -ENOEXEC;
	}
	if (elf_kind_is(&k, o->arch->machine))
		return 0;
	(void)snprintf(why, size, "%s, but the image is for %s",
		       elf_kind_describe(&k, "program", desc, sizeof(desc)), o->arch->name);
	return -ENOEXEC;
}

/* Each chosen stack's tool in --stacks-dir: a readable ELF program for the image's machine. */
static int check_tools(const struct image_opts *o, unsigned int stacks, struct mk_err *err)
{
	for (size_t i = 0; i < STACK_KINDS; i++) {
		const struct stack_def *s = &stack_defs[i];
		_cleanup_free_ char *path = NULL;
		char why[256];
		int r;

		if (!(stacks & STACK_BIT(s->kind)))
			continue;
		if (asprintf(&path, "%s/%s", o->stacks_dir, s->tool) < 0)
			return -ENOMEM;
		r = tool_problem(o, path, why, sizeof(why));
		if (r < 0)
			return mk_errf(err, r,
				       "cannot use the %s tool %s: %s; build the tools with '%s "
				       "stacks', name their directory with --stacks-dir, or leave "
				       "the stack out with --omit-stacks %s",
				       s->name, path, why, o->arch->make, s->name);
	}
	return 0;
}

/* @keyfile, named by an entry going into the image, joins the key files (once). */
static int add_key_file(struct image_plan *p, const char *keyfile, const char *root)
{
	char **keys, **srcs;

	for (size_t i = 0; i < p->n_keys; i++)
		if (!strcmp(p->keys[i], keyfile))
			return 0;
	keys = reallocarray(p->keys, p->n_keys + 1, sizeof(*keys));
	if (keys)
		p->keys = keys;
	srcs = reallocarray(p->key_srcs, p->n_keys + 1, sizeof(*srcs));
	if (srcs)
		p->key_srcs = srcs;
	if (!keys || !srcs)
		return -ENOMEM;
	p->keys[p->n_keys] = strdup(keyfile);
	if (asprintf(&p->key_srcs[p->n_keys], "%s%s", root, keyfile) < 0)
		p->key_srcs[p->n_keys] = NULL;
	p->n_keys++;
	return p->keys[p->n_keys - 1] && p->key_srcs[p->n_keys - 1] ? 0 : -ENOMEM;
}

/*
 * The key file of @e, which goes into the image: an absolute path to a readable regular
 * file, read below @root.  A path under /dev names a device (a key on a USB stick) that
 * the initramfs reads at boot: nothing to copy.
 */
static int plan_key(struct image_plan *p, const struct crypttab_entry *e, const char *root,
		    struct mk_err *err)
{
	const char *where = p->tab.path, *key = e->keyfile;
	_cleanup_free_ char *src = NULL;
	struct stat st;

	if (!key || !strncmp(key, "/dev/", 5))
		return 0;
	if (strchr(key, ':'))
		return mk_errf(err, -EINVAL,
			       "%s:%zu: key file %s: a key on another device (PATH:DEVICE) is not "
			       "supported; copy the key into a file",
			       where, e->lineno, key);
	if (key[0] != '/')
		return mk_errf(err, -EINVAL,
			       "%s:%zu: key file '%s' is not an absolute path (nor none or -)",
			       where, e->lineno, key);
	if (asprintf(&src, "%s%s", root, key) < 0)
		return -ENOMEM;
	if (stat(src, &st) < 0 || access(src, R_OK) < 0)
		return mk_errf(err, -errno, "%s:%zu: key file %s: %s", where, e->lineno, src,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mk_errf(err, -EINVAL, "%s:%zu: key file %s: not a regular file", where,
			       e->lineno, src);
	return add_key_file(p, key, root);
}

struct host_pick {
	const struct host_root *host;
	const char *root;
};

static bool host_wants(const struct crypttab_entry *e, void *data)
{
	const struct host_pick *pick = data;

	return host_crypt_wants(pick->host, e->name, e->device, pick->root);
}

/* The entries of the host's crypttab that open a dm-crypt device below its root. */
static int plan_host_crypttab(const struct image_opts *o, struct image_plan *p, struct mk_err *err)
{
	struct host_pick pick = { &p->host, o->host_root };
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/etc/crypttab", o->host_root) < 0)
		return -ENOMEM;
	r = crypttab_read(&p->tab, path, err);
	if (r == -ENOENT) {
		if (o->debug)
			fprintf(o->debug, "mkrdinit: host: no %s\n", path);
		return 0;
	}
	if (r < 0)
		return r;
	crypttab_filter(&p->tab, host_wants, &pick);
	p->tab_filtered = true;
	if (p->tab.n == 0 && o->warn)
		fprintf(o->warn,
			"mkrdinit: warning: the root is on dm-crypt, but %s has no entry for it "
			"(by its name or its device): the image gets no /etc/crypttab\n",
			path);
	if (p->tab.n == 0)
		crypttab_free(&p->tab);
	for (size_t i = 0; o->debug && i < p->tab.n; i++)
		fprintf(o->debug, "mkrdinit: host: crypttab %s:%zu: %s\n", path, p->tab.v[i].lineno,
			p->tab.v[i].name);
	return 0;
}

/* --crypttab whole, else the host's entries for its root; then their key files. */
static int plan_crypttab(const struct image_opts *o, struct image_plan *p, struct mk_err *err)
{
	const char *root = "";
	int r = 0;

	if (o->crypttab) {
		r = crypttab_read(&p->tab, o->crypttab, err);
		if (r == -ENOENT)
			return mk_errf(err, r, "cannot read --crypttab %s: %s", o->crypttab,
				       strerror(-r));
	} else if (o->profile == PROFILE_HOST && (p->stacks & STACK_BIT(STACK_LUKS))) {
		r = plan_host_crypttab(o, p, err);
		root = o->host_root;
	}
	for (size_t i = 0; r == 0 && i < p->tab.n; i++)
		r = plan_key(p, &p->tab.v[i], root, err);
	return r;
}

static int scan_host(const struct image_opts *o, struct host_root *h, struct mk_err *err)
{
	_cleanup_free_ char *mountinfo = NULL, *sysfs = NULL;
	int r;

	if (asprintf(&mountinfo, "%s/proc/self/mountinfo", o->host_root) < 0 ||
	    asprintf(&sysfs, "%s/sys", o->host_root) < 0)
		return -ENOMEM;
	r = host_root_scan(h, mountinfo, sysfs, err);
	if (r < 0 || !o->debug)
		return r;
	fprintf(o->debug, "mkrdinit: host: / is %s on %s (%u:%u)\n", h->fstype, h->source, h->major,
		h->minor);
	for (size_t i = 0; i < STACK_KINDS; i++)
		if (h->stacks & STACK_BIT(i))
			fprintf(o->debug, "mkrdinit: host: / is on %s: %s%s\n", stack_defs[i].name,
				stack_defs[i].tool,
				(o->omit_stacks & STACK_BIT(i)) ? " (--omit-stacks)" : "");
	return 0;
}

/* What machine the kernel's modules are built for (*@rel one of them); -ENOENT for none. */
static int modules_kind(struct closure *c, struct elf_kind *k, char **rel, struct mk_err *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ void *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	r = closure_any_module(c, rel, err);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/%s", closure_modrel(c), *rel) < 0)
		return -ENOMEM;
	fd = mk_open_read(closure_root(c), path, err);
	if (fd < 0)
		return fd;
	/* shipped compressed or not, as the image writer reads them */
	r = ar_read_module_fd(fd, path, &buf, &len, err);
	if (r < 0)
		return r;
	if (elf_kind_parse(k, buf, len) < 0)
		return mk_errf(err, -ENOEXEC, "%s/%s: not an ELF module", closure_moddir(c), *rel);
	return 0;
}

/* The architecture of @c's kernel, from its modules: *@a, or NULL when it has none. */
static int kernel_arch(const struct image_opts *o, struct closure *c, const struct arch **a,
		       struct mk_err *err)
{
	_cleanup_free_ char *rel = NULL;
	struct elf_kind k;
	char desc[128];
	int r;

	*a = NULL;
	r = modules_kind(c, &k, &rel, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	*a = elf_kind_is(&k, k.machine) ? arch_by_machine(k.machine) : NULL;
	(void)elf_kind_describe(&k, "module", desc, sizeof(desc));
	if (!*a)
		return mk_errf(err, -ENOEXEC,
			       "kernel %s is for no architecture mkrdinit builds images for "
			       "(" ARCH_NAMES "): its %s is %s",
			       o->kver, rel, desc);
	if (o->arch && o->arch != *a)
		return mk_errf(err, -EINVAL,
			       "--arch %s, but kernel %s is for %s: its %s is %s; leave --arch out "
			       "to follow the kernel",
			       o->arch->name, o->kver, (*a)->name, rel, desc);
	if (o->debug)
		fprintf(o->debug, "mkrdinit: kernel %s is for %s (%s is %s)\n", o->kver, (*a)->name,
			rel, desc);
	return 0;
}

int image_target(struct image_opts *o, struct closure *c, struct mk_err *err)
{
	const struct arch *kernel, *host;
	const char *uname_m;
	int r;

	r = kernel_arch(o, c, &kernel, err);
	if (r < 0)
		return r;
	host = arch_host(&uname_m);
	if (!o->arch)
		o->arch = kernel ? kernel : host;
	if (!o->arch)
		return mk_errf(err, -EINVAL,
			       "kernel %s has no modules to tell its architecture by, and this "
			       "machine's (%s) is none mkrdinit builds images for: give --arch "
			       "(" ARCH_NAMES ")",
			       o->kver, uname_m);
	/* its /sys and mountinfo describe this machine, not one of another architecture */
	if (o->profile == PROFILE_HOST && o->arch != host)
		return mk_errf(err, -EINVAL,
			       "--profile host reads what this machine (%s) needs, but the image "
			       "is for %s: use --profile generic, or --profile none with "
			       "--add-modules",
			       uname_m, o->arch->name);
	if (!o->init)
		o->init = o->arch->init;
	if (!o->stacks_dir)
		o->stacks_dir = o->arch->stacks_dir;
	if (o->debug)
		fprintf(o->debug,
			"mkrdinit: the image is for %s: /init from %s, stack tools from %s\n",
			o->arch->name, o->init, o->stacks_dir);
	return 0;
}

int image_plan(const struct image_opts *o, struct image_plan *p, struct mk_err *err)
{
	int r;

	*p = (struct image_plan){ 0 };
	if (o->profile == PROFILE_GENERIC)
		p->stacks = STACK_ALL;
	if (o->profile == PROFILE_HOST) {
		r = scan_host(o, &p->host, err);
		if (r < 0)
			return r;
		p->stacks = p->host.stacks;
	}
	p->stacks &= ~o->omit_stacks;
	r = check_tools(o, p->stacks, err);
	if (r < 0)
		return r;
	return plan_crypttab(o, p, err);
}

void image_plan_free(struct image_plan *p)
{
	host_root_free(&p->host);
	crypttab_free(&p->tab);
	for (size_t i = 0; i < p->n_keys; i++) {
		free(p->keys[i]);
		free(p->key_srcs[i]);
	}
	free(p->keys);
	free(p->key_srcs);
	*p = (struct image_plan){ 0 };
}

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

/*
 * Create @rel in the staging tree (with its parent directories) for
 * writing, anew.  Resolved below the tree: a name from the module index can
 * never make us write elsewhere.
 */
static int create_staged(const struct mk_dir *stage, const char *rel, struct mk_err *err)
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
	out = create_staged(stage, rel, err);
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

struct staging {
	char *path;
	struct mk_dir dir;
};

/* Best effort: a leftover temp dir must not turn a good image into a failure. */
static void staging_remove(struct staging *s)
{
	if (s->dir.fd >= 0)
		(void)close(s->dir.fd);
	staging_removep(&s->path);
}

static int make_staging(struct staging *s, struct mk_err *err)
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
	out = create_staged(stage, dst, err);
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

/*
 * Stage the closure's modules as o->modcomp says: by default every one as
 * .ko.zst (recompressed in parallel at the end), else as shipped or plain.
 * Each keeps its path below lib/modules/KVER.
 */
static int stage_modules(const struct mk_dir *stage, const struct image_opts *o, struct closure *c,
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

/*
 * depmod's inputs and its text outputs that libkmod never reads (it uses
 * the .bin indexes): dead weight in every boot's unpacking.
 */
static void drop_text_indexes(const char *stage, const char *kver)
{
	static const char *const text[] = { "modules.order", "modules.builtin", "modules.dep",
					    "modules.alias", "modules.symbols", "modules.devname" };

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/lib/modules/%s/%s", stage, kver, text[i]) >= 0)
			(void)unlink(path);
	}
}

static int stage_firmware(const struct mk_dir *stage, struct closure *c, struct mk_err *err)
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

/* depmod lives in sbin, which is often not in a user's PATH. */
static int find_depmod(char **out)
{
	const char *env = getenv("PATH");
	_cleanup_free_ char *dirs = NULL;
	char *save = NULL;

	if (asprintf(&dirs, "%s:/sbin:/usr/sbin", env && *env ? env : "/bin:/usr/bin") < 0)
		return -ENOMEM;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/depmod", d) < 0)
			return -ENOMEM;
		if (d[0] == '/' && access(path, X_OK) == 0) {
			*out = steal_ptr(path);
			return 0;
		}
	}
	return -ENOENT;
}

static int run_depmod(const char *stage, const char *kver, struct mk_err *err)
{
	_cleanup_free_ char *depmod = NULL;
	pid_t pid, parent;
	int status;

	if (find_depmod(&depmod) < 0)
		return mk_errf(err, -ENOENT, "depmod not found in PATH, /sbin or /usr/sbin");
	parent = getpid();
	pid = fork();
	if (pid < 0)
		return mk_errf(err, -errno, "cannot run depmod: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		/* Its warnings belong on stderr; our stdout carries only the summary. */
		if (null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		/* killed with us: the guard removes the tree it writes into */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		execv(depmod, (char *const[]){ "depmod", "-b", (char *)stage, (char *)kver, NULL });
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return mk_errf(err, -errno, "waiting for depmod: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return mk_errf(err, -EIO, "%s -b %s %s killed by signal %d", depmod, stage, kver,
			       WTERMSIG(status));
	return mk_errf(err, -EIO, "%s -b %s %s failed with exit status %d", depmod, stage, kver,
		       WEXITSTATUS(status));
}

static int add_includes(struct ar_list *l, const struct image_opts *o)
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

static void elf_setp(struct elf_set *s)
{
	elf_set_free(s);
}

/* Hooks under their stage's directory, with their modes. */
static int add_hooks(struct ar_list *l, const struct image_opts *o)
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

/* Programs at their own paths, libraries where the loader will look for them. */
static int add_installs(struct ar_list *l, const struct image_opts *o, const struct image_plan *p,
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

/* Each chosen stack's tool as /usr/sbin/TOOL, where /init runs it from. */
static int add_stack_tools(struct ar_list *l, const struct image_opts *o, unsigned int stacks)
{
	for (size_t i = 0; i < STACK_KINDS; i++) {
		const char *tool = stack_defs[i].tool;
		_cleanup_free_ char *src = NULL, *dst = NULL;
		int r;

		if (!(stacks & STACK_BIT(i)))
			continue;
		if (asprintf(&src, "%s/%s", o->stacks_dir, tool) < 0 ||
		    asprintf(&dst, "usr/sbin/%s", tool) < 0)
			return -ENOMEM;
		r = ar_add_file(l, dst, src, 0755);
		if (r < 0)
			return r;
	}
	return 0;
}

/* /etc/crypttab (the staged copy when only some lines go in), and its key files. */
static int add_crypttab(struct ar_list *l, const struct image_plan *p, const char *stage)
{
	_cleanup_free_ char *staged = NULL;
	int r;

	if (!p->tab.path)
		return 0;
	if (p->tab_filtered && asprintf(&staged, "%s/etc/crypttab", stage) < 0)
		return -ENOMEM;
	r = ar_add_file_keep_perm(l, "etc/crypttab", staged ? staged : p->tab.path);
	for (size_t i = 0; r == 0 && i < p->n_keys; i++)
		r = ar_add_file_keep_perm(l, p->keys[i] + 1, p->key_srcs[i]);
	return r;
}

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
		r = add_includes(l, o);
	if (r == 0 && o->shell)
		r = ar_add_file_keep_perm(l, "bin/sh", o->shell);
	if (r == 0)
		r = add_hooks(l, o);
	if (r == 0)
		r = add_stack_tools(l, o, p->stacks);
	if (r == 0)
		r = add_crypttab(l, p, stage);
	if (r < 0)
		return mk_errf(err, r, "cannot add files to the image: %s", strerror(-r));
	r = add_installs(l, o, p, err);
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

/* AMD's container files start with "DMA\0"; anything else is taken as Intel's. */
static const char *microcode_name(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char magic[4] = { 0 };

	if (fd >= 0 && read(fd, magic, 4) == 4 && !memcmp(magic, "DMA\0", 4))
		return "kernel/x86/microcode/AuthenticAMD.bin";
	return "kernel/x86/microcode/GenuineIntel.bin";
}

/*
 * The kernel looks for microcode in an uncompressed newc archive at the
 * very start of the initrd, before it decompresses anything; the main
 * archive follows it (the unpacker takes concatenated archives).
 */
static int write_microcode(const struct image_opts *o, int fd, struct mk_err *err)
{
	_cleanup_(ar_listp) struct ar_list l = { 0 };
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

/*
 * Compressed modules go into an uncompressed archive ahead of the
 * compressed one: compressing them again gains next to nothing, and the
 * kernel would spend boot time decompressing every one of them, needed or
 * not (4.3 MB of .ko.xz in the generic gzip image).  The kernel unpacks
 * concatenated archives, each compressed or not.
 */
static int write_segments(struct ar_list *l, const struct image_opts *o, int fd,
			  struct ar_stats *st, struct mk_err *err)
{
	_cleanup_(ar_listp) struct ar_list stored = { 0 };
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

/*
 * Not a fixed 0644 nor mkstemp's 0600, which the boot loader's installer may not read: the
 * mode of the image being replaced, else what the umask leaves of 0666, as for any file a
 * program creates.  But an image with a private file in it is 0600 whatever those say: an
 * old 0644 image or a umask of 022 would hand a key file to every user of the machine.
 */
static mode_t output_mode(const char *output, bool private)
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

/*
 * The temp file stays 0600 while it is written, whatever the image's mode will be:
 * what it holds is known only once the files are collected, and a key file must never
 * sit in a file others can open.  commit_output() gives it the image's mode.
 */
static int open_output(struct tmpout *t, const char *output, struct mk_err *err)
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

/* Durable before visible: rename only a fully written file over the old image. */
static int commit_output(struct tmpout *t, const char *output, struct mk_err *err)
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

/*
 * The host's crypttab, cut down to the root's entries: a file of our own in the staging
 * tree, with the mode of the one it comes from.
 */
static int stage_crypttab(const struct mk_dir *stage, const struct image_plan *p,
			  struct mk_err *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;
	int fd, r = 0;

	if (!p->tab_filtered || !p->tab.path)
		return 0;
	if (stat(p->tab.path, &st) < 0)
		return mk_errf(err, -errno, "cannot stat %s: %s", p->tab.path, strerror(errno));
	fd = create_staged(stage, "etc/crypttab", err);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "we");
	if (!f) {
		r = -errno;
		(void)close(fd);
		return r;
	}
	if (fchmod(fd, st.st_mode & 07777) < 0)
		r = -errno;
	fprintf(f, "# The entries of %s for the root (mkrdinit --profile host)\n", p->tab.path);
	for (size_t i = 0; i < p->tab.n; i++)
		fprintf(f, "%s\n", p->tab.v[i].text);
	if (fflush(f) != 0 && r == 0)
		r = -errno;
	return r < 0 ? mk_errf(err, r, "cannot write %s/etc/crypttab: %s", stage->path,
			       strerror(-r))
		     : 0;
}

int image_write(const struct image_opts *o, const struct image_plan *p, struct closure *c,
		struct image_stats *st, struct mk_err *err)
{
	/* first declared, so last cleaned up: after the two below */
	_cleanup_(guard_stop) struct guard guard = { .fd = -1 };
	_cleanup_(tmpout_discard) struct tmpout out = { .fd = -1 };
	_cleanup_(staging_remove) struct staging stage = { .dir.fd = -1 };
	_cleanup_(ar_listp) struct ar_list l = { 0 };
	const struct closure_mod *mods;
	char *const *fw;
	int r;

	r = guard_start(&guard, err);
	if (r < 0)
		return r;
	r = open_output(&out, o->output, err);
	if (r < 0)
		return r;
	guard_send(&guard, 'T', out.path);
	r = make_staging(&stage, err);
	if (r < 0)
		return r;
	guard_send(&guard, 'S', stage.path);
	r = stage_modules(&stage.dir, o, c, &st->recompressed, err);
	if (r < 0)
		return r;
	r = run_depmod(stage.path, o->kver, err);
	if (r < 0)
		return r;
	drop_text_indexes(stage.path, o->kver);
	r = stage_firmware(&stage.dir, c, err);
	if (r == 0)
		r = stage_crypttab(&stage.dir, p, err);
	if (r < 0)
		return r;
	r = collect(&l, o, p, stage.path, err);
	if (r < 0)
		return r;
	st->private_files = count_private(o, p, &l, stage.path);
	out.mode = st->mode = output_mode(o->output, st->private_files > 0);
	r = write_microcode(o, out.fd, err);
	if (r < 0)
		return r;
	r = write_segments(&l, o, out.fd, &st->ar, err);
	if (r < 0)
		return r;
	r = commit_output(&out, o->output, err);
	if (r < 0)
		return r;
	st->modules = closure_modules(c, &mods);
	st->firmware = closure_firmware(c, &fw);
	return 0;
}
