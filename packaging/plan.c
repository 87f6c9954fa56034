// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The image's plan: its storage stacks (every one for --profile generic, those of the
 * root for --profile host, less --omit-stacks), their tools checked, and its crypttab.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cryptkeys.h"
#include "plan.h"
#include "stacks.h"
#include "stacktools.h"

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
	r = stacktools_check(o, p->stacks, err);
	if (r < 0)
		return r;
	return cryptkeys_plan(o, p, err);
}

void image_plan_free(struct image_plan *p)
{
	host_root_free(&p->host);
	cryptfile_free(&p->tab);
	for (size_t i = 0; i < p->n_keys; i++) {
		free(p->keys[i]);
		free(p->key_srcs[i]);
	}
	free(p->keys);
	free(p->key_srcs);
	*p = (struct image_plan){ 0 };
}
