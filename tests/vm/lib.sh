# shellcheck shell=bash
# Shared by tests/vm/run.sh and tests/vm/demo.sh (bash, sourced from the repository root).
#
# vm_set_arch ARCH the machine the VMs are (x86_64, the default, or arm64: VM_ARCH in the
#                  environment chooses it too): QEMU, its machine arguments, the serial
#                  console, the kernel's architecture, the testinit compiler, VM_OUT,
#                  VM_UNAME (what uname -m says in the VM), VM_RDINIT and VM_STACKS (this
#                  machine's rdinit and stack tools, for images made other than by default)
# vm_busybox       prints the path of a static busybox for the VM's machine
# vm_setup         the kernel (build-aux/kernel.sh), testinit, and the image from mkrdinit
# vm_vblk IMG [ID] sets the array VM_DISK: QEMU arguments attaching IMG as virtio-blk
# vm_boot NAME APPEND [QEMU ARGS...]
#                  boots once (command line: $VM_CONSOLE, default console=$VM_TTY, then
#                  panic=-1 and APPEND); sets VM_LOG (the serial log, sanitized),
#                  VM_RC (exit status of timeout: 124 or 137 mean QEMU had to be
#                  stopped) and VM_WALL (seconds)
# vm_field KEY     the value of the first "RDTEST KEY=value" line in VM_LOG
# vm_qmp_hotplug_later SOCK LOG TEXT DELAY IMG [ID]
#                  in the background (tests/vm/qmp.py): once QEMU has created the QMP
#                  socket SOCK and the serial log LOG contains TEXT, wait DELAY seconds
#                  and hot-add IMG as a virtio-blk disk; sets VM_QMP_PID, and the
#                  client's transcript goes to SOCK.out. Removes an old LOG first.
# vm_qmp_listen SOCK
#                  in the background: log QEMU's QMP events (SHUTDOWN and its reason)
#                  to SOCK.out until QEMU exits; sets VM_QMP_PID
#
# shellcheck disable=SC2034 # VM_* are results for the sourcing script.

VM_TIMEOUT=${VM_TIMEOUT:-90}
MKRDINIT=${MKRDINIT:-build/mkrdinit}
# a VM_OUT the caller chose (the benchmarks) wins over each architecture's own
VM_OUT_GIVEN=${VM_OUT:-}

vm_set_arch() {
	VM_ARCH=$1
	case $VM_ARCH in
	x86_64 | amd64)
		VM_ARCH=x86_64 VM_KARCH=amd64 VM_KERNELS=build/kernel VM_TTY=ttyS0 VM_UNAME=x86_64
		VM_RDINIT=build/rdinit VM_STACKS=build/stacks/sbin
		VM_OUT=${VM_OUT_GIVEN:-build/vm}
		QEMU=${QEMU_X86_64:-qemu-system-x86_64}
		# QEMU's default PC (i440fx); scenarios add -M q35 where they need AHCI
		VM_MACHINE=()
		TESTINIT_CC=musl-gcc
		;;
	arm64 | aarch64)
		VM_ARCH=arm64 VM_KARCH=arm64 VM_KERNELS=build/arm64/kernel VM_TTY=ttyAMA0
		VM_UNAME=aarch64 VM_RDINIT=build/arm64/rdinit VM_STACKS=build/arm64/stacks/sbin
		VM_OUT=${VM_OUT_GIVEN:-build/arm64/vm}
		QEMU=${QEMU_AARCH64:-qemu-system-aarch64}
		# QEMU's generic ARM board (PCIe, a PL011 serial port). pauth-impdef: the same
		# "max" CPU, with QEMU's cheap pointer-authentication algorithm instead of the
		# architected QARMA one, which costs TCG 2.4 times the boot (15 s against 6 s).
		VM_MACHINE=(-M virt -cpu max,pauth-impdef=on)
		TESTINIT_CC=aarch64-linux-musl-gcc
		;;
	*) vm_die "unknown architecture '$1' (x86_64 or arm64)" ;;
	esac
}
# 1: show the serial output live as well as logging it (the demo).
VM_TEE=${VM_TEE:-0}

. tests/vm/mkdisk.sh

vm_die() {
	echo "vm: $*" >&2
	exit 2
}

vm_set_arch "${VM_ARCH:-x86_64}"

# x86_64: this machine's; arm64: Debian's busybox-static:arm64, downloaded once into
# build/arm64/busybox (it cannot be installed next to the native one)
vm_busybox() {
	local d=build/arm64/busybox
	if [ "$VM_ARCH" = x86_64 ]; then
		echo /bin/busybox
		return
	fi
	if [ ! -x "$d/bin/busybox" ]; then
		local deb
		deb=$(sh build-aux/sources.sh deb busybox-static:arm64) || return 1
		rm -rf "$d" && mkdir -p "$d" && dpkg-deb -x "$deb" "$d" || return 1
	fi
	echo "$d/bin/busybox"
}

vm_build_testinit() {
	TESTINIT=$VM_OUT/testinit
	if [ ! -x "$TESTINIT" ] || [ tests/vm/testinit.c -nt "$TESTINIT" ]; then
		"$TESTINIT_CC" -static -Os -Wall -o "$TESTINIT" tests/vm/testinit.c ||
			vm_die "cannot build testinit with $TESTINIT_CC"
	fi
	export TESTINIT
}

vm_setup() {
	local line
	mkdir -p "$VM_OUT/logs" "$VM_OUT/disks"
	line=$(sh build-aux/kernel.sh "$VM_KERNELS" "$VM_KARCH") ||
		vm_die "build-aux/kernel.sh $VM_KERNELS $VM_KARCH failed"
	read -r KVER KDIR <<<"$line"
	VMLINUZ=$KDIR/boot/vmlinuz-$KVER
	[ -f "$VMLINUZ" ] || vm_die "no kernel at $VMLINUZ"
	vm_build_testinit
	# fetched now, once, not by scenarios running in parallel
	vm_busybox >/dev/null || vm_die "no static busybox for $VM_ARCH"
	[ -x "$MKRDINIT" ] || vm_die "$MKRDINIT not built (run make)"
	INITRD=$VM_OUT/initrd.img
	# no rm first: mkrdinit replaces the file atomically, so a parallel run never sees it missing
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --output "$INITRD" ||
		vm_die "$MKRDINIT failed"
	[ -s "$INITRD" ] || vm_die "$MKRDINIT wrote no image at $INITRD"
}

vm_vblk() {
	local id=${2:-d}
	VM_DISK=(-drive "file=$1,format=raw,if=none,id=$id"
		-device "virtio-blk-pci,drive=$id")
}

# SeaBIOS and the kernel send terminal controls (reset, clear screen, no line wrap) that
# would wreck the viewer's terminal and the log; drop them and the serial line's CRs.
vm_sanitize() {
	sed -u -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\r//g'
}

vm_boot() {
	local name=$1 append=$2 t0 t1
	shift 2
	VM_LOG=$VM_OUT/logs/$name.log
	local cmd=(timeout -k 5 "$VM_TIMEOUT" "$QEMU" "${VM_MACHINE[@]}" -accel tcg -m 1024
		-nographic -no-reboot -net none -serial mon:stdio
		-kernel "$VMLINUZ" -initrd "$INITRD" "$@"
		-append "${VM_CONSOLE-console=$VM_TTY} panic=-1 $append")
	printf '%q ' "${cmd[@]}" >"$VM_LOG.cmd"
	echo >>"$VM_LOG.cmd"
	t0=$(date +%s.%N)
	# stdin from /dev/null: QEMU must never read (or reconfigure) the terminal. VM_STDIN
	# (a FIFO) types on the serial console instead, for scenarios that answer a shell.
	if [ "$VM_TEE" = 1 ]; then
		"${cmd[@]}" <"${VM_STDIN:-/dev/null}" 2>&1 | vm_sanitize | tee "$VM_LOG"
		VM_RC=${PIPESTATUS[0]}
	else
		"${cmd[@]}" <"${VM_STDIN:-/dev/null}" 2>&1 | vm_sanitize >"$VM_LOG"
		VM_RC=${PIPESTATUS[0]}
	fi
	t1=$(date +%s.%N)
	VM_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
}

# Up to the first space: "RDTEST root=/dev/vda fstype=..." gives /dev/vda for "root".
vm_field() {
	sed -n "s/^RDTEST $1=\([^ ]*\).*/\1/p" "$VM_LOG" | head -n 1
}

vm_qmp_hotplug_later() {
	local sock=$1 log=$2 text=$3 delay=$4 img=$5 id=${6:-hp} add dev
	add=$(printf '{"execute": "blockdev-add", "arguments": {"node-name": "%s",
		"driver": "raw", "file": {"driver": "file", "filename": "%s"}}}' "$id" "$img")
	dev=$(printf '{"execute": "device_add", "arguments": {"driver": "virtio-blk-pci",
		"drive": "%s", "id": "%s-dev"}}' "$id" "$id")
	rm -f "$sock" "$sock.out" "$log"
	python3 tests/vm/qmp.py --wait 60 --log "$log" --pattern "$text" --delay "$delay" \
		"$sock" "$add" "$dev" >"$sock.out" 2>&1 &
	VM_QMP_PID=$!
}

vm_qmp_listen() {
	rm -f "$1" "$1.out"
	python3 tests/vm/qmp.py --wait 60 --listen "$1" >"$1.out" 2>&1 &
	VM_QMP_PID=$!
}
