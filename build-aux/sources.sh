#!/bin/sh
# The lock of rdinit's Debian sources (build-aux/sources.lock) and its cache.
#
#   sources.sh fetch            every package of the lock into the cache, verified
#   sources.sh bundle DIR       the lock's source packages, as the build would take them, copied
#                               into DIR (laid out as the cache: what `make dist` ships)
#   sources.sh deb NAME:ARCH    the path of a verified .deb of the lock (fetched if need be)
#   sources.sh update-lock      rewrite the lock from what the archive serves now: every version
#                               apt lists that downloads, newest first, with its digest
#
# The lock has one line per version: "src PACKAGE VERSION SHA256-OF-DSC" for a source package,
# "deb NAME:ARCH VERSION SHA256-OF-DEB" for a binary one (the test kernels); where a package has
# several lines, the first is preferred and the others are taken, and said, when the archive no
# longer serves it. See build-aux/debsrc.sh.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TAG=sources
# shellcheck source=build-aux/debsrc.sh
. "$HERE/debsrc.sh"

names() { # names KIND: the lock's package names of that kind, in its order
	awk -v k="$1" '$1 == k && !seen[$2]++ { print $2 }' "$SOURCES_LOCK"
}

# newest_first: versions on stdin, sorted by dpkg's rules, newest first
newest_first() {
	sorted=""
	while read -r v; do
		[ -n "$v" ] || continue
		out="" placed=0
		for s in $sorted; do
			if [ "$placed" = 0 ] && dpkg --compare-versions "$v" gt "$s"; then
				out="$out $v"
				placed=1
			fi
			[ "$s" = "$v" ] || out="$out $s"
		done
		[ "$placed" = 1 ] || out="$out $v"
		sorted=$out
	done
	# shellcheck disable=SC2086
	printf '%s\n' $sorted | awk '!seen[$0]++'
}

# probe KIND NAME VERSION: download that version into a scratch folder; prints its digest
probe() {
	tmp=$SRC_CACHE/.probe.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	apt_fetch "$1" "$tmp" "$2" "$3" || { rm -rf "$tmp" "$tmp.log"; return 1; }
	if [ "$1" = src ]; then
		f=$(find "$tmp" -maxdepth 1 -name '*.dsc')
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		rm -rf "${SRC_CACHE:?}/$2/$(verkey "$3")"
		mkdir -p "$SRC_CACHE/$2"
		mv "$tmp" "$SRC_CACHE/$2/$(verkey "$3")"
	else
		f=$(find "$tmp" -maxdepth 1 -name '*.deb')
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		mkdir -p "$SRC_CACHE/deb"
		mv "$f" "$SRC_CACHE/deb/${2%%:*}_$(verkey "$3")_${2#*:}.deb"
		rm -rf "$tmp"
	fi
	rm -f "$tmp.log"
	echo "$sum"
}

update_lock() {
	cache_dir
	add_deb_src
	apt-get update -q >&2
	new=$SOURCES_LOCK.new
	sed -n '/^#/p;/^$/p' "$SOURCES_LOCK" | awk 'NR == 1 || !/^$/ || !blank++' >"$new"
	for kind in src deb; do
		for name in $(names "$kind"); do
			if [ "$kind" = src ]; then
				offered=$(apt-cache showsrc "$name" | sed -n 's/^Version: //p' | newest_first)
			else
				offered=$(apt-cache madison "$name" |
					awk -F'|' '$3 !~ /Sources/ { gsub(/ /, "", $2); print $2 }' | newest_first)
			fi
			n=0
			for ver in $offered; do
				if sum=$(probe "$kind" "$name" "$ver"); then
					printf '%s %s %s %s\n' "$kind" "$name" "$ver" "$sum" >>"$new"
					n=$((n + 1))
					echo "$TAG: $name $ver: served" >&2
				else
					echo "$TAG: $name $ver: listed, but the archive does not serve it" >&2
				fi
			done
			if [ "$n" = 0 ]; then
				echo "$TAG: $name: the archive serves no version now; its old lines are kept" >&2
				awk -v k="$kind" -v n="$name" '$1 == k && $2 == n' "$SOURCES_LOCK" >>"$new"
			fi
		done
	done
	mv "$new" "$SOURCES_LOCK"
	echo "$TAG: wrote $SOURCES_LOCK" >&2
}

case ${1:-} in
fetch)
	for name in $(names src); do src_get "$name" >/dev/null; done
	for name in $(names deb); do deb_get "$name" >/dev/null; done
	;;
bundle)
	out=${2:?usage: sources.sh bundle DIR}
	mkdir -p "$out"
	for name in $(names src); do
		d=$(src_get "$name")
		mkdir -p "$out/$name"
		rm -rf "${out:?}/$name/${d##*/}"
		cp -a "$d" "$out/$name/"
		rm -f "$out/$name/${d##*/}/.lock"
	done
	;;
deb) deb_get "${2:?usage: sources.sh deb NAME:ARCH}" ;;
update-lock) update_lock ;;
*)
	sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
