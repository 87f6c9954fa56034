// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "dmname.h"

/* DM_NAME_LEN (linux/dm-ioctl.h) with its NUL */
#define DM_NAME_MAX 127

const char *rd_dm_name_invalid(const char *name)
{
	if (!name[0])
		return "it is empty";
	if (strlen(name) > DM_NAME_MAX)
		return "device-mapper takes names of up to 127 bytes";
	if (strchr(name, '/'))
		return "it has a '/'";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "'.' and '..' name directories";
	if (!strcmp(name, "control"))
		return "/dev/mapper/control is device-mapper's own node";
	if (name[0] == '-')
		return "a leading '-' reads as an option";
	return NULL;
}
