# Compressed modules on a kernel that cannot decompress them (Debian's 6.1 kernels have no
# CONFIG_MODULE_DECOMPRESS): /init must decompress xz and zstd modules itself, with the
# decoders linked into it. Sourced by tests/vm/run.sh.
# shellcheck shell=bash

SCENARIOS+=(z_userspace_decompress)

# The 6.1 kernel build-aux/sources.lock pins, unpacked and depmod'ed (cached like the main
# kernel).
z_old_kernel() {
	local ver line
	ver=$(awk '$1 == "deb" && $2 ~ /^linux-image-6\.1\.0-[0-9]+-amd64-unsigned:amd64$/ {
		sub(/^linux-image-/, "", $2); sub(/-unsigned:amd64$/, "", $2); print $2; exit }' \
		build-aux/sources.lock)
	[ -n "$ver" ] || return 1
	line=$(KVER=$ver sh build-aux/kernel.sh build/kernel) || return 1
	read -r ZKVER ZKDIR <<<"$line"
}

scenario_z_userspace_decompress() {
	local tree=$VM_OUT/z-kernel img=$VM_OUT/disks/z.img initrd=$VM_OUT/z-initrd.img
	local mods m i=0 f
	z_old_kernel || { fail "the 6.1 kernel build-aux/sources.lock pins"; return; }
	if grep -q '^CONFIG_MODULE_DECOMPRESS=y' "$ZKDIR/boot/config-$ZKVER"; then
		fail "the 6.1 kernel to lack CONFIG_MODULE_DECOMPRESS (the point of this test)"
		return
	fi
	# A copy of the module tree (hard links) where the modules the root needs are compressed
	# by us, in turn with xz and zstd, so both decoders in /init are used. (Not gzip: Debian's
	# own depmod is built without zlib and would not index .ko.gz files.)
	rm -rf "$tree" && mkdir -p "$tree/lib/modules"
	cp -al "$ZKDIR/lib/modules/$ZKVER" "$tree/lib/modules/$ZKVER" || { fail "the tree copy"; return; }
	mods=$(modprobe -d "$ZKDIR" -S "$ZKVER" --show-depends -a virtio_pci virtio_blk ext4 \
		crc32c_generic | awk '$1 == "insmod" { print $2 }' | sort -u)
	for m in $mods; do
		f=$tree/lib/modules/$ZKVER/${m#"$ZKDIR"/lib/modules/"$ZKVER"/}
		case $((i++ % 2)) in
		0) xz -c "$m" >"$f.xz" ;;
		1) zstd -q -c "$m" >"$f.zst" ;;
		esac
		rm -f "$f"
	done
	depmod -b "$tree" "$ZKVER" || { fail "depmod on the compressed tree"; return; }
	rm -f "$initrd"
	"$MKRDINIT" --kver "$ZKVER" --basedir "$tree" --profile none --keep-module-compression \
		--add-modules virtio_pci,virtio_blk,ext4,crc32c_generic --output "$initrd" \
		>/dev/null || { fail "mkrdinit to build the image"; return; }
	"$MKRDINIT" --list "$initrd" >"$VM_OUT/logs/z_list.txt"
	for ext in xz zst; do
		grep -q "\.ko\.$ext\$" "$VM_OUT/logs/z_list.txt" ||
			fail "the image to carry .ko.$ext modules (see $VM_OUT/logs/z_list.txt)"
	done
	mk_ext4 "$img" b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e RDTEST_Z z_decompress
	vm_vblk "$img"
	local saved_vmlinuz=$VMLINUZ saved_initrd=$INITRD
	VMLINUZ=$ZKDIR/boot/vmlinuz-$ZKVER INITRD=$initrd
	vm_boot z_userspace_decompress "root=LABEL=RDTEST_Z rdinit.debug loglevel=8" "${VM_DISK[@]}"
	VMLINUZ=$saved_vmlinuz INITRD=$saved_initrd
	expect_reached z_decompress
	expect 'rdinit: .*loaded ext4$' "ext4 loaded from a compressed file"
	expect 'rdinit: loaded [a-z0-9_]+ from .*\.ko\.xz \(decompressed by rdinit\)$' \
		"an xz module decompressed by rdinit"
	expect 'rdinit: loaded [a-z0-9_]+ from .*\.ko\.zst \(decompressed by rdinit\)$' \
		"a zstd module decompressed by rdinit"
	expect 'rdinit: .*loaded virtio_blk$' "virtio_blk loaded from a compressed file"
	# crc32c_intel may fail with ENODEV under TCG (no SSE4.2): a softdep, not ours
	reject 'loading module (virtio|ext4|jbd2|mbcache|crc16)[^ ]* failed' "no needed module to fail"
}
