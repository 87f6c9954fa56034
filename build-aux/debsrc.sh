# shellcheck shell=sh
# Sourced by sysroot.sh, stacks.sh, kernel.sh, sources.sh and the tests: every Debian package
# the build and the tests take, at the exact versions build-aux/sources.lock vouches for,
# verified by digest and kept in a cache outside build/.
#
# Expects HERE (build-aux/, absolute) and TAG (the prefix of messages) to be set. Reads:
#   RDINIT_SOURCES_LOCK  the lock (default: $HERE/sources.lock)
#   RDINIT_SRC_CACHE     the cache (default: ~/.cache/rdinit/src, or $XDG_CACHE_HOME/rdinit/src),
#                        PKG/VERSION/ for a source package's .dsc and tarballs, deb/ for .debs
#   RDINIT_SRC_BUNDLE    read-only sources laid out as the cache, searched first (default: the
#                        sources/ folder of an unpacked `make dist` tarball, if there is one)
# A source package is fetched with `apt-get source PKG=VERSION` only when no copy is here; the
# .dsc's SHA-256 must be the lock's (dpkg-source then checks the tarballs against the .dsc),
# whether it was just downloaded or found in the cache. Nothing takes "the newest apt lists".

SOURCES_LOCK=${RDINIT_SOURCES_LOCK:-$HERE/sources.lock}
SRC_CACHE=${RDINIT_SRC_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/rdinit/src}
SRC_BUNDLE=${RDINIT_SRC_BUNDLE:-$HERE/../sources}

src_die() {
	echo "$TAG: $*" >&2
	exit 1
}

# lock_lines KIND NAME: "VERSION SHA256" for each version the lock vouches for, preferred first
lock_lines() {
	[ -f "$SOURCES_LOCK" ] || src_die "no lock file $SOURCES_LOCK"
	awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3, $4 }' "$SOURCES_LOCK"
}

# lock_entry NAME: the lock's lines for a source package, one line: what a stamp records, so
# a change in the lock rebuilds what it changed and nothing else
lock_entry() {
	lock_lines src "$1" | tr '\n' ' '
}

# verkey VERSION: the version as a file name ("1:1.2" -> "1%3a1.2", apt's own spelling)
verkey() {
	printf '%s\n' "$1" | sed 's/:/%3a/g'
}

cache_dir() {
	mkdir -p "$SRC_CACHE" 2>/dev/null && [ -w "$SRC_CACHE" ] ||
		src_die "cannot write the source cache $SRC_CACHE: set RDINIT_SRC_CACHE to a folder of yours"
	SRC_CACHE=$(cd "$SRC_CACHE" && pwd)
}

# sha_check FILE WANT WHAT: FILE's SHA-256 is WANT, or stop naming both
sha_check() {
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] && return 0
	src_die "$3: $(basename "$1") has SHA-256 $got, but $SOURCES_LOCK says $2: refused" \
		"(a changed file, or a wrong lock: make update-lock rewrites it from what the archive serves)"
}

# add_deb_src: a deb-src entry for each Debian archive this machine's apt uses for deb (no host
# name is written here), so apt-get source can find source packages
add_deb_src() {
	if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || src_die "need root to add a deb-src entry to apt's sources"
	out=/etc/apt/sources.list.d/rdinit-deb-src
	found=0
	# Written to temporary files first and renamed, so an interrupted run leaves nothing
	# half-made and no run ever reads its own output back.
	rm -f "$out.sources.tmp" "$out.list.tmp"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in "$out".*) continue ;; esac
		sed -e 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" >>"$out.sources.tmp"
		echo >>"$out.sources.tmp"
		found=1
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		case $f in "$out".*) continue ;; esac
		if grep -qE '^deb[[:space:]]' "$f"; then
			sed -n -e 's/^deb\([[:space:]]\)/deb-src\1/p' "$f" >>"$out.list.tmp"
			found=1
		fi
	done
	[ "$found" = 1 ] || src_die "no apt sources found to derive deb-src from"
	for t in "$out.sources" "$out.list"; do
		if [ -f "$t.tmp" ]; then mv -f "$t.tmp" "$t"; fi
	done
	apt-get update -q >&2
}

# apt_retry LOG CMD...: CMD, and once more after refreshing apt's lists (a stale list names
# files the archive has dropped)
apt_retry() {
	log=$1
	shift
	"$@" >>"$log" 2>&1 && return 0
	apt-get update -q >>"$log" 2>&1 && "$@" >>"$log" 2>&1
}

# apt_fetch src|deb DIR NAME VERSION: that version of a source package (.dsc and tarballs,
# apt-get source) or a binary one (.deb, apt-get download) into DIR, apt's output in DIR.log,
# retried once after refreshing apt's lists
apt_fetch() {
	case $1 in
	src) set -- "$2" apt-get source --download-only -q "$3=$4" ;;
	deb) set -- "$2" apt-get download -q "$3=$4" ;;
	esac
	apt_retry "$1.log" sh -c 'cd "$1" && shift && exec "$@"' sh "$@"
}

# src_download PKG VERSION SHA: into the cache, verified; prints its folder. Returns 1 when
# apt cannot fetch it; stops on a wrong digest (nothing of it is kept).
src_download() {
	final=$SRC_CACHE/$1/$(verkey "$2")
	tmp=$SRC_CACHE/$1/.tmp.$$
	rm -rf "$tmp" "$tmp.log" && mkdir -p "$tmp"
	add_deb_src
	if ! apt_fetch src "$tmp" "$1" "$2"; then
		rm -rf "$tmp" "$tmp.log"
		return 1
	fi
	dsc=$(find "$tmp" -maxdepth 1 -name '*.dsc')
	[ -f "$dsc" ] || { rm -rf "$tmp"; src_die "$1 $2: apt-get source gave no .dsc"; }
	(sha_check "$dsc" "$3" "$1 $2") || { rm -rf "$tmp" "$tmp.log"; exit 1; }
	# one rename: a folder in the cache is always whole
	rm -rf "$final" && mv "$tmp" "$final" && rm -f "$tmp.log"
	echo "$final"
}

# src_have DIR PKG: the folder under DIR holding PKG at the first version the lock vouches for
# that DIR has, its digest checked (a wrong one stops the build); returns 1 when DIR has none
src_have() {
	for ver in $vers; do
		dsc=$(find "$1/$2/$(verkey "$ver")" -maxdepth 1 -name '*.dsc' 2>/dev/null)
		[ -n "$dsc" ] || continue
		sha_check "$dsc" "$(lock_sha "$ver")" "$2 $ver (in $1)"
		[ "$ver" = "$(echo "$vers" | head -n 1)" ] ||
			echo "$TAG: $2: taking $ver, which the lock also vouches for (its first is not in $1)" >&2
		echo "${dsc%/*}"
		return 0
	done
	return 1
}

# lock_sha VERSION: the digest $lines gives VERSION
lock_sha() {
	echo "$lines" | awk -v v="$1" '$1 == v { print $2; exit }'
}

# src_get PKG: the folder holding PKG's .dsc and tarballs, at a version the lock vouches for
# and with its digest checked: a copy already here (the bundle, then the cache, in the lock's
# order), else the first the archive serves. Says which version it took when it is not the
# lock's first.
src_get() {
	pkg=$1
	lines=$(lock_lines src "$pkg")
	[ -n "$lines" ] || src_die "$pkg: not in $SOURCES_LOCK"
	vers=$(echo "$lines" | cut -d' ' -f1)
	src_have "$SRC_BUNDLE" "$pkg" && return 0
	cache_dir
	src_have "$SRC_CACHE" "$pkg" && return 0
	# nothing here: fetch, one fetch of a package at a time (make -j2 builds two targets); the
	# other may have fetched it meanwhile
	mkdir -p "$SRC_CACHE/$pkg"
	exec 9>"$SRC_CACHE/$pkg/.lock"
	flock 9
	if src_have "$SRC_CACHE" "$pkg"; then
		exec 9>&-
		return 0
	fi
	tried=""
	for ver in $vers; do
		echo "$TAG: fetching $pkg $ver" >&2
		if src_download "$pkg" "$ver" "$(lock_sha "$ver")"; then
			exec 9>&-
			[ "$ver" = "$(echo "$vers" | head -n 1)" ] ||
				echo "$TAG: $pkg: took $ver, which the lock also vouches for (the archive" \
					"did not serve$tried)" >&2
			return 0
		fi
		tried="$tried $ver"
	done
	exec 9>&-
	offered=$(apt-cache showsrc "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -u |
		tr '\n' ' ')
	src_die "$pkg: the archive serves none of the versions $SOURCES_LOCK vouches for" \
		"(tried:$tried; the archive offers now: ${offered:-nothing apt knows of})." \
		"Run make update-lock: it rewrites the lock from what the archive serves and checks" \
		"it by building"
}

# fetch PKG: PKG's source unpacked in $SRC (dpkg-source checks the tarballs against the .dsc);
# prints the folder. An unpacked tree of another version is replaced.
fetch() {
	from=$(src_get "$1") || exit 1
	dsc=$(find "$from" -maxdepth 1 -name '*.dsc')
	base=$(basename "$dsc" .dsc)
	# pkg_1.2-3 -> pkg-1.2, as dpkg-source names it
	up=${base#*_}
	case $up in *-*) up=${up%-*} ;; esac
	dir=$SRC/$1-$up
	want="$(basename "$dsc") $(sha256sum "$dsc" | cut -d' ' -f1)"
	if [ "$(cat "$dir/.rdinit-source" 2>/dev/null)" != "$want" ]; then
		rm -rf "$dir" "$dir.tmp"
		log=$SRC/dpkg-source-$1.log
		dpkg-source -x "$dsc" "$dir.tmp" >"$log" 2>&1 ||
			{ cat "$log" >&2; src_die "$1: dpkg-source -x $dsc failed"; }
		printf '%s\n' "$want" >"$dir.tmp/.rdinit-source"
		mv "$dir.tmp" "$dir"
		echo "$TAG: unpacked $base" >&2
	fi
	echo "$dir"
}

# deb_get NAME:ARCH: the path of that binary package's .deb in the cache, at a version the
# lock vouches for ("deb NAME:ARCH VERSION SHA256" lines), verified
deb_get() {
	lines=$(lock_lines deb "$1")
	[ -n "$lines" ] || src_die "$1: not in $SOURCES_LOCK"
	vers=$(echo "$lines" | cut -d' ' -f1)
	cache_dir
	mkdir -p "$SRC_CACHE/deb"
	exec 9>"$SRC_CACHE/deb/.lock"
	flock 9
	tried=""
	for ver in $vers; do
		f=$SRC_CACHE/deb/${1%%:*}_$(verkey "$ver")_${1#*:}.deb
		if [ ! -f "$f" ]; then
			tmp=$SRC_CACHE/deb/.tmp.$$
			rm -rf "$tmp" "$tmp.log" && mkdir -p "$tmp"
			echo "$TAG: fetching $1 $ver" >&2
			if ! apt_fetch deb "$tmp" "$1" "$ver"; then
				rm -rf "$tmp" "$tmp.log"
				tried="$tried $ver"
				continue
			fi
			(sha_check "$tmp"/*.deb "$(lock_sha "$ver")" "$1 $ver") ||
				{ rm -rf "$tmp" "$tmp.log"; exit 1; }
			mv "$tmp"/*.deb "$f" && rm -rf "$tmp" "$tmp.log"
		fi
		sha_check "$f" "$(lock_sha "$ver")" "$1 $ver"
		exec 9>&-
		echo "$f"
		return 0
	done
	exec 9>&-
	offered=$(apt-cache madison "$1" 2>/dev/null |
		awk -F'|' '$3 !~ /Sources/ { gsub(/ /, "", $2); print $2 }' |
		sort -u | tr '\n' ' ')
	src_die "$1: the archive serves none of the versions $SOURCES_LOCK vouches for" \
		"(tried:$tried; the archive offers now: ${offered:-nothing apt knows of})." \
		"Run make update-lock"
}
