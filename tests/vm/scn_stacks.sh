# shellcheck shell=bash
# Storage stacks: roots on LUKS2, LUKS1, LVM, LVM on LUKS and MD RAID1, on disks a helper VM
# made (tests/vm/stackdisks.sh), booted through the default image with the static
# cryptsetup, lvm and mdadm in it. Passphrases are typed on the serial console once the
# prompt shows (type_after, scn_fail.sh). Sourced by tests/vm/run.sh.

. tests/vm/stackdisks.sh

SCENARIOS+=(s_luks2_prompt s_luks2_keyfile s_crypttab_bad_line s_luks1 s_lvm_path s_lvm_uuid
	s_lvm_luks s_md_both s_md_degraded s_lvm_late_pv s_luks_wrong_key s_lvm_incomplete
	s_luks_two_consoles)
# arm64: its own stack tools (build/arm64/stacks) make the disks in an arm64 helper VM and
# open them: LVM on LUKS (cryptsetup, lvm, dm-crypt) and an md mirror (mdadm, raid1)
ARM64_SCENARIOS+=(s_lvm_luks s_md_both)

SD_PROMPT='Passphrase for /dev/'

# sd_disks NAME...: VM_DISK for the stack disks NAME (from stack_disks), in order
sd_disks() {
	local all=() n
	for n in "$@"; do
		stack_drive "$SD/$n.img" "$n"
		all+=("${VM_DISK[@]}")
	done
	VM_DISK=("${all[@]}")
}

# sd_boot NAME APPEND [PATTERN TEXT]...: boot with INITRD (default image), typing TEXT on the
# console after each PATTERN shows
sd_boot() {
	local name=$1 append=$2 fifo=$VM_OUT/$1.in pid
	shift 2
	rm -f "$fifo" "$VM_OUT/logs/$name.log" && mkfifo "$fifo"
	type_after "$VM_OUT/logs/$name.log" "$fifo" "$@" &
	pid=$!
	VM_STDIN=$fifo vm_boot "$name" "$append" "${VM_DISK[@]}"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$fifo"
}

sd_prepare() {
	stack_disks || { fail "the stack disks to be made ($VM_OUT/logs/stackdisks.log)"; return 1; }
}

# A LUKS2 root named by its filesystem's UUID, the passphrase typed: a wrong one first.
scenario_s_luks2_prompt() {
	sd_prepare || return
	sd_disks luks2
	sd_boot s_luks2_prompt "root=UUID=$SD_FS_LUKS2 rdinit.timeout=10" \
		"$SD_PROMPT" "not-the-passphrase" "$SD_PROMPT" "$SD_PASS"
	expect_reached s_luks2
	expect_fixed "Passphrase for /dev/vda (LUKS UUID $SD_LUKS2, to open as luks-$SD_LUKS2):" \
		"the prompt to name the device, its UUID and the mapping"
	expect_fixed "Wrong passphrase. Passphrase for /dev/vda" "a second try after the wrong one"
	expect '^RDTEST root=/dev/dm-0 fstype=ext4 opts=ro ' "/ to be the dm-crypt device, ro"
	reject "$SD_PASS" "the passphrase never echoed"
	reject 'rdinit: loading module' "no module load failing aloud (aesni_intel on this CPU)"
	reject 'not-the-passphrase' "the wrong passphrase never echoed"
}

# LUKS2 with a key file from mkrdinit --crypttab; root by /dev/mapper/NAME; no prompt.
scenario_s_luks2_keyfile() {
	sd_prepare || return
	local t=$VM_OUT/s_luks2_keyfile
	rm -rf "$t" && mkdir -p "$t"
	printf %s "$SD_KEY" >"$t/root.key"
	chmod 0600 "$t/root.key"
	printf '# the root\ncryptroot UUID=%s %s discard\n' "$SD_LUKS2" "$PWD/$t/root.key" \
		>"$t/crypttab"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --crypttab "$t/crypttab" \
		--output "$t/initrd.img" >/dev/null 2>"$t/mkrdinit.err" ||
		{ fail "mkrdinit --crypttab to build ($(cat "$t/mkrdinit.err"))"; return; }
	sd_disks luks2
	INITRD=$t/initrd.img vm_boot s_luks2_keyfile "root=/dev/mapper/cryptroot rdinit.timeout=10" \
		"${VM_DISK[@]}"
	expect_reached s_luks2
	reject "$SD_PROMPT" "no passphrase prompt"
	expect 'unlocked as /dev/mapper/cryptroot \(key file\)' "the key file to open it"
	expect '^RDTEST root=/dev/dm-0 fstype=ext4 ' "/ to be the dm-crypt device"
	# the kernel's "crypto-aes" names aesni_intel, for CPUs with AES-NI, which QEMU's default
	# CPU lacks: not tried there (it failed with ENODEV after 160 ms); loaded where it has it
	reject 'module-failures:aesni_intel|loaded crypto-aes for the kernel' \
		"no attempt at aesni_intel on a CPU without AES-NI"
	INITRD=$t/initrd.img vm_boot s_luks2_keyfile_aesni \
		"root=/dev/mapper/cryptroot rdinit.timeout=10" -cpu max "${VM_DISK[@]}"
	expect_reached s_luks2
	expect 'rdinit: loaded crypto-aes for the kernel' "aesni_intel loaded on a CPU with AES-NI"
}

# An /etc/crypttab that mkrdinit did not read (put in with --include, as another generator
# would): a line that is not an entry ('#' after one, not a comment: common/crypttab.h) is
# said in /init's log with its file and line, and the next line still opens the root.
scenario_s_crypttab_bad_line() {
	sd_prepare || return
	local t=$VM_OUT/s_crypttab_bad_line
	rm -rf "$t" && mkdir -p "$t"
	printf %s "$SD_KEY" >"$t/root.key"
	chmod 0600 "$t/root.key"
	printf 'swap /dev/vdz none swap # not a comment\ncryptroot UUID=%s /etc/root.key\n' \
		"$SD_LUKS2" >"$t/crypttab"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --include "$t/crypttab:/etc/crypttab" \
		--include "$t/root.key:/etc/root.key" --output "$t/initrd.img" >/dev/null \
		2>"$t/mkrdinit.err" || { fail "mkrdinit to build ($(cat "$t/mkrdinit.err"))"; return; }
	sd_disks luks2
	INITRD=$t/initrd.img vm_boot s_crypttab_bad_line \
		"root=/dev/mapper/cryptroot rdinit.timeout=10" "${VM_DISK[@]}"
	expect_reached s_luks2
	expect_fixed "rdinit: /etc/crypttab:1: expected NAME DEVICE [KEYFILE [OPTIONS]]: '#' starts a comment only at the start of a line; ignoring the line" \
		"the line that is not an entry said, with its file and line"
	expect 'unlocked as /dev/mapper/cryptroot \(key file\)' "the next line's key file to open it"
}

# LUKS1 with aes-cbc-essiv:sha256, the cipher of older volumes: its module (essiv) is not
# loaded before the unlock; dm-crypt asks the kernel for it, and the kernel asks /init
scenario_s_luks1() {
	sd_prepare || return
	sd_disks luks1
	sd_boot s_luks1 "root=LABEL=RDS_luks1 rw rd.luks.uuid=luks-$SD_LUKS1" "$SD_PROMPT" "$SD_PASS"
	expect_reached s_luks1
	expect '^RDTEST root=/dev/dm-0 fstype=ext4 opts=rw' "/ to be the LUKS1 mapping, rw"
	expect 'rdinit: loaded crypto-essiv(\(cbc\(aes\),sha256\))?(-all)? for the kernel' \
		"the kernel's request for the essiv cipher answered by /init"
}

scenario_s_lvm_path() {
	sd_prepare || return
	sd_disks lvm
	vm_boot s_lvm_path "root=/dev/rdvg/root rdinit.timeout=10" "${VM_DISK[@]}"
	expect_reached s_lvm
	expect '^RDTEST root=/dev/dm-0 fstype=ext4 ' "/ to be the logical volume"
	expect 'volume group rdvg activated' "rdvg activated"
	# nothing to choose by: one "pvscan --cache -aay" records the PV and activates the group
	expect 'running lvm pvscan' "pvscan to record the PV"
	reject 'running lvm vgchange' "no second lvm command"
}

# By the filesystem's UUID, rd.lvm.vg= naming the group; rd.lvm.vg=other would leave it
scenario_s_lvm_uuid() {
	sd_prepare || return
	sd_disks lvm
	vm_boot s_lvm_uuid "root=UUID=$SD_FS_LVM rd.lvm.vg=rdvg rdinit.timeout=10" "${VM_DISK[@]}"
	expect_reached s_lvm
	# rd.lvm.vg= chooses by group: pvscan names it, then vgchange activates it
	expect 'running lvm vgchange' "vgchange to activate the group rd.lvm.vg= names"
}

# LVM on LUKS, the default encrypted layout of Debian's installer; root by its dm name
# with init=/sbin/systemd (testinit by that name): rdinit hands over as to systemd and leaves
# /run/initramfs/shutdown; testinit, after its report, goes back there as systemd-shutdown
# does, and rdinit's shutdown takes the LV and the LUKS mapping apart before the poweroff
scenario_s_lvm_luks() {
	sd_prepare || return
	sd_disks lvluks
	sd_boot s_lvm_luks "root=/dev/mapper/rdvgc-root rdinit.timeout=10 init=/sbin/systemd" \
		"$SD_PROMPT" "$SD_PASS"
	expect_reached_as_systemd s_lvm_luks
	expect 'volume group rdvgc activated' "the group on the LUKS device activated"
	expect '^RDTEST root=/dev/dm-1 fstype=ext4 ' "/ to be the LV on the dm-crypt device"
	expect 'rdinit: shutdown: poweroff: /oldroot unmounted, 0 device-mapper devices and 0 arrays left; powering off' \
		"the shutdown program to unmount the root and remove the LV and the LUKS mapping"
}

# expect_reached_as_systemd MARKER: testinit ran as /sbin/systemd, handed over to as systemd
# is, and went back to /run/initramfs/shutdown after its report
expect_reached_as_systemd() {
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line 'RDTEST done' "testinit's report to be complete"
	expect_line "RDTEST marker=$1" "the root to be test disk '$1'"
	expect '^RDTEST argv=4 \[/sbin/systemd\] \[--switched-root\] \[--system\] \[--deserialize=[0-9]+\]$' \
		"systemd's handoff: --switched-root --system --deserialize=FD"
	expect_line 'RDTEST shutdown_program=present' "/run/initramfs/shutdown for systemd"
}

scenario_s_md_both() {
	sd_prepare || return
	sd_disks md_a md_b
	# init=/sbin/systemd: at the shutdown, back in the initramfs, the array is stopped
	vm_boot s_md_both "root=/dev/md/rdroot rdinit.timeout=10 init=/sbin/systemd" "${VM_DISK[@]}"
	expect_reached_as_systemd s_md
	expect '^RDTEST root=/dev/md[0-9]+ fstype=ext4 ' "/ to be the array"
	reject 'DEGRADED' "the array complete, not degraded"
	expect 'rdinit: shutdown: poweroff: /oldroot unmounted, 0 device-mapper devices and 0 arrays left; powering off' \
		"the shutdown program to unmount the root and stop the array"
}

# One mirror half missing: the array starts degraded after rd.retry= and says so
scenario_s_md_degraded() {
	sd_prepare || return
	sd_disks md_b
	vm_boot s_md_degraded "root=UUID=$SD_FS_MD rd.retry=3 rdinit.timeout=20" "${VM_DISK[@]}"
	expect_reached s_md
	expect 'started DEGRADED after rd.retry=3 s: 1 of 2 devices missing' \
		"the console to say the array started degraded"
}

# The second PV of rdvg2 is hot-added 3 s after the first is seen: the group is activated
# when it is complete, not before
scenario_s_lvm_late_pv() {
	sd_prepare || return
	local sock=$VM_OUT/s_lvm_late_pv.qmp
	sd_disks lvm2a
	vm_qmp_hotplug_later "$sock" "$VM_OUT/logs/s_lvm_late_pv.log" \
		'volume group rdvg2 incomplete' 3 "$SD/lvm2b.img" late
	vm_boot s_lvm_late_pv "root=/dev/rdvg2/root rdinit.timeout=30 rdinit.debug" \
		"${VM_DISK[@]}" -qmp "unix:$sock,server=on,wait=off"
	wait "$VM_QMP_PID" 2>/dev/null
	expect_reached s_lvm2
	expect 'volume group rdvg2 incomplete' "the first PV alone not to complete the group"
	expect 'volume group rdvg2 activated \(completed by /dev/vdb\)' \
		"the late PV to complete and activate the group"
}

# A wrong key file in the image, then the prompt given up with an empty line: the boot
# stops and the report names the device still locked, and why
scenario_s_luks_wrong_key() {
	sd_prepare || return
	local t=$VM_OUT/s_luks_wrong_key
	rm -rf "$t" && mkdir -p "$t"
	printf 'not-the-key' >"$t/wrong.key"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --include "$t/wrong.key:/etc/keys/root.key" \
		--output "$t/initrd.img" >/dev/null 2>&1 || { fail "mkrdinit to build"; return; }
	sd_disks luks2
	INITRD=$t/initrd.img sd_boot s_luks_wrong_key \
		"root=UUID=$SD_FS_LUKS2 rd.luks.key=/etc/keys/root.key rdinit.timeout=10 panic=-1" \
		"$SD_PROMPT" ""
	reject '^RDTEST' "no real init"
	expect_exited
	expect_report 'a LUKS device stays locked' "the report to say a LUKS device stays locked"
	expect_report "LUKS /dev/vda UUID=$SD_LUKS2: locked: key file /etc/keys/root.key did not open it" \
		"the report to name the device and the key file that failed"
	expect_report 'passphrase prompt given up' "the report to say the prompt was given up"
}

# A volume group missing a PV for good: the report lists it as incomplete
scenario_s_lvm_incomplete() {
	sd_prepare || return
	sd_disks lvm2a
	vm_boot s_lvm_incomplete "root=/dev/rdvg2/root rdinit.timeout=3 panic=-1" "${VM_DISK[@]}"
	reject '^RDTEST' "no real init"
	expect_exited
	expect_report 'LVM /dev/vda UUID=' "the report to list the PV"
	expect_report 'waiting: volume group rdvg2 incomplete: not activated' \
		"the report to say the group is incomplete"
}

# Two consoles, the serial line first: /dev/console is tty0 (the screen), yet the prompt is on
# the serial line too and the passphrase typed there unlocks the root. (The real init's output
# goes to tty0, so the kernel log says the boot went on.)
scenario_s_luks_two_consoles() {
	sd_prepare || return
	sd_disks luks2
	VM_CONSOLE="console=ttyS0 console=tty0" sd_boot s_luks_two_consoles \
		"root=UUID=$SD_FS_LUKS2 rdinit.timeout=10" "$SD_PROMPT" "$SD_PASS"
	expect_exited
	expect_fixed "Passphrase for /dev/vda (LUKS UUID $SD_LUKS2" "the prompt on the serial line"
	expect "rdinit: /dev/vda: unlocked as /dev/mapper/luks-$SD_LUKS2 \\(passphrase\\)" \
		"the passphrase typed on the serial line to unlock it"
	expect 'rdinit: handing over to /sbin/init' "the boot to go on to the real init"
	reject "$SD_PASS" "the passphrase never echoed"
}
