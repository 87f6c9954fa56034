#!/bin/bash
# `make demo`: one verbose boot with the serial console shown live. Builds an ext4 root
# disk and the image (with build/mkrdinit), boots with root=LABEL=... rw and no `quiet`,
# then sums up what the root disk's test init reported. Exit status 0 only if the real
# init was reached as PID 1 (on the machine asked for: VM_ARCH=arm64 boots Debian's arm64
# kernel under qemu-system-aarch64, with build/arm64/rdinit in the image).
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/vm/lib.sh

vm_setup
img=$VM_OUT/disks/demo.img
mk_ext4 "$img" 6d656d6f-0000-4000-8000-64656d6f0001 RDDEMO demo
vm_vblk "$img"
echo "demo: booting $KVER ($VM_ARCH) with $INITRD (log: $VM_OUT/logs/demo.log)"
VM_TEE=1 vm_boot demo "root=LABEL=RDDEMO rw" "${VM_DISK[@]}"
echo

pid=$(vm_field pid) root=$(vm_field root) t=$(vm_field initrd_time) m=$(vm_field machine)
opts=$(sed -n 's/^RDTEST root=.* opts=\([^ ]*\).*/\1/p' "$VM_LOG" | head -n 1)
if [ "$pid" = 1 ] && [ "$m" = "$VM_UNAME" ] && grep -qx 'RDTEST done' "$VM_LOG"; then
	echo "demo: real init reached as PID 1 on $root ($opts), $m," \
		"after ${t}s in the initramfs (${VM_WALL}s wall)"
	exit 0
fi
if [ "$VM_RC" = 124 ] || [ "$VM_RC" = 137 ]; then
	echo "demo: FAILED: QEMU still running after ${VM_TIMEOUT}s; see $VM_LOG" >&2
else
	echo "demo: FAILED: the real init was not reached; see $VM_LOG" >&2
fi
exit 1
