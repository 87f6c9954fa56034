/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rdinit's root wing: the root mounted, /usr and the initrd's fstab entries, the failure
 * reports, the switch to the real init, the OS in RAM and systemd's ways in and out.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "settings/settings.h"

struct boot;
struct root_spec;

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

/* root.c: the root found */
struct root_dev {
	char devnode[80];
	char fstype[32];
};

/* report.c: the failure reports */
void report_root_missing(struct boot *b, int waited);
void report_mount_failed(struct boot *b);
void report_fstab_missing(struct boot *b, const struct fstab_entry *e, const struct root_spec *spec,
			  int waited);
void report_fstab_mount_failed(struct boot *b, const struct fstab_entry *e, const char *devnode,
			       const char *type, const char *why);

/* root.c */
int root_mount(struct boot *b, const char *target);

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
int tree_scan(int dirfd, dev_t dev, const char *const *skip, struct tree_stats *st);
int tree_move(int srcfd, int dstfd, const struct tree_move_opts *o, struct tree_stats *done,
	      char *where);
int ramroot_find(const struct rdinit_opts *o, const char *root, const char *self, char *init,
		 size_t initlen);
int ramroot_switch(const struct rdinit_opts *o, const char *dir);

/* systemd.c: systemd's initrd interface */
bool init_is_systemd(const char *root, const char *init);
int systemd_serialization(unsigned long long realtime, unsigned long long monotonic);

/* shutdown.c: /run/initramfs/shutdown, systemd's way back at shutdown */
void shutdown_prepare(void);
bool shutdown_called(int argc, char **argv);
int shutdown_main(int argc, char **argv);
/* the pieces of it, on a mountinfo file and a sysfs tree a test can give */
int shutdown_unmount(const char *mountinfo, const char *top);
/* takes block device @dev (dm-N, mdN) apart: 0 or -errno */
typedef int shutdown_stop_fn(const char *sysfs, const char *dev);
void shutdown_stacks(const char *sysfs, shutdown_stop_fn *stop, int *dm_left, int *md_left);
