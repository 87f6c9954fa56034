// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Module files: userspace decompression, and their .modinfo.
 *
 * Decompression is for init_module(2): the kernel decompresses at most
 * one format itself (CONFIG_MODULE_DECOMPRESS with CONFIG_MODULE_COMPRESS_XZ, _ZSTD or _GZIP,
 * and Debian 12's 6.1 kernels not at all), and zstd in userspace is several times faster than
 * the kernel's xz. liblzma, libzstd and zlib are linked statically: a static /init cannot
 * dlopen them.
 *
 * Only library calls on private buffers: safe to call from the module-loading worker threads.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "modules/modules.h"

/* Modules are a few MiB at most; anything past this is not a module. */
#define MAX_MODULE_SIZE (256u << 20)
/*
 * A size a header states is trusted (mapped at once) only up to this many times the input:
 * modules compress 3 to 6 times, and a damaged header must not make us populate 256 MiB.
 */
#define MAX_TRUSTED_RATIO 64

/*
 * The output buffer: anonymous memory, populated when mapped (one call instead of a page fault
 * per 4 KiB, which costs under emulation), grown by doubling up to MAX_MODULE_SIZE; @exact
 * maps just @want bytes, when the size is known.
 */
struct out {
	unsigned char *p;
	size_t len, cap;
};

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

static int out_grow(struct out *o, size_t want, bool exact)
{
	size_t cap = exact ? want : o->cap ? o->cap : 64 * 1024;
	void *p;

	while (cap < want)
		cap *= 2;
	if (cap > MAX_MODULE_SIZE)
		cap = MAX_MODULE_SIZE;
	if (cap < want || cap == o->cap)
		return -EFBIG;
	cap = page_round(cap);
	if (!o->p)
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	else
		p = mremap(o->p, o->cap, cap, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -ENOMEM;
	o->p = p;
	o->cap = cap;
	return 0;
}

void module_free(void *buf, size_t len)
{
	if (buf)
		munmap(buf, page_round(len ? len : 1));
}

/* Done: give back what is past the end, so module_free() needs only the length. */
static void out_finish(struct out *o)
{
	size_t keep = page_round(o->len ? o->len : 1);

	if (keep < o->cap && mremap(o->p, o->cap, keep, 0) != MAP_FAILED)
		o->cap = keep;
}

static int unzstd(const unsigned char *in, size_t n, struct out *o)
{
	unsigned long long size = ZSTD_getFrameContentSize(in, n);
	ZSTD_DStream *ds;
	ZSTD_inBuffer ib = { in, n, 0 };
	int r = 0;

	if (size == ZSTD_CONTENTSIZE_ERROR)
		return -EBADMSG;
	if (size != ZSTD_CONTENTSIZE_UNKNOWN && size / MAX_TRUSTED_RATIO <= n) {
		/* one call, straight into a buffer of the right size (what mkrdinit writes) */
		ZSTD_DCtx *dctx;
		size_t got;

		if (size > MAX_MODULE_SIZE)
			return -EFBIG;
		r = out_grow(o, (size_t)size ? (size_t)size : 1, true);
		if (r < 0)
			return r;
		/* the context on the heap: this runs on worker threads with small stacks */
		dctx = ZSTD_createDCtx();
		if (!dctx)
			return -ENOMEM;
		got = ZSTD_decompressDCtx(dctx, o->p, o->cap, in, n);
		ZSTD_freeDCtx(dctx);
		if (ZSTD_isError(got) || got != size)
			return -EBADMSG;
		o->len = got;
		return 0;
	}
	ds = ZSTD_createDStream();
	if (!ds)
		return -ENOMEM;
	for (;;) {
		ZSTD_outBuffer ob;
		size_t ret;

		if (o->len == o->cap && (r = out_grow(o, o->cap + 1, false)) < 0)
			break;
		ob = (ZSTD_outBuffer){ o->p + o->len, o->cap - o->len, 0 };
		ret = ZSTD_decompressStream(ds, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(ret)) {
			r = -EBADMSG;
			break;
		}
		if (ret == 0)
			break; /* frame complete */
		if (ib.pos == ib.size && ob.pos < ob.size) {
			r = -EBADMSG; /* truncated */
			break;
		}
	}
	ZSTD_freeDStream(ds);
	return r;
}

static int unxz(const unsigned char *in, size_t n, struct out *o)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;
	int r = 0;

	/* xz -9 needs 65 MiB to decode; a header asking for more is not a module's */
	if (lzma_stream_decoder(&s, 128u << 20, LZMA_CONCATENATED) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = n;
	/* a module compresses about 4 to 6 times */
	if ((r = out_grow(o, n < MAX_MODULE_SIZE / 6 ? n * 6 : MAX_MODULE_SIZE, false)) < 0)
		goto out;
	for (;;) {
		if (o->len == o->cap && (r = out_grow(o, o->cap + 1, false)) < 0)
			break;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		ret = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
			r = ret == LZMA_MEM_ERROR ? -ENOMEM : -EBADMSG;
			break;
		}
		if (ret == LZMA_BUF_ERROR && s.avail_out) {
			r = -EBADMSG; /* truncated */
			break;
		}
	}
out:
	lzma_end(&s);
	return r;
}

static int ungzip(const unsigned char *in, size_t n, struct out *o)
{
	z_stream s;
	int ret, r = 0;
	size_t hint = n * 4;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	/* gzip's trailer has the size modulo 2^32 */
	if (n >= 18)
		hint = (size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 |
		       (size_t)in[n - 1] << 24;
	/* the hint is only a hint (and modulo 2^32): exact, then grown if it was wrong */
	if (hint / MAX_TRUSTED_RATIO > n)
		hint = n * 4;
	if ((r = out_grow(o, hint ? hint : 1, true)) < 0)
		goto out;
	s.next_in = (unsigned char *)in;
	for (size_t left = n;;) {
		uInt chunk = left > UINT32_MAX ? UINT32_MAX : (uInt)left;

		if (o->len == o->cap && (r = out_grow(o, o->cap + 1, false)) < 0)
			break;
		s.avail_in = chunk;
		s.next_out = o->p + o->len;
		s.avail_out = (uInt)(o->cap - o->len > UINT32_MAX ? UINT32_MAX : o->cap - o->len);
		ret = inflate(&s, Z_FINISH);
		left -= chunk - s.avail_in;
		o->len = (size_t)(s.next_out - o->p);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_MEM_ERROR) {
			r = -ENOMEM;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			r = -EBADMSG;
			break;
		}
		if (ret == Z_BUF_ERROR && s.avail_out) {
			r = -EBADMSG; /* truncated */
			break;
		}
	}
out:
	inflateEnd(&s);
	return r;
}

int module_decompress_mem(const void *in, size_t n, const char *format, void **buf, size_t *len)
{
	struct out o = { 0 };
	int r;

	*buf = NULL;
	*len = 0;
	if (!strcmp(format, "zstd"))
		r = unzstd(in, n, &o);
	else if (!strcmp(format, "xz"))
		r = unxz(in, n, &o);
	else if (!strcmp(format, "gzip"))
		r = ungzip(in, n, &o);
	else
		r = -EOPNOTSUPP;
	if (r < 0) {
		if (o.p)
			munmap(o.p, o.cap);
		return r;
	}
	out_finish(&o);
	*buf = o.p;
	*len = o.len;
	return 0;
}

int module_read(const char *path, const char *format, void **buf, size_t *len)
{
	struct stat st;
	void *in;
	int fd, r;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size > MAX_MODULE_SIZE) {
		close(fd);
		return st.st_size <= 0 ? -EBADMSG : -EFBIG;
	}
	in = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	r = in == MAP_FAILED ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (!format) {
		/* as it is: the mapping itself, which module_free() unmaps like any other */
		*buf = in;
		*len = (size_t)st.st_size;
		return 0;
	}
	r = module_decompress_mem(in, (size_t)st.st_size, format, buf, len);
	munmap(in, (size_t)st.st_size);
	return r;
}

/*
 * .modinfo of the module image @elf (@len bytes): "key=value\0" strings. Calls @fn with each
 * value of @key until it returns nonzero; returns that, 0, or -EBADMSG for a malformed image.
 * Every offset is checked against @len: the image is whatever the file held.
 */
int modinfo_foreach(const void *elf, size_t len, const char *key,
		    int (*fn)(const char *value, void *ud), void *ud)
{
	const unsigned char *p = elf;
	Elf64_Ehdr eh;
	Elf64_Shdr strtab, sh;
	size_t klen = strlen(key), i;

	/* headers are copied out: an image's offsets need not be aligned */
	if (len < sizeof(eh))
		return -EBADMSG;
	memcpy(&eh, p, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum ||
	    eh.e_shoff > len || (len - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
		return -EBADMSG;
	memcpy(&strtab, p + eh.e_shoff + eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof(strtab));
	if (strtab.sh_offset > len || strtab.sh_size > len - strtab.sh_offset)
		return -EBADMSG;
	for (i = 0; i < eh.e_shnum; i++) {
		const char *name, *s, *end;

		memcpy(&sh, p + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
		if (sh.sh_name >= strtab.sh_size)
			continue;
		name = (const char *)p + strtab.sh_offset + sh.sh_name;
		if (strnlen(name, strtab.sh_size - sh.sh_name) != 8 || memcmp(name, ".modinfo", 8))
			continue;
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset)
			return -EBADMSG;
		s = (const char *)p + sh.sh_offset;
		end = s + sh.sh_size;
		while (s < end) {
			size_t n = strnlen(s, (size_t)(end - s));

			if (n > klen && s[klen] == '=' && !memcmp(s, key, klen)) {
				char value[512];
				int r;

				/* longer than any alias: not one to match, skipped */
				if (n - klen - 1 < sizeof(value)) {
					memcpy(value, s + klen + 1, n - klen - 1);
					value[n - klen - 1] = '\0';
					r = fn(value, ud);
					if (r)
						return r;
				}
			}
			s += n + 1;
		}
		return 0;
	}
	return 0;
}
