// SPDX-License-Identifier: MIT
/*
 * testinit - the "real init" on the VM tests' root disks.
 *
 * rdinit execs this as /sbin/init after switching root. It reports what it finds as
 * "RDTEST key=value" lines on stdout (the serial console), which tests/vm/run.sh greps,
 * then powers the VM off so QEMU exits on its own. Run as a normal process (not PID 1) it
 * prints the same report and exits.
 *
 * Build: musl-gcc -static -Os -o testinit testinit.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

extern char **environ;

/*
 * The last mountinfo line whose mount point is "/" is the visible root (earlier ones,
 * such as the initramfs rootfs, are stacked beneath it). Fields: id parent maj:min root
 * mountpoint mntopts [optional...] - fstype source superopts.
 */
static int report_root(FILE *f)
{
	char line[4096], best[4096] = "";

	while (fgets(line, sizeof(line), f)) {
		char mp[4096];

		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, "/") == 0)
			snprintf(best, sizeof(best), "%s", line);
	}
	if (!best[0]) {
		printf("RDTEST root=unknown fstype=unknown opts=unknown "
		       "mntopts=unknown\n");
		return -ENOENT;
	}

	char mntopts[1024], fstype[256], source[1024], superopts[1024] = "";
	char *sep = strstr(best, " - ");

	if (!sep || sscanf(best, "%*s %*s %*s %*s %*s %1023s", mntopts) != 1 ||
	    sscanf(sep + 3, "%255s %1023s %1023s", fstype, source, superopts) < 2) {
		printf("RDTEST root=unparsable line=%s", best);
		return -EINVAL;
	}
	/* The per-mount flags always start with "ro" or "rw". */
	int ro = strcmp(mntopts, "ro") == 0 || strncmp(mntopts, "ro,", 3) == 0;

	printf("RDTEST root=%s fstype=%s opts=%s mntopts=%s superopts=%s\n", source, fstype,
	       ro ? "ro" : "rw", mntopts, superopts);
	return 0;
}

/* One line per mount so tests can check that /dev, /proc, /sys and /run were moved. */
static void report_mounts(FILE *f)
{
	char line[4096];

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char mp[1024], opts[1024], fstype[256], source[1024];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s %1023s", mp, opts) != 2 ||
		    sscanf(sep + 3, "%255s %1023s", fstype, source) != 2)
			continue;
		printf("RDTEST mount=%s fstype=%s source=%s opts=%s\n", mp, fstype, source, opts);
	}
}

static void report_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		int err = errno;

		/* rdinit should have moved /proc into the new root: say so if not. */
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
			printf("RDTEST proc=mounted-by-testinit (open failed: %s)\n",
			       strerror(err));
		else
			printf("RDTEST proc=unavailable (%s; mount: %s)\n", strerror(err),
			       strerror(errno));
		f = fopen("/proc/self/mountinfo", "re");
	} else {
		printf("RDTEST proc=present\n");
	}
	if (!f) {
		printf("RDTEST root=unknown fstype=unknown opts=unknown "
		       "mntopts=unknown\n");
		return;
	}
	(void)report_root(f);
	report_mounts(f);
	fclose(f);
}

static void report_args(int argc, char **argv)
{
	printf("RDTEST argv=%d", argc);
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	for (char **e = environ; e && *e; e++)
		printf("RDTEST env=%s\n", *e);
}

/* Timestamp (seconds) of the kernel's "Run /init as init process" line, or < 0. */
static double run_init_stamp(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	double stamp = -1;

	if (size <= 0)
		size = 1 << 20;
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return -1;
	int n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n <= 0) {
		free(buf);
		return -1;
	}
	buf[n] = '\0';

	/* Records look like "<6>[    1.234567] Run /init as init process". */
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strstr(line, "Run /init as init process"))
			continue;
		char *br = strchr(line, '[');
		if (br)
			stamp = strtod(br + 1, NULL);
	}
	free(buf);
	return stamp;
}

/*
 * With rdtest.kmsg on the command line: the whole kernel log, as "RDTEST kmsg=LINE", for
 * profiling a boot (rdinit.debug logs there without slowing the serial console).
 */
static void report_kmsg(void)
{
	char cmdline[4096] = "", *buf, *save = NULL;
	FILE *f = fopen("/proc/cmdline", "re");
	int size, n;

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	if (!strstr(cmdline, "rdtest.kmsg"))
		return;
	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	buf[n > 0 ? n : 0] = '\0';
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		printf("RDTEST kmsg=%s\n", l);
	free(buf);
}

/*
 * Now, on the kernel log's clock (local_clock), or < 0: the timestamp of a record written
 * to /dev/kmsg and read back.  /proc/uptime is another clock, which on arm64 under TCG
 * starts a varying fraction of a second apart from the log's.
 */
static double kmsg_now(void)
{
	static const char mark[] = "rdtest: clock";
	char rec[8192];
	double now = -1;
	int fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* reads start after the records already there; a debug record stays off the console */
	if (lseek(fd, 0, SEEK_END) < 0 || dprintf(fd, "<7>%s\n", mark) < 0) {
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned long long usec;
		char *text;

		if (n < 0 && errno == EPIPE) /* overwritten while we read: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "PRI,SEQ,USEC,FLAGS;TEXT" */
		text = strchr(rec, ';');
		if (text && !strncmp(text + 1, mark, sizeof(mark) - 1) &&
		    sscanf(rec, "%*u,%*u,%llu", &usec) == 1) {
			now = (double)usec / 1e6;
			break;
		}
	}
	close(fd);
	return now;
}

/* initrd_time: from the kernel's "Run /init" to now, both on the kernel log's clock. */
static void report_initrd_time(void)
{
	double stamp = run_init_stamp(), now = kmsg_now();
	double up = -1;
	FILE *f = fopen("/proc/uptime", "re");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = -1;
		fclose(f);
	}
	if (stamp < 0 || now < 0)
		printf("RDTEST initrd_time=unknown\n");
	else
		printf("RDTEST initrd_time=%.3f\n", now - stamp);
	if (up >= 0)
		printf("RDTEST uptime=%.3f\n", up);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void report_rootdir(void)
{
	DIR *d = opendir("/");
	char *names[512];
	size_t n = 0;
	struct dirent *de;

	if (!d) {
		printf("RDTEST rootdir=error:%s\n", strerror(errno));
		return;
	}
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0])) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	printf("RDTEST rootdir=");
	for (size_t i = 0; i < n; i++) {
		printf("%s%s", i ? "," : "", names[i]);
		free(names[i]);
	}
	printf("\n");
}

/* Which disk booted: the name mkdisk.sh wrote into /etc/rdtest-root. */
static void report_marker(void)
{
	char buf[256] = "";
	FILE *f = fopen("/etc/rdtest-root", "re");

	if (!f) {
		printf("RDTEST marker=none\n");
		return;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	printf("RDTEST marker=%s\n", buf);
}

/*
 * Which filesystem each of these directories shows: the name a VM test wrote into its
 * rdtest-mark file ("RDTEST mark=/usr:NAME"); directories without one are not reported.
 */
static void report_marks(void)
{
	static const char *const dirs[] = { "/usr", "/srv", "/home", "/opt" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[64], buf[256] = "";
		FILE *f;

		snprintf(path, sizeof(path), "%s/rdtest-mark", dirs[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		printf("RDTEST mark=%s:%s\n", dirs[i], buf);
	}
}

/*
 * For each MODULE.PARAM=VALUE on the kernel command line, the value the loaded module
 * holds (/sys/module/MODULE/parameters/PARAM), so a test can tell that rdinit passed it
 * on. Words whose file does not exist (rdinit.*, a module not loaded) are skipped.
 */
static void report_modparams(void)
{
	char buf[4096], *save = NULL;
	FILE *f = fopen("/proc/cmdline", "re");

	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		char *dot = strchr(w, '.'), *eq = strchr(w, '=');
		char path[512], val[256] = "";

		if (strcmp(w, "--") == 0)
			break;
		if (!dot || !eq || dot > eq)
			continue;
		*dot = *eq = '\0';
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", w, dot + 1);
		FILE *p = fopen(path, "re");
		if (!p)
			continue;
		if (!fgets(val, sizeof(val), p))
			val[0] = '\0';
		fclose(p);
		val[strcspn(val, "\n")] = '\0';
		printf("RDTEST modparam=%s.%s=%s\n", w, dot + 1, val);
	}
}

/* What rdinit leaked into us: open fds, blocked/ignored signals, personality. */
static void report_process_state(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	DIR *d;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7)) {
				line[strcspn(line, "\n")] = '\0';
				line[6] = '\0';
				char *v = line + 7;
				v += strspn(v, " \t");
				printf("RDTEST %s=%s\n", line, v);
			}
		fclose(f);
	}
	d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		int self = dirfd(d);

		printf("RDTEST fds=");
		const char *sep = "";
		while ((de = readdir(d))) {
			char path[300], target[256];
			ssize_t len;

			if (de->d_name[0] == '.' || atoi(de->d_name) == self)
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
			len = readlink(path, target, sizeof(target) - 1);
			target[len > 0 ? len : 0] = '\0';
			printf("%s%s:%s", sep, de->d_name, target);
			sep = ",";
		}
		printf("\n");
		closedir(d);
	}
	printf("RDTEST personality=0x%x\n", (unsigned)personality(0xffffffff));
}

/*
 * What rdinit left for the real system in /run/rdinit/ (report, timings, module-failures):
 * every line of every regular file, as "RDTEST runfile=NAME:LINE", files in name order.
 */
static void report_runfiles(void)
{
	DIR *d = opendir("/run/rdinit");
	char *names[64], *line = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0])) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[300];
		FILE *f;

		snprintf(path, sizeof(path), "/run/rdinit/%s", names[i]);
		f = fopen(path, "re");
		while (f && getline(&line, &cap, f) >= 0) {
			line[strcspn(line, "\n")] = '\0';
			printf("RDTEST runfile=%s:%s\n", names[i], line);
		}
		if (f)
			fclose(f);
		free(names[i]);
	}
	free(line);
}

/*
 * Children rdinit left us (a process still freeing the initramfs, say): wait up to 10 s
 * for them, so that the memory figures that follow are taken after they are done.
 */
static void reap_children(void)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int reaped = 0, waits = 0;
	pid_t p;

	while ((p = waitpid(-1, NULL, WNOHANG)) >= 0 && waits < 200) {
		if (p > 0)
			reaped++;
		else if (nanosleep(&tick, NULL) == 0)
			waits++;
	}
	printf("RDTEST children_reaped=%d%s\n", reaped, p < 0 ? "" : " (some left)");
}

/* The value in kB of the /proc/meminfo field @key, or -1. */
static long meminfo_kb(const char *buf, const char *key)
{
	size_t len = strlen(key);
	const char *p = buf;

	while (p) {
		if (!strncmp(p, key, len) && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/*
 * Free pages parked on the per-CPU lists (/proc/zoneinfo's "count:" lines, in pages), in
 * kB: MemFree leaves them out, and freeing a few MB at once (the initramfs) fills them.
 */
static long pcp_free_kb(void)
{
	char line[256];
	long pages = 0;
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (!strncmp(p, "count:", 6))
			pages += strtol(p + 6, NULL, 10);
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Memory in use, to tell whether the initramfs was freed: its files are ramfs pages
 * (rootfs is ramfs when root= is given), on the unevictable list and outside the page
 * cache MemAvailable counts, so they show in mem_used_kb (MemTotal - MemAvailable) and
 * in Unevictable. Clean caches are dropped first, to make two boots comparable.
 */
static void report_memory(void)
{
	static const char *const keys[] = {
		"MemTotal", "MemFree", "MemAvailable", "Cached", "Unevictable", "Shmem",
	};
	char buf[8192];
	long pcp;
	size_t n;
	int fd;

	/* only in the VM: a test run on the host must not drop the host's caches */
	fd = getpid() == 1 ? open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		sync();
		if (write(fd, "3", 1) != 1)
			printf("RDTEST drop_caches=%s\n", strerror(errno));
		close(fd);
	}
	FILE *f = fopen("/proc/meminfo", "re");
	if (!f) {
		printf("RDTEST meminfo=%s\n", strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	pcp = pcp_free_kb();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("RDTEST meminfo_%s_kb=%ld\n", keys[i], meminfo_kb(buf, keys[i]));
	printf("RDTEST mem_pcp_kb=%ld\n", pcp);
	printf("RDTEST mem_used_kb=%ld\n",
	       meminfo_kb(buf, "MemTotal") - meminfo_kb(buf, "MemAvailable") - pcp);
}

/*
 * Started as .../systemd (a hard link on every test disk), play systemd-shutdown's part after
 * the report: when the initramfs left /run/initramfs/shutdown, bind /run/initramfs on itself,
 * bring /dev, /proc, /sys and /run along, pivot into it with the old root at /oldroot, and
 * run "/shutdown poweroff" there, as systemd 252's switch_root_initramfs() does. Returns only
 * if that cannot be done.
 */
static void return_to_initramfs(void)
{
	static const char *const api[] = { "/dev", "/proc", "/sys", "/run" };
	char path[64];

	if (access("/run/initramfs/shutdown", X_OK) < 0) {
		printf("RDTEST shutdown_program=absent\n");
		return;
	}
	printf("RDTEST shutdown_program=present\n");
	fflush(stdout);
	sync();
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("/run/initramfs", "/run/initramfs", NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, "/run/initramfs", NULL, MS_PRIVATE, NULL) < 0)
		return;
	/* systemd binds them without their submounts (MS_BIND, not MS_REC) */
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		snprintf(path, sizeof(path), "/run/initramfs%s", api[i]);
		(void)mkdir(path, 0755);
		if (mount(api[i], path, NULL, MS_BIND, NULL) < 0)
			printf("RDTEST shutdown_bind_failed=%s:%s\n", api[i], strerror(errno));
	}
	(void)mkdir("/run/initramfs/oldroot", 0755);
	if (chdir("/run/initramfs") < 0 || syscall(SYS_pivot_root, ".", "oldroot") < 0 ||
	    chroot(".") < 0 || chdir("/") < 0) {
		printf("RDTEST shutdown_pivot_failed=%s\n", strerror(errno));
		return;
	}
	/* as systemd's make_console_stdio(): nothing of the old root's /dev stays open */
	for (int fd = 0; fd < 3; fd++) {
		int c = open("/dev/console", O_RDWR | O_NOCTTY);

		if (c >= 0 && c != fd) {
			dup2(c, fd);
			close(c);
		}
	}
	execl("/shutdown", "/shutdown", "poweroff", (char *)NULL);
	printf("RDTEST shutdown_exec_failed=%s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	char cwd[4096];
	const char *tty;
	struct utsname uts;

	/* The console is a serial port: write each line as soon as it is complete. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Start on a fresh line: with quiet, the firmware's last line has no newline. */
	printf("\nRDTEST pid=%d\n", (int)getpid());
	/* what this program (and the kernel) runs as: the arm64 suite checks it is aarch64 */
	printf("RDTEST machine=%s\n", uname(&uts) == 0 ? uts.machine : strerror(errno));
	report_mountinfo();
	report_args(argc, argv);
	report_initrd_time();
	printf("RDTEST cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	tty = ttyname(0);
	printf("RDTEST stdin_tty=%s\n", tty ? tty : strerror(errno));
	report_rootdir();
	report_marker();
	report_marks();
	report_modparams();
	report_process_state();
	report_runfiles();
	report_kmsg();
	reap_children();
	report_memory();
	printf("RDTEST done\n");
	fflush(stdout);

	if (getpid() != 1)
		return 0;
	if (!strcmp(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0], "systemd"))
		return_to_initramfs();
	sync();
	/* Leave the filesystem clean, so a rerun on this disk needs no recovery. */
	(void)mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
	(void)reboot(RB_POWER_OFF);
	/* PID 1 must not exit; if power-off failed, let the panic=-1 reboot end QEMU. */
	printf("RDTEST poweroff_failed=%s\n", strerror(errno));
	return 1;
}
