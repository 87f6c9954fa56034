// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel command line: split into words the way the kernel does (double quotes group
 * words and are dropped around a value), then the settings rdinit cares about are picked out.
 * A pure parser from a buffer into struct rdinit_opts; bad values are logged and ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settings/settings.h"

void opts_init(struct rdinit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ro = true;
	o->timeout = RDINIT_DEFAULT_TIMEOUT;
	o->hook_timeout = RDINIT_DEFAULT_HOOK_TIMEOUT;
	o->stacks.md_retry = RDINIT_DEFAULT_MD_RETRY;
}

static void stack_opts_free(struct stack_opts *s)
{
	strset_clear(&s->luks_uuid);
	strset_clear(&s->luks_name);
	strset_clear(&s->luks_key);
	strset_clear(&s->luks_options);
	strset_clear(&s->lvm_vg);
	strset_clear(&s->lvm_lv);
	strset_clear(&s->md_uuid);
}

void opts_free(struct rdinit_opts *o)
{
	free(o->root);
	free(o->rootfstype);
	free(o->rootflags);
	free(o->init);
	free(o->console);
	free(o->resume);
	free(o->resume_offset);
	free(o->ramsize);
	stack_opts_free(&o->stacks);
	opts_init(o);
}

static char *skip_space(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/*
 * Cut the next word off @args in place. A word ends at unquoted white space; a leading quote
 * around the whole word, or around the value after '=', is removed as the kernel does.
 * Returns where the following word starts.
 */
char *cmdline_next(char *args, char **param, char **val)
{
	bool in_quote = false, whole_quoted = false;
	char *eq = NULL, *end;

	if (*args == '"') {
		args++;
		in_quote = whole_quoted = true;
	}
	for (end = args; *end; end++) {
		if (!in_quote && isspace((unsigned char)*end))
			break;
		if (!eq && *end == '=')
			eq = end;
		if (*end == '"')
			in_quote = !in_quote;
	}

	*param = args;
	*val = NULL;
	if (eq) {
		*eq = '\0';
		*val = eq + 1;
		if (**val == '"') {
			(*val)++;
			if (end > *val && end[-1] == '"')
				end[-1] = '\0';
		}
	}
	if (whole_quoted && end > args && end[-1] == '"')
		end[-1] = '\0';

	if (*end)
		*end++ = '\0';
	return skip_space(end);
}

static int parse_int(const char *key, const char *val, int min, int *out)
{
	char *end;
	long v;

	if (!val || !*val)
		goto bad;
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || v < min || v > INT_MAX)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	log_warn("ignoring %s=%s: not an integer >= %d", key, val ? val : "", min);
	return -EINVAL;
}

/* A wait in seconds: past RDINIT_MAX_WAIT it is taken as RDINIT_MAX_WAIT, and said so. */
static int parse_wait(const char *key, const char *val, int *out)
{
	char *end;
	unsigned long long v;

	if (!val || !*val || *val == '-')
		goto bad;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || v > RDINIT_MAX_WAIT) {
		log_warn("%s=%s: waiting %d s, the longest rdinit waits", key, val,
			 RDINIT_MAX_WAIT);
		v = RDINIT_MAX_WAIT;
	}
	*out = (int)v;
	return 0;
bad:
	log_warn("ignoring %s=%s: not a number of seconds", key, val ? val : "");
	return -EINVAL;
}

static int set_str(char **dst, const char *key, const char *val)
{
	char *s;

	if (!val) {
		log_warn("ignoring %s without a value", key);
		return -EINVAL;
	}
	s = strdup(val);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_console(struct rdinit_opts *o, const char *val)
{
	size_t n;
	char *s;

	if (!val || !*val)
		return 0;
	/* "ttyS0,115200n8": only the device name matters to us */
	n = strcspn(val, ",");
	s = strndup(val, n);
	if (!s)
		return -ENOMEM;
	free(o->console);
	o->console = s;
	return 0;
}

static int set_onfail(struct rdinit_opts *o, const char *val)
{
	static const char *const names[] = {
		[ONFAIL_SHELL] = "shell",
		[ONFAIL_REBOOT] = "reboot",
		[ONFAIL_HALT] = "halt",
		[ONFAIL_WAIT] = "wait",
	};
	int i;

	for (i = ONFAIL_SHELL; val && i <= ONFAIL_WAIT; i++) {
		if (!strcmp(val, names[i])) {
			o->onfail = i;
			return 0;
		}
	}
	log_warn("ignoring rdinit.onfail=%s: not shell, reboot, halt or wait", val ? val : "");
	return -EINVAL;
}

/* rdinit.mode=ram: run the OS in the initramfs (ramroot.c) even with a root=; auto: only without */
static int set_mode(struct rdinit_opts *o, const char *val)
{
	if (val && (!strcmp(val, "ram") || !strcmp(val, "auto"))) {
		o->ram = !strcmp(val, "ram");
		return 0;
	}
	log_warn("ignoring rdinit.mode=%s: not ram or auto", val ? val : "");
	return -EINVAL;
}

/*
 * rdinit.ramsize=: what tmpfs's size= takes, a number of bytes with an optional k, m, g, t,
 * p or e suffix, or a percentage of RAM; checked here so a typo is said at once, not as a
 * failed mount after the image has been looked through.
 */
static int set_ramsize(struct rdinit_opts *o, const char *val)
{
	size_t n = val ? strspn(val, "0123456789") : 0;

	if (n == 0 || n > 19 || (val[n] && (val[n + 1] || !strchr("kKmMgGtTpPeE%", val[n])))) {
		log_warn("ignoring rdinit.ramsize=%s: not a size such as 512M or 50%%",
			 val ? val : "");
		return -EINVAL;
	}
	return set_str(&o->ramsize, "rdinit.ramsize", val);
}

/* "root,mount": a comma list of stage names; a bare rdinit.break means "mount" (as rd.break) */
static int set_breaks(struct rdinit_opts *o, const char *val)
{
	const char *p = val ? val : "mount";
	int r = 0;

	while (*p) {
		size_t n = strcspn(p, ",");
		const struct stage_def *s = stagedef_by_break(p, n);

		if (s) {
			o->breaks |= 1u << s->stage;
		} else {
			log_warn("ignoring rdinit.break stage '%.*s'", (int)n, p);
			r = -EINVAL;
		}
		p += n + (p[n] == ',');
	}
	return r;
}

static const char *const flag_names[] = {
	"ro",	   "rw", "rootwait", "quiet", "debug", "rdinit.debug", "rdinit.keep_initramfs",
	"noresume"
};

static bool is_flag(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (!strcmp(key, flag_names[i]))
			return true;
	return false;
}

/* rd.luks=0 and the like: "0" (or "no") turns a stack off, "1" (or "yes") on again */
static int set_switch(bool *off, const char *key, const char *val)
{
	if (val && (!strcmp(val, "0") || !strcmp(val, "no"))) {
		*off = true;
		return 0;
	}
	if (val && (!strcmp(val, "1") || !strcmp(val, "yes"))) {
		*off = false;
		return 0;
	}
	log_warn("ignoring %s=%s: not 0 or 1", key, val ? val : "");
	return -EINVAL;
}

/* A repeatable stack option: each value is kept, in order. */
static int add_value(struct strset *set, const char *key, const char *val, const char *must)
{
	if (!val || !*val || (must && !strchr(val, *must))) {
		log_warn("ignoring %s=%s: %s", key, val ? val : "",
			 must ? "expected a value with '='" : "expected a value");
		return -EINVAL;
	}
	(void)strset_add(set, val);
	return 0;
}

/* rd.luks.*, rd.lvm.*, rd.md.*, rd.retry: dracut's names, systemd's where they differ */
static int stack_set(struct stack_opts *s, const char *key, const char *val)
{
	if (!strcmp(key, "rd.luks") || !strcmp(key, "luks"))
		return set_switch(&s->no_luks, key, val);
	if (!strcmp(key, "rd.lvm"))
		return set_switch(&s->no_lvm, key, val);
	if (!strcmp(key, "rd.md"))
		return set_switch(&s->no_md, key, val);
	if (!strcmp(key, "rd.luks.crypttab"))
		return set_switch(&s->no_crypttab, key, val);
	if (!strcmp(key, "rd.luks.uuid"))
		return add_value(&s->luks_uuid, key, val, NULL);
	if (!strcmp(key, "rd.luks.name"))
		return add_value(&s->luks_name, key, val, "=");
	if (!strcmp(key, "rd.luks.key"))
		return add_value(&s->luks_key, key, val, NULL);
	if (!strcmp(key, "rd.luks.options"))
		return add_value(&s->luks_options, key, val, NULL);
	if (!strcmp(key, "rd.lvm.vg"))
		return add_value(&s->lvm_vg, key, val, NULL);
	if (!strcmp(key, "rd.lvm.lv"))
		return add_value(&s->lvm_lv, key, val, "/");
	if (!strcmp(key, "rd.md.uuid"))
		return add_value(&s->md_uuid, key, val, NULL);
	if (!strcmp(key, "rd.retry"))
		return parse_wait(key, val, &s->md_retry);
	return -ENOENT;
}

/*
 * Apply one setting. Returns 0, -EINVAL for a bad value (logged, setting unchanged), -ENOENT
 * for a key rdinit does not know, or -ENOMEM.
 */
int opts_set(struct rdinit_opts *o, const char *key, const char *val)
{
	if (!strcmp(key, "root"))
		return set_str(&o->root, key, val);
	if (!strcmp(key, "rootfstype"))
		return set_str(&o->rootfstype, key, val);
	if (!strcmp(key, "rootflags"))
		return set_str(&o->rootflags, key, val);
	if (!strcmp(key, "init"))
		return set_str(&o->init, key, val);
	if (!strcmp(key, "console"))
		return set_console(o, val);
	if (!strcmp(key, "resume"))
		return set_str(&o->resume, key, val);
	if (!strcmp(key, "resume_offset"))
		return val && *val && strspn(val, "0123456789") == strlen(val)
			       ? set_str(&o->resume_offset, key, val)
			       : (log_warn("ignoring resume_offset=%s: not a number",
					   val ? val : ""),
				  -EINVAL);
	if (!strcmp(key, "rootdelay"))
		return parse_wait(key, val, &o->rootdelay);
	if (!strcmp(key, "rdinit.timeout"))
		return parse_wait(key, val, &o->timeout);
	if (!strcmp(key, "rdinit.hook_timeout"))
		return parse_wait(key, val, &o->hook_timeout);
	if (!strcmp(key, "rdinit.workers"))
		return parse_int(key, val, 1, &o->workers);
	if (!strcmp(key, "panic"))
		return parse_int(key, val, INT_MIN, &o->panic);
	if (!strcmp(key, "rdinit.onfail"))
		return set_onfail(o, val);
	if (!strcmp(key, "rdinit.break"))
		return set_breaks(o, val);
	if (!strcmp(key, "rdinit.mode"))
		return set_mode(o, val);
	if (!strcmp(key, "rdinit.ramsize"))
		return set_ramsize(o, val);
	if (!strncmp(key, "rd.", 3) || !strcmp(key, "luks"))
		return stack_set(&o->stacks, key, val);
	if (!is_flag(key))
		return -ENOENT;
	/* flags: the kernel ignores a value after these, so only the bare word counts */
	if (val)
		return -EINVAL;
	if (!strcmp(key, "ro"))
		o->ro = true;
	else if (!strcmp(key, "rw"))
		o->ro = false;
	else if (!strcmp(key, "rootwait"))
		o->rootwait = true;
	else if (!strcmp(key, "quiet"))
		o->quiet = true;
	else if (!strcmp(key, "rdinit.keep_initramfs"))
		o->keep_initramfs = true;
	else if (!strcmp(key, "noresume"))
		o->noresume = true;
	else
		o->debug = true;
	return 0;
}

/* rdinit.timeout=, or rootdelay= when longer: it is a minimum wait, not a sleep */
int wait_seconds(const struct rdinit_opts *o)
{
	return o->timeout > o->rootdelay ? o->timeout : o->rootdelay;
}

/* Parse @cmdline (not modified) into @o. Returns 0, or -ENOMEM. */
int cmdline_parse(const char *cmdline, struct rdinit_opts *o)
{
	char *buf = strdup(cmdline), *p, *key, *val;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (p = skip_space(buf); *p;) {
		p = cmdline_next(p, &key, &val);
		/* after "--" everything belongs to init */
		if (!strcmp(key, "--") && !val)
			break;
		/* unknown words belong to the kernel or to init; bad values were logged */
		if (opts_set(o, key, val) == -ENOMEM) {
			r = -ENOMEM;
			break;
		}
	}
	free(buf);
	return r;
}
