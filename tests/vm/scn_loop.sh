# shellcheck shell=bash
# The loop waits for everything and nothing waits outside it (issue 21, item 1): (a) a LUKS
# prompt waiting for a disk that is not the root does not hold back the root that appears
# meanwhile on another disk; (b) two LUKS PVs of one volume group unlock side by side, the
# second's cryptsetup started while the first's still runs, as the timeline shows. The LUKS
# disks are loop_a and loop_b of tests/vm/stackdisks.sh (a slow key derivation, one key file).
# Uses sd_prepare, sd_disks and SD_PROMPT of scn_stacks.sh. Sourced by tests/vm/run.sh.

. tests/vm/stackdisks.sh

SCENARIOS+=(l_prompt_root_elsewhere l_luks_side_by_side)

L_ROOT_UUID=1e000001-0001-4000-8000-00000000e001

# (a) loop_a is named by rd.luks.uuid= and has no key in the image: its prompt shows and
# nobody answers. Only then is the root, a plain disk, hot-added: the boot goes on from it
# and the prompt is withdrawn. A boot that waits on the prompt instead is stopped after
# L_TIMEOUT seconds (default 45; this boot passes in about 10).
scenario_l_prompt_root_elsewhere() {
	local name=l_prompt_root_elsewhere root=$VM_OUT/disks/l_prompt_root.img
	local sock=$VM_OUT/l_prompt_root_elsewhere.qmp fifo=$VM_OUT/l_prompt_root_elsewhere.in pid
	local VM_TIMEOUT=${L_TIMEOUT:-45}
	sd_prepare || return
	mk_ext4 "$root" "$L_ROOT_UUID" RDTEST_LP l_prompt_root
	sd_disks loop_a
	rm -f "$fifo" && mkfifo "$fifo"
	# nobody types: the console's input is held open and silent
	sleep 600 >"$fifo" &
	pid=$!
	vm_qmp_hotplug_later "$sock" "$VM_OUT/logs/$name.log" "$SD_PROMPT" 1 "$root" lroot
	VM_STDIN=$fifo vm_boot "$name" \
		"root=UUID=$L_ROOT_UUID rd.luks.uuid=$SD_LOOPA rdinit.timeout=20" \
		"${VM_DISK[@]}" -qmp "unix:$sock,server=on,wait=off"
	wait "$VM_QMP_PID" 2>/dev/null
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$fifo"
	expect_fixed "Passphrase for /dev/vda (LUKS UUID $SD_LOOPA" \
		"the prompt for the LUKS disk rd.luks.uuid= names"
	grep -q '\] done$' "$sock.out" ||
		fail "the root disk hot-added once the prompt showed (qmp.py said: $(tail -n 1 "$sock.out"))"
	if [ "$VM_RC" = 124 ] || [ "$VM_RC" = 137 ]; then
		fail "the boot to go on from the hot-added root while the prompt for vda waited; QEMU had to be stopped after ${VM_TIMEOUT}s, $(l_hang_state)"
		expect_withdrawn
		return
	fi
	expect_reached l_prompt_root
	expect '^RDTEST root=/dev/vdb fstype=ext4 ' "/ to be the hot-added plain disk, vdb"
	expect_withdrawn
}

# Where a boot that had to be stopped was: did the kernel see the hot-added disk, and what
# rdinit said last
l_hang_state() {
	local seen=no last
	grep -q 'virtio_blk virtio[0-9]*: \[vdb\]' "$VM_LOG" && seen=yes
	# without the kernel's messages printed after a prompt on its line
	last=$(grep -E 'rdinit: |[Pp]assphrase' "$VM_LOG" | tail -n 1 |
		sed -E 's/(.)\[ *[0-9]+\.[0-9]+\] .*$/\1/' | cut -c1-160)
	echo "the kernel having seen vdb: $seen; the last word of rdinit or its prompt: '$last'"
}

# (b) rdvgl/root spans two PVs, each a LUKS2 disk the same key file (crypttab, in the image)
# opens in 1 to 2 s of the VM's time. The timeline (rdinit.debug) must show the second
# device's "running cryptsetup open" before the first one's "ran cryptsetup open".
scenario_l_luks_side_by_side() {
	local t=$VM_OUT/l_luks_side_by_side
	sd_prepare || return
	rm -rf "$t" && mkdir -p "$t"
	printf %s "$SD_KEY" >"$t/loop.key"
	chmod 0600 "$t/loop.key"
	printf 'lpa UUID=%s %s\nlpb UUID=%s %s\n' "$SD_LOOPA" "$PWD/$t/loop.key" \
		"$SD_LOOPB" "$PWD/$t/loop.key" >"$t/crypttab"
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --crypttab "$t/crypttab" \
		--output "$t/initrd.img" >/dev/null 2>"$t/mkrdinit.err" ||
		{ fail "mkrdinit --crypttab to build ($(cat "$t/mkrdinit.err"))"; return; }
	sd_disks loop_a loop_b
	INITRD=$t/initrd.img vm_boot l_luks_side_by_side \
		"root=/dev/rdvgl/root rdinit.timeout=60 rdinit.debug" "${VM_DISK[@]}"
	expect_reached s_loop
	expect '^RDTEST root=/dev/dm-[0-9]+ fstype=ext4 ' "/ to be the LV on the two LUKS disks"
	expect 'unlocked as /dev/mapper/lpa \(key file\)' "the key file to open vda as lpa"
	expect 'unlocked as /dev/mapper/lpb \(key file\)' "the key file to open vdb as lpb"
	expect 'volume group rdvgl activated' "rdvgl activated once both PVs were open"
	l_expect_side_by_side
}

# The timeline's "running cryptsetup open [DEV]" and "ran cryptsetup open [DEV]" rows, in
# order (the table rdinit.debug prints before the exec): an open must start while another, of
# another device when the rows name them, still runs.
l_expect_side_by_side() {
	local rows verdict
	# "running|ran SECONDS [DEV]", a row each
	rows=$(sed -nE 's/.*rdinit: +([0-9]+\.[0-9]{3}) s  \+ *[0-9]+ ms  (running|ran) cryptsetup open( ([^ ]+))? *$/\2 \1 \4/p' \
		"$VM_LOG")
	verdict=$(printf '%s\n' "$rows" | awk '
		function what(d) { return d == "" || d ~ /^#/ ? "an open" : "the open of " d }
		{ dev = NF > 2 ? $3 : "" }
		$1 == "running" {
			n++
			for (k in busy)
				if (!overlap && (dev == "" || k != dev))
					overlap = sprintf("%s started at %s s while %s, started at %s s, still ran",
						what(dev), $2, what(k), busy[k])
			busy[dev == "" ? "#" n : dev] = $2
		}
		$1 == "ran" && dev == "" { for (k in busy) { delete busy[k]; break } }
		$1 == "ran" && dev != "" { delete busy[dev] }
		END {
			if (n < 2) print "few " n + 0
			else if (overlap) print "yes: " overlap
			else print "no"
		}')
	case $verdict in
	yes*) echo "$NAME: ${verdict#yes: }" ;;
	few*)
		fail "two 'running cryptsetup open' rows in the timeline (rdinit.debug's table); saw ${verdict#few }"
		;;
	*)
		fail "the second device's 'running cryptsetup open' before the first's 'ran cryptsetup open'; the timeline ran them one after the other: $(printf '%s\n' "$rows" |
			awk '{ printf "%s%s cryptsetup open%s at %s s", (NR > 1 ? ", " : ""), $1, (NF > 2 ? " " $3 : ""), $2 }')"
		;;
	esac
}
