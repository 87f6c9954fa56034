#!/bin/bash
# make check-fresh: what a new user does, on a new machine. A minbase Debian 12 (git, make and
# ca-certificates, nothing else) made by mmdebstrap from this machine's apt sources, entered as a
# chroot with the host's /proc, /sys and /dev; a clone of this tree's HEAD; then, timed:
#
#   unit      make unit, with only the host packages it needs (on a copy of the new root)
#   demo      make demo                          (the README's first command)
#   demo-arm64  make demo ARCH=arm64
#   check     make check                         (the README's second command)
#   make      make, in a second clean clone: rdinit, mkrdinit and the stack tools built
#   install   make install DESTDIR=…, alone, in a third clean clone: a working install
#   dist      make dist, then the .deb built from the unpacked tarball inside unshare -n
#
# Each step must reach its real outcome (the demo's handoff to the real init, make check's
# "0 failed", the files each build leaves), not just exit 0. FRESH_ARCHES=x86_64 leaves the arm64
# demo out; FRESH_STEPS="demo check" runs only those. Times go to build/fresh/times.
set -u
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
OUT=$TOP/build/fresh
ROOT=$OUT/root
STEPS=${FRESH_STEPS:-unit demo demo-arm64 check make install dist}
case ${FRESH_ARCHES:-x86_64 arm64} in *arm64*) ;; *) STEPS=${STEPS//demo-arm64/} ;; esac
PASSED=0 FAILED=0

die() {
	echo "fresh: $*" >&2
	echo "fresh: $PASSED passed, $((FAILED + 1)) failed"
	exit 1
}

umount_root() {
	local r=$1 m
	for m in dev/pts dev proc sys; do
		mountpoint -q "$r/$m" && umount -l "$r/$m"
	done
	mountpoint -q "$r" && umount -l "$r"
	return 0
}

# newroot DIR: a minbase Debian 12 with git, make and ca-certificates in DIR
newroot() {
	local mirrors
	mirrors=$(sh build-aux/debroot.sh --mirrors) || die "no apt sources to build from"
	printf '%s\n' "$mirrors" | mmdebstrap --quiet --variant=minbase \
		--include=git,make,ca-certificates bookworm "$1" - >"$OUT/mmdebstrap.log" 2>&1 ||
		{ tail -n 20 "$OUT/mmdebstrap.log"; die "mmdebstrap failed"; }
}

enter() { # enter DIR: mount what a machine has, / included (a bind of DIR on itself: in a
	# chroot of a plain folder, / is no mount, which no machine has and mkrdinit --profile
	# host rightly refuses)
	local r=$1
	mountpoint -q "$r" || mount --bind "$r" "$r"
	mkdir -p "$r/proc" "$r/sys" "$r/dev"
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
}

# run STEP CMD: CMD in the chroot as root in /root/rdinit (login shell: a new user's PATH),
# its output in $OUT/STEP.log and its time in $OUT/times
run() {
	local step=$1 t0 t1 rc
	shift
	echo "fresh: $step: $*"
	t0=$(date +%s)
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/rdinit && $*" >"$OUT/$step.log" 2>&1
	rc=$?
	t1=$(date +%s)
	printf '%-12s %5d s  exit %d  %s\n' "$step" $((t1 - t0)) "$rc" "$*" | tee -a "$OUT/times"
	return $rc
}

# result STEP OK MESSAGE
result() {
	if [ "$2" = 0 ]; then
		echo "PASS $1"
		PASSED=$((PASSED + 1))
	else
		echo "FAIL $1: $3 (log: $OUT/$1.log)"
		tail -n 15 "$OUT/$1.log" | sed 's/^/  | /'
		FAILED=$((FAILED + 1))
	fi
}

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot)"
command -v mmdebstrap >/dev/null || die "no mmdebstrap (make bootstrap)"
[ -n "$(git status --porcelain --untracked-files=no)" ] &&
	echo "fresh: note: uncommitted changes are not in the clone; it tests HEAD"
umount_root "$ROOT" 2>/dev/null
[ -d "$OUT" ] && umount_root "$OUT/unit-root"
rm -rf "$OUT" && mkdir -p "$OUT"
: >"$OUT/times"
t0=$(date +%s)
newroot "$ROOT"
printf '%-12s %5d s\n' mmdebstrap $(($(date +%s) - t0)) | tee -a "$OUT/times"
git clone -q "$TOP" "$ROOT/root/rdinit" || die "git clone failed"
trap 'umount_root "$ROOT"; umount_root "$OUT/unit-root"' EXIT

for step in $STEPS; do
	case $step in
	unit)
		# a copy of the new root: the other steps start from nothing installed
		cp -a "$ROOT" "$OUT/unit-root"
		(
			ROOT=$OUT/unit-root
			enter "$ROOT"
			run unit-deps "export DEBIAN_FRONTEND=noninteractive; apt-get update -q &&
				apt-get install -y -q --no-install-recommends gcc libc6-dev pkg-config \
				libcmocka-dev libkmod-dev libblkid-dev libmount-dev libarchive-dev \
				xz-utils zstd lz4 kmod" &&
				run unit "make unit"
			rc=$?
			[ -e "$ROOT/root/rdinit/build/sysroot" ] && rc=1
			tail -n 1 "$OUT/unit.log" | grep -Eq '^unit: [1-9][0-9]* passed, 0 failed$' || rc=1
			umount_root "$ROOT"
			exit $rc
		)
		result unit $? "make unit did not pass with host packages alone, or it built the sysroot"
		rm -rf "$OUT/unit-root"
		;;
	demo | demo-arm64)
		mountpoint -q "$ROOT/proc" || enter "$ROOT"
		a=x86_64
		[ "$step" = demo-arm64 ] && a=arm64
		run "$step" "make demo ARCH=$a"
		rc=$?
		# the demo's own closing line: the real init ran as PID 1 on the right machine
		grep -q "demo: real init reached as PID 1" "$OUT/$step.log" || rc=1
		result "$step" $rc "no handoff to the real init"
		;;
	check)
		mountpoint -q "$ROOT/proc" || enter "$ROOT"
		run check "make check"
		rc=$?
		tail -n 1 "$OUT/check.log" | grep -Eq '^[1-9][0-9]* passed, 0 failed$' || rc=1
		result check $rc "make check did not pass"
		;;
	make)
		mountpoint -q "$ROOT/proc" || enter "$ROOT"
		git clone -q "$TOP" "$ROOT/root/rdinit-make"
		run make "cd ../rdinit-make && make"
		rc=$?
		for f in build/rdinit build/mkrdinit build/stacks/sbin/cryptsetup build/stacks/sbin/lvm \
			build/stacks/sbin/mdadm; do
			[ -x "$ROOT/root/rdinit-make/$f" ] || { echo "no $f" >>"$OUT/make.log"; rc=1; }
		done
		result make $rc "make left something out"
		rm -rf "$ROOT/root/rdinit-make"
		;;
	install)
		mountpoint -q "$ROOT/proc" || enter "$ROOT"
		git clone -q "$TOP" "$ROOT/root/rdinit-install"
		run install "cd ../rdinit-install && make install DESTDIR=/tmp/dest &&
			/tmp/dest/usr/sbin/mkrdinit --help >/dev/null &&
			test -x /tmp/dest/usr/lib/rdinit/rdinit &&
			test -x /tmp/dest/usr/lib/rdinit/stacks/cryptsetup &&
			test -z \"\$(cd /tmp/dest && find . -path '*sysroot*')\""
		result install $? "make install DESTDIR= from a clean clone did not give a working install"
		rm -rf "$ROOT/root/rdinit-install" "$ROOT/tmp/dest"
		;;
	dist)
		mountpoint -q "$ROOT/proc" || enter "$ROOT"
		# no cache, no apt: everything the build takes comes from the tarball
		run dist "make dist && rm -rf /tmp/dist && mkdir -p /tmp/dist &&
			tar -C /tmp/dist -xJf build/rdinit-*.tar.xz && cd /tmp/dist/rdinit-* &&
			RDINIT_SRC_CACHE=/tmp/dist/no-cache unshare -n dpkg-buildpackage -us -uc -b &&
			ls /tmp/dist/rdinit_*_amd64.deb &&
			dpkg-deb -c /tmp/dist/rdinit_*_amd64.deb | grep -q ./usr/lib/rdinit/stacks/cryptsetup &&
			test ! -e /tmp/dist/no-cache"
		result dist $? "the .deb did not build offline from make dist's tarball"
		;;
	*) die "no step '$step'" ;;
	esac
done
echo "fresh: times ($OUT/times):"
cat "$OUT/times"
echo "fresh: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
