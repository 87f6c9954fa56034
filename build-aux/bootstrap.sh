#!/bin/sh
# Install every Debian package the build, the tests, the demo and the benchmarks need.
# Idempotent: when everything is already installed it does not touch apt at all.
set -eu

PKGS="
build-essential pkg-config file cpio kmod python3
musl-tools musl-dev
dpkg-dev autoconf automake libtool cmake autopoint gettext m4
libkmod-dev libblkid-dev libmount-dev libarchive-dev libzstd-dev liblzma-dev zlib1g-dev
libcmocka-dev clang libclang-rt-14-dev clang-format
qemu-system-x86 qemu-utils
e2fsprogs fdisk xfsprogs btrfs-progs dosfstools
zstd xz-utils lz4 busybox-static man-db
initramfs-tools-core dracut-core shellcheck mmdebstrap debhelper lintian fakeroot
gcc-aarch64-linux-gnu linux-libc-dev-arm64-cross libc6-dev-arm64-cross musl-dev:arm64
qemu-system-arm ipxe-qemu
"
# musl-dev:arm64 (make ARCH=arm64) and Debian's arm64 kernel (the arm64 VM tests) are packages
# of a foreign architecture: dpkg must know it first.
FOREIGN=arm64

missing=""
add_arch=""
dpkg --print-foreign-architectures | grep -qx "$FOREIGN" || add_arch=$FOREIGN
native=$(dpkg --print-architecture)
for p in $PKGS; do
	# a name without :ARCH means the native package (or an arch-independent one), not the
	# same name for another architecture
	case $p in
	*:*) want=${p#*:} ;;
	*) want=$native ;;
	esac
	dpkg-query -W -f '${Architecture} ${db:Status-Status}\n' "${p%%:*}" 2>/dev/null |
		grep -Eqx "($want|all) installed" || missing="$missing $p"
done
[ -z "$missing" ] && [ -z "$add_arch" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "bootstrap: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
if [ -n "$add_arch" ]; then
	echo "bootstrap: adding the $add_arch architecture to dpkg"
	dpkg --add-architecture "$add_arch"
fi
[ -z "$missing" ] && { apt-get update -q; exit 0; }
echo "bootstrap: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
