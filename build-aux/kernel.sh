#!/bin/sh
# Fetch Debian's generic amd64 kernel (the newest version apt offers, unless KVER is set) and unpack
# it into DIR/<kver>/ with modules.dep generated, the way `depmod -b` expects. Cached: a second run
# only prints the paths. Output (stdout): "KVER DIR/<kver>" on one line.
set -eu

DIR=${1:?usage: kernel.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

newest() {
	apt-cache search --names-only '^linux-image-[0-9].*-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^linux-image-\([^ ]*-amd64\)-unsigned .*/\1/p' | grep -vE -- '-(rt|cloud)-amd64$' | sort -V | tail -n 1
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
[ -n "$KVER" ] || { echo "kernel: apt offers no linux-image-*-amd64-unsigned" >&2; exit 1; }

root=$DIR/$KVER
if [ ! -f "$root/.stamp" ]; then
	rm -rf "$root" && mkdir -p "$root"
	echo "kernel: fetching linux-image-$KVER-unsigned" >&2
	(cd "$root" && apt-get download -q "linux-image-$KVER-unsigned" >&2)
	dpkg-deb -x "$root"/linux-image-*.deb "$root"
	rm -f "$root"/linux-image-*.deb
	depmod -b "$root" "$KVER"
	touch "$root/.stamp"
fi
echo "$KVER $root"
