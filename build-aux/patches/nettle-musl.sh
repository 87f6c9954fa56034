#!/bin/sh
# nettle 3.8.1 on musl: run in the nettle source tree by build-aux/stacks.sh. Idempotent.
set -eu

# The fat build's arm64 dispatch (fat-arm64.c) asks getauxval(AT_HWCAP) for the AES, PMULL,
# SHA1 and SHA2 instructions only when built against glibc 2.16 or later; with any other libc
# it sees none and always runs the C code. musl has getauxval() (<sys/auxv.h>) since 1.1.0:
# take the same path there, so a CPU with the Armv8 crypto extensions hashes (PBKDF2, the AF
# merge, header checksums) with them, and one without (a Cortex-A72, say) still runs C.
# Harmless off arm64: the file is compiled only for it.
grep -q 'rdinit: musl has getauxval' fat-arm64.c || {
	sed -i 's|^#if defined(__linux__) \&\& defined(__GLIBC__) \&\& defined(__GLIBC_PREREQ)$|#if defined(__linux__) \&\& !defined(__GLIBC__) /* rdinit: musl has getauxval() */\
# define USE_GETAUXVAL 1\
# include <asm/hwcap.h>\
# include <sys/auxv.h>\
#elif defined(__linux__) \&\& defined(__GLIBC__) \&\& defined(__GLIBC_PREREQ)|' fat-arm64.c
	grep -q 'rdinit: musl has getauxval' fat-arm64.c
}
