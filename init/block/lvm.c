// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LVM: each physical volume seen is registered with "lvm pvscan --cache", and the volume group
 * it completes is activated; the logical volumes come back as dm-N block devices, probed and
 * matched like any other. Every lvm command runs as a child of the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "cleanup.h"

/* What an lvm run was for: its PV (the member's device name) */
struct lvm_job {
	char dev[64];
	char group[128];
};

static struct lvm_job *job_new(const char *dev, const char *group)
{
	struct lvm_job *j = calloc(1, sizeof(*j));

	if (j) {
		snprintf(j->dev, sizeof(j->dev), "%s", dev);
		snprintf(j->group, sizeof(j->group), "%s", group ? group : "");
	}
	return j;
}

/* @argv for the member @m, @done to follow; a failure to start is said as the tool's */
static void run(struct boot *b, struct stack_member *m, char *const argv[], const char *group,
		stack_done_fn *done)
{
	struct lvm_job *j = job_new(m->dev, group);
	int r = j ? stack_spawn(b, argv, m->dev, NULL, 0, done, j) : -ENOMEM;

	if (r < 0) {
		free(j);
		stack_set(m, MEMBER_FAILED, "lvm %s not run: %s", argv[1], strerror(-r));
	}
}

/* Whether rd.lvm.vg= and rd.lvm.lv= (when given) let volume group @vg be activated. */
static bool vg_wanted(const struct stack_opts *o, const char *vg)
{
	size_t i, n = strlen(vg);

	if (!o->lvm_vg.n && !o->lvm_lv.n)
		return true;
	if (strset_has(&o->lvm_vg, vg))
		return true;
	for (i = 0; i < o->lvm_lv.n; i++)
		if (!strncmp(o->lvm_lv.v[i], vg, n) && o->lvm_lv.v[i][n] == '/')
			return true;
	return false;
}

/*
 * "--devices=/dev/vda,/dev/vdc": the physical volumes of @vg seen so far (of any group: NULL),
 * allocated (NULL: out of memory). Without it every lvm command opens and reads every block
 * device there is (a CD-ROM drive included) to find them. As long as it must be: a list cut
 * short would hide the last PVs of a big group from lvm, which then leaves it incomplete.
 */
static char *vg_devices(const struct boot *b, const char *vg)
{
	size_t i, len = strlen("--devices="), size = len + 1;
	char *buf;

	for (i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == STACK_LVM && (!vg || !strcmp(b->st.v[i].group, vg)))
			size += strlen(",/dev/") + strlen(b->st.v[i].dev);
	buf = malloc(size);
	if (!buf)
		return NULL;
	memcpy(buf, "--devices=", len + 1);
	for (i = 0; i < b->st.n; i++) {
		const struct stack_member *m = &b->st.v[i];

		if (m->kind == STACK_LVM && (!vg || !strcmp(m->group, vg)))
			len += (size_t)snprintf(buf + len, size - len, "%s/dev/%s",
						buf[len - 1] == '=' ? "" : ",", m->dev);
	}
	return buf;
}

/*
 * "VG vg0 complete" / "VG vg0 incomplete": what pvscan --listvg --checkcomplete says of the
 * volume group a physical volume belongs to. Returns 1 complete, 0 not yet, -ENOENT when
 * it named none (a PV without metadata, or in no group).
 */
static int parse_listvg(const char *out, char *vg, size_t size)
{
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n;

		while (*p == ' ')
			p++;
		if (strncmp(p, "VG ", 3))
			continue;
		p += 3;
		n = strcspn(p, " \n");
		snprintf(vg, size, "%.*s", (int)n, p);
		p += n;
		return !strncmp(p, " complete", 9) && (p[9] == '\n' || !p[9]);
	}
	return -ENOENT;
}

/*
 * What "pvscan --cache -aay" says of the volume group of the PV it was given, and whether
 * it activated it:
 *   pvscan[228] PV /dev/dm-0 online, VG rdvgc is complete.
 *   pvscan[228] VG rdvgc run autoactivation.       (or "skip": an earlier pvscan did)
 *   pvscan[228] PV /dev/vdb online, VG vg0 incomplete (need 1).
 *   pvscan[228] PV /dev/vdb online, VG unknown.    (no metadata on it, none seen before)
 * Returns 1 complete, 0 incomplete (@vg set for both), -ENOENT when it named no group.
 */
static int parse_pvscan_aa(const char *out, char *vg, size_t size)
{
	const char *p = strstr(out, " online, VG ");
	size_t n;

	if (!p)
		return -ENOENT;
	p += strlen(" online, VG ");
	n = strcspn(p, " \n");
	if (n == strlen("unknown.") && !strncmp(p, "unknown.", n))
		return -ENOENT;
	snprintf(vg, size, "%.*s", (int)n, p);
	return !strncmp(p + n, " is complete.", strlen(" is complete."));
}

/*
 * What became of volume group @group, said for every member of it: MEMBER_WAITING (a PV still
 * missing), MEMBER_FAILED (the activation, lvm's status @r and output @out) or MEMBER_DONE.
 * @dev is the PV whose arrival decided it.
 */
static void vg_outcome(struct boot *b, const char *group, enum member_state state, int r,
		       const char *out, const char *dev)
{
	char what[512], line[160];

	if (state == MEMBER_WAITING)
		snprintf(what, sizeof(what), "volume group %s incomplete: not activated", group);
	else if (state == MEMBER_FAILED)
		snprintf(what, sizeof(what), "activating volume group %s failed (%d): %s", group, r,
			 stack_last_line(out, line, sizeof(line)));
	else
		snprintf(what, sizeof(what), "volume group %s activated", group);
	stacks_set_group(b, STACK_LVM, group, state, what);
	if (state == MEMBER_WAITING)
		log_info("%s: %s", dev, what);
	else if (state == MEMBER_FAILED)
		log_console("%s", what);
	else
		log_info("%s (completed by %s)", what, dev);
}

static void activated(struct boot *b, void *data, int r, const char *out)
{
	struct lvm_job *j = data;
	char dev[80];

	snprintf(dev, sizeof(dev), "/dev/%s", j->dev);
	if (r != LOOP_CANCELLED)
		vg_outcome(b, j->group, r != 0 ? MEMBER_FAILED : MEMBER_DONE, r, out, dev);
	free(j);
}

/*
 * Activate @vg: only the rd.lvm.lv= volumes in it when there are any (one lvchange for them
 * all), else all of it.
 */
static void vg_activate(struct boot *b, struct stack_member *m, const char *lvm, const char *vg)
{
	const struct stack_opts *o = &b->opts.stacks;
	size_t i, n = strlen(vg), argc = 0;
	_cleanup_free_ char *devs = vg_devices(b, vg);
	_cleanup_free_ char **argv = calloc(o->lvm_lv.n + 7, sizeof(*argv));

	if (!devs || !argv) {
		stack_set(m, MEMBER_FAILED, "activating volume group %s failed: %s", vg,
			  strerror(ENOMEM));
		return;
	}
	argv[argc++] = (char *)lvm;
	argv[argc++] = "lvchange";
	argv[argc++] = "-aay";
	argv[argc++] = "--sysinit";
	argv[argc++] = devs;
	for (i = 0; i < o->lvm_lv.n; i++)
		if (!strncmp(o->lvm_lv.v[i], vg, n) && o->lvm_lv.v[i][n] == '/')
			argv[argc++] = o->lvm_lv.v[i];
	if (argc == 5) {
		argv[1] = "vgchange";
		argv[argc++] = (char *)vg;
	}
	argv[argc] = NULL;
	stack_set(m, MEMBER_WAITING, "activating volume group %s", vg);
	run(b, m, argv, vg, activated);
}

static void autoactivated(struct boot *b, void *data, int r, const char *out)
{
	struct lvm_job *j = data;
	struct stack_member *m = stacks_find(b, STACK_LVM, j->dev);
	char dev[80], line[160];
	int complete;

	snprintf(dev, sizeof(dev), "/dev/%s", j->dev);
	if (r == LOOP_CANCELLED || !m) {
		free(j);
		return;
	}
	complete = parse_pvscan_aa(out, m->group, sizeof(m->group));
	if (r != 0 && complete == 1)
		vg_outcome(b, m->group, MEMBER_FAILED, r, out, dev);
	else if (r != 0)
		stack_set(m, MEMBER_FAILED, "lvm pvscan failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
	else if (complete < 0)
		stack_set(m, MEMBER_SKIPPED, "in no volume group known yet");
	else
		vg_outcome(b, m->group, complete ? MEMBER_DONE : MEMBER_WAITING, 0, out, dev);
	free(j);
}

/*
 * With no rd.lvm.vg=/rd.lvm.lv= to choose by, one lvm command per PV: "pvscan --cache -aay"
 * records the PV online and, when it completes its group, activates the group from the
 * metadata it has just read. The two commands systemd's udev rules run (pvscan --listvg,
 * then vgchange) start lvm twice and read the PV twice: under emulation, and through
 * dm-crypt for LVM on LUKS, 140 ms more for each group.
 */
static void lvm_autoactivate(struct boot *b, struct stack_member *m, const char *lvm,
			     const char *dev)
{
	_cleanup_free_ char *devs = vg_devices(b, NULL);

	if (!devs) {
		stack_set(m, MEMBER_FAILED, "lvm pvscan not run: %s", strerror(ENOMEM));
		return;
	}
	{
		char *argv[] = { (char *)lvm, "pvscan", "--cache",   "-aay", "--autoactivation",
				 "event",     devs,	(char *)dev, NULL };

		stack_set(m, MEMBER_WAITING, "lvm pvscan running");
		run(b, m, argv, NULL, autoactivated);
	}
}

static void listed(struct boot *b, void *data, int r, const char *out)
{
	struct lvm_job *j = data;
	struct stack_member *m = stacks_find(b, STACK_LVM, j->dev);
	const char *lvm;
	char dev[80], line[160];

	snprintf(dev, sizeof(dev), "/dev/%s", j->dev);
	free(j);
	if (r == LOOP_CANCELLED || !m)
		return;
	if (r != 0) {
		stack_set(m, MEMBER_FAILED, "lvm pvscan failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
		return;
	}
	r = parse_listvg(out, m->group, sizeof(m->group));
	if (r < 0) {
		stack_set(m, MEMBER_SKIPPED, "in no volume group");
		return;
	}
	if (!vg_wanted(&b->opts.stacks, m->group)) {
		stack_set(m, MEMBER_SKIPPED,
			  "volume group %s left alone: not in rd.lvm.vg=/rd.lvm.lv=", m->group);
		return;
	}
	if (r == 0) {
		vg_outcome(b, m->group, MEMBER_WAITING, 0, out, dev);
		return;
	}
	if (stack_tool(b, STACK_LVM, &lvm) == 0)
		vg_activate(b, m, lvm, m->group);
}

static void lvm_member(struct boot *b, const struct blockdev *d)
{
	const struct stack_opts *o = &b->opts.stacks;
	struct stack_member *m = stacks_member(b, d, STACK_LVM);
	char dev[80], devs[96];
	const char *lvm;

	if (!m)
		return;
	if (o->no_lvm) {
		stack_set(m, MEMBER_SKIPPED, "left alone: rd.lvm=0");
		return;
	}
	if (stack_tool(b, STACK_LVM, &lvm) < 0) {
		stack_set(m, MEMBER_FAILED, "not activated: no lvm in the image");
		return;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	if (!o->lvm_vg.n && !o->lvm_lv.n) {
		lvm_autoactivate(b, m, lvm, dev);
		return;
	}
	snprintf(devs, sizeof(devs), "--devices=%s", dev);
	{
		char *argv[] = {
			(char *)lvm,  "pvscan",		  "--cache", "--listvg", "--checkcomplete",
			"--vgonline", "--autoactivation", "event",   devs,	 dev,
			NULL
		};

		stack_set(m, MEMBER_WAITING, "lvm pvscan running");
		run(b, m, argv, NULL, listed);
	}
}

const struct stack_ops lvm_ops = {
	.member = lvm_member,
};
