/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The image file: a temp file beside --output, 0600 while it is written; the archives
 * written into it (early microcode, the modules stored as they are, the compressed rest);
 * then its mode, and the rename over --output.
 */
#ifndef MKRDINIT_OUTPUT_H
#define MKRDINIT_OUTPUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "archive.h"
#include "image.h"

/* The temp file that becomes --output. */
struct output {
	int fd;
	char *path;
	mode_t mode; /* of the image, once renamed */
};

/*
 * Create the temp file beside @output.  It stays 0600 while it is written, whatever the
 * image's mode will be: what it holds is known only once the files are collected, and a
 * key file must never sit in a file others can open.  output_commit() gives it t->mode.
 */
int output_open(struct output *t, const char *output, struct mk_err *err);

/* Remove the temp file, if it is still there. */
void output_discard(struct output *t);

/*
 * Not a fixed 0644 nor mkstemp's 0600, which the boot loader's installer may not read: the
 * mode of the image being replaced, else what the umask leaves of 0666, as for any file a
 * program creates.  But an image with a private file in it is 0600 whatever those say: an
 * old 0644 image or a umask of 022 would hand a key file to every user of the machine.
 */
mode_t output_mode(const char *output, bool private);

/*
 * The kernel looks for microcode in an uncompressed newc archive at the
 * very start of the initrd, before it decompresses anything; the main
 * archive follows it (the unpacker takes concatenated archives).
 */
int output_microcode(const struct image_opts *o, int fd, struct mk_err *err);

/*
 * @l into @fd as o->compress says.  Compressed modules go into an uncompressed archive
 * ahead of the compressed one: compressing them again gains next to nothing, and the
 * kernel would spend boot time decompressing every one of them, needed or not (4.3 MB of
 * .ko.xz in the generic gzip image).  The kernel unpacks concatenated archives, each
 * compressed or not.
 */
int output_segments(struct ar_list *l, const struct image_opts *o, int fd, struct ar_stats *st,
		    struct mk_err *err);

/* Durable before visible: rename only a fully written file over the old image. */
int output_commit(struct output *t, const char *output, struct mk_err *err);

#endif
