// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: uevents from netlink and from sysfs uevent files. Each parser gets its own
 * copy of exactly the input's size, since both write into the buffer and must stay inside it.
 * An accepted event's strings point into that buffer: each is read to its end.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_max_level(0);
	return 0;
}

static void touch(const char *s, const char *buf, size_t size)
{
	if (!s)
		return;
	/* a field must start inside the buffer it was parsed from */
	if (s < buf || s >= buf + size)
		abort();
	(void)strlen(s);
}

static void check(const struct uevent *ev, const char *buf, size_t size)
{
	touch(ev->action, buf, size);
	touch(ev->devpath, buf, size);
	touch(ev->subsystem, buf, size);
	touch(ev->devtype, buf, size);
	touch(ev->devname, buf, size);
	touch(ev->modalias, buf, size);
	if (ev->major < -1 || ev->minor < -1 || ev->partn < 0)
		abort();
}

typedef int (*parse_fn)(char *buf, size_t len, struct uevent *ev);

static void run(parse_fn parse, bool netlink, const uint8_t *data, size_t size)
{
	struct uevent ev;
	char *buf = malloc(size ? size : 1);
	int r;

	if (!buf)
		return;
	memcpy(buf, data, size);
	r = parse(buf, size, &ev);
	if (r == 0) {
		/* a netlink message needs its three keys, so an accepted one has them */
		if (netlink && (!ev.action || !ev.devpath || !ev.subsystem))
			abort();
		check(&ev, buf, size);
	} else if (r != -EINVAL) {
		abort();
	}
	/* both take len 0 and refuse it without touching the buffer */
	if (size == 0 && r != -EINVAL)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(uevent_parse_netlink, true, data, size);
	run(uevent_parse_file, false, data, size);
	return 0;
}
