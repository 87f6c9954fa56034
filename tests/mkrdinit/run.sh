#!/bin/bash
# CLI tests of build/mkrdinit against Debian's kernel in build/kernel (build-aux/kernel.sh):
# reproducibility, error handling, profiles, --omit-modules, --install, --include,
# --microcode, --compress-level, module decompression, the storage stacks (--stacks-dir,
# --omit-stacks, --crypttab, the host profile on fixture trees); and against Debian's arm64
# kernel in build/arm64/kernel, images for another architecture (--arch).
#
# usage: tests/mkrdinit/run.sh [TEST...]     (MKRDINIT overrides build/mkrdinit)
# Last line: "N passed, N failed" (", N skipped" when a test could not run all of itself);
# exit status 1 if a test failed, 2 on setup errors.
set -u
cd "$(dirname "$0")/../.." || exit 2

MK=${MKRDINIT:-build/mkrdinit}
[ -x "$MK" ] || { echo "mkrdinit: $MK not built (make build/mkrdinit)"; echo "0 passed, 1 failed"; exit 2; }
read -r KVER KDIR < <(sh build-aux/kernel.sh build/kernel) ||
	{ echo "mkrdinit: build-aux/kernel.sh failed"; echo "0 passed, 1 failed"; exit 2; }
MODDIR=lib/modules/$KVER
RE_MODDIR=$(printf "%s" "$MODDIR" | sed "s/[.+]/\\\\&/g")
RE_KVER=$(printf "%s" "$KVER" | sed "s/[.+]/\\\\&/g")
T=$(mktemp -d /tmp/mkrdinit-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=1700000000

PASSED=0 FAILED=0 SKIPPED=0 FAILS=0 SKIPS=0 NAME=

# Stand-ins for the stacks' tools, small static programs that say their name: every run
# names them with --stacks-dir, so no test depends on build/stacks (the real tools are big,
# and the size guards below measure modules).
STACKS=$T/stacks
mkdir -p "$STACKS"
for tool in cryptsetup lvm mdadm; do
	printf '#include <unistd.h>\nint main(void) { return write(1, "%s\\n", %d) < 0; }\n' \
		"$tool" $((${#tool} + 1)) >"$T/$tool.c"
	musl-gcc -static -Os -s -o "$STACKS/$tool" "$T/$tool.c" ||
		{ echo "mkrdinit: cannot build a stand-in for $tool (musl-gcc)"; echo "0 passed, 1 failed"; exit 2; }
done

# The arm64 tests: Debian's arm64 kernel, aarch64 stand-ins for the tools, and rdinit built
# for arm64 (make ARCH=arm64). ARM64_MISSING says what is not there: those tests then skip.
ARM64_MISSING= AKVER= AKDIR= RE_AKVER= ASTACKS=$T/stacks-arm64
if ! read -r AKVER AKDIR < <(sh build-aux/kernel.sh build/arm64/kernel arm64 2>/dev/null); then
	ARM64_MISSING="Debian's arm64 kernel (build-aux/kernel.sh build/arm64/kernel arm64)"
elif [ ! -x build/arm64/rdinit ]; then
	ARM64_MISSING="build/arm64/rdinit (make ARCH=arm64)"
else
	RE_AKVER=$(printf "%s" "$AKVER" | sed "s/[.+]/\\\\&/g")
	mkdir -p "$ASTACKS"
	for tool in cryptsetup lvm mdadm; do
		aarch64-linux-musl-gcc -static -Os -s -o "$ASTACKS/$tool" "$T/$tool.c" 2>/dev/null ||
			{ ARM64_MISSING="aarch64-linux-musl-gcc" && break; }
	done
fi

fail() {
	echo "FAIL $NAME: $*"
	FAILS=$((FAILS + 1))
}

# mk ARGS...: run mkrdinit for our kernel; output in $T/out, errors in $T/err, status in RC.
mk() {
	"$MK" --kver "$KVER" --basedir "$KDIR" --stacks-dir "$STACKS" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# must_build IMG ARGS...: mk --output IMG ARGS, which must succeed.
must_build() {
	local img=$1
	shift
	mk --output "$img" "$@"
	[ "$RC" -eq 0 ] || fail "mkrdinit $* failed ($RC): $(cat "$T/err")"
}

# list IMG: the image's paths, one a line (via mkrdinit --list).
list() {
	"$MK" --list "$1" | awk '{ print $3 }'
}

has() { # has IMG REGEX WHAT
	list "$1" | grep -Eq -- "$2" || fail "expected $3 in $1 (/$2/)"
}

lacks() { # lacks IMG REGEX WHAT
	if list "$1" | grep -Eq -- "$2"; then fail "expected no $3 in $1 (/$2/)"; fi
}

# must_fail WHAT MSG-REGEX ARGS...: exit status != 0, the message, nothing at --output,
# no temp file next to it.
must_fail() {
	local what=$1 msg=$2
	shift 2
	rm -f "$T/bad.img" "$T"/bad.img.tmp*
	"$MK" --stacks-dir "$STACKS" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" -ne 0 ] || fail "$what: exit status 0"
	grep -Eq -- "$msg" "$T/err" || fail "$what: message /$msg/ not in: $(cat "$T/err")"
	[ ! -e "$T/bad.img" ] || fail "$what: $T/bad.img left behind"
	if ls "$T"/bad.img.tmp* >/dev/null 2>&1; then fail "$what: temp file left behind"; fi
}

# arm64_ready: 0 when the arm64 tests can run; else count this test skipped, saying why.
arm64_ready() {
	[ -z "$ARM64_MISSING" ] && return 0
	echo "SKIP $NAME: no $ARM64_MISSING"
	SKIPS=$((SKIPS + 1))
	return 1
}

# mka ARGS...: mk for the arm64 kernel, its tools the aarch64 stand-ins.
mka() {
	"$MK" --kver "$AKVER" --basedir "$AKDIR" --stacks-dir "$ASTACKS" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# machine FILE: the ELF class and e_machine of FILE, in hex: 023e00 for x86-64, 02b700 for
# aarch64 (64-bit, little-endian)
machine() {
	printf '%s%s' "$(od -An -tx1 -j4 -N1 "$1" | tr -d ' \n')" \
		"$(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n')"
}

# --- tests -----------------------------------------------------------------------------

t_reproducible() {
	must_build "$T/r1.img"
	must_build "$T/r2.img"
	cmp -s "$T/r1.img" "$T/r2.img" || fail "two builds with the same SOURCE_DATE_EPOCH differ"
	SOURCE_DATE_EPOCH=1700000001 must_build "$T/r3.img"
	if cmp -s "$T/r1.img" "$T/r3.img"; then fail "a different SOURCE_DATE_EPOCH gave the same bytes"; fi
	for c in zstd xz lz4 none; do
		must_build "$T/r1.$c" --compress "$c" --profile none --add-modules ext4
		must_build "$T/r2.$c" --compress "$c" --profile none --add-modules ext4
		cmp -s "$T/r1.$c" "$T/r2.$c" || fail "two $c builds differ"
	done
}

t_summary() {
	must_build "$T/s.img"
	grep -Eq "^mkrdinit: wrote $T/s.img: [0-9]+ files, [0-9]+ modules, [0-9]+ KiB uncompressed, [0-9]+ KiB compressed \(gzip\), [0-9.]+ s$" "$T/out" ||
		fail "summary line: $(cat "$T/out")"
}

t_errors() {
	must_fail "missing module" "module 'no_such_mod' not found" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --add-modules ext4,no_such_mod
	must_fail "missing omit" "module 'no_such_mod' not found" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --omit-modules no_such_mod
	must_fail "missing basedir" "cannot read basedir $T/nowhere" \
		--kver "$KVER" --basedir "$T/nowhere" --output "$T/bad.img"
	t_unreadable_basedir
	must_fail "no modules for kver" "no modules for kernel 0.0-none" \
		--kver 0.0-none --basedir "$KDIR" --output "$T/bad.img"
	must_fail "unwritable output dir" "cannot write to $T/nodir" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/nodir/bad.img"
	mkdir -p "$T/bad.img.d"
	must_fail "output is a directory" "is a directory" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img.d"
	must_fail "unknown option" "unknown option '--frobnicate'" --frobnicate --output "$T/bad.img"
	[ "$RC" -eq 2 ] || fail "unknown option: exit status $RC, not 2"
	must_fail "unknown compression" "unknown compression 'bz2'" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --compress bz2
	must_fail "unknown profile" "unknown profile 'tiny'" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile tiny
	must_fail "bad level" "out of range" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --compress gzip --compress-level 12
	must_fail "missing --output" "--output is required" --kver "$KVER"
	must_fail "missing include" "cannot use --include $T/nofile" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --include "$T/nofile:/etc/x"
	must_fail "bad include spec" "expected SRC:DST" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --include "$T/out"
	must_fail "install non-ELF" "not a 64-bit little-endian ELF" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --install /etc/passwd
	must_fail "missing microcode" "cannot use --microcode" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --microcode "$T/nofile"
	# A failed rebuild keeps the previous image.
	must_build "$T/keep.img" --profile none
	cp "$T/keep.img" "$T/keep.ref"
	mk --output "$T/keep.img" --add-modules no_such_mod
	[ "$RC" -ne 0 ] || fail "rebuild with a missing module succeeded"
	cmp -s "$T/keep.img" "$T/keep.ref" || fail "a failed rebuild changed the previous image"
}

# Root reads any directory: as root, run this case as nobody (setpriv), or count it skipped.
t_unreadable_basedir() {
	local as=()
	mkdir -p "$T/locked/lib/modules/$KVER" "$T/nobody" && chmod 000 "$T/locked"
	if [ "$(id -u)" = 0 ]; then
		if ! command -v setpriv >/dev/null; then
			echo "SKIP unreadable basedir: running as root and setpriv is missing"
			SKIPS=$((SKIPS + 1))
			chmod 755 "$T/locked"
			return
		fi
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		chmod 711 "$T" && chmod 1777 "$T/nobody"
	fi
	rm -f "$T/nobody/bad.img"
	"${as[@]}" "$MK" --kver "$KVER" --basedir "$T/locked" --output "$T/nobody/bad.img" \
		--stacks-dir "$STACKS" \
		--init "$(realpath build/rdinit)" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" -eq 1 ] || fail "unreadable basedir: exit status $RC, not 1"
	grep -q "cannot read basedir $T/locked: Permission denied" "$T/err" ||
		fail "unreadable basedir: message not in: $(cat "$T/err")"
	[ ! -e "$T/nobody/bad.img" ] || fail "unreadable basedir: output left behind"
	chmod 755 "$T/locked" && chmod 700 "$T"
}

t_profile_none() {
	must_build "$T/n.img" --profile none
	lacks "$T/n.img" '\.ko' "modules with --profile none"
	has "$T/n.img" "^$RE_MODDIR/modules\.dep\.bin$" "the module index"
	has "$T/n.img" '^init$' "/init"
	must_build "$T/n2.img" --profile none --add-modules virtio_blk,ext4
	has "$T/n2.img" "/virtio_blk\.ko" "virtio_blk"
	has "$T/n2.img" "/ext4\.ko" "ext4"
	has "$T/n2.img" "/jbd2\.ko" "ext4's dependency jbd2"
	lacks "$T/n2.img" "/(xfs|ahci|nvme)\.ko" "modules not asked for"
	local size
	size=$(stat -c %s "$T/n2.img")
	[ "$size" -lt 1500000 ] || fail "--profile none image is $size bytes, not small"
}

t_profile_generic() {
	must_build "$T/g.img"
	for m in virtio_blk ahci nvme sd_mod ext4 xfs btrfs vfat usb-storage dm-mod dm-crypt md-mod; do
		has "$T/g.img" "/$m\.ko" "generic module $m"
	done
	# Size guards. btrfs and xfs are most of the generic image: without them it fits in
	# 3.25 MiB with the modules as shipped (.ko.xz), and in 4 MiB as .ko.zst (zstd -9, the
	# default). The stacks' sets are 673 KiB (.ko.xz) of that: raid456 brings raid6_pq and
	# xor, which btrfs shares otherwise. (The tools here are the small stand-ins.)
	local size
	must_build "$T/g-small.img" --omit-modules btrfs,xfs --keep-module-compression
	size=$(stat -c %s "$T/g-small.img")
	[ "$size" -le 3407872 ] || fail "the generic image without btrfs and xfs, modules as shipped, is $size bytes, over 3.25 MiB"
	must_build "$T/g-small.img" --omit-modules btrfs,xfs
	size=$(stat -c %s "$T/g-small.img")
	[ "$size" -le 4194304 ] || fail "the generic image without btrfs and xfs is $size bytes, over 4 MiB"
}

# On this machine / is on /dev/vda (virtio) with some filesystem; in CI it may be an
# overlay or a container: then only the filesystem's module is required.
t_profile_host() {
	local fstype src
	fstype=$(findmnt -no FSTYPE /)
	src=$(findmnt -no SOURCE /)
	must_build "$T/h.img" --profile host --verbose
	[ -n "$fstype" ] || { fail "findmnt gave no fstype for /"; return; }
	if [ -f "$KDIR/$MODDIR/modules.builtin" ] && grep -q "/$fstype.ko" "$KDIR/$MODDIR/modules.builtin"; then
		:
	elif ! grep -q "^$fstype\$\|^fs-$fstype\$" <(modinfo -b "$KDIR" -k "$KVER" -F alias "$fstype" 2>/dev/null; echo "$fstype"); then
		:
	else
		has "$T/h.img" "/$fstype\.ko" "the root filesystem's module ($fstype)"
	fi
	case $src in
	/dev/vd*)
		has "$T/h.img" "/virtio_blk\.ko" "virtio_blk for $src"
		lacks "$T/h.img" "/(ahci|nvme|usb-storage|xfs)\.ko" "modules / does not need"
		;;
	/dev/nvme*) has "$T/h.img" "/nvme\.ko" "nvme for $src" ;;
	*) echo "note: / is $src ($fstype): only the filesystem is checked" ;;
	esac
	grep -q "host: / is $fstype on" "$T/err" || fail "--verbose does not tell the root: $(cat "$T/err")"
	local n_host n_gen
	n_host=$(list "$T/h.img" | grep -c '\.ko')
	must_build "$T/g2.img"
	n_gen=$(list "$T/g2.img" | grep -c '\.ko')
	[ "$n_host" -lt "$n_gen" ] || fail "host image has $n_host modules, generic $n_gen"
}

t_omit() {
	must_build "$T/o1.img" --profile none --add-modules btrfs,ext4
	has "$T/o1.img" "/btrfs\.ko" "btrfs"
	has "$T/o1.img" "/raid6_pq\.ko" "btrfs's dependency raid6_pq"
	must_build "$T/o2.img" --profile none --add-modules btrfs,ext4 --omit-modules btrfs
	lacks "$T/o2.img" "/btrfs\.ko" "omitted btrfs"
	lacks "$T/o2.img" "/raid6_pq\.ko" "raid6_pq, which only btrfs needed"
	has "$T/o2.img" "/ext4\.ko" "ext4"
	must_build "$T/o3.img" --omit-modules usb_storage,uas
	lacks "$T/o3.img" "/(usb-storage|uas)\.ko" "omitted usb_storage"
	has "$T/o3.img" "/xhci-pci\.ko" "the rest of the generic set"
	must_build "$T/o4.img" --profile none --add-modules ext4 --omit-modules jbd2
	grep -q "warning: omitted module jbd2 (needed by ext4)" "$T/err" ||
		fail "no warning for an omitted hard dependency: $(cat "$T/err")"
}

t_module_compression() {
	local mods
	mods=$(find "$KDIR/$MODDIR/kernel" -name 'ext4.ko*' | head -n 1)
	case $mods in
	*.ko.xz | *.ko.zst | *.ko.gz) ;;
	*) echo "note: this kernel's modules are not compressed"; return ;;
	esac
	must_build "$T/d.img" --profile none --add-modules ext4 --decompress-modules
	has "$T/d.img" "/ext4\.ko$" "plain ext4.ko"
	lacks "$T/d.img" '\.ko\.(xz|zst|gz)$' "compressed modules"
	local ko
	ko=$(mkdir -p "$T/dx" && cd "$T/dx" && gzip -dc "$T/d.img" | cpio -id --quiet 2>/dev/null &&
		find . -name ext4.ko)
	[ -n "$ko" ] && od -An -c -N4 "$T/dx/$ko" | grep -q 'E   L   F' ||
		fail "ext4.ko in the image is not an ELF file"
	grep -q 'ext4.ko:' <(gzip -dc "$T/d.img" | cpio -i --quiet --to-stdout "$MODDIR/modules.dep" 2>/dev/null;
		cd "$T/dx" && cat "$MODDIR/modules.dep.bin" | strings) ||
		fail "the index does not name ext4.ko"
	must_build "$T/k.img" --profile none --add-modules ext4 --keep-module-compression
	has "$T/k.img" "/ext4\.ko\.(xz|zst|gz)$" "ext4 as shipped"
}

# The default: every module recompressed to .ko.zst, in an uncompressed archive ahead of the
# compressed rest; the frames carry their size (rdinit decodes each in one call) and an
# XXH64 checksum (rdinit checks it), and hold exactly the shipped module.
t_module_zstd() {
	local shipped zst
	must_build "$T/z.img" --profile none --add-modules ext4
	has "$T/z.img" "/ext4\.ko\.zst$" "ext4.ko.zst"
	lacks "$T/z.img" '\.ko(\.xz|\.gz)?$' "modules stored other than as .ko.zst"
	[ "$(head -c 6 "$T/z.img")" = 070701 ] || fail "an uncompressed cpio first in the image"
	# cpio reads the first archive only: the uncompressed one, which must hold the modules
	mkdir -p "$T/zx" && (cd "$T/zx" && cpio -id --quiet) <"$T/z.img" ||
		fail "cpio to read the first archive"
	[ -e "$T/zx/init" ] && fail "init in the compressed part, not with the modules"
	local off
	off=$(python3 tests/bench/imgsize.py --split "$T/z.img")
	[ "$(tail -c +$((off + 1)) "$T/z.img" | head -c 2 | od -An -tx1 | tr -d ' \n')" = 1f8b ] ||
		fail "gzip after the module archive"
	shipped=$(find "$KDIR/$MODDIR/kernel" -name 'ext4.ko*' | head -n 1)
	zst=$(find "$T/zx" -name ext4.ko.zst)
	[ -n "$zst" ] || { fail "ext4.ko.zst in the first archive"; return; }
	cmp -s <(zstd -dcq "$zst") <(case $shipped in *.xz) xz -dc "$shipped" ;;
		*.gz) gzip -dc "$shipped" ;; *.zst) zstd -dcq "$shipped" ;; *) cat "$shipped" ;; esac) ||
		fail "ext4.ko.zst to hold the shipped ext4 module"
	zstd -lv "$zst" 2>/dev/null | grep -q 'Decompressed Size:' ||
		fail "ext4.ko.zst to state its decompressed size"
	zstd -lv "$zst" 2>/dev/null | grep -Eq 'Check: *XXH64' ||
		fail "ext4.ko.zst with an XXH64 checksum"
	must_build "$T/z1.img" --profile none --add-modules ext4 --module-level 1
	must_build "$T/z19.img" --profile none --add-modules ext4 --module-level 19
	[ "$(stat -c %s "$T/z1.img")" -gt "$(stat -c %s "$T/z19.img")" ] ||
		fail "--module-level 1 to give a bigger image than 19"
	for bad in 0 20 x; do
		mk --output "$T/bad.img" --module-level "$bad"
		[ "$RC" -eq 2 ] && grep -q "bad --module-level" "$T/err" ||
			fail "--module-level $bad to be a usage error ($RC: $(cat "$T/err"))"
	done
	must_build "$T/zn.img" --profile none --add-modules ext4 --compress none
	[ "$(python3 tests/bench/imgsize.py "$T/zn.img" | awk '$1 == $2 { print "same" }')" = same ] ||
		fail "--compress none: one uncompressed image"
	has "$T/zn.img" "/ext4\.ko\.zst$" "ext4.ko.zst with --compress none"
}

t_install() {
	local prog=/usr/bin/kmod interp
	[ -x "$prog" ] || prog=/bin/busybox
	must_build "$T/i.img" --profile none --install "$prog"
	has "$T/i.img" "^${prog#/}$" "$prog"
	interp=$(readelf -l "$prog" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] && has "$T/i.img" "^${interp#/}$" "the interpreter $interp"
	for lib in $(readelf -d "$prog" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		has "$T/i.img" "/$lib$" "$prog's library $lib"
	done
	# libraries of libraries: libkmod needs liblzma, libzstd... (what ldd shows)
	for lib in $(ldd "$prog" | awk '/=>/ { print $1 }'); do
		has "$T/i.img" "/$lib$" "library $lib (ldd)"
	done
	"$MK" --list "$T/i.img" | grep -E " ${prog#/}$" | grep -q '^100755' ||
		fail "$prog not executable in the image"
}

t_include() {
	printf 'hello\n' >"$T/hello.txt"
	must_build "$T/inc.img" --profile none --include "$T/hello.txt:/etc/hello.conf" \
		--include "$T/hello.txt:usr/share/x/y.txt"
	has "$T/inc.img" '^etc/hello.conf$' "--include to /etc/hello.conf"
	has "$T/inc.img" '^usr/share/x$' "the parent dirs of an --include"
	"$MK" --list "$T/inc.img" | grep -q '^100644 6 etc/hello.conf$' ||
		fail "etc/hello.conf mode or size wrong: $("$MK" --list "$T/inc.img" | grep hello)"
	printf 'x=1\n' >"$T/rd.conf"
	must_build "$T/c.img" --profile none --config "$T/rd.conf"
	has "$T/c.img" '^etc/rdinit.conf$' "--config as /etc/rdinit.conf"
}

# --hook STAGE:PATH: PATH as /usr/lib/rdinit/hooks/STAGE.d/BASENAME with its mode, an ELF
# hook's libraries with it (not the program at its own path); bad stages and files refused.
t_hook() {
	local h=usr/lib/rdinit/hooks prog=/usr/bin/kmod lib
	[ -x "$prog" ] || prog=/bin/busybox
	printf '#!/bin/sh\necho hi\n' >"$T/50-hi" && chmod 0750 "$T/50-hi"
	printf '#!/bin/sh\nexit 1\n' >"$T/10-x.required" && chmod 0700 "$T/10-x.required"
	must_build "$T/h.img" --profile none --hook "mounted:$T/50-hi" \
		--hook "pre-switch:$T/10-x.required" --hook "cmdline:$T/50-hi" --hook "pre-switch:$prog"
	has "$T/h.img" "^$h/mounted\.d/50-hi$" "the mounted hook"
	has "$T/h.img" "^$h/cmdline\.d/50-hi$" "the same file as a cmdline hook"
	has "$T/h.img" "^$h/pre-switch\.d/10-x\.required$" "a required hook, named as given"
	[ "$(mode_in "$T/h.img" "$h/mounted.d/50-hi")" = 100750 ] ||
		fail "the hook's mode 0750 kept (got $(mode_in "$T/h.img" "$h/mounted.d/50-hi"))"
	[ "$(mode_in "$T/h.img" "$h/pre-switch.d/10-x.required")" = 100700 ] ||
		fail "the required hook's mode 0700 kept"
	has "$T/h.img" "^$h/pre-switch\.d/${prog##*/}$" "the ELF hook"
	lacks "$T/h.img" "^${prog#/}$" "the ELF hook at its own path"
	for lib in $(ldd "$prog" | awk '/=>/ { print $1 }'); do
		has "$T/h.img" "/$lib$" "the ELF hook's library $lib"
	done
	# an ELF hook that is also --install'd: its libraries once, the program at both places
	must_build "$T/h2.img" --profile none --install "$prog" --hook "mounted:$prog"
	has "$T/h2.img" "^${prog#/}$" "the --install'd program"
	has "$T/h2.img" "^$h/mounted\.d/${prog##*/}$" "the same program as a hook"
	must_fail "unknown hook stage" "unknown hook stage 'boot' in --hook boot:$T/50-hi \(cmdline, pre-coldplug, root-found, mounted, pre-switch\)" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --hook "boot:$T/50-hi"
	[ "$RC" -eq 2 ] || fail "unknown hook stage: exit status $RC, not 2"
	must_fail "hook without a stage" "--hook $T/50-hi: expected STAGE:PATH" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --hook "$T/50-hi"
	must_fail "missing hook" "cannot use --hook $T/nofile: No such file" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --hook "mounted:$T/nofile"
	mkdir -p "$T/other" && cp "$T/50-hi" "$T/other/50-hi"
	must_fail "two hooks of one name" "two hooks named 50-hi for stage mounted" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --hook "mounted:$T/50-hi" \
		--hook "mounted:$T/other/50-hi"
}

# conf/rdinit.conf is every image's /etc/rdinit.conf unless --config replaces it.
t_default_conf() {
	must_build "$T/dc.img" --profile none
	cmp -s <(gzip -dc "$T/dc.img" | cpio -i --quiet --to-stdout etc/rdinit.conf) conf/rdinit.conf ||
		fail "etc/rdinit.conf in a default image to be conf/rdinit.conf"
	[ "$(mode_in "$T/dc.img" etc/rdinit.conf)" = 100644 ] || fail "etc/rdinit.conf mode 0644"
	printf 'rw\n' >"$T/mine.conf"
	must_build "$T/dc2.img" --profile none --config "$T/mine.conf"
	[ "$(gzip -dc "$T/dc2.img" | cpio -i --quiet --to-stdout etc/rdinit.conf)" = rw ] ||
		fail "--config to replace the default /etc/rdinit.conf"
}

t_microcode() {
	head -c 4096 /dev/urandom >"$T/ucode.bin"
	printf 'GenuineIntel-ish' | dd of="$T/ucode.bin" conv=notrunc status=none
	must_build "$T/u.img" --profile none --microcode "$T/ucode.bin"
	[ "$(head -c 6 "$T/u.img")" = 070701 ] || fail "the image does not start with a newc header"
	local names
	names=$(cpio -it --quiet <"$T/u.img" 2>/dev/null)
	printf '%s\n' "$names" | grep -qx 'kernel/x86/microcode/GenuineIntel.bin' ||
		fail "first archive lacks kernel/x86/microcode/GenuineIntel.bin: $names"
	printf '%s\n' "$names" | grep -qx init && fail "the early archive holds the main one's files"
	# the early archive ends after TRAILER!!!; the main (gzip) archive follows it
	local off
	off=$(grep -abo 'TRAILER!!!' "$T/u.img" | head -n 1 | cut -d: -f1)
	off=$(((off + 11 + 3) / 4 * 4))
	[ "$(tail -c +$((off + 1)) "$T/u.img" | head -c 2 | od -An -tx1 | tr -d ' ')" = 1f8b ] ||
		fail "no gzip magic right after the early archive (offset $off)"
	tail -c +$((off + 1)) "$T/u.img" | gzip -dc | cpio -it --quiet 2>/dev/null | grep -qx init ||
		fail "the main archive after the microcode does not hold /init"
	cmp -s <(tail -c +$((off + 1)) "$T/u.img" | gzip -dc | cpio -i --quiet --to-stdout init) build/rdinit ||
		: # init is checked by --list below
	has "$T/u.img" '^kernel/x86/microcode/GenuineIntel.bin$' "--list to see the microcode"
	has "$T/u.img" '^init$' "--list to see past the early archive"
	printf 'DMA\0rest' >"$T/amd.bin"
	must_build "$T/u2.img" --profile none --microcode "$T/ucode.bin" --microcode "$T/amd.bin"
	cpio -it --quiet <"$T/u2.img" 2>/dev/null | grep -qx 'kernel/x86/microcode/AuthenticAMD.bin' ||
		fail "an AMD container is not AuthenticAMD.bin"
}

t_compress_level() {
	must_build "$T/l1.img" --compress gzip --compress-level 1
	must_build "$T/l9.img" --compress gzip --compress-level 9
	[ "$(stat -c %s "$T/l1.img")" -gt "$(stat -c %s "$T/l9.img")" ] ||
		fail "gzip -1 is not bigger than gzip -9"
	must_build "$T/z1.img" --compress zstd --compress-level 1 --decompress-modules
	must_build "$T/z9.img" --compress zstd --compress-level 9 --decompress-modules
	[ "$(stat -c %s "$T/z1.img")" -gt "$(stat -c %s "$T/z9.img")" ] ||
		fail "zstd -1 is not bigger than zstd -9"
	for c in zstd xz lz4 none; do
		must_build "$T/c.$c" --profile none --compress "$c"
		"$MK" --list "$T/c.$c" | grep -q ' init$' || fail "--list cannot read the $c image"
	done
	[ "$(head -c 6 "$T/c.none")" = 070701 ] || fail "--compress none is not a plain newc"
}

# A copy of the kernel tree (hard links, the indexes copied) at $T/conf/base, with a private
# TMPDIR beside it: whatever mkrdinit creates outside its temp dirs shows up in $T/conf.
conf_base() {
	local b=$T/conf/base
	rm -rf "$T/conf" && mkdir -p "$b/lib/modules" "$T/conf/tmp" "$T/conf/out" || return 1
	# hard links when $T and the kernel share a file system, else a (slower) copy
	cp -al "$KDIR/$MODDIR" "$b/lib/modules/" 2>/dev/null || cp -a "$KDIR/$MODDIR" "$b/lib/modules/" ||
		return 1
	for f in "$KDIR/$MODDIR"/modules.*; do
		rm -f "$b/$MODDIR/${f##*/}" && cp "$f" "$b/$MODDIR/" || return 1
	done
}

# conf_refuse WHAT MSG-REGEX ARGS...: mkrdinit on $T/conf/base fails with the message, and
# leaves nothing behind: no output, no temp file, nothing new anywhere under $T/conf.
conf_refuse() {
	local what=$1 msg=$2
	shift 2
	(cd "$T/conf" && find . | sort) >"$T/conf.before"
	TMPDIR=$T/conf/tmp "$MK" --kver "$KVER" --basedir "$T/conf/base" --stacks-dir "$STACKS" \
		--output "$T/conf/out/x.img" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	[ "$RC" -eq 1 ] || fail "$what: exit status $RC, not 1"
	grep -Eq -- "$msg" "$T/err" || fail "$what: message /$msg/ not in: $(cat "$T/err")"
	(cd "$T/conf" && find . | sort) >"$T/conf.after"
	cmp -s "$T/conf.before" "$T/conf.after" ||
		fail "$what: files created: $(comm -13 "$T/conf.before" "$T/conf.after" | tr '\n' ' ')"
}

# Paths from the module index and symlinks in the tree stay inside --basedir.
t_confine() {
	local jbd2 rel
	conf_base || { fail "cannot copy $KDIR"; return; }
	jbd2=$(cd "$T/conf/base/$MODDIR" && find kernel -name 'jbd2.ko*')
	# an index naming ../ paths (as long as the path they replace, so the binary index stays
	# well-formed), leading to a module planted outside the tree
	rel=${jbd2%/*}/
	sub=$(printf '../../../../%*s/' $((${#rel} - 13)) '' | tr ' ' x)
	[ ${#sub} -eq ${#rel} ] || { fail "test setup: $sub vs $rel"; return; }
	mkdir -p "$T/conf/${sub:12}" && cp "$KDIR/$MODDIR/$jbd2" "$T/conf/${sub:12}"
	perl -pi -e "s{\Q$rel\E}{$sub}g" "$T/conf/base/$MODDIR/modules.dep.bin"
	conf_refuse "../ in modules.dep.bin" "module jbd2: .*outside" --profile none --add-modules jbd2
	rm -rf "$T/conf/${sub:12}"
	# a module that is a symlink out of the tree
	conf_base
	mkdir -p "$T/conf/outside" && cp "$KDIR/$MODDIR/$jbd2" "$T/conf/outside/"
	ln -sf "$T/conf/outside/${jbd2##*/}" "$T/conf/base/$MODDIR/$jbd2"
	conf_refuse "module symlink" "module jbd2: .*${jbd2##*/} leads outside --basedir" \
		--profile none --add-modules jbd2 --keep-module-compression
	conf_refuse "module symlink, recompressed" "leads outside --basedir" \
		--profile none --add-modules jbd2
	# firmware symlinks out of the tree: absolute, and relative through ..
	mkdir -p "$T/conf/base/lib/firmware/e100"
	ln -s /etc/hostname "$T/conf/base/lib/firmware/e100/d101m_ucode.bin"
	conf_refuse "absolute firmware symlink" \
		"firmware e100/d101m_ucode.bin .*leads outside --basedir" --profile none --add-modules e100
	ln -sf ../../../../../../../../../../etc/hostname "$T/conf/base/lib/firmware/e100/d101m_ucode.bin"
	conf_refuse "relative firmware symlink" \
		"firmware e100/d101m_ucode.bin .*leads outside --basedir" --profile none --add-modules e100
	# libkmod reads modprobe.d itself: a way out there is refused before it runs
	ln -s /etc "$T/conf/base/etc"
	conf_refuse "modprobe.d through a symlink" "etc/modprobe.d leads outside --basedir" \
		--profile none --add-modules ext4
	rm "$T/conf/base/etc"
	# a symlink that stays inside is fine
	printf 'ucode' >"$T/conf/base/lib/firmware/e100/real.bin"
	ln -sf real.bin "$T/conf/base/lib/firmware/e100/d101m_ucode.bin"
	rm -f "$T/conf/base/$MODDIR/$jbd2" && cp "$T/conf/outside/${jbd2##*/}" "$T/conf/base/$MODDIR/$jbd2"
	TMPDIR=$T/conf/tmp mk --basedir "$T/conf/base" --output "$T/conf/out/ok.img" --profile none \
		--add-modules e100,jbd2
	[ "$RC" -eq 0 ] || fail "a symlink inside the tree: $(cat "$T/err")"
	has "$T/conf/out/ok.img" '^lib/firmware/e100/d101m_ucode.bin$' "the firmware behind a symlink"
	[ -z "$(ls -A "$T/conf/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/conf/tmp")"
}

# mode IMG PATH: the octal mode --list gives PATH in IMG
mode_in() {
	"$MK" --list "$1" | awk -v p="$2" '$3 == p { print $1 }'
}

# mk_umask MASK ARGS...: mk ARGS under umask MASK
mk_umask() {
	local old
	old=$(umask)
	umask "$1"
	shift
	mk "$@"
	umask "$old"
}

# The image's mode follows the umask (or the file it replaces); --include keeps modes, and a
# private file makes the image 0600 (t_private_mode).
t_modes() {
	local m
	rm -f "$T/m.img"
	mk_umask 077 --output "$T/m.img" --profile none
	m=$(stat -c %a "$T/m.img")
	[ "$m" = 600 ] || fail "a new image under umask 077 has mode $m, not 600"
	rm -f "$T/m.img"
	mk_umask 022 --output "$T/m.img" --profile none
	m=$(stat -c %a "$T/m.img")
	[ "$m" = 644 ] || fail "a new image under umask 022 has mode $m, not 644"
	chmod 600 "$T/m.img"
	mk_umask 022 --output "$T/m.img" --profile none
	m=$(stat -c %a "$T/m.img")
	[ "$m" = 600 ] || fail "rebuilding a 0600 image under umask 022 gave mode $m"
	printf 'secret\n' >"$T/key" && chmod 600 "$T/key"
	printf '#!/bin/sh\n' >"$T/tool" && chmod 750 "$T/tool"
	printf 'x\n' >"$T/pub" && chmod 644 "$T/pub"
	rm -f "$T/m.img"
	mk_umask 022 --output "$T/m.img" --profile none --include "$T/key:/etc/luks.key" \
		--include "$T/tool:/bin/tool" --include "$T/pub:/etc/pub"
	[ "$RC" -eq 0 ] || fail "build with includes: $(cat "$T/err")"
	[ "$(mode_in "$T/m.img" etc/luks.key)" = 100600 ] ||
		fail "a 0600 --include is $(mode_in "$T/m.img" etc/luks.key) in the image"
	[ "$(mode_in "$T/m.img" bin/tool)" = 100750 ] ||
		fail "a 0750 --include is $(mode_in "$T/m.img" bin/tool) in the image"
	[ "$(mode_in "$T/m.img" etc/pub)" = 100644 ] ||
		fail "a 0644 --include is $(mode_in "$T/m.img" etc/pub) in the image"
	[ "$(stat -c %a "$T/m.img")" = 600 ] || fail "the image with a 0600 and a 0750 file is not 0600"
	rm -f "$T/m.img"
	mk_umask 077 --output "$T/m.img" --profile none --include "$T/key:/etc/luks.key"
	[ "$RC" -eq 0 ] || fail "build with a key under umask 077: $(cat "$T/err")"
	grep -q warning "$T/err" && fail "a warning for a private image: $(cat "$T/err")"
	[ "$(stat -c %a "$T/m.img")" = 600 ] || fail "the image with the key is not 0600"
}

# An image holding a file that is not world-readable (a key file, a private crypttab) is 0600
# whatever the mode of the image it replaces or the umask, and says so; one without keeps
# the usual mode (the old image's, else 0666 less the umask).
t_private_mode() {
	local m mask
	printf 'secret-key\n' >"$T/pk.key" && chmod 600 "$T/pk.key"
	printf 'root /dev/vda2 %s luks\n' "$T/pk.key" >"$T/pk.tab" && chmod 644 "$T/pk.tab"
	for mask in 022 077; do
		rm -f "$T/p.img"
		mk_umask 022 --output "$T/p.img" --profile none
		chmod 644 "$T/p.img"
		mk_umask "$mask" --output "$T/p.img" --profile none --include "$T/pk.key:/etc/luks.key"
		[ "$RC" -eq 0 ] || fail "umask $mask, --include of a key: $(cat "$T/err")"
		m=$(stat -c %a "$T/p.img")
		[ "$m" = 600 ] || fail "a 0644 image rebuilt under umask $mask with a 0600 --include is $m"
		cmp -s <(extract "$T/p.img" etc/luks.key) "$T/pk.key" || fail "the key's bytes in the image"
		grep -q "^mkrdinit: $T/p.img has mode 0600: 1 file in it is not world-readable" "$T/out" ||
			fail "umask $mask: the output does not say why the image is 0600: $(cat "$T/out")"
		chmod 644 "$T/p.img"
		mk_umask "$mask" --output "$T/p.img" --profile none --crypttab "$T/pk.tab"
		[ "$RC" -eq 0 ] || fail "umask $mask, --crypttab with a key file: $(cat "$T/err")"
		m=$(stat -c %a "$T/p.img")
		[ "$m" = 600 ] || fail "a 0644 image rebuilt under umask $mask with a crypttab's key is $m"
		cmp -s <(extract "$T/p.img" "${T#/}/pk.key") "$T/pk.key" || fail "the crypttab's key file"
	done
	# a private crypttab, with no key file in it
	printf 'root /dev/vda2 none luks\n' >"$T/pk.tab" && chmod 600 "$T/pk.tab"
	chmod 644 "$T/p.img"
	mk_umask 022 --output "$T/p.img" --profile none --crypttab "$T/pk.tab"
	m=$(stat -c %a "$T/p.img")
	[ "$m" = 600 ] || fail "a 0644 image rebuilt with a 0600 crypttab is $m"
	rm -f "$T/p.img"
	mk_umask 022 --output "$T/p.img" --profile none --include "$T/pk.key:/etc/luks.key"
	m=$(stat -c %a "$T/p.img")
	[ "$m" = 600 ] || fail "a new image under umask 022 with a 0600 --include is $m"
	# nothing private: the old image's mode, else the umask's
	chmod 644 "$T/p.img"
	mk_umask 077 --output "$T/p.img" --profile none
	m=$(stat -c %a "$T/p.img")
	[ "$m" = 644 ] || fail "a 0644 image rebuilt with nothing private is $m"
	grep -q 'not world-readable' "$T/out" && fail "a note for an image with nothing private"
	rm -f "$T/p.img"
	mk_umask 022 --output "$T/p.img" --profile none
	m=$(stat -c %a "$T/p.img")
	[ "$m" = 644 ] || fail "a new image under umask 022 with nothing private is $m"
	private_tmp_mode
}

# While a slow build with a key file writes over a 0644 image, its temp file is never
# readable by others: sample the temp file's mode until the build ends.
private_tmp_mode() {
	local pid modes= f
	rm -rf "$T/pt" && mkdir -p "$T/pt"
	mk_umask 022 --output "$T/pt/p.img" --profile none
	chmod 644 "$T/pt/p.img"
	"$MK" --kver "$KVER" --basedir "$KDIR" --stacks-dir "$STACKS" --output "$T/pt/p.img" \
		--include "$T/pk.key:/etc/luks.key" --module-level 19 >"$T/out" 2>"$T/err" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for f in "$T/pt"/p.img.tmp*; do
			[ -e "$f" ] && modes="$modes $(stat -c %a "$f" 2>/dev/null)"
		done
		sleep 0.02
	done
	wait "$pid" || fail "the slow build with a key failed: $(cat "$T/err")"
	[ -n "$modes" ] || fail "never saw the temp file"
	for m in $modes; do
		[ "$m" = 600 ] || { fail "the temp file of an image with a key had mode $m"; break; }
	done
	[ "$(stat -c %a "$T/pt/p.img")" = 600 ] || fail "the slow build's image is not 0600"
}

# sig_kill SIG: start a long build with a private TMPDIR, kill it with SIG once its staging
# dir exists; its exit status must say so and nothing may be left behind.
sig_kill() {
	local sig=$1 num pid rc i
	num=$(kill -l "$sig")
	rm -rf "$T/sig" && mkdir -p "$T/sig/tmp" "$T/sig/out"
	# a background job ignores SIGINT unless told otherwise
	TMPDIR=$T/sig/tmp env --default-signal=INT,TERM "$MK" --kver "$KVER" --basedir "$KDIR" \
		--stacks-dir "$STACKS" \
		--output "$T/sig/out/s.img" --module-level 19 >"$T/out" 2>"$T/err" &
	pid=$!
	for i in $(seq 200); do
		ls -d "$T/sig/tmp"/mkrdinit.* >/dev/null 2>&1 && break
		sleep 0.05
	done
	ls -d "$T/sig/tmp"/mkrdinit.* >/dev/null 2>&1 || fail "$sig: no staging dir appeared"
	sleep 0.5
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq $((128 + num)) ] || fail "$sig: exit status $rc, not $((128 + num))"
	# the cleanup may finish a moment after the process is gone
	for i in $(seq 100); do
		[ -z "$(ls -A "$T/sig/tmp" "$T/sig/out")" ] && break
		sleep 0.05
	done
	[ -z "$(ls -A "$T/sig/tmp")" ] || fail "$sig: left in TMPDIR: $(ls -A "$T/sig/tmp")"
	[ -z "$(ls -A "$T/sig/out")" ] || fail "$sig: left beside --output: $(ls -A "$T/sig/out")"
}

t_signals() {
	sig_kill TERM
	sig_kill INT
}

# A library linked by a relative path (DT_NEEDED "./libx.so", "sub/liby.so") sits where the
# loader, started from /, finds it; it is read from the directory of the program.
t_install_relative() {
	local d=$T/rel
	rm -rf "$d" && mkdir -p "$d/sub"
	printf 'int x(void) { return 1; }\n' >"$d/x.c"
	printf 'int y(void) { return 2; }\n' >"$d/y.c"
	printf 'int x(void); int y(void);\nint main(void) { return x() + y(); }\n' >"$d/main.c"
	(cd "$d" && gcc -shared -fPIC -o libx.so x.c && gcc -shared -fPIC -o sub/liby.so y.c &&
		gcc -o prog main.c ./libx.so sub/liby.so) || { fail "cannot build the test program"; return; }
	readelf -d "$d/prog" | grep -q 'Shared library: \[\./libx\.so\]' ||
		{ fail "the linker did not record ./libx.so"; return; }
	must_build "$T/ir.img" --profile none --install "$d/prog"
	has "$T/ir.img" "^${d#/}/prog$" "the program"
	has "$T/ir.img" '^libx\.so$' "./libx.so at /libx.so"
	has "$T/ir.img" '^sub/liby\.so$' "sub/liby.so at /sub/liby.so"
	cmp -s <(gzip -dc "$T/ir.img" | cpio -i --quiet --to-stdout libx.so) "$d/libx.so" ||
		fail "libx.so in the image is not $d/libx.so"
}

# extract IMG PATH: PATH's contents from the compressed (gzip) part of IMG
extract() {
	local off
	off=$(python3 tests/bench/imgsize.py --split "$1" 2>/dev/null) || return 1
	tail -c +$((off + 1)) "$1" | gzip -dc 2>/dev/null | cpio -i --quiet --to-stdout "$2" 2>/dev/null
}

# The default (generic) image carries the three stacks: each tool as /usr/sbin/TOOL, 0755,
# the very file from --stacks-dir, and each module set; --omit-stacks leaves out both.
t_stacks_generic() {
	local tool
	must_build "$T/st.img"
	for tool in cryptsetup lvm mdadm; do
		[ "$(mode_in "$T/st.img" "usr/sbin/$tool")" = 100755 ] ||
			fail "usr/sbin/$tool with mode 0755 (got '$(mode_in "$T/st.img" "usr/sbin/$tool")')"
		cmp -s <(extract "$T/st.img" "usr/sbin/$tool") "$STACKS/$tool" ||
			fail "usr/sbin/$tool in the image is not $STACKS/$tool"
	done
	for m in dm-mod dm-crypt algif_skcipher af_alg dm-snapshot dm-mirror md-mod \
		raid0 raid1 raid10 raid456; do
		has "$T/st.img" "/$m\.ko" "the stacks' module $m"
	done
	must_build "$T/st-l.img" --omit-stacks luks
	lacks "$T/st-l.img" '^usr/sbin/cryptsetup$' "cryptsetup with --omit-stacks luks"
	lacks "$T/st-l.img" '/(dm-crypt|algif_skcipher|af_alg)\.ko' "luks.list's modules"
	has "$T/st-l.img" '^usr/sbin/lvm$' "lvm with --omit-stacks luks"
	has "$T/st-l.img" '^usr/sbin/mdadm$' "mdadm with --omit-stacks luks"
	has "$T/st-l.img" '/dm-mod\.ko' "dm_mod, which LVM needs too"
	has "$T/st-l.img" '/dm-snapshot\.ko' "lvm.list's dm_snapshot"
	must_build "$T/st-0.img" --omit-stacks luks,lvm --omit-stacks md
	lacks "$T/st-0.img" '^usr/sbin/' "stack tools with every stack omitted"
	lacks "$T/st-0.img" '/(dm-mod|dm-crypt|md-mod|raid1|raid456)\.ko' "stack modules with every stack omitted"
	has "$T/st-0.img" '/ext4\.ko' "the other sets"
	must_build "$T/st-n.img" --profile none
	lacks "$T/st-n.img" '^usr/sbin/' "stack tools with --profile none"
	must_fail "unknown stack" "unknown stack 'bogus' in --omit-stacks \(luks, lvm, md\)" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --omit-stacks lvm,bogus
	[ "$RC" -eq 2 ] || fail "unknown stack: exit status $RC, not 2"
}

# A tool missing from --stacks-dir is named, with the ways out; a dynamic one brings its
# libraries, as --install does.
t_stacks_dir() {
	local d=$T/partial prog=/usr/bin/kmod lib
	[ -x "$prog" ] || prog=/bin/ls
	rm -rf "$d" && mkdir -p "$d" && cp "$STACKS/cryptsetup" "$STACKS/mdadm" "$d/"
	must_fail "missing tool" "cannot use the lvm tool $d/lvm: No such file or directory; build the tools with 'make stacks', .*--stacks-dir.*--omit-stacks lvm" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --stacks-dir "$d"
	[ "$RC" -eq 1 ] || fail "missing tool: exit status $RC, not 1"
	must_build "$T/sd.img" --stacks-dir "$d" --omit-stacks lvm
	lacks "$T/sd.img" '^usr/sbin/lvm$' "lvm, omitted"
	printf '#!/bin/sh\n' >"$d/lvm" && chmod 755 "$d/lvm"
	must_fail "non-ELF tool" "cannot use the lvm tool $d/lvm: not an ELF program" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --stacks-dir "$d"
	cp "$prog" "$d/lvm"
	must_build "$T/sd2.img" --stacks-dir "$d" --omit-modules btrfs,xfs
	has "$T/sd2.img" '^usr/sbin/lvm$' "a dynamic lvm"
	lacks "$T/sd2.img" "^${d#/}/lvm$" "the dynamic tool at its own path"
	for lib in $(ldd "$prog" | awk '/=>/ { print $1 }'); do
		has "$T/sd2.img" "/$lib$" "the dynamic tool's library $lib"
	done
}

# ct_file NAME LINE...: $T/ct/NAME holding the lines
ct_file() {
	local f=$T/ct/$1
	shift
	mkdir -p "$T/ct"
	printf '%s\n' "$@" >"$f"
}

# --crypttab FILE: FILE as /etc/crypttab with its mode, and the key files it names.
t_crypttab() {
	local k=$T/ct/keys
	mkdir -p "$k" && printf 'key-a\n' >"$k/a.key" && printf 'key-b\n' >"$k/b.key"
	chmod 600 "$k/a.key" && chmod 640 "$k/b.key"
	ct_file good '# <name> <device> <key file> <options>' '' \
		"root UUID=0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 $k/a.key luks,discard" \
		"  data	/dev/vdb2	$k/b.key	luks" "home PARTUUID=5e3c1a2b-03 none luks" \
		"other /dev/vdc - luks" "bare /dev/vdd" "also-a /dev/vde $k/a.key" \
		"swap /dev/vdf /dev/urandom swap" "	# an indented comment" "key#1 /dev/vdg none"
	chmod 600 "$T/ct/good"
	must_build "$T/ct.img" --profile none --crypttab "$T/ct/good"
	cmp -s <(extract "$T/ct.img" etc/crypttab) "$T/ct/good" ||
		fail "etc/crypttab in the image is not --crypttab's file"
	[ "$(mode_in "$T/ct.img" etc/crypttab)" = 100600 ] ||
		fail "etc/crypttab's mode 0600 kept (got $(mode_in "$T/ct.img" etc/crypttab))"
	[ "$(mode_in "$T/ct.img" "${k#/}/a.key")" = 100600 ] || fail "key file a.key with mode 0600"
	[ "$(mode_in "$T/ct.img" "${k#/}/b.key")" = 100640 ] || fail "key file b.key with mode 0640"
	cmp -s <(extract "$T/ct.img" "${k#/}/b.key") "$k/b.key" || fail "b.key's contents"
	lacks "$T/ct.img" '^dev/urandom$' "a /dev key (a device read at boot)"
	[ "$(stat -c %a "$T/ct.img")" = 600 ] || fail "the image with private key files is not 0600"
	ct_file short '# fine' "root /dev/vda2 $k/a.key luks" 'lonely'
	must_fail "a line of one field" "$T/ct/short:3: expected NAME DEVICE \[KEYFILE \[OPTIONS\]\]" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/short"
	ct_file long "root /dev/vda2 none luks extra"
	must_fail "a line of five fields" "$T/ct/long:1: expected NAME DEVICE \[KEYFILE \[OPTIONS\]\], found 5 fields" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/long"
	# '#' starts a comment only at the start of a line, as systemd and Debian read it
	ct_file hash "root /dev/vda2 $k/a.key luks # the root"
	must_fail "a comment after an entry" "$T/ct/hash:1: expected NAME DEVICE \[KEYFILE \[OPTIONS\]\]: '#' starts a comment only at the start of a line" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/hash"
	ct_file name "ok /dev/vda1 none" "a/b /dev/vda2 none"
	must_fail "a name device-mapper refuses" "$T/ct/name:2: the name 'a/b' cannot name a mapping" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/name"
	ct_file nokey "root /dev/vda2 $k/a.key" "data /dev/vdb2 $k/gone.key luks"
	must_fail "a missing key file" "$T/ct/nokey:2: key file $k/gone.key: No such file or directory" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/nokey"
	ct_file remote "root /dev/vda2 /key.bin:UUID=5e3c1a2b-0000-4000-8000-000000000001 luks"
	must_fail "a key on another device" "$T/ct/remote:1: key file /key.bin:UUID=.*not supported" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/remote"
	ct_file relative "root /dev/vda2 keys/a.key luks"
	must_fail "a relative key file" "$T/ct/relative:1: key file 'keys/a.key' is not an absolute path" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/relative"
	must_fail "a missing crypttab" "cannot read --crypttab $T/ct/none" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile none --crypttab "$T/ct/none"
}

# host_fixture DIR: a machine whose root is ext4 on LVM (vg-root, dm-1) on LUKS (cryptroot,
# dm-0) on vda2, a virtio disk: /proc/self/mountinfo, the chain in /sys, udev's
# /dev/disk/by-partuuid link, /etc/crypttab and a key file, for --host-root.
host_fixture() {
	local d=$1 pci=sys/devices/pci0000:00/0000:00:04.0 dm=sys/devices/virtual/block
	local blk=$pci/virtio1/block/vda
	rm -rf "$d"
	mkdir -p "$d/proc/self" "$d/sys/dev/block" "$d/$blk/vda2" "$d/$dm/dm-0/dm" "$d/$dm/dm-0/slaves" \
		"$d/$dm/dm-1/dm" "$d/$dm/dm-1/slaves" "$d/dev/disk/by-partuuid" "$d/etc/keys"
	echo '29 1 254:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw' >"$d/proc/self/mountinfo"
	echo 'pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00' >"$d/$pci/modalias"
	echo 'virtio:d00000002v00001AF4' >"$d/$pci/virtio1/modalias"
	echo 2 >"$d/$blk/vda2/partition"
	ln -s ../../devices/virtual/block/dm-1 "$d/sys/dev/block/254:1"
	echo LVM-Hc1ZxgkxWXe2zWfNWU0AyUTnyHaULJW3jrBeVBvjfIudsvqt2c5bDyX9PQHGiPUb >"$d/$dm/dm-1/dm/uuid"
	echo vg-root >"$d/$dm/dm-1/dm/name"
	ln -s ../../dm-0 "$d/$dm/dm-1/slaves/dm-0"
	echo CRYPT-LUKS2-0a1b2c3d4e5f40718293a4b5c6d7e8f9-cryptroot >"$d/$dm/dm-0/dm/uuid"
	echo cryptroot >"$d/$dm/dm-0/dm/name"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio1/block/vda/vda2 "$d/$dm/dm-0/slaves/vda2"
	ln -s ../../vda2 "$d/dev/disk/by-partuuid/5e3c1a2b-02"
	printf 'root-key\n' >"$d/etc/keys/root.key" && chmod 600 "$d/etc/keys/root.key"
	printf '%s\n' '# <name> <device> <key file> <options>' \
		'cryptroot UUID=0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 /etc/keys/root.key luks,discard' \
		'data UUID=11111111-2222-4333-8444-555555555555 /etc/keys/gone.key luks' \
		'swap /dev/vdb1 /dev/urandom swap' >"$d/etc/crypttab"
}

# host_build IMG ARGS...: --profile host on the fixture at $T/fx
host_build() {
	local img=$1
	shift
	must_build "$img" --profile host --host-root "$T/fx" "$@"
}

# crypttab_names IMG: the names of the entries in IMG's /etc/crypttab
crypttab_names() {
	extract "$1" etc/crypttab | awk '!/^#/ && NF { print $1 }' | tr '\n' ' '
}

# --profile host on LVM on LUKS: cryptsetup and lvm with their sets, not mdadm; the one
# crypttab entry that opens the root (by name, or by a device below it) and its key file.
t_stacks_host() {
	host_fixture "$T/fx"
	host_build "$T/hs.img" --verbose
	has "$T/hs.img" '^usr/sbin/cryptsetup$' "cryptsetup for a root on LUKS"
	has "$T/hs.img" '^usr/sbin/lvm$' "lvm for a root on LVM"
	lacks "$T/hs.img" '^usr/sbin/mdadm$' "mdadm for a root without md"
	for m in dm-mod dm-crypt algif_skcipher dm-snapshot virtio_blk ext4; do
		has "$T/hs.img" "/$m\.ko" "$m for the fixture's root"
	done
	lacks "$T/hs.img" '/(md-mod|raid1|raid456|xfs|ahci)\.ko' "modules the root does not need"
	[ "$(crypttab_names "$T/hs.img")" = "cryptroot " ] ||
		fail "the host's crypttab cut to cryptroot, got: $(crypttab_names "$T/hs.img")"
	extract "$T/hs.img" etc/crypttab | grep -qx 'cryptroot UUID=0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9 /etc/keys/root.key luks,discard' ||
		fail "the cryptroot line as written: $(extract "$T/hs.img" etc/crypttab)"
	[ "$(mode_in "$T/hs.img" etc/keys/root.key)" = 100600 ] || fail "the root's key file, 0600"
	cmp -s <(extract "$T/hs.img" etc/keys/root.key) "$T/fx/etc/keys/root.key" ||
		fail "the root's key file read below --host-root"
	[ "$(stat -c %a "$T/hs.img")" = 600 ] || fail "the image with the root's key file is not 0600"
	grep -q "mkrdinit: $T/fx/etc/keys/root.key (mode 0600) is not world-readable" "$T/err" ||
		fail "--verbose to name the private file: $(cat "$T/err")"
	grep -q "host: / is on luks: cryptsetup" "$T/err" || fail "--verbose to name the stacks: $(cat "$T/err")"
	# by the device below the crypt device, whatever the name: /dev/NAME, PARTUUID= (udev's
	# link), and the LUKS UUID in the dm uuid
	printf '%s\n' 'luks-a /dev/vda2 none' 'luks-b PARTUUID=5e3c1a2b-02 none' \
		'luks-c UUID=0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9 none' 'luks-d /dev/vdb2 none' \
		'luks-e PARTUUID=5e3c1a2b-09 none' 'luks-f UUID=0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f0 none' \
		>"$T/fx/etc/crypttab"
	host_build "$T/hs2.img"
	[ "$(crypttab_names "$T/hs2.img")" = "luks-a luks-b luks-c " ] ||
		fail "entries by device: got $(crypttab_names "$T/hs2.img")"
	# --crypttab replaces the host's
	ct_file mine "mine /dev/vdz1 none"
	host_build "$T/hs3.img" --crypttab "$T/ct/mine"
	cmp -s <(extract "$T/hs3.img" etc/crypttab) "$T/ct/mine" || fail "--crypttab over the host's"
	# no entry for the root: said, and no /etc/crypttab
	printf 'other /dev/vdb2 none\n' >"$T/fx/etc/crypttab"
	host_build "$T/hs4.img"
	lacks "$T/hs4.img" '^etc/crypttab$' "an /etc/crypttab without the root's entry"
	grep -q "warning: the root is on dm-crypt, but $T/fx/etc/crypttab has no entry for it" "$T/err" ||
		fail "no warning for a crypttab without the root: $(cat "$T/err")"
	host_build "$T/hs5.img" --omit-stacks luks
	lacks "$T/hs5.img" '^(usr/sbin/cryptsetup|etc/crypttab)$' "cryptsetup and crypttab, luks omitted"
	has "$T/hs5.img" '^usr/sbin/lvm$' "lvm with luks omitted"
	# a tool the host root needs is required
	must_fail "host root, a missing tool" "cannot use the luks tool $T/nowhere/cryptsetup" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --profile host --host-root "$T/fx" \
		--stacks-dir "$T/nowhere"
}

# --profile host on md RAID 1 of two virtio disks: mdadm and raid1, nothing of LUKS or LVM.
t_stacks_host_md() {
	local d=$T/fxmd pci=sys/devices/pci0000:00/0000:00:04.0 md=sys/devices/virtual/block/md0
	rm -rf "$d"
	mkdir -p "$d/proc/self" "$d/sys/dev/block" "$d/$pci/virtio1/block/vda/vda1" \
		"$d/$pci/virtio1/block/vdb/vdb1" "$d/$md/md" "$d/$md/slaves" "$d/etc"
	echo '29 1 9:0 / / rw,relatime shared:1 - ext4 /dev/md0 rw' >"$d/proc/self/mountinfo"
	echo 'virtio:d00000002v00001AF4' >"$d/$pci/virtio1/modalias"
	echo 1 >"$d/$pci/virtio1/block/vda/vda1/partition"
	echo 1 >"$d/$pci/virtio1/block/vdb/vdb1/partition"
	ln -s ../../devices/virtual/block/md0 "$d/sys/dev/block/9:0"
	echo raid1 >"$d/$md/md/level"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio1/block/vda/vda1 "$d/$md/slaves/vda1"
	ln -s ../../../../pci0000:00/0000:00:04.0/virtio1/block/vdb/vdb1 "$d/$md/slaves/vdb1"
	echo 'cryptroot /dev/vda1 none' >"$d/etc/crypttab"
	must_build "$T/hm.img" --profile host --host-root "$d"
	has "$T/hm.img" '^usr/sbin/mdadm$' "mdadm for a root on md"
	lacks "$T/hm.img" '^usr/sbin/(cryptsetup|lvm)$' "LUKS and LVM tools for a root on md"
	lacks "$T/hm.img" '^etc/crypttab$' "a crypttab for a root without LUKS"
	has "$T/hm.img" '/raid1\.ko' "raid1, the array's level"
	lacks "$T/hm.img" '/(raid456|raid10|dm-mod)\.ko' "other levels, dm"
}

# An arm64 kernel's tree alone makes an arm64 image: the architecture comes from its
# modules, /init and the tools are aarch64 programs, the arm64 module sets are in.
t_arch_detect() {
	arm64_ready || return
	local m d=$T/ax
	mka --output "$T/a.img" --verbose
	[ "$RC" -eq 0 ] || { fail "an arm64 image: $(cat "$T/err")"; return; }
	grep -Eq "kernel $RE_AKVER is for arm64 \(.* is an aarch64 module\)" "$T/err" ||
		fail "--verbose to say the kernel is for arm64: $(grep 'is for' "$T/err")"
	rm -rf "$d" && mkdir -p "$d"
	extract "$T/a.img" init >"$d/init"
	m=$(machine "$d/init")
	[ "$m" = 02b700 ] || fail "/init of the arm64 image is ELF class/machine $m, not 02b700 (aarch64)"
	cmp -s "$d/init" build/arm64/rdinit || fail "/init of the arm64 image is not build/arm64/rdinit"
	for tool in cryptsetup lvm mdadm; do
		cmp -s <(extract "$T/a.img" "usr/sbin/$tool") "$ASTACKS/$tool" ||
			fail "usr/sbin/$tool is not the aarch64 stand-in"
	done
	for mod in virtio_blk virtio_mmio nvme ahci ahci_platform xhci-plat-hcd dwc3 dwc2 \
		sdhci-iproc sdhci-of-arasan dw_mmc-rockchip meson-gx-mmc sunxi-mmc usb-storage \
		ext4 dm-crypt aes-ce-blk sdhci-pci; do
		has "$T/a.img" "/$mod\.ko\.zst$" "$mod in the arm64 image"
	done
	# modules/arm64/'s sets are arm64's own, credited by their path
	grep -Eq 'sdhci-pci\.ko\.xz: arm64/mmc\.list$' "$T/err" ||
		fail "--verbose to credit sdhci-pci to arm64/mmc.list"
	lacks "$T/a.img" '/(aesni-intel|sha256-ssse3|vmw_pvscsi)\.ko' "x86 modules"
	# the modules (in the first, uncompressed archive) are aarch64 ones
	(cd "$d" && cpio -id --quiet) <"$T/a.img" || fail "cpio to read the module archive"
	m=$(find "$d" -name 'virtio_blk.ko.zst' | head -n 1)
	[ -n "$m" ] && zstd -dcq "$m" >"$d/virtio_blk.ko" && [ "$(machine "$d/virtio_blk.ko")" = 02b700 ] ||
		fail "virtio_blk in the image is not an aarch64 module"
	# --arch with the kernel's architecture, by name or alias, changes nothing
	for a in arm64 aarch64; do
		mka --output "$T/a-$a.img" --arch "$a"
		[ "$RC" -eq 0 ] || fail "--arch $a: $(cat "$T/err")"
		cmp -s "$T/a.img" "$T/a-$a.img" || fail "--arch $a gave other bytes than no --arch"
	done
}

# The amd64 kernel still makes x86_64 images, aliases included; --arch arm64 contradicts it.
t_arch_amd64() {
	local d=$T/xx
	mk --output "$T/x.img" --profile none --verbose
	[ "$RC" -eq 0 ] || { fail "an amd64 image: $(cat "$T/err")"; return; }
	grep -Eq "kernel $RE_KVER is for x86_64" "$T/err" ||
		fail "--verbose to say the kernel is for x86_64: $(grep 'is for' "$T/err")"
	rm -rf "$d" && mkdir -p "$d"
	extract "$T/x.img" init >"$d/init"
	[ "$(machine "$d/init")" = 023e00 ] || fail "/init of the amd64 image is not an x86-64 program"
	cmp -s "$d/init" build/rdinit || fail "/init of the amd64 image is not build/rdinit"
	for a in x86_64 amd64 x86-64; do
		mk --output "$T/x-$a.img" --profile none --arch "$a"
		[ "$RC" -eq 0 ] || fail "--arch $a: $(cat "$T/err")"
		cmp -s "$T/x.img" "$T/x-$a.img" || fail "--arch $a gave other bytes than no --arch"
	done
	must_fail "--arch arm64, amd64 kernel" \
		"--arch arm64, but kernel $RE_KVER is for x86_64: its .* is an x86-64 module" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --arch arm64
	[ "$RC" -eq 1 ] || fail "--arch contradicting the kernel: exit status $RC, not 1"
	must_fail "unknown arch" "unknown architecture 'mips' \(x86_64, arm64\)" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --arch mips
	[ "$RC" -eq 2 ] || fail "unknown architecture: exit status $RC, not 2"
	# modules/arm64/ is not read for an x86_64 image: no SD host drivers in the generic one
	mk --output "$T/x-gen.img"
	[ "$RC" -eq 0 ] || fail "the generic amd64 image: $(cat "$T/err")"
	lacks "$T/x-gen.img" '/(sdhci-pci|sdhci|mmc_block)\.ko' "arm64/mmc.list's modules"
	must_fail "arm64 /init in an x86_64 image" \
		"--init .*build/arm64/rdinit: an aarch64 program, but the image is for x86_64" \
		--kver "$KVER" --basedir "$KDIR" --output "$T/bad.img" --init "$PWD/build/arm64/rdinit"
}

# Programs of the wrong machine are refused, each by the option that brought it, and no
# image is written; scripts are fine.
t_arch_programs() {
	arm64_ready || return
	local k=(--kver "$AKVER" --basedir "$AKDIR" --output "$T/bad.img")
	must_fail "--arch x86_64, arm64 kernel" \
		"--arch x86_64, but kernel $RE_AKVER is for arm64: its .* is an aarch64 module" \
		"${k[@]}" --stacks-dir "$ASTACKS" --arch x86_64
	must_fail "--arch amd64, arm64 kernel" "--arch x86_64, but kernel $RE_AKVER is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --arch amd64
	must_fail "x86-64 --install" "--install /usr/bin/true: an x86-64 program, but the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --install /usr/bin/true
	[ "$RC" -eq 1 ] || fail "x86-64 --install: exit status $RC, not 1"
	must_fail "x86-64 --init" "--init $PWD/build/rdinit: an x86-64 program, but the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --init "$PWD/build/rdinit"
	must_fail "x86-64 --shell" "--shell /usr/bin/true: an x86-64 program, but the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --shell /usr/bin/true
	must_fail "x86-64 --hook" "--hook /usr/bin/true: an x86-64 program, but the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --hook mounted:/usr/bin/true
	must_fail "x86-64 stack tool" \
		"cannot use the luks tool $STACKS/cryptsetup: an x86-64 program, but the image is for arm64; build the tools with 'make ARCH=arm64 stacks'" \
		"${k[@]}" --stacks-dir "$STACKS"
	must_fail "missing arm64 tools" \
		"cannot use the luks tool $T/nowhere/cryptsetup: No such file or directory; build the tools with 'make ARCH=arm64 stacks', name their directory with --stacks-dir, or leave the stack out with --omit-stacks luks" \
		"${k[@]}" --stacks-dir "$T/nowhere"
	must_fail "microcode for arm64" "--microcode: early microcode is for x86 kernels, and the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --microcode "$STACKS/lvm"
	# an x86-64 library an aarch64 program names by path
	printf 'int main(void) { return 0; }\n' >"$T/nolib.c"
	aarch64-linux-gnu-gcc -o "$T/arm-dyn" "$T/nolib.c" -Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2 ||
		{ fail "cannot build an aarch64 program"; return; }
	must_fail "x86-64 interpreter" \
		"--install /lib64/ld-linux-x86-64.so.2: an x86-64 library, but the image is for arm64" \
		"${k[@]}" --stacks-dir "$ASTACKS" --install "$T/arm-dyn"
	# scripts and an aarch64 program are fine
	printf '#!/bin/sh\necho hi\n' >"$T/hi.sh" && chmod 755 "$T/hi.sh"
	mka --output "$T/ap.img" --profile none --hook "mounted:$T/hi.sh" --install "$ASTACKS/lvm" \
		--shell "$ASTACKS/mdadm" --hook "pre-switch:$ASTACKS/cryptsetup"
	[ "$RC" -eq 0 ] || fail "scripts and aarch64 programs in an arm64 image: $(cat "$T/err")"
	has "$T/ap.img" '^bin/sh$' "--shell as /bin/sh"
	has "$T/ap.img" '^usr/lib/rdinit/hooks/mounted\.d/hi\.sh$' "a script hook"
}

# --profile host describes this machine: not for an image of another architecture.
t_arch_host() {
	arm64_ready || return
	must_fail "--profile host --arch arm64" \
		"--profile host reads what this machine \($(uname -m)\) needs, but the image is for arm64" \
		--kver "$AKVER" --basedir "$AKDIR" --output "$T/bad.img" --stacks-dir "$ASTACKS" \
		--profile host --arch arm64
	must_fail "--profile host, arm64 kernel" "--profile host .* but the image is for arm64" \
		--kver "$AKVER" --basedir "$AKDIR" --output "$T/bad.img" --stacks-dir "$ASTACKS" \
		--profile host
}

# A kernel without modules says nothing: the image is this machine's, unless --arch says.
t_arch_nomodules() {
	local b=$T/nomod v=0.0-nomod d=$T/nx
	rm -rf "$b" "$d" && mkdir -p "$b/lib/modules/$v" "$d"
	# what modules_install writes for a kernel that builds everything in
	touch "$b/lib/modules/$v/modules.order" "$b/lib/modules/$v/modules.builtin" \
		"$b/lib/modules/$v/modules.builtin.modinfo"
	depmod -b "$b" "$v" || { fail "depmod on an empty tree"; return; }
	"$MK" --kver "$v" --basedir "$b" --profile none --output "$T/nm.img" --verbose \
		>"$T/out" 2>"$T/err" || { fail "a kernel without modules: $(cat "$T/err")"; return; }
	grep -q "the image is for $(uname -m)" "$T/err" ||
		fail "no modules, no --arch: not this machine's: $(grep 'image is for' "$T/err")"
	cmp -s <(extract "$T/nm.img" init) build/rdinit || fail "no modules: /init is not build/rdinit"
	arm64_ready || return
	"$MK" --kver "$v" --basedir "$b" --profile none --output "$T/nm64.img" --arch arm64 \
		>"$T/out" 2>"$T/err" || { fail "--arch arm64, no modules: $(cat "$T/err")"; return; }
	cmp -s <(extract "$T/nm64.img" init) build/arm64/rdinit ||
		fail "--arch arm64, no modules: /init is not build/arm64/rdinit"
}

t_help() {
	"$MK" --help >"$T/help" || fail "--help failed"
	for o in --kver --basedir --profile --add-modules --omit-modules --config --install \
		--hook --include --compress --compress-level --microcode --list --output \
		--keep-module-compression --decompress-modules --stacks-dir --omit-stacks --crypttab \
		--arch aarch64 'make ARCH=arm64 stacks' SOURCE_DATE_EPOCH; do
		grep -q -- "$o" "$T/help" || fail "--help does not mention $o"
	done
	if command -v man >/dev/null; then
		man -l man/mkrdinit.8 >/dev/null 2>&1 || fail "man page does not render"
	fi
	for o in --profile --omit-modules --install --hook --include --microcode --compress-level \
		--stacks-dir --omit-stacks --crypttab make\ stacks rdinit.hook_timeout conf/rdinit.conf \
		--arch aarch64 ARCHITECTURES make\ ARCH=arm64\ stacks; do
		grep -q -- "${o//-/\\\\-}" man/mkrdinit.8 || fail "man page does not mention $o"
	done
}

# make install PREFIX=/usr DESTDIR=...: every file where it belongs, an mkrdinit that looks in
# the installed places, and an image from the installed pieces whose /init is the installed one
t_make_install() {
	local d=$T/destdir f
	make -s install PREFIX=/usr DESTDIR="$d" >"$T/install.out" 2>&1 ||
		{ fail "make install failed: $(tail -n 3 "$T/install.out")"; return; }
	for f in usr/sbin/mkrdinit usr/lib/rdinit/rdinit usr/lib/rdinit/stacks/cryptsetup \
		usr/lib/rdinit/stacks/lvm usr/lib/rdinit/stacks/mdadm; do
		[ -x "$d/$f" ] || fail "/$f not installed, or not executable"
	done
	for f in usr/share/rdinit/modules/storage.list usr/share/rdinit/modules/luks.list \
		usr/share/rdinit/modules/arm64/mmc.list \
		usr/share/rdinit/conf/rdinit.conf usr/share/man/man8/rdinit.8.gz \
		usr/share/man/man8/mkrdinit.8.gz usr/share/man/man5/rdinit.conf.5.gz \
		usr/share/doc/rdinit/init.conf.example; do
		[ -f "$d/$f" ] || fail "/$f not installed"
	done
	[ -x "$d/usr/share/initramfs-tools/hooks/rdinit" ] || fail "the initramfs-tools hook not installed"
	[ -x "$d/usr/lib/dracut/modules.d/99rdinit/module-setup.sh" ] || fail "dracut's module not installed"
	[ -x "$d/usr/lib/initcpio/install/rdinit" ] || fail "mkinitcpio's hook not installed"
	[ -x "$d/etc/initramfs/post-update.d/00-rdinit" ] ||
		fail "update-initramfs' post-update hook not installed (/etc/initramfs/post-update.d/00-rdinit)"
	grep -q '^RDINIT=n$' "$d/etc/initramfs-tools/conf.d/rdinit" ||
		fail "initramfs-tools' switch installed, and off"
	local outside
	outside=$(cd "$d" && find . -type f | grep -v -e '^\./usr/' -e '^\./etc/initramfs-tools/conf\.d/rdinit$' \
		-e '^\./etc/kernel/post\(inst\|rm\)\.d/zz-rdinit$' -e '^\./etc/default/rdinit$' \
		-e '^\./etc/initramfs/post-update\.d/00-rdinit$')
	[ -z "$outside" ] || fail "files outside DESTDIR/usr: $outside"
	"$d/usr/sbin/mkrdinit" --help >"$T/ihelp" 2>&1
	for f in /usr/share/rdinit/modules /usr/lib/rdinit/stacks /usr/lib/rdinit/rdinit \
		/usr/share/rdinit/conf/rdinit.conf /usr/lib/rdinit/arm64/rdinit \
		/usr/lib/rdinit/arm64/stacks; do
		grep -qF "$f" "$T/ihelp" || fail "installed mkrdinit's defaults do not name $f"
	done
	grep -q "$PWD" "$T/ihelp" && fail "installed mkrdinit names the source tree: $(grep "$PWD" "$T/ihelp")"
	"$d/usr/sbin/mkrdinit" --kver "$KVER" --basedir "$KDIR" --init "$d/usr/lib/rdinit/rdinit" \
		--modules-dir "$d/usr/share/rdinit/modules" --stacks-dir "$d/usr/lib/rdinit/stacks" \
		--config "$d/usr/share/rdinit/conf/rdinit.conf" --compress none --decompress-modules \
		--output "$T/inst.img" >"$T/out" 2>"$T/err" ||
		{ fail "installed mkrdinit failed: $(cat "$T/err")"; return; }
	has "$T/inst.img" '^usr/sbin/cryptsetup$' "the installed cryptsetup"
	cmp -s <(cpio -i --quiet --to-stdout init <"$T/inst.img") "$d/usr/lib/rdinit/rdinit" ||
		fail "/init is not the installed rdinit"
	cmp -s <(cpio -i --quiet --to-stdout usr/sbin/lvm <"$T/inst.img") \
		"$d/usr/lib/rdinit/stacks/lvm" || fail "/usr/sbin/lvm is not the installed lvm"
	MANPATH=$d/usr/share/man man -w rdinit >/dev/null 2>&1 || fail "man does not find rdinit(8)"
	MANPATH=$d/usr/share/man man -w 5 rdinit.conf >/dev/null 2>&1 ||
		fail "man does not find rdinit.conf(5)"
	MANPATH=$d/usr/share/man man -w mkrdinit >/dev/null 2>&1 || fail "man does not find mkrdinit(8)"
	install_keeps_conf "$d"
}

# install_keeps_conf DESTDIR: the configuration is the user's: a second make install keeps
# a changed /etc/default/rdinit and conf.d/rdinit byte for byte and says so, replaces an
# unchanged one, and the shipped versions are where it says
install_keeps_conf() {
	local d=$1 f
	local def=$d/etc/default/rdinit conf=$d/etc/initramfs-tools/conf.d/rdinit
	sed -i 's/^RDINIT_KERNEL_HOOK=no$/RDINIT_KERNEL_HOOK=yes/' "$def"
	sed -i 's/^RDINIT=n$/RDINIT=y/' "$conf"
	cp "$def" "$T/def.mine" && cp "$conf" "$T/conf.mine"
	make -s install PREFIX=/usr DESTDIR="$d" >"$T/install.out" 2>&1 ||
		{ fail "a second make install failed: $(tail -n 3 "$T/install.out")"; return; }
	cmp -s "$def" "$T/def.mine" || fail "make install overwrote a changed /etc/default/rdinit: $(grep HOOK= "$def")"
	cmp -s "$conf" "$T/conf.mine" || fail "make install overwrote a changed conf.d/rdinit: $(grep RDINIT= "$conf")"
	for f in /etc/default/rdinit /etc/initramfs-tools/conf.d/rdinit; do
		grep -qF "kept $d$f" "$T/install.out" || fail "make install does not say it kept $f: $(cat "$T/install.out")"
	done
	cmp -s "$d/usr/share/doc/rdinit/examples/default" packaging/kernel/default ||
		fail "the shipped /etc/default/rdinit in /usr/share/doc/rdinit/examples"
	cmp -s "$d/usr/share/doc/rdinit/examples/initramfs-tools.conf" packaging/initramfs-tools/conf.d/rdinit ||
		fail "the shipped conf.d/rdinit in /usr/share/doc/rdinit/examples"
	# nothing in conf.d that mkinitramfs would read besides the file itself
	[ "$(ls -A "$d/etc/initramfs-tools/conf.d")" = rdinit ] ||
		fail "more than rdinit in conf.d: $(ls -A "$d/etc/initramfs-tools/conf.d")"
	# an unchanged one is the package's to update
	cp packaging/kernel/default "$def"
	make -s install PREFIX=/usr DESTDIR="$d" >"$T/install.out" 2>&1 || fail "a third make install failed"
	cmp -s "$def" packaging/kernel/default || fail "an unchanged /etc/default/rdinit not the shipped one"
	grep -qF "kept $def" "$T/install.out" && fail "make install says it kept an unchanged $def"
}

# The kernel packages' hooks: nothing until /etc/default/rdinit says yes; then postinst.d
# builds /boot/initrd.img-VERSION with mkrdinit and its options, postrm.d removes it
t_kernel_hooks() {
	local boot=$T/boot
	mkdir -p "$boot" "$T/bin"
	ln -sf "$PWD/$MK" "$T/bin/mkrdinit"
	printf 'RDINIT_KERNEL_HOOK=no\n' >"$T/default"
	RDINIT_DEFAULTS=$T/default RDINIT_BOOT=$boot PATH=$T/bin:$PATH \
		packaging/kernel/postinst.d/zz-rdinit "$KVER" /boot/vmlinuz-"$KVER" || fail "postinst.d with no"
	[ -e "$boot/initrd.img-$KVER" ] && fail "an image although RDINIT_KERNEL_HOOK=no"
	printf 'RDINIT_KERNEL_HOOK=yes\nMKRDINIT_OPTIONS="--basedir %s --stacks-dir %s --profile none"\n' \
		"$KDIR" "$STACKS" >"$T/default"
	RDINIT_DEFAULTS=$T/default RDINIT_BOOT=$boot PATH=$T/bin:$PATH \
		packaging/kernel/postinst.d/zz-rdinit "$KVER" /boot/vmlinuz-"$KVER" 2>"$T/err" ||
		fail "postinst.d with yes: $(cat "$T/err")"
	has "$boot/initrd.img-$KVER" '^init$' "rdinit as /init in the hook's image"
	RDINIT_DEFAULTS=$T/default RDINIT_BOOT=$boot packaging/kernel/postrm.d/zz-rdinit "$KVER" ||
		fail "postrm.d"
	[ -e "$boot/initrd.img-$KVER" ] && fail "postrm.d to remove the image"
	post_update_hook
}

# update-initramfs -u (a package's trigger, or the user) writes /boot/initrd.img-VERSION
# with mkinitramfs, then runs /etc/initramfs/post-update.d/* as "HOOK VERSION IMAGE": with
# RDINIT_KERNEL_HOOK=yes rdinit's hook puts back the very image the kernel hook builds,
# before a boot loader's hook there copies it; with no it leaves initramfs-tools' alone
post_update_hook() {
	local boot=$T/boot img hook=packaging/initramfs-tools/post-update.d/00-rdinit
	img=$boot/initrd.img-$KVER
	[ -x "$hook" ] || { fail "no $hook"; return; }
	mkdir -p "$T/post-update.d" && cp "$hook" "$T/post-update.d/"
	RDINIT_DEFAULTS=$T/default RDINIT_BOOT=$boot PATH=$T/bin:$PATH \
		packaging/kernel/postinst.d/zz-rdinit "$KVER" /boot/vmlinuz-"$KVER" 2>"$T/err" ||
		fail "postinst.d with yes: $(cat "$T/err")"
	cp "$img" "$T/kernel-hook.img"
	echo "initramfs-tools' image" >"$img"
	RDINIT_DEFAULTS=$T/default PATH=$T/bin:$PATH \
		run-parts --arg="$KVER" --arg="$img" "$T/post-update.d" >"$T/out" 2>"$T/err" ||
		fail "post-update.d with yes: $(cat "$T/err")"
	cmp -s "$img" "$T/kernel-hook.img" ||
		fail "after update-initramfs, $img is not the kernel hook's image: $(head -c 40 "$img")"
	printf 'RDINIT_KERNEL_HOOK=no\n' >"$T/default"
	echo "initramfs-tools' image" >"$img"
	RDINIT_DEFAULTS=$T/default PATH=$T/bin:$PATH \
		run-parts --arg="$KVER" --arg="$img" "$T/post-update.d" || fail "post-update.d with no"
	[ "$(cat "$img")" = "initramfs-tools' image" ] || fail "post-update.d replaced the image with no"
	hook_options_words packaging/kernel/postinst.d/zz-rdinit "$KVER" /boot/vmlinuz-"$KVER"
	hook_options_words packaging/initramfs-tools/post-update.d/00-rdinit "$KVER" "$T/boot/x.img"
}

# hook_options_words HOOK ARGS...: HOOK passes MKRDINIT_OPTIONS to mkrdinit split into words,
# never globbed against the current directory
hook_options_words() {
	local hook=$1 g=$T/optglob
	shift
	rm -rf "$g" && mkdir -p "$g/cwd" "$g/bin"
	: >"$g/cwd/--omit-stacks=GLOBBED"
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s/args\n' "$g" >"$g/bin/mkrdinit" && chmod 755 "$g/bin/mkrdinit"
	printf 'RDINIT_KERNEL_HOOK=yes\nMKRDINIT_OPTIONS="--profile none --omit-stacks=*"\n' >"$g/default"
	(cd "$g/cwd" && RDINIT_DEFAULTS=$g/default RDINIT_BOOT=$T/boot PATH=$g/bin:$PATH \
		"$OLDPWD/$hook" "$@") 2>/dev/null || fail "$hook with a * in MKRDINIT_OPTIONS"
	grep -qx -- '--omit-stacks=\*' "$g/args" && grep -qx -- '--profile' "$g/args" ||
		fail "$hook passed MKRDINIT_OPTIONS as: $(tr '\n' ' ' <"$g/args")"
}

# The generators' scripts split settings into words without globbing them: a * in
# RDINIT_CONF, dracut's rdinit_conf or a cmdline.d file stays as written, whatever files
# the current directory holds
t_hook_words() {
	local w=$T/words l
	rm -rf "$w" && mkdir -p "$w/cwd" "$w/conf/conf.d" "$w/dest/etc" "$w/initdir/etc/cmdline.d"
	: >"$w/cwd/rd.luks.options=GLOBBED" && : >"$w/cwd/rd.lvm.lv=GLOBBED"
	printf 'RDINIT=y\nRDINIT_BIN=%s\nRDINIT_STACKS=%s\nRDINIT_CONF="rd.luks.options=* rdinit.timeout=10"\n' \
		"$PWD/build/rdinit" "$STACKS" >"$w/conf/conf.d/rdinit"
	(cd "$w/cwd" && CONFDIR=$w/conf DESTDIR=$w/dest sh "$OLDPWD/packaging/initramfs-tools/hooks/rdinit") \
		>"$T/out" 2>&1 || fail "the initramfs-tools hook failed: $(cat "$T/out")"
	grep -qx 'rd.luks.options=\*' "$w/dest/etc/rdinit.conf" && grep -qx 'rdinit.timeout=10' "$w/dest/etc/rdinit.conf" ||
		fail "initramfs-tools' RDINIT_CONF as written: $(cat "$w/dest/etc/rdinit.conf")"
	printf 'root=/dev/vda1 rd.lvm.lv=*\n' >"$w/initdir/etc/cmdline.d/10-root.conf"
	(cd "$w/cwd" && initdir=$w/initdir RDINIT_BIN=$OLDPWD/build/rdinit RDINIT_STACKS=$STACKS \
		rdinit_conf='rd.luks.options=* rdinit.timeout=10' bash -c \
		'dfatal() { echo "$*" >&2; }; . "$1" && install && [[ $- != *f* ]]' sh \
		"$OLDPWD/packaging/dracut/99rdinit/module-setup.sh") >"$T/out" 2>&1 ||
		fail "dracut's module failed, or left dracut's globbing off: $(cat "$T/out")"
	for l in 'root=/dev/vda1' 'rd.lvm.lv=\*' 'rd.luks.options=\*' 'rdinit.timeout=10'; do
		grep -qx "$l" "$w/initdir/etc/rdinit.conf" ||
			fail "dracut's $l as written: $(cat "$w/initdir/etc/rdinit.conf")"
	done
}

# dpkg-buildpackage -us -uc -b: a .deb with everything make install puts in place, the conffiles,
# mkrdinit's library dependencies, and lintian finds no error (the .deb and the .changes go
# to a temporary directory, not to the tree's parent)
t_debian_package() {
	local o=$T/deb
	mkdir -p "$o"
	RDINIT_DEB_DESTDIR=$o dpkg-buildpackage -us -uc -b --changes-option=-u"$o" \
		--changes-option=-O"$o/rdinit.changes" --buildinfo-option=-u"$o" \
		--buildinfo-option=-O"$o/rdinit.buildinfo" >"$T/deb.log" 2>&1 ||
		{ fail "dpkg-buildpackage failed: $(tail -n 5 "$T/deb.log")"; return; }
	local deb
	deb=$(ls "$o"/rdinit_*_amd64.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { fail "no rdinit_*_amd64.deb in $o"; return; }
	dpkg-deb -c "$deb" | awk '{ print $6 }' >"$T/deb.list"
	for f in ./usr/sbin/mkrdinit ./usr/lib/rdinit/rdinit ./usr/lib/rdinit/stacks/cryptsetup \
		./usr/share/rdinit/modules/storage.list ./usr/share/man/man8/rdinit.8.gz \
		./usr/share/man/man5/rdinit.conf.5.gz ./usr/share/initramfs-tools/hooks/rdinit \
		./usr/lib/dracut/modules.d/99rdinit/module-setup.sh ./etc/kernel/postinst.d/zz-rdinit \
		./etc/kernel/postrm.d/zz-rdinit ./etc/default/rdinit ./usr/share/doc/rdinit/copyright \
		./etc/initramfs/post-update.d/00-rdinit; do
		grep -qxF "$f" "$T/deb.list" || fail "the package lacks $f"
	done
	dpkg-deb -I "$deb" conffiles >"$T/conffiles" 2>/dev/null
	for f in /etc/default/rdinit /etc/initramfs-tools/conf.d/rdinit /etc/kernel/postinst.d/zz-rdinit \
		/etc/initramfs/post-update.d/00-rdinit; do
		grep -qxF "$f" "$T/conffiles" || fail "$f is not a conffile"
	done
	dpkg-deb -f "$deb" Depends | grep -q 'libkmod2' || fail "Depends lacks mkrdinit's libkmod2"
	lintian --fail-on error "$deb" >"$T/lintian" 2>&1 || fail "lintian: $(grep '^E:' "$T/lintian")"
	cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/rdinit/rdinit) build/rdinit ||
		fail "the package's rdinit is not build/rdinit"
}

# The man pages render without a warning (that rdinit(8) documents every option rdinit reads,
# and init.conf.example every one /etc/rdinit.conf takes, is tests/docs.sh's)
t_manpages() {
	local m
	for m in man/rdinit.8 man/rdinit.conf.5 man/mkrdinit.8; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" >"$T/man.txt" 2>"$T/man.err" ||
			fail "$m does not render"
		[ -s "$T/man.err" ] && fail "$m: $(head -n 3 "$T/man.err")"
		[ "$(wc -l <"$T/man.txt")" -gt 20 ] || fail "$m renders to almost nothing"
	done
}

TESTS=(reproducible summary errors profile_none profile_generic profile_host omit
	module_compression module_zstd install hook default_conf include microcode compress_level confine modes private_mode signals
	install_relative stacks_generic stacks_dir crypttab stacks_host stacks_host_md
	arch_detect arch_amd64 arch_programs arch_host arch_nomodules help
	make_install manpages kernel_hooks hook_words debian_package)
[ $# -gt 0 ] && TESTS=("$@")
for t in "${TESTS[@]}"; do
	declare -F "t_$t" >/dev/null || { echo "mkrdinit: no test '$t'" >&2 && exit 2; }
done
for t in "${TESTS[@]}"; do
	NAME=$t FAILS=0 SKIPS=0
	"t_$t"
	if [ "$FAILS" -gt 0 ]; then
		FAILED=$((FAILED + 1))
	elif [ "$SKIPS" -gt 0 ]; then
		# a test that skipped part of itself did not prove all of it
		echo "SKIP $t"
		SKIPPED=$((SKIPPED + 1))
	else
		echo "PASS $t"
		PASSED=$((PASSED + 1))
	fi
done
if [ "$SKIPPED" -gt 0 ]; then
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
	echo "$PASSED passed, $FAILED failed"
fi
[ "$FAILED" -eq 0 ]
