#!/bin/sh
# Build the static musl libraries /init links against (libkmod, libblkid, libmount) from Debian's
# own source packages, into $SYSROOT, for ARCH (x86_64, the default, or arm64: cross-built with
# Debian's aarch64 gcc and musl-dev:arm64). Cached: a stamp per library means a second run does
# nothing.
#
# Debian ships no musl builds of these, so: the source packages at the versions
# build-aux/sources.lock vouches for (build-aux/debsrc.sh), built with musl-gcc.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)

SYSROOT=${1:?usage: sysroot.sh SYSROOT [x86_64|arm64]}
# shellcheck disable=SC2034 # arch.sh's messages
TAG=sysroot
# target_arch, kernel_include
# shellcheck source=build-aux/arch.sh
. "$HERE/arch.sh"
clean_build_env
target_arch "${2:-x86_64}"
mkdir -p "$SYSROOT"
SYSROOT=$(cd "$SYSROOT" && pwd)
SRC=$SYSROOT/src
JOBS=$(nproc 2>/dev/null || echo 2)
mkdir -p "$SRC" "$SYSROOT/lib" "$SYSROOT/include"

# musl has no kernel headers; borrow the target's through a small dir of symlinks.
kinc=$SYSROOT/kernel-include
kernel_include "$kinc"

# No unwind tables: nothing in /init unwinds (musl's own libc.a is built without them too),
# and they were a tenth of its size.
CFLAGS="-Os -fPIE -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
-fno-unwind-tables -isystem $kinc"
export CFLAGS

# fetch, lock_entry
# shellcheck source=build-aux/debsrc.sh
. "$HERE/debsrc.sh"

# pc NAME LIB VERSION: a pkg-config file for a library built here, so kmod's configure finds it
pc() {
	mkdir -p "$SYSROOT/lib/pkgconfig"
	printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\nName: %s\nDescription: %s\nVersion: %s\nLibs: -L${libdir} -l%s\nCflags: -I${includedir}\n' \
		"$SYSROOT" "$1" "$1" "$3" "$2" >"$SYSROOT/lib/pkgconfig/$1.pc"
}

# A stamp holds how its library was built, the lock's lines for its source package included: a
# library is built again when that changes. stamp_ok LIB PKG CONF, stamp_set LIB PKG CONF
stamp_ok() {
	[ -f "$SYSROOT/.$1.stamp" ] &&
		[ "$(cat "$SYSROOT/.$1.stamp")" = "$3 $CC $CFLAGS $(lock_entry "$2")" ]
}
stamp_set() { printf '%s\n' "$3 $CC $CFLAGS $(lock_entry "$2")" >"$SYSROOT/.$1.stamp"; }

# Decompressors for /init's own module decompression (init/modfile.c), for formats the
# kernel does not decompress itself (a static binary cannot dlopen them). Decoders only, and
# only what module files use: LZMA2 with a CRC32 check (the kernel's own xz decompressor takes
# no other, and Kbuild writes "xz --check=crc32 --lzma2=dict=1MiB"): no CRC64 or SHA-256
# checks, no BCJ or delta filters, no lzip or MicroLZMA (11 KB less of /init).
XZ_CONF="--enable-static --disable-shared --disable-xz --disable-xzdec --disable-lzmadec \
--disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc --disable-nls \
--enable-encoders= --enable-decoders=lzma1,lzma2 --enable-checks=crc32 --disable-microlzma \
--disable-lzip-decoder --enable-threads=no"
build_xz() {
	stamp_ok xz xz-utils "$XZ_CONF" && return 0
	dir=$(fetch xz-utils)
	echo "sysroot: building liblzma from $(basename "$dir")"
	(
		cd "$dir"
		# shellcheck disable=SC2086 # one word per option
		./configure -q --host="$HOST" --prefix="$SYSROOT" $XZ_CONF >/dev/null 2>&1
		make -s clean >/dev/null 2>&1 || true
		make -s -j"$JOBS" >/dev/null
		make -s install >/dev/null
	)
	stamp_set xz xz-utils "$XZ_CONF"
}

# zstd is the format mkrdinit stores modules in by default, so its decoder is on the boot's
# critical path: -O2, one Huffman decoder and one sequence decoder (about 80 KB of code, three
# times the speed of ZSTD_LIB_MINIFY's -Os build, which is half the size).
ZSTD_CFLAGS="-O2 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
-fno-unwind-tables -DHUF_FORCE_DECOMPRESS_X1 \
-DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT -DZSTD_STRIP_ERROR_STRINGS"
build_zstd() {
	stamp_ok zstd libzstd "$ZSTD_CFLAGS" && return 0
	dir=$(fetch libzstd)
	echo "sysroot: building libzstd (decoder) from $(basename "$dir")"
	(
		cd "$dir/lib"
		make -s clean >/dev/null 2>&1 || true
		make -s -j"$JOBS" libzstd.a CFLAGS="$ZSTD_CFLAGS -isystem $kinc" \
			ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 \
			ZSTD_LEGACY_SUPPORT=0 HAVE_THREAD=0 AR="$AR" >/dev/null
		cp libzstd.a "$SYSROOT/lib/"
		cp zstd.h zstd_errors.h "$SYSROOT/include/"
	)
	pc libzstd zstd 1.5
	stamp_set zstd libzstd "$ZSTD_CFLAGS"
}

ZLIB_CONF="--static"
build_zlib() {
	stamp_ok zlib zlib "$ZLIB_CONF" && return 0
	dir=$(fetch zlib)
	echo "sysroot: building zlib from $(basename "$dir")"
	(
		cd "$dir"
		# shellcheck disable=SC2086
		./configure $ZLIB_CONF --prefix="$SYSROOT" >/dev/null
		make -s clean >/dev/null 2>&1 || true
		make -s -j"$JOBS" libz.a AR="$AR" ARFLAGS=rc RANLIB="$RANLIB" >/dev/null
		cp libz.a "$SYSROOT/lib/"
		cp zlib.h zconf.h "$SYSROOT/include/"
	)
	pc zlib z 1.2
	stamp_set zlib zlib "$ZLIB_CONF"
}

# libkmod plans (lookup, dependencies, softdeps, options, blacklist); rdinit inserts the
# modules and decompresses them itself, so libkmod needs no compression library.
KMOD_CONF="--without-xz --without-zstd --without-zlib --without-openssl --enable-logging"
build_kmod() {
	stamp_ok kmod kmod "$KMOD_CONF" && return 0
	dir=$(fetch kmod)
	echo "sysroot: building libkmod from $(basename "$dir")"
	(
		cd "$dir"
		if [ ! -x configure ]; then
			# Debian's kmod is a git snapshot without configure; gtk-doc is optional.
			[ -f libkmod/docs/gtk-doc.make ] || touch libkmod/docs/gtk-doc.make
			autoreconf -fi >/dev/null 2>&1
		fi
		PKG_CONFIG_LIBDIR=$SYSROOT/lib/pkgconfig ./configure -q --host="$HOST" \
			--disable-manpages --disable-test-modules --disable-python --disable-debug \
			$KMOD_CONF
		make -s clean >/dev/null 2>&1 || true
		make -s -j"$JOBS" libkmod/libkmod.la
		# kmod's configure refuses --enable-static: archive the objects ourselves.
		rm -f "$SYSROOT/lib/libkmod.a"
		"$AR" rcs "$SYSROOT/lib/libkmod.a" libkmod/.libs/*.o shared/.libs/*.o
		cp libkmod/libkmod.h "$SYSROOT/include/"
	)
	stamp_set kmod kmod "$KMOD_CONF"
}

UL_CONF="--disable-all-programs --enable-libblkid --enable-libmount --enable-static \
--disable-shared --disable-nls --disable-asciidoc --without-udev --without-systemd \
--without-python --without-selinux --without-audit --without-readline --without-ncurses \
--without-ncursesw --without-cryptsetup --without-btrfs --without-econf"
build_util_linux() {
	stamp_ok util-linux util-linux "$UL_CONF" && return 0
	dir=$(fetch util-linux)
	echo "sysroot: building libblkid and libmount from $(basename "$dir")"
	(
		cd "$dir"
		[ -x configure ] || ./autogen.sh
		# shellcheck disable=SC2086
		./configure -q --host="$HOST" --prefix="$SYSROOT" $UL_CONF
		make -s clean >/dev/null 2>&1 || true
		make -s -j"$JOBS" libblkid.la libmount.la
		cp .libs/libblkid.a .libs/libmount.a "$SYSROOT/lib/"
		mkdir -p "$SYSROOT/include/blkid" "$SYSROOT/include/libmount"
		cp libblkid/src/blkid.h "$SYSROOT/include/blkid/"
		cp libmount/src/libmount.h "$SYSROOT/include/libmount/"
	)
	stamp_set util-linux util-linux "$UL_CONF"
}

build_xz
build_zstd
build_zlib
build_kmod
build_util_linux
# Every stamp is current now: newer than this script, so make does not run it again.
touch "$SYSROOT"/.*.stamp
