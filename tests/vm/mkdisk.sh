#!/bin/sh
# Root disk images for the VM tests, built without mounting anything (no root, no loop
# devices).
#
# Usable two ways:
#   sourced:  . tests/vm/mkdisk.sh; mk_ext4 IMG UUID LABEL [NAME]
#   command:  tests/vm/mkdisk.sh ext4 IMG UUID LABEL [NAME]
#
# Every image holds the same staging tree (see stage_root): testinit as /sbin/init, the
# mount points rdinit moves into, and /etc/rdtest-root naming the disk, so a test can tell
# which one booted. TESTINIT must point at the built testinit binary.
#
# To add a filesystem, write mk_<fs> IMG UUID LABEL [NAME] on top of stage_root and
# new_image; the command form dispatches to it by name.

: "${DISK_SIZE:=32M}"

mkdisk_die() {
	echo "mkdisk: $*" >&2
	exit 1
}

# stage_root DIR NAME: fill DIR with the root tree every test disk shares.
stage_root() {
	if [ -z "${TESTINIT:-}" ] || [ ! -x "$TESTINIT" ]; then
		mkdisk_die "TESTINIT is not an executable: ${TESTINIT:-unset}"
	fi
	rm -rf "$1"
	mkdir -p "$1/sbin" "$1/bin" "$1/etc" "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp"
	cp "$TESTINIT" "$1/sbin/init"
	cp "$TESTINIT" "$1/bin/testinit"
	chmod 0755 "$1/sbin/init" "$1/bin/testinit"
	chmod 1777 "$1/tmp"
	echo "$2" >"$1/etc/rdtest-root"
}

# new_image IMG SIZE: a fresh sparse file (an old image could hide a stale superblock).
new_image() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

# mk_ext4 IMG UUID LABEL [NAME]
mk_ext4() {
	_img=$1 _uuid=$2 _label=$3 _name=${4:-$3}
	_stage=$_img.root
	stage_root "$_stage" "$_name"
	new_image "$_img" "$DISK_SIZE"
	# root_owner: the staging tree's owner must not leak into the image's /.
	mkfs.ext4 -q -F -d "$_stage" -U "$_uuid" -L "$_label" -E root_owner=0:0 "$_img" ||
		mkdisk_die "mkfs.ext4 failed for $_img"
	rm -rf "$_stage"
}

if [ "${0##*/}" = mkdisk.sh ]; then
	set -eu
	fs=${1:?usage: mkdisk.sh FSTYPE IMG UUID LABEL [NAME]}
	shift
	case $fs in
	ext4) mk_ext4 "$@" ;;
	*) mkdisk_die "unknown filesystem type: $fs" ;;
	esac
fi
