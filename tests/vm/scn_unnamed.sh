# shellcheck shell=bash
# A LUKS disk nothing names (no crypttab, no rd.luks.*) beside a plain root that appears only
# later (hot-added): the LUKS disk must never end or freeze the wait for the root. (a) an image
# without cryptsetup, (b) with it and nobody at the console, (c) with it and Enter pressed at
# its prompt. Sourced by tests/vm/run.sh.

SCENARIOS+=(u_luks_no_tool u_luks_nobody u_luks_enter)

U_ROOT_UUID=6d5c4b3a-2918-4765-a4b3-c2d1e0f9a8b7

U_LUKS_UUID=4a3b2c1d-0e9f-4877-a665-5443322110ff

# un_disks NAME: the LUKS disk (vda) in VM_DISK, the root's image in U_ROOT. The LUKS disk is
# a LUKS1 header and nothing else: what libblkid reads (magic, version, UUID) is all these
# boots need, as nothing opens it (cryptsetup cannot format a file on a host whose kernel
# crypto API and device-mapper it cannot reach)
un_disks() {
	local luks=$VM_OUT/disks/u_luks.img
	if [ ! -s "$luks" ]; then
		rm -f "$luks.tmp" && truncate -s 32M "$luks.tmp" &&
			printf 'LUKS\272\276\000\001aes\000' | dd of="$luks.tmp" conv=notrunc 2>/dev/null &&
			printf 'xts-plain64' | dd of="$luks.tmp" bs=1 seek=40 conv=notrunc 2>/dev/null &&
			printf 'sha256' | dd of="$luks.tmp" bs=1 seek=72 conv=notrunc 2>/dev/null &&
			printf '\000\000\020\000\000\000\000\100' |
			dd of="$luks.tmp" bs=1 seek=104 conv=notrunc 2>/dev/null &&
			printf '%s' "$U_LUKS_UUID" | dd of="$luks.tmp" bs=1 seek=168 conv=notrunc 2>/dev/null &&
			mv "$luks.tmp" "$luks" || { fail "the LUKS disk to be made"; return 1; }
	fi
	U_ROOT=$VM_OUT/disks/$1-root.img
	mk_ext4 "$U_ROOT" "$U_ROOT_UUID" RDTEST_U "$1"
	VM_DISK=(-drive "file=$luks,format=raw,if=none,id=lk,snapshot=on"
		-device "virtio-blk-pci,drive=lk")
}

# un_boot NAME PATTERN [TYPE-PATTERN TEXT]: boot with the LUKS disk; the root is hot-added a
# second after PATTERN shows on the console; TEXT is typed after TYPE-PATTERN
un_boot() {
	local name=$1 pattern=$2 sock=$VM_OUT/$1.qmp fifo=$VM_OUT/$1.in pid=""
	shift 2
	rm -f "$fifo" "$VM_OUT/logs/$name.log" && mkfifo "$fifo"
	if [ $# -ge 2 ]; then
		type_after "$VM_OUT/logs/$name.log" "$fifo" "$@" &
		pid=$!
	else
		# nobody types: the fifo is held open and silent
		sleep 600 >"$fifo" &
		pid=$!
	fi
	vm_qmp_hotplug_later "$sock" "$VM_OUT/logs/$name.log" "$pattern" 1 "$U_ROOT" uroot
	VM_STDIN=$fifo vm_boot "$name" "root=UUID=$U_ROOT_UUID rootwait rdinit.timeout=20" \
		"${VM_DISK[@]}" -qmp "unix:$sock,server=on,wait=off"
	wait "$VM_QMP_PID" 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$fifo"
}

# (a) no cryptsetup in the image: the LUKS disk is skipped, said, and the root found later
scenario_u_luks_no_tool() {
	local t=$VM_OUT/u_luks_no_tool
	un_disks u_luks_no_tool || return
	rm -rf "$t" && mkdir -p "$t"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --omit-stacks luks --output "$t/initrd.img" \
		>/dev/null 2>&1 || { fail "mkrdinit --omit-stacks luks to build"; return; }
	INITRD=$t/initrd.img un_boot u_luks_no_tool 'no cryptsetup in the image'
	expect_reached u_luks_no_tool
	expect '^RDTEST root=/dev/vdb fstype=ext4 ' "/ to be the hot-added disk"
	expect 'rdinit: /dev/vda: LUKS, locked: no cryptsetup in the image \(found by itself' \
		"the LUKS disk to be said skipped"
}

# (b) cryptsetup, and nobody at the console: the prompt shows, the root's arrival withdraws it
scenario_u_luks_nobody() {
	un_disks u_luks_nobody || return
	un_boot u_luks_nobody 'Passphrase for /dev/vda'
	expect_reached u_luks_nobody
	expect '^RDTEST root=/dev/vdb fstype=ext4 ' "/ to be the hot-added disk"
	expect_withdrawn
}

# (c) cryptsetup, and Enter pressed at the prompt: the disk is skipped, the root found later
scenario_u_luks_enter() {
	un_disks u_luks_enter || return
	un_boot u_luks_enter 'passphrase prompt given up' 'Passphrase for /dev/vda' ''
	expect_reached u_luks_enter
	expect '^RDTEST root=/dev/vdb fstype=ext4 ' "/ to be the hot-added disk"
	expect 'rdinit: /dev/vda: LUKS, locked: passphrase prompt given up \(found by itself' \
		"Enter to skip the disk, and that said"
}
