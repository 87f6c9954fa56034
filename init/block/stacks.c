// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Storage stacks under the root. What a probed block device holds decides what happens, in
 * no fixed order and with no scanning loop: its blkid TYPE names its stack (the table in
 * common/stacks.c), and the stack's ops (luks.c, lvm.c, md.c) start what it needs: a LUKS
 * header is unlocked, an LVM physical volume is registered and the volume group it completes
 * is activated, a RAID member joins its array by incremental assembly. The tools run as
 * children of the loop; the devices they make (dm-N, mdN) arrive as uevents like any other and
 * are probed and matched against root= in turn, so stacks nest: LVM on LUKS, LUKS on MD, ...
 *
 * A new stack: a row in common/stacks.c, a file here exporting its struct stack_ops, and its
 * line below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

static const struct stack_ops *const ops[STACK_KINDS] = {
	[STACK_LUKS] = &luks_ops,
	[STACK_LVM] = &lvm_ops,
	[STACK_MD] = &md_ops,
};

void stacks_device(struct boot *b, const struct blockdev *d)
{
	const struct stack_def *s = stackdef_by_type(d->type);
	char plan[320];

	if (!s)
		return;
	/* a dry run opens nothing */
	if (b->dry_run) {
		if (!ops[s->kind]->describe)
			snprintf(plan, sizeof(plan), "the boot would run %s", s->tool);
		else
			ops[s->kind]->describe(b, d, plan, sizeof(plan));
		log_info("/dev/%s: a %s member (UUID %s): %s", d->name, s->title, d->uuid, plan);
		return;
	}
	ops[s->kind]->member(b, d);
}

/* The loop has nothing else to do. */
void stacks_idle(struct boot *b)
{
	for (size_t k = 0; k < STACK_KINDS; k++)
		if (ops[k]->idle)
			ops[k]->idle(b);
}

/* The device waited for was found. */
void stacks_found(struct boot *b)
{
	for (size_t k = 0; k < STACK_KINDS; k++)
		if (ops[k]->found)
			ops[k]->found(b);
}

static void drop(struct boot *b, struct stack_member *m)
{
	if (ops[m->kind]->drop)
		ops[m->kind]->drop(b, m);
	if (m->timer)
		loop_cancel(b, m->timer);
}

/* Device @dev went away: what was done with it is undone by the kernel, or stays done. */
void stacks_forget(struct boot *b, const char *dev)
{
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		if (strcmp(b->st.v[i].dev, dev))
			continue;
		drop(b, &b->st.v[i]);
		memmove(&b->st.v[i], &b->st.v[i + 1], (b->st.n - i - 1) * sizeof(b->st.v[0]));
		b->st.n--;
		i--;
	}
}

/* Before searching again (after a rescue shell): every member is looked at anew. */
void stacks_retry(struct boot *b)
{
	while (b->st.n)
		drop(b, &b->st.v[--b->st.n]);
	b->ev.loop.given_up = false;
	b->st.tool_missing = 0;
	if (b->st.crypttab_read)
		crypttab_free(&b->st.crypttab);
	b->st.crypttab_read = false;
}

/* The boot goes on without the initramfs: nothing of a passphrase stays in memory. */
void stacks_end(struct boot *b)
{
	stacks_retry(b);
	if (b->st.passphrase) {
		explicit_bzero(b->st.passphrase, strlen(b->st.passphrase));
		free(b->st.passphrase);
		b->st.passphrase = NULL;
	}
	free(b->st.v);
	b->st.v = NULL;
	b->st.n = b->st.cap = 0;
}

/* For the failure report: each member not done, and why. */
void stacks_report(const struct boot *b, void (*fn)(const char *line, void *ud), void *ud)
{
	static const char *const states[] = {
		[MEMBER_DONE] = "",
		[MEMBER_SKIPPED] = "",
		[MEMBER_WAITING] = "waiting: ",
		[MEMBER_FAILED] = "",
	};
	char line[800];
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		const struct stack_member *m = &b->st.v[i];

		snprintf(line, sizeof(line), "  %s /dev/%s UUID=%s: %s%s",
			 stack_defs[m->kind].title, m->dev, m->uuid, states[m->state], m->what);
		fn(line, ud);
	}
}
