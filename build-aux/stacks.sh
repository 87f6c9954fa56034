#!/bin/sh
# Build the storage-stack tools an initramfs needs for a root on LUKS, LVM or md RAID, static
# with musl and stripped, from Debian's own source packages:
#
#   STACKDIR/sbin/cryptsetup  STACKDIR/sbin/lvm  STACKDIR/sbin/dmsetup  STACKDIR/sbin/mdadm
#
# The libraries only they need (libaio, json-c, popt, libuuid, libdevmapper, libnettle) go to
# STACKDIR/sysroot, sources to STACKDIR/src; libblkid comes from rdinit's own sysroot
# (build-aux/sysroot.sh, run first, for the same ARCH). ARCH is x86_64 (the default) or arm64,
# cross-built with the compiler and binutils build-aux/arch.sh names; each target has its own
# STACKDIR. Cached like sysroot.sh: a stamp per step holds how it was built, so a second run does
# nothing and a changed option rebuilds that step and what uses it. Quiet on success; a failing
# step prints the end of its log (STACKDIR/log/STEP.log).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# target_arch: ARCH, CC, HOST, AR, RANLIB, STRIP and ELF_MACHINE for the target;
# check_output; clean_build_env, first: PREFIX and the like are ours below
# shellcheck source=build-aux/arch.sh
. "$HERE/arch.sh"
clean_build_env

STACKS=${1:?usage: stacks.sh STACKDIR [SYSROOT [x86_64|arm64]]}
SYSROOT=${2:-$STACKS/../sysroot}
mkdir -p "$STACKS"
STACKS=$(cd "$STACKS" && pwd)
SYSROOT=$(cd "$SYSROOT" && pwd)
SRC=$STACKS/src
PREFIX=$STACKS/sysroot
OUT=$STACKS/sbin
LOG=$STACKS/log
JOBS=$(nproc 2>/dev/null || echo 2)
mkdir -p "$SRC" "$PREFIX/lib/pkgconfig" "$PREFIX/include" "$OUT" "$LOG"

# shellcheck disable=SC2034 # debsrc.sh's and arch.sh's messages
TAG=stacks
target_arch "${3:-x86_64}"
# fetch, lock_entry
# shellcheck source=build-aux/debsrc.sh
. "$HERE/debsrc.sh"

kinc=$SYSROOT/kernel-include
if [ ! -f "$SYSROOT/lib/libblkid.a" ] || [ ! -d "$kinc" ]; then
	echo "stacks: no libblkid in $SYSROOT: run build-aux/sysroot.sh first" >&2
	exit 1
fi

# as sysroot.sh: small code, no unwind tables, and the linker drops what is not used
CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
-fno-unwind-tables -isystem $kinc"
CPPFLAGS="-I$PREFIX/include -I$SYSROOT/include"
LDFLAGS="-static -Wl,--gc-sections -L$PREFIX/lib -L$SYSROOT/lib"
# only the .pc files written here: never the host's (nor the target's: there is no
# HOST-pkg-config, and the host's reads nothing else)
PKG_CONFIG=pkg-config
PKG_CONFIG_LIBDIR=$PREFIX/lib/pkgconfig
export CFLAGS CPPFLAGS LDFLAGS PKG_CONFIG PKG_CONFIG_LIBDIR
unset PKG_CONFIG_PATH
# q STEP CMD...: run CMD with its output in STEP's log; on failure show the log's end and stop
q() {
	step=$1
	shift
	"$@" >>"$LOG/$step.log" 2>&1 || {
		echo "stacks: $step: failed: $*" >&2
		tail -n 60 "$LOG/$step.log" >&2
		echo "stacks: $step: full log in $LOG/$step.log" >&2
		exit 1
	}
}

# pc NAME LIBS VERSION [DIR]: a pkg-config file for a library built here (DIR: its prefix)
pc() {
	# shellcheck disable=SC2016 # ${prefix} and the like are pkg-config's
	printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\nName: %s\nDescription: %s\nVersion: %s\nLibs: -L${libdir} %s\nCflags: -I${includedir}\n' \
		"${4:-$PREFIX}" "$1" "$1" "$3" "$2" >"$PREFIX/lib/pkgconfig/$1.pc"
}

# A stamp holds how its step was built (its options, the compiler and flags, the lock's lines for
# its source package, and the stamps of the steps it uses): a step is built again when that
# changes, or when what it makes is gone. Each step's source package is named in STEP_PKG.
stamp_of() { cat "$STACKS/.$1.stamp" 2>/dev/null || true; }
stamp_line() { printf '%s\n' "$2 $CC $CFLAGS $(lock_entry "$(step_pkg "$1")")"; }
stamp_ok() { # stamp_ok STEP CONF OUTPUT
	[ -f "$STACKS/.$1.stamp" ] && [ -e "$3" ] &&
		[ "$(cat "$STACKS/.$1.stamp")" = "$(stamp_line "$1" "$2")" ]
}
stamp_set() { stamp_line "$1" "$2" >"$STACKS/.$1.stamp"; }
# step_pkg STEP: the Debian source package a step builds
step_pkg() {
	case $1 in
	aio) echo libaio ;;
	uuid) echo util-linux ;;
	*) echo "$1" ;;
	esac
}

# apply_patch STEP PATCH: PATCH (patch -p1) in the current source tree, once; a hunk that does
# not apply (a source that changed under it) stops the build with the hunk named
apply_patch() {
	patch -p1 -R --dry-run -s -f <"$2" >/dev/null 2>&1 && return 0
	patch -p1 -s -f --no-backup-if-mismatch <"$2" >>"$LOG/$1.log" 2>&1 || {
		echo "stacks: $1: $(basename "$2") does not apply to $(basename "$PWD"):" >&2
		grep -E 'FAILED|hunk|patching|can.t find' "$LOG/$1.log" >&2 || tail -n 20 "$LOG/$1.log" >&2
		exit 1
	}
}

begin() { # begin STEP DIR: a fresh log, and say what is built
	: >"$LOG/$1.log"
	echo "stacks: building $1 from $(basename "$2")"
}

# ---- libaio: lvm2's bcache reads and writes the disks through it ----
AIO_CONF="libaio.a"
build_aio() {
	stamp_ok aio "$AIO_CONF" "$PREFIX/lib/libaio.a" && return 0
	dir=$(fetch libaio)
	begin aio "$dir"
	q aio make -C "$dir/src" clean
	q aio make -C "$dir/src" -j"$JOBS" libaio.a ENABLE_SHARED=0 CC="$CC" CFLAGS="$CFLAGS"
	cp "$dir/src/libaio.a" "$PREFIX/lib/"
	cp "$dir/src/libaio.h" "$PREFIX/include/"
	stamp_set aio "$AIO_CONF"
}

# ---- json-c: cryptsetup's LUKS2 metadata ----
JSONC_CONF="-DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DBUILD_APPS=OFF \
-DDISABLE_WERROR=ON -DDISABLE_EXTRA_LIBS=ON -DENABLE_THREADING=OFF -DCMAKE_BUILD_TYPE=None"
# Told the target, as a cross build must be (cmake would take the host's uname and binutils):
# json-c's checks only compile and link, none runs a program, so this is as right for x86_64.
JSONC_TARGET="-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=${HOST%%-*} \
-DCMAKE_AR=$(command -v "$AR") -DCMAKE_RANLIB=$(command -v "$RANLIB")"
# The seed of json-c's string hash: getrandom() if the kernel's RNG is ready, else the time, never
# /dev/urandom. Early in boot, before the RNG is seeded (a machine or VM without RDRAND), a read
# of /dev/urandom makes the kernel gather jitter entropy until it is: over a second under QEMU
# TCG, in every cryptsetup run that parses a LUKS2 header. The seed only guards the hash tables
# against collision floods; json-c itself falls back to the time when it has nothing else.
JSONC_SEED='{ int s_ = 0; if (get_getrandom_seed(&s_) == 0) return s_; return get_time_seed(); }'
build_jsonc() {
	stamp_ok json-c "$JSONC_CONF $JSONC_TARGET $JSONC_SEED" "$PREFIX/lib/libjson-c.a" && return 0
	dir=$(fetch json-c)
	begin json-c "$dir"
	rm -rf "$dir/_build"
	# shellcheck disable=SC2086 # one word per option
	q json-c cmake -S "$dir" -B "$dir/_build" -DCMAKE_C_COMPILER="$CC" \
		-DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_INSTALL_PREFIX="$PREFIX" \
		-DCMAKE_INSTALL_LIBDIR=lib -DOVERRIDE_GET_RANDOM_SEED="$JSONC_SEED" $JSONC_CONF \
		$JSONC_TARGET
	q json-c make -C "$dir/_build" -j"$JOBS" install
	stamp_set json-c "$JSONC_CONF $JSONC_TARGET $JSONC_SEED"
}

# ---- popt: cryptsetup's command line ----
POPT_CONF="--enable-static --disable-shared --disable-nls --disable-rpath"
build_popt() {
	stamp_ok popt "$POPT_CONF" "$PREFIX/lib/libpopt.a" && return 0
	dir=$(fetch popt)
	begin popt "$dir"
	cd "$dir"
	# shellcheck disable=SC2086
	q popt ./configure --host="$HOST" --prefix="$PREFIX" $POPT_CONF
	q popt make -C src clean
	q popt make -C src -j"$JOBS" install
	cd "$STACKS"
	stamp_set popt "$POPT_CONF"
}

# ---- libuuid, from util-linux's source (unpacked here: the tree libblkid was built in, in
# the sysroot, is left alone) ----
UUID_CONF="--disable-all-programs --enable-libuuid --enable-static --disable-shared \
--disable-nls --disable-asciidoc --without-udev --without-systemd --without-python \
--without-selinux --without-audit --without-readline --without-ncurses --without-ncursesw \
--without-cryptsetup --without-btrfs --without-econf"
build_uuid() {
	stamp_ok uuid "$UUID_CONF" "$PREFIX/lib/libuuid.a" && return 0
	dir=$(fetch util-linux)
	begin uuid "$dir"
	cd "$dir"
	[ -x configure ] || q uuid ./autogen.sh
	# shellcheck disable=SC2086
	q uuid ./configure --host="$HOST" --prefix="$PREFIX" $UUID_CONF
	q uuid make clean
	q uuid make -j"$JOBS" libuuid.la
	cp .libs/libuuid.a "$PREFIX/lib/"
	mkdir -p "$PREFIX/include/uuid"
	cp libuuid/src/uuid.h "$PREFIX/include/uuid/"
	cd "$STACKS"
	pc uuid -luuid 2.38
	stamp_set uuid "$UUID_CONF"
}

# ---- nettle: cryptsetup's hashes, HMAC and PBKDF2 in user space (sha*, sha3, hmac, pbkdf2 and
# memeql_sec: libnettle alone, no libhogweed and no gmp). The kernel backend made each hash block
# an AF_ALG syscall: thousands per key slot, costly under emulation. The fat build (nettle's
# default) picks the CPU's own instructions at run time: SHA-NI, AES-NI and PCLMUL on x86_64,
# the Armv8 SHA1, SHA2, AES and PMULL ones on arm64 (with patches/nettle-musl.patch: nettle looks
# for those on glibc only), and C where the CPU has none. Only the library and its headers: no
# tools, tests, examples or documentation ----
NETTLE_CONF="--disable-shared --enable-static --disable-public-key --disable-documentation \
--disable-openssl"
NETTLE_PATCH=$HERE/patches/nettle-musl.patch
build_nettle() {
	conf="$NETTLE_CONF $(cksum <"$NETTLE_PATCH")"
	stamp_ok nettle "$conf" "$PREFIX/lib/libnettle.a" && return 0
	dir=$(fetch nettle)
	begin nettle "$dir"
	cd "$dir"
	apply_patch nettle "$NETTLE_PATCH"
	# shellcheck disable=SC2086
	q nettle ./configure --host="$HOST" --prefix="$PREFIX" --libdir="$PREFIX/lib" \
		$NETTLE_CONF
	q nettle make clean
	q nettle make -j"$JOBS" libnettle.a
	q nettle make install-headers
	cp libnettle.a "$PREFIX/lib/"
	cd "$STACKS"
	pc nettle -lnettle "${dir##*/nettle-}"
	stamp_set nettle "$conf"
}

# ---- lvm2: lvm.static and dmsetup.static, and libdevmapper.a for cryptsetup ----
# No udev: libdevmapper makes the /dev/mapper and /dev/VG nodes itself. No daemons (dmeventd,
# lvmpolld, lvmlockd), no readline, selinux, nls, systemd or blkid; no thin, cache, vdo,
# writecache or integrity volumes (activating them needs thin_check and the like, which no
# image carries; a root on them is for the host's own initramfs).
LVM_CONF="--enable-static_link --disable-udev_sync --disable-udev_rules \
--disable-udev-systemd-background-jobs --disable-dmeventd --disable-lvmpolld \
--disable-use-lvmpolld --disable-use-lvmlockd --disable-readline --disable-editline \
--disable-selinux --disable-nls --disable-blkid_wiping --disable-systemd-journal \
--disable-app-machineid --disable-notify-dbus --disable-dbus-service --disable-cmirrord \
--disable-cmdlib --disable-fsadm --disable-lvmimportvdo --disable-blkdeactivate \
--disable-dmfilemapd --disable-pkgconfig \
--with-thin-check= --with-thin-dump= --with-thin-repair= --with-thin-restore= \
--with-cache-check= --with-cache-dump= --with-cache-repair= --with-cache-restore= \
--with-vdo-format= --with-optimisation=-Os \
--with-thin=none --with-cache=none --with-vdo=none --with-writecache=none --with-integrity=none \
--prefix=/usr --exec-prefix= --with-confdir=/etc --with-default-system-dir=/etc/lvm \
--with-default-run-dir=/run/lvm --with-default-locking-dir=/run/lock/lvm \
--with-default-pid-dir=/run --with-default-dm-run-dir=/run"
# configure runs malloc(0) and realloc(NULL, 0) to see if they return a pointer; it cannot
# when cross compiling, guesses not, and has every malloc call rpl_malloc, which lvm2 does not
# have. musl's do return one, on every target. (Of configure's other run-time checks, each
# guessed the worst when cross compiling, lvm2 uses none: include/configure.h differs in no
# other define the code reads.)
LVM_CACHE="ac_cv_func_malloc_0_nonnull=yes ac_cv_func_realloc_0_nonnull=yes"
LVM_PATCH=$HERE/patches/lvm2-musl.patch
build_lvm2() {
	conf="$LVM_CONF $LVM_CACHE $(cksum <"$LVM_PATCH") $(stamp_of aio)"
	stamp_ok lvm2 "$conf" "$OUT/lvm" && [ -e "$OUT/dmsetup" ] && return 0
	dir=$(fetch lvm2)
	begin lvm2 "$dir"
	cd "$dir"
	apply_patch lvm2 "$LVM_PATCH"
	# lvm2 runs the preprocessor without CFLAGS to list libdevmapper's exported symbols: it
	# finds the kernel headers through C_INCLUDE_PATH. (libaio: through CPPFLAGS and LDFLAGS.)
	export C_INCLUDE_PATH="$kinc"
	# shellcheck disable=SC2086
	q lvm2 ./configure --host="$HOST" $LVM_CONF $LVM_CACHE AIO_LIBS=-laio
	q lvm2 make clean
	q lvm2 make -j"$JOBS" -C libdm ioctl/libdevmapper.a
	q lvm2 make -j"$JOBS" -C libdm/dm-tools dmsetup.static
	q lvm2 make -j"$JOBS" lib libdaemon
	q lvm2 make -j"$JOBS" -C tools lvm.static
	unset C_INCLUDE_PATH
	cp libdm/ioctl/libdevmapper.a "$PREFIX/lib/"
	cp libdm/libdevmapper.h "$PREFIX/include/"
	q lvm2 "$STRIP" -o "$OUT/lvm" tools/lvm.static
	q lvm2 "$STRIP" -o "$OUT/dmsetup" libdm/dm-tools/dmsetup.static
	cd "$STACKS"
	pc devmapper "-ldevmapper -lm" 1.02
	stamp_set lvm2 "$conf"
}

# ---- cryptsetup: nettle for hashes and PBKDF2, the kernel (AF_ALG, or a dm-crypt mapping) for
# the key slot's cipher, the bundled Argon2; no OpenSSL ----
# The bundled Argon2 has an SSE2 implementation and the portable reference one, nothing for
# NEON: SSE2 on x86_64 (every x86_64 has it), the reference code elsewhere.
case $ARCH in
x86_64) ARGON2=--enable-internal-sse-argon2 ;;
*) ARGON2=--disable-internal-sse-argon2 ;;
esac
CRYPTSETUP_CONF="--enable-static-cryptsetup --disable-shared --enable-static \
--with-crypto_backend=nettle $ARGON2 --disable-veritysetup \
--disable-integritysetup --disable-ssh-token --disable-external-tokens --disable-selinux \
--disable-udev --disable-nls --disable-pwquality --disable-passwdqc --disable-asciidoc \
--disable-fips --disable-rpath --with-tmpfilesdir=no --with-luks2-lock-path=/run/cryptsetup"
build_cryptsetup() {
	conf="$CRYPTSETUP_CONF $(stamp_of json-c) $(stamp_of popt) $(stamp_of uuid) $(stamp_of lvm2) \
$(cat "$SYSROOT/.util-linux.stamp") \
$(stamp_of nettle)"
	stamp_ok cryptsetup "$conf" "$OUT/cryptsetup" && return 0
	dir=$(fetch cryptsetup)
	begin cryptsetup "$dir"
	cd "$dir"
	[ -x configure ] || q cryptsetup autoreconf -fi
	# libblkid is the one in rdinit's sysroot
	pc blkid -lblkid 2.38 "$SYSROOT"
	# shellcheck disable=SC2086
	q cryptsetup ./configure --host="$HOST" --prefix=/usr $CRYPTSETUP_CONF
	q cryptsetup make clean
	q cryptsetup make -j"$JOBS" cryptsetup.static
	q cryptsetup "$STRIP" -o "$OUT/cryptsetup" cryptsetup.static
	cd "$STACKS"
	stamp_set cryptsetup "$conf"
}

# ---- mdadm: no libudev, no corosync or dlm; Debian's config paths and its device nodes (group
# disk, 0660: DEBIAN); the map in /run/mdadm, which need not exist at build time ----
MDADM_CONF="COROSYNC=-DNO_COROSYNC DLM=-DNO_DLM LDLIBS= DEBIAN=yes \
CONFFILE=/etc/mdadm/mdadm.conf CONFFILE2=/etc/mdadm.conf RUN_DIR=/run/mdadm CHECK_RUN_DIR=0"
MDADM_DEFS="-DNO_LIBUDEV"
build_mdadm() {
	stamp_ok mdadm "$MDADM_CONF $MDADM_DEFS" "$OUT/mdadm" && return 0
	dir=$(fetch mdadm)
	begin mdadm "$dir"
	cd "$dir"
	q mdadm make clean
	# shellcheck disable=SC2086
	q mdadm make -j"$JOBS" mdadm CC="$CC" $MDADM_CONF CXFLAGS="$MDADM_DEFS $CFLAGS" \
		LDFLAGS="$LDFLAGS"
	q mdadm "$STRIP" -o "$OUT/mdadm" mdadm
	cd "$STACKS"
	stamp_set mdadm "$MDADM_CONF $MDADM_DEFS"
}

build_aio
build_jsonc
build_popt
build_uuid
build_lvm2
build_nettle
build_cryptsetup
build_mdadm
# What was made is what was asked for (arch.sh's check_output).
for b in cryptsetup lvm dmsetup mdadm; do
	check_output "$OUT/$b"
done
# Every output is current now: newer than this script, so make does not run it again.
touch "$OUT/cryptsetup" "$OUT/lvm" "$OUT/dmsetup" "$OUT/mdadm"
