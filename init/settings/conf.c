// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /etc/rdinit.conf: one setting per line, written as on the kernel command line
 * ("root=LABEL=system", "rw", "rdinit.timeout=10"); '#' starts a comment; a value may be in
 * double quotes. The command line is applied afterwards and so overrides the file. A bad line
 * is reported with its number and skipped: the file can never stop a boot that the command
 * line alone would have completed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "settings/settings.h"

#define CONF_MAX (1024 * 1024)

static char *trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (!isprint((unsigned char)*s) && *s != '\t')
			return false;
	return true;
}

static void unquote(char **val)
{
	size_t n = strlen(*val);

	if (n >= 2 && (*val)[0] == '"' && (*val)[n - 1] == '"') {
		(*val)[n - 1] = '\0';
		(*val)++;
	}
}

static int conf_line(struct rdinit_opts *o, char *line, const char *name, unsigned int lineno)
{
	char *eq, *key, *val = NULL;
	int r;

	if (!printable(line)) {
		log_warn("%s:%u: ignoring a line that is not text", name, lineno);
		return 0;
	}
	eq = strchr(line, '=');
	if (eq) {
		*eq = '\0';
		val = trim(eq + 1, eq + 1 + strlen(eq + 1));
		unquote(&val);
	}
	key = trim(line, line + strlen(line));
	if (!*key) {
		log_warn("%s:%u: ignoring a line without a setting name", name, lineno);
		return 0;
	}
	r = opts_set(o, key, val);
	if (r == -ENOENT)
		log_warn("%s:%u: ignoring unknown setting '%.64s'", name, lineno, key);
	else if (r == -EINVAL)
		log_warn("%s:%u: ignoring a bad value for %s", name, lineno, key);
	return r == -ENOMEM ? r : 0;
}

/* Parse @len bytes of config text (not modified; NULs allowed) into @o. */
int conf_parse(const char *text, size_t len, const char *name, struct rdinit_opts *o)
{
	char *buf = malloc(len + 1), *p, *end;
	unsigned int lineno = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (p = buf; p < buf + len && r == 0; p = end + 1) {
		char *hash, *line;

		lineno++;
		end = memchr(p, '\n', (size_t)(buf + len - p));
		if (!end)
			end = buf + len;
		*end = '\0';
		if (strlen(p) != (size_t)(end - p)) {
			log_warn("%s:%u: ignoring a line with a NUL byte", name, lineno);
			continue;
		}
		hash = strchr(p, '#');
		line = trim(p, hash ? hash : end);
		if (*line)
			r = conf_line(o, line, name, lineno);
	}
	free(buf);
	return r;
}

/* Load @path if it exists. A missing file is not an error: it is optional. */
int conf_load(const char *path, struct rdinit_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_text_file(path, CONF_MAX, &buf, &len);

	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		log_warn("%s: larger than %d bytes; reading only the start", path, CONF_MAX);
	else if (r < 0)
		return r;
	r = conf_parse(buf, len, path, o);
	free(buf);
	return r;
}
