#!/bin/bash
# rdinit --dry-run on a fixture system: a fake /sys (a virtio-blk device without a driver and
# its disk), /dev/vda a filesystem image (libblkid probes a plain file as well), and Debian's
# test kernel's module tree. Asserts the module plan (virtio_blk for the device; the root's
# filesystem with its dependencies and every softdep line, btrfs's four) and the root found,
# or the report when it is not there. Nothing is loaded or mounted: no root needed.
#
# usage: tests/dryrun/run.sh      Last line: "dryrun: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2
RDINIT=${RDINIT:-build/rdinit}
read -r KVER KDIR < <(sh build-aux/kernel.sh build/kernel) || exit 2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

# sysroot DIR FSIMG: the fixture, with FSIMG as /dev/vda
sysroot() {
	local d=$1 dev=pci0000:00/0000:00:04.0
	mkdir -p "$d/sys/devices/$dev/virtio1/block/vda" "$d/sys/bus/virtio/devices" \
		"$d/sys/bus/pci/devices" "$d/sys/class/block" "$d/dev" "$d/lib/modules" \
		"$d/sys/bus/virtio" "$d/sys/bus/pci" "$d/proc"
	printf 'PCI_SLOT_NAME=0000:00:04.0\nMODALIAS=pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00\n' \
		>"$d/sys/devices/$dev/uevent"
	ln -s ../../../bus/pci "$d/sys/devices/$dev/subsystem"
	ln -s ../../../bus/pci/drivers/virtio-pci "$d/sys/devices/$dev/driver"
	printf 'MODALIAS=virtio:d00000002v00001AF4\n' >"$d/sys/devices/$dev/virtio1/uevent"
	printf 'virtio:d00000002v00001AF4\n' >"$d/sys/devices/$dev/virtio1/modalias"
	ln -s ../../../../bus/virtio "$d/sys/devices/$dev/virtio1/subsystem"
	ln -s "../../../devices/$dev/virtio1" "$d/sys/bus/virtio/devices/virtio1"
	printf 'MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n' \
		>"$d/sys/devices/$dev/virtio1/block/vda/uevent"
	ln -s ../../../../../../class/block "$d/sys/devices/$dev/virtio1/block/vda/subsystem"
	ln -s "../../devices/$dev/virtio1/block/vda" "$d/sys/class/block/vda"
	ln -s "$(realpath "$KDIR/lib/modules/$KVER")" "$d/lib/modules/$KVER"
	cp --sparse=always "$2" "$d/dev/vda"
}

# check NAME STATUS OUT: the dry run exited STATUS; the rest of the arguments are
# "+ERE" (a line of OUT matches) or "-ERE" (none does)
check() {
	local name=$1 want=$2 got=$3 out=$4 ok=1 e
	shift 4
	[ "$got" = "$want" ] || { echo "dryrun: $name: exit status $got, expected $want"; ok=0; }
	for e in "$@"; do
		case $e in
		+*) grep -Eq -- "${e#+}" "$out" || { echo "dryrun: $name: no line matches /${e#+}/"; ok=0; } ;;
		-*) ! grep -Eq -- "${e#-}" "$out" || { echo "dryrun: $name: a line matches /${e#-}/"; ok=0; } ;;
		esac
	done
	if [ "$ok" = 1 ]; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (output: $out)"
		sed 's/^/| /' "$out" | tail -n 20
		failed=$((failed + 1))
	fi
}

dry() {
	local out=$T/$1.out
	shift
	"$RDINIT" --dry-run --kver "$KVER" "$@" >"$out" 2>&1
	echo $?
}

mkfs.ext4 -q -F -L DRYROOT -U 0dd0dd00-0000-4000-8000-000000000001 "$T/ext4.img" 4M
mkfs.btrfs -q -f -L DRYBTRFS --csum xxhash "$T/btrfs.img" >/dev/null 2>&1 ||
	{ truncate -s 128M "$T/btrfs.img" && mkfs.btrfs -q -f -L DRYBTRFS "$T/btrfs.img" >/dev/null; }
[ "$(stat -c %s "$T/btrfs.img")" -ge $((114 << 20)) ] ||
	{ truncate -s 128M "$T/btrfs.img" && mkfs.btrfs -q -f -L DRYBTRFS "$T/btrfs.img" >/dev/null; }
sysroot "$T/ext4" "$T/ext4.img"
sysroot "$T/btrfs" "$T/btrfs.img"

rc=$(dry ext4 --sysroot "$T/ext4" --cmdline "root=LABEL=DRYROOT ro")
check ext4 0 "$rc" "$T/ext4.out" \
	'+^rdinit: would load virtio_blk from ' \
	'+^rdinit: root=LABEL=DRYROOT would be /dev/vda \(ext4\)$' \
	'+^rdinit: would load jbd2 ' '+^rdinit: would load mbcache ' \
	'+^rdinit: would load ext4 ' '-would load virtio_pci'

# btrfs: every softdep line of modules.softdep, not only libkmod's first
rc=$(dry btrfs --sysroot "$T/btrfs" --cmdline "root=LABEL=DRYBTRFS")
check btrfs 0 "$rc" "$T/btrfs.out" \
	'+^rdinit: root=LABEL=DRYBTRFS would be /dev/vda \(btrfs\)$' \
	'+^rdinit: would load btrfs ' '+would load (xxhash_generic|xxhash64).*\(softdep\)' \
	'+would load (sha256_generic|sha256).*\(softdep\)' \
	'+would load blake2b_generic.*\(softdep\)'

rc=$(dry missing --sysroot "$T/ext4" --cmdline "root=LABEL=dryroot")
check missing 1 "$rc" "$T/missing.out" \
	'+^rdinit: root device not found: root=LABEL=dryroot' \
	'+saw /dev/vda 254:0 .*LABEL="DRYROOT"' \
	'+hint: /dev/vda has LABEL=DRYROOT \(labels are case-sensitive\)'

rc=$(dry blacklist --sysroot "$T/ext4" --cmdline "root=LABEL=DRYROOT modprobe.blacklist=virtio_blk")
check blacklist 0 "$rc" "$T/blacklist.out" \
	'+not loading module virtio_blk for virtio:d00000002v00001AF4: blacklisted' \
	'-would load virtio_blk'

rc=$(dry usage --sysroot)
check usage 2 "$rc" "$T/usage.out" '+usage: rdinit --dry-run'

echo "dryrun: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
