/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything the boot knows; each phase reads and writes this, nothing else global. Each
 * wing's header declares its own phase; this one joins them.
 */
#pragma once

#include "block/block.h"
#include "events/events.h"
#include "modules/modules.h"
#include "root/root.h"
#include "services/services.h"
#include "settings/settings.h"

struct boot {
	const char *sysfs;	 /* "/sys", or a fixture tree */
	const char *hooks_dir;	 /* RDINIT_HOOKS_DIR, or a test's tree */
	const char *report_path; /* "/run/rdinit/report" */
	/* rdinit --dry-run: a fixture tree probed and matched; nothing loaded, opened, mounted */
	bool dry_run;
	struct rdinit_opts opts;
	struct root_spec spec;
	struct root_spec resume_spec; /* kind ROOT_NONE without resume= */
	struct devices devs;
	struct modules mods;
	struct events ev;
	const struct blockdev *root; /* the device matching root=, once seen */
	struct root_dev rootdev;
	struct stacks st;
};
