// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Storage stacks under the root. What a probed block device holds decides what happens, in
 * no fixed order and with no scanning loop: a LUKS header is unlocked (luks.c), an LVM
 * physical volume is registered and the volume group it completes is activated, a RAID
 * member joins its array by incremental assembly (an array still incomplete after rd.retry=
 * seconds starts degraded). The devices these make (dm-N, mdN) arrive as uevents like any
 * other and are probed and matched against root= in turn, so stacks nest: LVM on LUKS,
 * LUKS on MD, and so on.
 *
 * The work is done by the real tools, cryptsetup, lvm and mdadm (static builds in the image,
 * build-aux/stacks.sh), each run to its end with a time limit while the uevents it causes
 * wait in the netlink socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "boot.h"

/* cryptsetup's PBKDF alone may take seconds on a slow machine; a tool stuck for a minute is */
#define STACK_TOOL_TIMEOUT_MS 60000

static const char *const tool_names[STACK_KINDS] = { "cryptsetup", "lvm", "mdadm" };
static const char *const kind_names[STACK_KINDS] = { "LUKS", "LVM", "RAID" };

/* Where the tool of stack @k is in the image; said once when it is not there. */
int stack_tool(struct boot *b, enum stack_kind k, const char **path)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	static char found[STACK_KINDS][PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(found[k], sizeof(found[k]), "%s/%s",
			 b->st.tool_dir ? b->st.tool_dir : dirs[i], tool_names[k]);
		if (access(found[k], X_OK) == 0) {
			*path = found[k];
			return 0;
		}
		if (b->st.tool_dir)
			break;
	}
	if (!(b->st.tool_missing & (1u << k)))
		log_console("a %s device is here but %s is not in the image (mkrdinit was given "
			    "--omit-stacks?)",
			    kind_names[k], tool_names[k]);
	b->st.tool_missing |= 1u << k;
	return -ENOENT;
}

/* The run-time directories the tools lock and keep state in. */
static void make_dirs(struct boot *b)
{
	static const char *const dirs[] = { "/run/cryptsetup", "/run/lvm", "/run/lock",
					    "/run/lock/lvm", "/run/mdadm" };
	size_t i;

	if (b->st.dirs_made || b->st.tool_dir)
		return;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(dirs[i], 0700) < 0 && errno != EEXIST)
			log_warn("cannot make %s: %m", dirs[i]);
	b->st.dirs_made = true;
}

/* The child's side of stack_run(): @in and @out become stdin, stdout and stderr. */
static void __attribute__((noreturn)) tool_exec(char *const argv[], int in, int out)
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				     "LVM_SUPPRESS_FD_WARNINGS=1", "HOME=/", NULL };

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	(void)signal(SIGPIPE, SIG_DFL);
	execve(argv[0], argv, env);
	dprintf(2, "cannot run %s: %m\n", argv[0]);
	_exit(127);
}

/* "running cryptsetup open": the timeline shows what each tool costs the boot */
static void stack_mark(const char *what, char *const argv[])
{
	const char *tool = strrchr(argv[0], '/');
	char mark[96];

	snprintf(mark, sizeof(mark), "%s %s %s", what, tool ? tool + 1 : argv[0],
		 argv[1] ? argv[1] : "");
	timing_mark(mark);
}

/* Read what the tool says until it closes its end or @deadline (mono_ms) passes. */
static void read_output(int fd, char *out, size_t outlen, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	for (;;) {
		long long left = deadline - mono_ms();
		char scratch[512];
		ssize_t got;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0)
			break;
		/* past the buffer, keep reading so the tool does not block on a full pipe */
		if (n + 1 < outlen)
			got = read(fd, out + n, outlen - n - 1);
		else
			got = read(fd, scratch, sizeof(scratch));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (n + 1 < outlen)
			n += (size_t)got;
	}
	out[n] = '\0';
}

/*
 * Run @argv (argv[0] a path) with @input on its stdin (NULL: /dev/null) and its stdout and
 * stderr read into @out. Returns its exit status, 128 + N for signal N, -ETIME when it was
 * killed for taking longer than STACK_TOOL_TIMEOUT_MS, or -errno.
 */
int stack_run(char *const argv[], const char *input, size_t inlen, char *out, size_t outlen)
{
	long long deadline = mono_ms() + STACK_TOOL_TIMEOUT_MS;
	int in[2] = { -1, -1 }, o[2], status = 0, r;
	pid_t pid;

	out[0] = '\0';
	stack_mark("running", argv);
	if (pipe2(o, O_CLOEXEC) < 0)
		return -errno;
	if (input ? pipe2(in, O_CLOEXEC) < 0
		  : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		close(o[0]);
		close(o[1]);
		return r;
	}
	pid = fork();
	if (pid == 0)
		tool_exec(argv, in[0], o[1]);
	r = pid < 0 ? -errno : 0;
	close(o[1]);
	close(in[0]);
	/* a passphrase is far below a pipe's capacity: this write does not block */
	if (in[1] >= 0) {
		if (pid > 0)
			(void)write_all(in[1], input, inlen);
		close(in[1]);
	}
	if (pid > 0)
		read_output(o[0], out, outlen, deadline);
	close(o[0]);
	if (pid < 0)
		return r;
	r = sys_wait_child(pid, -1, (int)(deadline > mono_ms() ? deadline - mono_ms() : 0),
			   &status);
	stack_mark("ran", argv);
	if (r == -ETIME) {
		(void)kill(pid, SIGKILL);
		(void)sys_wait_child(pid, -1, -1, &status);
		return -ETIME;
	}
	if (r < 0)
		return r;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last non-empty line of a tool's output, trimmed, for a report; "" when it said nothing */
const char *stack_last_line(const char *out, char *buf, size_t size)
{
	const char *end = out + strlen(out), *start;

	while (end > out && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (start = end; start > out && start[-1] != '\n'; start--)
		;
	while (start < end && *start == ' ')
		start++;
	snprintf(buf, size, "%.*s", (int)(end - start), start);
	return buf;
}

/* A new member for @d, or NULL when it was handled already (or memory ran out). */
struct stack_member *stacks_member(struct boot *b, const struct blockdev *d, enum stack_kind k)
{
	struct stacks *s = &b->st;
	struct stack_member *m;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].kind == k && !strcmp(s->v[i].dev, d->name) &&
		    !strcmp(s->v[i].uuid, d->uuid))
			return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		m = realloc(s->v, cap * sizeof(*m));
		if (!m) {
			log_err("out of memory for the %s member /dev/%s", kind_names[k], d->name);
			return NULL;
		}
		s->v = m;
		s->cap = cap;
	}
	m = &s->v[s->n++];
	memset(m, 0, sizeof(*m));
	m->kind = k;
	snprintf(m->dev, sizeof(m->dev), "%s", d->name);
	snprintf(m->uuid, sizeof(m->uuid), "%s", d->uuid);
	make_dirs(b);
	return m;
}

static void set_state(struct stack_member *m, enum member_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_state(struct stack_member *m, enum member_state state, const char *fmt, ...)
{
	va_list ap;

	m->state = state;
	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
}

/* Every member of volume group or array @group, in the state the group is in now. */
static void set_group_state(struct boot *b, enum stack_kind k, const char *group,
			    enum member_state state, const char *what)
{
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		struct stack_member *m = &b->st.v[i];

		if (m->kind == k && !strcmp(m->group, group))
			set_state(m, state, "%s", what);
	}
}

/* ---- LVM ---- */

/* Whether rd.lvm.vg= and rd.lvm.lv= (when given) let volume group @vg be activated. */
static bool vg_wanted(const struct stack_opts *o, const char *vg)
{
	size_t i, n = strlen(vg);

	if (!o->lvm_vg.n && !o->lvm_lv.n)
		return true;
	if (strset_has(&o->lvm_vg, vg))
		return true;
	for (i = 0; i < o->lvm_lv.n; i++)
		if (!strncmp(o->lvm_lv.v[i], vg, n) && o->lvm_lv.v[i][n] == '/')
			return true;
	return false;
}

/*
 * "--devices=/dev/vda,/dev/vdc": the physical volumes of @vg seen so far (of any group: NULL),
 * allocated (NULL: out of memory). Without it every lvm command opens and reads every block
 * device there is (a CD-ROM drive included) to find them. As long as it must be: a list cut
 * short would hide the last PVs of a big group from lvm, which then leaves it incomplete.
 */
static char *vg_devices(const struct boot *b, const char *vg)
{
	size_t i, len = strlen("--devices="), size = len + 1;
	char *buf;

	for (i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == STACK_LVM && (!vg || !strcmp(b->st.v[i].group, vg)))
			size += strlen(",/dev/") + strlen(b->st.v[i].dev);
	buf = malloc(size);
	if (!buf)
		return NULL;
	memcpy(buf, "--devices=", len + 1);
	for (i = 0; i < b->st.n; i++) {
		const struct stack_member *m = &b->st.v[i];

		if (m->kind == STACK_LVM && (!vg || !strcmp(m->group, vg)))
			len += (size_t)snprintf(buf + len, size - len, "%s/dev/%s",
						buf[len - 1] == '=' ? "" : ",", m->dev);
	}
	return buf;
}

/* Activate @vg: only the rd.lvm.lv= volumes in it when there are any, else all. */
static int vg_activate(const struct boot *b, const char *lvm, const char *vg, char *out,
		       size_t outlen)
{
	const struct stack_opts *o = &b->opts.stacks;
	size_t i, n = strlen(vg);
	int r = 1, any = 0;
	_cleanup_free_ char *devs = vg_devices(b, vg);

	if (!devs) {
		snprintf(out, outlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (i = 0; i < o->lvm_lv.n; i++) {
		char *argv[] = { (char *)lvm, "lvchange",     "-aay", "--sysinit",
				 devs,	      o->lvm_lv.v[i], NULL };

		if (strncmp(o->lvm_lv.v[i], vg, n) || o->lvm_lv.v[i][n] != '/')
			continue;
		any = 1;
		r = stack_run(argv, NULL, 0, out, outlen);
		if (r != 0)
			return r;
	}
	if (!any) {
		char *argv[] = { (char *)lvm, "vgchange", "-aay", "--sysinit",
				 devs,	      (char *)vg, NULL };

		r = stack_run(argv, NULL, 0, out, outlen);
	}
	return r;
}

/*
 * "VG vg0 complete" / "VG vg0 incomplete": what pvscan --listvg --checkcomplete says of the
 * volume group a physical volume belongs to. Returns 1 complete, 0 not yet, -ENOENT when
 * it named none (a PV without metadata, or in no group).
 */
static int parse_listvg(const char *out, char *vg, size_t size)
{
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n;

		while (*p == ' ')
			p++;
		if (strncmp(p, "VG ", 3))
			continue;
		p += 3;
		n = strcspn(p, " \n");
		snprintf(vg, size, "%.*s", (int)n, p);
		p += n;
		return !strncmp(p, " complete", 9) && (p[9] == '\n' || !p[9]);
	}
	return -ENOENT;
}

/*
 * What "pvscan --cache -aay" says of the volume group of the PV it was given, and whether
 * it activated it:
 *   pvscan[228] PV /dev/dm-0 online, VG rdvgc is complete.
 *   pvscan[228] VG rdvgc run autoactivation.       (or "skip": an earlier pvscan did)
 *   pvscan[228] PV /dev/vdb online, VG vg0 incomplete (need 1).
 *   pvscan[228] PV /dev/vdb online, VG unknown.    (no metadata on it, none seen before)
 * Returns 1 complete, 0 incomplete (@vg set for both), -ENOENT when it named no group.
 */
static int parse_pvscan_aa(const char *out, char *vg, size_t size)
{
	const char *p = strstr(out, " online, VG ");
	size_t n;

	if (!p)
		return -ENOENT;
	p += strlen(" online, VG ");
	n = strcspn(p, " \n");
	if (n == strlen("unknown.") && !strncmp(p, "unknown.", n))
		return -ENOENT;
	snprintf(vg, size, "%.*s", (int)n, p);
	return !strncmp(p + n, " is complete.", strlen(" is complete."));
}

/*
 * What became of @m's volume group, said for every member of it: MEMBER_WAITING (a PV still
 * missing), MEMBER_FAILED (the activation, lvm's status @r and output @out) or MEMBER_DONE.
 * @dev is the PV whose arrival decided it.
 */
static void vg_outcome(struct boot *b, const struct stack_member *m, enum member_state state, int r,
		       const char *out, const char *dev)
{
	char what[512], line[160];

	if (state == MEMBER_WAITING)
		snprintf(what, sizeof(what), "volume group %s incomplete: not activated", m->group);
	else if (state == MEMBER_FAILED)
		snprintf(what, sizeof(what), "activating volume group %s failed (%d): %s", m->group,
			 r, stack_last_line(out, line, sizeof(line)));
	else
		snprintf(what, sizeof(what), "volume group %s activated", m->group);
	set_group_state(b, STACK_LVM, m->group, state, what);
	if (state == MEMBER_WAITING)
		log_info("%s: %s", dev, what);
	else if (state == MEMBER_FAILED)
		log_console("%s", what);
	else
		log_info("%s (completed by %s)", what, dev);
}

/*
 * With no rd.lvm.vg=/rd.lvm.lv= to choose by, one lvm command per PV: "pvscan --cache -aay"
 * records the PV online and, when it completes its group, activates the group from the
 * metadata it has just read. The two commands systemd's udev rules run (pvscan --listvg,
 * then vgchange) start lvm twice and read the PV twice: under emulation, and through
 * dm-crypt for LVM on LUKS, 140 ms more for each group.
 */
static void lvm_autoactivate(struct boot *b, struct stack_member *m, const char *lvm,
			     const char *dev)
{
	_cleanup_free_ char *devs = vg_devices(b, NULL);
	char out[4096], line[160];
	int r, complete;

	if (!devs) {
		set_state(m, MEMBER_FAILED, "lvm pvscan not run: %s", strerror(ENOMEM));
		return;
	}
	{
		char *argv[] = { (char *)lvm, "pvscan", "--cache",   "-aay", "--autoactivation",
				 "event",     devs,	(char *)dev, NULL };

		r = stack_run(argv, NULL, 0, out, sizeof(out));
	}
	complete = parse_pvscan_aa(out, m->group, sizeof(m->group));
	if (r != 0 && complete == 1)
		vg_outcome(b, m, MEMBER_FAILED, r, out, dev);
	else if (r != 0)
		set_state(m, MEMBER_FAILED, "lvm pvscan failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
	else if (complete < 0)
		set_state(m, MEMBER_SKIPPED, "in no volume group known yet");
	else
		vg_outcome(b, m, complete ? MEMBER_DONE : MEMBER_WAITING, 0, out, dev);
}

static void lvm_member(struct boot *b, const struct blockdev *d)
{
	const struct stack_opts *o = &b->opts.stacks;
	struct stack_member *m = stacks_member(b, d, STACK_LVM);
	char dev[80], devs[96], out[4096], line[160];
	const char *lvm;
	int r;

	if (!m)
		return;
	if (o->no_lvm) {
		set_state(m, MEMBER_SKIPPED, "left alone: rd.lvm=0");
		return;
	}
	if (stack_tool(b, STACK_LVM, &lvm) < 0) {
		set_state(m, MEMBER_FAILED, "not activated: no lvm in the image");
		return;
	}
	(void)modules_load_alias(&b->mods, "dm_mod", false);
	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	if (!o->lvm_vg.n && !o->lvm_lv.n) {
		lvm_autoactivate(b, m, lvm, dev);
		return;
	}
	snprintf(devs, sizeof(devs), "--devices=%s", dev);
	{
		char *argv[] = {
			(char *)lvm,  "pvscan",		  "--cache", "--listvg", "--checkcomplete",
			"--vgonline", "--autoactivation", "event",   devs,	 dev,
			NULL
		};

		r = stack_run(argv, NULL, 0, out, sizeof(out));
	}
	if (r != 0) {
		set_state(m, MEMBER_FAILED, "lvm pvscan failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
		return;
	}
	r = parse_listvg(out, m->group, sizeof(m->group));
	if (r < 0) {
		set_state(m, MEMBER_SKIPPED, "in no volume group");
		return;
	}
	if (!vg_wanted(o, m->group)) {
		set_state(m, MEMBER_SKIPPED,
			  "volume group %s left alone: not in rd.lvm.vg=/rd.lvm.lv=", m->group);
		return;
	}
	if (r == 0) {
		vg_outcome(b, m, MEMBER_WAITING, 0, out, dev);
		return;
	}
	r = vg_activate(b, lvm, m->group, out, sizeof(out));
	vg_outcome(b, m, r != 0 ? MEMBER_FAILED : MEMBER_DONE, r, out, dev);
}

/* ---- MD RAID ---- */

/* Two array UUIDs alike, whatever their separators (blkid's '-', mdadm's ':') and case. */
static bool uuid_hex_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-' || *a == ':')
			a++;
		while (*b == '-' || *b == ':')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if ((*a | 0x20) != (*b | 0x20))
			return false;
		a++;
		b++;
	}
}

static bool md_wanted(const struct stack_opts *o, const char *uuid)
{
	size_t i;

	if (!o->md_uuid.n)
		return true;
	for (i = 0; i < o->md_uuid.n; i++)
		if (uuid_hex_eq(o->md_uuid.v[i], uuid))
			return true;
	return false;
}

/* @key's value in mdadm --export output ("MD_DEVICE=/dev/md127"), or "" */
static void export_value(const char *out, const char *key, char *val, size_t size)
{
	size_t n = strlen(key);
	const char *p;

	val[0] = '\0';
	for (p = out; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, n) && p[n] == '=') {
			snprintf(val, size, "%.*s", (int)strcspn(p + n + 1, "\n"), p + n + 1);
			return;
		}
	}
}

/* /sys/block/@md/md/@attr, trimmed; "" when it cannot be read */
static void md_attr(struct boot *b, const char *md, const char *attr, char *val, size_t size)
{
	char path[PATH_MAX];
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/block/%s/md/%s", b->sysfs, md, attr);
	val[0] = '\0';
	if (read_trimmed_file(path, &text) == 0)
		snprintf(val, size, "%s", text);
	free(text);
}

static bool md_active(struct boot *b, const char *md)
{
	char state[32];

	md_attr(b, md, "array_state", state, sizeof(state));
	return state[0] && strcmp(state, "inactive") && strcmp(state, "clear");
}

static void md_member(struct boot *b, const struct blockdev *d)
{
	const struct stack_opts *o = &b->opts.stacks;
	struct stack_member *m = stacks_member(b, d, STACK_MD);
	char dev[80], out[2048], line[160], what[512], mddev[128];
	const char *mdadm, *base;
	size_t i;
	int r;

	if (!m)
		return;
	if (o->no_md || !md_wanted(o, d->uuid)) {
		set_state(m, MEMBER_SKIPPED, "left alone: %s",
			  o->no_md ? "rd.md=0" : "not in rd.md.uuid=");
		return;
	}
	if (stack_tool(b, STACK_MD, &mdadm) < 0) {
		set_state(m, MEMBER_FAILED, "not assembled: no mdadm in the image");
		return;
	}
	(void)modules_load_alias(&b->mods, "md_mod", false);
	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	{
		/*
		 * The initramfs has no host name of its own: every array would look foreign
		 * and lose its name (/dev/md/NAME) for a number. Arrays get their own names.
		 */
		char *argv[] = { (char *)mdadm, "--incremental",
				 "--export",	"--homehost=<ignore>",
				 dev,		NULL };

		r = stack_run(argv, NULL, 0, out, sizeof(out));
	}
	export_value(out, "MD_DEVICE", mddev, sizeof(mddev));
	if (r != 0 || !mddev[0]) {
		set_state(m, MEMBER_FAILED, "mdadm --incremental failed (%d): %s", r,
			  stack_last_line(out, line, sizeof(line)));
		log_console("/dev/%s: %s", d->name, m->what);
		return;
	}
	/* "/dev/md/root" is a link to "/dev/md127": the kernel's name is what /sys knows */
	{
		char *real = realpath(mddev, NULL);

		base = strrchr(real ? real : mddev, '/');
		snprintf(m->group, sizeof(m->group), "%s", base ? base + 1 : mddev);
		free(real);
	}
	if (md_active(b, m->group)) {
		snprintf(what, sizeof(what), "array %s (%s) assembled", m->group, mddev);
		set_group_state(b, STACK_MD, m->group, MEMBER_DONE, what);
		log_info("%s", what);
		return;
	}
	/* the clock of an incomplete array restarts with each member that joins it */
	snprintf(what, sizeof(what), "array %s (%s) incomplete: inactive", m->group, mddev);
	set_group_state(b, STACK_MD, m->group, MEMBER_WAITING, what);
	for (i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == STACK_MD && !strcmp(b->st.v[i].group, m->group))
			b->st.v[i].since_ms = mono_ms();
	log_info("/dev/%s: %s; starting it degraded in %d s unless the rest appears", d->name, what,
		 o->md_retry);
}

/* rd.retry= passed for the array of @m: start it with the members it has. */
static void md_start_degraded(struct boot *b, struct stack_member *m)
{
	char dev[160], out[2048], line[160], what[512], degraded[16], disks[16];
	const char *mdadm;
	int r;

	if (stack_tool(b, STACK_MD, &mdadm) < 0)
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", m->group);
	{
		char *argv[] = { (char *)mdadm, "--run", dev, NULL };

		r = stack_run(argv, NULL, 0, out, sizeof(out));
	}
	if (r != 0 || !md_active(b, m->group)) {
		snprintf(what, sizeof(what),
			 "array %s incomplete after rd.retry=%d s and cannot "
			 "start degraded: %s",
			 m->group, b->opts.stacks.md_retry,
			 stack_last_line(out, line, sizeof(line)));
		set_group_state(b, STACK_MD, m->group, MEMBER_FAILED, what);
		log_console("%s", what);
		return;
	}
	md_attr(b, m->group, "degraded", degraded, sizeof(degraded));
	md_attr(b, m->group, "raid_disks", disks, sizeof(disks));
	snprintf(what, sizeof(what),
		 "array %s started DEGRADED after rd.retry=%d s: %s of %s devices "
		 "missing",
		 m->group, b->opts.stacks.md_retry, degraded[0] ? degraded : "?",
		 disks[0] ? disks : "?");
	set_group_state(b, STACK_MD, m->group, MEMBER_DONE, what);
	log_console("%s", what);
}

/*
 * Timers: an incomplete array whose rd.retry= has passed starts degraded. Returns the ms
 * until the next one is due, or -1 when none is waiting.
 */
int stacks_tick(struct boot *b)
{
	long long now = mono_ms(), next = -1, retry = (long long)b->opts.stacks.md_retry * 1000;
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		struct stack_member *m = &b->st.v[i];
		long long due;

		if (m->kind != STACK_MD || m->state != MEMBER_WAITING)
			continue;
		if (md_active(b, m->group)) {
			/* its last member came and mdadm started it: nothing to wait for */
			m->state = MEMBER_DONE;
			continue;
		}
		due = m->since_ms + retry;
		if (due <= now) {
			md_start_degraded(b, m);
			now = mono_ms();
			continue;
		}
		if (next < 0 || due - now < next)
			next = due - now;
	}
	return (int)next;
}

/* ---- the dispatcher ---- */

void stacks_device(struct boot *b, const struct blockdev *d)
{
	enum stack_kind k;

	if (!strcmp(d->type, "crypto_LUKS"))
		k = STACK_LUKS;
	else if (!strcmp(d->type, "LVM2_member"))
		k = STACK_LVM;
	else if (!strcmp(d->type, "linux_raid_member"))
		k = STACK_MD;
	else
		return;
	/* a dry run opens nothing */
	if (b->devs.devdir) {
		char plan[256] = "";

		if (k == STACK_LUKS && luks_plan_describe(b, d, plan, sizeof(plan)) == 1)
			log_info("/dev/%s: a %s member (UUID %s): the boot would run %s to open it "
				 "as "
				 "/dev/mapper/%s",
				 d->name, kind_names[k], d->uuid, tool_names[k], plan);
		else if (k == STACK_LUKS)
			log_info("/dev/%s: a %s member (UUID %s): left locked: %s", d->name,
				 kind_names[k], d->uuid, plan);
		else
			log_info("/dev/%s: a %s member (UUID %s): the boot would run %s", d->name,
				 kind_names[k], d->uuid, tool_names[k]);
		return;
	}
	if (k == STACK_LUKS)
		luks_member(b, d);
	else if (k == STACK_LVM)
		lvm_member(b, d);
	else
		md_member(b, d);
}

/* Device @dev went away: what was done with it is undone by the kernel, or stays done. */
void stacks_forget(struct boot *b, const char *dev)
{
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		if (strcmp(b->st.v[i].dev, dev))
			continue;
		memmove(&b->st.v[i], &b->st.v[i + 1], (b->st.n - i - 1) * sizeof(b->st.v[0]));
		b->st.n--;
		i--;
	}
}

/* Before searching again (after a rescue shell): every member is looked at anew. */
void stacks_retry(struct boot *b)
{
	b->st.n = 0;
	b->st.gave_up = false;
	b->st.tool_missing = 0;
	if (b->st.crypttab_read)
		crypttab_free(&b->st.crypttab);
	b->st.crypttab_read = false;
}

/* The boot goes on without the initramfs: nothing of a passphrase stays in memory. */
void stacks_end(struct boot *b)
{
	if (b->st.passphrase) {
		explicit_bzero(b->st.passphrase, strlen(b->st.passphrase));
		free(b->st.passphrase);
		b->st.passphrase = NULL;
	}
	free(b->st.v);
	b->st.v = NULL;
	b->st.n = b->st.cap = 0;
	if (b->st.crypttab_read)
		crypttab_free(&b->st.crypttab);
	b->st.crypttab_read = false;
}

/* For the failure report: each member not done, and why. */
void stacks_report(const struct boot *b, void (*fn)(const char *line, void *ud), void *ud)
{
	static const char *const states[] = {
		[MEMBER_DONE] = "",
		[MEMBER_SKIPPED] = "",
		[MEMBER_WAITING] = "waiting: ",
		[MEMBER_FAILED] = "",
	};
	char line[800];
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		const struct stack_member *m = &b->st.v[i];

		snprintf(line, sizeof(line), "  %s /dev/%s UUID=%s: %s%s", kind_names[m->kind],
			 m->dev, m->uuid, states[m->state], m->what);
		fn(line, ud);
	}
}
