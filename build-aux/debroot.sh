#!/bin/sh
# A real Debian 12 userspace with systemd as init, for the VM tests: a root tarball from
# mmdebstrap, cached under DIR and keyed by the mmdebstrap options, so it is built once.
#
# usage: build-aux/debroot.sh DIR
# Output (stdout): the path of the tarball.
#        build-aux/debroot.sh --mirrors
# Output: the mirrors, one "deb URI SUITE COMPONENTS" line each (for other mmdebstrap runs).
#
# The mirrors are those this machine's apt already uses for bookworm (no host name is
# written here): every "deb" entry of /etc/apt/sources.list{,.d/*} whose suite is bookworm
# or one of its -updates/-security suites, as one-line "deb URI SUITE COMPONENTS" mirrors.
set -eu

DIR=${1:?usage: debroot.sh DIR}
SUITE=bookworm
OPTS="--variant=minbase --include=systemd-sysv,udev"
TAG=debroot

# one line per mirror, from the one-line and the deb822 formats
mirrors() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENT...: drop the [options], keep our suites
		sed -n -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?//p' "$f" |
			awk -v s="$SUITE" '$2 == s || index($2, s "-") == 1 {
				printf "deb %s", $1; for (i = 2; i <= NF; i++) printf " %s", $i; print "" }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$SUITE" '
			function flush(  n, u, su, i, j) {
				if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "") {
					n = split(uris, u, " ")
					split(suites, su, " ")
					for (i = 1; i <= n; i++)
						for (j in su)
							if (su[j] == s || index(su[j], s "-") == 1)
								printf "deb %s %s %s\n", u[i], su[j], comps
				}
				types = uris = suites = comps = ""
			}
			/^[[:space:]]*$/ { flush(); next }
			/^#/ { next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
			}
			END { flush() }' "$f"
	done
}

if [ "$DIR" = --mirrors ]; then
	mirrors | sort -u
	exit 0
fi
key=$(printf '%s %s\n' "$SUITE" "$OPTS" | sha256sum | cut -c1-12)
out=$DIR/$SUITE-minbase-systemd-$key.tar
if [ ! -s "$out" ]; then
	command -v mmdebstrap >/dev/null || { echo "$TAG: no mmdebstrap (make bootstrap)" >&2; exit 1; }
	list=$(mirrors | sort -u)
	[ -n "$list" ] || { echo "$TAG: no $SUITE entry in this machine's apt sources" >&2; exit 1; }
	mkdir -p "$DIR"
	echo "$TAG: building $out (mmdebstrap $OPTS $SUITE, about 80 s)" >&2
	# shellcheck disable=SC2086 # OPTS is a list of options
	printf '%s\n' "$list" |
		mmdebstrap --quiet --format=tar $OPTS "$SUITE" "$out.tmp" - >"$DIR/mmdebstrap.log" 2>&1 || {
		cat "$DIR/mmdebstrap.log" >&2
		rm -f "$out.tmp"
		echo "$TAG: mmdebstrap failed" >&2
		exit 1
	}
	mv -f "$out.tmp" "$out"
fi
echo "$out"
