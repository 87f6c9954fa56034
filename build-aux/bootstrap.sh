#!/bin/sh
# Install every Debian package the build, the tests, the demo and the benchmarks need.
# Idempotent: when everything is already installed it does not touch apt at all.
set -eu

PKGS="
build-essential pkg-config file cpio kmod python3
musl-tools musl-dev
dpkg-dev autoconf automake libtool cmake autopoint gettext m4
libkmod-dev libblkid-dev libmount-dev libarchive-dev libzstd-dev liblzma-dev zlib1g-dev
libcmocka-dev clang clang-format
qemu-system-x86 qemu-utils
e2fsprogs fdisk xfsprogs btrfs-progs dosfstools
zstd xz-utils lz4 busybox-static man-db
initramfs-tools-core dracut-core shellcheck mmdebstrap debhelper lintian fakeroot
"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "bootstrap: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "bootstrap: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
