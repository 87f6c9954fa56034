// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rdinit: the /init of an initramfs. The boot, phase by phase, as a flat list; each phase is
 * in its own file. This file alone decides what happens on failure, and never exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "rdlog.h"
#include "boot.h"

extern char **environ;

#define RESCUE_SHELL "/bin/sh"

static bool have_shell(void)
{
	return access(RESCUE_SHELL, X_OK) == 0;
}

/* A shell lived this long at least (ms) to count as a user's: see on_fail(). */
#define SHELL_MIN_LIFE_MS 3000

/*
 * A shell on the console, in its own session with the console as controlling terminal.
 * Returns how long it lived in ms, or -1 when it could not start.
 */
static long long run_shell(const char *why)
{
	long long t0 = mono_ms();
	int fds[2], err = 0;
	ssize_t n;
	pid_t pid, p;

	log_console("%s: starting %s; leave it to go on", why, RESCUE_SHELL);
	/* a failed exec says so through the pipe; a user's last command may well exit 127 */
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)RESCUE_SHELL, NULL };

		(void)setsid();
		(void)ioctl(0, TIOCSCTTY, 1);
		execve(RESCUE_SHELL, argv, environ);
		err = errno;
		(void)!write(fds[1], &err, sizeof(err));
		_exit(127);
	}
	close(fds[1]);
	while (pid > 0 && (n = read(fds[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (pid < 0)
		return -1;
	/* reap every other child that exits meanwhile */
	do
		p = waitpid(-1, NULL, 0);
	while (p != pid && !(p < 0 && errno == ECHILD));
	if (err) {
		log_console("cannot run %s: %s", RESCUE_SHELL, strerror(err));
		return -1;
	}
	return mono_ms() - t0;
}

static void __attribute__((noreturn)) wait_forever(void)
{
	log_flush_suppressed();
	log_console("boot stopped; waiting (rdinit.onfail= or panic=N choose otherwise)");
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
}

/*
 * The failure policy. Returns only after a rescue shell exited, to try again; the shell is
 * offered only while the initramfs is still there (@can_retry). A shell that could not start
 * or left at once (console=null, a broken /bin/sh) is nobody fixing anything: trying again
 * would loop and flood the log, so rdinit waits instead.
 */
static void on_fail(const struct rdinit_opts *o, bool can_retry)
{
	int policy = o->onfail;
	long long lived;

	log_flush_suppressed();
	if (policy == ONFAIL_DEFAULT)
		policy = o->panic != 0 ? ONFAIL_REBOOT : have_shell() ? ONFAIL_SHELL : ONFAIL_WAIT;
	if (policy == ONFAIL_SHELL && (!can_retry || !have_shell())) {
		log_console(can_retry ? "no rescue shell in the image (mkrdinit --shell)"
				      : "no rescue shell: the initramfs is gone");
		policy = ONFAIL_WAIT;
	}
	switch (policy) {
	case ONFAIL_SHELL:
		lived = run_shell("boot failed");
		if (lived < 0) {
			log_console("the rescue shell %s could not start; not trying again",
				    RESCUE_SHELL);
			wait_forever();
		}
		if (lived < SHELL_MIN_LIFE_MS) {
			log_console(
				"the rescue shell left after %lld ms (under %d s: nobody at the "
				"console?); not trying again",
				lived, SHELL_MIN_LIFE_MS / 1000);
			wait_forever();
		}
		log_console("shell exited; trying again");
		return;
	case ONFAIL_REBOOT:
		log_console("rebooting in %d s", o->panic > 0 ? o->panic : 0);
		sys_reboot_after(o->panic > 0 ? o->panic : 0, RB_AUTOBOOT);
	case ONFAIL_HALT:
		log_console("powering off");
		sys_reboot_after(0, RB_POWER_OFF);
	default:
		wait_forever();
	}
}

/*
 * The boot reaches @stage (common/stages.h): its hooks (hooks.c), then rdinit.break='s shell,
 * as dracut's rd.break. A required hook that fails is the failure policy; after a rescue shell
 * the stage's hooks run again, from the first, until they pass.
 */
static void stage_reached(struct boot *b, enum stage stage)
{
	char why[64];

	while (hooks_run(b, stage) < 0)
		on_fail(&b->opts, true);
	if (!(b->opts.breaks & (1u << stage)))
		return;
	snprintf(why, sizeof(why), "rdinit.break=%s", stage_defs[stage].break_name);
	if (!have_shell()) {
		log_console("%s: no shell in the image; going on", why);
		return;
	}
	(void)run_shell(why);
}

/*
 * Exec @init with the kernel's arguments. With @serial_fd (systemd.c) systemd is told first
 * that it comes after an initrd and where the serialization is: the one fd left open.
 */
static void exec_init(const char *init, int argc, char **argv, int serial_fd)
{
	char *args[argc + 4], fdarg[32];
	sigset_t all;
	int i, n = 0;

	args[n++] = (char *)init;
	if (serial_fd >= 0) {
		snprintf(fdarg, sizeof(fdarg), "--deserialize=%d", serial_fd);
		args[n++] = "--switched-root";
		args[n++] = "--system";
		args[n++] = fdarg;
	}
	for (i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	/* the real init inherits a clean slate: no mask, default handlers, no stray fds */
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	(void)syscall(SYS_close_range, 3U, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	if (serial_fd >= 0)
		(void)fcntl(serial_fd, F_SETFD, 0);
	sys_reap();
	execve(init, args, environ);
}

/*
 * systemd as the real init: the serialization that gives it the initrd start, or -1 (any
 * other init, or none could be made: systemd then boots as without an initramfs).
 */
static int systemd_handoff(const char *init)
{
	unsigned long long rt, mono;
	int fd;

	if (!init_is_systemd("/", init) || timing_start(&rt, &mono) < 0)
		return -1;
	fd = systemd_serialization(rt, mono);
	if (fd < 0) {
		log_warn("no serialization for systemd (%s): it will not know the initrd's time",
			 strerror(-fd));
		return -1;
	}
	log_debug("systemd: --switched-root, initrd start in fd %d", fd);
	return fd;
}

/* defaults < /etc/rdinit.conf < the kernel command line */
static void read_settings(struct rdinit_opts *o)
{
	char *cmdline = NULL;
	int r;

	opts_init(o);
	r = conf_load(RDINIT_CONF, o);
	if (r < 0)
		log_err("reading %s: %s", RDINIT_CONF, strerror(-r));
	r = read_trimmed_file("/proc/cmdline", &cmdline);
	if (r < 0)
		log_err("reading /proc/cmdline: %s", strerror(-r));
	else if (cmdline_parse(cmdline, o) < 0)
		log_err("parsing the command line: out of memory");
	free(cmdline);
	if (o->debug)
		log_set_max_level(LOG_LVL_DEBUG);
	else if (o->quiet)
		log_set_max_level(LOG_LVL_WARNING);
}

/* What root= asks for; nothing to look for is a failure like any other. */
static int parse_root(struct boot *b)
{
	if (!b->opts.root) {
		log_console("no root= on the kernel command line: nothing to look for");
		return -EINVAL;
	}
	if (rootspec_parse(b->opts.root, &b->spec) < 0) {
		log_console("cannot understand root=%s", b->opts.root);
		return -EINVAL;
	}
	devices_depth_for(&b->devs, &b->spec);
	if (b->opts.resume && !b->opts.noresume &&
	    rootspec_parse(b->opts.resume, &b->resume_spec) == 0)
		devices_deepen_for(&b->devs, &b->resume_spec);
	else
		b->resume_spec.kind = ROOT_NONE;
	return 0;
}

/* libkmod (its indexes and modprobe.d) and the uevent socket; the replay comes with the wait. */
static void start_events(struct boot *b)
{
	struct utsname uts;
	int r;

	(void)uname(&uts);
	b->mods.workers = b->opts.workers;
	r = modules_init(&b->mods, "", uts.release);
	if (r < 0)
		log_err("libkmod on /lib/modules/%s: %s; loading no modules", uts.release,
			strerror(-r));
	r = events_open(b);
	if (r < 0)
		log_err("netlink uevent socket: %s; looking at /sys now and then instead",
			strerror(-r));
}

/* Wait for the device root= names; report what was seen when it does not come. */
static int wait_root(struct boot *b)
{
	const struct rdinit_opts *o = &b->opts;

	log_info("looking for root=%s (%s)", o->root, rootspec_kind_name(b->spec.kind));
	if (!events_wait_root(b, o->rootwait ? -1 : wait_seconds(o) * 1000)) {
		report_root_missing(b, wait_seconds(o));
		return -ETIMEDOUT;
	}
	/*
	 * Two filesystems with one UUID or LABEL (a cloned disk) must not go unnoticed: probe the
	 * block devices already there that the search stopped short of, and say so.
	 */
	if (b->spec.kind != ROOT_DEVNAME && b->spec.kind != ROOT_DEVNUM) {
		(void)coldplug_block_devices(b, true, event_dispatch);
		log_debug("checked %zu block devices for a second match", b->devs.n);
		devices_warn_duplicates(b);
	}
	return 0;
}

/* Mount the root on /root, then what its fstab needs mounted, and check there is an init. */
static int mount_root(struct boot *b, char *init, size_t initlen)
{
	const struct rdinit_opts *o = &b->opts;
	int r;

	r = root_mount(b, RDINIT_NEWROOT);
	if (r < 0) {
		report_mount_failed(b);
		return r;
	}
	timing_mark("root mounted");
	stage_reached(b, STAGE_MOUNT);
	/* a separate /usr and the x-initrd.mount entries, before anything looks for init */
	r = mount_initrd_entries(b, RDINIT_NEWROOT);
	if (r < 0) {
		/* lazily, with all below it: a retry starts from an empty /root */
		(void)umount2(RDINIT_NEWROOT, MNT_DETACH);
		return r;
	}
	r = init_resolve(RDINIT_NEWROOT, o->init, init, initlen);
	if (r < 0) {
		log_console("no init to run on %s: %s: %s", b->rootdev.devnode,
			    o->init ? o->init : "/sbin/init, /etc/init, /bin/init, /bin/sh",
			    strerror(-r));
		(void)umount2(RDINIT_NEWROOT, MNT_DETACH);
	}
	return r;
}

/* Find the root, mount it, find its init; after a failure, the policy, then all again. */
static void find_and_mount_root(struct boot *b, char *init, size_t initlen)
{
	for (;;) {
		int r = parse_root(b);

		if (r == 0)
			r = wait_root(b);
		if (r == 0) {
			timing_mark("root device seen");
			/* before anything (a hook, a shell) can mount: a hibernated system resumes
			 */
			resume_from_hibernation(b);
			stage_reached(b, STAGE_ROOT);
			r = mount_root(b, init, initlen);
		}
		if (r == 0)
			return;
		on_fail(&b->opts, true);
		events_retry(b);
	}
}

/*
 * Where the real init is: the OS in the initramfs itself (ramroot.c: no root=, root=ram or
 * rdinit.mode=ram, and an init in the image), or the root device, found and mounted.
 */
static const char *find_root(struct boot *b, char *init, size_t initlen)
{
	int r;

	while ((r = ramroot_find(&b->opts, "/", "/proc/self/exe", init, initlen)) < 0)
		on_fail(&b->opts, true);
	if (r > 0) {
		log_info("running %s from the initramfs", init);
		return RDINIT_RAMROOT;
	}
	find_and_mount_root(b, init, initlen);
	return RDINIT_NEWROOT;
}

/* A switch that fails has deleted nothing: the initramfs and its shell are still there. */
static int switch_to(const struct boot *b, const char *newroot)
{
	if (!strcmp(newroot, RDINIT_RAMROOT))
		return ramroot_switch(&b->opts, newroot);
	return switch_root(newroot, b->opts.keep_initramfs);
}

/*
 * rdinit --dry-run [--sysroot DIR] [--kver VER] [--cmdline "..."]: on a running system (or
 * a copy of its /sys, /dev and /lib/modules under DIR), what the initramfs would do: the
 * modules it would load for the devices there, and which device would be the root. Loads,
 * mounts and deletes nothing.
 */
static int dry_run(int argc, char **argv)
{
	static struct boot b = { .ev.nl_fd = -1 };
	const char *root = "", *kver = NULL, *cmdline = NULL;
	char sysfs[PATH_MAX], devdir[PATH_MAX], path[PATH_MAX], *text = NULL;
	struct utsname uts;
	int i;

	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--sysroot"))
			root = strcmp(argv[i + 1], "/") ? argv[i + 1] : "";
		else if (!strcmp(argv[i], "--kver"))
			kver = argv[i + 1];
		else if (!strcmp(argv[i], "--cmdline"))
			cmdline = argv[i + 1];
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "usage: rdinit --dry-run [--sysroot DIR] [--kver VER] "
				"[--cmdline \"...\"]\n");
		return 2;
	}
	(void)uname(&uts);
	snprintf(sysfs, sizeof(sysfs), "%s/sys", root);
	snprintf(devdir, sizeof(devdir), "%s/dev", root);
	b.sysfs = sysfs;
	b.devs.devdir = devdir;
	b.dry_run = true;
	b.mods.dry_run = true;
	log_set_fd(1, false);
	opts_init(&b.opts);
	snprintf(path, sizeof(path), "%s%s", root, RDINIT_CONF);
	if (conf_load(path, &b.opts) < 0)
		fprintf(stderr, "rdinit: cannot read %s\n", path);
	snprintf(path, sizeof(path), "%s/proc/cmdline", root);
	if (!cmdline && read_trimmed_file(path, &text) == 0)
		cmdline = text;
	if (cmdline)
		(void)cmdline_parse(cmdline, &b.opts);
	if (b.opts.debug)
		log_set_max_level(LOG_LVL_DEBUG);
	if (modules_init(&b.mods, root, kver ? kver : uts.release) < 0)
		fprintf(stderr, "rdinit: no module index under %s/lib/modules\n", root);
	if (parse_root(&b) < 0)
		b.spec.kind = ROOT_NONE;
	/* libkmod reads the blacklist from the running kernel's /proc/cmdline: this one's too */
	if (cmdline)
		modules_blacklist_cmdline(&b.mods, cmdline);
	events_replay_all(&b);
	if (b.root) {
		log_info("root=%s would be %s (%s)", b.opts.root, b.rootdev.devnode,
			 b.rootdev.fstype[0] ? b.rootdev.fstype : "no known filesystem");
		if (b.rootdev.fstype[0])
			(void)modules_load_fs(&b.mods, b.rootdev.fstype);
	} else if (b.opts.root) {
		report_root_missing(&b, 0);
	}
	free(text);
	modules_exit(&b.mods);
	devices_stop_prober(&b.devs);
	devices_clear(&b.devs);
	opts_free(&b.opts);
	return b.root ? 0 : 1;
}

int main(int argc, char **argv)
{
	static struct boot b = {
		.sysfs = "/sys",
		.report_path = "/run/rdinit/report",
		.hooks_dir = RDINIT_HOOKS_DIR,
		.ev.nl_fd = -1,
	};
	char init[PATH_MAX];
	const char *newroot;
	int r, serial_fd;

	/* what common/ says (a crypttab line not used) goes to our log */
	rd_log_set(log_vmsg);
	if (argc > 1 && !strcmp(argv[1], "--dry-run"))
		return dry_run(argc, argv);
	if (modprobe_called(argc, argv))
		return modprobe_main(argc, argv);
	if (shutdown_called(argc, argv))
		return shutdown_main(argc, argv);
	if (getpid() != 1) {
		fprintf(stderr, "rdinit: this is the /init of an initramfs; it runs as PID 1 "
				"(or try rdinit --dry-run)\n");
		return 1;
	}
	timing_mark("start");
	r = mount_early();
	console_open(NULL);
	log_open();
	timing_mark("early mounts");
	if (r < 0)
		log_err("early mounts: %s", strerror(-r));

	read_settings(&b.opts);
	stage_reached(&b, STAGE_CMDLINE);
	stage_reached(&b, STAGE_MODULES);
	start_events(&b);
	/* the kernel's module requests come to this program, at the path it was started as */
	modprobe_take_over(argv[0][0] == '/' ? argv[0] : "/init");
	timing_mark("libkmod and netlink ready");
	newroot = find_root(&b, init, sizeof(init));
	/* systemd comes back to /run/initramfs/shutdown to take the root apart at shutdown */
	if (strcmp(newroot, RDINIT_RAMROOT) && init_is_systemd(newroot, init))
		shutdown_prepare();
	/* the tools still running end first, and say what they did */
	events_close(&b);
	stacks_end(&b);
	modules_exit(&b.mods);
	modprobe_give_back();

	stage_reached(&b, STAGE_SWITCH);
	while (switch_to(&b, newroot) < 0)
		on_fail(&b.opts, true);
	console_open(b.opts.console);
	log_info("handing over to %s", init);
	timing_mark("exec init");
	timing_finish("/run/rdinit/timings", b.opts.debug);
	timing_setenv();
	serial_fd = systemd_handoff(init);
	log_close();
	exec_init(init, argc, argv, serial_fd);
	if (serial_fd >= 0)
		close(serial_fd);
	log_console("executing %s failed: %m", init);
	for (;;)
		on_fail(&b.opts, false);
}
