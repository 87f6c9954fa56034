#!/bin/bash
# Benchmark, not a test: what a LUKS2 root and an LVM-on-LUKS root cost inside the initramfs
# beyond a plain root, minus the key derivation itself. One image (the default, with
# /etc/crypttab naming both LUKS devices with a key file, so no prompt), three roots, each
# booted N times, interleaved, under QEMU TCG:
#   plain      ext4 on a virtio disk
#   luks2      the same ext4 inside LUKS2 (pbkdf2, 1000 iterations: the test disks')
#   lvm_luks   inside an LV of a volume group on LUKS2
# The key derivation (and the rest of recovering the volume key: the AF merge, the digest) is
# measured in a fourth boot kind: a root-found hook runs `cryptsetup open --test-passphrase`
# on the LUKS2 disk with the key file, which does all of it but sets nothing up, 10 times.
#
# usage: tests/bench/stacks.sh [N]   (default 5)
set -u
cd "$(dirname "$0")/../.." || exit 2
N=${1:-5}
VM_OUT=${VM_OUT:-build/vm-bench-stacks}
. tests/vm/lib.sh
. tests/vm/stackdisks.sh

vm_setup >/dev/null
stack_disks || { echo "bench: cannot make the stack disks" >&2; exit 1; }
T=$VM_OUT/bench
rm -rf "$T" && mkdir -p "$T"

# the key: the test disks' LUKS2 disk has it in a key slot; the LVM-on-LUKS one only has the
# passphrase, which works as a key file of those bytes
printf %s "$SD_KEY" >"$T/luks2.key"
printf %s "$SD_PASS" >"$T/lvluks.key"
chmod 0600 "$T"/*.key
printf 'r2 UUID=%s %s\nrc UUID=%s %s\n' "$SD_LUKS2" "$PWD/$T/luks2.key" "$SD_LVLUKS" \
	"$PWD/$T/lvluks.key" >"$T/crypttab"
"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --crypttab "$T/crypttab" --output "$T/initrd.img" \
	>/dev/null || exit 1

# the KDF-only image: a root-found hook times cryptsetup's key recovery alone
# (busybox's date has no %N: /proc/uptime's hundredths over 10 runs, after one to warm up)
cat >"$T/kdf.sh" <<EOF
#!/bin/sh
k="--test-passphrase --key-file $PWD/$T/luks2.key /dev/vda"
/usr/sbin/cryptsetup open \$k
read -r u0 rest </proc/uptime
for i in 1 2 3 4 5 6 7 8 9 10; do /usr/sbin/cryptsetup open \$k; done
read -r u1 rest </proc/uptime
echo "RDBENCH kdf_ms=\$(( \${u1%.*}\${u1#*.} - \${u0%.*}\${u0#*.} ))"
EOF
chmod 0755 "$T/kdf.sh"
"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --crypttab "$T/crypttab" --shell /bin/busybox \
	--include /bin/busybox:/bin/busybox --hook "root-found:$T/kdf.sh" \
	--output "$T/initrd-kdf.img" >/dev/null || exit 1

DISK_SIZE=16M mk_ext4 "$T/plain.img" "$SD_FS_LUKS2" RDS_luks2 s_luks2

declare -A IT
boot() { # boot KIND IMG ROOT: one boot; adds its initrd_time to IT[KIND]
	local kind=$1 img=$2 root=$3 it
	stack_drive "$img" d
	vm_boot "bench_$kind" "quiet root=$root" "${VM_DISK[@]}"
	it=$(vm_field initrd_time)
	if ! grep -q '^RDTEST done' "$VM_LOG" || ! [[ $it =~ ^[0-9.]+$ ]]; then
		echo "  $kind: FAILED (see $VM_LOG)"
		return
	fi
	IT[$kind]="${IT[$kind]:-} $it"
	printf '  %-9s initrd_time=%s\n' "$kind" "$it"
}

KDF=""
for r in $(seq 1 "$N"); do
	echo "round $r"
	INITRD=$T/initrd.img boot plain "$T/plain.img" "UUID=$SD_FS_LUKS2"
	INITRD=$T/initrd.img boot luks2 "$SD/luks2.img" "UUID=$SD_FS_LUKS2"
	INITRD=$T/initrd.img boot lvm_luks "$SD/lvluks.img" "/dev/rdvgc/root"
	INITRD=$T/initrd-kdf.img vm_boot bench_kdf "quiet root=UUID=$SD_FS_LUKS2" \
		-drive "file=$SD/luks2.img,format=raw,if=none,id=d,snapshot=on" \
		-device virtio-blk-pci,drive=d
	KDF="$KDF $(sed -n 's/.*RDBENCH kdf_ms=\([0-9]*\).*/\1/p' "$VM_LOG")"
done

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "nan"; exit }
	print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

P=$(median "${IT[plain]:-}")
K=$(median "$KDF")
echo
echo "Debian kernel $KVER, QEMU TCG, $N boots each, interleaved; medians, seconds in the initramfs:"
echo "key recovery (cryptsetup open --test-passphrase with the key file, pbkdf2 1000 iterations; the mean of 10 in each KDF boot): ${K} ms, median over boots"
echo "| root | in initramfs, s | beyond plain, ms | beyond plain minus key recovery, ms | ratio to plain |"
echo "|---|---:|---:|---:|---:|"
for kind in plain luks2 lvm_luks; do
	m=$(median "${IT[$kind]:-}")
	awk -v m="$m" -v p="$P" -v k="$K" -v kind="$kind" -v luks="$([ "$kind" = plain ] && echo 0 || echo 1)" \
		'BEGIN { d = (m - p) * 1000; printf "| %s | %.3f | %.0f | %s | %.2f |\n", kind, m, d,
			luks ? sprintf("%.0f", d - k) : "-", m / p }'
done
