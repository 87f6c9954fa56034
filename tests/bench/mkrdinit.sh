#!/bin/bash
# Benchmark (not a test): time mkrdinit against Debian's mkinitramfs (initramfs-tools-core)
# and dracut (dracut-core) building an image for the same kernel, Debian's generic kernel
# in build/kernel (build-aux/kernel.sh), in the same run, interleaved.
#
# usage: tests/bench/mkrdinit.sh [N]     N runs of each (default 3); run as root
#
# Installs initramfs-tools-core and dracut-core if missing: unlike the initramfs-tools and
# dracut packages they do not conflict (no linux-initramfs-tool) and install no kernel
# hooks. mkinitramfs reads modules only from /lib/modules/VER and the kernel config only
# from /boot/config-VER, so symlinks to the kernel tree are put there for the run (and
# removed after it; anything already there is left alone).
# Prints, per tool, the median wall time and image size, then mkrdinit's ratios.
set -u
cd "$(dirname "$0")/../.." || exit 1
N=${1:-3}
MK=${MKRDINIT:-build/mkrdinit}
OUT=build/bench
mkdir -p "$OUT"

die() {
	echo "bench: $*" >&2
	exit 1
}

[ -x "$MK" ] || die "$MK not built (make build/mkrdinit)"
read -r KVER KDIR < <(sh build-aux/kernel.sh build/kernel) || die "build-aux/kernel.sh failed"
KDIR=$(cd "$KDIR" && pwd)

need=()
command -v mkinitramfs >/dev/null || need+=(initramfs-tools-core)
command -v dracut >/dev/null || need+=(dracut-core)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
		>"$OUT/apt.log" 2>&1 || die "apt-get install ${need[*]} failed (see $OUT/apt.log)"
fi

# mkinitramfs also reads /boot/config-VER (which compressors the kernel takes).
LINKS=()
link() { # link TARGET NAME: a symlink for the run, unless NAME exists
	[ -e "$2" ] && return
	mkdir -p "$(dirname "$2")" && ln -s "$1" "$2" || die "cannot link $2"
	LINKS+=("$2")
}
cleanup() {
	[ ${#LINKS[@]} -gt 0 ] && rm -f "${LINKS[@]}"
}
trap cleanup EXIT
link "$KDIR/lib/modules/$KVER" "/lib/modules/$KVER"
link "$KDIR/boot/config-$KVER" "/boot/config-$KVER"

# Each tool with its defaults for a generic (not host-specific) image.
run_mkrdinit() {
	"$MK" --kver "$KVER" --basedir "$KDIR" --output "$OUT/mkrdinit.img" >/dev/null
}
run_mkinitramfs() {
	mkinitramfs -o "$OUT/mkinitramfs.img" "$KVER" 2>"$OUT/mkinitramfs.err"
}
run_dracut() {
	dracut --force --quiet --no-hostonly --kver "$KVER" --kmoddir "$KDIR/lib/modules/$KVER" \
		"$OUT/dracut.img" 2>"$OUT/dracut.err"
}

TOOLS=(mkrdinit mkinitramfs dracut)
declare -A TIMES
for ((i = 1; i <= N; i++)); do
	for t in "${TOOLS[@]}"; do
		t0=$(date +%s.%N)
		"run_$t" || die "$t failed (see $OUT/$t.err)"
		t1=$(date +%s.%N)
		TIMES[$t]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') "
	done
done

median() {
	tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The compression, from the magic after any uncompressed early archive.
compression() {
	local m
	m=$(od -An -tx1 -N6 "$1" | tr -d ' ')
	case $m in
	1f8b*) echo gzip ;; 28b52ffd*) echo zstd ;; fd377a585a00) echo xz ;;
	02214c18*) echo lz4 ;; 303730373031) echo "newc+..." ;; *) echo "?" ;;
	esac
}

echo "kernel $KVER, $N runs each, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %10s %12s  %-9s %s\n' tool "median s" "size bytes" comp "runs (s)"
declare -A MED SIZE
for t in "${TOOLS[@]}"; do
	MED[$t]=$(median "${TIMES[$t]}")
	SIZE[$t]=$(stat -c %s "$OUT/$t.img")
	printf '%-12s %10s %12s  %-9s %s\n' "$t" "${MED[$t]}" "${SIZE[$t]}" \
		"$(compression "$OUT/$t.img")" "${TIMES[$t]}"
done
for t in mkinitramfs dracut; do
	awk -v n="$t" -v a="${MED[mkrdinit]}" -v b="${MED[$t]}" -v sa="${SIZE[mkrdinit]}" \
		-v sb="${SIZE[$t]}" 'BEGIN {
		printf "mkrdinit vs %s: %.1fx faster, image %.2fx the size\n", n, b / a, sa / sb }'
done
