#!/bin/sh
# Run the cmocka unit test binaries given as arguments and print one closing line
# "N passed, N failed" (", N skipped" when any were skipped) over all of them.
passed=0 failed=0 skipped=0 bad=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	# a crash or sanitizer abort counts as a failure even if cmocka printed nothing
	if [ "$rc" != 0 ] && [ -z "$f" ]; then
		echo "unit: $t exited with status $rc"
		bad=$((bad + 1))
	fi
done
failed=$((failed + bad))
if [ "$skipped" -gt 0 ]; then
	echo "unit: $passed passed, $failed failed, $skipped skipped"
else
	echo "unit: $passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
