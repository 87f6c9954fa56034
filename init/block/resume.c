// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resume=: before anything is mounted, hand the kernel the hibernation image on the device
 * resume= names (UUID=, PARTUUID=, LABEL=, /dev/..., MAJ:MIN, as root= takes them) by writing
 * its MAJ:MIN to /sys/power/resume (and resume_offset= for a swap file first). The kernel
 * then restores the image and never comes back here. A device without an image (libblkid
 * sees a plain "swap", not "swsuspend") costs nothing: the boot goes on at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"

/*
 * How long to wait for resume=: as for the root, but never for ever. rootwait is about the
 * root; a swap partition that is gone (resume= is written by initramfs-tools' hook by itself)
 * must not hold the boot: with rootwait, a few seconds, as initramfs-tools waits for it.
 */
#define RESUME_ROOTWAIT_S 5

static int resume_wait_s(const struct rdinit_opts *o)
{
	return o->rootwait ? RESUME_ROOTWAIT_S : wait_seconds(o);
}

/* Resume if there is an image to resume from; returns only when there is not (or it failed). */
void resume_from_hibernation(struct boot *b)
{
	const struct rdinit_opts *o = &b->opts;
	const struct blockdev *d = NULL;
	char value[64];
	int r;

	if (!o->resume || o->noresume)
		return;
	if (b->resume_spec.kind == ROOT_NONE) {
		log_console("cannot understand resume=%s; booting without resuming", o->resume);
		return;
	}
	if (!events_wait_for(b, &b->resume_spec, resume_wait_s(o) * 1000, &d)) {
		log_console("resume=%s: not found after %d s; booting without resuming", o->resume,
			    resume_wait_s(o));
		return;
	}
	/* with resume_offset= the image is in a swap file: only the kernel can look */
	if (!o->resume_offset && strcmp(d->type, "swsuspend")) {
		log_info("resume=%s: /dev/%s holds no hibernation image (TYPE=\"%s\")", o->resume,
			 d->name, d->type);
		return;
	}
	if (o->resume_offset) {
		r = sys_write_file("/sys/power/resume_offset", o->resume_offset);
		if (r < 0) {
			log_console("resume_offset=%s: %s; booting without resuming",
				    o->resume_offset, strerror(-r));
			return;
		}
	}
	snprintf(value, sizeof(value), "%d:%d", d->major, d->minor);
	log_console("resuming from /dev/%s (%s)", d->name, value);
	/* on success the kernel restores the image: this write does not return */
	r = sys_write_file("/sys/power/resume", value);
	log_console("resuming from /dev/%s failed: %s; booting without resuming", d->name,
		    r < 0 ? strerror(-r) : "the kernel found no image");
}
