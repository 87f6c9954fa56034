#!/bin/sh
# make check: the sources' form and the docs against the tree, the build's own tests (the
# source lock, make's goals), unit tests, a short fuzzing pass over the seed corpora, and the
# VM tests (x86-64, then the arm64 subset).
# Every suite runs even if an earlier one failed; the last line sums them up.
cd "$(dirname "$0")/.." || exit 2
B=build
mkdir -p "$B"
log=$B/check.log
: >"$log"
status=0
run() {
	name=$1
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee -a "$log"
	# POSIX sh has no PIPESTATUS: the suite's own closing line is checked below
	tail -n 1 "$log" | grep -Eq '(^|: )[0-9]+ passed, 0 failed' || status=1
}
run format sh tests/format.sh
run docs sh tests/docs.sh
run build bash tests/build/run.sh
run unit make -s unit
run unit-kernel make -s unit-kernel
run dryrun bash tests/dryrun/run.sh
run mkrdinit bash tests/mkrdinit/run.sh
run fuzz bash tests/fuzz/run.sh "${FUZZ_SECONDS:-5}"
run vm bash tests/vm/run.sh -j2
# arm64: a handful of scenarios on Debian's arm64 kernel (build/arm64/rdinit, cross-built)
run vm-arm64 bash tests/vm/run.sh -a arm64 -j2
sed -nE 's/^([a-z]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\2 \3 \5/p' "$log" |
	awk '{p += $1; f += $2; s += $3}
		END {printf "%d passed, %d failed%s\n", p, f, s ? sprintf(", %d skipped", s) : ""}'
exit $status
