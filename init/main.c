// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rdinit: the /init of an initramfs. The boot, phase by phase, as a flat list; each phase is
 * in its own file. This file alone decides what happens on failure, and never exits.
 */
#include <errno.h>
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
#include <unistd.h>

#include "rdinit.h"

extern char **environ;

#define RESCUE_SHELL "/bin/sh"

static bool have_shell(void)
{
	return access(RESCUE_SHELL, X_OK) == 0;
}

/* Wait for @pid, reaping every other child that exits meanwhile. */
static void wait_for(pid_t pid)
{
	pid_t p;

	do
		p = waitpid(-1, NULL, 0);
	while (p != pid && !(p < 0 && errno == ECHILD));
}

/* A shell on the console, in its own session with the console as controlling terminal. */
static void run_shell(const char *why)
{
	pid_t pid;

	log_console("%s: starting %s; leave it to go on", why, RESCUE_SHELL);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)RESCUE_SHELL, NULL };

		(void)setsid();
		(void)ioctl(0, TIOCSCTTY, 1);
		execve(RESCUE_SHELL, argv, environ);
		_exit(127);
	}
	if (pid > 0)
		wait_for(pid);
}

static void __attribute__((noreturn)) wait_forever(void)
{
	log_console("boot stopped; waiting (rdinit.onfail= or panic=N choose otherwise)");
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
}

/*
 * The failure policy. Returns only after a rescue shell exited, to try again; the shell is
 * offered only while the initramfs is still there (@can_retry).
 */
static void on_fail(const struct rdinit_opts *o, bool can_retry)
{
	int policy = o->onfail;

	if (policy == ONFAIL_DEFAULT)
		policy = o->panic != 0 ? ONFAIL_REBOOT : have_shell() ? ONFAIL_SHELL : ONFAIL_WAIT;
	if (policy == ONFAIL_SHELL && (!can_retry || !have_shell())) {
		log_console("no rescue shell in the image (mkrdinit --shell)");
		policy = ONFAIL_WAIT;
	}
	switch (policy) {
	case ONFAIL_SHELL:
		run_shell("boot failed");
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

/* rdinit.break=STAGE: a shell before going on, as dracut's rd.break. */
static void stage_break(const struct rdinit_opts *o, enum stage stage)
{
	char why[64];

	if (!(o->breaks & (1u << stage)))
		return;
	snprintf(why, sizeof(why), "rdinit.break=%s", stage_names[stage]);
	if (!have_shell()) {
		log_console("%s: no shell in the image; going on", why);
		return;
	}
	run_shell(why);
}

static void exec_init(const char *init, int argc, char **argv)
{
	char *args[argc + 1];
	sigset_t all;
	int i;

	args[0] = (char *)init;
	for (i = 1; i < argc; i++)
		args[i] = argv[i];
	args[argc] = NULL;
	/* the real init inherits a clean slate: no mask, default handlers, no stray fds */
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	(void)syscall(SYS_close_range, 3U, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	sys_reap();
	execve(init, args, environ);
}

/* The first time: libkmod and the uevent socket, then the coldplug replay. */
static void start_coldplug(const struct rdinit_opts *o)
{
	struct utsname uts;
	char dir[PATH_MAX];
	int r;

	(void)uname(&uts);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", uts.release);
	r = modules_init(dir);
	if (r < 0)
		log_err("libkmod on %s: %s; loading no modules", dir, strerror(-r));
	r = coldplug_open();
	if (r < 0)
		log_err("netlink uevent socket: %s; only devices present now are seen",
			strerror(-r));
}

static int find_root(const struct rdinit_opts *o, struct root_dev *dev)
{
	struct root_spec spec;
	int r;

	if (!o->root) {
		log_console("no root= on the kernel command line: nothing to look for");
		return -EINVAL;
	}
	if (rootspec_parse(o->root, &spec) < 0) {
		log_console("cannot understand root=%s", o->root);
		return -EINVAL;
	}
	log_info("looking for root=%s (%s)", o->root, rootspec_kind_name(spec.kind));
	r = root_find(o, &spec, dev);
	if (r < 0)
		root_report(o, &spec);
	return r;
}

/* Find, mount, and check there is an init to run. Returns 0, or -errno after reporting. */
static int prepare_root(const struct rdinit_opts *o, struct root_dev *dev, char *init,
			size_t initlen)
{
	int r;

	r = find_root(o, dev);
	if (r < 0)
		return r;
	stage_break(o, STAGE_ROOT);
	timing_mark("root device seen");
	r = root_mount(o, dev, RDINIT_NEWROOT);
	if (r < 0) {
		log_console("cannot mount root %s (root=%s)", dev->devnode, o->root);
		return r;
	}
	timing_mark("root mounted");
	stage_break(o, STAGE_MOUNT);
	r = init_resolve(RDINIT_NEWROOT, o->init, init, initlen);
	if (r < 0) {
		log_console("no init to run on %s: %s: %s", dev->devnode,
			    o->init ? o->init : "/sbin/init, /etc/init, /bin/init, /bin/sh",
			    strerror(-r));
		(void)umount2(RDINIT_NEWROOT, MNT_DETACH);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct rdinit_opts o;
	struct root_dev dev;
	char init[PATH_MAX], *cmdline = NULL;
	int r;

	if (getpid() != 1) {
		fprintf(stderr, "rdinit: this is the /init of an initramfs; it runs as PID 1\n");
		return 1;
	}
	timing_mark("start");
	r = mount_early();
	console_open(NULL);
	log_open();
	timing_mark("early mounts");
	if (r < 0)
		log_err("early mounts: %s", strerror(-r));

	opts_init(&o);
	/* defaults < /etc/rdinit.conf < the kernel command line */
	r = conf_load(RDINIT_CONF, &o);
	if (r < 0)
		log_err("reading %s: %s", RDINIT_CONF, strerror(-r));
	r = read_trimmed_file("/proc/cmdline", &cmdline);
	if (r < 0)
		log_err("reading /proc/cmdline: %s", strerror(-r));
	else if (cmdline_parse(cmdline, &o) < 0)
		log_err("parsing the command line: out of memory");
	free(cmdline);
	if (o.debug)
		log_set_max_level(LOG_LVL_DEBUG);
	else if (o.quiet)
		log_set_max_level(LOG_LVL_WARNING);

	stage_break(&o, STAGE_CMDLINE);

	start_coldplug(&o);
	timing_mark("coldplug started");
	stage_break(&o, STAGE_MODULES);
	while (prepare_root(&o, &dev, init, sizeof(init)) < 0)
		on_fail(&o, true);
	coldplug_close();
	modules_exit();

	stage_break(&o, STAGE_SWITCH);
	r = switch_root(RDINIT_NEWROOT);
	if (r < 0) {
		log_console("switching to the root on %s failed: %s", dev.devnode, strerror(-r));
		on_fail(&o, false);
	}
	console_open(o.console);
	log_info("handing over to %s", init);
	timing_mark("exec init");
	timing_finish("/run/rdinit/timings", o.debug);
	timing_setenv();
	log_close();
	exec_init(init, argc, argv);
	log_console("executing %s failed: %m", init);
	for (;;)
		on_fail(&o, false);
}
