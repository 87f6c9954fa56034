#!/bin/bash
# VM tests: boot Debian's generic kernel under QEMU (TCG) with the image mkrdinit builds
# and a root disk whose /sbin/init is tests/vm/testinit.c, then grep the "RDTEST" lines it
# prints on the serial console.
#
# usage: tests/vm/run.sh [-a ARCH] [-j JOBS] [-l] [SCENARIO...]
#   -a ARCH   the VMs' architecture: x86_64 (default) or arm64 (Debian's arm64 kernel under
#             qemu-system-aarch64 -M virt, build/arm64/rdinit; by default the scenarios in
#             ARM64_SCENARIOS)
#   -j JOBS   boot up to JOBS VMs at once (default 1; each keeps one host CPU busy)
#   -l        list the scenarios (for ARCH)
# Environment: VM_TIMEOUT (seconds per boot, default 90; SYSTEMD_VM_TIMEOUT, default 300,
#              for the Debian/systemd boot), MKRDINIT (default build/mkrdinit).
# Artifacts: build/vm/ (testinit, initrd.img, disks/, logs/SCENARIO.log and .log.cmd);
#            build/arm64/vm/ for arm64.
# Last line: "N passed, N failed". Exit status 1 if a scenario failed, 2 on setup errors.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/vm/lib.sh

SCENARIOS=(a_uuid b_label c_devpath d_missing_uuid)
# What runs on arm64 unless scenarios are named: nothing in them is x86-specific (virtio-blk
# and NVMe on PCIe work on both machines). scn_*.sh files add their own.
ARM64_SCENARIOS=(a_uuid b_label d_missing_uuid)

# What / of a test disk holds (mkdisk.sh's stage_root plus mkfs's lost+found); anything
# else means the initramfs leaked into the real root, or the root is not the test disk.
ROOTDIR=bin,dev,etc,lost+found,proc,run,sbin,sys,tmp

# --- assertions; each failure is reported with the end of the serial log ------------

FAILS=0
NAME=

fail() {
	echo "FAIL $NAME: expected $1"
	if [ "$FAILS" -eq 0 ]; then
		echo "---- last 40 lines of $VM_LOG ----"
		tail -n 40 "$VM_LOG" | sed 's/^/| /'
		echo "----"
	fi
	FAILS=$((FAILS + 1))
}

# Every prompt shown is withdrawn: a "(withdrawn)" after the last one. (Not on the prompt's own
# line only: the kernel's messages about the new disk may be printed between the two.)
expect_withdrawn() {
	local seen
	seen=$(awk -v p="Passphrase for /dev/" '
		index($0, p) { prompt = NR; withdrawn = 0 }
		prompt && index($0, "(withdrawn)") { withdrawn = NR }
		END {
			if (!prompt) print "no prompt"
			else if (!withdrawn) print "the prompt of line " prompt " never withdrawn"
		}' "$VM_LOG")
	[ -z "$seen" ] ||
		fail "the prompt withdrawn once the root appeared ('(withdrawn)' after the last 'Passphrase for /dev/'); saw $seen"
}

# expect ERE DESCRIPTION: a line of the serial log matches ERE.
expect() {
	grep -Eq -- "$1" "$VM_LOG" || fail "$2 (a line matching /$1/)"
}

# expect_line LINE DESCRIPTION: the serial log has exactly this line.
expect_line() {
	grep -Fxq -- "$1" "$VM_LOG" || fail "$2 (the line '$1')"
}

# expect_fixed STRING DESCRIPTION: the serial log contains STRING.
expect_fixed() {
	grep -Fq -- "$1" "$VM_LOG" || fail "$2 (the text '$1')"
}

# expect_report STRING DESCRIPTION: a line other than the kernel's echo of its command
# line contains STRING; for diagnostics that quote the command line back.
expect_report() {
	grep -F -- "$1" "$VM_LOG" | grep -Eqv '(Kernel c|C)ommand line: ' ||
		fail "$2 (the text '$1' outside the kernel's 'Command line:' lines)"
}

# reject ERE DESCRIPTION: no line of the serial log matches ERE.
reject() {
	if grep -Eq -- "$1" "$VM_LOG"; then
		fail "$2 (no line matching /$1/)"
	fi
}

# timeout exits 124 when it had to stop QEMU, 137 when it had to kill it.
expect_exited() {
	case $VM_RC in
	124 | 137) fail "QEMU to exit by itself within ${VM_TIMEOUT}s (status $VM_RC)" ;;
	esac
}

# expect_reached DISK: testinit ran as PID 1 from test disk DISK and reported in full.
expect_reached() {
	expect_exited
	expect_line 'RDTEST pid=1' "testinit running as PID 1"
	expect_line "RDTEST machine=$VM_UNAME" "the machine to be $VM_UNAME"
	expect_line 'RDTEST done' "testinit's report to be complete"
	expect_line "RDTEST marker=$1" "the root to be test disk '$1'"
	expect_line "RDTEST rootdir=$ROOTDIR" "/ to list only the test disk's files"
	expect '^RDTEST argv=[0-9]+ \[/sbin/init\]' "argv[0] to be /sbin/init"
	expect '^RDTEST initrd_time=[0-9]' "initrd_time to be measured"
}

# --- scenarios: each makes its own disk, boots once and asserts ----------------------

scenario_a_uuid() {
	local img=$VM_OUT/disks/a_uuid.img uuid=3f1c6a2e-0a1b-4c5d-8e9f-a0b1c2d3e4f5
	mk_ext4 "$img" "$uuid" RDTEST_A a_uuid
	vm_vblk "$img"
	vm_boot a_uuid "root=UUID=$uuid ro quiet single foo=bar" "${VM_DISK[@]}"
	expect_reached a_uuid
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=ro ' "/ to be /dev/vda mounted ro"
	expect '^RDTEST argv=[0-9]+ .*\[single\]' "the kernel's init argument 'single'"
	expect_line 'RDTEST env=foo=bar' "the kernel's init variable foo=bar"
}

scenario_b_label() {
	local img=$VM_OUT/disks/b_label.img uuid=5b7d1e3a-6c2f-4a8b-9d0e-1f2a3b4c5d6e
	mk_ext4 "$img" "$uuid" RDTEST_B b_label
	vm_vblk "$img"
	vm_boot b_label "root=LABEL=RDTEST_B rw" "${VM_DISK[@]}"
	expect_reached b_label
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=rw ' "/ to be /dev/vda mounted rw"
}

scenario_c_devpath() {
	local img=$VM_OUT/disks/c_devpath.img uuid=7e9a2b4c-1d3f-4e5a-8b6c-7d8e9f0a1b2c
	mk_ext4 "$img" "$uuid" RDTEST_C c_devpath
	vm_vblk "$img"
	vm_boot c_devpath "root=/dev/vda" "${VM_DISK[@]}"
	expect_reached c_devpath
	expect '^RDTEST root=/dev/vda fstype=ext4 opts=ro ' "/ mounted ro by default"
}

# The root never appears: rdinit must give up after rdinit.timeout, say what it looked
# for and what it saw, and reboot (panic=-1 with -no-reboot ends QEMU).
scenario_d_missing_uuid() {
	local img=$VM_OUT/disks/d_missing_uuid.img
	local uuid=9c0d1e2f-3a4b-4c5d-9e6f-708192a3b4c5
	local want=0badc0de-0000-4000-8000-000000000001
	mk_ext4 "$img" "$uuid" RDTEST_D d_missing_uuid
	vm_vblk "$img"
	vm_boot d_missing_uuid "root=UUID=$want rdinit.timeout=3 panic=-1" "${VM_DISK[@]}"
	reject '^RDTEST' "no real init to run"
	expect_report "root=UUID=$want" "the failure report to name the root= awaited"
	expect_report "$uuid" "the failure report to list the disk present, with its UUID"
	expect_exited
}

# More scenarios, by theme: each tests/vm/scn_*.sh defines scenario_* functions and
# appends their names to SCENARIOS.
for f in tests/vm/scn_*.sh; do
	[ -f "$f" ] && . "$f"
done

# --- driver ----------------------------------------------------------------------------

# run_scenario NAME: prints PASS/FAIL lines; returns 0 if the scenario passed.
run_scenario() {
	NAME=$1
	FAILS=0
	VM_LOG=/dev/null VM_WALL='?' VM_RC=0
	"scenario_$NAME"
	local t
	t=$(vm_field initrd_time)
	if [ "$FAILS" -eq 0 ]; then
		echo "PASS $NAME (wall ${VM_WALL}s, initrd_time ${t:-none}, log $VM_LOG)"
	else
		echo "FAIL $NAME: $FAILS expectation(s) failed" \
			"(wall ${VM_WALL}s, log $VM_LOG)"
	fi
	[ "$FAILS" -eq 0 ]
}

usage() {
	echo "usage: $0 [-a ARCH] [-j JOBS] [-l] [SCENARIO...]" >&2
	exit 2
}

JOBS=1 list=0
while getopts a:j:lh opt; do
	case $opt in
	a) vm_set_arch "$OPTARG" ;;
	j) JOBS=$OPTARG ;;
	l) list=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || usage

if [ $# -gt 0 ]; then
	selected=("$@")
elif [ "$VM_ARCH" = arm64 ]; then
	selected=("${ARM64_SCENARIOS[@]}")
else
	selected=("${SCENARIOS[@]}")
fi
if [ "$list" = 1 ]; then
	printf '%s\n' "${selected[@]}"
	exit 0
fi
for s in "${selected[@]}"; do
	declare -F "scenario_$s" >/dev/null || vm_die "unknown scenario '$s' (try -l)"
done

# From here on, a setup failure still ends with the summary line: every scenario failed.
vm_die() {
	echo "vm: $*" >&2
	echo "0 passed, ${#selected[@]} failed"
	exit 2
}
vm_setup

passed=0 failed=0
if [ "$JOBS" -eq 1 ]; then
	for s in "${selected[@]}"; do
		# In a subshell, so a scenario that dies (mkdisk_die) spares the runner.
		if (run_scenario "$s"); then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
else
	# Scenarios use their own disks and logs; their reports are shown in order.
	for s in "${selected[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
		(
			run_scenario "$s" >"$VM_OUT/logs/$s.out" 2>&1
			echo $? >"$VM_OUT/logs/$s.rc"
		) &
	done
	wait
	for s in "${selected[@]}"; do
		cat "$VM_OUT/logs/$s.out"
		if [ "$(cat "$VM_OUT/logs/$s.rc" 2>/dev/null)" = 0 ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
		rm -f "$VM_OUT/logs/$s.out" "$VM_OUT/logs/$s.rc"
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
