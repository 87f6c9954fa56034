# shellcheck shell=bash
# A real Debian 12 userspace with systemd as init, booted through rdinit: systemd's initrd
# interface (/run's mount options, the initrd start systemd-analyze shows) and a clean
# boot and shutdown. Sourced by tests/vm/run.sh.
#
# The root is mmdebstrap's minbase with systemd-sysv and udev (build-aux/debroot.sh, cached
# under build/vm/debian/), plus a unit that reports on the serial line once the boot is
# over and powers off. The 1 GiB ext4 image is built once per tarball and report unit, and
# each run boots a sparse copy of it, so every boot is a first boot (empty machine-id).
# Unpacking the tarball keeps its owners and device nodes: this scenario needs root.

SCENARIOS+=(systemd)

SD_DIR=build/vm/debian
SD_UUID=5d0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b

# sd_overlay DIR: what the test adds to the Debian tree. Part of the image's cache key.
sd_overlay() {
	local d=$1
	mkdir -p "$d/usr/local/sbin" "$d/etc/systemd/system/multi-user.target.wants"
	cat >"$d/usr/local/sbin/rdtest-report" <<'EOF'
#!/bin/sh
# rdinit's systemd scenario: once the boot is over, what it came to, on the serial line.
state=$(systemctl is-system-running --wait)
exec >/dev/ttyS0 2>&1
echo "RDTEST state=$state"
echo "RDTEST failed=[$(systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' ')]"
# mountinfo: per-mount options (6th field), then after "-": fstype, source, superblock options
awk '$5 == "/run" { i = 7; while ($i != "-") i++; print "RDTEST run=" $6 " " $(i + 1) " " $(i + 3) }' \
	/proc/self/mountinfo
echo "RDTEST initrd_usec=$(systemctl show -P InitRDTimestampMonotonic)"
echo "RDTEST rdinit_start=$(head -n 1 /run/rdinit/timings | cut -d ' ' -f 1)"
echo "RDTEST machine_id=$(cat /etc/machine-id)"
systemd-analyze 2>&1 | sed 's/^/RDTEST analyze: /'
echo "RDTEST done"
systemctl poweroff
EOF
	chmod 0755 "$d/usr/local/sbin/rdtest-report"
	# Type=simple: started at once, so the boot can finish while it waits for the end
	cat >"$d/etc/systemd/system/rdtest-report.service" <<'EOF'
[Unit]
Description=rdinit test: report the boot on ttyS0, then power off

[Service]
ExecStart=/usr/local/sbin/rdtest-report

[Install]
WantedBy=multi-user.target
EOF
	ln -sf ../rdtest-report.service "$d/etc/systemd/system/multi-user.target.wants/"
	# Nobody is at the console: no first-boot questions, and no getty to hang up ttyS0
	# under the report (agetty's vhangup() would cut the report's open file).
	ln -sf /dev/null "$d/etc/systemd/system/systemd-firstboot.service"
	ln -sf /dev/null "$d/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$d/etc/systemd/system/getty@tty1.service"
	rm -f "$d/etc/systemd/system/getty.target.wants/getty@tty1.service"
}

# sd_image OUT: a fresh copy of the cached pristine image at OUT; returns 1 on failure
# (after saying why).
sd_image() {
	local tar key pristine stage
	tar=$(sh build-aux/debroot.sh "$SD_DIR") || return 1
	key=$({ basename "$tar" && declare -f sd_overlay; } | sha256sum | cut -c1-12)
	pristine=$SD_DIR/root-$key.ext4
	if [ ! -s "$pristine" ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "systemd: unpacking the Debian tree needs root" >&2
			return 1
		fi
		stage=$SD_DIR/stage.$$
		rm -rf "$stage" "$pristine.tmp"
		mkdir -p "$stage"
		tar -xpf "$tar" --numeric-owner -C "$stage" || return 1
		sd_overlay "$stage"
		truncate -s 1G "$pristine.tmp"
		mkfs.ext4 -q -F -d "$stage" -U "$SD_UUID" -L RDTEST_SYSTEMD -E root_owner=0:0 \
			"$pristine.tmp" || return 1
		rm -rf "$stage"
		mv -f "$pristine.tmp" "$pristine"
	fi
	cp --sparse=always "$pristine" "$1"
}

scenario_systemd() {
	local img=$VM_OUT/disks/systemd.img start usec fsck rc
	sd_image "$img" || {
		fail "the Debian image to be built (build-aux/debroot.sh, mkfs.ext4 -d)"
		return
	}
	vm_vblk "$img"
	# systemd reaches 'running' in about 13 s of guest time under TCG; a loaded host is slower
	VM_TIMEOUT=${SYSTEMD_VM_TIMEOUT:-300} vm_boot systemd "root=UUID=$SD_UUID rw quiet" \
		"${VM_DISK[@]}"
	expect_exited
	[ "$VM_RC" = 0 ] || fail "QEMU to exit with status 0 after systemd's poweroff (status $VM_RC)"
	expect_line 'RDTEST done' "the report unit to run to its end"
	expect_line 'RDTEST state=running' "systemd's state to be 'running'"
	expect_line 'RDTEST failed=[]' "no failed units"
	# strictatime is the absence of relatime and noatime among the per-mount options
	expect '^RDTEST run=rw,nosuid,nodev tmpfs (.*,)?mode=755(,|$)' \
		"/run: rdinit's tmpfs, rw,nosuid,nodev (strictatime: no relatime), mode=755"
	expect '^RDTEST analyze: Startup finished in .* \(kernel\) \+ .* \(initrd\) \+ .* \(userspace\)' \
		"systemd-analyze to show the initrd's part"
	# the initrd timestamp systemd has is rdinit's own start (/run/rdinit/timings' first row)
	start=$(vm_field rdinit_start)
	usec=$(vm_field initrd_usec)
	if [ -z "$start" ] || [ "$usec" != "$(awk -v s="$start" 'BEGIN { printf "%.0f", s * 1e6 }')" ]; then
		fail "systemd's InitRDTimestampMonotonic ($usec) to be rdinit's start ($start s)"
	fi
	expect '^RDTEST machine_id=[0-9a-f]{32}$' "a machine-id set up on the first boot"
	# systemd-shutdown went back into the initramfs: rdinit's /run/initramfs/shutdown unmounted
	# the old root and powered off
	expect 'rdinit: shutdown: poweroff: /oldroot unmounted, 0 device-mapper devices and 0 arrays left; powering off' \
		"rdinit's shutdown program to unmount the old root and power off"
	# and left the root clean: nothing to recover or fix
	fsck=$(e2fsck -fn "$img" 2>&1)
	rc=$?
	echo "$fsck" >>"$VM_LOG.cmd"
	if [ "$rc" != 0 ] || ! grep -q '^RDTEST_SYSTEMD: [0-9]*/[0-9]* files' <<<"$fsck"; then
		fail "e2fsck -fn to find the root clean after the poweroff (status $rc, $VM_LOG.cmd)"
	fi
	dumpe2fs -h "$img" 2>/dev/null | grep -Eq '^Filesystem state: +clean$' ||
		fail "the root's superblock to say clean (unmounted or read-only at the poweroff)"
}
