# shellcheck shell=bash
# Image scenarios sourced by tests/vm/run.sh: every image mkrdinit can write must boot.
# Each scenario_i_* builds its own image into build/vm/ (mkrdinit, same kernel), makes an
# ext4 virtio disk, boots root=UUID= with that image and asserts testinit was reached.

SCENARIOS+=(i_zstd i_xz i_lz4 i_none i_profile_none i_keep_compressed i_decompressed)

# i_boot NAME UUID MKRDINIT-ARGS...: build build/vm/NAME.initrd.img with the arguments,
# boot it from an ext4 disk with UUID, and check the root was reached.
i_boot() {
	local name=$1 uuid=$2 img=$VM_OUT/disks/$1.img
	shift 2
	# vm_boot reads INITRD; a local one leaves the shared image to the other scenarios.
	local INITRD=$VM_OUT/$name.initrd.img
	rm -f "$INITRD"
	if ! "$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --output "$INITRD" "$@" \
		>"$VM_OUT/logs/$name.mkrdinit" 2>&1; then
		fail "mkrdinit $* to succeed ($(tail -n 3 "$VM_OUT/logs/$name.mkrdinit"))"
		return 1
	fi
	"$MKRDINIT" --list "$INITRD" >"$VM_OUT/logs/$name.list" ||
		fail "mkrdinit --list to read the image"
	mk_ext4 "$img" "$uuid" RDTEST_I "$name"
	vm_vblk "$img"
	vm_boot "$name" "root=UUID=$uuid ro ${I_APPEND:-}" "${VM_DISK[@]}"
	expect_reached "$name"
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=ro ' "/ to be /dev/vda mounted ro"
}

# i_magic NAME HEX DESCRIPTION: the compressed part of the image, after the uncompressed
# archive of .ko.zst modules, starts with these bytes (for "070701", the image does).
i_magic() {
	local got
	if [ "$2" = 303730373031 ]; then
		got=$(head -c 6 "$VM_OUT/$1.initrd.img" | od -An -tx1 | tr -d ' \n')
		[ "$got" = "$2" ] || fail "$3 (magic $2, got $got)"
		return
	fi
	off=$(python3 tests/bench/imgsize.py --split "$VM_OUT/$1.initrd.img")
	got=$(tail -c +$((off + 1)) "$VM_OUT/$1.initrd.img" | head -c $((${#2} / 2)) |
		od -An -tx1 | tr -d ' \n')
	[ "$got" = "$2" ] || fail "$3 (magic $2, got $got)"
	[ "$(head -c 6 "$VM_OUT/$1.initrd.img")" = 070701 ] ||
		fail "the .ko.zst modules in an uncompressed archive first"
}

scenario_i_zstd() {
	i_boot i_zstd 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a01 --compress zstd || return
	i_magic i_zstd 28b52ffd "a zstd image"
}

scenario_i_xz() {
	i_boot i_xz 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a02 --compress xz || return
	i_magic i_xz fd377a585a00 "an xz image"
	grep -Eq '/virtio_blk\.ko\.zst$' "$VM_OUT/logs/i_xz.list" ||
		fail ".ko.zst modules in the xz image too"
}

scenario_i_lz4() {
	i_boot i_lz4 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a03 --compress lz4 || return
	i_magic i_lz4 02214c18 "a legacy lz4 image"
}

scenario_i_none() {
	i_boot i_none 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a04 --compress none || return
	i_magic i_none 303730373031 "an uncompressed newc image"
	# one archive: the compressed part is past its end, so nothing there
	python3 tests/bench/imgsize.py "$VM_OUT/i_none.initrd.img" | awk '$1 != $2 { exit 1 }' ||
		fail "one uncompressed archive"
}

# The small image: only the disk driver and the root's filesystem (virtio_pci is built in).
scenario_i_profile_none() {
	i_boot i_profile_none 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a05 \
		--profile none --add-modules virtio_blk,ext4 || return
	grep -Eq '/(ahci|nvme|xfs)\.ko' "$VM_OUT/logs/i_profile_none.list" &&
		fail "only virtio_blk and ext4 (and their dependencies) in the image"
}

# Modules as shipped (.ko.xz): rdinit has the kernel decompress them.
scenario_i_keep_compressed() {
	I_APPEND="rdinit.debug loglevel=8" i_boot i_keep_compressed \
		0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a06 --keep-module-compression || return
	# this kernel decompresses xz itself (CONFIG_MODULE_DECOMPRESS, /sys/module/compression)
	expect 'rdinit: loaded ext4 from .*/ext4\.ko\.xz \(decompressed by the kernel\)$' \
		"ext4.ko.xz handed to the kernel to decompress"
	grep -Eq '/virtio_blk\.ko\.(xz|zst|gz)$' "$VM_OUT/logs/i_keep_compressed.list" ||
		fail "compressed modules in the image"
}

# Plain .ko modules in the default (gzip) image.
scenario_i_decompressed() {
	i_boot i_decompressed 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a07 --decompress-modules || return
	grep -Eq '/virtio_blk\.ko$' "$VM_OUT/logs/i_decompressed.list" ||
		fail "plain .ko modules in the image"
	grep -Eq '\.ko\.(xz|zst|gz)$' "$VM_OUT/logs/i_decompressed.list" &&
		fail "no compressed module left in the image"
}
