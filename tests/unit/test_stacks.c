// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The storage stacks (init/stacks.c, init/luks.c) with fake tools: shell scripts in a
 * temporary directory standing in for cryptsetup, lvm and mdadm, saying what the real ones
 * say and logging how they were run. The passphrase prompt reads a pseudo-terminal. The VM
 * tests (tests/vm/scn_stacks.sh) run the real tools on real disks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dmname.h"
#include "boot.h"
#include "clock.h"

/* ---- what the stacks call elsewhere ------------------------------------------------- */

int modules_load_fs(struct modules *m, const char *fstype)
{
	return 0;
}

int modules_load_alias(struct modules *m, const char *alias, bool is_modalias)
{
	return 0;
}

void modules_report(const struct modules *m,
		    void (*fn)(const char *what, enum module_trouble t, void *ud), void *ud)
{
}

int alias_rank(const char *modalias)
{
	return 2;
}

/* ---- fixtures ----------------------------------------------------------------------- */

static char top[64], logpath[128], reportpath[128], runs[128];
static struct boot b;

struct medium {
	const char *name, *type, *uuid;
};
static const struct medium *media;

void devices_stop_prober(struct devices *t)
{
}

/* the prober: what the fixture says each device holds */
void prober_probe(struct devices *t, struct blockdev *d)
{
	const struct medium *m;

	for (m = media; m && m->name; m++) {
		if (!strcmp(m->name, d->name)) {
			snprintf(d->type, sizeof(d->type), "%s", m->type);
			snprintf(d->uuid, sizeof(d->uuid), "%s", m->uuid);
		}
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void tool(const char *name, const char *script)
{
	char path[256], text[4096];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"%s $*\" >>%s\n%s\n", name, runs, script);
	write_file(path, text, 0755);
}

static const char *slurp(const char *path)
{
	static char buf[4][1 << 15];
	static int k;
	char *out = buf[k++ % 4];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, sizeof(buf[0]) - 1, f) : 0;

	if (f)
		fclose(f);
	out[n] = '\0';
	return out;
}

static int setup(void **state)
{
	int fd;

	snprintf(top, sizeof(top), "/tmp/rdinit-stacks-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	snprintf(reportpath, sizeof(reportpath), "%s/report", top);
	snprintf(runs, sizeof(runs), "%s/runs", top);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	log_set_fd(fd, false);
	log_set_max_level(LOG_LVL_DEBUG);
	memset(&b, 0, sizeof(b));
	opts_init(&b.opts);
	b.sysfs = top;
	b.report_path = reportpath;
	b.st.tool_dir = top;
	b.st.no_run_dirs = true;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	stacks_end(&b);
	loop_clear(&b);
	devices_clear(&b.devs);
	opts_free(&b.opts);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

/* Until every tool run and prompt has ended (their functions called), at most 20 s. */
static void settle(void)
{
	long long end = mono_ms() + 20000;

	while (loop_busy(&b) && mono_ms() < end)
		(void)loop_run_once(&b, -1, 1000);
}

static void add_now(const char *name);

static void add(const char *name)
{
	add_now(name);
	settle();
}

/* @name's "add" uevent, handled; what it starts is still running */
static void add_now(const char *name)
{
	char devpath[128];
	struct uevent ev = { .action = "add",
			     .subsystem = "block",
			     .devname = name,
			     .devpath = devpath,
			     .major = 254,
			     .minor = 0 };

	snprintf(devpath, sizeof(devpath), "/devices/virtual/block/%s", name);
	devices_event(&b, &ev);
}

static void cmdline(const char *line)
{
	assert_int_equal(cmdline_parse(line, &b.opts), 0);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_cmdline_options(void **state)
{
	cmdline("rd.luks.uuid=luks-abc rd.luks.uuid=def rd.luks.name=abc=cryptroot rd.lvm.vg=vg0 "
		"rd.lvm.lv=vg1/root rd.lvm.lv=nolv rd.md=0 rd.retry=4 rd.luks.crypttab=0 "
		"rd.luks.key=/k:UUID=1 rd.luks=0");
	assert_int_equal(b.opts.stacks.luks_uuid.n, 2);
	assert_string_equal(b.opts.stacks.luks_name.v[0], "abc=cryptroot");
	assert_int_equal(b.opts.stacks.lvm_lv.n, 1); /* "nolv" has no VG/ and is refused */
	assert_true(b.opts.stacks.no_md);
	assert_true(b.opts.stacks.no_luks);
	assert_true(b.opts.stacks.no_crypttab);
	assert_false(b.opts.stacks.no_lvm);
	assert_int_equal(b.opts.stacks.md_retry, 4);
	assert_non_null(strstr(slurp(logpath), "ignoring rd.lvm.lv=nolv"));
}

/*
 * A volume group of two PVs is activated when the second appears, not before: with nothing
 * on the command line to choose by, by the one "pvscan --cache -aay" the second PV's arrival
 * runs, which may read every PV seen so far.
 */
static void test_lvm_completes(void **state)
{
	static const struct medium m[] = { { "vdb", "LVM2_member", "pv-b" },
					   { "vdc", "LVM2_member", "pv-c" },
					   { "vdd", "LVM2_member", "pv-d" },
					   { "vde", "LVM2_member", "pv-e" },
					   { NULL, NULL, NULL } };

	media = m;
	tool("lvm",
	     "case \"$*\" in\n"
	     "*pvscan*vdb) echo '  pvscan[1] PV /dev/vdb online, VG vg.0 incomplete (need 1).' ;;\n"
	     "*pvscan*vdc) echo '  pvscan[2] PV /dev/vdc online, VG vg.0 is complete.'\n"
	     "  echo '  pvscan[2] VG vg.0 run autoactivation.'\n"
	     "  echo '  1 logical volume(s) in volume group \"vg.0\" now active' ;;\n"
	     "*pvscan*vdd) echo '  pvscan[3] PV /dev/vdd online, VG unknown.' ;;\n"
	     "*pvscan*vde) echo '  pvscan[4] PV /dev/vde online, VG bad is complete.'\n"
	     "  echo '  device-mapper: reload ioctl on  (253:1) failed: Invalid argument'; exit 5 "
	     ";;\n"
	     "esac\nexit 0");
	add("vdb");
	assert_string_equal(b.st.v[0].group, "vg.0");
	assert_int_equal(b.st.v[0].state, MEMBER_WAITING);
	assert_non_null(strstr(b.st.v[0].what, "volume group vg.0 incomplete"));
	add("vdc");
	assert_non_null(strstr(slurp(runs), "lvm pvscan --cache -aay --autoactivation event "
					    "--devices=/dev/vdb,/dev/vdc /dev/vdc"));
	assert_null(strstr(slurp(runs), "vgchange"));
	assert_null(strstr(slurp(runs), "--listvg"));
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	assert_int_equal(b.st.v[1].state, MEMBER_DONE);
	assert_string_equal(b.st.v[1].what, "volume group vg.0 activated");
	/* a second "add" of the same device runs nothing again */
	add("vdc");
	assert_int_equal(b.st.n, 2);
	/* a PV without metadata, first of its group: no group to say */
	add("vdd");
	assert_int_equal(b.st.v[2].state, MEMBER_SKIPPED);
	assert_string_equal(b.st.v[2].group, "");
	/* complete, but the activation fails: the group's failure, with lvm's last line */
	add("vde");
	assert_int_equal(b.st.v[3].state, MEMBER_FAILED);
	assert_non_null(strstr(b.st.v[3].what, "activating volume group bad failed (5): "
					       "device-mapper: reload ioctl"));
}

/* With rd.lvm.vg=: pvscan names the group first, vgchange activates it once complete. */
static void test_lvm_completes_listed(void **state)
{
	static const struct medium m[] = { { "vdb", "LVM2_member", "pv-b" },
					   { "vdc", "LVM2_member", "pv-c" },
					   { NULL, NULL, NULL } };

	media = m;
	tool("lvm",
	     "case \"$*\" in\n"
	     "*pvscan*vdb) echo '  VG vg0 incomplete' ;;\n"
	     "*pvscan*vdc) echo '  pvscan[1] PV /dev/vdc online.'; echo '  VG vg0 complete' ;;\n"
	     "esac\nexit 0");
	cmdline("rd.lvm.vg=vg0");
	add("vdb");
	assert_null(strstr(slurp(runs), "vgchange"));
	assert_string_equal(b.st.v[0].group, "vg0");
	assert_int_equal(b.st.v[0].state, MEMBER_WAITING);
	add("vdc");
	/* only the group's own PVs are read, not every block device */
	assert_non_null(strstr(slurp(runs), "pvscan --cache --listvg --checkcomplete --vgonline "
					    "--autoactivation event --devices=/dev/vdc /dev/vdc"));
	assert_non_null(
		strstr(slurp(runs), "lvm vgchange -aay --sysinit --devices=/dev/vdb,/dev/vdc vg0"));
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	assert_int_equal(b.st.v[1].state, MEMBER_DONE);
}

/* rd.lvm.vg= leaves other groups alone; rd.lvm.lv= activates only the volumes it names */
static void test_lvm_limits(void **state)
{
	static const struct medium m[] = { { "vdb", "LVM2_member", "pv-b" },
					   { "vdc", "LVM2_member", "pv-c" },
					   { NULL, NULL, NULL } };

	media = m;
	tool("lvm", "case \"$*\" in\n"
		    "*pvscan*vdb) echo '  VG other complete' ;;\n"
		    "*pvscan*vdc) echo '  VG vg1 complete' ;;\n"
		    "esac\nexit 0");
	cmdline("rd.lvm.lv=vg1/root");
	add("vdb");
	add("vdc");
	assert_null(strstr(slurp(runs), "vgchange"));
	assert_non_null(
		strstr(slurp(runs), "lvm lvchange -aay --sysinit --devices=/dev/vdc vg1/root"));
	assert_int_equal(b.st.v[0].state, MEMBER_SKIPPED);
	assert_non_null(strstr(b.st.v[0].what, "not in rd.lvm.vg="));
}

/*
 * 250 physical volumes in one group: every one of them is named to lvm, the last in full
 * (a fixed 2048-byte list cut "/dev/nvme249n1" short and lost the names after it).
 */
static void many_pvs(const char *line, const char *last_run)
{
	static char names[250][16];
	static struct medium m[251];
	char path[256], want[8192];
	size_t i, len;

	for (i = 0; i < 250; i++) {
		snprintf(names[i], sizeof(names[i]), "nvme%zun1", i);
		m[i] = (struct medium){ names[i], "LVM2_member", names[i] };
	}
	media = m;
	snprintf(path, sizeof(path), "%s/lvm", top);
	snprintf(want, sizeof(want),
		 "#!/bin/sh\necho \"lvm $*\" >%s/last-$1\n"
		 "case \"$*\" in\n"
		 "*pvscan*listvg*nvme249n1) echo '  VG vg0 complete' ;;\n"
		 "*pvscan*listvg*) echo '  VG vg0 incomplete' ;;\n"
		 "*pvscan*nvme249n1) echo '  pvscan[1] PV /dev/nvme249n1 online, VG vg0 is "
		 "complete.' ;;\n"
		 "*pvscan*) echo '  pvscan[1] PV /dev/x online, VG vg0 incomplete (need 1).' ;;\n"
		 "esac\nexit 0\n",
		 top);
	write_file(path, want, 0755);
	if (line)
		cmdline(line);
	for (i = 0; i < 250; i++)
		add(names[i]);
	len = (size_t)snprintf(want, sizeof(want), "--devices=");
	for (i = 0; i < 250; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s/dev/%s", i ? "," : "",
					names[i]);
	snprintf(path, sizeof(path), "%s/%s", top, last_run);
	assert_non_null(strstr(slurp(path), want));
	assert_int_equal(b.st.n, 250);
	assert_int_equal(b.st.v[249].state, MEMBER_DONE);
}

static void test_lvm_many_pvs(void **state)
{
	many_pvs(NULL, "last-pvscan");
}

static void test_lvm_many_pvs_listed(void **state)
{
	many_pvs("rd.lvm.vg=vg0", "last-vgchange");
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
}

static void md_fixture(const char *state_text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/block", top);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/md127", top);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/md127/md", top);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/block/md127/md/array_state", top);
	write_file(path, state_text, 0644);
}

/* An array missing a member starts degraded once rd.retry= has passed, and says so. */
static void test_md_degraded(void **state)
{
	static const struct medium m[] = { { "vdb", "linux_raid_member", "aa-bb" },
					   { NULL, NULL, NULL } };
	char script[1024];

	media = m;
	md_fixture("inactive\n");
	snprintf(script, sizeof(script),
		 "case \"$1\" in\n"
		 "--incremental) echo MD_DEVICE=/dev/md127; echo MD_STARTED=no ;;\n"
		 "--run) echo clean >%s/block/md127/md/array_state; echo 1 "
		 ">%s/block/md127/md/degraded;"
		 " echo 2 >%s/block/md127/md/raid_disks ;;\n"
		 "esac\nexit 0",
		 top, top, top);
	tool("mdadm", script);
	cmdline("rd.retry=0");
	add("vdb");
	assert_int_equal(b.st.v[0].state, MEMBER_WAITING);
	assert_string_equal(b.st.v[0].group, "md127");
	/* rd.retry=0: the array's timer is due at once, and mdadm --run follows */
	assert_int_not_equal(b.st.v[0].timer, 0);
	(void)loop_run_once(&b, -1, 0);
	settle();
	assert_non_null(strstr(slurp(runs), "mdadm --run /dev/md127"));
	assert_non_null(strstr(slurp(logpath), "array md127 started DEGRADED after rd.retry=0 s: 1 "
					       "of 2 devices missing"));
}

/* An array still short after rd.retry= is waited for; the report names it. */
static void test_md_report(void **state)
{
	static const struct medium m[] = { { "vdb", "linux_raid_member", "aa-bb" },
					   { NULL, NULL, NULL } };

	media = m;
	md_fixture("inactive\n");
	tool("mdadm", "echo MD_DEVICE=/dev/md127\nexit 0");
	cmdline("rd.md.uuid=AA:BB");
	add("vdb");
	/* its timer waits the default rd.retry= */
	assert_int_not_equal(b.st.v[0].timer, 0);
	assert_int_equal(rootspec_parse("UUID=1234", &b.spec), 0);
	report_root_missing(&b, 30);
	assert_non_null(strstr(slurp(reportpath),
			       "RAID /dev/vdb UUID=aa-bb: waiting: array md127 (/dev/md127) "
			       "incomplete: inactive"));
}

static void test_md_uuid_filter(void **state)
{
	static const struct medium m[] = { { "vdb", "linux_raid_member", "aa-bb" },
					   { NULL, NULL, NULL } };

	media = m;
	tool("mdadm", "exit 0");
	cmdline("rd.md.uuid=cc:dd");
	add("vdb");
	assert_string_equal(slurp(runs), "");
	assert_int_equal(b.st.v[0].state, MEMBER_SKIPPED);
}

static const struct medium luks_media[] = { { "vdb", "crypto_LUKS", "1234-5678" },
					    { "vdc", "crypto_LUKS", "abcd-ef00" },
					    { NULL, NULL, NULL } };

/* the fake cryptsetup opens with key "right" (from a key file or stdin) */
static const char luks_script[] = "key=\n"
				  "for a; do case $a in --key-file=-) key=$(cat) ;;\n"
				  "--key-file=*) key=$(cat ${a#--key-file=}) ;; esac; done\n"
				  "[ \"$key\" = right ] && exit 0\n"
				  "echo 'No key available with this passphrase.'; exit 2";

/* crypttab names the device and its key file: opened with it, under crypttab's name */
static void test_luks_keyfile(void **state)
{
	char path[256], text[512];

	media = luks_media;
	tool("cryptsetup", luks_script);
	snprintf(path, sizeof(path), "%s/key", top);
	write_file(path, "right", 0600);
	snprintf(text, sizeof(text), "cryptroot UUID=1234-5678 %s discard,keyslot=1\n", path);
	assert_int_equal(crypttab_parse(text, strlen(text), "t", &b.st.crypttab), 0);
	b.st.crypttab_read = true;
	add("vdb");
	add("vdc");
	assert_non_null(strstr(slurp(runs), "--allow-discards --key-slot=1 -- /dev/vdb cryptroot"));
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	/* vdc is not in crypttab: left locked, nothing run for it */
	assert_null(strstr(slurp(runs), "vdc"));
	assert_int_equal(b.st.v[1].state, MEMBER_SKIPPED);
	assert_false(b.ev.loop.given_up);
}

/* Wait for @text on the terminal (everything seen goes to @screen). 0 or -1 at EOF. */
static int screen_wait(int master, FILE *screen, const char *text)
{
	char seen[4096] = "";
	size_t n = 0;

	while (!strstr(seen, text)) {
		char ch;

		if (read(master, &ch, 1) != 1 || n + 1 >= sizeof(seen))
			return -1;
		seen[n++] = ch;
		seen[n] = '\0';
		fputc(ch, screen);
		fflush(screen);
	}
	return 0;
}

/*
 * A child typing at the console when asked, as a user would: each of @answers after a
 * prompt; what it saw goes to @dir/screen.
 */
static pid_t typist_start(int master, const char *dir, const char *const *answers)
{
	pid_t pid = fork();
	char path[256];
	FILE *screen;

	if (pid != 0)
		return pid;
	/* the terminal stays open between prompts, as a console does */
	if (open(ptsname(master), O_RDWR | O_NOCTTY) < 0)
		_exit(1);
	snprintf(path, sizeof(path), "%s/screen", dir);
	screen = fopen(path, "w");
	if (!screen)
		_exit(1);
	for (; *answers; answers++)
		if (screen_wait(master, screen, "gives up): ") < 0 ||
		    write(master, *answers, strlen(*answers)) != (ssize_t)strlen(*answers))
			_exit(1);
	if (screen_wait(master, screen, "\n") < 0)
		_exit(1);
	fclose(screen);
	_exit(0);
}

/* A pseudo-terminal as the one console rdinit asks on; returns its master side. */
static int pty_console(void)
{
	static char active[256];
	int master = posix_openpt(O_RDWR | O_NOCTTY);

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	snprintf(active, sizeof(active), "%s/active", top);
	write_file(active, ptsname(master) + strlen("/dev/"), 0644);
	b.st.consoles = active;
	return master;
}

/* A wrong key file, then the prompt: one wrong passphrase, then the right one. */
static void test_luks_prompt(void **state)
{
	char path[256], text[512];
	int master, status;
	pid_t typist;

	media = luks_media;
	tool("cryptsetup", luks_script);
	master = pty_console();
	snprintf(path, sizeof(path), "%s/key", top);
	write_file(path, "wrong", 0600);
	snprintf(text, sizeof(text), "rd.luks.uuid=1234-5678 rd.luks.key=%s", path);
	cmdline(text);
	/* a typist at the terminal: a wrong try once asked, then (with a correction) the right one
	 */
	typist =
		typist_start(master, top, (const char *const[]){ "wrong\r", "rightx\x7f\r", NULL });
	add("vdb");
	if (b.st.v[0].state != MEMBER_DONE)
		fprintf(stderr, "log:\n%s\nruns:\n%s\n", slurp(logpath), slurp(runs));
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	assert_non_null(strstr(b.st.v[0].what, "luks-1234-5678 (passphrase)"));
	assert_non_null(strstr(slurp(logpath), "the key file"));
	assert_int_equal(waitpid(typist, &status, 0), typist);
	assert_int_equal(status, 0);
	/* the prompt names the device, and nothing typed came back (no echo) */
	snprintf(path, sizeof(path), "%s/screen", top);
	assert_non_null(strstr(slurp(path), "Passphrase for /dev/vdb (LUKS UUID 1234-5678"));
	assert_non_null(strstr(slurp(path), "Wrong passphrase."));
	assert_null(strstr(slurp(path), "right"));
	assert_null(strstr(slurp(path), "wrong\n"));
	/* the passphrase that worked is tried on the next device before asking */
	assert_string_equal(b.st.passphrase, "right");
	close(master);
}

/*
 * Mapping names device-mapper or a tool would take for something else are refused before
 * anything runs: "control" and "../null" were "already open" (/dev/mapper/control and /dev/null
 * exist), a leading '-' reads as an option.
 */
static void test_luks_bad_names(void **state)
{
	static const char *const names[] = { "control", "../null", "..", "-x", "a/b", NULL };
	const char *const *n;

	media = luks_media;
	tool("cryptsetup", luks_script);
	for (n = names; *n; n++) {
		char text[128];

		stacks_end(&b);
		devices_clear(&b.devs);
		b.ev.loop.given_up = false;
		opts_free(&b.opts);
		opts_init(&b.opts);
		snprintf(text, sizeof(text), "rd.luks.name=1234-5678=%s", *n);
		cmdline(text);
		add("vdb");
		assert_int_equal(b.st.n, 1);
		if (!strstr(b.st.v[0].what, "is refused"))
			fprintf(stderr, "%s: %s\n", *n, b.st.v[0].what);
		assert_non_null(strstr(b.st.v[0].what, "is refused"));
		assert_int_equal(b.st.v[0].state, MEMBER_FAILED);
		assert_true(b.ev.loop.given_up);
	}
	assert_string_equal(slurp(runs), "");
	assert_null(rd_dm_name_invalid("cryptroot"));
	assert_null(rd_dm_name_invalid("luks-1234-5678"));
}

/* Numbers past their range in keyslot= and tries= are ignored and said (not overflowed). */
static void test_luks_option_numbers(void **state)
{
	media = luks_media;
	tool("cryptsetup", luks_script);
	cmdline("rd.luks.uuid=1234-5678 "
		"rd.luks.options=keyslot=2147483647,tries=99999999999999999999"
		",keyslot=1x,tries=-1,keyslot=31");
	b.st.consoles = "/nonexistent";
	add("vdb");
	assert_non_null(strstr(slurp(logpath), "'keyslot=2147483647': not a number from 0 to 31"));
	assert_non_null(strstr(slurp(logpath), "'tries=99999999999999999999': not a number"));
	assert_non_null(strstr(slurp(logpath), "'keyslot=1x': not a number"));
	assert_non_null(strstr(slurp(logpath), "'tries=-1': not a number"));
}

/*
 * A terminal that ends lines with CR LF: "wrong\r\n" is one wrong answer, and its LF does not
 * answer the retry prompt as an empty line (which would give up).
 */
static void test_luks_crlf(void **state)
{
	int master, status;
	pid_t typist;

	media = luks_media;
	tool("cryptsetup", luks_script);
	cmdline("rd.luks.uuid=1234-5678");
	master = pty_console();
	typist = typist_start(master, top, (const char *const[]){ "wrong\r\n", "right\r\n", NULL });
	add("vdb");
	assert_int_equal(waitpid(typist, &status, 0), typist);
	assert_int_equal(status, 0);
	if (b.st.v[0].state != MEMBER_DONE)
		fprintf(stderr, "vdb: %s\n", b.st.v[0].what);
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	assert_false(b.ev.loop.given_up);
	close(master);
}

/*
 * Ctrl-C at the prompt of a device rd.luks.uuid= names gives up at once: the boot's wait ends
 * and the report names the device. (One found by itself is skipped instead: test_wait.c.)
 */
static void test_luks_give_up(void **state)
{
	int master, status;
	pid_t typist;

	media = luks_media;
	tool("cryptsetup", luks_script);
	cmdline("rd.luks.uuid=1234-5678");
	master = pty_console();
	typist = typist_start(master, top, (const char *const[]){ "\x03", NULL });
	add("vdb");
	assert_int_equal(waitpid(typist, &status, 0), typist);
	assert_int_equal(status, 0);
	assert_true(b.ev.loop.given_up);
	/* nothing was tried: no key, no passphrase */
	assert_string_equal(slurp(runs), "");
	assert_int_equal(rootspec_parse("/dev/mapper/root", &b.spec), 0);
	report_root_missing(&b, 30);
	assert_non_null(strstr(slurp(reportpath), "a LUKS device stays locked"));
	assert_non_null(strstr(slurp(reportpath),
			       "LUKS /dev/vdb UUID=1234-5678: locked: passphrase prompt given up"));
	close(master);
}

/* Without crypttab or rd.luks.*, a LUKS device seen after the root is left alone. */
static void test_luks_after_root(void **state)
{
	static const struct blockdev root = { .name = "vda" };

	media = luks_media;
	tool("cryptsetup", luks_script);
	b.root = &root;
	add("vdb");
	assert_string_equal(slurp(runs), "");
	assert_non_null(strstr(b.st.v[0].what, "the root was found without it"));
	b.root = NULL;
}

/*
 * The tools are children of the loop: the second device's cryptsetup starts while the first's
 * still runs (each takes 0.5 s here), and uevents are handled meanwhile.
 */
static void test_tools_overlap(void **state)
{
	char path[256], text[512], script[512];
	const char *r;

	media = luks_media;
	snprintf(script, sizeof(script),
		 "for a; do dev=$a; done\necho \"start $dev\" >>%s/order\nsleep 0.5\n"
		 "echo \"end $dev\" >>%s/order\nexit 0",
		 top, top);
	tool("cryptsetup", script);
	snprintf(path, sizeof(path), "%s/key", top);
	write_file(path, "right", 0600);
	snprintf(text, sizeof(text), "rd.luks.uuid=1234-5678 rd.luks.uuid=abcd-ef00 rd.luks.key=%s",
		 path);
	cmdline(text);
	add_now("vdb");
	add_now("vdc");
	/* both handled, both running: the handler waited for neither */
	assert_int_equal(b.st.n, 2);
	assert_int_equal(b.st.v[0].state, MEMBER_WAITING);
	assert_int_equal(b.st.v[1].state, MEMBER_WAITING);
	settle();
	snprintf(path, sizeof(path), "%s/order", top);
	r = slurp(path);
	if (strncmp(r, "start luks-", 11) || !strstr(strchr(r, '\n') + 1, "start"))
		fprintf(stderr, "order:\n%s\n", r);
	/* the two starts come before either end */
	assert_true(strstr(r, "end") > strstr(strstr(r, "start") + 1, "start"));
	assert_int_equal(b.st.v[0].state, MEMBER_DONE);
	assert_int_equal(b.st.v[1].state, MEMBER_DONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cmdline_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lvm_completes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lvm_completes_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lvm_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lvm_many_pvs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lvm_many_pvs_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_md_degraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_md_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_md_uuid_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_keyfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_prompt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_give_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_option_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_luks_after_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tools_overlap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
