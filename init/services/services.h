/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's services wing: the log, timing, processes, files, the early mounts and the stage
 * hooks, which every other wing uses and which use no other wing.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "stages.h"

struct boot;

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

/* mount.c: the early mounts, the console, and libmount's mount of one filesystem */
int mount_early(void);
void console_open(const char *name);
int fs_mount(const char *source, const char *fstype, const char *target, const char *options,
	     const char *last, char *err, size_t errlen);

/* file.c: whole files */
int read_trimmed_file(const char *path, char **out);
int read_text_file(const char *path, size_t max, char **out, size_t *len);
int file_copy_data(int in, int out, off_t size);

/* hooks.c: the executables in hooks_dir/HOOKS.d for @stage (common/stages.h) */
int hooks_run(struct boot *b, enum stage stage);

/* timing.c */
void timing_mark(const char *what);
void timing_mark_at(unsigned long long usec, const char *what);
unsigned long long timing_now(void);
void timing_finish(const char *path, bool table);
void timing_setenv(void);
int timing_start(unsigned long long *realtime, unsigned long long *monotonic);

/* sys.c: processes and /proc, /sys files */
void sys_reboot_after(int seconds, int how) __attribute__((noreturn));
void sys_reap(void);
int sys_write_file(const char *path, const char *value);
int sys_wait_child(pid_t pid, int pidfd, int timeout_ms, int *status);
