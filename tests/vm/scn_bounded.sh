# shellcheck shell=bash
# Waits that rootwait must not make endless, and a root's file that must not hold PID 1:
# resume= naming a swap partition that is gone, a nofail fstab entry whose device never comes
# (both with rootwait), and a FIFO at the root's /etc/fstab. Each boot reaches the real init and
# says what it gave up. Sourced by tests/vm/run.sh (u_root and U_ROOT come from scn_usr.sh).

SCENARIOS+=(w_resume_rootwait w_nofail_rootwait w_fstab_fifo)

# resume= names nothing that exists, with rootwait: a few seconds, then the boot goes on
scenario_w_resume_rootwait() {
	local root=$VM_OUT/disks/w_resume_rootwait.img uuid=4b1e0000-0000-4000-8000-000000000013
	mk_ext4 "$root" "$uuid" RDTEST_WRR w_resume_rootwait
	vm_vblk "$root"
	vm_boot w_resume_rootwait "root=UUID=$uuid rootwait \
resume=UUID=4b1e0000-0000-4000-8000-0000000000fe" "${VM_DISK[@]}"
	expect_reached w_resume_rootwait
	expect 'rdinit: resume=UUID=4b1e0000-0000-4000-8000-0000000000fe: not found after 5 s; booting without resuming' \
		"rdinit to give up on the resume device after 5 s, and say so"
}

# a nofail entry whose device never appears, with rootwait: waited for as long as a device
# without rootwait (rdinit.timeout=), reported, and the boot goes on
scenario_w_nofail_rootwait() {
	local d=$VM_OUT/disks
	u_root "$d/w_nofail_root.img" w_nofail_rootwait "UUID=$U_ROOT / ext4 defaults 0 1
LABEL=RD_NEVER /opt ext4 x-initrd.mount,nofail 0 2"
	vm_vblk "$d/w_nofail_root.img"
	vm_boot w_nofail_rootwait "root=UUID=$U_ROOT rootwait rdinit.timeout=3" "${VM_DISK[@]}"
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line 'RDTEST marker=w_nofail_rootwait' "the root to be the test disk"
	expect 'rdinit: /opt is nofail: going on without it' "the nofail entry given up, and said"
}

# /etc/fstab is a FIFO on the root: said, nothing mounted from it, and the boot goes on
scenario_w_fstab_fifo() {
	local img=$VM_OUT/disks/w_fstab_fifo.img stage=$VM_OUT/disks/w_fstab_fifo.img.root
	stage_root "$stage" w_fstab_fifo
	mkfifo "$stage/etc/fstab"
	new_image "$img" "$DISK_SIZE"
	mkfs.ext4 -q -F -d "$stage" -U "$U_ROOT" -E root_owner=0:0 "$img" ||
		{ fail "mkfs.ext4 to take a FIFO"; return; }
	rm -rf "$stage"
	vm_vblk "$img"
	vm_boot w_fstab_fifo "root=UUID=$U_ROOT rdinit.timeout=3" "${VM_DISK[@]}"
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line 'RDTEST marker=w_fstab_fifo' "the root to be the test disk"
	expect 'rdinit: reading /etc/fstab on /dev/vda: not a regular file; mounting nothing from it' \
		"the FIFO to be refused, and said"
}
