# A driver that oopses in its init function, matched by the root disk's own modalias: the
# oops kills whichever task called finit_module(), and /init must survive that, boot from
# the disk (virtio_blk matches the same alias) and tell the real system which module failed.
# Sourced by tests/vm/run.sh.
# shellcheck shell=bash
# shellcheck disable=SC2153 # KVER: set by lib.sh's vm_setup

SCENARIOS+=(m_crash_module m_crash_module_smp)

# The interface checked, one line per module that failed to load, in the real root's /run:
#   /run/rdinit/module-failures   NAME: REASON
# For a module whose loading process was killed, REASON starts with this:
CRASH_REASON='the loading process died with signal'

scenario_m_crash_module() {
	crash_module m_crash_module 3c4d5e6f-0201-4a00-8000-000000000201
}

# The same with two guest CPUs: the crashing load runs on a worker thread, which must still
# report it and wake the others (a dead thread never signals the pool's condition).
scenario_m_crash_module_smp() {
	crash_module m_crash_module_smp 3c4d5e6f-0202-4a00-8000-000000000202 -smp 2
}

# crash_module NAME UUID [QEMU ARGS...]
crash_module() {
	local name=$1 uuid=$2 initrd=$VM_OUT/$1.initrd.img
	local line kver tree log=$VM_OUT/logs/$1
	shift 2
	# rdinit_crash.ko, built against Debian's headers for this kernel, in a copy of its
	# module tree (tests/vm/crashmod/build.sh; the first run fetches the headers)
	if ! line=$(sh tests/vm/crashmod/build.sh 2>"$log.build"); then
		fail "tests/vm/crashmod/build.sh to build rdinit_crash.ko ($(tail -n 1 "$log.build"))"
		return
	fi
	read -r kver tree <<<"$line"
	[ "$kver" = "$KVER" ] || { fail "the module built for $KVER (it was for $kver)"; return; }
	rm -f "$initrd"
	if ! "$MKRDINIT" --kver "$KVER" --basedir "$tree" --add-modules rdinit_crash \
		--output "$initrd" >"$log.mkrdinit" 2>&1; then
		fail "mkrdinit --add-modules rdinit_crash to succeed ($(tail -n 1 "$log.mkrdinit"))"
		return
	fi
	"$MKRDINIT" --list "$initrd" | grep -Eq '/extra/rdinit_crash\.ko(\.[a-z]+)?$' ||
		fail "the image to carry extra/rdinit_crash.ko"
	s_disk "$name" "$uuid"
	vm_vblk "$S_IMG"
	INITRD=$initrd vm_boot "$name" "root=UUID=$uuid" "${VM_DISK[@]}" "$@"
	expect_fixed 'rdinit_crash: init called, dereferencing NULL' "the module's init to run"
	expect 'BUG: kernel NULL pointer dereference' "the module's init to oops"
	reject 'Attempted to kill init' "PID 1 to outlive the task the oops killed"
	expect_reached "$name"
	expect_root /dev/vda ro
	expect "^RDTEST runfile=module-failures:rdinit_crash: $CRASH_REASON" \
		"/run/rdinit/module-failures to name rdinit_crash and why it failed"
	rm -f "$S_IMG" "$initrd"
}
