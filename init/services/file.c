// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whole files: read into memory (the kernel's text files, /etc files of the image) and copied
 * (holes kept), for every wing that needs one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "services/services.h"

/*
 * Read all of @path (procfs reports st_size 0: read until EOF), at most @max bytes, into a
 * NUL-terminated buffer. Returns 0 with *out and *len set; -EFBIG past @max, with the
 * first @max bytes in *out all the same; or -errno, with nothing to free.
 */
int read_text_file(const char *path, size_t max, char **out, size_t *len)
{
	size_t n = 0, size = 4096;
	char *buf = malloc(size);
	int fd, r = 0;
	ssize_t got;

	*out = NULL;
	*len = 0;
	if (!buf)
		return -ENOMEM;
	/* non-blocking: a FIFO where a file should be fails instead of holding PID 1 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (n + 1 >= size) {
			char *nb = size >= max ? NULL : realloc(buf, size * 2);

			if (!nb) {
				r = size >= max ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
			size *= 2;
		}
		got = read(fd, buf + n, size - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = got < 0 ? -errno : 0;
			break;
		}
		n += (size_t)got;
	}
	close(fd);
	if (r < 0 && r != -EFBIG) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return r;
}

/* A file of one line (/proc/cmdline, a sysfs attribute), its trailing whitespace trimmed. */
int read_trimmed_file(const char *path, char **out)
{
	size_t len;
	int r = read_text_file(path, 1024 * 1024, out, &len);

	if (r == -EFBIG) {
		free(*out);
		*out = NULL;
	}
	if (r < 0)
		return r;
	while (len && isspace((unsigned char)(*out)[len - 1]))
		len--;
	(*out)[len] = '\0';
	return 0;
}

/* @len bytes of @in from @off to @out at the same offset (or until @in ends); 0 or -errno. */
static int copy_range(int in, int out, off_t off, off_t len)
{
	char buf[16384];
	ssize_t n;
	int r;

	if (lseek(out, off, SEEK_SET) < 0)
		return -errno;
	/* sendfile between two files does not need the data in userspace */
	while (len > 0 && (n = sendfile(out, in, &off, (size_t)len)) > 0)
		len -= n;
	/* EINVAL from a filesystem without splice, or a file shorter than it said: the slow way */
	while (len > 0) {
		n = pread(in, buf, len < (off_t)sizeof(buf) ? (size_t)len : sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * The first @size bytes of @in (or until its end) to @out, from the start; 0 or -errno. Holes
 * stay holes (SEEK_DATA, SEEK_HOLE): a sparse file a hook made must not take its full size of
 * RAM in the tmpfs. Where SEEK_DATA is not known, all of it is data.
 */
int file_copy_data(int in, int out, off_t size)
{
	off_t pos = 0, data, hole, end = lseek(in, 0, SEEK_END);
	int r;

	if (end >= 0 && end < size)
		size = end;
	while (pos < size) {
		data = lseek(in, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* a hole to the end */
		hole = data < 0 ? size : lseek(in, data, SEEK_HOLE);
		if (data < 0)
			data = pos;
		if (hole < 0 || hole > size)
			hole = size;
		if (data >= size)
			break;
		r = copy_range(in, out, data, hole - data);
		if (r < 0)
			return r;
		pos = hole;
	}
	/* the hole at the end, which no write made */
	return ftruncate(out, size) < 0 ? -errno : 0;
}
