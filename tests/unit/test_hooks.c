// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Stage hooks from a temporary hooks directory: lexical order, the environment a hook sees,
 * a failing hook reported and the stage going on, a ".required" one stopping it with an
 * error, and a hook past rdinit.hook_timeout= killed with everything it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "boot.h"

static char top[64], logbuf[65536];
static FILE *log_file;
static struct boot b;

static int setup(void **state)
{
	char path[128];

	snprintf(top, sizeof(top), "/tmp/rdinit-hooks-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(path, sizeof(path), "%s/cmdline.d", top);
	if (mkdir(path, 0755) < 0)
		return -1;
	log_file = tmpfile();
	if (!log_file)
		return -1;
	log_set_fd(fileno(log_file), false);
	log_set_max_level(LOG_LVL_DEBUG);
	memset(&b, 0, sizeof(b));
	opts_init(&b.opts);
	b.hooks_dir = top;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	fclose(log_file);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *logged(void)
{
	size_t n;

	fflush(log_file);
	rewind(log_file);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, log_file);
	logbuf[n] = '\0';
	return logbuf;
}

/* A shell script @name in cmdline.d with @mode; "$OUT" is where hooks write. */
static void hook(const char *name, mode_t mode, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cmdline.d/%s", top, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nOUT=%s/out\n%s\n", top, body);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* What the hooks wrote to $OUT ("" when nothing). */
static const char *out(void)
{
	static char buf[4096];
	char path[128];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/out", top);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void test_lexical_order(void **state)
{
	char path[256];

	hook("20-b", 0755, "echo 20-b >>$OUT");
	hook("10-a", 0755, "echo 10-a >>$OUT");
	hook("9-z", 0755, "echo 9-z >>$OUT");
	hook(".hidden", 0755, "echo hidden >>$OUT");
	snprintf(path, sizeof(path), "%s/cmdline.d/15-dir", top);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	/* bytes, not numbers: "9-z" sorts after "20-b" */
	assert_string_equal(out(), "10-a\n20-b\n9-z\n");
	assert_non_null(strstr(logged(), "hook cmdline.d/10-a: ok"));
	assert_non_null(strstr(logged(), "hook cmdline.d/9-z: ok"));
}

static void test_no_hooks(void **state)
{
	assert_int_equal(hooks_run(&b, STAGE_SWITCH), 0);
	assert_string_equal(logged(), "");
}

static void test_environment(void **state)
{
	hook("10-env", 0755,
	     "echo \"$RDINIT_STAGE|${ROOT-unset}|${ROOTDEV-unset}|${ROOTFSTYPE-unset}|"
	     "$NEWROOT|${PATH:+path}|$KERNEL_VAR\" >>$OUT");
	setenv("KERNEL_VAR", "kept", 1);
	setenv("ROOTDEV", "/dev/stale", 1);
	/* before the root is seen: ROOT only */
	b.opts.root = strdup("LABEL=system");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	/* once seen */
	snprintf(b.rootdev.devnode, sizeof(b.rootdev.devnode), "/dev/vda");
	snprintf(b.rootdev.fstype, sizeof(b.rootdev.fstype), "ext4");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	assert_string_equal(out(), "cmdline|LABEL=system|unset|unset|/root|path|kept\n"
				   "cmdline|LABEL=system|/dev/vda|ext4|/root|path|kept\n");
	unsetenv("ROOTDEV");
	opts_free(&b.opts);
}

/* A script in @top/@dir.d (made if need be) that appends @what and $RDINIT_STAGE to $OUT. */
static void stage_hook(const char *dir, const char *name, const char *what)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.d", top, dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s.d/%s", top, dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho \"%s$RDINIT_STAGE\" >>%s/out\n", what, top);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/*
 * Each stage runs its own directory, named as mkrdinit --hook names it, not as rdinit.break=
 * does (common/stages.h pairs the two): rdinit.break=modules is pre-coldplug.d's moment.
 */
static void test_stage_directories(void **state)
{
	char list[256] = "";

	for (size_t i = 0; i < STAGE_MAX; i++) {
		const struct stage_def *s = &stage_defs[i];

		assert_int_equal(s->stage, i);
		assert_ptr_equal(stagedef_by_break(s->break_name, strlen(s->break_name)), s);
		assert_ptr_equal(stagedef_by_hooks(s->hooks, strlen(s->hooks)), s);
		if (strcmp(s->break_name, s->hooks))
			stage_hook(s->break_name, "10-wrong", "wrong ");
		stage_hook(s->hooks, "20-right", "");
	}
	for (size_t i = 0; i < STAGE_MAX; i++)
		assert_int_equal(hooks_run(&b, (enum stage)i), 0);
	assert_string_equal(out(), "cmdline\npre-coldplug\nroot-found\nmounted\npre-switch\n");
	assert_null(stagedef_by_hooks("modules", 7));
	assert_null(stagedef_by_break("root-found", 10));
	assert_null(stagedef_by_break("root", 3));
	/* the names mkrdinit's messages list, in the boot's order */
	for (size_t i = 0; i < STAGE_MAX; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 stage_defs[i].hooks);
	assert_string_equal(list, STAGE_HOOK_NAMES);
}

/* stdin is /dev/null, not the console; no descriptor of ours leaks into a hook */
static void test_stdio_and_fds(void **state)
{
	/* not O_CLOEXEC, as tmpfile()'s is not: the hook must not get it all the same */
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd > 2);
	hook("10-fds", 0755,
	     "if read -r x; then echo read >>$OUT; else echo eof >>$OUT; fi\n"
	     "ls /proc/self/fd | sort -n | tr '\\n' ' ' >>$OUT");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	close(fd);
	/* 0 1 2, and the one ls opens to list them */
	assert_string_equal(out(), "eof\n0 1 2 3 ");
}

static void test_failing_reported(void **state)
{
	hook("10-fails", 0755, "echo 10 >>$OUT; exit 3");
	hook("20-noexec", 0644, "echo 20 >>$OUT");
	hook("30-signal", 0755, "echo 30 >>$OUT; kill -TERM $$");
	hook("40-after", 0755, "echo 40 >>$OUT");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	assert_string_equal(out(), "10\n30\n40\n");
	assert_non_null(strstr(logged(), "hook cmdline.d/10-fails failed: exit status 3\n"));
	assert_non_null(
		strstr(logged(), "hook cmdline.d/20-noexec cannot run: Permission denied\n"));
	assert_non_null(strstr(logged(), "hook cmdline.d/30-signal failed: killed by signal 15"));
	assert_non_null(strstr(logged(), "hook cmdline.d/40-after: ok"));
}

static void test_required_fails(void **state)
{
	hook("10-first", 0755, "echo 10 >>$OUT");
	hook("20-check.required", 0755, "echo 20 >>$OUT; exit 1");
	hook("30-later", 0755, "echo 30 >>$OUT");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), -EIO);
	/* the rest of the stage waits for the failure policy */
	assert_string_equal(out(), "10\n20\n");
	assert_non_null(
		strstr(logged(), "hook cmdline.d/20-check.required failed: exit status 1\n"));
	assert_non_null(strstr(logged(), "required hook cmdline.d/20-check.required failed"));
	/* fixed, the stage runs in full; ".required" not at the end of a name is not required */
	hook("20-check.required", 0755, "exit 0");
	hook("25-old.required.bak", 0755, "exit 1");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	assert_string_equal(out(), "10\n20\n10\n30\n");
}

static void test_required_cannot_run(void **state)
{
	hook("10-x.required", 0600, "echo 10 >>$OUT");
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), -EACCES);
	assert_string_equal(out(), "");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Killed at the deadline with the process it started; the next hook still runs. */
static void test_timeout(void **state)
{
	struct timespec wait = { 2, 0 };
	long long t0;

	hook("10-hangs", 0755, "(sleep 2; echo late >>$OUT) & echo started >>$OUT; sleep 30");
	hook("20-next", 0755, "echo next >>$OUT");
	b.opts.hook_timeout = 1;
	t0 = now_ms();
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), 0);
	assert_in_range(now_ms() - t0, 900, 2500);
	assert_non_null(strstr(logged(), "hook cmdline.d/10-hangs killed: still running after 1 s "
					 "(rdinit.hook_timeout=1)"));
	(void)nanosleep(&wait, NULL);
	assert_string_equal(out(), "started\nnext\n");
}

static void test_required_timeout(void **state)
{
	hook("10-hangs.required", 0755, "sleep 30");
	b.opts.hook_timeout = 1;
	assert_int_equal(hooks_run(&b, STAGE_CMDLINE), -ETIME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lexical_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hooks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_and_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_cannot_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_timeout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
