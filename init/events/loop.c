// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The one loop. Every wait of the boot is a source here, with the function its completion
 * calls: the uevent socket (read by event.c), a file descriptor (a tool's output, a console's
 * keys), a child process (through a pidfd: a stack tool), a timer (an incomplete array's
 * rd.retry=). No handler waits: a tool or a prompt is started, and its end is an event.
 *
 * While the user is asked something (a passphrase prompt) the clock of the wait is paused:
 * loop_pause() and loop_resume(), and loop_paused_ms() for the deadline.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "clock.h"

/* without pidfd_open(2) (before Linux 5.3), how often a child's end is looked for */
#define CHILD_POLL_MS 20

static struct loop_source *add(struct boot *b, enum loop_kind kind, loop_fn *fn, void *data)
{
	struct loop *l = &b->ev.loop;
	struct loop_source *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct loop_source *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			log_err("out of memory for a source of the event loop");
			return NULL;
		}
		l->v = v;
		l->cap = cap;
	}
	s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->fd = -1;
	s->due = -1;
	s->fn = fn;
	s->data = data;
	s->id = ++l->next_id;
	return s;
}

unsigned int loop_add_fd(struct boot *b, int fd, loop_fn *fn, void *data)
{
	struct loop_source *s = add(b, LOOP_FD, fn, data);

	if (!s)
		return 0;
	s->fd = fd;
	return s->id;
}

unsigned int loop_add_timer(struct boot *b, long long due_ms, loop_fn *fn, void *data)
{
	struct loop_source *s = add(b, LOOP_TIMER, fn, data);

	if (!s)
		return 0;
	s->due = due_ms;
	return s->id;
}

unsigned int loop_add_child(struct boot *b, pid_t pid, loop_fn *fn, void *data)
{
	struct loop_source *s = add(b, LOOP_CHILD, fn, data);

	if (!s)
		return 0;
	s->pid = pid;
	s->fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (s->fd < 0)
		s->due = mono_ms() + CHILD_POLL_MS;
	return s->id;
}

static struct loop_source *find(struct boot *b, unsigned int id)
{
	for (size_t i = 0; i < b->ev.loop.n; i++)
		if (b->ev.loop.v[i].id == id)
			return &b->ev.loop.v[i];
	return NULL;
}

void loop_remove(struct boot *b, unsigned int id)
{
	struct loop *l = &b->ev.loop;
	struct loop_source *s = id ? find(b, id) : NULL;

	if (!s)
		return;
	if (s->kind == LOOP_CHILD && s->fd >= 0)
		close(s->fd);
	*s = l->v[--l->n];
}

/* Source @id goes, and its function is told so (LOOP_CANCELLED), to free what it owns. */
void loop_cancel(struct boot *b, unsigned int id)
{
	struct loop_source *s = id ? find(b, id) : NULL;
	loop_fn *fn;
	void *data;

	if (!s)
		return;
	fn = s->fn;
	data = s->data;
	loop_remove(b, id);
	fn(b, data, LOOP_CANCELLED);
}

/* Whether a child or a file descriptor is still watched: some work is under way. */
bool loop_busy(const struct boot *b)
{
	for (size_t i = 0; i < b->ev.loop.n; i++)
		if (b->ev.loop.v[i].kind != LOOP_TIMER)
			return true;
	return false;
}

bool loop_has_children(const struct boot *b)
{
	for (size_t i = 0; i < b->ev.loop.n; i++)
		if (b->ev.loop.v[i].kind == LOOP_CHILD)
			return true;
	return false;
}

void loop_pause(struct boot *b)
{
	if (!b->ev.loop.pauses++)
		b->ev.loop.paused_since = mono_ms();
}

void loop_resume(struct boot *b)
{
	if (b->ev.loop.pauses && !--b->ev.loop.pauses)
		b->ev.loop.paused_ms += mono_ms() - b->ev.loop.paused_since;
}

/* How long the wait's clock has stood still, the current pause included. */
long long loop_paused_ms(const struct boot *b)
{
	const struct loop *l = &b->ev.loop;

	return l->paused_ms + (l->pauses ? mono_ms() - l->paused_since : 0);
}

/* A child is reaped: its source goes and its function gets the wait status. */
static bool reap(struct boot *b, struct loop_source *s)
{
	unsigned int id = s->id;
	loop_fn *fn = s->fn;
	void *data = s->data;
	int status;
	pid_t r = waitpid(s->pid, &status, WNOHANG);

	if (r == 0 || (r < 0 && errno == EINTR))
		return false;
	if (r < 0)
		status = 127 << 8;
	loop_remove(b, id);
	fn(b, data, status);
	return true;
}

/*
 * One turn: wait at most @timeout_ms (< 0: until something happens) for the uevent socket
 * (@nl_fd, -1 for none) or any source, then run what is ready. Returns 1 when the socket is
 * readable (the caller reads it), else 0.
 */
int loop_run_once(struct boot *b, int nl_fd, int timeout_ms)
{
	struct loop *l = &b->ev.loop;
	long long now = mono_ms();
	size_t i, n = 0, count = l->n;
	struct pollfd pfd[count + 1];
	unsigned int ids[count + 1];
	int r;

	for (i = 0; i < l->n; i++) {
		long long left = l->v[i].due - now;

		if (l->v[i].due < 0)
			continue;
		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = (int)left;
	}
	pfd[n++] = (struct pollfd){ .fd = nl_fd, .events = POLLIN };
	for (i = 0; i < count; i++) {
		ids[i] = l->v[i].id;
		pfd[n++] = (struct pollfd){ .fd = l->v[i].fd, .events = POLLIN };
	}
	r = poll(pfd, n, timeout_ms);
	if (r < 0 && errno != EINTR)
		return 0;
	now = mono_ms();
	/* by id: a function may add or remove sources, which moves the others */
	for (i = 0; i < count; i++) {
		struct loop_source *s = find(b, ids[i]);
		short rev = r > 0 ? pfd[i + 1].revents : 0;

		if (!s)
			continue;
		if (s->kind == LOOP_CHILD) {
			if ((rev || (s->due >= 0 && s->due <= now)) && !reap(b, s) && s->fd < 0)
				s->due = now + CHILD_POLL_MS;
		} else if (s->kind == LOOP_FD && rev) {
			s->fn(b, s->data, rev);
		} else if (s->kind == LOOP_TIMER && s->due <= now) {
			loop_fn *fn = s->fn;
			void *data = s->data;

			loop_remove(b, ids[i]);
			fn(b, data, 0);
		}
	}
	return r > 0 && pfd[0].revents;
}

void loop_give_up(struct boot *b)
{
	b->ev.loop.given_up = true;
}

/*
 * Every source dropped (the boot goes on, or starts over): children are killed and reaped, and
 * each function is called once more with LOOP_CANCELLED, to free what it owns.
 */
void loop_clear(struct boot *b)
{
	struct loop *l = &b->ev.loop;

	while (l->n) {
		struct loop_source s = l->v[l->n - 1];

		if (s.kind == LOOP_CHILD) {
			(void)kill(s.pid, SIGKILL);
			(void)waitpid(s.pid, NULL, 0);
		}
		loop_remove(b, s.id);
		s.fn(b, s.data, LOOP_CANCELLED);
	}
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}
