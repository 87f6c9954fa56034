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
	int keyslot;   /* keyslot=N as N + 1; 0: every slot, in order */
	bool name_cut; /* the name asked for does not fit: refused, never opened cut short */
};

/* The mapping name @name, or the plan says it was too long (mkrdinit refuses it too). */
static void plan_name(struct luks_plan *p, const char *name)
{
	if ((size_t)snprintf(p->name, sizeof(p->name), "%s", name) >= sizeof(p->name))
		p->name_cut = true;
}

/* Why @p's mapping name is refused, or NULL. */
static const char *name_refused(const struct luks_plan *p)
{
	return p->name_cut ? "longer than 127 bytes" : rd_dm_name_invalid(p->name);
}

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
		plan_name(p, e->name);
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
			plan_name(p, eq + 1);
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
	why = name_refused(&p);
	if (why) {
		snprintf(out, size, "the mapping name '%.100s' is refused: %s", p.name, why);
		return -EINVAL;
	}
	snprintf(out, size, "%s", p.name);
	return p.tries >= 1 && p.tries <= MAX_TRIES && p.keyslot >= 0 && p.keyslot <= LUKS_KEYSLOTS
		       ? 1
		       : -ERANGE;
}

/* ---- unlocking, a step at a time: each tool run and each prompt ends in a function ---- */

/* cryptsetup's exit status for a key that opens no key slot */
#define CRYPTSETUP_EPERM 2

/* A device found by itself, waiting for its prompt (the report prefixes "waiting: ") */
#define WAITING_WHAT "a passphrase (found by itself; asked once the devices settle)"

/* What unlocking one device has come to */
struct luks_job {
	struct blockdev d; /* the member: its name and UUID, as probed */
	struct luks_plan p;
	const char *tool;
	char why[320]; /* what the key file said, for the report */
	int tries;     /* passphrases typed so far */
	bool asking;   /* its prompt is open */
	char pass[PROMPT_MAX];
};

static struct stack_member *member_of(struct boot *b, const struct luks_job *j)
{
	return stacks_find(b, STACK_LUKS, j->d.name);
}

static void job_free(struct luks_job *j)
{
	explicit_bzero(j, sizeof(*j));
	free(j);
}

/* The member's job ends: @m (if it is still there) no longer points at it. */
static void job_done(struct boot *b, struct luks_job *j)
{
	struct stack_member *m = member_of(b, j);

	if (m && m->job == j)
		m->job = NULL;
	job_free(j);
}

/* cryptsetup open with the key file @keyfile, or (NULL) the passphrase @pass on stdin */
static int luks_open(struct boot *b, struct luks_job *j, const char *keyfile, const char *pass,
		     stack_done_fn *done)
{
	char dev[80], key[PATH_MAX + 16], slot[24];
	const struct luks_plan *p = &j->p;
	char *argv[13];
	int n = 0;

	snprintf(dev, sizeof(dev), "/dev/%s", j->d.name);
	snprintf(key, sizeof(key), "--key-file=%s", keyfile ? keyfile : "-");
	argv[n++] = (char *)j->tool;
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
	return stack_spawn(b, argv, j->d.name, pass, pass ? strlen(pass) : 0, done, j);
}

static void remember(struct boot *b, const char *pass)
{
	if (b->st.passphrase) {
		explicit_bzero(b->st.passphrase, strlen(b->st.passphrase));
		free(b->st.passphrase);
	}
	b->st.passphrase = strdup(pass);
}

static void unlocked(struct boot *b, struct luks_job *j, const char *how)
{
	struct stack_member *m = member_of(b, j);

	if (m) {
		m->state = MEMBER_DONE;
		snprintf(m->what, sizeof(m->what), "unlocked as /dev/mapper/%s (%s)", j->p.name,
			 how);
		log_info("/dev/%s: %s", j->d.name, m->what);
	}
	job_done(b, j);
}

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

/*
 * It stays locked for good (@r as locked_because() takes it): a device the boot was told to
 * open ends the wait (the failure policy follows); one found by itself is skipped.
 */
static void stays_locked(struct boot *b, struct luks_job *j, int r, const char *out)
{
	struct stack_member *m = member_of(b, j);

	if (m) {
		m->state = MEMBER_FAILED;
		locked_because(m, r, j->why, &j->p, out);
		if (j->p.named) {
			log_console("/dev/%s: %s", j->d.name, m->what);
			loop_give_up(b);
		} else {
			skip_unnamed(m, &j->d);
		}
	}
	job_done(b, j);
}

static void ask(struct boot *b, struct luks_job *j);

/* The passphrase typed was tried. */
static void typed_tried(struct boot *b, void *data, int r, const char *out)
{
	struct luks_job *j = data;

	if (r == LOOP_CANCELLED) {
		job_done(b, j);
		return;
	}
	if (r == 0) {
		remember(b, j->pass);
		explicit_bzero(j->pass, sizeof(j->pass));
		unlocked(b, j, "passphrase");
		return;
	}
	explicit_bzero(j->pass, sizeof(j->pass));
	if (r == CRYPTSETUP_EPERM && j->tries < j->p.tries) {
		ask(b, j);
		return;
	}
	stays_locked(b, j, r == CRYPTSETUP_EPERM ? -EPERM : r, out);
}

/* The next prompt due, if none is open: named devices first, then (when @idle) the rest. */
static void next_prompt(struct boot *b, bool idle)
{
	for (int named = 1; named >= (idle ? 0 : 1); named--) {
		for (size_t i = 0; i < b->st.n && !prompt_is_open(b); i++) {
			struct stack_member *m = &b->st.v[i];
			struct luks_job *j = m->job;

			if (m->kind != STACK_LUKS || m->state != MEMBER_WAITING || !j ||
			    j->asking || j->p.named != (named == 1) || j->pass[0])
				continue;
			ask(b, j);
			return;
		}
	}
}

/* What the prompt brought. */
static void answered(struct boot *b, void *data, int r, const char *line)
{
	struct luks_job *j = data;
	struct stack_member *m;
	int s;

	j->asking = false;
	if (r == -EAGAIN) {
		/* withdrawn: the device waited for was found without it */
		m = member_of(b, j);
		if (m) {
			m->state = MEMBER_SKIPPED;
			snprintf(m->what, sizeof(m->what),
				 "left locked: the device waited for was found without it");
		}
		job_done(b, j);
		return;
	}
	if (r <= 0) {
		stays_locked(b, j, r == 0 ? -ECANCELED : r, "");
	} else {
		j->tries++;
		snprintf(j->pass, sizeof(j->pass), "%s", line);
		s = luks_open(b, j, NULL, j->pass, typed_tried);
		if (s < 0)
			stays_locked(b, j, s, "");
	}
	next_prompt(b, false);
}

/* The prompt, for try j->tries + 1; one prompt at a time, the others wait for it. */
static void ask(struct boot *b, struct luks_job *j)
{
	struct stack_member *m = member_of(b, j);
	char text[400];
	int r;

	if (m) {
		m->state = MEMBER_WAITING;
		snprintf(m->what, sizeof(m->what), "%s%s", j->why,
			 j->p.named ? "a passphrase" : WAITING_WHAT);
	}
	if (prompt_is_open(b))
		return;
	/* a whole line first: what a console log (and a test) can see at once */
	snprintf(text, sizeof(text),
		 "\n%sPassphrase for /dev/%s (LUKS UUID %s, to open as %s):\n"
		 "passphrase (an empty line or Ctrl-C gives up): ",
		 j->tries ? "Wrong passphrase. " : "", j->d.name, j->d.uuid, j->p.name);
	r = prompt_open(b, text, answered, j);
	if (r == 0)
		j->asking = true;
	else if (r != -EBUSY)
		stays_locked(b, j, r, "");
}

/* No key file, or it failed: a named device asks now, one found by itself when all settles. */
static void want_passphrase(struct boot *b, struct luks_job *j)
{
	struct stack_member *m = member_of(b, j);

	if (!m) {
		job_free(j);
		return;
	}
	m->job = j;
	m->state = MEMBER_WAITING;
	snprintf(m->what, sizeof(m->what), "%s%s", j->why,
		 j->p.named ? "a passphrase" : WAITING_WHAT);
	if (j->p.named)
		ask(b, j);
}

static void remembered_tried(struct boot *b, void *data, int r, const char *out)
{
	struct luks_job *j = data;

	if (r == LOOP_CANCELLED)
		job_done(b, j);
	else if (r == 0)
		unlocked(b, j, "the passphrase of an earlier device");
	else
		want_passphrase(b, j);
}

/* The passphrase that opened an earlier device, before asking. */
static void try_remembered(struct boot *b, struct luks_job *j)
{
	if (b->st.passphrase && luks_open(b, j, NULL, b->st.passphrase, remembered_tried) == 0)
		return;
	want_passphrase(b, j);
}

static void keyfile_tried(struct boot *b, void *data, int r, const char *out)
{
	struct luks_job *j = data;
	char line[160];

	if (r == LOOP_CANCELLED) {
		job_done(b, j);
		return;
	}
	if (r == 0) {
		unlocked(b, j, "key file");
		return;
	}
	stack_last_line(out, line, sizeof(line));
	snprintf(j->why, sizeof(j->why), "key file %.100s did not open it (%.150s); ", j->p.keyfile,
		 line);
	log_console("/dev/%s: the key file %s did not open it: %s", j->d.name, j->p.keyfile, line);
	try_remembered(b, j);
}

static void luks_member(struct boot *b, const struct blockdev *d)
{
	struct stack_member *m = stacks_member(b, d, STACK_LUKS);
	const char *tool, *why_not;
	struct luks_job *j;
	char mapper[200];
	struct stat st;

	if (!m)
		return;
	if (b->opts.stacks.no_luks) {
		snprintf(m->what, sizeof(m->what), "left locked: rd.luks=0");
		m->state = MEMBER_SKIPPED;
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		stack_set(m, MEMBER_FAILED, "locked: %s", strerror(ENOMEM));
		return;
	}
	j->d = *d;
	plan_for(b, d, &j->p);
	if (!j->p.wanted) {
		snprintf(m->what, sizeof(m->what), "left locked: %s", j->p.why_not);
		m->state = MEMBER_SKIPPED;
		log_info("/dev/%s: LUKS, %s", d->name, m->what);
		job_free(j);
		return;
	}
	why_not = name_refused(&j->p);
	if (why_not) {
		/* "control" or "../null" would be "already open" below, without cryptsetup */
		m->state = MEMBER_FAILED;
		snprintf(m->what, sizeof(m->what),
			 "locked: the mapping name '%.100s' is refused: %s", j->p.name, why_not);
		log_console("/dev/%s: LUKS, %s", d->name, m->what);
		if (j->p.named)
			loop_give_up(b);
		job_free(j);
		return;
	}
	snprintf(m->group, sizeof(m->group), "%s", j->p.name);
	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", j->p.name);
	if (stat(mapper, &st) == 0) {
		unlocked(b, j, "already open");
		return;
	}
	m->state = MEMBER_FAILED;
	if (stack_tool(b, STACK_LUKS, &tool) < 0) {
		snprintf(m->what, sizeof(m->what), "locked: no cryptsetup in the image");
		if (j->p.named)
			loop_give_up(b);
		else
			skip_unnamed(m, d);
		job_free(j);
		return;
	}
	j->tool = tool;
	m->state = MEMBER_WAITING;
	snprintf(m->what, sizeof(m->what), "cryptsetup open running");
	if (j->p.keyfile[0] && access(j->p.keyfile, R_OK) < 0) {
		snprintf(j->why, sizeof(j->why), "key file %.200s: %m; ", j->p.keyfile);
		log_console("/dev/%s: key file %s is not in the image: %m", d->name, j->p.keyfile);
	} else if (j->p.keyfile[0] && luks_open(b, j, j->p.keyfile, NULL, keyfile_tried) == 0) {
		return;
	}
	try_remembered(b, j);
}

/* The loop has nothing else to do: the prompt of a device found by itself may open. */
static void luks_idle(struct boot *b)
{
	next_prompt(b, true);
}

/* The device waited for was found: the prompts still open or waiting are not needed. */
static void luks_found(struct boot *b)
{
	prompt_withdraw(b);
	for (size_t i = 0; i < b->st.n; i++) {
		struct stack_member *m = &b->st.v[i];
		struct luks_job *j = m->job;

		if (m->kind != STACK_LUKS || m->state != MEMBER_WAITING || !j || j->pass[0])
			continue;
		m->state = MEMBER_SKIPPED;
		snprintf(m->what, sizeof(m->what),
			 "left locked: the device waited for was found without it");
		m->job = NULL;
		job_free(j);
	}
}

/* A member forgotten (its device went, or the search starts over): its job goes. */
static void luks_drop(struct boot *b, struct stack_member *m)
{
	struct luks_job *j = m->job;

	if (!j)
		return;
	if (j->asking) {
		/* its function frees it */
		prompt_withdraw(b);
		return;
	}
	m->job = NULL;
	/* a passphrase being tried: the tool's end finds no member, and frees it */
	if (!j->pass[0])
		job_free(j);
}

static int luks_describe(struct boot *b, const struct blockdev *d, char *out, size_t size)
{
	char plan[256] = "";

	if (luks_plan_describe(b, d, plan, sizeof(plan)) == 1) {
		snprintf(out, size, "the boot would run cryptsetup to open it as /dev/mapper/%s",
			 plan);
		return 1;
	}
	snprintf(out, size, "left locked: %s", plan);
	return 0;
}

const struct stack_ops luks_ops = {
	.member = luks_member,
	.describe = luks_describe,
	.idle = luks_idle,
	.found = luks_found,
	.drop = luks_drop,
};
