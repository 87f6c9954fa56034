# More root= and wait semantics: device names on other buses, rootwait and rootdelay past
# rdinit.timeout with a disk that arrives late, rootflags=defaults, and /etc/rdinit.conf.
# Sourced by tests/vm/run.sh (after scn_root.sh and scn_boot.sh, whose helpers it uses).
# shellcheck shell=bash

SCENARIOS+=(m_sd_partition m_nvme_partition m_rootwait_late m_rootdelay_late m_rootflags_defaults
	m_conf_file m_btrfs_xxhash m_parallel m_cpu_features)

# root=/dev/sdXN: a partitioned disk on virtio-scsi.
scenario_m_sd_partition() {
	local img=$VM_OUT/disks/m_sd.img
	r_parted "$img" gpt m_sd_partition
	vm_boot m_sd_partition "root=/dev/sda2" -drive "file=$img,format=raw,if=none,id=d" \
		-device virtio-scsi-pci -device scsi-hd,drive=d
	expect_reached m_sd_partition
	expect '^RDTEST root=/dev/sda2 fstype=ext4 opts=ro ' "/ to be /dev/sda2"
}

# root=/dev/nvme0n1pN
scenario_m_nvme_partition() {
	local img=$VM_OUT/disks/m_nvme.img
	r_parted "$img" gpt m_nvme_partition
	vm_boot m_nvme_partition "root=/dev/nvme0n1p2 rw" \
		-drive "file=$img,format=raw,if=none,id=d" -device nvme,serial=n1,drive=d
	expect_reached m_nvme_partition
	expect '^RDTEST root=/dev/nvme0n1p2 fstype=ext4 opts=rw ' "/ to be /dev/nvme0n1p2 rw"
}

# m_late NAME APPEND: the root disk is hot-added 3 s after rdinit starts waiting, well past
# rdinit.timeout=1; only the wait option in APPEND lets the boot succeed.
m_late() {
	local name=$1 append=$2 uuid=$3 sock=$VM_OUT/logs/$1.qmp
	s_disk "$name" "$uuid"
	vm_qmp_hotplug_later "$sock" "$VM_OUT/logs/$name.log" "rdinit: looking for root=" 3 "$S_IMG"
	vm_boot "$name" "root=UUID=$uuid rdinit.timeout=1 $append" \
		-qmp "unix:$sock,server=on,wait=off"
	kill "$VM_QMP_PID" 2>/dev/null
	wait "$VM_QMP_PID" || fail "the QMP hot-add to succeed (see $sock.out)"
	expect_reached "$name"
	expect_root /dev/vda ro
	reject 'rdinit: root device not found' "no failure report: the wait outlasts rdinit.timeout"
}

scenario_m_rootwait_late() {
	m_late m_rootwait_late rootwait 3c4d5e6f-0101-4a00-8000-000000000101
}

scenario_m_rootdelay_late() {
	m_late m_rootdelay_late rootdelay=30 3c4d5e6f-0102-4a00-8000-000000000102
}

scenario_m_rootflags_defaults() {
	s_disk m_rootflags_defaults 3c4d5e6f-0103-4a00-8000-000000000103
	vm_vblk "$S_IMG"
	vm_boot m_rootflags_defaults "root=UUID=3c4d5e6f-0103-4a00-8000-000000000103 \
rootflags=defaults,noatime rw" "${VM_DISK[@]}"
	expect_reached m_rootflags_defaults
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw mntopts=[^ ]*noatime' \
		"rootflags=defaults,noatime: mounted rw with noatime"
}

# /etc/rdinit.conf supplies root= and rw; the command line overrides rw with ro. A bad line
# in the file is reported with its number and does not stop the boot.
scenario_m_conf_file() {
	local conf=$VM_OUT/m_conf.conf initrd=$VM_OUT/m_conf.img
	s_disk m_conf_file 3c4d5e6f-0104-4a00-8000-000000000104 RDTEST_CONF
	printf '# from mkrdinit --config\nroot=LABEL=RDTEST_CONF\nrw\nrdinit.timeout=7\nno such setting\n' >"$conf"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --config "$conf" --output "$initrd" \
		>/dev/null || { fail "mkrdinit --config to build the image"; return; }
	vm_vblk "$S_IMG"
	INITRD=$initrd vm_boot m_conf_file "ro" "${VM_DISK[@]}"
	expect_reached m_conf_file
	expect_root /dev/vda ro
	expect "rdinit: /etc/rdinit.conf:5: ignoring unknown setting 'no such setting'" \
		"the bad line reported with its number"
}

# A btrfs with xxhash checksums mounts only with xxhash64 loaded: btrfs names it in its third
# softdep line, which libkmod alone would not see.
scenario_m_btrfs_xxhash() {
	local img=$VM_OUT/disks/m_btrfs_xxhash.img
	BTRFS_MKFS_ARGS="--csum xxhash" mk_btrfs "$img" 3c4d5e6f-0105-4a00-8000-000000000105 \
		RDTEST_XXH m_btrfs_xxhash
	vm_vblk "$img"
	vm_boot m_btrfs_xxhash "root=LABEL=RDTEST_XXH rdinit.debug" "${VM_DISK[@]}"
	ROOTDIR=bin,dev,etc,proc,run,sbin,sys,tmp expect_reached m_btrfs_xxhash
	expect '^RDTEST root=/dev/vda fstype=btrfs opts=ro ' "/ to be the btrfs on /dev/vda"
	expect 'rdinit: .*loaded xxhash(64|_generic)$' "xxhash64 loaded for btrfs"
}

# Two CPUs: modules load on worker threads, each only after what it depends on.
# loads_overlap LOG: two modules' loads (from "loading X" to "loaded X" in the rdinit.debug
# timeline) overlap in time; prints the first such pair.
loads_overlap() {
	sed -n 's/.*rdinit: *\([0-9.]*\) s .* \(loading\|loaded\) \([^ ]*\)$/\1 \2 \3/p' "$1" |
		awk '$2 == "loading" { start[$3] = $1 } $2 == "loaded" { end[$3] = $1 }
		END {
			for (a in start) for (b in start)
				if (a < b && (a in end) && (b in end) &&
				    start[a] < end[b] && start[b] < end[a]) {
					print a, start[a], end[a], b, start[b], end[b]; exit 0
				}
			exit 1
		}'
}

scenario_m_parallel() {
	local t_ext4 t_dep dep pair
	s_disk m_parallel 3c4d5e6f-0106-4a00-8000-000000000106
	vm_vblk "$S_IMG"
	vm_boot m_parallel "root=UUID=3c4d5e6f-0106-4a00-8000-000000000106 rdinit.debug \
${M_PARALLEL_APPEND:-}" -smp 2 "${VM_DISK[@]}"
	expect_reached m_parallel
	expect_root /dev/vda ro
	expect '^\[ *[0-9.]+\] smpboot: Total of 2 processors activated' "a guest with two CPUs"
	t_ext4=$(sed -n 's/.*rdinit: *\([0-9.]*\) s .* loaded ext4$/\1/p' "$VM_LOG")
	[ -n "$t_ext4" ] || { fail "ext4 in the timeline"; return; }
	for dep in jbd2 mbcache crc16; do
		t_dep=$(sed -n "s/.*rdinit: *\([0-9.]*\) s .* loaded $dep\$/\1/p" "$VM_LOG")
		if [ -z "$t_dep" ] || ! awk -v a="$t_dep" -v b="$t_ext4" 'BEGIN { exit !(a <= b) }'; then
			fail "$dep (at ${t_dep:-never}) to be loaded before ext4 (at $t_ext4)"
		fi
	done
	# the point of the workers: two loads at once (fails with rdinit.workers=1)
	if pair=$(loads_overlap "$VM_LOG"); then
		echo "m_parallel: overlapping loads: $pair"
	else
		fail "two module loads to overlap in time"
	fi
}

# Softdeps for CPU features this CPU lacks are not tried: ext4's "crypto-crc32c" softdep
# names crc32c_intel (cpu: alias for SSE4.2) and crc32c_generic. QEMU's default CPU (qemu64)
# has no SSE4.2, where trying crc32c_intel only failed with ENODEV after 53 ms; -cpu max has
# it, and there crc32c_intel must load.
scenario_m_cpu_features() {
	local uuid=3c4d5e6f-0107-4a00-8000-000000000107
	s_disk m_cpu_features $uuid
	vm_vblk "$S_IMG"
	vm_boot m_cpu_features "root=UUID=$uuid rdinit.debug loglevel=8" "${VM_DISK[@]}"
	expect_reached m_cpu_features
	expect 'rdinit: not loading crc32c_intel: its cpu: aliases match none of this CPU' \
		"crc32c_intel left out on a CPU without SSE4.2"
	expect 'rdinit: .*loaded crc32c_generic$' "crc32c_generic loaded in its place"
	# the default image: .ko.zst, which this kernel (xz only) leaves to rdinit
	expect 'rdinit: loaded ext4 from .*/ext4\.ko\.zst \(decompressed by rdinit\)$' \
		"ext4.ko.zst decompressed by rdinit"
	reject 'loaded crc32c_intel|loading module crc32c_intel failed' "no attempt at crc32c_intel"
	vm_boot m_cpu_features_max "root=UUID=$uuid rdinit.debug loglevel=8" -cpu max \
		"${VM_DISK[@]}"
	expect_reached m_cpu_features
	expect 'rdinit: .*loaded crc32c_intel$' "crc32c_intel loaded on a CPU with SSE4.2"
	reject 'not loading crc32c_intel' "crc32c_intel not left out on a CPU with SSE4.2"
}
