# shellcheck shell=bash
# Disks with storage stacks (LUKS1, LUKS2, LVM, LVM on LUKS, MD RAID1, LVM over two slow LUKS2
# disks) for the VM tests.
# The host has no device-mapper and no md, so they are made in a helper VM: Debian's kernel
# with an image mkrdinit builds (the generic profile: the static cryptsetup, lvm and mdadm
# and their modules; busybox; and tests/vm/stackdisks-init.sh as /init). The filesystems inside are
# made on the host (mk_ext4) and written into the stacks by the helper VM. Cached by content:
# the same script, tools, kernel and testinit give the same disks without a boot.
#
# stack_disks    sets SD (the directory holding the disk images, *.img) or fails
# stack_drive IMG ID
#                sets VM_DISK to attach IMG with a throw-away overlay (snapshot=on): a boot
#                may write to its disks (an array started degraded), the cache stays as made

# The identities the scenarios boot by (the filesystems'; the LUKS headers'; the array's)
SD_FS_LUKS2=5d000001-0001-4000-8000-00000000a001
SD_FS_LUKS1=5d000001-0002-4000-8000-00000000a002
SD_FS_LVM=5d000001-0003-4000-8000-00000000a003
SD_FS_LVM2=5d000001-0004-4000-8000-00000000a004
SD_FS_LVLUKS=5d000001-0005-4000-8000-00000000a005
SD_FS_MD=5d000001-0006-4000-8000-00000000a006
SD_FS_LOOP=5d000001-0007-4000-8000-00000000a007
SD_LUKS2=5d00c001-0001-4000-8000-00000000c001
SD_LUKS1=5d00c001-0002-4000-8000-00000000c002
SD_LVLUKS=5d00c001-0003-4000-8000-00000000c003
SD_LOOPA=5d00c001-0004-4000-8000-00000000c004
SD_LOOPB=5d00c001-0005-4000-8000-00000000c005
SD_MD=5d00d001:00010000:80000000:0000d001
SD_PASS=rdinit-pass
SD_KEY=rdinit-keyfile-0123456789
# The PBKDF2 iterations of the slow LUKS disks (loop_a, loop_b): 1 to 2 s per unlock under TCG,
# enough for a timeline to tell one unlock after the other from two side by side (scn_loop.sh)
SD_SLOW_ITER=100000

# The helper VM's disks, in order (vda is the source of the filesystems)
SD_TARGETS=(luks2 luks1 lvm lvm2a lvm2b lvluks md_a md_b loop_a loop_b)

stack_drive() {
	VM_DISK=(-drive "file=$1,format=raw,if=none,id=$2,snapshot=on"
		-device "virtio-blk-pci,drive=$2")
}

sd_key() {
	{
		cat tests/vm/stackdisks.sh tests/vm/stackdisks-init.sh tests/vm/mkdisk.sh
		cat "$TESTINIT" "$VM_STACKS/cryptsetup" "$VM_STACKS/lvm" "$VM_STACKS/mdadm" \
			"$(vm_busybox)"
		echo "$KVER"
	} | sha256sum | cut -c1-16
}

stack_disks() {
	local key dir src tmp i args=() fs bb append
	bb=$(vm_busybox) || { echo "stackdisks: no busybox for $VM_ARCH" >&2; return 1; }
	key=$(sd_key)
	dir=$VM_OUT/stackdisks/$key
	SD=$dir
	[ -f "$dir/done" ] && return 0
	# one builder at a time (scenarios run in parallel); the second finds the first's disks
	mkdir -p "$VM_OUT/stackdisks"
	exec 9>"$VM_OUT/stackdisks/.lock"
	flock 9
	if [ -f "$dir/done" ]; then
		exec 9>&-
		return 0
	fi
	tmp=$VM_OUT/stackdisks/tmp.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	# the filesystems, 16 MiB each, one after another in the source disk
	src=$tmp/src.img
	: >"$src"
	for fs in "luks2:$SD_FS_LUKS2" "luks1:$SD_FS_LUKS1" "lvm:$SD_FS_LVM" "lvm2:$SD_FS_LVM2" \
		"lvm_luks:$SD_FS_LVLUKS" "md:$SD_FS_MD" "loop:$SD_FS_LOOP"; do
		DISK_SIZE=16M mk_ext4 "$tmp/fs.img" "${fs#*:}" "RDS_${fs%%:*}" "s_${fs%%:*}"
		cat "$tmp/fs.img" >>"$src"
	done
	rm -f "$tmp/fs.img"
	args+=(-drive "file=$src,format=raw,if=none,id=src" -device virtio-blk-pci,drive=src)
	for i in "${SD_TARGETS[@]}"; do
		truncate -s 64M "$tmp/$i.img"
		args+=(-drive "file=$tmp/$i.img,format=raw,if=none,id=$i"
			-device "virtio-blk-pci,drive=$i")
	done
	# the generic profile: the stack tools and modules every image gets, its own /init
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --shell "$bb" \
		--include "$bb:/bin/busybox" --include "$VM_RDINIT:/bin/rdmodprobe" \
		--init tests/vm/stackdisks-init.sh --output "$tmp/initrd.img" >/dev/null ||
		{ echo "stackdisks: mkrdinit failed" >&2; exec 9>&-; return 1; }
	append="quiet sd.luks2=$SD_LUKS2 sd.luks1=$SD_LUKS1 sd.lvluks=$SD_LVLUKS sd.md=$SD_MD"
	append+=" sd.pass=$SD_PASS sd.key=$SD_KEY"
	append+=" sd.loopa=$SD_LOOPA sd.loopb=$SD_LOOPB sd.slowiter=$SD_SLOW_ITER"
	INITRD=$tmp/initrd.img vm_boot stackdisks "$append" "${args[@]}"
	if ! grep -q '^STACKDISKS OK' "$VM_LOG"; then
		echo "stackdisks: the helper VM failed; see $VM_LOG" >&2
		exec 9>&-
		return 1
	fi
	rm -f "$src" "$tmp/initrd.img"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	touch "$dir/done"
	exec 9>&-
}
