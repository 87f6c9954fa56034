#!/bin/bash
# The build's own tests: the source lock (build-aux/sources.lock, build-aux/debsrc.sh) refuses a
# wrong digest, falls back to another version it vouches for and says so, stops with what to do
# when none can be fetched; a change in the lock rebuilds what it changed and nothing else;
# `make` builds rdinit, mkrdinit and the stack tools for either ARCH; `make install DESTDIR=`
# keeps its DESTDIR out of the builds of Debian's sources.
#
# Needs the tree built (make all-arches) and its source cache. usage: tests/build/run.sh [TEST...]
# Last line: "N passed, N failed"; exit status 1 if a test failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d /tmp/build-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
HERE=$PWD/build-aux
# shellcheck disable=SC2034 # debsrc.sh's messages
TAG=build-test
# the cache the build used, for copies of what it holds
# shellcheck source=build-aux/debsrc.sh
. build-aux/debsrc.sh
CACHE=$SRC_CACHE
PASSED=0 FAILED=0 FAILS=0 NAME=

fail() {
	echo "FAIL $NAME: $*"
	FAILS=$((FAILS + 1))
}

# lock FILE LINES...: a lock holding only LINES
lock() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# get PKG LOCK CACHE: src_get as the build runs it; output in $T/out, status in RC
get() {
	RDINIT_SOURCES_LOCK=$2 RDINIT_SRC_CACHE=$3 RDINIT_SRC_BUNDLE=$T/no-bundle \
		bash -c 'HERE=$1 TAG=sources; . "$HERE/debsrc.sh"; src_get "$2"' sh "$HERE" "$1" \
		>"$T/out" 2>&1
	RC=$?
}

ZLIB_VER=$(lock_lines src zlib | head -n 1 | cut -d' ' -f1)
ZLIB_SHA=$(lock_lines src zlib | head -n 1 | cut -d' ' -f2)
BAD_SHA=0000000000000000000000000000000000000000000000000000000000000000

# A copy in the cache whose .dsc is not the lock's is refused, both digests named; the right
# digest takes the same copy
t_digest_cached() {
	mkdir -p "$T/c1/zlib"
	cp -a "$CACHE/zlib/$(verkey "$ZLIB_VER")" "$T/c1/zlib/" || { fail "no zlib in $CACHE"; return; }
	lock "$T/lock" "src zlib $ZLIB_VER $BAD_SHA"
	get zlib "$T/lock" "$T/c1"
	[ "$RC" != 0 ] || fail "a wrong digest was taken"
	for want in "zlib $ZLIB_VER" "$ZLIB_SHA" "$BAD_SHA" refused; do
		grep -qF -- "$want" "$T/out" || fail "the message lacks '$want': $(cat "$T/out")"
	done
	lock "$T/lock" "src zlib $ZLIB_VER $ZLIB_SHA"
	get zlib "$T/lock" "$T/c1"
	[ "$RC" = 0 ] || fail "the right digest was refused: $(cat "$T/out")"
	grep -qx "$T/c1/zlib/$(verkey "$ZLIB_VER")" "$T/out" || fail "not the cached copy: $(cat "$T/out")"
}

# A download whose .dsc is not the lock's stops the build, and nothing of it stays in the cache
t_digest_download() {
	lock "$T/lock" "src zlib $ZLIB_VER $BAD_SHA"
	get zlib "$T/lock" "$T/c2"
	[ "$RC" != 0 ] || fail "a wrong digest was taken"
	grep -qF "$ZLIB_SHA" "$T/out" && grep -qF "$BAD_SHA" "$T/out" ||
		fail "the message does not name both digests: $(cat "$T/out")"
	[ -z "$(find "$T/c2/zlib" -name '*.dsc' 2>/dev/null)" ] || fail "the refused download is in the cache"
}

# The first version the archive does not serve: the next one the lock vouches for, said
t_fallback() {
	lock "$T/lock" "src zlib 0.0-0rdinit $BAD_SHA" "src zlib $ZLIB_VER $ZLIB_SHA"
	get zlib "$T/lock" "$T/c3"
	[ "$RC" = 0 ] || { fail "no fallback: $(cat "$T/out")"; return; }
	grep -q "took $ZLIB_VER, which the lock also vouches for" "$T/out" ||
		fail "does not say which version it took: $(cat "$T/out")"
	[ -n "$(find "$T/c3/zlib/$(verkey "$ZLIB_VER")" -name '*.dsc')" ] || fail "not in the cache"
}

# None served: the package, the versions tried, what the archive offers, and the command
t_none() {
	lock "$T/lock" "src zlib 0.0-0rdinit $BAD_SHA" "src zlib 0.0-1rdinit $BAD_SHA"
	get zlib "$T/lock" "$T/c4"
	[ "$RC" != 0 ] || fail "a version the lock does not vouch for was taken"
	for want in "zlib:" "tried: 0.0-0rdinit 0.0-1rdinit" "offers now: " "$ZLIB_VER" \
		"make update-lock"; do
		grep -qF -- "$want" "$T/out" || fail "the message lacks '$want': $(cat "$T/out")"
	done
}

# A change in the lock's lines for zlib rebuilds zlib alone (on a copy of the x86-64 sysroot,
# its stamps naming the copy's path)
t_stamp() {
	local s=$T/sysroot
	[ -f build/sysroot/.zlib.stamp ] || { fail "build/sysroot not built"; return; }
	mkdir -p "$s"
	cp -a build/sysroot/lib build/sysroot/include "$s/"
	for f in build/sysroot/.*.stamp; do
		sed "s|$PWD/build/sysroot|$s|g" "$f" >"$s/${f##*/}"
	done
	cp build-aux/sources.lock "$T/lock"
	RDINIT_SOURCES_LOCK=$T/lock sh build-aux/sysroot.sh "$s" x86_64 >"$T/out" 2>&1 ||
		{ fail "sysroot.sh: $(tail -n 5 "$T/out")"; return; }
	grep -q building "$T/out" && fail "an unchanged lock rebuilt: $(grep building "$T/out")"
	echo "src zlib 0.0-0rdinit $BAD_SHA" >>"$T/lock"
	RDINIT_SOURCES_LOCK=$T/lock sh build-aux/sysroot.sh "$s" x86_64 >"$T/out" 2>&1 ||
		{ fail "sysroot.sh: $(tail -n 5 "$T/out")"; return; }
	grep -q "building zlib" "$T/out" || fail "zlib was not rebuilt: $(cat "$T/out")"
	[ "$(grep -c building "$T/out")" = 1 ] || fail "more than zlib rebuilt: $(grep building "$T/out")"
}

# `make` (no goal) builds rdinit, mkrdinit and the stack tools, for this machine's ARCH and for
# arm64: what it would run when each one's sources are newer
t_default_goal() {
	make -pn 2>/dev/null | grep -qx '.DEFAULT_GOAL := all' || fail "the default goal is not all"
	local a out
	for a in x86_64 arm64; do
		case $a in x86_64) out=build ;; arm64) out=build/arm64 ;; esac
		make -n ARCH=$a -W init/main.c -W packaging/mkrdinit.c -W build-aux/stacks.sh \
			>"$T/n" 2>&1 || { fail "make -n ARCH=$a: $(tail -n 3 "$T/n")"; continue; }
		grep -q -- "-o $out/rdinit\$" "$T/n" || fail "make ARCH=$a does not build $out/rdinit"
		grep -q -- "-o build/mkrdinit\$" "$T/n" || fail "make ARCH=$a does not build build/mkrdinit"
		grep -q "stacks.sh $out/stacks " "$T/n" || fail "make ARCH=$a does not build $out/stacks"
	done
}

# make install DESTDIR=D CFLAGS=… while a step of the stack tools is rebuilt (popt, whose make
# install reads DESTDIR): popt goes to the build's own prefix, nothing of the build goes to D,
# and D holds a working install
t_install_destdir() {
	local d=$T/dest
	rm -f build/stacks/sysroot/lib/libpopt.a
	make -W build-aux/stacks.sh install DESTDIR="$d" CFLAGS=-bogus-flag PREFIX=/usr \
		>"$T/out" 2>&1 ||
		{ fail "make install: $(tail -n 5 "$T/out")"; return; }
	grep -q "stacks: building popt" "$T/out" || fail "popt was not rebuilt: the test proves nothing"
	[ -f build/stacks/sysroot/lib/libpopt.a ] || fail "popt is not back in build/stacks/sysroot"
	local leak
	leak=$(cd "$d" && find . -path '*sysroot*' | head -n 3)
	[ -z "$leak" ] || fail "the build installed under DESTDIR: $leak"
	"$d/usr/sbin/mkrdinit" --help >/dev/null 2>&1 || fail "the installed mkrdinit does not run"
	[ -x "$d/usr/lib/rdinit/stacks/cryptsetup" ] || fail "no cryptsetup installed"
}

TESTS=(digest_cached digest_download fallback none stamp default_goal install_destdir)
[ $# -gt 0 ] && TESTS=("$@")
for t in "${TESTS[@]}"; do
	NAME=$t FAILS=0
	"t_$t"
	if [ "$FAILS" -gt 0 ]; then
		FAILED=$((FAILED + 1))
	else
		echo "PASS $t"
		PASSED=$((PASSED + 1))
	fi
done
echo "build: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
