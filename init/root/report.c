// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The failure reports: what we looked for and what we saw, on the console, in the kernel log
 * and in /run/rdinit/report (which the real system finds in its /run if a retry succeeds).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "boot.h"

static FILE *report_file;

/* One line of the failure report: console, kernel log, and /run/rdinit/report. */
static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	char buf[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_console("%s", buf);
	if (report_file)
		fprintf(report_file, "%s\n", buf);
}

static void report_open(const char *path)
{
	char dir[256];
	char *slash;

	if (!path)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0755);
	}
	report_file = fopen(path, "we");
}

static void report_close(void)
{
	if (report_file)
		fclose(report_file);
	report_file = NULL;
}

/* Same length and at most one character different, ignoring case. */
static bool one_off(const char *a, const char *b)
{
	int diff = 0;

	if (strlen(a) != strlen(b))
		return false;
	for (; *a; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			diff++;
	return diff == 1;
}

static void hint_partitions(const struct devices *t, const struct blockdev *d)
{
	size_t i;

	report("hint: /dev/%s is a whole disk with a %s partition table; its partitions:", d->name,
	       d->pttype);
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i]->disk, d->name))
			report("hint:   /dev/%s TYPE=\"%s\" LABEL=\"%s\"", t->v[i]->name,
			       t->v[i]->type, t->v[i]->label);
}

/* Something close to what root= asks for: the usual typos and mix-ups. */
static void hint(const struct devices *t, const struct root_spec *spec, const struct blockdev *d)
{
	const char *v = spec->value;

	switch (spec->kind) {
	case ROOT_UUID:
		if (d->uuid[0] && one_off(d->uuid, v))
			report("hint: /dev/%s has UUID=%s, one character off", d->name, d->uuid);
		if (d->partuuid[0] && !strcasecmp(d->partuuid, v))
			report("hint: %s is the PARTUUID of /dev/%s: use root=PARTUUID=%s", v,
			       d->name, v);
		break;
	case ROOT_PARTUUID:
		if (d->partuuid[0] && one_off(d->partuuid, v))
			report("hint: /dev/%s has PARTUUID=%s, one character off", d->name,
			       d->partuuid);
		if (d->uuid[0] && !strcasecmp(d->uuid, v))
			report("hint: %s is the filesystem UUID of /dev/%s: use root=UUID=%s", v,
			       d->name, v);
		break;
	case ROOT_LABEL:
		if (d->label[0] && strcmp(d->label, v) && !strcasecmp(d->label, v))
			report("hint: /dev/%s has LABEL=%s (labels are case-sensitive)", d->name,
			       d->label);
		break;
	case ROOT_PARTLABEL:
		if (d->partlabel[0] && strcmp(d->partlabel, v) && !strcasecmp(d->partlabel, v))
			report("hint: /dev/%s has PARTLABEL=%s (labels are case-sensitive)",
			       d->name, d->partlabel);
		break;
	case ROOT_DEVNAME:
	case ROOT_DEVNUM:
		if (d->pttype[0] && rootdev_matches(spec, d))
			hint_partitions(t, d);
		break;
	default:
		break;
	}
}

static void report_module(const char *what, enum module_trouble t, void *ud)
{
	int *others = ud;

	if (t == MODULE_FAILED)
		report("failed to load module %s", what);
	else if (t == MODULE_BLACKLISTED)
		report("%s is blacklisted (modprobe.blacklist=)", what);
	else if (alias_rank(what) <= 1)
		report("no module in the image for device %s", what);
	else
		(*others)++;
}

static void report_modules(const struct modules *m)
{
	int others = 0;

	modules_report(m, report_module, &others);
	if (others)
		report("%d other devices have no driver in the image (not storage)", others);
}

static void report_line(const char *line, void *ud)
{
	report("%s", line);
}

/* Locked LUKS devices, incomplete volume groups and arrays: what each stack member became */
static void report_stacks(const struct boot *b)
{
	if (!b->st.n)
		return;
	report("storage stack members:");
	stacks_report(b, report_line, NULL);
}

/* Every block device seen, what is close to @spec, and what modules did. */
static void report_seen(struct boot *b, const struct root_spec *spec)
{
	const struct devices *t = &b->devs;
	size_t i;

	devices_reprobe_all(&b->devs);
	if (t->n == 0)
		report("no block devices appeared");
	for (i = 0; i < t->n; i++)
		report("  saw /dev/%s %d:%d size=%llu TYPE=\"%s\" UUID=\"%s\" LABEL=\"%s\" "
		       "PARTUUID=\"%s\" PARTLABEL=\"%s\"%s%s",
		       t->v[i]->name, t->v[i]->major, t->v[i]->minor, t->v[i]->size, t->v[i]->type,
		       t->v[i]->uuid, t->v[i]->label, t->v[i]->partuuid, t->v[i]->partlabel,
		       t->v[i]->pttype[0] ? " PTTYPE=" : "", t->v[i]->pttype);
	for (i = 0; i < t->n; i++)
		hint(t, spec, t->v[i]);
	report_stacks(b);
	report_modules(&b->mods);
}

/*
 * A LUKS device that could not be opened, though not named (found by itself, then skipped:
 * no cryptsetup, no console, the prompt given up): the root may be inside it.
 */
static bool luks_locked(const struct boot *b)
{
	size_t i;

	for (i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == STACK_LUKS && b->st.v[i].state != MEMBER_DONE &&
		    !strncmp(b->st.v[i].what, "locked:", 7))
			return true;
	return false;
}

/* The root device did not appear within @waited seconds (-1: the wait was cut short). */
void report_root_missing(struct boot *b, int waited)
{
	const struct root_spec *spec = &b->spec;

	report_open(b->report_path);
	if (b->ev.loop.given_up)
		report("root device not found: root=%s (%s%s%s): a LUKS device stays locked",
		       b->opts.root ? b->opts.root : "", rootspec_kind_name(spec->kind),
		       spec->kind == ROOT_DEVNUM ? "" : " ",
		       spec->kind == ROOT_DEVNUM ? "" : spec->value);
	else
		report("root device not found: root=%s (%s%s%s), waited %d s%s",
		       b->opts.root ? b->opts.root : "", rootspec_kind_name(spec->kind),
		       spec->kind == ROOT_DEVNUM ? "" : " ",
		       spec->kind == ROOT_DEVNUM ? "" : spec->value, waited,
		       luks_locked(b) ? "; a LUKS device stays locked (below)" : "");
	report_seen(b, spec);
	report_close();
}

/* The root was found but would not mount: say with what, and what modules did. */
void report_mount_failed(struct boot *b)
{
	report_open(b->report_path);
	report("cannot mount root %s (root=%s, %s%s)", b->rootdev.devnode,
	       b->opts.root ? b->opts.root : "", b->opts.rootfstype ? "rootfstype=" : "TYPE=",
	       b->opts.rootfstype ? b->opts.rootfstype : b->rootdev.fstype);
	report_modules(&b->mods);
	report_close();
}

/* A device the root's fstab names (@e, for its mount point) did not appear in @waited s. */
void report_fstab_missing(struct boot *b, const struct fstab_entry *e, const struct root_spec *spec,
			  int waited)
{
	report_open(b->report_path);
	report("device for %s not found: %s (%s, /etc/fstab line %u of %s), waited %d s", e->dir,
	       e->spec, rootspec_kind_name(spec->kind), e->line, b->rootdev.devnode, waited);
	report_seen(b, spec);
	report_close();
}

/* The device of fstab entry @e was found as @devnode but would not mount as @type. */
void report_fstab_mount_failed(struct boot *b, const struct fstab_entry *e, const char *devnode,
			       const char *type, const char *why)
{
	report_open(b->report_path);
	report("cannot mount %s on %s (/etc/fstab line %u of %s: %s, TYPE=%s, options %s): %s",
	       devnode, e->dir, e->line, b->rootdev.devnode, e->spec, type, e->opts, why);
	report_modules(&b->mods);
	report_close();
}
