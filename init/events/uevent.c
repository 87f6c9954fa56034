// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * uevents: "ACTION@DEVPATH\0KEY=value\0..." from the kernel's netlink socket, or "KEY=value\n"
 * lines from a sysfs uevent file. Both parse in place into struct uevent, whose strings point
 * into the buffer. Pure and fuzzable: any byte string is either accepted or gives -EINVAL.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/events.h"

static void uevent_clear(struct uevent *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->major = -1;
	ev->minor = -1;
}

static int parse_num(const char *s)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 0xfffff)
		return -1;
	return (int)v;
}

static void uevent_set(struct uevent *ev, char *kv)
{
	char *val = strchr(kv, '=');

	if (!val)
		return;
	*val++ = '\0';
	if (!strcmp(kv, "ACTION"))
		ev->action = val;
	else if (!strcmp(kv, "DEVPATH"))
		ev->devpath = val;
	else if (!strcmp(kv, "SUBSYSTEM"))
		ev->subsystem = val;
	else if (!strcmp(kv, "DEVTYPE"))
		ev->devtype = val;
	else if (!strcmp(kv, "DEVNAME"))
		ev->devname = val;
	else if (!strcmp(kv, "MODALIAS"))
		ev->modalias = val;
	else if (!strcmp(kv, "MAJOR"))
		ev->major = parse_num(val);
	else if (!strcmp(kv, "MINOR"))
		ev->minor = parse_num(val);
	else if (!strcmp(kv, "PARTN"))
		ev->partn = parse_num(val) > 0 ? parse_num(val) : 0;
	else if (!strcmp(kv, "SEQNUM"))
		ev->seqnum = strtoull(val, NULL, 10);
}

/*
 * Split @buf[0..len) at @sep into KEY=value records. The last byte is overwritten with a NUL
 * if it is not one, so a message missing its terminator is cut, not read past.
 */
static void parse_records(char *buf, size_t len, char sep, struct uevent *ev)
{
	char *p = buf, *end = buf + len;

	buf[len - 1] = '\0';
	while (p < end) {
		char *next = memchr(p, sep, (size_t)(end - p));

		if (next)
			*next = '\0';
		else
			next = end - 1;
		if (*p)
			uevent_set(ev, p);
		p = next + 1;
	}
}

int uevent_parse_netlink(char *buf, size_t len, struct uevent *ev)
{
	size_t hdr;

	uevent_clear(ev);
	if (len < 2)
		return -EINVAL;
	/* "add@/devices/..." header, then records; libudev's "libudev\0" messages are not ours */
	hdr = strnlen(buf, len);
	if (hdr + 1 >= len || !memchr(buf, '@', hdr))
		return -EINVAL;
	parse_records(buf + hdr + 1, len - hdr - 1, '\0', ev);
	if (!ev->action || !ev->devpath || !ev->subsystem)
		return -EINVAL;
	return 0;
}

/* @len counts a terminating byte (NUL or newline) that the parser may overwrite. */
int uevent_parse_file(char *buf, size_t len, struct uevent *ev)
{
	uevent_clear(ev);
	if (len == 0)
		return -EINVAL;
	parse_records(buf, len, '\n', ev);
	return 0;
}
