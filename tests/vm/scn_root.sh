# shellcheck shell=bash
# shellcheck disable=SC2034 # local DISK_SIZE, ROOTDIR, BTRFS_PREP: read by the callees.
# Scenarios on finding and mounting the root: partition tables (GPT and MBR), every root=
# form, several disks, XFS and btrfs roots, rootfstype=, rootflags= and ro/rw.
#
# Sourced by tests/vm/run.sh. Every filesystem on a scenario's disks carries its own marker
# (mkdisk's NAME), and the disks hold decoys that would boot as well, so a root= resolved
# to the wrong partition or disk fails on "RDTEST marker=" even though it reaches init.

# The three-partition disks: 16 MiB, 32 MiB (the root), 16 MiB, all ext4.
R_GPT_GUID=8f2a1c3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b
R_MBR_ID=5eed1d02
R_PU1=0c8b1f6a-2d4e-4f10-8a11-5e0c0a000001
R_PU2=0c8b1f6a-2d4e-4f10-8a11-5e0c0a000002
R_PU3=0c8b1f6a-2d4e-4f10-8a11-5e0c0a000003
R_FS1=d1a2b3c4-1111-4a5b-8c6d-7e8f90a1b2c1
R_FS2=d1a2b3c4-2222-4a5b-8c6d-7e8f90a1b2c2
R_FS3=d1a2b3c4-3333-4a5b-8c6d-7e8f90a1b2c3

# / of an XFS or btrfs test disk: stage_root's tree without ext4's lost+found.
R_ROOTDIR_NOLF=bin,dev,etc,proc,run,sbin,sys,tmp

# r_ext4_part IMG N SIZE UUID LABEL NAME: an ext4 filesystem written into partition N.
r_ext4_part() {
	local DISK_SIZE=$3
	mk_ext4 "$1.p$2" "$4" "$5" "$6"
	put_part "$1" "$2" "$1.p$2"
}

# r_parted IMG gpt|dos NAME: the three-partition disk. Partition 2 is the root (label
# RDROOT, UUID R_FS2, marker NAME); 1 and 3 are bootable decoys (RDP1/RDP3, NAME-p1/-p3).
# GPT partitions are named rd-boot, rd-root, rd-data.
r_parted() {
	local img=$1 name=$3
	if [ "$2" = gpt ]; then
		mk_ptable "$img" gpt "$R_GPT_GUID" "16:rd-boot:$R_PU1" "32:rd-root:$R_PU2" \
			"16:rd-data:$R_PU3"
	else
		mk_ptable "$img" dos "0x$R_MBR_ID" 16 32 16
	fi
	r_ext4_part "$img" 1 16M "$R_FS1" RDP1 "$name-p1"
	r_ext4_part "$img" 2 32M "$R_FS2" RDROOT "$name"
	r_ext4_part "$img" 3 16M "$R_FS3" RDP3 "$name-p3"
}

# r_boot_parted NAME gpt|dos APPEND: one boot on the three-partition disk as /dev/vda.
r_boot_parted() {
	local img=$VM_OUT/disks/$1.img
	r_parted "$img" "$2" "$1"
	vm_vblk "$img"
	vm_boot "$1" "$3" "${VM_DISK[@]}"
	expect_reached "$1"
}

scenario_r_gpt_partuuid() {
	r_boot_parted r_gpt_partuuid gpt "root=PARTUUID=$R_PU2"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

# The kernel's MBR form: the disk identifier, then the partition number in hex.
scenario_r_mbr_partuuid() {
	r_boot_parted r_mbr_partuuid dos "root=PARTUUID=$R_MBR_ID-02"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_partnroff() {
	r_boot_parted r_partnroff gpt "root=PARTUUID=$R_PU1/PARTNROFF=1"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 (partition 1 + 1)"
}

scenario_r_partlabel() {
	r_boot_parted r_partlabel gpt "root=PARTLABEL=rd-root"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_devpart() {
	r_boot_parted r_devpart gpt "root=/dev/vda2 rw"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=rw ' "/ to be /dev/vda2 mounted rw"
}

scenario_r_byuuid() {
	r_boot_parted r_byuuid gpt "root=/dev/disk/by-uuid/$R_FS2"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_bylabel() {
	r_boot_parted r_bylabel dos "root=/dev/disk/by-label/RDROOT"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_bypartuuid() {
	r_boot_parted r_bypartuuid gpt "root=/dev/disk/by-partuuid/$R_PU2"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_bypartlabel() {
	r_boot_parted r_bypartlabel gpt "root=/dev/disk/by-partlabel/rd-root"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

# virtio_blk registers its block major dynamically: the highest free one below 255, which
# is 254 (fe) when, as here, no other driver took one first.
R_VIRTIO_MAJOR=254

# r_expect_major: if the boot failed, say which major virtio_blk really had (rdinit's
# failure report lists "saw /dev/vda2 MAJ:MIN").
r_expect_major() {
	local seen
	seen=$(sed -n 's/.*saw \/dev\/vda2 \([0-9]*\):2 .*/\1/p' "$VM_LOG" | head -n 1)
	if [ -n "$seen" ] && [ "$seen" != "$R_VIRTIO_MAJOR" ]; then
		fail "virtio_blk's major to be $R_VIRTIO_MAJOR, as R_VIRTIO_MAJOR says (it was $seen)"
	fi
}

scenario_r_majmin() {
	r_boot_parted r_majmin gpt "root=$R_VIRTIO_MAJOR:2"
	r_expect_major
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

# The kernel's hexadecimal device number: major fe, minor 02.
scenario_r_hexdev() {
	r_boot_parted r_hexdev gpt "root=$(printf '%02x%02x' "$R_VIRTIO_MAJOR" 2)"
	r_expect_major
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

scenario_r_uuid_case() {
	r_boot_parted r_uuid_case gpt "root=UUID=${R_FS2^^}"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
}

# The root is on the second disk; the first holds an ext4 decoy with another label.
scenario_r_two_disks() {
	local decoy=$VM_OUT/disks/r_two_disks.1.img img=$VM_OUT/disks/r_two_disks.2.img disks
	mk_ext4 "$decoy" 2f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0 RDDECOY r_two_disks-decoy
	mk_ext4 "$img" 6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d RDROOT2 r_two_disks
	vm_vblk "$decoy" d1
	disks=("${VM_DISK[@]}")
	vm_vblk "$img" d2
	disks+=("${VM_DISK[@]}")
	vm_boot r_two_disks "root=LABEL=RDROOT2" "${disks[@]}"
	expect_reached r_two_disks
	expect '^RDTEST root=/dev/vdb fstype=ext4 opts=ro ' "/ to be /dev/vdb mounted ro"
}

# A FAT disk ahead of the root: probing it must neither fail nor match.
scenario_r_vfat_decoy() {
	local decoy=$VM_OUT/disks/r_vfat_decoy.1.img img=$VM_OUT/disks/r_vfat_decoy.2.img disks
	mk_vfat "$decoy" RDFAT 0dec0fa7
	mk_ext4 "$img" 4e3d2c1b-0a9f-4e8d-b7c6-b5a493827160 RDROOT3 r_vfat_decoy
	vm_vblk "$decoy" d1
	disks=("${VM_DISK[@]}")
	vm_vblk "$img" d2
	disks+=("${VM_DISK[@]}")
	vm_boot r_vfat_decoy "root=LABEL=RDROOT3" "${disks[@]}"
	expect_reached r_vfat_decoy
	expect '\[vda\] [0-9]+ 512-byte' "the FAT disk to be there, as /dev/vda"
	expect '^RDTEST root=/dev/vdb fstype=ext4 opts=ro ' "/ to be /dev/vdb mounted ro"
}

# rootfstype= is a list tried in order: xfs fails on this ext4 root, ext4 then mounts it.
scenario_r_rootfstype() {
	r_boot_parted r_rootfstype gpt "root=PARTUUID=$R_PU2 rootfstype=xfs,ext4"
	expect 'rdinit: mounting /dev/vda2 as xfs failed' "xfs to be tried first"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted as ext4"
}

# ext4 shows noatime among the per-mount options and data=journal among its own.
scenario_r_rootflags() {
	r_boot_parted r_rootflags gpt "root=PARTUUID=$R_PU2 rootflags=noatime,data=journal"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be /dev/vda2 mounted ro"
	expect '^RDTEST root=/dev/vda2 .* mntopts=([^ ]*,)?noatime[, ]' "noatime in mntopts"
	expect '^RDTEST root=/dev/vda2 .* superopts=([^ ]*,)?data=journal(,|$)' \
		"data=journal in superopts"
}

# ro and rw: the last one on the command line wins.
scenario_r_rw_ro() {
	r_boot_parted r_rw_ro gpt "root=PARTUUID=$R_PU2 rw ro"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=ro ' "/ to be mounted ro (rw ro)"
}

scenario_r_ro_rw() {
	r_boot_parted r_ro_rw gpt "root=PARTUUID=$R_PU2 ro rw"
	expect '^RDTEST root=/dev/vda2 fstype=ext4 opts=rw ' "/ to be mounted rw (ro rw)"
}

scenario_r_xfs() {
	local img=$VM_OUT/disks/r_xfs.img uuid=7c1d2e3f-4a5b-4c6d-9e7f-8091a2b3c4d5
	local ROOTDIR=$R_ROOTDIR_NOLF
	mk_xfs "$img" "$uuid" RDXFS r_xfs
	vm_vblk "$img"
	vm_boot r_xfs "root=UUID=$uuid" "${VM_DISK[@]}"
	expect_reached r_xfs
	expect '^RDTEST root=/dev/vda fstype=xfs opts=ro ' "/ to be /dev/vda, XFS, mounted ro"
}

# A btrfs root behind an ext4 decoy disk.
scenario_r_btrfs() {
	local decoy=$VM_OUT/disks/r_btrfs.1.img img=$VM_OUT/disks/r_btrfs.2.img disks
	local ROOTDIR=$R_ROOTDIR_NOLF
	mk_ext4 "$decoy" 1e2d3c4b-5a69-4788-97a6-b5c4d3e2f100 RDDECOY r_btrfs-decoy
	mk_btrfs "$img" 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d RDBTRFS r_btrfs
	vm_vblk "$decoy" d1
	disks=("${VM_DISK[@]}")
	vm_vblk "$img" d2
	disks+=("${VM_DISK[@]}")
	vm_boot r_btrfs "root=LABEL=RDBTRFS rw" "${disks[@]}"
	expect_reached r_btrfs
	expect '^RDTEST root=/dev/vdb fstype=btrfs opts=rw ' "/ to be /dev/vdb, btrfs, mounted rw"
}

# btrfs-progs 6.2 makes neither subvolumes nor multi-device filesystems from a directory:
# a first boot runs mkdisk's btrfs-prep as the real init to make them inside the VM.
# r_btrfs_prep NAME APPEND QEMU-ARGS...: that boot; the scenario stops unless it worked.
r_btrfs_prep() {
	local name=$1 append=$2
	shift 2
	vm_boot "$name.prep" "$append rw init=/sbin/btrfs-prep" "$@"
	expect_exited
	expect_line 'RDPREP ok' "btrfs-prep to succeed in $VM_LOG"
	[ "$FAILS" -eq 0 ]
}

# The root is a subvolume, a snapshot of the top level that has its own marker.
scenario_r_btrfs_subvol() {
	local img=$VM_OUT/disks/r_btrfs_subvol.img uuid=5d4c3b2a-1908-4f7e-8d6c-5b4a39281706
	local ROOTDIR=$R_ROOTDIR_NOLF BTRFS_PREP=$VM_OUT/disks/r_btrfs_subvol.prep
	mk_btrfs_prep "$BTRFS_PREP"
	mk_btrfs "$img" "$uuid" RDSUBVOL r_btrfs_subvol-unprepared
	vm_vblk "$img"
	r_btrfs_prep r_btrfs_subvol \
		"root=LABEL=RDSUBVOL RDPREP_SNAPSHOT=rootvol RDPREP_MARKER=r_btrfs_subvol" \
		"${VM_DISK[@]}" || return
	vm_boot r_btrfs_subvol "root=LABEL=RDSUBVOL rootflags=subvol=rootvol" "${VM_DISK[@]}"
	expect_reached r_btrfs_subvol
	# btrfs lists subvol= among its own (super block) options, not the per-mount ones.
	expect '^RDTEST root=/dev/vda fstype=btrfs opts=ro .* superopts=([^ ]*,)?subvol=/rootvol(,|$)' \
		"/ to be subvolume /rootvol of /dev/vda, mounted ro"
}

# One btrfs over two disks, data and metadata mirrored: rdinit must wait for both, mount
# it from either, and not mount it at all while one is missing.
scenario_r_btrfs_multi() {
	local img1=$VM_OUT/disks/r_btrfs_multi.1.img img2=$VM_OUT/disks/r_btrfs_multi.2.img
	local uuid=3e2d1c0b-9a8f-4e7d-a6c5-b4a392817065 disks super
	local ROOTDIR=$R_ROOTDIR_NOLF BTRFS_PREP=$VM_OUT/disks/r_btrfs_multi.prep
	mk_btrfs_prep "$BTRFS_PREP"
	mk_btrfs "$img1" "$uuid" RDMULTI r_btrfs_multi
	new_image "$img2" 128M
	vm_vblk "$img1" d1
	disks=("${VM_DISK[@]}")
	vm_vblk "$img2" d2
	disks+=("${VM_DISK[@]}")
	r_btrfs_prep r_btrfs_multi "root=UUID=$uuid RDPREP_ADD=/dev/vdb" "${disks[@]}" || return
	for img in "$img1" "$img2"; do
		super=$(btrfs inspect-internal dump-super -f "$img" 2>/dev/null)
		if ! grep -Eq "^fsid[[:space:]]+$uuid\$" <<<"$super" ||
			! grep -Eq '^num_devices[[:space:]]+2$' <<<"$super" ||
			! grep -q 'SYSTEM|RAID1' <<<"$super"; then
			fail "$img to be a member of a two-device raid1 btrfs $uuid"
		fi
	done

	# Only the second disk: the volume is incomplete, so root= must time out.
	vm_vblk "$img2" d2
	vm_boot r_btrfs_multi.half "root=UUID=$uuid rdinit.timeout=3" "${VM_DISK[@]}"
	reject '^RDTEST' "no real init to run on half a raid1 btrfs"
	expect_report 'root device not found' "rdinit to wait for the missing device"
	expect_exited

	vm_boot r_btrfs_multi "root=UUID=$uuid" "${disks[@]}"
	expect_reached r_btrfs_multi
	expect '^RDTEST root=/dev/vd[ab] fstype=btrfs opts=ro ' \
		"/ to be the btrfs on /dev/vda and /dev/vdb, mounted ro"
	# Both members carry the UUID: that is one filesystem, not two candidates.
	reject 'rdinit: root=.* also matches' "no warning about a duplicate root"
}

SCENARIOS+=(r_gpt_partuuid r_mbr_partuuid r_partnroff r_partlabel r_devpart r_byuuid
	r_bylabel r_bypartuuid r_bypartlabel r_majmin r_hexdev r_uuid_case r_two_disks
	r_vfat_decoy r_rootfstype r_rootflags r_rw_ro r_ro_rw r_xfs r_btrfs
	r_btrfs_subvol r_btrfs_multi)
