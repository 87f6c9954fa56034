# Sourced by sysroot.sh and stacks.sh: fetch a Debian source package into $SRC.
# Expects SRC (where sources go) and TAG (the prefix of error messages) to be set.
#
# Debian ships no musl builds of what we need, so: add a deb-src entry derived from the apt
# sources already configured on this machine (no host name is written here), `apt-get source`.

add_deb_src() {
	# Already have a deb-src line? Nothing to do.
	if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || { echo "$TAG: need root to add a deb-src entry" >&2; exit 1; }
	out=/etc/apt/sources.list.d/rdinit-deb-src
	found=0
	# Written to temporary files first and renamed, so an interrupted run leaves nothing half-made
	# and no run ever reads its own output back.
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
	[ "$found" = 1 ] || { echo "$TAG: no apt sources found to derive deb-src from" >&2; exit 1; }
	for t in "$out.sources" "$out.list"; do
		[ -f "$t.tmp" ] && mv -f "$t.tmp" "$t"
	done
	apt-get update -q >&2
}

fetch() { # fetch PKG -> prints the extracted source dir
	pkg=$1
	dir=$(find "$SRC" -maxdepth 1 -type d -name "$pkg-[0-9]*" | head -n 1)
	if [ -z "$dir" ]; then
		add_deb_src
		# quiet unless it fails
		log=$SRC/apt-get-source-$pkg.log
		(cd "$SRC" && apt-get source -q "$pkg" >"$log" 2>&1) || {
			# a stale package list: refresh once and retry
			apt-get update -q >>"$log" 2>&1 &&
				(cd "$SRC" && apt-get source -q "$pkg" >>"$log" 2>&1)
		} || { cat "$log" >&2; echo "$TAG: apt-get source $pkg failed" >&2; exit 1; }
		dir=$(find "$SRC" -maxdepth 1 -type d -name "$pkg-[0-9]*" | head -n 1)
	fi
	[ -n "$dir" ] || { echo "$TAG: apt-get source $pkg gave no source dir" >&2; exit 1; }
	echo "$dir"
}
