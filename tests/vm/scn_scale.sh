# Scale: more block devices before the root than any fixed table of rdinit's holds, and
# an initramfs that is really freed at switch_root. Sourced by tests/vm/run.sh (after
# scn_boot.sh and mkdisk.sh, whose helpers it uses).
# shellcheck shell=bash
# shellcheck disable=SC2034 # local DISK_SIZE: read by mk_ext4

SCENARIOS+=(r_many_partitions r_many_disks s_initramfs_freed)

# How many block devices come before the root: past 64, where init/block/devices.c's table of seen
# devices (MAX_SEEN) was full and probing stopped, silently.
SCALE_N=70

# rdinit.timeout for these boots. With every device probed, the root was mounted 1.5 s
# (partitions) and 5 s (disks, 4 s of it waiting for the hot-add) after /init started.
SCALE_TIMEOUT=45

# --- 70 partitions on one disk ----------------------------------------------------------

# scale_partuuid N: the PARTUUID of partition N of the many-partition disk.
scale_partuuid() {
	printf '5ca1e000-0000-4000-8000-%012x' "$1"
}

# One virtio disk with a GPT of SCALE_N partitions: 1 MiB empty ones, a bootable decoy in
# the one before last (8 MiB, its own label, UUID and marker), the root in the last one
# (32 MiB), found by PARTUUID.
scenario_r_many_partitions() {
	local img=$VM_OUT/disks/r_many_partitions.img n parts=() root_pu
	local DISK_SIZE
	for n in $(seq 1 $((SCALE_N - 2))); do
		parts+=("1::$(scale_partuuid "$n")")
	done
	parts+=("8:rd-decoy:$(scale_partuuid $((SCALE_N - 1)))" "32:rd-root:$(scale_partuuid "$SCALE_N")")
	mk_ptable "$img" gpt 5ca1e000-0000-4000-8000-00000000d15c "${parts[@]}"
	DISK_SIZE=8M
	mk_ext4 "$img.decoy" 5ca1e000-0001-4000-8000-0000000000de RDMANY_DECOY r_many_partitions-decoy
	put_part "$img" $((SCALE_N - 1)) "$img.decoy"
	DISK_SIZE=32M
	mk_ext4 "$img.root" 5ca1e000-0001-4000-8000-0000000000f5 RDMANY_ROOT r_many_partitions
	put_part "$img" "$SCALE_N" "$img.root"
	root_pu=$(scale_partuuid "$SCALE_N")
	vm_vblk "$img"
	vm_boot r_many_partitions "root=PARTUUID=$root_pu rdinit.timeout=$SCALE_TIMEOUT" \
		"${VM_DISK[@]}"
	expect_fixed " vda$SCALE_N" "the kernel to see all $SCALE_N partitions"
	expect_reached r_many_partitions
	expect_root "/dev/vda$SCALE_N" ro
	rm -f "$img"
}

# --- 70 disks on one controller ---------------------------------------------------------

# SCALE_N LUNs of one virtio-scsi controller: LUN 0 a bootable decoy, then empty 1 MiB
# disks, and the root (by UUID) on the last LUN. sd probes disks in parallel, so disks
# present at boot appear in any order: the root is hot-added instead, once rdinit waits
# and the others are there, so that it comes after all of them.
scenario_r_many_disks() {
	local dir=$VM_OUT/disks/r_many_disks lun args=(-device "virtio-scsi-pci,id=s") img
	local uuid=5ca1e000-0002-4000-8000-0000000000f5 last=$((SCALE_N - 1))
	local sock=$VM_OUT/logs/r_many_disks.qmp pid add dev
	rm -rf "$dir" && mkdir -p "$dir"
	mk_ext4 "$dir/lun0.img" 5ca1e000-0002-4000-8000-0000000000de RDMANY_DECOY \
		r_many_disks-decoy
	for lun in $(seq 0 $((last - 1))); do
		img=$dir/lun$lun.img
		[ "$lun" -eq 0 ] || new_image "$img" 1M
		args+=(-drive "file=$img,format=raw,if=none,id=l$lun"
			-device "scsi-hd,bus=s.0,channel=0,scsi-id=0,lun=$lun,drive=l$lun")
	done
	mk_ext4 "$dir/root.img" "$uuid" RDMANY_ROOT r_many_disks
	add=$(printf '{"execute": "blockdev-add", "arguments": {"node-name": "root",
		"driver": "raw", "file": {"driver": "file", "filename": "%s"}}}' "$dir/root.img")
	dev=$(printf '{"execute": "device_add", "arguments": {"driver": "scsi-hd",
		"bus": "s.0", "channel": 0, "scsi-id": 0, "lun": %d, "drive": "root",
		"id": "root-dev"}}' "$last")
	rm -f "$sock" "$sock.out" "$VM_OUT/logs/r_many_disks.log"
	python3 tests/vm/qmp.py --wait 60 --log "$VM_OUT/logs/r_many_disks.log" \
		--pattern "rdinit: looking for root=" --delay 4 "$sock" "$add" "$dev" \
		>"$sock.out" 2>&1 &
	pid=$!
	vm_boot r_many_disks "root=UUID=$uuid rdinit.timeout=$SCALE_TIMEOUT" "${args[@]}" \
		-qmp "unix:$sock,server=on,wait=off"
	kill "$pid" 2>/dev/null
	wait "$pid" || fail "the QMP hot-add to succeed (see $sock.out)"
	[ "$(grep -c 'Attached SCSI disk' "$VM_LOG")" -eq "$SCALE_N" ] ||
		fail "the kernel to attach all $SCALE_N disks"
	grep 'Attached SCSI disk' "$VM_LOG" | tail -n 1 | grep -q "sd 0:0:0:$last: " ||
		fail "the root (LUN $last) to be attached after the $last others"
	expect_reached r_many_disks
	expect '^RDTEST root=/dev/sd[a-z]+ fstype=ext4 opts=ro ' "/ to be one of the SCSI disks"
	rm -rf "$dir"
}

# --- the initramfs is freed -------------------------------------------------------------

# The same root booted twice with the default image: normally, and with the test switch
# rdinit.keep_initramfs, which has rdinit skip deleting the initramfs's files. rootfs is
# ramfs when root= is given: its pages cannot be reclaimed (they show in Unevictable), so
# the kept boot holds about the image's uncompressed size more (file data in whole pages,
# less the cpio headers). testinit's mem_used_kb counts free pages on the per-CPU lists as
# free: freeing megabytes at once parks them there, out of MemFree. Measured on 6.12 under
# TCG: freed 90564-90600 kB, kept 96412-96444 kB, for a 5693 kB image; so the freed boot
# must use at least half the uncompressed size less, far above the noise (tens of kB) and
# far below what an unfreed initramfs costs.
scenario_s_initramfs_freed() {
	local uuid=5ca1e000-0003-4000-8000-000000000001 size freed kept unev_freed unev_kept
	size=$(python3 tests/bench/imgsize.py "$INITRD" | awk '{ print int($2 / 1024) }')
	s_disk s_initramfs_freed "$uuid"
	vm_vblk "$S_IMG"
	vm_boot s_initramfs_freed "root=UUID=$uuid" "${VM_DISK[@]}"
	expect_reached s_initramfs_freed
	freed=$(vm_field mem_used_kb) unev_freed=$(vm_field meminfo_Unevictable_kb)
	vm_boot s_initramfs_kept "root=UUID=$uuid rdinit.keep_initramfs" "${VM_DISK[@]}"
	expect_reached s_initramfs_freed
	kept=$(vm_field mem_used_kb) unev_kept=$(vm_field meminfo_Unevictable_kb)
	echo "image=$size mem_used_kb freed=$freed kept=$kept;" \
		"Unevictable_kb freed=$unev_freed kept=$unev_kept" >"$VM_OUT/logs/s_initramfs_freed.mem"
	if [ -z "$freed" ] || [ -z "$kept" ] || [ -z "$size" ]; then
		fail "mem_used_kb from both boots and the image's size (got '$freed', '$kept', '$size')"
	elif [ $((kept - freed)) -lt $((size / 2)) ]; then
		fail "the freed boot to use at least $((size / 2)) kB (half the uncompressed image, $size kB) less than the kept one (it used $((kept - freed)) kB less: $freed against $kept; Unevictable $unev_freed against $unev_kept kB)"
	fi
	rm -f "$S_IMG"
}
