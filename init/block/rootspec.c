// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * root= as users write it: UUID=, LABEL=, PARTUUID=, PARTLABEL=, /dev/NAME, the udev-style
 * /dev/disk/by-{uuid,label,partuuid,partlabel}/X (there is no udev here, so those become the
 * matching tag), MAJ:MIN, and the kernel's hexadecimal device number. Pure: no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "block/block.h"

static const struct {
	const char *prefix;
	enum root_kind kind;
} tag_prefixes[] = {
	{ "UUID=", ROOT_UUID },
	{ "LABEL=", ROOT_LABEL },
	{ "PARTUUID=", ROOT_PARTUUID },
	{ "PARTLABEL=", ROOT_PARTLABEL },
	{ "/dev/disk/by-uuid/", ROOT_UUID },
	{ "/dev/disk/by-label/", ROOT_LABEL },
	{ "/dev/disk/by-partuuid/", ROOT_PARTUUID },
	{ "/dev/disk/by-partlabel/", ROOT_PARTLABEL },
};

const char *rootspec_kind_name(enum root_kind kind)
{
	switch (kind) {
	case ROOT_UUID:
		return "UUID";
	case ROOT_LABEL:
		return "LABEL";
	case ROOT_PARTUUID:
		return "PARTUUID";
	case ROOT_PARTLABEL:
		return "PARTLABEL";
	case ROOT_DEVNAME:
		return "device name";
	case ROOT_DEVNUM:
		return "device number";
	default:
		return "nothing";
	}
}

static int set_value(struct root_spec *spec, enum root_kind kind, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= sizeof(spec->value))
		return -EINVAL;
	spec->kind = kind;
	memcpy(spec->value, v, n + 1);
	return 0;
}

/* "8:1" */
static int parse_majmin(const char *s, struct root_spec *spec)
{
	unsigned long ma, mi;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	ma = strtoul(s, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	mi = strtoul(end + 1, &end, 10);
	if (*end || ma > 0xfff || mi > 0xfffff)
		return -EINVAL;
	spec->kind = ROOT_DEVNUM;
	spec->major = (unsigned int)ma;
	spec->minor = (unsigned int)mi;
	return 0;
}

/* "0801", "fe01": the kernel's new_decode_dev() of a hexadecimal number */
static int parse_hexdev(const char *s, struct root_spec *spec)
{
	unsigned long v;
	char *end;

	if (!isxdigit((unsigned char)*s) || strlen(s) > 8)
		return -EINVAL;
	v = strtoul(s, &end, 16);
	if (*end || v == 0)
		return -EINVAL;
	spec->kind = ROOT_DEVNUM;
	spec->major = (unsigned int)((v & 0xfff00) >> 8);
	spec->minor = (unsigned int)((v & 0xff) | ((v >> 12) & 0xfff00));
	return 0;
}

/* "UUID/PARTNROFF=N", as the kernel takes it for PARTUUID= */
static int parse_partuuid(const char *v, struct root_spec *spec)
{
	const char *slash = strchr(v, '/');
	char uuid[sizeof(spec->value)], *end;
	long off;

	if (!slash)
		return set_value(spec, ROOT_PARTUUID, v);
	if (strncmp(slash, "/PARTNROFF=", 11) || (size_t)(slash - v) >= sizeof(uuid))
		return -EINVAL;
	if (slash[11] != '-' && !isdigit((unsigned char)slash[11]))
		return -EINVAL;
	off = strtol(slash + 11, &end, 10);
	if (*end || off == 0 || off < -255 || off > 255)
		return -EINVAL;
	memcpy(uuid, v, (size_t)(slash - v));
	uuid[slash - v] = '\0';
	if (set_value(spec, ROOT_PARTUUID, uuid) < 0)
		return -EINVAL;
	spec->partnroff = (int)off;
	return 0;
}

/* Returns 0 and fills @spec, or -EINVAL for a value rdinit cannot look for. */
int rootspec_parse(const char *root, struct root_spec *spec)
{
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if (!root || !*root)
		return -EINVAL;
	for (i = 0; i < sizeof(tag_prefixes) / sizeof(tag_prefixes[0]); i++) {
		size_t n = strlen(tag_prefixes[i].prefix);

		if (strncmp(root, tag_prefixes[i].prefix, n))
			continue;
		if (tag_prefixes[i].kind == ROOT_PARTUUID)
			return parse_partuuid(root + n, spec);
		return set_value(spec, tag_prefixes[i].kind, root + n);
	}
	if (!strncmp(root, "/dev/", 5)) {
		const char *name = root + 5;

		/* a name, not a path that climbs out of /dev */
		if (strstr(name, "..") || name[0] == '/' || !name[0])
			return -EINVAL;
		return set_value(spec, ROOT_DEVNAME, name);
	}
	if (strchr(root, ':'))
		return parse_majmin(root, spec);
	return parse_hexdev(root, spec);
}

bool rootdev_matches(const struct root_spec *spec, const struct blockdev *d)
{
	switch (spec->kind) {
	case ROOT_UUID:
		return d->uuid[0] && !strcasecmp(d->uuid, spec->value);
	case ROOT_LABEL:
		return d->label[0] && !strcmp(d->label, spec->value);
	case ROOT_PARTUUID:
		return d->partuuid[0] && !strcasecmp(d->partuuid, spec->value);
	case ROOT_PARTLABEL:
		return d->partlabel[0] && !strcmp(d->partlabel, spec->value);
	case ROOT_DEVNAME:
		return !strcmp(d->name, spec->value);
	case ROOT_DEVNUM:
		return d->major == (int)spec->major && d->minor == (int)spec->minor;
	default:
		return false;
	}
}
