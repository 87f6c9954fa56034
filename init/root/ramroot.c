// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The OS in the initramfs (LinuxKit's kernel+initrd): no root= to look for, but an init in
 * the image itself. The kernel's rootfs cannot be pivot_root(2)ed away from, which container
 * runtimes need, so the image moves into a fresh tmpfs that then becomes the root through
 * switch_root(), exactly as a disk would.
 *
 * Moved, not copied: rename(2) cannot cross filesystems, so each file is copied and its
 * original unlinked at once, and the RAM is never held twice. A look through the tree first
 * counts what there is, so a tmpfs too small is said before anything moves; a move that
 * fails half way moves everything back, and the initramfs (with its rescue shell) is whole.
 * Both walks are on directory fds (openat, unlinkat), never follow a symlink, stay on the
 * initramfs's device and go at most RAMROOT_MAX_DEPTH directories deep, two fds a level.
 * What files made at run time by hooks have is kept: hard links (a group whole, even after a
 * move back), holes, and the extended attributes of files and directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "root/root.h"

#define PAGE 4096ULL

/* A hard link already moved: the source inode, and where its first link went. */
struct link {
	ino_t ino;
	char path[];
};

static int link_cmp(const void *a, const void *b)
{
	ino_t x = ((const struct link *)a)->ino, y = ((const struct link *)b)->ino;

	return x < y ? -1 : x > y;
}

/*
 * The destination path of inode @ino if a link to it was seen, else NULL after noting @path
 * for it when it has more links (@nlink). While the walk runs no inode is created on the
 * source side, so an inode number still alive there always names the same file.
 */
static const char *link_seen(void **tree, ino_t ino, nlink_t nlink, const char *path)
{
	struct link key = { .ino = ino }, *l, **found = tfind(&key, tree, link_cmp);

	if (found)
		return (*found)->path;
	if (nlink < 2)
		return NULL;
	l = malloc(sizeof(*l) + strlen(path) + 1);
	if (!l)
		return NULL; /* copied instead of linked: more memory, nothing lost */
	l->ino = ino;
	strcpy(l->path, path);
	if (!tsearch(l, tree, link_cmp))
		free(l);
	return NULL;
}

static void links_free(void **tree)
{
	tdestroy(*tree, free);
	*tree = NULL;
}

static bool skipped(const char *const *skip, const char *name)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, name))
			return true;
	return false;
}

struct scan {
	dev_t dev;
	const char *const *skip;
	void *links;
	struct tree_stats st;
};

static int scan_dir(struct scan *s, int fd, unsigned int depth)
{
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	if (depth > s->st.depth)
		s->st.depth = depth;
	while (r == 0 && (de = readdir(dir))) {
		struct stat st;
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (depth == 0 && skipped(s->skip, de->d_name)))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (st.st_dev != s->dev) {
			s->st.files += S_ISDIR(st.st_mode); /* a mount point: its directory only */
			continue;
		}
		s->st.files++;
		if (S_ISREG(st.st_mode) && !link_seen(&s->links, st.st_ino, st.st_nlink, "-"))
			s->st.bytes += ((unsigned long long)st.st_size + PAGE - 1) / PAGE * PAGE;
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth + 1 >= RAMROOT_MAX_DEPTH) {
			r = -ELOOP;
			break;
		}
		sub = openat(dirfd(dir), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = sub < 0 ? -errno : scan_dir(s, sub, depth + 1);
	}
	closedir(dir);
	return r;
}

/*
 * Count what lives under @dirfd (not consumed) on device @dev, leaving out the names in
 * @skip (NULL-terminated) at the top: files of every kind, the bytes of regular files in
 * pages as tmpfs holds them (a hard-linked file once), and how deep it goes. -ELOOP when
 * deeper than RAMROOT_MAX_DEPTH, else 0 or -errno.
 */
int tree_scan(int dirfd, dev_t dev, const char *const *skip, struct tree_stats *st)
{
	struct scan s = { .dev = dev, .skip = skip };
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3), r;

	if (fd < 0)
		return -errno;
	/* the descriptor shares its offset with @dirfd: read the directory from its start */
	(void)lseek(fd, 0, SEEK_SET);
	r = scan_dir(&s, fd, 0);
	links_free(&s.links);
	*st = s.st;
	return r;
}

/* the metadata of @st on the new entry (@name in @fd, or @fd itself): owner first, as chown
 * clears set-id bits */
static int set_attrs(int fd, const char *name, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (!name) {
		if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
		    futimens(fd, ts) < 0)
			return -errno;
		return 0;
	}
	if (fchownat(fd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	/* a symlink has no mode of its own to set */
	if (!S_ISLNK(st->st_mode) && fchmodat(fd, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	if (utimensat(fd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Extended attribute @name of @in on @out; 0 or -errno. */
static int copy_xattr(int in, int out, const char *name)
{
	_cleanup_free_ char *val = NULL;
	ssize_t n = fgetxattr(in, name, NULL, 0);

	if (n < 0)
		return -errno;
	val = malloc(n ? (size_t)n : 1);
	if (!val)
		return -ENOMEM;
	n = fgetxattr(in, name, val, (size_t)n);
	if (n < 0)
		return -errno;
	return fsetxattr(out, name, val, (size_t)n, 0) < 0 ? -errno : 0;
}

/*
 * Every extended attribute of @in on @out (user.*, security.capability, ACLs): 0 or -errno.
 * One the destination does not take (a tmpfs before Linux 6.6 has no user.*; trusted.*
 * without CAP_SYS_ADMIN) is counted in @lost for the caller to say, not fatal.
 */
static int copy_xattrs(int in, int out, unsigned long long *lost)
{
	_cleanup_free_ char *list = NULL;
	ssize_t len = flistxattr(in, NULL, 0);
	char *name;
	int r;

	if (len <= 0)
		return len < 0 && errno != EOPNOTSUPP ? -errno : 0;
	list = malloc((size_t)len);
	if (!list)
		return -ENOMEM;
	len = flistxattr(in, list, (size_t)len);
	if (len < 0)
		return -errno;
	for (name = list; name < list + len; name += strlen(name) + 1) {
		r = copy_xattr(in, out, name);
		if (r == -EOPNOTSUPP || r == -EPERM)
			(*lost)++;
		else if (r < 0)
			return r;
	}
	return 0;
}

struct mover {
	const struct tree_move_opts *o;
	int dstroot;
	void *links;
	char path[PATH_MAX]; /* relative to both tops: where the walk is */
	size_t len;
	struct tree_stats done;
	char **later; /* hard links to unlink once all has moved (relative paths) */
	size_t nlater, caplater;
};

/* A regular file: linked to a copy made already, or copied; 0, or -errno. */
static int move_file(struct mover *m, int src, int dst, const char *name, const struct stat *st)
{
	const char *first = link_seen(&m->links, st->st_ino, st->st_nlink, m->path);
	int in, out, r;

	if (first) {
		if (linkat(m->dstroot, first, dst, name, 0) == 0)
			return 0;
		if (errno != EEXIST || !m->o->keep_existing)
			return -errno;
		return 0;
	}
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return errno == EEXIST && m->o->keep_existing ? 0 : -errno;
	in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	r = in < 0 ? -errno : file_copy_data(in, out, st->st_size);
	if (r == 0)
		r = set_attrs(out, NULL, st);
	/* after the owner: chown(2) clears security.capability */
	if (r == 0)
		r = copy_xattrs(in, out, &m->done.xattrs_lost);
	if (in >= 0)
		close(in);
	if (close(out) < 0 && r == 0)
		r = -errno;
	if (r == 0)
		m->done.bytes += (unsigned long long)st->st_size;
	return r;
}

/* A symlink, device node, FIFO or socket: made anew with the same metadata. */
static int move_special(struct mover *m, int src, int dst, const char *name, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;
	int r;

	if (S_ISLNK(st->st_mode)) {
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		r = symlinkat(target, dst, name);
	} else {
		r = mknodat(dst, name, st->st_mode & (S_IFMT | 07777), st->st_rdev);
	}
	if (r < 0)
		return errno == EEXIST && m->o->keep_existing ? 0 : -errno;
	return set_attrs(dst, name, st);
}

static int move_dir(struct mover *m, int src, int dst, unsigned int depth);

static int move_subdir(struct mover *m, int src, int dst, const char *name, const struct stat *st,
		       unsigned int depth)
{
	bool existed = false;
	int s, d, r;

	/* writable while it fills; its own mode once full */
	if (mkdirat(dst, name, 0700) < 0) {
		if (errno != EEXIST)
			return -errno;
		existed = true;
	}
	if (depth + 1 >= RAMROOT_MAX_DEPTH)
		return -ELOOP;
	d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -errno;
	s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = s < 0 ? -errno : 0;
	if (r == 0 && !(existed && m->o->keep_existing))
		r = copy_xattrs(s, d, &m->done.xattrs_lost);
	if (r == 0)
		r = move_dir(m, s, d, depth + 1);
	else if (s >= 0)
		close(s);
	/* moving back: a directory there already (a mount point) keeps its own metadata */
	if (r == 0 && !(existed && m->o->keep_existing))
		r = set_attrs(d, NULL, st);
	close(d);
	return r;
}

/*
 * A hard link is unlinked only once everything has moved: unlinked as it goes, a move that
 * fails half way leaves part of a link group on each side, and the move back makes two files
 * of one. Its data is held twice the while, as it was until the last link moved anyway.
 */
static int unlink_later(struct mover *m)
{
	if (m->nlater == m->caplater) {
		size_t cap = m->caplater ? m->caplater * 2 : 64;
		char **v = realloc(m->later, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->later = v;
		m->caplater = cap;
	}
	m->later[m->nlater] = strdup(m->path);
	if (!m->later[m->nlater])
		return -ENOMEM;
	m->nlater++;
	return 0;
}

/*
 * After a whole move: the hard links left at @srcfd, and the directories they kept (each
 * removed if empty now; one with a mount point inside stays); 0, or -errno naming the path.
 */
static int unlink_now(struct mover *m, int srcfd)
{
	char *slash;
	int r = 0;

	while (m->nlater) {
		char *path = m->later[--m->nlater];

		if (r == 0 && unlinkat(srcfd, path, 0) < 0 && errno != ENOENT) {
			r = -errno;
			snprintf(m->path, sizeof(m->path), "%s", path);
		}
		while (r == 0 && (slash = strrchr(path, '/'))) {
			*slash = '\0';
			if (unlinkat(srcfd, path, AT_REMOVEDIR) < 0)
				break;
		}
		free(path);
	}
	return r;
}

/* One entry of @src (a directory on the device being moved) into @dst. */
static int move_entry(struct mover *m, int src, int dst, const char *name, unsigned int depth)
{
	size_t len = m->len, n = strlen(name);
	struct stat st;
	int r;

	if (len + n + 2 > sizeof(m->path))
		return -ENAMETOOLONG;
	if (len)
		m->path[m->len++] = '/';
	memcpy(m->path + m->len, name, n + 1);
	m->len += n;
	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != m->o->dev) {
		/* a mount point (/dev, /proc): its directory, for switch_root to move it onto */
		r = S_ISDIR(st.st_mode) && mkdirat(dst, name, st.st_mode & 07777) < 0 &&
				    errno != EEXIST
			    ? -errno
			    : 0;
		goto out;
	}
	if (S_ISDIR(st.st_mode))
		r = move_subdir(m, src, dst, name, &st, depth);
	else if (S_ISREG(st.st_mode))
		r = move_file(m, src, dst, name, &st);
	else
		r = move_special(m, src, dst, name, &st);
	if (r < 0)
		return r; /* m->path says where */
	m->done.files++;
	if (m->o->unlink && S_ISREG(st.st_mode) && st.st_nlink > 1)
		r = unlink_later(m);
	/* a directory with a mount point inside stays (EBUSY, ENOTEMPTY): switch_root frees it */
	else if (m->o->unlink && unlinkat(src, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 &&
		 errno != EBUSY && errno != ENOTEMPTY)
		r = -errno;
	if (r < 0)
		return r;
out:
	m->len = len;
	m->path[len] = '\0';
	return r;
}

/* @src is consumed, @dst is not. */
static int move_dir(struct mover *m, int src, int dst, unsigned int depth)
{
	DIR *dir = fdopendir(src);
	struct dirent *de;
	int r = 0;

	if (!dir) {
		r = -errno;
		close(src);
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (depth == 0 && skipped(m->o->skip, de->d_name)))
			continue;
		r = move_entry(m, dirfd(dir), dst, de->d_name, depth);
	}
	closedir(dir);
	return r;
}

/*
 * Move what lives under @srcfd on device @o->dev into @dstfd (neither consumed), leaving out
 * the names in @o->skip at the top: directories, regular files (hard links kept), symlinks,
 * device nodes, FIFOs and sockets, each with its owner, mode and times; a directory on
 * another device only as an empty directory. With @o->unlink each source is removed as soon
 * as it has been copied. With @o->keep_existing (moving back) what the destination has
 * already, its top included, stays as it is and the source's copy is dropped. Stops at the first
 * error: -errno, with @where (PATH_MAX bytes, or NULL) naming the entry; what moved stays moved.
 * @done (or NULL) counts what moved.
 */
int tree_move(int srcfd, int dstfd, const struct tree_move_opts *o, struct tree_stats *done,
	      char *where)
{
	struct mover *m = calloc(1, sizeof(*m));
	struct stat top;
	int fd, r;

	if (!m)
		return -ENOMEM;
	m->o = o;
	m->dstroot = dstfd;
	fd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || fstat(srcfd, &top) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		free(m);
		return r;
	}
	(void)lseek(fd, 0, SEEK_SET);
	r = move_dir(m, fd, dstfd, 0);
	if (r == 0 && !o->keep_existing)
		r = set_attrs(dstfd, NULL, &top);
	if (r == 0)
		r = unlink_now(m, srcfd);
	while (m->nlater)
		free(m->later[--m->nlater]);
	free(m->later);
	if (where)
		snprintf(where, PATH_MAX, "%s", m->path);
	if (done)
		*done = m->done;
	links_free(&m->links);
	free(m);
	return r;
}

/* Why the OS runs from the initramfs, for the log; NULL when it does not (root= names a disk). */
static const char *ram_reason(const struct rdinit_opts *o)
{
	if (o->ram)
		return "rdinit.mode=ram";
	if (!o->root)
		return "no root=";
	return strcmp(o->root, "ram") ? NULL : "root=ram";
}

/* @cand, found by init_resolve() under @root, is rdinit's own binary @self */
static bool is_self(const char *root, const char *cand, const char *self)
{
	struct stat a, b;
	int fd = open_in_root(root, cand, O_PATH);
	bool same;

	if (fd < 0)
		return false;
	same = fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
	close(fd);
	return same;
}

/*
 * Is the OS in the initramfs @root? With root=ram or rdinit.mode=ram it must be; without
 * root= it is when the image holds an init other than rdinit (@self): init= if given, else
 * /sbin/init, /etc/init or /bin/init. /bin/sh counts only when asked for: mkrdinit --shell
 * puts a rescue shell there, which is no OS. Returns 1 with the init's path in @init, 0 for
 * the search for a root device (which says there is no root=, as it always has), or -ENOENT
 * when root=ram finds no init, said with what was looked for and what was seen.
 */
int ramroot_find(const struct rdinit_opts *o, const char *root, const char *self, char *init,
		 size_t initlen)
{
	static const char *const chain[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };
	const char *why = ram_reason(o);
	bool asked = why && strcmp(why, "no root=");
	size_t i, n = o->init ? 1 : asked ? 4 : 3, len = 0;
	char saw[1024] = "";

	if (!why)
		return 0;
	for (i = 0; i < n; i++) {
		const char *cand = o->init ? o->init : chain[i];
		int r = init_resolve(root, cand, init, initlen);

		if (r == 0 && !is_self(root, cand, self))
			return 1;
		len += (size_t)snprintf(saw + len, len < sizeof(saw) ? sizeof(saw) - len : 0,
					"%s%s: %s", i ? ", " : "", cand,
					r ? strerror(-r) : "rdinit itself");
	}
	if (asked) {
		log_console("%s: no init in the initramfs to run: saw %s", why, saw);
		return -ENOENT;
	}
	if (o->init)
		log_console("no root=, and init= is not in the initramfs (%s)", saw);
	else
		log_debug("no root=, and no OS in the initramfs (%s)", saw);
	return 0;
}

#define MIB(x) ((x) / (1024 * 1024))

/* An empty tmpfs on @dir, big enough for @st: 0, or -errno (said). */
static int mount_tmpfs(const struct rdinit_opts *o, const char *why, const char *dir,
		       const struct tree_stats *st)
{
	char opts[128];
	struct statfs sfs;

	snprintf(opts, sizeof(opts), "mode=0755%s%s", o->ramsize ? ",size=" : "",
		 o->ramsize ? o->ramsize : "");
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    mount("tmpfs", dir, "tmpfs", 0, opts) < 0) {
		int r = -errno;

		log_console("%s: mounting a tmpfs (%s) on %s: %s", why, opts, dir, strerror(-r));
		return r;
	}
	if (statfs(dir, &sfs) == 0 &&
	    (st->bytes > (unsigned long long)sfs.f_bavail * (unsigned long long)sfs.f_bsize ||
	     st->files > (unsigned long long)sfs.f_ffree)) {
		log_console("%s: the initramfs holds %llu MiB in %llu files; a tmpfs of %llu MiB "
			    "and %llu inodes (rdinit.ramsize=%s) cannot take them",
			    why, MIB(st->bytes), st->files,
			    MIB((unsigned long long)sfs.f_bavail * sfs.f_bsize),
			    (unsigned long long)sfs.f_ffree, o->ramsize ? o->ramsize : "");
		(void)umount2(dir, MNT_DETACH);
		return -ENOSPC;
	}
	return 0;
}

/* After a failed move or switch: everything back into the initramfs, the tmpfs gone. */
static void move_back(int rootfd, int ramfd, const char *dir)
{
	struct tree_move_opts back = { .unlink = true, .keep_existing = true };
	char where[PATH_MAX];
	struct stat st;
	int r = fstat(ramfd, &st) < 0 ? -errno : 0;

	back.dev = st.st_dev;
	if (r == 0)
		r = tree_move(ramfd, rootfd, &back, NULL, where);
	if (r < 0)
		log_console("moving /%s back into the initramfs: %s; the initramfs is incomplete",
			    where, strerror(-r));
	close(ramfd);
	if (umount2(dir, MNT_DETACH) < 0)
		log_warn("unmounting %s: %m", dir);
}

/*
 * The switch for an OS in the initramfs: the image (less rdinit's own /init) moves into a
 * fresh tmpfs on @dir, which switch_root() makes the root with the API mounts moved into
 * it, as a disk root. A failure is said, and puts everything back where it was.
 */
int ramroot_switch(const struct rdinit_opts *o, const char *dir)
{
	const char *why = ram_reason(o) ? ram_reason(o) : "rdinit.mode=ram";
	const char *skip[] = { dir + 1, NULL, NULL };
	struct tree_move_opts mo = { .skip = skip, .unlink = !o->keep_initramfs };
	struct tree_stats st, done;
	char where[PATH_MAX];
	int rootfd, ramfd, r;
	struct stat top;

	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fstat(rootfd, &top) < 0) {
		r = -errno;
		log_console("%s: opening the initramfs: %m", why);
		if (rootfd >= 0)
			close(rootfd);
		return r;
	}
	mo.dev = top.st_dev;
	/* rdinit's own binary stays behind: the real system has no use for it */
	if (is_self("/", "/init", "/proc/self/exe"))
		skip[1] = "init";
	r = tree_scan(rootfd, mo.dev, skip, &st);
	if (r < 0) {
		if (r == -ELOOP)
			log_console("%s: the initramfs goes deeper than %d directories", why,
				    RAMROOT_MAX_DEPTH);
		else
			log_console("%s: looking through the initramfs: %s", why, strerror(-r));
		close(rootfd);
		return r;
	}
	r = mount_tmpfs(o, why, dir, &st);
	if (r < 0) {
		close(rootfd);
		return r;
	}
	log_info("%s: running the OS in the initramfs from a tmpfs (%llu files, %llu MiB)", why,
		 st.files, MIB(st.bytes));
	ramfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = ramfd < 0 ? -errno : tree_move(rootfd, ramfd, &mo, &done, where);
	if (r < 0) {
		log_console("%s: moving /%s into the tmpfs: %s; moving it all back", why, where,
			    strerror(-r));
	} else {
		log_debug("moved %llu files, %llu bytes into %s", done.files, done.bytes, dir);
		if (done.xattrs_lost)
			log_warn("%s: %llu extended attributes left behind: the tmpfs on %s does "
				 "not take them",
				 why, done.xattrs_lost, dir);
		r = switch_root(dir, o->keep_initramfs);
	}
	if (r < 0 && ramfd >= 0)
		move_back(rootfd, ramfd, dir);
	else if (ramfd >= 0)
		close(ramfd);
	else
		(void)umount2(dir, MNT_DETACH);
	close(rootfd);
	return r;
}
