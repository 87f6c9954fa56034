/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's settings wing: the kernel command line and /etc/rdinit.conf, parsed into options.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "services/services.h"

#define RDINIT_NEWROOT "/root"
#define RDINIT_DEFAULT_TIMEOUT 30
#define RDINIT_DEFAULT_HOOK_TIMEOUT 30
/* the longest wait rootdelay= and rdinit.timeout= may ask for, in seconds: 24 days, so the
 * milliseconds fit an int */
#define RDINIT_MAX_WAIT 2000000

/*
 * What the command line says of storage stacks (stacks.c, luks.c), with dracut's and
 * systemd's names; the repeatable ones are kept verbatim, in order.
 */
struct stack_opts {
	struct strset luks_uuid;     /* rd.luks.uuid=[luks-]UUID */
	struct strset luks_name;     /* rd.luks.name=UUID=NAME */
	struct strset luks_key;	     /* rd.luks.key=PATH[:KEYDEV[:LUKSDEV]] or UUID=PATH */
	struct strset luks_options;  /* rd.luks.options=[UUID=]OPTIONS */
	struct strset lvm_vg;	     /* rd.lvm.vg=VG */
	struct strset lvm_lv;	     /* rd.lvm.lv=VG/LV */
	struct strset md_uuid;	     /* rd.md.uuid=UUID */
	bool no_luks, no_lvm, no_md; /* rd.luks=0, rd.lvm=0, rd.md=0 */
	bool no_crypttab;	     /* rd.luks.crypttab=0: the image's /etc/crypttab is ignored */
	int md_retry;		     /* rd.retry=: seconds before an incomplete array starts */
};
#define RDINIT_DEFAULT_MD_RETRY 10

/* cmdline.c: the kernel command line, parsed into options */
struct rdinit_opts {
	char *root;	  /* root= verbatim; NULL when absent */
	char *rootfstype; /* comma list, tried in order */
	char *rootflags;
	char *init;	     /* init=; NULL means the kernel's fallback chain */
	char *console;	     /* last console=, device name without options */
	char *resume;	     /* resume=: the hibernation image's device, as root= names one */
	char *resume_offset; /* resume_offset=: where in that device's swap file */
	bool noresume;
	bool ro; /* read-only unless "rw", like the kernel */
	bool rootwait;
	int rootdelay;	  /* seconds; 0 when unset */
	int timeout;	  /* rdinit.timeout= seconds to wait for root */
	int hook_timeout; /* rdinit.hook_timeout= seconds each hook may run; 0: no limit */
	int panic;	  /* panic=: >0 reboot after N s, <0 at once, 0 wait */
	int workers;	  /* rdinit.workers=: modules loaded at once; 0: one per CPU, up to 4 */
	bool quiet;
	bool debug;
	bool keep_initramfs; /* rdinit.keep_initramfs: for tests, the switch deletes nothing */
	bool ram;	     /* root=ram or rdinit.mode=ram: the OS is in the initramfs */
	char *ramsize;	     /* rdinit.ramsize=: that tmpfs's size=, as tmpfs takes it */
	int onfail;	     /* enum onfail */
	unsigned int breaks; /* bit (1 << enum stage) for each rdinit.break= stage */
	struct stack_opts stacks;
};

/* rdinit.onfail=: what to do when boot cannot go on */
enum onfail {
	ONFAIL_DEFAULT, /* panic=N if given, else a shell if the image has one, else wait */
	ONFAIL_SHELL,
	ONFAIL_REBOOT,
	ONFAIL_HALT,
	ONFAIL_WAIT,
};

void opts_init(struct rdinit_opts *o);
void opts_free(struct rdinit_opts *o);
char *cmdline_next(char *args, char **param, char **val);
int opts_set(struct rdinit_opts *o, const char *key, const char *val);
int cmdline_parse(const char *cmdline, struct rdinit_opts *o);
int wait_seconds(const struct rdinit_opts *o);

/* conf.c: /etc/rdinit.conf, the same settings as the command line */
#define RDINIT_CONF "/etc/rdinit.conf"
int conf_parse(const char *text, size_t len, const char *name, struct rdinit_opts *o);
int conf_load(const char *path, struct rdinit_opts *o);
