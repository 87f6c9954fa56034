#!/bin/bash
# Benchmark (not a test): how long Debian's kernel spends in the initramfs, and until the real
# init runs, with rdinit and with other initramfs systems, each image made by its own
# generator for the same kernel (build/kernel, build-aux/kernel.sh), booting the same root
# disks under QEMU TCG, one VM at a time, interleaved (each repetition boots every system
# once, so host load falls on all alike).
#
# usage: tests/bench/boot.sh [N] [--no-disks | --disks-only] [--arch arm64]    run as root
#   N  boots of each system on each root (default 5)
#   --arch arm64   Debian's arm64 kernel under qemu-system-aarch64 (tests/vm/lib.sh's machine),
#                  build/arm64/rdinit against the oracle built for arm64 the same way; only
#                  rdinit, rdinit-none and oracle (the other systems' generators pack this
#                  machine's x86-64 programs), no disk counts
#
# Systems:
#   rdinit         build/mkrdinit's default image (generic profile), one for both roots
#   rdinit-none    build/mkrdinit --profile none --add-modules virtio_blk,FS
#   rdinit-base    the default image with /init built from git ref $BENCH_BASE (only when
#                  BENCH_BASE is set): the same invocation measures a change against before
#   busybox        floor: tests/bench/busybox-init.sh, exactly the root's modules (plain .ko)
#   oracle         floor: tests/bench/oracle.c, a static C /init with the answer compiled in
#   tiny-initramfs Debian's mktirfs (tiny-initramfs-core), -m no --include-modules=virtio_blk,FS
#   initramfs-tools  Debian's mkinitramfs, MODULES=list with virtio_blk and FS (see below)
#   dracut         dracut --no-hostonly (generic), one image for both roots
# Roots: ext4 and xfs (tests/vm/mkdisk.sh), each on one virtio-blk disk, with testinit as
# /sbin/init; it prints initrd_time (from the kernel's "Run /init" stamp to its own start, on the
# kernel log's clock) and uptime.
# The disks carry /usr/lib/os-release, which systemd (dracut's initrd) wants to switch root.
#
# Then (unless --no-disks; DISK_N boots each, default 3) rdinit with 1, 8 and 32 virtio-blk
# disks, the root on the last one (the others empty), all behind one PCI bridge.
#
# Installs tiny-initramfs-core, initramfs-tools-core, dracut-core and busybox-static if
# missing (none of them installs kernel hooks). mkinitramfs and mktirfs read modules only
# from /lib/modules/VER (and mkinitramfs /boot/config-VER): for each build a hard-linked copy
# of the kernel's module tree is put there (a symlink makes mkinitramfs copy every module
# twice), and removed at the end; the script refuses to run if something is already there.
# tiny-initramfs's /init loads modules with init_module(2), which takes no .ko.xz, so its
# tree has the root's modules decompressed (and depmod run again).
# MODULES=dep is not used for initramfs-tools: it reads the build machine's own root
# device from /proc and /sys, not the VM's.
#
# Everything goes to build/bench/ (images, disks, boot logs in build/bench/boot/logs).
set -u
cd "$(dirname "$0")/../.." || exit 1

N=5
DISKS=1
MAIN=1
ARCH=x86_64
while [ $# -gt 0 ]; do
	case $1 in
	--no-disks) DISKS=0 ;;
	--disks-only) MAIN=0 ;;
	--arch)
		ARCH=${2:-}
		shift
		;;
	[0-9]*) N=$1 ;;
	*)
		echo "usage: $0 [N] [--no-disks | --disks-only] [--arch arm64]" >&2
		exit 2
		;;
	esac
	shift
done
DISK_N=${DISK_N:-3}

B=build/bench
export VM_TIMEOUT=${VM_TIMEOUT:-150}
. tests/vm/lib.sh
# the machine (an unknown one is refused), its kernel, QEMU, testinit compiler and rdinit
vm_set_arch "$ARCH"
ARCH=$VM_ARCH RDINIT=$VM_RDINIT OUT=$B/boot
[ "$ARCH" = arm64 ] && OUT=$B/boot-arm64 DISKS=0 MAIN=1
export VM_OUT=$OUT

die() {
	echo "bench: $*" >&2
	exit 1
}

{ [ -x "$MKRDINIT" ] && [ -x "$RDINIT" ]; } ||
	die "$RDINIT or $MKRDINIT not built (make all ARCH=$ARCH)"
mkdir -p "$OUT/logs" "$OUT/disks" "$OUT/img" || die "cannot create $OUT"
read -r KVER KDIR < <(sh build-aux/kernel.sh "$VM_KERNELS" "$VM_KARCH") ||
	die "build-aux/kernel.sh failed"
KDIR=$(cd "$KDIR" && pwd)
VMLINUZ=$KDIR/boot/vmlinuz-$KVER
[ -f "$VMLINUZ" ] || die "no kernel at $VMLINUZ"

need=()
[ "$ARCH" = x86_64 ] && {
command -v mktirfs >/dev/null || need+=(tiny-initramfs-core)
command -v mkinitramfs >/dev/null || need+=(initramfs-tools-core)
command -v dracut >/dev/null || need+=(dracut-core)
[ -x /bin/busybox ] || need+=(busybox-static)
}
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
		>"$OUT/apt.log" 2>&1 || die "apt-get install ${need[*]} failed (see $OUT/apt.log)"
fi

TESTINIT=$OUT/testinit
"$TESTINIT_CC" -static -Os -Wall -o "$TESTINIT" tests/vm/testinit.c || die "cannot build testinit"
export TESTINIT

# ---- root disks: mkdisk.sh's, plus /usr/lib/os-release ----
eval "mkdisk_stage_root() $(declare -f stage_root | tail -n +2)"
stage_root() {
	mkdisk_stage_root "$@"
	mkdir -p "$1/usr/lib" && printf 'ID=rdbench\nNAME="rdinit benchmark root"\n' \
		>"$1/usr/lib/os-release"
}
FSES=(ext4 xfs)
declare -A UUID=([ext4]=5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a51 [xfs]=5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a52)
declare -A MODS=([ext4]="crc32c_generic crc16 mbcache jbd2 ext4 virtio_blk"
	[xfs]="crc32c_generic libcrc32c xfs virtio_blk")
if [ "$MAIN" = 1 ]; then
	mk_ext4 "$OUT/disks/root-ext4.img" "${UUID[ext4]}" RDBENCH bench-ext4
	mk_xfs "$OUT/disks/root-xfs.img" "${UUID[xfs]}" RDBENCH bench-xfs
else
	mk_ext4 "$OUT/disks/root-ext4.img" "${UUID[ext4]}" RDBENCH bench-ext4
fi

# ---- /lib/modules/KVER and /boot/config-KVER for mkinitramfs and mktirfs ----
LM=/lib/modules/$KVER
CONFIG_LINK=
LM_OURS=0
cleanup() {
	[ "$LM_OURS" = 1 ] && rm -rf "$LM"
	[ -n "$CONFIG_LINK" ] && rm -f "$CONFIG_LINK"
}
trap cleanup EXIT
if [ "$MAIN" = 1 ] && [ "$ARCH" = x86_64 ]; then
	if [ -e "$LM" ] || [ -L "$LM" ]; then
		die "$LM exists (tests/bench/mkrdinit.sh running?); remove it and run again"
	fi
	if [ ! -e "/boot/config-$KVER" ]; then
		mkdir -p /boot && ln -s "$KDIR/boot/config-$KVER" "/boot/config-$KVER" &&
			CONFIG_LINK=/boot/config-$KVER
	fi
fi
# use_tree DIR: a copy of DIR (a lib/modules/KVER tree) at /lib/modules/KVER
use_tree() {
	rm -rf "$LM"
	LM_OURS=1
	mkdir -p /lib/modules
	cp -al "$1" "$LM" 2>/dev/null || { rm -rf "$LM" && cp -a "$1" "$LM"; } ||
		die "cannot copy $1 to $LM"
}
# The kernel's tree with every module the roots need (and mktirfs adds) as plain .ko.
make_plain_tree() {
	local root=$OUT/kplain t=$OUT/kplain/lib/modules/$KVER p
	rm -rf "$root"
	{ mkdir -p "$root/lib/modules" && cp -al "$KDIR/lib/modules/$KVER" "$t"; } ||
		die "cannot copy the module tree to $t"
	# depmod's outputs are hard links to the kernel's: unlink them, never write through
	find "$t" -maxdepth 1 -name 'modules.*' ! -name modules.order ! -name modules.builtin \
		! -name modules.builtin.modinfo -delete
	modprobe -d "$KDIR" -S "$KVER" --all --ignore-install --show-depends \
		${MODS[ext4]} ${MODS[xfs]} virtio_mmio crc32c 2>/dev/null | # split on purpose
		awk '$1 == "insmod" { print $2 }' | sort -u | while read -r p; do
		p=$t/${p#"$KDIR/lib/modules/$KVER/"}
		case $p in *.xz) rm -f "$p" && xz -dc "$KDIR/lib/modules/$KVER/${p#"$t/"}" \
			>"${p%.xz}" ;; esac
	done
	depmod -b "$root" "$KVER" || die "depmod on $root failed"
}

# ---- images ----
SYSTEMS=(rdinit rdinit-none busybox oracle tiny-initramfs initramfs-tools dracut)
[ "$ARCH" = arm64 ] && SYSTEMS=(rdinit rdinit-none oracle)
[ -n "${BENCH_BASE:-}" ] && SYSTEMS=(rdinit rdinit-base "${SYSTEMS[@]:1}")
# BENCH_SYSTEMS="rdinit oracle ..." boots only these (a quicker look, not the table)
[ -n "${BENCH_SYSTEMS:-}" ] && read -ra SYSTEMS <<<"$BENCH_SYSTEMS"
declare -A IMG GEN ERR SIZE_C SIZE_U NOTE

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# module_paths FS: the image paths of the root's modules, decompressed, in load order
module_paths() {
	local m f
	for m in ${MODS[$1]}; do
		f=$(modinfo -b "$KDIR" -k "$KVER" -n "$m") || die "no module $m"
		f=/lib/modules/$KVER/${f#"$KDIR/lib/modules/$KVER/"}
		printf '%s ' "${f%.xz}"
	done
}
commas() { tr ' ' ',' <<<"$1" | sed 's/,*$//'; }

build_rdinit() {
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --output "$2" >"$2.log" 2>&1
}
build_rdinit-none() {
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --profile none \
		--add-modules "virtio_blk,$1" --output "$2" >"$2.log" 2>&1
}
# /init from git ref $BENCH_BASE, built in a worktree of its own with our musl sysroot
build_rdinit-base() {
	local src=$B/base-src
	[ -n "${BENCH_BASE:-}" ] || { echo "BENCH_BASE is not set" >"$2.log"; return 1; }
	git worktree remove --force "$src" 2>/dev/null
	rm -rf "$src"
	git worktree add --detach "$src" "$BENCH_BASE" >"$2.log" 2>&1 || return 1
	mkdir -p "$src/build" && cp -al build/sysroot "$src/build/sysroot" &&
		touch "$src"/build/sysroot/.*.stamp &&
		make -C "$src" build/rdinit >>"$2.log" 2>&1 &&
		cp "$src/build/rdinit" "$B/rdinit-base" || return 1
	git worktree remove --force "$src"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --init "$B/rdinit-base" --output "$2" \
		>>"$2.log" 2>&1
}
build_busybox() {
	printf 'MODULES="%s"\nDEV=/dev/vda\nFSTYPE=%s\n' "$(module_paths "$1")" "$1" >"$2.conf"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --profile none \
		--add-modules "$(commas "${MODS[$1]}")" --decompress-modules \
		--init tests/bench/busybox-init.sh --include /bin/busybox:/bin/busybox \
		--include "$2.conf:/etc/bench-root" --output "$2" >"$2.log" 2>&1
}
build_oracle() {
	local list
	list=$(module_paths "$1" | sed 's/\([^ ]*\) /"\1",/g; s/,$//')
	"$TESTINIT_CC" -static -Os -Wall -DORACLE_MODULES="$list" -DORACLE_DEV='"/dev/vda"' \
		-DORACLE_FSTYPE="\"$1\"" -o "$B/oracle-$1" tests/bench/oracle.c >"$2.log" 2>&1 &&
		cp "$B/oracle-$1" "$B/oracle" &&
		"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --profile none \
			--add-modules "$(commas "${MODS[$1]}")" --decompress-modules \
			--init "$B/oracle-$1" --output "$2" >>"$2.log" 2>&1
}
build_tiny-initramfs() {
	mktirfs -o "$2" -m no -M no --include-modules="virtio_blk,$1" "$KVER" >"$2.log" 2>&1
}
build_initramfs-tools() {
	local conf=$OUT/img/initramfs-tools-$1.conf
	rm -rf "$conf" && cp -r /etc/initramfs-tools "$conf" || return 1
	sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
	printf 'virtio_blk\n%s\n' "$1" >"$conf/modules"
	mkinitramfs -d "$conf" -o "$2" "$KVER" >"$2.log" 2>&1
}
build_dracut() {
	dracut --force --quiet --no-hostonly --kver "$KVER" \
		--kmoddir "$KDIR/lib/modules/$KVER" "$2" >"$2.log" 2>&1
}

# build SYSTEM FS [SHARED]: SHARED means one image serves both roots
build() {
	local s=$1 fs=$2 img t0
	img=$OUT/img/$s-$fs.img
	[ -n "${3:-}" ] && img=$OUT/img/$s.img
	case $s in
	tiny-initramfs) use_tree "$OUT/kplain/lib/modules/$KVER" ;;
	initramfs-tools | dracut) use_tree "$KDIR/lib/modules/$KVER" ;;
	esac
	rm -f "$img"
	t0=$(now)
	if "build_$s" "$fs" "$img" && [ -s "$img" ]; then
		GEN[$s/$fs]=$(elapsed "$t0")
		IMG[$s/$fs]=$img
		local c u
		read -r c u < <(python3 tests/bench/imgsize.py "$img")
		SIZE_C[$s/$fs]=$c
		SIZE_U[$s/$fs]=$u
	else
		ERR[$s/$fs]="image build failed: $(grep -v '^$' "$img.log" | tail -n 1)"
		echo "bench: $s ($fs): ${ERR[$s/$fs]} (see $img.log)" >&2
	fi
	if [ -n "${3:-}" ]; then
		local other
		for other in "${FSES[@]}"; do
			[ "$other" = "$fs" ] && continue
			IMG[$s/$other]=${IMG[$s/$fs]-}
			GEN[$s/$other]=${GEN[$s/$fs]-}
			SIZE_C[$s/$other]=${SIZE_C[$s/$fs]-}
			SIZE_U[$s/$other]=${SIZE_U[$s/$fs]-}
			[ -n "${ERR[$s/$fs]-}" ] && ERR[$s/$other]=${ERR[$s/$fs]}
		done
	fi
}

if [ "$MAIN" = 1 ]; then
	echo "bench: building images for $KVER"
	[[ " ${SYSTEMS[*]} " == *" tiny-initramfs "* ]] && make_plain_tree
	for s in "${SYSTEMS[@]}"; do
		case $s in
		rdinit | rdinit-base | dracut) build "$s" ext4 shared ;;
		*) for fs in "${FSES[@]}"; do build "$s" "$fs"; done ;;
		esac
	done
	rm -rf "$LM"
	LM_OURS=0
	NOTE[initramfs-tools]="MODULES=list: virtio_blk, FS"
	NOTE[dracut]="--no-hostonly"
	NOTE[tiny-initramfs]="modules decompressed"
	NOTE[rdinit]="generic profile"
	NOTE[rdinit-none]="--profile none: virtio_blk, FS"
	NOTE[rdinit-base]="/init from ${BENCH_BASE:-}"
else
	build rdinit ext4 shared
fi

# ---- boots ----
declare -A IT UP FAILS
# boot_one NAME UUID MARKER QEMU_ARGS...: boots $INITRD once; on success (testinit ran on
# the expected root and printed its times) sets BOOT_IT and BOOT_UP and returns 0
boot_one() {
	local name=$1 uuid=$2 marker=$3
	shift 3
	vm_boot "$name" "quiet root=UUID=$uuid ro" "$@"
	BOOT_IT=$(vm_field initrd_time)
	BOOT_UP=$(vm_field uptime)
	if grep -q '^RDTEST done' "$VM_LOG" && [ "$(vm_field marker)" = "$marker" ] &&
		[[ $BOOT_IT =~ ^[0-9.]+$ ]] && [[ $BOOT_UP =~ ^[0-9.]+$ ]]; then
		printf '  %-28s initrd_time=%s uptime=%s\n' "$name" "$BOOT_IT" "$BOOT_UP"
		return 0
	fi
	printf '  %-28s FAILED (rc=%s, %s s; see %s)\n' "$name" "$VM_RC" "$VM_WALL" "$VM_LOG"
	return 1
}

# stats "v v v": median min max
stats() {
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}
kib() { [ -n "$1" ] && awk -v b="$1" 'BEGIN { printf "%d", (b + 1023) / 1024 }' || echo -; }

if [ "$MAIN" = 1 ]; then
	echo "bench: $N rounds x ${#SYSTEMS[@]} systems x ${#FSES[@]} roots"
	for ((r = 1; r <= N; r++)); do
		for fs in "${FSES[@]}"; do
			vm_vblk "$OUT/disks/root-$fs.img"
			for s in "${SYSTEMS[@]}"; do
				k=$s/$fs
				[ -n "${IMG[$k]-}" ] || continue
				INITRD=${IMG[$k]}
				if boot_one "$s-$fs-$r" "${UUID[$fs]}" "bench-$fs" "${VM_DISK[@]}"; then
					IT[$k]+="$BOOT_IT "
					UP[$k]+="$BOOT_UP "
				else
					FAILS[$k]=$((${FAILS[$k]:-0} + 1))
				fi
			done
		done
	done

	# one more rdinit boot, not counted, for its timeline
	vm_vblk "$OUT/disks/root-ext4.img"
	INITRD=${IMG[rdinit/ext4]}
	vm_boot rdinit-timeline "root=UUID=${UUID[ext4]} ro rdinit.debug" "${VM_DISK[@]}"
	TIMELINE=$(grep -E 'rdinit: +[0-9]+\.[0-9]{3} s  \+' "$VM_LOG" | sed 's/^.*rdinit: /    /')
fi

# ---- disk counts ----
DISK_COUNTS=(1 8 32)
declare -A DIT
if [ "$DISKS" = 1 ]; then
	echo "bench: rdinit with ${DISK_COUNTS[*]} disks, $DISK_N boots each"
	for ((i = 0; i < 31; i++)); do
		[ -f "$OUT/disks/empty-$i.img" ] || truncate -s 1M "$OUT/disks/empty-$i.img"
	done
	INITRD=${IMG[rdinit/ext4]}
	for ((r = 1; r <= DISK_N; r++)); do
		for c in "${DISK_COUNTS[@]}"; do
			args=(-device "pci-bridge,id=pb,chassis_nr=1")
			for ((i = 0; i < c - 1; i++)); do
				args+=(-drive "file=$OUT/disks/empty-$i.img,format=raw,if=none,id=e$i"
					-device "virtio-blk-pci,drive=e$i,bus=pb,addr=$(printf 0x%x "$i")")
			done
			args+=(-drive "file=$OUT/disks/root-ext4.img,format=raw,if=none,id=root"
				-device "virtio-blk-pci,drive=root,bus=pb,addr=$(printf 0x%x $((c - 1)))")
			boot_one "rdinit-disks$c-$r" "${UUID[ext4]}" bench-ext4 "${args[@]}" &&
				DIT[$c]+="$BOOT_IT "
		done
	done
fi

# ---- report ----
echo
echo "### Boot time, $(date -u +%Y-%m-%d)"
echo
echo "Debian kernel $KVER, $QEMU ${VM_MACHINE[*]:+${VM_MACHINE[*]} }$("$QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG," \
	"$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))," \
	"load $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo "$RDINIT (static, stripped): $(stat -c %s "$RDINIT") bytes."
if [ "$MAIN" = 1 ]; then
	echo "$N boots per system and root, interleaved; times in seconds of guest uptime:"
	echo "*in initramfs* from the kernel's \"Run /init\" to the real init, *to real init* from"
	echo "kernel start; median (min–max). Ratio: rdinit's median ÷ the system's."
	echo
	echo "| system | root | boots ok | in initramfs, s | to real init, s | image KiB (uncompressed) | generated in, s | rdinit ÷ it: in initramfs / to init |"
	echo "|---|---|---|---|---|---|---|---|"
	for fs in "${FSES[@]}"; do
		read -r rm _ < <(stats "${IT[rdinit/$fs]-}")
		read -r ru _ < <(stats "${UP[rdinit/$fs]-}")
		for s in "${SYSTEMS[@]}"; do
			k=$s/$fs
			label=$s
			[ -n "${NOTE[$s]-}" ] && label="$s (${NOTE[$s]})"
			if [ -n "${ERR[$k]-}" ]; then
				echo "| $label | $fs | 0/$N | ${ERR[$k]} | | | | |"
				continue
			fi
			ok=$(wc -w <<<"${IT[$k]-}")
			read -r im imin imax < <(stats "${IT[$k]-}")
			read -r um umin umax < <(stats "${UP[$k]-}")
			if [ "$ok" -eq 0 ]; then
				cell="did not boot (see $OUT/logs/$s-$fs-1.log)"
				ucell=-
				ratio=-
			else
				cell="$im ($imin–$imax)"
				ucell="$um ($umin–$umax)"
				ratio=$(awk -v a="$rm" -v b="$im" -v c="$ru" -v d="$um" 'BEGIN {
					if (a == "-" || c == "-") { print "-"; exit }
					printf "%.2f / %.2f", a / b, c / d }')
			fi
			[ "$s" = rdinit ] && ratio=1
			echo "| $label | $fs | $ok/$N | $cell | $ucell | $(kib "${SIZE_C[$k]-}") ($(kib "${SIZE_U[$k]-}")) | ${GEN[$k]-} | $ratio |"
		done
	done
	if [ -n "${TIMELINE-}" ]; then
		echo
		echo "rdinit's timeline (rdinit.debug, ext4 root, one extra boot):"
		echo
		echo "$TIMELINE"
	fi
fi
if [ "$DISKS" = 1 ]; then
	echo
	echo "rdinit, ext4 root on the last of C virtio-blk disks (the others empty, 1 MiB), $DISK_N boots each:"
	echo
	echo "| disks | boots ok | in initramfs, s: median (min–max) |"
	echo "|---|---|---|"
	for c in "${DISK_COUNTS[@]}"; do
		read -r m mn mx < <(stats "${DIT[$c]-}")
		echo "| $c | $(wc -w <<<"${DIT[$c]-}")/$DISK_N | $m ($mn–$mx) |"
	done
fi
