#!/bin/sh
# lvm2 2.03.16 on musl: run in the lvm2 source tree by build-aux/stacks.sh. Idempotent.
set -eu

# tools/lvmcmdline.c reopens a closed fd 0, 1 or 2 on /dev/null by assigning a new FILE to
# stdin, stdout or stderr; musl declares them const. freopen() on the stream does the same
# job (musl's also moves the new file onto the stream's own fd).
sed -i \
	-e 's|!(stdin = fopen(_PATH_DEVNULL, "r"))|!freopen(_PATH_DEVNULL, "r", stdin)|' \
	-e 's|!(stdout = fopen(_PATH_DEVNULL, "w"))|!freopen(_PATH_DEVNULL, "w", stdout)|' \
	-e 's|!(stderr = fopen(_PATH_DEVNULL, "w"))|!freopen(_PATH_DEVNULL, "w", stderr)|' \
	tools/lvmcmdline.c

# lib/mm/memlock.c asks glibc's mallinfo() whether malloc() fell back to mmap while it reserves
# memory before a device is suspended; musl has no mallinfo(). A stand-in that reports no mmap'd
# blocks keeps every reserved area as it is (musl's malloc needs no such workaround).
grep -q 'rdinit: musl has no mallinfo' lib/mm/memlock.c ||
	sed -i '/^#include <malloc.h>/a\
#ifndef __GLIBC__ /* rdinit: musl has no mallinfo() */\
struct mallinfo { int hblks; };\
static struct mallinfo mallinfo(void) { struct mallinfo m = { 0 }; return m; }\
#endif' lib/mm/memlock.c

# lib/commands/toolcontext.c gives stdin and stdout line buffers of its own by closing them and
# storing a new FILE in stdin and stdout (lib/log/log.c, reopen_standard_stream()). Const in musl:
# skip that there and keep libc's buffering, as lvm2 does already for threaded programs.
grep -q 'rdinit: musl streams' lib/commands/toolcontext.c || {
	sed -i -e 's|^\tif (set_buffering$|\tif (set_buffering \&\& LVM_REOPEN_STREAMS|' \
		lib/commands/toolcontext.c
	sed -i '/^#include "lib\/commands\/toolcontext.h"/a\
#ifdef __GLIBC__ /* rdinit: musl streams are const */\
#define LVM_REOPEN_STREAMS 1\
#else\
#define LVM_REOPEN_STREAMS 0\
#endif' lib/commands/toolcontext.c
	grep -q 'set_buffering && LVM_REOPEN_STREAMS' lib/commands/toolcontext.c
}

# Not musl's business but the initramfs's: every lvm command seeds its rand() from
# /dev/urandom (lib/commands/toolcontext.c, _init_rand()). Early in boot, before the kernel's
# random generator is ready, that read makes the kernel gather entropy until it is: over a
# second under emulation, paid by the first lvm command of the boot. The seed picks nothing
# secret (it is time + pid when the read fails): take getrandom()'s bytes if the generator is
# ready, else that fallback at once. PV and VG UUIDs still come from /dev/urandom.
grep -q 'rdinit: no wait for entropy' lib/commands/toolcontext.c || {
	sed -i -e 's|^\tif (read_urandom(&cmd->rand_seed, sizeof(cmd->rand_seed))) {$|\tif (getrandom(\&cmd->rand_seed, sizeof(cmd->rand_seed), GRND_NONBLOCK) == (ssize_t)sizeof(cmd->rand_seed)) { /* rdinit: no wait for entropy */|' \
		lib/commands/toolcontext.c
	sed -i '/^#include "lib\/commands\/toolcontext.h"/a\
#include <sys/random.h>' lib/commands/toolcontext.c
	grep -q 'rdinit: no wait for entropy' lib/commands/toolcontext.c
}
