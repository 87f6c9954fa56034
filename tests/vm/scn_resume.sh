# resume= from hibernation: a real round trip (a guest hibernates to its swap disk, the next
# boot resumes it), a plain swap partition (no image: the boot goes on at once), and a
# resume device that never appears. Sourced by tests/vm/run.sh.
# shellcheck shell=bash

SCENARIOS+=(h_resume_roundtrip h_resume_plain_swap h_resume_missing)

HIB_ROOT_UUID=4b1e0000-0000-4000-8000-000000000001
HIB_SWAP_UUID=4b1e0000-0000-4000-8000-0000000000a1

# hib_init: tests/vm/hibinit.c, built like testinit
hib_init() {
	HIBINIT=$VM_OUT/hibinit
	if [ ! -x "$HIBINIT" ] || [ tests/vm/hibinit.c -nt "$HIBINIT" ]; then
		musl-gcc -static -Os -Wall -o "$HIBINIT" tests/vm/hibinit.c || return 1
	fi
}

# hib_swap IMG: an empty swap area with a fixed UUID (mkswap works on a plain file)
hib_swap() {
	new_image "$1" 512M
	mkswap -q -U "$HIB_SWAP_UUID" "$1" >/dev/null || fail "mkswap to make $1"
}

# The guest hibernates to /dev/vdb; the second boot, through rdinit with resume=, must
# bring back the same process (it prints hib=resumed; a fresh one prints hib=start).
scenario_h_resume_roundtrip() {
	local root=$VM_OUT/disks/h_rt_root.img swap=$VM_OUT/disks/h_rt_swap.img
	local args
	hib_init || { fail "hibinit to build"; return; }
	TESTINIT=$HIBINIT mk_ext4 "$root" "$HIB_ROOT_UUID" RDTEST_HIB h_resume
	hib_swap "$swap"
	# shellcheck disable=SC2054 # commas inside QEMU options
	args=(-drive "file=$root,format=raw,if=none,id=r" -device virtio-blk-pci,drive=r
		-drive "file=$swap,format=raw,if=none,id=s" -device virtio-blk-pci,drive=s)
	vm_boot h_resume_roundtrip-1 "root=UUID=$HIB_ROOT_UUID resume=UUID=$HIB_SWAP_UUID \
hibswap=/dev/vdb" "${args[@]}"
	expect_line 'RDTEST hib=start' "the first boot to start hibinit"
	reject '^RDTEST hib=(swapon|hibernate)-failed' "the guest to hibernate"
	expect 'PM: Image saving done' \
		"the hibernation image written and the guest powered off"
	vm_boot h_resume_roundtrip "root=UUID=$HIB_ROOT_UUID resume=UUID=$HIB_SWAP_UUID \
hibswap=/dev/vdb" "${args[@]}"
	expect 'rdinit: resuming from /dev/vdb' "rdinit to hand the image to the kernel"
	expect_line 'RDTEST hib=resumed' "the hibernated process itself to carry on"
	reject '^RDTEST hib=start' "no fresh start of hibinit"
}

# A plain swap area: no image, the boot goes on at once (nothing is written to the kernel).
scenario_h_resume_plain_swap() {
	local root=$VM_OUT/disks/h_ps_root.img swap=$VM_OUT/disks/h_ps_swap.img
	mk_ext4 "$root" 4b1e0000-0000-4000-8000-000000000002 RDTEST_HPS h_plain
	hib_swap "$swap"
	vm_boot h_resume_plain_swap "root=UUID=4b1e0000-0000-4000-8000-000000000002 \
resume=UUID=$HIB_SWAP_UUID rdinit.timeout=30" \
		-drive "file=$root,format=raw,if=none,id=r" -device virtio-blk-pci,drive=r \
		-drive "file=$swap,format=raw,if=none,id=s" -device virtio-blk-pci,drive=s
	expect_reached h_plain
	expect "rdinit: resume=UUID=$HIB_SWAP_UUID: /dev/vdb holds no hibernation image" \
		"rdinit to say there is nothing to resume"
	reject 'rdinit: resuming from' "no resume attempt"
	reject 'not found after' "no wait for the resume device"
}

# resume= names a device that is not there: said once the wait is over, then the boot.
scenario_h_resume_missing() {
	local root=$VM_OUT/disks/h_rm_root.img
	mk_ext4 "$root" 4b1e0000-0000-4000-8000-000000000003 RDTEST_HRM h_missing
	vm_vblk "$root"
	vm_boot h_resume_missing "root=UUID=4b1e0000-0000-4000-8000-000000000003 \
resume=UUID=4b1e0000-0000-4000-8000-0000000000ff rdinit.timeout=2" "${VM_DISK[@]}"
	expect_reached h_missing
	expect 'rdinit: resume=UUID=4b1e0000-0000-4000-8000-0000000000ff: not found after 2 s; booting without resuming' \
		"rdinit to say it gave up on the resume device"
}
