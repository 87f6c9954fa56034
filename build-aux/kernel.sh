#!/bin/sh
# Fetch Debian's generic kernel for ARCH (amd64, the default, or arm64) at the version
# build-aux/sources.lock pins (the package of its first linux-image-*-ARCH-unsigned line, or the
# one KVER names, which must be in the lock), verified by digest, and unpack it into
# DIR/<kver>/ with modules.dep generated, the way `depmod -b` expects. Cached: a second run only
# prints the paths. Output (stdout): "KVER DIR/<kver>" on one line. A foreign ARCH needs
# `dpkg --add-architecture ARCH` (make bootstrap).
set -eu

DIR=${1:?usage: kernel.sh DIR [amd64|arm64]}
ARCH=${2:-amd64}
case $ARCH in
x86_64 | amd64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
*) echo "kernel: unknown architecture '$ARCH' (amd64 or arm64)" >&2; exit 1 ;;
esac
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # debsrc.sh's messages
TAG=kernel
# shellcheck source=build-aux/debsrc.sh
. "$HERE/debsrc.sh"

# the kernels the lock pins for ARCH, in its order
names=$(awk -v a="$ARCH" '$1 == "deb" && $2 ~ ("^linux-image-.*-" a "-unsigned:" a "$") &&
	!seen[$2]++ { print $2 }' "$SOURCES_LOCK")
KVER=${KVER:-}
if [ -n "$KVER" ]; then
	echo "$names" | grep -qx "linux-image-$KVER-unsigned:$ARCH" ||
		src_die "KVER=$KVER: $SOURCES_LOCK pins no linux-image-$KVER-unsigned:$ARCH (it pins:" \
			"$(echo "$names" | tr '\n' ' '))"
	names=linux-image-$KVER-unsigned:$ARCH
else
	# the first: another series is never taken in its place (the lines of one package are
	# its versions, which deb_get falls back through)
	names=$(echo "$names" | head -n 1)
fi
[ -n "$names" ] || src_die "$SOURCES_LOCK pins no linux-image-*-$ARCH-unsigned"
deb=""
for name in $names; do
	if deb=$(deb_get "$name"); then
		KVER=${name#linux-image-}
		KVER=${KVER%-unsigned:*}
		break
	fi
done
[ -n "$deb" ] || src_die "none of the kernels $SOURCES_LOCK pins for $ARCH can be fetched"

root=$DIR/$KVER
sum=$(sha256sum "$deb" | cut -d' ' -f1)
if [ "$(cat "$root/.stamp" 2>/dev/null)" != "$sum" ]; then
	rm -rf "$root" && mkdir -p "$root"
	dpkg-deb -x "$deb" "$root"
	depmod -b "$root" "$KVER"
	echo "$sum" >"$root/.stamp"
fi
echo "$KVER $root"
