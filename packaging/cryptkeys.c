// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /etc/crypttab in the image, and its key files: --crypttab whole, or for --profile host
 * the host's entries that open a dm-crypt device below its root (staged as a file of their
 * own); each entry's key file checked, then added at the path the entry names.
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
#include <unistd.h>

#include "cleanup.h"
#include "cryptkeys.h"
#include "stacks.h"
#include "staging.h"

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
	const char *where = p->tab.path, *key = crypttab_keyfile(e);
	_cleanup_free_ char *src = NULL;
	struct stat st;

	if (!key || !strncmp(key, "/dev/", 5))
		return 0;
	if (strchr(key, ':'))
		return mk_errf(err, -EINVAL,
			       "%s:%u: key file %s: a key on another device (PATH:DEVICE) is not "
			       "supported; copy the key into a file",
			       where, e->line, key);
	if (key[0] != '/')
		return mk_errf(err, -EINVAL,
			       "%s:%u: key file '%s' is not an absolute path (nor none or -)",
			       where, e->line, key);
	if (asprintf(&src, "%s%s", root, key) < 0)
		return -ENOMEM;
	if (stat(src, &st) < 0 || access(src, R_OK) < 0)
		return mk_errf(err, -errno, "%s:%u: key file %s: %s", where, e->line, src,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mk_errf(err, -EINVAL, "%s:%u: key file %s: not a regular file", where,
			       e->line, src);
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
	r = cryptfile_read(&p->tab, path, err);
	if (r == -ENOENT) {
		if (o->debug)
			fprintf(o->debug, "mkrdinit: host: no %s\n", path);
		return 0;
	}
	if (r < 0)
		return r;
	cryptfile_filter(&p->tab, host_wants, &pick);
	p->tab_filtered = true;
	if (p->tab.tab.n == 0 && o->warn)
		fprintf(o->warn,
			"mkrdinit: warning: the root is on dm-crypt, but %s has no entry for it "
			"(by its name or its device): the image gets no /etc/crypttab\n",
			path);
	if (p->tab.tab.n == 0)
		cryptfile_free(&p->tab);
	for (size_t i = 0; o->debug && i < p->tab.tab.n; i++)
		fprintf(o->debug, "mkrdinit: host: crypttab %s:%u: %s\n", path,
			p->tab.tab.v[i].line, p->tab.tab.v[i].name);
	return 0;
}

int cryptkeys_plan(const struct image_opts *o, struct image_plan *p, struct mk_err *err)
{
	const char *root = "";
	int r = 0;

	if (o->crypttab) {
		r = cryptfile_read(&p->tab, o->crypttab, err);
		if (r == -ENOENT)
			return mk_errf(err, r, "cannot read --crypttab %s: %s", o->crypttab,
				       strerror(-r));
	} else if (o->profile == PROFILE_HOST && (p->stacks & STACK_BIT(STACK_LUKS))) {
		r = plan_host_crypttab(o, p, err);
		root = o->host_root;
	}
	for (size_t i = 0; r == 0 && i < p->tab.tab.n; i++)
		r = plan_key(p, &p->tab.tab.v[i], root, err);
	return r;
}

int cryptkeys_stage(const struct mk_dir *stage, const struct image_plan *p, struct mk_err *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct stat st;
	int fd, r = 0;

	if (!p->tab_filtered || !p->tab.path)
		return 0;
	if (stat(p->tab.path, &st) < 0)
		return mk_errf(err, -errno, "cannot stat %s: %s", p->tab.path, strerror(errno));
	fd = staging_create(stage, "etc/crypttab", err);
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
	for (size_t i = 0; i < p->tab.tab.n; i++) {
		size_t n;
		const char *line = cryptfile_line(&p->tab, &p->tab.tab.v[i], &n);

		fprintf(f, "%.*s\n", (int)n, line);
	}
	if (fflush(f) != 0 && r == 0)
		r = -errno;
	return r < 0 ? mk_errf(err, r, "cannot write %s/etc/crypttab: %s", stage->path,
			       strerror(-r))
		     : 0;
}

int cryptkeys_add(struct ar_list *l, const struct image_plan *p, const char *stage)
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
