# shellcheck shell=bash
# Boot scenarios sourced by tests/vm/run.sh: disk buses, hotplug, module options and
# blacklists, the init chain, consoles, and what the kernel command line hands to init.
# Each scenario_s_* builds its own disk, boots once and asserts on testinit's RDTEST lines
# (or, where testinit cannot speak, on the kernel log and the disk image).

# --- helpers ---------------------------------------------------------------------------

# s_disk NAME UUID [LABEL]: an ext4 test disk whose marker is NAME; sets S_IMG.
# (ext4 labels hold 16 bytes.)
s_disk() {
	S_IMG=$VM_OUT/disks/$1.img
	mk_ext4 "$S_IMG" "$2" "${3:-RDTEST_S}" "$1"
}

# expect_root DEV OPTS: testinit saw / mounted from DEV as ext4 with OPTS (ro|rw).
expect_root() {
	expect "^RDTEST root=$1 fstype=ext4 opts=$2 " "/ to be $1 (ext4) mounted $2"
}

# expect_order FIRST SECOND DESCRIPTION: a line matching ERE FIRST comes before the first
# line matching ERE SECOND in the serial log.
expect_order() {
	local a b
	a=$(grep -nEm1 -- "$1" "$VM_LOG" | cut -d: -f1)
	b=$(grep -nEm1 -- "$2" "$VM_LOG" | cut -d: -f1)
	if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then
		fail "$3 (/$1/ at line ${a:-none} before /$2/ at line ${b:-none})"
	fi
}

# expect_reached_as INIT MARKER: expect_reached for an init other than /sbin/init.
expect_reached_as() {
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line 'RDTEST done' "testinit's report to be complete"
	expect_line "RDTEST marker=$2" "the root to be test disk '$2'"
	expect "^RDTEST argv=[0-9]+ \\[$1\\]" "argv[0] to be $1"
}

# --- 1. buses: the same ext4 root behind each disk controller QEMU offers ---------------

scenario_s_virtio_scsi() {
	s_disk s_virtio_scsi 1a2b3c4d-0001-4a00-8000-000000000001
	vm_boot s_virtio_scsi "root=UUID=1a2b3c4d-0001-4a00-8000-000000000001" \
		-drive "file=$S_IMG,format=raw,if=none,id=d" \
		-device virtio-scsi-pci -device scsi-hd,drive=d
	expect_reached s_virtio_scsi
	expect_root /dev/sda ro
}

scenario_s_ahci() {
	s_disk s_ahci 1a2b3c4d-0002-4a00-8000-000000000002 RDTEST_AHCI
	vm_boot s_ahci "root=LABEL=RDTEST_AHCI" -M q35 \
		-drive "file=$S_IMG,format=raw,if=none,id=d" -device ide-hd,drive=d,bus=ide.0
	expect_reached s_ahci
	expect_root /dev/sda ro
}

# The default i440fx machine's PIIX IDE (ata_piix); QEMU's CD-ROM sits on the second
# channel, the disk is the primary master.
scenario_s_ide() {
	s_disk s_ide 1a2b3c4d-0003-4a00-8000-000000000003
	vm_boot s_ide "root=UUID=1a2b3c4d-0003-4a00-8000-000000000003" \
		-drive "file=$S_IMG,format=raw,if=ide"
	expect_reached s_ide
	expect_root /dev/sda ro
}

scenario_s_nvme() {
	s_disk s_nvme 1a2b3c4d-0004-4a00-8000-000000000004
	vm_boot s_nvme "root=UUID=1a2b3c4d-0004-4a00-8000-000000000004 rw" \
		-drive "file=$S_IMG,format=raw,if=none,id=d" -device nvme,serial=n1,drive=d
	expect_reached s_nvme
	expect_root /dev/nvme0n1 rw
}

scenario_s_usb() {
	s_disk s_usb 1a2b3c4d-0005-4a00-8000-000000000005 RDTEST_USB
	vm_boot s_usb "root=LABEL=RDTEST_USB" \
		-drive "file=$S_IMG,format=raw,if=none,id=d" \
		-device qemu-xhci -device usb-storage,drive=d
	expect_reached s_usb
	expect_root /dev/sda ro
}

SCENARIOS+=(s_virtio_scsi s_ahci s_ide s_nvme s_usb)
ARM64_SCENARIOS+=(s_nvme)

# --- 2. hotplug: the root disk appears only after rdinit has started waiting -----------

# No disk at boot. Once rdinit logs that it is looking for the root (and 1.5 s more, so it
# is really waiting on uevents, not still coldplugging), QMP hot-adds a virtio-blk disk:
# ACPI PCI hotplug, a uevent for the virtio device, virtio_blk loaded, then vda.
# Keyed on rdinit's log line rather than a fixed wall-clock delay, so a loaded host cannot
# make the disk arrive before rdinit waits (which would test coldplug instead).
scenario_s_hotplug() {
	local uuid=1a2b3c4d-0006-4a00-8000-000000000006 log=$VM_OUT/logs/s_hotplug.log
	local sock=$VM_OUT/logs/s_hotplug.qmp
	s_disk s_hotplug "$uuid"
	vm_qmp_hotplug_later "$sock" "$log" "rdinit: looking for root=" 1.5 "$S_IMG"
	vm_boot s_hotplug "root=UUID=$uuid rdinit.timeout=30" \
		-qmp "unix:$sock,server=on,wait=off"
	# The client ends on its own once the disk is added; if QEMU died first, stop it.
	kill "$VM_QMP_PID" 2>/dev/null
	wait "$VM_QMP_PID" || fail "the QMP hot-add to succeed (see $sock.out)"
	cat "$sock.out" >>"$VM_LOG.cmd"
	expect_reached s_hotplug
	expect_root /dev/vda ro
	expect_order 'rdinit: looking for root=UUID=' 'virtio_blk virtio[0-9]+: \[vda\]' \
		"rdinit to wait for the root before the hot-added disk appeared"
	expect_order 'virtio_blk virtio[0-9]+: \[vda\]' '^RDTEST pid=1' \
		"the root to be the hot-added disk"
}

SCENARIOS+=(s_hotplug)

# --- 3. module options from the command line -------------------------------------------

# virtio_blk is blacklisted: the disk is never driven, rdinit gives up and reboots.
# rdinit.debug logs every module loaded (at KERN_DEBUG: loglevel=8 shows it on the
# console), so the absence of virtio_blk is meaningful; ata_piix, loaded for the
# machine's IDE controller, is the control.
scenario_s_blacklist() {
	s_disk s_blacklist 1a2b3c4d-0007-4a00-8000-000000000007
	vm_vblk "$S_IMG"
	vm_boot s_blacklist "root=UUID=1a2b3c4d-0007-4a00-8000-000000000007 rdinit.debug \
loglevel=8 modprobe.blacklist=virtio_blk rdinit.timeout=3 panic=-1" "${VM_DISK[@]}"
	expect_exited
	reject '^RDTEST' "no real init to run"
	expect_report 'rdinit: root device not found: root=UUID=1a2b3c4d-0007-' \
		"the failure report"
	expect 'rdinit: .*loaded (module )?ata_piix$' "the debug log to list modules loaded"
	reject 'rdinit: .*loaded (module )?virtio_blk$' "virtio_blk not to be loaded"
	reject 'virtio_blk virtio[0-9]+: ' "no virtio_blk device to exist"
	reject 'saw /dev/vda' "no /dev/vda in the report"
	expect 'reboot: Restarting system' "panic=-1 to reboot at once"
}

# virtio_blk.poll_queues=1 from the command line reaches the module: with 2 vCPUs and a
# 2-queue disk, the driver reports "2/0/0 default/read/poll queues" by default and
# "1/0/1" with one poll queue. The kernel keeps dotted options it does not know for the
# module (they are not passed to init), and rdinit must hand them to finit_module.
scenario_s_modparam() {
	s_disk s_modparam 1a2b3c4d-0008-4a00-8000-000000000008
	vm_boot s_modparam "root=UUID=1a2b3c4d-0008-4a00-8000-000000000008 \
virtio_blk.poll_queues=1 virtio_blk.queue_depth=7" -smp 2 \
		-drive "file=$S_IMG,format=raw,if=none,id=d" \
		-device virtio-blk-pci,drive=d,num-queues=2
	expect_reached s_modparam
	expect_root /dev/vda ro
	expect 'virtio_blk virtio[0-9]+: 1/0/1 default/read/poll queues' \
		"virtio_blk to get poll_queues=1"
	reject '^RDTEST argv=.*poll_queues' "module options not to reach init's argv"
	reject '^RDTEST env=virtio_blk' "module options not to reach init's environment"
}

# DEPENDS on testinit printing "RDTEST modparam=MOD.PARAM=VALUE" for each MOD.PARAM=
# word of /proc/cmdline whose /sys/module/MOD/parameters/PARAM exists: the value the
# module really holds, for options with no trace in the kernel log.
scenario_s_modparam_sysfs() {
	s_disk s_modparam_sysfs 1a2b3c4d-0010-4a00-8000-000000000010
	vm_vblk "$S_IMG"
	vm_boot s_modparam_sysfs "root=UUID=1a2b3c4d-0010-4a00-8000-000000000010 \
virtio_blk.queue_depth=7 rdinit.timeout=20" "${VM_DISK[@]}"
	expect_reached s_modparam_sysfs
	expect_line 'RDTEST modparam=virtio_blk.queue_depth=7' \
		"virtio_blk to hold queue_depth=7 from the command line"
	reject '^RDTEST modparam=rdinit' "rdinit's own keys not to be module options"
}

SCENARIOS+=(s_blacklist s_modparam s_modparam_sysfs)

# --- 4. which init runs -----------------------------------------------------------------

scenario_s_init_arg() {
	s_disk s_init_arg 1a2b3c4d-0009-4a00-8000-000000000009
	vm_vblk "$S_IMG"
	vm_boot s_init_arg "root=UUID=1a2b3c4d-0009-4a00-8000-000000000009 init=/bin/testinit" \
		"${VM_DISK[@]}"
	expect_reached_as /bin/testinit s_init_arg
	expect_root /dev/vda ro
	expect_line 'RDTEST argv=1 [/bin/testinit]' "init= itself not to reach init's argv"
	reject '^RDTEST env=init=' "init= not to reach init's environment"
}

# s_chain_disk NAME UUID PATH: a disk whose only init is testinit at PATH.
s_chain_disk() {
	local stage=$VM_OUT/disks/$1.root
	S_IMG=$VM_OUT/disks/$1.img
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,etc,proc,sys,dev,run,tmp,"$(dirname "$3")"}
	cp "$TESTINIT" "$stage/$3"
	chmod 0755 "$stage/$3"
	chmod 1777 "$stage/tmp"
	echo "$1" >"$stage/etc/rdtest-root"
	new_image "$S_IMG" "$DISK_SIZE"
	mkfs.ext4 -q -F -d "$stage" -U "$2" -L RDTEST_S -E root_owner=0:0 "$S_IMG" ||
		mkdisk_die "mkfs.ext4 failed for $S_IMG"
	rm -rf "$stage"
}

# No init=, no /sbin/init: the kernel's chain goes on to /etc/init.
scenario_s_init_chain() {
	s_chain_disk s_init_chain 1a2b3c4d-000a-4a00-8000-00000000000a /etc/init
	vm_vblk "$S_IMG"
	vm_boot s_init_chain "root=UUID=1a2b3c4d-000a-4a00-8000-00000000000a" "${VM_DISK[@]}"
	expect_reached_as /etc/init s_init_chain
	expect_root /dev/vda ro
	expect_line 'RDTEST rootdir=bin,dev,etc,lost+found,proc,run,sys,tmp' \
		"/ to be the test disk without /sbin"
}

SCENARIOS+=(s_init_arg s_init_chain)

# --- 5. consoles ------------------------------------------------------------------------
# vm_boot puts console=ttyS0 first; the kernel prints its log on every console= but gives
# /dev/console (init's stdio) to the last one.

scenario_s_console() {
	s_disk s_console 1a2b3c4d-000b-4a00-8000-00000000000b
	vm_vblk "$S_IMG"
	vm_boot s_console "root=UUID=1a2b3c4d-000b-4a00-8000-00000000000b console=tty0 \
console=ttyS0" "${VM_DISK[@]}"
	expect_reached s_console
	expect_line 'RDTEST stdin_tty=/dev/ttyS0' "init's stdin to be the last console, ttyS0"
	expect_line 'RDTEST fds=0:/dev/ttyS0,1:/dev/ttyS0,2:/dev/ttyS0' \
		"init's stdio to be the last console and nothing else open"
}

# The last console is tty0 (the VGA screen): init's report goes there, not to the serial
# line, which still carries the kernel's log. Only testinit powers off ("Power down");
# rdinit's failure path restarts, so that line says testinit ran to its end.
scenario_s_console_tty0() {
	s_disk s_console_tty0 1a2b3c4d-000c-4a00-8000-00000000000c
	vm_vblk "$S_IMG"
	vm_boot s_console_tty0 "root=UUID=1a2b3c4d-000c-4a00-8000-00000000000c console=tty0" \
		"${VM_DISK[@]}"
	expect_exited
	[ "$VM_RC" = 0 ] || fail "QEMU to exit with status 0 (status $VM_RC)"
	reject '^RDTEST' "init's report not on the serial console"
	reject 'rdinit: (root device not found|cannot|no init|switching|executing)' \
		"no rdinit failure"
	expect 'reboot: Power down$' "testinit to power off"
}

# console=null and no other console: the kernel cannot open /dev/console for /init
# (ENODEV), rdinit falls back to /dev/null, and nothing at all reaches the serial line.
# What is left to check:
# - QMP's SHUTDOWN event says "guest-shutdown" (testinit powers off; a panic or rdinit's
#   failure path reboots, which -no-reboot reports as "guest-reset");
# - the disk records the boot: mounted rw, ext4 stores the path of the mount at the first
#   file opened, so "/" (not rdinit's "/root") means init ran from the new root; the mount
#   count went up; and the state is clean, so testinit's ro remount ran.
scenario_s_console_null() {
	local uuid=1a2b3c4d-000d-4a00-8000-00000000000d dump sock=$VM_OUT/logs/s_console_null.qmp
	s_disk s_console_null "$uuid"
	vm_vblk "$S_IMG"
	vm_qmp_listen "$sock"
	VM_CONSOLE='' vm_boot s_console_null "console=null root=UUID=$uuid rw" "${VM_DISK[@]}" \
		-qmp "unix:$sock,server=on,wait=off"
	kill "$VM_QMP_PID" 2>/dev/null
	wait "$VM_QMP_PID"
	cat "$sock.out" >>"$VM_LOG.cmd"
	expect_exited
	[ "$VM_RC" = 0 ] || fail "QEMU to exit with status 0 (status $VM_RC)"
	reject '^RDTEST|rdinit:|Run /init' "nothing from the kernel or init on the serial line"
	grep -q 'event SHUTDOWN {"guest": true, "reason": "guest-shutdown"}' "$sock.out" ||
		fail "a guest power-off (QMP SHUTDOWN event: $(grep SHUTDOWN "$sock.out"))"
	dump=$(dumpe2fs -h "$S_IMG" 2>/dev/null)
	echo "$dump" >>"$VM_LOG.cmd"
	grep -Eq '^Last mounted on: +/$' <<<"$dump" ||
		fail "the disk to have been mounted as / ($(grep 'Last mounted' <<<"$dump"))"
	grep -Eq '^Mount count: +[1-9]' <<<"$dump" ||
		fail "the disk's mount count to be > 0 ($(grep 'Mount count' <<<"$dump"))"
	grep -Eq '^Filesystem state: +clean$' <<<"$dump" ||
		fail "testinit's ro remount to leave the disk clean"
}

# console=null after console=ttyS0: "null" is no registered console, so the kernel's
# /dev/console stays on ttyS0; rdinit cannot open /dev/null as a console by name and
# falls back to /dev/console, so the report still reaches the serial line.
scenario_s_console_null_serial() {
	s_disk s_console_null_serial 1a2b3c4d-000f-4a00-8000-00000000000f
	vm_vblk "$S_IMG"
	vm_boot s_console_null_serial "root=UUID=1a2b3c4d-000f-4a00-8000-00000000000f \
console=null" "${VM_DISK[@]}"
	expect_reached s_console_null_serial
	expect_line 'RDTEST stdin_tty=/dev/console' "init's stdin to be /dev/console"
}

SCENARIOS+=(s_console s_console_tty0 s_console_null s_console_null_serial)

# --- 6. what the command line hands to init ---------------------------------------------

# The kernel passes words it does not consume as init's arguments and KEY=value pairs as
# its environment; options it consumes (root=, ro, console=, panic=, loglevel=) and any
# key with a dot (taken as a module option: rdinit.*, ext4.*) are dropped by the kernel
# itself before /init runs. After "--" everything goes to init's argv, even KEY=value.
# rdinit must pass argv and envp through unchanged.
scenario_s_args_env() {
	s_disk s_args_env 1a2b3c4d-000e-4a00-8000-00000000000e
	vm_vblk "$S_IMG"
	vm_boot s_args_env "root=UUID=1a2b3c4d-000e-4a00-8000-00000000000e ro single emergency \
foo=bar Xyz=1 rdinit.timeout=30 rdinit.debug loglevel=4 ext4.nosuchparam=1 \
-- --late a=b" "${VM_DISK[@]}"
	expect_reached s_args_env
	expect_root /dev/vda ro
	expect_line 'RDTEST argv=5 [/sbin/init] [single] [emergency] [--late] [a=b]' \
		"argv: the kernel's leftover words, then everything after --"
	expect_line 'RDTEST env=foo=bar' "foo=bar in init's environment"
	expect_line 'RDTEST env=Xyz=1' "Xyz=1 in init's environment"
	expect_line 'RDTEST env=HOME=/' "the kernel's HOME=/"
	expect_line 'RDTEST env=TERM=linux' "the kernel's TERM=linux"
	reject '^RDTEST env=(root|ro|console|panic|loglevel|init|rdinit[.]|ext4[.])' \
		"no consumed option or module option in init's environment"
	reject '^RDTEST argv=.*\[(ro|rdinit[.]debug|--)\]' "no consumed word in init's argv"
	# rdinit adds RD_TIMESTAMP (when the initramfs started, as dracut set it), and no systemd
	# option (--switched-root, --deserialize) for an init that is not systemd (argv above).
	[ "$(grep -c '^RDTEST env=' "$VM_LOG")" = 5 ] ||
		fail "exactly 5 variables in init's environment (HOME, TERM, foo, Xyz, RD_TIMESTAMP)"
	expect '^RDTEST env=RD_TIMESTAMP=[0-9]+ [0-9]+$' "rdinit's RD_TIMESTAMP"
}

SCENARIOS+=(s_args_env)
