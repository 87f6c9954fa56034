# shellcheck shell=bash
# Stage hooks (mkrdinit --hook) sourced by tests/vm/run.sh: the static C example
# (hooks/example-marker.c) at each of the five stages and the shell example, whose lines the
# real init finds in /run/rdinit; a failing hook reported and the boot going on; a hook past
# rdinit.hook_timeout= killed; a failing .required hook followed by the failure policy, and
# after a rescue shell the stage's hooks again.

SCENARIOS+=(h_stages h_required_fails h_required_shell)

HOOK_STAGES=(cmdline pre-coldplug root-found mounted pre-switch)

# h_marker: build hooks/example-marker.c (static, musl) as $VM_OUT/hooks/50-marker.
h_marker() {
	HOOK_MARKER=$VM_OUT/hooks/50-marker
	mkdir -p "$VM_OUT/hooks"
	if [ ! -x "$HOOK_MARKER" ] || [ hooks/example-marker.c -nt "$HOOK_MARKER" ]; then
		musl-gcc -static -Os -Wall -o "$HOOK_MARKER" hooks/example-marker.c ||
			{ fail "hooks/example-marker.c to build"; return 1; }
	fi
}

# h_script NAME BODY: a shell hook $VM_OUT/hooks/NAME (its path in HOOK_SCRIPT).
h_script() {
	HOOK_SCRIPT=$VM_OUT/hooks/$1
	mkdir -p "$VM_OUT/hooks"
	printf '#!/bin/sh\n%s\n' "$2" >"$HOOK_SCRIPT" && chmod 0755 "$HOOK_SCRIPT"
}

# h_image NAME MKRDINIT-ARGS...: the default image with a shell and ARGS, as INITRD (which
# the caller makes local).
h_image() {
	local name=$1
	shift
	INITRD=$VM_OUT/$name.initrd.img
	rm -f "$INITRD"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --shell /bin/busybox "$@" --output "$INITRD" \
		>"$VM_OUT/logs/$name.mkrdinit" 2>&1 ||
		{ fail "mkrdinit $* to succeed ($(tail -n 3 "$VM_OUT/logs/$name.mkrdinit"))"; return 1; }
}

scenario_h_stages() {
	local img=$VM_OUT/disks/h_stages.img INITRD args=() s got want
	h_marker || return
	for s in "${HOOK_STAGES[@]}"; do
		args+=(--hook "$s:$HOOK_MARKER")
	done
	h_script 20-fails 'echo "20-fails: failing on purpose"; exit 4'
	args+=(--hook "pre-coldplug:$HOOK_SCRIPT" --hook mounted:hooks/example-log.sh)
	h_image h_stages "${args[@]}" || return
	mk_ext4 "$img" 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e RDTEST_HS h_stages
	vm_vblk "$img"
	vm_boot h_stages "root=LABEL=RDTEST_HS" "${VM_DISK[@]}"
	expect_reached h_stages
	# all five, once each, in the order of the boot, each with what was known by then
	want="cmdline root=LABEL=RDTEST_HS rootdev=- rootfstype=- newroot=/root mounted=no
pre-coldplug root=LABEL=RDTEST_HS rootdev=- rootfstype=- newroot=/root mounted=no
root-found root=LABEL=RDTEST_HS rootdev=/dev/vda rootfstype=ext4 newroot=/root mounted=no
mounted root=LABEL=RDTEST_HS rootdev=/dev/vda rootfstype=ext4 newroot=/root mounted=yes
pre-switch root=LABEL=RDTEST_HS rootdev=/dev/vda rootfstype=ext4 newroot=/root mounted=yes"
	got=$(sed -n 's/^RDTEST runfile=hooks://p' "$VM_LOG")
	[ "$got" = "$want" ] || fail "the marker hook's five lines in order (got: '$got')"
	expect_line 'RDTEST runfile=hooks-sh:stage=mounted root=LABEL=RDTEST_HS rootdev=/dev/vda rootfstype=ext4' \
		"the shell example's line"
	expect_line 'example-log: stage=mounted root=LABEL=RDTEST_HS rootdev=/dev/vda rootfstype=ext4' \
		"the shell example's output on the console"
	expect_line '20-fails: failing on purpose' "a hook's output on the console"
	expect_report 'rdinit: hook pre-coldplug.d/20-fails failed: exit status 4' \
		"the failing hook reported, the boot going on"
	for s in "${HOOK_STAGES[@]}"; do
		expect "rdinit: hook $s\.d/50-marker: ok \([0-9]+ ms\)" "one line for the $s hook's run"
	done
}

# A hook past its time is killed and the boot goes on; a .required one that fails is the
# failure policy: with panic=-1, a reboot, and nothing after it in its stage runs.
scenario_h_required_fails() {
	local img=$VM_OUT/disks/h_required.img INITRD args=()
	h_marker || return
	h_script 10-hangs 'echo "10-hangs: sleeping"; sleep 600'
	args+=(--hook "cmdline:$HOOK_SCRIPT")
	h_script 10-check.required 'echo "10-check: failing"; exit 3'
	args+=(--hook "root-found:$HOOK_SCRIPT" --hook "root-found:$HOOK_MARKER")
	h_image h_required_fails "${args[@]}" || return
	mk_ext4 "$img" 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f RDTEST_HR h_required
	vm_vblk "$img"
	vm_boot h_required_fails "root=LABEL=RDTEST_HR rdinit.hook_timeout=2" "${VM_DISK[@]}"
	expect_report 'rdinit: hook cmdline.d/10-hangs killed: still running after 2 s (rdinit.hook_timeout=2)' \
		"the hook past rdinit.hook_timeout= killed"
	expect_report 'rdinit: hook root-found.d/10-check.required failed: exit status 3' \
		"the failing required hook reported"
	expect_report 'rdinit: required hook root-found.d/10-check.required failed' \
		"the failure named as a required hook's"
	reject 'hook root-found\.d/50-marker' "no hook after the failed required one"
	expect_gave_up
}

# The rescue shell fixes what the required hook checks; the stage's hooks run again and pass.
scenario_h_required_shell() {
	local img=$VM_OUT/disks/h_shell.img
	h_script 30-needs-fix.required '[ -e /run/fixed ] || { echo "30-needs-fix: no /run/fixed"; exit 1; }'
	mk_ext4 "$img" 2d3e4f5a-6b7c-4d8e-9fa0-1b2c3d4e5f60 RDTEST_HF h_shell
	vm_vblk "$img"
	SHELL_EXTRA="--hook mounted:$HOOK_SCRIPT" shell_boot h_required_shell \
		"root=LABEL=RDTEST_HF panic=0" \
		'boot failed: starting /bin/sh' ': >/run/fixed; sleep 4; exit'
	expect_report 'rdinit: hook mounted.d/30-needs-fix.required failed: exit status 1' \
		"the required hook to fail first"
	expect 'rdinit: shell exited; trying again' "the failure policy's shell"
	expect 'rdinit: hook mounted\.d/30-needs-fix\.required: ok' "the stage's hooks run again"
	expect_reached h_shell
}
