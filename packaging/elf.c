// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Shared-library closure of ELF programs, read from the files (no ldd: that
 * runs the program's loader, and the program may be for another machine).
 * 64-bit little-endian ELF only, which is what rdinit images run.
 *
 * A reader of our own rather than elfutils' libelf: it needs the program
 * headers, PT_INTERP and four dynamic tags, about 150 lines, and libelf would
 * be one more build dependency for that.  The price is that it must be as
 * careful as a library: every header is copied out before use (no alignment
 * assumed), every offset checked against the file's size, and repeated
 * entries handled the way the kernel and glibc do.  tests/unit/test_elf.c and
 * tests/fuzz/fuzz_elf.c hold it to that.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "cleanup.h"

struct map {
	const unsigned char *p;
	size_t size;
};

static void unmapp(struct map *m)
{
	if (m->p)
		(void)munmap((void *)m->p, m->size);
}

void elf_info_free(struct elf_info *e)
{
	for (size_t i = 0; i < e->n_needed; i++)
		free(e->needed[i]);
	free(e->needed);
	free(e->interp);
	free(e->rpath);
	free(e->runpath);
	*e = (struct elf_info){ 0 };
}

void elf_set_free(struct elf_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->paths[i]);
		free(set->names[i]);
	}
	free(set->paths);
	free(set->names);
	set->paths = set->names = NULL;
	set->n = set->cap = 0;
}

static bool set_has(const struct elf_set *set, const char *path)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->paths[i], path))
			return true;
	return false;
}

/*
 * @name relative to "/", lexically normalized ("./a//b/../c" is "a/c"): a
 * relative DT_NEEDED is opened from the loader's working directory, which
 * in the initramfs is "/", and ".." at "/" stays there.  NULL for "/".
 */
static char *image_name(const char *name)
{
	char *out = malloc(strlen(name) + 1), *o = out;

	if (!out)
		return NULL;
	errno = 0;
	while (*name) {
		size_t len = strcspn(name, "/");

		if (len == 2 && !strncmp(name, "..", 2)) {
			while (o > out && *--o != '/')
				;
		} else if (len && !(len == 1 && *name == '.')) {
			if (o > out)
				*o++ = '/';
			memcpy(o, name, len);
			o += len;
		}
		name += len + (name[len] == '/');
	}
	*o = '\0';
	if (o == out) {
		free(out);
		errno = EINVAL;
		return NULL;
	}
	return out;
}

/*
 * Add the host file @path, to be stored as @name (see image_name()).
 * Returns 1 when added, 0 when it was there already.
 */
static int set_add(struct elf_set *set, const char *path, const char *name)
{
	if (set_has(set, path))
		return 0;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		char **v = reallocarray(set->paths, cap, sizeof(*v)), **w;

		if (!v)
			return -ENOMEM;
		set->paths = v;
		w = reallocarray(set->names, cap, sizeof(*w));
		if (!w)
			return -ENOMEM;
		set->names = w;
		set->cap = cap;
	}
	set->paths[set->n] = strdup(path);
	set->names[set->n] = image_name(name);
	if (!set->paths[set->n] || !set->names[set->n]) {
		/* image_name() fails for "/" (or no memory); strdup() only for memory */
		int r = set->paths[set->n] && errno != ENOMEM ? -EINVAL : -ENOMEM;

		free(set->paths[set->n]);
		free(set->names[set->n]);
		return r;
	}
	set->n++;
	return 1;
}

static int map_file(struct map *m, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	void *p;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size < sizeof(Elf64_Ehdr))
		return -ENOEXEC;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->p = p;
	m->size = (size_t)st.st_size;
	return 0;
}

/*
 * Headers are copied out of the file, never read in place: nothing obliges
 * e_phoff or a PT_DYNAMIC's p_offset to be aligned, and a misaligned
 * Elf64_Phdr access is undefined behaviour.
 */
static void get_phdr(const struct map *m, const Elf64_Ehdr *eh, size_t i, Elf64_Phdr *ph)
{
	memcpy(ph, m->p + eh->e_phoff + i * sizeof(*ph), sizeof(*ph));
}

/* File offset of virtual address @addr, through the PT_LOAD segments. */
static int vaddr_to_off(const struct map *m, const Elf64_Ehdr *eh, uint64_t addr, uint64_t *off)
{
	Elf64_Phdr ph;

	for (size_t i = 0; i < eh->e_phnum; i++) {
		get_phdr(m, eh, i, &ph);
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_filesz) {
			*off = addr - ph.p_vaddr + ph.p_offset;
			return *off < m->size ? 0 : -ENOEXEC;
		}
	}
	return -ENOEXEC;
}

/* A NUL-terminated string at @off, or NULL if it runs off the file. */
static const char *str_at(const struct map *m, uint64_t off)
{
	if (off >= m->size || !memchr(m->p + off, '\0', m->size - off))
		return NULL;
	return (const char *)m->p + off;
}

/* $ORIGIN (and ${ORIGIN}) is the directory of the object itself. */
static char *expand_origin(const char *list, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *out = NULL, *slash;
	size_t len = 0;
	FILE *f;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	while (*list) {
		if (!strncmp(list, "$ORIGIN", 7) || !strncmp(list, "${ORIGIN}", 9)) {
			fputs(dir, f);
			list += list[1] == '{' ? 9 : 7;
		} else {
			fputc(*list++, f);
		}
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int add_needed(struct elf_info *e, const char *name)
{
	char **v = reallocarray(e->needed, e->n_needed + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	e->needed = v;
	e->needed[e->n_needed] = strdup(name);
	if (!e->needed[e->n_needed])
		return -ENOMEM;
	e->n_needed++;
	return 0;
}

/* glibc's loader keeps the last DT_RPATH and DT_RUNPATH it meets; so do we. */
static int set_search_path(char **slot, const char *list, const char *path)
{
	char *v = expand_origin(list, path);

	if (!v)
		return -ENOMEM;
	free(*slot);
	*slot = v;
	return 0;
}

static int read_dyn_entry(struct elf_info *e, const struct map *m, const Elf64_Dyn *d,
			  uint64_t strtab, const char *path)
{
	uint64_t off = strtab + d->d_un.d_val;
	const char *s;

	if (d->d_tag != DT_NEEDED && d->d_tag != DT_RPATH && d->d_tag != DT_RUNPATH)
		return 0;
	s = off >= strtab ? str_at(m, off) : NULL;
	if (!s)
		return -ENOEXEC;
	if (d->d_tag == DT_NEEDED)
		return add_needed(e, s);
	return set_search_path(d->d_tag == DT_RPATH ? &e->rpath : &e->runpath, s, path);
}

static int read_dynamic(struct elf_info *e, const struct map *m, const Elf64_Ehdr *eh,
			const Elf64_Phdr *dyn, const char *path)
{
	size_t nd = dyn->p_filesz / sizeof(Elf64_Dyn);
	uint64_t strtab = 0;
	Elf64_Dyn d;
	int r;

	if (dyn->p_offset > m->size || dyn->p_filesz > m->size - dyn->p_offset)
		return -ENOEXEC;
	for (size_t i = 0; i < nd; i++) {
		memcpy(&d, m->p + dyn->p_offset + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag == DT_STRTAB)
			(void)vaddr_to_off(m, eh, d.d_un.d_ptr, &strtab);
	}
	if (!strtab)
		return 0;
	for (size_t i = 0; i < nd; i++) {
		memcpy(&d, m->p + dyn->p_offset + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		r = read_dyn_entry(e, m, &d, strtab, path);
		if (r < 0)
			return r;
	}
	return 0;
}

int elf_parse(struct elf_info *e, const void *buf, size_t size, const char *path)
{
	const struct map m = { .p = buf, .size = size };
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int r;

	*e = (struct elf_info){ 0 };
	if (size < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, buf, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_phentsize != sizeof(ph) ||
	    eh.e_phoff > size || (size_t)eh.e_phnum * sizeof(ph) > size - eh.e_phoff)
		return -ENOEXEC;
	e->machine = eh.e_machine;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		get_phdr(&m, &eh, i, &ph);
		/* the kernel maps the first PT_INTERP and ignores any other */
		if (ph.p_type == PT_INTERP && !e->interp) {
			const char *s = str_at(&m, ph.p_offset);

			if (!s)
				return -ENOEXEC;
			e->interp = strdup(s);
			if (!e->interp)
				return -ENOMEM;
		} else if (ph.p_type == PT_DYNAMIC) {
			r = read_dynamic(e, &m, &eh, &ph, path);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int elf_kind_parse(struct elf_kind *k, const void *buf, size_t size)
{
	const unsigned char *p = buf;

	/* e_ident, e_type, e_machine: the same 20 bytes in every class */
	if (size < EI_NIDENT + 4 || memcmp(p, ELFMAG, SELFMAG))
		return -ENOEXEC;
	k->class = p[EI_CLASS];
	k->data = p[EI_DATA];
	if ((k->class != ELFCLASS32 && k->class != ELFCLASS64) ||
	    (k->data != ELFDATA2LSB && k->data != ELFDATA2MSB))
		return -ENOEXEC;
	if (k->data == ELFDATA2LSB)
		k->machine = (uint16_t)(p[EI_NIDENT + 2] | p[EI_NIDENT + 3] << 8);
	else
		k->machine = (uint16_t)(p[EI_NIDENT + 2] << 8 | p[EI_NIDENT + 3]);
	return 0;
}

int elf_kind_read(struct elf_kind *k, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	unsigned char buf[EI_NIDENT + 4];
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return elf_kind_parse(k, buf, got) == 0 ? 1 : 0;
}

bool elf_kind_is(const struct elf_kind *k, uint16_t machine)
{
	return k->class == ELFCLASS64 && k->data == ELFDATA2LSB && k->machine == machine;
}

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

/* The machines one may meet, named as file(1) does, each with its usual class and order. */
static const struct machine_name {
	uint16_t machine;
	unsigned char class, data;
	const char *article, *name;
} machine_names[] = {
	{ EM_X86_64, ELFCLASS64, ELFDATA2LSB, "an", "x86-64" },
	{ EM_AARCH64, ELFCLASS64, ELFDATA2LSB, "an", "aarch64" },
	{ EM_386, ELFCLASS32, ELFDATA2LSB, "an", "i386" },
	{ EM_ARM, ELFCLASS32, ELFDATA2LSB, "an", "ARM" },
	{ EM_RISCV, ELFCLASS64, ELFDATA2LSB, "a", "RISC-V" },
	{ EM_PPC64, ELFCLASS64, ELFDATA2LSB, "a", "64-bit PowerPC" },
	{ EM_PPC, ELFCLASS32, ELFDATA2MSB, "a", "PowerPC" },
	{ EM_S390, ELFCLASS64, ELFDATA2MSB, "an", "IBM S/390" },
	{ EM_MIPS, ELFCLASS32, ELFDATA2LSB, "a", "MIPS" },
	{ EM_LOONGARCH, ELFCLASS64, ELFDATA2LSB, "a", "LoongArch" },
};

const char *elf_kind_describe(const struct elf_kind *k, const char *noun, char *buf, size_t size)
{
	const struct machine_name *m = NULL;
	bool odd_class, odd_data;

	for (size_t i = 0; i < sizeof(machine_names) / sizeof(machine_names[0]); i++)
		if (machine_names[i].machine == k->machine)
			m = &machine_names[i];
	if (!m) {
		(void)snprintf(buf, size, "a %s for ELF machine %u", noun, k->machine);
		return buf;
	}
	/* a class or byte order unusual for the machine is said: "a 32-bit x86-64 program" */
	odd_class = k->class != m->class;
	odd_data = k->data != m->data;
	if (!odd_class && !odd_data)
		(void)snprintf(buf, size, "%s %s %s", m->article, m->name, noun);
	else
		(void)snprintf(buf, size, "a %s%s%s %s",
			       !odd_data		? ""
			       : k->data == ELFDATA2MSB ? "big-endian "
							: "little-endian ",
			       !odd_class		? ""
			       : k->class == ELFCLASS32 ? "32-bit "
							: "64-bit ",
			       m->name, noun);
	return buf;
}

/*
 * -ENOEXEC, recorded as "WHAT PATH: an x86-64 NOUN, but the image is for ARCH", when @path
 * is an ELF object for another machine than @machine; 0 for one of @machine or a file that
 * is no ELF; -errno, not recorded, when it cannot be read.
 */
static int other_machine(const char *what, const char *path, const char *noun, uint16_t machine,
			 const char *arch, struct mk_err *err)
{
	struct elf_kind k;
	char desc[128];
	int r = elf_kind_read(&k, path);

	if (r <= 0 || elf_kind_is(&k, machine))
		return r < 0 ? r : 0;
	return mk_errf(err, -ENOEXEC, "%s %s: %s, but the image is for %s", what, path,
		       elf_kind_describe(&k, noun, desc, sizeof(desc)), arch);
}

int elf_check_machine(const char *what, const char *path, uint16_t machine, const char *arch,
		      struct mk_err *err)
{
	int r = other_machine(what, path, "program", machine, arch, err);

	if (r < 0 && r != -ENOEXEC)
		return mk_errf(err, r, "cannot use %s %s: %s", what, path, strerror(-r));
	return r;
}

static int read_elf(struct elf_info *e, const char *path)
{
	_cleanup_(unmapp) struct map m = { 0 };
	int r;

	*e = (struct elf_info){ 0 };
	r = map_file(&m, path);
	if (r < 0)
		return r;
	return elf_parse(e, m.p, m.size, path);
}

/* Is @path a 64-bit ELF object for @machine?  (Multilib dirs hold others.) */
static bool elf_matches(const char *path, uint16_t machine)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	Elf64_Ehdr eh;

	return fd >= 0 && read(fd, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) &&
	       !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_machine == machine;
}

/* Append the dirs of one ld.so.conf file, following "include GLOB". */
static int read_ldconf(FILE *out, const char *root, const char *file, int depth)
{
	_cleanup_free_ char *path = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0;

	if (depth > 4 || asprintf(&path, "%s%s", root, file) < 0)
		return depth > 4 ? 0 : -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *s = line + strspn(line, " \t");

		s[strcspn(s, "#\n")] = '\0';
		if (!strncmp(s, "include", 7) && (s[7] == ' ' || s[7] == '\t')) {
			_cleanup_free_ char *pat = NULL;
			glob_t g = { 0 };

			s += 7 + strspn(s + 7, " \t");
			if (asprintf(&pat, "%s%s", root, s) < 0)
				return -ENOMEM;
			if (glob(pat, 0, NULL, &g) == 0)
				for (size_t i = 0; i < g.gl_pathc; i++)
					(void)read_ldconf(out, "", g.gl_pathv[i], depth + 1);
			globfree(&g);
		} else if (*s == '/') {
			fprintf(out, ":%s", s);
		}
	}
	return 0;
}

/* ld.so.conf's dirs then the defaults, as a colon list (what ld.so.cache holds). */
static char *system_dirs(const char *root)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	(void)read_ldconf(f, root, "/etc/ld.so.conf", 0);
	fputs(":/lib64:/usr/lib64:/lib:/usr/lib", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static char *search(const char *list, const char *root, const char *name, uint16_t machine)
{
	_cleanup_free_ char *copy = list ? strdup(list) : NULL;
	char *save = NULL;

	if (!copy)
		return NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *path;

		if (asprintf(&path, "%s%s/%s", root, d, name) < 0)
			return NULL;
		if (elf_matches(path, machine))
			return path;
		free(path);
	}
	return NULL;
}

/*
 * glibc's order: DT_RPATH (unless DT_RUNPATH), DT_RUNPATH, the system dirs.
 * A name with a slash is opened as it is, from the loader's working
 * directory when relative: that directory is the initramfs' "/" at run
 * time, and on the host we take the needing object's own directory, where
 * "gcc prog.c ./libx.so" left the library.  *@host is the file to read,
 * *@name where the image stores it.
 */
static int find_lib(const struct elf_info *e, const char *root, const char *sys, const char *obj,
		    const char *needed, char **host, const char **name)
{
	const char *slash = strrchr(obj, '/');

	*host = NULL;
	*name = needed;
	if (needed[0] == '/')
		return asprintf(host, "%s%s", root, needed) < 0 ? -ENOMEM : 0;
	if (strchr(needed, '/'))
		return asprintf(host, "%.*s/%s", (int)(slash - obj), obj, needed) < 0 ? -ENOMEM : 0;
	if (e->rpath && !e->runpath)
		*host = search(e->rpath, "", needed, e->machine);
	if (!*host && e->runpath)
		*host = search(e->runpath, "", needed, e->machine);
	if (!*host)
		*host = search(sys, root, needed, e->machine);
	if (!*host)
		return -ENOENT;
	/* a path found under @root is stored at its place in the target */
	*name = !strncmp(*host, root, strlen(root)) ? *host + strlen(root) : *host;
	return 0;
}

static int collect_one(struct elf_set *set, const char *root, const char *sys, const char *path,
		       const char *noun, struct mk_err *err);

/* Add the needed object (@host, stored as @name) and, the first time, its own needs. */
static int collect_dep(struct elf_set *set, const char *root, const char *sys, const char *host,
		       const char *name, struct mk_err *err)
{
	int r = set_add(set, host, name);

	if (r == -EINVAL)
		return mk_errf(err, r, "--install: %s: not a file name", name);
	if (r > 0)
		r = collect_one(set, root, sys, host, "library", err);
	return r;
}

static int collect_one(struct elf_set *set, const char *root, const char *sys, const char *path,
		       const char *noun, struct mk_err *err)
{
	struct elf_info e = { 0 };
	int r;

	/*
	 * An ELF object of another machine is named as such; a file that cannot be read, or
	 * is no ELF, read_elf() refuses.  Libraries are searched for by machine, but the
	 * interpreter and a DT_NEEDED path are taken as they are.
	 */
	r = other_machine("--install", path, noun, set->machine, set->arch, err);
	if (r == -ENOEXEC)
		return r;
	r = read_elf(&e, path);
	if (r < 0) {
		elf_info_free(&e);
		return mk_errf(err, r, "--install %s: %s", path,
			       r == -ENOEXEC ? "not a 64-bit little-endian ELF file"
					     : strerror(-r));
	}
	if (e.interp) {
		_cleanup_free_ char *host = NULL;

		r = asprintf(&host, "%s%s", root, e.interp) < 0 ? -ENOMEM : 0;
		if (r == 0)
			r = collect_dep(set, root, sys, host, e.interp, err);
	}
	for (size_t i = 0; r >= 0 && i < e.n_needed; i++) {
		_cleanup_free_ char *host = NULL;
		const char *name;

		r = find_lib(&e, root, sys, path, e.needed[i], &host, &name);
		if (r == -ENOENT)
			r = mk_errf(err, r, "--install %s: needed library %s not found", path,
				    e.needed[i]);
		if (r == 0)
			r = collect_dep(set, root, sys, host, name, err);
	}
	elf_info_free(&e);
	return r < 0 ? r : 0;
}

int elf_collect(struct elf_set *set, const char *root, const char *prog, struct mk_err *err)
{
	_cleanup_free_ char *sys = NULL;
	int r;

	if (!set->machine || !set->arch)
		return -EINVAL;
	if (!strcmp(root, "/"))
		root = "";
	if (prog[0] != '/')
		return mk_errf(err, -EINVAL, "--install %s: not an absolute path", prog);
	sys = system_dirs(root);
	if (!sys)
		return -ENOMEM;
	r = set_add(set, prog, prog);
	if (r <= 0)
		return r == -EINVAL ? mk_errf(err, r, "--install %s: not a file", prog) : r;
	return collect_one(set, root, sys, prog, "program", err);
}
