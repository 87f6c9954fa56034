# When boot goes wrong: the report and its hints, the failure policy, and a switch-root that
# leaves the real root's data alone. Sourced by tests/vm/run.sh.
# shellcheck shell=bash

SCENARIOS+=(f_label_case_hint f_uuid_typo_hint f_missing_init f_init_is_dir f_panic_delay
	f_onfail_halt f_root_survives f_fsck_clean)

# The boot gave up the way panic=-1 asks: no real init, QEMU ended by the guest's reboot.
expect_gave_up() {
	reject '^RDTEST' "no real init to run"
	expect_exited
	expect_report 'rdinit: rebooting in 0 s' "the reboot panic=-1 asks for"
}

scenario_f_label_case_hint() {
	local img=$VM_OUT/disks/f_label.img
	mk_ext4 "$img" 1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f RootFS f_label
	vm_vblk "$img"
	vm_boot f_label_case_hint "root=LABEL=rootfs rdinit.timeout=2" "${VM_DISK[@]}"
	expect_gave_up
	expect_report 'root device not found: root=LABEL=rootfs' "the report to quote root="
	expect_report 'hint: /dev/vda has LABEL=RootFS (labels are case-sensitive)' \
		"a hint naming the label that differs only in case"
	[ -s "$img" ] || fail "the disk image to be left in place"
}

scenario_f_uuid_typo_hint() {
	local img=$VM_OUT/disks/f_uuid.img
	mk_ext4 "$img" 2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901 RDTEST_FU f_uuid
	vm_vblk "$img"
	# one digit off: ...f901 -> ...f991
	vm_boot f_uuid_typo_hint "root=UUID=2b3c4d5e-6f70-4182-93a4-b5c6d7e8f991 rdinit.timeout=2" \
		"${VM_DISK[@]}"
	expect_gave_up
	expect_report 'hint: /dev/vda has UUID=2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901, one character off' \
		"a hint naming the UUID one character away"
	expect_report 'TYPE="ext4" UUID="2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901" LABEL="RDTEST_FU"' \
		"the device list with TYPE, UUID and LABEL"
}

scenario_f_missing_init() {
	local img=$VM_OUT/disks/f_noinit.img
	mk_ext4 "$img" 3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b RDTEST_FI f_noinit
	vm_vblk "$img"
	vm_boot f_missing_init "root=LABEL=RDTEST_FI init=/sbin/nonexistent" "${VM_DISK[@]}"
	expect_gave_up
	expect_report 'no init to run on /dev/vda: /sbin/nonexistent: No such file or directory' \
		"the missing init= named, with the cause"
}

scenario_f_init_is_dir() {
	local img=$VM_OUT/disks/f_initdir.img
	mk_ext4 "$img" 4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c RDTEST_FD f_initdir
	vm_vblk "$img"
	vm_boot f_init_is_dir "root=LABEL=RDTEST_FD init=/etc" "${VM_DISK[@]}"
	expect_gave_up
	expect_report 'no init to run on /dev/vda: /etc: Is a directory' "init= naming a directory"
}

# panic=N: reboot after N seconds, not at once and not never.
scenario_f_panic_delay() {
	local img=$VM_OUT/disks/f_panic.img
	mk_ext4 "$img" 5e6f7081-92a3-44b5-86d7-e8f90a1b2c3d RDTEST_FP f_panic
	vm_vblk "$img"
	vm_boot f_panic_delay "root=LABEL=absent rdinit.timeout=1 panic=2" "${VM_DISK[@]}"
	reject '^RDTEST' "no real init to run"
	expect_exited
	expect_report 'rdinit: rebooting in 2 s' "the reboot delay panic=2 asks for"
	expect_report 'reboot: Restarting system' "the kernel to restart the machine"
}

scenario_f_onfail_halt() {
	local img=$VM_OUT/disks/f_halt.img
	mk_ext4 "$img" 6f708192-a3b4-45c6-97e8-f90a1b2c3d4e RDTEST_FH f_halt
	vm_vblk "$img"
	vm_boot f_onfail_halt "root=LABEL=absent rdinit.timeout=1 rdinit.onfail=halt" "${VM_DISK[@]}"
	reject '^RDTEST' "no real init to run"
	expect_exited
	expect_report 'rdinit: powering off' "rdinit.onfail=halt to power off"
	expect_report 'reboot: Power down' "the kernel to power the machine down"
}

# Files on the real root at the very paths the initramfs uses must come through the
# initramfs delete untouched: it must not cross into the new root.
scenario_f_root_survives() {
	local img=$VM_OUT/disks/f_survive.img stage=$VM_OUT/disks/f_survive.root
	local kdir=lib/modules/$KVER path got
	stage_root "$stage" f_survive
	mkdir -p "$stage/$kdir" "$stage/root"
	echo "real-root /init" >"$stage/init"
	echo "real-root modules.dep" >"$stage/$kdir/modules.dep"
	echo "real-root rdinit.conf" >"$stage/etc/rdinit.conf"
	echo "real-root /root file" >"$stage/root/keep"
	new_image "$img" 32M
	mkfs.ext4 -q -F -d "$stage" -U 708192a3-b4c5-46d7-a8f9-0a1b2c3d4e5f -L RDTEST_FS \
		-E root_owner=0:0 "$img" || fail "mkfs.ext4 to build the disk"
	rm -rf "$stage"
	vm_vblk "$img"
	vm_boot f_root_survives "root=LABEL=RDTEST_FS rw" "${VM_DISK[@]}"
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw ' "/ to be /dev/vda mounted rw"
	for path in /init "/$kdir/modules.dep" /etc/rdinit.conf /root/keep; do
		got=$(debugfs -R "cat $path" "$img" 2>/dev/null)
		case $got in
		real-root*) ;;
		*) fail "$path on the real root to survive the switch (debugfs read '$got')" ;;
		esac
	done
}

# The root is mounted read-only unless rw is given, and a read-write boot leaves it clean.
scenario_f_fsck_clean() {
	local img=$VM_OUT/disks/f_fsck.img
	mk_ext4 "$img" 8192a3b4-c5d6-47e8-b9fa-0b1c2d3e4f50 RDTEST_FK f_fsck
	vm_vblk "$img"
	vm_boot f_fsck_clean "root=LABEL=RDTEST_FK rw" "${VM_DISK[@]}"
	expect_reached f_fsck
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw ' "/ mounted rw as asked"
	e2fsck -fn "$img" >"$VM_LOG.fsck" 2>&1 || fail "e2fsck -fn to find the root clean (see $VM_LOG.fsck)"
}

SCENARIOS+=(f_break_shell f_onfail_shell)

# shell_image: the default image plus a static busybox as the rescue shell.
# SHELL_EXTRA: more mkrdinit options (a second image, built each time).
shell_image() {
	SHELL_INITRD=$VM_OUT/initrd-shell.img
	if [ -n "${SHELL_EXTRA:-}" ]; then
		SHELL_INITRD=$VM_OUT/initrd-shell-$NAME.img
		# shellcheck disable=SC2086 # SHELL_EXTRA is a list of options
		"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --shell /bin/busybox $SHELL_EXTRA \
			--output "$SHELL_INITRD" >/dev/null
		return
	fi
	local f fresh=1
	for f in "$MKRDINIT" build/rdinit modules/*.list; do
		[ "$SHELL_INITRD" -nt "$f" ] || fresh=0
	done
	[ -s "$SHELL_INITRD" ] && [ "$fresh" = 1 ] && return 0
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --shell /bin/busybox \
		--output "$SHELL_INITRD" >/dev/null
}

# type_after LOG FIFO PATTERN TEXT [PATTERN TEXT]...: once the Nth line matching PATTERN
# shows in the serial log, type TEXT on the console; keeps the FIFO open until QEMU ends.
type_after() {
	local log=$1 fifo=$2 pattern text n i
	shift 2
	exec 3>"$fifo"
	n=0
	while [ $# -ge 2 ]; do
		pattern=$1 text=$2
		shift 2
		n=$((n + 1))
		for i in $(seq 1 600); do
			[ "$(grep -c -- "$pattern" "$log" 2>/dev/null)" -ge "$n" ] && break
			sleep 0.1
		done
		sleep 0.5
		printf '%s\n' "$text" >&3
	done
	sleep "$VM_TIMEOUT"
}

# shell_boot NAME APPEND PATTERN TEXT...: boot with the shell image, answering the console.
shell_boot() {
	local name=$1 append=$2 fifo=$VM_OUT/$1.in pid
	shift 2
	shell_image || { fail "the image with a shell to be built"; return 1; }
	rm -f "$fifo" "$VM_OUT/logs/$name.log" && mkfifo "$fifo"
	type_after "$VM_OUT/logs/$name.log" "$fifo" "$@" &
	pid=$!
	INITRD=$SHELL_INITRD VM_STDIN=$fifo vm_boot "$name" "$append" "${VM_DISK[@]}"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$fifo"
}

# rdinit.break=mount: a shell with the root mounted on /root; leaving it goes on to boot.
scenario_f_break_shell() {
	local img=$VM_OUT/disks/f_break.img
	mk_ext4 "$img" 9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d RDTEST_FB f_break
	vm_vblk "$img"
	shell_boot f_break_shell "root=LABEL=RDTEST_FB rdinit.break=mount" \
		'rdinit.break=mount: starting /bin/sh' 'cat /root/etc/rdtest-root; echo SHELL_$((6 * 7)); exit'
	expect 'rdinit: rdinit.break=mount: starting /bin/sh' "the break to start a shell"
	expect '^SHELL_42' "the shell to run commands typed on the console"
	expect '^f_break' "the root to be mounted on /root inside the break shell"
	expect_reached f_break
}

# No root: the rescue shell (the default when the image has one); leaving it tries again.
scenario_f_onfail_shell() {
	local img=$VM_OUT/disks/f_rescue.img
	mk_ext4 "$img" ab0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d2e RDTEST_FR f_rescue
	vm_vblk "$img"
	shell_boot f_onfail_shell "root=LABEL=absent rdinit.timeout=1 panic=0" \
		'boot failed: starting /bin/sh' 'cat /run/rdinit/report; sleep 4; exit' \
		'boot failed: starting /bin/sh' 'poweroff -f'
	reject '^RDTEST' "no real init to run"
	expect_exited
	expect '^root device not found: root=LABEL=absent' "the report saved in /run/rdinit/report"
	expect 'rdinit: shell exited; trying again' "a new search after the shell exits"
	[ "$(grep -c 'rdinit: root device not found' "$VM_LOG")" -ge 2 ] ||
		fail "a second search and report after the shell"
}

SCENARIOS+=(f_rescue_fixes_label f_shell_leaves_at_once f_fs_blacklisted)

# The rescue shell fixes what the report says (the label) and the boot goes on: the retry
# probes every device again (no uevent tells that a label changed), which a cache of the
# first probe would not.
scenario_f_rescue_fixes_label() {
	local img=$VM_OUT/disks/f_fix.img
	mk_ext4 "$img" ab0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d30 RDTEST_WRONG f_fix
	vm_vblk "$img"
	SHELL_EXTRA="--install /sbin/tune2fs" shell_boot f_rescue_fixes_label \
		"root=LABEL=RDTEST_FIXED rdinit.timeout=1 panic=0" \
		'boot failed: starting /bin/sh' 'tune2fs -L RDTEST_FIXED /dev/vda; sleep 4; exit'
	expect_report 'root device not found: root=LABEL=RDTEST_FIXED' "the first search to fail"
	expect 'rdinit: shell exited; trying again' "a new search after the shell exits"
	expect_reached f_fix
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=ro ' "/ to be the relabelled /dev/vda"
}

# A shell that leaves at once (nobody at the console, a broken /bin/sh) is no reason to try
# again in a loop: rdinit says so once and waits.
scenario_f_shell_leaves_at_once() {
	local img=$VM_OUT/disks/f_quick.img
	mk_ext4 "$img" ab0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d31 RDTEST_FQ f_quick
	vm_vblk "$img"
	VM_TIMEOUT=25 shell_boot f_shell_leaves_at_once "root=LABEL=absent rdinit.timeout=1 panic=0" \
		'boot failed: starting /bin/sh' 'exit'
	reject '^RDTEST' "no real init to run"
	expect 'rdinit: the rescue shell left after [0-9]+ ms .*not trying again' \
		"rdinit to say why it stops trying"
	expect 'rdinit: boot stopped; waiting' "rdinit to wait"
	[ "$(grep -c 'rdinit: root device not found' "$VM_LOG")" -eq 1 ] ||
		fail "exactly one search and report (no loop)"
	case $VM_RC in 124 | 137) ;; *) fail "QEMU still running (waiting) at the timeout" ;; esac
}

# modprobe.blacklist= names the root's filesystem module: it is not loaded, the mount fails,
# and the report says the module needed is blacklisted.
scenario_f_fs_blacklisted() {
	local img=$VM_OUT/disks/f_fsbl.img
	mk_ext4 "$img" ab0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d32 RDTEST_FB2 f_fsbl
	vm_vblk "$img"
	vm_boot f_fs_blacklisted "root=LABEL=RDTEST_FB2 modprobe.blacklist=ext4 panic=-1" \
		"${VM_DISK[@]}"
	expect_gave_up
	reject 'EXT4-fs \(vda\): mounted' "ext4 not to mount"
	expect_report 'cannot mount root /dev/vda' "the mount failure reported"
	expect_report 'module ext4 for fs-ext4 is blacklisted' \
		"the report to say ext4 is blacklisted"
}

SCENARIOS+=(f_partuuid_as_uuid_hint f_whole_disk_hint f_duplicate_label)

# root=UUID= given the partition's PARTUUID: the hint says which tag it is.
scenario_f_partuuid_as_uuid_hint() {
	local img=$VM_OUT/disks/f_pu.img
	r_parted "$img" gpt f_pu
	vm_vblk "$img"
	vm_boot f_partuuid_as_uuid_hint "root=UUID=$R_PU2 rdinit.timeout=2" "${VM_DISK[@]}"
	expect_gave_up
	expect_report "hint: $R_PU2 is the PARTUUID of /dev/vda2: use root=PARTUUID=$R_PU2" \
		"a hint that the value is a PARTUUID"
	expect_report "PARTUUID=\"$R_PU2\" PARTLABEL=\"rd-root\"" "partitions listed with PARTUUID and PARTLABEL"
}

# root=/dev/vda names a whole disk with a partition table: not mounted, and the hint lists
# its partitions.
scenario_f_whole_disk_hint() {
	local img=$VM_OUT/disks/f_whole.img
	r_parted "$img" gpt f_whole
	vm_vblk "$img"
	vm_boot f_whole_disk_hint "root=/dev/vda rdinit.timeout=2" "${VM_DISK[@]}"
	expect_gave_up
	expect_report 'hint: /dev/vda is a whole disk with a gpt partition table; its partitions:' \
		"a hint that root= names a whole disk"
	expect_report 'hint:   /dev/vda2 TYPE="ext4" LABEL="RDROOT"' "the partitions listed"
}

# Two filesystems with one LABEL: rdinit says which one it used, and boots from it.
scenario_f_duplicate_label() {
	local a=$VM_OUT/disks/f_dup_a.img b=$VM_OUT/disks/f_dup_b.img
	mk_ext4 "$a" c1d2e3f4-0001-4a00-8000-00000000000a RDTEST_DUP f_dup_a
	mk_ext4 "$b" c1d2e3f4-0002-4a00-8000-00000000000b RDTEST_DUP f_dup_b
	vm_boot f_duplicate_label "root=LABEL=RDTEST_DUP" \
		-drive "file=$a,format=raw,if=none,id=d1" -device virtio-blk-pci,drive=d1 \
		-drive "file=$b,format=raw,if=none,id=d2" -device virtio-blk-pci,drive=d2
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	local used
	used=$(vm_field marker)
	case $used in
	f_dup_a) expect_report 'root=RDTEST_DUP also matches /dev/vdb; using /dev/vda' \
		"the report of the duplicate and the choice" ;;
	f_dup_b) expect_report 'root=RDTEST_DUP also matches /dev/vda; using /dev/vdb' \
		"the report of the duplicate and the choice" ;;
	*) fail "the root to be one of the two disks (marker '$used')" ;;
	esac
}

SCENARIOS+=(m_kernel_requests_module)

# The kernel asks for modules too (mount(2) wants fs-vfat): while rdinit runs, the program in
# /proc/sys/kernel/modprobe is /init itself, which loads it from the image. In the break
# shell vfat is not loaded yet; the mount of a FAT disk makes the kernel ask for it.
scenario_m_kernel_requests_module() {
	local img=$VM_OUT/disks/m_kreq.img fat=$VM_OUT/disks/m_kreq_fat.img
	mk_ext4 "$img" ab0c1d2e-3f4a-4b5c-9d6e-7f8a9b0c1d40 RDTEST_KREQ m_kreq
	mk_vfat "$fat" KREQFAT
	VM_DISK=(-drive "file=$img,format=raw,if=none,id=d" -device virtio-blk-pci,drive=d
		-drive "file=$fat,format=raw,if=none,id=f" -device virtio-blk-pci,drive=f)
	shell_boot m_kernel_requests_module "root=LABEL=RDTEST_KREQ rdinit.break=mount" \
		'rdinit.break=mount: starting /bin/sh' \
		'grep -c vfat /proc/filesystems; cat /proc/sys/kernel/modprobe; mkdir -p /mnt; mount -t vfat /dev/vdb /mnt && echo KREQ_$((6 * 7)); grep -w vfat /proc/filesystems; umount /mnt; exit'
	expect '^0$' "vfat not loaded before the mount"
	expect_line '/init' "/init answering the kernel's module requests"
	expect_line 'KREQ_42' "the FAT disk mounted, its module loaded at the kernel's request"
	expect 'rdinit: loaded fs-vfat for the kernel' "rdinit's modprobe to say what it loaded"
	expect_reached m_kreq
}
