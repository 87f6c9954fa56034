#!/bin/sh
# Build rdinit_crash.ko for the VM tests' kernel (build-aux/kernel.sh) against Debian's
# linux-headers of exactly that version, and lay out a module tree for mkrdinit --basedir:
# the kernel's own modules (hard links) plus extra/rdinit_crash.ko, indexed by depmod -b.
#
# The headers packages (linux-headers-VER and the -common and linux-kbuild-* ones it
# depends on), pinned in build-aux/sources.lock, are unpacked under OUT, never installed.
# Cached: a second run only prints the paths, unless the sources or the kernel changed.
#
# usage: tests/vm/crashmod/build.sh [OUT]   (default build/crashmod)
# Output (stdout): "KVER TREE" on one line.
set -eu
cd "$(dirname "$0")/../../.."

OUT=${1:-build/crashmod}
SRC=tests/vm/crashmod

die() {
	echo "crashmod: $*" >&2
	exit 1
}

line=$(sh build-aux/kernel.sh build/kernel) || die "build-aux/kernel.sh failed"
KVER=${line%% *} KDIR=${line#* }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# one build at a time: scenarios that need the module boot side by side (run.sh -j2)
exec 9>"$OUT/.lock"
flock 9
HDR=$OUT/headers-$KVER

# fetch_headers: linux-headers-KVER and the linux-headers-*/linux-kbuild-* packages it
# names in Depends, unpacked into HDR.
fetch_headers() {
	[ -f "$HDR/.stamp" ] && return 0
	rm -rf "$OUT"/headers-* && mkdir -p "$HDR"
	# the headers package of the kernel's architecture, and the -common and linux-kbuild-*
	# ones it names, at the versions build-aux/sources.lock pins
	karch=${KVER##*-}
	deb=$(sh build-aux/sources.sh deb "linux-headers-$KVER:$karch") ||
		die "linux-headers-$KVER:$karch: not fetched"
	deps=$(dpkg-deb -f "$deb" Depends | sed 's/[,|]/\n/g' |
		sed -n 's/^ *\(linux-\(headers\|kbuild\)-[^ ]*\).*/\1/p' | sort -u)
	[ -n "$deps" ] || die "linux-headers-$KVER names no -common or linux-kbuild package"
	for dep in $deps; do
		# arch-independent (-common) or the kernel's architecture (linux-kbuild)
		name=$(awk -v n="$dep" '$1 == "deb" && index($2, n ":") == 1 { print $2; exit }' \
			build-aux/sources.lock)
		[ -n "$name" ] || die "build-aux/sources.lock pins no $dep"
		deb="$deb $(sh build-aux/sources.sh deb "$name")" || die "$name: not fetched"
	done
	for d in $deb; do
		dpkg-deb -x "$d" "$HDR" || die "cannot unpack $d"
	done
	# The flavour's Makefile includes the -common one by its installed, absolute path.
	sed -i "s|^include /usr/src/|include $HDR/usr/src/|" \
		"$HDR/usr/src/linux-headers-$KVER/Makefile" || die "cannot adjust the Makefile"
	touch "$HDR/.stamp"
}

# check_compiler KBUILD: the compiler the kernel was built with (its config says which)
# must be here, or kbuild fails with a less obvious message.
check_compiler() {
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' "$1/.config")
	[ -n "$cc" ] || die "$1/.config has no CONFIG_CC_VERSION_TEXT"
	command -v "$cc" >/dev/null ||
		die "the kernel was built with $cc, which is not installed (apt-get install ${cc#*-linux-gnu-})"
}

# build_module KBUILD: rdinit_crash.ko in OUT/src (kbuild writes next to the sources).
build_module() {
	[ -f "$OUT/src/rdinit_crash.ko" ] && [ "$(cat "$OUT/src/.key" 2>/dev/null)" = "$KEY" ] &&
		return 0
	check_compiler "$1"
	rm -rf "$OUT/src" && mkdir -p "$OUT/src"
	cp "$SRC/rdinit_crash.c" "$SRC/Kbuild" "$SRC/Makefile" "$OUT/src/"
	# No BTF: it would need pahole, and nothing here reads a module's BTF.
	make -C "$OUT/src" KDIR="$1" CONFIG_DEBUG_INFO_BTF_MODULES= >"$OUT/build.log" 2>&1 || {
		tail -n 20 "$OUT/build.log" >&2
		die "building rdinit_crash.ko failed (see $OUT/build.log)"
	}
	echo "$KEY" >"$OUT/src/.key"
}

# make_tree: OUT/tree/lib/modules/KVER, the kernel's modules hard-linked (depmod replaces
# its index files by rename, so KDIR's stay as they are) plus extra/rdinit_crash.ko.
make_tree() {
	mods=$OUT/tree/lib/modules/$KVER
	[ "$(cat "$OUT/tree/.stamp" 2>/dev/null)" = "$KEY $KDIR" ] && return 0
	rm -rf "$OUT/tree" && mkdir -p "$OUT/tree/lib/modules"
	cp -al "$KDIR/lib/modules/$KVER" "$mods" || die "cannot copy $KDIR/lib/modules/$KVER"
	mkdir -p "$mods/extra"
	# without debug info, as Debian ships its modules
	strip --strip-debug -o "$mods/extra/rdinit_crash.ko" "$OUT/src/rdinit_crash.ko" ||
		die "cannot copy rdinit_crash.ko into the tree"
	depmod -b "$OUT/tree" "$KVER" || die "depmod -b $OUT/tree $KVER failed"
	echo "$KEY $KDIR" >"$OUT/tree/.stamp"
}

# What the module is built from: a change to any of it builds it and the tree again.
KEY="$KVER $(cat "$SRC/rdinit_crash.c" "$SRC/Kbuild" "$SRC/Makefile" | cksum)"
fetch_headers
KBUILD=$HDR/usr/src/linux-headers-$KVER
[ -f "$KBUILD/Makefile" ] || die "no kbuild tree at $KBUILD"
build_module "$KBUILD"
make_tree
echo "$KVER $OUT/tree"
