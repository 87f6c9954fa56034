# The boot timeline: rdinit.debug prints it, and RD_TIMESTAMP reaches the real init (systemd gets
# the start through --deserialize instead: scn_systemd.sh).
# Sourced by tests/vm/run.sh.
# shellcheck shell=bash

SCENARIOS+=(t_timeline t_slow_beside)

scenario_t_timeline() {
	local img=$VM_OUT/disks/t_timeline.img
	mk_ext4 "$img" a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d RDTEST_T t_timeline
	vm_vblk "$img"
	vm_boot t_timeline "root=LABEL=RDTEST_T rdinit.debug" "${VM_DISK[@]}"
	expect_reached t_timeline
	expect 'rdinit: +[0-9]+\.[0-9]{3} s  \+ +[0-9]+ ms  start$' "the timeline's first row"
	expect 'rdinit: +[0-9]+\.[0-9]{3} s  \+ +[0-9]+ ms  loaded virtio_blk$' "a row per module"
	expect 'rdinit: +[0-9]+\.[0-9]{3} s  \+ +[0-9]+ ms  root mounted$' "the root mount's row"
	expect 'rdinit: +[0-9]+\.[0-9]{3} s  \+ +[0-9]+ ms  exec init$' "the last row"
	expect '^RDTEST env=RD_TIMESTAMP=[0-9]+ [0-9]+$' "RD_TIMESTAMP, the initramfs start"
}

# QEMU's default PC carries a PIIX IDE controller beside the virtio root disk: ata_piix takes a
# while to probe its ports (a quarter of a second on Debian's 6.1 kernel under TCG), and nothing
# ties it to virtio_blk. The timeline must show virtio_blk's load starting before ata_piix's has
# ended: the root's driver never waits behind an unrelated one. (Read from the timeline's
# order, not its durations.)
scenario_t_slow_beside() {
	local img=$VM_OUT/disks/t_slow_beside.img rows
	mk_ext4 "$img" a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e RDTEST_S t_slow_beside
	vm_vblk "$img"
	vm_boot t_slow_beside "root=LABEL=RDTEST_S rdinit.debug" "${VM_DISK[@]}"
	expect_reached t_slow_beside
	rows=$(sed -nE 's/.*rdinit: +([0-9]+\.[0-9]{3}) s  \+ +[0-9]+ ms  (loading|loaded) (ata_piix|virtio_blk)$/\2 \3 \1/p' "$VM_LOG")
	awk -v rows="$rows" 'BEGIN {
		n = split(rows, l, "\n")
		for (i = 1; i <= n; i++) { split(l[i], f, " "); at[f[1] " " f[2]] = f[3] }
		if (!("loaded ata_piix" in at) || !("loading virtio_blk" in at)) exit 2
		exit !(at["loading virtio_blk"] + 0 < at["loaded ata_piix"] + 0)
	}'
	case $? in
	0) echo "t_slow_beside: virtio_blk started loading while ata_piix was still loading" ;;
	2) fail "the timeline to show ata_piix and virtio_blk loading; saw: $(echo "$rows" | tr '\n' ';')" ;;
	*) fail "virtio_blk's load to start before ata_piix's ended; saw: $(echo "$rows" | tr '\n' ';')" ;;
	esac
}
