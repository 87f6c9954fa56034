// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LUKS (1 and 2): which devices to unlock, under which name, with which key, and the
 * passphrase prompt. The devices are those /etc/crypttab in the image or rd.luks.uuid= and
 * rd.luks.name= name; with none of these, every LUKS device seen while the root has not
 * appeared, as dracut does. A key file (crypttab's third field, rd.luks.key=) is tried
 * first; then a passphrase that unlocked an earlier device; then the prompt, on every
 * console the kernel writes to, three tries. An empty line or Ctrl-C gives up at once.
 * For a device crypttab or rd.luks.* names, giving up is the failure policy's business
 * (main.c): the wait for the root ends, and the report names the device still locked. A
 * device found by itself (nothing names any) never ends or freezes the wait: its prompt opens
 * only when the loop has nothing else to do, with the uevent socket beside it (a uevent
 * withdraws it, and the root that appears ends it), and a missing cryptsetup, no console or a
 * prompt given up leave that device locked and skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "clock.h"
#include "dmname.h"
#include "boot.h"

#define PASSPHRASE_MAX 512
#define DEFAULT_TRIES 3
#define MAX_TRIES 100
#define LUKS_KEYSLOTS 32 /* LUKS2's; LUKS1 has 8, and cryptsetup says so */

/* ---- /etc/crypttab ---- */

/* The image's /etc/crypttab, once (rd.luks.crypttab=0: none). */
static const struct crypttab *crypttab(struct boot *b)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (b->st.crypttab_read || b->opts.stacks.no_crypttab)
		return &b->st.crypttab;
	b->st.crypttab_read = true;
	r = read_text_file(RDINIT_CRYPTTAB, 1024 * 1024, &text, &len);
	if (r == -ENOENT)
		return &b->st.crypttab;
	if (r < 0) {
		log_err("reading %s: %s", RDINIT_CRYPTTAB, strerror(-r));
		return &b->st.crypttab;
	}
	if (crypttab_parse(text, len, RDINIT_CRYPTTAB, &b->st.crypttab) < 0)
		log_err("reading %s: out of memory", RDINIT_CRYPTTAB);
	return &b->st.crypttab;
}

/* ---- which devices, which names, which keys ---- */

/* "luks-UUID" or "UUID" against @d's LUKS UUID */
static bool uuid_matches(const char *v, size_t n, const struct blockdev *d)
{
	if (n > 5 && !strncasecmp(v, "luks-", 5)) {
		v += 5;
		n -= 5;
	}
	return n == strlen(d->uuid) && !strncasecmp(v, d->uuid, n);
}

/* A device as crypttab names one: UUID=, PARTUUID=, LABEL=, /dev/disk/by-uuid/..., /dev/X
 * (rootspec_parse() reads them all, as for root=), or luks-UUID */
static bool device_matches(const char *spec, const struct blockdev *d)
{
	struct root_spec rs;

	if (!strncasecmp(spec, "luks-", 5))
		return uuid_matches(spec, strlen(spec), d);
	return rootspec_parse(spec, &rs) == 0 && rootdev_matches(&rs, d);
}

struct luks_plan {
	bool wanted;
	bool named;	     /* by crypttab or rd.luks.*; else found by itself */
	const char *why_not; /* when not wanted */
	char name[128];
	char keyfile[PATH_MAX]; /* "" : no key file */
	bool discard, readonly;
	int tries;
	int keyslot; /* keyslot=N as N + 1; 0: every slot, in order */
};

/*
 * The number after the first @skip bytes of option @opt (@n bytes), 0 to @max: true with it in
 * *@v; else said and false (the option is ignored, as one not supported is).
 */
static bool option_number(const char *opt, size_t n, size_t skip, unsigned int max, unsigned int *v)
{
	unsigned long long x = 0;
	size_t i;

	for (i = skip; i < n && isdigit((unsigned char)opt[i]) && x <= max; i++)
		x = x * 10 + (unsigned int)(opt[i] - '0');
	if (i == skip || i < n || x > max) {
		log_warn("LUKS option '%.*s': not a number from 0 to %u; ignoring it", (int)n, opt,
			 max);
		return false;
	}
	*v = (unsigned int)x;
	return true;
}

/* One option of crypttab's fourth field or rd.luks.options= */
static void plan_option(struct luks_plan *p, const char *opt, size_t n)
{
	static const char *const ignored[] = { "luks",	  "none",     "defaults",
					       "noauto",  "nofail",   "x-initrd.attach",
					       "_netdev", "initramfs" };
	unsigned int v;
	size_t i;

	if ((n == 7 && !strncmp(opt, "discard", n)) ||
	    (n == 13 && !strncmp(opt, "allow-discards", n))) {
		p->discard = true;
	} else if ((n == 8 && !strncmp(opt, "readonly", n)) ||
		   (n == 9 && !strncmp(opt, "read-only", n))) {
		p->readonly = true;
	} else if (n > 8 && !strncmp(opt, "keyslot=", 8)) {
		if (option_number(opt, n, 8, LUKS_KEYSLOTS - 1, &v))
			p->keyslot = (int)v + 1;
	} else if (n > 6 && !strncmp(opt, "tries=", 6)) {
		if (option_number(opt, n, 6, MAX_TRIES, &v))
			p->tries = v ? (int)v : DEFAULT_TRIES;
	} else {
		for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			if (strlen(ignored[i]) == n && !strncmp(opt, ignored[i], n))
				return;
		log_warn("LUKS option '%.*s' is not supported; ignoring it", (int)n, opt);
	}
}

static void plan_options(struct luks_plan *p, const char *opts)
{
	while (*opts) {
		size_t n = strcspn(opts, ",");

		if (n)
			plan_option(p, opts, n);
		opts += n + (opts[n] == ',');
	}
}

/* rd.luks.options=: "OPTS" for every device, or systemd's "UUID=OPTS" for one */
static void plan_cmdline_options(struct luks_plan *p, const struct stack_opts *o,
				 const struct blockdev *d)
{
	size_t i;

	for (i = 0; i < o->luks_options.n; i++) {
		const char *v = o->luks_options.v[i], *eq = strchr(v, '=');
		size_t n = eq ? (size_t)(eq - v) : 0;

		/* "tries=2" is an option, "3f4e...=discard" a UUID's */
		if (eq && n >= 32 && strspn(v, "0123456789abcdefABCDEF-") == n) {
			if (uuid_matches(v, n, d))
				plan_options(p, eq + 1);
		} else {
			plan_options(p, v);
		}
	}
}

/*
 * rd.luks.key=: dracut's KEYPATH[:KEYDEV[:LUKSDEV]] or systemd's UUID=KEYPATH. A key on
 * another device (KEYDEV) is not something rdinit mounts: said, and the prompt is used.
 */
static void plan_cmdline_key(struct luks_plan *p, const struct stack_opts *o,
			     const struct blockdev *d)
{
	size_t i;

	for (i = 0; i < o->luks_key.n; i++) {
		const char *v = o->luks_key.v[i];
		char path[PATH_MAX], keydev[256] = "", luksdev[256] = "";

		if (v[0] == '/') {
			/* KEYPATH:KEYDEV:LUKSDEV, each field up to the next ':' */
			size_t n = strcspn(v, ":");

			snprintf(path, sizeof(path), "%.*s", (int)n, v);
			if (v[n] == ':') {
				const char *kd = v + n + 1;

				n = strcspn(kd, ":");
				snprintf(keydev, sizeof(keydev), "%.*s", (int)n, kd);
				if (kd[n] == ':')
					snprintf(luksdev, sizeof(luksdev), "%s", kd + n + 1);
			}
			if (luksdev[0] && !device_matches(luksdev, d))
				continue;
			if (keydev[0]) {
				log_console("rd.luks.key=%s: a key on another device (%s) is not "
					    "supported; the key file must be in the image",
					    v, keydev);
				continue;
			}
		} else {
			const char *eq = strchr(v, '=');

			if (!eq || eq[1] != '/' || !uuid_matches(v, (size_t)(eq - v), d))
				continue;
			snprintf(path, sizeof(path), "%s", eq + 1);
		}
		snprintf(p->keyfile, sizeof(p->keyfile), "%s", path);
	}
}

static void plan_for(struct boot *b, const struct blockdev *d, struct luks_plan *p)
{
	const struct stack_opts *o = &b->opts.stacks;
	const struct crypttab *t = crypttab(b);
	bool named = false;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->tries = DEFAULT_TRIES;
	snprintf(p->name, sizeof(p->name), "luks-%s", d->uuid);
	for (i = 0; i < t->n; i++) {
		const struct crypttab_entry *e = &t->v[i];

		if (!device_matches(e->device, d))
			continue;
		named = true;
		snprintf(p->name, sizeof(p->name), "%s", e->name);
		if (e->keyfile[0] && strcmp(e->keyfile, "none") && strcmp(e->keyfile, "-"))
			snprintf(p->keyfile, sizeof(p->keyfile), "%s", e->keyfile);
		plan_options(p, e->options);
		break;
	}
	for (i = 0; i < o->luks_uuid.n; i++)
		if (uuid_matches(o->luks_uuid.v[i], strlen(o->luks_uuid.v[i]), d))
			named = true;
	for (i = 0; i < o->luks_name.n; i++) {
		const char *v = o->luks_name.v[i], *eq = strchr(v, '=');

		if (eq && uuid_matches(v, (size_t)(eq - v), d) && eq[1]) {
			named = true;
			snprintf(p->name, sizeof(p->name), "%s", eq + 1);
		}
	}
	plan_cmdline_options(p, o, d);
	plan_cmdline_key(p, o, d);
	p->named = named;
	if (named) {
		p->wanted = true;
	} else if (t->n || o->luks_uuid.n || o->luks_name.n) {
		p->why_not = "not named by crypttab, rd.luks.uuid= or rd.luks.name=";
	} else if (b->root) {
		p->why_not = "the root was found without it";
	} else {
		p->wanted = true;
	}
}

/*
 * What the plan for @d is, without opening anything (rdinit --dry-run, the fuzzer): 1 it would
 * be opened, as the mapping named in @out; 0 it is left alone, why in @out; -EINVAL its mapping
 * name is refused, why in @out.
 */
int luks_plan_describe(struct boot *b, const struct blockdev *d, char *out, size_t size)
{
	struct luks_plan p;
	const char *why;

	plan_for(b, d, &p);
	if (!p.wanted) {
		snprintf(out, size, "%s", p.why_not);
		return 0;
	}
	why = rd_dm_name_invalid(p.name);
	if (why) {
		snprintf(out, size, "the mapping name '%.100s' is refused: %s", p.name, why);
		return -EINVAL;
	}
	snprintf(out, size, "%s", p.name);
	return p.tries >= 1 && p.tries <= MAX_TRIES && p.keyslot >= 0 && p.keyslot <= LUKS_KEYSLOTS
		       ? 1
		       : -ERANGE;
}

/* ---- the prompt ---- */

#define MAX_CONSOLES 8

struct console {
	int fd;
	bool raw;
	bool cr; /* the last byte was a CR */
	struct termios saved;
	size_t len;
	char buf[PASSPHRASE_MAX];
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

/*
 * Read keys from every console until one has a line; its index, -ECANCELED or -EIO; or
 * -EAGAIN when @withdraw (>= 0: the uevent socket) has something first.
 */
static int consoles_read(struct console *c, int n, int withdraw)
{
	struct pollfd pfd[MAX_CONSOLES + 1];
	int i, open = n;

	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
	pfd[n] = (struct pollfd){ .fd = withdraw, .events = POLLIN };
	while (open > 0) {
		if (poll(pfd, (nfds_t)n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		if (pfd[n].revents)
			return -EAGAIN;
		for (i = 0; i < n; i++) {
			unsigned char key;
			ssize_t got;
			int r;

			if (!pfd[i].revents)
				continue;
			/* a byte at a time: what is typed ahead is the next prompt's answer */
			got = read(c[i].fd, &key, 1);
			if (got <= 0 && !(got < 0 && (errno == EAGAIN || errno == EINTR))) {
				/* a console that hung up stops being asked */
				pfd[i].fd = -1;
				open--;
				continue;
			}
			if (got != 1)
				continue;
			r = console_key(&c[i], key);
			if (r != 0)
				return r < 0 ? r : i;
		}
	}
	return -EIO;
}

/*
 * Ask for a passphrase with @prompt on every console; the first to answer wins. Returns its
 * length (> 0) in @buf (NUL-terminated), 0 for an empty line, -ECANCELED for Ctrl-C, -EIO
 * when there is no console to ask on, or -EAGAIN when @withdraw (an fd, or -1) became
 * readable first: the prompt is withdrawn.
 */
int luks_read_passphrase(const struct boot *b, const char *prompt, int withdraw, char *buf,
			 size_t size)
{
	struct console c[MAX_CONSOLES];
	int n = open_consoles(b, c), i, r;

	if (n == 0)
		return -EIO;
	for (i = 0; i < n; i++) {
		c[i].len = 0;
		console_raw(&c[i]);
		(void)write_all(c[i].fd, prompt, strlen(prompt));
	}
	r = consoles_read(c, n, withdraw);
	if (r >= 0) {
		size_t len = c[r].len < size ? c[r].len : size - 1;

		memcpy(buf, c[r].buf, len);
		buf[len] = '\0';
		r = (int)len;
	}
	for (i = 0; i < n; i++) {
		if (c[i].raw)
			(void)tcsetattr(c[i].fd, TCSANOW, &c[i].saved);
		(void)write_all(c[i].fd, r == -EAGAIN ? " (withdrawn)\n" : "\n",
				r == -EAGAIN ? 13 : 1);
		explicit_bzero(c[i].buf, sizeof(c[i].buf));
		close(c[i].fd);
	}
	return r;
}

/* ---- unlocking ---- */

/* cryptsetup's exit status for a key that opens no key slot */
#define CRYPTSETUP_EPERM 2

/* cryptsetup open with the key file @keyfile, or (NULL) the passphrase @pass on stdin */
static int luks_open(const char *tool, const struct blockdev *d, const struct luks_plan *p,
		     const char *keyfile, const char *pass, char *out, size_t outlen)
{
	char dev[80], key[PATH_MAX + 16], slot[24];
	char *argv[13];
	int n = 0;

	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	snprintf(key, sizeof(key), "--key-file=%s", keyfile ? keyfile : "-");
	argv[n++] = (char *)tool;
	argv[n++] = "open";
	argv[n++] = "--type=luks";
	argv[n++] = key;
	if (p->discard)
		argv[n++] = "--allow-discards";
	if (p->readonly)
		argv[n++] = "--readonly";
	/* one key derivation instead of one per slot tried before the right one */
	if (p->keyslot) {
		snprintf(slot, sizeof(slot), "--key-slot=%d", p->keyslot - 1);
		argv[n++] = slot;
	}
	/* the device and the name are never options, whatever they look like */
	argv[n++] = "--";
	argv[n++] = dev;
	argv[n++] = (char *)p->name;
	argv[n] = NULL;
	return stack_run(argv, pass, pass ? strlen(pass) : 0, out, outlen);
}

static void remember(struct boot *b, const char *pass)
{
	if (b->st.passphrase) {
		explicit_bzero(b->st.passphrase, strlen(b->st.passphrase));
		free(b->st.passphrase);
	}
	b->st.passphrase = strdup(pass);
}

/*
 * The prompt, up to p->tries times. Returns 0 unlocked, -ECANCELED skipped, -EPERM every
 * try wrong, -EIO no console, -EAGAIN withdrawn (@withdraw, an fd or -1, became readable),
 * or the tool's failure (> 0) with its words in @out.
 */
static int ask(struct boot *b, const char *tool, const struct blockdev *d,
	       const struct luks_plan *p, int withdraw, char *out, size_t outlen)
{
	char prompt[400], pass[PASSPHRASE_MAX];
	int i, r = -EPERM;

	for (i = 0; i < p->tries; i++) {
		long long t0 = mono_ms();

		/* a whole line first: what a console log (and a test) can see at once */
		snprintf(prompt, sizeof(prompt),
			 "\n%sPassphrase for /dev/%s (LUKS UUID %s, to open as %s):\n"
			 "passphrase (an empty line or Ctrl-C gives up): ",
			 i ? "Wrong passphrase. " : "", d->name, d->uuid, p->name);
		r = luks_read_passphrase(b, prompt, withdraw, pass, sizeof(pass));
		b->st.paused_ms += mono_ms() - t0;
		if (r <= 0)
			return r == 0 ? -ECANCELED : r;
		r = luks_open(tool, d, p, NULL, pass, out, outlen);
		if (r == 0)
			remember(b, pass);
		explicit_bzero(pass, sizeof(pass));
		if (r == 0)
			return 0;
		if (r != CRYPTSETUP_EPERM)
			return r;
		r = -EPERM;
	}
	return r;
}

/* Did a key file open @d? 0 yes; else says why in @why and returns the failure. */
static int try_keyfile(struct boot *b, const char *tool, const struct blockdev *d,
		       const struct luks_plan *p, char *why, size_t whylen)
{
	char out[2048], line[160];
	int r;

	if (access(p->keyfile, R_OK) < 0) {
		snprintf(why, whylen, "key file %.200s: %m; ", p->keyfile);
		log_console("/dev/%s: key file %s is not in the image: %m", d->name, p->keyfile);
		return -ENOENT;
	}
	r = luks_open(tool, d, p, p->keyfile, NULL, out, sizeof(out));
	if (r == 0)
		return 0;
	stack_last_line(out, line, sizeof(line));
	snprintf(why, whylen, "key file %.100s did not open it (%.150s); ", p->keyfile, line);
	log_console("/dev/%s: the key file %s did not open it: %s", d->name, p->keyfile, line);
	return r;
}

static void unlocked(struct stack_member *m, const struct blockdev *d, const struct luks_plan *p,
		     const char *how)
{
	m->state = MEMBER_DONE;
	snprintf(m->what, sizeof(m->what), "unlocked as /dev/mapper/%s (%s)", p->name, how);
	log_info("/dev/%s: %s", d->name, m->what);
}

/*
 * dm-crypt; the AF_ALG sockets cryptsetup hashes and checks ciphers through; the cipher mode
 * of LUKS's default, aes-xts-plain64
 */
static const char *const luks_modules[] = { "dm_mod",	      "dm_crypt", "af_alg",
					    "algif_skcipher", "xts",	  NULL };

/* A device found by itself, waiting for its prompt (the report prefixes "waiting: ") */
#define WAITING_WHAT "a passphrase (found by itself; asked once the devices settle)"

/* What a prompt's outcome @r leaves in @m's report line */
static void locked_because(struct stack_member *m, int r, const char *why,
			   const struct luks_plan *p, const char *out)
{
	char line[160];

	if (r == -ECANCELED)
		snprintf(m->what, sizeof(m->what), "locked: %spassphrase prompt given up", why);
	else if (r == -EPERM)
		snprintf(m->what, sizeof(m->what), "locked: %s%d wrong passphrases", why, p->tries);
	else if (r == -EIO)
		snprintf(m->what, sizeof(m->what),
			 "locked: %sno console to ask for a passphrase on", why);
	else
		snprintf(m->what, sizeof(m->what), "locked: %scryptsetup failed (%d): %s", why, r,
			 stack_last_line(out, line, sizeof(line)));
}

/*
 * A device found by itself that stays locked: skipped, said, and the wait for the root goes
 * on (a prompt given up or no console is no reason to stop looking for a root elsewhere).
 */
static void skip_unnamed(struct stack_member *m, const struct blockdev *d)
{
	size_t n = strlen(m->what);

	m->state = MEMBER_SKIPPED;
	snprintf(m->what + n, sizeof(m->what) - n,
		 " (found by itself, not named by crypttab or rd.luks.*: skipped)");
	log_console("/dev/%s: LUKS, %s", d->name, m->what);
}

void luks_member(struct boot *b, const struct blockdev *d)
{
	struct stack_member *m = stacks_member(b, d, STACK_LUKS);
	char mapper[200], why[320] = "", out[2048];
	const char *tool, *why_not;
	struct luks_plan p;
	struct stat st;
	int r;

	if (!m)
		return;
	if (b->opts.stacks.no_luks) {
		snprintf(m->what, sizeof(m->what), "left locked: rd.luks=0");
		m->state = MEMBER_SKIPPED;
		return;
	}
	plan_for(b, d, &p);
	if (!p.wanted) {
		snprintf(m->what, sizeof(m->what), "left locked: %s", p.why_not);
		m->state = MEMBER_SKIPPED;
		log_info("/dev/%s: LUKS, %s", d->name, m->what);
		return;
	}
	why_not = rd_dm_name_invalid(p.name);
	if (why_not) {
		/* "control" or "../null" would be "already open" below, without cryptsetup */
		m->state = MEMBER_FAILED;
		snprintf(m->what, sizeof(m->what),
			 "locked: the mapping name '%.100s' is refused: %s", p.name, why_not);
		log_console("/dev/%s: LUKS, %s", d->name, m->what);
		if (p.named)
			b->st.gave_up = true;
		return;
	}
	snprintf(m->group, sizeof(m->group), "%s", p.name);
	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", p.name);
	if (stat(mapper, &st) == 0) {
		unlocked(m, d, &p, "already open");
		return;
	}
	m->state = MEMBER_FAILED;
	if (stack_tool(b, STACK_LUKS, &tool) < 0) {
		snprintf(m->what, sizeof(m->what), "locked: no cryptsetup in the image");
		if (p.named)
			b->st.gave_up = true;
		else
			skip_unnamed(m, d);
		return;
	}
	/*
	 * What cryptsetup and dm-crypt will ask the kernel for, loaded now: each request the
	 * kernel makes starts /init again as modprobe, tens of ms under emulation.
	 */
	for (const char *const *mod = luks_modules; *mod; mod++)
		(void)modules_load_alias(&b->mods, *mod, false);
	if (p.keyfile[0] && try_keyfile(b, tool, d, &p, why, sizeof(why)) == 0) {
		unlocked(m, d, &p, "key file");
		return;
	}
	if (b->st.passphrase &&
	    luks_open(tool, d, &p, NULL, b->st.passphrase, out, sizeof(out)) == 0) {
		unlocked(m, d, &p, "the passphrase of an earlier device");
		return;
	}
	if (!p.named) {
		/* asked when the loop has nothing else to do: luks_prompt_pending() */
		m->state = MEMBER_WAITING;
		snprintf(m->what, sizeof(m->what), "%s" WAITING_WHAT, why);
		return;
	}
	r = ask(b, tool, d, &p, -1, out, sizeof(out));
	if (r == 0) {
		unlocked(m, d, &p, "passphrase");
		return;
	}
	locked_because(m, r, why, &p, out);
	log_console("/dev/%s: %s", d->name, m->what);
	b->st.gave_up = true;
}

/* The first device found by itself whose prompt waits; NULL when none does. */
static struct stack_member *prompt_waiting(struct boot *b)
{
	size_t i;

	for (i = 0; i < b->st.n; i++)
		if (b->st.v[i].kind == STACK_LUKS && b->st.v[i].state == MEMBER_WAITING)
			return &b->st.v[i];
	return NULL;
}

bool luks_prompt_due(struct boot *b)
{
	return prompt_waiting(b) != NULL;
}

/*
 * The prompt of a device found by itself, opened by the loop when it has nothing else to do.
 * @withdraw is the uevent socket (or -1): something on it withdraws the prompt and returns
 * -EAGAIN, the device still waiting; the loop reads the events and opens the prompt again when
 * it is idle, unless the root appeared meanwhile. Else 0: the device was unlocked or skipped.
 */
int luks_prompt_pending(struct boot *b, int withdraw)
{
	struct stack_member *m = prompt_waiting(b);
	struct blockdev dev = { 0 };
	char out[2048], why[320];
	const char *tool, *tail;
	struct luks_plan p;
	size_t i;
	int r;

	if (!m)
		return 0;
	for (i = 0; i < b->devs.n; i++)
		if (!strcmp(b->devs.v[i].name, m->dev))
			dev = b->devs.v[i];
	if (!dev.name[0] || stack_tool(b, STACK_LUKS, &tool) < 0) {
		/* gone meanwhile (stacks_forget() drops its member too) */
		m->state = MEMBER_SKIPPED;
		return 0;
	}
	plan_for(b, &dev, &p);
	/* what the key file said before the prompt (luks_member()), kept for the report */
	tail = strstr(m->what, WAITING_WHAT);
	snprintf(why, sizeof(why), "%.*s", tail ? (int)(tail - m->what) : 0, m->what);
	r = ask(b, tool, &dev, &p, withdraw, out, sizeof(out));
	if (r == -EAGAIN)
		return -EAGAIN;
	if (r == 0) {
		unlocked(m, &dev, &p, "passphrase");
		return 0;
	}
	m->state = MEMBER_FAILED;
	locked_because(m, r, why, &p, out);
	skip_unnamed(m, &dev);
	return 0;
}

/* The device waited for was found: the prompts still waiting are not needed. */
void luks_prompts_withdraw(struct boot *b)
{
	struct stack_member *m;

	while ((m = prompt_waiting(b))) {
		m->state = MEMBER_SKIPPED;
		snprintf(m->what, sizeof(m->what),
			 "left locked: the device waited for was found without it");
	}
}
