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
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rdinit.h"

extern char **environ;

/* The failure policy: panic=N reboots after N s (at once if N < 0); otherwise wait. */
static void __attribute__((noreturn)) fail(const struct rdinit_opts *o)
{
	if (o->panic != 0) {
		int s = o->panic > 0 ? o->panic : 0;

		log_console("rebooting in %d s (panic=%d)", s, o->panic);
		sys_reboot_after(s);
	}
	log_console("boot stopped; waiting (set panic=N to reboot after N seconds)");
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
	}
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

static int find_root(struct rdinit_opts *o, struct root_dev *dev)
{
	struct root_spec spec;
	struct utsname uts;
	char dir[PATH_MAX];
	int r;

	if (!o->root) {
		log_console("no root= on the kernel command line: nothing to look for");
		return -EINVAL;
	}
	if (rootspec_parse(o->root, &spec) < 0) {
		log_console("cannot understand root=%s", o->root);
		return -EINVAL;
	}
	(void)uname(&uts);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", uts.release);
	r = modules_init(dir);
	if (r < 0)
		log_err("libkmod on %s: %s; loading no modules", dir, strerror(-r));
	r = coldplug_open();
	if (r < 0)
		log_err("netlink uevent socket: %s; only devices present now are seen",
			strerror(-r));
	log_info("looking for root=%s (%s)", o->root, rootspec_kind_name(spec.kind));
	r = root_find(o, &spec, dev);
	coldplug_close();
	if (r < 0)
		root_report(o, &spec);
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
	r = mount_early();
	console_open(NULL);
	log_open();
	if (r < 0)
		log_err("early mounts: %s", strerror(-r));

	opts_init(&o);
	/* defaults < /etc/rdinit.conf < the kernel command line */
	r = conf_load(RDINIT_CONF, &o);
	if (r < 0)
		log_err("reading %s: %s", RDINIT_CONF, strerror(-r));
	r = cmdline_read("/proc/cmdline", &cmdline);
	if (r < 0)
		log_err("reading /proc/cmdline: %s", strerror(-r));
	else if (cmdline_parse(cmdline, &o) < 0)
		log_err("parsing the command line: out of memory");
	free(cmdline);
	if (o.debug)
		log_set_max_level(LOG_LVL_DEBUG);
	else if (o.quiet)
		log_set_max_level(LOG_LVL_WARNING);

	if (find_root(&o, &dev) < 0)
		fail(&o);
	if (root_mount(&o, &dev, RDINIT_NEWROOT) < 0) {
		log_console("cannot mount root %s (root=%s)", dev.devnode, o.root);
		fail(&o);
	}
	modules_exit();
	r = init_resolve(RDINIT_NEWROOT, o.init, init, sizeof(init));
	if (r < 0) {
		log_console("no init to run on %s: %s: %s", dev.devnode,
			    o.init ? o.init : "/sbin/init, /etc/init, /bin/init, /bin/sh",
			    strerror(-r));
		fail(&o);
	}
	r = switch_root(RDINIT_NEWROOT);
	if (r < 0) {
		log_console("switching to the root on %s failed: %s", dev.devnode, strerror(-r));
		fail(&o);
	}
	console_open(o.console);
	log_info("handing over to %s", init);
	log_close();
	exec_init(init, argc, argv);
	log_console("executing %s failed: %m", init);
	fail(&o);
}
