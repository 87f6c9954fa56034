// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The passphrase prompt, a source of the loop like any other: its text goes to every console
 * the kernel writes to, each console's keys are a file descriptor the loop watches, and the
 * first line typed is handed to the function that asked. Meanwhile uevents keep flowing and
 * tools keep running; a root that appears withdraws the prompt (prompt_withdraw()). While it
 * is open the wait's clock stands still: the time is the user's, not the devices'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "boot.h"
#include "cleanup.h"

#define MAX_CONSOLES 8

struct console {
	int fd;
	unsigned int source; /* its keys, a source of the loop */
	bool raw;
	bool cr; /* the last byte was a CR */
	struct termios saved;
	size_t len;
	char buf[PROMPT_MAX];
};

struct prompt {
	struct console c[MAX_CONSOLES];
	int n;
	prompt_fn *fn;
	void *data;
};

/* Every console the kernel writes to (/sys/class/tty/console/active), else /dev/console. */
static int open_consoles(const struct boot *b, struct console *c)
{
	_cleanup_free_ char *active = NULL;
	char *save = NULL, *w, path[64];
	int n = 0;

	if (read_trimmed_file(b->st.consoles ? b->st.consoles : "/sys/class/tty/console/active",
			      &active) == 0) {
		for (w = strtok_r(active, " ", &save); w && n < MAX_CONSOLES;
		     w = strtok_r(NULL, " ", &save)) {
			snprintf(path, sizeof(path), "/dev/%s", w);
			c[n].fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
			if (c[n].fd >= 0)
				n++;
		}
	}
	if (n == 0 && !b->st.consoles) {
		c[0].fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		n = c[0].fd >= 0;
	}
	return n;
}

/*
 * No echo, no line editing by the terminal (we do it), Ctrl-C as a byte, CR as CR (a CR LF is
 * one end of line: console_key()); and what was typed before this prompt showed is dropped,
 * so the rest of an earlier answer never answers it.
 */
static void console_raw(struct console *c)
{
	struct termios t;

	c->cr = false;
	c->raw = tcgetattr(c->fd, &c->saved) == 0;
	if (!c->raw)
		return;
	t = c->saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | ISIG);
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	(void)tcsetattr(c->fd, TCSANOW, &t);
	(void)tcflush(c->fd, TCIFLUSH);
}

/*
 * What byte @ch does to console @c's line: 1 the line is complete, -ECANCELED Ctrl-C or
 * Ctrl-D on an empty line, 0 go on.
 */
static int console_key(struct console *c, unsigned char ch)
{
	bool after_cr = c->cr;

	c->cr = ch == '\r';
	switch (ch) {
	case '\n':
		/* the LF of a CR LF: the line ended with the CR */
		if (after_cr)
			return 0;
		return 1;
	case '\r':
		return 1;
	case 3: /* Ctrl-C */
		return -ECANCELED;
	case 4: /* Ctrl-D */
		return c->len ? 0 : -ECANCELED;
	case 8:
	case 127: /* backspace */
		if (c->len)
			c->len--;
		return 0;
	case 21: /* Ctrl-U */
		c->len = 0;
		return 0;
	default:
		if (c->len + 1 < sizeof(c->buf))
			c->buf[c->len++] = (char)ch;
		return 0;
	}
}

/* Each console back as it was, the line ended with @tail, its buffer wiped. */
static void close_all(struct boot *b, struct prompt *p, const char *tail)
{
	for (int i = 0; i < p->n; i++) {
		loop_remove(b, p->c[i].source);
		if (p->c[i].raw)
			(void)tcsetattr(p->c[i].fd, TCSANOW, &p->c[i].saved);
		(void)write_all(p->c[i].fd, tail, strlen(tail));
		explicit_bzero(p->c[i].buf, sizeof(p->c[i].buf));
		close(p->c[i].fd);
	}
	b->st.prompt = NULL;
	loop_resume(b);
}

/* The prompt ends with @r (and console @i's line when r >= 0): its asker is told. */
static void finish(struct boot *b, struct prompt *p, int r, int i, const char *tail)
{
	char line[PROMPT_MAX];
	prompt_fn *fn = p->fn;
	void *data = p->data;

	line[0] = '\0';
	if (r >= 0) {
		memcpy(line, p->c[i].buf, p->c[i].len);
		line[p->c[i].len] = '\0';
		r = (int)p->c[i].len;
	}
	close_all(b, p, tail);
	explicit_bzero(p, sizeof(*p));
	free(p);
	fn(b, data, r, line);
	explicit_bzero(line, sizeof(line));
}

/* A console has keys (or hung up): a byte at a time, what is typed ahead is the next prompt's. */
static void on_key(struct boot *b, void *data, int revents)
{
	struct prompt *p = b->st.prompt;
	struct console *c = data;
	unsigned char key;
	ssize_t got;
	int r, open = 0;

	if (revents == LOOP_CANCELLED || !p)
		return;
	got = read(c->fd, &key, 1);
	if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
		/* a console that hung up stops being asked */
		loop_remove(b, c->source);
		c->source = 0;
		for (int i = 0; i < p->n; i++)
			open += p->c[i].source != 0;
		if (!open)
			finish(b, p, -EIO, 0, "\n");
		return;
	}
	if (got != 1)
		return;
	r = console_key(c, key);
	if (r != 0)
		finish(b, p, r < 0 ? r : 0, (int)(c - p->c), "\n");
}

/*
 * Ask with @text on every console; the first to answer wins: @fn gets the line's length (> 0)
 * and the line, 0 for an empty line, -ECANCELED for Ctrl-C, -EIO when no console is left to
 * ask on, -EAGAIN when the prompt is withdrawn. Returns 0, -EBUSY when a prompt is open
 * already (one at a time), -EIO when there is no console (@fn is not called).
 */
int prompt_open(struct boot *b, const char *text, prompt_fn *fn, void *data)
{
	struct prompt *p;
	int i;

	if (b->st.prompt)
		return -EBUSY;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = open_consoles(b, p->c);
	if (p->n == 0) {
		free(p);
		return -EIO;
	}
	p->fn = fn;
	p->data = data;
	b->st.prompt = p;
	loop_pause(b);
	for (i = 0; i < p->n; i++) {
		p->c[i].len = 0;
		console_raw(&p->c[i]);
		(void)write_all(p->c[i].fd, text, strlen(text));
		p->c[i].source = loop_add_fd(b, p->c[i].fd, on_key, &p->c[i]);
	}
	return 0;
}

bool prompt_is_open(const struct boot *b)
{
	return b->st.prompt != NULL;
}

/* The open prompt is not needed any more: " (withdrawn)", and its asker gets -EAGAIN. */
void prompt_withdraw(struct boot *b)
{
	if (b->st.prompt)
		finish(b, b->st.prompt, -EAGAIN, 0, " (withdrawn)\n");
}
