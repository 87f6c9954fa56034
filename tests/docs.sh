#!/bin/sh
# The docs against the tree, cheaply (no build, a second at most): make check's "docs" suite.
#
#   options   every setting init/settings/cmdline.c reads is an option of man/rdinit.8's
#             OPTIONS, and every option there (but those under "On the kernel command line
#             only", which libkmod reads itself) is one it reads
#   example   init.conf.example shows (as "#KEY" or "#KEY=...") every key /etc/rdinit.conf
#             takes, and nothing else
#
# usage: sh tests/docs.sh [CHECK...]     Prints what is wrong, one line each, then
# "docs: N passed, N failed"; exit status 1 if a check failed.
cd "$(dirname "$0")/.." || exit 2

MAN=man/rdinit.8
CMDLINE=init/settings/cmdline.c
EXAMPLE=init.conf.example
# keys cmdline.c still reads that are documented under another name
ALIASES="luks"

T=$(mktemp -d) || exit 2
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

# problem TEXT: one line of what is wrong; the check that calls it fails
problem() {
	echo "docs: $*"
	bad=1
}

# the settings cmdline.c reads: its strcmp(key, "...") tests and its table of bare flags
code_keys() {
	{
		grep -o 'strcmp(key, "[a-z_.]*")' "$CMDLINE" | sed 's/.*"\(.*\)".*/\1/'
		sed -n '/^static const char \*const flag_names/,/};/p' "$CMDLINE" |
			grep -o '"[a-z_.]*"' | tr -d '"'
	} | grep -vxF "$(echo "$ALIASES" | tr ' ' '\n')" | sort -u
}

# The option names in the tags (the line after .TP) of rdinit(8)'s OPTIONS, one
# "SUBSECTION<TAB>KEY" a line: "rd.luks.key" from ".BI rd.luks.key= PATH...".
man_keys() {
	awk '
		/^\.SH/ { in_opts = ($0 ~ /^\.SH +"?OPTIONS"?$/); next }
		!in_opts { next }
		/^\.SS/ { ss = $0; sub(/^\.SS +/, "", ss); gsub(/"/, "", ss); next }
		/^\.TP/ { tag = 1; next }
		tag {
			tag = 0
			s = $0
			sub(/^\.[A-Z]+ */, "", s)
			gsub(/\\f[A-Z]/, "", s); gsub(/\\f\(../, "", s); gsub(/\\\(../, " ", s)
			gsub(/\\-/, "-", s); gsub(/\\&/, "", s); gsub(/"/, " ", s)
			n = split(s, w, /[ ,]+/)
			for (i = 1; i <= n; i++)
				if (w[i] ~ /^[a-z][a-z0-9_.]*(=.*)?$/) {
					k = w[i]; sub(/=.*/, "", k)
					print ss "\t" k
				}
		}' "$MAN" | sort -u
}

# the keys init.conf.example shows, commented out or not: "#rw", "#root=LABEL=system"
example_keys() {
	sed -n 's/^#\{0,1\}\([a-z][a-z0-9_.]*\)\(=.*\)\{0,1\}$/\1/p' "$EXAMPLE" | sort -u
}

check_options() {
	code_keys >"$T/code"
	man_keys >"$T/man.all"
	grep -v '^On the kernel command line only	' "$T/man.all" | cut -f2 | sort -u >"$T/man"
	if [ "$(wc -l <"$T/code")" -lt 20 ]; then
		problem "found only $(wc -l <"$T/code") settings in $CMDLINE: has the way it names" \
			"them changed? (tests/docs.sh, code_keys)"
		return
	fi
	comm -23 "$T/code" "$T/man" | while read -r k; do
		echo "docs: $MAN does not document $k ($CMDLINE reads it): add it to OPTIONS"
	done | tee "$T/out"
	comm -13 "$T/code" "$T/man" | while read -r k; do
		echo "docs: $MAN documents $k, which $CMDLINE does not read (a typo, or an option" \
			"for the command line only: under \"On the kernel command line only\")"
	done | tee -a "$T/out"
	[ -s "$T/out" ] && bad=1
}

check_example() {
	code_keys >"$T/code"
	man_keys | grep -v '^On the kernel command line only	' | cut -f2 | sort -u >"$T/man"
	example_keys >"$T/example"
	comm -23 "$T/example" "$T/man" | while read -r k; do
		echo "docs: $EXAMPLE shows $k, which is not an option of $MAN that /etc/rdinit.conf takes"
	done | tee "$T/out"
	comm -23 "$T/example" "$T/code" | while read -r k; do
		echo "docs: $EXAMPLE shows $k, which $CMDLINE does not read"
	done | tee -a "$T/out"
	comm -13 "$T/example" "$T/code" | while read -r k; do
		echo "docs: $EXAMPLE lacks $k (/etc/rdinit.conf takes it; $MAN says what it does)"
	done | tee -a "$T/out"
	[ -s "$T/out" ] && bad=1
}

CHECKS="options example"
[ $# -gt 0 ] && CHECKS=$*
for c in $CHECKS; do
	case $c in
	options | example) ;;
	*) echo "docs: no check '$c'" >&2 && exit 2 ;;
	esac
	bad=0
	"check_$c"
	if [ "$bad" -eq 0 ]; then
		echo "PASS $c"
		passed=$((passed + 1))
	else
		echo "FAIL $c"
		failed=$((failed + 1))
	fi
done
echo "docs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
