// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The members of storage stacks, and the tools run for them. A tool (cryptsetup, lvm, mdadm:
 * static builds in the image, build-aux/stacks.sh) runs as a child of the loop: its output is
 * a file descriptor the loop reads, its end a pidfd, its time limit a timer; the function that
 * started it is called when it has ended. Meanwhile uevents keep flowing, other tools run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"
#include "clock.h"

/* cryptsetup's PBKDF alone may take seconds on a slow machine; a tool stuck for a minute is */
#define STACK_TOOL_TIMEOUT_MS 60000
#define STACK_OUT_MAX 4096

/* Where the tool of stack @k is in the image; said once when it is not there. */
int stack_tool(struct boot *b, enum stack_kind k, const char **path)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	static char found[STACK_KINDS][PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(found[k], sizeof(found[k]), "%s/%s",
			 b->st.tool_dir ? b->st.tool_dir : dirs[i], stack_defs[k].tool);
		if (access(found[k], X_OK) == 0) {
			*path = found[k];
			return 0;
		}
		if (b->st.tool_dir)
			break;
	}
	if (!(b->st.tool_missing & STACK_BIT(k)))
		log_console("a %s device is here but %s is not in the image (mkrdinit was given "
			    "--omit-stacks?)",
			    stack_defs[k].title, stack_defs[k].tool);
	b->st.tool_missing |= STACK_BIT(k);
	return -ENOENT;
}

/*
 * Before stack @k's first member: the modules its tool and the kernel will ask for (each
 * request the kernel makes starts /init again as modprobe, tens of ms under emulation), and
 * the run-time directories the tool locks and keeps state in (not for a host test).
 */
static void prepare(struct boot *b, enum stack_kind k)
{
	const char *const *x;

	if (b->st.prepared & STACK_BIT(k))
		return;
	b->st.prepared |= STACK_BIT(k);
	for (x = stack_defs[k].modules; *x; x++)
		(void)modules_load_alias(&b->mods, *x, false);
	if (b->st.no_run_dirs)
		return;
	for (x = stack_defs[k].run_dirs; *x; x++)
		if (mkdir(*x, 0700) < 0 && errno != EEXIST)
			log_warn("cannot make %s: %m", *x);
}

/* The child's side of stack_spawn(): @in and @out become stdin, stdout and stderr. */
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

/* A tool run: what it says, and how it ended. */
struct job {
	unsigned int out_src, child_src, timer_src;
	int out_fd;
	pid_t pid;
	int r;
	size_t n;
	stack_done_fn *done;
	void *data;
	char mark[128]; /* "cryptsetup open vdb": the timeline's words for it */
	char out[STACK_OUT_MAX];
};

/* What the tool says, kept up to the buffer's end; past it, read and dropped. */
static void job_read(struct job *j)
{
	char scratch[512];
	ssize_t got;

	for (;;) {
		if (j->n + 1 < sizeof(j->out))
			got = read(j->out_fd, j->out + j->n, sizeof(j->out) - j->n - 1);
		else
			got = read(j->out_fd, scratch, sizeof(scratch));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		if (j->n + 1 < sizeof(j->out))
			j->n += (size_t)got;
	}
}

/* The tool ended (or the loop was cleared): the rest of its output, then its caller. */
static void job_end(struct boot *b, struct job *j, int r)
{
	char mark[160];

	loop_remove(b, j->out_src);
	loop_remove(b, j->timer_src);
	if (j->child_src) {
		/* the loop is cleared: the tool goes too */
		loop_remove(b, j->child_src);
		(void)kill(j->pid, SIGKILL);
		(void)waitpid(j->pid, NULL, 0);
	}
	if (r != LOOP_CANCELLED)
		job_read(j);
	j->out[j->n] = '\0';
	close(j->out_fd);
	snprintf(mark, sizeof(mark), "ran %s", j->mark);
	timing_mark(mark);
	j->done(b, j->data, r, j->out);
	free(j);
}

static void on_output(struct boot *b, void *data, int revents)
{
	struct job *j = data;

	if (revents == LOOP_CANCELLED) {
		job_end(b, j, LOOP_CANCELLED);
		return;
	}
	job_read(j);
	/* the end of what it says: a child of it may keep the pipe; the pidfd ends the job */
	if (revents & (POLLHUP | POLLERR)) {
		loop_remove(b, j->out_src);
		j->out_src = 0;
	}
}

static void on_exit_status(struct boot *b, void *data, int status)
{
	struct job *j = data;

	j->child_src = 0;
	if (status == LOOP_CANCELLED)
		job_end(b, j, LOOP_CANCELLED);
	else if (j->r == -ETIME)
		job_end(b, j, -ETIME);
	else
		job_end(b, j, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Too long: killed; its end (the pidfd) follows and reports -ETIME. */
static void on_timeout(struct boot *b, void *data, int arg)
{
	struct job *j = data;

	j->timer_src = 0;
	if (arg == LOOP_CANCELLED) {
		job_end(b, j, LOOP_CANCELLED);
		return;
	}
	j->r = -ETIME;
	(void)kill(j->pid, SIGKILL);
}

/*
 * Start @argv (argv[0] a path) for member device @dev, with @input on its stdin (NULL:
 * /dev/null); @done is called once it has ended (see stack_done_fn). Returns 0, or -errno when
 * it could not start (@done is not called).
 */
int stack_spawn(struct boot *b, char *const argv[], const char *dev, const char *input,
		size_t inlen, stack_done_fn *done, void *data)
{
	const char *tool = strrchr(argv[0], '/');
	int in[2] = { -1, -1 }, o[2], r;
	char mark[160];
	struct job *j;
	pid_t pid;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	snprintf(j->mark, sizeof(j->mark), "%s %s %s", tool ? tool + 1 : argv[0],
		 argv[1] ? argv[1] : "", dev);
	if (pipe2(o, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(j);
		return -errno;
	}
	if (input ? pipe2(in, O_CLOEXEC) < 0
		  : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		close(o[0]);
		close(o[1]);
		free(j);
		return r;
	}
	snprintf(mark, sizeof(mark), "running %s", j->mark);
	timing_mark(mark);
	pid = fork();
	if (pid == 0) {
		/* its stdout blocks, as a tool expects */
		(void)fcntl(o[1], F_SETFL, 0);
		tool_exec(argv, in[0], o[1]);
	}
	r = pid < 0 ? -errno : 0;
	close(o[1]);
	close(in[0]);
	/* a passphrase is far below a pipe's capacity: this write does not block */
	if (in[1] >= 0) {
		if (pid > 0)
			(void)write_all(in[1], input, inlen);
		close(in[1]);
	}
	if (pid < 0) {
		close(o[0]);
		free(j);
		return r;
	}
	j->out_fd = o[0];
	j->pid = pid;
	j->done = done;
	j->data = data;
	j->out_src = loop_add_fd(b, o[0], on_output, j);
	j->timer_src = loop_add_timer(b, mono_ms() + STACK_TOOL_TIMEOUT_MS, on_timeout, j);
	j->child_src = loop_add_child(b, pid, on_exit_status, j);
	if (!j->child_src) {
		/* the loop is full: wait for it here, the one way left */
		int status = 0;

		(void)waitpid(pid, &status, 0);
		j->child_src = 0;
		job_end(b, j, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	return 0;
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
			log_err("out of memory for the %s member /dev/%s", stack_defs[k].title,
				d->name);
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
	prepare(b, k);
	return m;
}

/* The member of kind @k on device @dev, or NULL (forgotten meanwhile: the device went). */
struct stack_member *stacks_find(struct boot *b, enum stack_kind k, const char *dev)
{
	for (size_t i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == k && !strcmp(b->st.v[i].dev, dev))
			return &b->st.v[i];
	return NULL;
}

void stack_set(struct stack_member *m, enum member_state state, const char *fmt, ...)
{
	va_list ap;

	m->state = state;
	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
}

/* Every member of volume group or array @group, in the state the group is in now. */
void stacks_set_group(struct boot *b, enum stack_kind k, const char *group, enum member_state state,
		      const char *what)
{
	size_t i;

	for (i = 0; i < b->st.n; i++) {
		struct stack_member *m = &b->st.v[i];

		if (m->kind == k && !strcmp(m->group, group))
			stack_set(m, state, "%s", what);
	}
}
