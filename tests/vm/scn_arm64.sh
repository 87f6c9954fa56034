# shellcheck shell=bash
# What arm64 machines boot from, sourced by tests/vm/run.sh (run with -a arm64; m_sd runs on
# x86-64 too). QEMU's "virt" board describes its devices in a device tree, so a virtio-mmio
# transport is found by an "of:" modalias, not a PCI ID.

# A root on virtio-blk over MMIO (virtio-blk-device: how ARM boards and Firecracker-style
# VMMs attach disks), not PCI: the disk appears only once coldplug has loaded virtio_mmio
# for the device tree's "virtio,mmio" node.
scenario_m_virtio_mmio() {
	local img=$VM_OUT/disks/m_virtio_mmio.img uuid=4d4d494f-0001-4a00-8000-000000000001
	mk_ext4 "$img" "$uuid" RDTEST_MMIO m_virtio_mmio
	vm_boot m_virtio_mmio "root=UUID=$uuid rw" \
		-drive "file=$img,format=raw,if=none,id=d" -device virtio-blk-device,drive=d
	expect_reached m_virtio_mmio
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw ' "/ to be /dev/vda mounted rw"
	expect '^RDTEST runfile=timings:.* loaded virtio_mmio$' "rdinit to have loaded virtio_mmio"
}

# A root on an SD card (mmcblk0), as single-board computers boot: QEMU's SD host controller
# on PCI (sdhci-pci, then sdhci and the card's block driver)
scenario_m_sd() {
	local img=$VM_OUT/disks/m_sd.img uuid=4d4d494f-0002-4a00-8000-000000000002
	# an SD card's size is a power of two
	DISK_SIZE=32M mk_ext4 "$img" "$uuid" RDTEST_SD m_sd
	vm_boot m_sd "root=LABEL=RDTEST_SD ro" \
		-drive "file=$img,format=raw,if=none,id=d" -device sdhci-pci -device sd-card,drive=d
	expect_reached m_sd
	expect '^RDTEST root=/dev/mmcblk0 fstype=ext4 opts=ro ' "/ to be /dev/mmcblk0 mounted ro"
	expect '^RDTEST runfile=timings:.* loaded sdhci_pci$' "rdinit to have loaded sdhci_pci"
}

ARM64_SCENARIOS+=(m_virtio_mmio m_sd)
