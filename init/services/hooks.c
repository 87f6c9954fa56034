// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Stage hooks: the executables in HOOKS_DIR/STAGE.d (STAGE the stage's directory name,
 * common/stages.h), run one at a time in the byte order of their names (names starting with
 * '.' and directories are skipped), each in a session of its own, with stdin on /dev/null and
 * stdout/stderr where rdinit's are (the console), and at most rdinit.hook_timeout= seconds to
 * finish; past that the hook and every process in its session are killed. One log record per
 * hook says how it ended.
 *
 * A hook sees /init's environment (the kernel's), PATH if that has none, and RDINIT_STAGE
 * (STAGE), ROOT (root=), ROOTDEV and ROOTFSTYPE (the device and its type, once the root is
 * seen), NEWROOT (where the root is, or will be, mounted); a variable not known yet is unset.
 *
 * A hook that fails (exit status not 0, killed, cannot run) is reported and the stage goes
 * on, unless its name ends in ".required": then the stage stops there and hooks_run()
 * returns -EIO (exit status), -EINTR (a signal), -ETIME (the time limit) or the exec error,
 * for main.c's failure policy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "boot.h"

extern char **environ;

#define HOOK_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const hook_vars[] = { "RDINIT_STAGE", "ROOT", "ROOTDEV", "ROOTFSTYPE",
					 "NEWROOT" };
#define N_HOOK_VARS (sizeof(hook_vars) / sizeof(hook_vars[0]))

struct hook_env {
	char **v;
	char *own[N_HOOK_VARS];
};

static bool is_hook_var(const char *entry)
{
	for (size_t i = 0; i < N_HOOK_VARS; i++) {
		size_t n = strlen(hook_vars[i]);

		if (!strncmp(entry, hook_vars[i], n) && entry[n] == '=')
			return true;
	}
	return false;
}

static void env_free(struct hook_env *e)
{
	for (size_t i = 0; i < N_HOOK_VARS; i++)
		free(e->own[i]);
	free(e->v);
}

/*
 * Built before fork(): module loads may be running in other threads, and a child of a
 * threaded process must not call malloc().
 */
static int env_build(struct hook_env *e, const struct boot *b, const char *stage)
{
	bool seen = b->rootdev.devnode[0] != '\0';
	const char *vals[N_HOOK_VARS] = { stage, b->opts.root, seen ? b->rootdev.devnode : NULL,
					  seen ? b->rootdev.fstype : NULL, RDINIT_NEWROOT };
	size_t count = 0, n = 0;
	bool have_path = false;

	memset(e, 0, sizeof(*e));
	while (environ && environ[count])
		count++;
	e->v = calloc(count + N_HOOK_VARS + 2, sizeof(*e->v));
	if (!e->v)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		if (is_hook_var(environ[i]))
			continue;
		have_path |= !strncmp(environ[i], "PATH=", 5);
		e->v[n++] = environ[i];
	}
	if (!have_path)
		e->v[n++] = (char *)HOOK_PATH;
	for (size_t i = 0; i < N_HOOK_VARS; i++) {
		if (!vals[i] || !vals[i][0])
			continue;
		if (asprintf(&e->own[i], "%s=%s", hook_vars[i], vals[i]) < 0) {
			e->own[i] = NULL;
			return -ENOMEM;
		}
		e->v[n++] = e->own[i];
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in @dir to run, sorted; 0 with none when @dir does not exist. */
static int list_hooks(const char *dir, char ***out, size_t *count)
{
	_cleanup_closedir_ DIR *d = NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd;

	*out = NULL;
	*count = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* a broken symlink is kept: running it says why it cannot run */
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			char **nv = reallocarray(v, cap ? cap * 2 : 16, sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto nomem;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*count = n;
	return 0;
nomem:
	names_free(v, n);
	return -ENOMEM;
}

/* In the child: a clean slate, then the hook; a failed exec is told through @errfd. */
static void __attribute__((noreturn)) hook_exec(const char *path, char **env, int errfd)
{
	char *argv[] = { (char *)path, NULL };
	sigset_t none;
	int fd, err;

	(void)setsid();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd > 0) {
		(void)dup2(fd, 0);
		(void)close(fd);
	} else if (fd == 0) {
		(void)fcntl(0, F_SETFD, 0);
	}
	/* whatever a caller opened without O_CLOEXEC stays ours */
	(void)syscall(SYS_close_range, 3U, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
	execve(path, argv, env);
	err = errno;
	(void)!write(errfd, &err, sizeof(err));
	_exit(127);
}

/* Start @path; its pid, or -errno when it could not be started or executed. */
static pid_t hook_spawn(const char *path, char **env)
{
	int fds[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0)
		hook_exec(path, env, fds[1]);
	if (pid < 0)
		err = errno;
	close(fds[1]);
	/* EOF at the exec (the pipe is O_CLOEXEC), or the child's errno */
	while (pid > 0 && (n = read(fds[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (pid > 0 && err) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return err ? -err : pid;
}

/*
 * Wait for @pid at most @timeout_ms (< 0: no limit). Returns 0 with *@status, or -ETIME
 * after killing its session (whatever it started in the background goes too).
 */
static int hook_wait(pid_t pid, int timeout_ms, int *status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int r = sys_wait_child(pid, pidfd, timeout_ms, status);

	if (r != -ETIME)
		return r;
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -ETIME;
}

/* Run one hook and log how it ended. Returns 0 or -errno (see the top of the file). */
static int hook_run(const struct boot *b, const char *stage, const char *dir, const char *name,
		    char **env)
{
	int timeout = b->opts.hook_timeout, status = 0, r;
	long long t0 = mono_ms();
	char path[PATH_MAX];
	pid_t pid;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		log_console("hook %s.d/%s cannot run: %s", stage, name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	pid = hook_spawn(path, env);
	if (pid < 0) {
		log_console("hook %s.d/%s cannot run: %s", stage, name, strerror((int)-pid));
		return (int)pid;
	}
	r = hook_wait(pid, timeout > 0 ? timeout * 1000 : -1, &status);
	if (r == -ETIME) {
		log_console(
			"hook %s.d/%s killed: still running after %d s (rdinit.hook_timeout=%d)",
			stage, name, timeout, timeout);
		return r;
	}
	if (r < 0) {
		log_console("hook %s.d/%s: cannot wait for it: %s", stage, name, strerror(-r));
		return r;
	}
	if (WIFSIGNALED(status)) {
		log_console("hook %s.d/%s failed: killed by signal %d (%s)", stage, name,
			    WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -EINTR;
	}
	if (WEXITSTATUS(status)) {
		log_console("hook %s.d/%s failed: exit status %d", stage, name,
			    WEXITSTATUS(status));
		return -EIO;
	}
	log_info("hook %s.d/%s: ok (%lld ms)", stage, name, mono_ms() - t0);
	return 0;
}

static bool is_required(const char *name)
{
	size_t n = strlen(name), s = strlen(RDINIT_HOOK_REQUIRED);

	return n > s && !strcmp(name + n - s, RDINIT_HOOK_REQUIRED);
}

int hooks_run(struct boot *b, enum stage s)
{
	const char *stage = stage_defs[s].hooks;
	char dir[PATH_MAX], **names;
	struct hook_env env;
	size_t n;
	int r;

	snprintf(dir, sizeof(dir), "%s/%s.d", b->hooks_dir ? b->hooks_dir : RDINIT_HOOKS_DIR,
		 stage);
	r = list_hooks(dir, &names, &n);
	if (r < 0) {
		log_console("cannot read the hooks in %s: %s; running none", dir, strerror(-r));
		return 0;
	}
	if (n == 0)
		return 0;
	r = env_build(&env, b, stage);
	if (r < 0)
		log_console("cannot run the %s hooks: %s", stage, strerror(-r));
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = hook_run(b, stage, dir, names[i], env.v);
		if (r < 0 && is_required(names[i]))
			log_console("required hook %s.d/%s failed", stage, names[i]);
		else
			r = 0;
	}
	env_free(&env);
	names_free(names, n);
	return r;
}
