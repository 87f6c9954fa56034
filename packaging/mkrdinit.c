// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * mkrdinit: pack rdinit, a module closure and its firmware into a newc cpio
 * initramfs.
 *
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "arch.h"
#include "archive.h"
#include "cleanup.h"
#include "closure.h"
#include "image.h"
#include "inputs.h"
#include "mkerr.h"
#include "modcomp.h"
#include "modsets.h"
#include "plan.h"
#include "stacks.h"
#include "stages.h"
#include "target.h"

#ifndef RDINIT_CONF_DIR
#define RDINIT_CONF_DIR "/usr/share/rdinit/conf"
#endif
#ifndef RDINIT_MODULES_DIR
#define RDINIT_MODULES_DIR "/usr/share/rdinit/modules"
#endif

enum {
	OPT_INIT = 256,
	OPT_COMPRESS,
	OPT_LEVEL,
	OPT_MODULES_DIR,
	OPT_PROFILE,
	OPT_OMIT,
	OPT_INSTALL,
	OPT_INCLUDE,
	OPT_SHELL,
	OPT_MICROCODE,
	OPT_KEEP,
	OPT_DECOMPRESS,
	OPT_MODLEVEL,
	OPT_HOOK,
	OPT_STACKS_DIR,
	OPT_OMIT_STACKS,
	OPT_CRYPTTAB,
	OPT_HOST_ROOT,
	OPT_ARCH,
};

static const struct option long_opts[] = {
	{ "kver", required_argument, NULL, 'k' },
	{ "basedir", required_argument, NULL, 'b' },
	{ "arch", required_argument, NULL, OPT_ARCH },
	{ "output", required_argument, NULL, 'o' },
	{ "add-modules", required_argument, NULL, 'a' },
	{ "omit-modules", required_argument, NULL, OPT_OMIT },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "install", required_argument, NULL, OPT_INSTALL },
	{ "include", required_argument, NULL, OPT_INCLUDE },
	{ "hook", required_argument, NULL, OPT_HOOK },
	{ "shell", required_argument, NULL, OPT_SHELL },
	{ "microcode", required_argument, NULL, OPT_MICROCODE },
	{ "compress-level", required_argument, NULL, OPT_LEVEL },
	{ "keep-module-compression", no_argument, NULL, OPT_KEEP },
	{ "decompress-modules", no_argument, NULL, OPT_DECOMPRESS },
	{ "module-level", required_argument, NULL, OPT_MODLEVEL },
	{ "init", required_argument, NULL, OPT_INIT },
	{ "config", required_argument, NULL, 'c' },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "modules-dir", required_argument, NULL, OPT_MODULES_DIR },
	{ "stacks-dir", required_argument, NULL, OPT_STACKS_DIR },
	{ "omit-stacks", required_argument, NULL, OPT_OMIT_STACKS },
	{ "crypttab", required_argument, NULL, OPT_CRYPTTAB },
	/* for tests: a tree with proc/self/mountinfo, sys, dev and etc/crypttab, in place of / */
	{ "host-root", required_argument, NULL, OPT_HOST_ROOT },
	{ "list", required_argument, NULL, 'l' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct args {
	struct image_opts img;
	const char *list;
	bool verbose;
	bool help;
	char *kver_buf;
};

/* "  arm64 (aarch64)" and its two defaults, for each row of the table */
static void usage_arches(FILE *f)
{
	size_t n;
	const struct arch *v = arch_all(&n);

	for (size_t i = 0; i < n; i++) {
		const char *sep = " (";

		fprintf(f, "  %s", v[i].name);
		for (size_t j = 0; j < sizeof(v[i].aliases) / sizeof(v[i].aliases[0]); j++) {
			if (!v[i].aliases[j])
				continue;
			fprintf(f, "%s%s", sep, v[i].aliases[j]);
			sep = ", ";
		}
		fprintf(f, "%s\n      --init %s\n      --stacks-dir %s\n", *sep == ',' ? ")" : "",
			v[i].init, v[i].stacks_dir);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mkrdinit [options] --output FILE\n"
		"       mkrdinit --list IMAGE\n"
		"\n"
		"Build a reproducible rdinit initramfs (newc cpio): rdinit as /init, a\n"
		"module closure with its firmware and kmod indexes, and extra files.\n"
		"\n"
		"Kernel and modules:\n"
		"  -k, --kver VER           kernel version (default: the running kernel)\n"
		"  -b, --basedir DIR        modules in DIR/lib/modules/VER, modprobe.d and\n"
		"                           firmware under DIR too (default: /)\n"
		"      --arch ARCH          the machine the image is for: x86_64 (or\n"
		"                           amd64, x86-64) or arm64 (or aarch64);\n"
		"                           default: what the kernel's modules are\n"
		"                           built for, else this machine's. It picks\n"
		"                           the default --init and --stacks-dir (see\n"
		"                           Architectures below); every ELF program\n"
		"                           going in must be for it\n"
		"      --profile P          generic (default): the module sets in\n"
		"                           --modules-dir (storage, filesystems, USB\n"
		"                           storage) and the three storage stacks;\n"
		"                           host: what this machine's root device and\n"
		"                           its filesystem need (from /sys and\n"
		"                           /proc/self/mountinfo), and the stacks it\n"
		"                           sits on; none: only --add-modules\n"
		"  -a, --add-modules A,B    add modules (names or aliases) with their\n"
		"                           dependencies, softdeps and firmware;\n"
		"                           repeatable; a name not found is an error\n"
		"      --omit-modules A,B   leave these out, and what only they pull in;\n"
		"                           repeatable\n"
		"      --module-level N     store modules as .ko.zst at zstd level N,\n"
		"                           1-19 (default %d); the default storage:\n"
		"                           rdinit decompresses zstd itself, several\n"
		"                           times faster than the kernel does xz;\n"
		"                           modules shipped as .ko.zst are kept as is\n"
		"      --keep-module-compression\n"
		"                           store modules as shipped (.ko, .ko.xz,\n"
		"                           .ko.zst, .ko.gz)\n"
		"      --decompress-modules store modules as plain .ko (for an --init\n"
		"                           that loads only those)\n"
		"                           Compressed modules go into an uncompressed\n"
		"                           archive ahead of the --compress one. Of\n"
		"                           these three options the last one wins.\n"
		"      --modules-dir DIR    where the generic sets are, DIR/*.list and\n"
		"                           DIR/ARCH/*.list (the image's architecture's own)\n"
		"                           (default: " RDINIT_MODULES_DIR ")\n"
		"\n"
		"Storage stacks (LUKS: cryptsetup, luks.list; LVM: lvm, lvm.list;\n"
		"MD RAID: mdadm, md.list), each a tool in /usr/sbin and a module set:\n"
		"      --stacks-dir DIR     where the tools are (default: the\n"
		"                           architecture's); a missing one is an error\n"
		"                           ('make stacks', 'make ARCH=arm64 stacks')\n"
		"      --omit-stacks A,B    leave out the tool and the set of these\n"
		"                           stacks: luks, lvm, md; repeatable\n"
		"      --crypttab FILE      copy FILE (crypttab(5)) to /etc/crypttab with\n"
		"                           its mode, and each key file it names to the\n"
		"                           same path; default with --profile host: the\n"
		"                           lines of /etc/crypttab that open the root\n"
		"\n"
		"Contents:\n"
		"      --init PATH          /init of the image (default: the\n"
		"                           architecture's rdinit)\n"
		"  -c, --config FILE        copy FILE to /etc/rdinit.conf (default:\n"
		"                           " RDINIT_CONF_DIR "/rdinit.conf)\n"
		"      --install PATH       copy the ELF program PATH and every shared\n"
		"                           library it needs (DT_NEEDED, interpreter) to\n"
		"                           the same paths; repeatable\n"
		"      --include SRC:DST    copy the file SRC to DST, with its mode;\n"
		"                           repeatable\n"
		"      --hook STAGE:PATH    copy the executable PATH to\n"
		"                           " RDINIT_HOOKS_DIR "/STAGE.d/,\n"
		"                           with its mode (and an ELF program's shared\n"
		"                           libraries, as --install); STAGE: cmdline,\n"
		"                           pre-coldplug, root-found, mounted or\n"
		"                           pre-switch; repeatable\n"
		"      --shell PATH         a static shell (e.g. busybox) as /bin/sh: the rescue\n"
		"                           shell for rdinit.onfail= and rdinit.break=\n"
		"      --microcode FILE     prepend an uncompressed early-microcode cpio\n"
		"                           holding FILE as kernel/x86/microcode/\n"
		"                           GenuineIntel.bin (AuthenticAMD.bin for AMD\n"
		"                           containers); repeatable, one per vendor;\n"
		"                           x86_64 only\n"
		"\n"
		"Output:\n"
		"  -o, --output FILE        write the image to FILE, atomically (required);\n"
		"                           it keeps the mode of the FILE it replaces, else\n"
		"                           gets 0666 less the umask; 0600 if it holds a file\n"
		"                           that is not world-readable (a key file)\n"
		"      --compress ALG       gzip (default), zstd, xz, lz4 or none\n"
		"      --compress-level N   gzip 1-9, zstd 1-19, xz 0-9, lz4 1-12\n"
		"                           (default: the compressor's own)\n"
		"  -l, --list IMAGE         print mode, size and path of each entry\n"
		"  -v, --verbose            tell which modules were chosen and why\n"
		"  -h, --help               show this help\n"
		"\n"
		"Architectures (--arch), each with its default --init and --stacks-dir:\n",
		MODCOMP_LEVEL_DEFAULT);
	usage_arches(f);
	fputs("\n"
	      "SOURCE_DATE_EPOCH, if set, is the time of every entry (else 0): the same\n"
	      "inputs give the same bytes.  Exit status: 0 success, 1 failure, 2 usage.\n",
	      f);
}

static __attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mkrdinit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mkrdinit --help'.\n", stderr);
	return 2;
}

/* Append @item to a growing array of borrowed strings. */
static int push(char ***v, size_t *n, char *item)
{
	char **nv = reallocarray(*v, *n + 1, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	(*v)[(*n)++] = item;
	return 0;
}

/* Split "a,b,,c" into the growing name array; empty items are ignored. */
static int add_names(char ***v, size_t *n, char *list)
{
	char *save = NULL;
	int r;

	for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		r = push(v, n, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A decimal integer from @min to @max, nothing else. */
static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_level(const char *s, int *out)
{
	if (parse_int(s, 0, 22, out) < 0)
		return -EINVAL;
	/* xz's level 0 is real; keep 0 as "the default" and pass -1 instead. */
	if (*out == 0)
		*out = -1;
	return 0;
}

static int parse_profile(const char *s)
{
	if (!strcmp(s, "generic"))
		return PROFILE_GENERIC;
	if (!strcmp(s, "host"))
		return PROFILE_HOST;
	if (!strcmp(s, "none"))
		return PROFILE_NONE;
	return -EINVAL;
}

/* Reproducible-builds convention: a malformed SOURCE_DATE_EPOCH is an error. */
static int parse_epoch(const char *s, int64_t *out)
{
	unsigned long long v;
	char *end;

	*out = 0;
	if (!s || !*s)
		return 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

/* "STAGE:PATH" with a stage rdinit runs hooks at; the split itself is inputs.c's. */
static int check_hook(const char *spec)
{
	const char *colon = strchr(spec, ':');

	if (!colon || colon == spec || !colon[1])
		return usage_error("--hook %s: expected STAGE:PATH", spec);
	if (stagedef_by_hooks(spec, (size_t)(colon - spec)))
		return 0;
	return usage_error("unknown hook stage '%.*s' in --hook %s (" STAGE_HOOK_NAMES ")",
			   (int)(colon - spec), spec, spec);
}

/* "luks,md": each name a stack, into the mask of stacks to leave out. */
static int parse_stacks(char *list, unsigned int *mask)
{
	char *save = NULL;

	for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		const struct stack_def *st = stackdef_by_name(s);

		if (!st)
			return usage_error("unknown stack '%s' in --omit-stacks (" STACK_NAMES ")",
					   s);
		*mask |= STACK_BIT(st->kind);
	}
	return 0;
}

static int parse_option(struct args *a, int opt, char *arg)
{
	int r;

	switch (opt) {
	case 'k':
		a->img.kver = arg;
		return 0;
	case 'b':
		a->img.basedir = arg;
		return 0;
	case 'o':
		a->img.output = arg;
		return 0;
	case 'c':
		a->img.config = arg;
		return 0;
	case 'l':
		a->list = arg;
		return 0;
	case 'v':
		a->verbose = true;
		return 0;
	case OPT_INIT:
		a->img.init = arg;
		return 0;
	case OPT_ARCH:
		a->img.arch = arch_by_name(arg);
		if (!a->img.arch)
			return usage_error("unknown architecture '%s' (" ARCH_NAMES ")", arg);
		return 0;
	case OPT_MODULES_DIR:
		a->img.modules_dir = arg;
		return 0;
	case OPT_STACKS_DIR:
		a->img.stacks_dir = arg;
		return 0;
	case OPT_OMIT_STACKS:
		return parse_stacks(arg, &a->img.omit_stacks);
	case OPT_CRYPTTAB:
		a->img.crypttab = arg;
		return 0;
	case OPT_HOST_ROOT:
		a->img.host_root = arg;
		return 0;
	case OPT_KEEP:
		a->img.modcomp = MODCOMP_KEEP;
		return 0;
	case OPT_DECOMPRESS:
		a->img.modcomp = MODCOMP_DECOMPRESS;
		return 0;
	case OPT_MODLEVEL:
		if (parse_int(arg, 1, MODCOMP_LEVEL_MAX, &a->img.modlevel) < 0)
			return usage_error("bad --module-level '%s' (1-%d)", arg,
					   MODCOMP_LEVEL_MAX);
		a->img.modcomp = MODCOMP_ZSTD;
		return 0;
	case 'a':
		r = add_names(&a->img.add, &a->img.n_add, arg);
		break;
	case OPT_OMIT:
		r = add_names(&a->img.omit, &a->img.n_omit, arg);
		break;
	case OPT_INSTALL:
		r = push(&a->img.install, &a->img.n_install, arg);
		break;
	case OPT_INCLUDE:
		r = push(&a->img.include, &a->img.n_include, arg);
		break;
	case OPT_HOOK:
		r = check_hook(arg);
		if (r)
			return r;
		r = push(&a->img.hooks, &a->img.n_hooks, arg);
		break;
	case OPT_SHELL:
		/* one shell per image */
		if (a->img.shell)
			return usage_error("--shell given twice");
		a->img.shell = arg;
		return 0;
	case OPT_MICROCODE:
		r = push(&a->img.microcode, &a->img.n_microcode, arg);
		break;
	case OPT_PROFILE:
		r = parse_profile(arg);
		if (r < 0)
			return usage_error("unknown profile '%s' (generic, host, none)", arg);
		a->img.profile = r;
		return 0;
	case OPT_LEVEL:
		if (parse_level(arg, &a->img.level) < 0)
			return usage_error("bad compression level '%s'", arg);
		return 0;
	case OPT_COMPRESS:
		r = ar_compress_parse(arg);
		if (r < 0)
			return usage_error("unknown compression '%s' (gzip, zstd, xz, lz4, none)",
					   arg);
		a->img.compress = r;
		return 0;
	default:
		return 2;
	}
	return r < 0 ? usage_error("%s", strerror(-r)) : 0;
}

/* Returns 0 to go on (a->help set after --help), or 2 after a usage error. */
static int parse_args(struct args *a, int argc, char **argv)
{
	int opt, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:b:o:a:c:l:vh", long_opts, NULL)) != -1) {
		if (opt == 'h') {
			a->help = true;
			return 0;
		}
		if (opt == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (opt == ':')
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		r = parse_option(a, opt, optarg);
		if (r)
			return r;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!a->list && !a->img.output)
		return usage_error("--output is required");
	if (ar_level_check(a->img.compress, a->img.level) < 0)
		return usage_error("compression level %d is out of range for --compress",
				   a->img.level < 0 ? 0 : a->img.level);
	return 0;
}

static int default_kver(struct args *a)
{
	struct utsname u;

	if (a->img.kver)
		return 0;
	if (uname(&u) < 0)
		return -errno;
	a->kver_buf = strdup(u.release);
	if (!a->kver_buf)
		return -ENOMEM;
	a->img.kver = a->kver_buf;
	return 0;
}

static void print_closure(struct closure *c)
{
	const struct closure_mod *m;
	char *const *fw;
	size_t n;

	n = closure_modules(c, &m);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mkrdinit: module %s: %s\n", m[i].path, m[i].reason);
	n = closure_nofile(c, &m);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mkrdinit: %s %s: %s\n", m[i].builtin ? "builtin" : "no file for",
			m[i].name, m[i].reason);
	n = closure_firmware(c, &fw);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mkrdinit: firmware %s\n", fw[i]);
	n = closure_missing_firmware(c, &fw);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mkrdinit: firmware not found: %s\n", fw[i]);
}

/* Always shown: an omitted hard dependency breaks the module that needs it. */
static void warn_broken(struct closure *c)
{
	char *const *notes;
	size_t n = closure_broken(c, &notes);

	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "mkrdinit: warning: omitted module %s\n", notes[i]);
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *compress_name(enum ar_compress c)
{
	static const char *const names[] = { [AR_GZIP] = "gzip",
					     [AR_ZSTD] = "zstd",
					     [AR_XZ] = "xz",
					     [AR_LZ4] = "lz4",
					     [AR_NONE] = "none" };

	return names[c];
}

static int fail(const struct mk_err *err, int r)
{
	fprintf(stderr, "mkrdinit: %s\n", err->msg[0] ? err->msg : strerror(-r));
	return 1;
}

static int build(struct args *a, struct mk_err *err)
{
	_cleanup_(closure_freep) struct closure *c = NULL;
	_cleanup_(image_plan_free) struct image_plan plan = { 0 };
	struct image_stats st = { 0 };
	struct timespec t0;
	int r;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the kernel first: its modules say what machine the image is for */
	r = closure_new(&c, a->img.basedir, a->img.kver, err);
	if (r < 0)
		return fail(err, r);
	r = image_target(&a->img, c, err);
	if (r < 0)
		return fail(err, r);
	r = image_check_inputs(&a->img, err);
	if (r < 0)
		return fail(err, r);
	r = image_plan(&a->img, &plan, err);
	if (r < 0)
		return fail(err, r);
	r = image_closure(&a->img, &plan, c, err);
	if (r < 0)
		return fail(err, r);
	if (a->verbose)
		print_closure(c);
	warn_broken(c);
	r = image_write(&a->img, &plan, c, &st, err);
	if (r < 0)
		return fail(err, r);
	printf("mkrdinit: wrote %s: %zu files, %zu modules, %" PRIu64 " KiB uncompressed, %" PRIu64
	       " KiB compressed (%s), %.2f s\n",
	       a->img.output, st.ar.entries, st.modules, (st.ar.raw_bytes + 1023) / 1024,
	       (st.ar.out_bytes + 1023) / 1024, compress_name(a->img.compress), elapsed(&t0));
	if (st.private_files)
		printf("mkrdinit: %s has mode %04o: %zu file%s in it %s not world-readable "
		       "(--verbose names them)\n",
		       a->img.output, (unsigned int)st.mode, st.private_files,
		       st.private_files == 1 ? "" : "s", st.private_files == 1 ? "is" : "are");
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct args a = { .img = { .basedir = "/",
				   .modules_dir = RDINIT_MODULES_DIR,
				   .host_root = "",
				   .config = RDINIT_CONF_DIR "/rdinit.conf",
				   .compress = AR_GZIP,
				   .modlevel = MODCOMP_LEVEL_DEFAULT } };
	struct mk_err err = { { 0 } };
	int r;

	/* A dying compressor must surface as EPIPE, not kill us before cleanup. */
	(void)signal(SIGPIPE, SIG_IGN);
	r = parse_args(&a, argc, argv);
	if (r || a.help) {
		if (a.help)
			usage(stdout);
		goto out;
	}
	if (a.list) {
		r = ar_dump(a.list, stdout, &err);
		r = r < 0 ? fail(&err, r) : (fflush(stdout) == 0 ? 0 : 1);
		goto out;
	}
	r = default_kver(&a);
	if (r < 0 || parse_epoch(getenv("SOURCE_DATE_EPOCH"), &a.img.mtime) < 0) {
		fprintf(stderr, "mkrdinit: %s\n",
			r < 0 ? strerror(-r) : "SOURCE_DATE_EPOCH is not a number of seconds");
		r = 1;
		goto out;
	}
	if (a.verbose)
		a.img.debug = stderr;
	a.img.warn = stderr;
	r = build(&a, &err);
out:
	free(a.img.add);
	free(a.img.omit);
	free(a.img.install);
	free(a.img.include);
	free(a.img.hooks);
	free(a.img.microcode);
	free(a.kver_buf);
	return r;
}
