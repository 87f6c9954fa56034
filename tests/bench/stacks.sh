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
# The same boot times what the kernel spends checking a module's signature: insmod and rmmod
# of xts.ko 10 times with its signature and 10 times without (the kernel accepts that, tainted).
# Where the time goes in the stack boots comes from rdinit's own marks (/run/rdinit/timings):
# the stack's module loads, cryptsetup, lvm.
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

# xts.ko as the kernel package has it (signed), and the same without its signature: the
# module, the signature, a 12-byte struct ending in the signature's length, a 28-byte magic
ko=$(find "$KDIR/lib/modules/$KVER" -name 'xts.ko*' | head -n 1)
case $ko in
*.xz) xz -dc "$ko" ;;
*.zst) zstd -qdc "$ko" ;;
*.gz) gzip -dc "$ko" ;;
*) cat "$ko" ;;
esac >"$T/xts-signed.ko" || exit 1
size=$(stat -c %s "$T/xts-signed.ko")
siglen=$(tail -c 32 "$T/xts-signed.ko" | head -c 4 | od -An -tu1 |
	awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
head -c $((size - 40 - siglen)) "$T/xts-signed.ko" >"$T/xts-unsigned.ko"

# the KDF-only image: a root-found hook times cryptsetup's key recovery alone, then the
# signature check (busybox's date has no %N: /proc/uptime's hundredths over 10 runs, after
# one to warm up, are ms per run)
cat >"$T/kdf.sh" <<EOF
#!/bin/sh
ms() { read -r u rest </proc/uptime; echo \${u%.*}\${u#*.}; }
k="--test-passphrase --key-file $PWD/$T/luks2.key /dev/vda"
/usr/sbin/cryptsetup open \$k
u0=\$(ms)
for i in 1 2 3 4 5 6 7 8 9 10; do /usr/sbin/cryptsetup open \$k; done
echo "RDBENCH kdf_ms=\$(( \$(ms) - u0 ))"
for kind in signed unsigned; do
	ko=$PWD/$T/xts-\$kind.ko
	busybox insmod \$ko && busybox rmmod xts
	u0=\$(ms)
	for i in 1 2 3 4 5 6 7 8 9 10; do busybox insmod \$ko; busybox rmmod xts; done
	echo "RDBENCH insmod_\${kind}_ms=\$(( \$(ms) - u0 ))"
done
EOF
chmod 0755 "$T/kdf.sh"
"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --crypttab "$T/crypttab" --shell /bin/busybox \
	--include /bin/busybox:/bin/busybox --include "$PWD/$T/xts-signed.ko:$PWD/$T/xts-signed.ko" \
	--include "$PWD/$T/xts-unsigned.ko:$PWD/$T/xts-unsigned.ko" \
	--hook "root-found:$T/kdf.sh" --output "$T/initrd-kdf.img" >/dev/null || exit 1

DISK_SIZE=16M mk_ext4 "$T/plain.img" "$SD_FS_LUKS2" RDS_luks2 s_luks2

# ms between "loading M" and "loaded M" (M a module the stacks bring), "running cryptsetup"
# and "ran cryptsetup", "running lvm" and "ran lvm" in rdinit's marks: "MODULES CRYPTSETUP LVM"
phases() {
	sed -n 's/^RDTEST runfile=timings:\([0-9.]*\) [0-9.]* \(.*\)$/\1 \2/p' "$1" | awk '
	$2 == "loading" || $2 == "running" { t0[$3] = $1; next }
	$2 == "loaded" && $3 ~ /^(dm_mod|dm_crypt|af_alg|algif_skcipher|xts)$/ { m += $1 - t0[$3] }
	$2 == "ran" && $3 == "cryptsetup" { c += $1 - t0[$3] }
	$2 == "ran" && $3 == "lvm" { l += $1 - t0[$3] }
	END { printf "%.0f %.0f %.0f\n", m * 1000, c * 1000, l * 1000 }'
}

declare -A IT MODS CS LVM
boot() { # boot KIND IMG ROOT: one boot; adds its initrd_time to IT[KIND], its phases to the rest
	local kind=$1 img=$2 root=$3 it m c l
	stack_drive "$img" d
	vm_boot "bench_$kind" "quiet root=$root" "${VM_DISK[@]}"
	it=$(vm_field initrd_time)
	if ! grep -q '^RDTEST done' "$VM_LOG" || ! [[ $it =~ ^[0-9.]+$ ]]; then
		echo "  $kind: FAILED (see $VM_LOG)"
		return
	fi
	IT[$kind]="${IT[$kind]:-} $it"
	read -r m c l < <(phases "$VM_LOG")
	MODS[$kind]="${MODS[$kind]:-} $m"
	CS[$kind]="${CS[$kind]:-} $c"
	LVM[$kind]="${LVM[$kind]:-} $l"
	printf '  %-9s initrd_time=%s (stack modules %s ms, cryptsetup %s ms, lvm %s ms)\n' \
		"$kind" "$it" "$m" "$c" "$l"
}

KDF="" SIGNED="" UNSIGNED=""
for r in $(seq 1 "$N"); do
	echo "round $r"
	INITRD=$T/initrd.img boot plain "$T/plain.img" "UUID=$SD_FS_LUKS2"
	INITRD=$T/initrd.img boot luks2 "$SD/luks2.img" "UUID=$SD_FS_LUKS2"
	INITRD=$T/initrd.img boot lvm_luks "$SD/lvluks.img" "/dev/rdvgc/root"
	INITRD=$T/initrd-kdf.img vm_boot bench_kdf "quiet root=UUID=$SD_FS_LUKS2" \
		-drive "file=$SD/luks2.img,format=raw,if=none,id=d,snapshot=on" \
		-device virtio-blk-pci,drive=d
	KDF="$KDF $(sed -n 's/.*RDBENCH kdf_ms=\([0-9]*\).*/\1/p' "$VM_LOG")"
	SIGNED="$SIGNED $(sed -n 's/.*RDBENCH insmod_signed_ms=\([0-9]*\).*/\1/p' "$VM_LOG")"
	UNSIGNED="$UNSIGNED $(sed -n 's/.*RDBENCH insmod_unsigned_ms=\([0-9]*\).*/\1/p' "$VM_LOG")"
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
echo
echo "Where the stack roots' time goes (medians, ms, from rdinit's marks):"
echo "| root | stack modules (dm_mod, dm_crypt, af_alg, algif_skcipher, xts) | cryptsetup open | lvm |"
echo "|---|---:|---:|---:|"
for kind in luks2 lvm_luks; do
	echo "| $kind | $(median "${MODS[$kind]:-}") | $(median "${CS[$kind]:-}") | $(median "${LVM[$kind]:-}") |"
done
S=$(median "$SIGNED") U=$(median "$UNSIGNED")
echo "insmod+rmmod of xts.ko with its signature: $S ms, without: $U ms; the kernel's check of one"
echo "module's signature: $(awk -v s="$S" -v u="$U" 'BEGIN { printf "%.0f", s - u }') ms, paid by each of the 5 stack modules"
