# The boot timeline: rdinit.debug prints it, and RD_TIMESTAMP reaches the real init (systemd gets
# the start through --deserialize instead: scn_systemd.sh).
# Sourced by tests/vm/run.sh.
# shellcheck shell=bash

SCENARIOS+=(t_timeline)

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
