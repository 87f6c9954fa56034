// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MD RAID: each member seen joins its array by incremental assembly ("mdadm --incremental");
 * an array still incomplete rd.retry= seconds after its last member joined starts degraded,
 * from a timer of the loop. The array comes back as an mdN block device. mdadm runs as a child
 * of the loop.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "clock.h"

/* What an mdadm run, or an array's timer, is for */
struct md_job {
	char dev[64];	 /* the member's device */
	char group[128]; /* the array */
};

static struct md_job *job_new(const char *dev, const char *group)
{
	struct md_job *j = calloc(1, sizeof(*j));

	if (j) {
		snprintf(j->dev, sizeof(j->dev), "%s", dev);
		snprintf(j->group, sizeof(j->group), "%s", group);
	}
	return j;
}

/* Two array UUIDs alike, whatever their separators (blkid's '-', mdadm's ':') and case. */
static bool uuid_hex_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == ':')
			a++;
		while (*b == '-' || *b == ':')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if ((*a | 0x20) != (*b | 0x20))
			return false;
		a++;
		b++;
	}
}

static bool md_wanted(const struct stack_opts *o, const char *uuid)
{
	size_t i;

	if (!o->md_uuid.n)
		return true;
	for (i = 0; i < o->md_uuid.n; i++)
		if (uuid_hex_eq(o->md_uuid.v[i], uuid))
			return true;
	return false;
}

/* @key's value in mdadm --export output ("MD_DEVICE=/dev/md127"), or "" */
static void export_value(const char *out, const char *key, char *val, size_t size)
{
	size_t n = strlen(key);
	const char *p;

	val[0] = '\0';
	for (p = out; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == '=') {
			snprintf(val, size, "%.*s", (int)strcspn(p + n + 1, "\n"), p + n + 1);
			return;
		}
	}
}

/* /sys/block/@md/md/@attr, trimmed; "" when it cannot be read */
static void md_attr(struct boot *b, const char *md, const char *attr, char *val, size_t size)
{
	char path[PATH_MAX];
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/block/%s/md/%s", b->sysfs, md, attr);
	val[0] = '\0';
	if (read_trimmed_file(path, &text) == 0)
		snprintf(val, size, "%s", text);
	free(text);
}

static bool md_active(struct boot *b, const char *md)
{
	char state[32];

	md_attr(b, md, "array_state", state, sizeof(state));
	return state[0] && strcmp(state, "inactive") && strcmp(state, "clear");
}

static void started(struct boot *b, void *data, int r, const char *out)
{
	struct md_job *j = data;
	char line[160], what[512], degraded[16], disks[16];

	if (r == LOOP_CANCELLED) {
		free(j);
		return;
	}
	if (r != 0 || !md_active(b, j->group)) {
		snprintf(what, sizeof(what),
			 "array %s incomplete after rd.retry=%d s and cannot start degraded: %s",
			 j->group, b->opts.stacks.md_retry,
			 stack_last_line(out, line, sizeof(line)));
		stacks_set_group(b, STACK_MD, j->group, MEMBER_FAILED, what);
		log_console("%s", what);
		free(j);
		return;
	}
	md_attr(b, j->group, "degraded", degraded, sizeof(degraded));
	md_attr(b, j->group, "raid_disks", disks, sizeof(disks));
	snprintf(what, sizeof(what),
		 "array %s started DEGRADED after rd.retry=%d s: %s of %s devices missing",
		 j->group, b->opts.stacks.md_retry, degraded[0] ? degraded : "?",
		 disks[0] ? disks : "?");
	stacks_set_group(b, STACK_MD, j->group, MEMBER_DONE, what);
	log_console("%s", what);
	free(j);
}

/* When the array of @m starts degraded: rd.retry= after its last member joined */
static long long due_at(struct boot *b, const struct stack_member *m)
{
	long long last = 0;

	for (size_t i = 0; i < b->st.n; i++) {
		const struct stack_member *o = &b->st.v[i];

		if (o->kind == STACK_MD && !strcmp(o->group, m->group) && o->since_ms > last)
			last = o->since_ms;
	}
	return last + (long long)b->opts.stacks.md_retry * 1000;
}

/* rd.retry= passed for the array: start it with the members it has, unless it started. */
static void retry_due(struct boot *b, void *data, int arg)
{
	struct md_job *j = data;
	struct stack_member *m = stacks_find(b, STACK_MD, j->dev);
	char dev[160], what[512];
	const char *mdadm;
	int r;

	if (m)
		m->timer = 0;
	if (arg == LOOP_CANCELLED || !m || m->state != MEMBER_WAITING) {
		free(j);
		return;
	}
	if (due_at(b, m) > mono_ms()) {
		/* another member joined since: the clock restarted */
		m->timer = loop_add_timer(b, due_at(b, m), retry_due, j);
		return;
	}
	if (md_active(b, j->group)) {
		/* its last member came and mdadm started it: nothing to wait for */
		snprintf(what, sizeof(what), "array %s assembled", j->group);
		stacks_set_group(b, STACK_MD, j->group, MEMBER_DONE, what);
		free(j);
		return;
	}
	if (stack_tool(b, STACK_MD, &mdadm) < 0) {
		free(j);
		return;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", j->group);
	{
		char *argv[] = { (char *)mdadm, "--run", dev, NULL };

		r = stack_spawn(b, argv, j->dev, NULL, 0, started, j);
	}
	if (r < 0)
		started(b, j, r, "");
}

/* The clock of an incomplete array restarts with each member that joins it: one timer. */
static void arm(struct boot *b, struct stack_member *m)
{
	struct md_job *j;

	m->since_ms = mono_ms();
	for (size_t i = 0; i < b->st.n; i++) {
		const struct stack_member *o = &b->st.v[i];

		/* the array's timer looks at due_at() again when it fires */
		if (o->kind == STACK_MD && o->timer && !strcmp(o->group, m->group))
			return;
	}
	j = job_new(m->dev, m->group);
	if (j)
		m->timer = loop_add_timer(b, due_at(b, m), retry_due, j);
}

static void incremental(struct boot *b, void *data, int r, const char *out)
{
	struct md_job *j = data;
	struct stack_member *m = stacks_find(b, STACK_MD, j->dev);
	char line[160], what[512], mddev[128];
	const char *base;

	free(j);
	if (r == LOOP_CANCELLED || !m)
		return;
	export_value(out, "MD_DEVICE", mddev, sizeof(mddev));
	if (r != 0 || !mddev[0]) {
		stack_set(m, MEMBER_FAILED, "mdadm --incremental failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
		log_console("/dev/%s: %s", m->dev, m->what);
		return;
	}
	/* "/dev/md/root" is a link to "/dev/md127": the kernel's name is what /sys knows */
	{
		char *real = realpath(mddev, NULL);

		base = strrchr(real ? real : mddev, '/');
		snprintf(m->group, sizeof(m->group), "%s", base ? base + 1 : mddev);
		free(real);
	}
	if (md_active(b, m->group)) {
		snprintf(what, sizeof(what), "array %s (%s) assembled", m->group, mddev);
		stacks_set_group(b, STACK_MD, m->group, MEMBER_DONE, what);
		log_info("%s", what);
		return;
	}
	snprintf(what, sizeof(what), "array %s (%s) incomplete: inactive", m->group, mddev);
	stacks_set_group(b, STACK_MD, m->group, MEMBER_WAITING, what);
	log_info("/dev/%s: %s; starting it degraded in %d s unless the rest appears", m->dev, what,
		 b->opts.stacks.md_retry);
	arm(b, m);
}

static void md_member(struct boot *b, const struct blockdev *d)
{
	const struct stack_opts *o = &b->opts.stacks;
	struct stack_member *m = stacks_member(b, d, STACK_MD);
	struct md_job *j;
	const char *mdadm;
	char dev[80];
	int r;

	if (!m)
		return;
	if (o->no_md || !md_wanted(o, d->uuid)) {
		stack_set(m, MEMBER_SKIPPED, "left alone: %s",
			  o->no_md ? "rd.md=0" : "not in rd.md.uuid=");
		return;
	}
	if (stack_tool(b, STACK_MD, &mdadm) < 0) {
		stack_set(m, MEMBER_FAILED, "not assembled: no mdadm in the image");
		return;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	j = job_new(d->name, "");
	stack_set(m, MEMBER_WAITING, "mdadm --incremental running");
	{
		/*
		 * The initramfs has no host name of its own: every array would look foreign
		 * and lose its name (/dev/md/NAME) for a number. Arrays get their own names.
		 */
		char *argv[] = { (char *)mdadm, "--incremental",
				 "--export",	"--homehost=<ignore>",
				 dev,		NULL };

		r = j ? stack_spawn(b, argv, d->name, NULL, 0, incremental, j) : -ENOMEM;
	}
	if (r < 0) {
		free(j);
		stack_set(m, MEMBER_FAILED, "mdadm --incremental not run: %s", strerror(-r));
	}
}

const struct stack_ops md_ops = {
	.member = md_member,
};
