/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit: the /init of a Linux initramfs. Shared declarations of the boot phases; each phase
 * lives in its own file (see the layout notes in README.md).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hooks.h"

#define RDINIT_NEWROOT "/root"
#define RDINIT_DEFAULT_TIMEOUT 30
#define RDINIT_DEFAULT_HOOK_TIMEOUT 30
/* the longest wait rootdelay= and rdinit.timeout= may ask for, in seconds: 24 days, so the
 * milliseconds fit an int */
#define RDINIT_MAX_WAIT 2000000

/* log.c */
enum {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};
void log_open(void);
int log_open_kmsg(const char *path);
void log_close(void);
void log_set_fd(int fd, bool kmsg_prefix);
void log_set_max_level(int level);
int log_max_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
/* what the user must see, on the console as well as in the kernel log, at @level */
void log_tell(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_flush_suppressed(void);
#define log_console(...) log_tell(LOG_LVL_ERR, __VA_ARGS__)
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* A set of strings, for names already handled. */
struct strset {
	char **v;
	size_t n, cap;
};
bool strset_add(struct strset *s, const char *str);
bool strset_has(const struct strset *s, const char *str);
void strset_clear(struct strset *s);

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

/* rdinit.break=: stages that stop with a shell before going on */
enum stage {
	STAGE_CMDLINE,
	STAGE_MODULES,
	STAGE_ROOT,
	STAGE_MOUNT,
	STAGE_SWITCH,
	STAGE_MAX,
};
extern const char *const stage_names[STAGE_MAX];
void opts_init(struct rdinit_opts *o);
void opts_free(struct rdinit_opts *o);
char *cmdline_next(char *args, char **param, char **val);
int opts_set(struct rdinit_opts *o, const char *key, const char *val);
int cmdline_parse(const char *cmdline, struct rdinit_opts *o);
int wait_seconds(const struct rdinit_opts *o);
int read_trimmed_file(const char *path, char **out);
int read_text_file(const char *path, size_t max, char **out, size_t *len);

/* conf.c: /etc/rdinit.conf, the same settings as the command line */
#define RDINIT_CONF "/etc/rdinit.conf"
int conf_parse(const char *text, size_t len, const char *name, struct rdinit_opts *o);
int conf_load(const char *path, struct rdinit_opts *o);

/* rootspec.c: what root= asks for */
enum root_kind {
	ROOT_NONE,
	ROOT_UUID,
	ROOT_LABEL,
	ROOT_PARTUUID,
	ROOT_PARTLABEL,
	ROOT_DEVNAME, /* /dev/NAME: value holds NAME */
	ROOT_DEVNUM,  /* MAJ:MIN or the kernel's hex form */
};
struct root_spec {
	enum root_kind kind;
	char value[256];
	unsigned int major, minor;
	int partnroff; /* PARTUUID=.../PARTNROFF=N: the partition N after the one named */
};
int rootspec_parse(const char *root, struct root_spec *spec);
const char *rootspec_kind_name(enum root_kind kind);

/* fstab.c: the new root's /etc/fstab, parsed */
struct fstab_entry {
	char *spec, *dir, *type, *opts; /* escapes (\040) decoded; one allocation at spec */
	unsigned int line;
};
struct fstab {
	struct fstab_entry *v;
	size_t n, cap;
};
int fstab_parse(const char *text, size_t len, const char *name, struct fstab *f);
void fstab_free(struct fstab *f);
bool fstab_has_option(const char *opts, const char *opt);
enum fstab_initrd { FSTAB_SKIP, FSTAB_NOAUTO, FSTAB_MOUNT };
enum fstab_initrd fstab_initrd_entry(const struct fstab_entry *e);
void fstab_mount_options(const char *opts, char *out);

/* uevent.c: a parsed uevent, from netlink or from a sysfs uevent file */
struct uevent {
	const char *action;
	const char *devpath;
	const char *subsystem;
	const char *devtype;
	const char *devname;
	const char *modalias;
	unsigned long long seqnum;
	int partn;	  /* PARTN=, 0 for a whole disk */
	int major, minor; /* -1 when absent */
};
int uevent_parse_netlink(char *buf, size_t len, struct uevent *ev);
int uevent_parse_file(char *buf, size_t len, struct uevent *ev);

/* mount.c */
int mount_early(void);
void console_open(const char *name);

/* Every block device seen since the last (re)start of the search, probed with libblkid. */
struct blockdev {
	char name[64];
	char disk[64]; /* for a partition: the whole disk it is on */
	int major, minor, partn;
	char type[32], uuid[64], label[64], partuuid[64], partlabel[64], pttype[16];
	unsigned long long size;
};
/* How much of the partitions chain a probe runs: root=UUID= and LABEL= need none of it. */
enum probe_depth { PARTS_NONE, PARTS_TABLE, PARTS_ENTRY };
struct devices {
	struct blockdev *v;
	size_t n, cap;
	enum probe_depth depth;
	const char *devdir; /* NULL: "/dev"; else a dry run's, under --sysroot */
	/* NULL: libblkid in the prober, a child process; tests put a fake here */
	void (*probe)(struct devices *t, struct blockdev *d);
	pid_t prober_pid; /* > 0 while there is one */
	int prober_fd;
};

/* modules.c: what libkmod was asked, and what became of it */
struct kmod_ctx;
struct modules {
	struct kmod_ctx *ctx;
	char *cpu_modalias;	  /* what modules' "cpu:" aliases match against */
	char *kernel_compression; /* what CONFIG_MODULE_DECOMPRESS decompresses, or NULL */
	char *softdep_text;	  /* modules.softdep, every line of it */
	/* forgotten on a retry: then the kernel (/sys/module) says what is loaded */
	struct strset tried, seen_aliases, unmatched_aliases, blacklisted_aliases, failed;
	/* never forgotten: a module whose loader died is stuck in its init for good */
	struct strset crashed;
	struct strset blacklist; /* modprobe.d's and modprobe.blacklist='s */
	int workers;		 /* 0: one per CPU, at most MODULES_MAX_WORKERS */
	/* plan only: log "would load" for each module, insert nothing, ask /sys/module nothing */
	bool dry_run;
	/* modprobe -q: a module that will not load is the asker's business (debug only) */
	bool quiet;
	/*
	 * The kernel asked (modprobe mode): it names an algorithm or a service ("crypto-aes"),
	 * which modules for CPU features (aesni_intel, padlock_aes) and generic code both
	 * provide; a module for features this CPU lacks is left out, not tried.
	 */
	bool kernel_request;
};
#define MODULES_MAX_WORKERS 4
#define MODULE_FAILURES "/run/rdinit/module-failures"
int modules_init(struct modules *m, const char *root, const char *kver);
void modules_exit(struct modules *m);
void modules_retry(struct modules *m);
void modules_blacklist_cmdline(struct modules *m, const char *cmdline);
int modules_load_alias(struct modules *m, const char *alias, bool is_modalias);
int modules_load_fs(struct modules *m, const char *fstype);
enum module_trouble { MODULE_NONE, MODULE_BLACKLISTED, MODULE_FAILED };
void modules_report(const struct modules *m,
		    void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud);

/*
 * modfile.c: @path's contents decompressed ("xz", "zstd", "gzip"; NULL: as they are) into *buf,
 * memory mapped for the purpose: release it with module_free(), never free()
 */
int module_read(const char *path, const char *format, void **buf, size_t *len);
int module_decompress_mem(const void *in, size_t n, const char *format, void **buf, size_t *len);
/* what module_decompress*() handed out */
void module_free(void *buf, size_t len);
/* each value of @key in the .modinfo of the module image @elf, to @fn until it returns != 0 */
int modinfo_foreach(const void *elf, size_t len, const char *key,
		    int (*fn)(const char *value, void *ud), void *ud);

struct msghdr;
/* event.c: uevents from netlink and from the /sys replay, one path for both */
struct alias_queue {
	char **v;
	size_t n, cap;
};
struct events {
	int nl_fd;
	struct alias_queue queue; /* modaliases not loaded yet, best rank first */
	bool walked;		  /* /sys/devices walked since the last replay */
	bool loaded;		  /* a module loaded since (matters without netlink) */
	unsigned long long overflows;
	const struct root_spec *want; /* what the wait in progress looks for; NULL: none */
	/* NULL: recvmsg(2); tests put a fake here */
	ssize_t (*recv)(int fd, struct msghdr *msg, int flags);
};

/* luks.c: /etc/crypttab, parsed */
struct crypttab_entry {
	char *name, *device, *keyfile, *options; /* one allocation at name */
	unsigned int line;
};
struct crypttab {
	struct crypttab_entry *v;
	size_t n, cap;
};
#define RDINIT_CRYPTTAB "/etc/crypttab"
int crypttab_parse(const char *text, size_t len, const char *name, struct crypttab *t);
void crypttab_free(struct crypttab *t);

/* stacks.c: LUKS, LVM and MD RAID members seen, and what became of each */
enum stack_kind { STACK_LUKS, STACK_LVM, STACK_MD, STACK_KINDS };
enum member_state {
	MEMBER_DONE,	/* unlocked, activated, assembled: nothing to report */
	MEMBER_SKIPPED, /* not ours to open (rd.luks=0, not in rd.lvm.vg=, ...) */
	MEMBER_WAITING, /* a volume group or an array not complete yet */
	MEMBER_FAILED,	/* locked, or the tool failed: the report says why */
};
struct stack_member {
	char dev[64];	 /* the member's block device, "vdb" */
	char uuid[64];	 /* LUKS UUID, PV UUID or array UUID */
	char group[128]; /* the volume group, or the array ("md127") it belongs to */
	enum stack_kind kind;
	enum member_state state;
	char what[512];	    /* for the report: what was done, or why not */
	long long since_ms; /* MD: when it joined its (incomplete) array */
};
struct stacks {
	struct stack_member *v;
	size_t n, cap;
	struct crypttab crypttab;
	bool crypttab_read;
	char *passphrase;    /* the last that unlocked a device: tried first on the next */
	long long paused_ms; /* spent at a passphrase prompt: the root wait does not count it */
	bool gave_up;	     /* a LUKS device stays locked: the failure policy, now */
	unsigned int tool_missing; /* bit per enum stack_kind, said once */
	bool dirs_made;
	const char *tool_dir; /* NULL: the image's /usr/sbin and the like; tests put fakes here */
	const char *consoles; /* NULL: /sys/class/tty/console/active; tests name a pty here */
};

/* root.c: the root found */
struct root_dev {
	char devnode[80];
	char fstype[32];
};

/* Everything the boot knows; each phase reads and writes this, nothing else global. */
struct boot {
	const char *sysfs;	 /* "/sys", or a fixture tree */
	const char *hooks_dir;	 /* RDINIT_HOOKS_DIR, or a test's tree */
	const char *report_path; /* "/run/rdinit/report" */
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

int events_open(struct boot *b);
void events_close(struct boot *b);
void event_dispatch(struct boot *b, const struct uevent *ev);
int events_wait_root(struct boot *b, int timeout_ms);
int events_wait_for(struct boot *b, const struct root_spec *spec, int timeout_ms,
		    const struct blockdev **found);
void events_replay_all(struct boot *b);
void events_retry(struct boot *b);
int alias_rank(const char *modalias);

/* coldplug.c: the /sys replay, feeding event_dispatch() the same fields netlink carries */
#define PATH_MAX_DEVPATH 1024
int coldplug_block_devices(struct boot *b, bool all);
int coldplug_storage_buses(struct boot *b);
int coldplug_walk(struct boot *b);
int sys_read_all(int dirfd, const char *name, char *buf, size_t size);

/* devices.c */
void devices_event(struct boot *b, const struct uevent *ev);
void devices_clear(struct devices *d);
void devices_stop_prober(struct devices *t);
void devices_reprobe_all(struct devices *d);
void devices_warn_duplicates(const struct boot *b);
bool rootdev_matches(const struct root_spec *spec, const struct blockdev *d);
void devices_depth_for(struct devices *d, const struct root_spec *spec);
void devices_deepen_for(struct devices *t, const struct root_spec *spec);
const struct blockdev *devices_find(struct boot *b, const struct root_spec *spec);

/* modprobe.c: the kernel's module requests */
void modprobe_take_over(const char *self);
void modprobe_give_back(void);
/* the same on @sysctl, /proc/sys/kernel/modprobe or a test's file; 0 or -errno */
int modprobe_take_over_at(const char *sysctl, const char *self);
int modprobe_give_back_at(const char *sysctl);
bool modprobe_called(int argc, char **argv);
int modprobe_main(int argc, char **argv);

/* stacks.c: what a probed block device holds decides what runs (luks.c for LUKS) */
void stacks_device(struct boot *b, const struct blockdev *d);
void stacks_forget(struct boot *b, const char *dev);
int stacks_tick(struct boot *b);
void stacks_retry(struct boot *b);
void stacks_end(struct boot *b);
void stacks_report(const struct boot *b, void (*fn)(const char *line, void *ud), void *ud);
struct stack_member *stacks_member(struct boot *b, const struct blockdev *d, enum stack_kind k);
int stack_tool(struct boot *b, enum stack_kind k, const char **path);
int stack_run(char *const argv[], const char *input, size_t inlen, char *out, size_t outlen);

/* shutdown.c: /run/initramfs/shutdown, systemd's way back at shutdown */
void shutdown_prepare(void);
bool shutdown_called(int argc, char **argv);
int shutdown_main(int argc, char **argv);
/* the pieces of it, on a mountinfo file and a sysfs tree a test can give */
int shutdown_unmount(const char *mountinfo, const char *top);
/* takes block device @dev (dm-N, mdN) apart: 0 or -errno */
typedef int shutdown_stop_fn(const char *sysfs, const char *dev);
void shutdown_stacks(const char *sysfs, shutdown_stop_fn *stop, int *dm_left, int *md_left);
const char *stack_last_line(const char *out, char *buf, size_t size);
/* luks.c */
void luks_member(struct boot *b, const struct blockdev *d);
int luks_plan_describe(struct boot *b, const struct blockdev *d, char *out, size_t size);
bool luks_prompt_due(struct boot *b);
int luks_prompt_pending(struct boot *b, int withdraw);
void luks_prompts_withdraw(struct boot *b);
int luks_read_passphrase(const struct boot *b, const char *prompt, int withdraw, char *buf,
			 size_t size);

/* resume.c */
void resume_from_hibernation(struct boot *b);

/* report.c: the failure reports */
void report_root_missing(struct boot *b, int waited);
void report_mount_failed(struct boot *b);
void report_fstab_missing(struct boot *b, const struct fstab_entry *e, const struct root_spec *spec,
			  int waited);
void report_fstab_mount_failed(struct boot *b, const struct fstab_entry *e, const char *devnode,
			       const char *type, const char *why);

/* root.c */
int root_mount(struct boot *b, const char *target);
int fs_mount(const char *source, const char *fstype, const char *target, const char *options,
	     const char *last, char *err, size_t errlen);

/* usr.c: /usr and the x-initrd.mount entries of the new root's fstab */
int mount_initrd_entries(struct boot *b, const char *newroot);

/* switchroot.c */
int delete_tree(int dirfd, dev_t dev, const char *skip);
int switch_root(const char *newroot, bool keep_initramfs);
int init_resolve(const char *newroot, const char *init, char *out, size_t outlen);
int open_in_root(const char *newroot, const char *path, int flags);

/* ramroot.c: the OS in the initramfs, run from a tmpfs (LinuxKit) */
#define RDINIT_RAMROOT "/.rdinit-ram"
/* how deep the initramfs's tree may go: two fds a level */
#define RAMROOT_MAX_DEPTH 128
struct tree_stats {
	unsigned long long files, bytes;
	unsigned int depth;
	unsigned long long xattrs_lost; /* moved: extended attributes the destination refused */
};
struct tree_move_opts {
	dev_t dev;		 /* only what lives on this device moves */
	const char *const *skip; /* names at the top left where they are; NULL-terminated */
	bool unlink;		 /* remove each source once copied */
	bool keep_existing;	 /* moving back: what the destination has stays */
};
int file_copy_data(int in, int out, off_t size);
int tree_scan(int dirfd, dev_t dev, const char *const *skip, struct tree_stats *st);
int tree_move(int srcfd, int dstfd, const struct tree_move_opts *o, struct tree_stats *done,
	      char *where);
int ramroot_find(const struct rdinit_opts *o, const char *root, const char *self, char *init,
		 size_t initlen);
int ramroot_switch(const struct rdinit_opts *o, const char *dir);

/* hooks.c: the executables in hooks_dir/STAGE.d (stages: common/hooks.h) */
int hooks_run(struct boot *b, const char *stage);

/* timing.c */
void timing_mark(const char *what);
void timing_mark_at(unsigned long long usec, const char *what);
unsigned long long timing_now(void);
void timing_finish(const char *path, bool table);
void timing_setenv(void);
int timing_start(unsigned long long *realtime, unsigned long long *monotonic);

/* systemd.c: systemd's initrd interface */
bool init_is_systemd(const char *root, const char *init);
int systemd_serialization(unsigned long long realtime, unsigned long long monotonic);

/* main.c / sys.c */
void sys_reboot_after(int seconds, int how) __attribute__((noreturn));
void sys_reap(void);
int sys_write_file(const char *path, const char *value);
int sys_wait_child(pid_t pid, int pidfd, int timeout_ms, int *status);
