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

#define RDINIT_NEWROOT "/root"
#define RDINIT_DEFAULT_TIMEOUT 30

/* log.c */
enum {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};
void log_open(void);
void log_close(void);
void log_set_fd(int fd, bool kmsg_prefix);
void log_set_max_level(int level);
int log_max_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
void log_console(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* cmdline.c: the kernel command line, parsed into options */
struct rdinit_opts {
	char *root;	  /* root= verbatim; NULL when absent */
	char *rootfstype; /* comma list, tried in order */
	char *rootflags;
	char *init;    /* init=; NULL means the kernel's fallback chain */
	char *console; /* last console=, device name without options */
	bool ro;       /* read-only unless "rw", like the kernel */
	bool rootwait;
	int rootdelay; /* seconds; 0 when unset */
	int timeout;   /* rdinit.timeout= seconds to wait for root */
	int panic;     /* panic=: >0 reboot after N s, <0 at once, 0 wait */
	bool quiet;
	bool debug;
	int onfail;	     /* enum onfail */
	unsigned int breaks; /* bit (1 << enum stage) for each rdinit.break= stage */
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

/* modules.c */
int modules_init(const char *dirname);
void modules_exit(void);
int modules_load_alias(const char *alias, bool is_modalias);
int modules_load_fs(const char *fstype);
enum module_trouble { MODULE_NONE, MODULE_BLACKLISTED, MODULE_FAILED };
void modules_report(void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud);

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

/* coldplug.c */
typedef int (*block_cb_t)(const struct uevent *ev, void *userdata);
int coldplug_open(void);
int coldplug_scan(block_cb_t block_cb, void *userdata);
int coldplug_wait(int timeout_ms, block_cb_t block_cb, void *userdata);
void coldplug_close(void);
int coldplug_alias_rank(const char *modalias);
int coldplug_block_devices(block_cb_t block_cb, void *userdata);

/* root.c */
struct root_dev {
	char devnode[64];
	char fstype[32];
};
int root_find(const struct rdinit_opts *o, const struct root_spec *spec, struct root_dev *dev);
int root_mount(const struct rdinit_opts *o, const struct root_dev *dev, const char *target);
void root_report(const struct rdinit_opts *o, const struct root_spec *spec);

/* switchroot.c */
int delete_tree(int dirfd, dev_t dev, const char *skip);
int switch_root(const char *newroot);
int init_resolve(const char *newroot, const char *init, char *out, size_t outlen);

/* timing.c */
void timing_mark(const char *what);
void timing_mark_at(unsigned long long usec, const char *what);
unsigned long long timing_now(void);
void timing_finish(const char *path, bool table);
void timing_setenv(void);

/* main.c / sys.c */
void sys_reboot_after(int seconds, int how) __attribute__((noreturn));
void sys_reap(void);
