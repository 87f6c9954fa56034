#!/bin/bash
# Build the libFuzzer targets with ASan and UBSan and run each for SECONDS (default 5):
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Each target runs on build/fuzz/corpus-TARGET, a working copy of tests/fuzz/corpus/TARGET
# that keeps what earlier runs found, with the seeds in the tree (and any saved crash inputs
# in tests/fuzz/crashes/TARGET, as regression inputs) passed read-only: libFuzzer writes new
# inputs only to its first directory. A crashing input is copied to tests/fuzz/crashes/TARGET/.
# Prints one line per target and a closing "fuzz: N passed, N failed"; exits 1 if any failed.
set -u
cd "$(dirname "$0")/../.." || exit 1

secs=${1:-5}
shift $(($# > 0 ? 1 : 0))
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [TARGET...]" >&2
	exit 2
	;;
esac

CC=${CC:-clang}
CFLAGS="-g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
CFLAGS="$CFLAGS -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -Iinit -Icommon"
OUT=build/fuzz

# the init/ and packaging/ sources each target links
declare -A srcs=(
	[cmdline]="init/settings/cmdline.c init/services/strset.c init/services/log.c common/stages.c"
	[conf]="init/settings/conf.c init/settings/cmdline.c init/services/file.c init/services/strset.c init/services/log.c
		common/stages.c"
	[uevent]="init/events/uevent.c init/services/log.c"
	[rootspec]="init/block/rootspec.c init/services/log.c"
	[fstab]="init/root/fstab.c init/services/log.c"
	[crypttab]="common/crypttab.c common/dmname.c common/rdlog.c"
	[luksplan]="init/block/luks.c common/crypttab.c common/rdlog.c init/settings/cmdline.c init/services/strset.c init/block/rootspec.c init/services/file.c
		init/services/log.c common/dmname.c common/stages.c"
	[modfile]="init/modules/modfile.c init/services/log.c"
	[elf]="packaging/elf.c"
)
# and the libraries beyond libc
declare -A libs=([modfile]="-llzma -lzstd -lz")
# packaging/ on the quote path only: its elf.h must not stand in for <elf.h>
declare -A incs=([elf]="-iquote packaging")
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cmdline conf uevent rootspec fstab crypttab luksplan modfile elf)

mkdir -p "$OUT"
passed=0 failed=0

# "fuzz: T ok, N runs (cov: C, ft: F)" from libFuzzer's closing lines in log $2
report_ok() {
	local runs cov
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$2" | tail -n 1)
	cov=$(sed -n 's/.*DONE .*cov: \([0-9]*\) ft: \([0-9]*\).*/cov: \1, ft: \2/p' "$2" | tail -n 1)
	echo "fuzz: $1 ok, ${runs:-?} runs (${cov:-cov: ?})"
}

# copy the input libFuzzer saved into the tree, so it can become a regression seed
report_crash() {
	local t=$1 log=$2 art kind dst
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ -z "$art" ] || [ ! -f "$art" ]; then
		echo "fuzz: $t FAILED with no saved input, see $log"
		return
	fi
	kind=$(basename "$art" | sed 's/-.*//' | tr '[:lower:]' '[:upper:]')
	dst=tests/fuzz/crashes/$t
	mkdir -p "$dst"
	cp "$art" "$dst/"
	echo "fuzz: $t $kind, input saved in $dst/$(basename "$art") (log: $log)"
}

for t in "${targets[@]}"; do
	if [ -z "${srcs[$t]:-}" ]; then
		echo "fuzz: $t unknown target"
		failed=$((failed + 1))
		continue
	fi
	bin=$OUT/fuzz_$t
	# shellcheck disable=SC2086 # the source lists are word lists
	if ! $CC $CFLAGS ${incs[$t]:-} tests/fuzz/fuzz_$t.c ${srcs[$t]} ${libs[$t]:-} -o "$bin" >"$OUT/$t.build.log" 2>&1; then
		echo "fuzz: $t BUILD FAILED, see $OUT/$t.build.log"
		failed=$((failed + 1))
		continue
	fi
	work=$OUT/corpus-$t
	art=$OUT/artifacts-$t
	mkdir -p "$work" "$art"
	cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
	dirs=("$work" "tests/fuzz/corpus/$t")
	[ -d "tests/fuzz/crashes/$t" ] && dirs+=("tests/fuzz/crashes/$t")
	log=$OUT/$t.log
	if "$bin" -max_total_time="$secs" -max_len=4096 -timeout=5 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dirs[@]}" >"$log" 2>&1; then
		report_ok "$t" "$log"
		passed=$((passed + 1))
	else
		report_crash "$t" "$log"
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
