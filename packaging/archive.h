/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reproducible newc cpio writing with libarchive.
 *
 * libarchive's header has the same name: packaging/ is only ever on the quote
 * include path (its own files', and -iquote for the tests), so <archive.h>
 * stays libarchive's.  The same goes for elf.h and <elf.h>.
 *
 * Callers collect entries in any order; ar_write() adds missing parent
 * directories, sorts by path and numbers the inodes, so the same inputs give
 * the same bytes whatever order the file system listed them in.
 */
#ifndef MKRDINIT_ARCHIVE_H
#define MKRDINIT_ARCHIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "mkerr.h"

enum ar_compress {
	AR_GZIP,
	AR_ZSTD,
	AR_XZ,
	AR_LZ4,
	AR_NONE,
};

struct ar_entry {
	char *path;	/* name in the image, without a leading slash */
	char *src;	/* data source of a file, target of a symlink */
	mode_t mode;	/* file type and permissions; see ar_add_file() */
	bool keep_perm; /* a file with its source's permissions */
	unsigned int rmajor, rminor;
};

struct ar_list {
	struct ar_entry *v;
	size_t n, cap;
};

struct ar_stats {
	size_t entries;	    /* everything in the image, directories included */
	size_t files;	    /* regular files */
	uint64_t raw_bytes; /* the cpio stream before compression */
	uint64_t out_bytes; /* what ended up in the output file */
};

/* Returns an enum ar_compress, or -EINVAL for an unknown name. */
int ar_compress_parse(const char *name);

int ar_add_dir(struct ar_list *l, const char *path);
/*
 * @perm 0 normalizes the source's permissions: 0755 if any execute bit is
 * set, else 0644.  Anything else is used as given.
 */
int ar_add_file(struct ar_list *l, const char *path, const char *src, mode_t perm);
/* A file with the permissions its source has when the image is written. */
int ar_add_file_keep_perm(struct ar_list *l, const char *path, const char *src);
int ar_add_symlink(struct ar_list *l, const char *path, const char *target);
/* @mode carries the type (S_IFCHR or S_IFBLK) and the permissions. */
int ar_add_node(struct ar_list *l, const char *path, mode_t mode, unsigned int major,
		unsigned int minor);
/*
 * Add everything below the directory @root, named "@prefix/..." in the
 * image (or at the top level when @prefix is "").
 */
int ar_add_tree(struct ar_list *l, const char *root, const char *prefix, struct mk_err *err);
void ar_list_free(struct ar_list *l);

static inline void ar_list_freep(struct ar_list *l)
{
	ar_list_free(l);
}

/*
 * Write @l as newc cpio to @fd, every timestamp set to @mtime.  Sorts @l
 * and adds the missing parent directories to it.
 */
int ar_write(struct ar_list *l, int fd, enum ar_compress comp, int64_t mtime, struct ar_stats *st,
	     struct mk_err *err);

/*
 * The same with a compression level; 0 is the compressor's default.  Levels:
 * gzip 1-9, zstd 1-19, xz -1 (for 0) to 9, lz4 1-12, none only 0.
 */
int ar_write_level(struct ar_list *l, int fd, enum ar_compress comp, int level, int64_t mtime,
		   struct ar_stats *st, struct mk_err *err);

/* 0 if @level is valid for @comp, else -ERANGE. */
int ar_level_check(enum ar_compress comp, int level);

/*
 * Does @path name a compressed module (.ko.xz, .ko.zst, .ko.gz)?  *@suffix
 * gets the length of what follows ".ko".
 */
bool ar_module_compressed(const char *path, size_t *suffix);

/*
 * Decompress the xz, zstd or gzip file @src into @dst with libarchive's
 * raw format; *@bytes (if not NULL) grows by the bytes written.
 */
int ar_decompress(const char *src, int dst, uint64_t *bytes, struct mk_err *err);
/* The same from the open file @fd; @src names it in messages. */
int ar_decompress_fd(int fd, const char *src, int dst, uint64_t *bytes, struct mk_err *err);

/*
 * The contents of the module @src, decompressed if it is xz, zstd or gzip
 * data, into a malloc'd *@buf.
 */
int ar_read_module(const char *src, void **buf, size_t *len, struct mk_err *err);
int ar_read_module_fd(int fd, const char *src, void **buf, size_t *len, struct mk_err *err);

/* Print "mode size path" for every entry of @image (any compression). */
int ar_dump(const char *image, FILE *out, struct mk_err *err);

#endif
