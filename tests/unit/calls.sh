#!/bin/sh
# No two files of init/ call each other, directly or through others: a phase file calls down
# into the wings below it and never back up into the file that called it (handlers are passed
# as function pointers instead). Reads the symbols of the host objects of libinit.a, those
# under DIR (build/unit/obj/init), and prints every loop it finds.
dir=${1:-build/unit/obj/init}
[ -d "$dir" ] || { echo "calls: no objects under $dir (make $dir/../../libinit.a)"; exit 1; }
find "$dir" -name '*.o' | sort | while read -r o; do
	f=${o#"$dir"/}
	nm "$o" | awk -v f="${f%.o}" '$1 == "U" { print "U", f, $2 } $2 ~ /^[TDRB]$/ { print "D", f, $3 }'
done | awk '
	$1 == "D" { def[$3] = $2; next }
	{ use[++n] = $2 " " $3 }
	END {
		for (i = 1; i <= n; i++) {
			split(use[i], u, " ")
			if ((u[2] in def) && def[u[2]] != u[1]) {
				e[u[1], def[u[2]]] = 1
				why[u[1], def[u[2]]] = u[2]
				node[u[1]] = node[def[u[2]]] = 1
			}
		}
		for (k in node) for (i in node) if ((i, k) in e) for (j in node)
			if ((k, j) in e && !((i, j) in e)) { e[i, j] = 1; via[i, j] = k }
		bad = 0; files = 0
		for (i in node) files++
		for (i in node) for (j in node)
			if (i < j && (i, j) in e && (j, i) in e) {
				printf "calls: %s and %s call each other (%s -> %s: %s; %s -> %s: %s)\n", \
					i, j, i, ((i, j) in why) ? j : via[i, j], ((i, j) in why) ? why[i, j] : "through " via[i, j], \
					j, ((j, i) in why) ? i : via[j, i], ((j, i) in why) ? why[j, i] : "through " via[j, i]
				bad++
			}
		printf "calls: %d files, %d loops\n", files, bad
		exit bad > 0
	}'
