# shellcheck shell=bash
# Separate /usr and x-initrd.mount: after the root, rdinit mounts what the root's
# /etc/fstab says the initramfs must (/usr, and entries marked x-initrd.mount), each on its
# own disk, marked with an rdtest-mark file that testinit reports ("RDTEST mark=/usr:NAME").
# Sourced by tests/vm/run.sh.

SCENARIOS+=(u_split_usr u_usr_late u_usr_missing u_usr_wrong_type)

U_ROOT=1f2e3d4c-0001-4b00-8000-0000000000aa
U_USR=1f2e3d4c-0002-4b00-8000-0000000000bb

# The root's tree plus the usual mount points a split system has.
U_ROOTDIR=bin,dev,etc,home,lost+found,opt,proc,run,sbin,srv,sys,tmp,usr

# u_root IMG NAME FSTAB: a root disk (mkdisk.sh's tree) whose /etc/fstab is FSTAB.
u_root() {
	local stage=$1.root
	stage_root "$stage" "$2"
	mkdir -p "$stage/usr" "$stage/srv" "$stage/home" "$stage/opt"
	printf '%s\n' "$3" >"$stage/etc/fstab"
	new_image "$1" "$DISK_SIZE"
	mkfs.ext4 -q -F -d "$stage" -U "$U_ROOT" -L RDTEST_UROOT -E root_owner=0:0 "$1" ||
		mkdisk_die "mkfs.ext4 failed for $1"
	rm -rf "$stage"
}

# u_fs IMG UUID LABEL MARK: an ext4 filesystem holding only rdtest-mark, which says MARK.
u_fs() {
	local stage=$1.root
	rm -rf "$stage"
	mkdir -p "$stage"
	echo "$4" >"$stage/rdtest-mark"
	new_image "$1" 8M
	mkfs.ext4 -q -F -d "$stage" -U "$2" -L "$3" -E root_owner=0:0 "$1" ||
		mkdisk_die "mkfs.ext4 failed for $1"
	rm -rf "$stage"
}

# The fstab of a split system: / and /usr by UUID, /srv by LABEL for the initramfs, /home
# (for the real system only), /opt for the initramfs but nofail and on no disk at all,
# and noauto and swap lines rdinit must leave alone.
U_FSTAB="# <file system> <mount point> <type> <options> <dump> <pass>
UUID=$U_ROOT / ext4 defaults 0 1

UUID=$U_USR	/usr	ext4	ro,noatime,x-systemd.device-timeout=30	0	2
LABEL=RD_SRV /srv auto rw,nodev,x-initrd.mount 0 2
LABEL=RD_HOME /home ext4 defaults 0 2
LABEL=RD_NONE /opt ext4 x-initrd.mount,nofail 0 2
LABEL=RD_HOME /mnt ext4 noauto 0 0
/dev/vdz none swap sw 0 0
a line that is not one at all
"

# u_expect_booted NAME: testinit ran from the split root and reported in full.
u_expect_booted() {
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line 'RDTEST done' "testinit's report to be complete"
	expect_line "RDTEST marker=$1" "the root to be test disk '$1'"
	expect_line "RDTEST rootdir=$U_ROOTDIR" "/ to list the split root's files"
}

# (1) and (2): /usr by UUID on a second disk, with the fstab's options; /srv by LABEL,
# x-initrd.mount, on a third; /home (a plain entry) on a fourth, left to the real system;
# /opt is nofail and its device never appears: reported, and the boot goes on.
scenario_u_split_usr() {
	local d=$VM_OUT/disks
	u_root "$d/u_split_root.img" u_split_usr "$U_FSTAB"
	u_fs "$d/u_split_usr.img" "$U_USR" RD_USR usr-disk
	u_fs "$d/u_split_srv.img" 1f2e3d4c-0003-4b00-8000-0000000000cc RD_SRV srv-disk
	u_fs "$d/u_split_home.img" 1f2e3d4c-0004-4b00-8000-0000000000dd RD_HOME home-disk
	local disks=() i=0 img
	for img in root usr srv home; do
		vm_vblk "$d/u_split_$img.img" "d$i"
		disks+=("${VM_DISK[@]}")
		i=$((i + 1))
	done
	vm_boot u_split_usr "root=UUID=$U_ROOT rdinit.timeout=3" "${disks[@]}"
	u_expect_booted u_split_usr
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=ro ' "/ to be /dev/vda"
	expect_line 'RDTEST mark=/usr:usr-disk' "/usr to show the /usr disk"
	expect '^RDTEST mount=/usr fstype=ext4 source=/dev/vdb opts=ro,noatime$' \
		"/usr mounted from /dev/vdb with the fstab's ro,noatime"
	expect_line 'RDTEST mark=/srv:srv-disk' "/srv (x-initrd.mount, LABEL=) to be mounted"
	expect '^RDTEST mount=/srv fstype=ext4 source=/dev/vdc opts=rw,nodev,' \
		"/srv mounted rw,nodev from /dev/vdc, its type probed (auto)"
	reject '^RDTEST mark=/home:' "/home (no x-initrd.mount) not to be mounted by rdinit"
	reject '^RDTEST mount=/(home|mnt) ' "neither /home nor the noauto /mnt to be mounted"
	expect_report 'device for /opt not found: LABEL=RD_NONE (LABEL, /etc/fstab line 7 of /dev/vda)' \
		"the missing nofail device reported with its fstab line"
	expect_report '/opt is nofail: going on without it' "nofail to let the boot go on"
	expect_report '/etc/fstab:10: ignoring a line with more than 6 fields (2 to 6 expected)' \
		"the malformed fstab line reported with its number"
	reject 'rdinit: .*(vdz|swap)' "the swap line to be left alone"
}

# /usr's disk appears only once rdinit waits for it: the wait follows uevents, as the
# root's does.
scenario_u_usr_late() {
	local d=$VM_OUT/disks sock=$VM_OUT/logs/u_usr_late.qmp log=$VM_OUT/logs/u_usr_late.log
	u_root "$d/u_late_root.img" u_usr_late "UUID=$U_ROOT / ext4 defaults 0 1
UUID=$U_USR /usr ext4 ro 0 2"
	u_fs "$d/u_late_usr.img" "$U_USR" RD_USR usr-late
	vm_vblk "$d/u_late_root.img"
	vm_qmp_hotplug_later "$sock" "$log" "rdinit: looking for UUID=$U_USR" 1.5 \
		"$d/u_late_usr.img"
	vm_boot u_usr_late "root=UUID=$U_ROOT rdinit.timeout=30" "${VM_DISK[@]}" \
		-qmp "unix:$sock,server=on,wait=off"
	kill "$VM_QMP_PID" 2>/dev/null
	wait "$VM_QMP_PID" || fail "the QMP hot-add to succeed (see $sock.out)"
	cat "$sock.out" >>"$VM_LOG.cmd"
	u_expect_booted u_usr_late
	expect_line 'RDTEST mark=/usr:usr-late' "/usr to be the hot-added disk"
	expect '^RDTEST mount=/usr fstype=ext4 source=/dev/vdb opts=ro,' "/usr from /dev/vdb, ro"
	expect_order "rdinit: looking for UUID=$U_USR" 'virtio_blk virtio[0-9]+: \[vdb\]' \
		"rdinit to wait for /usr before its disk appeared"
}

# (3) /usr's device never appears: reported like a missing root (what was looked for,
# what was seen), then the failure policy (panic=-1: reboot).
scenario_u_usr_missing() {
	local d=$VM_OUT/disks
	u_root "$d/u_missing_root.img" u_usr_missing "UUID=$U_ROOT / ext4 defaults 0 1
UUID=$U_USR /usr ext4 ro 0 2"
	vm_vblk "$d/u_missing_root.img"
	vm_boot u_usr_missing "root=UUID=$U_ROOT rdinit.timeout=2 panic=-1" "${VM_DISK[@]}"
	expect_gave_up
	expect_report "device for /usr not found: UUID=$U_USR (UUID, /etc/fstab line 2 of /dev/vda), waited 2 s" \
		"the report to name the fstab entry awaited"
	expect_report "saw /dev/vda 254:0 size=33554432 TYPE=\"ext4\" UUID=\"$U_ROOT\"" \
		"the report to list the device seen"
}

# /usr's device is there but not the type the fstab says: the mount failure is reported
# with the entry, and the failure policy follows.
scenario_u_usr_wrong_type() {
	local d=$VM_OUT/disks
	u_root "$d/u_wrong_root.img" u_usr_wrong_type "UUID=$U_ROOT / ext4 defaults 0 1
LABEL=RD_USR /usr vfat ro,x-systemd.automount 0 2"
	u_fs "$d/u_wrong_usr.img" "$U_USR" RD_USR usr-disk
	local disks=()
	vm_vblk "$d/u_wrong_root.img" d0
	disks+=("${VM_DISK[@]}")
	vm_vblk "$d/u_wrong_usr.img" d1
	disks+=("${VM_DISK[@]}")
	vm_boot u_usr_wrong_type "root=UUID=$U_ROOT rdinit.timeout=5 panic=-1" "${disks[@]}"
	expect_gave_up
	expect_report 'cannot mount /dev/vdb on /usr (/etc/fstab line 2 of /dev/vda: LABEL=RD_USR, TYPE=vfat, options ro,x-systemd.automount): ' \
		"the mount failure reported with the fstab entry"
}
