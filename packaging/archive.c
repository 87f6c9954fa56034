// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * newc cpio images with libarchive, byte-for-byte reproducible: sorted
 * entries, inode numbers from the sort order, fixed owner and timestamps,
 * normalized permissions and no timestamp in the compressor's header.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive.h"
#include "cleanup.h"
#include "modname.h"

static void archive_writep(struct archive **a)
{
	if (*a)
		(void)archive_write_free(*a);
}

static void archive_readp(struct archive **a)
{
	if (*a)
		(void)archive_read_free(*a);
}

static void archive_entryp(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

int ar_compress_parse(const char *name)
{
	static const char *const names[] = {
		[AR_GZIP] = "gzip", [AR_ZSTD] = "zstd", [AR_XZ] = "xz",
		[AR_LZ4] = "lz4",   [AR_NONE] = "none",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	return -EINVAL;
}

/* The kernel's unpacker wants plain relative names: no "", ".", ".." or "//". */
static bool valid_path(const char *s)
{
	if (!*s || *s == '/')
		return false;
	for (;;) {
		size_t len = strcspn(s, "/");

		if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && !strncmp(s, "..", 2)))
			return false;
		if (!s[len])
			return true;
		s += len + 1;
	}
}

static int add_entry(struct ar_list *l, const char *path, const char *src, mode_t mode,
		     unsigned int rmajor, unsigned int rminor)
{
	struct ar_entry *e;

	if (!valid_path(path))
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ar_entry *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->n];
	*e = (struct ar_entry){ .path = strdup(path),
				.src = src ? strdup(src) : NULL,
				.mode = mode,
				.rmajor = rmajor,
				.rminor = rminor };
	if (!e->path || (src && !e->src)) {
		free(e->path);
		free(e->src);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

int ar_add_dir(struct ar_list *l, const char *path)
{
	return add_entry(l, path, NULL, S_IFDIR | 0755, 0, 0);
}

int ar_add_file(struct ar_list *l, const char *path, const char *src, mode_t perm)
{
	return add_entry(l, path, src, S_IFREG | (perm & 07777), 0, 0);
}

int ar_add_file_keep_perm(struct ar_list *l, const char *path, const char *src)
{
	int r = add_entry(l, path, src, S_IFREG, 0, 0);

	if (r == 0)
		l->v[l->n - 1].keep_perm = true;
	return r;
}

int ar_add_symlink(struct ar_list *l, const char *path, const char *target)
{
	return add_entry(l, path, target, S_IFLNK | 0777, 0, 0);
}

int ar_add_node(struct ar_list *l, const char *path, mode_t mode, unsigned int major,
		unsigned int minor)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return add_entry(l, path, NULL, mode, major, minor);
}

void ar_list_free(struct ar_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].src);
	}
	free(l->v);
	*l = (struct ar_list){ 0 };
}

static int add_tree_entry(struct ar_list *l, const char *src, const char *path, struct mk_err *err)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(src, &st) < 0)
		return mk_errf(err, -errno, "cannot stat %s: %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		int r = ar_add_dir(l, path);

		return r < 0 ? r : ar_add_tree(l, src, path, err);
	}
	if (S_ISREG(st.st_mode))
		return ar_add_file(l, path, src, 0);
	if (!S_ISLNK(st.st_mode))
		return mk_errf(err, -EINVAL, "%s: unsupported file type", src);
	n = readlink(src, target, sizeof(target) - 1);
	if (n < 0)
		return mk_errf(err, -errno, "cannot read link %s: %s", src, strerror(errno));
	target[n] = '\0';
	return ar_add_symlink(l, path, target);
}

int ar_add_tree(struct ar_list *l, const char *root, const char *prefix, struct mk_err *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	d = opendir(root);
	if (!d)
		return mk_errf(err, -errno, "cannot open %s: %s", root, strerror(errno));
	for (errno = 0; (de = readdir(d)); errno = 0) {
		_cleanup_free_ char *src = NULL, *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&src, "%s/%s", root, de->d_name) < 0 ||
		    asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
			return -ENOMEM;
		r = add_tree_entry(l, src, path, err);
		if (r < 0)
			return mk_errf(err, r, "cannot add %s: %s", src, strerror(-r));
	}
	if (errno)
		return mk_errf(err, -errno, "cannot read %s: %s", root, strerror(errno));
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct ar_entry *)a)->path, ((const struct ar_entry *)b)->path);
}

static void sort_entries(struct ar_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
}

/* Search the sorted head [0, sorted) by bisection and the unsorted tail by scan. */
static struct ar_entry *find_entry(struct ar_list *l, size_t sorted, const char *path)
{
	struct ar_entry key = { .path = (char *)path };
	struct ar_entry *e = bsearch(&key, l->v, sorted, sizeof(*l->v), cmp_entry);

	for (size_t i = sorted; !e && i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			e = &l->v[i];
	return e;
}

/*
 * The kernel does not create missing parents while unpacking (and a
 * file's directory must exist before the file), so list every one.
 */
static int add_parents(struct ar_list *l)
{
	size_t sorted = l->n;
	int r;

	sort_entries(l);
	for (size_t i = 0; i < sorted; i++) {
		const char *path = l->v[i].path;

		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			_cleanup_free_ char *dir = strndup(path, (size_t)(s - path));

			if (!dir)
				return -ENOMEM;
			if (find_entry(l, sorted, dir))
				continue;
			r = ar_add_dir(l, dir);
			if (r < 0)
				return r;
		}
	}
	sort_entries(l);
	return 0;
}

/* Runs on the sorted list, where duplicates sit side by side. */
static int check_entries(struct ar_list *l, struct mk_err *err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ar_entry *e = &l->v[i];
		const char *slash = strrchr(e->path, '/');
		_cleanup_free_ char *dir = NULL;
		struct ar_entry *p;

		if (i && !strcmp(l->v[i - 1].path, e->path) &&
		    (!S_ISDIR(e->mode) || !S_ISDIR(l->v[i - 1].mode)))
			return mk_errf(err, -EEXIST, "%s is in the image twice", e->path);
		if (!slash)
			continue;
		dir = strndup(e->path, (size_t)(slash - e->path));
		if (!dir)
			return -ENOMEM;
		p = find_entry(l, l->n, dir);
		if (p && !S_ISDIR(p->mode))
			return mk_errf(err, -ENOTDIR, "%s: %s is not a directory", e->path, dir);
	}
	return 0;
}

/* The same directory named twice (say, "lib" and a tree under it) is one entry. */
static void merge_dirs(struct ar_list *l)
{
	size_t out = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (out && !strcmp(l->v[out - 1].path, l->v[i].path)) {
			free(l->v[i].path);
			free(l->v[i].src);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
}

static int ar_fail(struct archive *a, struct mk_err *err, const char *what)
{
	int e = archive_errno(a);
	int code = e > 0 ? -e : -EIO;
	const char *msg = archive_error_string(a);

	return mk_errf(err, code, "%s: %s", what, msg ? msg : strerror(-code));
}

int ar_level_check(enum ar_compress comp, int level)
{
	static const int max[] = {
		[AR_GZIP] = 9, [AR_ZSTD] = 19, [AR_XZ] = 9, [AR_LZ4] = 12, [AR_NONE] = 0,
	};

	if (level == 0)
		return 0;
	/* xz's 0 is a real level; -1 is how the option spells it. */
	if (comp == AR_XZ && level == -1)
		return 0;
	return level >= 1 && level <= max[comp] ? 0 : -ERANGE;
}

static int set_level(struct archive *a, const char *filter, int level)
{
	char buf[16];

	if (level == 0)
		return ARCHIVE_OK;
	(void)snprintf(buf, sizeof(buf), "%d", level);
	return archive_write_set_filter_option(a, filter, "compression-level", buf);
}

/* xz and lz4 run as programs, with "-N" flags; -1 stands for xz's 0. */
static int add_program(struct archive *a, enum ar_compress comp, int level)
{
	char cmd[128];

	if (comp == AR_XZ)
		(void)snprintf(cmd, sizeof(cmd),
			       "xz -%d --check=crc32 --lzma2=dict=1MiB --threads=1 --stdout",
			       level == 0  ? 6
			       : level < 0 ? 0
					   : level);
	else
		(void)snprintf(cmd, sizeof(cmd), "lz4 -l -%d -c", level == 0 ? 9 : level);
	return archive_write_add_filter_program(a, cmd);
}

/*
 * libarchive's own xz filter always writes CRC64 checks, which the kernel's
 * XZ decoder rejects, and its lz4 filter writes only the frame format while
 * the kernel reads only the legacy one; use the tools for those two.
 */
static int add_filter(struct archive *a, enum ar_compress comp, int level)
{
	int r;

	switch (comp) {
	case AR_GZIP:
		r = archive_write_add_filter_gzip(a);
		if (r == ARCHIVE_OK)
			/* No mtime in the gzip header: it would differ on every run. */
			r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
		return r == ARCHIVE_OK ? set_level(a, "gzip", level) : r;
	case AR_ZSTD:
		r = archive_write_add_filter_zstd(a);
		return r == ARCHIVE_OK ? set_level(a, "zstd", level) : r;
	case AR_XZ:
	case AR_LZ4:
		return add_program(a, comp, level);
	case AR_NONE:
		return archive_write_add_filter_none(a);
	}
	return ARCHIVE_FATAL;
}

static int open_writer(struct archive **out, int fd, enum ar_compress comp, int level,
		       struct mk_err *err)
{
	_cleanup_(archive_writep) struct archive *a = archive_write_new();

	if (!a)
		return -ENOMEM;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK)
		return ar_fail(a, err, "cannot set up cpio writer");
	if (add_filter(a, comp, level) != ARCHIVE_OK)
		return ar_fail(a, err, "cannot set up compression");
	/* Padding to a tape block would only add zeros after the compressed stream. */
	if (archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		return ar_fail(a, err, "cannot start writing the image");
	*out = steal_ptr(a);
	return 0;
}

static int copy_data(struct archive *a, int fd, const char *src, int64_t size, struct mk_err *err)
{
	char buf[1 << 16];
	int64_t done = 0;

	while (done < size) {
		size_t want =
			size - done < (int64_t)sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mk_errf(err, -errno, "cannot read %s: %s", src, strerror(errno));
		if (n == 0)
			return mk_errf(err, -EIO, "%s shrank while being archived", src);
		if (archive_write_data(a, buf, (size_t)n) < 0)
			return ar_fail(a, err, "cannot write the image");
		done += n;
	}
	return 0;
}

/* Opens a file entry's source; fixes up its permissions and size from it. */
static int open_source(const struct ar_entry *e, mode_t *mode, int64_t *size, struct mk_err *err)
{
	struct stat st;
	int fd;

	fd = open(e->src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return mk_errf(err, -errno, "cannot open %s: %s", e->src, strerror(errno));
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		(void)close(fd);
		return mk_errf(err, r, "cannot stat %s: %s", e->src, strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		return mk_errf(err, -EINVAL, "%s: not a regular file", e->src);
	}
	if (e->keep_perm)
		*mode = S_IFREG | (st.st_mode & 07777);
	else if (!(*mode & 07777))
		*mode |= (st.st_mode & 0111) ? 0755 : 0644;
	*size = st.st_size;
	return fd;
}

static int write_entry(struct archive *a, struct archive_entry *ae, const struct ar_entry *e,
		       int64_t ino, int64_t mtime, struct mk_err *err)
{
	_cleanup_close_ int fd = -1;
	mode_t mode = e->mode;
	int64_t size = 0;

	if (S_ISREG(mode)) {
		fd = open_source(e, &mode, &size, err);
		if (fd < 0)
			return fd;
	} else if (S_ISLNK(mode)) {
		size = (int64_t)strlen(e->src);
	}
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_mode(ae, mode);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_mtime(ae, (time_t)mtime, 0);
	archive_entry_set_dev(ae, 0);
	archive_entry_set_ino64(ae, ino);
	archive_entry_set_nlink(ae, S_ISDIR(mode) ? 2 : 1);
	archive_entry_set_rdev(ae, makedev(e->rmajor, e->rminor));
	archive_entry_set_size(ae, size);
	if (S_ISLNK(mode))
		archive_entry_set_symlink(ae, e->src);
	/* WARN is libarchive noting a lossy charset conversion; names here are bytes. */
	if (archive_write_header(a, ae) < ARCHIVE_WARN)
		return ar_fail(a, err, e->path);
	return S_ISREG(mode) ? copy_data(a, fd, e->src, size, err) : 0;
}

int ar_write(struct ar_list *l, int fd, enum ar_compress comp, int64_t mtime, struct ar_stats *st,
	     struct mk_err *err)
{
	return ar_write_level(l, fd, comp, 0, mtime, st, err);
}

int ar_write_level(struct ar_list *l, int fd, enum ar_compress comp, int level, int64_t mtime,
		   struct ar_stats *st, struct mk_err *err)
{
	_cleanup_(archive_writep) struct archive *a = NULL;
	_cleanup_(archive_entryp) struct archive_entry *ae = NULL;
	struct stat sb;
	int r;

	if (ar_level_check(comp, level) < 0)
		return mk_errf(err, -ERANGE, "compression level %d out of range", level);
	/* newc stores times and inode numbers as 8 hex digits. */
	if (mtime < 0 || mtime > UINT32_MAX || l->n >= UINT32_MAX)
		return mk_errf(err, -ERANGE, "timestamp or entry count out of range for newc");
	r = add_parents(l);
	if (r < 0)
		return r;
	r = check_entries(l, err);
	if (r < 0)
		return r;
	merge_dirs(l);
	r = open_writer(&a, fd, comp, level, err);
	if (r < 0)
		return r;
	ae = archive_entry_new();
	if (!ae)
		return -ENOMEM;
	*st = (struct ar_stats){ .entries = l->n };
	for (size_t i = 0; i < l->n; i++) {
		/* Inode 0 means "no inode"; number from 1 in path order. */
		r = write_entry(a, ae, &l->v[i], (int64_t)i + 1, mtime, err);
		if (r < 0)
			return r;
		st->files += S_ISREG(l->v[i].mode);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		return ar_fail(a, err, "cannot finish the image");
	st->raw_bytes = (uint64_t)archive_filter_bytes(a, 0);
	if (fstat(fd, &sb) < 0)
		return -errno;
	st->out_bytes = (uint64_t)sb.st_size;
	return 0;
}

static unsigned long hexfield(const unsigned char *h, size_t off)
{
	char buf[9];

	memcpy(buf, h + off, 8);
	buf[8] = '\0';
	return strtoul(buf, NULL, 16);
}

/*
 * Where the uncompressed newc archive at @off ends (after TRAILER!!! and
 * the zero padding the kernel skips), or -1 if there is none: an early
 * microcode archive comes before the main one, and libarchive reads only
 * the first archive of a file.
 */
static off_t newc_end(int fd, off_t off, off_t size)
{
	unsigned char h[110 + 12];

	while (off + 110 <= size) {
		unsigned long namesize, filesize;
		off_t next;

		if (pread(fd, h, sizeof(h), off) < 110 || memcmp(h, "070701", 6))
			return -1;
		namesize = hexfield(h, 94);
		filesize = hexfield(h, 54);
		next = off + (off_t)((110 + namesize + 3) & ~3UL) + (off_t)((filesize + 3) & ~3UL);
		if (namesize == 11 && !memcmp(h + 110, "TRAILER!!!", 11)) {
			unsigned char z[4];

			while (next + 4 <= size && pread(fd, z, 4, next) == 4 &&
			       !memcmp(z, "\0\0\0\0", 4))
				next += 4;
			return next;
		}
		off = next;
	}
	return -1;
}

static int dump_segment(int fd, const char *image, FILE *out, struct mk_err *err)
{
	_cleanup_(archive_readp) struct archive *a = archive_read_new();
	struct archive_entry *ae;
	int r;

	if (!a)
		return -ENOMEM;
	(void)archive_read_support_filter_all(a);
	(void)archive_read_support_format_cpio(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK)
		return ar_fail(a, err, image);
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(ae);

		fprintf(out, "%06o %" PRId64 " %s\n", (unsigned int)archive_entry_mode(ae),
			(int64_t)archive_entry_size(ae), path ? path : "?");
	}
	if (r != ARCHIVE_EOF)
		return ar_fail(a, err, image);
	return 0;
}

int ar_dump(const char *image, FILE *out, struct mk_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	off_t off = 0, end;
	int r;

	/* Open it ourselves: libarchive's message for a missing file omits the cause. */
	fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return mk_errf(err, -errno, "cannot open %s: %s", image, strerror(errno));
	/* Uncompressed archives in front, each read up to its end; the rest in one go. */
	while ((end = newc_end(fd, off, st.st_size)) > 0 && end < st.st_size) {
		if (lseek(fd, off, SEEK_SET) < 0)
			return -errno;
		r = dump_segment(fd, image, out, err);
		if (r < 0)
			return r;
		off = end;
	}
	if (lseek(fd, off, SEEK_SET) < 0)
		return -errno;
	return dump_segment(fd, image, out, err);
}

bool ar_module_compressed(const char *path, size_t *suffix)
{
	return rdmod_compression(path, suffix) != NULL;
}

static int pump(struct archive *a, const char *src, int dst, uint64_t *bytes, struct mk_err *err)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		int r = write_all(dst, buf, (size_t)n);

		if (r < 0)
			return mk_errf(err, r, "cannot write %s: %s", src, strerror(-r));
		*bytes += (uint64_t)n;
	}
	return n < 0 ? ar_fail(a, err, src) : 0;
}

/* Set @a up to read @fd (named @src) as the one entry of its raw format, decompressed. */
static int open_raw(struct archive *a, int fd, const char *src, struct mk_err *err)
{
	struct archive_entry *ae;

	if (!a)
		return -ENOMEM;
	if (archive_read_support_filter_xz(a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK)
		return ar_fail(a, err, "cannot set up decompression");
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK)
		return ar_fail(a, err, src);
	return 0;
}

static int open_path(const char *src, struct mk_err *err)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? mk_errf(err, -errno, "cannot open %s: %s", src, strerror(errno)) : fd;
}

int ar_read_module_fd(int fd, const char *src, void **buf, size_t *len, struct mk_err *err)
{
	_cleanup_(archive_readp) struct archive *a = archive_read_new();
	_cleanup_free_ unsigned char *data = NULL;
	size_t n = 0, cap = 0;
	ssize_t got;
	int r;

	r = open_raw(a, fd, src, err);
	if (r < 0)
		return r;
	do {
		if (cap - n < (1 << 16)) {
			unsigned char *p;

			cap = cap ? cap * 2 : 1 << 20;
			p = realloc(data, cap);
			if (!p)
				return -ENOMEM;
			data = p;
		}
		got = archive_read_data(a, data + n, cap - n);
		if (got > 0)
			n += (size_t)got;
	} while (got > 0);
	if (got < 0)
		return ar_fail(a, err, src);
	*buf = steal_ptr(data);
	*len = n;
	return 0;
}

int ar_read_module(const char *src, void **buf, size_t *len, struct mk_err *err)
{
	_cleanup_close_ int fd = open_path(src, err);

	return fd < 0 ? fd : ar_read_module_fd(fd, src, buf, len, err);
}

int ar_decompress_fd(int fd, const char *src, int dst, uint64_t *bytes, struct mk_err *err)
{
	_cleanup_(archive_readp) struct archive *a = archive_read_new();
	uint64_t dummy = 0;
	int r;

	r = open_raw(a, fd, src, err);
	if (r < 0)
		return r;
	/* The raw format takes anything; only filter 0 being a decompressor counts. */
	if (archive_filter_count(a) < 2)
		return mk_errf(err, -EINVAL, "%s: not xz, zstd or gzip data", src);
	return pump(a, src, dst, bytes ? bytes : &dummy, err);
}

int ar_decompress(const char *src, int dst, uint64_t *bytes, struct mk_err *err)
{
	_cleanup_close_ int fd = open_path(src, err);

	return fd < 0 ? fd : ar_decompress_fd(fd, src, dst, bytes, err);
}
