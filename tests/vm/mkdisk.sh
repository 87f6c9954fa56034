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
# Filesystems: mk_ext4, mk_xfs, mk_btrfs (IMG UUID LABEL [NAME]) and mk_vfat (a decoy).
# Partitioned disks: mk_ptable lays out a GPT or MBR table with fixed identifiers, then
# put_part writes a filesystem image (built the same way, at the partition's size) into
# each partition. Subvolumes and multi-device btrfs need a boot of mk_btrfs_prep's program.
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
	# init=/sbin/systemd: rdinit takes it for systemd (the name), testinit then plays
	# systemd-shutdown's part (tests/vm/testinit.c)
	ln "$1/sbin/init" "$1/sbin/systemd"
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

# mk_xfs IMG UUID LABEL [NAME]: mkfs.xfs (6.1) cannot copy a directory, so the staging tree
# is described in a proto file (-p). XFS wants at least 300 MB: the file is sparse.
mk_xfs() {
	_img=$1 _uuid=$2 _label=$3 _name=${4:-$3}
	_stage=$_img.root
	stage_root "$_stage" "$_name"
	{
		echo "rdtest"  # ignored (formerly the boot file)
		echo "0 0"     # ignored (formerly block and inode counts)
		echo "d--755 0 0"
		xfs_proto_dir "$_stage"
		echo '$'
	} >"$_img.proto"
	new_image "$_img" 320M
	mkfs.xfs -q -f -m uuid="$_uuid" -L "$_label" -p "$_img.proto" "$_img" ||
		mkdisk_die "mkfs.xfs failed for $_img"
	rm -rf "$_stage" "$_img.proto"
}

# xfs_proto_dir DIR: the proto lines for DIR's entries, owned by root. The proto format has
# no sticky bit, and file names must not hold spaces or colons (stage_root's do not).
xfs_proto_dir() {
	for _e in "$1"/*; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		_m=$(stat -c %a "$_e")
		_m=$(printf '%03o' $((0$_m & 0777)))
		if [ -L "$_e" ]; then
			echo "${_e##*/} l--$_m 0 0 $(readlink "$_e")"
		elif [ -d "$_e" ]; then
			echo "${_e##*/} d--$_m 0 0"
			xfs_proto_dir "$_e"
			echo '$'
		else
			echo "${_e##*/} ---$_m 0 0 $_e"
		fi
	done
}

# mk_btrfs IMG UUID LABEL [NAME]. With BTRFS_PREP set (see mk_btrfs_prep), that program is
# staged as /sbin/btrfs-prep too.
mk_btrfs() {
	_img=$1 _uuid=$2 _label=$3 _name=${4:-$3}
	_stage=$_img.root
	stage_root "$_stage" "$_name"
	if [ -n "${BTRFS_PREP:-}" ]; then
		cp "$BTRFS_PREP" "$_stage/sbin/btrfs-prep" && chmod 0755 "$_stage/sbin/btrfs-prep"
	fi
	new_image "$_img" 128M
	# shellcheck disable=SC2086 # BTRFS_MKFS_ARGS: extra words, e.g. "--csum xxhash"
	mkfs.btrfs -q -f ${BTRFS_MKFS_ARGS:-} -U "$_uuid" -L "$_label" --rootdir "$_stage" "$_img" \
		>/dev/null ||
		mkdisk_die "mkfs.btrfs failed for $_img"
	rm -rf "$_stage"
}

# mk_btrfs_prep OUT: build btrfs-prep, for what btrfs-progs 6.2 cannot do without mounting:
# its mkfs.btrfs has no --subvol, and --rootdir refuses more than one device. Booted once as
# the real init (init=/sbin/btrfs-prep) on a mk_btrfs root that rdinit mounted rw, it does it
# with the kernel's ioctls inside the VM, then powers off:
#   RDPREP_SNAPSHOT=NAME RDPREP_MARKER=M  snapshot / as the subvolume /NAME, whose
#       /etc/rdtest-root says M; the top level's then says M-top
#   RDPREP_ADD=/dev/X  add device X and convert data, metadata and system chunks to raid1
# It prints "RDPREP ok" or "RDPREP failed" (after an "RDPREP error" line).
mk_btrfs_prep() {
	_src=$1.c _inc=$1.inc
	rm -rf "$_inc"
	mkdir -p "$_inc" || mkdisk_die "cannot create $_inc"
	# musl-gcc does not search /usr/include: give it the kernel's UAPI headers alone.
	ln -s /usr/include/linux "$_inc/linux"
	ln -s /usr/include/asm-generic "$_inc/asm-generic"
	ln -s "/usr/include/$(gcc -print-multiarch)/asm" "$_inc/asm"
	cat >"$_src" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>
/* the kernel's <linux/ioctl.h> defines these again, to the same values */
#undef _IOC
#undef _IO
#undef _IOR
#undef _IOW
#undef _IOWR
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>

static int fail(const char *what)
{
	printf("RDPREP error %s: %s\n", what, strerror(errno));
	return -1;
}

static int write_marker(const char *path, const char *text, const char *suffix)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return fail(path);
	fprintf(f, "%s%s\n", text, suffix);
	return fclose(f) ? fail(path) : 0;
}

static int snapshot(int root, const char *name, const char *marker)
{
	struct btrfs_ioctl_vol_args_v2 a;
	char path[300];

	memset(&a, 0, sizeof(a));
	a.fd = root;
	snprintf(a.name, sizeof(a.name), "%s", name);
	if (ioctl(root, BTRFS_IOC_SNAP_CREATE_V2, &a))
		return fail("snapshot");
	snprintf(path, sizeof(path), "/%s/etc/rdtest-root", name);
	if (write_marker(path, marker, "") || write_marker("/etc/rdtest-root", marker, "-top"))
		return -1;
	return 0;
}

static int add_raid1(int root, const char *dev)
{
	struct btrfs_ioctl_vol_args v;
	struct btrfs_ioctl_balance_args b;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", dev);
	if (ioctl(root, BTRFS_IOC_ADD_DEV, &v))
		return fail("add device");
	memset(&b, 0, sizeof(b));
	b.flags = BTRFS_BALANCE_DATA | BTRFS_BALANCE_METADATA | BTRFS_BALANCE_SYSTEM;
	b.data.flags = b.meta.flags = b.sys.flags = BTRFS_BALANCE_ARGS_CONVERT;
	b.data.target = b.meta.target = b.sys.target = BTRFS_BLOCK_GROUP_RAID1;
	if (ioctl(root, BTRFS_IOC_BALANCE_V2, &b))
		return fail("balance to raid1");
	return 0;
}

int main(void)
{
	const char *snap = getenv("RDPREP_SNAPSHOT"), *add = getenv("RDPREP_ADD");
	const char *marker = getenv("RDPREP_MARKER");
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (root < 0)
		r = fail("open /");
	if (!r && snap)
		r = snapshot(root, snap, marker ? marker : snap);
	if (!r && add)
		r = add_raid1(root, add);
	if (root >= 0 && syncfs(root))
		r = fail("syncfs");
	printf("\nRDPREP %s\n", r ? "failed" : "ok");
	if (getpid() != 1)
		return r ? 1 : 0;
	sync();
	(void)mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL);
	(void)reboot(RB_POWER_OFF);
	return 1;
}
EOF
	musl-gcc -static -Os -Wall -I"$_inc" -o "$1" "$_src" ||
		mkdisk_die "cannot build btrfs-prep"
	rm -rf "$_src" "$_inc"
}

# mk_vfat IMG [LABEL] [VOLID]: an empty FAT filesystem, as a disk that is not the root.
mk_vfat() {
	new_image "$1" "$DISK_SIZE"
	mkfs.vfat -n "${2:-RDVFAT}" -i "${3:-0dec0fa7}" "$1" >/dev/null ||
		mkdisk_die "mkfs.vfat failed for $1"
}

# mk_ptable IMG TYPE DISKID PART...: a partitioned disk of sparse zeros.
#   TYPE   gpt or dos
#   DISKID the GPT disk GUID, or the MBR disk identifier (0x12345678)
#   PART   SIZE_MIB[:NAME[:PARTUUID]] for each partition, in order (NAME and PARTUUID are
#          GPT only); the partitions follow each other from 1 MiB on.
# Write filesystems into it with put_part.
mk_ptable() {
	_img=$1 _type=$2 _id=$3 _total=2
	shift 3
	{
		echo "label: $_type"
		echo "label-id: $_id"
		for _p in "$@"; do
			_size=${_p%%:*} _rest=${_p#*:} _line=
			_total=$((_total + _size))
			_line="size=${_size}MiB, type=L"
			if [ "$_rest" != "$_p" ]; then
				_pname=${_rest%%:*} _puuid=${_rest#*:}
				[ "$_puuid" = "$_rest" ] && _puuid=
				[ -n "$_pname" ] && _line="$_line, name=\"$_pname\""
				[ -n "$_puuid" ] && _line="$_line, uuid=$_puuid"
			fi
			echo "$_line"
		done
	} >"$_img.sfdisk"
	new_image "$_img" "${_total}M"
	sfdisk -q "$_img" <"$_img.sfdisk" >/dev/null ||
		mkdisk_die "sfdisk failed for $_img: $(cat "$_img.sfdisk")"
	rm -f "$_img.sfdisk"
}

# put_part IMG N FSIMG: copy the filesystem image FSIMG into partition N of IMG (sparse)
# and remove FSIMG.
put_part() {
	_start=$(sfdisk -q -d "$1" | awk -v n="$2" '/start=/ && ++i == n {
		sub(/.*start= */, ""); sub(/,.*/, ""); print }')
	_sectors=$(sfdisk -q -d "$1" | awk -v n="$2" '/start=/ && ++i == n {
		sub(/.*size= */, ""); sub(/,.*/, ""); print }')
	[ -n "$_start" ] || mkdisk_die "$1 has no partition $2"
	[ "$(stat -c %s "$3")" -le $((_sectors * 512)) ] ||
		mkdisk_die "$3 does not fit in partition $2 of $1"
	dd if="$3" of="$1" bs=512 seek="$_start" conv=notrunc,sparse status=none ||
		mkdisk_die "cannot write $3 into $1"
	rm -f "$3"
}

if [ "${0##*/}" = mkdisk.sh ]; then
	set -eu
	fs=${1:?usage: mkdisk.sh FSTYPE IMG UUID LABEL [NAME]}
	shift
	case $fs in
	ext4) mk_ext4 "$@" ;;
	xfs) mk_xfs "$@" ;;
	btrfs) mk_btrfs "$@" ;;
	vfat) mk_vfat "$@" ;;
	*) mkdisk_die "unknown filesystem type: $fs" ;;
	esac
fi
