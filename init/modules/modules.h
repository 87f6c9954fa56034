/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's modules wing: drivers loaded through libkmod, module files read, and the
 * kernel's own module requests (modprobe mode).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "services/services.h"

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

/* modprobe.c: the kernel's module requests */
void modprobe_take_over(const char *self);
void modprobe_give_back(void);
/* the same on @sysctl, /proc/sys/kernel/modprobe or a test's file; 0 or -errno */
int modprobe_take_over_at(const char *sysctl, const char *self);
int modprobe_give_back_at(const char *sysctl);
bool modprobe_called(int argc, char **argv);
int modprobe_main(int argc, char **argv);

/* how likely a device with @modalias leads to the root disk: 0 best */
int alias_rank(const char *modalias);
