// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The running machine's root device chain, as keys for the module closure.
 *
 * Nothing here decides which module a key means: the keys (modaliases,
 * driver module names) are resolved against the *target* kernel's indexes,
 * which may differ from the running kernel in what is built in.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host.h"
#include "cleanup.h"

/* Stacked devices nest a few levels (dm-crypt on LVM on md); loops are bugs. */
#define MAX_DEPTH 8

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void host_root_free(struct host_root *h)
{
	for (size_t i = 0; i < h->n_keys; i++) {
		free(h->keys[i].key);
		free(h->keys[i].where);
	}
	free(h->keys);
	for (size_t i = 0; i < h->n_crypt; i++) {
		free(h->crypt[i].name);
		free(h->crypt[i].uuid);
		names_free(h->crypt[i].slaves, h->crypt[i].n_slaves);
	}
	free(h->crypt);
	free(h->fstype);
	free(h->source);
	*h = (struct host_root){ 0 };
}

static int add_key(struct host_root *h, enum host_kind kind, const char *key, const char *where)
{
	struct host_key *k;

	for (size_t i = 0; i < h->n_keys; i++)
		if (!strcmp(h->keys[i].key, key))
			return 0;
	if (h->n_keys == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct host_key *v = reallocarray(h->keys, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->keys = v;
		h->cap = cap;
	}
	k = &h->keys[h->n_keys];
	*k = (struct host_key){ .kind = kind, .key = strdup(key), .where = strdup(where) };
	if (!k->key || !k->where) {
		free(k->key);
		free(k->where);
		return -ENOMEM;
	}
	h->n_keys++;
	return 0;
}

/* One line of a sysfs attribute, read until EOF; -ENOENT when absent. */
static int read_attr(const char *dir, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *path = NULL;
	size_t len = 0;
	ssize_t n;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * "36 35 98:0 / / rw,noatime master:1 - ext3 /dev/root rw"; the last line
 * for "/" wins, as later mounts cover earlier ones.
 */
static int parse_mountinfo_line(struct host_root *h, char *line)
{
	char *save = NULL, *f[5] = { NULL }, *t, *fstype, *source;
	unsigned int maj, min;

	for (int i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -EINVAL;
	}
	if (strcmp(f[4], "/"))
		return 0;
	while ((t = strtok_r(NULL, " ", &save)) && strcmp(t, "-"))
		;
	fstype = strtok_r(NULL, " ", &save);
	source = strtok_r(NULL, " ", &save);
	if (!t || !fstype || !source || sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	free(h->fstype);
	free(h->source);
	h->fstype = strdup(fstype);
	h->source = strdup(source);
	if (!h->fstype || !h->source)
		return -ENOMEM;
	unescape(h->source);
	h->major = maj;
	h->minor = min;
	return 1;
}

static int parse_mountinfo(struct host_root *h, const char *path, struct mk_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, lineno = 0;
	bool found = false;
	int r;

	if (!f)
		return mk_errf(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		r = parse_mountinfo_line(h, line);
		if (r == -EINVAL)
			return mk_errf(err, r, "%s:%zu: cannot parse", path, lineno);
		if (r < 0)
			return r;
		found |= r > 0;
	}
	if (!found)
		return mk_errf(err, -ENOENT, "%s: no mount on /", path);
	return 0;
}

/* btrfs (and others) report an anonymous 0:N; the mount source names the disk. */
static void device_from_source(struct host_root *h)
{
	struct stat st;

	if (h->major != 0)
		return;
	h->minor = 0;
	if (h->source[0] == '/' && stat(h->source, &st) == 0 && S_ISBLK(st.st_mode)) {
		h->major = major(st.st_rdev);
		h->minor = minor(st.st_rdev);
	}
}

/* The module a driver lives in: DIR/driver/module -> .../module/NAME. */
static int add_driver(struct host_root *h, const char *dir)
{
	_cleanup_free_ char *link = NULL, *target = NULL;

	if (asprintf(&link, "%s/driver/module", dir) < 0)
		return -ENOMEM;
	target = realpath(link, NULL);
	if (!target)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	return add_key(h, HOST_DRIVER, basename(target), dir);
}

/* From a device dir up to SYSFS/devices: every modalias and driver module. */
static int walk_parents(struct host_root *h, const char *sysfs, char *dir)
{
	_cleanup_free_ char *top = NULL;
	char buf[512];
	int r;

	if (asprintf(&top, "%s/devices", sysfs) < 0)
		return -ENOMEM;
	while (strlen(dir) > strlen(top) && !strncmp(dir, top, strlen(top))) {
		r = read_attr(dir, "modalias", buf, sizeof(buf));
		if (r == 0 && buf[0])
			r = add_key(h, HOST_MODALIAS, buf, dir);
		if (r < 0 && r != -ENOENT)
			return r;
		r = add_driver(h, dir);
		if (r < 0)
			return r;
		*strrchr(dir, '/') = '\0';
	}
	return 0;
}

static int walk_block(struct host_root *h, const char *sysfs, const char *dev, int depth);

/* The names in DEV/slaves, sorted (none for a device that sits on nothing). */
static int read_slaves(const char *dev, char ***names, size_t *n)
{
	_cleanup_free_ char *slaves = NULL;
	struct dirent **list = NULL;
	int count, r = 0;

	*names = NULL;
	*n = 0;
	if (asprintf(&slaves, "%s/slaves", dev) < 0)
		return -ENOMEM;
	count = scandir(slaves, &list, NULL, alphasort);
	if (count < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	*names = calloc((size_t)count + 1, sizeof(char *));
	if (!*names)
		r = -ENOMEM;
	for (int i = 0; i < count; i++) {
		if (r == 0 && list[i]->d_name[0] != '.') {
			(*names)[*n] = strdup(list[i]->d_name);
			if (!(*names)[(*n)++])
				r = -ENOMEM;
		}
		free(list[i]);
	}
	free(list);
	return r;
}

/*
 * "CRYPT-LUKS2-0a1b...9f-NAME" (cryptsetup's dm uuid): the header's UUID, dashes
 * dropped; NULL for plain and other formats, which have none.
 */
static char *luks_uuid(const char *dm_uuid)
{
	const char *hex;

	if (strncmp(dm_uuid, "CRYPT-LUKS", 10) || !dm_uuid[10] || dm_uuid[11] != '-')
		return NULL;
	hex = dm_uuid + 12;
	return strndup(hex, strcspn(hex, "-"));
}

/* A dm-crypt device: its driver, the LUKS stack, and what picks its crypttab line. */
static int add_crypt(struct host_root *h, const char *dev, const char *dm_uuid, char **slaves,
		     size_t n_slaves)
{
	struct host_crypt *c, *v;
	char name[256];
	int r;

	r = add_key(h, HOST_STACK, "dm_crypt", dev);
	if (r < 0)
		return r;
	h->stacks |= STACK_BIT(STACK_LUKS);
	if (read_attr(dev, "dm/name", name, sizeof(name)) < 0)
		name[0] = '\0';
	v = reallocarray(h->crypt, h->n_crypt + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->crypt = v;
	c = &h->crypt[h->n_crypt];
	*c = (struct host_crypt){ .name = strdup(name), .uuid = luks_uuid(dm_uuid) };
	c->slaves = calloc(n_slaves + 1, sizeof(char *));
	for (size_t i = 0; c->slaves && i < n_slaves; i++)
		if ((c->slaves[c->n_slaves] = strdup(slaves[i])))
			c->n_slaves++;
	h->n_crypt++;
	return c->name && c->slaves && c->n_slaves == n_slaves ? 0 : -ENOMEM;
}

/* What a dm or md device needs: its driver modules, and the tool that sets it up. */
static int add_stack(struct host_root *h, const char *dev, char **slaves, size_t n_slaves)
{
	char buf[256];
	int r = 0;

	if (read_attr(dev, "dm/uuid", buf, sizeof(buf)) == 0) {
		r = add_key(h, HOST_STACK, "dm_mod", dev);
		if (r == 0 && !strncmp(buf, "CRYPT-", 6))
			r = add_crypt(h, dev, buf, slaves, n_slaves);
		if (!strncmp(buf, "LVM-", 4))
			h->stacks |= STACK_BIT(STACK_LVM);
		if (r < 0)
			return r;
	}
	if (read_attr(dev, "md/level", buf, sizeof(buf)) == 0 && buf[0]) {
		h->stacks |= STACK_BIT(STACK_MD);
		r = add_key(h, HOST_STACK, "md_mod", dev);
		if (r == 0)
			r = add_key(h, HOST_STACK, buf, dev);
	}
	return r;
}

/* dm and md devices sit on "slaves"; their own modules and tools depend on the kind. */
static int walk_stack(struct host_root *h, const char *sysfs, const char *dev, int depth)
{
	char **slaves = NULL;
	size_t n = 0;
	int r;

	r = read_slaves(dev, &slaves, &n);
	if (r == 0)
		r = add_stack(h, dev, slaves, n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *link = NULL;

		if (asprintf(&link, "%s/slaves/%s", dev, slaves[i]) < 0)
			r = -ENOMEM;
		else
			r = walk_block(h, sysfs, link, depth + 1);
	}
	names_free(slaves, n);
	return r;
}

static int walk_block(struct host_root *h, const char *sysfs, const char *dev, int depth)
{
	_cleanup_free_ char *real = NULL, *whole = NULL;
	struct stat st;
	int r;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	real = realpath(dev, NULL);
	if (!real)
		return -errno;
	/* A partition's stack info lives on the partition; its disk is the parent. */
	r = walk_stack(h, sysfs, real, depth);
	if (r < 0)
		return r;
	if (asprintf(&whole, "%s/partition", real) < 0)
		return -ENOMEM;
	if (stat(whole, &st) == 0)
		*strrchr(real, '/') = '\0';
	return walk_parents(h, sysfs, real);
}

int host_root_scan(struct host_root *h, const char *mountinfo, const char *sysfs,
		   struct mk_err *err)
{
	_cleanup_free_ char *dev = NULL;
	int r;

	*h = (struct host_root){ 0 };
	r = parse_mountinfo(h, mountinfo, err);
	if (r < 0)
		return r;
	device_from_source(h);
	if (h->major == 0)
		return 0; /* overlay, tmpfs, NFS...: nothing to walk */
	if (asprintf(&dev, "%s/dev/block/%u:%u", sysfs, h->major, h->minor) < 0)
		return -ENOMEM;
	r = walk_block(h, sysfs, dev, 0);
	if (r < 0)
		return mk_errf(err, r, "cannot walk the root device %u:%u in %s: %s", h->major,
			       h->minor, sysfs, strerror(-r));
	return 0;
}

/* The target of the symlink @path, or NULL (a dangling one in a fixture still names it). */
static char *read_link(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* The kernel name a /dev path or a udev tag leads to: "UUID=x" is /dev/disk/by-uuid/x. */
static char *device_kernel_name(const char *device, const char *root)
{
	static const char *const tags[][2] = { { "UUID=", "by-uuid" },
					       { "PARTUUID=", "by-partuuid" },
					       { "LABEL=", "by-label" },
					       { "PARTLABEL=", "by-partlabel" } };
	_cleanup_free_ char *path = NULL, *real = NULL;
	const char *base;

	for (size_t i = 0; !path && i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strncmp(device, tags[i][0], strlen(tags[i][0])) &&
		    asprintf(&path, "%s/dev/disk/%s/%s", root, tags[i][1],
			     device + strlen(tags[i][0])) < 0)
			return NULL;
	if (!path && (device[0] != '/' || asprintf(&path, "%s%s", root, device) < 0))
		return NULL;
	/* udev's links are relative ("../../vda2"): they stay below a fixture's root */
	real = realpath(path, NULL);
	if (!real)
		real = read_link(path);
	base = strrchr(real ? real : path, '/');
	return strdup(base ? base + 1 : real ? real : path);
}

/* UUID= against the UUID in a LUKS device's dm uuid, case and dashes aside. */
static bool same_luks_uuid(const char *device, const char *uuid)
{
	const char *s = device + 5;
	size_t i = 0;

	if (!uuid || strncmp(device, "UUID=", 5))
		return false;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		if (!uuid[i] || tolower((unsigned char)*s) != tolower((unsigned char)uuid[i]))
			return false;
		i++;
	}
	return i > 0 && !uuid[i];
}

bool host_crypt_wants(const struct host_root *h, const char *name, const char *device,
		      const char *root)
{
	_cleanup_free_ char *kname = device_kernel_name(device, root);

	for (size_t i = 0; i < h->n_crypt; i++) {
		const struct host_crypt *c = &h->crypt[i];

		if (!strcmp(c->name, name) || same_luks_uuid(device, c->uuid))
			return true;
		for (size_t j = 0; kname && j < c->n_slaves; j++)
			if (!strcmp(c->slaves[j], kname))
				return true;
	}
	return false;
}
