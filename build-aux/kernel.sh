#!/bin/sh
# Fetch Debian's generic kernel for ARCH (amd64, the default, or arm64: the newest version apt
# offers, unless KVER is set) and unpack it into DIR/<kver>/ with modules.dep generated, the way
# `depmod -b` expects. Cached: a second run only prints the paths. Output (stdout): "KVER
# DIR/<kver>" on one line. A foreign ARCH needs `dpkg --add-architecture ARCH` (make bootstrap).
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

newest() {
	apt-cache search --names-only "^linux-image-[0-9].*-$ARCH-unsigned\$" 2>/dev/null |
		sed -n "s/^linux-image-\([^ ]*-$ARCH\)-unsigned .*/\1/p" |
		grep -vE -- "-(rt|cloud)-$ARCH\$" | sort -V | tail -n 1
}

KVER=${KVER:-}
if [ -z "$KVER" ]; then
	# Reuse what is cached when apt knows nothing newer (or cannot be asked).
	KVER=$(newest)
	if [ -z "$KVER" ]; then
		apt-get update -q >&2 || true
		KVER=$(newest)
	fi
	if [ -z "$KVER" ]; then
		KVER=$(ls "$DIR" 2>/dev/null | sort -V | tail -n 1)
	fi
fi
[ -n "$KVER" ] || { echo "kernel: apt offers no linux-image-*-$ARCH-unsigned" >&2; exit 1; }

root=$DIR/$KVER
if [ ! -f "$root/.stamp" ]; then
	rm -rf "$root" && mkdir -p "$root"
	echo "kernel: fetching linux-image-$KVER-unsigned" >&2
	(cd "$root" && apt-get download -q "linux-image-$KVER-unsigned:$ARCH" >&2)
	dpkg-deb -x "$root"/linux-image-*.deb "$root"
	rm -f "$root"/linux-image-*.deb
	depmod -b "$root" "$KVER"
	touch "$root/.stamp"
fi
echo "$KVER $root"
