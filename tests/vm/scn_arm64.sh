# shellcheck shell=bash
# What only an arm64 machine has, sourced by tests/vm/run.sh (run with -a arm64). QEMU's
# "virt" board describes its devices in a device tree, so these drivers are found by "of:"
# modaliases, not PCI IDs.

# A root on virtio-blk over MMIO (virtio-blk-device: how ARM boards and Firecracker-style
# VMMs attach disks), not PCI: the disk appears only once coldplug has loaded virtio_mmio
# for the device tree's "virtio,mmio" node.
scenario_m_virtio_mmio() {
	if [ "$VM_ARCH" != arm64 ]; then
		fail "to run on arm64 (tests/vm/run.sh -a arm64 m_virtio_mmio)"
		return
	fi
	local img=$VM_OUT/disks/m_virtio_mmio.img uuid=4d4d494f-0001-4a00-8000-000000000001
	mk_ext4 "$img" "$uuid" RDTEST_MMIO m_virtio_mmio
	vm_boot m_virtio_mmio "root=UUID=$uuid rw" \
		-drive "file=$img,format=raw,if=none,id=d" -device virtio-blk-device,drive=d
	expect_reached m_virtio_mmio
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw ' "/ to be /dev/vda mounted rw"
	expect '^RDTEST runfile=timings:.* loaded virtio_mmio$' "rdinit to have loaded virtio_mmio"
}
ARM64_SCENARIOS+=(m_virtio_mmio)
