#!/bin/sh
# The docs against the tree, cheaply (no build, a second at most): make check's "docs" suite.
#
#   options   every setting init/settings/cmdline.c reads is an option of man/rdinit.8's
#             OPTIONS, and every option there (but those under "On the kernel command line
#             only", which libkmod reads itself) is one it reads
#   example   init.conf.example shows (as "#KEY" or "#KEY=...") every key /etc/rdinit.conf
#             takes, and nothing else
#   layout    docs/HACKING.md's Layout names no path that does not exist, and every file in
#             the tree (tracked, or new and not ignored) is named there, or covered by a
#             "dir/" line or a glob line ("tests/vm/scn_*.sh")
#   links     the relative links of the Markdown files (README.md, docs/, ...) lead to files
#             that exist, and their #anchors to headings that exist
#
# usage: sh tests/docs.sh [CHECK...]     Prints what is wrong, one line each, then
# "docs: N passed, N failed"; exit status 1 if a check failed.
cd "$(dirname "$0")/.." || exit 2

MAN=man/rdinit.8
CMDLINE=init/settings/cmdline.c
EXAMPLE=init.conf.example
LAYOUT=docs/HACKING.md
# keys cmdline.c still reads that are documented under another name
ALIASES="luks"
# files the layout need not name
UNNAMED='(^|/)\.gitignore$'

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

# the files the layout must account for
tree_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		# an unpacked make dist: no .git, the sources/ bundle beside the project
		find . -path ./build -prune -o -path ./sources -prune -o -type f -print | sed 's|^\./||'
	fi | while read -r f; do [ -e "$f" ] && echo "$f"; done | grep -Ev "$UNNAMED" | sort -u
}

# The Layout section's entries: the paths in backquotes that open a list item, before its
# text ("- `a.c`, `a.h`: ..." names a.c and a.h), one a line.
layout_entries() {
	awk '
		/^## / { in_layout = ($0 ~ /^## Layout[ \t]*$/); next }
		!in_layout || !/^[ \t]*[-*] `/ { next }
		{
			s = $0
			sub(/^[ \t]*[-*] /, "", s)
			while (substr(s, 1, 1) == "`") {
				s = substr(s, 2)
				i = index(s, "`")
				if (i == 0)
					break
				print substr(s, 1, i - 1)
				s = substr(s, i + 1)
				sub(/^(,? +and +|, *| *\/ *)/, "", s)
			}
		}' "$LAYOUT"
}

check_layout() {
	[ -f "$LAYOUT" ] || { problem "$LAYOUT is missing"; return; }
	tree_files >"$T/files"
	layout_entries >"$T/entries"
	[ -s "$T/entries" ] || { problem "$LAYOUT has no \"## Layout\" list of \`paths\`"; return; }
	# every entry exists: a file, a directory ("dir/") or a glob matching something
	while read -r e; do
		case $e in
		*/) [ -d "$e" ] || problem "$LAYOUT names $e, which is not a directory" ;;
		*[*?[]*)
			# shellcheck disable=SC2254 # the entry is a pattern
			found=$(while read -r f; do case $f in $e) echo "$f" && break ;; esac done <"$T/files")
			[ -n "$found" ] || problem "$LAYOUT names $e, which matches no file"
			;;
		*) [ -e "$e" ] || problem "$LAYOUT names $e, which does not exist" ;;
		esac
	done <"$T/entries"
	# every file is named, or covered by a directory or a glob
	awk -v layout="$LAYOUT" '
		NR == FNR {
			e = $0
			if (e ~ /\/$/) { dirs[e] = 1; next }
			if (e ~ /[*?[]/) {
				re = e
				gsub(/\./, "\\.", re); gsub(/\*/, "[^/]*", re); gsub(/\?/, "[^/]", re)
				globs["^" re "$"] = 1
				next
			}
			named[e] = 1
			next
		}
		{
			f = $0
			if (f in named)
				next
			for (d in dirs)
				if (substr(f, 1, length(d)) == d)
					next
			for (g in globs)
				if (f ~ g)
					next
			printf "docs: %s is not in %s'"'"'s Layout: add a line \"- `%s`: what it is\" (or its \"dir/\")\n", f, layout, f
		}' "$T/entries" "$T/files" | tee "$T/out"
	[ -s "$T/out" ] && bad=1
}

# GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'
anchors() {
	awk '/^```/ { code = !code } !code && /^#+ / {
		s = tolower($0); sub(/^#+ +/, "", s)
		gsub(/[^a-z0-9 _-]/, "", s); gsub(/ /, "-", s)
		print s
	}' "$1"
}

check_links() {
	for md in $(tree_files | grep '\.md$'); do
		dir=$(dirname "$md")
		# [text](target), outside code blocks and code spans
		awk '/^```/ { code = !code; next } !code {
			s = $0; gsub(/`[^`]*`/, "", s)
			while (match(s, /\]\([^) ]+\)/)) {
				print substr(s, RSTART + 2, RLENGTH - 3)
				s = substr(s, RSTART + RLENGTH)
			}
		}' "$md" >"$T/links"
		while read -r l; do
			case $l in
			http://* | https://* | mailto:*) continue ;;
			'#'*) file=$md anchor=${l#\#} ;;
			*'#'*) file=$dir/${l%%#*} anchor=${l#*#} ;;
			*) file=$dir/$l anchor= ;;
			esac
			if [ ! -e "$file" ]; then
				problem "$md links to $l: there is no $file"
			elif [ -n "$anchor" ] && ! anchors "$file" | grep -qxF "$anchor"; then
				problem "$md links to $l: $file has no heading with that anchor"
			fi
		done <"$T/links"
	done
}

CHECKS="options example layout links"
[ $# -gt 0 ] && CHECKS=$*
for c in $CHECKS; do
	case $c in
	options | example | layout | links) ;;
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
